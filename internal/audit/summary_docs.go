package audit

// This file is the year's documents built from Summarize: the 内部監査全体
// 報告書 (PDF, DOCX) and the 課題一覧, as a workbook (XLSX, one row per
// problem) and as a one-page visual (PDF: problems × departments, each
// cell coloured by risk and marked 高・中・低 so that it reads in
// greyscale).

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/docgen"
	"mamori/internal/docgen/chart"
	"mamori/internal/jp"
)

// Document titles of the year's picture.
const (
	summaryTitle   = "内部監査全体報告書"
	issueListTitle = "課題一覧"
)

// SummaryReport is everything the summary report prints.
type SummaryReport struct {
	Sum     Summary
	Edits   SummaryEdits
	Witness WitnessSummary
	Date    time.Time
	// From the engagements' plans.
	Purpose, Criteria, Method string
	Period                    string
	Targets                   []SummaryTarget
	Team                      []ReportMember
	// Operations is the text of section 6: as written, else drafted from
	// the witness records.
	Operations string
}

// SummaryTarget is one internal audit of the year as section 1 lists it.
type SummaryTarget struct {
	Code, Department, Visit, Phase, Report string
}

// SummaryReportOf assembles the summary report of fiscal year fy.
func (s *Store) SummaryReportOf(ctx context.Context, fy int) (SummaryReport, error) {
	r := SummaryReport{Date: s.now()}
	var err error
	if r.Sum, err = s.Summarize(ctx, fy); err != nil {
		return r, err
	}
	if r.Edits, err = s.SummaryEdits(ctx, fy); err != nil {
		return r, err
	}
	if r.Witness, err = s.WitnessSummary(ctx, fy); err != nil {
		return r, err
	}
	d, err := loadReportDefaults()
	if err != nil {
		return r, err
	}
	ward := r.Sum.Ward
	if ward == "" {
		ward = "区"
	}
	kv := []string{"{ward}", ward, "{subject}", "各所属", "{year}", jp.FiscalYearLabel(fy), "{title}", jp.FiscalYearLabel(fy) + " 内部監査", "{template}", "内部監査チェックリスト"}
	r.Purpose = reportFill(d.Purpose[string(KindInternal)], kv...)
	r.Criteria = reportFill(d.Criteria, kv...)
	final := map[int64]bool{}
	for _, e := range r.Sum.Engagements {
		final[e.ID] = e.Final
	}
	var first, last time.Time
	seen := map[string]bool{}
	for _, e := range r.Witness.Engagements { // the year's internal audits, with targets and teams
		t := SummaryTarget{Code: e.Code, Department: e.TargetNames(), Phase: e.PhaseLabel(), Report: "未確定"}
		if final[e.ID] {
			t.Report = "確定"
		}
		for _, tg := range e.Targets {
			if tg.VisitDate.IsZero() {
				continue
			}
			if t.Visit == "" {
				t.Visit = tg.VisitWareki()
			}
			if first.IsZero() || tg.VisitDate.Before(first) {
				first = tg.VisitDate
			}
			if last.IsZero() || tg.VisitDate.After(last) {
				last = tg.VisitDate
			}
		}
		r.Targets = append(r.Targets, t)
		for _, m := range e.Members {
			k := m.RoleLabel() + "\x00" + m.Name
			if !seen[k] {
				seen[k] = true
				r.Team = append(r.Team, ReportMember{Role: m.RoleLabel(), Name: m.Name})
			}
		}
		if r.Method == "" {
			if r.Method, err = s.planMethod(ctx, e.ID); err != nil {
				return r, err
			}
		}
	}
	sort.SliceStable(r.Team, func(i, j int) bool { return r.Team[i].Role < r.Team[j].Role })
	if r.Method == "" {
		r.Method = reportFill(d.Method[string(KindInternal)], kv...)
	}
	switch {
	case first.IsZero():
		r.Period = "（実地監査日は未定です）"
	default:
		r.Period = "実地監査　" + jp.FormatWareki(first) + "から" + jp.FormatWareki(last) + "まで"
	}
	r.Operations = r.Edits.Operations
	if r.Operations == "" {
		r.Operations = WitnessDraft(r.Witness)
	}
	return r, nil
}

// WitnessDraft drafts the findings on how the internal audits were run
// from the witness records: the points where auditors needed the most
// help and the advice the witnesses gave on them.
func WitnessDraft(w WitnessSummary) string {
	if w.Recorded == 0 {
		return ""
	}
	help := w.NeedsHelp()
	var b strings.Builder
	fmt.Fprintf(&b, "%sの内部監査 %d 件のうち %d 件に支援事業者が立ち会い、観点ごとに監査の進め方を評価しました。", jp.FiscalYearLabel(w.FiscalYear),
		len(w.Engagements), w.Recorded)
	if len(help) == 0 {
		b.WriteString("いずれの観点も良好と評価されており、内部監査は適切に運営されています。")
		return b.String()
	}
	var names []string
	for i, p := range help {
		if i == 3 {
			break
		}
		names = append(names, fmt.Sprintf("「%s」（要改善 %d 件・概ね良好 %d 件）", p.Point.Label, p.Poor, p.Fair))
	}
	fmt.Fprintf(&b, "内部監査人が特に支援を要したのは、%sです。", strings.Join(names, "、"))
	for i, p := range help {
		if i == 3 {
			break
		}
		for _, n := range p.Notes {
			if a := strings.TrimSpace(n.Advice); a != "" {
				fmt.Fprintf(&b, "\n%s：%s", p.Point.Label, a)
				break
			}
		}
	}
	b.WriteString("\nこれらの観点を来年度の内部監査人研修で重点的に取り上げることが望まれます。")
	return b.String()
}

