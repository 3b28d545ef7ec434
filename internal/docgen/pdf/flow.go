package pdf

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // image sizes of JPEG figures
	_ "image/png"  // image sizes of PNG figures
	"math"
	"strings"

	"mamori/internal/docgen"
	"mamori/internal/docgen/chart"
	"mamori/internal/jp"
)

// newPage starts a page of the current section.
func (l *layouter) newPage(kind pageKind) *page {
	w, h, g := geometryOf(l.landscp)
	p := &page{w: w, h: h, kind: kind, tab: l.tab}
	if kind == bodyPage {
		l.bodyNo++
		p.number = l.bodyNo
	}
	l.pages = append(l.pages, p)
	l.cur, l.g, l.y = p, g, g.top
	return p
}

func (l *layouter) textWidth() float64 { return l.g.right - l.g.left }
func (l *layouter) atTop() bool        { return l.y <= l.g.top+0.01 }

// ensure starts a new page unless h more points fit on this one.
func (l *layouter) ensure(h float64) {
	if l.y+h > l.g.bottom+0.01 && !l.atTop() {
		l.newPage(bodyPage)
	}
}

// space adds vertical space, dropped at the top of a page.
func (l *layouter) space(h float64) {
	if !l.atTop() {
		l.y += h
	}
}

// placeLines places n lines of height lh, avoiding a lone first line at a
// page end (orphan) and a lone last line at a page start (widow).
func (l *layouter) placeLines(n int, lh float64, draw func(i int, top float64)) {
	for i := 0; i < n; {
		fit := int(math.Floor((l.g.bottom - l.y + 0.01) / lh))
		left := n - i
		if fit >= left {
			for ; i < n; i++ {
				draw(i, l.y)
				l.y += lh
			}
			return
		}
		k := fit
		if left-k == 1 { // the last line would stand alone
			k--
		}
		if i == 0 && k == 1 { // the first line would stand alone
			k = 0
		}
		if k <= 0 {
			if !l.atTop() {
				l.newPage(bodyPage)
				continue
			}
			k = max(1, fit) // a page cannot hold more: do not loop
		}
		for j := 0; j < k; j++ {
			draw(i, l.y)
			l.y += lh
			i++
		}
		l.newPage(bodyPage)
	}
}

// cover prints the cover page from Meta.
func (l *layouter) cover() {
	m := l.doc.Meta
	p := l.newPage(coverPage)
	tw := l.textWidth()
	center := func(y float64, f face, size float64, col rgb, s string) float64 {
		rt := l.plain(s, f, size, col)
		for _, ln := range rt.lines(tw, tw) {
			l.drawLine(p, rt, ln, l.g.left, y, tw, docgen.AlignCenter, false)
			y += size * 1.5
		}
		return y
	}
	y := 75 * mm
	if m.FiscalYear > 0 {
		y = center(y, gothic, 15, black, jp.FiscalYearLabel(m.FiscalYear))
		y += 6 * mm
	}
	p.line(l.g.left+10*mm, y-4*mm, l.g.right-10*mm, y-4*mm, 1.2, navy)
	y += 12 * mm
	y = center(y, gothicBold, 24, black, m.Title)
	if m.Subtitle != "" {
		y += 4 * mm
		y = center(y, gothic, 14, black, m.Subtitle)
	}
	p.line(l.g.left+10*mm, y, l.g.right-10*mm, y, 1.2, navy)
	if m.Version != "" {
		center(y+10*mm, gothic, 11, grey, m.Version)
	}
	y = 200 * mm
	if !m.Date.IsZero() {
		y = center(y, gothic, 13, black, jp.FormatWareki(m.Date)) + 6*mm
	}
	if m.Ward != "" {
		y = center(y, gothicBold, 16, black, m.Ward) + 2*mm
	}
	if m.Author != "" {
		center(y, gothic, 13, black, m.Author)
	}
}

// collectTOC lists the headings the table of contents shows.
func (l *layouter) collectTOC() {
	for _, h := range docgen.Headings(l.doc) {
		if !h.NoTOC {
			l.toc = append(l.toc, tocEntry{level: clampLevel(h.Level), text: h.Printed, anchor: fmt.Sprintf("h%d", len(l.toc))})
		}
	}
}

func clampLevel(n int) int { return min(max(n, 1), 4) }

