package improve

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/jp"
	"mamori/internal/tabular"
)

// Title is the register's name on documents and downloads.
const Title = "改善措置台帳"

// TableHeaders are the columns of the CSV and XLSX list, in order.
var TableHeaders = []string{"No", "年度", "出典の区分", "出典", "関係する条項", "件名", "内容", "リスク", "担当所属", "期限", "状況", "期限超過",
	"進捗メモ", "完了日", "確認者", "確認日", "確認コメント", "更新日時"}

func isoDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(jp.JST).Format("2006-01-02")
}

// ListTable is the list as a table for CSV and XLSX: dates as 2026-04-01
// so spreadsheets read them as dates.
func ListTable(as []Action, now time.Time) tabular.Table {
	t := tabular.Table{Sheet: Title, Headers: TableHeaders}
	for _, a := range as {
		overdue := ""
		if a.OverdueAt(now) {
			overdue = "期限超過"
		}
		t.Rows = append(t.Rows, []string{strconv.FormatInt(a.ID, 10), jp.FiscalYearLabel(a.FiscalYear), a.Source.Label(), a.SourceLabel, a.Clause,
			a.Title, a.Detail, a.Risk, a.Owner, isoDate(a.Due), a.Status.Label(), overdue, a.ProgressNote, isoDate(a.CompletedAt),
			a.VerifiedByName, isoDate(a.VerifiedAt), a.VerificationNote, a.UpdatedAt.In(jp.JST).Format("2006-01-02 15:04")})
	}
	return t
}

// DocumentInfo is what the register document says about itself.
type DocumentInfo struct {
	Ward       string
	FiscalYear int    // 0: every year
	Scope      string // what the list holds beyond the year, e.g. 戸籍住民課の改善措置; "" for the whole register
	Now        time.Time
}

// statusFill colours the status cell in the document.
var statusFill = map[Status]string{StatusOpen: "FBE9E9", StatusInProgress: "FFF5D6", StatusDone: "EAF1FA", StatusVerified: "E5F4E8"}

func hc(s string) docgen.Cell {
	return docgen.Cell{Runs: []docgen.Run{docgen.T(s)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter}
}

// Document is the register as a document: an A4 landscape table with
// dates in 和暦, after the counts by status and source.
func Document(as []Action, sum Summary, info DocumentInfo) *docgen.Document {
	sub := "全年度"
	if info.FiscalYear != 0 {
		sub = jp.FiscalYearLabel(info.FiscalYear)
	}
	if info.Scope != "" {
		sub += "　" + info.Scope
	}
	d := &docgen.Document{Meta: docgen.Meta{Title: Title, Subtitle: sub, Ward: info.Ward, FiscalYear: info.FiscalYear, Date: info.Now,
		Classification: "取扱注意", PageNumbers: docgen.PageDash}}
	var counts []string
	for _, c := range sum.ByStatus {
		counts = append(counts, fmt.Sprintf("%s %d件", c.Label, c.N))
	}
	head := []docgen.Block{
		docgen.Heading{Level: 1, Text: strings.TrimSpace(info.Ward + " " + Title), NoTOC: true},
		docgen.P(fmt.Sprintf("%s（%s現在）", sub, jp.FormatWareki(info.Now))),
		docgen.P(fmt.Sprintf("全%d件（%s）。うち未完了%d件、期限超過%d件。", sum.Total, strings.Join(counts, "・"), sum.Unfinished, sum.Overdue)),
	}
	src := docgen.Table{Caption: "出典別の件数", HeaderRows: 1, FontSize: 8, Columns: []docgen.Column{{Width: 4}, {Width: 1, Align: docgen.AlignRight}}}
	src.Rows = append(src.Rows, docgen.Row{Cells: []docgen.Cell{hc("出典の区分"), hc("件数")}})
	for _, c := range sum.BySource {
		src.Rows = append(src.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(c.Label), docgen.C(strconv.Itoa(c.N))}})
	}
	head = append(head, src)

	tb := docgen.Table{Caption: Title, HeaderRows: 1, FontSize: 7.5, Columns: []docgen.Column{
		{Width: 1, Align: docgen.AlignCenter}, {Width: 3.2}, {Width: 7}, {Width: 2.6}, {Width: 3}, {Width: 1, Align: docgen.AlignCenter},
		{Width: 2.6, Align: docgen.AlignCenter}, {Width: 1.6, Align: docgen.AlignCenter}, {Width: 5}}}
	tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{hc("No"), hc("出典"), hc("件名・内容"), hc("関係する条項"), hc("担当所属"), hc("リスク"),
		hc("期限"), hc("状況"), hc("進捗・確認")}})
	for _, a := range as {
		source := a.Source.Label()
		if a.SourceLabel != "" {
			source += "\n" + a.SourceLabel
		}
		title := []docgen.Run{{Text: a.Title, Bold: true}}
		if a.Detail != "" {
			title = append(title, docgen.T("\n"+a.Detail))
		}
		due := a.DueWareki()
		if a.OverdueAt(info.Now) {
			due += "\n（期限超過）"
		}
		var progress []string
		if a.ProgressNote != "" {
			progress = append(progress, a.ProgressNote)
		}
		if !a.CompletedAt.IsZero() {
			progress = append(progress, "完了 "+jp.FormatWareki(a.CompletedAt))
		}
		if a.Status == StatusVerified {
			v := "確認 " + jp.FormatWareki(a.VerifiedAt) + " " + a.VerifiedByName
			if a.VerificationNote != "" {
				v += "：" + a.VerificationNote
			}
			progress = append(progress, v)
		}
		owner := a.Owner
		if owner == "" {
			owner = "（未割当）"
		}
		status := docgen.C(a.Status.Label())
		status.Fill = statusFill[a.Status]
		tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(strconv.FormatInt(a.ID, 10)), docgen.C(source), {Runs: title},
			docgen.C(a.Clause), docgen.C(owner), docgen.C(a.Risk), docgen.C(due), status, docgen.C(strings.Join(progress, "\n"))}})
	}
	if len(as) == 0 {
		tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("該当する改善措置はありません。")}, ColSpan: 9}}})
	}
	d.Sections = []docgen.Section{{Orientation: docgen.Landscape, Tab: Title, Blocks: append(head, tb)}}
	return d
}
