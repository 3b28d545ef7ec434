package program

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/module"
)

// Workstreams are DESIGN.md's ten workstreams, by number.
var Workstreams = []string{"", "内部監査", "自己点検", "外部監査（情報資産・特定個人情報）", "外部監査（情報システム）", "教育・研修",
	"事故対応訓練", "インシデント対応", "外部委託・クラウド導入支援", "ポリシー改訂支援", "進捗管理"}

// WorkstreamLabel names workstream n.
func WorkstreamLabel(n int) string {
	if n >= 1 && n < len(Workstreams) {
		return Workstreams[n]
	}
	return "共通（改善措置台帳など）"
}

// Owners are who carries a task.
var Owners = []string{"支援事業者", "区（情報政策課）", "区と支援事業者"}

// Store keeps the programme's own tasks.
type Store struct {
	db  *database.DB
	log *auditlog.Log
	now func() time.Time
}

// NewStore returns the store on the app's shared services.
func NewStore(d module.Deps) *Store {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	return &Store{db: d.DB, log: d.Log, now: now}
}

// FieldErrors are a form's mistakes by field, in Japanese.
type FieldErrors map[string]string

func (fe FieldErrors) Error() string {
	var out []string
	for _, k := range []string{"title", "workstream", "owner", "start", "end", "progress", "actual", "reason", "note", "deps"} {
		if m, ok := fe[k]; ok {
			out = append(out, m)
		}
	}
	return strings.Join(out, " ")
}

// ErrStale is a change based on an older state than the stored one.
var ErrStale = errors.New("他の人が先に更新しました。画面を読み込み直してから、もう一度操作してください。")

// Task is one of the programme's own tasks or milestones.
type Task struct {
	ID          int64
	FiscalYear  int
	Workstream  int
	Title       string
	Owner       string
	Milestone   bool
	Start, End  time.Time
	BaseStart   time.Time
	BaseEnd     time.Time
	ActualStart time.Time
	ActualEnd   time.Time
	Progress    int // percent
	Note        string
	Rev         int64
	UpdatedBy   string
	UpdatedAt   time.Time
	Replans     []Replan
}

// Replanned reports whether the task moved from its baseline.
func (t Task) Replanned() bool { return !t.Start.Equal(t.BaseStart) || !t.End.Equal(t.BaseEnd) }

// Replan is one re-planning of a task with its reason.
type Replan struct {
	OldStart, OldEnd, NewStart, NewEnd time.Time
	Reason, By                         string
	At                                 time.Time
}

const taskCols = `id, fiscal_year, workstream, title, owner, milestone, start_on, end_on, baseline_start, baseline_end, actual_start, actual_end,
	progress, note, rev, updated_by_name, updated_at`

func scanTask(sc interface{ Scan(...any) error }) (Task, error) {
	var t Task
	var s, e, bs, be, as, ae, up string
	err := sc.Scan(&t.ID, &t.FiscalYear, &t.Workstream, &t.Title, &t.Owner, &t.Milestone, &s, &e, &bs, &be, &as, &ae, &t.Progress, &t.Note, &t.Rev, &t.UpdatedBy, &up)
	t.Start, t.End, t.BaseStart, t.BaseEnd = jp.ParseDateKey(s), jp.ParseDateKey(e), jp.ParseDateKey(bs), jp.ParseDateKey(be)
	t.ActualStart, t.ActualEnd, t.UpdatedAt = jp.ParseDateKey(as), jp.ParseDateKey(ae), database.ParseTime(up)
	return t, err
}