// SummaryDocument is the 内部監査全体報告書 of fiscal year fy.
func (s *Store) SummaryDocument(ctx context.Context, fy int) (*docgen.Document, error) {
	r, err := s.SummaryReportOf(ctx, fy)
	if err != nil {
		return nil, err
	}
	return summaryDocument(r), nil
}

// riskFill is the shading of a risk (light enough for black text).
var riskFill = map[string]string{"高": "F4B6B6", "中": "FCE3B0", "低": "D9EAD3"}

// rateFill shades a conformity rate for the heatmap.
func rateFill(c ChapterResult) string {
	r := c.Rate()
	switch {
	case r < 0:
		return "EEEEEE"
	case r >= 95:
		return "D9EAD3"
	case r >= 85:
		return "FFF2CC"
	case r >= 70:
		return "FCE3B0"
	}
	return "F4B6B6"
}

// shortChapter is a chapter's name short enough for a chart's axis.
func shortChapter(ch string) string {
	short := map[string]string{"情報資産の分類と管理": "情報資産", "情報システム全体の強靭性の向上": "強靭性の向上",
		"物理的セキュリティ": "物理的", "人的セキュリティ": "人的", "技術的セキュリティ": "技術的",
		"業務委託と外部サービスの利用": "業務委託・外部サービス"}
	if v, ok := short[ch]; ok {
		return v
	}
	if utf8.RuneCountInString(ch) > 10 {
		return string([]rune(ch)[:9]) + "…"
	}
	return ch
}

func summaryCell(s string, al docgen.Align) docgen.Cell {
	c := docgen.C(s)
	c.Align = al
	return c
}

func numCell(n int) docgen.Cell { return summaryCell(fmt.Sprint(n), docgen.AlignRight) }

// summaryResultsTable is the judgements per chapter with the rate.
func summaryResultsTable(caption string, rows []ChapterResult, total ChapterResult) docgen.Table {
	num := docgen.Column{Width: 1, Align: docgen.AlignRight}
	t := docgen.Table{Caption: caption, HeaderRows: 1, Columns: []docgen.Column{{Width: 3.4}, num, num, num, num, num, num, {Width: 1.3, Align: docgen.AlignRight}}}
	t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{reportHead("章"), reportHead("項目"), reportHead("適合"), reportHead("一部不適合"),
		reportHead("不適合"), reportHead("該当なし"), reportHead("未判定等"), reportHead("適合率")}})
	row := func(r ChapterResult, bold bool) {
		cells := []docgen.Cell{docgen.C(r.Chapter), numCell(r.Items), numCell(r.Conform), numCell(r.Partial), numCell(r.Nonconform), numCell(r.NA),
			numCell(r.Unverified + r.Unjudged), summaryCell(r.RateLabel(), docgen.AlignRight)}
		for i := range cells {
			cells[i].Bold = bold
		}
		t.Rows = append(t.Rows, docgen.Row{Cells: cells})
	}
	for _, r := range rows {
		row(r, false)
	}
	row(total, true)
	return t
}

// heatmapTable is departments × chapters, each cell the conformity rate,
// shaded by it.
func heatmapTable(sum Summary) docgen.Table {
	cols := []docgen.Column{{Width: 2.4}}
	head := []docgen.Cell{reportHead("所属")}
	for _, ch := range sum.Chapters {
		cols = append(cols, docgen.Column{Width: 1.3, Align: docgen.AlignRight})
		head = append(head, reportHead(ch))
	}
	cols = append(cols, docgen.Column{Width: 1.3, Align: docgen.AlignRight})
	head = append(head, reportHead("合計"))
	t := docgen.Table{Caption: "所属別・章別の適合率", HeaderRows: 1, Columns: cols, FontSize: 8, Rows: []docgen.Row{{Cells: head}}}
	line := func(name string, rs []ChapterResult, total ChapterResult, bold bool) {
		cells := []docgen.Cell{{Runs: []docgen.Run{docgen.T(name)}, Bold: bold}}
		for _, r := range append(append([]ChapterResult{}, rs...), total) {
			c := summaryCell(r.RateLabel(), docgen.AlignRight)
			c.Fill, c.Bold = rateFill(r), bold
			cells = append(cells, c)
		}
		t.Rows = append(t.Rows, docgen.Row{Cells: cells})
	}
	for _, d := range sum.Departments {
		line(d.Department, d.ByChapter, d.Total, false)
	}
	line("区全体", sum.WardTotal, sum.Total, true)
	return t
}

