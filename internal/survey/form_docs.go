package survey

// The 調査票 for paper (PDF and DOCX, one part per audience) and the
// question list for reviewers (XLSX and CSV).

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"mamori/internal/catalog"
	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
	"mamori/internal/jp"
	"mamori/internal/tabular"
)

// FormTitle is the questionnaire's title, after the fiscal year.
const FormTitle = "情報セキュリティ自己点検 調査票"

// box is the check box printed before each option: U+25A1 □, which the
// embedded fonts have (☐ U+2610 would print as the missing-glyph mark).
const box = "□"

// ParseAudience reads an audience given as its code (general) or its
// label (一般職員).
func ParseAudience(s string) (string, error) {
	s = strings.TrimSpace(s)
	for _, a := range AudienceOrder {
		if s == a || s == AudienceLabel(a) {
			return a, nil
		}
	}
	labels := make([]string, len(AudienceOrder))
	for i, a := range AudienceOrder {
		labels[i] = a + "（" + AudienceLabel(a) + "）"
	}
	return "", fmt.Errorf("対象者「%s」はありません。%s のいずれかを指定してください", s, strings.Join(labels, "・"))
}

// FormAudiences are the audiences of the active questions qs among auds (all audiences when auds is empty), in print order.
func FormAudiences(qs []Question, auds []string) []string {
	var out []string
	for _, a := range AudienceOrder {
		if len(auds) > 0 && !slices.Contains(auds, a) {
			continue
		}
		if slices.ContainsFunc(qs, func(q Question) bool { return q.Active && q.For(a) }) {
			out = append(out, a)
		}
	}
	return out
}

// FormInfo is what a questionnaire document prints about itself.
type FormInfo struct {
	Ward       string
	FiscalYear int
	Now        time.Time
}

// QuestionnaireDocument is the 調査票 for paper: for each audience, the
// title, how to fill it in, the respondent's details, then each active
// question with its scenario in a box, its options as □ boxes (the scale
// of practice and attitude questions on one line) and ruled lines for
// free text. Questions are numbered per audience 問1, 問2 … with their
// codes, so that paper answers can be keyed in by code.
func QuestionnaireDocument(qs []Question, auds []string, info FormInfo) *docgen.Document {
	sub := ""
	if len(auds) == 1 {
		sub = AudienceLabel(auds[0]) + "向け"
	}
	d := &docgen.Document{Meta: docgen.Meta{Title: jp.FiscalYearLabel(info.FiscalYear) + " " + FormTitle, Subtitle: sub, Ward: info.Ward,
		FiscalYear: info.FiscalYear, Date: info.Now, Classification: "庁内限り", PageNumbers: docgen.PageDash}}
	// Each audience's part is a whole questionnaire of its own (a
	// question shared by two audiences is in both), since each is handed
	// to different people.
	for _, a := range auds {
		for _, sec := range FormFor(Campaign{FiscalYear: info.FiscalYear}, activeOnly(qs), []string{a}).Sections {
			d.Sections = append(d.Sections, docgen.Section{Tab: sec.Label, Blocks: formSection(sec, info)})
		}
	}
	return d
}

func activeOnly(qs []Question) []Question {
	var out []Question
	for _, q := range qs {
		if q.Active {
			out = append(out, q)
		}
	}
	return out
}

