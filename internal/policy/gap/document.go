package gap

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"mamori/internal/docgen"
	"mamori/internal/docgen/xlsx"
	"mamori/internal/jp"
)

// Columns of the table in every output, in order. Import finds them by
// these headings.
const (
	ColNo         = "No"
	ColClause     = "ガイドライン条項"
	ColSummary    = "ガイドラインの要旨"
	ColProvisions = "区の規定"
	ColStatus     = "状況"
	ColDifference = "相違点"
	ColIssue      = "課題"
	ColDecision   = "対応方針"
	ColReason     = "理由"
	ColDate       = "決定日"
	ColPlanned    = "改正予定の内容"
	ColFlags      = "フラグ"
)

// Columns lists the headings in order.
var Columns = []string{ColNo, ColClause, ColSummary, ColProvisions, ColStatus, ColDifference, ColIssue, ColDecision, ColReason, ColDate, ColPlanned, ColFlags}

// column index by heading
func colIndex(h string) int {
	for i, c := range Columns {
		if c == h {
			return i
		}
	}
	return -1
}

// Relative column widths (No is the narrowest that still prints on A4 landscape).
var colWidths = []float64{1.1, 3.0, 5.0, 3.4, 2.3, 3.7, 3.2, 1.8, 2.4, 2.1, 3.8, 2.3}

// TableCaption is the caption of the main table (the XLSX options refer to it).
const TableCaption = "相違点整合表"

// tableMarker prefixes the table number in the document's info line; the
// import uses it to refuse a file exported from another table.
const tableMarker = "整合表番号 "

// Output says who the document is for.
type Output struct {
	Ward   string    // ward name for the header, e.g. ひので区
	Author string    // e.g. 情報政策課
	Date   time.Time // date printed (和暦)
	// Condition says which rows the document holds when it is not the
	// whole table (状況: 未反映、章: …); "" for the whole table.
	Condition string
}

// condition is the line that says the document holds only some rows
// (nil for the whole table).
func (o Output) condition(n int) *docgen.Paragraph {
	if o.Condition == "" {
		return nil
	}
	return &docgen.Paragraph{Runs: []docgen.Run{{Text: "絞り込み：", Bold: true}, docgen.T(fmt.Sprintf("%s の %d 行だけを載せています。", o.Condition, n))}}
}

func (t Table) subtitle() string {
	s := t.Guideline.Label() + " と " + t.Ward.Label()
	if t.PreviousID != 0 {
		s += "（前の版: " + t.Previous.Version + "）"
	}
	return s
}

func summaryCell(r Row) string {
	switch {
	case r.Kind == KindWard:
		if r.Summary == "" {
			return "（区の規定のみ）"
		}
		return "（区の規定のみ）" + r.Summary
	case r.ChangeKind == ChangeModified:
		old := r.PrevSummary
		if r.PrevTitle != r.Title || r.PrevNumber != r.Number {
			old = "（" + strings.TrimSpace(r.PrevNumber+" "+r.PrevTitle) + "）" + old
		}
		return "【改定後】" + r.Summary + "\n【改定前】" + old
	}
	return r.Summary
}

func flagsCell(r Row, withSuggestion bool) string {
	var parts []string
	for _, f := range r.Flags() {
		parts = append(parts, "・"+f)
	}
	if n := r.ChangeNote(); n != "" {
		parts = append(parts, "（"+n+"）")
	}
	if withSuggestion && r.Status == "" && r.Suggested != "" {
		parts = append(parts, "状況の候補："+r.Suggested)
	}
	return strings.Join(parts, "\n")
}