// Tasks lists fiscal year fy's own tasks in plan order.
func (s *Store) Tasks(ctx context.Context, fy int) ([]Task, error) {
	rows, err := s.db.Query(ctx, "SELECT "+taskCols+" FROM program_tasks WHERE fiscal_year = ? ORDER BY workstream, start_on, id", fy)
	if err != nil {
		return nil, fmt.Errorf("program.Tasks: %w", err)
	}
	defer rows.Close()
	var out []Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Task returns one task with its re-planning history.
func (s *Store) Task(ctx context.Context, id int64) (Task, error) {
	t, err := scanTask(s.db.QueryRow(ctx, "SELECT "+taskCols+" FROM program_tasks WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, database.ErrNotFound
	}
	if err != nil {
		return t, fmt.Errorf("program.Task: %w", err)
	}
	rows, err := s.db.Query(ctx, "SELECT old_start, old_end, new_start, new_end, reason, by_name, created_at FROM program_replans WHERE task_id = ? ORDER BY id", id)
	if err != nil {
		return t, err
	}
	defer rows.Close()
	for rows.Next() {
		var r Replan
		var os, oe, ns, ne, at string
		if err := rows.Scan(&os, &oe, &ns, &ne, &r.Reason, &r.By, &at); err != nil {
			return t, err
		}
		r.OldStart, r.OldEnd, r.NewStart, r.NewEnd, r.At = jp.ParseDateKey(os), jp.ParseDateKey(oe), jp.ParseDateKey(ns), jp.ParseDateKey(ne), database.ParseTime(at)
		t.Replans = append(t.Replans, r)
	}
	return t, rows.Err()
}

// TaskInput is the task form as typed.
type TaskInput struct {
	Title, Owner, Start, End, Progress, ActualStart, ActualEnd, Note, Reason string
	Workstream                                                               int
	Milestone                                                                bool
	Rev                                                                      int64
}

func parseDay(field, label, v string, fe FieldErrors) time.Time {
	if strings.TrimSpace(v) == "" {
		return time.Time{}
	}
	d, err := jp.ParseDate(v)
	if err != nil {
		fe[field] = label + "を日付として読めません（例：2026-10-01、令和8年10月1日）。"
	}
	return d
}

func (s *Store) check(fy int, in TaskInput) (Task, FieldErrors) {
	fe := FieldErrors{}
	t := Task{FiscalYear: fy, Workstream: in.Workstream, Title: strings.TrimSpace(in.Title), Owner: strings.TrimSpace(in.Owner),
		Milestone: in.Milestone, Note: strings.TrimSpace(in.Note)}
	switch n := utf8.RuneCountInString(t.Title); {
	case n == 0:
		fe["title"] = "作業の名前を入力してください。"
	case n > 200:
		fe["title"] = fmt.Sprintf("作業の名前は200文字以内で入力してください（%d文字あります）。", n)
	}
	if in.Workstream < 1 || in.Workstream >= len(Workstreams) {
		fe["workstream"] = "業務（1〜10）を選んでください。"
	}
	if utf8.RuneCountInString(t.Owner) > 100 {
		fe["owner"] = "担当は100文字以内で入力してください。"
	}
	t.Start = parseDay("start", "開始日", in.Start, fe)
	t.End = parseDay("end", "終了日", in.End, fe)
	if t.Milestone && t.End.IsZero() {
		t.End = t.Start
	}
	if fe["start"] == "" && fe["end"] == "" {
		switch {
		case t.Start.IsZero() || t.End.IsZero():
			fe["start"] = "開始日と終了日を入力してください（節目は開始日だけで構いません）。"
		case t.End.Before(t.Start):
			fe["end"] = "終了日が開始日より前になっています。"
		case jp.FiscalYearOf(t.Start) != fy && jp.FiscalYearOf(t.End) != fy:
			fe["start"] = fmt.Sprintf("%sの作業にしてください（%s〜%s）。", jp.FiscalYearLabel(fy), jp.FormatWareki(jp.FiscalYearStart(fy)), jp.FormatWareki(jp.FiscalYearEnd(fy)))
		}
	}
	if v := strings.TrimSpace(in.Progress); v != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(v, "%"))
		if err != nil || n < 0 || n > 100 {
			fe["progress"] = "進捗は0〜100の整数（％）で入力してください。"
		}
		t.Progress = n
	}
	t.ActualStart = parseDay("actual", "実績の開始日", in.ActualStart, fe)
	t.ActualEnd = parseDay("actual", "実績の終了日", in.ActualEnd, fe)
	if !t.ActualEnd.IsZero() {
		if t.ActualStart.IsZero() {
			t.ActualStart = t.ActualEnd
		}
		if t.ActualEnd.Before(t.ActualStart) {
			fe["actual"] = "実績の終了日が実績の開始日より前になっています。"
		}
		t.Progress = 100
	}
	if utf8.RuneCountInString(t.Note) > 2000 {
		fe["note"] = "備考は2,000文字以内で入力してください。"
	}
	if len(fe) > 0 {
		return t, fe
	}
	return t, nil
}