// formSection is one audience's part of the questionnaire.
func formSection(sec Section, info FormInfo) []docgen.Block {
	title := strings.TrimSpace(info.Ward + " " + jp.FiscalYearLabel(info.FiscalYear) + " " + FormTitle)
	b := []docgen.Block{
		docgen.Heading{Level: 1, Text: title, NoTOC: true},
		docgen.Paragraph{Align: docgen.AlignCenter, Runs: []docgen.Run{{Text: "（" + sec.Label + "向け）", Bold: true}}},
	}
	scored := 0
	for _, q := range sec.Questions {
		if q.Scored() {
			scored++
		}
	}
	who := docgen.Table{FontSize: 10, Columns: []docgen.Column{{Width: 1.2}, {Width: 3}, {Width: 1.2}, {Width: 2.2}}}
	label := func(s string) docgen.Cell {
		return docgen.Cell{Runs: []docgen.Run{docgen.T(s)}, Bold: true, Fill: "EEF2F7", Align: docgen.AlignCenter}
	}
	who.Rows = []docgen.Row{
		{Cells: []docgen.Cell{label("所属"), docgen.C("　"), label("記入日"), docgen.C("　　　年　　月　　日")}},
		{Cells: []docgen.Cell{label("氏名"), docgen.C("　"), label("職員番号"), docgen.C("　")}},
	}
	b = append(b,
		docgen.Heading{Level: 2, Text: "記入のしかた", NoTOC: true},
		docgen.List{Items: []docgen.ListItem{
			{Runs: []docgen.Run{docgen.T(fmt.Sprintf("設問は全部で %d 問です。あてはまる選択肢の %s に ✓ を付けてください。", len(sec.Questions), box))}},
			{Runs: []docgen.Run{docgen.T("「あてはまるものをすべて選んでください」とある設問は、あてはまるものすべてに ✓ を付けます。それ以外の設問は一つだけ選びます。")}},
			{Runs: []docgen.Run{docgen.T("枠で囲んだ「場面」がある設問は、その場面にいるつもりで答えてください。")}},
			{Runs: []docgen.Run{docgen.T("自由記述の設問は、罫線の欄に書いてください（書くことがなければ空欄でかまいません）。")}},
			{Runs: []docgen.Run{docgen.T(fmt.Sprintf("理解度を確かめる設問（%d 問）は、資料を見ずに、いまの理解で答えてください。正答と解説はこの調査票には載せていません。", scored))}},
			{Runs: []docgen.Run{docgen.T("匿名で実施する場合は、氏名と職員番号は書かずに所属だけを書いてください。提出先と締切は、別に配られる案内に従ってください。")}},
		}},
		who,
		docgen.Heading{Level: 2, Text: "設問", NoTOC: true},
	)
	for i, q := range sec.Questions {
		b = append(b, questionBlocks(i+1, q)...)
	}
	b = append(b, docgen.Paragraph{Align: docgen.AlignRight, Runs: []docgen.Run{docgen.T("以上です。ご協力ありがとうございました。")}})
	return b
}

// questionBlocks prints one question of the paper form.
func questionBlocks(n int, q Question) []docgen.Block {
	// A heading, so that it is never left alone at the foot of a page.
	b := []docgen.Block{docgen.Heading{Level: 3, Text: fmt.Sprintf("問%d（%s）", n, q.Code), NoTOC: true}}
	if q.Scenario != "" {
		b = append(b, docgen.Table{FontSize: 10, Columns: []docgen.Column{{Width: 1}},
			Rows: []docgen.Row{{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("【場面】\n" + q.Scenario)}, Fill: "F2F4F7"}}}}})
	}
	text := q.Text
	switch {
	case q.Kind == KindText:
	case q.Multi():
		text += "（あてはまるものをすべて選んでください）"
	default:
		text += "（一つ選んでください）"
	}
	b = append(b, docgen.Paragraph{Indent: 1, Runs: []docgen.Run{docgen.T(text)}})
	switch q.Kind {
	case KindText:
		lines := docgen.Table{Columns: []docgen.Column{{Width: 1}}}
		for range 4 {
			lines.Rows = append(lines.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C("　")}})
		}
		b = append(b, lines)
	case KindPractice, KindLikert:
		var parts []string
		for _, c := range q.Choices() {
			parts = append(parts, box+" "+c)
		}
		b = append(b, docgen.Paragraph{Indent: 2, Runs: []docgen.Run{docgen.T(strings.Join(parts, "　　"))}})
	default:
		for i, o := range q.Choices() {
			b = append(b, docgen.Paragraph{Indent: 2, Runs: []docgen.Run{docgen.T(fmt.Sprintf("%s %d　%s", box, i+1, o))}})
		}
	}
	return b
}

// questionListHead is the reviewers' list's columns.
var questionListHead = []string{"設問コード", "対象者", "種類", "領域", "根拠条項", "元の点検項目", "場面", "設問文", "選択肢", "正答", "解説", "並び順", "有効"}

// questionListRows are the reviewers' list's rows: options numbered one
// per line, the right answers with their numbers, clauses by the
// standards' short names.
func questionListRows(qs []Question) [][]string {
	out := make([][]string, 0, len(qs))
	for _, q := range qs {
		var opts []string
		if q.Kind == KindPractice || q.Kind == KindLikert {
			opts = append(opts, "（尺度）"+strings.Join(q.Choices(), "／"))
		} else {
			for i, o := range q.Options {
				opts = append(opts, fmt.Sprintf("%d. %s", i+1, o))
			}
		}
		var answer []string
		for _, a := range q.Answer {
			if a >= 1 && a <= len(q.Options) {
				answer = append(answer, fmt.Sprintf("%d. %s", a, q.Options[a-1]))
			}
		}
		clauses := make([]string, len(q.Clauses))
		for i, c := range q.Clauses {
			clauses[i] = catalog.RefLabel(c)
		}
		active := "有効"
		if !q.Active {
			active = "無効"
		}
		out = append(out, []string{q.Code, audienceLabels(q.Audiences), q.KindLabel(), q.DomainLabel(), strings.Join(clauses, "\n"), q.ItemCode,
			q.Scenario, q.Text, strings.Join(opts, "\n"), strings.Join(answer, "\n"), q.Explanation, strconv.Itoa(q.SortOrder), active})
	}
	return out
}

