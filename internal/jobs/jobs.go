// Package jobs runs long work (imports, report bundles) in the background
// and keeps its state in the database, so that any instance can show a
// job's progress and a restarted instance knows what was cut short.
package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
)

// Statuses of a job.
const (
	Running = "running"
	Done    = "done"
	Failed  = "failed"
)

// Job is one background task's state.
type Job struct {
	ID        int64         `json:"id"`
	Kind      string        `json:"kind"`
	Status    string        `json:"status"`
	Progress  int           `json:"progress"`
	Total     int           `json:"total"`
	Message   string        `json:"message"`
	Result    string        `json:"result"`
	CreatedBy int64         `json:"-"`
	CreatedAt database.Time `json:"-"`
	Link      string        `json:"link,omitempty"` // where to go when done
}

// Func does the work; it reports progress and returns a message for the user.
type Func func(ctx context.Context, progress func(done, total int, msg string)) (string, error)

// Runner starts jobs and records their state.
type Runner struct {
	db     *database.DB
	log    *slog.Logger
	now    func() time.Time
	wg     sync.WaitGroup
	base   context.Context
	cancel context.CancelFunc

	mu   sync.Mutex
	live map[int64]Job // progress of jobs running in this instance
}

// New returns a runner. Jobs run under base (cancelled at shutdown).
func New(base context.Context, db *database.DB, log *slog.Logger, now func() time.Time) *Runner {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	base, cancel := context.WithCancel(base)
	return &Runner{db: db, log: log, now: now, base: base, cancel: cancel, live: map[int64]Job{}}
}

// Start records a job and runs fn in the background. link is the page to
// show when it has finished.
func (r *Runner) Start(ctx context.Context, kind, link string, total int, fn Func) (int64, error) {
	actor := auditlog.ActorFrom(ctx)
	var by any
	if actor.UserID != 0 {
		by = actor.UserID
	}
	now := database.T(r.now())
	payload, _ := json.Marshal(map[string]string{"link": link})
	id, err := r.db.InsertID(ctx, `INSERT INTO jobs (kind, status, progress, total, message, payload, created_by, created_at, updated_at)
		VALUES (?, ?, 0, ?, '開始しました', ?, ?, ?, ?)`, kind, Running, total, string(payload), by, now, now)
	if err != nil {
		return 0, fmt.Errorf("jobs.Start: %w", err)
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		jctx := auditlog.WithActor(r.base, actor)
		last := time.Time{}
		progress := func(done, total int, msg string) {
			r.mu.Lock()
			r.live[id] = Job{Progress: done, Total: total, Message: msg}
			r.mu.Unlock()
			// SQLite has one writer connection, which the job's own
			// transaction holds: progress then lives in memory only. On
			// PostgreSQL it is also written so that other instances see it.
			if r.db.Dialect() != database.Postgres || (time.Since(last) < 300*time.Millisecond && done < total) {
				return
			}
			last = time.Now()
			if _, err := r.db.Exec(context.WithoutCancel(jctx), "UPDATE jobs SET progress = ?, total = ?, message = ?, updated_at = ? WHERE id = ?",
				done, total, msg, database.T(r.now()), id); err != nil {
				r.log.Warn("job progress", "job", id, "err", err)
			}
		}
		result, err := func() (res string, err error) {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("panic: %v", p)
				}
			}()
			return fn(jctx, progress)
		}()
		r.mu.Lock()
		delete(r.live, id)
		r.mu.Unlock()
		status, msg := Done, "完了しました"
		switch {
		case err != nil && r.base.Err() != nil:
			status, msg, result = Failed, "中断されました", "サーバーの停止により中断しました。変更は書き込まれていません。もう一度実行してください。"
			r.log.Warn("job interrupted by shutdown", "job", id, "kind", kind)
		case err != nil:
			status, msg, result = Failed, "失敗しました", err.Error()
			r.log.Error("job failed", "job", id, "kind", kind, "err", err)
		}
		if _, err := r.db.Exec(context.WithoutCancel(jctx), "UPDATE jobs SET status = ?, message = ?, result = ?, updated_at = ?, finished_at = ? WHERE id = ?",
			status, msg, result, database.T(r.now()), database.T(r.now()), id); err != nil {
			r.log.Error("job finish", "job", id, "err", err)
		}
	}()
	return id, nil
}

// Wait waits for the jobs this runner started (tests and shutdown).
func (r *Runner) Wait() { r.wg.Wait() }

// Stop is the graceful end of the runner: it lets running jobs finish
// for up to grace, then cancels the rest, which are recorded as
// interrupted (their work is one transaction, so nothing is half done and
// the user may start them again), and returns when all have ended.
func (r *Runner) Stop(grace time.Duration) {
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		r.cancel()
		<-done
	}
}

// Get returns a job.
func (r *Runner) Get(ctx context.Context, id int64) (Job, error) {
	var j Job
	var payload string
	err := r.db.QueryRow(ctx, "SELECT id, kind, status, progress, total, message, result, payload, COALESCE(created_by, 0), created_at FROM jobs WHERE id = ?", id).
		Scan(&j.ID, &j.Kind, &j.Status, &j.Progress, &j.Total, &j.Message, &j.Result, &payload, &j.CreatedBy, &j.CreatedAt)
	if err != nil {
		return j, database.NotFound("jobs.Get", err)
	}
	var p map[string]string
	if json.Unmarshal([]byte(payload), &p) == nil {
		j.Link = p["link"]
	}
	r.mu.Lock()
	if l, ok := r.live[id]; ok && j.Status == Running {
		j.Progress, j.Total, j.Message = l.Progress, l.Total, l.Message
	}
	r.mu.Unlock()
	return j, nil
}

// MarkAbandoned fails jobs left running by an instance that stopped more
// than grace ago (their work was one transaction, so nothing is half done).
func (r *Runner) MarkAbandoned(ctx context.Context, grace time.Duration) error {
	_, err := r.db.Exec(ctx, `UPDATE jobs SET status = ?, message = ?, result = ?, finished_at = ? WHERE status = ? AND updated_at < ?`,
		Failed, "中断されました", "処理中にサーバーが停止しました。変更は書き込まれていません。もう一度実行してください。",
		database.T(r.now()), Running, database.T(r.now().Add(-grace)))
	return err
}
