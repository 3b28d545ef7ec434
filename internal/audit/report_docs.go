package audit

// This file is the report's documents: the 監査報告書 (PDF/DOCX), the
// findings list (指摘事項一覧, XLSX) and the results-meeting material
// (報告会資料, PDF), each built from a ReportContent so that a final
// version prints the same whenever it is downloaded.

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"mamori/internal/docgen"
	"mamori/internal/docgen/chart"
	"mamori/internal/jp"
	"mamori/internal/module"
)

func init() {
	registerExport("audit-report", "監査報告書", func(ctx context.Context, s *Store, e Engagement) (*docgen.Document, error) {
		return s.ReportDocument(ctx, e, 0)
	})
	registerExport("findings", "指摘事項一覧", func(ctx context.Context, s *Store, e Engagement) (*docgen.Document, error) {
		return s.FindingsDocument(ctx, e, 0)
	})
	registerExport("meeting", "報告会資料", func(ctx context.Context, s *Store, e Engagement) (*docgen.Document, error) {
		return s.MeetingDocument(ctx, e, 0)
	})
}

// Document titles.
const (
	reportTitle         = "監査報告書"
	reportFindingsTitle = "指摘事項一覧"
	reportMeetingTitle  = "監査結果報告会資料"
)

// ReportDocument is engagement e's 監査報告書: version n (> 0) as it was
// finalised, 0 the report as it stands (see ReportContent).
func (s *Store) ReportDocument(ctx context.Context, e Engagement, version int) (*docgen.Document, error) {
	d, err := loadReportDefaults()
	if err != nil {
		return nil, err
	}
	c, err := s.ReportContent(ctx, e, version)
	if err != nil {
		return nil, err
	}
	return reportDocument(c, d), nil
}

// FindingsDocument is the findings list of the report (version as for
// ReportDocument), one row per finding: the XLSX the auditee works from.
func (s *Store) FindingsDocument(ctx context.Context, e Engagement, version int) (*docgen.Document, error) {
	c, err := s.ReportContent(ctx, e, version)
	if err != nil {
		return nil, err
	}
	return reportFindingsDocument(c), nil
}

// MeetingDocument is the results-meeting material (報告会資料): A4
// landscape, large type, one idea per page.
func (s *Store) MeetingDocument(ctx context.Context, e Engagement, version int) (*docgen.Document, error) {
	d, err := loadReportDefaults()
	if err != nil {
		return nil, err
	}
	c, err := s.ReportContent(ctx, e, version)
	if err != nil {
		return nil, err
	}
	return reportMeetingDocument(c, d), nil
}

// VersionLabel is the version as documents print it: 第2版, or 第2版（案）
// for a draft.
func (c ReportContent) VersionLabel() string {
	v := fmt.Sprintf("第%d版", c.Version)
	if !c.Final {
		v += "（案）"
	}
	return v
}

// DateLabel is the report's date in 和暦.
func (c ReportContent) DateLabel() string { return wareki(c.Date) }

// reportChart is the results by chapter as a chart: the judgements of each
// chapter stacked. The page draws it as SVG and the PDF paints the same.
func reportChart(c ReportContent) chart.Chart {
	ch := chart.Chart{Kind: chart.StackedBar, Title: "章別の判定結果", Unit: "件", Legend: true}
	series := []struct {
		name string
		get  func(ChapterResult) int
	}{
		{"適合", func(r ChapterResult) int { return r.Conform }},
		{"一部不適合", func(r ChapterResult) int { return r.Partial }},
		{"不適合", func(r ChapterResult) int { return r.Nonconform }},
		{"該当なし", func(r ChapterResult) int { return r.NA }},
		{"未確認・未判定", func(r ChapterResult) int { return r.Unverified + r.Unjudged }},
	}
	for _, r := range c.Chapters {
		ch.Categories = append(ch.Categories, r.Chapter)
	}
	for _, sr := range series {
		// The four judgements always (so each keeps its colour from chart
		// to chart); the unjudged only when there are some.
		if sr.name == "未確認・未判定" && sr.get(c.Total) == 0 {
			continue
		}
		var vs []float64
		for _, r := range c.Chapters {
			vs = append(vs, float64(sr.get(r)))
		}
		ch.Series = append(ch.Series, chart.Series{Name: sr.name, Values: vs})
	}
	return ch
}

