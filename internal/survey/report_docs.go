package survey

// This file is the documents of a campaign's results, all built from its
// Analysis: the 調査結果報告書 (PDF, DOCX), the 報告会資料 (PDF, A4
// landscape, a few slides) and the raw answers for analysts (XLSX, CSV in
// Shift_JIS), plus the charts the results page draws from the same model.
// The questionnaire for paper (調査票) is form_docs.go's.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"mamori/internal/docgen"
	"mamori/internal/docgen/chart"
	"mamori/internal/jp"
	"mamori/internal/tabular"
)

// Document titles.
const (
	ReportTitle   = "自己点検 調査結果報告書"
	BriefingTitle = "自己点検 結果報告会資料"
	AnswersTitle  = "自己点検 回答データ"
)

// ---- charts (the results page draws the same ones as SVG) ----

// chartValue rounds an index to one decimal, as the tables print it.
func chartValue(v float64) float64 {
	if math.IsNaN(v) {
		return v
	}
	return math.Round(v*10) / 10
}

// yearSeriesName names a campaign's series in a chart: 令和8年度.
func yearSeriesName(c Campaign) string { return jp.FiscalYearLabel(c.FiscalYear) }

// DomainChart is the understanding index per domain (and overall), with
// last year's beside it when there is a comparison.
func DomainChart(a *Analysis) chart.Chart {
	ch := chart.Chart{Kind: chart.HBar, Title: "領域別の理解度（0～100）", Max: 100, ValueLabel: true, Legend: a.Last != nil}
	cur := chart.Series{Name: yearSeriesName(a.Campaign)}
	var last chart.Series
	if a.Last != nil {
		last.Name = yearSeriesName(a.Last.Campaign)
	}
	add := func(label string, now, then Score) {
		ch.Categories = append(ch.Categories, label)
		cur.Values = append(cur.Values, chartValue(now.Index()))
		last.Values = append(last.Values, chartValue(then.Index()))
	}
	var lastOverall Score
	if a.Last != nil {
		lastOverall = a.Last.Overall
	}
	add("全体", a.Overall, lastOverall)
	for _, d := range a.Domains {
		add(d.Label, d.Score, d.Last)
	}
	ch.Series = []chart.Series{cur}
	if a.Last != nil {
		ch.Series = append(ch.Series, last)
	}
	return ch
}

// AudienceChart is the index per domain for each audience shown.
func AudienceChart(a *Analysis) chart.Chart {
	ch := chart.Chart{Kind: chart.HBar, Title: "対象者別・領域別の理解度（0～100）", Max: 100, Legend: true}
	for _, d := range a.Domains {
		ch.Categories = append(ch.Categories, d.Label)
	}
	for _, au := range a.Audiences {
		if !au.Shown {
			continue
		}
		s := chart.Series{Name: au.Label}
		for i := range a.Domains {
			v := math.NaN()
			if i < len(au.Domains) {
				v = chartValue(au.Domains[i].Index())
			}
			s.Values = append(s.Values, v)
		}
		ch.Series = append(ch.Series, s)
	}
	return ch
}

// DepartmentChart is the histogram of the departments' indexes.
func DepartmentChart(a *Analysis) chart.Chart {
	ch := chart.Chart{Kind: chart.Bar, Title: "所属別の理解度の分布（所属数）", ValueLabel: true, Categories: a.DeptDist.BinLabels()}
	s := chart.Series{Name: "所属数"}
	for _, n := range a.DeptDist.Bins {
		s.Values = append(s.Values, float64(n))
	}
	ch.Series = []chart.Series{s}
	return ch
}

// PersonChart is the histogram of the respondents' own indexes.
func PersonChart(a *Analysis) chart.Chart {
	ch := chart.Chart{Kind: chart.Bar, Title: "回答者ごとの正答率の分布（人数）", ValueLabel: true, Categories: a.PersonDist.BinLabels()}
	s := chart.Series{Name: "回答者数"}
	for _, n := range a.PersonDist.Bins {
		s.Values = append(s.Values, float64(n))
	}
	ch.Series = []chart.Series{s}
	return ch
}

// LikertChart is the attitude questions' answers, stacked in percent.
func LikertChart(a *Analysis) chart.Chart {
	ch := chart.Chart{Kind: chart.StackedBar, Title: "意識の設問の回答（%）", Unit: "%", Max: 100, Legend: true}
	qs := a.OfKind(KindLikert)
	for _, q := range qs {
		ch.Categories = append(ch.Categories, q.Question.Code)
	}
	for i, label := range LikertScale {
		s := chart.Series{Name: label}
		for _, q := range qs {
			s.Values = append(s.Values, chartValue(100*nanZero(q.Share(i))))
		}
		ch.Series = append(ch.Series, s)
	}
	return ch
}

// ClauseChart is the practice rate per clause.
func ClauseChart(a *Analysis) chart.Chart {
	ch := chart.Chart{Kind: chart.HBar, Title: "条項別の実践率（%）", Unit: "%", Max: 100, ValueLabel: true}
	s := chart.Series{Name: "実践率"}
	for _, c := range a.Clauses {
		ch.Categories = append(ch.Categories, c.Label)
		s.Values = append(s.Values, chartValue(100*c.Rate()))
	}
	ch.Series = []chart.Series{s}
	return ch
}

