package policy

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/docgen/docx"
	"mamori/internal/docgen/pdf"
	"mamori/internal/docgen/xlsx"
)

func TestCreateDemo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := NewStore(db, auditlog.New(db, nil), func() time.Time { return fixedNow })
		if err := CreateDemo(ctx, s); err != nil {
			t.Fatal(err)
		}
		docs, err := s.Documents(ctx)
		if err != nil || len(docs) != 2 {
			t.Fatalf("documents: %+v %v", docs, err)
		}
		for _, d := range docs {
			if d.Adopted == nil || d.Adopted.EffectiveDate.Format("2006-01-02") != "2024-04-01" || d.Adopted.SourceName == "" {
				t.Fatalf("%s: adopted %+v", d.Title, d.Adopted)
			}
		}
		std := docs[1]
		if std.Kind != KindStandard || len(std.Drafts) != 1 {
			t.Fatalf("standard: %+v", std)
		}
		base, _ := s.Tree(ctx, std.Adopted.ID)
		if n := len(Units(base)); n != 51 {
			t.Fatalf("対策基準 has %d articles, want 51", n)
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
		want := "第25条（生成AIの利用）を新設 第29条（情報セキュリティインシデントの報告）を改正 第32条（バックアップ及び操作記録の管理）を改正 第45条（業務委託）を改正"
		if got := strings.Join(titles, " "); got != want {
			t.Fatalf("changes:\n got %s\nwant %s", got, want)
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