// ReportChartSVG is the chart of the results by chapter for a page, w×h mm.
func ReportChartSVG(c ReportContent, w, h float64) string { return chart.SVG(reportChart(c), w, h) }

// head is a table header cell.
func reportHead(s string) docgen.Cell {
	return docgen.Cell{Runs: []docgen.Run{docgen.T(s)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter}
}

// reportParas splits a text into body paragraphs (first line indented);
// empty text prints empty (none).
func reportParas(text, empty string) []docgen.Block {
	var out []docgen.Block
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, docgen.Paragraph{Runs: []docgen.Run{docgen.T(l)}, FirstIndent: true, Align: docgen.AlignJustify})
		}
	}
	if len(out) == 0 && empty != "" {
		out = append(out, docgen.Paragraph{Runs: []docgen.Run{{Text: empty, Color: "666666"}}})
	}
	return out
}

func reportDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "－"
	}
	return s
}

// reportDocument lays out the 監査報告書: cover, the letter with the
// approval box, 1 監査の概要, 2 監査の結果, 3 指摘事項等, 4 今後の対応 and the
// checklist results as an appendix.
func reportDocument(c ReportContent, d *reportDefaults) *docgen.Document {
	date := c.Date
	if c.Final && !c.FinalisedAt.IsZero() {
		date = c.FinalisedAt
	}
	author := ""
	if c.Lead != "" {
		author = "監査責任者　" + c.Lead
	}
	doc := &docgen.Document{Cover: true, Meta: docgen.Meta{Title: reportTitle, Subtitle: c.Title, Ward: c.Ward, FiscalYear: c.FiscalYear,
		Date: date, Author: author, Classification: "取扱注意", PageNumbers: docgen.PageDash, Version: c.VersionLabel()}}
	var b []docgen.Block
	add := func(bs ...docgen.Block) { b = append(b, bs...) }

	// The letter that submits the report, under the approval box.
	add(docgen.ApprovalBox{Titles: d.Approval})
	add(docgen.Paragraph{Runs: []docgen.Run{docgen.T(jp.FormatWareki(date))}, Align: docgen.AlignRight})
	add(docgen.P(d.Letter.To))
	if c.Lead != "" {
		add(docgen.Paragraph{Runs: []docgen.Run{docgen.T(author)}, Align: docgen.AlignRight})
	}
	add(docgen.Paragraph{Runs: []docgen.Run{{Text: c.Title + "の結果について（報告）", Bold: true}}, Align: docgen.AlignCenter})
	add(docgen.Paragraph{Runs: []docgen.Run{docgen.T(reportFill(d.Letter.Body, "{year}", jp.FiscalYearLabel(c.FiscalYear), "{title}", c.Title))},
		FirstIndent: true})
	add(docgen.Paragraph{Runs: []docgen.Run{docgen.T("記")}, Align: docgen.AlignCenter})

	// 1 監査の概要
	add(docgen.Heading{Level: 1, Text: "1　監査の概要"})
	add(docgen.Heading{Level: 2, Text: "（1）目的"})
	add(reportParas(c.Purpose, "")...)
	add(docgen.Heading{Level: 2, Text: "（2）対象"})
	add(docgen.Paragraph{Runs: []docgen.Run{docgen.T(c.KindLabel + "　" + c.Subject)}})
	props := docgen.Table{HeaderRows: 0, Columns: []docgen.Column{{Width: 1}, {Width: 3}}}
	prop := func(k, v string) {
		if strings.TrimSpace(v) != "" {
			props.Rows = append(props.Rows, docgen.Row{Cells: []docgen.Cell{reportHead(k), docgen.C(v)}})
		}
	}
	prop("対象の事務", c.Business)
	prop("対象のシステム", c.System)
	prop("設置形態", c.Hosting)
	prop("保守・提供事業者", c.Vendors)
	if c.Kind != KindInternal {
		prop("特定個人情報の取扱い", map[bool]string{true: "あり", false: "なし"}[c.MyNumber])
	}
	if len(props.Rows) > 0 {
		add(props)
	}
	targets := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 4}, {Width: 2, Align: docgen.AlignCenter}, {Width: 2, Align: docgen.AlignCenter}}}
	targets.Rows = append(targets.Rows, docgen.Row{Cells: []docgen.Cell{reportHead("監査対象の所属"), reportHead("実地監査日"), reportHead("時間")}})
	for _, t := range c.Targets {
		targets.Rows = append(targets.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(t.Path), docgen.C(reportDash(t.Visit)), docgen.C(reportDash(t.Time))}})
	}
	add(targets)
	add(docgen.Heading{Level: 2, Text: "（3）期間"})
	add(docgen.P(c.Period))
	if len(c.Schedule) > 0 {
		st := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 2}, {Width: 2, Align: docgen.AlignCenter}, {Width: 2, Align: docgen.AlignCenter}}}
		st.Rows = append(st.Rows, docgen.Row{Cells: []docgen.Cell{reportHead("工程"), reportHead("予定"), reportHead("完了")}})
		for _, s := range c.Schedule {
			st.Rows = append(st.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(s.Phase), docgen.C(reportDash(s.Due)), docgen.C(reportDash(s.Done))}})
		}
		add(st)
	}
	add(docgen.Heading{Level: 2, Text: "（4）体制"})
	team := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 2}, {Width: 3}}}
	team.Rows = append(team.Rows, docgen.Row{Cells: []docgen.Cell{reportHead("役割"), reportHead("氏名")}})
	for _, m := range c.Team {
		team.Rows = append(team.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(m.Role), docgen.C(m.Name)}})
	}
	if len(c.Team) == 0 {
		team.Rows = append(team.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("（未定）")}, ColSpan: 2}}})
	}
	add(team)
	add(docgen.Heading{Level: 2, Text: "（5）方法"})
	add(reportParas(c.Method, "")...)
	add(reportParas(c.Criteria, "")...)

	// 2 監査の結果
	add(docgen.Heading{Level: 1, Text: "2　監査の結果"})
	n := 0
	sub := func(text string) {
		n++
		add(docgen.Heading{Level: 2, Text: fmt.Sprintf("（%d）%s", n, text)})
	}
	sub("監査結果の概要")
	add(reportParas(c.Summary, "（未記入）")...)
	sub("総合意見")
	add(reportParas(c.Opinion, "（未記入）")...)
	if len(c.Perspectives) > 0 {
		sub("三つの観点からの評価")
		for i, p := range c.Perspectives {
			add(docgen.Heading{Level: 3, Text: docgen.Label(4, i+1) + "　" + p.Title})
			rating := p.RatingLabel
			if rating == "" {
				rating = "（未評価）"
			}
			add(docgen.Paragraph{Runs: []docgen.Run{docgen.T("評価："), {Text: rating, Bold: true}}, Indent: 1})
			for _, blk := range reportParas(p.Text, "（説明は未記入です）") {
				pg := blk.(docgen.Paragraph)
				pg.Indent = 1
				add(pg)
			}
		}
		scale := docgen.Table{Caption: "評価の段階", HeaderRows: 1, Columns: []docgen.Column{{Width: 1, Align: docgen.AlignCenter}, {Width: 6}}}
		scale.Rows = append(scale.Rows, docgen.Row{Cells: []docgen.Cell{reportHead("評価"), reportHead("意味")}})
		for _, r := range d.Ratings {
			scale.Rows = append(scale.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(r.Label), docgen.C(r.Meaning)}})
		}
		add(scale)
	}
	sub("章別の結果")
	add(reportResultsTable(c))
	add(docgen.Chart{Chart: reportChart(c), Height: 80, Caption: "図　章別の判定結果"})
	add(docgen.Paragraph{Runs: []docgen.Run{{Text: "注　" + c.ResultsNote, Color: "444444"}}})

	// 3 指摘事項等
	add(docgen.Heading{Level: 1, Text: "3　指摘事項等"})
	if len(c.Findings) == 0 {
		add(docgen.P("今回の監査では、指摘事項等はありません。"))
	}
	k := 0
	for _, t := range reportFindingTypes {
		var fs []ReportFinding
		for _, f := range c.Findings {
			if f.Type == t.Code {
				fs = append(fs, f)
			}
		}
		if len(fs) == 0 {
			continue
		}
		k++
		add(docgen.Heading{Level: 2, Text: fmt.Sprintf("（%d）%s", k, t.Label)})
		for _, f := range fs {
			add(reportFindingTable(f))
		}
	}

	// 4… the chapters other modules add, then 今後の対応
	chapter := 4
	for _, sec := range c.Sections {
		add(reportSectionBlocks(chapter, sec)...)
		chapter++
	}
	add(docgen.Heading{Level: 1, Text: fmt.Sprint(chapter) + "　今後の対応"})
	for _, p := range c.Followup {
		add(reportParas(p, "")...)
	}
	plan := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 0.8, Align: docgen.AlignCenter}, {Width: 1.4, Align: docgen.AlignCenter},
		{Width: 5}, {Width: 2}, {Width: 0.8, Align: docgen.AlignCenter}, {Width: 2, Align: docgen.AlignCenter}}}
	plan.Rows = append(plan.Rows, docgen.Row{Cells: []docgen.Cell{reportHead("No"), reportHead("区分"), reportHead("件名"), reportHead("所属"),
		reportHead("リスク"), reportHead("改善期限")}})
	for _, f := range c.Findings {
		if f.NeedsPlan() {
			plan.Rows = append(plan.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(fmt.Sprint(f.Seq)), docgen.C(f.TypeLabel), docgen.C(f.Title),
				docgen.C(reportDash(f.Department)), docgen.C(reportDash(f.Risk)), docgen.C(reportDash(f.Due))}})
		}
	}
	if len(plan.Rows) > 1 {
		add(plan)
	}
	add(docgen.Paragraph{Runs: []docgen.Run{docgen.T("以上")}, Align: docgen.AlignRight})

	// 付録 the checklist results
	add(docgen.PageBreak{})
	add(docgen.Heading{Level: 1, Text: "付録　チェックリストの判定結果"})
	legend := docgen.Table{Caption: "判定の記号", Columns: []docgen.Column{{Width: 1}, {Width: 1}, {Width: 1}, {Width: 1}, {Width: 1}, {Width: 1}}}
	var lc []docgen.Cell
	for _, l := range []string{"○ 適合", "△ 一部不適合", "× 不適合", "－ 該当なし", "未確認", "空欄 未判定"} {
		c := docgen.C(l)
		c.Align = docgen.AlignCenter
		lc = append(lc, c)
	}
	legend.Rows = []docgen.Row{{Cells: lc}}
	add(legend)
	items := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 1.3}, {Width: 2.6}, {Width: 6.8}, {Width: 1, Align: docgen.AlignCenter}}}
	items.Rows = append(items.Rows, docgen.Row{Cells: []docgen.Cell{reportHead("項目番号"), reportHead("区分"), reportHead("監査項目"), reportHead("判定")}})
	for _, it := range c.Items {
		mark := it.Mark
		if it.Judgement == JudgeUnverified {
			mark = "未確認" // a line never starts with 「？」
		}
		items.Rows = append(items.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(it.Code), docgen.C(it.Category), docgen.C(it.Question), docgen.C(mark)}})
	}
	if len(c.Items) == 0 {
		items.Rows = append(items.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("チェックリストに項目がありません。")}, ColSpan: 4}}})
	}
	add(items)

	doc.Sections = []docgen.Section{{Orientation: docgen.Portrait, Blocks: b}}
	return doc
}