// tocPages prints the table of contents; page numbers are filled in when
// the pages are written, after the body is laid out.
func (l *layouter) tocPages() {
	p := l.newPage(tocPage)
	tw := l.textWidth()
	title := l.plain("目　　次", gothicBold, 16, black)
	l.drawLine(p, title, span{0, len(title.text)}, l.g.left, l.y+16, tw, docgen.AlignCenter, false)
	l.y += 16 + 12*mm
	numW := l.width(gothic, "0000", 10.5)
	for i, e := range l.toc {
		f, size := gothic, 10.5
		gap := 0.0
		if e.level == 1 {
			f, gap = gothicBold, 4
		}
		indent := float64(e.level-1) * size * 1.5
		rt := l.plain(e.text, f, size, black)
		avail := tw - indent - numW - 3*mm
		lines := rt.lines(avail, avail)
		lh := size * 1.9
		if i > 0 {
			l.y += gap
		}
		if l.y+lh*float64(len(lines)) > l.g.bottom {
			p = l.newPage(tocPage)
		}
		top := l.y
		for j, ln := range lines {
			base := l.y + size*1.3
			l.drawLine(p, rt, ln, l.g.left+indent, base, avail, docgen.AlignLeft, false)
			if j == len(lines)-1 {
				lx := l.g.left + indent + rt.measure(ln) + 2*mm
				rx := l.g.right - numW - 1*mm
				if rx > lx {
					p.ops = append(p.ops, op{kind: opLine, x: lx, y: base - 1, w: rx, h: base - 1, lw: 0.8, color: grey, dash: []float64{0.8, 2.4}})
				}
				p.ops = append(p.ops, op{kind: opPageNo, x: l.g.right, y: base, face: f, size: size, color: black, ref: i})
			}
			l.y += lh
		}
		p.ops = append(p.ops, op{kind: opLink, x: l.g.left, y: top, w: tw, h: l.y - top, text: e.anchor})
	}
}

// headingStyle is the size and spacing of a heading level.
func headingStyle(level int) (size, before, after, indent float64) {
	switch level {
	case 1:
		return 15, 10 * mm, 4 * mm, 0
	case 2:
		return 12.5, 6 * mm, 2 * mm, 0
	case 3:
		return 11.5, 4 * mm, 1.5 * mm, 11.5
	default:
		return 10.5, 3 * mm, 1 * mm, 21
	}
}

func (l *layouter) heading(h docgen.Heading, tocIndex *int) {
	level := clampLevel(h.Level)
	num := ""
	if h.Numbered {
		num = l.num.Next(level)
	}
	size, before, after, indent := headingStyle(level)
	lh := size * 1.5
	tw := l.textWidth()
	rt := l.plain(docgen.HeadingText(num, h), gothicBold, size, black)
	if level == 1 {
		rt = l.plain(docgen.HeadingText(num, h), gothicBold, size, navy)
	}
	lines := rt.lines(tw-indent, tw-indent)
	l.space(before)
	// Keep the heading with at least two lines of what follows (or the
	// start of the table that follows: keepNext).
	l.ensure(lh*float64(len(lines)) + max(2*bodyPt*bodyLH, l.keepNext) + after)
	p := l.cur
	if !h.NoTOC {
		e := &l.toc[*tocIndex]
		*tocIndex++
		e.page, e.index = p.number, len(l.pages)-1
		p.ops = append(p.ops, op{kind: opAnchor, y: l.y, text: e.anchor, ref: *tocIndex - 1})
	}
	for _, ln := range lines {
		l.drawLine(p, rt, ln, l.g.left+indent, l.y+size*1.15, tw-indent, docgen.AlignLeft, false)
		l.y += lh
	}
	if level == 1 {
		p.line(l.g.left, l.y+1, l.g.right, l.y+1, 0.9, navy)
		l.y += 2
	}
	l.y += after
	l.under = indent
}

func (l *layouter) paragraph(pg docgen.Paragraph) {
	rt := l.newRich(pg.Runs, serif, bodyPt, false, black)
	tw := l.textWidth()
	indent := float64(pg.Indent) * bodyPt
	if pg.Align == docgen.AlignLeft || pg.Align == docgen.AlignJustify {
		// running text starts under its heading; centred and
		// right-aligned lines (titles, dates) keep the full width
		indent += l.under
	}
	first := indent
	if pg.FirstIndent {
		first += bodyPt
	}
	lines := rt.lines(tw-first, tw-indent)
	lh := bodyPt * bodyLH
	l.placeLines(len(lines), lh, func(i int, top float64) {
		x, avail := l.g.left+indent, tw-indent
		if i == 0 {
			x, avail = l.g.left+first, tw-first
		}
		justify := pg.Align == docgen.AlignJustify && i < len(lines)-1 && !endsHard(rt.text, lines[i], lines, i)
		l.drawLine(l.cur, rt, lines[i], x, top+bodyPt*1.2, avail, pg.Align, justify)
	})
	l.y += bodyPt * 0.5
}

