package catalog_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
)

// TestItemsAddedTogether: items added to one template at the same moment
// (concurrent transactions on PostgreSQL) each get their own place in the
// order: no two share a number and none is left out of the renumbering.
func TestItemsAddedTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		log, _ := loadMapped(t, db)
		tid := templateID(t, db)
		before, _ := itemIDs(t, db, tid)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				it := validItem()
				it.Code = fmt.Sprintf("IN-9-%02d", i)
				_, errs[i] = catalog.CreateItem(ctx, db, log, tid, it, 1, time.Now())
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("add %d: %v", i, err)
			}
		}
		var items, orders, top int
		if err := db.QueryRow(ctx, "SELECT COUNT(*), COUNT(DISTINCT sort_order), MAX(sort_order) FROM checklist_items WHERE template_id = ?", tid).
			Scan(&items, &orders, &top); err != nil {
			t.Fatal(err)
		}
		if want := len(before) + n; items != want || orders != want || top != want {
			t.Errorf("%d items with %d distinct places up to %d, want 1..%d", items, orders, top, want)
		}
	})
}
