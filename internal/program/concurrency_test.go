package program

import (
	"errors"
	"fmt"
	"mamori/internal/testkit"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/module"
)

// Requests in flight together: on PostgreSQL (READ COMMITTED, many
// connections) their transactions interleave, which SQLite's single
// writer hides. Each test starts several at once and checks nothing was
// lost or doubled.

const (
	inFlight = 10
	raceYear = 2026
)

// raceStore is a store on a fresh database with n tasks in raceYear.
func raceStore(t *testing.T, db *database.DB, n int) (*Store, []Task) {
	t.Helper()
	now := func() time.Time { return time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC) }
	s := NewStore(module.Deps{DB: db, Log: auditlog.New(db, now), Now: now})
	for k := range n {
		if _, err := s.Create(t.Context(), raceYear, TaskInput{Title: fmt.Sprint("作業 ", k), Workstream: 1, Start: "2026-05-01", End: "2026-06-30"}, "担当"); err != nil {
			t.Fatal(err)
		}
	}
	ts, err := s.Tasks(t.Context(), raceYear)
	if err != nil || len(ts) != n {
		t.Fatalf("%d tasks, %v", len(ts), err)
	}
	return s, ts
}

// TestRegistersSavedTogether: a deliverable's state and the next-year
// proposals saved by several people at once are all accepted (the last
// one stays), none fails with an SQL error.
func TestRegistersSavedTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		s, _ := raceStore(t, db, 0)
		for k, err := range testkit.Together(2*inFlight, func(k int) error {
			if k%2 == 0 {
				return s.SetDelivState(ctx, raceYear, "policy", "plan", DelivDelivered, fmt.Sprint("第", k, "版"), "2026-10-01", "", "担当")
			}
			return s.SaveProposals(ctx, raceYear, map[int]string{1: fmt.Sprint("提案 ", k), 2: "共通"}, "担当")
		}) {
			if err != nil {
				t.Errorf("save %d: %v", k, err)
			}
		}
		var n int
		if err := db.QueryRow(ctx, "SELECT (SELECT COUNT(*) FROM program_deliverables) + (SELECT COUNT(*) FROM program_proposals)").Scan(&n); err != nil || n != 3 {
			t.Errorf("%d rows, want 3 (%v)", n, err)
		}
	})
}

// TestDepsSetTogether: predecessors set at once on a ring of tasks (each
// after the next) close no circle: at least one change is refused.
func TestDepsSetTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		s, ts := raceStore(t, db, inFlight)
		refused := 0
		for k, err := range testkit.Together(inFlight, func(k int) error {
			return s.SetDeps(ctx, ts[k], []int64{ts[(k+1)%inFlight].ID}, "担当")
		}) {
			var fe FieldErrors
			switch {
			case errors.As(err, &fe):
				refused++
			case err != nil:
				t.Errorf("task %d: %v", k, err)
			}
		}
		deps, err := s.DepsOf(ctx, raceYear)
		if err != nil {
			t.Fatal(err)
		}
		if refused == 0 {
			t.Error("no change was refused")
		}
		if c := cycleFrom(ts[0].ID, deps); c != nil {
			t.Errorf("the stored dependencies are circular: %v", c)
		}
	})
}

// TestCopyToNextYearTogether: the schedule copied to next year by several
// people at once is copied once.
func TestCopyToNextYearTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		s, ts := raceStore(t, db, 3)
		done := 0
		for k, err := range testkit.Together(inFlight, func(int) error {
			_, err := s.CopyToNextYear(ctx, raceYear, "担当")
			return err
		}) {
			var fe FieldErrors
			switch {
			case err == nil:
				done++
			case !errors.As(err, &fe):
				t.Errorf("copy %d: %v", k, err)
			}
		}
		next, err := s.Tasks(ctx, raceYear+1)
		if err != nil {
			t.Fatal(err)
		}
		if done != 1 || len(next) != len(ts) {
			t.Errorf("%d copies succeeded, next year has %d tasks; want 1 and %d", done, len(next), len(ts))
		}
	})
}
