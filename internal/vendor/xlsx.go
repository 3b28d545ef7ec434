package vendor

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/docgen/xlsx"
	"mamori/internal/jp"
	"mamori/internal/xlsxform"
)

// The questionnaire's Excel round trip, the default on a closed network:
// the office exports the questionnaire (a hidden key per row, a hidden
// sheet naming the request and its revision, a drop-down for the answer),
// the vendor fills it in and the office uploads it; a preview shows every
// change; a file of another request, an older export, an unknown or
// duplicated key, an answer that is not a choice are refused with nothing
// changed; a blank cell changes nothing.

const (
	xSheet    = "確認事項"
	xMeta     = "取込情報"
	xForm     = "mamori-vendor/1"
	xNo       = "No"
	xCategory = "分類"
	xQuestion = "確認事項"
	xAnswer   = "回答"
	xNote     = "説明（取組・根拠資料）"
	xFix      = "区からの修正の依頼"
	xKey      = "キー"

	mForm     = "様式"
	mCode     = "審査番号"
	mRev      = "版"
	mExported = "出力日時"
)

var layout = xlsxform.Layout{MetaSheet: xMeta, Key: xKey, Answer: xAnswer, What: "確認事項",
	MaxBytes: 5 << 20, MaxUnzipped: 40 << 20, MaxParts: 400, MaxRows: 3000}

// Workbook lays the questionnaire out for the vendor to fill in.
func (rec *Record) Workbook(ward string, now time.Time) *docgen.Document {
	r := rec.R
	t := docgen.Table{Caption: xSheet, HeaderRows: 1, Columns: []docgen.Column{{Width: 0.6, Align: docgen.AlignCenter}, {Width: 2}, {Width: 5},
		{Width: 1.4, Align: docgen.AlignCenter}, {Width: 5}, {Width: 3}, {Width: 1}}, Rows: []docgen.Row{docgen.HeadRow(xNo, xCategory, xQuestion, xAnswer, xNote, xFix, xKey)}}
	for _, i := range rec.Items {
		fix := ""
		if i.Review == "fix" {
			fix = i.ToVendor
		}
		t.Rows = append(t.Rows, docgen.TextRow(strconv.Itoa(i.Seq), i.Category, i.Question, i.Answer, i.Note, fix, i.Code))
	}
	mt := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 1}, {Width: 2}}, Rows: []docgen.Row{docgen.HeadRow("項目", "値")}}
	for _, kv := range [][2]string{{mForm, xForm}, {mCode, r.Code}, {mRev, strconv.FormatInt(r.Rev, 10)}, {mExported, jp.FormatWarekiDateTime(now)}} {
		mt.Rows = append(mt.Rows, docgen.TextRow(kv[0], kv[1]))
	}
	return &docgen.Document{Meta: docgen.Meta{Title: "情報セキュリティに関する確認事項", Subtitle: r.Code + " " + r.ServiceName, Ward: ward, FiscalYear: r.FiscalYear,
		Date: now, Classification: "取扱注意"},
		Sections: []docgen.Section{
			{Orientation: docgen.Landscape, Tab: xSheet, Blocks: []docgen.Block{
				docgen.P(r.VendorName + " 御中　「" + xAnswer + "」の列は一覧（" + strings.Join(Answers, "・") + "）から選び、「" + xNote + "」に取組や根拠となる資料を書いてください。行や列を追加・削除しないでください。空欄のセルは変更なしとして扱います。"), t}},
			{Orientation: docgen.Portrait, Tab: xMeta, Blocks: []docgen.Block{docgen.P("このシートは、取り込むときに、どの審査のどの時点の確認事項かを確かめるために使います。内容を変えないでください。"), mt}},
		}}
}

// WriteWorkbook writes the workbook with the answer drop-down, its key
// column and meta sheet hidden, the key column left out of the print.
func WriteWorkbook(w io.Writer, d *docgen.Document) error {
	return layout.Write(w, d, xlsx.Options{Validations: []xlsx.Validation{{Column: 3, Values: Answers, Caption: xSheet}}, PrintColumns: 6})
}

// Change is one answer an imported workbook changes; an empty new value
// leaves that part as it is (a blank cell).
type Change struct {
	Row       int
	Code      string
	Question  string
	OldAnswer string
	NewAnswer string
	OldNote   string
	NewNote   string
}

// Import is what importing a workbook would change.
type Import struct {
	File      string
	Rev       int64
	Changes   []Change
	Unchanged int
	Errors    []string
}

// OK reports whether the file has no errors.
func (p *Import) OK() bool { return len(p.Errors) == 0 }

func (p *Import) fail(format string, args ...any) {
	if len(p.Errors) < 200 {
		p.Errors = append(p.Errors, fmt.Sprintf(format, args...))
	}
}