func nanZero(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// hbarHeight is a horizontal bar chart's height for n categories of
// series bars each (millimetres).
func hbarHeight(n, series int) float64 {
	return math.Min(230, 28+float64(n)*(5+3.5*float64(max(1, series))))
}

// ---- recommendations ----

// domainAdvice is what the report proposes for a weak domain: what
// training should emphasise and what audits should check.
type domainAdvice struct{ training, audit string }

// domainAdvices are the proposals per risk domain (own wording).
var domainAdvices = map[string]domainAdvice{
	"phishing": {"差出人や本文の不自然さに気付く観点と、開いてしまった後すぐに連絡する手順を、実際のメールに近い例を使った演習で扱う",
		"不審メールの報告窓口の周知と、報告された件数・対応の記録"},
	"password": {"パスワードの使い回しと共有をしないこと、多要素認証を使う理由を、具体的な被害の例とともに扱う",
		"共用アカウントの有無と、パスワードの設定・変更の運用"},
	"removable": {"書類や記録媒体を持ち出すときの手続と、紛失に気付いたときの最初の行動を扱う",
		"持出しの記録（持出し簿）と記録媒体の管理台帳の整備・照合"},
	"misdelivery": {"メール・FAX・郵送・窓口交付の前の宛先と内容の確認、複数人での確認の手順を、誤送付の事例とともに扱う",
		"送付・交付の前の確認手順が定められ、実際に行われていること"},
	"sns": {"職務で知り得た情報を私的に発信しないことと、公式アカウントの運用ルールを扱う",
		"公式アカウントの管理者の指定と、投稿の承認の手順"},
	"outsourcing": {"委託契約に盛り込む安全管理措置と、委託先の取扱いを確かめる方法を扱う",
		"委託先からの報告の受領や立入り確認など、委託先の監督の記録"},
	"mynumber": {"特定個人情報を利用できる範囲と、事務取扱担当者以外が扱わないための措置を扱う",
		"特定個人情報を扱う事務の範囲と事務取扱担当者の指定、取扱いの記録"},
	"cloud_ai": {"生成AIやクラウドサービスに入力してはならない情報と、利用が認められたサービスの範囲を、具体的な入力例で扱う",
		"クラウドサービス・生成AIの利用申請と承認、利用状況の把握"},
	"incident": {"事故や事故の疑いに気付いたときの報告先と、ためらわずに早く報告することの大切さを扱う",
		"インシデント報告の手順の周知と、報告・対応の記録"},
	"physical": {"離席時の画面ロック、机上に書類を残さないこと、来訪者の入室管理を扱う",
		"執務室の入退室管理と、書類・端末の保管の状況"},
	"classification": {"情報資産の分類（機密性の区分）と、区分に応じた取扱い（保管・送付・廃棄）を扱う",
		"情報資産台帳の整備と、機密性の表示・取扱いの実際"},
	"system_ops": {"管理者権限の付与と見直し、ログの確認、修正プログラムの適用の手順を扱う",
		"アクセス権限の棚卸しとログの点検の記録"},
}

// adviceFor is the proposal for domain code (a general one for a domain
// without its own).
func adviceFor(code, label string) domainAdvice {
	if a, ok := domainAdvices[code]; ok {
		return a
	}
	return domainAdvice{label + "について区のポリシーが求める取扱いと、その理由を事例とともに扱う", label + "に関する手順の整備と運用の状況"}
}

// weakReason says why domain d is weak: 「全体（72.0）より 14.5 ポイント低い」
// or 「目安の 60 を下回っている」.
func weakReason(d DomainResult, a *Analysis) string {
	if d.Gap <= -WeakGap {
		return fmt.Sprintf("全体（%s）より %.1f ポイント低い", a.Overall.Label(), -d.Gap)
	}
	return fmt.Sprintf("目安の %.0f を下回っている", WeakBelow)
}

// weakestOf is the weakest knowledge question of domain code (ok false:
// none answered).
func (a *Analysis) weakestOf(code string) (QuestionResult, bool) {
	var best QuestionResult
	found := false
	for _, q := range a.Questions {
		if q.Question.Kind != KindKnowledge || q.Question.Domain != code || q.Answered == 0 {
			continue
		}
		if !found || q.Rate < best.Rate {
			best, found = q, true
		}
	}
	return best, found
}

// excerpt cuts s to n characters with 「…」.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// questionGist is what a question asks in at most n characters: its
// scenario when it has one (the text alone is often 「最も適切なものは
// どれですか。」), else its text.
func questionGist(q Question, n int) string {
	if q.Scenario != "" {
		return excerpt(q.Scenario, n)
	}
	return excerpt(q.Text, n)
}

// questionContent is a question's scenario and text for a table cell.
func questionContent(q Question, n int) string {
	if q.Scenario != "" {
		return excerpt(q.Scenario, n) + "\n" + excerpt(q.Text, n)
	}
	return excerpt(q.Text, n)
}

// style ends sentences politely (です・ます, pages) or plainly (である,
// the report).
type style bool

const (
	polite style = true
	plain  style = false
)

func (st style) end(p, pl string) string {
	if st {
		return p
	}
	return pl
}

// questionEvidence is the sentence about a weak domain's weakest question.
func questionEvidence(q QuestionResult, st style) string {
	s := fmt.Sprintf("特に設問 %s（%s）の正答率は %s にとどまり", q.Question.Code, questionGist(q.Question, 36), q.RateLabel())
	if len(q.Wrong) > 0 {
		w := q.Wrong[0]
		s += fmt.Sprintf("、誤りの選択肢「%s」を選んだ回答が %s %s。", excerpt(w.Text, 40), w.ShareLabel(), st.end("ありました", "あった"))
	} else {
		s += st.end("ました。", "った。")
	}
	return s
}

// Recommendations are the proposals as the page words them.
func (a *Analysis) Recommendations() []string { return a.recommendations(polite) }

// recommendations are the report's proposals: one per weak domain, then
// the least practised clause and the response rate when they call for one.
func (a *Analysis) recommendations(st style) []string {
	if !a.Shown {
		return []string{fmt.Sprintf("回答者が %d 人未満のため、結果に基づく提言は示して%s。回答の受付を続けるか、次回の自己点検で回答を呼び掛けることを提案%s。",
			MinGroup, st.end("いません", "いない"), st.end("します", "する"))}
	}
	var out []string
	for _, d := range a.WeakDomains() {
		adv := adviceFor(d.Code, d.Label)
		s := fmt.Sprintf("%sの理解度は %s で、%sため、研修（e-ラーニング）では%sことを重点とし、監査では%sを重点的に確認することを提案%s。",
			d.Label, d.Score.Label(), weakReason(d, a), adv.training, adv.audit, st.end("します", "する"))
		if q, ok := a.weakestOf(d.Code); ok {
			s += questionEvidence(q, st)
		}
		if c := d.Change(); !math.IsNaN(c) && c <= -5 {
			s += fmt.Sprintf("前年度（%s）より %.1f ポイント下がって%s。", d.Last.Label(), -c, st.end("います", "いる"))
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		out = append(out, fmt.Sprintf("理解度が全体より %.0f ポイント以上低い領域や、%.0f を下回る領域は%s。次年度も同じ領域の設問で経年の変化を確かめることを提案%s。",
			WeakGap, WeakBelow, st.end("ありませんでした", "なかった"), st.end("します", "する")))
	}
	if c, ok := a.leastPractised(); ok {
		out = append(out, fmt.Sprintf("実践状況では、%sに関する取組の実践率が %s と最も低くなって%s。所属ごとの手順の見直しと、監査での運用状況の確認を提案%s。",
			c.Label, c.RateLabel(), st.end("います", "いる"), st.end("します", "する")))
	}
	if a.lowResponse() {
		out = append(out, fmt.Sprintf("回答率は %s %s。結果の代表性を高めるため、次回は所属長からの声掛けと、アカウントのない職員への個人用リンクの配布を早めに行うことを提案%s。",
			a.RateLabel(), st.end("でした", "であった"), st.end("します", "する")))
	}
	return out
}

// leastPractised is the clause with the lowest practice rate, when it is
// below 80%.
func (a *Analysis) leastPractised() (ClauseResult, bool) {
	if len(a.Clauses) == 0 || a.Clauses[0].Rate() >= 0.8 {
		return ClauseResult{}, false
	}
	return a.Clauses[0], true
}

// lowResponse reports a response rate below 80%.
func (a *Analysis) lowResponse() bool { r := a.Rate(); return !math.IsNaN(r) && r < 0.8 }

// slideRecommendations are the proposals in a few words each, for the
// briefing.
func (a *Analysis) slideRecommendations() []string {
	if !a.Shown {
		return []string{"・回答を呼び掛け、集まった後に結果を報告します。"}
	}
	var out []string
	for _, d := range a.WeakDomains() {
		out = append(out, fmt.Sprintf("・%s\n研修（e-ラーニング）で重点的に扱い、監査では%sを確認", d.Label, adviceFor(d.Code, d.Label).audit))
	}
	if len(out) == 0 {
		out = append(out, "・大きく低い領域はなし。次年度も同じ領域で経年の変化を確認")
	}
	if c, ok := a.leastPractised(); ok {
		out = append(out, fmt.Sprintf("・実践率の最も低い取組（%s、%s）\n所属ごとの手順の見直しと監査での確認", c.Label, c.RateLabel()))
	}
	if a.lowResponse() {
		out = append(out, fmt.Sprintf("・回答率 %s\n次回は所属長の声掛けと個人用リンクの早めの配布", a.RateLabel()))
	}
	return out
}

// ---- the report ----

func rdHead(s string) docgen.Cell {
	return docgen.Cell{Runs: []docgen.Run{docgen.T(s)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter}
}

func rdPara(s string) docgen.Paragraph {
	return docgen.Paragraph{Runs: []docgen.Run{docgen.T(s)}, FirstIndent: true, Align: docgen.AlignJustify}
}

func rdNote(s string) docgen.Paragraph {
	return docgen.Paragraph{Runs: []docgen.Run{{Text: s, Color: "444444"}}}
}

// rdTable is a table with one header row.
func rdTable(caption string, widths []float64, aligns []docgen.Align, head []string, rows [][]string) docgen.Table {
	t := docgen.Table{Caption: caption, HeaderRows: 1}
	for i, w := range widths {
		c := docgen.Column{Width: w}
		if i < len(aligns) {
			c.Align = aligns[i]
		}
		t.Columns = append(t.Columns, c)
	}
	var hc []docgen.Cell
	for _, h := range head {
		hc = append(hc, rdHead(h))
	}
	t.Rows = append(t.Rows, docgen.Row{Cells: hc})
	for _, r := range rows {
		var cs []docgen.Cell
		for _, v := range r {
			cs = append(cs, docgen.C(v))
		}
		t.Rows = append(t.Rows, docgen.Row{Cells: cs})
	}
	return t
}

const (
	alL = docgen.AlignLeft
	alR = docgen.AlignRight
	alC = docgen.AlignCenter
)

// periodLabel is the answering period in 和暦.
func (a *Analysis) periodLabel() string {
	return jp.FormatWareki(a.Campaign.OpensOn) + "～" + jp.FormatWareki(a.Campaign.ClosesOn)
}

// anonymityLabel says how the campaign treats names.
func (a *Analysis) anonymityLabel() string {
	if a.Campaign.Anonymous {
		return "無記名（所属と対象者の区分だけを記録し、回答者は記録しない）"
	}
	return "記名"
}

// sourcesLabel says how the answers came in.
func (a *Analysis) sourcesLabel() string {
	var parts []string
	for _, x := range []struct {
		n     int
		label string
	}{{a.Sources.Web, "ログインして画面で回答"}, {a.Sources.Link, "個人用リンクから画面で回答"}, {a.Sources.Import, "紙などの回答を取込み"}} {
		if x.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d 人", x.label, x.n))
		}
	}
	if len(parts) == 0 {
		return "庁内の画面（ログインまたは個人用リンク）で回答"
	}
	return strings.Join(parts, "、")
}

// questionCounts says how many questions of each kind each audience got.
func (a *Analysis) questionCounts() [][]string {
	var rows [][]string
	for _, au := range a.Campaign.Audiences {
		counts := map[string]int{}
		total := 0
		for _, q := range a.Questions {
			if q.Question.For(au) && q.Question.Active {
				counts[q.Question.Kind]++
				total++
			}
		}
		var parts []string
		for _, k := range KindLabels {
			if counts[k.Code] > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", k.Label, counts[k.Code]))
			}
		}
		rows = append(rows, []string{AudienceLabel(au), strconv.Itoa(total), strings.Join(parts, "、")})
	}
	return rows
}

// ReportDocument is the 調査結果報告書 of analysis a.
func ReportDocument(a *Analysis) *docgen.Document {
	c := a.Campaign
	doc := &docgen.Document{Cover: true, TOC: false, Meta: docgen.Meta{Title: ReportTitle, Subtitle: c.Title, Ward: a.Ward, FiscalYear: c.FiscalYear,
		Date: a.Generated, Classification: "取扱注意", PageNumbers: docgen.PageDash}}
	var b []docgen.Block
	add := func(bs ...docgen.Block) { b = append(b, bs...) }
	who := "区"
	if a.Ward != "" {
		who = a.Ward
	}

	add(docgen.Heading{Level: 1, Text: "1　調査の目的"})
	add(rdPara(fmt.Sprintf("本調査は、%sの職員が情報セキュリティ上のリスクと区の情報セキュリティポリシーをどの程度理解し、日々の業務で実践しているかを把握し、"+
		"研修と監査で重点的に扱う事項を定めるために実施した。", who)))
	add(rdPara("一般職員、システム担当者、保護担当者のそれぞれの役割に応じた設問により、正答のある設問で理解度を、実施の有無を問う設問で実践状況を、" +
		"5 段階の設問で意識を調べた。回答した職員には、提出後に各設問の正答と解説を示しており、調査そのものが学習の機会となるようにしている。"))

	add(docgen.Heading{Level: 1, Text: "2　調査の方法"})
	props := docgen.Table{Columns: []docgen.Column{{Width: 1.2}, {Width: 4}}}
	prop := func(k, v string) {
		props.Rows = append(props.Rows, docgen.Row{Cells: []docgen.Cell{rdHead(k), docgen.C(v)}})
	}
	prop("調査名", c.Title+"（"+c.Code+"）")
	prop("対象者", c.AudienceLabels())
	prop("対象の所属", a.Targets)
	prop("回答期間", a.periodLabel())
	prop("記名・無記名", a.anonymityLabel())
	prop("回答の方法", a.sourcesLabel())
	add(props)
	add(rdTable("対象者ごとの設問数", []float64{1.3, 0.8, 4}, []docgen.Align{alL, alR, alL}, []string{"対象者", "設問数", "内訳"}, a.questionCounts()))
	add(rdPara("理解度は、正答のある設問への回答のうち正答であったものの割合を 0～100 で表した指数である（無回答は除く）。複数の正答を選ぶ設問は、正答をすべて選び、誤りを選ばなかった場合を正答とした。" +
		"実践率は、実践状況の設問で「実施している」を 1、「一部実施」を 0.5、「実施していない」を 0 として平均した値であり、「該当しない」は除いた。"))
	add(rdPara(fmt.Sprintf("個人が特定されないよう、回答者が %d 人未満となる集団（所属、所属ごとの対象者）の結果は示していない。%s", MinGroup, a.Merge.Plain())))

	add(docgen.Heading{Level: 1, Text: "3　回答の状況"})
	add(rdPara(fmt.Sprintf("対象者 %d 人のうち %d 人が回答し、回答率は %s であった。", a.Invited, a.Respondents, a.RateLabel())))
	var rows [][]string
	for _, au := range a.Audiences {
		rows = append(rows, []string{au.Label, strconv.Itoa(au.Invited), strconv.Itoa(au.Respondents), au.RateLabel()})
	}
	rows = append(rows, []string{"計（実人数）", strconv.Itoa(a.Invited), strconv.Itoa(a.Respondents), a.RateLabel()})
	add(rdTable("対象者別の回答率", []float64{2, 1, 1, 1}, []docgen.Align{alL, alR, alR, alR}, []string{"対象者", "対象者数", "回答者数", "回答率"}, rows))
	add(rdNote("注　システム担当者・保護担当者は一般職員の調査票にも回答するため、対象者別の人数の合計は実人数と一致しない。"))

	add(docgen.Heading{Level: 1, Text: "4　調査の結果"})
	if !a.Shown {
		add(rdPara(fmt.Sprintf("回答者が %d 人未満のため、個人が特定されないよう結果は示さない。", MinGroup)))
	} else {
		add(reportResults(a)...)
	}

	add(docgen.Heading{Level: 1, Text: "5　弱点"})
	if a.Shown {
		add(reportWeak(a)...)
	} else {
		add(rdPara("結果を示さないため、弱点の分析も行っていない。"))
	}

	add(docgen.Heading{Level: 1, Text: "6　提言"})
	var items []docgen.ListItem
	for _, r := range a.recommendations(plain) {
		items = append(items, docgen.ListItem{Runs: []docgen.Run{docgen.T(r)}})
	}
	add(docgen.List{Ordered: true, Items: items})
	add(docgen.Paragraph{Runs: []docgen.Run{docgen.T("以上")}, Align: docgen.AlignRight})

	if a.Shown {
		add(docgen.PageBreak{})
		add(docgen.Heading{Level: 1, Text: "付録　設問ごとの結果"})
		add(rdNote("正答率・実践率・肯定的な回答の割合は、その設問に回答した人に対する割合である。自由記述は件数だけを示す（本文は回答データを参照）。"))
		add(appendixTable(a))
	}
	doc.Sections = []docgen.Section{{Orientation: docgen.Portrait, Blocks: b}}
	return doc
}

// reportResults is section 4 of the report.
func reportResults(a *Analysis) []docgen.Block {
	var b []docgen.Block
	add := func(bs ...docgen.Block) { b = append(b, bs...) }
	n := 0
	sub := func(s string) {
		n++
		add(docgen.Heading{Level: 2, Text: fmt.Sprintf("（%d）%s", n, s)})
	}
	sub("全体の理解度")
	s := fmt.Sprintf("全体の理解度は %s であった（正答 %d／回答 %d）。", a.Overall.Label(), a.Overall.Correct, a.Overall.Answered)
	if a.Last != nil {
		s += fmt.Sprintf("前年度（%s、%s）は %s であり、%s ポイントの変化である。", a.Last.Campaign.Code, jp.FiscalYearLabel(a.Last.Campaign.FiscalYear),
			a.Last.Overall.Label(), pointsLabel(a.Overall.Index()-a.Last.Overall.Index()))
	}
	add(rdPara(s))

	sub("領域別の理解度")
	var rows [][]string
	for _, d := range a.Domains {
		mark := ""
		if d.Weak {
			mark = "弱点"
		}
		rows = append(rows, []string{d.Label, strconv.Itoa(d.Questions), d.Score.Label(), d.GapLabel(), mark})
	}
	add(rdTable("領域別の理解度", []float64{3, 1, 1, 1.2, 0.9}, []docgen.Align{alL, alR, alR, alR, alC},
		[]string{"領域", "設問数", "理解度", "全体との差", "判定"}, rows))
	add(docgen.Chart{Chart: DomainChart(a), Height: hbarHeight(len(a.Domains)+1, len(DomainChart(a).Series)), Caption: "図　領域別の理解度"})
	add(rdNote(fmt.Sprintf("注　「弱点」は、理解度が全体より %.0f ポイント以上低いか、%.0f を下回る領域である。", WeakGap, WeakBelow)))

	sub("対象者別の理解度")
	head := []string{"領域"}
	widths := []float64{3}
	var shown []AudienceResult
	for _, au := range a.Audiences {
		if au.Shown {
			shown = append(shown, au)
			head = append(head, au.Label)
			widths = append(widths, 1.2)
		}
	}
	aligns := []docgen.Align{alL, alR, alR, alR}
	rows = [][]string{}
	total := []string{"全体"}
	for _, au := range shown {
		total = append(total, au.Score.Label())
	}
	rows = append(rows, total)
	for i, d := range a.Domains {
		r := []string{d.Label}
		for _, au := range shown {
			r = append(r, au.Domains[i].Label())
		}
		rows = append(rows, r)
	}
	add(rdTable("対象者別・領域別の理解度", widths, aligns, head, rows))
	for _, au := range a.Audiences {
		if !au.Shown && au.Respondents > 0 {
			add(rdNote(fmt.Sprintf("注　%sは回答者が %d 人未満のため、対象者別の結果を示していない。", au.Label, MinGroup)))
		}
	}
	if len(shown) > 0 {
		ch := AudienceChart(a)
		add(docgen.Chart{Chart: ch, Height: hbarHeight(len(a.Domains), len(ch.Series)), Caption: "図　対象者別・領域別の理解度"})
	}

	sub("所属別の理解度の分布")
	d := a.DeptDist
	add(rdPara(fmt.Sprintf("所属ごとの理解度を、所属の順位ではなく分布として示す。%d の所属（少人数の所属を合算した後）の理解度は、中央値 %s、"+
		"四分位範囲 %s～%s、最小 %s、最大 %s であった。所属間の差は、研修の受講状況や業務の性質によるものも含まれるため、特定の所属の評価には用いない。",
		d.N, d.Label(d.Median), d.Label(d.Q1), d.Label(d.Q3), d.Label(d.Min), d.Label(d.Max))))
	if d.N > 0 {
		add(docgen.Chart{Chart: DepartmentChart(a), Height: 70, Caption: "図　所属別の理解度の分布"})
	}

	sub("回答者ごとの正答率の分布")
	p := a.PersonDist
	add(rdPara(fmt.Sprintf("回答者一人ひとりの正答率（理解度の設問に回答した %d 人）は、中央値 %s、四分位範囲 %s～%s であった。", p.N, p.Label(p.Median), p.Label(p.Q1), p.Label(p.Q3))))
	if p.N > 0 {
		add(docgen.Chart{Chart: PersonChart(a), Height: 70, Caption: "図　回答者ごとの正答率の分布"})
	}

	sub("実践状況（条項別の実践率）")
	if len(a.Clauses) == 0 {
		add(rdPara("実践状況の設問への回答はなかった。"))
	} else {
		rows = [][]string{}
		for _, c := range a.Clauses {
			title := c.Title
			if title == "" {
				title = "－"
			}
			rows = append(rows, []string{c.Label, title, strconv.Itoa(c.Questions), strconv.Itoa(c.Answers), c.RateLabel()})
		}
		add(rdTable("条項別の実践率（低い順）", []float64{2.4, 2.6, 0.8, 0.9, 1}, []docgen.Align{alL, alL, alR, alR, alR},
			[]string{"条項", "条項の見出し", "設問数", "回答数", "実践率"}, rows))
		ch := ClauseChart(a)
		add(docgen.Chart{Chart: ch, Height: hbarHeight(len(a.Clauses), 1), Caption: "図　条項別の実践率"})
	}

	if lk := a.OfKind(KindLikert); len(lk) > 0 {
		sub("意識")
		rows = [][]string{}
		for _, q := range lk {
			r := []string{q.Question.Code, excerpt(q.Question.Text, 60)}
			for i := range LikertScale {
				r = append(r, percentLabel(q.Share(i)))
			}
			rows = append(rows, r)
		}
		head := append([]string{"設問", "内容"}, LikertScale...)
		add(rdTable("意識の設問の回答", []float64{1.1, 3.2, 1, 1, 1, 1, 1}, []docgen.Align{alL, alL, alR, alR, alR, alR, alR}, head, rows))
		add(docgen.Chart{Chart: LikertChart(a), Height: 80, Caption: "図　意識の設問の回答"})
	}

	if a.Last != nil {
		sub("前年度との比較")
		add(rdPara(fmt.Sprintf("前年度の自己点検（%s「%s」、回答 %d 人）と、領域ごとの理解度を比べた。設問は年度ごとに見直しているため、同じ領域の設問による目安としての比較である。",
			a.Last.Campaign.Code, a.Last.Campaign.Title, a.Last.Respondents)))
		rows = [][]string{{"全体", a.Last.Overall.Label(), a.Overall.Label(), pointsLabel(a.Overall.Index() - a.Last.Overall.Index())}}
		for _, d := range a.Domains {
			rows = append(rows, []string{d.Label, d.Last.Label(), d.Score.Label(), d.ChangeLabel()})
		}
		add(rdTable("前年度との比較", []float64{3, 1, 1, 1}, []docgen.Align{alL, alR, alR, alR},
			[]string{"領域", jp.FiscalYearLabel(a.Last.Campaign.FiscalYear), jp.FiscalYearLabel(a.Campaign.FiscalYear), "変化"}, rows))
	}
	return b
}

// reportWeak is section 5: the weak domains and the weakest questions.
func reportWeak(a *Analysis) []docgen.Block {
	var b []docgen.Block
	weak := a.WeakDomains()
	if len(weak) == 0 {
		b = append(b, rdPara(fmt.Sprintf("理解度が全体より %.0f ポイント以上低い領域、または %.0f を下回る領域はなかった。", WeakGap, WeakBelow)))
	} else {
		var names []string
		for _, d := range weak {
			names = append(names, fmt.Sprintf("%s（%s）", d.Label, d.Score.Label()))
		}
		b = append(b, rdPara(fmt.Sprintf("理解度が全体より %.0f ポイント以上低いか %.0f を下回った領域は、%sである。", WeakGap, WeakBelow, strings.Join(names, "、"))))
	}
	b = append(b, docgen.Heading{Level: 2, Text: "正答率の低い設問と、多く選ばれた誤りの選択肢"})
	var rows [][]string
	for _, q := range a.Weakest {
		wrong := "－"
		var ws []string
		for i, w := range q.Wrong {
			if i == 2 {
				break
			}
			ws = append(ws, fmt.Sprintf("「%s」%s", excerpt(w.Text, 30), w.ShareLabel()))
		}
		if len(ws) > 0 {
			wrong = strings.Join(ws, "\n")
		}
		rows = append(rows, []string{q.Question.Code, q.Question.DomainLabel(), questionContent(q.Question, 50), q.RateLabel(), wrong})
	}
	b = append(b, rdTable("正答率の低い設問", []float64{1.1, 1.7, 3.6, 0.9, 3}, []docgen.Align{alL, alL, alL, alR, alL},
		[]string{"設問", "領域", "内容", "正答率", "多く選ばれた誤り（回答に占める割合）"}, rows))
	return b
}

// resultText is one question's result as the appendix prints it.
func resultText(q QuestionResult) string {
	var lines []string
	shares := func() string {
		var parts []string
		for _, c := range q.Choices() {
			parts = append(parts, fmt.Sprintf("%d %s", c.N, c.ShareLabel()))
		}
		return strings.Join(parts, "・")
	}
	switch q.Question.Kind {
	case KindKnowledge:
		lines = append(lines, fmt.Sprintf("正答率 %s（回答 %d）", q.RateLabel(), q.Answered), "正答："+strings.Join(q.Question.AnswerLabels(), "／"))
		if len(q.Wrong) > 0 {
			lines = append(lines, fmt.Sprintf("多い誤り：「%s」%s", excerpt(q.Wrong[0].Text, 30), q.Wrong[0].ShareLabel()))
		}
	case KindPractice:
		lines = append(lines, fmt.Sprintf("実践率 %s（回答 %d）", q.RateLabel(), q.Answered))
		var parts []string
		for _, c := range q.Choices() {
			parts = append(parts, fmt.Sprintf("%s %s", c.Text, c.ShareLabel()))
		}
		lines = append(lines, strings.Join(parts, "・"))
	case KindLikert:
		lines = append(lines, fmt.Sprintf("肯定的 %s（回答 %d）", q.RateLabel(), q.Answered))
		var parts []string
		for _, c := range q.Choices() {
			parts = append(parts, fmt.Sprintf("%s %s", c.Text, c.ShareLabel()))
		}
		lines = append(lines, strings.Join(parts, "・"))
	case KindSingle, KindMultiple:
		lines = append(lines, fmt.Sprintf("回答 %d", q.Answered), "選択肢 "+shares())
	case KindText:
		lines = append(lines, fmt.Sprintf("自由記述 %d 件", q.Answered))
	}
	return strings.Join(lines, "\n")
}

// appendixTable lists every question with its result.
func appendixTable(a *Analysis) docgen.Table {
	var rows [][]string
	for _, q := range a.Questions {
		text := q.Question.Text
		if len(q.Question.Options) > 0 && q.Question.Kind != KindText {
			var opts []string
			for i, o := range q.Question.Options {
				opts = append(opts, fmt.Sprintf("%d %s", i+1, o))
			}
			text += "\n" + strings.Join(opts, "\n")
		}
		kind := q.Question.KindLabel()
		if q.Question.Domain != "" {
			kind += "\n" + q.Question.DomainLabel()
		}
		rows = append(rows, []string{q.Question.Code, kind, text, resultText(q)})
	}
	t := rdTable("設問ごとの結果", []float64{1.1, 1.7, 4.4, 3.4}, []docgen.Align{alL, alL, alL, alL}, []string{"設問", "種類・領域", "設問と選択肢", "結果"}, rows)
	t.FontSize = 8
	return t
}

// ---- the briefing (報告会資料) ----

// Type sizes of the briefing slides (points).
const (
	slideTitlePt = 24
	slideBodyPt  = 16
)

// slide is one page of the briefing: a title band, its points and extra
// blocks (a chart).
func slide(first bool, title string, points []string, extra ...docgen.Block) []docgen.Block {
	var b []docgen.Block
	if !first {
		b = append(b, docgen.PageBreak{})
	}
	b = append(b, docgen.Table{FontSize: slideTitlePt, Columns: []docgen.Column{{Width: 1}},
		Rows: []docgen.Row{{Cells: []docgen.Cell{{Runs: []docgen.Run{{Text: title, Bold: true, Color: "FFFFFF"}}, Fill: "123A63"}}}}})
	if len(points) > 0 {
		t := docgen.Table{FontSize: slideBodyPt, Columns: []docgen.Column{{Width: 1}}}
		for _, p := range points {
			head, rest, more := strings.Cut(p, "\n")
			runs, hang := []docgen.Run{docgen.T(head)}, []int{1}
			if more {
				runs, hang = []docgen.Run{{Text: head, Bold: true}, docgen.T("\n　" + rest)}, []int{1, 1}
			}
			t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: runs, Hang: hang}}})
		}
		b = append(b, t)
	}
	return append(b, extra...)
}

