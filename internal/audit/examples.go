package audit

// This file is the library of response examples (対応例): how
// municipalities typically handle a problem that audits keep finding,
// each tied to a threat tag of the catalogue or a finding category (the
// chapter of the checklist). The external-audit results material quotes
// the examples the consultant picks (material_web.go). The shipped
// examples (content/audit/response_examples.yaml) are loaded at demo time
// or on first use; after that the consultant edits them on screen.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"mamori/content"
	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/jp"
)

// examplesFile is the shipped library (content/audit).
const examplesFile = "audit/response_examples.yaml"

// Limits of an example's texts, in characters.
const (
	exampleTitleMax = 100
	exampleTextMax  = 2000
	exampleCodeMax  = 20
)

// Example is one response example.
type Example struct {
	ID        int64
	Code      string // EX-01 …
	Category  string // a threat code or a chapter
	Title     string
	Problem   string // the problem as auditors meet it
	Practice  string // how municipalities typically handle it
	Order     int
	Active    bool
	Rev       int64
	UpdatedBy string
	UpdatedAt time.Time
}

// CategoryLabel is the category in Japanese: a threat's name with 「脅威：」,
// a chapter as it is.
func (x Example) CategoryLabel() string { return ExampleCategoryLabel(x.Category) }

// ExampleCategoryLabel names a category (see Example.CategoryLabel).
func ExampleCategoryLabel(c string) string {
	if l, ok := catalog.Threats[c]; ok {
		return "脅威：" + l
	}
	return c
}

// ExampleInput is an example as entered.
type ExampleInput struct {
	Code, Category, Title, Problem, Practice string
	Order                                    int
}

// examplesContent is content/audit/response_examples.yaml.
type examplesContent struct {
	Chapters []string `yaml:"chapters"`
	Examples []struct {
		Code     string `yaml:"code"`
		Category string `yaml:"category"`
		Title    string `yaml:"title"`
		Problem  string `yaml:"problem"`
		Practice string `yaml:"practice"`
	} `yaml:"examples"`
}

var examplesOnce struct {
	sync.Once
	c   *examplesContent
	err error
}

// loadExamplesContent reads and checks the shipped library once.
func loadExamplesContent() (*examplesContent, error) {
	o := &examplesOnce
	o.Do(func() {
		b, err := content.FS.ReadFile(examplesFile)
		if err != nil {
			o.err = fmt.Errorf("audit: %s: %w", examplesFile, err)
			return
		}
		o.c, o.err = parseExamplesContent(b)
	})
	return o.c, o.err
}

// parseExamplesContent parses and checks a library file: every example
// must pass the same checks as one entered on screen.
func parseExamplesContent(b []byte) (*examplesContent, error) {
	var c examplesContent
	if err := yaml.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("audit: %s: %w", examplesFile, err)
	}
	if len(c.Chapters) == 0 {
		return nil, fmt.Errorf("audit: %s: chapters がありません", examplesFile)
	}
	seen := map[string]bool{}
	for i := range c.Examples {
		x := &c.Examples[i]
		x.Problem, x.Practice = reportUnfold(x.Problem), reportUnfold(x.Practice)
		in := ExampleInput{Code: x.Code, Category: x.Category, Title: x.Title, Problem: x.Problem, Practice: x.Practice}
		if fe := checkExample(c.Chapters, &in); fe != nil {
			return nil, fmt.Errorf("audit: %s: %d 件目（%s）: %s", examplesFile, i+1, x.Code, fe.Error())
		}
		if seen[in.Code] {
			return nil, fmt.Errorf("audit: %s: 番号 %s が重複しています", examplesFile, in.Code)
		}
		seen[in.Code] = true
	}
	return &c, nil
}

// ExampleCategories are the categories an example may be tied to: the
// catalogue's threat tags in their order, then the finding categories.
func ExampleCategories() ([]struct{ Code, Label string }, error) {
	c, err := loadExamplesContent()
	if err != nil {
		return nil, err
	}
	var out []struct{ Code, Label string }
	for _, t := range catalog.ThreatOrder {
		out = append(out, struct{ Code, Label string }{t, ExampleCategoryLabel(t)})
	}
	for _, ch := range c.Chapters {
		out = append(out, struct{ Code, Label string }{ch, ch})
	}
	return out, nil
}

