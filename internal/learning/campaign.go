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
	"time"
	"unicode/utf8"

	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/mail"
	"mamori/internal/org"
)

// Campaign assigns a course to the roster for a period.
type Campaign struct {
	ID         int64
	Code       string
	CourseID   int64
	FiscalYear int
	Title      string
	Opens      time.Time
	Closes     time.Time
	Rev        int64
	CreatedBy  string
	CreatedAt  time.Time
	// Reminders: at most RemindMax per person, RemindEvery days apart.
	RemindMax, RemindEvery int
	// Counts, filled by Campaigns and Campaign.
	Assigned, Started, Completed int
}

// Rate is the completion rate in percent (0 when nobody is assigned).
func (c Campaign) Rate() float64 {
	if c.Assigned == 0 {
		return 0
	}
	return float64(c.Completed) * 100 / float64(c.Assigned)
}

// RateLabel is Rate as printed, e.g. 「62.5%」.
func (c Campaign) RateLabel() string { return fmt.Sprintf("%.1f%%", c.Rate()) }

// Period is the campaign's period in 和暦.
func (c Campaign) Period() string {
	return jp.FormatWareki(c.Opens) + "～" + jp.FormatWareki(c.Closes)
}

// OpenOn reports whether day t is within the period.
func (c Campaign) OpenOn(t time.Time) bool {
	d := jp.DateKey(t)
	return d >= jp.DateKey(c.Opens) && d <= jp.DateKey(c.Closes)
}

// VariantFor is the variant of course c a person takes, by the roster
// rule: 管理職 take the manager variant, システム担当者 the system variant,
// everyone else the general one; a course with one variant (the internal-
// auditor training) gives it to everyone.
func VariantFor(c Course, p org.Staff) string {
	has := func(v string) bool { return slices.ContainsFunc(c.Variants, func(x Pair) bool { return x.Key == v }) }
	switch {
	case len(c.Variants) == 1:
		return c.Variants[0].Key
	case p.JobClass == org.JobManager && has("manager"):
		return "manager"
	case p.IsSystem && has("system"):
		return "system"
	case has("general"):
		return "general"
	}
	return c.Variants[0].Key
}

// CampaignInput is the campaign form.
type CampaignInput struct {
	CourseID    int64
	Title       string
	Opens       string // yyyy-mm-dd or 和暦
	Closes      string
	Departments []int64 // none: the whole ward
	RemindMax   int     // reminders per person at most (0–10)
	RemindEvery int     // days between reminders (1–60)
}

const campaignCols = `c.id, c.code, c.course_id, c.fiscal_year, c.title, c.opens_on, c.closes_on, c.rev, c.created_by_name, c.created_at, c.remind_max, c.remind_every,
	(SELECT COUNT(*) FROM learning_assignments a WHERE a.campaign_id = c.id),
	(SELECT COUNT(*) FROM learning_assignments a WHERE a.campaign_id = c.id AND a.started_at <> ''),
	(SELECT COUNT(*) FROM learning_assignments a WHERE a.campaign_id = c.id AND a.completed_at <> '')`

func scanCampaign(sc interface{ Scan(...any) error }) (Campaign, error) {
	var c Campaign
	var opens, closes string
	var at database.Time
	err := sc.Scan(&c.ID, &c.Code, &c.CourseID, &c.FiscalYear, &c.Title, &opens, &closes, &c.Rev, &c.CreatedBy, &at, &c.RemindMax, &c.RemindEvery,
		&c.Assigned, &c.Started, &c.Completed)
	c.Opens, c.Closes, c.CreatedAt = jp.ParseDateKey(opens), jp.ParseDateKey(closes), at.Time
	return c, err
}