// BriefingDocument is the 報告会資料 of analysis a: A4 landscape, a few
// pages to project at the results meeting.
func BriefingDocument(a *Analysis) *docgen.Document {
	c := a.Campaign
	doc := &docgen.Document{Cover: true, Meta: docgen.Meta{Title: BriefingTitle, Subtitle: c.Title, Ward: a.Ward, FiscalYear: c.FiscalYear,
		Date: a.Generated, Classification: "取扱注意", PageNumbers: docgen.PageDash}}
	var b []docgen.Block
	overview := []string{
		"・回答期間　" + a.periodLabel(),
		"・対象者　" + c.AudienceLabels() + "（" + a.Targets + "）",
		fmt.Sprintf("・回答　%d 人／対象 %d 人（回答率 %s）", a.Respondents, a.Invited, a.RateLabel()),
	}
	if a.Shown {
		s := "・全体の理解度　" + a.Overall.Label()
		if a.Last != nil {
			s += fmt.Sprintf("（前年度 %s、%s ポイント）", a.Last.Overall.Label(), pointsLabel(a.Overall.Index()-a.Last.Overall.Index()))
		}
		overview = append(overview, s)
		var weak []string
		for _, d := range a.WeakDomains() {
			weak = append(weak, d.Label)
		}
		if len(weak) > 0 {
			overview = append(overview, "・弱点となった領域　"+strings.Join(weak, "、"))
		}
	}
	var extra []docgen.Block
	if a.Shown && a.PersonDist.N > 0 {
		extra = append(extra, docgen.Chart{Chart: PersonChart(a), Height: 70})
	}
	b = append(b, slide(true, "調査の概要", overview, extra...)...)
	if !a.Shown {
		b = append(b, slide(false, "結果", []string{fmt.Sprintf("・回答者が %d 人未満のため、結果は示していません。", MinGroup)})...)
	} else {
		ch := DomainChart(a)
		b = append(b, slide(false, "領域別の理解度", nil, docgen.Chart{Chart: ch, Height: 135})...)
		var points []string
		for _, d := range a.WeakDomains() {
			p := fmt.Sprintf("・%s　理解度 %s（全体との差 %s）", d.Label, d.Score.Label(), d.GapLabel())
			if q, ok := a.weakestOf(d.Code); ok && len(q.Wrong) > 0 {
				p += fmt.Sprintf("\n多かった誤り：「%s」%s", excerpt(q.Wrong[0].Text, 36), q.Wrong[0].ShareLabel())
			}
			points = append(points, p)
		}
		if len(points) == 0 {
			points = []string{fmt.Sprintf("・全体より %.0f ポイント以上低い領域、%.0f を下回る領域はありませんでした。", WeakGap, WeakBelow)}
		}
		b = append(b, slide(false, "弱点となった領域", points)...)
		d := a.DeptDist
		b = append(b, slide(false, "所属別の分布（順位ではなく分布）",
			[]string{fmt.Sprintf("・%d 所属の中央値 %s、四分位範囲 %s～%s（少人数の所属は合算）", d.N, d.Label(d.Median), d.Label(d.Q1), d.Label(d.Q3))},
			docgen.Chart{Chart: DepartmentChart(a), Height: 105})...)
	}
	recs := a.slideRecommendations()
	recs = append(recs, "・詳しい提言と設問ごとの結果は調査結果報告書をご覧ください。")
	b = append(b, slide(false, "今後の取組（提言）", recs)...)
	doc.Sections = []docgen.Section{{Orientation: docgen.Landscape, Blocks: b}}
	return doc
}

