package learning

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Changing a course in the screens: a lesson's title, length and text
// (its sections), and a question rewritten as a new version — the
// attempts that drew the old version keep it; later attempts and the
// lessons' exercises draw the new one. (A wrong key alone is corrected in
// place with CorrectKey, which regrades.)

// Limits of what an editor may type.
const (
	maxTitle       = 200
	maxSectionBody = 20000
	maxQuestion    = 2000
	maxOption      = 300
)

// LessonEdit is the lesson form: the sections as typed, in order.
type LessonEdit struct {
	Title    string
	Minutes  int
	Sections []SectionEdit
	Base     string // Lesson.Hash when the form was opened
}

// SectionEdit is one section of the form. Only and the figure are kept
// from the section it edits (Index, -1 for a new one).
type SectionEdit struct {
	Index   int
	Heading string
	Body    string
	Delete  bool
}

// Hash identifies a lesson's content, so that an edit made on an older
// copy is refused rather than overwriting someone else's.
func (l Lesson) Hash() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%s", l.Title, l.Minutes, jsonText(l.Sections))
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// EditLesson applies form e to lesson l. A form with problems is a
// FieldErrors (keys title, minutes, sN, base); nothing is changed.
func (s *Store) EditLesson(ctx context.Context, l Lesson, e LessonEdit, by string) error {
	fe := FieldErrors{}
	e.Title = strings.TrimSpace(e.Title)
	switch {
	case e.Title == "":
		fe["title"] = "題を入力してください。"
	case utf8.RuneCountInString(e.Title) > maxTitle:
		fe["title"] = fmt.Sprintf("題は %d 文字以内にしてください。", maxTitle)
	}
	if e.Minutes < 1 || e.Minutes > 30 {
		fe["minutes"] = "目安の時間は 1〜30 分にしてください。"
	}
	var out []Section
	for i, se := range e.Sections {
		if se.Delete {
			continue
		}
		h, b := strings.TrimSpace(se.Heading), strings.TrimSpace(strings.ReplaceAll(se.Body, "\r\n", "\n"))
		if se.Index < 0 && h == "" && b == "" {
			continue // the empty "new section" of the form
		}
		key := fmt.Sprintf("s%d", i)
		switch {
		case h == "" || b == "":
			fe[key] = fmt.Sprintf("節 %d：見出しと本文の両方を入力してください。", i+1)
		case utf8.RuneCountInString(h) > maxTitle:
			fe[key] = fmt.Sprintf("節 %d：見出しは %d 文字以内にしてください。", i+1, maxTitle)
		case utf8.RuneCountInString(b) > maxSectionBody:
			fe[key] = fmt.Sprintf("節 %d：本文は %d 文字以内にしてください。", i+1, maxSectionBody)
		}
		sec := Section{Heading: h, Body: b}
		if se.Index >= 0 {
			if se.Index >= len(l.Sections) {
				fe[key] = fmt.Sprintf("節 %d：元の節がありません。画面を開き直してください。", i+1)
				continue
			}
			old := l.Sections[se.Index]
			sec.Only, sec.Figure = old.Only, old.Figure
		}
		out = append(out, sec)
	}
	if len(out) == 0 && len(fe) == 0 {
		fe["sections"] = "節を一つ以上残してください。"
	}
	if e.Base != l.Hash() {
		fe["base"] = "この単元は、画面を開いた後に別の人が変更しました。画面を開き直して、変更を確かめてから入力し直してください。"
	}
	if len(fe) > 0 {
		return fe
	}
	defer s.forget(l.CourseID)
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, "UPDATE learning_lessons SET title = ?, minutes = ?, sections = ? WHERE id = ? AND title = ? AND sections = ?",
			e.Title, e.Minutes, jsonText(out), l.ID, l.Title, jsonText(l.Sections))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return FieldErrors{"base": "この単元は、画面を開いた後に別の人が変更しました。画面を開き直してください。"}
		}
		return s.log.Record(ctx, "learning.lesson_edit", fmt.Sprintf("learning_course:%d", l.CourseID),
			fmt.Sprintf("単元 %s「%s」を変更（節 %d → %d、%s）", l.Code, e.Title, len(l.Sections), len(out), by))
	})
}

// QuestionEdit is the form that rewrites a question.
type QuestionEdit struct {
	Scenario    string
	Text        string
	Options     string // one per line (order: in the right order)
	Answer      string // single/scenario/multiple: the numbers from 1 ("2", "1,3"); truefalse: "true" or "false"
	Explanation string
}