// checkExample trims the input and returns what is wrong with it, by field.
func checkExample(chapters []string, in *ExampleInput) FieldErrors {
	fe := FieldErrors{}
	in.Code = strings.TrimSpace(jp.Normalize(in.Code))
	in.Category = strings.TrimSpace(in.Category)
	in.Title = strings.TrimSpace(in.Title)
	in.Problem, in.Practice = strings.TrimSpace(in.Problem), strings.TrimSpace(in.Practice)
	switch {
	case in.Code == "":
		fe["code"] = "番号を入力してください（例：EX-26）。"
	case utf8.RuneCountInString(in.Code) > exampleCodeMax:
		fe["code"] = fmt.Sprintf("番号は%d文字以内で入力してください。", exampleCodeMax)
	case strings.ContainsAny(in.Code, " 　/?#%"):
		fe["code"] = "番号に空白や記号（/ ? # %）は使えません。"
	}
	if _, threat := catalog.Threats[in.Category]; !threat && !slices.Contains(chapters, in.Category) {
		fe["category"] = "区分を一覧から選んでください（脅威または指摘の区分）。"
	}
	text := func(k, label string, v string, max int) {
		switch n := utf8.RuneCountInString(v); {
		case n == 0:
			fe[k] = label + "を入力してください。"
		case n > max:
			fe[k] = fmt.Sprintf("%sは%d文字以内で入力してください（現在%d文字）。", label, max, n)
		}
	}
	text("title", "件名", in.Title, exampleTitleMax)
	text("problem", "監査で見られる課題", in.Problem, exampleTextMax)
	text("practice", "他団体での一般的な対応", in.Practice, exampleTextMax)
	if in.Order < 0 {
		fe["order"] = "表示順は0以上の数字で入力してください。"
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

const exampleCols = `id, code, category, title, problem, practice, sort_order, active, rev, updated_by_name, updated_at`

func scanExample(sc interface{ Scan(...any) error }) (Example, error) {
	var x Example
	var at database.Time
	err := sc.Scan(&x.ID, &x.Code, &x.Category, &x.Title, &x.Problem, &x.Practice, &x.Order, &x.Active, &x.Rev, &x.UpdatedBy, &at)
	x.UpdatedAt = at.Time
	return x, err
}

// EnsureExamples loads the shipped library when the ward has no example
// at all (the first use); it reports how many it loaded. Examples the
// consultant deactivated stay, so a library once loaded is never loaded
// again.
func (s *Store) EnsureExamples(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_response_examples").Scan(&n); err != nil {
		return 0, fmt.Errorf("audit.EnsureExamples: %w", err)
	}
	if n > 0 {
		return 0, nil
	}
	c, err := loadExamplesContent()
	if err != nil {
		return 0, err
	}
	loaded := 0
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		// Counted again inside the transaction: two first uses at once load once.
		if err := s.db.QueryRowWrite(ctx, "SELECT COUNT(*) FROM audit_response_examples").Scan(&n); err != nil || n > 0 {
			return err
		}
		now := database.T(s.now())
		for i, x := range c.Examples {
			if _, err := s.db.Exec(ctx, `INSERT INTO audit_response_examples (code, category, title, problem, practice, sort_order, active, rev, updated_by_name, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`, x.Code, x.Category, x.Title, x.Problem, x.Practice, (i+1)*10, true, "（既定の内容）", now); err != nil {
				return err
			}
		}
		loaded = len(c.Examples)
		return s.log.Record(ctx, "audit.examples_load", "audit_response_examples",
			fmt.Sprintf("対応例ライブラリの既定の内容 %d 件を読み込み", loaded))
	})
	if database.IsUniqueViolation(err) {
		// On PostgreSQL two first uses both count none; the later one's
		// inserts wait for the first and then hit its codes: loaded already.
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("audit.EnsureExamples: %w", err)
	}
	return loaded, nil
}

// ExampleFilter narrows Examples.
type ExampleFilter struct {
	Category string
	Inactive bool // include deactivated examples
	Words    []string
}