// Campaigns lists fiscal year fy's campaigns (0: all), newest first.
func (s *Store) Campaigns(ctx context.Context, fy int) ([]Campaign, error) {
	q := "SELECT " + campaignCols + " FROM learning_campaigns c"
	var args []any
	if fy != 0 {
		q += " WHERE c.fiscal_year = ?"
		args = append(args, fy)
	}
	rows, err := s.db.Query(ctx, q+" ORDER BY c.opens_on DESC, c.code DESC", args...)
	if err != nil {
		return nil, fmt.Errorf("learning.Campaigns: %w", err)
	}
	defer rows.Close()
	var out []Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, fmt.Errorf("learning.Campaigns: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Campaign is one campaign with its counts; a missing one is
// database.ErrNotFound.
func (s *Store) Campaign(ctx context.Context, id int64) (Campaign, error) {
	c, err := scanCampaign(s.db.QueryRow(ctx, "SELECT "+campaignCols+" FROM learning_campaigns c WHERE c.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, database.ErrNotFound
	}
	return c, err
}

// campaignHead is one campaign without its counts (a learner's request
// needs only the course and the period; counting thousands of
// assignments on each would cost most of its time).
func (s *Store) campaignHead(ctx context.Context, id int64) (Campaign, error) {
	c, err := scanCampaign(s.db.QueryRow(ctx, `SELECT c.id, c.code, c.course_id, c.fiscal_year, c.title, c.opens_on, c.closes_on, c.rev, c.created_by_name,
		c.created_at, c.remind_max, c.remind_every, 0, 0, 0 FROM learning_campaigns c WHERE c.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, database.ErrNotFound
	}
	return c, err
}

// CreateCampaign starts a campaign: one assignment per active member of
// staff of the departments (the whole ward when none), each with the
// variant the roster rule gives, in one transaction. It returns the
// campaign and the number of people assigned.
func (s *Store) CreateCampaign(ctx context.Context, in CampaignInput, by string) (int64, int, error) {
	fe := FieldErrors{}
	in.Title = strings.TrimSpace(in.Title)
	if in.RemindEvery == 0 && in.RemindMax == 0 {
		in.RemindMax, in.RemindEvery = 3, 7 // the defaults, when the caller sets none
	}
	c, err := s.Course(ctx, in.CourseID)
	if errors.Is(err, database.ErrNotFound) {
		fe["course"] = "研修（コース）を選んでください。"
	} else if err != nil {
		return 0, 0, err
	}
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		fe["title"] = "件名を入力してください。"
	case n > 200:
		fe["title"] = fmt.Sprintf("件名は200文字以内で入力してください（%d文字あります）。", n)
	}
	opens, err1 := jp.ParseDate(in.Opens)
	closes, err2 := jp.ParseDate(in.Closes)
	if err1 != nil {
		fe["opens"] = "開始日を「2026-06-01」か「令和8年6月1日」の形で入力してください。"
	}
	if err2 != nil {
		fe["closes"] = "終了日を「2026-08-31」か「令和8年8月31日」の形で入力してください。"
	}
	if err1 == nil && err2 == nil && closes.Before(opens) {
		fe["closes"] = "終了日は開始日以後の日にしてください。"
	}
	if in.RemindMax < 0 || in.RemindMax > 10 {
		fe["remind_max"] = "催促の回数は 0〜10 回にしてください。"
	}
	if in.RemindEvery < 1 || in.RemindEvery > 60 {
		fe["remind_every"] = "催促の間隔は 1〜60 日にしてください。"
	}
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, d := range in.Departments {
		if _, ok := tree.ByID[d]; !ok {
			fe["departments"] = "対象の所属に、存在しない所属が含まれています。"
		}
	}
	if len(fe) > 0 {
		return 0, 0, fe
	}
	var id int64
	n := 0
	create := func(ctx context.Context) error {
		n = 0
		var seq int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM learning_campaigns WHERE fiscal_year = ?", c.FiscalYear).Scan(&seq); err != nil {
			return err
		}
		code := fmt.Sprintf("%d-LC-%02d", c.FiscalYear, seq+1)
		now := database.T(s.now())
		id, err = s.db.InsertID(ctx, `INSERT INTO learning_campaigns (code, course_id, fiscal_year, title, opens_on, closes_on, remind_max, remind_every,
			created_by_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, code, c.ID, c.FiscalYear, in.Title, jp.DateKey(opens), jp.DateKey(closes),
			in.RemindMax, in.RemindEvery, by, now, now)
		if err != nil {
			return err
		}
		var depts []int64
		if len(in.Departments) == 0 {
			for _, d := range tree.Flat() {
				depts = append(depts, d.ID)
			}
		} else {
			for _, d := range in.Departments {
				depts = append(depts, tree.Subtree(d)...)
			}
			depts = slices.Compact(slices.Sorted(slices.Values(depts)))
		}
		var batch []any
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			q := "INSERT INTO learning_assignments (campaign_id, staff_id, department_id, variant) VALUES " +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", len(batch)/4), ", ")
			_, err := s.db.Exec(ctx, q, batch...)
			batch = batch[:0]
			return err
		}
		for _, d := range depts {
			staff, err := s.org.StaffInDepartment(ctx, d)
			if err != nil {
				return err
			}
			for _, p := range staff {
				if !p.Active {
					continue
				}
				batch = append(batch, id, p.ID, d, VariantFor(c, p))
				n++
				if len(batch) >= 4*200 {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		return s.log.Record(ctx, "learning.campaign_create", fmt.Sprintf("learning_campaign:%d", id),
			fmt.Sprintf("%s「%s」（%s）を開始、対象 %d 人", code, in.Title, c.Code, n))
	}
	// Two campaigns created at once (PostgreSQL) count the same campaigns
	// and pick the same code: the later one counts again.
	err = s.db.WithTxRetry(ctx, 10, create)
	if err != nil {
		return 0, 0, fmt.Errorf("learning.CreateCampaign: %w", err)
	}
	return id, n, nil
}

// ---- assignments ----

// Assignment is one person's course in one campaign.
type Assignment struct {
	ID           int64
	CampaignID   int64
	StaffID      int64
	DepartmentID int64
	Variant      string
	LessonsDone  int
	Attempts     int
	BestPercent  int // -1: no test yet
	CompletedAt  time.Time
	StartedAt    time.Time
	RemindedAt   time.Time // the last reminder (zero: none)
	Reminders    int
	// From the roster (Roster fills them).
	StaffName  string
	EmployeeNo string
	Department string
}

// Done reports whether the person has completed the course.
func (a Assignment) Done() bool { return !a.CompletedAt.IsZero() }

const assignmentCols = `a.id, a.campaign_id, a.staff_id, a.department_id, a.variant, a.lessons_done, a.attempts, a.best_percent, a.completed_at, a.started_at,
	a.reminded_at, a.reminders`

const assignmentFrom = ` FROM learning_assignments a`

func scanAssignment(sc interface{ Scan(...any) error }) (Assignment, error) {
	var a Assignment
	var done, started, reminded string
	err := sc.Scan(&a.ID, &a.CampaignID, &a.StaffID, &a.DepartmentID, &a.Variant, &a.LessonsDone, &a.Attempts, &a.BestPercent, &done, &started,
		&reminded, &a.Reminders)
	a.CompletedAt, a.StartedAt, a.RemindedAt = parseStamp(done), parseStamp(started), parseStamp(reminded)
	return a, err
}

func parseStamp(s string) time.Time { return database.ParseTime(s) }

// Assignment is one assignment; a missing one is database.ErrNotFound.
func (s *Store) Assignment(ctx context.Context, id int64) (Assignment, error) {
	a, err := scanAssignment(s.db.QueryRow(ctx, "SELECT "+assignmentCols+assignmentFrom+" WHERE a.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, database.ErrNotFound
	}
	return a, err
}

// MyCourse is an assignment with its campaign and course, for the
// learner's own list.
type MyCourse struct {
	Assignment
	Campaign Campaign
	Course   Course
}

// AssignmentsOf lists a person's assignments, the latest campaigns first.
func (s *Store) AssignmentsOf(ctx context.Context, staffID int64) ([]MyCourse, error) {
	rows, err := s.db.Query(ctx, "SELECT "+assignmentCols+assignmentFrom+" WHERE a.staff_id = ? ORDER BY a.campaign_id DESC", staffID)
	if err != nil {
		return nil, fmt.Errorf("learning.AssignmentsOf: %w", err)
	}
	var as []Assignment
	for rows.Next() {
		a, err := scanAssignment(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		as = append(as, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []MyCourse
	for _, a := range as {
		c, err := s.campaignHead(ctx, a.CampaignID)
		if err != nil {
			return nil, err
		}
		co, err := s.Course(ctx, c.CourseID)
		if err != nil {
			return nil, err
		}
		out = append(out, MyCourse{Assignment: a, Campaign: c, Course: co})
	}
	return out, nil
}

// Progress is a lesson's state for one assignment.
type Progress struct {
	Done    bool
	VideoMS int64
}

// ProgressOf is the assignment's lesson states by lesson id.
func (s *Store) ProgressOf(ctx context.Context, assignmentID int64) (map[int64]Progress, error) {
	rows, err := s.db.Query(ctx, "SELECT lesson_id, done_at, video_ms FROM learning_progress WHERE assignment_id = ?", assignmentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]Progress{}
	for rows.Next() {
		var id, ms int64
		var done string
		if err := rows.Scan(&id, &done, &ms); err != nil {
			return nil, err
		}
		out[id] = Progress{Done: done != "", VideoMS: ms}
	}
	return out, rows.Err()
}

// CompleteLesson records that the learner has read lesson l (and
// answered its exercise), then completion (all lessons and a pass).
// Repeating it changes nothing.
func (s *Store) CompleteLesson(ctx context.Context, a Assignment, l Lesson) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		// One lesson after another per assignment: lessons_done is counted
		// below, and two lessons finished at once (PostgreSQL) would each
		// count without the other's progress, or both insert it.
		if err := s.db.LockRow(ctx, "learning_assignments", a.ID); err != nil {
			return err
		}
		now := database.T(s.now())
		var done string
		err := s.db.QueryRow(ctx, "SELECT done_at FROM learning_progress WHERE assignment_id = ? AND lesson_id = ?", a.ID, l.ID).Scan(&done)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := s.db.Exec(ctx, "INSERT INTO learning_progress (assignment_id, lesson_id, done_at, updated_at) VALUES (?, ?, ?, ?)", a.ID, l.ID, now, now); err != nil {
				return err
			}
		case err != nil:
			return err
		case done != "":
			return nil
		default:
			if _, err := s.db.Exec(ctx, "UPDATE learning_progress SET done_at = ?, updated_at = ? WHERE assignment_id = ? AND lesson_id = ?", now, now, a.ID, l.ID); err != nil {
				return err
			}
		}
		if _, err := s.db.Exec(ctx, `UPDATE learning_assignments SET lessons_done = (SELECT COUNT(*) FROM learning_progress p WHERE p.assignment_id = ? AND p.done_at <> ''),
			started_at = CASE WHEN started_at = '' THEN ? ELSE started_at END, updated_at = ? WHERE id = ?`, a.ID, now, now, a.ID); err != nil {
			return err
		}
		if err := s.settle(ctx, a.ID); err != nil {
			return err
		}
		return s.log.Record(ctx, "learning.lesson_done", fmt.Sprintf("learning_assignment:%d", a.ID), fmt.Sprintf("単元 %s「%s」を受講", l.Code, l.Title))
	})
}

// SaveVideoPosition remembers where the learner is in a lesson's video
// (not audited: it changes every few seconds while the video plays).
func (s *Store) SaveVideoPosition(ctx context.Context, a Assignment, l Lesson, ms int64) error {
	if ms < 0 || ms > 24*3600*1000 {
		return FieldErrors{"position": "再生位置が正しくありません。"}
	}
	now := database.T(s.now())
	_, err := s.db.Exec(ctx, `INSERT INTO learning_progress (assignment_id, lesson_id, video_ms, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (assignment_id, lesson_id) DO UPDATE SET video_ms = excluded.video_ms, updated_at = excluded.updated_at`, a.ID, l.ID, ms, now)
	return err
}

// settle marks an assignment completed when every lesson of its variant
// is read and its best test score passes (the first time only).
func (s *Store) settle(ctx context.Context, assignmentID int64) error {
	var variant, completed string
	var done, best, pass int
	var courseID int64
	if err := s.db.QueryRow(ctx, `SELECT a.variant, a.completed_at, a.lessons_done, a.best_percent, co.pass_percent, co.id FROM learning_assignments a
		JOIN learning_campaigns c ON c.id = a.campaign_id JOIN learning_courses co ON co.id = c.course_id WHERE a.id = ?`, assignmentID).
		Scan(&variant, &completed, &done, &best, &pass, &courseID); err != nil {
		return err
	}
	if completed != "" || best < pass {
		return nil
	}
	ls, err := s.Lessons(ctx, courseID)
	if err != nil {
		return err
	}
	need := 0
	for _, l := range ls {
		if l.For(variant) {
			need++
		}
	}
	if done < need {
		return nil
	}
	_, err = s.db.Exec(ctx, "UPDATE learning_assignments SET completed_at = ? WHERE id = ?", database.T(s.now()), assignmentID)
	return err
}

// ---- attempts ----

// Attempt is one try at the course's test.
type Attempt struct {
	ID           int64
	AssignmentID int64
	Seq          int
	QuestionIDs  []int64
	Answers      map[int64][]int // question id → the choices given
	Score, Total int
	Percent      int
	Passed       bool
	StartedAt    time.Time
	SubmittedAt  time.Time
}

// Submitted reports whether the attempt has been handed in.
func (t Attempt) Submitted() bool { return !t.SubmittedAt.IsZero() }

const attemptCols = "id, assignment_id, seq, questions, answers, score, total, percent, passed, started_at, submitted_at"

func scanAttempt(sc interface{ Scan(...any) error }) (Attempt, error) {
	var t Attempt
	var qs, answers, started, submitted string
	if err := sc.Scan(&t.ID, &t.AssignmentID, &t.Seq, &qs, &answers, &t.Score, &t.Total, &t.Percent, &t.Passed, &started, &submitted); err != nil {
		return t, err
	}
	t.StartedAt, t.SubmittedAt = parseStamp(started), parseStamp(submitted)
	if err := json.Unmarshal([]byte(qs), &t.QuestionIDs); err != nil {
		return t, err
	}
	t.Answers = map[int64][]int{}
	if answers != "" {
		if err := json.Unmarshal([]byte(answers), &t.Answers); err != nil {
			return t, err
		}
	}
	return t, nil
}

// Attempt is one attempt of an assignment; a missing one is database.ErrNotFound.
func (s *Store) Attempt(ctx context.Context, assignmentID, id int64) (Attempt, error) {
	t, err := scanAttempt(s.db.QueryRow(ctx, "SELECT "+attemptCols+" FROM learning_attempts WHERE id = ? AND assignment_id = ?", id, assignmentID))
	if errors.Is(err, sql.ErrNoRows) {
		return t, database.ErrNotFound
	}
	return t, err
}

// Attempts are an assignment's attempts, the latest first.
func (s *Store) Attempts(ctx context.Context, assignmentID int64) ([]Attempt, error) {
	rows, err := s.db.Query(ctx, "SELECT "+attemptCols+" FROM learning_attempts WHERE assignment_id = ? ORDER BY seq DESC", assignmentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		t, err := scanAttempt(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// StartAttempt gives the learner a test: the open attempt if one is not
// handed in yet, else a new one drawn now with its question versions
// pinned. Only within the campaign's period.
func (s *Store) StartAttempt(ctx context.Context, a Assignment, c Campaign, co Course) (Attempt, error) {
	if !c.OpenOn(s.now()) {
		if jp.DateKey(s.now()) < jp.DateKey(c.Opens) {
			return Attempt{}, ErrNotOpen
		}
		return Attempt{}, ErrClosed
	}
	var out Attempt
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// Locked first: two starts at once (two tabs, a double click on
		// PostgreSQL) would both find no open attempt and draw two with
		// the same number.
		if err := s.db.LockRow(ctx, "learning_assignments", a.ID); err != nil {
			return err
		}
		t, err := scanAttempt(s.db.QueryRowWrite(ctx, "SELECT "+attemptCols+" FROM learning_attempts WHERE assignment_id = ? AND submitted_at = '' ORDER BY seq DESC LIMIT 1", a.ID))
		if err == nil {
			out = t
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		qs, err := s.Questions(ctx, co.ID)
		if err != nil {
			return err
		}
		drawn, err := drawTest(co, qs, a.Variant, rand.New(rand.NewPCG(uint64(s.now().UnixNano()), uint64(a.ID))))
		if err != nil {
			return err
		}
		var ids []int64
		for _, q := range drawn {
			ids = append(ids, q.ID)
		}
		var seq int
		if err := s.db.QueryRowWrite(ctx, "SELECT COALESCE(MAX(seq), 0) FROM learning_attempts WHERE assignment_id = ?", a.ID).Scan(&seq); err != nil {
			return err
		}
		now := database.T(s.now())
		id, err := s.db.InsertID(ctx, "INSERT INTO learning_attempts (assignment_id, seq, questions, total, started_at) VALUES (?, ?, ?, ?, ?)",
			a.ID, seq+1, jsonText(ids), len(ids), now)
		if err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, "UPDATE learning_assignments SET started_at = CASE WHEN started_at = '' THEN ? ELSE started_at END, updated_at = ? WHERE id = ?",
			now, now, a.ID); err != nil {
			return err
		}
		out = Attempt{ID: id, AssignmentID: a.ID, Seq: seq + 1, QuestionIDs: ids, Answers: map[int64][]int{}, Total: len(ids), StartedAt: s.now()}
		return nil
	})
	return out, err
}

// SubmitAttempt grades an attempt: every answer must be to a question the
// attempt drew (a forged or foreign question is refused with nothing
// stored), each question right or wrong as a whole; the assignment keeps
// its best score and is completed when it passes with every lesson read.
// A second submission of the same attempt is ErrSubmitted and changes
// nothing; so is a submission after the period.
func (s *Store) SubmitAttempt(ctx context.Context, a Assignment, c Campaign, co Course, attemptID int64, answers map[int64][]int) (Attempt, error) {
	var out Attempt
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		t, err := scanAttempt(s.db.QueryRowWrite(ctx, "SELECT "+attemptCols+" FROM learning_attempts WHERE id = ? AND assignment_id = ?", attemptID, a.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return database.ErrNotFound
		}
		if err != nil {
			return err
		}
		if t.Submitted() {
			out = t
			return ErrSubmitted
		}
		if !c.OpenOn(s.now()) {
			return ErrClosed
		}
		qs, err := s.questionsByID(ctx, co.ID, t.QuestionIDs)
		if err != nil {
			return err
		}
		fe := FieldErrors{}
		for id := range answers {
			if !slices.Contains(t.QuestionIDs, id) {
				fe["answers"] = "この確認テストにない問題への回答が含まれています。画面を開き直してから回答してください。"
			}
		}
		for i, q := range qs {
			ans := answers[q.ID]
			if len(ans) == 0 {
				fe[fmt.Sprintf("q%d", q.ID)] = fmt.Sprintf("問%d に回答してください。", i+1)
				continue
			}
			if msg := checkAnswer(q, ans); msg != "" {
				fe[fmt.Sprintf("q%d", q.ID)] = fmt.Sprintf("問%d：%s", i+1, msg)
			}
		}
		if len(fe) > 0 {
			return fe
		}
		score := 0
		for _, q := range qs {
			if q.Correct(answers[q.ID]) {
				score++
			}
		}
		t.Answers, t.Score = answers, score
		t.Percent = score * 100 / max(t.Total, 1)
		t.Passed = t.Percent >= co.PassPercent
		t.SubmittedAt = s.now()
		res, err := s.db.Exec(ctx, `UPDATE learning_attempts SET answers = ?, score = ?, percent = ?, passed = ?, submitted_at = ? WHERE id = ? AND submitted_at = ''`,
			jsonText(answers), t.Score, t.Percent, t.Passed, database.T(t.SubmittedAt), t.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// A double submission committed first (PostgreSQL waits at
			// the UPDATE, then finds the row submitted): the result is
			// that one, as it is stored.
			if done, err := scanAttempt(s.db.QueryRowWrite(ctx, "SELECT "+attemptCols+" FROM learning_attempts WHERE id = ?", t.ID)); err == nil {
				out = done
			}
			return ErrSubmitted
		}
		if _, err := s.db.Exec(ctx, `UPDATE learning_assignments SET attempts = attempts + 1, best_percent = CASE WHEN best_percent < ? THEN ? ELSE best_percent END,
			updated_at = ? WHERE id = ?`, t.Percent, t.Percent, database.T(s.now()), a.ID); err != nil {
			return err
		}
		if err := s.settle(ctx, a.ID); err != nil {
			return err
		}
		out = t
		verdict := "不合格"
		if t.Passed {
			verdict = "合格"
		}
		return s.log.Record(ctx, "learning.test_submit", fmt.Sprintf("learning_assignment:%d", a.ID),
			fmt.Sprintf("%s 確認テスト %d 回目：%d / %d 問（%d%%、%s）", co.Code, t.Seq, t.Score, t.Total, t.Percent, verdict))
	})
	return out, err
}

// checkAnswer says what is wrong with the form of an answer ("" when
// nothing): choices that exist, one for a single choice, every option
// once for an order question.
func checkAnswer(q Question, ans []int) string {
	n := len(q.Choices())
	for _, v := range ans {
		if v < 0 || (q.Kind == KindTrueFalse && v > 1) || (q.Kind != KindTrueFalse && v >= n) {
			return "選択肢にない回答です。"
		}
	}
	switch q.Kind {
	case KindSingle, KindScenario, KindTrueFalse:
		if len(ans) != 1 {
			return "選択肢を一つ選んでください。"
		}
	case KindOrder:
		seen := map[int]bool{}
		for _, v := range ans {
			seen[v] = true
		}
		if len(ans) != len(q.Options) || len(seen) != len(q.Options) {
			return "すべての項目に、重ならないように順番を付けてください。"
		}
	}
	return ""
}

// ---- progress by department ----

// DeptProgress is one department's figures in a campaign.
type DeptProgress struct {
	DepartmentID                 int64
	Department                   string // path
	Depth                        int
	Assigned, Started, Completed int
}

// Rate is the completion rate in percent.
func (d DeptProgress) Rate() float64 {
	if d.Assigned == 0 {
		return 0
	}
	return float64(d.Completed) * 100 / float64(d.Assigned)
}

// RateLabel is Rate as printed.
func (d DeptProgress) RateLabel() string { return fmt.Sprintf("%.1f%%", d.Rate()) }

// ProgressByDepartment counts a campaign's assignments by the department
// they were made in, within root's sub-tree (0: the whole ward), in the
// organisation's order; each 課's row adds up its 係.
func (s *Store) ProgressByDepartment(ctx context.Context, campaignID, root int64) ([]DeptProgress, DeptProgress, error) {
	rows, err := s.db.Query(ctx, `SELECT department_id, COUNT(*), SUM(CASE WHEN started_at <> '' THEN 1 ELSE 0 END), SUM(CASE WHEN completed_at <> '' THEN 1 ELSE 0 END)
		FROM learning_assignments WHERE campaign_id = ? GROUP BY department_id`, campaignID)
	if err != nil {
		return nil, DeptProgress{}, err
	}
	own := map[int64][3]int{}
	for rows.Next() {
		var d int64
		var n [3]int
		if err := rows.Scan(&d, &n[0], &n[1], &n[2]); err != nil {
			rows.Close()
			return nil, DeptProgress{}, err
		}
		own[d] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, DeptProgress{}, err
	}
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return nil, DeptProgress{}, err
	}
	in := map[int64]bool{}
	if root != 0 {
		for _, id := range tree.Subtree(root) {
			in[id] = true
		}
	}
	var out []DeptProgress
	total := DeptProgress{Department: "合計"}
	for _, d := range tree.Flat() {
		if root != 0 && !in[d.ID] {
			continue
		}
		p := DeptProgress{DepartmentID: d.ID, Department: d.Path, Depth: d.Depth}
		for _, id := range tree.Subtree(d.ID) {
			n := own[id]
			p.Assigned += n[0]
			p.Started += n[1]
			p.Completed += n[2]
		}
		if p.Assigned == 0 {
			continue
		}
		n := own[d.ID]
		total.Assigned += n[0]
		total.Started += n[1]
		total.Completed += n[2]
		out = append(out, p)
	}
	return out, total, nil
}

// Roster is a campaign's assignments within root's sub-tree (0: all), in
// the organisation's order of the departments they were made in, each
// with the person's name from the roster (people no longer in that
// department are named from the rest of the roster when still active).
func (s *Store) Roster(ctx context.Context, campaignID, root int64) ([]Assignment, error) {
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	rank := map[int64]int{}
	for i, d := range tree.Flat() {
		rank[d.ID] = i
	}
	in := map[int64]bool{}
	if root != 0 {
		for _, id := range tree.Subtree(root) {
			in[id] = true
		}
	}
	rows, err := s.db.Query(ctx, "SELECT "+assignmentCols+assignmentFrom+" WHERE a.campaign_id = ?", campaignID)
	if err != nil {
		return nil, err
	}
	var out []Assignment
	for rows.Next() {
		a, err := scanAssignment(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if root != 0 && !in[a.DepartmentID] {
			continue
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	names, kana, numbers := map[int64]string{}, map[int64]string{}, map[int64]string{}
	for _, d := range tree.Flat() {
		if root != 0 && !in[d.ID] {
			continue
		}
		staff, err := s.org.StaffInDepartment(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		for _, p := range staff {
			names[p.ID], kana[p.ID], numbers[p.ID] = p.Name, p.Kana, p.EmployeeNo
		}
	}
	for i := range out {
		a := &out[i]
		a.StaffName, a.EmployeeNo = names[a.StaffID], numbers[a.StaffID]
		if a.StaffName == "" {
			a.StaffName = "（名簿にない職員）"
		}
		if d, ok := tree.ByID[a.DepartmentID]; ok {
			a.Department = d.Path
		}
	}
	slices.SortStableFunc(out, func(x, y Assignment) int {
		if rank[x.DepartmentID] != rank[y.DepartmentID] {
			return rank[x.DepartmentID] - rank[y.DepartmentID]
		}
		return strings.Compare(kana[x.StaffID], kana[y.StaffID])
	})
	return out, nil
}

// attemptExists is database.ErrNotFound for an id that is no test attempt.
func (s *Store) attemptExists(ctx context.Context, id int64) error {
	var n int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM learning_attempts WHERE id = ?", id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return database.ErrNotFound
	}
	return nil
}

// CorrectKey replaces the answer key of one question version and regrades
// every submitted attempt that drew it: their scores, percents and
// verdicts, their assignments' best scores, and completion for those the
// correction brings to a pass (a completion already given is kept: the
// learner met the standard as it was set). It returns the attempts
// regraded.
func (s *Store) CorrectKey(ctx context.Context, courseID, questionID int64, key []int, by string) (int, error) {
	n := 0
	s.forget(courseID)
	defer s.forget(courseID)
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		qs, err := s.questionsByID(ctx, courseID, []int64{questionID})
		if err != nil {
			return database.ErrNotFound
		}
		q := qs[0]
		if msg := checkAnswer(q, key); msg != "" || len(key) == 0 || (q.Kind == KindMultiple && len(key) < 2) {
			if msg == "" {
				msg = "正解を選んでください（複数選択の問題は二つ以上）。"
			}
			return FieldErrors{"key": msg}
		}
		if q.Kind != KindOrder {
			key = slices.Compact(slices.Sorted(slices.Values(key)))
		}
		if slices.Equal(key, q.Key) {
			return FieldErrors{"key": "正解が変わっていません。"}
		}
		old := q.KeyText()
		if _, err := s.db.Exec(ctx, "UPDATE learning_questions SET answer = ? WHERE id = ?", jsonText(key), questionID); err != nil {
			return err
		}
		s.forget(courseID) // the regrading below reads the corrected key
		co, err := s.Course(ctx, courseID)
		if err != nil {
			return err
		}
		rows, err := s.db.Query(ctx, `SELECT `+attemptCols+` FROM learning_attempts WHERE submitted_at <> '' AND assignment_id IN
			(SELECT a.id FROM learning_assignments a JOIN learning_campaigns c ON c.id = a.campaign_id WHERE c.course_id = ?)`, courseID)
		if err != nil {
			return err
		}
		var touched []Attempt
		for rows.Next() {
			t, err := scanAttempt(rows)
			if err != nil {
				rows.Close()
				return err
			}
			if slices.Contains(t.QuestionIDs, questionID) {
				touched = append(touched, t)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		assignments := map[int64]bool{}
		for _, t := range touched {
			pinned, err := s.questionsByID(ctx, courseID, t.QuestionIDs)
			if err != nil {
				return err
			}
			score := 0
			for _, pq := range pinned {
				if pq.Correct(t.Answers[pq.ID]) {
					score++
				}
			}
			pct := score * 100 / max(t.Total, 1)
			if _, err := s.db.Exec(ctx, "UPDATE learning_attempts SET score = ?, percent = ?, passed = ? WHERE id = ?", score, pct, pct >= co.PassPercent, t.ID); err != nil {
				return err
			}
			assignments[t.AssignmentID] = true
			n++
		}
		for id := range assignments {
			if _, err := s.db.Exec(ctx, `UPDATE learning_assignments SET best_percent = (SELECT MAX(percent) FROM learning_attempts WHERE assignment_id = ? AND submitted_at <> '')
				WHERE id = ?`, id, id); err != nil {
				return err
			}
			if err := s.settle(ctx, id); err != nil {
				return err
			}
		}
		q.Key = key
		return s.log.Record(ctx, "learning.key_correct", fmt.Sprintf("learning_course:%d", courseID),
			fmt.Sprintf("%s の正解を訂正（%s → %s）、確認テスト %d 件を採点し直し（訂正者 %s）", q.Code, old, q.KeyText(), n, by))
	})
	return n, err
}

// Remind sends an in-app reminder to everyone of campaign id (within
// root's sub-tree, 0: all) who has not completed, has had fewer than the
// campaign's reminders and none in its spacing; it returns those reminded
// and those left out by the limits. Each person reminded who has a mail
// address in the roster gets the same reminder by mail (queued in this
// transaction, once per reminder round).
func (s *Store) Remind(ctx context.Context, id, root int64, by string) (reminded, held int, err error) {
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		// Locked first: two reminders sent at once (PostgreSQL) would both
		// pass the limits read below and remind (and mail) everyone twice.
		if err := s.db.LockRow(ctx, "learning_campaigns", id); err != nil {
			return err
		}
		reminded, held = 0, 0
		c, err := s.campaignHead(ctx, id)
		if err != nil {
			return err
		}
		if !c.OpenOn(s.now()) {
			return FieldErrors{"remind": "受講期間外の研修には催促できません。"}
		}
		roster, err := s.Roster(ctx, id, root)
		if err != nil {
			return err
		}
		cutoff := s.now().AddDate(0, 0, -c.RemindEvery)
		var ids []any
		for _, a := range roster {
			if a.Done() {
				continue
			}
			if a.Reminders >= c.RemindMax || (!a.RemindedAt.IsZero() && a.RemindedAt.After(cutoff)) {
				held++
				continue
			}
			ids = append(ids, a.ID)
		}
		now := database.T(s.now())
		all := ids
		for len(ids) > 0 {
			part := ids[:min(len(ids), 500)]
			ids = ids[len(part):]
			args := append([]any{now}, part...)
			res, err := s.db.Exec(ctx, "UPDATE learning_assignments SET reminded_at = ?, reminders = reminders + 1 WHERE completed_at = '' AND id IN ("+
				strings.TrimSuffix(strings.Repeat("?, ", len(part)), ", ")+")", args...)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			reminded += int(n)
		}
		mailed, err := s.mailReminders(ctx, c, all)
		if err != nil {
			return err
		}
		scope := "全庁"
		if root != 0 {
			scope = "所属の範囲"
		}
		if mailed > 0 {
			scope += fmt.Sprintf("、メール %d 通", mailed)
		}
		return s.log.Record(ctx, "learning.remind", fmt.Sprintf("learning_campaign:%d", id),
			fmt.Sprintf("%s 未修了者に催促（%s、%d 人。回数・間隔の上限で見送り %d 人、実施者 %s）", c.Code, scope, reminded, held, by))
	})
	return reminded, held, err
}

// mailReminders queues the reminder by mail to the people of assignments
// ids who have an address, once per person and reminder round; it returns
// how many were queued.
func (s *Store) mailReminders(ctx context.Context, c Campaign, ids []any) (int, error) {
	if !s.mail.Enabled() {
		return 0, nil
	}
	ward := s.org.WardName(ctx)
	n := 0
	for len(ids) > 0 {
		part := ids[:min(len(ids), 500)]
		ids = ids[len(part):]
		rows, err := s.db.Query(ctx, `SELECT a.id, a.reminders, st.email, st.name FROM learning_assignments a JOIN staff st ON st.id = a.staff_id
			WHERE st.email <> '' AND a.id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(part)), ", ")+")", part...)
		if err != nil {
			return n, err
		}
		type to struct {
			id         int64
			round      int
			addr, name string
		}
		var tos []to
		for rows.Next() {
			var t to
			if err := rows.Scan(&t.id, &t.round, &t.addr, &t.name); err != nil {
				rows.Close()
				return n, err
			}
			tos = append(tos, t)
		}
		rows.Close()
		for _, t := range tos {
			ok, err := s.mail.Enqueue(ctx, mail.Message{To: t.addr, ToName: t.name, Kind: "reminder", Ref: fmt.Sprintf("learning_assignment:%d", t.id),
				Key:     fmt.Sprintf("learning-remind:%d:%d", t.id, t.round),
				Subject: "【研修】" + c.Title + " の受講をお願いします",
				Body: fmt.Sprintf("%s 様\n\n%s の受講をお願いします（%s に催促がありました。期限 %s）。\n\nMamori にログインし、「研修」から受講してください。\n%s\n\n%s 情報セキュリティ担当\n",
					t.name, c.Title, jp.FormatWarekiDateTime(s.now()), jp.FormatWareki(c.Closes), s.mail.Link(fmt.Sprintf("/learning/my/%d", t.id)), ward)})
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
		}
	}
	return n, nil
}