// reportResultsTable is the results by chapter with the total.
func reportResultsTable(c ReportContent) docgen.Table {
	num := docgen.Column{Width: 1, Align: docgen.AlignRight}
	t := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 4.2}, num, num, num, num, num, num, {Width: 1.2, Align: docgen.AlignRight}}}
	t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{reportHead("章"), reportHead("項目数"), reportHead("適合"), reportHead("一部不適合"),
		reportHead("不適合"), reportHead("該当なし"), reportHead("未確認・未判定"), reportHead("適合率")}})
	row := func(r ChapterResult, bold bool) docgen.Row {
		cells := []docgen.Cell{docgen.C(r.Chapter)}
		for _, v := range []int{r.Items, r.Conform, r.Partial, r.Nonconform, r.NA, r.Unverified + r.Unjudged} {
			cells = append(cells, docgen.C(fmt.Sprint(v)))
		}
		cells = append(cells, docgen.C(r.RateLabel()))
		if bold {
			for i := range cells {
				cells[i].Bold, cells[i].Fill = true, "F2F5F9"
			}
		}
		return docgen.Row{Cells: cells}
	}
	for _, r := range c.Chapters {
		t.Rows = append(t.Rows, row(r, false))
	}
	t.Rows = append(t.Rows, row(c.Total, true))
	return t
}

