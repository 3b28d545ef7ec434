package policy

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
)

// TestDraftChangedTogether: changes made to one draft at the same moment
// (concurrent transactions on PostgreSQL) all stay in its tree, each with
// its own number, and drafts of one document adopted at once leave one
// version in force.
func TestDraftChangedTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := NewStore(db, auditlog.New(db, nil), func() time.Time { return fixedNow })
		docID, _ := adoptSample(t, ctx, s)
		by := Author{Name: "試験"}
		vid, err := s.StartRevision(ctx, docID, "改正案", by)
		if err != nil {
			t.Fatal(err)
		}
		tree, _ := s.Tree(ctx, vid)
		after := unitPath(t, tree, "第1条")
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = s.Apply(ctx, vid, 0, Op{Kind: ChangeInsert, After: after, Text: fmt.Sprintf("第2条（追加%d）\n追加の規定%d。", i, i)},
					ChangeMeta{Reason: "同時の改正。"}, by)
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("change %d: %v", i, err)
			}
		}
		tree, _ = s.Tree(ctx, vid)
		if got := len(Units(tree)); got != 4+n {
			t.Errorf("%d articles after %d insertions, want %d: %v", got, n, 4+n, labels(tree))
		}
		if cs, _ := s.Changes(ctx, vid); len(cs) != n {
			t.Errorf("%d changes recorded, want %d", len(cs), n)
		}

		drafts := make([]int64, n)
		for i := range drafts {
			if drafts[i], err = s.StartRevision(ctx, docID, fmt.Sprintf("案%d", i), by); err != nil {
				t.Fatal(err)
			}
		}
		for i := range n {
			wg.Go(func() {
				errs[i] = s.Adopt(ctx, drafts[i], Adoption{EffectiveDate: fixedNow, DecidedBy: "委員会決定", DecidedDate: fixedNow})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("adopt %d: %v", i, err)
			}
		}
		var adopted int
		_ = db.QueryRow(ctx, "SELECT COUNT(*) FROM policy_versions WHERE document_id = ? AND status = 'adopted'", docID).Scan(&adopted)
		if adopted != 1 {
			t.Errorf("%d versions in force", adopted)
		}
	})
}
