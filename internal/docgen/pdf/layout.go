package pdf

import (
	"strconv"
	"unicode/utf8"

	"mamori/internal/docgen"
	"mamori/internal/docgen/chart"
	"mamori/internal/docgen/fonts"
)

// Everything on a page is measured in points from the top-left corner.
const (
	mm       = 72 / 25.4
	a4W      = 595.28
	a4H      = 841.89
	bodyPt   = 10.5 // body text size
	bodyLH   = 1.75 // body leading (line height / size)
	tablePt  = 9.0
	tableLH  = 1.4
	cellPadX = 1.6 * mm
	cellPadY = 1.1 * mm
)

// face indexes the four embedded fonts.
type face uint8

const (
	serif face = iota
	serifBold
	gothic
	gothicBold
)

func (f face) bold() face {
	if f == serif || f == gothic {
		return f + 1
	}
	return f
}

// rgb is a colour; ok false means "none".
type rgb struct {
	r, g, b uint8
	ok      bool
}

func hexColor(s string) rgb {
	if len(s) == 7 && s[0] == '#' {
		s = s[1:]
	}
	if len(s) != 6 {
		return rgb{}
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return rgb{}
	}
	return rgb{uint8(v >> 16), uint8(v >> 8), uint8(v), true}
}

var (
	black   = rgb{0, 0, 0, true}
	grey    = rgb{0x59, 0x59, 0x59, true}
	rule    = rgb{0x40, 0x40, 0x40, true}
	red     = rgb{0xC0, 0x00, 0x00, true}
	navy    = rgb{0x1F, 0x3A, 0x5F, true}
	tabFill = rgb{0xE4, 0xE9, 0xF0, true}
)

// opKind is what a display-list entry draws.
type opKind uint8

const (
	opText opKind = iota
	opLine
	opRect
	opPoly // polygon (closed) or polyline
	opImage
	opLink   // internal link area to anchor
	opAnchor // named destination + bookmark
	opPageNo // deferred: the page number of toc entry n, right-aligned at x
)

// op is one drawing instruction; layout fills pages with ops and the
// writer replays them through gopdf once every page number is known.
type op struct {
	kind       opKind
	x, y, w, h float64 // text: y is the baseline
	face       face
	size       float64
	color      rgb // text / stroke colour
	fill       rgb
	lw         float64
	dash       []float64
	closed     bool
	pts        []chart.Point
	text       string // text, anchor name or bookmark title
	img        []byte
	ref        int // opPageNo: toc entry
}

type pageKind uint8

const (
	coverPage pageKind = iota
	tocPage
	bodyPage
)

type page struct {
	w, h   float64
	kind   pageKind
	tab    string
	number int // printed number of body pages (1-based)
	ops    []op
}

// geometry is the text area of a page.
type geometry struct{ left, right, top, bottom float64 }

func geometryOf(landscape bool) (w, h float64, g geometry) {
	if landscape {
		// Landscape pages are bound along their top edge.
		return a4H, a4W, geometry{20 * mm, a4H - 20*mm, 27 * mm, a4W - 17*mm}
	}
	// Portrait: 25 mm at the binding (left).
	return a4W, a4H, geometry{25 * mm, a4W - 20*mm, 27 * mm, a4H - 20*mm}
}

// style is the look of a piece of text.
type style struct {
	face                           face
	size                           float64
	color                          rgb
	under, dunder, strike, dstrike bool
}

// rich is text with styled ranges, as a paragraph or a cell holds it.
type rich struct {
	text    string
	spans   []styleSpan
	adv     []float64    // advance in points of the rune starting at each byte
	onSplit func(string) // Options.OnSplit
}

type styleSpan struct {
	start, end int
	st         style
}

// layouter turns a Document into pages.
type layouter struct {
	fs    *fonts.Set
	faces [4]*fonts.Face
	opt   Options
	doc   *docgen.Document
	pages []*page
	cur   *page
	// keepNext is the height a heading keeps with it: the start of the
	// table that follows (0: two lines of text).
	keepNext float64
	g        geometry
	y        float64
	tab      string
	landscp  bool
	bodyNo   int
	num      docgen.Numberer
	// under is where body text starts under the last heading: at its
	// indent, so that no paragraph or list starts left of the heading it
	// belongs to (0 under 第1章 and 1, one character under （1）, two
	// under ア).
	under   float64
	toc     []tocEntry
	anchors int
}