// RankedDepartments are the departments by their overall rate, highest
// first (those without assessed items last).
func (sum Summary) RankedDepartments() []DeptCompliance {
	out := append([]DeptCompliance{}, sum.Departments...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Total.Rate() > out[j].Total.Rate() })
	return out
}

// RankingChart is the departments' overall rates as horizontal bars,
// highest first, rounded as the tables print them. Departments with no
// judged item yet are left out (a bar of 0% would read as a result); the
// table beside the chart lists them with 「－」.
func (sum Summary) RankingChart() chart.Chart {
	c := chart.Chart{Kind: chart.HBar, Title: "所属別の適合率（高い順）", Unit: "%", Max: 100, ValueLabel: true}
	sr := chart.Series{Name: "適合率"}
	for _, d := range sum.RankedDepartments() {
		if d.Total.Rate() < 0 {
			continue
		}
		c.Categories = append(c.Categories, d.Department)
		sr.Values = append(sr.Values, math.Round(d.Total.Rate()*10)/10)
	}
	c.Series = []chart.Series{sr}
	return c
}

// Complete reports whether every chapter of the department has an
// assessed item (a radar chart of it would otherwise show 0%).
func (d DeptCompliance) Complete() bool {
	for _, c := range d.ByChapter {
		if c.Rate() < 0 {
			return false
		}
	}
	return len(d.ByChapter) > 0
}

// RadarChart is one department's rates by chapter beside the ward's.
func (sum Summary) RadarChart(d DeptCompliance) chart.Chart {
	c := chart.Chart{Kind: chart.Radar, Title: d.Department + "　章別の適合率", Unit: "%", Max: 100, Legend: true}
	dept, ward := chart.Series{Name: d.Department}, chart.Series{Name: "区全体"}
	for i, ch := range sum.Chapters {
		c.Categories = append(c.Categories, shortChapter(ch))
		dept.Values = append(dept.Values, math.Round(max(d.ByChapter[i].Rate(), 0)*10)/10)
		ward.Values = append(ward.Values, math.Round(max(sum.WardTotal[i].Rate(), 0)*10)/10)
	}
	c.Series = []chart.Series{dept, ward}
	return c
}

// WardChart is the ward's rate by chapter.
func (sum Summary) WardChart() chart.Chart {
	c := chart.Chart{Kind: chart.Bar, Title: "章別の適合率（区全体）", Unit: "%", Max: 100, ValueLabel: true}
	sr := chart.Series{Name: "適合率"}
	for i, ch := range sum.Chapters {
		c.Categories = append(c.Categories, shortChapter(ch))
		sr.Values = append(sr.Values, math.Round(max(sum.WardTotal[i].Rate(), 0)*10)/10)
	}
	c.Series = []chart.Series{sr}
	return c
}

// countTable is labelled counts as a two-column table.
func countTable(caption, label string, cs []Count) docgen.Table {
	t := docgen.Table{Caption: caption, HeaderRows: 1, Columns: []docgen.Column{{Width: 4}, {Width: 1, Align: docgen.AlignRight}}}
	t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{reportHead(label), reportHead("件数")}})
	for _, c := range cs {
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(c.Label), numCell(c.N)}})
	}
	if len(cs) == 0 {
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("該当なし")}, ColSpan: 2}}})
	}
	return t
}

func (r SummaryReport) yearLabel() string { return jp.FiscalYearLabel(r.Sum.FiscalYear) }

// summaryFigures is the generated paragraph of section 2.
func summaryFigures(sum Summary) string {
	issued := 0
	for _, e := range sum.Engagements {
		if e.Final {
			issued++
		}
	}
	typeN := map[string]int{}
	for _, c := range sum.Findings.ByType {
		typeN[c.Label] = c.N
	}
	return fmt.Sprintf("%sは %d 所属の内部監査を実施し、うち %d 件の監査報告書が確定しています。判定した %d 項目（該当なしを除く）の適合率は%sでした。"+
		"指摘事項は %d 件、改善提言は %d 件、良好事例は %d 件、観察事項は %d 件で、同じ監査項目が複数の所属で不適合又は一部不適合となったもの（共通の課題）は %d 項目です。",
		jp.FiscalYearLabel(sum.FiscalYear), len(sum.Departments), issued, sum.Total.Assessed-sum.Total.NA, sum.Total.RateLabel(),
		typeN["指摘事項"], typeN["改善提言"], typeN["良好事例"], typeN["観察事項"], len(sum.Recurring))
}