// Create adds a task; its plan is also its baseline.
func (s *Store) Create(ctx context.Context, fy int, in TaskInput, by string) (int64, error) {
	t, fe := s.check(fy, in)
	if fe != nil {
		return 0, fe
	}
	var id int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		now := database.T(s.now())
		var err error
		id, err = s.db.InsertID(ctx, `INSERT INTO program_tasks (fiscal_year, workstream, title, owner, milestone, start_on, end_on, baseline_start, baseline_end,
			actual_start, actual_end, progress, note, rev, updated_by_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
			fy, t.Workstream, t.Title, t.Owner, t.Milestone, jp.DateKey(t.Start), jp.DateKey(t.End), jp.DateKey(t.Start), jp.DateKey(t.End),
			jp.DateKey(t.ActualStart), jp.DateKey(t.ActualEnd), t.Progress, t.Note, by, now, now)
		if err != nil {
			return fmt.Errorf("program.Create: %w", err)
		}
		return s.log.Record(ctx, "program.task_create", fmt.Sprintf("program_task:%d", id),
			fmt.Sprintf("%sの作業「%s」を登録（%s〜%s）", jp.FiscalYearLabel(fy), t.Title, jp.FormatWareki(t.Start), jp.FormatWareki(t.End)))
	})
	return id, err
}

// Update records a task's progress and actual dates; a change of its
// planned dates is a re-planning and needs a reason, kept with the old
// and new dates (the baseline stays).
func (s *Store) Update(ctx context.Context, cur Task, in TaskInput, by string) error {
	t, fe := s.check(cur.FiscalYear, in)
	if fe == nil {
		fe = FieldErrors{}
	}
	moved := !t.Start.IsZero() && !t.End.IsZero() && (!t.Start.Equal(cur.Start) || !t.End.Equal(cur.End))
	reason := strings.TrimSpace(in.Reason)
	switch {
	case moved && reason == "":
		fe["reason"] = "予定の日付を変えるときは、再計画の理由を入力してください（基準の計画との違いとして残ります）。"
	case utf8.RuneCountInString(reason) > 1000:
		fe["reason"] = "再計画の理由は1,000文字以内で入力してください。"
	}
	if len(fe) > 0 {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		now := database.T(s.now())
		res, err := s.db.Exec(ctx, `UPDATE program_tasks SET workstream = ?, title = ?, owner = ?, milestone = ?, start_on = ?, end_on = ?, actual_start = ?,
			actual_end = ?, progress = ?, note = ?, rev = rev + 1, updated_by_name = ?, updated_at = ? WHERE id = ? AND rev = ?`,
			t.Workstream, t.Title, t.Owner, t.Milestone, jp.DateKey(t.Start), jp.DateKey(t.End), jp.DateKey(t.ActualStart), jp.DateKey(t.ActualEnd),
			t.Progress, t.Note, by, now, cur.ID, in.Rev)
		if err != nil {
			return fmt.Errorf("program.Update: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrStale
		}
		detail := fmt.Sprintf("作業「%s」を更新（進捗 %d%%）", t.Title, t.Progress)
		if moved {
			if _, err := s.db.Exec(ctx, `INSERT INTO program_replans (task_id, old_start, old_end, new_start, new_end, reason, by_name, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, cur.ID, jp.DateKey(cur.Start), jp.DateKey(cur.End), jp.DateKey(t.Start), jp.DateKey(t.End), reason, by, now); err != nil {
				return err
			}
			detail = fmt.Sprintf("作業「%s」を再計画（%s〜%s → %s〜%s）：%s", t.Title, jp.FormatWareki(cur.Start), jp.FormatWareki(cur.End),
				jp.FormatWareki(t.Start), jp.FormatWareki(t.End), reason)
		}
		return s.log.Record(ctx, "program.task_update", fmt.Sprintf("program_task:%d", cur.ID), detail)
	})
}