// endsHard reports whether line i ends at a newline in the text (such a
// line is not justified).
func endsHard(text string, s span, lines []span, i int) bool {
	next := lines[i+1].start
	return strings.ContainsAny(text[s.end:next], "\n\r")
}

var bullets = []string{"●", "○", "■", "・"}

func (l *layouter) list(ls docgen.List) {
	var counts [8]int
	tw := l.textWidth()
	lh := bodyPt * bodyLH
	for _, it := range ls.Items {
		lv := min(max(it.Level, 0), len(counts)-1)
		counts[lv]++
		for j := lv + 1; j < len(counts); j++ {
			counts[j] = 0
		}
		marker, msize := bullets[lv%len(bullets)], bodyPt*0.6
		if ls.Ordered {
			msize = bodyPt
			switch lv % 3 {
			case 0:
				marker = fmt.Sprintf("%d.", counts[lv])
			case 1:
				marker = docgen.Label(3, counts[lv])
			default:
				marker = docgen.Label(4, counts[lv])
			}
		}
		x0 := l.g.left + l.under + bodyPt*(1+2*float64(lv))
		mw := l.width(serif, marker, msize)
		textX := x0 + max(bodyPt*1.5, mw+bodyPt*0.5)
		avail := l.g.left + tw - textX
		rt := l.newRich(it.Runs, serif, bodyPt, false, black)
		lines := rt.lines(avail, avail)
		l.placeLines(len(lines), lh, func(i int, top float64) {
			base := top + bodyPt*1.2
			if i == 0 {
				my := base
				if !ls.Ordered {
					my = base - (bodyPt-msize)*0.45
				}
				l.cur.text(x0, my, serif, msize, black, marker)
			}
			l.drawLine(l.cur, rt, lines[i], textX, base, avail, docgen.AlignLeft, false)
		})
	}
	l.y += bodyPt * 0.5
}

// caption prints a centred caption line in the ゴシック face.
func (l *layouter) caption(s string, top float64) float64 {
	rt := l.plain(s, gothicBold, 9.5, black)
	tw := l.textWidth()
	for _, ln := range rt.lines(tw, tw) {
		l.drawLine(l.cur, rt, ln, l.g.left, top+9.5*1.15, tw, docgen.AlignCenter, false)
		top += 9.5 * 1.5
	}
	return top
}

func captionHeight(s string) float64 {
	if s == "" {
		return 0
	}
	return 9.5*1.5 + 1.5*mm
}

func (l *layouter) chart(c docgen.Chart) {
	tw := l.textWidth()
	wmm := c.Width
	if wmm <= 0 || wmm*mm > tw {
		wmm = tw / mm
	}
	hmm := c.Height
	if hmm <= 0 {
		hmm = wmm * 0.6
	}
	maxH := l.g.bottom - l.g.top - captionHeight(c.Caption) - 4*mm
	if hmm*mm > maxH {
		scale := maxH / (hmm * mm)
		wmm, hmm = wmm*scale, hmm*scale
	}
	l.space(3 * mm)
	l.ensure(hmm*mm + captionHeight(c.Caption))
	x0 := l.g.left + (tw-wmm*mm)/2
	y0 := l.y
	draw := l.opt.DrawChart
	if draw == nil {
		draw = chart.Draw
	}
	shapes := draw(c.Chart, wmm, hmm)
	l.shapes(shapes, x0, y0)
	l.y += hmm*mm + 1.5*mm
	if c.Caption != "" {
		l.y = l.caption(c.Caption, l.y)
	}
	l.y += 3 * mm
}