// PlanImport reads an uploaded workbook and compares it with the request's
// questionnaire; problems are in the plan's Errors.
func (s *Store) PlanImport(ctx context.Context, r Request, filename string, data []byte) (*Import, error) {
	plan := &Import{File: filename, Rev: r.Rev}
	if !r.State.Open() {
		plan.fail("%s", ErrLocked.Error())
		return plan, nil
	}
	f, msg := layout.Read(data)
	if f == nil {
		plan.fail("%s", msg)
		return plan, nil
	}
	switch {
	case f.Meta[mForm] != xForm:
		plan.fail("Mamori の委託・クラウドの確認事項の Excel ではありません（様式「%s」）。審査の画面から出力したファイルを使ってください。", f.Meta[mForm])
	case f.Meta[mCode] != r.Code:
		plan.fail("このファイルは別の審査（%s）の確認事項です。この審査（%s）の画面から出力したファイルを取り込んでください。", f.Meta[mCode], r.Code)
	case f.Meta[mRev] != strconv.FormatInt(r.Rev, 10):
		plan.fail("このファイル（%sに出力）を出力した後に、この審査の回答や状態が変わっています（出力時の版 %s、現在の版 %d）。古いファイルを取り込むと変更が失われるため、取り込めません。出力し直して記入してください。",
			f.Meta[mExported], f.Meta[mRev], r.Rev)
	case msg != "":
		plan.fail("%s", msg)
	}
	if !plan.OK() {
		return plan, nil
	}
	items, err := s.Items(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	byCode := map[string]Item{}
	for _, i := range items {
		byCode[i.Code] = i
	}
	seen := map[string]int{}
	for _, row := range f.Rows {
		key := strings.TrimSpace(f.Cell(row, xKey))
		ans, note := strings.TrimSpace(f.Cell(row, xAnswer)), strings.TrimSpace(strings.ReplaceAll(f.Cell(row, xNote), "\r", ""))
		if key == "" {
			if ans != "" || note != "" {
				plan.fail("%d行目 ［%s］ キー（非表示の列）が空です。行を追加したりコピーしたりせず、出力したときの行に記入してください。", row.N, xKey)
			}
			continue
		}
		it, ok := byCode[key]
		if !ok {
			plan.fail("%d行目 ［%s］ キー「%s」はこの確認事項の項目ではありません。", row.N, xKey, key)
			continue
		}
		if prev, dup := seen[key]; dup {
			plan.fail("%d行目 ［%s］ キー「%s」の行が %d 行目にもあります。", row.N, xKey, key, prev)
			continue
		}
		seen[key] = row.N
		if ans != "" {
			found := ""
			for _, a := range Answers {
				if jp.Key(a) == jp.Key(ans) {
					found = a
				}
			}
			if found == "" {
				plan.fail("%d行目 ［%s］ %s の回答「%s」は選べません。一覧（%s）から選んでください。", row.N, xAnswer, key, ans, strings.Join(Answers, "・"))
				continue
			}
			ans = found
		}
		if runes(note) > 2000 {
			plan.fail("%d行目 ［%s］ %s の説明は2,000文字以内にしてください。", row.N, xNote, key)
			continue
		}
		c := Change{Row: row.N, Code: key, Question: it.Question, OldAnswer: it.Answer, OldNote: it.Note}
		if ans != "" && ans != it.Answer {
			c.NewAnswer = ans
		}
		if note != "" && note != it.Note {
			c.NewNote = note
		}
		if c.NewAnswer != "" || c.NewNote != "" {
			plan.Changes = append(plan.Changes, c)
		} else {
			plan.Unchanged++
		}
	}
	if len(seen) == 0 && plan.OK() {
		plan.fail("シート「%s」に項目の行がありません。", f.Sheet)
	}
	return plan, nil
}

// ApplyImport applies the changes of a previewed workbook if the request
// is still at rev, and submits the answers when submit is set.
func (s *Store) ApplyImport(ctx context.Context, r Request, rev int64, changes []Change, filename string, submit bool) (int, error) {
	if r.Rev != rev {
		return 0, ErrStale
	}
	in := map[string]AnswerInput{}
	for _, c := range changes {
		in[c.Code] = AnswerInput{Answer: c.NewAnswer, Note: or(c.NewNote, "")}
	}
	items, err := s.Items(ctx, r.ID)
	if err != nil {
		return 0, err
	}
	for _, i := range items {
		if a, ok := in[i.Code]; ok && a.Note == "" {
			a.Note = i.Note // a blank note cell keeps the note
			in[i.Code] = a
		}
	}
	n, err := s.SaveAnswers(ctx, r, in, "Excel「"+filename+"」から取込み")
	if err != nil || !submit {
		return n, err
	}
	if r, err = s.Get(ctx, r.ID); err != nil {
		return n, err
	}
	return n, s.Submit(ctx, r, "Excel「"+filename+"」")
}
