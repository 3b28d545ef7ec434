package policy

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/auth"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/docgen/docx"
	"mamori/internal/docgen/pdf"
	"mamori/internal/docgen/xlsx"
	"mamori/internal/org"
)

func TestCreateDemo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		log := auditlog.New(db, nil)
		s := NewStore(db, log, func() time.Time { return fixedNow })
		dept := demoDept(t, db, log, "情報政策課")
		if err := CreateDemo(ctx, s); err != nil {
			t.Fatal(err)
		}
		docs, err := s.Documents(ctx)
		if err != nil || len(docs) != 4 {
			t.Fatalf("documents: %+v %v", docs, err)
		}
		want := []struct {
			kind      Kind
			title     string
			source    string
			effective string
			decided   string
			decidedBy string
			articles  int
		}{
			{KindBasic, "ひので区情報セキュリティ基本方針", "content/policy/hinode-kihon-houshin.md", "2024-04-01", "2024-03-22", "ひので区情報セキュリティ委員会決定", 10},
			{KindStandard, "ひので区情報セキュリティ対策基準", "content/policy/hinode-taisaku-kijun.md", "2024-04-01", "2024-03-22", "ひので区情報セキュリティ委員会決定", 51},
			{KindProcedure, "ひので区電磁的記録媒体取扱手順", "content/policy/hinode-tejun-usb.md", "2023-04-01", "2023-03-28", "情報政策課長決定", 12},
			{KindHandbook, "ひので区情報セキュリティインシデント対応ハンドブック", "content/policy/hinode-incident-handbook.md", "2023-04-01", "2023-03-24", "最高情報セキュリティ責任者決定", 34},
		}
		for i, w := range want {
			d := docs[i]
			if d.Kind != w.kind || d.Title != w.title {
				t.Fatalf("document %d: %s %s, want %s %s", i, d.Kind, d.Title, w.kind, w.title)
			}
			a := d.Adopted
			if a == nil || a.Status != StatusAdopted || a.SourceName != w.source || a.EffectiveDate.Format("2006-01-02") != w.effective ||
				a.DecidedDate.Format("2006-01-02") != w.decided || a.DecidedBy != w.decidedBy {
				t.Fatalf("%s: adopted %+v", d.Title, a)
			}
			tree, err := s.Tree(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(Units(tree)); n != w.articles {
				t.Fatalf("%s has %d articles, want %d", d.Title, n, w.articles)
			}
			if d.Kind != KindStandard && len(d.Drafts) != 0 {
				t.Fatalf("%s: unexpected drafts %+v", d.Title, d.Drafts)
			}
			if (d.Kind == KindProcedure) != (d.DepartmentID != 0) {
				t.Fatalf("%s: department %d %q", d.Title, d.DepartmentID, d.Department)
			}
		}
		if proc := docs[2]; proc.DepartmentID != dept || proc.Department != "情報政策課" {
			t.Fatalf("procedure department: %d %q, want %d 情報政策課", proc.DepartmentID, proc.Department, dept)
		}
		std := docs[1]
		if std.Kind != KindStandard || len(std.Drafts) != 1 {
			t.Fatalf("standard: %+v", std)
		}
		l, err := s.Load(ctx, std.Drafts[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(Units(l.Tree)); n != 52 {
			t.Fatalf("draft has %d articles, want 52", n)
		}
		cs, _ := s.Changes(ctx, l.Version.ID)
		var titles []string
		for _, c := range cs {
			titles = append(titles, c.Title())
		}
		wantTitles := "第25条（生成AIの利用）を新設 第29条（情報セキュリティインシデントの報告）を改正 第32条（バックアップ及び操作記録の管理）を改正 第45条（業務委託）を改正"
		if got := strings.Join(titles, " "); got != wantTitles {
			t.Fatalf("changes:\n got %s\nwant %s", got, wantTitles)
		}
		if len(cs[0].Renames) != 27 || cs[0].Renames[0] != (RenameView{Kind: "条", Old: "第25条", New: "第26条"}) {
			t.Fatalf("renames of the insertion: %d %+v", len(cs[0].Renames), cs[0].Renames[:1])
		}
		// In-document references follow the renumbering (第4条 refers to 第28条 → 第29条).
		for _, u := range Units(l.Tree) {
			if u.Node.Label == "第4条" && !strings.Contains(u.Plain(), "第29条の規定により報告") {
				t.Fatalf("reference not renumbered: %s", u.Plain())
			}
		}
		res, err := l.Compare(CompareOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Changed()) < 4 {
			t.Fatalf("%d changed rows", len(res.Changed()))
		}
		qs, _ := s.Questions(ctx, l.Version.ID)
		if len(qs) < 6 {
			t.Fatalf("%d quiz questions", len(qs))
		}
		// Every output renders.
		tb, err := l.TableDocument(CompareOptions{OmitSame: true, Remarks: true}, fixedNow)
		if err != nil {
			t.Fatal(err)
		}
		rl, err := l.RedlineDocument("支援事業者", fixedNow)
		if err != nil {
			t.Fatal(err)
		}
		br, err := l.BriefingDocument(cs, fixedNow)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := pdf.Render(&b, l.CleanDocument()); err != nil {
			t.Fatal(err)
		}
		if err := pdf.Render(&b, tb); err != nil {
			t.Fatal(err)
		}
		if err := docx.Render(&b, rl); err != nil {
			t.Fatal(err)
		}
		if err := xlsx.Render(&b, tb); err != nil {
			t.Fatal(err)
		}
		if err := pdf.Render(&b, br); err != nil {
			t.Fatal(err)
		}
	})
}

// demoDept adds the department the demo procedure belongs to, under its
// code in content/demo/departments.json, named name.
func demoDept(t *testing.T, db *database.DB, log *auditlog.Log, name string) int64 {
	t.Helper()
	o := org.New(db, log, org.Config{Argon: auth.ArgonParams{Memory: 8 * 1024, Time: 1, Threads: 1}}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	id, err := o.SaveDepartment(context.Background(), 0, org.DepartmentInput{Code: "0203", Name: name, Level: "課", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Made without organisation data (no departments at all), the demo leaves
// the procedure out; with departments whose 0203 is another department, it
// refuses rather than file the procedure under the wrong one.
func TestCreateDemoDepartment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := NewStore(db, auditlog.New(db, nil), func() time.Time { return fixedNow })
		if err := CreateDemo(ctx, s); err != nil {
			t.Fatal(err)
		}
		docs, err := s.Documents(ctx)
		if err != nil || len(docs) != 3 {
			t.Fatalf("documents: %+v %v", docs, err)
		}
		for _, d := range docs {
			if d.Kind == KindProcedure {
				t.Fatalf("procedure made without its department: %+v", d)
			}
		}
	})
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		log := auditlog.New(db, nil)
		s := NewStore(db, log, func() time.Time { return fixedNow })
		demoDept(t, db, log, "総務課")
		err := CreateDemo(context.Background(), s)
		if err == nil || !strings.Contains(err.Error(), "情報政策課") || !strings.Contains(err.Error(), "0203") {
			t.Fatalf("err = %v, want the department named", err)
		}
	})
}
