// Package xlsx renders a docgen.Document as an Excel workbook: one sheet
// per section, tables as styled grids (merged spans, frozen and repeated
// header rows, auto filter, list validations, 和暦 dates), headings and
// paragraphs as text rows, charts as their data plus a native Excel chart,
// and A4 print settings that fit each sheet to the page width.
package xlsx

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"mamori/internal/docgen"
	"mamori/internal/docgen/chart"
	"mamori/internal/jp"
)

// Options adds spreadsheet-only behaviour that the document model does
// not describe: input lists for checklist columns and date columns.
type Options struct {
	// Validations put a drop-down list on the body cells of table columns
	// (e.g. the judgement column of a checklist: 〇/△/×/該当なし).
	Validations []Validation
	// DateColumns mark table columns whose cells hold dates: cells that
	// jp.ParseDate understands are written as real dates shown in 和暦
	// (令和8年4月1日); others stay text.
	DateColumns []DateColumn
}

// Validation is a list validation on one table column.
type Validation struct {
	Column int      // 0-based column of the table
	Values []string // the choices, in order
	// Caption limits the validation to tables with this caption; "" means
	// every table that has the column.
	Caption string
}

// DateColumn marks one table column as dates.
type DateColumn struct {
	Column  int    // 0-based column of the table
	Caption string // tables with this caption; "" means every table
}

// WarekiFormat is the number format that shows a date in 和暦 with 元年.
const WarekiFormat = `[$-ja-JP-x-gannen]ggge"年"m"月"d"日"`

// Render writes d as an XLSX workbook to w.
func Render(w io.Writer, d *docgen.Document) error {
	return RenderWithOptions(w, d, Options{})
}

