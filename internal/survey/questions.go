package survey

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"mamori/internal/database"
)

// bankFile is the YAML of one year's questions (content/survey/FORMAT.md).
type bankFile struct {
	FiscalYear int               `yaml:"fiscal_year"`
	Title      string            `yaml:"title"`
	Domains    map[string]string `yaml:"domains"`
	Audiences  map[string]string `yaml:"audiences"`
	Questions  []struct {
		Code        string   `yaml:"code"`
		Audiences   []string `yaml:"audiences"`
		Kind        string   `yaml:"kind"`
		Domain      string   `yaml:"domain"`
		Clauses     []string `yaml:"clauses"`
		Item        string   `yaml:"item"`
		Scenario    string   `yaml:"scenario"`
		Text        string   `yaml:"text"`
		Options     []string `yaml:"options"`
		Answer      []int    `yaml:"answer"`
		Explanation string   `yaml:"explanation"`
	} `yaml:"questions"`
}

// LoadBank reads the questions of content/survey/questions-FY.yaml from
// fsys (content.FS) and checks them. Answers in the file are 0-based
// option indexes; a Question's are 1-based.
func LoadBank(fsys fs.FS, fy int) ([]Question, error) {
	name := fmt.Sprintf("survey/questions-%d.yaml", fy)
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	var f bankFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var out []Question
	seen := map[string]bool{}
	for i, y := range f.Questions {
		q := Question{FiscalYear: fy, Code: strings.TrimSpace(y.Code), Audiences: y.Audiences, Kind: y.Kind, Domain: y.Domain,
			Clauses: y.Clauses, ItemCode: y.Item, Scenario: strings.TrimSpace(y.Scenario), Text: strings.TrimSpace(y.Text),
			Options: y.Options, Explanation: strings.TrimSpace(y.Explanation), SortOrder: i + 1, Active: true}
		for _, a := range y.Answer {
			q.Answer = append(q.Answer, a+1)
		}
		slices.Sort(q.Answer)
		if fe := CheckQuestion(&q); len(fe) > 0 {
			return nil, fmt.Errorf("%s: 設問 %d（%s）: %s", name, i+1, q.Code, fe.Error())
		}
		if seen[q.Code] {
			return nil, fmt.Errorf("%s: 設問コード %s が重複しています", name, q.Code)
		}
		seen[q.Code] = true
		out = append(out, q)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: 設問がありません", name)
	}
	return out, nil
}

// FieldErrors are messages by form field.
type FieldErrors map[string]string

func (fe FieldErrors) Error() string {
	keys := make([]string, 0, len(fe))
	for k := range fe {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fe[k])
	}
	return strings.Join(parts, " ")
}

// Limits of a question's text.
const (
	maxQuestionText = 1000
	maxOptions      = 10
)