// reportFindingTable prints one finding: its heading row, then each element
// (指摘事項 and 改善提言 always print the elements a finding must have).
func reportFindingTable(f ReportFinding) docgen.Table {
	t := docgen.Table{Columns: []docgen.Column{{Width: 1.2}, {Width: 5}}}
	t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{{Text: fmt.Sprintf("No.%d　%s", f.Seq, f.Title), Bold: true}},
		ColSpan: 2, Fill: "DDE6F0"}}})
	full, good := f.NeedsPlan(), f.Type == "good"
	row := func(k, v string, always bool) {
		if strings.TrimSpace(v) == "" {
			if !always {
				return
			}
			v = "（記載なし）"
		}
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T(k)}, Bold: true, Fill: "F2F5F9"}, docgen.C(v)}})
	}
	row("区分", f.TypeLabel, true)
	row("所属", f.Department, false)
	row("関係する項目", f.Items, false)
	row("関係する条項", f.Clauses, false)
	if !good {
		row("リスク", f.Risk, full)
	}
	row("事実", f.Condition, full)
	row("基準", f.Criteria, full)
	row("原因", f.Cause, full)
	row("影響", f.Effect, full)
	row("改善提言", f.Recommendation, full)
	row("被監査所属のコメント", f.AuditeeComment, full)
	if !good {
		row("改善期限", f.Due, false)
	}
	return t
}

