package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mamori/internal/testkit"
	"strings"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/module"
	"mamori/internal/scan/parse"
)

// Requests in flight together: on PostgreSQL (READ COMMITTED, many
// connections) their transactions interleave, which SQLite's single
// writer hides. Each test starts several at once and checks nothing was
// lost or doubled.

const inFlight = 8

// raceStore is a store on a fresh database with one system audit.
func raceStore(t *testing.T, db *database.DB) (*Store, module.AuditEngagement) {
	t.Helper()
	now := func() time.Time { return time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC) }
	id, err := db.InsertID(t.Context(), "INSERT INTO audit_engagements (code, fiscal_year, kind, title, created_at, updated_at) VALUES ('R8-SA-99', 2026, 'system', '競合の監査', 'x', 'x')")
	if err != nil {
		t.Fatal(err)
	}
	return NewStore(module.Deps{DB: db, Log: auditlog.New(db, now), Now: now}), module.AuditEngagement{ID: id, Code: "R8-SA-99"}
}

// raceCSV is a CSV scanner file of n findings (titles from first on).
func raceCSV(first, n int) ImportInput {
	var b strings.Builder
	b.WriteString("タイトル,重大度,CVSS,CVE,CWE,ホスト,ポート,プロトコル,URL,コンポーネント,バージョン,修正バージョン,説明,対策,区分\n")
	for k := first; k < first+n; k++ {
		fmt.Fprintf(&b, "検出 %d,高,,,,192.0.2.%d,443,tcp,,,,,説明,対策,通信制御\n", k, k%250+1)
	}
	data := b.String()
	return ImportInput{Format: parse.CSV, Filename: "race.csv", Size: int64(len(data)), Open: func() (io.Reader, error) { return strings.NewReader(data), nil }}
}

func (s *Store) raceFindings(t *testing.T, e module.AuditEngagement) []Stored {
	t.Helper()
	p, err := s.PlanOf(t.Context(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := s.Findings(t.Context(), p.ID, Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// TestScanImportsInFlightTogether: the same file imported several times
// at once, into an audit without a plan yet and then into its plan: every
// import is kept, each finding once.
func TestScanImportsInFlightTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s, e := raceStore(t, db)
		// First without a plan, then into the plan the first imports made
		// (new findings again).
		for round := range 2 {
			for k, err := range testkit.Together(inFlight, func(int) error {
				_, err := s.ApplyImport(t.Context(), e, raceCSV(round*100, 20), "担当")
				return err
			}) {
				if err != nil {
					t.Errorf("round %d, import %d: %v", round, k, err)
				}
			}
			if n := len(s.raceFindings(t, e)); n != 20*(round+1) {
				t.Errorf("round %d: %d findings, want %d", round, n, 20*(round+1))
			}
		}
	})
}

// TestScanGoneAndAcceptedTogether: a re-import that no longer sees the
// findings, while people accept some of them: an acceptance that was
// saved is not turned into 対応済 by the import.
func TestScanGoneAndAcceptedTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		s, e := raceStore(t, db)
		for round := range 4 {
			if _, err := s.ApplyImport(ctx, e, raceCSV(round*100, 40), "担当"); err != nil {
				t.Fatal(err)
			}
			var open []Stored
			for _, f := range s.raceFindings(t, e) {
				if f.Status == StatusOpen {
					open = append(open, f)
				}
			}
			saved := make([]bool, len(open))
			errs := testkit.Together(len(open)+1, func(k int) error {
				if k == len(open) {
					_, err := s.ApplyImport(ctx, e, raceCSV(round*100+50, 1), "担当")
					return err
				}
				err := s.UpdateFinding(ctx, e, open[k], UpdateInput{Status: StatusAccepted, Note: "受容", AcceptUntil: "2027-03-31", Rev: open[k].Rev}, "担当")
				saved[k] = err == nil
				if errors.Is(err, ErrStale) {
					return nil
				}
				return err
			})
			for k, err := range errs {
				if err != nil {
					t.Errorf("round %d, call %d: %v", round, k, err)
				}
			}
			now := map[int64]string{}
			for _, f := range s.raceFindings(t, e) {
				now[f.ID] = f.Status
			}
			for k, f := range open {
				if saved[k] && now[f.ID] != StatusAccepted {
					t.Errorf("round %d: 「%s」 was accepted but is now %s", round, f.Title, now[f.ID])
				}
			}
		}
	})
}

// TestScanPlanSavedTogether: the same plan form sent several times at
// once is saved once; the others are told someone came first.
func TestScanPlanSavedTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		s, e := raceStore(t, db)
		in := PlanInput{Targets: "192.0.2.10", Rate: "2", Profile: "recommended"}
		if err := s.SavePlan(ctx, e, in, "担当"); err != nil {
			t.Fatal(err)
		}
		p, err := s.PlanOf(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		saved := 0
		for k, err := range testkit.Together(inFlight, func(k int) error {
			x := in
			x.Rev, x.Notes = p.Rev, fmt.Sprint("備考 ", k)
			return s.SavePlan(ctx, e, x, "担当")
		}) {
			switch {
			case err == nil:
				saved++
			case !errors.Is(err, ErrStale):
				t.Errorf("save %d: %v", k, err)
			}
		}
		if saved != 1 {
			t.Errorf("%d saves of revision %d accepted, want 1", saved, p.Rev)
		}
	})
}

// TestScanProposedTogether: a finding proposed as an audit finding by
// several people at once becomes one audit finding.
func TestScanProposedTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		s, e := raceStore(t, db)
		if _, err := s.ApplyImport(ctx, e, raceCSV(0, 1), "担当"); err != nil {
			t.Fatal(err)
		}
		f := s.raceFindings(t, e)[0]
		marked := 0
		for k, err := range testkit.Together(inFlight, func(k int) error {
			return s.db.WithTx(ctx, func(ctx2 context.Context) error {
				return s.MarkProposed(ctx2, e, f, fmt.Sprint("指摘 ", k), "/audit/x", "担当")
			})
		}) {
			switch {
			case err == nil:
				marked++
			case !errors.Is(err, ErrStale):
				t.Errorf("proposal %d: %v", k, err)
			}
		}
		if marked != 1 {
			t.Errorf("%d proposals recorded, want 1", marked)
		}
	})
}
