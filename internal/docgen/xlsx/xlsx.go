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
	// PrintColumns limits what prints to the first PrintColumns columns
	// of the first sheet (the ward's layout; the columns after it stay on
	// screen for importing): those are fitted to the page width and set
	// as the print area. 0 prints every column.
	PrintColumns int
}

// Validation is a list validation on one table column.
type Validation struct {
	Column int      // 0-based column of the table
	Values []string // the choices, in order
	// Caption limits the validation to tables with this caption; "" means
	// every table that has the column.
	Caption string
	// Accept are values the list does not offer but a typed entry may
	// hold (〇 U+3007 typed for ○ U+25CB): the cell then warns instead of
	// refusing, with a message naming the choices.
	Accept []string
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

// Layout constants. Widths are in Excel's column units (about one
// half-width character of the default font); heights in points.
const (
	fontName     = "BIZ UDPゴシック" // cells and the workbook's default (Normal) font
	fontSize     = 10.0
	defaultRowPt = 15.0 // an empty or one-line row (height.go estimates the others)
	maxColWidth  = 60.0 // no column is wider, even on screen
	minColWidth  = 4.0
	minFloor     = 8.0 // a column keeps this much of its unbreakable text's width when the page is short
	defaultFill  = "DDE6F0"
	chartRows    = 16   // rows an embedded chart covers
	chartRowPt   = 18.0 // the height of each of them (22 px as excelize anchors the chart)
	boxWidth     = 9.0  // one 決裁 stamp box
	minBoxWidth  = 7.0  // … when the page is short of room (about 20 mm)
	dataSheet    = "図表データ"
	// printed columns add up to at most these (column units), so that a
	// sheet fitted to the page width prints its 10 pt text at ≥ 9.2 pt.
	// A unit is the width of a digit of the Normal font: in BIZ UDPゴシック
	// (0.76 em at 11 pt, about 8.3 pt with padding) Excel and LibreOffice
	// both make A4's printable width about 61 units portrait and 91
	// landscape at 100 %; landscape keeps one unit spare, because
	// LibreOffice rounds each column up to whole pixels. (With DejaVu
	// Sans, which LibreOffice uses when the Japanese face is missing, a
	// unit is narrower and the sheet prints larger; the print check
	// therefore runs LibreOffice with the face.)
	pageUnitsPortrait  = 66.0
	pageUnitsLandscape = 98.0
	// printable height in points (A4 less margins, header and footer)
	pageHeightPortrait  = 720.0
	pageHeightLandscape = 470.0
)

type renderer struct {
	f      *excelize.File
	d      *docgen.Document
	opt    Options
	styles map[styleKey]int
	names  map[string]bool
	num    docgen.Numberer
	tables int
	// data is the sheet that holds the charts' figures (created with the
	// first chart), so no chart's table borrows the widths of a sheet's
	// main table; dataRow is its next free row.
	data    string
	dataRow int
	dataW   []float64
	sheets  int
	// titleDone: the document title is on the first sheet; a table
	// caption repeating it is not written again.
	titleDone bool
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
	landscape             bool
	// box is the first of the columns the 決裁欄 has to itself (0: none)
	box int
	// y is how far down the current printed page the next row starts
	// (points), pageH the page's printable height and titleH the height
	// of the repeated header rows, so a chart that would run over a page
	// end starts the next page instead.
	y, pageH, titleH float64
	heights          map[int]float64
}

// placed is where a table landed.
type placed struct {
	first, headerEnd, last, cols int
	rows                         int
	headerH                      float64 // points
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
	if err := r.f.SetDefaultFont(fontName); err != nil {
		return fmt.Errorf("default font: %w", err)
	}
	secs := splitSections(r.d.Sections)
	if len(secs) == 0 {
		secs = []docgen.Section{{}}
	}
	names := make([]string, len(secs))
	for i, sec := range secs {
		names[i] = r.sheetName(sec.Tab, i)
		if i == 0 {
			if err := r.f.SetSheetName("Sheet1", names[i]); err != nil {
				return fmt.Errorf("sheet name %q: %w", names[i], err)
			}
		} else if _, err := r.f.NewSheet(names[i]); err != nil {
			return fmt.Errorf("new sheet %q: %w", names[i], err)
		}
	}
	if hasCharts(secs) {
		r.data = r.sheetName(dataSheet, len(secs))
		if _, err := r.f.NewSheet(r.data); err != nil {
			return fmt.Errorf("new sheet %q: %w", r.data, err)
		}
		r.dataRow, r.dataW = 1, []float64{14}
	}
	for i, sec := range secs {
		r.sheets++
		if err := r.section(names[i], sec, i == 0); err != nil {
			return fmt.Errorf("sheet %q: %w", names[i], err)
		}
	}
	if r.data != "" {
		if err := r.finishData(); err != nil {
			return err
		}
	}
	r.f.SetActiveSheet(0)
	return nil
}

// hasCharts reports whether any section has a chart drawn as an Excel
// chart (a heatmap is a coloured grid on its own sheet instead).
func hasCharts(secs []docgen.Section) bool {
	for _, sec := range secs {
		for _, b := range sec.Blocks {
			if c, ok := docgen.Value(b).(docgen.Chart); ok && c.Chart.Kind != chart.Heatmap && len(c.Chart.Series) > 0 && len(c.Chart.Categories) > 0 {
				return true
			}
		}
	}
	return false
}

// splitSections gives the part of a section after a manual page break
// that follows a table with header rows a sheet of its own (named after
// its first heading): Excel repeats a sheet's print titles on every
// page, so on the same sheet the table's header would print above
// whatever the break was meant to start afresh (a 決裁欄, an appendix).
func splitSections(secs []docgen.Section) []docgen.Section {
	var out []docgen.Section
	for _, sec := range secs {
		cur := sec
		cur.Blocks = nil
		headed := false
		for i, b := range sec.Blocks {
			v := docgen.Value(b)
			if t, ok := v.(docgen.Table); ok && t.HeaderRows > 0 && len(t.Rows) > t.HeaderRows {
				headed = true
			}
			if _, ok := v.(docgen.PageBreak); ok && headed && i < len(sec.Blocks)-1 {
				out = append(out, cur)
				cur = docgen.Section{Orientation: sec.Orientation, Tab: continuationTab(sec.Tab, sec.Blocks[i+1:])}
				headed = false
				continue
			}
			cur.Blocks = append(cur.Blocks, b)
		}
		out = append(out, cur)
	}
	return out
}

// continuationTab names the sheet of a section's later part: its first
// heading's text, else the section's tab with （続き）.
func continuationTab(tab string, rest []docgen.Block) string {
	for _, b := range rest {
		if h, ok := docgen.Value(b).(docgen.Heading); ok && strings.TrimSpace(h.Text) != "" {
			return h.Text
		}
	}
	if tab == "" {
		return ""
	}
	return tab + "（続き）"
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
	s := &sheet{name: name, row: 1, landscape: sec.Orientation == docgen.Landscape, heights: map[int]float64{}}
	s.pageH = pageHeightPortrait
	if s.landscape {
		s.pageH = pageHeightLandscape
	}
	r.columnPlan(s, sec, first)
	// widths first: charts and pictures are anchored by the cells they
	// cover, which excelize works out from the widths set at that time
	for c, wd := range s.widths {
		col, _ := excelize.ColumnNumberToName(c + 1)
		if err := r.f.SetColWidth(s.name, col, col, wd); err != nil {
			return err
		}
	}
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
			err = r.pageBreak(s)
		case docgen.ApprovalBox:
			err = r.approval(s, b)
		}
		if err != nil {
			return err
		}
	}
	return r.pageSetup(s, sec)
}