type tocEntry struct {
	level  int
	text   string
	anchor string
	page   int // printed page number
	index  int // physical page index
}

func (l *layouter) width(f face, s string, size float64) float64 {
	return l.faces[f].Width(s, size)
}

// newRich builds styled text from runs with a base face and size.
func (l *layouter) newRich(runs []docgen.Run, base face, size float64, bold bool, col rgb) rich {
	var rt rich
	n := 0
	for _, r := range runs {
		n += len(r.Text)
	}
	buf := make([]byte, 0, n)
	for _, r := range runs {
		st := style{face: base, size: size, color: col, under: r.Underline, dunder: r.DoubleUnderline, strike: r.Strike, dstrike: r.DoubleStrike}
		if bold || r.Bold {
			st.face = base.bold()
		}
		if c := hexColor(r.Color); c.ok {
			st.color = c
		}
		switch r.Change {
		case docgen.Inserted:
			st.under = !st.dunder
			if !hexColor(r.Color).ok {
				st.color = red
			}
		case docgen.Deleted:
			st.strike = !st.dstrike
			if !hexColor(r.Color).ok {
				st.color = red
			}
		}
		start := len(buf)
		buf = append(buf, r.Text...)
		if len(buf) > start {
			rt.spans = append(rt.spans, styleSpan{start, len(buf), st})
		}
	}
	rt.text = string(buf)
	rt.onSplit = l.opt.OnSplit
	rt.adv = make([]float64, len(rt.text))
	for _, sp := range rt.spans {
		f := l.faces[sp.st.face]
		for i, r := range rt.text[sp.start:sp.end] {
			rt.adv[sp.start+i] = f.Advance(r) * sp.st.size / 1000
		}
	}
	return rt
}

// plain is unstyled text in one face.
func (l *layouter) plain(s string, f face, size float64, col rgb) rich {
	return l.newRich([]docgen.Run{{Text: s}}, f, size, false, col).withFace(f)
}

func (rt rich) withFace(f face) rich {
	for i := range rt.spans {
		rt.spans[i].st.face = f
	}
	return rt
}

// breakRich breaks rich text for a first-line width and a width for the rest.
func (rt rich) lines(first, rest float64) []span {
	adv := func(i int) float64 { return rt.adv[i] }
	ls := breakText(rt.text, adv, func(n int) float64 {
		if n == 0 {
			return first
		}
		return rest
	})
	rt.checkSplits(ls)
	return ls
}

// checkSplits reports the words and numbers that lines ls split to onSplit.
func (rt rich) checkSplits(ls []span) {
	if rt.onSplit != nil {
		for i := 1; i < len(ls); i++ {
			a, b := ls[i-1], ls[i]
			if a.end != b.start || a.end <= a.start || b.end <= b.start {
				continue
			}
			last, _ := utf8.DecodeLastRuneInString(rt.text[a.start:a.end])
			next, _ := utf8.DecodeRuneInString(rt.text[b.start:b.end])
			if alnum(last) && alnum(next) {
				w0, w1 := a.end, b.start
				for w0 > a.start && alnum(rune(rt.text[w0-1])) {
					w0--
				}
				for w1 < b.end && alnum(rune(rt.text[w1])) {
					w1++
				}
				rt.onSplit(rt.text[w0:w1])
			}
		}
	}
}

