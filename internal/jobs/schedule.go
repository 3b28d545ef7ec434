package jobs

// Scheduled tasks: reminders, nightly backups and housekeeping, run from
// the database on a schedule exactly once across several instances — the
// instance that takes a task's lease when it is due runs it, the others
// find it taken — with the last run, the next run and the failures kept
// for the administrator's page.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"mamori/internal/database"
	"mamori/internal/jp"
)

// Schedule is one recurring task.
type Schedule struct {
	Name  string        // stable key, e.g. learning.remind
	Label string        // as the administrator reads it
	Every time.Duration // run this often, or
	Daily int           // (Every 0) every day at this hour, Japan time (0–23)
	// Run does the work and says what it did.
	Run func(ctx context.Context) (string, error)
}

// When says when the task runs, in Japanese.
func (s Schedule) When() string {
	if s.Every > 0 {
		if s.Every%time.Hour == 0 {
			return fmt.Sprintf("%d 時間ごと", int(s.Every/time.Hour))
		}
		return fmt.Sprintf("%d 分ごと", int(s.Every/time.Minute))
	}
	return fmt.Sprintf("毎日 %d 時", s.Daily)
}

// next is the task's next due time after t.
func (s Schedule) next(t time.Time) time.Time {
	if s.Every > 0 {
		return t.Add(s.Every)
	}
	j := t.In(jp.JST)
	d := time.Date(j.Year(), j.Month(), j.Day(), s.Daily, 0, 0, 0, jp.JST)
	if !d.After(t) {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// Scheduler runs the registered tasks when due.
type Scheduler struct {
	db    *database.DB
	now   func() time.Time
	log   *slog.Logger
	owner string
	mu    sync.Mutex
	list  []Schedule
}

// NewScheduler returns a scheduler with no task yet.
func NewScheduler(db *database.DB, now func() time.Time, log *slog.Logger) *Scheduler {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &Scheduler{db: db, now: now, log: log, owner: hex.EncodeToString(b)}
}

// Add registers a task.
func (s *Scheduler) Add(sc ...Schedule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, sc...)
}

// Schedules are the registered tasks.
func (s *Scheduler) Schedules() []Schedule {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Schedule(nil), s.list...)
}

// taskLease is how long a running task is its instance's; a task still
// leased after it (its instance died) is run again.
const taskLease = 30 * time.Minute

// Tick runs every task that is due and not leased by another instance,
// one after another, and returns how many it ran.
func (s *Scheduler) Tick(ctx context.Context) (int, error) {
	ran := 0
	for _, sc := range s.Schedules() {
		now := s.now()
		if _, err := s.db.Exec(ctx, "INSERT INTO job_schedules (name, next_run_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
			sc.Name, database.T(sc.next(now))); err != nil {
			return ran, fmt.Errorf("jobs.Tick: %w", err)
		}
		res, err := s.db.Exec(ctx, `UPDATE job_schedules SET lease_owner = ?, lease_until = ?, last_started_at = ?
			WHERE name = ? AND next_run_at <= ? AND (lease_until = '' OR lease_until < ?)`,
			s.owner, database.T(now.Add(taskLease)), database.T(now), sc.Name, database.T(now), database.T(now))
		if err != nil {
			return ran, fmt.Errorf("jobs.Tick: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			continue
		}
		ran++
		msg, rerr := s.run(ctx, sc)
		if ctx.Err() != nil {
			// The instance is stopping: the task gives its lease back,
			// still due, so that another instance (or this one after its
			// restart) runs it at once instead of after the lease.
			s.release(sc.Name)
			return ran, ctx.Err()
		}
		status, fail := "ok", 0
		if rerr != nil {
			status, fail, msg = "failed", 1, rerr.Error()
			s.log.Error("scheduled task", "task", sc.Name, "err", rerr)
		}
		if utf8.RuneCountInString(msg) > 500 {
			msg = string([]rune(msg)[:500])
		}
		done := s.now()
		if _, err := s.db.Exec(ctx, `UPDATE job_schedules SET lease_owner = '', lease_until = '', last_finished_at = ?, last_status = ?, last_message = ?,
			next_run_at = ?, runs = runs + 1, failures = failures + ? WHERE name = ? AND lease_owner = ?`,
			database.T(done), status, msg, database.T(sc.next(done)), fail, sc.Name, s.owner); err != nil {
			return ran, fmt.Errorf("jobs.Tick: %w", err)
		}
	}
	return ran, nil
}

// release gives back the lease of a task this instance holds, leaving
// it due.
func (s *Scheduler) release(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.db.Exec(ctx, "UPDATE job_schedules SET lease_owner = '', lease_until = '' WHERE name = ? AND lease_owner = ?", name, s.owner); err != nil {
		s.log.Error("scheduler: release", "task", name, "err", err)
	}
}

// run runs one task, turning a panic into its failure.
func (s *Scheduler) run(ctx context.Context, sc Schedule) (msg string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("内部エラー（%v）", p)
		}
	}()
	return sc.Run(ctx)
}

// Loop ticks every interval until ctx ends.
func (s *Scheduler) Loop(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("scheduler", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// State is a task with its record.
type State struct {
	Schedule
	NextRun, LastStarted, LastFinished time.Time
	LastStatus, LastMessage            string
	Runs, Failures                     int
	Running                            bool
}

// StatusLabel is the last run's outcome in Japanese.
func (st State) StatusLabel() string {
	switch {
	case st.Running:
		return "実行中"
	case st.LastStatus == "ok":
		return "成功"
	case st.LastStatus == "failed":
		return "失敗"
	}
	return "未実行"
}

// States lists the tasks with their records.
func (s *Scheduler) States(ctx context.Context) ([]State, error) {
	var out []State
	now := s.now()
	for _, sc := range s.Schedules() {
		st := State{Schedule: sc, NextRun: sc.next(now)}
		var next, until, started, finished string
		err := s.db.QueryRow(ctx, `SELECT next_run_at, lease_until, last_started_at, last_finished_at, last_status, last_message, runs, failures
			FROM job_schedules WHERE name = ?`, sc.Name).Scan(&next, &until, &started, &finished, &st.LastStatus, &st.LastMessage, &st.Runs, &st.Failures)
		if err == nil {
			st.NextRun, st.LastStarted, st.LastFinished = database.ParseTime(next), database.ParseTime(started), database.ParseTime(finished)
			st.Running = until != "" && database.ParseTime(until).After(now)
		}
		out = append(out, st)
	}
	return out, nil
}

// RunSoon makes task name due now (the next tick runs it).
func (s *Scheduler) RunSoon(ctx context.Context, name string) error {
	for _, sc := range s.Schedules() {
		if sc.Name != name {
			continue
		}
		now := database.T(s.now())
		if _, err := s.db.Exec(ctx, "INSERT INTO job_schedules (name, next_run_at) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET next_run_at = excluded.next_run_at",
			name, now); err != nil {
			return err
		}
		return nil
	}
	return database.ErrNotFound
}
