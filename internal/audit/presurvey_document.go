package audit

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"mamori/content"
	"mamori/internal/docgen"
	"mamori/internal/jp"
)

// presurveyTextFile holds the questionnaire's wording (content/audit), so
// that reviewers who do not read Go can correct it.
const presurveyTextFile = "audit/presurvey.yaml"

// PresurveyText is the questionnaire's wording: its purpose, how to
// answer, the documents, notes, the Excel sheet's note and how a proposed
// request states its purpose. {audit}, {due} and {lead} are filled in by
// Fill.
type PresurveyText struct {
	Title           string   `yaml:"title"`
	Purpose         string   `yaml:"purpose"`
	Instructions    []string `yaml:"instructions"`
	Documents       []string `yaml:"documents"`
	Notes           []string `yaml:"notes"`
	XLSXNote        string   `yaml:"xlsx_note"`
	ProposalPurpose string   `yaml:"proposal_purpose"`
}

var presurveyText = sync.OnceValues(func() (PresurveyText, error) {
	var t PresurveyText
	b, err := content.FS.ReadFile(presurveyTextFile)
	if err != nil {
		return t, err
	}
	if err := yaml.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("%s: %w", presurveyTextFile, err)
	}
	if t.Title == "" || t.Purpose == "" || len(t.Instructions) == 0 || t.ProposalPurpose == "" {
		return t, fmt.Errorf("%s: title, purpose, instructions and proposal_purpose are required", presurveyTextFile)
	}
	return t, nil
})

// LoadPresurveyText returns the questionnaire's wording.
func LoadPresurveyText() (PresurveyText, error) { return presurveyText() }

// Fill replaces the placeholders of the wording with the engagement's
// name, the due date and the lead auditor.
func (t PresurveyText) Fill(e Engagement, p Presurvey) PresurveyText {
	due := p.DueWareki()
	if due == "" {
		due = "（別途お知らせします）"
	}
	lead := e.Lead()
	if lead == "" {
		lead = "監査の担当者"
	}
	r := strings.NewReplacer("{audit}", e.Title, "{due}", due, "{lead}", lead)
	each := func(ss []string) []string {
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = r.Replace(s)
		}
		return out
	}
	t.Purpose, t.XLSXNote = r.Replace(t.Purpose), r.Replace(t.XLSXNote)
	t.Instructions, t.Documents, t.Notes = each(t.Instructions), each(t.Documents), each(t.Notes)
	return t
}

// answerBoxes prints the answer choices as tick boxes, the chosen one
// filled (■), for a printed questionnaire.
func answerBoxes(choice string) string {
	var ls []string
	for _, a := range AnswerChoices {
		box := "□"
		if a.Code == choice {
			box = "■"
		}
		ls = append(ls, box+" "+a.Label)
	}
	return strings.Join(ls, "\n")
}