// Document lays the table out. For XLSX (the working format) the chapter
// headings are ordinary rows (no merged cells, so sorting and filtering
// work), dates are ISO so the renderer writes real dates shown in 和暦, and
// an empty status stays empty for the drop-down; for PDF the chapters are
// full-width headings, dates print in 和暦, and a first page carries the
// counts by status and the chapter × status matrix.
func Document(t Table, rows []Row, out Output, forXLSX bool) *docgen.Document {
	d := &docgen.Document{Meta: docgen.Meta{Title: t.Title, Subtitle: t.subtitle(), Ward: out.Ward, FiscalYear: t.FiscalYear, Date: out.Date,
		Author: out.Author, Classification: "取扱注意", PageNumbers: docgen.PageDash, Version: tableMarker + strconv.FormatInt(t.ID, 10)}}
	tb := docgen.Table{Caption: TableCaption, HeaderRows: 1, FontSize: 7.5}
	if forXLSX {
		tb.FontSize = 0
	}
	for i, w := range colWidths {
		c := docgen.Column{Width: w}
		if i == 0 || i == 4 || i == 7 {
			c.Align = docgen.AlignCenter
		}
		tb.Columns = append(tb.Columns, c)
	}
	head := docgen.Row{}
	for _, h := range Columns {
		head.Cells = append(head.Cells, docgen.Cell{Runs: []docgen.Run{docgen.T(h)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter})
	}
	tb.Rows = append(tb.Rows, head)
	chapter := "\x00"
	for _, r := range rows {
		if r.ChapterTitle != chapter {
			chapter = r.ChapterTitle
			label := r.Chapter()
			if forXLSX {
				cells := make([]docgen.Cell, len(Columns))
				for i := range cells {
					cells[i] = docgen.Cell{Fill: "EEF2F7"}
				}
				cells[1] = docgen.Cell{Runs: []docgen.Run{docgen.T(label)}, Bold: true, Fill: "EEF2F7"}
				tb.Rows = append(tb.Rows, docgen.Row{Cells: cells})
			} else {
				tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T(label)}, Bold: true, Fill: "EEF2F7",
					ColSpan: len(Columns), Align: docgen.AlignJustify}}})
			}
		}
		status, date := r.Status, r.DecisionDate
		if !forXLSX {
			date = r.DecisionWareki()
			if status == "" {
				status = Unset
				if r.Suggested != "" {
					status += "\n候補 " + r.Suggested
				}
			}
		}
		statusCell := docgen.C(status)
		if !forXLSX {
			statusCell.Fill = statusFill[r.Status]
		}
		tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{
			docgen.C(strconv.Itoa(r.Seq)), docgen.C(r.Clause()), docgen.C(summaryCell(r)), docgen.C(r.Provisions), statusCell,
			docgen.C(r.Difference), docgen.C(r.Issue), docgen.C(r.Decision), docgen.C(r.Reason), docgen.C(date), docgen.C(r.Planned),
			docgen.C(flagsCell(r, forXLSX)),
		}})
	}
	sum := Summarize(rows)
	if forXLSX {
		intro := docgen.Paragraph{Runs: []docgen.Run{docgen.T("状況・対応方針は一覧から選びます。決定日は 2026/4/1 や 令和8年4月1日 の形で入力できます。" +
			"No・ガイドライン条項・ガイドラインの要旨・フラグの列は取込み時に変更されません。行を追加しても取り込まれません。")}}
		blocks := []docgen.Block{intro, tb}
		if c := out.condition(len(rows)); c != nil {
			blocks = []docgen.Block{intro, *c, tb}
		}
		d.Sections = []docgen.Section{
			{Orientation: docgen.Landscape, Tab: "整合表", Blocks: blocks},
			{Orientation: docgen.Landscape, Tab: "集計", Blocks: summaryBlocks(t, sum)},
		}
		return d
	}
	cover := []docgen.Block{
		docgen.Heading{Level: 1, Text: t.Title, NoTOC: true},
		docgen.Paragraph{Runs: []docgen.Run{docgen.T(fmt.Sprintf("%s　%s", jp.FiscalYearLabel(t.FiscalYear), strings.TrimSpace(out.Ward+" "+out.Author)))}},
	}
	if c := out.condition(len(rows)); c != nil {
		cover = append(cover, *c)
	}
	cover = append(cover, summaryBlocks(t, sum)...)
	d.Sections = []docgen.Section{
		{Orientation: docgen.Landscape, Tab: "集計", Blocks: cover},
		{Orientation: docgen.Landscape, Tab: "整合表", Blocks: []docgen.Block{tb}},
	}
	return d
}

