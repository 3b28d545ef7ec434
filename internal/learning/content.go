package learning

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The courses as content/learning writes them (FORMAT.md there): one file
// per course and fiscal year, <year>/<code>.yaml.

// Question kinds.
const (
	KindSingle    = "single"
	KindMultiple  = "multiple"
	KindTrueFalse = "truefalse"
	KindOrder     = "order"
	KindScenario  = "scenario"
)

// Uses of a question.
const (
	UseTest     = "test"
	UseExercise = "exercise"
)

// KindLabel is a question kind in Japanese.
func KindLabel(k string) string {
	switch k {
	case KindSingle:
		return "択一"
	case KindMultiple:
		return "複数選択"
	case KindTrueFalse:
		return "○×"
	case KindOrder:
		return "並べ替え"
	case KindScenario:
		return "場面"
	}
	return k
}

// Pair is a key with its label (variants, categories), in file order.
type Pair struct{ Key, Label string }

// pairs keeps a YAML mapping's order.
type pairs []Pair

func (p *pairs) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%d 行目: 「キー: 表示名」の対応で書いてください", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		*p = append(*p, Pair{Key: n.Content[i].Value, Label: n.Content[i+1].Value})
	}
	return nil
}

// Figure is a lesson's figure: steps, a good/bad comparison or a table.
type Figure struct {
	Kind  string     `yaml:"kind" json:"kind"`
	Title string     `yaml:"title" json:"title"`
	Steps []string   `yaml:"steps" json:"steps,omitempty"`
	Bad   []string   `yaml:"bad" json:"bad,omitempty"`
	Good  []string   `yaml:"good" json:"good,omitempty"`
	Rows  [][]string `yaml:"rows" json:"rows,omitempty"`
}

// Section is one part of a lesson's text.
type Section struct {
	Heading string   `yaml:"heading" json:"heading"`
	Only    []string `yaml:"only" json:"only,omitempty"`
	Body    string   `yaml:"body" json:"body"`
	Figure  *Figure  `yaml:"figure" json:"figure,omitempty"`
}

// For reports whether the section is shown to variant v.
func (s Section) For(v string) bool { return len(s.Only) == 0 || slices.Contains(s.Only, v) }

// LessonSpec is a lesson as the content file writes it.
type LessonSpec struct {
	Code     string    `yaml:"code"`
	Title    string    `yaml:"title"`
	Variants []string  `yaml:"variants"`
	Minutes  int       `yaml:"minutes"`
	Clauses  []string  `yaml:"clauses"`
	Domains  []string  `yaml:"domains"`
	Sections []Section `yaml:"sections"`
	Exercise []string  `yaml:"exercise"`
}

// QuestionSpec is a question as the content file writes it.
type QuestionSpec struct {
	Code        string   `yaml:"code"`
	Use         string   `yaml:"use"`
	Category    string   `yaml:"category"`
	Variants    []string `yaml:"variants"`
	Kind        string   `yaml:"kind"`
	Scenario    string   `yaml:"scenario"`
	Text        string   `yaml:"text"`
	Options     []string `yaml:"options"`
	Answer      []any    `yaml:"answer"`
	Explanation string   `yaml:"explanation"`
	Domains     []string `yaml:"domains"`
	Clauses     []string `yaml:"clauses"`
}

// Slot is one place of a test: a fixed question, or Draw questions drawn
// from a category.
type Slot struct {
	Question string `yaml:"question" json:"question,omitempty"`
	Category string `yaml:"category" json:"category,omitempty"`
	Draw     int    `yaml:"draw" json:"draw,omitempty"`
}

// CourseSpec is one course file.
type CourseSpec struct {
	Code        string            `yaml:"code"`
	FiscalYear  int               `yaml:"fiscal_year"`
	Title       string            `yaml:"title"`
	Summary     string            `yaml:"summary"`
	Minutes     int               `yaml:"minutes"`
	PassPercent int               `yaml:"pass_percent"`
	Variants    pairs             `yaml:"variants"`
	Categories  pairs             `yaml:"categories"`
	Lessons     []LessonSpec      `yaml:"lessons"`
	Questions   []QuestionSpec    `yaml:"questions"`
	Tests       map[string][]Slot `yaml:"tests"`
}

// VariantLabel is a variant's label ("" when the course has no such variant).
func (c *CourseSpec) VariantLabel(v string) string {
	for _, p := range c.Variants {
		if p.Key == v {
			return p.Label
		}
	}
	return ""
}

