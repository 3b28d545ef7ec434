package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"mamori/internal/docgen"
	"mamori/internal/docgen/xlsx"
	"mamori/internal/jp"
	"mamori/internal/xlsxform"
)

// This file is the questionnaire's Excel round trip: the auditee exports
// the 事前調査票 as a workbook (each row keyed by its item's code in a
// hidden column, the engagement's code and the questionnaire's rev on a
// hidden sheet, a drop-down for the answer), fills it in and imports it
// back; the import shows every change before it is applied. A file of
// another engagement, an older export (the rev changed since), unknown or
// duplicated keys, an answer that is not one of the choices, a zip bomb
// and a locked questionnaire are refused with nothing changed.

// The workbook's layout.
const (
	presurveySheet     = "事前調査票"
	presurveyReqSheet  = "提出資料一覧"
	presurveyMetaSheet = "取込情報"
	presurveyForm      = "mamori-presurvey/1"

	pmForm     = "様式"
	pmCode     = "監査番号"
	pmTitle    = "監査の名称"
	pmRev      = "版"
	pmItems    = "項目数"
	pmExported = "出力日時"

	pcNo       = "No"
	pcCategory = "分類"
	pcQuestion = "確認事項"
	pcChoice   = "回答"
	pcText     = "回答内容・補足"
	pcKey      = "キー"
	// pcChoiceIndex is the answer column (its drop-down) and pcPrinted
	// the columns that print (the key does not).
	pcChoiceIndex = 3
	pcPrinted     = 5
)

// Limits of an imported workbook: its size, its size once unzipped (a zip
// bomb is refused before anything reads it), its parts and its rows.
const (
	MaxPresurveyXLSX      = 5 << 20
	maxPresurveyUnzipped  = 40 << 20
	maxPresurveyZipParts  = 400
	maxPresurveyXLSXRows  = 3000
	maxPresurveyRowErrors = 200
)

// presurveyLayout is the workbook's keyed layout (internal/xlsxform).
var presurveyLayout = xlsxform.Layout{MetaSheet: presurveyMetaSheet, Key: pcKey, Answer: pcChoice, What: "事前調査票",
	MaxBytes: MaxPresurveyXLSX, MaxUnzipped: maxPresurveyUnzipped, MaxParts: maxPresurveyZipParts, MaxRows: maxPresurveyXLSXRows}

// PresurveyWorkbook lays the questionnaire out for Excel: its note and
// the items with their current answers on the first sheet, the requested
// documents on the second, and the hidden 取込情報 sheet naming the
// engagement and the questionnaire's rev.
func (s *Store) PresurveyWorkbook(ctx context.Context, e Engagement) (*docgen.Document, error) {
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
	due := p.DueWareki()
	if due == "" {
		due = "（別途お知らせします）"
	}
	qt := docgen.Table{Caption: presurveySheet, HeaderRows: 1, Columns: []docgen.Column{
		{Width: 1.3, Align: docgen.AlignCenter}, {Width: 2.2}, {Width: 5.5}, {Width: 1.9, Align: docgen.AlignCenter}, {Width: 5.5}, {Width: 1}}}
	qt.Rows = append(qt.Rows, docgen.Row{Cells: []docgen.Cell{headCell(pcNo), headCell(pcCategory), headCell(pcQuestion), headCell(pcChoice), headCell(pcText), headCell(pcKey)}})
	for _, it := range items {
		choice := ""
		if it.AnswerChoice != "" {
			choice = AnswerChoiceLabel(it.AnswerChoice)
		}
		qt.Rows = append(qt.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(it.Code), docgen.C(it.Category), docgen.C(it.Question),
			docgen.C(choice), docgen.C(it.Answer), docgen.C(it.Code)}})
	}
	rt := docgen.Table{Caption: presurveyReqSheet, HeaderRows: 1, Columns: []docgen.Column{
		{Width: 0.7, Align: docgen.AlignCenter}, {Width: 3.2}, {Width: 4.5}, {Width: 2.2}, {Width: 2}, {Width: 2}}}
	rt.Rows = append(rt.Rows, docgen.Row{Cells: []docgen.Cell{headCell("No"), headCell("資料の名称"), headCell("目的"), headCell("関係する項目"),
		headCell("提出期限"), headCell("提出状況")}})
	for i, r := range reqs {
		st := "未提出"
		if n := len(r.Files); n > 0 {
			st = fmt.Sprintf("提出済み（%d 件）", n)
		}
		rt.Rows = append(rt.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(strconv.Itoa(i + 1)), docgen.C(r.Name), docgen.C(r.Purpose),
			docgen.C(strings.Join(r.ItemCodes, "、")), docgen.C(orDash(r.DueWareki())), docgen.C(st)}})
	}
	if len(reqs) == 0 {
		rt.Rows = append(rt.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("提出をお願いする資料はありません。")}, ColSpan: 6}}})
	}
	meta := [][2]string{{pmForm, presurveyForm}, {pmCode, e.Code}, {pmTitle, e.Title}, {pmRev, strconv.FormatInt(p.Rev, 10)},
		{pmItems, strconv.Itoa(len(items))}, {pmExported, jp.FormatWarekiDateTime(now)}}
	mt := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 1}, {Width: 2}},
		Rows: []docgen.Row{{Cells: []docgen.Cell{headCell("項目"), headCell("値")}}}}
	for _, kv := range meta {
		mt.Rows = append(mt.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(kv[0]), docgen.C(kv[1])}})
	}
	return &docgen.Document{Meta: docgen.Meta{Title: text.Title, Subtitle: e.Title + "（" + e.Code + "）", Ward: s.org.WardName(ctx),
		FiscalYear: e.FiscalYear, Date: now, Classification: "取扱注意"},
		Sections: []docgen.Section{
			{Orientation: docgen.Landscape, Tab: presurveySheet, Blocks: []docgen.Block{
				docgen.P("回答期限：" + due + "　回答の状況：" + p.StateLabel()), docgen.P(text.XLSXNote), qt}},
			{Orientation: docgen.Landscape, Tab: presurveyReqSheet, Blocks: []docgen.Block{rt}},
			{Orientation: docgen.Portrait, Tab: presurveyMetaSheet, Blocks: []docgen.Block{
				docgen.P("このシートは、取り込むときに、どの監査のどの時点の事前調査票から出力したファイルかを確かめるために使います。内容を変えないでください。"), mt}},
		}}, nil
}

