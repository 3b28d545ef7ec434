package incident

import (
	"errors"
	"fmt"
	"mamori/internal/testkit"
	"slices"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/blob"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/module"
	"mamori/internal/org"
)

// Requests in flight together: on PostgreSQL (READ COMMITTED, many
// connections) their transactions interleave, which SQLite's single
// writer hides. Each test starts n at once and checks nothing was lost.

const inFlight = 10

// raceStore is a store on a fresh database with one department.
func raceStore(t *testing.T, db *database.DB) (*Store, int64) {
	t.Helper()
	now := func() time.Time { return time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC) }
	dept, err := db.InsertID(t.Context(), "INSERT INTO departments (code, name, level, sort_order, active, created_at, updated_at) VALUES ('R1', '競合課', '課', 1, TRUE, 'x', 'x')")
	if err != nil {
		t.Fatal(err)
	}
	s := NewStore(module.Deps{DB: db, Log: auditlog.New(db, now), Org: org.NewReader(db, now), Blobs: blob.New(db, t.TempDir(), "", now), Now: now})
	return s, dept
}

func raceInput(title string) Input {
	return Input{Title: title, Category: "誤送付", Severity: 2, State: "received", Aware: "2026-12-01 09:00", Persons: "1"}
}

// TestCreateInFlightTogether: incidents registered at once (directly and
// by triaging staff reports) each get their own code; none fails because
// another took the same number meanwhile.
func TestCreateInFlightTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		s, _ := raceStore(t, db)
		reports := make([]int64, inFlight)
		for k := range reports {
			r, err := s.Submit(ctx, 0, "職員", 0, ReportInput{What: fmt.Sprintf("報告 %d", k)})
			if err != nil {
				t.Fatal(err)
			}
			reports[k] = r.ID
		}
		errs := testkit.Together(2*inFlight, func(k int) error {
			if k%2 == 0 {
				_, err := s.Create(ctx, raceInput(fmt.Sprintf("誤送付 %d", k)), "担当")
				return err
			}
			_, err := s.Triage(ctx, reports[k/2], "create", 0, raceInput(fmt.Sprintf("報告から %d", k)), "", "担当")
			return err
		})
		for k, err := range errs {
			if err != nil {
				t.Errorf("registration %d: %v", k, err)
			}
		}
		is, err := s.List(ctx, 2026)
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, i := range is {
			codes = append(codes, i.Code)
		}
		slices.Sort(codes)
		if len(codes) != 2*inFlight || codes[0] != "2026-IN-001" || codes[len(codes)-1] != fmt.Sprintf("2026-IN-%03d", 2*inFlight) {
			t.Errorf("codes: %v", codes)
		}
	})
}

// TestReopenInFlightTogether: a closed incident reopened from several
// screens at once is reopened (and audited) once; the others are told it
// is no longer closed.
func TestReopenInFlightTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		s, _ := raceStore(t, db)
		i, err := s.Create(ctx, raceInput("誤送付"), "担当")
		if err != nil {
			t.Fatal(err)
		}
		in := raceInput("誤送付")
		in.State, in.Closed, in.Rev = "closed", "2026-12-02 17:00", i.Rev
		if err := s.Update(ctx, i.ID, in, "担当"); err != nil {
			t.Fatal(err)
		}
		errs := testkit.Together(inFlight, func(k int) error { return s.Reopen(ctx, i.ID, fmt.Sprintf("理由 %d", k), "担当") })
		ok := 0
		for _, err := range errs {
			var fe FieldErrors
			switch {
			case err == nil:
				ok++
			case !errors.As(err, &fe):
				t.Errorf("reopen: %v", err)
			}
		}
		var audited int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'incident.reopen'").Scan(&audited); err != nil {
			t.Fatal(err)
		}
		after, err := s.Get(ctx, i.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ok != 1 || audited != 1 || after.Rev != i.Rev+2 || after.State != "effect" {
			t.Errorf("reopened %d times, audited %d, rev %d → %d, state %s", ok, audited, i.Rev, after.Rev, after.State)
		}
	})
}

// TestMeasuresInFlightTogether: measures added to one incident at once
// are all kept, numbered 1…n.
func TestMeasuresInFlightTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		s, dept := raceStore(t, db)
		i, err := s.Create(ctx, raceInput("誤送付"), "担当")
		if err != nil {
			t.Fatal(err)
		}
		errs := testkit.Together(inFlight, func(k int) error {
			return s.AddMeasure(ctx, i, MeasureInput{Title: fmt.Sprintf("対策 %d", k), Due: "2027-03-31", Owner: dept}, "担当")
		})
		for k, err := range errs {
			if err != nil {
				t.Errorf("measure %d: %v", k, err)
			}
		}
		ms, err := s.Measures(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		for k, m := range ms {
			if m.Seq != k+1 || m.Action == nil {
				t.Errorf("measure %d: seq %d, register action %v", k, m.Seq, m.Action)
			}
		}
		if len(ms) != inFlight {
			t.Errorf("%d measures kept, want %d", len(ms), inFlight)
		}
	})
}

// TestEvidenceInFlightTogether: the first files of an incident stored at
// once share one key and all decrypt; key destruction in flight with a
// first file leaves no live key behind.
func TestEvidenceInFlightTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		s, _ := raceStore(t, db)
		i, err := s.Create(ctx, raceInput("誤送付"), "担当")
		if err != nil {
			t.Fatal(err)
		}
		errs := testkit.Together(inFlight, func(k int) error {
			_, err := s.AddEvidence(ctx, i, 0, "file", fmt.Sprintf("f%d.txt", k), "text/plain", []byte(fmt.Sprintf("証拠 %d", k)), "", "担当", 0)
			return err
		})
		for k, err := range errs {
			if err != nil {
				t.Errorf("evidence %d: %v", k, err)
			}
		}
		ev, err := s.EvidenceList(ctx, i.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ev) != inFlight {
			t.Errorf("%d files kept, want %d", len(ev), inFlight)
		}
		for _, e := range ev {
			if _, _, err := s.EvidenceFile(ctx, i.ID, e.ID); err != nil {
				t.Errorf("%s: %v", e.Filename, err)
			}
		}

		// Destruction racing the first file of each of several incidents.
		m := &Module{store: s, d: module.Deps{DB: db, Log: s.log}}
		var ids []int64
		for k := range inFlight {
			x, err := s.Create(ctx, raceInput(fmt.Sprintf("紛失 %d", k)), "担当")
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, x.ID)
		}
		errs = testkit.Together(2*inFlight, func(k int) error {
			x := Incident{ID: ids[k/2], Code: "x"}
			if k%2 == 0 {
				_, err := s.AddEvidence(ctx, x, 0, "file", "f.txt", "text/plain", []byte("証拠"), "", "担当", 0)
				if errors.Is(err, ErrKeyDestroyed) {
					return nil
				}
				return err
			}
			return m.DestroyKeys(ctx, []string{fmt.Sprintf("incident:%d", x.ID)})
		})
		for k, err := range errs {
			if err != nil {
				t.Errorf("%d: %v", k, err)
			}
		}
		for _, id := range ids {
			if n, err := m.Readable(ctx, fmt.Sprintf("incident:%d", id)); err != nil || n != 0 {
				t.Errorf("incident %d: %d files still readable after the key was destroyed (%v)", id, n, err)
			}
		}
	})
}