// RenderWithOptions writes d as an XLSX workbook to w with the
// spreadsheet-only options opt.
func RenderWithOptions(w io.Writer, d *docgen.Document, opt Options) error {
	if err := docgen.Validate(d); err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	r := &renderer{f: f, d: d, opt: opt, styles: map[styleKey]int{}, names: map[string]bool{}}
	if err := r.render(); err != nil {
		return fmt.Errorf("xlsx render: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("xlsx write: %w", err)
	}
	return nil
}

// Layout constants.
const (
	fontName     = "BIZ UDPゴシック"
	fontSize     = 10.0
	lineHeightPt = 13.5 // one line of fontSize text, with leading
	maxColWidth  = 60.0
	minColWidth  = 4.0
	defaultFill  = "DDE6F0"
	chartRows    = 16 // rows an embedded chart covers
)

type renderer struct {
	f      *excelize.File
	d      *docgen.Document
	opt    Options
	styles map[styleKey]int
	names  map[string]bool
	num    docgen.Numberer
	tables int
}

// sheet is the state of the sheet being written.
type sheet struct {
	name   string
	row    int // next free row (1-based)
	cols   int // columns used by text rows (merged across)
	widths []float64
	// the table whose header repeats on printed pages and carries the
	// auto filter: the one with most rows
	best                  *placed
	freezeRow, freezeDone int
	charts                int
}

// placed is where a table landed.
type placed struct {
	first, headerEnd, last, cols int
	rows                         int
}

func (r *renderer) render() error {
	m := r.d.Meta
	props := &excelize.DocProperties{Title: m.Title, Subject: m.Subtitle, Creator: m.Author, LastModifiedBy: m.Author,
		Description: strings.TrimSpace(m.Ward + " " + m.Classification), Version: m.Version, Language: "ja-JP", Category: m.Classification}
	if !m.Date.IsZero() {
		props.Created = m.Date.UTC().Format(time.RFC3339)
		props.Modified = props.Created
	}
	if err := r.f.SetDocProps(props); err != nil {
		return fmt.Errorf("doc props: %w", err)
	}
	secs := r.d.Sections
	if len(secs) == 0 {
		secs = []docgen.Section{{}}
	}
	for i, sec := range secs {
		name := r.sheetName(sec.Tab, i)
		if i == 0 {
			if err := r.f.SetSheetName("Sheet1", name); err != nil {
				return fmt.Errorf("sheet name %q: %w", name, err)
			}
		} else if _, err := r.f.NewSheet(name); err != nil {
			return fmt.Errorf("new sheet %q: %w", name, err)
		}
		if err := r.section(name, sec, i == 0); err != nil {
			return fmt.Errorf("sheet %q: %w", name, err)
		}
	}
	r.f.SetActiveSheet(0)
	return nil
}

var illegalSheetChars = strings.NewReplacer("[", "（", "]", "）", ":", "：", "*", "＊", "?", "？", "/", "／", `\`, "＼")

// sheetName makes a legal, unique sheet name (≤31 characters, none of
// []:*?/\, not starting or ending with ') from a section's tab.
func (r *renderer) sheetName(tab string, i int) string {
	name := strings.Trim(illegalSheetChars.Replace(strings.TrimSpace(tab)), "'")
	name = strings.Map(func(c rune) rune {
		if c < 0x20 || c == 0x7f {
			return -1
		}
		return c
	}, name)
	if name == "" || strings.EqualFold(name, "History") {
		name = fmt.Sprintf("シート%d", i+1)
	}
	base := truncRunes(name, 31)
	name = base
	for k := 2; r.names[strings.ToLower(name)]; k++ {
		suffix := fmt.Sprintf("(%d)", k)
		name = truncRunes(base, 31-utf8.RuneCountInString(suffix)) + suffix
	}
	r.names[strings.ToLower(name)] = true
	return name
}

func truncRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func (r *renderer) section(name string, sec docgen.Section, first bool) error {
	s := &sheet{name: name, row: 1}
	s.cols, s.widths = r.columnPlan(sec)
	if first {
		if err := r.metaRows(s); err != nil {
			return err
		}
	}
	for _, b := range sec.Blocks {
		var err error
		switch b := docgen.Value(b).(type) {
		case docgen.Heading:
			err = r.heading(s, b)
		case docgen.Paragraph:
			err = r.paragraph(s, b)
		case docgen.List:
			err = r.list(s, b)
		case docgen.Table:
			err = r.table(s, b)
		case docgen.Chart:
			err = r.chart(s, b)
		case docgen.Image:
			err = r.image(s, b)
		case docgen.PageBreak:
			if s.row > 1 {
				err = r.f.InsertPageBreak(s.name, cell(1, s.row))
			}
		case docgen.ApprovalBox:
			err = r.approval(s, b)
		}
		if err != nil {
			return err
		}
	}
	for c, wd := range s.widths {
		col, _ := excelize.ColumnNumberToName(c + 1)
		if err := r.f.SetColWidth(s.name, col, col, wd); err != nil {
			return err
		}
	}
	return r.pageSetup(s, sec)
}

// columnPlan picks the sheet's column count and widths from its tables:
// each column as wide as its longest line of text (full-width characters
// count two), capped at maxColWidth so long text wraps.
func (r *renderer) columnPlan(sec docgen.Section) (int, []float64) {
	n := 0
	for _, b := range sec.Blocks {
		if t, ok := b.(docgen.Table); ok {
			n = max(n, tableCols(t))
		}
	}
	if n == 0 {
		return 8, fill(8, 10)
	}
	widths := fill(n, minColWidth)
	for _, b := range sec.Blocks {
		t, ok := b.(docgen.Table)
		if !ok {
			continue
		}
		layout(t, func(ri, ci int, c docgen.Cell) {
			if c.ColSpan > 1 {
				return
			}
			w := 0
			for _, line := range strings.Split(cellText(c), "\n") {
				w = max(w, jp.DisplayWidth(line))
			}
			widths[ci] = math.Max(widths[ci], math.Min(maxColWidth, float64(w)+2))
		})
	}
	// a sheet narrower than a page looks cramped for the text rows
	total := 0.0
	for _, w := range widths {
		total += w
	}
	if total < 60 {
		for i := range widths {
			widths[i] *= 60 / total
		}
	}
	return n, widths
}

func fill(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// tableCols is the width of a table's grid.
func tableCols(t docgen.Table) int {
	n := len(t.Columns)
	layout(t, func(_, ci int, c docgen.Cell) { n = max(n, ci+max(1, c.ColSpan)) })
	return n
}

// layout walks a table's cells with their grid positions, skipping the
// positions covered by spans from the left or above.
func layout(t docgen.Table, fn func(ri, ci int, c docgen.Cell)) {
	covered := map[[2]int]bool{}
	for ri, row := range t.Rows {
		ci := 0
		for _, c := range row.Cells {
			for covered[[2]int{ri, ci}] {
				ci++
			}
			fn(ri, ci, c)
			cs, rs := max(1, c.ColSpan), max(1, c.RowSpan)
			if cs > 1 || rs > 1 {
				for dr := range rs {
					for dc := range cs {
						covered[[2]int{ri + dr, ci + dc}] = true
					}
				}
			}
			ci += cs
		}
	}
}

// ---- styles ----

type styleKey struct {
	bold, italic, border, wrap, date bool
	size                             float64
	fill, color                      string
	align                            docgen.Align
	indent                           int
	vcenter                          bool
}

func (r *renderer) style(k styleKey) (int, error) {
	if id, ok := r.styles[k]; ok {
		return id, nil
	}
	size := k.size
	if size == 0 {
		size = fontSize
	}
	st := &excelize.Style{Font: &excelize.Font{Family: fontName, Size: size, Bold: k.bold, Color: k.color},
		Alignment: &excelize.Alignment{WrapText: k.wrap, Vertical: "top", Indent: k.indent}}
	if k.vcenter {
		st.Alignment.Vertical = "center"
	}
	switch k.align {
	case docgen.AlignCenter:
		st.Alignment.Horizontal = "center"
	case docgen.AlignRight:
		st.Alignment.Horizontal = "right"
	case docgen.AlignJustify:
		st.Alignment.Horizontal = "justify"
	default:
		st.Alignment.Horizontal = "left"
	}
	if k.fill != "" {
		st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{k.fill}}
	}
	if k.border {
		st.Border = []excelize.Border{{Type: "left", Color: "808080", Style: 1}, {Type: "right", Color: "808080", Style: 1},
			{Type: "top", Color: "808080", Style: 1}, {Type: "bottom", Color: "808080", Style: 1}}
	}
	if k.date {
		f := WarekiFormat
		st.CustomNumFmt = &f
	}
	id, err := r.f.NewStyle(st)
	if err != nil {
		return 0, fmt.Errorf("style: %w", err)
	}
	r.styles[k] = id
	return id, nil
}

// ---- text rows ----

func runsText(runs []docgen.Run) string {
	var b strings.Builder
	for _, r := range runs {
		b.WriteString(r.Text)
	}
	return b.String()
}

func cellText(c docgen.Cell) string { return runsText(c.Runs) }

// plain reports whether runs carry no styling beyond what the cell has.
func plain(runs []docgen.Run) bool {
	for _, r := range runs {
		if r.Bold || r.Underline || r.DoubleUnderline || r.Strike || r.DoubleStrike || r.Color != "" || r.Change != docgen.NoChange {
			return false
		}
	}
	return true
}

// richRuns turns model runs into Excel rich text: insertions underlined,
// deletions struck through (見え消し), colours and emphasis kept.
func richRuns(runs []docgen.Run, size float64, bold bool) []excelize.RichTextRun {
	out := make([]excelize.RichTextRun, 0, len(runs))
	for _, r := range runs {
		f := &excelize.Font{Family: fontName, Size: size, Bold: bold || r.Bold, Color: r.Color}
		switch {
		case r.DoubleUnderline:
			f.Underline = "double"
		case r.Underline:
			f.Underline = "single"
		}
		f.Strike = r.Strike || r.DoubleStrike
		switch r.Change {
		case docgen.Inserted:
			f.Underline = "single"
			if f.Color == "" {
				f.Color = "C00000"
			}
		case docgen.Deleted:
			f.Strike = true
			if f.Color == "" {
				f.Color = "C00000"
			}
		}
		out = append(out, excelize.RichTextRun{Text: r.Text, Font: f})
	}
	return out
}

// textRow writes one row of running text merged across the sheet width,
// with a row height that fits the wrapped text.
func (r *renderer) textRow(s *sheet, runs []docgen.Run, k styleKey) error {
	k.wrap = true
	id, err := r.style(k)
	if err != nil {
		return err
	}
	ref := cell(1, s.row)
	text := runsText(runs)
	if plain(runs) {
		err = r.f.SetCellStr(s.name, ref, text)
	} else {
		size := k.size
		if size == 0 {
			size = fontSize
		}
		err = r.f.SetCellRichText(s.name, ref, richRuns(runs, size, k.bold))
	}
	if err != nil {
		return err
	}
	if s.cols > 1 {
		if err := r.f.MergeCell(s.name, ref, cell(s.cols, s.row)); err != nil {
			return err
		}
	}
	if err := r.f.SetCellStyle(s.name, ref, cell(s.cols, s.row), id); err != nil {
		return err
	}
	width := 0.0
	for _, w := range s.widths[:s.cols] {
		width += w
	}
	width -= float64(k.indent) * 2
	size := k.size
	if size == 0 {
		size = fontSize
	}
	lines := wrappedLines(text, width*fontSize/size)
	if lines > 1 || size > fontSize {
		if err := r.f.SetRowHeight(s.name, s.row, rowHeight(lines, size)); err != nil {
			return err
		}
	}
	s.row++
	return nil
}

// wrappedLines estimates how many lines text takes in a column width
// (in Excel character units, where a full-width character takes two).
func wrappedLines(text string, width float64) int {
	usable := math.Max(2, width-1)
	n := 0
	for _, line := range strings.Split(text, "\n") {
		n += max(1, int(math.Ceil(float64(jp.DisplayWidth(line))/usable)))
	}
	return n
}

func rowHeight(lines int, size float64) float64 {
	return math.Min(409, float64(lines)*lineHeightPt*size/fontSize+3)
}

func (r *renderer) metaRows(s *sheet) error {
	m := r.d.Meta
	if m.Title == "" {
		return nil
	}
	if err := r.textRow(s, []docgen.Run{docgen.T(m.Title)}, styleKey{bold: true, size: 16}); err != nil {
		return err
	}
	var info []string
	for _, v := range []string{m.Subtitle, m.Ward} {
		if v != "" {
			info = append(info, v)
		}
	}
	if m.FiscalYear > 0 {
		info = append(info, jp.FiscalYearLabel(m.FiscalYear))
	}
	if !m.Date.IsZero() {
		info = append(info, jp.FormatWareki(m.Date))
	}
	for _, v := range []string{m.Author, m.Version, m.Classification} {
		if v != "" {
			info = append(info, v)
		}
	}
	if len(info) > 0 {
		if err := r.textRow(s, []docgen.Run{docgen.T(strings.Join(info, "　"))}, styleKey{color: "404040"}); err != nil {
			return err
		}
	}
	s.row++
	return nil
}

func (r *renderer) heading(s *sheet, h docgen.Heading) error {
	num := ""
	if h.Numbered {
		num = r.num.Next(h.Level)
	}
	size := map[int]float64{1: 14, 2: 12, 3: 11}[h.Level]
	if s.row > 1 && h.Level <= 2 {
		s.row++ // a blank row before chapters and sections
	}
	return r.textRow(s, []docgen.Run{docgen.T(docgen.HeadingText(num, h))}, styleKey{bold: true, size: size})
}

func (r *renderer) paragraph(s *sheet, p docgen.Paragraph) error {
	runs := p.Runs
	if p.FirstIndent {
		runs = append([]docgen.Run{docgen.T("\u3000")}, runs...)
	}
	return r.textRow(s, runs, styleKey{align: p.Align, indent: p.Indent})
}

func (r *renderer) list(s *sheet, l docgen.List) error {
	counts := map[int]int{}
	for _, it := range l.Items {
		counts[it.Level]++
		for k := range counts {
			if k > it.Level {
				delete(counts, k)
			}
		}
		mark := "・"
		if l.Ordered {
			mark = fmt.Sprintf("(%d) ", counts[it.Level])
		}
		runs := append([]docgen.Run{docgen.T(mark)}, it.Runs...)
		if err := r.textRow(s, runs, styleKey{indent: 1 + it.Level*2}); err != nil {
			return err
		}
	}
	return nil
}

// ---- tables ----

var numberRe = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,6})?$`)

func (r *renderer) dateColumn(t docgen.Table, ci int) bool {
	for _, d := range r.opt.DateColumns {
		if d.Column == ci && (d.Caption == "" || d.Caption == t.Caption) {
			return true
		}
	}
	return false
}

func (r *renderer) table(s *sheet, t docgen.Table) error {
	r.tables++
	if t.Caption != "" {
		if err := r.textRow(s, []docgen.Run{docgen.T(t.Caption)}, styleKey{bold: true}); err != nil {
			return err
		}
	}
	if len(t.Rows) == 0 {
		return nil
	}
	cols := tableCols(t)
	first := s.row
	hdr := min(max(0, t.HeaderRows), len(t.Rows))
	size := fontSize
	if t.FontSize > 0 {
		size = t.FontSize
	}
	lines := make([]int, len(t.Rows))
	var ferr error
	layout(t, func(ri, ci int, c docgen.Cell) {
		if ferr != nil {
			return
		}
		row := first + ri
		ref := cell(ci+1, row)
		head := ri < hdr
		k := styleKey{border: true, wrap: true, size: size, bold: c.Bold || head, fill: c.Fill}
		k.align = c.Align
		if k.align == docgen.AlignLeft && ci < len(t.Columns) {
			k.align = t.Columns[ci].Align
		}
		if head {
			k.vcenter = true
			if k.fill == "" {
				k.fill = defaultFill
			}
			if c.Align == docgen.AlignLeft {
				k.align = docgen.AlignCenter
			}
		}
		text := cellText(c)
		var err error
		switch {
		case !head && r.dateColumn(t, ci) && strings.TrimSpace(text) != "":
			if d, perr := jp.ParseDate(text); perr == nil {
				y, m, dd := d.Date()
				serial := time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24
				k.date = true
				err = r.f.SetCellFloat(s.name, ref, serial, 0, 64)
			} else {
				err = r.f.SetCellStr(s.name, ref, text)
			}
		case !plain(c.Runs):
			err = r.f.SetCellRichText(s.name, ref, richRuns(c.Runs, size, k.bold))
		case !head && numberRe.MatchString(text):
			v, _ := strconv.ParseFloat(text, 64)
			err = r.f.SetCellFloat(s.name, ref, v, -1, 64)
		default:
			// SetCellStr stores text, never a formula, so "=…" stays inert
			err = r.f.SetCellStr(s.name, ref, text)
		}
		if err != nil {
			ferr = err
			return
		}
		id, err := r.style(k)
		if err != nil {
			ferr = err
			return
		}
		cs, rs := max(1, c.ColSpan), max(1, c.RowSpan)
		last := cell(ci+cs, row+rs-1)
		if err := r.f.SetCellStyle(s.name, ref, last, id); err != nil {
			ferr = err
			return
		}
		if cs > 1 || rs > 1 {
			if err := r.f.MergeCell(s.name, ref, last); err != nil {
				ferr = err
				return
			}
		}
		// wrapped height: the cell's text over its (spanned) width
		w := 0.0
		for k := ci; k < ci+cs && k < len(s.widths); k++ {
			w += s.widths[k]
		}
		n := wrappedLines(text, w*fontSize/size)
		if rs == 1 {
			lines[ri] = max(lines[ri], n)
		}
	})
	if ferr != nil {
		return ferr
	}
	for ri, n := range lines {
		if n > 1 || size != fontSize {
			if err := r.f.SetRowHeight(s.name, first+ri, rowHeight(max(1, n), size)); err != nil {
				return err
			}
		}
	}
	p := &placed{first: first, headerEnd: first + hdr - 1, last: first + len(t.Rows) - 1, cols: cols, rows: len(t.Rows)}
	if err := r.validations(s, t, p); err != nil {
		return err
	}
	if s.best == nil || p.rows > s.best.rows {
		s.best = p
	}
	if s.freezeRow == 0 && hdr > 0 && p.headerEnd <= 25 {
		s.freezeRow = p.headerEnd
	}
	s.row = p.last + 2
	return nil
}

func (r *renderer) validations(s *sheet, t docgen.Table, p *placed) error {
	if p.last <= p.headerEnd {
		return nil
	}
	for _, v := range r.opt.Validations {
		if v.Column < 0 || v.Column >= p.cols || (v.Caption != "" && v.Caption != t.Caption) || len(v.Values) == 0 {
			continue
		}
		dv := excelize.NewDataValidation(true)
		dv.SetSqref(cell(v.Column+1, p.headerEnd+1) + ":" + cell(v.Column+1, p.last))
		if err := dv.SetDropList(v.Values); err != nil {
			return fmt.Errorf("validation on column %d: %w", v.Column, err)
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, "入力エラー", "一覧から選択してください。")
		if err := r.f.AddDataValidation(s.name, dv); err != nil {
			return err
		}
	}
	return nil
}

// ---- charts, images, approval ----

// chart writes the chart's data as a small table and puts a native Excel
// chart beside it (heatmaps get a colour scale on the grid instead), so
// the figures stay editable and readable in the spreadsheet.
func (r *renderer) chart(s *sheet, b docgen.Chart) error {
	c := b.Chart
	caption := b.Caption
	if caption == "" {
		caption = c.Title
	}
	if caption != "" {
		if err := r.textRow(s, []docgen.Run{docgen.T(caption)}, styleKey{bold: true}); err != nil {
			return err
		}
	}
	if len(c.Series) == 0 || len(c.Categories) == 0 {
		return r.textRow(s, []docgen.Run{docgen.T("データがありません")}, styleKey{color: "606060"})
	}
	top := s.row
	head, _ := r.style(styleKey{border: true, bold: true, fill: defaultFill, align: docgen.AlignCenter, wrap: true})
	body, _ := r.style(styleKey{border: true})
	label := "系列"
	if c.Unit != "" {
		label = "単位：" + c.Unit
	}
	if err := r.f.SetCellStr(s.name, cell(1, top), label); err != nil {
		return err
	}
	nc := min(len(c.Categories), 200)
	for i := range nc {
		if err := r.f.SetCellStr(s.name, cell(i+2, top), c.Categories[i]); err != nil {
			return err
		}
	}
	if err := r.f.SetCellStyle(s.name, cell(1, top), cell(nc+1, top), head); err != nil {
		return err
	}
	for si, ser := range c.Series {
		row := top + 1 + si
		name := ser.Name
		if name == "" {
			name = fmt.Sprintf("系列%d", si+1)
		}
		if err := r.f.SetCellStr(s.name, cell(1, row), name); err != nil {
			return err
		}
		for i := range nc {
			if i < len(ser.Values) && !math.IsNaN(ser.Values[i]) && !math.IsInf(ser.Values[i], 0) {
				if err := r.f.SetCellFloat(s.name, cell(i+2, row), ser.Values[i], -1, 64); err != nil {
					return err
				}
			}
		}
		if err := r.f.SetCellStyle(s.name, cell(1, row), cell(nc+1, row), body); err != nil {
			return err
		}
	}
	last := top + len(c.Series)
	s.row = last + 2
	if c.Kind == chart.Heatmap {
		return r.f.SetConditionalFormat(s.name, cell(2, top+1)+":"+cell(nc+1, last), []excelize.ConditionalFormatOptions{
			{Type: "2_color_scale", Criteria: "=", MinType: "min", MaxType: "max", MinColor: "#F7FBFF", MaxColor: "#2171B5"}})
	}
	typ := map[chart.Kind]excelize.ChartType{chart.Bar: excelize.Col, chart.StackedBar: excelize.ColStacked, chart.HBar: excelize.Bar,
		chart.Line: excelize.Line, chart.Radar: excelize.Radar, chart.Pie: excelize.Pie, chart.Donut: excelize.Doughnut}[c.Kind]
	ref := quoteSheet(s.name)
	ec := &excelize.Chart{Type: typ, Dimension: excelize.ChartDimension{Width: 560, Height: uint(chartRows * 20)},
		Legend: excelize.ChartLegend{Position: "bottom"}}
	if c.Title != "" {
		ec.Title = excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: c.Title}}}
	}
	if !c.Legend {
		ec.Legend.Position = "none"
	}
	series := c.Series
	if c.Kind == chart.Pie || c.Kind == chart.Donut {
		series = series[:1]
	}
	for si := range series {
		row := top + 1 + si
		cs := excelize.ChartSeries{Name: ref + "!" + abs(1, row), Categories: ref + "!" + abs(2, top) + ":" + abs(nc+1, top),
			Values: ref + "!" + abs(2, row) + ":" + abs(nc+1, row)}
		if c.Kind != chart.Pie && c.Kind != chart.Donut {
			col := "#" + chart.SeriesColor(si)
			cs.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{col}}
			cs.Line = excelize.LineOptions{Width: 2}
		}
		ec.Series = append(ec.Series, cs)
	}
	if c.ValueLabel {
		ec.PlotArea.ShowVal = true
	}
	if c.Kind == chart.Pie || c.Kind == chart.Donut {
		ec.PlotArea.ShowPercent = true
		ec.VaryColors = ptr(true)
		for i := range nc {
			ec.Series[0].DataPoint = append(ec.Series[0].DataPoint, excelize.ChartDataPoint{Index: i,
				Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"#" + chart.SeriesColor(i)}}})
		}
	}
	if err := r.f.AddChart(s.name, cell(1, s.row), ec); err != nil {
		return fmt.Errorf("chart %q: %w", c.Title, err)
	}
	s.row += chartRows + 1
	s.charts++
	return nil
}