// summaryDocument lays out the 内部監査全体報告書.
func summaryDocument(r SummaryReport) *docgen.Document {
	sum := r.Sum
	doc := &docgen.Document{Cover: true, TOC: true, Meta: docgen.Meta{Title: summaryTitle, Subtitle: r.yearLabel() + " 内部監査", Ward: sum.Ward,
		FiscalYear: sum.FiscalYear, Date: r.Date, Classification: "取扱注意", PageNumbers: docgen.PageDash}}
	var b []docgen.Block
	add := func(bs ...docgen.Block) { b = append(b, bs...) }
	h1 := func(s string) { add(docgen.Heading{Level: 1, Text: s}) }
	h2 := func(s string) { add(docgen.Heading{Level: 2, Text: s}) }

	// 1 監査の概要
	h1("1　監査の概要")
	h2("（1）目的")
	add(reportParas(r.Purpose, "")...)
	h2("（2）対象")
	tt := docgen.Table{Caption: "監査の対象", HeaderRows: 1, Columns: []docgen.Column{{Width: 1.6}, {Width: 3}, {Width: 2, Align: docgen.AlignCenter},
		{Width: 1.6, Align: docgen.AlignCenter}, {Width: 1.4, Align: docgen.AlignCenter}}}
	tt.Rows = append(tt.Rows, docgen.Row{Cells: []docgen.Cell{reportHead("コード"), reportHead("所属"), reportHead("実地監査日"), reportHead("工程"), reportHead("報告書")}})
	for _, t := range r.Targets {
		tt.Rows = append(tt.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(t.Code), docgen.C(reportDash(t.Department)), docgen.C(reportDash(t.Visit)),
			docgen.C(t.Phase), docgen.C(t.Report)}})
	}
	if len(r.Targets) == 0 {
		tt.Rows = append(tt.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("この年度の内部監査はありません。")}, ColSpan: 5}}})
	}
	add(tt)
	h2("（3）期間")
	add(docgen.P(r.Period))
	h2("（4）体制")
	team := docgen.Table{Caption: "監査の体制", HeaderRows: 1, Columns: []docgen.Column{{Width: 2}, {Width: 4}}}
	team.Rows = append(team.Rows, docgen.Row{Cells: []docgen.Cell{reportHead("役割"), reportHead("氏名")}})
	byRole := map[string][]string{}
	var roles []string
	for _, m := range r.Team {
		if byRole[m.Role] == nil {
			roles = append(roles, m.Role)
		}
		byRole[m.Role] = append(byRole[m.Role], m.Name)
	}
	for _, role := range roles {
		team.Rows = append(team.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(role), docgen.C(strings.Join(byRole[role], "、"))}})
	}
	if len(roles) == 0 {
		team.Rows = append(team.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("（未定）")}, ColSpan: 2}}})
	}
	add(team)
	h2("（5）監査の基準")
	add(reportParas(r.Criteria, "")...)
	h2("（6）監査の方法")
	add(reportParas(r.Method, "")...)

	// 2 監査結果の総括
	h1("2　監査結果の総括")
	h2("（1）総括所見")
	add(reportParas(r.Edits.Overall, "（未記入）")...)
	h2("（2）監査結果の概況")
	add(reportParas(summaryFigures(sum), "")...)
	add(countTable("指摘事項等の種類別件数", "種類", sum.Findings.ByType))
	add(countTable("指摘事項・改善提言のリスク別件数", "リスク", sum.Findings.ByRisk))
	add(countTable("指摘事項等の章別件数", "章", sum.Findings.ByChapter))
	add(countTable("指摘事項等の脅威別件数（監査項目の脅威タグ）", "脅威", sum.Findings.ByThreat))
	add(countTable("指摘事項等の所属別件数", "所属", sum.Findings.ByDepartment))

	// 3 章別の遵守状況
	h1("3　章別の遵守状況")
	h2("（1）区全体の章別の結果")
	add(summaryResultsTable("区全体の章別の判定結果", sum.WardTotal, sum.Total))
	add(docgen.Chart{Chart: sum.WardChart(), Height: 75, Caption: "図　章別の適合率（区全体）"})
	add(docgen.Paragraph{Runs: []docgen.Run{{Text: "注　適合率は、判定した項目のうち「該当なし」を除いたものに占める「適合」の割合です。", Color: "444444"}}})
	h2("（2）所属別の適合率")
	add(docgen.P("所属ごとの適合率を高い順に示します。章ごとの適合率は次ページの表（色が濃いほど低い）のとおりです。"))
	rank := docgen.Table{Caption: "所属別の適合率（高い順）", HeaderRows: 1, Columns: []docgen.Column{{Width: 0.7, Align: docgen.AlignRight}, {Width: 3},
		{Width: 1.2, Align: docgen.AlignRight}, {Width: 1.2, Align: docgen.AlignRight}, {Width: 1.2, Align: docgen.AlignRight}, {Width: 1.3, Align: docgen.AlignRight}}}
	rank.Rows = append(rank.Rows, docgen.Row{Cells: []docgen.Cell{reportHead("順位"), reportHead("所属"), reportHead("適合"), reportHead("一部不適合"),
		reportHead("不適合"), reportHead("適合率")}})
	for i, d := range sum.RankedDepartments() {
		rank.Rows = append(rank.Rows, docgen.Row{Cells: []docgen.Cell{numCell(i + 1), docgen.C(d.Department), numCell(d.Total.Conform),
			numCell(d.Total.Partial), numCell(d.Total.Nonconform), summaryCell(d.Total.RateLabel(), docgen.AlignRight)}})
	}
	add(rank)
	add(docgen.Chart{Chart: sum.RankingChart(), Height: float64(20 + 8*len(sum.Departments)), Caption: "図　所属別の適合率"})
	sections := []docgen.Section{{Orientation: docgen.Portrait, Blocks: b}}
	b = nil

	// The heatmap on a landscape page.
	h2("（3）所属別・章別の適合率")
	add(heatmapTable(sum))
	add(docgen.Paragraph{Runs: []docgen.Run{{Text: "注　色分け：95%以上（緑）、85%以上（黄）、70%以上（橙）、70%未満（赤）、判定なし（灰色「－」）。各欄の数値で読めます。", Color: "444444"}}})
	sections = append(sections, docgen.Section{Orientation: docgen.Landscape, Blocks: b})
	b = nil

	h2("（4）所属別の章別レーダーチャート")
	add(docgen.P("各所属の章別の適合率を、区全体の適合率と重ねて示します（数値は（3）の表のとおりです）。"))
	var partial []string
	for _, d := range sum.Departments {
		if !d.Complete() {
			partial = append(partial, d.Department)
			continue
		}
		add(docgen.Chart{Chart: sum.RadarChart(d), Width: 110, Height: 80, Caption: "図　" + d.Department + "の章別の適合率"})
	}
	if len(partial) > 0 {
		add(docgen.P("次の所属は、判定がまだない章があるためレーダーチャートを省きました（判定済みの章の適合率は（3）の表のとおりです）：" + strings.Join(partial, "、") + "。"))
	}
	h2("（5）節別の結果（区全体）")
	st := docgen.Table{Caption: "節別の判定結果", HeaderRows: 1, Columns: []docgen.Column{{Width: 2.6}, {Width: 3.6}, {Width: 0.9, Align: docgen.AlignRight},
		{Width: 0.9, Align: docgen.AlignRight}, {Width: 1.1, Align: docgen.AlignRight}, {Width: 0.9, Align: docgen.AlignRight}, {Width: 1.2, Align: docgen.AlignRight}}}
	st.Rows = append(st.Rows, docgen.Row{Cells: []docgen.Cell{reportHead("章"), reportHead("節"), reportHead("項目"), reportHead("適合"),
		reportHead("一部不適合"), reportHead("不適合"), reportHead("適合率")}})
	for _, sc := range sum.Sections {
		st.Rows = append(st.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(sc.Chapter), docgen.C(reportDash(sc.Section)), numCell(sc.Result.Items),
			numCell(sc.Result.Conform), numCell(sc.Result.Partial), numCell(sc.Result.Nonconform), summaryCell(sc.Result.RateLabel(), docgen.AlignRight)}})
	}
	add(st)
	h2("（6）前年度以前との比較")
	add(yearsBlocks(sum)...)
	add(changesBlocks(sum)...)

	// 4 主な問題点と対策案
	h1("4　主な問題点と対策案")
	if len(sum.Problems) == 0 {
		add(docgen.P("今年度の内部監査では、対策を要する問題点はありません。"))
	} else {
		add(docgen.P(fmt.Sprintf("指摘事項・改善提言と、複数の所属に共通する不適合を、リスクの高い順に %d 件の問題点にまとめました。全件は別紙「課題一覧」のとおりです。", len(sum.Problems))))
	}
	for _, p := range sum.Problems {
		add(docgen.Heading{Level: 3, Text: p.ID + "　" + p.Description, NoTOC: true})
		pt := docgen.Table{HeaderRows: 0, Columns: []docgen.Column{{Width: 1.3}, {Width: 5}}}
		prop := func(k, v string) {
			pt.Rows = append(pt.Rows, docgen.Row{Cells: []docgen.Cell{reportHead(k), docgen.C(reportDash(v))}})
		}
		prop("章", p.Chapter)
		prop("所属", strings.Join(p.Departments, "、"))
		rc := docgen.C(p.Risk)
		rc.Fill = riskFill[p.Risk]
		pt.Rows = append(pt.Rows, docgen.Row{Cells: []docgen.Cell{reportHead("リスク"), rc}})
		prop("出典", strings.Join(p.Sources, "、"))
		prop("原因", p.Cause)
		prop("対策案", p.Countermeasure)
		prop("担当・期限・状況", strings.Join([]string{reportDash(p.Owner), reportDash(p.Due), p.Status}, "／"))
		pt.Caption = p.ID
		add(pt)
	}
	if len(sum.Recurring) > 0 {
		h2("複数の所属に共通する課題")
		rt := docgen.Table{Caption: "共通の課題", HeaderRows: 1, Columns: []docgen.Column{{Width: 1.4}, {Width: 5}, {Width: 2.6}, {Width: 0.8, Align: docgen.AlignRight}}}
		rt.Rows = append(rt.Rows, docgen.Row{Cells: []docgen.Cell{reportHead("項目番号"), reportHead("監査項目"), reportHead("所属"), reportHead("所属数")}})
		for _, rc := range sum.Recurring {
			rt.Rows = append(rt.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(rc.ItemCode), docgen.C(rc.Question), docgen.C(strings.Join(rc.Departments, "、")), numCell(len(rc.Departments))}})
		}
		add(rt)
	}
	if len(sum.Signals) > 0 {
		h2("他の取組みで把握された弱点")
		add(docgen.P("自己点検、訓練、インシデントの再発防止策などで改善措置台帳に登録された今年度の課題です。監査の結果と同じ章に現れるものは、共通の弱点として優先して対策を進めることが望まれます。"))
		sg := docgen.Table{Caption: "改善措置台帳の他の取組みの課題", HeaderRows: 1, Columns: []docgen.Column{{Width: 1.8}, {Width: 4.2}, {Width: 2.4}, {Width: 1.8}}}
		sg.Rows = append(sg.Rows, docgen.Row{Cells: []docgen.Cell{reportHead("出典"), reportHead("件名"), reportHead("関係する条項"), reportHead("関係する章")}})
		for _, x := range sum.Signals {
			sg.Rows = append(sg.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(x.Source), docgen.C(x.Title), docgen.C(reportDash(x.Clause)), docgen.C(reportDash(x.Chapter))}})
		}
		add(sg)
	}

	// 5 フォローアップの状況
	h1("5　フォローアップの状況")
	add(followUpBlocks(sum)...)

	// 6 内部監査の運営に関する所見
	h1("6　内部監査の運営に関する所見")
	add(reportParas(r.Operations, "（未記入）")...)
	if r.Witness.Recorded > 0 {
		add(docgen.Chart{Chart: r.Witness.Chart(), Height: 70, Caption: "図　立会いの観点ごとの評価"})
		wt := docgen.Table{Caption: "立会いの観点ごとの評価（件数）", HeaderRows: 1, Columns: []docgen.Column{{Width: 4}, {Width: 1, Align: docgen.AlignRight},
			{Width: 1, Align: docgen.AlignRight}, {Width: 1, Align: docgen.AlignRight}, {Width: 1, Align: docgen.AlignRight}}}
		wt.Rows = append(wt.Rows, docgen.Row{Cells: []docgen.Cell{reportHead("観点"), reportHead("良好"), reportHead("概ね良好"), reportHead("要改善"), reportHead("該当なし")}})
		for _, p := range r.Witness.Points {
			wt.Rows = append(wt.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(p.Point.Label), numCell(p.Good), numCell(p.Fair), numCell(p.Poor), numCell(p.NA)}})
		}
		add(wt)
	}

	// 7 来年度に向けた助言
	h1("7　来年度に向けた助言")
	add(reportParas(r.Edits.Advice, "（未記入）")...)
	add(docgen.Paragraph{Runs: []docgen.Run{docgen.T("以上")}, Align: docgen.AlignRight})
	sections = append(sections, docgen.Section{Orientation: docgen.Portrait, Blocks: b})

	// 別紙 課題一覧
	sections = append(sections, docgen.Section{Orientation: docgen.Landscape, Tab: "別紙", Blocks: []docgen.Block{
		docgen.Heading{Level: 1, Text: "別紙　課題一覧"}, issueTable(sum, 8.5)}})
	doc.Sections = sections
	return doc
}

