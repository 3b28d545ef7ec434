package jobs_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/jobs"
	"mamori/internal/jp"
)

// TestScheduler: three instances ticking together run a due task once; it
// is not run again before its next time; a failure (or a panic) is kept
// with its message and the task is tried at its next time; a task made
// due by hand runs at the next tick; a daily task falls on its hour.
func TestScheduler(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 5, 8, 59, 0, 0, jp.JST)
		var mu sync.Mutex
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		var runs, fails atomic.Int32
		tasks := []jobs.Schedule{
			{Name: "test.remind", Label: "催促", Daily: 9, Run: func(context.Context) (string, error) { runs.Add(1); return "催促しました", nil }},
			{Name: "test.fail", Label: "失敗する処理", Every: time.Hour, Run: func(context.Context) (string, error) {
				if fails.Add(1) == 1 {
					return "", errors.New("接続できません")
				}
				panic("壊れた")
			}},
		}
		var ss []*jobs.Scheduler
		for i := 0; i < 3; i++ {
			s := jobs.NewScheduler(db, clock, nil)
			s.Add(tasks...)
			ss = append(ss, s)
		}
		tickAll := func() {
			var wg sync.WaitGroup
			for _, s := range ss {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.Tick(ctx); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
		}
		tickAll() // records the tasks: the daily one at 9:00, the other in an hour
		if runs.Load() != 0 || fails.Load() != 0 {
			t.Fatalf("tasks ran before they were due: %d %d", runs.Load(), fails.Load())
		}
		advance(2 * time.Minute) // 9:01
		tickAll()
		tickAll()
		if runs.Load() != 1 {
			t.Fatalf("the daily task ran %d times at 9:01 across three instances", runs.Load())
		}
		st, err := ss[0].States(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st[0].LastStatus != "ok" || st[0].LastMessage != "催促しました" || !st[0].NextRun.Equal(time.Date(2026, 12, 6, 9, 0, 0, 0, jp.JST)) {
			t.Errorf("after the run: %+v", st[0])
		}
		advance(time.Hour) // 10:01: the hourly one fails
		tickAll()
		advance(time.Hour) // 11:01: it panics
		tickAll()
		st, _ = ss[1].States(ctx)
		if fails.Load() != 2 || st[1].Failures != 2 || st[1].LastStatus != "failed" || st[1].StatusLabel() != "失敗" {
			t.Fatalf("failures: ran %d, %+v", fails.Load(), st[1])
		}
		if err := ss[2].RunSoon(ctx, "test.remind"); err != nil {
			t.Fatal(err)
		}
		if err := ss[2].RunSoon(ctx, "nope"); !errors.Is(err, database.ErrNotFound) {
			t.Errorf("an unknown task: %v", err)
		}
		tickAll()
		if runs.Load() != 2 {
			t.Errorf("the task made due by hand ran %d times in all", runs.Load())
		}
	})
}

// TestSchedulerStopGivesBackTheLease: an instance stopping (SIGTERM) in
// the middle of a task gives its lease back with the task still due, so
// that another instance runs it at its next tick instead of after the
// lease; the stopped run is not counted.
func TestSchedulerStopGivesBackTheLease(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		now := time.Date(2026, 12, 5, 10, 0, 0, 0, jp.JST)
		clock := func() time.Time { return now }
		started := make(chan struct{})
		var finished atomic.Int32
		stopping := jobs.NewScheduler(db, clock, nil)
		stopping.Add(jobs.Schedule{Name: "test.long", Label: "長い処理", Every: time.Minute, Run: func(ctx context.Context) (string, error) {
			close(started)
			<-ctx.Done()
			return "", ctx.Err()
		}})
		other := jobs.NewScheduler(db, clock, nil)
		other.Add(jobs.Schedule{Name: "test.long", Label: "長い処理", Every: time.Minute, Run: func(context.Context) (string, error) {
			finished.Add(1)
			return "済み", nil
		}})
		if err := stopping.RunSoon(context.Background(), "test.long"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := stopping.Tick(ctx); done <- err }()
		<-started
		if n, err := other.Tick(context.Background()); err != nil || n != 0 {
			t.Fatalf("the other instance ran a leased task: %d %v", n, err)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("stopped tick: %v", err)
		}
		if n, err := other.Tick(context.Background()); err != nil || n != 1 || finished.Load() != 1 {
			t.Fatalf("after the stop, the other instance ran %d (%v)", n, err)
		}
		st, err := other.States(context.Background())
		if err != nil || len(st) != 1 || st[0].Runs != 1 || st[0].LastStatus != "ok" {
			t.Fatalf("states: %+v %v", st, err)
		}
	})
}

// TestRunnerStop: a stopping server lets a short job finish and cancels
// a long one after the grace, which is recorded as interrupted (to be
// started again), not left running.
func TestRunnerStop(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		r := jobs.New(context.Background(), db, nil, nil)
		short, err := r.Start(ctx, "test", "/", 1, func(context.Context, func(int, int, string)) (string, error) {
			time.Sleep(20 * time.Millisecond)
			return "済み", nil
		})
		if err != nil {
			t.Fatal(err)
		}
		long, err := r.Start(ctx, "test", "/", 1, func(ctx context.Context, _ func(int, int, string)) (string, error) {
			<-ctx.Done()
			return "", ctx.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		r.Stop(200 * time.Millisecond)
		if j, err := r.Get(ctx, short); err != nil || j.Status != jobs.Done {
			t.Errorf("the short job: %+v %v", j, err)
		}
		if j, err := r.Get(ctx, long); err != nil || j.Status != jobs.Failed || j.Message != "中断されました" {
			t.Errorf("the long job: %+v %v", j, err)
		}
	})
}