var courseCodeRe = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,15}$`)

// LoadCourses reads fiscal year fy's course files from fsys (content.FS),
// in code order, each checked (Check).
func LoadCourses(fsys fs.FS, fy int) ([]*CourseSpec, error) {
	dir := fmt.Sprintf("learning/%d", fy)
	files, err := fs.Glob(fsys, dir+"/*.yaml")
	if err != nil {
		return nil, err
	}
	var out []*CourseSpec
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var probe struct {
			Lessons []any `yaml:"lessons"`
		}
		if err := yaml.Unmarshal(b, &probe); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if probe.Lessons == nil {
			continue // not a course (the practice audit of the auditor training)
		}
		c, err := ParseCourse(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if want := strings.ToLower(c.Code) + ".yaml"; path.Base(f) != want {
			return nil, fmt.Errorf("%s: コース %s のファイル名は %s にしてください", f, c.Code, want)
		}
		if c.FiscalYear != fy {
			return nil, fmt.Errorf("%s: fiscal_year が %d です（フォルダは %d）", f, c.FiscalYear, fy)
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// ParseCourse reads and checks one course file.
func ParseCourse(b []byte) (*CourseSpec, error) {
	var c CourseSpec
	if err := yaml.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	if err := c.Check(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Check verifies what FORMAT.md requires of a course: codes, variants,
// kinds and answers, exercises, and test slots that can be filled (a draw
// from a category with at least twice as many questions).
func (c *CourseSpec) Check() error {
	var errs []string
	bad := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	if !courseCodeRe.MatchString(c.Code) {
		bad("code「%s」は英大文字で始まる英大文字・数字にしてください", c.Code)
	}
	if c.Title == "" {
		bad("title がありません")
	}
	if c.PassPercent < 1 || c.PassPercent > 100 {
		bad("pass_percent は 1〜100 にしてください（%d）", c.PassPercent)
	}
	if len(c.Variants) == 0 {
		bad("variants がありません")
	}
	variant := map[string]bool{}
	for _, v := range c.Variants {
		variant[v.Key] = true
	}
	category := map[string]bool{}
	for _, p := range c.Categories {
		category[p.Key] = true
	}
	subset := func(where string, vs []string) {
		if len(vs) == 0 {
			bad("%s: variants がありません", where)
		}
		for _, v := range vs {
			if !variant[v] {
				bad("%s: 区分「%s」はこのコースにありません", where, v)
			}
		}
	}
	qs := map[string]*QuestionSpec{}
	qre := regexp.MustCompile(`^` + regexp.QuoteMeta(c.Code) + `-Q\d{3}$`)
	for i := range c.Questions {
		q := &c.Questions[i]
		w := q.Code
		if !qre.MatchString(w) {
			bad("問題 %d: code「%s」は %s-Q001 の形にしてください", i+1, w, c.Code)
		}
		if qs[w] != nil {
			bad("問題 %s が二つあります", w)
		}
		qs[w] = q
		if q.Use != UseTest && q.Use != UseExercise {
			bad("%s: use は test か exercise です", w)
		}
		if !category[q.Category] {
			bad("%s: 分類「%s」は categories にありません", w, q.Category)
		}
		subset(w, q.Variants)
		if q.Text == "" || q.Explanation == "" {
			bad("%s: text と explanation が必要です", w)
		}
		if (q.Kind == KindScenario) != (q.Scenario != "") {
			bad("%s: scenario は種類 scenario の問題にだけ、必ず書きます", w)
		}
		if _, err := q.Key(); err != nil {
			bad("%s: %v", w, err)
		}
	}
	lre := regexp.MustCompile(`^` + regexp.QuoteMeta(c.Code) + `-L\d{2}$`)
	seen := map[string]bool{}
	for i, l := range c.Lessons {
		w := l.Code
		if !lre.MatchString(w) || seen[w] {
			bad("単元 %d: code「%s」は %s-L01 の形で、重ならないようにしてください", i+1, w, c.Code)
		}
		seen[w] = true
		subset(w, l.Variants)
		if l.Title == "" || len(l.Sections) == 0 {
			bad("%s: title と sections が必要です", w)
		}
		if l.Minutes < 1 || l.Minutes > 30 {
			bad("%s: minutes は 1〜30 にしてください", w)
		}
		for _, s := range l.Sections {
			if s.Heading == "" || s.Body == "" {
				bad("%s: 節には heading と body が必要です", w)
			}
			for _, v := range s.Only {
				if !slices.Contains(l.Variants, v) {
					bad("%s: 節「%s」の only「%s」は単元の variants にありません", w, s.Heading, v)
				}
			}
			if f := s.Figure; f != nil {
				switch {
				case f.Kind == "steps" && len(f.Steps) > 0, f.Kind == "compare" && len(f.Bad) > 0 && len(f.Good) > 0:
				case f.Kind == "table" && len(f.Rows) > 1 && sameWidth(f.Rows):
				default:
					bad("%s: 節「%s」の図（%s）の書き方が正しくありません", w, s.Heading, f.Kind)
				}
			}
		}
		if len(l.Exercise) == 0 {
			bad("%s: 演習問題（exercise）がありません", w)
		}
		for _, e := range l.Exercise {
			q := qs[e]
			switch {
			case q == nil:
				bad("%s: 演習問題 %s がありません", w, e)
			case q.Use != UseExercise:
				bad("%s: %s は use: exercise の問題ではありません", w, e)
			default:
				for _, v := range l.Variants {
					if !slices.Contains(q.Variants, v) {
						bad("%s: 演習問題 %s は区分「%s」向けではありません", w, e, v)
					}
				}
			}
		}
	}
	for _, v := range c.Variants {
		slots := c.Tests[v.Key]
		if len(slots) == 0 {
			bad("tests: 区分「%s」の確認テストがありません", v.Key)
		}
		fixed := map[string]bool{}
		for _, s := range slots {
			if s.Question != "" {
				q := qs[s.Question]
				if q == nil || q.Use != UseTest || !slices.Contains(q.Variants, v.Key) {
					bad("tests %s: %s は区分「%s」の確認テストの問題ではありません", v.Key, s.Question, v.Key)
				}
				fixed[s.Question] = true
			}
		}
		for _, s := range slots {
			if s.Question != "" {
				continue
			}
			n := 0
			for _, q := range c.Questions {
				if q.Use == UseTest && q.Category == s.Category && slices.Contains(q.Variants, v.Key) && !fixed[q.Code] {
					n++
				}
			}
			if s.Draw < 1 || n < s.Draw {
				bad("tests %s: 分類「%s」から %d 問は引けません（%d 問）", v.Key, s.Category, s.Draw, n)
			}
		}
	}
	for v := range c.Tests {
		if !variant[v] {
			bad("tests: 区分「%s」はこのコースにありません", v)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

func sameWidth(rows [][]string) bool {
	for _, r := range rows {
		if len(r) != len(rows[0]) {
			return false
		}
	}
	return true
}

// Key is the question's answer key as stored: for single, scenario and
// multiple the sorted option indexes, for truefalse [1] (true) or [0]
// (false), for order the options' indexes in order (they are written in
// the right order).
func (q *QuestionSpec) Key() ([]int, error) {
	n := len(q.Options)
	switch q.Kind {
	case KindSingle, KindScenario, KindMultiple:
		if n < 2 || n > 6 {
			return nil, fmt.Errorf("選択肢は 2〜6 個にしてください（%d 個）", n)
		}
		var key []int
		for _, a := range q.Answer {
			i, ok := a.(int)
			if !ok || i < 0 || i >= n || slices.Contains(key, i) {
				return nil, fmt.Errorf("answer「%v」は選択肢の番号（0〜%d）にしてください", a, n-1)
			}
			key = append(key, i)
		}
		if q.Kind == KindMultiple && len(key) < 2 || q.Kind != KindMultiple && len(key) != 1 {
			return nil, fmt.Errorf("answer の数が種類 %s に合いません", q.Kind)
		}
		slices.Sort(key)
		return key, nil
	case KindTrueFalse:
		if n != 0 || len(q.Answer) != 1 {
			return nil, fmt.Errorf("○×の問題は options を書かず、answer を [true] か [false] にします")
		}
		b, ok := q.Answer[0].(bool)
		if !ok {
			return nil, fmt.Errorf("○×の answer は [true] か [false] です")
		}
		if b {
			return []int{1}, nil
		}
		return []int{0}, nil
	case KindOrder:
		if n < 3 || n > 8 || len(q.Answer) != 0 {
			return nil, fmt.Errorf("並べ替えは選択肢を正しい順に 3〜8 個書き、answer は書きません")
		}
		key := make([]int, n)
		for i := range key {
			key[i] = i
		}
		return key, nil
	}
	return nil, fmt.Errorf("種類「%s」はありません", q.Kind)
}
