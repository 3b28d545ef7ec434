package pdf

import (
	"math"
	"regexp"
	"strings"
	"unicode/utf8"

	"mamori/internal/docgen"
)

// tcell is a table cell placed on the grid, with its broken lines.
type tcell struct {
	c        *docgen.Cell
	row, col int
	rs, cs   int
	x, w     float64
	rt       rich
	lines    []span
	align    docgen.Align
	fill     rgb
	indent   []float64 // per line: set in by (hanging indents), or nil
	done     int       // lines already printed (a row split across pages)
	top      bool      // align to the top instead of centring
}

// table lays out a table: columns fill the text width in proportion,
// header rows repeat on every page, merged cells span the grid, rows move
// whole to the next page, and only a row taller than a page is split
// between lines.
func (l *layouter) table(t docgen.Table) {
	ncol := len(t.Columns)
	if ncol == 0 || len(t.Rows) == 0 {
		return
	}
	size := t.FontSize
	if size <= 0 {
		size = tablePt
	}
	lh := size * tableLH
	if t.LineHeight >= 1 {
		lh = size * min(t.LineHeight, 3)
	}
	tw := l.textWidth()
	total := 0.0
	for _, c := range t.Columns {
		total += max(c.Width, 0)
	}
	ws := make([]float64, ncol)
	for i, c := range t.Columns {
		ws[i] = tw / float64(ncol)
		if total > 0 {
			ws[i] = tw * max(c.Width, 0) / total
		}
	}
	fitMinimums(ws, l.columnMinimums(t, size))
	xs := make([]float64, ncol+1)
	xs[0] = l.g.left
	for i, w := range ws {
		xs[i+1] = xs[i] + w
	}

	// Place cells on the grid, skipping positions covered by spans.
	nrow := len(t.Rows)
	grid := make([][]*tcell, nrow)
	for i := range grid {
		grid[i] = make([]*tcell, ncol)
	}
	var cells []*tcell
	for ri := range t.Rows {
		col := 0
		for ci := range t.Rows[ri].Cells {
			for col < ncol && grid[ri][col] != nil {
				col++
			}
			if col >= ncol {
				break
			}
			c := &t.Rows[ri].Cells[ci]
			cs, rs := max(c.ColSpan, 1), max(c.RowSpan, 1)
			cs, rs = min(cs, ncol-col), min(rs, nrow-ri)
			tc := &tcell{c: c, row: ri, col: col, rs: rs, cs: cs, x: xs[col], w: xs[col+cs] - xs[col], fill: hexColor(c.Fill)}
			tc.align = c.Align
			tc.top = t.TopAlign && ri >= t.HeaderRows
			if tc.align == docgen.AlignLeft && c.Align == docgen.AlignLeft {
				tc.align = t.Columns[col].Align
			}
			tc.rt = l.newRich(c.Runs, gothic, size, c.Bold, black)
			avail := tc.w - 2*cellPadX
			if len(c.Hang) > 0 {
				tc.lines, tc.indent = tc.rt.hangLines(avail, c.Hang)
			} else {
				tc.lines = tc.rt.lines(avail, avail)
			}
			for r := ri; r < ri+rs; r++ {
				for k := col; k < col+cs; k++ {
					grid[r][k] = tc
				}
			}
			cells = append(cells, tc)
			col += cs
		}
	}

	// Row heights: tallest single-row cell; spanning cells stretch their last row.
	rowH := make([]float64, nrow)
	for i := range rowH {
		rowH[i] = lh + 2*cellPadY
	}
	for _, c := range cells {
		if c.rs == 1 {
			rowH[c.row] = max(rowH[c.row], c.height(lh))
		}
	}
	groupEnd := make([]int, nrow) // last row bound to row i by spans
	for i := range groupEnd {
		groupEnd[i] = i
	}
	for _, c := range cells {
		if c.rs > 1 {
			sum := 0.0
			for r := c.row; r < c.row+c.rs; r++ {
				sum += rowH[r]
			}
			if need := c.height(lh); need > sum {
				rowH[c.row+c.rs-1] += need - sum
			}
			groupEnd[c.row] = max(groupEnd[c.row], c.row+c.rs-1)
		}
	}

	// groupTo is the last row that prints with row r on one page: the
	// rows spans bind to it and, after a row across the whole table (a
	// sub-heading), the row under it.
	groupTo := func(r int) int {
		end := r
		for k := r; k <= end; k++ {
			end = max(end, groupEnd[k])
			if k == end && end+1 < nrow && spansAll(grid[k]) {
				end++
			}
		}
		return end
	}

	hr := min(max(t.HeaderRows, 0), nrow)
	headerH := 0.0
	for r := 0; r < hr; r++ {
		headerH += rowH[r]
	}
	repeat := hr
	if _, _, g := geometryOf(l.landscp); headerH > (g.bottom-g.top)/2 {
		repeat = 0 // a header that big is printed once, not on every page
	}
	drawHeader := func() {
		if repeat > 0 {
			l.fragment(grid, 0, hr-1, rowH[:hr], lh, true)
			l.y += headerH
		}
	}
	newPage := func() {
		l.newPage(bodyPage)
		drawHeader()
	}

	// Caption above the table, kept with the header and the first row.
	l.space(2 * mm)
	// The first row (with the rows spanned with it) starts on the header's
	// page: whole when it fits on a page, else at least four lines of it —
	// never a header alone at the foot of a page.
	first := 0.0
	if hr < nrow {
		end := groupTo(hr)
		for k := hr; k <= end; k++ {
			first += rowH[k]
		}
		if first > l.g.bottom-l.g.top-headerH {
			first = min(rowH[hr], 4*lh)
		}
	}
	l.ensure(captionHeight(t.Caption) + headerH + first)
	if t.Caption != "" {
		l.y = l.caption(t.Caption, l.y) + 1*mm
	}
	if repeat == 0 && hr > 0 {
		for r := 0; r < hr; r++ {
			l.ensure(rowH[r])
			l.fragment(grid, r, r, rowH[r:r+1], lh, true)
			l.y += rowH[r]
		}
		headerH = 0
	}
	drawHeader()
	fresh := func() float64 { return l.g.bottom - l.g.top - headerH }

	for r := hr; r < nrow; {
		end := groupTo(r)
		gh := 0.0
		for k := r; k <= end; k++ {
			gh += rowH[k]
		}
		if l.y+gh > l.g.bottom+0.01 && gh <= fresh()+0.01 {
			newPage()
		}
		if l.y+gh <= l.g.bottom+0.01 {
			l.fragment(grid, r, end, rowH[r:end+1], lh, false)
			l.y += gh
			r = end + 1
			continue
		}
		// The group is taller than a page: print row by row, splitting
		// rows between lines where needed.
		for k := r; k <= end; k++ {
			for {
				need := l.remaining(grid, k, lh, rowH[k])
				if l.y+need <= l.g.bottom+0.01 {
					l.fragment(grid, k, k, []float64{need}, lh, false)
					l.y += need
					break
				}
				if need <= fresh()+0.01 && l.y > l.g.top+headerH+0.01 {
					newPage()
					continue
				}
				room := l.g.bottom - l.y
				if room < lh+2*cellPadY && l.y > l.g.top+headerH+0.01 {
					newPage()
					continue
				}
				l.fragment(grid, k, k, []float64{room}, lh, false)
				newPage()
			}
		}
		r = end + 1
	}
	l.y += 4 * mm
}

