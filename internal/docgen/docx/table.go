package docx

import (
	"fmt"
	"strconv"
	"strings"

	"mamori/internal/docgen"
)

// gridWidths shares total twips among columns in proportion to their
// relative widths; the last column takes the rounding remainder.
func gridWidths(cols []docgen.Column, total int) []int {
	sum := 0.0
	for _, c := range cols {
		sum += colWeight(c)
	}
	out := make([]int, len(cols))
	used := 0
	for i, c := range cols {
		out[i] = int(float64(total) * colWeight(c) / sum)
		used += out[i]
	}
	if len(out) > 0 {
		out[len(out)-1] += total - used
	}
	return out
}

// colWeight is a column's relative width; unset widths count as 1.
func colWeight(c docgen.Column) float64 {
	if c.Width > 0 {
		return c.Width
	}
	return 1
}

// carry is a cell spanning down into later rows.
type carry struct {
	rows int // rows still covered below
	span int // columns it covers
	fill string
}

const tblBorders = `<w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:left w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:bottom w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:right w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:insideH w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="000000"/></w:tblBorders>`

func (r *renderer) table(t docgen.Table) {
	ncols := len(t.Columns)
	if ncols == 0 {
		for _, row := range t.Rows {
			n := 0
			for _, c := range row.Cells {
				n += max(1, c.ColSpan)
			}
			ncols = max(ncols, n)
		}
		t.Columns = make([]docgen.Column, ncols)
	}
	if ncols == 0 {
		return
	}
	r.caption(t.Caption, true)
	widths := gridWidths(t.Columns, r.width)
	size := 0
	if t.FontSize > 0 {
		size = int(t.FontSize*2 + 0.5)
	}
	b := r.b
	fmt.Fprintf(b, `<w:tbl><w:tblPr><w:tblW w:w="%d" w:type="dxa"/>%s<w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>`, r.width, tblBorders)
	for _, w := range widths {
		b.WriteString(`<w:gridCol w:w="` + strconv.Itoa(w) + `"/>`)
	}
	b.WriteString(`</w:tblGrid>`)
	carries := make([]carry, ncols)
	defer func() { r.cellTop = false }()
	for ri, row := range t.Rows {
		r.cellTop = t.TopAlign && ri >= t.HeaderRows
		// No row splits across pages (as in the PDF, a row that does not
		// fit moves to the next page); header rows repeat on every page.
		b.WriteString(`<w:tr><w:trPr><w:cantSplit/>`)
		if ri < t.HeaderRows {
			b.WriteString(`<w:tblHeader/>`)
		}
		b.WriteString(`</w:trPr>`)
		col, ci := 0, 0
		for col < ncols {
			if cr := carries[col]; cr.rows > 0 {
				carries[col].rows--
				r.cellStart(spanWidth(widths, col, cr.span), cr.span, "continue", cr.fill)
				b.WriteString(`<w:p><w:pPr><w:pStyle w:val="TableText"/></w:pPr></w:p></w:tc>`)
				col += cr.span
				continue
			}
			if ci >= len(row.Cells) {
				// A short row: pad with empty cells.
				r.cellStart(widths[col], 1, "", "")
				b.WriteString(`<w:p><w:pPr><w:pStyle w:val="TableText"/></w:pPr></w:p></w:tc>`)
				col++
				continue
			}
			c := row.Cells[ci]
			ci++
			span := clamp(c.ColSpan, 1, ncols-col)
			// A span must not run into a cell still covered from above.
			for k := 1; k < span; k++ {
				if carries[col+k].rows > 0 {
					span = k
					break
				}
			}
			vm := ""
			if c.RowSpan > 1 {
				vm = "restart"
				carries[col] = carry{rows: c.RowSpan - 1, span: span, fill: c.Fill}
			}
			r.cellStart(spanWidth(widths, col, span), span, vm, c.Fill)
			align := c.Align
			if align == docgen.AlignLeft && col < len(t.Columns) {
				align = t.Columns[col].Align
			}
			if len(c.Hang) > 0 {
				r.hangingCell(c, align, size)
				b.WriteString(`</w:tc>`)
				col += span
				continue
			}
			b.WriteString(`<w:p><w:pPr><w:pStyle w:val="TableText"/><w:jc w:val="` + jc(align) + `"/></w:pPr>`)
			r.runs(c.Runs, runOpts{bold: c.Bold, size: size})
			b.WriteString(`</w:p></w:tc>`)
			col += span
		}
		b.WriteString(`</w:tr>`)
	}
	b.WriteString(`</w:tbl>`)
	// Word needs a paragraph between adjacent tables and after a table
	// that ends a cell or section; a small gap also reads better.
	b.WriteString(`<w:p><w:pPr><w:pStyle w:val="Body"/><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr></w:p>`)
}

func spanWidth(widths []int, col, span int) int {
	w := 0
	for k := col; k < col+span && k < len(widths); k++ {
		w += widths[k]
	}
	return w
}

func (r *renderer) cellStart(width, span int, vmerge, fill string) {
	b := r.b
	b.WriteString(`<w:tc><w:tcPr><w:tcW w:w="` + strconv.Itoa(width) + `" w:type="dxa"/>`)
	if span > 1 {
		b.WriteString(`<w:gridSpan w:val="` + strconv.Itoa(span) + `"/>`)
	}
	switch vmerge {
	case "restart":
		b.WriteString(`<w:vMerge w:val="restart"/>`)
	case "continue":
		b.WriteString(`<w:vMerge/>`)
	}
	if f := cleanColor(fill); f != "" {
		b.WriteString(`<w:shd w:val="clear" w:color="auto" w:fill="` + f + `"/>`)
	}
	if r.cellTop {
		b.WriteString(`<w:vAlign w:val="top"/></w:tcPr>`)
	} else {
		b.WriteString(`<w:vAlign w:val="center"/></w:tcPr>`)
	}
}