// yearsBlocks compares the years' ward-wide rates by chapter.
func yearsBlocks(sum Summary) []docgen.Block {
	if len(sum.Years) < 2 {
		return []docgen.Block{docgen.P("前年度以前の内部監査の記録がないため、比較はできません。")}
	}
	num := docgen.Column{Width: 1.2, Align: docgen.AlignRight}
	cols := []docgen.Column{{Width: 3.2}}
	head := []docgen.Cell{reportHead("章")}
	for _, y := range sum.Years {
		cols = append(cols, num)
		head = append(head, reportHead(jp.FiscalYearLabel(y.FiscalYear)))
	}
	t := docgen.Table{Caption: "年度別の適合率（区全体）", HeaderRows: 1, Columns: cols, Rows: []docgen.Row{{Cells: head}}}
	c := chart.Chart{Kind: chart.Line, Title: "年度別の適合率（区全体）", Unit: "%", Max: 100, Legend: true}
	for i, ch := range sum.Chapters {
		cells := []docgen.Cell{docgen.C(ch)}
		for _, y := range sum.Years {
			cells = append(cells, summaryCell(y.ByChapter[i].RateLabel(), docgen.AlignRight))
		}
		t.Rows = append(t.Rows, docgen.Row{Cells: cells})
	}
	cells := []docgen.Cell{{Runs: []docgen.Run{docgen.T("合計")}, Bold: true}}
	sr := chart.Series{Name: "合計"}
	for _, y := range sum.Years {
		cells = append(cells, summaryCell(y.Total.RateLabel(), docgen.AlignRight))
		c.Categories = append(c.Categories, jp.FiscalYearLabel(y.FiscalYear))
		sr.Values = append(sr.Values, math.Round(max(y.Total.Rate(), 0)*10)/10)
	}
	t.Rows = append(t.Rows, docgen.Row{Cells: cells})
	c.Series = []chart.Series{sr}
	if len(t.Columns) > 12 {
		// Keep the last ten years so that the table fits the page.
		t.Columns = append(t.Columns[:1], t.Columns[len(t.Columns)-10:]...)
		for i := range t.Rows {
			t.Rows[i].Cells = append(t.Rows[i].Cells[:1], t.Rows[i].Cells[len(t.Rows[i].Cells)-10:]...)
		}
	}
	return []docgen.Block{t, docgen.Chart{Chart: c, Height: 60, Caption: "図　年度別の適合率"}}
}