// CheckQuestion validates and cleans a question (the editor and the
// content loader share it).
func CheckQuestion(q *Question) FieldErrors {
	fe := FieldErrors{}
	q.Code = strings.TrimSpace(q.Code)
	if q.Code == "" || len(q.Code) > 30 || strings.ContainsAny(q.Code, " \t,\"") {
		fe["code"] = "設問コードを 30 文字以内の英数字と記号（- _ .）で入れてください。"
	}
	var auds []string
	for _, a := range AudienceOrder {
		if slices.Contains(q.Audiences, a) {
			auds = append(auds, a)
		}
	}
	if len(auds) == 0 || len(auds) != len(dedupe(q.Audiences)) {
		fe["audiences"] = "対象者（一般職員・システム担当者・保護担当者）を一つ以上選んでください。"
	}
	q.Audiences = auds
	if KindLabel(q.Kind) == q.Kind {
		fe["kind"] = "設問の種類を選んでください。"
	}
	if q.Domain != "" && DomainLabel(q.Domain) == q.Domain {
		fe["domain"] = "リスク領域を一覧から選んでください。"
	}
	if q.Text == "" || len([]rune(q.Text)) > maxQuestionText {
		fe["text"] = fmt.Sprintf("設問文を %d 文字以内で入れてください。", maxQuestionText)
	}
	var opts []string
	for _, o := range q.Options {
		if o = strings.TrimSpace(o); o != "" {
			opts = append(opts, o)
		}
	}
	q.Options = opts
	switch q.Kind {
	case KindKnowledge, KindSingle, KindMultiple:
		if len(opts) < 2 || len(opts) > maxOptions {
			fe["options"] = fmt.Sprintf("選択肢を 2～%d 個入れてください。", maxOptions)
		}
	default:
		if len(opts) > 0 {
			fe["options"] = "この種類の設問には選択肢を入れません（尺度は決まっています）。"
		}
	}
	if q.Kind == KindKnowledge {
		if len(q.Answer) == 0 {
			fe["answer"] = "正答の選択肢を選んでください。"
		}
		for _, a := range q.Answer {
			if a < 1 || a > len(opts) {
				fe["answer"] = "正答は選択肢の中から選んでください。"
			}
		}
		if q.Explanation == "" {
			fe["explanation"] = "回答後に示す解説を入れてください。"
		}
	} else {
		q.Answer = nil
	}
	return fe.orNil()
}

func (fe FieldErrors) orNil() FieldErrors {
	if len(fe) == 0 {
		return nil
	}
	return fe
}

func dedupe(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return slices.Compact(c)
}

const questionCols = `id, fiscal_year, code, audiences, kind, domain, clauses, item_code, scenario, text, options, answer, explanation,
	sort_order, active, rev, updated_by_name, updated_at`

func scanQuestion(sc interface{ Scan(...any) error }) (Question, error) {
	var q Question
	var auds, clauses, opts, answer string
	var at database.Time
	if err := sc.Scan(&q.ID, &q.FiscalYear, &q.Code, &auds, &q.Kind, &q.Domain, &clauses, &q.ItemCode, &q.Scenario, &q.Text,
		&opts, &answer, &q.Explanation, &q.SortOrder, &q.Active, &q.Rev, &q.UpdatedBy, &at); err != nil {
		return q, err
	}
	q.Audiences, q.Clauses = split(auds, ","), split(clauses, ",")
	q.Options = split(opts, "\n")
	if answer != "" {
		q.Answer, _ = parseChoices(answer)
	}
	q.UpdatedAt = at.Time
	return q, nil
}

func split(s, sep string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, sep)
}

// Questions lists fiscal year fy's questions in order (inactive ones
// too when all is set).
func (s *Store) Questions(ctx context.Context, fy int, all bool) ([]Question, error) {
	q := "SELECT " + questionCols + " FROM survey_questions WHERE fiscal_year = ?"
	if !all {
		q += " AND active = TRUE"
	}
	rows, err := s.db.Query(ctx, q+" ORDER BY sort_order, id", fy)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Question
	for rows.Next() {
		qu, err := scanQuestion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, qu)
	}
	return out, rows.Err()
}

