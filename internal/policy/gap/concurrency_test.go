package gap

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
)

// TestRowsEditedTogether: a bulk status change made while rows are being
// edited (concurrent transactions on PostgreSQL) keeps every edit: the
// bulk change writes each row back whole and must not write the old
// text of a row edited meanwhile.
func TestRowsEditedTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		log := auditlog.New(db, nil)
		ids := loadFixture(t, db, log)
		table := newTable(t, db, log, ids, true)
		s := NewStore(db, log)
		rows, err := s.Rows(ctx, table, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var guide []Row
		var rowIDs []int64
		for _, r := range rows {
			if r.Kind != KindWard {
				guide = append(guide, r)
				rowIDs = append(rowIDs, r.ID)
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, 2*len(guide))
		for i, r := range guide {
			wg.Go(func() {
				e := EditOf(r)
				e.Status, e.Issue = StatusPartial, fmt.Sprintf("課題%d", i)
				_, errs[2*i] = s.UpdateRow(ctx, r.ID, e, 0, now)
			})
			wg.Go(func() { _, errs[2*i+1] = s.BulkStatus(ctx, table, rowIDs, StatusPartial, 0, now) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("edit %d: %v", i, err)
			}
		}
		for i, r := range guide {
			got, err := s.Row(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("課題%d", i); got.Issue != want || got.Status != StatusPartial {
				t.Errorf("row %s: issue %q status %q, want %q %q", r.Clause(), got.Issue, got.Status, want, StatusPartial)
			}
		}
	})
}