// changesBlocks compares, item by item, the year's judgements with the
// audited departments' previous audits: how many were compared, and the
// items that got better and worse.
func changesBlocks(sum Summary) []docgen.Block {
	c := sum.Changes
	if c.Compared == 0 {
		return []docgen.Block{docgen.P("今年度の監査対象の所属には、項目ごとに比べられる前回の監査の判定が記録されていません。")}
	}
	out := []docgen.Block{docgen.P(fmt.Sprintf("前回の監査の判定が記録されている %d 項目（該当なしを除く）を所属ごとに比べると、判定が良くなった項目は %d、悪くなった項目は %d でした。",
		c.Compared, len(c.Improved), len(c.Worse)))}
	table := func(caption string, list []ItemChange) docgen.Table {
		t := docgen.Table{Caption: caption, HeaderRows: 1, Columns: []docgen.Column{{Width: 1.3}, {Width: 4.4}, {Width: 1.8}, {Width: 1.3, Align: docgen.AlignCenter}}}
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{reportHead("項目番号"), reportHead("監査項目"), reportHead("所属"), reportHead("前回→今回")}})
		for _, ch := range list {
			t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(ch.ItemCode), docgen.C(ch.Question), docgen.C(ch.Department),
				docgen.C(JudgementMark(ch.Before) + " → " + JudgementMark(ch.After))}})
		}
		return t
	}
	if len(c.Worse) > 0 {
		out = append(out, table("前回より判定が悪くなった項目", c.Worse))
	}
	if len(c.Improved) > 0 {
		out = append(out, table("前回より判定が良くなった項目", c.Improved))
	}
	return out
}