// spansAll reports whether a grid row is one cell across the whole
// table (a sub-heading row), which never ends a page.
func spansAll(row []*tcell) bool {
	return len(row) > 1 && row[0] != nil && row[0].rs == 1 && row[0].cs == len(row)
}

func (c *tcell) height(lh float64) float64 {
	return float64(max(len(c.lines), 1))*lh + 2*cellPadY
}

// remaining is the height row k still needs (less once part of it was printed).
func (l *layouter) remaining(grid [][]*tcell, k int, lh, full float64) float64 {
	split := false
	need := lh + 2*cellPadY
	for _, c := range grid[k] {
		if c == nil || c.row != k || c.rs != 1 {
			continue
		}
		if c.done > 0 {
			split = true
		}
		need = max(need, float64(max(len(c.lines)-c.done, 0))*lh+2*cellPadY)
	}
	if !split {
		return full
	}
	return need
}

// fragment draws rows a..b of the grid at l.y with the given heights:
// fills, text (from each cell's next unprinted line), then borders.
// Header rows are drawn fresh each time.
func (l *layouter) fragment(grid [][]*tcell, a, b int, heights []float64, lh float64, header bool) {
	p := l.cur
	ys := make([]float64, len(heights)+1)
	ys[0] = l.y
	for i, h := range heights {
		ys[i+1] = ys[i] + h
	}
	seen := map[*tcell]bool{}
	var list []*tcell
	for r := a; r <= b; r++ {
		for _, c := range grid[r] {
			if c != nil && !seen[c] {
				seen[c] = true
				list = append(list, c)
			}
		}
	}
	for _, c := range list {
		top := ys[max(c.row, a)-a]
		bot := ys[min(c.row+c.rs-1, b)-a+1]
		if c.fill.ok {
			p.rect(c.x, top, c.w, bot-top, 0, rgb{}, c.fill)
		}
		from := c.done
		if header {
			from = 0
		}
		capacity := int(math.Floor((bot - top - 2*cellPadY + 0.01) / lh))
		n := min(capacity, len(c.lines)-from)
		if n < 0 {
			n = 0
		}
		// Centre vertically when the rest of the cell fits here.
		y := top + cellPadY
		if from+n == len(c.lines) && !c.top {
			y = top + (bot-top-float64(n)*lh)/2
		}
		for i := from; i < from+n; i++ {
			in := 0.0
			if i < len(c.indent) {
				in = c.indent[i]
			}
			l.drawLine(p, c.rt, c.lines[i], c.x+cellPadX+in, y+lh/2+c.rt.spanSize()*0.36, c.w-2*cellPadX-in, c.align, false)
			y += lh
		}
		if !header {
			c.done = from + n
		}
	}
	for _, c := range list {
		top := ys[max(c.row, a)-a]
		bot := ys[min(c.row+c.rs-1, b)-a+1]
		p.rect(c.x, top, c.w, bot-top, 0.5, rule, rgb{})
	}
	if header {
		// A heavier rule under the header rows.
		p.line(l.g.left, ys[len(ys)-1], l.g.right, ys[len(ys)-1], 1.0, rule)
	}
}

