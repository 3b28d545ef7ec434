package learning_test

import (
	"io/fs"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"mamori/content"
	"mamori/internal/learning"
)

// frameworkClauses reads every clause key (<code>:<number>) of the
// catalogue's frameworks.
func frameworkClauses(t *testing.T) map[string]bool {
	t.Helper()
	files, err := fs.Glob(content.FS, "catalog/frameworks/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type clause struct {
		Number   string   `yaml:"number"`
		Children []clause `yaml:"children"`
	}
	keys := map[string]bool{}
	var walk func(code string, cs []clause)
	walk = func(code string, cs []clause) {
		for _, c := range cs {
			keys[code+":"+c.Number] = true
			walk(code, c.Children)
		}
	}
	for _, f := range files {
		b, err := fs.ReadFile(content.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		var fw struct {
			Code    string   `yaml:"code"`
			Clauses []clause `yaml:"clauses"`
		}
		if err := yaml.Unmarshal(b, &fw); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		walk(fw.Code, fw.Clauses)
	}
	return keys
}

// TestContent: the year's courses load and check, hold what the issue
// asks (the two courses in three variants and the auditor training, at
// least 8 lessons and 30 test questions per variant, an exercise after
// every lesson) and cite only clauses the catalogue has.
func TestContent(t *testing.T) {
	courses, err := learning.LoadCourses(content.FS, 2026)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	keys := frameworkClauses(t)
	for _, c := range courses {
		codes = append(codes, c.Code)
		for _, v := range c.Variants {
			lessons, tests := 0, 0
			for _, l := range c.Lessons {
				if slices.Contains(l.Variants, v.Key) {
					lessons++
				}
			}
			for _, q := range c.Questions {
				if q.Use == learning.UseTest && slices.Contains(q.Variants, v.Key) {
					tests++
				}
			}
			if lessons < 8 || tests < 30 {
				t.Errorf("%s %s: %d lessons, %d test questions (want 8 and 30)", c.Code, v.Key, lessons, tests)
			}
		}
		cite := func(where string, cl []string) {
			if len(cl) == 0 {
				t.Errorf("%s %s cites no clause", c.Code, where)
			}
			for _, k := range cl {
				if !keys[k] {
					t.Errorf("%s %s cites %s, which the catalogue has not", c.Code, where, k)
				}
			}
		}
		for _, l := range c.Lessons {
			cite(l.Code, l.Clauses)
		}
		for _, q := range c.Questions {
			cite(q.Code, q.Clauses)
		}
	}
	for _, want := range []string{"AUDIT", "MYNO", "PRIV"} {
		if !slices.Contains(codes, want) {
			t.Errorf("courses %v lack %s", codes, want)
		}
	}
	for _, c := range courses {
		if (c.Code == "PRIV" || c.Code == "MYNO") && len(c.Variants) != 3 {
			t.Errorf("%s has %d variants, want 一般職員・システム担当者・管理職", c.Code, len(c.Variants))
		}
	}
}

// TestCheckRefuses: the loader names what is wrong with a course file.
func TestCheckRefuses(t *testing.T) {
	base := `code: TEST
fiscal_year: 2026
title: 試験
pass_percent: 80
variants: {general: 一般職員}
categories: {a: 分類A}
lessons:
  - code: TEST-L01
    title: 単元
    variants: [general]
    minutes: 5
    clauses: [mic-policy:5.1]
    sections: [{heading: 見出し, body: 本文}]
    exercise: [TEST-Q001]
questions:
  - code: TEST-Q001
    use: exercise
    category: a
    variants: [general]
    kind: single
    text: 問い
    options: [あ, い, う]
    answer: [1]
    explanation: 説明
  - code: TEST-Q002
    use: test
    category: a
    variants: [general]
    kind: truefalse
    text: 正しい。
    answer: [true]
    explanation: 説明
tests:
  general:
    - category: a
      draw: 1
`
	if _, err := learning.ParseCourse([]byte(base)); err != nil {
		t.Fatalf("a good file refused: %v", err)
	}
	for _, tc := range []struct{ from, to, want string }{
		{"answer: [1]", "answer: [5]", "answer「5」"},
		{"exercise: [TEST-Q001]", "exercise: [TEST-Q009]", "演習問題 TEST-Q009 がありません"},
		{"    kind: truefalse", "    kind: essay", "種類「essay」"},
		{"      draw: 1", "      draw: 3", "3 問は引けません"},
		{"variants: [general]\n    minutes", "variants: [manager]\n    minutes", "区分「manager」"},
		{"pass_percent: 80", "pass_percent: 0", "pass_percent"},
	} {
		_, err := learning.ParseCourse([]byte(strings.Replace(base, tc.from, tc.to, 1)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s → %s: %v, want %q", tc.from, tc.to, err, tc.want)
		}
	}
}

// TestGrading: a question is right as a whole; order questions by
// sequence, multiple choice by set.
func TestGrading(t *testing.T) {
	multi := learning.Question{Kind: learning.KindMultiple, Options: []string{"a", "b", "c"}, Key: []int{0, 2}}
	order := learning.Question{Kind: learning.KindOrder, Options: []string{"a", "b", "c"}, Key: []int{0, 1, 2}}
	tf := learning.Question{Kind: learning.KindTrueFalse, Key: []int{0}}
	for _, tc := range []struct {
		q    learning.Question
		ans  []int
		want bool
	}{
		{multi, []int{2, 0}, true}, {multi, []int{0}, false}, {multi, []int{0, 1, 2}, false},
		{order, []int{0, 1, 2}, true}, {order, []int{1, 0, 2}, false},
		{tf, []int{0}, true}, {tf, []int{1}, false},
	} {
		if got := tc.q.Correct(tc.ans); got != tc.want {
			t.Errorf("%s %v: %v, want %v", tc.q.Kind, tc.ans, got, tc.want)
		}
	}
}
