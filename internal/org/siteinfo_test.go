package org_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/org"
	"mamori/internal/web"
)

// TestSiteInfoCached: the facts every page header shows are read once and
// kept; a change made behind the service's back shows after the TTL, a
// change made through it (ward name, demo flag, current 年度) at once.
func TestSiteInfoCached(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		var mu sync.Mutex
		at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		now := func() time.Time { mu.Lock(); defer mu.Unlock(); return at }
		advance := func(d time.Duration) { mu.Lock(); at = at.Add(d); mu.Unlock() }
		svc := org.New(db, auditlog.New(db, now), org.Config{Argon: cheap}, now, nil)
		if err := svc.SetSetting(ctx, "ward_name", "ひので区"); err != nil {
			t.Fatal(err)
		}
		if err := svc.AddFiscalYear(ctx, 2026, true, ""); err != nil {
			t.Fatal(err)
		}
		want := web.Site{WardName: "ひので区", FiscalYear: 2026}
		if got := svc.SiteInfo(ctx); got != want {
			t.Fatalf("first read: %+v, want %+v", got, want)
		}

		// Another instance renames the ward: this one keeps its copy for a while.
		if _, err := db.Exec(ctx, "UPDATE settings SET value = ? WHERE key = 'ward_name'", "あさひ区"); err != nil {
			t.Fatal(err)
		}
		advance(10 * time.Second)
		if got := svc.SiteInfo(ctx); got != want {
			t.Fatalf("within the TTL: %+v, want the cached %+v", got, want)
		}
		advance(25 * time.Second)
		want.WardName = "あさひ区"
		if got := svc.SiteInfo(ctx); got != want {
			t.Fatalf("after the TTL: %+v, want %+v", got, want)
		}

		// Changes through the service show on the next page.
		if err := svc.SetSetting(ctx, "ward_name", "みなと区"); err != nil {
			t.Fatal(err)
		}
		want.WardName = "みなと区"
		if got := svc.SiteInfo(ctx); got != want {
			t.Fatalf("after SetSetting: %+v, want %+v", got, want)
		}
		if err := svc.AddFiscalYear(ctx, 2027, true, ""); err != nil {
			t.Fatal(err)
		}
		want.FiscalYear = 2027
		if got := svc.SiteInfo(ctx); got != want {
			t.Fatalf("after AddFiscalYear(current): %+v, want %+v", got, want)
		}
		if err := svc.SetCurrentFiscalYear(ctx, 2026); err != nil {
			t.Fatal(err)
		}
		want.FiscalYear = 2026
		if got := svc.SiteInfo(ctx); got != want {
			t.Fatalf("after SetCurrentFiscalYear: %+v, want %+v", got, want)
		}
		if err := svc.SetSetting(ctx, "demo", "1"); err != nil {
			t.Fatal(err)
		}
		want.Demo = true
		if got := svc.SiteInfo(ctx); got != want {
			t.Fatalf("after the demo flag: %+v, want %+v", got, want)
		}

		// A clock set back (tests, a corrected host clock) reads again.
		if _, err := db.Exec(ctx, "UPDATE settings SET value = ? WHERE key = 'ward_name'", "ゆうひ区"); err != nil {
			t.Fatal(err)
		}
		advance(-time.Hour)
		want.WardName = "ゆうひ区"
		if got := svc.SiteInfo(ctx); got != want {
			t.Fatalf("clock set back: %+v, want %+v", got, want)
		}
	})
}
