package learning

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/improve"
	"mamori/internal/jp"
	"mamori/internal/mail"
	"mamori/internal/module"
	"mamori/internal/org"
)

// Store reads and writes the courses, campaigns, assignments, progress and
// test attempts.
type Store struct {
	db  *database.DB
	log *auditlog.Log
	org org.Reader
	now func() time.Time
	// A course's lessons and questions, read on every page and grading of
	// thousands of learners, kept for contentTTL or until this process
	// changes them (another process's change is seen within contentTTL).
	content sync.Map       // course id → *courseContent
	courses sync.Map       // course id → keptCourse
	reg     *improve.Store // the improvement register, read for the year's emphasis
	cases   sync.Map       // fiscal year → keptCases (the incidents' measures)
	mail    *mail.Outbox   // reminders by mail too (nil or unconfigured: in the app only)
}

type courseContent struct {
	at        time.Time
	lessons   []Lesson
	questions []Question // every version, by code then version
}

const contentTTL = 5 * time.Second

// contentOf is course id's lessons and questions (shared: read-only).
func (s *Store) contentOf(ctx context.Context, id int64) (*courseContent, error) {
	if v, ok := s.content.Load(id); ok && time.Since(v.(*courseContent).at) < contentTTL {
		return v.(*courseContent), nil
	}
	c := &courseContent{at: time.Now()}
	rows, err := s.db.Query(ctx, "SELECT "+lessonCols+" FROM learning_lessons WHERE course_id = ? ORDER BY sort_order", id)
	if err != nil {
		return nil, fmt.Errorf("learning.Lessons: %w", err)
	}
	for rows.Next() {
		l, err := scanLesson(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("learning.Lessons: %w", err)
		}
		c.lessons = append(c.lessons, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if c.questions, err = s.queryQuestions(ctx, "SELECT "+questionCols+" FROM learning_questions WHERE course_id = ? ORDER BY code, version", id); err != nil {
		return nil, err
	}
	s.content.Store(id, c)
	return c, nil
}

// forget drops course id's kept content after a change.
func (s *Store) forget(id int64) { s.content.Delete(id); s.courses.Delete(id) }

// NewStore returns the store on the app's shared services.
func NewStore(d module.Deps) *Store {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	return &Store{db: d.DB, log: d.Log, org: d.Org, now: now, reg: improve.NewStore(d), mail: d.Mail}
}

// Errors a learner reads.
var (
	ErrClosed    = errors.New("この研修の受講期間は終わっています。確認テストの回答は受け付けられませんでした。")
	ErrNotOpen   = errors.New("この研修の受講期間はまだ始まっていません。")
	ErrSubmitted = errors.New("この確認テストはすでに提出しています。結果は下のとおりです。もう一度受けるときは「確認テストを受ける」を押してください。")
)

// FieldErrors are a form's errors by field, in Japanese.
type FieldErrors map[string]string

func (fe FieldErrors) Error() string {
	var s []string
	for _, v := range fe {
		s = append(s, v)
	}
	slices.Sort(s)
	return strings.Join(s, " ")
}

// Course is one fiscal year's edition of a training.
type Course struct {
	ID          int64
	Code        string
	FiscalYear  int
	Title       string
	Summary     string
	Minutes     int
	PassPercent int
	Variants    []Pair
	Categories  []Pair
	Tests       map[string][]Slot
	Rev         int64
	UpdatedAt   time.Time
	// Package is the SCORM package a vendor course is taken through (0:
	// our own course of lessons and a test).
	Package int64
}

// SCORM reports whether the course is a vendor's SCORM package.
func (c Course) SCORM() bool { return c.Package != 0 }

// VariantLabel is a variant's label.
func (c Course) VariantLabel(v string) string {
	for _, p := range c.Variants {
		if p.Key == v {
			return p.Label
		}
	}
	return v
}

// CategoryLabel is a category's label.
func (c Course) CategoryLabel(k string) string {
	for _, p := range c.Categories {
		if p.Key == k {
			return p.Label
		}
	}
	return k
}

// YearLabel is the course's 年度.
func (c Course) YearLabel() string { return jp.FiscalYearLabel(c.FiscalYear) }

// Lesson is one lesson of a course.
type Lesson struct {
	ID        int64
	CourseID  int64
	Code      string
	Order     int
	Title     string
	Variants  []string
	Minutes   int
	Clauses   []string
	Domains   []string
	Sections  []Section
	Exercises []string
	VideoBlob int64
	VideoName string
}

// For reports whether variant v takes the lesson.
func (l Lesson) For(v string) bool { return slices.Contains(l.Variants, v) }

// SectionsFor are the sections variant v reads.
func (l Lesson) SectionsFor(v string) []Section {
	var out []Section
	for _, s := range l.Sections {
		if s.For(v) {
			out = append(out, s)
		}
	}
	return out
}

// Question is one version of a question of the bank.
type Question struct {
	ID          int64
	CourseID    int64
	Code        string
	Version     int
	Current     bool
	Use         string
	Category    string
	Variants    []string
	Kind        string
	Scenario    string
	Text        string
	Options     []string
	Key         []int
	Explanation string
	Domains     []string
	Clauses     []string
}

// KindLabel is the question's kind in Japanese.
func (q Question) KindLabel() string { return KindLabel(q.Kind) }

// Choices are the answer choices as shown: the options, or ○ and × for a
// true/false question (value 1 is ○).
func (q Question) Choices() []Choice {
	if q.Kind == KindTrueFalse {
		return []Choice{{Value: 1, Text: "正しい（○）"}, {Value: 0, Text: "誤り（×）"}}
	}
	out := make([]Choice, len(q.Options))
	for i, o := range q.Options {
		out[i] = Choice{Value: i, Text: o}
	}
	return out
}

// Choice is one answer choice.
type Choice struct {
	Value int
	Text  string
}

// Multi reports whether several choices may be ticked.
func (q Question) Multi() bool { return q.Kind == KindMultiple }

// Correct reports whether an answer is right: the same set of choices
// (the same sequence for an order question).
func (q Question) Correct(ans []int) bool {
	if q.Kind == KindOrder {
		return slices.Equal(ans, q.Key)
	}
	a := slices.Clone(ans)
	slices.Sort(a)
	return slices.Equal(slices.Compact(a), q.Key)
}

// KeyText is the right answer in words.
func (q Question) KeyText() string {
	switch q.Kind {
	case KindTrueFalse:
		if slices.Equal(q.Key, []int{1}) {
			return "正しい（○）"
		}
		return "誤り（×）"
	case KindOrder:
		var s []string
		for i, k := range q.Key {
			s = append(s, fmt.Sprintf("%d. %s", i+1, q.Options[k]))
		}
		return strings.Join(s, "　")
	}
	var s []string
	for _, k := range q.Key {
		if k < len(q.Options) {
			s = append(s, q.Options[k])
		}
	}
	return strings.Join(s, "／")
}

func list(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own types are marshalled
	}
	return string(b)
}

// ---- courses ----

const courseCols = "id, code, fiscal_year, title, summary, minutes, pass_percent, variants, categories, tests, rev, updated_at, scorm_package"

func scanCourse(sc interface{ Scan(...any) error }) (Course, error) {
	var c Course
	var variants, categories, tests string
	var at database.Time
	if err := sc.Scan(&c.ID, &c.Code, &c.FiscalYear, &c.Title, &c.Summary, &c.Minutes, &c.PassPercent, &variants, &categories, &tests, &c.Rev, &at, &c.Package); err != nil {
		return c, err
	}
	c.UpdatedAt = at.Time
	var vs, cs [][2]string
	if err := json.Unmarshal([]byte(variants), &vs); err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(categories), &cs); err != nil {
		return c, err
	}
	for _, v := range vs {
		c.Variants = append(c.Variants, Pair{v[0], v[1]})
	}
	for _, v := range cs {
		c.Categories = append(c.Categories, Pair{v[0], v[1]})
	}
	return c, json.Unmarshal([]byte(tests), &c.Tests)
}