// Examples lists the examples in their order.
func (s *Store) Examples(ctx context.Context, f ExampleFilter) ([]Example, error) {
	var where []string
	var args []any
	if !f.Inactive {
		where = append(where, "active = ?")
		args = append(args, true)
	}
	if f.Category != "" {
		where = append(where, "category = ?")
		args = append(args, f.Category)
	}
	q := "SELECT " + exampleCols + " FROM audit_response_examples"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.db.Query(ctx, q+" ORDER BY sort_order, code", args...)
	if err != nil {
		return nil, fmt.Errorf("audit.Examples: %w", err)
	}
	defer rows.Close()
	var out []Example
	for rows.Next() {
		x, err := scanExample(rows)
		if err != nil {
			return nil, fmt.Errorf("audit.Examples: %w", err)
		}
		if len(f.Words) > 0 && !jp.MatchWords(jp.SearchText(x.Code, x.Title, x.Problem, x.Practice, x.CategoryLabel()), f.Words) {
			continue
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// Example returns one example.
func (s *Store) Example(ctx context.Context, id int64) (Example, error) {
	x, err := scanExample(s.db.QueryRow(ctx, "SELECT "+exampleCols+" FROM audit_response_examples WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return x, database.NotFound("audit.Example", err)
	}
	if err != nil {
		return x, fmt.Errorf("audit.Example: %w", err)
	}
	return x, nil
}

// exampleCheck checks an input against the categories and the codes in
// use (except's own).
func (s *Store) exampleCheck(ctx context.Context, in *ExampleInput, except int64) error {
	c, err := loadExamplesContent()
	if err != nil {
		return err
	}
	fe := checkExample(c.Chapters, in)
	if fe == nil || fe["code"] == "" {
		var other int64
		err := s.db.QueryRow(ctx, "SELECT id FROM audit_response_examples WHERE code = ? AND id <> ?", in.Code, except).Scan(&other)
		if err == nil {
			if fe == nil {
				fe = FieldErrors{}
			}
			fe["code"] = exampleCodeTaken(in.Code)["code"]
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	if fe != nil {
		return fe
	}
	return nil
}

// exampleCodeTaken refuses a code another example has. The check above
// reads before it writes: on PostgreSQL two saves of one new code at once
// both pass it, and the later one meets the unique index instead.
func exampleCodeTaken(code string) FieldErrors {
	return FieldErrors{"code": fmt.Sprintf("番号 %s は別の対応例で使われています。", code)}
}

// CreateExample adds an example; a zero order puts it last.
func (s *Store) CreateExample(ctx context.Context, in ExampleInput, by Actor) (int64, error) {
	var id int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.exampleCheck(ctx, &in, 0); err != nil {
			return err
		}
		if in.Order == 0 {
			if err := s.db.QueryRow(ctx, "SELECT COALESCE(MAX(sort_order), 0) + 10 FROM audit_response_examples").Scan(&in.Order); err != nil {
				return err
			}
		}
		var err error
		id, err = s.db.InsertID(ctx, `INSERT INTO audit_response_examples (code, category, title, problem, practice, sort_order, active, rev, updated_by_name, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`, in.Code, in.Category, in.Title, in.Problem, in.Practice, in.Order, true, by.Name, database.T(s.now()))
		if database.IsUniqueViolation(err) {
			return exampleCodeTaken(in.Code)
		}
		if err != nil {
			return err
		}
		return s.log.Record(ctx, "audit.example_create", fmt.Sprintf("audit_example:%d", id), fmt.Sprintf("対応例 %s「%s」を追加", in.Code, in.Title))
	})
	return id, exampleErr("audit.CreateExample", err)
}

// UpdateExample saves an example read at rev.
func (s *Store) UpdateExample(ctx context.Context, id, rev int64, in ExampleInput, by Actor) error {
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.Example(ctx, id); err != nil {
			return err
		}
		if err := s.exampleCheck(ctx, &in, id); err != nil {
			return err
		}
		res, err := s.db.Exec(ctx, `UPDATE audit_response_examples SET code = ?, category = ?, title = ?, problem = ?, practice = ?, sort_order = ?,
			rev = rev + 1, updated_by_name = ?, updated_at = ? WHERE id = ? AND rev = ?`,
			in.Code, in.Category, in.Title, in.Problem, in.Practice, in.Order, by.Name, database.T(s.now()), id, rev)
		if database.IsUniqueViolation(err) {
			return exampleCodeTaken(in.Code)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		return s.log.Record(ctx, "audit.example_update", fmt.Sprintf("audit_example:%d", id), fmt.Sprintf("対応例 %s「%s」を更新", in.Code, in.Title))
	})
	return exampleErr("audit.UpdateExample", err)
}

// SetExampleActive deactivates an example (it leaves the lists and the
// suggestions; material that chose it keeps it) or activates it again.
func (s *Store) SetExampleActive(ctx context.Context, id, rev int64, active bool, by Actor) error {
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		x, err := s.Example(ctx, id)
		if err != nil {
			return err
		}
		res, err := s.db.Exec(ctx, `UPDATE audit_response_examples SET active = ?, rev = rev + 1, updated_by_name = ?, updated_at = ? WHERE id = ? AND rev = ?`,
			active, by.Name, database.T(s.now()), id, rev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		what := "使用中止"
		if active {
			what = "使用再開"
		}
		return s.log.Record(ctx, "audit.example_active", fmt.Sprintf("audit_example:%d", id), fmt.Sprintf("対応例 %s「%s」を%s", x.Code, x.Title, what))
	})
	return exampleErr("audit.SetExampleActive", err)
}

// exampleErr wraps unexpected errors and passes the explained ones.
func exampleErr(op string, err error) error {
	var fe FieldErrors
	if err == nil || errors.As(err, &fe) || errors.Is(err, ErrConflict) || errors.Is(err, database.ErrNotFound) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

// MaterialExample is an example chosen for an engagement's material.
type MaterialExample struct {
	Example
	Note string // the consultant's note for this ward
}

// MaterialExamples lists the examples chosen for engagement id, in the
// library's order (deactivated ones included: the material keeps them).
func (s *Store) MaterialExamples(ctx context.Context, engagementID int64) ([]MaterialExample, error) {
	rows, err := s.db.Query(ctx, `SELECT x.id, x.code, x.category, x.title, x.problem, x.practice, x.sort_order, x.active, x.rev, x.updated_by_name, x.updated_at, m.note
		FROM audit_material_examples m JOIN audit_response_examples x ON x.id = m.example_id WHERE m.engagement_id = ? ORDER BY x.sort_order, x.code`, engagementID)
	if err != nil {
		return nil, fmt.Errorf("audit.MaterialExamples: %w", err)
	}
	defer rows.Close()
	var out []MaterialExample
	for rows.Next() {
		var m MaterialExample
		var at database.Time
		if err := rows.Scan(&m.ID, &m.Code, &m.Category, &m.Title, &m.Problem, &m.Practice, &m.Order, &m.Active, &m.Rev, &m.UpdatedBy, &at, &m.Note); err != nil {
			return nil, fmt.Errorf("audit.MaterialExamples: %w", err)
		}
		m.UpdatedAt = at.Time
		out = append(out, m)
	}
	return out, rows.Err()
}

// MaterialChoice is one example chosen, with its note.
type MaterialChoice struct {
	ExampleID int64
	Note      string
}

// materialNoteMax bounds a note, in characters.
const materialNoteMax = 1000

// SetMaterialExamples replaces the examples chosen for engagement e.
func (s *Store) SetMaterialExamples(ctx context.Context, e Engagement, choices []MaterialChoice, by Actor) error {
	fe := FieldErrors{}
	seen := map[int64]bool{}
	for i := range choices {
		c := &choices[i]
		c.Note = strings.TrimSpace(c.Note)
		if n := utf8.RuneCountInString(c.Note); n > materialNoteMax {
			fe[fmt.Sprintf("note_%d", c.ExampleID)] = fmt.Sprintf("補足は%d文字以内で入力してください（現在%d文字）。", materialNoteMax, n)
		}
		if seen[c.ExampleID] {
			return web400("同じ対応例が二度選ばれています。画面を読み込み直してください。")
		}
		seen[c.ExampleID] = true
	}
	if len(fe) > 0 {
		return fe
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// Two saves at once on PostgreSQL would both delete the old choice
		// and the later one's inserts would hit the other's rows (500).
		if err := s.db.LockRow(ctx, "audit_engagements", e.ID); err != nil {
			return err
		}
		before, err := s.MaterialExamples(ctx, e.ID)
		if err != nil {
			return err
		}
		had := map[int64]bool{}
		for _, b := range before {
			had[b.ID] = true
		}
		var codes []string
		for _, c := range choices {
			x, err := s.Example(ctx, c.ExampleID)
			if errors.Is(err, database.ErrNotFound) {
				return web400(fmt.Sprintf("選んだ対応例（番号 %d）はありません。画面を読み込み直してください。", c.ExampleID))
			}
			if err != nil {
				return err
			}
			if !x.Active && !had[x.ID] {
				return web400(fmt.Sprintf("対応例 %s は使用を中止しています。", x.Code))
			}
			codes = append(codes, x.Code)
		}
		if _, err := s.db.Exec(ctx, "DELETE FROM audit_material_examples WHERE engagement_id = ?", e.ID); err != nil {
			return err
		}
		for _, c := range choices {
			if _, err := s.db.Exec(ctx, "INSERT INTO audit_material_examples (engagement_id, example_id, note) VALUES (?, ?, ?)", e.ID, c.ExampleID, c.Note); err != nil {
				return err
			}
		}
		sort.Strings(codes)
		detail := fmt.Sprintf("%s の報告会資料（外部監査結果）の対応例を %d 件に設定", e.Code, len(codes))
		if len(codes) > 0 {
			detail += "（" + strings.Join(codes, "、") + "）"
		}
		return s.log.Record(ctx, "audit.material_examples", fmt.Sprintf("audit_engagement:%d", e.ID), detail)
	})
	return exampleErr("audit.SetMaterialExamples", err)
}

// web400 is a refusal of the whole form (not one field).
func web400(msg string) error { return FieldErrors{"form": msg} }

// Suggestion is an example suggested for an engagement, with why.
type Suggestion struct {
	Example
	Score    int      // the weight of the findings it answers (高 3, 中 2, 低 1 each)
	Findings []string // the findings it answers: 「指摘事項1 …」
}

// Reason says why the example is suggested.
func (g Suggestion) Reason() string {
	return fmt.Sprintf("%s に関係する %d 件：%s", g.CategoryLabel(), len(g.Findings), strings.Join(g.Findings, "、"))
}

// findingWeight is how much a finding counts for suggestions.
func findingWeight(risk string) int {
	switch risk {
	case "高":
		return 3
	case "中":
		return 2
	}
	return 1
}

// SuggestExamples picks the active examples that answer engagement e's
// findings (not its 良好事例): an example counts when its category is a
// threat tag or the chapter of an item a finding names. Best first.
func (s *Store) SuggestExamples(ctx context.Context, e Engagement) ([]Suggestion, error) {
	fs, err := s.Findings(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	items, err := s.Items(ctx, e.ID, ItemFilter{WithDropped: true})
	if err != nil {
		return nil, err
	}
	byCode := map[string]Item{}
	for _, it := range items {
		byCode[it.Code] = it
	}
	xs, err := s.Examples(ctx, ExampleFilter{})
	if err != nil {
		return nil, err
	}
	return suggest(fs, byCode, xs), nil
}

// suggest scores the examples xs against the findings fs (items by code).
func suggest(fs []Finding, byCode map[string]Item, xs []Example) []Suggestion {
	idx := map[string][]int{} // category → examples
	for i, x := range xs {
		idx[x.Category] = append(idx[x.Category], i)
	}
	out := make([]Suggestion, len(xs))
	for i, x := range xs {
		out[i].Example = x
	}
	for _, f := range fs {
		if f.Type == FindingGood {
			continue
		}
		cats := map[string]bool{}
		for _, code := range f.ItemCodes {
			it, ok := byCode[code]
			if !ok {
				continue
			}
			cats[reportChapter(it.Category)] = true
			for _, t := range it.Threats {
				cats[t] = true
			}
		}
		hit := map[int]bool{}
		for c := range cats {
			for _, i := range idx[c] {
				hit[i] = true
			}
		}
		for i := range hit {
			out[i].Score += findingWeight(f.Risk)
			out[i].Findings = append(out[i].Findings, f.Label()+"「"+f.Title+"」")
		}
	}
	var got []Suggestion
	for _, g := range out {
		if g.Score > 0 {
			got = append(got, g)
		}
	}
	sort.SliceStable(got, func(i, j int) bool { return got[i].Score > got[j].Score })
	return got
}