// pageBreak starts a new printed page at the next row.
func (r *renderer) pageBreak(s *sheet) error {
	if s.row > 1 {
		if err := r.f.InsertPageBreak(s.name, cell(1, s.row)); err != nil {
			return err
		}
	}
	s.y = 0
	return nil
}

// advance records that row (1-based) is h points tall and moves the page
// position past it: a row that does not fit starts a page, under the
// repeated header rows.
func (s *sheet) advance(row int, h float64) {
	s.heights[row] = h
	if s.y > 0 && s.y+h > s.pageH {
		s.y = s.titleH
	}
	s.y += h
}

// skip leaves n empty rows (default height).
func (s *sheet) skip(n int) {
	for range n {
		s.advance(s.row, defaultRowPt)
		s.row++
	}
}

// columnPlan picks the sheet's column count and widths from its tables:
// each column as wide as its longest line of text (full-width characters
// count two) or its share of the page by the model's relative widths,
// whichever is wider, and never narrower than its widest number or short
// label; then the printed columns are fitted to the page width (fitColumns),
// so the sheet prints at its own size with long text wrapped. A 決裁欄 gets
// columns of its own, of equal width, at the right.
func (r *renderer) columnPlan(s *sheet, sec docgen.Section, first bool) {
	budget := pageUnitsPortrait
	if s.landscape {
		budget = pageUnitsLandscape
	}
	n, box := 0, 0
	for _, b := range sec.Blocks {
		switch v := docgen.Value(b).(type) {
		case docgen.Table:
			n = max(n, tableCols(v))
		case docgen.ApprovalBox:
			box = max(box, len(v.Titles))
		}
	}
	if n == 0 {
		// text only: equal columns across the page; a box takes the last ones
		k := max(8, box+1)
		s.cols, s.widths = k, fill(k, budget/float64(k))
		if box > 0 {
			s.box = k - box + 1
			w := min(boxWidth*1.2, budget/float64(k))
			for i := s.box - 1; i < k; i++ {
				s.widths[i] = w
			}
		}
		return
	}
	natural, floor, share := fill(n, minColWidth), fill(n, minColWidth), make([]float64, n)
	printed := n
	if first && r.opt.PrintColumns > 0 {
		printed = min(n, r.opt.PrintColumns)
	}
	for _, b := range sec.Blocks {
		t, ok := docgen.Value(b).(docgen.Table)
		if !ok {
			continue
		}
		total := 0.0
		for i, c := range t.Columns {
			if i < printed {
				total += max(c.Width, 0)
			}
		}
		for i, c := range t.Columns {
			if i < printed && total > 0 {
				share[i] = max(share[i], max(c.Width, 0)/total)
			}
		}
		layout(t, func(ri, ci int, c docgen.Cell) {
			if c.ColSpan > 1 {
				return
			}
			w, unbroken := 0, 0
			for _, line := range strings.Split(cellText(c), "\n") {
				w = max(w, jp.DisplayWidth(line))
				unbroken = max(unbroken, unbreakable(line, ri < t.HeaderRows))
			}
			natural[ci] = math.Max(natural[ci], math.Min(maxColWidth, float64(w)+2))
			floor[ci] = math.Max(floor[ci], math.Min(24, float64(unbroken)+2))
		})
	}
	// a column is as wide as its text, or its share of the page when
	// wider (an empty column to write in, such as 所見, gets its share)
	widths := make([]float64, n)
	for i := range widths {
		widths[i] = math.Min(maxColWidth, math.Max(math.Max(natural[i], floor[i]), share[i]*budget))
	}
	// A 決裁欄 narrows its stamp boxes (down to minBoxWidth) before the
	// table's unbreakable words would push the sheet past the page.
	bw := boxWidth
	if box > 0 {
		floors := 0.0
		for _, f := range floor[:printed] {
			floors += f
		}
		if floors+bw*float64(box) > budget {
			bw = math.Max(minBoxWidth, (budget-floors)/float64(box))
		}
	}
	room := budget - bw*float64(box)
	fitColumns(widths[:printed], floor[:printed], share[:printed], room)
	// a sheet narrower than half a page looks cramped for its text rows
	sum := 0.0
	for _, w := range widths[:printed] {
		sum += w
	}
	if sum < budget/2 && printed == n && box == 0 {
		for i := range widths {
			widths[i] *= budget / 2 / sum
		}
	}
	if box > 0 {
		s.box = n + 1
		widths = append(widths, fill(box, bw)...)
	}
	s.cols, s.widths = len(widths), widths
	if printed < n && box == 0 {
		s.cols = printed // text rows span what prints
	}
}