// followUpBlocks is section 5: last year's findings followed up, and
// where this year's problems stand in the register.
func followUpBlocks(sum Summary) []docgen.Block {
	f := sum.FollowUp
	var out []docgen.Block
	if f.Findings == 0 {
		out = append(out, docgen.P(fmt.Sprintf("%sの指摘事項・改善提言の記録はありません。", jp.FiscalYearLabel(f.LastYear))))
	} else {
		out = append(out, docgen.P(fmt.Sprintf("%sの指摘事項・改善提言 %d 件のうち、改善済は %d 件（%.1f%%）、一部改善は %d 件、未改善・未確認は %d 件です。",
			jp.FiscalYearLabel(f.LastYear), f.Findings, f.Improved, f.Completed, f.Partly, f.NotYet)))
		out = append(out, countTable(jp.FiscalYearLabel(f.LastYear)+"の指摘事項等のフォローアップ", "状況",
			[]Count{{"改善済", f.Improved}, {"一部改善", f.Partly}, {"未改善・未確認", f.NotYet}}))
	}
	status := map[string]int{}
	var order []string
	for _, p := range sum.Problems {
		if status[p.Status] == 0 {
			order = append(order, p.Status)
		}
		status[p.Status]++
	}
	var cs []Count
	for _, s := range order {
		cs = append(cs, Count{s, status[s]})
	}
	out = append(out, docgen.P("今年度の問題点の改善措置の状況（改善措置台帳）は次のとおりです。"))
	out = append(out, countTable(jp.FiscalYearLabel(sum.FiscalYear)+"の問題点の対応状況", "状況", cs))
	return out
}

// issueHeaders are the columns of the 課題一覧.
var issueHeaders = []string{"ID", "章", "内容", "所属", "リスク", "対策案", "担当", "期限", "状況"}

// issueTable is the 課題一覧 as one table, one row per problem.
func issueTable(sum Summary, size float64) docgen.Table {
	t := docgen.Table{Caption: issueListTitle, HeaderRows: 1, FontSize: size, TopAlign: true, Columns: []docgen.Column{{Width: 0.9}, {Width: 1.8}, {Width: 4.2},
		{Width: 2}, {Width: 0.9, Align: docgen.AlignCenter}, {Width: 5.2}, {Width: 2}, {Width: 1.8}, {Width: 1.3}}}
	var head []docgen.Cell
	for _, h := range issueHeaders {
		head = append(head, reportHead(h))
	}
	t.Rows = append(t.Rows, docgen.Row{Cells: head})
	for _, p := range sum.Problems {
		rc := summaryCell(p.Risk, docgen.AlignCenter)
		rc.Fill = riskFill[p.Risk]
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(p.ID), docgen.C(p.Chapter), docgen.C(p.Description),
			docgen.C(strings.Join(p.Departments, "、")), rc, docgen.C(reportDash(p.Countermeasure)), docgen.C(reportDash(p.Owner)),
			docgen.C(reportDash(p.Due)), docgen.C(p.Status)}})
	}
	if len(sum.Problems) == 0 {
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("課題はありません。")}, ColSpan: len(issueHeaders)}}})
	}
	return t
}

