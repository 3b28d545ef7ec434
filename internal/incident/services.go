package incident

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/database"
	"mamori/internal/jp"
)

// The citizen services an incident stopped, and the response's tasks.

// Service is one citizen service an incident stopped.
type Service struct {
	ID        int64
	Service   string
	DownFrom  time.Time
	DownTo    time.Time // zero: still down
	Fallback  string
	Residents int
}

// Hours is how long the service was down (until now while it still is).
func (s Service) Hours(now time.Time) float64 {
	end := s.DownTo
	if end.IsZero() {
		end = now
	}
	return max(end.Sub(s.DownFrom).Hours(), 0)
}

// ServiceInput is the form as typed.
type ServiceInput struct{ Service, From, To, Fallback, Residents string }

// Services are the incident's stopped services.
func (s *Store) Services(ctx context.Context, id int64) ([]Service, error) {
	rows, err := s.db.Query(ctx, "SELECT id, service, down_from, down_to, fallback, residents FROM incident_services WHERE incident_id = ? ORDER BY down_from, id", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Service
	for rows.Next() {
		var v Service
		var from, to string
		if err := rows.Scan(&v.ID, &v.Service, &from, &to, &v.Fallback, &v.Residents); err != nil {
			return nil, err
		}
		v.DownFrom, v.DownTo = stamp(from), stamp(to)
		out = append(out, v)
	}
	return out, rows.Err()
}

// AddService records a stopped service.
func (s *Store) AddService(ctx context.Context, i Incident, in ServiceInput, by string) error {
	fe := FieldErrors{}
	in.Service, in.Fallback = strings.TrimSpace(in.Service), strings.TrimSpace(in.Fallback)
	if in.Service == "" || utf8.RuneCountInString(in.Service) > 200 || utf8.RuneCountInString(in.Fallback) > 1000 {
		fe["service"] = "止まった区民サービスの名前を200文字以内で入力してください（代替手段は1,000文字以内）。"
	}
	from, err1 := ParseDateTime(in.From)
	to, err2 := ParseDateTime(in.To)
	switch {
	case err1 != nil || from.IsZero():
		fe["service"] = "停止した日時を入力してください。"
	case err2 != nil:
		fe["service"] = "再開した日時の書き方が正しくありません。"
	case !to.IsZero() && to.Before(from):
		fe["service"] = "再開した日時が、停止した日時より前になっています。"
	case from.After(s.now().Add(time.Hour)) || to.After(s.now().Add(time.Hour)):
		fe["service"] = "未来の日時は入力できません。"
	}
	residents := 0
	if r := strings.TrimSpace(in.Residents); r != "" {
		if _, err := fmt.Sscan(r, &residents); err != nil || fmt.Sprint(residents) != r || residents < 0 {
			fe["service"] = "影響を受けた区民の数は 0 以上の整数で入力してください。"
		}
	}
	if i.Closed() {
		fe["service"] = "完了したインシデントは変更できません。"
	}
	if len(fe) > 0 {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Exec(ctx, "INSERT INTO incident_services (incident_id, service, down_from, down_to, fallback, residents) VALUES (?, ?, ?, ?, ?, ?)",
			i.ID, in.Service, stampOf(from), stampOf(to), in.Fallback, residents); err != nil {
			return err
		}
		return s.log.Record(ctx, "incident.service", fmt.Sprintf("incident:%d", i.ID), fmt.Sprintf("インシデント %s で止まった区民サービスを記録（%s）", i.Code, in.Service))
	})
}

// Task is one task of the response.
type Task struct {
	ID     int64
	Title  string
	Owner  string
	Due    time.Time
	DoneAt time.Time
}

// Overdue reports whether the task is undone after its due date.
func (t Task) Overdue(now time.Time) bool {
	return t.DoneAt.IsZero() && jp.DateKey(now) > jp.DateKey(t.Due)
}

// Tasks are the incident's tasks, by due date.
func (s *Store) Tasks(ctx context.Context, id int64) ([]Task, error) {
	rows, err := s.db.Query(ctx, "SELECT id, title, owner, due_on, done_at FROM incident_tasks WHERE incident_id = ? ORDER BY due_on, id", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Task
	for rows.Next() {
		var t Task
		var due, done string
		if err := rows.Scan(&t.ID, &t.Title, &t.Owner, &due, &done); err != nil {
			return nil, err
		}
		t.Due, t.DoneAt = jp.ParseDateKey(due), stamp(done)
		out = append(out, t)
	}
	return out, rows.Err()
}

// AddTask records a task of the response.
func (s *Store) AddTask(ctx context.Context, i Incident, title, owner, due, by string) error {
	fe := FieldErrors{}
	title, owner = strings.TrimSpace(title), strings.TrimSpace(owner)
	if title == "" || owner == "" || utf8.RuneCountInString(title) > 200 || utf8.RuneCountInString(owner) > 100 {
		fe["task"] = "作業（200文字以内）と担当（100文字以内）を入力してください。"
	}
	var d time.Time
	var err error
	if strings.TrimSpace(due) != "" {
		d, err = jp.ParseDate(due)
	}
	if err != nil || d.IsZero() {
		fe["task"] = "作業の期限を入力してください。"
	}
	if i.Closed() {
		fe["task"] = "完了したインシデントは変更できません。"
	}
	if len(fe) > 0 {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Exec(ctx, "INSERT INTO incident_tasks (incident_id, title, owner, due_on, created_by_name, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			i.ID, title, owner, jp.DateKey(d), by, database.T(s.now())); err != nil {
			return err
		}
		return s.log.Record(ctx, "incident.task", fmt.Sprintf("incident:%d", i.ID), fmt.Sprintf("インシデント %s の作業「%s」（%s、期限 %s）", i.Code, title, owner, jp.FormatWareki(d)))
	})
}

// DoneTask marks task id of incident i done (once: a replay changes nothing).
func (s *Store) DoneTask(ctx context.Context, i Incident, id int64, by string) error {
	if i.Closed() {
		return FieldErrors{"task": "完了したインシデントは変更できません。"}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, "UPDATE incident_tasks SET done_at = ? WHERE id = ? AND incident_id = ? AND done_at = ''", database.FormatTime(s.now()), id, i.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return FieldErrors{"task": "この作業はすでに完了しているか、このインシデントの作業ではありません。"}
		}
		return s.log.Record(ctx, "incident.task_done", fmt.Sprintf("incident:%d", i.ID), fmt.Sprintf("インシデント %s の作業 %d を完了（%s）", i.Code, id, by))
	})
}