// reportFindingsHeaders are the columns of the findings list.
var reportFindingsHeaders = []string{"No", "区分", "件名", "所属", "関係する項目", "関係する条項", "リスク", "事実", "基準", "原因", "影響", "改善提言",
	"被監査所属のコメント", "改善期限"}

// reportFindingsDocument is the findings list: one table, one row per finding.
func reportFindingsDocument(c ReportContent) *docgen.Document {
	doc := &docgen.Document{Meta: docgen.Meta{Title: reportFindingsTitle, Subtitle: c.Title + "　" + c.VersionLabel(), Ward: c.Ward, FiscalYear: c.FiscalYear,
		Date: c.Date, Classification: "取扱注意", PageNumbers: docgen.PageDash}}
	w := []float64{1, 1.3, 2.4, 1.4, 2, 2, 1, 2.6, 2.2, 2, 2, 2.6, 2, 1.5}
	t := docgen.Table{Caption: reportFindingsTitle, HeaderRows: 1}
	for _, x := range w {
		t.Columns = append(t.Columns, docgen.Column{Width: x})
	}
	var head []docgen.Cell
	for _, h := range reportFindingsHeaders {
		head = append(head, reportHead(h))
	}
	t.Rows = append(t.Rows, docgen.Row{Cells: head})
	for _, f := range c.Findings {
		// one item code a line: a code never breaks at its hyphens
		vals := []string{fmt.Sprint(f.Seq), f.TypeLabel, f.Title, f.Department, strings.ReplaceAll(f.Items, "、", "\n"), f.Clauses, f.Risk, f.Condition, f.Criteria, f.Cause, f.Effect,
			f.Recommendation, f.AuditeeComment, f.Due}
		var cells []docgen.Cell
		for _, v := range vals {
			cells = append(cells, docgen.C(v))
		}
		t.Rows = append(t.Rows, docgen.Row{Cells: cells})
	}
	if len(c.Findings) == 0 {
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("指摘事項等はありません。")}, ColSpan: len(reportFindingsHeaders)}}})
	}
	head2 := []docgen.Block{
		docgen.Heading{Level: 1, Text: strings.TrimSpace(c.Ward + " " + reportFindingsTitle), NoTOC: true},
		docgen.P(fmt.Sprintf("%s（%s、%s）", c.Title, c.Code, c.VersionLabel())),
	}
	doc.Sections = []docgen.Section{{Orientation: docgen.Landscape, Blocks: append(head2, t)}}
	return doc
}