// alnum reports an ASCII letter or digit (the parts of a word or number).
func alnum(r rune) bool {
	return r < 0x80 && (r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z')
}

func (rt rich) measure(s span) float64 {
	w := 0.0
	for i := s.start; i < s.end; i++ {
		w += rt.adv[i] // zero on continuation bytes
	}
	return w
}

// drawLine draws one broken line of rt with its left edge at x, baseline y,
// in a box of width avail, aligned by align; justify spreads the space
// left over across the gaps between characters (Japanese 両端揃え).
func (l *layouter) drawLine(p *page, rt rich, s span, x, y, avail float64, align docgen.Align, justify bool) {
	if s.end <= s.start {
		return
	}
	w := rt.measure(s)
	gap := 0.0
	switch {
	case justify && w < avail:
		if n := countGaps(rt.text[s.start:s.end]); n > 0 {
			// At most a small fraction of an em between characters: a
			// wider gap reads as letter spacing (情 報 セ キ ュ…) and text
			// extraction (search in the PDF) returns the characters
			// spaced apart; such a line is left a little short instead.
			gap = min((avail-w)/float64(n), maxJustifyGap*rt.sizeAt(s.start))
		}
	case align == docgen.AlignCenter:
		x += (avail - w) / 2
	case align == docgen.AlignRight:
		x += avail - w
	}
	for _, sp := range rt.spans {
		a, b := max(sp.start, s.start), min(sp.end, s.end)
		if a >= b {
			continue
		}
		x0 := x
		if gap == 0 {
			p.ops = append(p.ops, op{kind: opText, x: x, y: y, face: sp.st.face, size: sp.st.size, color: sp.st.color, text: rt.text[a:b]})
			x += rt.measure(span{a, b})
		} else {
			// Justified: the space goes between characters, but latin
			// words stay set solid (両端揃え as Japanese word processors do).
			for _, tk := range tokens(rt.text, a, b) {
				if tk.start > s.start {
					x += gap
				}
				p.ops = append(p.ops, op{kind: opText, x: x, y: y, face: sp.st.face, size: sp.st.size, color: sp.st.color, text: rt.text[tk.start:tk.end]})
				x += rt.measure(tk)
			}
		}
		st := sp.st
		lw := st.size * 0.055
		dw := x - x0
		line := func(dy float64) {
			p.ops = append(p.ops, op{kind: opLine, x: x0, y: y + dy, w: x0 + dw, h: y + dy, color: st.color, lw: lw})
		}
		if st.under {
			line(st.size * 0.13)
		}
		if st.dunder {
			line(st.size * 0.11)
			line(st.size*0.11 + lw*2.6)
		}
		if st.strike {
			line(-st.size * 0.33)
		}
		if st.dstrike {
			line(-st.size*0.33 - lw*1.4)
			line(-st.size*0.33 + lw*1.4)
		}
	}
}

// latin reports whether r belongs to a latin word or number, which
// justification keeps solid.
func latin(r rune) bool { return r > ' ' && r < 0x7F }

// tokens splits text[a:b] into the pieces justification spaces apart:
// runs of latin characters, and every other character alone.
func tokens(text string, a, b int) []span {
	var out []span
	for i := a; i < b; {
		r, n := utf8.DecodeRuneInString(text[i:])
		j := i + n
		if latin(r) {
			for j < b {
				r2, n2 := utf8.DecodeRuneInString(text[j:])
				if !latin(r2) {
					break
				}
				j += n2
			}
		}
		out = append(out, span{i, j})
		i = j
	}
	return out
}

// countGaps is the number of places justification adds space in s.
func countGaps(s string) int {
	return len(tokens(s, 0, len(s))) - 1
}

// text adds a single-line text op.
func (p *page) text(x, y float64, f face, size float64, col rgb, s string) {
	p.ops = append(p.ops, op{kind: opText, x: x, y: y, face: f, size: size, color: col, text: s})
}

func (p *page) line(x1, y1, x2, y2, lw float64, col rgb) {
	p.ops = append(p.ops, op{kind: opLine, x: x1, y: y1, w: x2, h: y2, lw: lw, color: col})
}

func (p *page) rect(x, y, w, h, lw float64, stroke, fill rgb) {
	p.ops = append(p.ops, op{kind: opRect, x: x, y: y, w: w, h: h, lw: lw, color: stroke, fill: fill})
}

// maxJustifyGap is the widest space justification puts between two
// characters, in ems: below what pdftotext reads as a word space.
const maxJustifyGap = 0.08

// sizeAt is the font size of the text at byte i.
func (rt rich) sizeAt(i int) float64 {
	for _, sp := range rt.spans {
		if i >= sp.start && i < sp.end {
			return sp.st.size
		}
	}
	return rt.spanSize()
}