// shapes paints chart shapes (millimetres from the chart's top-left) at
// x0, y0 on the current page.
func (l *layouter) shapes(shapes []chart.Shape, x0, y0 float64) {
	p := l.cur
	pt := func(q chart.Point) chart.Point { return chart.Point{X: x0 + q.X*mm, Y: y0 + q.Y*mm} }
	for _, s := range shapes {
		stroke, fill := hexColor(s.Stroke), hexColor(s.Fill)
		lw := s.StrokeWidth * mm
		if stroke.ok && lw <= 0 {
			lw = 0.5
		}
		var dash []float64
		if s.Dash {
			on, off := chart.DashPattern(s.StrokeWidth)
			dash = []float64{on * mm, off * mm}
		}
		switch s.Kind {
		case chart.RectShape:
			if stroke.ok || fill.ok {
				p.ops = append(p.ops, op{kind: opRect, x: x0 + s.X*mm, y: y0 + s.Y*mm, w: s.W * mm, h: s.H * mm, lw: lw, color: stroke, fill: fill, dash: dash})
			}
		case chart.LineShape:
			if len(s.Points) >= 2 && stroke.ok {
				a, b := pt(s.Points[0]), pt(s.Points[1])
				p.ops = append(p.ops, op{kind: opLine, x: a.X, y: a.Y, w: b.X, h: b.Y, lw: lw, color: stroke, dash: dash})
			}
		case chart.PolylineShape, chart.PolygonShape:
			if len(s.Points) < 2 {
				continue
			}
			pts := make([]chart.Point, len(s.Points))
			for i, q := range s.Points {
				pts[i] = pt(q)
			}
			closed := s.Kind == chart.PolygonShape
			if !closed {
				fill = rgb{}
			}
			p.ops = append(p.ops, op{kind: opPoly, pts: pts, closed: closed, lw: lw, color: stroke, fill: fill, dash: dash})
		case chart.TextShape:
			f := gothic
			if s.Bold {
				f = gothicBold
			}
			col := fill
			if !col.ok {
				col = hexColor(s.Stroke)
			}
			if !col.ok {
				col = black
			}
			size := s.Size
			if size <= 0 {
				size = 8
			}
			x := x0 + s.X*mm
			w := l.width(f, s.Text, size)
			switch s.Anchor {
			case chart.AnchorMiddle:
				x -= w / 2
			case chart.AnchorEnd:
				x -= w
			}
			p.text(x, y0+s.Y*mm, f, size, col, s.Text)
		}
	}
}

func (l *layouter) image(im docgen.Image) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(im.Data))
	if err != nil || cfg.Width == 0 || cfg.Height == 0 {
		l.paragraph(docgen.Paragraph{Runs: []docgen.Run{{Text: "［画像を表示できません］", Color: "C00000"}}})
		return
	}
	tw := l.textWidth()
	w := float64(cfg.Width) * 0.75 // 96 dpi
	if im.Width > 0 {
		w = im.Width * mm
	}
	w = min(w, tw)
	h := w * float64(cfg.Height) / float64(cfg.Width)
	if maxH := l.g.bottom - l.g.top - captionHeight(im.Caption) - 4*mm; h > maxH {
		w, h = w*maxH/h, maxH
	}
	l.space(3 * mm)
	l.ensure(h + captionHeight(im.Caption))
	l.cur.ops = append(l.cur.ops, op{kind: opImage, x: l.g.left + (tw-w)/2, y: l.y, w: w, h: h, img: im.Data})
	l.y += h + 1.5*mm
	if im.Caption != "" {
		l.y = l.caption(im.Caption, l.y)
	}
	l.y += 3 * mm
}

// approval prints the 決裁欄: title cells over ~20 mm stamp areas, at the right.
func (l *layouter) approval(a docgen.ApprovalBox) {
	if len(a.Titles) == 0 {
		return
	}
	bw, th, sh := 20*mm, 6.5*mm, 20*mm
	n := float64(len(a.Titles))
	if n*bw > l.textWidth() {
		bw = l.textWidth() / n
	}
	l.space(4 * mm)
	l.ensure(th + sh)
	x := l.g.right - n*bw
	p := l.cur
	for i, t := range a.Titles {
		bx := x + float64(i)*bw
		p.rect(bx, l.y, bw, th, 0, rgb{}, tabFill)
		rt := l.plain(t, gothic, 9.5, black)
		for _, ln := range rt.lines(bw-2, bw-2)[:1] {
			l.drawLine(p, rt, ln, bx+1, l.y+th/2+9.5*0.36, bw-2, docgen.AlignCenter, false)
		}
	}
	p.rect(x, l.y, n*bw, th+sh, 0.8, rule, rgb{})
	p.line(x, l.y+th, x+n*bw, l.y+th, 0.5, rule)
	for i := 1; i < len(a.Titles); i++ {
		p.line(x+float64(i)*bw, l.y, x+float64(i)*bw, l.y+th+sh, 0.5, rule)
	}
	l.y += th + sh + 4*mm
}
