package policy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/org"
	"mamori/internal/policy"
)

// TestDeliverablesOfTheYear: a revision belongs to the 年度 its draft was
// started in, by the date in Japan — a draft started on the evening of 31
// March is the old year's, one started just after midnight on 1 April (still
// 31 March in UTC) the new year's — and gives the year its 新旧対照表 and
// 見え消し版, each built with the deliverable's title.
func TestDeliverablesOfTheYear(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		at := func(tm time.Time) func() time.Time { return func() time.Time { return tm } }
		lastEvening := at(time.Date(2027, 3, 31, 23, 30, 0, 0, jp.JST))
		firstMorning := at(time.Date(2027, 4, 1, 0, 30, 0, 0, jp.JST))
		log := auditlog.New(db, lastEvening)
		if err := policy.CreateDemo(ctx, policy.NewStore(db, log, lastEvening)); err != nil {
			t.Fatal(err)
		}
		next := policy.NewStore(db, log, firstMorning)
		docs, err := next.Documents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := next.StartRevision(ctx, docs[0].ID, "令和9年度改正案", policy.Author{Name: "試験"}); err != nil {
			t.Fatal(err)
		}
		m := policy.NewModule(module.Deps{DB: db, Log: log, Now: firstMorning, Org: org.NewReader(db, firstMorning)})
		for _, tc := range []struct {
			fy    int
			title string
		}{{2026, "ひので区情報セキュリティ対策基準"}, {2027, docs[0].Title}} {
			ds, err := m.Deliverables(ctx, tc.fy)
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, d := range ds {
				titles = append(titles, d.Title)
				doc, err := d.Build(ctx)
				if err != nil {
					t.Fatalf("%s: %v", d.Title, err)
				}
				if doc.Meta.Title != d.Title || len(doc.Sections) == 0 || len(d.Formats) == 0 {
					t.Errorf("%s builds %q with %d sections in %v", d.Title, doc.Meta.Title, len(doc.Sections), d.Formats)
				}
			}
			want := []string{tc.title + "　新旧対照表", tc.title + "（見え消し版）"}
			if strings.Join(titles, "|") != strings.Join(want, "|") {
				t.Errorf("%d: deliverables %q, want %q", tc.fy, titles, want)
			}
			ps, err := m.Progress(ctx, tc.fy)
			if err != nil || len(ps) != 1 || ps[0].Completed || !strings.Contains(ps[0].Task, tc.title) {
				t.Errorf("%d: progress %+v %v", tc.fy, ps, err)
			}
		}
		if ds, err := m.Deliverables(ctx, 2028); err != nil || len(ds) != 0 {
			t.Errorf("2028: %v %v", ds, err)
		}
	})
}