// IssueListDocument is the 課題一覧 of fiscal year fy as a workbook (A4
// landscape, one row per problem).
func (s *Store) IssueListDocument(ctx context.Context, fy int) (*docgen.Document, error) {
	sum, err := s.Summarize(ctx, fy)
	if err != nil {
		return nil, err
	}
	return &docgen.Document{Meta: docgen.Meta{Title: issueListTitle, Subtitle: jp.FiscalYearLabel(fy) + " 内部監査", Ward: sum.Ward, FiscalYear: fy,
		Date: s.now(), Classification: "取扱注意", PageNumbers: docgen.PageOfTotal},
		Sections: []docgen.Section{{Orientation: docgen.Landscape, Tab: issueListTitle, Blocks: []docgen.Block{issueTable(sum, 10)}}}}, nil
}

// IssueMatrixDocument is the 課題一覧 as a one-page visual: problems ×
// departments, each cell where the problem was found coloured by its risk
// and marked 高・中・低.
func (s *Store) IssueMatrixDocument(ctx context.Context, fy int) (*docgen.Document, error) {
	sum, err := s.Summarize(ctx, fy)
	if err != nil {
		return nil, err
	}
	return issueMatrixDocument(sum, s.now()), nil
}

func issueMatrixDocument(sum Summary, now time.Time) *docgen.Document {
	// Departments with a problem, in the organisation's order.
	has := map[string]bool{}
	for _, p := range sum.Problems {
		for _, d := range p.Departments {
			has[d] = true
		}
	}
	var depts []string
	for _, d := range sum.Departments {
		if has[d.Department] {
			depts = append(depts, d.Department)
			delete(has, d.Department)
		}
	}
	var rest []string
	for d := range has { // a finding's department the year's audits do not list
		rest = append(rest, d)
	}
	sort.Strings(rest)
	depts = append(depts, rest...)
	// One page: smaller type for longer lists.
	size := 9.0
	switch n := len(sum.Problems); {
	case n > 24:
		size = 6.5
	case n > 16:
		size = 7
	case n > 10:
		size = 8
	}
	cols := []docgen.Column{{Width: 1}, {Width: 8}}
	head := []docgen.Cell{reportHead("ID"), reportHead("課題")}
	for _, d := range depts {
		cols = append(cols, docgen.Column{Width: 1.4, Align: docgen.AlignCenter})
		head = append(head, reportHead(d))
	}
	cols = append(cols, docgen.Column{Width: 1.2, Align: docgen.AlignCenter})
	head = append(head, reportHead("状況"))
	t := docgen.Table{Caption: "課題と所属の対応（リスク別）", HeaderRows: 1, FontSize: size, Columns: cols, Rows: []docgen.Row{{Cells: head}}}
	for _, p := range sum.Problems {
		desc := p.Description
		if utf8.RuneCountInString(desc) > 40 {
			desc = string([]rune(desc)[:39]) + "…"
		}
		cells := []docgen.Cell{docgen.C(p.ID), docgen.C(desc)}
		for _, d := range depts {
			c := summaryCell("", docgen.AlignCenter)
			if contains(p.Departments, d) {
				c = summaryCell(p.Risk, docgen.AlignCenter)
				c.Fill, c.Bold = riskFill[p.Risk], true
			}
			cells = append(cells, c)
		}
		cells = append(cells, summaryCell(p.Status, docgen.AlignCenter))
		t.Rows = append(t.Rows, docgen.Row{Cells: cells})
	}
	if len(sum.Problems) == 0 {
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("課題はありません。")}, ColSpan: len(cols)}}})
	}
	legend := docgen.Table{Caption: "凡例", Columns: []docgen.Column{{Width: 1}, {Width: 1}, {Width: 1}, {Width: 3}}}
	var lc []docgen.Cell
	for _, r := range FindingRisks {
		c := summaryCell(r+"　リスク"+r, docgen.AlignCenter)
		c.Fill, c.Bold = riskFill[r], true
		lc = append(lc, c)
	}
	lc = append(lc, docgen.C("空欄：その所属では見つかっていない課題"))
	legend.Rows = []docgen.Row{{Cells: lc}}
	desc := fmt.Sprintf("%sの内部監査で見つかった課題 %d 件と、それが見つかった所属です。欄の文字（高・中・低）がリスクを示します。", jp.FiscalYearLabel(sum.FiscalYear), len(sum.Problems))
	return &docgen.Document{Meta: docgen.Meta{Title: issueListTitle + "（所属別）", Subtitle: jp.FiscalYearLabel(sum.FiscalYear) + " 内部監査", Ward: sum.Ward,
		FiscalYear: sum.FiscalYear, Date: now, Classification: "取扱注意", PageNumbers: docgen.PageNone},
		Sections: []docgen.Section{{Orientation: docgen.Landscape, Blocks: []docgen.Block{
			docgen.Heading{Level: 1, Text: jp.FiscalYearLabel(sum.FiscalYear) + " 課題一覧（課題 × 所属）", NoTOC: true},
			docgen.Paragraph{Runs: []docgen.Run{docgen.T(desc)}},
			legend, t}}}}
}
