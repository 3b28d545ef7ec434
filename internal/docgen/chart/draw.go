package chart

import (
	"math"
	"sort"
	"strings"
)

// The smallest box a chart is laid out in, in millimetres.
const (
	MinWidth  = 20.0
	MinHeight = 12.0
)

// Draw lays out chart c in a w×h millimetre box and returns the shapes to
// paint, in painting order. Every kind is drawn; charts without usable
// data draw their title and 「データがありません」. Text colour is the
// shape's Fill; coordinates never leave the box.
func Draw(c Chart, w, h float64) []Shape {
	if !(w > 0 && h > 0) || math.IsInf(w, 0) || math.IsInf(h, 0) {
		return nil
	}
	if w < MinWidth || h < MinHeight {
		// Too small for axes and labels: a frame only, so a mistake in a
		// layout shows instead of crashing the document.
		return []Shape{{Kind: RectShape, X: 0, Y: 0, W: w, H: h, Stroke: "808080", StrokeWidth: 0.2}}
	}
	d := newDrawer(c, w, h)
	d.drawTitle()
	switch {
	case !d.hasData():
		d.noData()
	default:
		switch c.Kind {
		case StackedBar:
			d.drawColumns(true)
		case HBar:
			d.drawHBar()
		case Line:
			d.drawLine()
		case Radar:
			d.drawRadar()
		case Heatmap:
			d.drawHeatmap()
		case Pie:
			d.drawPie(false)
		case Donut:
			d.drawPie(true)
		default:
			d.drawColumns(false)
		}
	}
	d.finish()
	return d.out
}

// drawer holds the layout state of one chart.
type drawer struct {
	c    Chart
	w, h float64
	pad  float64
	// top and bottom bound what is left for the plot once the title and
	// legend have taken their room.
	top, bottom float64
	out         []Shape

	fTitle, fLabel, fTick, fValue, fLegend float64
	minFont                                float64
}

func newDrawer(c Chart, w, h float64) *drawer {
	s := math.Max(0.55, math.Min(1.25, math.Min(w/150, h/90)))
	d := &drawer{c: c, w: w, h: h, pad: math.Min(2, math.Min(w, h)*0.03)}
	d.fTitle, d.fLabel, d.fTick, d.fValue, d.fLegend = 10*s, 7.5*s, 7*s, 6.5*s, 7.5*s
	d.minFont = math.Min(4.5, d.fValue)
	d.top, d.bottom = d.pad, h-d.pad
	return d
}

// ---- primitives ----

func (d *drawer) text(x, y float64, s string, size float64, a Anchor, bold bool, color string) {
	if s == "" {
		return
	}
	d.out = append(d.out, Shape{Kind: TextShape, X: x, Y: y, Text: s, Size: size, Bold: bold, Anchor: a, Fill: color})
}

func (d *drawer) rect(x, y, w, h float64, fill, stroke string, sw float64) {
	if w < 0 {
		x, w = x+w, -w
	}
	if h < 0 {
		y, h = y+h, -h
	}
	d.out = append(d.out, Shape{Kind: RectShape, X: x, Y: y, W: w, H: h, Fill: fill, Stroke: stroke, StrokeWidth: sw})
}

func (d *drawer) line(x1, y1, x2, y2 float64, stroke string, sw float64, dash bool) {
	d.out = append(d.out, Shape{Kind: LineShape, Points: []Point{{x1, y1}, {x2, y2}}, Stroke: stroke, StrokeWidth: sw, Dash: dash})
}

func (d *drawer) polyline(pts []Point, stroke string, sw float64, dash bool) {
	if len(pts) < 2 {
		return
	}
	d.out = append(d.out, Shape{Kind: PolylineShape, Points: pts, Stroke: stroke, StrokeWidth: sw, Dash: dash})
}

func (d *drawer) polygon(pts []Point, fill, stroke string, sw float64) {
	if len(pts) < 2 {
		return
	}
	d.out = append(d.out, Shape{Kind: PolygonShape, Points: pts, Fill: fill, Stroke: stroke, StrokeWidth: sw})
}

// marker draws a line chart point marker of radius r.
func (d *drawer) marker(m Marker, cx, cy, r float64, fill string) {
	var pts []Point
	switch m {
	case MarkerSquare:
		q := r * 0.85
		pts = []Point{{cx - q, cy - q}, {cx + q, cy - q}, {cx + q, cy + q}, {cx - q, cy + q}}
	case MarkerTriangle:
		pts = []Point{{cx, cy - r*1.15}, {cx + r*1.05, cy + r*0.7}, {cx - r*1.05, cy + r*0.7}}
	case MarkerDiamond:
		pts = []Point{{cx, cy - r*1.2}, {cx + r, cy}, {cx, cy + r*1.2}, {cx - r, cy}}
	default:
		for k := 0; k < 12; k++ {
			a := float64(k) * math.Pi / 6
			pts = append(pts, Point{cx + r*math.Cos(a), cy + r*math.Sin(a)})
		}
	}
	d.polygon(pts, fill, "FFFFFF", math.Max(0.1, r*0.25))
}

// lineHeight is the distance between baselines of stacked label lines.
func lineHeight(size float64) float64 { return em(size) * 1.2 }

// textLines draws lines of text with the first baseline at y.
func (d *drawer) textLines(x, y float64, lines []string, size float64, a Anchor, bold bool, color string) {
	for i, l := range lines {
		d.text(x, y+float64(i)*lineHeight(size), l, size, a, bold, color)
	}
}

// ---- data helpers ----

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// value is series s's value for category i, and whether there is one.
func (d *drawer) value(s, i int) (float64, bool) {
	if s < 0 || s >= len(d.c.Series) {
		return 0, false
	}
	vs := d.c.Series[s].Values
	if i < 0 || i >= len(vs) || !finite(vs[i]) {
		return 0, false
	}
	return vs[i], true
}

