package audit

// This file is the results material of an external audit (報告会資料（外部
// 監査結果）): A4 landscape pages like slides — 1 the overall evaluation on
// the three perspectives, 2 the main findings, 3 the ward's problem
// points, 4 how other municipalities typically handle them (the examples
// the consultant chose), 5 next steps. Built from the report's content
// (ReportContent) so that readers after issue get the issued version.

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"mamori/internal/docgen"
)

func init() {
	registerExport("material", materialTitle, func(ctx context.Context, s *Store, e Engagement) (*docgen.Document, error) {
		if !materialKind(e.Kind) {
			return nil, fmt.Errorf("%s は外部監査ではありません（報告会資料（外部監査結果）は外部監査だけに作成します）", e.Code)
		}
		return s.MaterialDocument(ctx, e, 0)
	})
}

// materialTitle is the material's title.
const materialTitle = "報告会資料（外部監査結果）"

// materialKind reports whether engagement kind k has results material:
// the external audits (information assets, My Number).
func materialKind(k Kind) bool { return k == KindExternalAssets || k == KindExternalMyNumber }

// materialExamplesPerPage is how many examples one page of part 4 holds.
const materialExamplesPerPage = 2

// MaterialDocument is engagement e's results material, from its report's
// version (0: as it stands, see ReportContent) and the chosen examples.
func (s *Store) MaterialDocument(ctx context.Context, e Engagement, version int) (*docgen.Document, error) {
	d, err := loadReportDefaults()
	if err != nil {
		return nil, err
	}
	c, err := s.ReportContent(ctx, e, version)
	if err != nil {
		return nil, err
	}
	xs, err := s.MaterialExamples(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	items, err := s.Items(ctx, e.ID, ItemFilter{WithDropped: true})
	if err != nil {
		return nil, err
	}
	chapters := map[string]string{}
	for _, it := range items {
		chapters[it.Code] = reportChapter(it.Category)
	}
	return materialDocument(c, d, xs, chapters), nil
}

// materialCell is a body cell of the material's tables.
func materialCell(s string) docgen.Cell { return docgen.C(reportDash(s)) }

// materialDocument lays out the material; chapters maps item codes to
// their chapters (for the problem points).
func materialDocument(c ReportContent, d *reportDefaults, xs []MaterialExample, chapters map[string]string) *docgen.Document {
	doc := &docgen.Document{Cover: true, Meta: docgen.Meta{Title: materialTitle, Subtitle: c.Title, Ward: c.Ward, FiscalYear: c.FiscalYear,
		Date: c.Date, Author: c.Lead, Classification: "取扱注意", PageNumbers: docgen.PageDash, Version: c.VersionLabel()}}
	var b []docgen.Block

	// 1 the overall evaluation on the three perspectives.
	t := c.Total
	overall := []string{fmt.Sprintf("・対象　%s（%s）", c.Subject, c.Period),
		fmt.Sprintf("・チェックリスト %d 項目：適合 %d・一部不適合 %d・不適合 %d・該当なし %d（適合率 %s）",
			t.Items, t.Conform, t.Partial, t.Nonconform, t.NA, t.RateLabel())}
	if s := reportFirstSentence(c.Opinion); s != "" {
		overall = append(overall, "・総合意見　"+s)
	}
	persp := docgen.Table{Caption: "三つの観点からの評価", FontSize: 13, HeaderRows: 1,
		Columns: []docgen.Column{{Width: 3}, {Width: 1.3, Align: docgen.AlignCenter}, {Width: 8}}}
	persp.Rows = append(persp.Rows, docgen.Row{Cells: []docgen.Cell{reportHead("観点"), reportHead("評価"), reportHead("評価の理由")}})
	for _, p := range c.Perspectives {
		rating := p.RatingLabel
		if rating == "" {
			rating = "（未評価）"
		}
		text := strings.Join(lines(p.Text), "")
		if text == "" {
			text = "（説明は未記入です）"
		}
		rc := docgen.Cell{Runs: []docgen.Run{{Text: rating, Bold: true}}, Align: docgen.AlignCenter}
		persp.Rows = append(persp.Rows, docgen.Row{Cells: []docgen.Cell{materialCell(p.Title), rc, docgen.C(text)}})
	}
	if len(c.Perspectives) == 0 {
		persp.Rows = append(persp.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("この監査には観点別の評価がありません。")}, ColSpan: 3}}})
	}
	b = append(b, reportSlide(true, "1　総合評価（三つの観点）", overall, persp)...)

	// 2 the main findings.
	var main []ReportFinding
	for _, f := range c.Findings {
		if f.NeedsPlan() {
			main = append(main, f)
		}
	}
	sort.SliceStable(main, func(i, j int) bool { return reportRiskOrder(main[i].Risk) < reportRiskOrder(main[j].Risk) })
	ft := docgen.Table{Caption: "主な指摘事項", FontSize: 12, HeaderRows: 1, Columns: []docgen.Column{{Width: 0.7, Align: docgen.AlignCenter},
		{Width: 1.4, Align: docgen.AlignCenter}, {Width: 0.9, Align: docgen.AlignCenter}, {Width: 4.2}, {Width: 2}, {Width: 5}}}
	ft.Rows = append(ft.Rows, docgen.Row{Cells: []docgen.Cell{reportHead("No"), reportHead("区分"), reportHead("リスク"), reportHead("件名"),
		reportHead("所属"), reportHead("改善提言（要旨）")}})
	for i, f := range main {
		if i == reportMaxSlideFindings {
			ft.Rows = append(ft.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T(
				fmt.Sprintf("ほか %d 件は監査報告書をご覧ください。", len(main)-reportMaxSlideFindings))}, ColSpan: 6}}})
			break
		}
		ft.Rows = append(ft.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(fmt.Sprint(f.Seq)), docgen.C(f.TypeLabel), materialCell(f.Risk),
			docgen.C(f.Title), materialCell(f.Department), materialCell(reportFirstSentence(f.Recommendation))}})
	}
	if len(main) == 0 {
		b = append(b, reportSlide(false, "2　主な指摘事項", []string{"・" + d.Meeting.FindingsNone})...)
	} else {
		b = append(b, reportSlide(false, "2　主な指摘事項", []string{fmt.Sprintf("・指摘事項・改善提言 %d 件（リスクの高い順）", len(main))}, ft)...)
	}

	// 3 the ward's problem points: the causes of the findings, by chapter.
	b = append(b, reportSlide(false, "3　区の課題", materialProblems(main, chapters))...)

	// 4 how other municipalities typically handle them.
	note := docgen.Paragraph{Runs: []docgen.Run{{Text: "注　多くの地方公共団体で一般的に取られている対応を、監査人がまとめたものです。特定の団体の事例ではありません。", Color: "444444"}}}
	if len(xs) == 0 {
		b = append(b, reportSlide(false, "4　他団体における一般的な対応", []string{"・この資料では対応例を取り上げていません。"})...)
	}
	pages := (len(xs) + materialExamplesPerPage - 1) / materialExamplesPerPage
	for p := 0; p < pages; p++ {
		title := "4　他団体における一般的な対応"
		if pages > 1 {
			title += fmt.Sprintf("（%d/%d）", p+1, pages)
		}
		var extra []docgen.Block
		for _, x := range xs[p*materialExamplesPerPage : min(len(xs), (p+1)*materialExamplesPerPage)] {
			extra = append(extra, materialExampleTable(x))
		}
		extra = append(extra, note)
		b = append(b, reportSlide(false, title, nil, extra...)...)
	}

	// 5 next steps.
	var steps []string
	for _, s := range d.Meeting.NextSteps {
		steps = append(steps, "・"+strings.TrimSpace(s))
	}
	if c.PlanDue != "" {
		steps = append(steps, "・改善計画の提出期限　"+c.PlanDue)
	}
	if c.FollowupDue != "" {
		steps = append(steps, "・フォローアップの予定　"+c.FollowupDue+"まで")
	}
	if len(xs) > 0 {
		steps = append(steps, "・4の対応例を参考に、改善計画の具体的な方法と担当・期限を定めてください。")
	}
	b = append(b, reportSlide(false, "5　今後の進め方", steps)...)

	doc.Sections = []docgen.Section{{Orientation: docgen.Landscape, Blocks: b}}
	return doc
}