// Type sizes of the meeting material (points): a reportSlide's title and its
// points, large enough to read on a projected screen.
const (
	reportSlideTitlePt = 24
	reportSlideBodyPt  = 17
)

// reportSlide is one page of the meeting material: a title band and its
// points (a point's own lines, after 「\n」, are set in under its text).
func reportSlide(first bool, title string, points []string, extra ...docgen.Block) []docgen.Block {
	var b []docgen.Block
	if !first {
		b = append(b, docgen.PageBreak{})
	}
	b = append(b, docgen.Table{FontSize: reportSlideTitlePt, Columns: []docgen.Column{{Width: 1}},
		Rows: []docgen.Row{{Cells: []docgen.Cell{{Runs: []docgen.Run{{Text: title, Bold: true, Color: "FFFFFF"}}, Fill: "123A63"}}}}})
	if len(points) > 0 {
		t := docgen.Table{FontSize: reportSlideBodyPt, Columns: []docgen.Column{{Width: 1}}}
		for _, p := range points {
			head, rest, more := strings.Cut(p, "\n")
			runs := []docgen.Run{docgen.T(head)}
			hang := []int{1}
			if more {
				runs = []docgen.Run{{Text: head, Bold: true}, docgen.T("\n　" + rest)}
				hang = []int{1, 1}
			}
			t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: runs, Hang: hang}}})
		}
		b = append(b, t)
	}
	return append(b, extra...)
}

// reportRiskOrder sorts 高 before 中 before 低.
func reportRiskOrder(r string) int {
	switch r {
	case "高":
		return 0
	case "中":
		return 1
	case "低":
		return 2
	}
	return 3
}

// reportMaxSlideFindings is how many findings the main-findings page lists.
const reportMaxSlideFindings = 6