// fitColumns makes widths add up to at most room: a column whose text
// needs less than its share (the model's relative width; equal shares
// when the model gives none) keeps its width, the others divide what is
// left by their shares, never below floor (floors too large for room
// leave the rest to the page's fit-to-width scaling).
func fitColumns(widths, floor, share []float64, room float64) {
	total := 0.0
	for _, w := range widths {
		total += w
	}
	if total <= room {
		return
	}
	// Floors that together exceed the page would make the whole sheet
	// print smaller: what each has above a short number's width
	// (minFloor) gives way in proportion (a longer identifier, address or
	// date then wraps inside its cell, which Excel and LibreOffice both do).
	floors, above := 0.0, 0.0
	for _, f := range floor {
		floors += f
		above += math.Max(0, f-minFloor)
	}
	if floors > room && above > 0 {
		keep := math.Max(0, 1-(floors-room)/above)
		floor = append([]float64(nil), floor...)
		for i, f := range floor {
			if f > minFloor {
				floor[i] = minFloor + (f-minFloor)*keep
			}
		}
	}
	sh := append([]float64(nil), share...)
	sum := 0.0
	for _, v := range sh {
		sum += v
	}
	if sum == 0 {
		sh = fill(len(sh), 1)
	}
	fixed := make([]bool, len(widths))
	for {
		left, shares := room, 0.0
		for i, w := range widths {
			if fixed[i] {
				left -= w
			} else {
				shares += sh[i]
			}
		}
		changed := false
		for i, w := range widths {
			if fixed[i] || shares == 0 {
				continue
			}
			if t := left * sh[i] / shares; w <= t || floor[i] >= t {
				widths[i] = math.Min(w, math.Max(floor[i], t))
				fixed[i], changed = true, true
			}
		}
		if !changed {
			for i := range widths {
				if !fixed[i] && shares > 0 {
					widths[i] = math.Max(floor[i], math.Min(widths[i], left*sh[i]/shares))
				}
			}
			return
		}
	}
}