// materialProblems groups the main findings by the chapter of their first
// item and says, for each, what lies behind them (the causes).
func materialProblems(main []ReportFinding, chapters map[string]string) []string {
	type group struct {
		chapter string
		titles  []string
		causes  []string
		worst   string
	}
	var gs []*group
	by := map[string]*group{}
	for _, f := range main {
		ch := "（区分なし）"
		for _, code := range reportCodes(f.Items) {
			if c, ok := chapters[code]; ok {
				ch = c
				break
			}
		}
		g := by[ch]
		if g == nil {
			g = &group{chapter: ch, worst: f.Risk}
			by[ch] = g
			gs = append(gs, g)
		}
		if reportRiskOrder(f.Risk) < reportRiskOrder(g.worst) {
			g.worst = f.Risk
		}
		g.titles = append(g.titles, f.Title)
		cause := reportFirstSentence(f.Cause)
		if cause == "" {
			cause = reportFirstSentence(f.Condition)
		}
		if cause != "" {
			g.causes = append(g.causes, cause)
		}
	}
	sort.SliceStable(gs, func(i, j int) bool { return reportRiskOrder(gs[i].worst) < reportRiskOrder(gs[j].worst) })
	if len(gs) == 0 {
		return []string{"・今回の監査では、改善を求める課題はありませんでした。"}
	}
	var out []string
	for _, g := range gs {
		head := fmt.Sprintf("・【%s】%s（リスク：%s）", g.chapter, strings.Join(g.titles, "／"), reportDash(g.worst))
		if len(g.causes) == 0 {
			out = append(out, head)
			continue
		}
		rest := "背景：" + strings.Join(g.causes, "")
		out = append(out, head+"\n"+rest)
	}
	return out
}

// materialExampleTable prints one chosen example.
func materialExampleTable(x MaterialExample) docgen.Table {
	t := docgen.Table{FontSize: 12, Columns: []docgen.Column{{Width: 2.2}, {Width: 10}}}
	t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{{Text: x.Title + "（" + x.CategoryLabel() + "）", Bold: true}},
		ColSpan: 2, Fill: "DDE6F0"}}})
	row := func(k, v string) {
		if strings.TrimSpace(v) == "" {
			return
		}
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T(k)}, Bold: true, Fill: "F2F5F9"}, docgen.C(v)}})
	}
	row("監査で見られる課題", x.Problem)
	row("一般的な対応", x.Practice)
	row("本区への補足", x.Note)
	return t
}