// statusFill colours the status cell in the PDF.
var statusFill = map[string]string{StatusReflected: "E5F4E8", StatusPartial: "FFF5D6", StatusNotReflected: "FBE9E9", StatusOwn: "E6EBF2", StatusExcluded: "F0F0F0"}

// summaryFont is the size of the summary tables, small enough for the
// facts, the counts and an eleven-chapter matrix to share one page.
const summaryFont = 8

// summaryBlocks are the comparison's facts, the counts by status and
// decision and the chapter × status matrix.
func summaryBlocks(t Table, s Summary) []docgen.Block {
	fact := func(pairs ...string) docgen.Paragraph {
		p := docgen.Paragraph{}
		for i := 0; i+1 < len(pairs); i += 2 {
			if i > 0 {
				p.Runs = append(p.Runs, docgen.T("　　"))
			}
			p.Runs = append(p.Runs, docgen.Run{Text: pairs[i] + "：", Bold: true}, docgen.T(pairs[i+1]))
		}
		return p
	}
	facts := []docgen.Block{
		fact("ガイドライン", t.Guideline.Label(), "比較した前の版", orNone(t.Previous.Version)),
		fact("区のポリシー", t.Ward.Label(), "フラグ", fmt.Sprintf("%s %d 行、%s %d 行", FlagUnmapped, s.Unmapped, FlagChanged, s.Changed)),
	}
	// The chapter × status matrix; its total line is the count by status.
	cols := StatusColumns()
	matrix := docgen.Table{Caption: "状況ごとの行数（章別）", HeaderRows: 1, FontSize: summaryFont, Columns: []docgen.Column{{Width: 4}}}
	head := docgen.Row{Cells: []docgen.Cell{hc("章")}}
	for _, c := range cols {
		matrix.Columns = append(matrix.Columns, docgen.Column{Width: 1, Align: docgen.AlignRight})
		head.Cells = append(head.Cells, docgen.Cell{Runs: []docgen.Run{docgen.T(c)}, Bold: true, Fill: fillOr(statusFill[c], "DDE6F0"), Align: docgen.AlignCenter})
	}
	matrix.Columns = append(matrix.Columns, docgen.Column{Width: 1, Align: docgen.AlignRight})
	head.Cells = append(head.Cells, hc("計"))
	matrix.Rows = append(matrix.Rows, head)
	for _, ch := range s.Chapters {
		row := docgen.Row{Cells: []docgen.Cell{docgen.C(ch.Chapter)}}
		for _, n := range ch.Counts {
			row.Cells = append(row.Cells, countCell(n))
		}
		row.Cells = append(row.Cells, docgen.C(strconv.Itoa(ch.Total)))
		matrix.Rows = append(matrix.Rows, row)
	}
	bold := func(s string) docgen.Cell { return docgen.Cell{Runs: []docgen.Run{docgen.T(s)}, Bold: true} }
	total := docgen.Row{Cells: []docgen.Cell{bold("計")}}
	share := docgen.Row{Cells: []docgen.Cell{bold("割合")}}
	for _, c := range s.ByStatus {
		total.Cells = append(total.Cells, bold(strconv.Itoa(c.N)))
		share.Cells = append(share.Cells, docgen.C(percent(c.N, s.Total)))
	}
	total.Cells = append(total.Cells, bold(strconv.Itoa(s.Total)))
	share.Cells = append(share.Cells, docgen.C(""))
	matrix.Rows = append(matrix.Rows, total, share)
	// Counts by decision.
	decisions := docgen.Table{Caption: "対応方針ごとの行数", HeaderRows: 1, FontSize: summaryFont, Columns: []docgen.Column{{Width: 4}}}
	dh, dn := docgen.Row{Cells: []docgen.Cell{hc("対応方針")}}, docgen.Row{Cells: []docgen.Cell{bold("行数")}}
	for _, c := range s.ByDecision {
		decisions.Columns = append(decisions.Columns, docgen.Column{Width: 1, Align: docgen.AlignRight})
		dh.Cells, dn.Cells = append(dh.Cells, hc(c.Label)), append(dn.Cells, docgen.C(strconv.Itoa(c.N)))
	}
	decisions.Columns = append(decisions.Columns, docgen.Column{Width: 1, Align: docgen.AlignRight}, docgen.Column{Width: 2})
	dh.Cells, dn.Cells = append(dh.Cells, hc("計"), docgen.Cell{}), append(dn.Cells, bold(strconv.Itoa(s.Total)), docgen.Cell{})
	decisions.Rows = []docgen.Row{dh, dn}
	return append(facts, matrix, decisions)
}