// Question reads one question.
func (s *Store) Question(ctx context.Context, id int64) (Question, error) {
	q, err := scanQuestion(s.db.QueryRow(ctx, "SELECT "+questionCols+" FROM survey_questions WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return q, database.ErrNotFound
	}
	return q, err
}

// insertQuestion writes a new question of its fiscal year.
func (s *Store) insertQuestion(ctx context.Context, q Question, by string) (int64, error) {
	return s.db.InsertID(ctx, `INSERT INTO survey_questions (fiscal_year, code, audiences, kind, domain, clauses, item_code, scenario, text,
		options, answer, explanation, sort_order, active, rev, updated_by_name, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		q.FiscalYear, q.Code, strings.Join(q.Audiences, ","), q.Kind, q.Domain, strings.Join(q.Clauses, ","), q.ItemCode, q.Scenario, q.Text,
		strings.Join(q.Options, "\n"), joinInts(q.Answer), q.Explanation, q.SortOrder, q.Active, by, database.T(s.now()))
}

// ImportBank writes the questions of a bank file as fiscal year fy's,
// when that year has none yet; it returns how many it wrote.
func (s *Store) ImportBank(ctx context.Context, qs []Question, fy int, by string) (int, error) {
	n := 0
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var have int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM survey_questions WHERE fiscal_year = ?", fy).Scan(&have); err != nil {
			return err
		}
		if have > 0 {
			return nil
		}
		for _, q := range qs {
			q.FiscalYear = fy
			if _, err := s.insertQuestion(ctx, q, by); err != nil {
				return err
			}
			n++
		}
		s.forget(fy)
		return s.log.Record(ctx, "survey.questions_import", "survey_year:"+strconv.Itoa(fy), fmt.Sprintf("%d 年度の設問 %d 問を登録", fy, n))
	})
	return n, err
}

// bankCache keeps each year's active questions between requests: a
// questionnaire page and a submission need them all, and thousands of
// staff load the same ones. An edit through this store drops the year at
// once; an edit through another instance is seen within bankRecheck (the
// table is checked with one small query at most that often).
type bankCache struct {
	mu    sync.Mutex
	years map[int]cachedBank
}

type cachedBank struct {
	stamp   string
	checked time.Time
	qs      []Question
	forms   *sync.Map // audiences ("general,system") → Form without its campaign
}

// bankRecheck is how long a cached bank is used without asking the table.
const bankRecheck = time.Second

// forget drops fiscal year fy's cached questions (after an edit).
func (s *Store) forget(fy int) {
	s.cache.mu.Lock()
	delete(s.cache.years, fy)
	s.cache.mu.Unlock()
}

// bank is fiscal year fy's active questions, from the cache when the
// table has not changed.
func (s *Store) bank(ctx context.Context, fy int) ([]Question, error) {
	now := time.Now()
	s.cache.mu.Lock()
	c, ok := s.cache.years[fy]
	s.cache.mu.Unlock()
	if ok && now.Sub(c.checked) < bankRecheck {
		return c.qs, nil
	}
	var n, rev int64
	var at string
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(rev), 0), COALESCE(MAX(updated_at), '') FROM survey_questions WHERE fiscal_year = ?`, fy).Scan(&n, &rev, &at); err != nil {
		return nil, err
	}
	stamp := fmt.Sprintf("%d/%d/%s", n, rev, at)
	if !ok || c.stamp != stamp {
		qs, err := s.Questions(ctx, fy, false)
		if err != nil {
			return nil, err
		}
		for i := range qs {
			qs[i].esc = qs[i].escaped()
		}
		c.qs, c.forms = qs, &sync.Map{}
	}
	c.stamp, c.checked = stamp, now
	s.cache.mu.Lock()
	if s.cache.years == nil {
		s.cache.years = map[int]cachedBank{}
	}
	s.cache.years[fy] = c
	s.cache.mu.Unlock()
	return c.qs, nil
}

// formOf is the questionnaire of audiences auds in campaign c, its
// sections built once per bank and audience set.
func (s *Store) formOf(ctx context.Context, c Campaign, auds []string) (Form, error) {
	qs, err := s.bank(ctx, c.FiscalYear)
	if err != nil {
		return Form{}, err
	}
	s.cache.mu.Lock()
	cb := s.cache.years[c.FiscalYear]
	s.cache.mu.Unlock()
	key := strings.Join(auds, ",")
	if cb.forms != nil {
		if f, ok := cb.forms.Load(key); ok {
			form := f.(Form)
			form.Campaign = c
			return form, nil
		}
	}
	form := FormFor(Campaign{}, qs, auds)
	if cb.forms != nil {
		cb.forms.Store(key, form)
	}
	form.Campaign = c
	return form, nil
}
