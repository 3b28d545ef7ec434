package catalog_test

import (
	"context"
	"testing"
	"testing/fstest"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
)

var small = fstest.MapFS{
	"frameworks/f.yaml": {Data: []byte("code: f\ntitle: 枠組み\nversion: v1\nclauses:\n  - number: \"1\"\n    title: 一\n    children:\n      - {number: \"1.1\", title: 一の一}\n")},
	"checklists/a.yaml": {Data: []byte(`kind: internal
title: 内部監査チェックリスト
version: 2026
items:
  - code: IN-1.1-01
    clauses: [f:1.1]
    question: 一の一を守っているか。
    criteria: {conform: 守っている, partial: 一部, nonconform: 守っていない}
    techniques: [interview, document]
    priority: required
    site_inspection: true
`)},
}

func TestImportTwiceAndFrozen(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		c, err := catalog.Load(small)
		if err != nil {
			t.Fatal(err)
		}
		log := auditlog.New(db, nil)
		res, err := catalog.Import(ctx, db, log, c, time.Now())
		if err != nil || res.Frameworks != 1 || res.Clauses != 2 || res.Items != 1 {
			t.Fatalf("first import: %+v %v", res, err)
		}
		res, err = catalog.Import(ctx, db, log, c, time.Now())
		if err != nil || res.SkippedFrameworks != 1 || res.Items != 1 {
			t.Fatalf("second import: %+v %v", res, err)
		}
		var n int
		_ = db.QueryRow(ctx, "SELECT COUNT(*) FROM checklist_item_clauses").Scan(&n)
		if n != 1 {
			t.Fatalf("%d item-clause links", n)
		}
		if _, err := db.Exec(ctx, "UPDATE checklist_templates SET frozen = TRUE"); err != nil {
			t.Fatal(err)
		}
		res, err = catalog.Import(ctx, db, log, c, time.Now())
		if err != nil || res.SkippedFrozenTemplates != 1 || res.Items != 0 {
			t.Fatalf("frozen import: %+v %v", res, err)
		}
	})
}