func ptr[T any](v T) *T { return &v }

func quoteSheet(name string) string { return "'" + strings.ReplaceAll(name, "'", "''") + "'" }

func abs(col, row int) string {
	n, _ := excelize.ColumnNumberToName(col)
	return "$" + n + "$" + strconv.Itoa(row)
}

func (r *renderer) image(s *sheet, im docgen.Image) error {
	ext := ""
	switch {
	case len(im.Data) > 8 && string(im.Data[1:4]) == "PNG":
		ext = ".png"
	case len(im.Data) > 3 && im.Data[0] == 0xFF && im.Data[1] == 0xD8:
		ext = ".jpg"
	default:
		return r.textRow(s, []docgen.Run{docgen.T("（画像を表示できません）")}, styleKey{color: "606060"})
	}
	scale := 1.0
	rows := 15
	if im.Width > 0 {
		scale = math.Max(0.05, math.Min(4, im.Width/160))
		rows = int(math.Ceil(15 * scale))
	}
	if err := r.f.AddPictureFromBytes(s.name, cell(1, s.row), &excelize.Picture{Extension: ext, File: im.Data,
		Format: &excelize.GraphicOptions{ScaleX: scale, ScaleY: scale, AltText: im.Caption}}); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	s.row += rows
	if im.Caption != "" {
		return r.textRow(s, []docgen.Run{docgen.T(im.Caption)}, styleKey{align: docgen.AlignCenter})
	}
	return nil
}

