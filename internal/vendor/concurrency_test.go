package vendor

import (
	"errors"
	"fmt"
	"mamori/internal/testkit"
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
// writer hides. Each test starts several at once and checks nothing was
// lost.

const inFlight = 10

func raceStore(t *testing.T, db *database.DB) (*Store, int64) {
	t.Helper()
	now := func() time.Time { return time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC) }
	dept, err := db.InsertID(t.Context(), "INSERT INTO departments (code, name, level, sort_order, active, created_at, updated_at) VALUES ('R1', '競合課', '課', 1, TRUE, 'x', 'x')")
	if err != nil {
		t.Fatal(err)
	}
	return NewStore(module.Deps{DB: db, Log: auditlog.New(db, now), Org: org.NewReader(db, now), Blobs: blob.New(db, t.TempDir(), "", now), Now: now}), dept
}

func raceInput(dept int64, k int) RequestInput {
	return RequestInput{DepartmentID: dept, Kind: "cloud", ServiceName: fmt.Sprintf("サービス %d", k), VendorName: "株式会社競合", DataClass: "機密性2"}
}

// raceRequest is a request whose questionnaire of n items is with the
// vendor, every item answered はい.
func raceRequest(t *testing.T, db *database.DB, s *Store, dept int64, k, n int) Request {
	t.Helper()
	ctx := t.Context()
	r, err := s.Create(ctx, raceInput(dept, k), "担当")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, "UPDATE vendor_requests SET state = 'answering' WHERE id = ?", r.ID); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := db.Exec(ctx, "INSERT INTO vendor_items (request_id, item_code, seq, question, answer) VALUES (?, ?, ?, ?, 'はい')",
			r.ID, fmt.Sprintf("Q-%02d", i), i+1, "質問"); err != nil {
			t.Fatal(err)
		}
	}
	r.State = StateAnswering
	return r
}

// TestVendorCreatesInFlightTogether: requests made at once each get their
// own code; none fails because another took the same number meanwhile.
func TestVendorCreatesInFlightTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s, dept := raceStore(t, db)
		codes := make([]string, inFlight)
		errs := testkit.Together(inFlight, func(k int) error {
			r, err := s.Create(t.Context(), raceInput(dept, k), "担当")
			codes[k] = r.Code
			return err
		})
		seen := map[string]bool{}
		for k, err := range errs {
			if err != nil {
				t.Errorf("request %d: %v", k, err)
			} else if seen[codes[k]] {
				t.Errorf("code %s given twice", codes[k])
			}
			seen[codes[k]] = true
		}
	})
}

// TestVendorAnswersAndSubmitInFlightTogether: answers saved while the
// vendor submits either make it into the submission or are refused; none
// changes the questionnaire under review behind the submission's back.
func TestVendorAnswersAndSubmitInFlightTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		s, dept := raceStore(t, db)
		for round := range 3 {
			r := raceRequest(t, db, s, dept, round, inFlight)
			errs := testkit.Together(inFlight+1, func(k int) error {
				if k == inFlight/2 {
					return s.Submit(ctx, r, "web")
				}
				_, err := s.SaveAnswers(ctx, r, map[string]AnswerInput{fmt.Sprintf("Q-%02d", k%inFlight): {Answer: "いいえ", Note: fmt.Sprint("保存 ", k)}}, "web")
				return err
			})
			for k, err := range errs {
				if err != nil && !errors.Is(err, ErrLocked) {
					t.Errorf("round %d, call %d: %v", round, k, err)
				}
			}
			subs, err := s.Submissions(ctx, r.ID)
			if err != nil || len(subs) != 1 {
				t.Fatalf("round %d: %d submissions, %v", round, len(subs), err)
			}
			items, err := s.Items(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range items {
				if got := subs[0].Answers[i.Code]; got.Answer != i.Answer || got.Note != i.Note {
					t.Errorf("round %d: %s is %s「%s」 but was submitted as %s「%s」", round, i.Code, i.Answer, i.Note, got.Answer, got.Note)
				}
			}
		}
	})
}

// TestVendorLinksIssuedTogether: links issued at once leave one live link.
func TestVendorLinksIssuedTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		s, dept := raceStore(t, db)
		r := raceRequest(t, db, s, dept, 0, 1)
		for k, err := range testkit.Together(inFlight, func(int) error {
			_, _, err := s.IssueLink(ctx, r, 7, "担当")
			return err
		}) {
			if err != nil {
				t.Errorf("link %d: %v", k, err)
			}
		}
		var live int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM vendor_links WHERE request_id = ? AND revoked_at = ''", r.ID).Scan(&live); err != nil {
			t.Fatal(err)
		}
		if live != 1 {
			t.Errorf("%d live links, want 1", live)
		}
	})
}