// presurveyXLSXOptions put the answer drop-down on the questionnaire and
// print its columns without the key.
var presurveyXLSXOptions = func() xlsx.Options {
	var labels []string
	for _, a := range AnswerChoices {
		labels = append(labels, a.Label)
	}
	return xlsx.Options{Validations: []xlsx.Validation{{Column: pcChoiceIndex, Values: labels, Caption: presurveySheet}}, PrintColumns: pcPrinted}
}()

// WritePresurveyXLSX writes a workbook made by PresurveyWorkbook with the
// answer drop-down, and hides the key column and the 取込情報 sheet.
func WritePresurveyXLSX(w io.Writer, d *docgen.Document) error {
	return presurveyLayout.Write(w, d, presurveyXLSXOptions)
}

// AnswerChange is one answer an imported workbook changes. An empty New
// value leaves that part of the answer as it is (a blank cell).
type AnswerChange struct {
	Row       int // the row in Excel
	ItemID    int64
	Code      string
	Question  string
	OldChoice string
	NewChoice string
	OldText   string
	NewText   string
}

// ChoiceChanged reports whether the answer choice changes.
func (c AnswerChange) ChoiceChanged() bool { return c.NewChoice != "" && c.NewChoice != c.OldChoice }

// TextChanged reports whether the answer's text changes.
func (c AnswerChange) TextChanged() bool { return c.NewText != "" && c.NewText != c.OldText }

// OldChoiceLabel and NewChoiceLabel name the choices.
func (c AnswerChange) OldChoiceLabel() string { return AnswerChoiceLabel(c.OldChoice) }

// NewChoiceLabel: see OldChoiceLabel.
func (c AnswerChange) NewChoiceLabel() string { return AnswerChoiceLabel(c.NewChoice) }

// PresurveyImport is what importing a workbook would change.
type PresurveyImport struct {
	File      string
	Rev       int64 // the questionnaire's rev the file was exported at
	Rows      int   // data rows read
	Changes   []AnswerChange
	Unchanged int
	Errors    []string // each names the row and column; none: the file may be applied
}

// OK reports whether the file has no errors.
func (p *PresurveyImport) OK() bool { return len(p.Errors) == 0 }

func (p *PresurveyImport) fail(format string, args ...any) {
	p.Errors = append(p.Errors, fmt.Sprintf(format, args...))
}