// unbreakable is the width of what in a line of a cell must not wrap:
// its longest number (2,048 or 令和8年11月19日's digits), latin word, or
// the whole line when it is a short header label or a short date.
func unbreakable(line string, header bool) int {
	line = strings.TrimSpace(line)
	w := jp.DisplayWidth(line)
	if (header && w <= 8) || (w <= 16 && dateLike.MatchString(line)) {
		return w
	}
	best := 0
	for _, tok := range wordRe.FindAllString(line, -1) {
		best = max(best, jp.DisplayWidth(tok))
	}
	return best
}

var (
	wordRe   = regexp.MustCompile(`[0-9A-Za-z][0-9A-Za-z,.:/%\-]*`)
	dateLike = regexp.MustCompile(`^(令和|平成|昭和)?[0-9元]+年([0-9]+月)?([0-9]+日)?$|^[0-9]+月[0-9]+日$|^[0-9]+:[0-9]+`)
)

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
	h := rowHeight(textHeight(text, width, size))
	if h != defaultRowPt {
		if err := r.f.SetRowHeight(s.name, s.row, h); err != nil {
			return err
		}
	}
	s.advance(s.row, h)
	s.row++
	return nil
}

func (r *renderer) metaRows(s *sheet) error {
	m := r.d.Meta
	if m.Title == "" || m.TitleInBody {
		return nil
	}
	if err := r.textRow(s, []docgen.Run{docgen.T(m.Title)}, styleKey{bold: true, size: 16}); err != nil {
		return err
	}
	r.titleDone = true
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
	s.skip(1)
	return nil
}

func (r *renderer) heading(s *sheet, h docgen.Heading) error {
	num := ""
	if h.Numbered {
		num = r.num.Next(h.Level)
	}
	size := map[int]float64{1: 14, 2: 12, 3: 11}[h.Level]
	if s.row > 1 && h.Level <= 2 {
		s.skip(1) // a blank row before chapters and sections
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
	// the title row already names the table the document is (the
	// checklist's caption is its title): it is written once
	if t.Caption != "" && !(r.titleDone && r.sheets == 1 && strings.TrimSpace(t.Caption) == strings.TrimSpace(r.d.Meta.Title)) {
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
	need := make([]float64, len(t.Rows)) // points, by row
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
		if rs == 1 {
			need[ri] = max(need[ri], textHeight(text, w, size))
		}
	})
	if ferr != nil {
		return ferr
	}
	headerH := 0.0
	for ri, n := range need {
		h := rowHeight(n)
		if h != defaultRowPt {
			if err := r.f.SetRowHeight(s.name, first+ri, h); err != nil {
				return err
			}
		}
		s.advance(first+ri, h)
		if ri < hdr {
			headerH += h
		}
	}
	p := &placed{first: first, headerEnd: first + hdr - 1, last: first + len(t.Rows) - 1, cols: cols, rows: len(t.Rows), headerH: headerH}
	if err := r.validations(s, t, p); err != nil {
		return err
	}
	if s.best == nil || p.rows > s.best.rows {
		s.best = p
		s.titleH = p.headerH
	}
	if s.freezeRow == 0 && hdr > 0 && p.headerEnd <= 25 {
		s.freezeRow = p.headerEnd
	}
	s.row = p.last + 1
	s.skip(1)
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
		if len(v.Accept) > 0 {
			// a typed variant (〇 for ○) is kept after a note, not refused
			dv.SetError(excelize.DataValidationErrorStyleInformation, "入力の確認",
				"一覧（"+strings.Join(v.Values, "・")+"）から選んでください。「"+strings.Join(v.Accept, "」「")+"」と入力した場合は、そのまま受け付けます。")
		} else {
			dv.SetError(excelize.DataValidationErrorStyleStop, "入力エラー", "一覧から選択してください。")
		}
		if err := r.f.AddDataValidation(s.name, dv); err != nil {
			return err
		}
	}
	return nil
}

