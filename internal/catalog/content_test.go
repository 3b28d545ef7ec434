package catalog_test

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"mamori/content"
	"mamori/internal/catalog"
)

func catalogFS(t *testing.T) fs.FS {
	t.Helper()
	sub, err := fs.Sub(content.FS, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// TestShippedContentIsValid loads the authored catalogue: every reference
// resolves, every value is allowed, codes are unique.
func TestShippedContentIsValid(t *testing.T) {
	c, err := catalog.Load(catalogFS(t))
	if err != nil {
		t.Fatalf("content problems:\n%v", err)
	}
	st := c.Stats()
	for _, ts := range st.Templates {
		t.Logf("%s %d: %d items, %d site inspection", ts.Kind, ts.Version, ts.Items, ts.SiteInspectionItems)
	}
	for _, fs := range st.Frameworks {
		t.Logf("%s %s: %d clauses, %d covered", fs.Code, fs.Version, fs.Clauses, fs.CoveredClauses)
	}
}

func TestLoadRefusesBadContent(t *testing.T) {
	fw := "code: f\ntitle: 枠組み\nversion: v1\nclauses:\n  - {number: \"1\", title: 一}\n  - {number: \"1\", title: 重複}\n"
	cl := `kind: internal
title: t
version: 2026
items:
  - code: X-1
    clauses: [f:9]
    question: 質問か。
    criteria: {conform: 良い, nonconform: 悪い}
    techniques: [telepathy]
    priority: required
  - code: X-1
    clauses: [f:1]
    question: 質問か。
    criteria: {conform: 良い, nonconform: 悪い}
    techniques: [interview]
    priority: someday
`
	_, err := catalog.Load(fstest.MapFS{
		"frameworks/f.yaml": {Data: []byte(fw)},
		"checklists/x.yaml": {Data: []byte(cl)},
	})
	if err == nil {
		t.Fatal("bad content accepted")
	}
	msg := err.Error()
	for _, want := range []string{"条項番号 1 が重複", "条項 f:9 は登録されていません", `技法 "telepathy"`, "5 行目の項目と重複", `重要度 "someday"`, "checklists/x.yaml 11行目"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if _, err := catalog.Load(fstest.MapFS{"frameworks/f.yaml": {Data: []byte("code: [")}}); err == nil || !strings.Contains(err.Error(), "YAML として読めません") {
		t.Fatalf("broken YAML: %v", err)
	}
	if _, err := catalog.Load(fstest.MapFS{"frameworks/f.yaml": {Data: []byte("code: f\ntitle: t\nversion: v\nunknown_field: 1\n")}}); err == nil {
		t.Fatal("unknown field accepted")
	}
}

// TestDiffOfShippedEditions compares the IPA lists of 2025 and 2026 as a
// reader would: AI risk is new, 不注意 dropped out, the rest moved.
func TestDiffOfShippedEditions(t *testing.T) {
	c, err := catalog.Load(catalogFS(t))
	if err != nil {
		t.Fatal(err)
	}
	var y25, y26 *catalog.Framework
	for _, f := range c.Frameworks {
		if f.Code == "ipa-top10" && f.Version == "2025" {
			y25 = f
		}
		if f.Code == "ipa-top10" && f.Version == "2026" {
			y26 = f
		}
	}
	if y25 == nil || y26 == nil {
		t.Skip("IPA editions not shipped")
	}
	kinds := map[catalog.ChangeKind]int{}
	for _, ch := range catalog.Diff(y25, y26) {
		kinds[ch.Kind]++
		if ch.Kind == catalog.Added && !strings.Contains(ch.NewTitle, "AI") {
			t.Errorf("unexpected addition: %s", ch)
		}
		if ch.Kind == catalog.Removed && !strings.Contains(ch.OldTitle, "不注意") {
			t.Errorf("unexpected removal: %s", ch)
		}
	}
	if kinds[catalog.Added] != 1 || kinds[catalog.Removed] != 1 || kinds[catalog.Renumbered] < 5 {
		t.Fatalf("changes %v", kinds)
	}
}