func headCell(s string) docgen.Cell {
	return docgen.Cell{Runs: []docgen.Run{docgen.T(s)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter}
}

// PresurveyDocument is the 事前調査票 as a document for those who print
// it (PDF, DOCX): what the survey is for and how to answer, the items by
// category with tick boxes (the answers ticked and written in when
// withAnswers), and the 提出資料一覧 table (with what has been submitted
// when withAnswers).
func (s *Store) PresurveyDocument(ctx context.Context, e Engagement, withAnswers bool) (*docgen.Document, error) {
	text, err := presurveyText()
	if err != nil {
		return nil, err
	}
	p, err := s.Presurvey(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	items, err := s.PresurveyItems(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	reqs, err := s.Requests(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	text = text.Fill(e, p)
	now := s.now()
	d := &docgen.Document{Meta: docgen.Meta{Title: text.Title, Subtitle: e.Title, Ward: s.org.WardName(ctx), FiscalYear: e.FiscalYear,
		Date: now, Classification: "取扱注意", PageNumbers: docgen.PageDash}}
	due := p.DueWareki()
	if due == "" {
		due = "（別途お知らせします）"
	}
	props := docgen.Table{HeaderRows: 0, FontSize: 9, Columns: []docgen.Column{{Width: 1}, {Width: 3.2}}}
	prop := func(k, v string) {
		c := headCell(k)
		c.Align = docgen.AlignLeft
		props.Rows = append(props.Rows, docgen.Row{Cells: []docgen.Cell{c, docgen.C(v)}})
	}
	prop("監査の名称", e.Title+"（"+e.Code+"）")
	prop("監査の種類", e.KindLabel())
	prop("対象", e.Subject())
	prop("回答期限", due)
	if l := e.Lead(); l != "" {
		prop("監査責任者", l)
	}
	if withAnswers {
		state := p.StateLabel()
		if !p.SubmittedAt.IsZero() && (p.State == PresurveySubmitted || p.State == PresurveyClosed) {
			state += fmt.Sprintf("（%s %s 提出）", jp.FormatWarekiDateTime(p.SubmittedAt), p.SubmittedBy)
		}
		prop("回答の状況", state)
		prop("出力日", jp.FormatWareki(now))
	}
	blocks := []docgen.Block{
		docgen.Heading{Level: 1, Text: text.Title, NoTOC: true},
		props,
		docgen.Heading{Level: 2, Text: "調査の目的", Numbered: true},
		docgen.Paragraph{Runs: []docgen.Run{docgen.T(text.Purpose)}, FirstIndent: true},
		docgen.Heading{Level: 2, Text: "回答の方法", Numbered: true},
		bullets(text.Instructions),
	}
	if len(text.Documents) > 0 {
		blocks = append(blocks, docgen.Heading{Level: 2, Text: "提出資料について", Numbered: true}, bullets(text.Documents))
	}
	if len(text.Notes) > 0 {
		blocks = append(blocks, docgen.Heading{Level: 2, Text: "留意事項", Numbered: true}, bullets(text.Notes))
	}
	blocks = append(blocks, docgen.Heading{Level: 2, Text: "調査項目", Numbered: true})
	qt := docgen.Table{HeaderRows: 1, FontSize: 8, Columns: []docgen.Column{
		{Width: 1.5, Align: docgen.AlignCenter}, {Width: 5}, {Width: 3}, {Width: 4}}}
	qt.Rows = append(qt.Rows, docgen.Row{Cells: []docgen.Cell{headCell("No"), headCell("確認事項"), headCell("回答"), headCell("回答内容・補足")}})
	cat := "\x00"
	for _, it := range items {
		if it.Category != cat {
			cat = it.Category
			qt.Rows = append(qt.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{{Text: orDash(cat), Bold: true}}, ColSpan: 4, Fill: "EEF2F7"}}})
		}
		choice, answer := "", ""
		if withAnswers {
			choice, answer = it.AnswerChoice, it.Answer
		}
		qt.Rows = append(qt.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(it.Code), docgen.C(it.Question), docgen.C(answerBoxes(choice)), docgen.C(answer)}})
	}
	if len(items) == 0 {
		qt.Rows = append(qt.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("この監査には事前調査票の項目がありません。")}, ColSpan: 4}}})
	}
	blocks = append(blocks, qt, docgen.Heading{Level: 2, Text: "提出資料一覧", Numbered: true})
	rt := docgen.Table{HeaderRows: 1, FontSize: 8, Columns: []docgen.Column{
		{Width: 1, Align: docgen.AlignCenter}, {Width: 3.2}, {Width: 4.2}, {Width: 2.2}, {Width: 2}}}
	head := []docgen.Cell{headCell("No"), headCell("資料の名称"), headCell("目的"), headCell("関係する項目"), headCell("提出期限")}
	if withAnswers {
		rt.Columns = append(rt.Columns, docgen.Column{Width: 2.4})
		head = append(head, headCell("提出状況"))
	}
	rt.Rows = append(rt.Rows, docgen.Row{Cells: head})
	for i, r := range reqs {
		row := []docgen.Cell{docgen.C(fmt.Sprint(i + 1)), docgen.C(r.Name), docgen.C(r.Purpose), docgen.C(strings.Join(r.ItemCodes, "\n")), docgen.C(orDash(r.DueWareki()))}
		if withAnswers {
			st := "未提出"
			if n := len(r.Files); n > 0 {
				st = fmt.Sprintf("提出済み（%d 件）", n)
			} else if r.Overdue(now) {
				st = "未提出（期限超過）"
			}
			row = append(row, docgen.C(st))
		}
		rt.Rows = append(rt.Rows, docgen.Row{Cells: row})
	}
	if len(reqs) == 0 {
		rt.Rows = append(rt.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("提出をお願いする資料はありません。")}, ColSpan: len(head)}}})
	}
	blocks = append(blocks, rt)
	d.Sections = []docgen.Section{{Orientation: docgen.Portrait, Tab: e.Code, Blocks: blocks}}
	return d, nil
}

func bullets(ss []string) docgen.List {
	l := docgen.List{}
	for _, s := range ss {
		l.Items = append(l.Items, docgen.ListItem{Runs: []docgen.Run{docgen.T(s)}})
	}
	return l
}

func orDash(s string) string {
	if s == "" {
		return "－"
	}
	return s
}
