package catalog_test

import (
	"context"
	"testing"
	"time"

	"mamori/internal/catalog"
	"mamori/internal/catalog/catalogtest"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/module"
	"mamori/internal/org"
)

// TestDeliverablesOfTheYear: the year's deliverables are the checklist
// templates whose version is that year, in the programme's order, each
// built as the printed checklist; a version copied to the next year
// belongs to that year alone.
func TestDeliverablesOfTheYear(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		cloud, log := catalogtest.Shipped(t, db, "cloud")
		now := func() time.Time { return time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC) }
		if _, err := catalog.CopyTemplate(ctx, db, log, cloud.ID, 2027, now()); err != nil {
			t.Fatal(err)
		}
		m := catalog.NewModule(module.Deps{DB: db, Log: log, Now: now, Org: org.NewReader(db, now)})
		ds, err := m.Deliverables(ctx, 2026)
		if err != nil || len(ds) != 7 {
			t.Fatalf("2026: %d deliverables, %v", len(ds), err)
		}
		if ds[0].Title != "内部監査チェックリスト" || ds[len(ds)-1].Title != "自己点検票" {
			t.Errorf("2026 order: first %q, last %q", ds[0].Title, ds[len(ds)-1].Title)
		}
		doc, err := ds[0].Build(ctx)
		if err != nil || doc.Meta.Title != ds[0].Title || doc.Meta.FiscalYear != 2026 || len(doc.Sections) == 0 {
			t.Fatalf("build: %+v %v", doc.Meta, err)
		}
		next, err := m.Deliverables(ctx, 2027)
		if err != nil || len(next) != 1 || next[0].Title != cloud.Title {
			t.Fatalf("2027: %+v %v", next, err)
		}
		if none, err := m.Deliverables(ctx, 2031); err != nil || len(none) != 0 {
			t.Fatalf("2031: %+v %v", none, err)
		}
	})
}