// Courses lists fiscal year fy's courses (0: every year), by year then code.
func (s *Store) Courses(ctx context.Context, fy int) ([]Course, error) {
	q := "SELECT " + courseCols + " FROM learning_courses"
	var args []any
	if fy != 0 {
		q += " WHERE fiscal_year = ?"
		args = append(args, fy)
	}
	rows, err := s.db.Query(ctx, q+" ORDER BY fiscal_year DESC, code", args...)
	if err != nil {
		return nil, fmt.Errorf("learning.Courses: %w", err)
	}
	defer rows.Close()
	var out []Course
	for rows.Next() {
		c, err := scanCourse(rows)
		if err != nil {
			return nil, fmt.Errorf("learning.Courses: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Course is one course (kept for contentTTL, like its content); a
// missing one is database.ErrNotFound.
func (s *Store) Course(ctx context.Context, id int64) (Course, error) {
	if v, ok := s.courses.Load(id); ok && time.Since(v.(keptCourse).at) < contentTTL {
		return v.(keptCourse).c, nil
	}
	c, err := scanCourse(s.db.QueryRow(ctx, "SELECT "+courseCols+" FROM learning_courses WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, database.ErrNotFound
	}
	if err == nil {
		s.courses.Store(id, keptCourse{c, time.Now()})
	}
	return c, err
}

type keptCourse struct {
	c  Course
	at time.Time
}

// CourseByCode is course code of fiscal year fy (0: the latest year).
func (s *Store) CourseByCode(ctx context.Context, code string, fy int) (Course, error) {
	q, args := "SELECT "+courseCols+" FROM learning_courses WHERE code = ?", []any{code}
	if fy != 0 {
		q += " AND fiscal_year = ?"
		args = append(args, fy)
	}
	c, err := scanCourse(s.db.QueryRow(ctx, q+" ORDER BY fiscal_year DESC LIMIT 1", args...))
	if errors.Is(err, sql.ErrNoRows) {
		return c, database.ErrNotFound
	}
	return c, err
}

// ImportCourses stores the courses of specs that the database does not
// hold yet (a course of a year is never overwritten: it is edited, or
// copied to the next year), in one transaction; it returns the codes
// added.
func (s *Store) ImportCourses(ctx context.Context, specs []*CourseSpec, by string) ([]string, error) {
	var added []string
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		for _, c := range specs {
			var n int
			if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM learning_courses WHERE code = ? AND fiscal_year = ?", c.Code, c.FiscalYear).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			if err := s.insertCourse(ctx, c, by); err != nil {
				return fmt.Errorf("%s: %w", c.Code, err)
			}
			added = append(added, c.Code)
		}
		if len(added) == 0 {
			return nil
		}
		return s.log.Record(ctx, "learning.course_import", fmt.Sprintf("learning_year:%d", specs[0].FiscalYear),
			fmt.Sprintf("研修の教材を登録（%s）", strings.Join(added, "・")))
	})
	return added, err
}

func (s *Store) insertCourse(ctx context.Context, c *CourseSpec, by string) error {
	var vs, cs [][2]string
	for _, v := range c.Variants {
		vs = append(vs, [2]string{v.Key, v.Label})
	}
	for _, v := range c.Categories {
		cs = append(cs, [2]string{v.Key, v.Label})
	}
	now := database.T(s.now())
	id, err := s.db.InsertID(ctx, `INSERT INTO learning_courses (code, fiscal_year, title, summary, minutes, pass_percent, variants, categories, tests,
		updated_by_name, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.Code, c.FiscalYear, c.Title, strings.TrimSpace(c.Summary), c.Minutes,
		c.PassPercent, jsonText(vs), jsonText(cs), jsonText(c.Tests), by, now)
	if err != nil {
		return err
	}
	for i, l := range c.Lessons {
		if _, err := s.db.Exec(ctx, `INSERT INTO learning_lessons (course_id, code, sort_order, title, variants, minutes, clauses, domains, sections, exercises)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, l.Code, i+1, l.Title, strings.Join(l.Variants, ","), l.Minutes, strings.Join(l.Clauses, ","),
			strings.Join(l.Domains, ","), jsonText(l.Sections), strings.Join(l.Exercise, ",")); err != nil {
			return err
		}
	}
	for i := range c.Questions {
		q := &c.Questions[i]
		key, err := q.Key()
		if err != nil {
			return fmt.Errorf("%s: %w", q.Code, err)
		}
		if _, err := s.db.Exec(ctx, `INSERT INTO learning_questions (course_id, code, version, is_current, use_as, category, variants, kind, scenario, body,
			options, answer, explanation, domains, clauses) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, q.Code, true, q.Use, q.Category,
			strings.Join(q.Variants, ","), q.Kind, strings.TrimSpace(q.Scenario), strings.TrimSpace(q.Text), jsonText(q.Options), jsonText(key),
			strings.TrimSpace(q.Explanation), strings.Join(q.Domains, ","), strings.Join(q.Clauses, ",")); err != nil {
			return err
		}
	}
	return nil
}

// ---- lessons and questions ----

const lessonCols = "id, course_id, code, sort_order, title, variants, minutes, clauses, domains, sections, exercises, COALESCE(video_blob, 0), video_name"

func scanLesson(sc interface{ Scan(...any) error }) (Lesson, error) {
	var l Lesson
	var variants, clauses, domains, sections, exercises string
	if err := sc.Scan(&l.ID, &l.CourseID, &l.Code, &l.Order, &l.Title, &variants, &l.Minutes, &clauses, &domains, &sections, &exercises,
		&l.VideoBlob, &l.VideoName); err != nil {
		return l, err
	}
	l.Variants, l.Clauses, l.Domains, l.Exercises = list(variants), list(clauses), list(domains), list(exercises)
	return l, json.Unmarshal([]byte(sections), &l.Sections)
}

// Lessons are a course's lessons in order (shared: read-only).
func (s *Store) Lessons(ctx context.Context, courseID int64) ([]Lesson, error) {
	c, err := s.contentOf(ctx, courseID)
	if err != nil {
		return nil, err
	}
	return c.lessons, nil
}

const questionCols = "id, course_id, code, version, is_current, use_as, category, variants, kind, scenario, body, options, answer, explanation, domains, clauses"

func scanQuestion(sc interface{ Scan(...any) error }) (Question, error) {
	var q Question
	var variants, options, answer, domains, clauses string
	if err := sc.Scan(&q.ID, &q.CourseID, &q.Code, &q.Version, &q.Current, &q.Use, &q.Category, &variants, &q.Kind, &q.Scenario, &q.Text,
		&options, &answer, &q.Explanation, &domains, &clauses); err != nil {
		return q, err
	}
	q.Variants, q.Domains, q.Clauses = list(variants), list(domains), list(clauses)
	if options != "" {
		if err := json.Unmarshal([]byte(options), &q.Options); err != nil {
			return q, err
		}
	}
	return q, json.Unmarshal([]byte(answer), &q.Key)
}

// Questions are a course's current questions, by code.
func (s *Store) Questions(ctx context.Context, courseID int64) ([]Question, error) {
	c, err := s.contentOf(ctx, courseID)
	if err != nil {
		return nil, err
	}
	var out []Question
	for _, q := range c.questions {
		if q.Current {
			out = append(out, q)
		}
	}
	return out, nil
}

// questionsByID are the question versions of ids, in the order of ids.
func (s *Store) questionsByID(ctx context.Context, courseID int64, ids []int64) ([]Question, error) {
	c, err := s.contentOf(ctx, courseID)
	if err != nil {
		return nil, err
	}
	out := make([]Question, 0, len(ids))
	for _, id := range ids {
		i := slices.IndexFunc(c.questions, func(q Question) bool { return q.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("learning: question %d of course %d is missing", id, courseID)
		}
		out = append(out, c.questions[i])
	}
	return out, nil
}

func (s *Store) queryQuestions(ctx context.Context, q string, args ...any) ([]Question, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("learning.Questions: %w", err)
	}
	defer rows.Close()
	var out []Question
	for rows.Next() {
		qq, err := scanQuestion(rows)
		if err != nil {
			return nil, fmt.Errorf("learning.Questions: %w", err)
		}
		out = append(out, qq)
	}
	return out, rows.Err()
}

// drawTest picks a test for variant v from the course's current
// questions: each fixed slot its question, each draw slot n questions at
// random from its category (not already in the test), in slot order.
func drawTest(c Course, qs []Question, v string, rng *rand.Rand) ([]Question, error) {
	byCode := map[string]Question{}
	for _, q := range qs {
		byCode[q.Code] = q
	}
	taken := map[string]bool{}
	for _, sl := range c.Tests[v] {
		if sl.Question != "" {
			taken[sl.Question] = true
		}
	}
	var out []Question
	for _, sl := range c.Tests[v] {
		if sl.Question != "" {
			q, ok := byCode[sl.Question]
			if !ok {
				return nil, fmt.Errorf("確認テストの問題 %s がありません", sl.Question)
			}
			out = append(out, q)
			continue
		}
		var pool []Question
		for _, q := range qs {
			if q.Use == UseTest && q.Category == sl.Category && slices.Contains(q.Variants, v) && !taken[q.Code] {
				pool = append(pool, q)
			}
		}
		if len(pool) < sl.Draw {
			return nil, fmt.Errorf("分類「%s」の問題が足りません（%d 問から %d 問）", c.CategoryLabel(sl.Category), len(pool), sl.Draw)
		}
		rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
		for _, q := range pool[:sl.Draw] {
			taken[q.Code] = true
			out = append(out, q)
		}
	}
	return out, nil
}

// lessonCourse is the course of lesson id; a missing lesson is
// database.ErrNotFound.
func (s *Store) lessonCourse(ctx context.Context, id int64) (int64, error) {
	var course int64
	err := s.db.QueryRow(ctx, "SELECT course_id FROM learning_lessons WHERE id = ?", id).Scan(&course)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, database.ErrNotFound
	}
	return course, err
}

// SetVideo makes blob the video of lesson l (uploaded as name, size
// bytes) and starts every learner's position again.
func (s *Store) SetVideo(ctx context.Context, l Lesson, blob int64, name string, size int) error {
	defer s.forget(l.CourseID)
	if _, err := s.db.Exec(ctx, "UPDATE learning_lessons SET video_blob = ?, video_name = ? WHERE id = ?", blob, name, l.ID); err != nil {
		return err
	}
	if _, err := s.db.Exec(ctx, "UPDATE learning_progress SET video_ms = 0 WHERE lesson_id = ?", l.ID); err != nil {
		return err
	}
	return s.log.Record(ctx, "learning.video_upload", fmt.Sprintf("learning_course:%d", l.CourseID),
		fmt.Sprintf("単元 %s「%s」の動画を登録：%s（%d バイト, blob:%d）", l.Code, l.Title, name, size, blob))
}

// questionExists is database.ErrNotFound for an id that is no question.
func (s *Store) questionExists(ctx context.Context, id int64) error {
	var n int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM learning_questions WHERE id = ?", id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return database.ErrNotFound
	}
	return nil
}

// attemptsDrawing counts the submitted attempts that drew question
// version id.
func (s *Store) attemptsDrawing(ctx context.Context, id int64) (int, error) {
	rows, err := s.db.Query(ctx, "SELECT questions FROM learning_attempts WHERE submitted_at <> ''")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return 0, err
		}
		var ids []int64
		if err := json.Unmarshal([]byte(raw), &ids); err != nil {
			return 0, err
		}
		if slices.Contains(ids, id) {
			n++
		}
	}
	return n, rows.Err()
}

// CopyCourse copies course id to the next fiscal year, to be changed
// there: its lessons (with their videos) and its current questions, each
// as a first version. The next year must not have the course yet.
func (s *Store) CopyCourse(ctx context.Context, id int64, by string) (int64, error) {
	var out int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		c, err := s.Course(ctx, id)
		if err != nil {
			return err
		}
		to := c.FiscalYear + 1
		var n int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM learning_courses WHERE code = ? AND fiscal_year = ?", c.Code, to).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return FieldErrors{"copy": fmt.Sprintf("%sの %s はすでにあります。", jp.FiscalYearLabel(to), c.Code)}
		}
		var vs, cs [][2]string
		for _, v := range c.Variants {
			vs = append(vs, [2]string{v.Key, v.Label})
		}
		for _, v := range c.Categories {
			cs = append(cs, [2]string{v.Key, v.Label})
		}
		title := strings.ReplaceAll(c.Title, jp.FiscalYearLabel(c.FiscalYear), jp.FiscalYearLabel(to))
		now := database.T(s.now())
		if out, err = s.db.InsertID(ctx, `INSERT INTO learning_courses (code, fiscal_year, title, summary, minutes, pass_percent, variants, categories, tests,
			updated_by_name, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.Code, to, title, c.Summary, c.Minutes, c.PassPercent,
			jsonText(vs), jsonText(cs), jsonText(c.Tests), by, now); err != nil {
			return err
		}
		if c.SCORM() {
			if err := s.copyPackage(ctx, c, out, by); err != nil {
				return err
			}
		}
		if _, err := s.db.Exec(ctx, `INSERT INTO learning_lessons (course_id, code, sort_order, title, variants, minutes, clauses, domains, sections, exercises,
			video_blob, video_name) SELECT ?, code, sort_order, title, variants, minutes, clauses, domains, sections, exercises, video_blob, video_name
			FROM learning_lessons WHERE course_id = ?`, out, id); err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, `INSERT INTO learning_questions (course_id, code, version, is_current, use_as, category, variants, kind, scenario, body,
			options, answer, explanation, domains, clauses) SELECT ?, code, 1, ?, use_as, category, variants, kind, scenario, body, options, answer,
			explanation, domains, clauses FROM learning_questions WHERE course_id = ? AND is_current = ?`, out, true, id, true); err != nil {
			return err
		}
		return s.log.Record(ctx, "learning.course_copy", fmt.Sprintf("learning_course:%d", out),
			fmt.Sprintf("%s %s を%sへ複写", jp.FiscalYearLabel(c.FiscalYear), c.Code, jp.FiscalYearLabel(to)))
	})
	if database.IsUniqueViolation(err) {
		// Copied by someone else (or a double click) after the check above.
		return 0, FieldErrors{"copy": "この研修は、ほかの人が先に次の年度へ複写しました。画面を読み込み直してください。"}
	}
	return out, err
}

// lessonsPerVariant counts the lessons each variant takes.
func lessonsPerVariant(ls []Lesson) map[string]int {
	per := map[string]int{}
	for _, l := range ls {
		for _, v := range l.Variants {
			per[v]++
		}
	}
	return per
}