// chartTable writes a chart's data as a table labelled 「グラフのデータ」
// under the chart's caption: the fallback when the chart cannot be drawn
// as a picture (a binary built without fonts).
func (r *renderer) chartTable(c docgen.Chart) {
	ch := c.Chart
	title := c.Caption
	if title == "" {
		title = ch.Title
	}
	t := docgen.Table{Caption: strings.TrimSpace(title + "（グラフのデータ）"), HeaderRows: 1}
	unit := ""
	if ch.Unit != "" {
		unit = "（" + ch.Unit + "）"
	}
	head := docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("区分")}, Bold: true, Fill: "EDEDED", Align: docgen.AlignCenter}}}
	t.Columns = []docgen.Column{{Width: 2}}
	for _, s := range ch.Series {
		head.Cells = append(head.Cells, docgen.Cell{Runs: []docgen.Run{docgen.T(s.Name + unit)}, Bold: true, Fill: "EDEDED", Align: docgen.AlignCenter})
		t.Columns = append(t.Columns, docgen.Column{Width: 1, Align: docgen.AlignRight})
	}
	t.Rows = append(t.Rows, head)
	for i, cat := range ch.Categories {
		row := docgen.Row{Cells: []docgen.Cell{docgen.C(cat)}}
		for _, s := range ch.Series {
			v := ""
			if i < len(s.Values) {
				v = strconv.FormatFloat(s.Values[i], 'f', -1, 64)
			}
			row.Cells = append(row.Cells, docgen.C(v))
		}
		t.Rows = append(t.Rows, row)
	}
	if len(ch.Series) == 0 || len(ch.Categories) == 0 {
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C("（データなし）")}})
	}
	// Keep the data table narrow: 2 units for the label, 1 per series,
	// on a text-width grid that is at most 60 % used.
	saved := r.width
	r.width = min(saved, (saved*len(t.Columns))/6+saved/6)
	r.table(t)
	r.width = saved
}

// approval writes the 決裁欄: a right-aligned bordered table with a row of
// titles and a row of empty stamp boxes 20 mm tall.
func (r *renderer) approval(a docgen.ApprovalBox) {
	if len(a.Titles) == 0 {
		return
	}
	const boxW = 1134 // 20 mm
	b := r.b
	fmt.Fprintf(b, `<w:tbl><w:tblPr><w:tblW w:w="%d" w:type="dxa"/><w:jc w:val="right"/>%s<w:tblLayout w:type="fixed"/><w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="1" w:noVBand="1"/></w:tblPr><w:tblGrid>`, boxW*len(a.Titles), tblBorders)
	for range a.Titles {
		fmt.Fprintf(b, `<w:gridCol w:w="%d"/>`, boxW)
	}
	b.WriteString(`</w:tblGrid><w:tr><w:trPr><w:cantSplit/></w:trPr>`)
	for _, t := range a.Titles {
		r.cellStart(boxW, 1, "", "")
		b.WriteString(`<w:p><w:pPr><w:pStyle w:val="TableText"/><w:jc w:val="center"/></w:pPr>`)
		r.textRun(t, "")
		b.WriteString(`</w:p></w:tc>`)
	}
	fmt.Fprintf(b, `</w:tr><w:tr><w:trPr><w:cantSplit/><w:trHeight w:val="%d" w:hRule="exact"/></w:trPr>`, boxW)
	for range a.Titles {
		r.cellStart(boxW, 1, "", "")
		b.WriteString(`<w:p><w:pPr><w:pStyle w:val="TableText"/></w:pPr></w:p></w:tc>`)
	}
	b.WriteString(`</w:tr></w:tbl><w:p><w:pPr><w:pStyle w:val="Body"/></w:pPr></w:p>`)
}

// hangingCell writes a cell with hanging indents (docgen.Cell.Hang): one
// paragraph per line, each hanging by the width of its first Hang[k]
// characters (full-width ones an em, the others half). size is the
// table's in half-points (0: the TableText style's 9 pt).
func (r *renderer) hangingCell(c docgen.Cell, align docgen.Align, size int) {
	if size == 0 {
		size = 18
	}
	var lines [][]docgen.Run
	cur := []docgen.Run{}
	for _, run := range c.Runs {
		parts := strings.Split(run.Text, "\n")
		for i, p := range parts {
			if i > 0 {
				lines = append(lines, cur)
				cur = []docgen.Run{}
			}
			if p != "" {
				q := run
				q.Text = p
				cur = append(cur, q)
			}
		}
	}
	lines = append(lines, cur)
	b := r.b
	for k, line := range lines {
		ind := ""
		if k < len(c.Hang) && c.Hang[k] > 0 {
			var text strings.Builder
			for _, run := range line {
				text.WriteString(run.Text)
			}
			em := 0
			n := 0
			for _, ch := range text.String() {
				if n == c.Hang[k] {
					break
				}
				if ch < 0x80 || (ch >= 0xFF61 && ch <= 0xFF9F) {
					em++
				} else {
					em += 2
				}
				n++
			}
			tw := em * size * 10 / 2 // half-ems × (size/2 pt × 20 twips) / 2
			ind = fmt.Sprintf(`<w:ind w:left="%d" w:hanging="%d"/>`, tw, tw)
		}
		b.WriteString(`<w:p><w:pPr><w:pStyle w:val="TableText"/>` + ind + `<w:jc w:val="` + jc(align) + `"/></w:pPr>`)
		r.runs(line, runOpts{bold: c.Bold, size: size})
		b.WriteString(`</w:p>`)
	}
}