// nCat is the number of categories: the labels given, or the longest
// series when there are no labels.
func (d *drawer) nCat() int {
	if n := len(d.c.Categories); n > 0 {
		return n
	}
	n := 0
	for _, s := range d.c.Series {
		n = max(n, len(s.Values))
	}
	return n
}

func (d *drawer) catName(i int) string {
	if i < len(d.c.Categories) {
		return d.c.Categories[i]
	}
	return ""
}

func (d *drawer) hasData() bool {
	if d.nCat() == 0 {
		return false
	}
	if d.c.Kind == Pie || d.c.Kind == Donut {
		for i := range d.nCat() {
			if v, ok := d.value(0, i); ok && v > 0 {
				return true
			}
		}
		return false
	}
	for s := range d.c.Series {
		for i := range d.nCat() {
			if _, ok := d.value(s, i); ok {
				return true
			}
		}
	}
	return false
}

// dataRange is the smallest and largest value (stacked sums for stacked
// bars), always including zero.
func (d *drawer) dataRange(stacked bool) (lo, hi float64) {
	for i := range d.nCat() {
		var pos, neg float64
		for s := range d.c.Series {
			v, ok := d.value(s, i)
			if !ok {
				continue
			}
			if stacked {
				if v >= 0 {
					pos += v
				} else {
					neg += v
				}
			} else {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		if stacked {
			lo, hi = math.Min(lo, neg), math.Max(hi, pos)
		}
	}
	return lo, hi
}

// ---- axis ----

// valueAxis is a linear value scale with its ticks.
type valueAxis struct {
	lo, hi float64
	ticks  []float64
	dec    int
}

// newAxis fits ticks to [lo, hi] for an axis about length mm long; Max
// (when set and not exceeded by the data) becomes the top of the axis.
func (d *drawer) newAxis(lo, hi, length float64, headroom bool) valueAxis {
	n := int(math.Max(2, math.Min(8, length/12)))
	top := d.c.Max
	if top == 0 && d.c.Unit == "%" && hi <= 100 && lo >= 0 {
		top = 100 // a percentage axis runs 0–100 %
	}
	fixed := top > 0 && top >= hi
	if fixed {
		hi = top
	} else if headroom && hi > 0 {
		hi *= 1.08
	}
	if headroom && lo < 0 {
		lo *= 1.08
	}
	if hi <= lo {
		hi = lo + 1
	}
	t := niceTicks(lo, hi, n)
	a := valueAxis{lo: t[0], hi: t[len(t)-1], ticks: t, dec: decimalsFor(t)}
	if fixed {
		var kept []float64
		for _, v := range t {
			if v <= hi+1e-9 {
				kept = append(kept, v)
			}
		}
		a.ticks, a.hi = kept, hi
	}
	if a.hi <= a.lo {
		a.hi = a.lo + 1
	}
	return a
}

// at maps v to the position between p0 (lo) and p1 (hi).
func (a valueAxis) at(v, p0, p1 float64) float64 {
	v = math.Max(a.lo, math.Min(a.hi, v))
	return p0 + (v-a.lo)/(a.hi-a.lo)*(p1-p0)
}

func (a valueAxis) label(v float64, unit string) string { return withUnit(formatNum(v, a.dec), unit) }

// ---- title, legend, no data ----

func (d *drawer) drawTitle() {
	if strings.TrimSpace(d.c.Title) == "" {
		return
	}
	lines, _ := wrapText(d.c.Title, d.w-2*d.pad, d.fTitle, 2)
	lh := lineHeight(d.fTitle)
	d.textLines(d.w/2, d.top+em(d.fTitle)*0.9, lines, d.fTitle, AnchorMiddle, true, colText)
	d.top += float64(len(lines))*lh + em(d.fTitle)*0.4
}

func (d *drawer) noData() {
	y := (d.top + d.bottom) / 2
	d.text(d.w/2, y, fitWidth("データがありません", d.w-2*d.pad, d.fLabel), d.fLabel, AnchorMiddle, false, colSub)
}

// legendEntry is one item of a legend.
type legendEntry struct {
	name  string
	color string
	line  bool // draw a line sample with the series marker
	idx   int
}

func (d *drawer) seriesEntries(line bool) []legendEntry {
	var es []legendEntry
	for i, s := range d.c.Series {
		name := s.Name
		if name == "" {
			name = "系列" + formatNum(float64(i+1), 0)
		}
		es = append(es, legendEntry{name: name, color: SeriesColor(i), line: line, idx: i})
	}
	return es
}

func (d *drawer) swatch(e legendEntry, x, baseline, size float64) float64 {
	e1 := em(size)
	sw := e1 * 1.6
	if e.line {
		y := baseline - e1*0.35
		d.line(x, y, x+sw, y, e.color, math.Max(0.25, e1*0.18), SeriesDashed(e.idx))
		d.marker(SeriesMarker(e.idx), x+sw/2, y, e1*0.28, e.color)
	} else {
		d.rect(x+e1*0.2, baseline-e1*0.8, sw-e1*0.4, e1*0.8, e.color, colOutine, 0.1)
	}
	return sw
}

// legendBottom lays entries out in centred rows under the plot and takes
// their room from d.bottom.
func (d *drawer) legendBottom(es []legendEntry) {
	if !d.c.Legend || len(es) == 0 {
		return
	}
	size := d.fLegend
	e1 := em(size)
	avail := d.w - 2*d.pad
	type item struct {
		e    legendEntry
		text string
		w    float64
	}
	var rows [][]item
	var widths []float64
	for _, e := range es {
		t := fitWidth(e.name, avail*0.6, size)
		iw := e1*1.6 + e1*0.4 + textWidth(t, size)
		if len(rows) == 0 || widths[len(widths)-1]+e1*1.2+iw > avail {
			rows = append(rows, nil)
			widths = append(widths, -e1*1.2)
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], item{e, t, iw})
		widths[len(widths)-1] += e1*1.2 + iw
	}
	lh := e1 * 1.5
	// never let the legend eat more than a third of the height
	maxRows := int(math.Max(1, (d.bottom-d.top)/3/lh))
	if len(rows) > maxRows {
		rows, widths = rows[:maxRows], widths[:maxRows]
	}
	y0 := d.bottom - float64(len(rows))*lh
	for r, row := range rows {
		x := d.w/2 - widths[r]/2
		base := y0 + float64(r)*lh + e1*1.05
		for _, it := range row {
			sw := d.swatch(it.e, x, base, size)
			d.text(x+sw+e1*0.4, base, it.text, size, AnchorStart, false, colText)
			x += it.w + e1*1.2
		}
	}
	d.bottom = y0 - e1*0.4
}

// legendRight stacks entries at the right edge, vertically centred, and
// returns the x where the legend starts.
func (d *drawer) legendRight(es []legendEntry) float64 {
	if !d.c.Legend || len(es) == 0 {
		return d.w - d.pad
	}
	size := d.fLegend
	e1 := em(size)
	maxText := d.w * 0.3
	var texts []string
	tw := 0.0
	for _, e := range es {
		t := fitWidth(e.name, maxText, size)
		texts = append(texts, t)
		tw = math.Max(tw, textWidth(t, size))
	}
	lh := e1 * 1.5
	n := min(len(es), int(math.Max(1, (d.bottom-d.top)/lh)))
	x0 := d.w - d.pad - (e1*2 + tw)
	y0 := (d.top+d.bottom)/2 - float64(n)*lh/2
	for i := range n {
		base := y0 + float64(i)*lh + e1*1.05
		sw := d.swatch(es[i], x0, base, size)
		d.text(x0+sw+e1*0.4, base, texts[i], size, AnchorStart, false, colText)
	}
	return x0 - e1
}

// ---- category labels under a horizontal band axis ----

type catLayout struct {
	lines    [][]string // per category: lines, or one rune per line when vertical
	size     float64
	step     int // label every step-th category
	height   float64
	vertical bool
}

// layoutCats decides how category labels fit under bands of width band,
// using at most maxH mm: on one or two lines, smaller, on up to three
// lines cut with "…", or set vertically (縦書き, one character per line).
func (d *drawer) layoutCats(n int, band, maxH float64) catLayout {
	try := func(size float64, maxLines int, allowCut bool) (catLayout, bool) {
		cl := catLayout{size: size, step: 1}
		most := 0
		for i := range n {
			ls, cut := wrapText(d.catName(i), band*0.94, size, maxLines)
			if cut && !allowCut {
				return cl, false
			}
			cl.lines = append(cl.lines, ls)
			most = max(most, len(ls))
		}
		cl.height = float64(most)*lineHeight(size) + em(size)*0.2
		return cl, cl.height <= maxH
	}
	small := math.Max(d.minFont, d.fLabel*0.85)
	if cl, ok := try(d.fLabel, 2, false); ok {
		return cl
	}
	if cl, ok := try(small, 2, false); ok {
		return cl
	}
	if band >= em(small)*4 {
		if cl, ok := try(small, 3, true); ok {
			return cl
		}
	}
	// vertical
	size := math.Max(d.minFont, math.Min(d.fLabel, band*0.9/PtMM))
	step := 1
	if em(size) > band*0.9 {
		step = max(1, int(math.Ceil(em(size)/(band*0.9))))
	}
	per := em(size) * 1.02
	maxChars := max(1, int((maxH-em(size)*0.3)/per))
	cl := catLayout{size: size, step: step, vertical: true}
	most := 0
	for i := range n {
		rs := []rune(strings.ReplaceAll(strings.TrimSpace(d.catName(i)), " ", ""))
		if len(rs) > maxChars {
			rs = append(rs[:max(0, maxChars-1)], '…')
		}
		// one character per line, but up to two half-width characters
		// share a line (縦中横: "10" stays upright side by side)
		var ls []string
		for k := 0; k < len(rs); k++ {
			if k+1 < len(rs) && rs[k] < 0x80 && rs[k+1] < 0x80 && (k+2 >= len(rs) || rs[k+2] >= 0x80) {
				ls = append(ls, string(rs[k:k+2]))
				k++
				continue
			}
			ls = append(ls, string(rs[k]))
		}
		cl.lines = append(cl.lines, ls)
		most = max(most, len(ls))
	}
	cl.height = float64(most)*per + em(size)*0.3
	return cl
}

// drawCats prints the labels with their top at y under band centres.
func (d *drawer) drawCats(cl catLayout, x0, band, y float64) {
	for i, ls := range cl.lines {
		if i%cl.step != 0 {
			continue
		}
		cx := x0 + band*(float64(i)+0.5)
		if cl.vertical {
			per := em(cl.size) * 1.02
			for k, l := range ls {
				d.text(cx, y+em(cl.size)*0.95+float64(k)*per, l, cl.size, AnchorMiddle, false, colText)
			}
			continue
		}
		d.textLines(cx, y+em(cl.size)*0.95, ls, cl.size, AnchorMiddle, false, colText)
	}
}

// ---- vertical bars and lines ----

// columnFrame is the plot area of a chart with categories along x and
// values up y.
type columnFrame struct {
	x0, x1, y0, y1 float64 // plot box: y0 top, y1 bottom
	band           float64
	ax             valueAxis
}

func (d *drawer) columnFrame(stacked bool) columnFrame {
	lo, hi := d.dataRange(stacked)
	n := d.nCat()
	availH := d.bottom - d.top
	ax := d.newAxis(lo, hi, availH*0.7, d.c.ValueLabel)
	tw := 0.0
	for _, t := range ax.ticks {
		tw = math.Max(tw, textWidth(ax.label(t, d.c.Unit), d.fTick))
	}
	tw = math.Min(tw, d.w*0.3)
	f := columnFrame{x0: d.pad + tw + em(d.fTick)*0.5, x1: d.w - d.pad - em(d.fTick)*0.3, ax: ax}
	f.band = (f.x1 - f.x0) / float64(n)
	cl := d.layoutCats(n, f.band, availH*0.3)
	f.y0 = d.top + em(d.fTick)*0.6
	if d.c.ValueLabel {
		f.y0 += em(d.fValue) * 0.6
	}
	f.y1 = d.bottom - cl.height - em(d.fTick)*0.3
	if f.y1-f.y0 < 5 { // tiny box: give up the labels rather than the plot
		f.y1 = d.bottom
		cl.lines = nil
	}
	d.drawValueGrid(f)
	d.drawCats(cl, f.x0, f.band, f.y1+em(d.fTick)*0.25)
	return f
}

// drawValueGrid draws horizontal grid lines with tick labels on the left.
func (d *drawer) drawValueGrid(f columnFrame) {
	for _, t := range f.ax.ticks {
		y := f.ax.at(t, f.y1, f.y0)
		d.line(f.x0, y, f.x1, y, colGrid, 0.15, false)
		d.text(f.x0-em(d.fTick)*0.4, y+em(d.fTick)*0.35, fitWidth(f.ax.label(t, d.c.Unit), d.w*0.3, d.fTick), d.fTick, AnchorEnd, false, colSub)
	}
	d.line(f.x0, f.y0, f.x0, f.y1, colAxis, 0.2, false)
}

func (d *drawer) drawZeroLine(f columnFrame) {
	y := f.ax.at(0, f.y1, f.y0)
	d.line(f.x0, y, f.x1, y, colAxis, 0.25, false)
}

// fitValueSize is the largest value-label size (down to minFont) at which
// s fits maxW; ok is false when even the smallest does not fit.
func (d *drawer) fitValueSize(s string, maxW float64) (float64, bool) {
	size := d.fValue
	for size >= d.minFont-1e-9 {
		if textWidth(s, size) <= maxW {
			return size, true
		}
		size -= 0.5
	}
	return d.minFont, false
}

func (d *drawer) drawColumns(stacked bool) {
	d.legendBottom(d.seriesEntries(false))
	f := d.columnFrame(stacked)
	ns := max(1, len(d.c.Series))
	n := d.nCat()
	groupW := f.band * 0.72
	if ns == 1 || stacked {
		groupW = f.band * 0.6
	}
	barW := groupW / float64(ns)
	if stacked {
		barW = groupW
	}
	zero := f.ax.at(0, f.y1, f.y0)
	type label struct {
		x, y float64
		s    string
		size float64
		col  string
		bold bool
	}
	var labels []label
	for i := range n {
		gx := f.x0 + f.band*float64(i) + (f.band-groupW)/2
		var pos, neg float64
		for s := range d.c.Series {
			v, ok := d.value(s, i)
			if !ok {
				continue
			}
			col := SeriesColor(s)
			if stacked {
				base := pos
				if v < 0 {
					base = neg
				}
				ya, yb := f.ax.at(base, f.y1, f.y0), f.ax.at(base+v, f.y1, f.y0)
				if v >= 0 {
					pos += v
				} else {
					neg += v
				}
				if v == 0 {
					continue
				}
				d.rect(gx, math.Min(ya, yb), barW, math.Abs(yb-ya), col, colOutine, 0.1)
				if d.c.ValueLabel {
					txt := formatValue(v)
					if size, ok := d.fitValueSize(txt, barW*0.95); ok && math.Abs(yb-ya) >= em(size)*1.1 {
						labels = append(labels, label{gx + barW/2, (ya+yb)/2 + em(size)*0.35, txt, size, textOn(col), false})
					}
				}
				continue
			}
			x := gx + barW*float64(s)
			yv := f.ax.at(v, f.y1, f.y0)
			d.rect(x, math.Min(yv, zero), barW, math.Abs(zero-yv), col, colOutine, 0.1)
			if d.c.ValueLabel {
				txt := withUnit(formatValue(v), d.unitOnValues())
				if size, ok := d.fitValueSize(txt, barW+f.band*0.28/float64(ns)); ok {
					y := yv - em(size)*0.3
					if v < 0 {
						y = yv + em(size)*1.0
					}
					labels = append(labels, label{x + barW/2, y, txt, size, colText, false})
				}
			}
		}
		if stacked && d.c.ValueLabel && len(d.c.Series) > 1 && pos+neg != 0 {
			txt := withUnit(formatValue(pos+neg), d.unitOnValues())
			if size, ok := d.fitValueSize(txt, f.band*0.98); ok {
				labels = append(labels, label{gx + barW/2, f.ax.at(pos, f.y1, f.y0) - em(size)*0.3, txt, size, colText, true})
			}
		}
	}
	d.drawZeroLine(f)
	for _, l := range labels {
		d.text(l.x, l.y, l.s, l.size, AnchorMiddle, l.bold, l.col)
	}
}

// unitOnValues is the unit printed after value labels: short units such
// as % and 件 only, so that labels stay narrow.
func (d *drawer) unitOnValues() string {
	if len([]rune(d.c.Unit)) <= 2 {
		return d.c.Unit
	}
	return ""
}

func (d *drawer) drawLine() {
	d.legendBottom(d.seriesEntries(true))
	f := d.columnFrame(false)
	n := d.nCat()
	sw := math.Max(0.3, em(d.fLabel)*0.2)
	r := math.Max(0.5, em(d.fLabel)*0.32)
	if f.band < r*3 {
		r = math.Max(0.3, f.band/3)
	}
	d.drawZeroLine(f)
	type label struct {
		x, y float64
		s    string
	}
	var labels []label
	for s := range d.c.Series {
		col := SeriesColor(s)
		var run []Point
		var pts []Point
		for i := range n {
			v, ok := d.value(s, i)
			if !ok {
				d.polyline(run, col, sw, SeriesDashed(s))
				run = nil
				continue
			}
			p := Point{f.x0 + f.band*(float64(i)+0.5), f.ax.at(v, f.y1, f.y0)}
			run = append(run, p)
			pts = append(pts, p)
			if d.c.ValueLabel {
				y := p.Y - r - em(d.fValue)*0.35
				if s%2 == 1 { // odd series label below the point to keep pairs apart
					y = p.Y + r + em(d.fValue)*1.0
				}
				labels = append(labels, label{p.X, y, formatValue(v)})
			}
		}
		d.polyline(run, col, sw, SeriesDashed(s))
		for _, p := range pts {
			d.marker(SeriesMarker(s), p.X, p.Y, r, col)
		}
	}
	if d.c.ValueLabel {
		size := d.fValue
		if f.band < textWidth("000", size) {
			size = math.Max(d.minFont, size*0.8)
		}
		if f.band >= textWidth("00", size) {
			for _, l := range labels {
				d.text(l.x, l.y, l.s, size, AnchorMiddle, false, colText)
			}
		}
	}
}

// ---- horizontal bars ----

func (d *drawer) drawHBar() {
	d.legendBottom(d.seriesEntries(false))
	n := d.nCat()
	ns := max(1, len(d.c.Series))
	lo, hi := d.dataRange(false)
	// tick labels along the bottom
	tickH := lineHeight(d.fTick) + em(d.fTick)*0.3
	y0, y1 := d.top+em(d.fTick)*0.3, d.bottom-tickH
	band := (y1 - y0) / float64(n)
	size := d.fLabel
	maxLines := 2
	if band < lineHeight(size)*2.1 {
		maxLines = 1
	}
	if band < em(size)*1.1 {
		size = math.Max(d.minFont, band/1.1/PtMM)
	}
	step := 1
	if em(size)*1.1 > band {
		step = max(1, int(math.Ceil(em(size)*1.1/band)))
	}
	maxLabelW := d.w * 0.32
	var labels [][]string
	lw := 0.0
	for i := range n {
		ls, _ := wrapText(d.catName(i), maxLabelW, size, maxLines)
		labels = append(labels, ls)
		for _, l := range ls {
			lw = math.Max(lw, textWidth(l, size))
		}
	}
	x0 := d.pad + lw + em(size)*0.6
	x1 := d.w - d.pad - em(d.fTick)
	ax := d.newAxis(lo, hi, x1-x0, d.c.ValueLabel)
	if d.c.ValueLabel {
		// room for the label after the longest bar
		vw := 0.0
		for s := range d.c.Series {
			for i := range n {
				if v, ok := d.value(s, i); ok {
					vw = math.Max(vw, textWidth(withUnit(formatValue(v), d.unitOnValues()), d.fValue))
				}
			}
		}
		x1 = math.Max(x0+10, d.w-d.pad-vw-1)
		if lo < 0 {
			x0 += vw + 1
		}
	}
	// keep the right-most tick label inside
	if len(ax.ticks) > 0 {
		last := textWidth(ax.label(ax.ticks[len(ax.ticks)-1], d.c.Unit), d.fTick) / 2
		x1 = math.Min(x1, d.w-d.pad-last)
	}
	zero := ax.at(0, x0, x1)
	for _, t := range ax.ticks {
		x := ax.at(t, x0, x1)
		d.line(x, y0, x, y1, colGrid, 0.15, false)
		d.text(x, y1+em(d.fTick)*1.15, ax.label(t, d.c.Unit), d.fTick, AnchorMiddle, false, colSub)
	}
	groupH := band * 0.72
	if ns == 1 {
		groupH = band * 0.6
	}
	barH := groupH / float64(ns)
	for i := range n {
		cy := y0 + band*(float64(i)+0.5)
		if i%step == 0 {
			ls := labels[i]
			lh := lineHeight(size)
			first := cy - float64(len(ls)-1)*lh/2 + em(size)*0.35
			if lo < 0 && d.c.ValueLabel {
				d.textLines(d.pad+lw, first, ls, size, AnchorEnd, false, colText)
			} else {
				d.textLines(x0-em(size)*0.5, first, ls, size, AnchorEnd, false, colText)
			}
		}
		gy := cy - groupH/2
		for s := range d.c.Series {
			v, ok := d.value(s, i)
			if !ok {
				continue
			}
			y := gy + barH*float64(s)
			xv := ax.at(v, x0, x1)
			d.rect(math.Min(xv, zero), y, math.Abs(xv-zero), barH, SeriesColor(s), colOutine, 0.1)
			if d.c.ValueLabel {
				txt := withUnit(formatValue(v), d.unitOnValues())
				vs := math.Min(d.fValue, barH*1.1/PtMM)
				if vs >= d.minFont {
					if v < 0 {
						d.text(xv-0.8, y+barH/2+em(vs)*0.35, txt, vs, AnchorEnd, false, colText)
					} else {
						d.text(xv+0.8, y+barH/2+em(vs)*0.35, txt, vs, AnchorStart, false, colText)
					}
				}
			}
		}
	}
	d.line(zero, y0, zero, y1, colAxis, 0.25, false)
}

// ---- radar ----

func (d *drawer) drawRadar() {
	d.legendBottom(d.seriesEntries(true))
	n := d.nCat()
	lo, hi := d.dataRange(false)
	areaW, areaH := d.w-2*d.pad, d.bottom-d.top
	size := d.fLabel
	maxLW := math.Max(areaW*0.22, em(size)*4)
	var labels [][]string
	lw := 0.0
	for i := range n {
		ls, _ := wrapText(d.catName(i), maxLW, size, 2)
		labels = append(labels, ls)
		for _, l := range ls {
			lw = math.Max(lw, textWidth(l, size))
		}
	}
	gap := em(size) * 0.6
	r := math.Min((areaW-2*(lw+gap))/2, (areaH-2*(lineHeight(size)*2+gap))/2)
	if r < 5 {
		r = math.Max(2, math.Min(areaW, areaH)/2*0.6)
	}
	cx, cy := d.w/2, d.top+areaH/2
	ax := d.newAxis(lo, hi, r*2, false)
	ang := func(k int) float64 { return -math.Pi/2 + 2*math.Pi*float64(k)/float64(n) }
	at := func(k int, v float64) Point {
		rr := ax.at(v, 0, r)
		return Point{cx + rr*math.Cos(ang(k)), cy + rr*math.Sin(ang(k))}
	}
	// grid
	for _, t := range ax.ticks {
		if t <= ax.lo {
			continue
		}
		var ring []Point
		for k := range n {
			ring = append(ring, at(k, t))
		}
		if n >= 3 {
			d.polygon(ring, "", colGrid, 0.15)
		}
	}
	for k := range n {
		p := at(k, ax.hi)
		d.line(cx, cy, p.X, p.Y, colGrid, 0.15, false)
	}
	// axis labels
	for k := range n {
		a := ang(k)
		px, py := cx+(r+gap)*math.Cos(a), cy+(r+gap)*math.Sin(a)
		anchor := AnchorMiddle
		switch c := math.Cos(a); {
		case c > 0.2:
			anchor = AnchorStart
		case c < -0.2:
			anchor = AnchorEnd
		}
		ls := labels[k]
		lh := lineHeight(size)
		var first float64
		switch s := math.Sin(a); {
		case s < -0.2:
			first = py - float64(len(ls)-1)*lh - em(size)*0.15
		case s > 0.2:
			first = py + em(size)*0.9
		default:
			first = py - float64(len(ls)-1)*lh/2 + em(size)*0.35
		}
		d.textLines(px, first, ls, size, anchor, false, colText)
	}
	// series
	sw := math.Max(0.3, em(d.fLabel)*0.2)
	mr := math.Max(0.5, em(d.fLabel)*0.3)
	for s := range d.c.Series {
		col := SeriesColor(s)
		var pts []Point
		complete := true
		for k := range n {
			v, ok := d.value(s, k)
			if !ok {
				complete = false
				continue
			}
			pts = append(pts, at(k, v))
		}
		if complete && n >= 3 {
			d.out = append(d.out, Shape{Kind: PolygonShape, Points: pts, Stroke: col, StrokeWidth: sw, Dash: SeriesDashed(s)})
		} else {
			d.polyline(pts, col, sw, SeriesDashed(s))
		}
		for k := range n {
			v, ok := d.value(s, k)
			if !ok {
				continue
			}
			p := at(k, v)
			d.marker(SeriesMarker(s), p.X, p.Y, mr, col)
			if d.c.ValueLabel {
				dir := 1.0
				if s%2 == 1 {
					dir = -1
				}
				d.text(p.X+dir*(mr+0.4)*math.Cos(ang(k)+0.5), p.Y+dir*(mr+0.4)*math.Sin(ang(k)+0.5)+em(d.fValue)*0.35,
					formatValue(v), d.fValue, AnchorMiddle, false, colText)
			}
		}
	}
	// the scale last, each figure on a white ground, so no series line
	// runs through it
	for _, t := range ax.ticks {
		if t <= ax.lo {
			continue
		}
		p := at(0, t)
		label, size := ax.label(t, d.c.Unit), d.fTick*0.85
		d.rect(p.X+0.3, p.Y+em(size)*0.05, textWidth(label, size)+0.6, em(size)*1.1, "FFFFFF", "", 0)
		d.text(p.X+0.6, p.Y+em(d.fTick)*0.9, label, size, AnchorStart, false, colSub)
	}
}

// ---- heatmap ----

func (d *drawer) drawHeatmap() {
	nc, nr := d.nCat(), len(d.c.Series)
	lo, hi := math.Inf(1), math.Inf(-1)
	for s := range nr {
		for i := range nc {
			if v, ok := d.value(s, i); ok {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	lo = math.Min(lo, 0)
	if d.c.Max > 0 && d.c.Max >= hi {
		hi = d.c.Max
	}
	if hi <= lo {
		hi = lo + 1
	}
	// colour key along the bottom
	keyH := em(d.fTick) * 1.2
	keyBase := d.bottom - em(d.fTick)*0.3
	keyW := math.Min(60, (d.w-2*d.pad)*0.5)
	kx := d.w/2 - keyW/2
	loS, hiS := withUnit(formatValue(lo), d.c.Unit), withUnit(formatValue(hi), d.c.Unit)
	kx = math.Max(kx, d.pad+textWidth(loS, d.fTick)+1)
	keyW = math.Min(keyW, d.w-d.pad-textWidth(hiS, d.fTick)-1-kx)
	if keyW > 5 {
		steps := 9
		for k := range steps {
			d.rect(kx+keyW*float64(k)/float64(steps), keyBase-keyH, keyW/float64(steps), keyH*0.9, heatColor(float64(k)/float64(steps-1)), "", 0)
		}
		d.rect(kx, keyBase-keyH, keyW, keyH*0.9, "", colAxis, 0.1)
		d.text(kx-0.8, keyBase-keyH*0.2, loS, d.fTick, AnchorEnd, false, colSub)
		d.text(kx+keyW+0.8, keyBase-keyH*0.2, hiS, d.fTick, AnchorStart, false, colSub)
		d.bottom = keyBase - keyH - em(d.fTick)*0.8
	}
	// row labels
	size := d.fLabel
	band := (d.bottom - d.top) / float64(max(1, nr))
	if band < em(size)*1.2 {
		size = math.Max(d.minFont, band/1.2/PtMM)
	}
	lw := 0.0
	var rl []string
	for s := range nr {
		t := fitWidth(d.c.Series[s].Name, d.w*0.3, size)
		rl = append(rl, t)
		lw = math.Max(lw, textWidth(t, size))
	}
	x0 := d.pad + lw + em(size)*0.5
	x1 := d.w - d.pad
	cw := (x1 - x0) / float64(nc)
	cl := d.layoutCats(nc, cw, (d.bottom-d.top)*0.3)
	y0, y1 := d.top, d.bottom-cl.height-0.5
	ch := (y1 - y0) / float64(max(1, nr))
	d.drawCats(cl, x0, cw, y1+0.5)
	for s := range nr {
		y := y0 + ch*float64(s)
		if em(size)*1.05 <= ch || s%int(math.Ceil(em(size)*1.05/ch)) == 0 {
			d.text(x0-em(size)*0.4, y+ch/2+em(size)*0.35, rl[s], size, AnchorEnd, false, colText)
		}
		for i := range nc {
			x := x0 + cw*float64(i)
			v, ok := d.value(s, i)
			fill := colEmpty
			if ok {
				fill = heatColor((v - lo) / (hi - lo))
			}
			d.rect(x, y, cw, ch, fill, "FFFFFF", math.Min(0.3, math.Min(cw, ch)*0.05))
			txt := "－"
			if ok {
				txt = formatValue(v)
			}
			vs := math.Min(d.fValue*1.1, ch*0.7/PtMM)
			if s2, fits := d.fitValueSize(txt, cw*0.9); fits {
				vs = math.Min(vs, math.Max(s2, d.minFont))
				if textWidth(txt, vs) > cw*0.9 {
					vs = s2
				}
			} else {
				continue
			}
			if vs >= d.minFont-1e-9 && em(vs) <= ch*0.9 {
				d.text(x+cw/2, y+ch/2+em(vs)*0.35, txt, vs, AnchorMiddle, false, textOn(fill))
			}
		}
	}
}

// ---- pie and donut ----

type slice struct {
	idx        int
	name       string
	v, a0, a1  float64
	pct        string
	inside     bool
	lines      []string
	labelAngle float64
}

func (d *drawer) drawPie(donut bool) {
	var sl []slice
	total := 0.0
	for i := range d.nCat() {
		if v, ok := d.value(0, i); ok && v > 0 {
			total += v
			name := d.catName(i)
			if name == "" {
				name = "項目" + formatNum(float64(i+1), 0)
			}
			sl = append(sl, slice{idx: i, name: name, v: v})
		}
	}
	var es []legendEntry
	for _, s := range sl {
		es = append(es, legendEntry{name: s.name, color: SeriesColor(s.idx), idx: s.idx})
	}
	right := d.w - d.pad
	if d.c.Legend && d.w >= (d.bottom-d.top)*1.25 {
		right = d.legendRight(es)
	} else {
		d.legendBottom(es)
	}
	size := d.fValue
	a := -math.Pi / 2
	outside := false
	for k := range sl {
		s := &sl[k]
		s.a0 = a
		a += s.v / total * 2 * math.Pi
		s.a1 = a
		s.labelAngle = (s.a0 + s.a1) / 2
		s.pct = formatNum(s.v/total*100, 1) + "%"
		s.lines = []string{s.pct}
		if !d.c.Legend {
			s.lines = []string{s.name, s.pct}
		}
		if d.c.ValueLabel {
			s.lines = append(s.lines, withUnit(formatValue(s.v), d.c.Unit))
		}
		s.inside = s.a1-s.a0 >= 0.55
		if !s.inside {
			outside = true
		}
	}
	left := d.pad
	areaW, areaH := right-left, d.bottom-d.top
	lh := lineHeight(size)
	outW := 0.0
	if outside {
		for _, s := range sl {
			if !s.inside {
				outW = math.Max(outW, textWidth(strings.Join(s.lines, " "), size))
			}
		}
		outW = math.Min(outW, areaW*0.3)
	}
	r := math.Min(areaW/2, areaH/2) - 0.5
	if outside {
		r = math.Min(areaW/2-outW-3, areaH/2-lh*1.2)
	}
	r = math.Max(r, math.Min(areaW, areaH)/4)
	ri := 0.0
	if donut {
		ri = r * 0.55
	}
	cx, cy := left+areaW/2, d.top+areaH/2
	// check inside labels fit; otherwise move them out
	for k := range sl {
		s := &sl[k]
		if !s.inside {
			continue
		}
		rm := r * 0.62
		if donut {
			rm = (r + ri) / 2
		}
		chord := 2 * rm * math.Sin(math.Min(math.Pi/2, (s.a1-s.a0)/2))
		tw := 0.0
		for _, l := range s.lines {
			tw = math.Max(tw, textWidth(l, size))
		}
		hgt := float64(len(s.lines)) * lh
		if tw > chord*0.95 || (donut && hgt > (r-ri)*0.95) || tw > rm*1.6 {
			s.inside = false
		}
	}
	for _, s := range sl {
		var pts []Point
		segs := max(2, int(math.Ceil((s.a1-s.a0)/(math.Pi/90))))
		for k := 0; k <= segs; k++ {
			t := s.a0 + (s.a1-s.a0)*float64(k)/float64(segs)
			pts = append(pts, Point{cx + r*math.Cos(t), cy + r*math.Sin(t)})
		}
		if donut {
			for k := segs; k >= 0; k-- {
				t := s.a0 + (s.a1-s.a0)*float64(k)/float64(segs)
				pts = append(pts, Point{cx + ri*math.Cos(t), cy + ri*math.Sin(t)})
			}
		} else if s.a1-s.a0 < 2*math.Pi-1e-9 {
			pts = append(pts, Point{cx, cy})
		}
		d.polygon(pts, SeriesColor(s.idx), "FFFFFF", math.Max(0.2, r*0.012))
	}
	// inside labels
	for _, s := range sl {
		if !s.inside {
			continue
		}
		rm := r * 0.62
		if donut {
			rm = (r + ri) / 2
		}
		if len(sl) == 1 && !donut {
			rm = 0
		}
		px, py := cx+rm*math.Cos(s.labelAngle), cy+rm*math.Sin(s.labelAngle)
		first := py - float64(len(s.lines)-1)*lh/2 + em(size)*0.35
		col := textOn(SeriesColor(s.idx))
		for i, l := range s.lines {
			d.text(px, first+float64(i)*lh, l, size, AnchorMiddle, i == 0 && d.c.Legend || i == 1 && !d.c.Legend, col)
		}
	}
	// outside labels, pushed apart per side
	type out struct {
		s     slice
		y     float64
		right bool
	}
	var outs []out
	for _, s := range sl {
		if s.inside {
			continue
		}
		outs = append(outs, out{s: s, y: cy + (r+2)*math.Sin(s.labelAngle), right: math.Cos(s.labelAngle) >= 0})
	}
	for _, side := range []bool{true, false} {
		var grp []*out
		for k := range outs {
			if outs[k].right == side {
				grp = append(grp, &outs[k])
			}
		}
		sort.Slice(grp, func(i, j int) bool { return grp[i].y < grp[j].y })
		minY, maxY := d.top+em(size), d.bottom-0.3
		for k, o := range grp {
			if k > 0 && o.y < grp[k-1].y+lh {
				o.y = grp[k-1].y + lh
			}
			o.y = math.Max(o.y, minY)
		}
		for k := len(grp) - 1; k >= 0; k-- {
			if grp[k].y > maxY {
				grp[k].y = maxY
			}
			if k < len(grp)-1 && grp[k].y > grp[k+1].y-lh {
				grp[k].y = grp[k+1].y - lh
			}
		}
		for _, o := range grp {
			ax, ay := cx+r*math.Cos(o.s.labelAngle), cy+r*math.Sin(o.s.labelAngle)
			ly := o.y - em(size)*0.35
			elbow := cx + (r+1.5)*math.Cos(o.s.labelAngle)
			// the label starts just past the elbow, but never over the
			// circle at its (possibly pushed) height
			dy := ly - cy
			clear := math.Sqrt(math.Max(0, (r+2)*(r+2)-dy*dy))
			tx, anchor := math.Max(elbow+2, cx+clear+1), AnchorStart
			ex := tx - 0.6
			if !side {
				tx, anchor = math.Min(elbow-2, cx-clear-1), AnchorEnd
				ex = tx + 0.6
			}
			d.polyline([]Point{{ax, ay}, {elbow, ly}, {ex, ly}}, colSub, 0.12, false)
			txt := fitWidth(strings.Join(o.s.lines, " "), math.Max(5, outW+0.5), size)
			d.text(tx, o.y, txt, size, anchor, false, colText)
		}
	}
	if donut && ri > em(d.fLabel)*2 {
		tot := withUnit(formatValue(total), d.c.Unit)
		ts := math.Min(d.fTitle, (ri*1.6)/math.Max(1, textWidth(tot, 1)))
		ts = math.Max(d.minFont, ts)
		d.text(cx, cy-em(d.fValue)*0.2, "合計", d.fValue, AnchorMiddle, false, colSub)
		d.text(cx, cy+em(ts)*0.95, fitWidth(tot, ri*1.7, ts), ts, AnchorMiddle, true, colText)
	}
}

// ---- final guard ----

// finish keeps every shape inside the box: text is slid in by its
// estimated extent, points and rectangles are clamped.
func (d *drawer) finish() {
	cl := func(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }
	for i := range d.out {
		s := &d.out[i]
		switch s.Kind {
		case TextShape:
			tw := textWidth(s.Text, s.Size)
			if tw > d.w {
				s.Text = fitWidth(s.Text, d.w, s.Size)
				tw = textWidth(s.Text, s.Size)
			}
			left := s.X
			switch s.Anchor {
			case AnchorMiddle:
				left -= tw / 2
			case AnchorEnd:
				left -= tw
			}
			if left < 0 {
				s.X -= left
			} else if left+tw > d.w {
				s.X -= left + tw - d.w
			}
			asc, desc := em(s.Size)*0.88, em(s.Size)*0.12
			s.Y = cl(s.Y, asc, d.h-desc)
		case RectShape:
			x0, y0 := cl(s.X, 0, d.w), cl(s.Y, 0, d.h)
			x1, y1 := cl(s.X+s.W, 0, d.w), cl(s.Y+s.H, 0, d.h)
			s.X, s.Y, s.W, s.H = x0, y0, x1-x0, y1-y0
		default:
			for k := range s.Points {
				s.Points[k].X = cl(s.Points[k].X, 0, d.w)
				s.Points[k].Y = cl(s.Points[k].Y, 0, d.h)
			}
		}
	}
}