func hc(s string) docgen.Cell {
	return docgen.Cell{Runs: []docgen.Run{docgen.T(s)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter}
}

func fillOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func countCell(n int) docgen.Cell {
	if n == 0 {
		return docgen.C("")
	}
	return docgen.C(strconv.Itoa(n))
}

func percent(n, total int) string {
	if total == 0 {
		return ""
	}
	return fmt.Sprintf("%.1f%%", float64(n)*100/float64(total))
}

func orNone(s string) string {
	if s == "" {
		return "（比較していません）"
	}
	return s
}

// xlsxWidths are the working sheet's column widths (in characters): wide
// enough to type in the columns staff fill, narrow enough that the sheet
// prints on A4 landscape at a readable scale.
var xlsxWidths = map[string]float64{ColNo: 5, ColClause: 18, ColSummary: 40, ColProvisions: 22, ColStatus: 10, ColDifference: 32, ColIssue: 26,
	ColDecision: 11, ColReason: 18, ColDate: 15, ColPlanned: 32, ColFlags: 16}

// RenderXLSX writes the working spreadsheet: the document rendered with
// the drop-downs and the date column, then the table's columns set to
// xlsxWidths and its rows made tall enough for their wrapped text.
func RenderXLSX(w io.Writer, d *docgen.Document) error {
	var buf bytes.Buffer
	if err := xlsx.RenderWithOptions(&buf, d, XLSXOptions()); err != nil {
		return err
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		return fmt.Errorf("gap xlsx: %w", err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	widths := make([]float64, len(Columns))
	for i, c := range Columns {
		widths[i] = xlsxWidths[c]
		name, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sheet, name, name, widths[i]); err != nil {
			return fmt.Errorf("gap xlsx: %w", err)
		}
	}
	rows, err := f.GetRows(sheet)
	if err != nil {
		return fmt.Errorf("gap xlsx: %w", err)
	}
	inTable := false
	for i, r := range rows {
		if len(r) == len(Columns) && r[0] == ColNo && r[len(r)-1] == ColFlags {
			inTable = true
			continue
		}
		if !inTable {
			continue
		}
		lines := 1
		for j, v := range r {
			if j < len(widths) && v != "" {
				lines = max(lines, wrappedLines(v, widths[j]))
			}
		}
		if err := f.SetRowHeight(sheet, i+1, min(409, float64(lines)*13.5+3)); err != nil {
			return fmt.Errorf("gap xlsx: %w", err)
		}
	}
	_, err = f.WriteTo(w)
	return err
}

// wrappedLines estimates the lines text takes in a column of width
// characters (a full-width character counts two).
func wrappedLines(text string, width float64) int {
	usable := max(2, width-1)
	n := 0
	for _, line := range strings.Split(text, "\n") {
		n += max(1, int(math.Ceil(float64(jp.DisplayWidth(line))/usable)))
	}
	return n
}

// XLSXOptions are the drop-downs (状況, 対応方針) and the date column
// (決定日) of the working spreadsheet.
func XLSXOptions() xlsx.Options {
	return xlsx.Options{
		Validations: []xlsx.Validation{
			{Column: colIndex(ColStatus), Values: Statuses, Caption: TableCaption},
			{Column: colIndex(ColDecision), Values: Decisions, Caption: TableCaption},
		},
		DateColumns: []xlsx.DateColumn{{Column: colIndex(ColDate), Caption: TableCaption}},
	}
}