// parseChoice reads an answer cell: a choice's label as the drop-down
// writes it, its short form (一部実施) or its code.
func parseChoice(s string) (string, bool) {
	k := jp.Key(s)
	if k == "" {
		return "", true
	}
	for _, a := range AnswerChoices {
		if k == jp.Key(a.Label) || k == a.Code {
			return a.Code, true
		}
	}
	switch k {
	case jp.Key("一部実施"), jp.Key("一部"):
		return "partly", true
	case jp.Key("未実施"):
		return "no", true
	case jp.Key("該当なし"), jp.Key("対象外"):
		return "na", true
	}
	return "", false
}

// PlanPresurveyImport reads an uploaded workbook and compares it with the
// engagement's questionnaire. Problems of the file and its rows are in
// the plan's Errors; the error result is for failures to read the
// database.
func (s *Store) PlanPresurveyImport(ctx context.Context, e Engagement, filename string, data []byte) (*PresurveyImport, error) {
	plan := &PresurveyImport{File: filename}
	p, err := s.Presurvey(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	if p.Locked() {
		plan.fail("%s", ErrPresurveyLocked.Error())
		return plan, nil
	}
	f, msg := presurveyLayout.Read(data)
	if f == nil && msg != "" {
		plan.fail("%s", msg)
		return plan, nil
	}
	if !plan.checkMeta(f.Meta, e, p) {
		return plan, nil
	}
	if msg != "" {
		plan.fail("%s", msg)
		return plan, nil
	}
	sheet := f.Sheet
	if f.Cols[pcText] == 0 {
		plan.fail("シート「%s」に「%s」の列がありません。出力したときの列を消さずに取り込んでください。", sheet, pcText)
		return plan, nil
	}
	items, err := s.PresurveyItems(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	byCode := map[string]Item{}
	for _, it := range items {
		byCode[it.Code] = it
	}
	cell := f.Cell
	seen := map[string]int{}
	rowErr := func(row int, col, format string, args ...any) {
		if len(plan.Errors) < maxPresurveyRowErrors {
			plan.fail("%d行目 ［%s］ %s", row, col, fmt.Sprintf(format, args...))
		} else if len(plan.Errors) == maxPresurveyRowErrors {
			plan.fail("ほかにも誤りがあります（最初の %d 件を表示しています）。", maxPresurveyRowErrors)
		}
	}
	for _, r := range f.Rows {
		row := r.N
		key := strings.TrimSpace(cell(r, pcKey))
		rawChoice, rawText := strings.TrimSpace(cell(r, pcChoice)), cleanAnswer(cell(r, pcText))
		if key == "" {
			if rawChoice != "" || rawText != "" {
				rowErr(row, pcKey, "キー（非表示の列）が空です。行を追加したり、行をコピーして貼り付けたりせず、出力したときの行に回答してください。")
			}
			continue
		}
		plan.Rows++
		it, ok := byCode[key]
		if !ok {
			rowErr(row, pcKey, "キー「%s」はこの事前調査票の項目ではありません。出力したときのキーを変えないでください。", key)
			continue
		}
		if prev, dup := seen[key]; dup {
			rowErr(row, pcKey, "キー「%s」の行が %d 行目にもあります。同じ項目の行は1つにしてください。", key, prev)
			continue
		}
		seen[key] = row
		choice, ok := parseChoice(rawChoice)
		if !ok {
			rowErr(row, pcChoice, "%s の回答「%s」は選べません。一覧（%s）から選んでください。", key, rawChoice, answerLabels())
			continue
		}
		if jp.HasControl(rawText) || utf8.RuneCountInString(rawText) > maxAnswer {
			rowErr(row, pcText, "%s の回答内容は%d文字以内にしてください（%d文字あります）。", key, maxAnswer, utf8.RuneCountInString(rawText))
			continue
		}
		c := AnswerChange{Row: row, ItemID: it.ID, Code: it.Code, Question: it.Question, OldChoice: it.AnswerChoice, OldText: it.Answer}
		if choice != it.AnswerChoice {
			c.NewChoice = choice
		}
		if rawText != it.Answer {
			c.NewText = rawText
		}
		if c.ChoiceChanged() || c.TextChanged() {
			plan.Changes = append(plan.Changes, c)
		} else {
			plan.Unchanged++
		}
	}
	if plan.Rows == 0 && plan.OK() {
		plan.fail("シート「%s」に項目の行がありません。", sheet)
	}
	plan.Rev = p.Rev
	return plan, nil
}

// checkMeta reads the 取込情報 sheet and refuses a file that is not a
// questionnaire, is another engagement's, or was exported before the
// questionnaire last changed.
func (plan *PresurveyImport) checkMeta(meta map[string]string, e Engagement, p Presurvey) bool {
	if meta[pmForm] != presurveyForm {
		plan.fail("Mamori の事前調査票の Excel ではありません（様式「%s」）。事前調査票の画面から出力したファイルを使ってください。", meta[pmForm])
		return false
	}
	if meta[pmCode] != e.Code {
		plan.fail("このファイルは別の監査（%s %s）の事前調査票です。この監査（%s）の事前調査票の画面から出力したファイルを取り込んでください。",
			meta[pmCode], meta[pmTitle], e.Code)
		return false
	}
	rev, err := strconv.ParseInt(meta[pmRev], 10, 64)
	if err != nil {
		plan.fail("シート「%s」の「%s」が読めません。出力したファイルの内容を変えずに取り込んでください。", presurveyMetaSheet, pmRev)
		return false
	}
	if rev != p.Rev {
		plan.fail("%s", (&StaleImportError{FileRev: rev, Rev: p.Rev, Exported: meta[pmExported]}).Error())
		return false
	}
	return true
}

// StaleImportError is a workbook exported before the questionnaire last
// changed (an answer saved, the questionnaire submitted or returned):
// importing it could undo those changes.
type StaleImportError struct {
	FileRev, Rev int64
	Exported     string // when the file was exported, as the file says
}

func (e *StaleImportError) Error() string {
	when := ""
	if e.Exported != "" {
		when = "（" + e.Exported + "に出力）"
	}
	return fmt.Sprintf("このファイル%sを出力した後に、事前調査票の回答や状態が更新されています（出力時の版 %d、現在の版 %d）。古いファイルを取り込むと更新が失われるため、取り込めません。事前調査票を出力し直して、回答を記入し直してください。",
		when, e.FileRev, e.Rev)
}

// ApplyPresurveyImport applies the answers of a previewed workbook, if
// the questionnaire is still at rev (the rev the preview read): blank new
// values keep the stored ones. Every change is checked again; nothing is
// saved when anything is wrong. It returns how many answers changed.
func (s *Store) ApplyPresurveyImport(ctx context.Context, e Engagement, rev int64, changes []AnswerChange, filename string, by Actor) (int, error) {
	var n int
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		p, err := s.Presurvey(ctx, e.ID)
		if err != nil {
			return err
		}
		if p.Locked() {
			return ErrPresurveyLocked
		}
		if p.Rev != rev {
			return &StaleImportError{FileRev: rev, Rev: p.Rev}
		}
		items, err := s.PresurveyItems(ctx, e.ID)
		if err != nil {
			return err
		}
		byCode := map[string]Item{}
		for _, it := range items {
			byCode[it.Code] = it
		}
		var in []AnswerInput
		for _, c := range changes {
			it, ok := byCode[c.Code]
			if !ok {
				return FieldErrors{"form": fmt.Sprintf("項目「%s」はこの事前調査票にありません。", c.Code)}
			}
			a := AnswerInput{ItemID: it.ID, Choice: it.AnswerChoice, Text: it.Answer}
			if c.NewChoice != "" {
				a.Choice = c.NewChoice
			}
			if c.NewText != "" {
				a.Text = c.NewText
			}
			in = append(in, a)
		}
		n, err = s.writeAnswers(ctx, e.ID, in, by, "Excel「"+filename+"」から取込み")
		return err
	})
	if err != nil {
		var fe FieldErrors
		var st *StaleImportError
		if errors.As(err, &fe) || errors.As(err, &st) || errors.Is(err, ErrPresurveyLocked) || errors.Is(err, ErrConflict) {
			return 0, err
		}
		return 0, fmt.Errorf("audit.ApplyPresurveyImport: %w", err)
	}
	return n, nil
}

// recordImportRefusal writes a refused import to the audit log: the file
// and the first problems.
func (s *Store) recordImportRefusal(ctx context.Context, engagementID int64, filename string, problems []string) error {
	detail := fmt.Sprintf("事前調査票の Excel「%s」の取込みを拒否：%s", filename, codeList(problems, 3))
	if utf8.RuneCountInString(detail) > 1000 {
		detail = string([]rune(detail)[:1000]) + "…"
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		return s.log.Record(ctx, "audit.presurvey_import_refused", fmt.Sprintf("audit_engagement:%d", engagementID), detail)
	})
}