// QuestionListDocument is the question list for reviewers as a workbook:
// one landscape sheet with every column of the editor.
func QuestionListDocument(qs []Question, sub string, info FormInfo) *docgen.Document {
	d := &docgen.Document{Meta: docgen.Meta{Title: jp.FiscalYearLabel(info.FiscalYear) + " 自己点検 設問一覧", Subtitle: sub, Ward: info.Ward,
		FiscalYear: info.FiscalYear, Date: info.Now, Classification: "庁内限り", PageNumbers: docgen.PageDash}}
	tb := docgen.Table{Caption: "設問一覧", HeaderRows: 1, FontSize: 7, TopAlign: true, Columns: []docgen.Column{
		{Width: 2.2}, {Width: 2.2}, {Width: 2}, {Width: 2.4}, {Width: 2.6}, {Width: 2}, {Width: 4.5}, {Width: 5}, {Width: 5}, {Width: 3},
		{Width: 5}, {Width: 1.3, Align: docgen.AlignRight}, {Width: 1.3, Align: docgen.AlignCenter}}}
	head := docgen.Row{}
	for _, h := range questionListHead {
		head.Cells = append(head.Cells, docgen.Cell{Runs: []docgen.Run{docgen.T(h)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter})
	}
	tb.Rows = append(tb.Rows, head)
	for _, r := range questionListRows(qs) {
		row := docgen.Row{}
		for _, c := range r {
			row.Cells = append(row.Cells, docgen.C(c))
		}
		tb.Rows = append(tb.Rows, row)
	}
	if len(qs) == 0 {
		tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("該当する設問はありません。")}, ColSpan: len(questionListHead)}}})
	}
	d.Sections = []docgen.Section{{Orientation: docgen.Landscape, Tab: "設問一覧", Blocks: []docgen.Block{tb}}}
	return d
}

// questionListTable is the reviewers' list for CSV.
func questionListTable(qs []Question, fy int) tabular.Table {
	return tabular.Table{Sheet: jp.FiscalYearLabel(fy) + "_自己点検設問一覧", Headers: questionListHead, Rows: questionListRows(qs)}
}

// FormFormats are the formats of the paper questionnaire and the list.
var FormFormats = []string{"pdf", "docx", "xlsx"}

// FormFile is a questionnaire or question list made for download.
type FormFile struct {
	Name        string // file name
	ContentType string
	Count       int // questions in it
	Render      func(io.Writer) error
}

// QuestionnaireFile builds fiscal year fy's 調査票 for audiences auds (all
// that have questions when empty) in format pdf or docx, or its question
// list in xlsx.
func (s *Store) QuestionnaireFile(ctx context.Context, fy int, auds []string, format string) (FormFile, error) {
	f, err := formats.Parse(format, FormFormats...)
	if err != nil {
		return FormFile{}, FieldErrors{"format": err.Error()}
	}
	qs, err := s.Questions(ctx, fy, false)
	if err != nil {
		return FormFile{}, err
	}
	use := FormAudiences(qs, auds)
	if len(use) == 0 {
		who := "いずれの対象者"
		if len(auds) > 0 {
			who = audienceLabels(auds)
		}
		return FormFile{}, FieldErrors{"audience": fmt.Sprintf("%sの%s向けの有効な設問がありません。", jp.FiscalYearLabel(fy), who)}
	}
	info := FormInfo{Ward: s.org.WardName(ctx), FiscalYear: fy, Now: s.now()}
	label := "全対象者"
	if len(auds) > 0 {
		label = audienceLabels(use)
	}
	var picked []Question
	for _, q := range qs {
		if slices.ContainsFunc(use, q.For) {
			picked = append(picked, q)
		}
	}
	var doc *docgen.Document
	stem := jp.FiscalYearLabel(fy) + "_自己点検調査票_" + label
	if f.Name == "xlsx" {
		doc = QuestionListDocument(picked, label, info)
		stem = jp.FiscalYearLabel(fy) + "_自己点検設問一覧_" + label
	} else {
		doc = QuestionnaireDocument(picked, use, info)
	}
	return FormFile{Name: f.FileName(strings.ReplaceAll(stem, "・", "_")), ContentType: f.ContentType, Count: len(picked),
		Render: func(w io.Writer) error { return f.Render(w, doc) }}, nil
}