// ---- charts, images, approval ----

// chart puts a native Excel chart in the sheet, inside the width of
// what prints and on one page, with its figures as a small table on the
// 図表データ sheet (categories down, series across) so they stay editable
// and never take the widths of the sheet's own table. A heatmap is its
// grid with a colour scale, in the sheet itself.
func (r *renderer) chart(s *sheet, b docgen.Chart) error {
	c := b.Chart
	caption := b.Caption
	if caption == "" {
		caption = c.Title
	}
	empty := len(c.Series) == 0 || len(c.Categories) == 0
	if !empty && c.Kind != chart.Heatmap && s.y > s.titleH && s.y+defaultRowPt+chartRows*chartRowPt > s.pageH {
		if err := r.pageBreak(s); err != nil { // keep the caption and the chart on one page
			return err
		}
	}
	if caption != "" {
		if err := r.textRow(s, []docgen.Run{docgen.T(caption)}, styleKey{bold: true}); err != nil {
			return err
		}
	}
	if empty {
		return r.textRow(s, []docgen.Run{docgen.T("データがありません")}, styleKey{color: "606060"})
	}
	nc := min(len(c.Categories), 200)
	if c.Kind == chart.Heatmap {
		return r.heatmap(s, c, nc)
	}
	top, err := r.chartData(c, caption, nc)
	if err != nil {
		return err
	}
	typ := map[chart.Kind]excelize.ChartType{chart.Bar: excelize.Col, chart.StackedBar: excelize.ColStacked, chart.HBar: excelize.Bar,
		chart.Line: excelize.Line, chart.Radar: excelize.Radar, chart.Pie: excelize.Pie, chart.Donut: excelize.Doughnut}[c.Kind]
	ref := quoteSheet(r.data)
	// as wide as the printed columns (about 7 px a unit), at most 600 px
	width := 0.0
	for _, w := range s.widths[:s.cols] {
		width += w
	}
	px := uint(math.Max(240, math.Min(600, width*7)))
	ec := &excelize.Chart{Type: typ, Dimension: excelize.ChartDimension{Width: px, Height: chartRows*22 - 12},
		Legend: excelize.ChartLegend{Position: "bottom"}}
	if c.Title != "" {
		ec.Title = excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: c.Title, Font: &excelize.Font{Family: fontName, Size: 11, Bold: true, Color: axisColor}}}}
	}
	if !c.Legend {
		ec.Legend.Position = "none"
	}
	// axis labels dark enough to read on paper (#595959 or darker); a
	// percentage axis runs 0–100 %
	axisFont := excelize.Font{Family: fontName, Size: 10, Color: axisColor}
	ec.XAxis.Font, ec.YAxis.Font = axisFont, axisFont
	if c.Kind != chart.Pie && c.Kind != chart.Donut {
		lo, hi := 0.0, c.Max
		if c.Unit == "%" && hi == 0 {
			hi = 100
		}
		if hi > 0 && dataMax(c) <= hi {
			ec.YAxis.Minimum, ec.YAxis.Maximum = &lo, &hi
		}
		if c.Unit == "%" {
			ec.YAxis.NumFmt = excelize.ChartNumFmt{CustomNumFmt: `0"%"`}
		}
		ec.YAxis.MajorGridLines = true
	}
	series := c.Series
	if c.Kind == chart.Pie || c.Kind == chart.Donut {
		series = series[:1]
	}
	for si := range series {
		col := si + 2
		cs := excelize.ChartSeries{Name: ref + "!" + abs(col, top), Categories: ref + "!" + abs(1, top+1) + ":" + abs(1, top+nc),
			Values: ref + "!" + abs(col, top+1) + ":" + abs(col, top+nc)}
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
	// the rows under the chart get a fixed height (before the chart, whose
	// anchor is worked out from them), so it covers exactly those rows
	for k := range chartRows {
		if err := r.f.SetRowHeight(s.name, s.row+k, chartRowPt); err != nil {
			return err
		}
		s.advance(s.row+k, chartRowPt)
	}
	if err := r.f.AddChart(s.name, cell(1, s.row), ec); err != nil {
		return fmt.Errorf("chart %q: %w", c.Title, err)
	}
	s.row += chartRows
	s.skip(1)
	s.charts++
	return nil
}