// spanSize is the font size of the text (the first run's).
func (rt rich) spanSize() float64 {
	if len(rt.spans) == 0 {
		return tablePt
	}
	return rt.spans[0].st.size
}

// columnMinimums is, for each column, the width its cells need so that
// nothing that must stay whole wraps: the widest number or latin word
// (No 128, 2,048, ISMAP), a short header label (リスク), a date or time
// that is a cell's whole text (令和8年11月19日, 13:30〜15:30).
func (l *layouter) columnMinimums(t docgen.Table, size float64) []float64 {
	mins := make([]float64, len(t.Columns))
	for ri, row := range t.Rows {
		col := 0
		for _, c := range row.Cells {
			if col >= len(mins) {
				break
			}
			cs := max(c.ColSpan, 1)
			if cs == 1 {
				f := gothic
				if c.Bold || ri < t.HeaderRows {
					f = gothicBold
				}
				var text strings.Builder
				for _, r := range c.Runs {
					text.WriteString(r.Text)
				}
				for _, line := range strings.Split(text.String(), "\n") {
					for _, piece := range wholePieces(strings.TrimSpace(line), ri < t.HeaderRows) {
						mins[col] = max(mins[col], l.width(f, piece, size)+2*cellPadX+0.5)
					}
				}
			}
			col += cs
		}
	}
	return mins
}

var (
	wordPiece = regexp.MustCompile(`[0-9A-Za-z][0-9A-Za-z,.:/%\-]*`)
	datePiece = regexp.MustCompile(`^(令和|平成|昭和)?[0-9元]+年([0-9]+月)?([0-9]+日)?$|^[0-9]+月[0-9]+日$|^[0-9]{1,2}:[0-9]{2}([〜～-][0-9]{1,2}:[0-9]{2})?$`)
)

// wholePieces are the parts of a line of a cell that must not be broken.
func wholePieces(line string, header bool) []string {
	n := utf8.RuneCountInString(line)
	if (header && n <= 5) || (n <= 12 && datePiece.MatchString(line)) {
		return []string{line}
	}
	return wordPiece.FindAllString(line, -1)
}

// fitMinimums widens the columns narrower than their minimum, taking the
// width from the others in proportion to what they have beyond their own
// minimum; when the minimums together exceed the table, it leaves the
// widths alone (the breaker then cuts what it must).
func fitMinimums(ws, mins []float64) {
	need, slack := 0.0, 0.0
	for i := range ws {
		if ws[i] < mins[i] {
			need += mins[i] - ws[i]
		} else {
			slack += ws[i] - mins[i]
		}
	}
	if need <= 0 || slack < need {
		return
	}
	for i := range ws {
		if ws[i] < mins[i] {
			ws[i] = mins[i]
		} else {
			ws[i] -= (ws[i] - mins[i]) * need / slack
		}
	}
}

// hangLines breaks a cell's text line by line ("\n"), the lines that
// line k wraps into set in by the width of its first hang[k] characters
// (at most half the width); indent is each broken line's.
func (rt rich) hangLines(avail float64, hang []int) (lines []span, indent []float64) {
	start := 0
	for k := 0; ; k++ {
		end := strings.IndexByte(rt.text[start:], '\n')
		if end < 0 {
			end = len(rt.text)
		} else {
			end += start
		}
		hw := 0.0
		if k < len(hang) && hang[k] > 0 {
			n := 0
			for i := range rt.text[start:end] {
				if n == hang[k] {
					break
				}
				hw += rt.adv[start+i]
				n++
			}
			hw = min(hw, avail/2)
		}
		off := start
		ls := breakText(rt.text[start:end], func(i int) float64 { return rt.adv[off+i] }, func(n int) float64 {
			if n == 0 {
				return avail
			}
			return avail - hw
		})
		for j, s := range ls {
			lines = append(lines, span{s.start + off, s.end + off})
			if j == 0 {
				indent = append(indent, 0)
			} else {
				indent = append(indent, hw)
			}
		}
		if end >= len(rt.text) {
			break
		}
		start = end + 1
	}
	rt.checkSplits(lines)
	return lines, indent
}