// ReviseQuestion makes form e the next version of question q (which must
// be current) and returns the new version's id.
func (s *Store) ReviseQuestion(ctx context.Context, q Question, e QuestionEdit, by string) (int64, error) {
	fe := FieldErrors{}
	spec := QuestionSpec{Code: q.Code, Use: q.Use, Category: q.Category, Variants: q.Variants, Kind: q.Kind,
		Scenario: strings.TrimSpace(e.Scenario), Text: strings.TrimSpace(e.Text), Explanation: strings.TrimSpace(e.Explanation)}
	for _, line := range strings.Split(strings.ReplaceAll(e.Options, "\r\n", "\n"), "\n") {
		if o := strings.TrimSpace(line); o != "" {
			spec.Options = append(spec.Options, o)
			if utf8.RuneCountInString(o) > maxOption {
				fe["options"] = fmt.Sprintf("選択肢は一つ %d 文字以内にしてください。", maxOption)
			}
		}
	}
	switch {
	case spec.Text == "":
		fe["text"] = "問題文を入力してください。"
	case utf8.RuneCountInString(spec.Text) > maxQuestion:
		fe["text"] = fmt.Sprintf("問題文は %d 文字以内にしてください。", maxQuestion)
	}
	if spec.Explanation == "" || utf8.RuneCountInString(spec.Explanation) > maxQuestion {
		fe["explanation"] = fmt.Sprintf("解説を %d 文字以内で入力してください。", maxQuestion)
	}
	if q.Kind == KindScenario && spec.Scenario == "" {
		fe["scenario"] = "場面（シナリオ）を入力してください。"
	}
	if q.Kind != KindScenario {
		spec.Scenario = ""
	}
	if utf8.RuneCountInString(spec.Scenario) > maxQuestion {
		fe["scenario"] = fmt.Sprintf("場面は %d 文字以内にしてください。", maxQuestion)
	}
	ans := strings.TrimSpace(strings.NewReplacer("、", ",", "，", ",", " ", "", "　", "").Replace(e.Answer))
	switch q.Kind {
	case KindTrueFalse:
		spec.Options = nil
		spec.Answer = []any{ans == "true"}
		if ans != "true" && ans != "false" {
			fe["answer"] = "正解（○ か ×）を選んでください。"
		}
	case KindOrder:
	default:
		for _, part := range strings.Split(ans, ",") {
			var n int
			if _, err := fmt.Sscanf(part, "%d", &n); err != nil || fmt.Sprint(n) != part {
				fe["answer"] = "正解は選択肢の番号（1 から）で入力してください。複数選択は「1,3」のように区切ります。"
				break
			}
			if n < 1 || n > len(spec.Options) {
				fe["answer"] = fmt.Sprintf("正解の番号 %d に当たる選択肢がありません（選択肢は 1〜%d）。", n, len(spec.Options))
				break
			}
			spec.Answer = append(spec.Answer, n-1)
		}
	}
	if _, ok := fe["answer"]; !ok {
		if _, err := spec.Key(); err != nil {
			fe["answer"] = strings.NewReplacer("answer", "正解", "options", "選択肢").Replace(err.Error()) + "。"
		}
	}
	if len(fe) > 0 {
		return 0, fe
	}
	key, _ := spec.Key()
	if spec.Text == q.Text && spec.Scenario == q.Scenario && spec.Explanation == q.Explanation && jsonText(spec.Options) == jsonText(q.Options) &&
		jsonText(key) == jsonText(q.Key) {
		return 0, FieldErrors{"text": "変更がありません。"}
	}
	var id int64
	defer s.forget(q.CourseID)
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, "UPDATE learning_questions SET is_current = ? WHERE id = ? AND is_current = ?", false, q.ID, true)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return FieldErrors{"text": "この問題には、画面を開いた後に新しい版ができています。問題集から開き直してください。"}
		}
		id, err = s.db.InsertID(ctx, `INSERT INTO learning_questions (course_id, code, version, is_current, use_as, category, variants, kind, scenario,
			body, options, answer, explanation, domains, clauses) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, q.CourseID, q.Code,
			q.Version+1, true, q.Use, q.Category, strings.Join(q.Variants, ","), q.Kind, spec.Scenario, spec.Text, jsonText(spec.Options), jsonText(key),
			spec.Explanation, strings.Join(q.Domains, ","), strings.Join(q.Clauses, ","))
		if err != nil {
			return err
		}
		return s.log.Record(ctx, "learning.question_revise", fmt.Sprintf("learning_course:%d", q.CourseID),
			fmt.Sprintf("問題 %s を書き直し（第 %d 版 → 第 %d 版、%s）", q.Code, q.Version, q.Version+1, by))
	})
	return id, err
}

// questionVersions lists the versions of question code in a course, the
// latest first.
func (s *Store) questionVersions(ctx context.Context, courseID int64, code string) ([]Question, error) {
	return s.queryQuestions(ctx, "SELECT "+questionCols+" FROM learning_questions WHERE course_id = ? AND code = ? ORDER BY version DESC", courseID, code)
}
