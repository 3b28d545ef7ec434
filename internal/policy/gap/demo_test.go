package gap

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mamori/content"
	"mamori/internal/auditlog"
	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/docgen/pdf"
)

// TestDemoTable builds the demo table from the shipped catalogue (the
// 令和7年3月 guideline, its 令和5年3月 edition and ひので区's policy) and checks
// that the six deliberate gaps of content/policy/README.md are there and
// filled, that the outputs render and that the exported workbook imports
// back unchanged.
func TestDemoTable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		log := auditlog.New(db, nil)
		sub, err := fs.Sub(content.FS, "catalog")
		if err != nil {
			t.Fatal(err)
		}
		c, err := catalog.Load(sub)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := catalog.Import(ctx, db, log, c, now); err != nil {
			t.Fatal(err)
		}
		id, err := CreateDemo(ctx, db, log, now)
		if err != nil {
			t.Fatal(err)
		}
		s := NewStore(db, log)
		tb, err := s.Table(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.Rows(ctx, id, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		leaves := 0
		for _, f := range c.Frameworks {
			if f.Code == DemoGuideline && f.Version == DemoEdition {
				f.Walk(func(cl catalog.Clause, _ int) {
					if len(cl.Children) == 0 {
						leaves++
					}
				})
			}
		}
		guideRows := 0
		m := map[string]Row{}
		for _, r := range rows {
			if r.Kind == KindGuideline {
				guideRows++
				m[r.Number] = r
			}
			if r.Status == "" {
				t.Errorf("No.%d %s has no status in the demo", r.Seq, r.Clause())
			}
		}
		if guideRows != leaves || leaves < 50 {
			t.Fatalf("%d guideline rows for %d clauses", guideRows, leaves)
		}
		// The six gaps: where the ward's articles are, and what was decided.
		for _, g := range []struct{ number, article, decision string }{
			{"3.2", "第17条", DecisionPending}, {"8.1", "第44条", DecisionReflect}, {"8.2", "第45条", DecisionReflect},
			{"8.3", "第46条", DecisionReflect}, {"7.3", "第40条", DecisionReflect}, {"5.1", "第24条", DecisionPending}, {"5.3", "第28条", DecisionReflect},
		} {
			r := m[g.number]
			if !strings.Contains(r.Provisions, "対策基準"+g.article) || r.Status != StatusPartial || r.Decision != g.decision ||
				r.Difference == "" || r.Issue == "" || r.Planned == "" || r.DecisionDate == "" {
				t.Errorf("gap %s: %+v", g.number, r)
			}
		}
		if r := m["B5"]; !strings.Contains(r.Provisions, "基本方針第5条") {
			t.Errorf("B5 provisions %q", r.Provisions)
		}
		sum := Summarize(rows)
		if sum.Changed == 0 {
			t.Error("no clause flagged as changed between 令和5年3月 and 令和7年3月")
		}
		if len(sum.Chapters) < 10 {
			t.Errorf("%d chapters", len(sum.Chapters))
		}
		out := Output{Ward: "ひので区", Author: "情報政策課", Date: now}
		var x, p bytes.Buffer
		if err := RenderXLSX(&x, Document(tb, rows, out, true)); err != nil {
			t.Fatal(err)
		}
		if err := pdf.Render(&p, Document(tb, rows, out, false)); err != nil {
			t.Fatal(err)
		}
		if dir := os.Getenv("MAMORI_SHOTS"); dir != "" {
			_ = os.WriteFile(filepath.Join(dir, "gap-demo.xlsx"), x.Bytes(), 0o644)
			_ = os.WriteFile(filepath.Join(dir, "gap-demo.pdf"), p.Bytes(), 0o644)
		}
		res, err := s.Import(ctx, id, x.Bytes(), true, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Errors) > 0 || len(res.Changes) > 0 || res.Rows != len(rows) {
			t.Fatalf("re-import of the demo export: %d rows read, errors %v, changes %+v", res.Rows, res.Errors, res.Changes)
		}
	})
}
