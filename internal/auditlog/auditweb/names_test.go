package auditweb

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
)

// TestNameQueries: every target kind is named — by a look-up that runs
// on both databases' schema, by the organisation (departments), or by the
// target itself (年度, 製本, ログインID) — so a renamed column fails here
// and not on the audit log's page.
func TestNameQueries(t *testing.T) {
	fromTarget := map[string]bool{"fiscal_year": true, "binder": true, "login": true, "department": true, "survey_year": true, "learning_year": true, "drill_plan": true, "program_year": true}
	for _, k := range auditlog.TargetKinds {
		if auditlog.ModuleNamed[k.Key] != "" {
			continue // named by its module: internal/app's TestModuleNames
		}
		if _, ok := nameQueries[k.Key]; ok == fromTarget[k.Key] {
			t.Errorf("target kind %s: a name query %v, named from the target %v", k.Key, ok, fromTarget[k.Key])
		}
	}
	for kind := range nameQueries {
		if _, ok := auditlog.Kind(kind); !ok {
			t.Errorf("name query for %s, which is no target kind", kind)
		}
	}
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		for kind := range nameQueries {
			if _, err := lookup(ctx, db, nil, nil, kind, []int64{1, 2, 2}); err != nil {
				t.Errorf("%s: %v", kind, err)
			}
		}
		// A page of entries: one query per kind, a gone object by kind and number.
		es := []auditlog.Entry{{ID: 1, Action: "improve.edit", Target: "improvement_action:7"}, {ID: 2, Action: "login.failure", Login: "nobody", Target: "login:nobody"}}
		n := resolve(ctx, db, nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), es)
		if got := n.target(es[0]); got.Name != "改善措置 No.7" || got.Link != "" {
			t.Errorf("gone action shown as %+v", got)
		}
		if got := n.who(es[1]); got.Name != "nobody" || got.Link != "" {
			t.Errorf("unknown login shown as %+v", got)
		}
	})
}