// ---- raw answers ----

// AnswersTable is every response of campaign c, one row per response and
// a column per question code, for analysts. An identified campaign's rows
// name the person; an anonymous campaign's never do, its departments are
// those of analysis a (small ones merged, as in the report), and its rows
// are ordered by department and answers (not by submission), so that the
// order says nothing about who answered when.
func (s *Store) AnswersTable(ctx context.Context, a *Analysis) (tabular.Table, error) {
	c := a.Campaign
	t := tabular.Table{Sheet: "回答データ"}
	var codes []string
	for _, q := range a.questionsForExport() {
		codes = append(codes, q.Code)
	}
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return t, err
	}
	var roster *staffIndex
	if !c.Anonymous {
		var depts []int64
		for _, d := range tree.Flat() {
			depts = append(depts, d.ID)
		}
		if roster, err = s.rosterOf(ctx, tree, depts); err != nil {
			return t, err
		}
	}
	type row struct {
		key  string
		cols []string
	}
	var out []row
	rows, err := s.db.Query(ctx, `SELECT id, COALESCE(staff_id, 0), COALESCE(department_id, 0), audiences, answers, source, submitted_on
		FROM survey_responses WHERE campaign_id = ? ORDER BY id`, c.ID)
	if err != nil {
		return t, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, staff, dept int64
		var auds, raw, source, on string
		if err := rows.Scan(&id, &staff, &dept, &auds, &raw, &source, &on); err != nil {
			return t, err
		}
		answers := map[string]string{}
		if err := json.Unmarshal([]byte(raw), &answers); err != nil {
			return t, fmt.Errorf("回答 %d: %w", id, errAnswers)
		}
		var cols []string
		var key string
		if c.Anonymous {
			group := a.GroupOf(dept)
			cols = append(cols, group, audienceLabels(split(auds, ",")))
			key = group + "\x00" + raw
		} else {
			p := roster.byID[staff]
			dl := deptLabel(tree, dept)
			cols = append(cols, p.EmployeeNo, p.Name, dl, audienceLabels(split(auds, ",")), jp.FormatWareki(parseDate(on)), sourceLabel(source))
			key = fmt.Sprintf("%s\x00%s\x00%012d", dl, p.EmployeeNo, id)
		}
		for _, code := range codes {
			cols = append(cols, answers[code])
		}
		out = append(out, row{key, cols})
	}
	if err := rows.Err(); err != nil {
		return t, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].key < out[j].key })
	if c.Anonymous {
		t.Headers = []string{"回答番号", "所属", "対象者"}
	} else {
		t.Headers = []string{"回答番号", "職員番号", "氏名", "所属", "対象者", "回答日", "回答の方法"}
	}
	t.Headers = append(t.Headers, codes...)
	for i, r := range out {
		t.Rows = append(t.Rows, append([]string{strconv.Itoa(i + 1)}, r.cols...))
	}
	return t, nil
}

// questionsForExport are the questions whose answers the raw data holds:
// those the analysis lists (it hides them for a too small campaign, the
// export does not need to).
func (a *Analysis) questionsForExport() []Question {
	return a.allQuestions
}

// sourceLabel names how a response came in.
func sourceLabel(s string) string {
	switch s {
	case SourceWeb:
		return "画面（ログイン）"
	case SourceLink:
		return "画面（個人用リンク）"
	case SourceImport:
		return "紙などの取込み"
	}
	return s
}