// reportMeetingDocument lays out the results-meeting material: purpose and
// scope, results by chapter, main findings, good practices, next steps
// and, for external audits, the tendencies seen elsewhere.
func reportMeetingDocument(c ReportContent, d *reportDefaults) *docgen.Document {
	doc := &docgen.Document{Cover: true, Meta: docgen.Meta{Title: reportMeetingTitle, Subtitle: c.Title, Ward: c.Ward, FiscalYear: c.FiscalYear,
		Date: c.Date, Author: c.Lead, Classification: "取扱注意", PageNumbers: docgen.PageDash, Version: c.VersionLabel()}}
	var b []docgen.Block

	var team []string
	for _, m := range c.Team {
		team = append(team, m.Name+"（"+m.Role+"）")
	}
	purpose := []string{"・" + reportFirstSentence(c.Purpose), "・対象　" + c.Subject, "・" + c.Period}
	if len(team) > 0 {
		purpose = append(purpose, "・監査チーム　"+strings.Join(team, "、"))
	}
	b = append(b, reportSlide(true, "監査の目的と範囲", purpose)...)

	t := c.Total
	summary := fmt.Sprintf("・チェックリスト %d 項目のうち、適合 %d・一部不適合 %d・不適合 %d・該当なし %d（適合率 %s）",
		t.Items, t.Conform, t.Partial, t.Nonconform, t.NA, t.RateLabel())
	b = append(b, reportSlide(false, "章別の結果", []string{summary}, docgen.Chart{Chart: reportChart(c), Height: 105})...)

	var main []ReportFinding
	for _, f := range c.Findings {
		if f.NeedsPlan() {
			main = append(main, f)
		}
	}
	sort.SliceStable(main, func(i, j int) bool { return reportRiskOrder(main[i].Risk) < reportRiskOrder(main[j].Risk) })
	var points []string
	for i, f := range main {
		if i == reportMaxSlideFindings {
			points = append(points, fmt.Sprintf("・ほか %d 件は監査報告書をご覧ください。", len(main)-reportMaxSlideFindings))
			break
		}
		p := fmt.Sprintf("・【%s・リスク%s】%s", f.TypeLabel, reportDash(f.Risk), f.Title)
		if f.Department != "" && len(c.Targets) > 1 {
			p += "（" + f.Department + "）"
		}
		points = append(points, p)
	}
	if len(points) == 0 {
		points = []string{"・" + d.Meeting.FindingsNone}
	}
	b = append(b, reportSlide(false, "主な指摘事項と改善提言", points)...)

	points = nil
	for _, f := range c.Findings {
		if f.Type == "good" {
			p := "・" + f.Title
			if s := reportFirstSentence(f.Condition); s != "" {
				p += "\n" + s
			}
			points = append(points, p)
		}
	}
	if len(points) == 0 {
		points = []string{"・" + d.Meeting.GoodNone}
	}
	b = append(b, reportSlide(false, "良好事例", points)...)

	points = nil
	for _, s := range d.Meeting.NextSteps {
		points = append(points, "・"+strings.TrimSpace(s))
	}
	if c.PlanDue != "" {
		points = append(points, "・改善計画の提出期限　"+c.PlanDue)
	}
	if c.FollowupDue != "" {
		points = append(points, "・フォローアップの予定　"+c.FollowupDue+"まで")
	}
	b = append(b, reportSlide(false, "今後の進め方", points)...)

	if c.Kind.External() && len(d.Meeting.Tendencies) > 0 {
		points = nil
		for _, s := range d.Meeting.Tendencies {
			points = append(points, "・"+strings.TrimSpace(s))
		}
		note := docgen.Paragraph{Runs: []docgen.Run{{Text: "注　" + strings.TrimSpace(d.Meeting.TendenciesNote), Color: "444444"}}}
		b = append(b, reportSlide(false, "他の団体で見られる傾向", points, note)...)
	}
	doc.Sections = []docgen.Section{{Orientation: docgen.Landscape, Blocks: b}}
	return doc
}

// reportFirstSentence is the text up to its first 「。」 (inclusive).
func reportFirstSentence(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\n", ""))
	if i := strings.Index(s, "。"); i >= 0 {
		return s[:i+len("。")]
	}
	return s
}

// reportSectionBlocks prints a chapter another module added.
func reportSectionBlocks(n int, sec module.ReportSection) []docgen.Block {
	b := []docgen.Block{docgen.Heading{Level: 1, Text: fmt.Sprint(n) + "　" + sec.Title}}
	for _, p := range sec.Paragraphs {
		b = append(b, docgen.P(p))
	}
	for _, t := range sec.Tables {
		tb := docgen.Table{HeaderRows: 1, Caption: t.Caption}
		for i := range t.Head {
			col := docgen.Column{Width: 1}
			if i < len(t.Widths) && t.Widths[i] > 0 {
				col.Width = t.Widths[i]
			}
			if i < len(t.Numeric) && t.Numeric[i] {
				col.Align = docgen.AlignRight
			}
			tb.Columns = append(tb.Columns, col)
		}
		var head []docgen.Cell
		for _, h := range t.Head {
			head = append(head, reportHead(h))
		}
		tb.Rows = append(tb.Rows, docgen.Row{Cells: head})
		for _, r := range t.Rows {
			var cells []docgen.Cell
			for _, v := range r {
				cells = append(cells, docgen.C(v))
			}
			tb.Rows = append(tb.Rows, docgen.Row{Cells: cells})
		}
		b = append(b, tb)
	}
	if sec.Note != "" {
		b = append(b, docgen.Paragraph{Runs: []docgen.Run{{Text: "注　" + sec.Note, Color: "444444"}}})
	}
	return b
}