// axisColor is the colour of chart titles and axis labels.
const axisColor = "404040"

func dataMax(c chart.Chart) float64 {
	m := 0.0
	for _, s := range c.Series {
		for _, v := range s.Values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				m = math.Max(m, v)
			}
		}
	}
	return m
}

// chartData writes a chart's figures on the data sheet: a caption row,
// then the header (単位 and the series names) and one row per category.
// It returns the header row.
func (r *renderer) chartData(c chart.Chart, caption string, nc int) (int, error) {
	d := r.data
	head, _ := r.style(styleKey{border: true, bold: true, fill: defaultFill, align: docgen.AlignCenter, wrap: true, vcenter: true})
	body, _ := r.style(styleKey{border: true, wrap: true})
	bold, _ := r.style(styleKey{bold: true})
	if caption != "" {
		if err := r.f.SetCellStr(d, cell(1, r.dataRow), caption); err != nil {
			return 0, err
		}
		if err := r.f.SetCellStyle(d, cell(1, r.dataRow), cell(1, r.dataRow), bold); err != nil {
			return 0, err
		}
		r.dataRow++
	}
	top := r.dataRow
	label := "区分"
	if c.Unit != "" {
		label = "単位：" + c.Unit
	}
	widen := func(col int, text string) {
		for len(r.dataW) < col {
			r.dataW = append(r.dataW, 10)
		}
		r.dataW[col-1] = math.Max(r.dataW[col-1], math.Min(40, float64(jp.DisplayWidth(text))+2))
	}
	if err := r.f.SetCellStr(d, cell(1, top), label); err != nil {
		return 0, err
	}
	widen(1, label)
	series := c.Series
	for si, ser := range series {
		name := ser.Name
		if name == "" {
			name = fmt.Sprintf("系列%d", si+1)
		}
		if err := r.f.SetCellStr(d, cell(si+2, top), name); err != nil {
			return 0, err
		}
		widen(si+2, name)
	}
	if err := r.f.SetCellStyle(d, cell(1, top), cell(len(series)+1, top), head); err != nil {
		return 0, err
	}
	for i := range nc {
		row := top + 1 + i
		if err := r.f.SetCellStr(d, cell(1, row), c.Categories[i]); err != nil {
			return 0, err
		}
		widen(1, c.Categories[i])
		for si, ser := range series {
			if i < len(ser.Values) && !math.IsNaN(ser.Values[i]) && !math.IsInf(ser.Values[i], 0) {
				if err := r.f.SetCellFloat(d, cell(si+2, row), ser.Values[i], -1, 64); err != nil {
					return 0, err
				}
			}
		}
		if err := r.f.SetCellStyle(d, cell(1, row), cell(len(series)+1, row), body); err != nil {
			return 0, err
		}
	}
	r.dataRow = top + nc + 2
	return top, nil
}