// approval draws the 決裁欄: titles over empty stamp boxes, at the right.
func (r *renderer) approval(s *sheet, a docgen.ApprovalBox) error {
	n := len(a.Titles)
	if n == 0 {
		return nil
	}
	start := max(1, s.cols-n+1)
	head, err := r.style(styleKey{border: true, align: docgen.AlignCenter, vcenter: true})
	if err != nil {
		return err
	}
	for i, t := range a.Titles {
		c := start + i
		if err := r.f.SetCellStr(s.name, cell(c, s.row), t); err != nil {
			return err
		}
		if err := r.f.SetCellStyle(s.name, cell(c, s.row), cell(c, s.row+1), head); err != nil {
			return err
		}
	}
	if err := r.f.SetRowHeight(s.name, s.row+1, 48); err != nil {
		return err
	}
	s.row += 3
	return nil
}

// ---- page setup ----

func (r *renderer) pageSetup(s *sheet, sec docgen.Section) error {
	orient := "portrait"
	if sec.Orientation == docgen.Landscape {
		orient = "landscape"
	}
	if err := r.f.SetPageLayout(s.name, &excelize.PageLayoutOptions{Size: ptr(9), Orientation: &orient,
		FitToWidth: ptr(1), FitToHeight: ptr(0)}); err != nil {
		return fmt.Errorf("page layout: %w", err)
	}
	m := r.d.Meta
	header := ""
	if m.Classification != "" {
		header += "&L" + hfEscape(m.Classification)
	}
	if t := strings.TrimSpace(m.Title); t != "" {
		header += "&C" + hfEscape(t)
	}
	if sec.Tab != "" {
		header += "&R" + hfEscape(sec.Tab)
	}
	footer := ""
	switch m.PageNumbers {
	case docgen.PageDash:
		footer = "&C- &P -"
	case docgen.PageOfTotal:
		footer = "&C&P / &N"
	}
	if err := r.f.SetHeaderFooter(s.name, &excelize.HeaderFooterOptions{OddHeader: header, OddFooter: footer}); err != nil {
		return fmt.Errorf("header/footer: %w", err)
	}
	if p := s.best; p != nil && p.headerEnd >= p.first {
		if err := r.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", Scope: s.name,
			RefersTo: quoteSheet(s.name) + "!$" + strconv.Itoa(p.first) + ":$" + strconv.Itoa(p.headerEnd)}); err != nil {
			return fmt.Errorf("print titles: %w", err)
		}
		if p.last > p.headerEnd {
			if err := r.f.AutoFilter(s.name, cell(1, p.headerEnd)+":"+cell(p.cols, p.last), nil); err != nil {
				return fmt.Errorf("auto filter: %w", err)
			}
		}
	}
	// after AutoFilter, which replaces the sheet properties
	if err := r.f.SetSheetProps(s.name, &excelize.SheetPropsOptions{FitToPage: ptr(true)}); err != nil {
		return fmt.Errorf("sheet props: %w", err)
	}
	if s.freezeRow > 0 {
		if err := r.f.SetPanes(s.name, &excelize.Panes{Freeze: true, YSplit: s.freezeRow, TopLeftCell: cell(1, s.freezeRow+1),
			ActivePane: "bottomLeft", Selection: []excelize.Selection{{SQRef: cell(1, s.freezeRow+1), ActiveCell: cell(1, s.freezeRow+1), Pane: "bottomLeft"}}}); err != nil {
			return fmt.Errorf("panes: %w", err)
		}
	}
	return nil
}

// hfEscape doubles & so header text is not read as a header/footer code.
func hfEscape(s string) string { return strings.ReplaceAll(s, "&", "&&") }

func cell(col, row int) string {
	ref, _ := excelize.CoordinatesToCellName(col, row)
	return ref
}
