package drill

import (
	"errors"
	"fmt"
	"mamori/internal/testkit"
	"slices"
	"sync"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/module"
	"mamori/internal/org"
)

// Requests in flight together: on PostgreSQL (READ COMMITTED, many
// connections) their transactions interleave, which SQLite's single
// writer hides. Each test starts n at once and checks nothing was lost.

const inFlight = 12

// raceStore is a store on a fresh database with one department and a
// planned drill of it.
func raceStore(t *testing.T, db *database.DB) (*Store, Drill, int64) {
	t.Helper()
	now := func() time.Time { return time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC) }
	dept, err := db.InsertID(t.Context(), "INSERT INTO departments (code, name, level, sort_order, active, created_at, updated_at) VALUES ('R1', '競合課', '課', 1, TRUE, 'x', 'x')")
	if err != nil {
		t.Fatal(err)
	}
	s := NewStore(module.Deps{DB: db, Log: auditlog.New(db, now), Org: org.NewReader(db, now), Now: now})
	d, err := s.Create(t.Context(), raceDrill(dept, "訓練"), "統制役")
	if err != nil {
		t.Fatal(err)
	}
	return s, d, dept
}

func raceDrill(dept int64, title string) DrillInput {
	return DrillInput{Title: title, Scenario: "COUNTER-DOWN", Planned: "2026-12-05T10:30", Location: "会議室", DepartmentID: dept}
}

// warm runs read at once as often as the tests race, so that the pool
// has a connection ready for each request (on a cold pool, opening them
// staggers the requests and hides the race).
func warm(t *testing.T, read func() error) {
	t.Helper()
	for _, err := range testkit.Together(inFlight, func(int) error { return read() }) {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func audited(t *testing.T, db *database.DB, action string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(t.Context(), "SELECT COUNT(*) FROM audit_log WHERE action = ?", action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCreateInFlightTogether: drills planned at once each get their own
// code; none fails because another took the same number meanwhile.
func TestCreateInFlightTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s, _, dept := raceStore(t, db)
		warm(t, func() error { _, err := s.Scenario(t.Context(), "COUNTER-DOWN"); return err })
		errs := testkit.Together(inFlight, func(k int) error {
			_, err := s.Create(t.Context(), raceDrill(dept, fmt.Sprintf("訓練 %d", k)), "統制役")
			return err
		})
		for k, err := range errs {
			if err != nil {
				t.Errorf("drill %d: %v", k, err)
			}
		}
		var codes []string
		rows, err := db.Query(t.Context(), "SELECT code FROM drills")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			codes = append(codes, c)
		}
		slices.Sort(codes)
		if len(codes) != inFlight+1 || len(slices.Compact(slices.Clone(codes))) != len(codes) {
			t.Errorf("codes: %v", codes)
		}
	})
}

// TestImprovementsInFlightTogether: areas for improvement added to one
// drill at once are all kept, numbered 1…n.
func TestImprovementsInFlightTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s, d, dept := raceStore(t, db)
		if err := s.Start(t.Context(), d, "統制役"); err != nil {
			t.Fatal(err)
		}
		d, err := s.Get(t.Context(), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		warm(t, func() error { _, err := s.ScenarioOf(t.Context(), d); return err })
		errs := testkit.Together(inFlight, func(k int) error {
			return s.AddImprovement(t.Context(), d, ImprovementInput{Title: fmt.Sprintf("改善 %d", k), Observation: "観察", Recommendation: "提案",
				Due: "2027-03-31", OwnerID: dept}, "評価者")
		})
		for k, err := range errs {
			if err != nil {
				t.Errorf("improvement %d: %v", k, err)
			}
		}
		xs, err := s.Improvements(t.Context(), d)
		if err != nil {
			t.Fatal(err)
		}
		for k, x := range xs {
			if x.Seq != k+1 {
				t.Errorf("improvement %d: seq %d", k, x.Seq)
			}
		}
		if len(xs) != inFlight {
			t.Errorf("%d improvements kept, want %d", len(xs), inFlight)
		}
	})
}

// TestReleaseInFlightTogether: an inject sent now from several clicks at
// once is released and audited once.
func TestReleaseInFlightTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s, d, _ := raceStore(t, db)
		if err := s.Start(t.Context(), d, "統制役"); err != nil {
			t.Fatal(err)
		}
		d, err := s.Get(t.Context(), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Injects(t.Context(), d); err != nil { // the first inject's time has come: released here, not in the race
			t.Fatal(err)
		}
		warm(t, func() error { _, err := s.Injects(t.Context(), d); return err })
		var last int64
		if err := db.QueryRow(t.Context(), "SELECT MAX(id) FROM drill_injects WHERE drill_id = ?", d.ID).Scan(&last); err != nil {
			t.Fatal(err)
		}
		errs := testkit.Together(inFlight, func(k int) error {
			_, err := s.Release(t.Context(), d, last, "統制役")
			return err
		})
		for k, err := range errs {
			if err != nil {
				t.Errorf("release %d: %v", k, err)
			}
		}
		if n := audited(t, db, "drill.release"); n != 1 {
			t.Errorf("the inject was released (audited) %d times, want once", n)
		}
	})
}

// TestIssueLinksInFlightTogether: links issued for everyone without one
// from several clicks at once give each person one link, and every link
// handed out works.
func TestIssueLinksInFlightTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s, d, dept := raceStore(t, db)
		for _, p := range []ParticipantInput{{Name: "窓口 太郎", Role: "player", Team: "lead", DepartmentID: dept}, {Name: "評価 次郎", Role: "evaluator"},
			{Name: "観察 三郎", Role: "observer"}} {
			if _, err := s.AddParticipant(t.Context(), d, p); err != nil {
				t.Fatal(err)
			}
		}
		warm(t, func() error { _, err := s.Participants(t.Context(), d.ID); return err })
		var mu sync.Mutex
		var links []IssuedLink
		errs := testkit.Together(inFlight, func(k int) error {
			ls, err := s.IssueLinks(t.Context(), d, nil)
			mu.Lock()
			links = append(links, ls...)
			mu.Unlock()
			return err
		})
		for k, err := range errs {
			if err != nil {
				t.Errorf("issue %d: %v", k, err)
			}
		}
		if len(links) != 3 {
			t.Errorf("%d links handed out, want 3", len(links))
		}
		for _, l := range links {
			if _, _, err := s.ByToken(t.Context(), l.Token); err != nil {
				t.Errorf("the link handed out for %s does not work: %v", l.P.Name, err)
				if !errors.Is(err, ErrLink) {
					t.Fatal(err)
				}
			}
		}
	})
}