// finishData sets the data sheet's widths and print layout.
func (r *renderer) finishData() error {
	for c, w := range r.dataW {
		col, _ := excelize.ColumnNumberToName(c + 1)
		if err := r.f.SetColWidth(r.data, col, col, w); err != nil {
			return err
		}
	}
	orient := "portrait"
	if err := r.f.SetPageLayout(r.data, &excelize.PageLayoutOptions{Size: ptr(9), Orientation: &orient, FitToWidth: ptr(1), FitToHeight: ptr(0)}); err != nil {
		return err
	}
	if err := r.f.SetPageMargins(r.data, margins()); err != nil {
		return err
	}
	return r.f.SetSheetProps(r.data, &excelize.SheetPropsOptions{FitToPage: ptr(true)})
}

// heatmap writes a heatmap as its grid with a colour scale.
func (r *renderer) heatmap(s *sheet, c chart.Chart, nc int) error {
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
	for k := top; k <= last; k++ {
		s.advance(k, defaultRowPt)
	}
	s.row = last + 1
	s.skip(1)
	return r.f.SetConditionalFormat(s.name, cell(2, top+1)+":"+cell(nc+1, last), []excelize.ConditionalFormatOptions{
		{Type: "2_color_scale", Criteria: "=", MinType: "min", MaxType: "max", MinColor: "#F7FBFF", MaxColor: "#2171B5"}})
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
	s.skip(rows)
	if im.Caption != "" {
		return r.textRow(s, []docgen.Run{docgen.T(im.Caption)}, styleKey{align: docgen.AlignCenter})
	}
	return nil
}

// approval draws the 決裁欄 at the right, in the columns columnPlan gave
// it (equal widths, none of them a table's): titles over stamp boxes.
func (r *renderer) approval(s *sheet, a docgen.ApprovalBox) error {
	n := len(a.Titles)
	if n == 0 {
		return nil
	}
	start := s.box
	if start == 0 {
		start = max(1, s.cols-n+1)
	}
	head, err := r.style(styleKey{border: true, align: docgen.AlignCenter, vcenter: true, fill: "E4E9F0"})
	if err != nil {
		return err
	}
	stamp, err := r.style(styleKey{border: true})
	if err != nil {
		return err
	}
	if s.y+defaultRowPt+48 > s.pageH && s.y > s.titleH {
		if err := r.pageBreak(s); err != nil {
			return err
		}
	}
	for i, t := range a.Titles {
		c := start + i
		if err := r.f.SetCellStr(s.name, cell(c, s.row), t); err != nil {
			return err
		}
		if err := r.f.SetCellStyle(s.name, cell(c, s.row), cell(c, s.row), head); err != nil {
			return err
		}
		if err := r.f.SetCellStyle(s.name, cell(c, s.row+1), cell(c, s.row+1), stamp); err != nil {
			return err
		}
	}
	if err := r.f.SetRowHeight(s.name, s.row+1, 48); err != nil {
		return err
	}
	s.advance(s.row, defaultRowPt)
	s.advance(s.row+1, 48)
	s.row += 2
	s.skip(1)
	return nil
}

// margins are the printed margins in inches (about 15 mm at the sides,
// 20 mm top and bottom with the header and footer inside).
func margins() *excelize.PageLayoutMarginsOptions {
	return &excelize.PageLayoutMarginsOptions{Left: ptr(0.6), Right: ptr(0.6), Top: ptr(0.8), Bottom: ptr(0.8),
		Header: ptr(0.3), Footer: ptr(0.3)}
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
	if err := r.f.SetPageMargins(s.name, margins()); err != nil {
		return fmt.Errorf("page margins: %w", err)
	}
	m := r.d.Meta
	header := ""
	if m.Classification != "" {
		header += "&L" + hfEscape(m.Classification)
	}
	if t := strings.TrimSpace(m.Title); t != "" && !m.TitleInBody {
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
	if r.opt.PrintColumns > 0 && r.sheets == 1 && s.cols < len(s.widths) {
		last, _ := excelize.ColumnNumberToName(s.cols)
		if err := r.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Area", Scope: s.name,
			RefersTo: fmt.Sprintf("%s!$A$1:$%s$%d", quoteSheet(s.name), last, max(1, s.row-1))}); err != nil {
			return fmt.Errorf("print area: %w", err)
		}
	}
	// after AutoFilter, which replaces the sheet properties
	if err := r.f.SetSheetProps(s.name, &excelize.SheetPropsOptions{FitToPage: ptr(true),
		DefaultRowHeight: ptr(defaultRowPt), CustomHeight: ptr(true)}); err != nil {
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
