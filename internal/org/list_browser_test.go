package org_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// TestRosterListsInTheBrowser is the organisation lists' journey (issue
// 10): 次のページ clicked twice shows page 3 (rows 101–150); a full name
// typed with a full-width space finds the person; the department tree opens
// a 課 with a click and its search marks the match; the auditee sees the
// count of their own departments. With MAMORI_SHOTS set it also saves the
// staff list and the tree of admin and auditee at 1366 and 768 px.
func TestRosterListsInTheBrowser(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	p := findTanaka(t, s)
	total := s.Count("SELECT COUNT(*) FROM staff WHERE active = TRUE")
	ctx := testkit.Browser(t)
	testkit.Login(t, ctx, s.URL, "admin", webtest.DemoPassword)

	onPage := func(n int) chromedp.Action[chromedp.Void] {
		return chromedp.WaitVisible(chromedp.Search(fmt.Sprintf(`//nav[@class="pager"]//strong[@aria-current="page"][text()="%d"]`, n)))
	}
	testkit.Step(t, ctx, "staff list", chromedp.Navigate(s.URL+"/staff"), chromedp.WaitVisible(chromedp.CSS(`a[rel="next"]`)))
	testkit.Step(t, ctx, "next page", chromedp.Click(chromedp.CSS(`a[rel="next"]`)), onPage(2))
	testkit.Step(t, ctx, "next page again", chromedp.Click(chromedp.CSS(`a[rel="next"]`)), onPage(3))
	if got := testkit.Text(t, ctx, ".list-count [role=status]"); !strings.Contains(got, fmt.Sprintf("%d 件中 101–150 件を表示", total)) {
		t.Fatalf("page 3 count: %q", got)
	}
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.HasSuffix(loc, "/staff?page=3") {
		t.Fatalf("page 3 address: %q %v", loc, err)
	}

	filtered := chromedp.Search(`//p[@role="status"][contains(., "絞り込み中")]`)
	name := p.name // 「田中　亮」: surname, full-width space, given name
	testkit.Step(t, ctx, "search a full name",
		chromedp.SendKeys(chromedp.CSS("#lf-q"), name),
		chromedp.Click(chromedp.CSS(`form[role="search"] button[type="submit"]`)),
		chromedp.WaitVisible(filtered))
	if got := testkit.Text(t, ctx, "table.staff-table"); !strings.Contains(got, p.no) || !strings.Contains(got, p.name) {
		t.Fatalf("search %q did not find %s %s:\n%s", name, p.no, p.name, got)
	}
	testkit.Step(t, ctx, "search without the space",
		chromedp.Navigate(s.URL+"/staff"), chromedp.WaitVisible(chromedp.CSS("#lf-q")),
		chromedp.SendKeys(chromedp.CSS("#lf-q"), strings.ReplaceAll(p.name, "\u3000", "")),
		chromedp.Click(chromedp.CSS(`form[role="search"] button[type="submit"]`)),
		chromedp.WaitVisible(filtered))
	if got := testkit.Text(t, ctx, "table.staff-table"); !strings.Contains(got, p.no) {
		t.Fatalf("search without the space did not find %s:\n%s", p.no, got)
	}

	// The tree: 課 start closed and open with a click on their summary.
	leafShown := func(shown bool) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => {
			const el = [...document.querySelectorAll(".tree-leaf")].find(e => e.textContent.includes("住民記録係"));
			return el !== undefined && el.checkVisibility() === %t; })()`, shown))
	}
	testkit.Step(t, ctx, "department tree", chromedp.Navigate(s.URL+"/admin/departments"), chromedp.WaitVisible(chromedp.CSS(".tree")))
	testkit.Step(t, ctx, "a 係 starts hidden", leafShown(false))
	testkit.Step(t, ctx, "open its 課", chromedp.Click(chromedp.Search(`//summary[contains(., "戸籍住民課")]`)), leafShown(true))
	testkit.Step(t, ctx, "department search",
		chromedp.SendKeys(chromedp.CSS("#dq"), "住民記録"),
		chromedp.Click(chromedp.CSS(`form[role="search"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".tree mark")))
	if got := testkit.Text(t, ctx, ".tree mark"); got != "住民記録係" {
		t.Fatalf("marked match: %q", got)
	}
	shots(t, ctx, s.URL, "admin")

	testkit.Step(t, ctx, "logout", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS("#login")))
	testkit.Login(t, ctx, s.URL, "auditee", webtest.DemoPassword)
	var own int64
	if err := s.DB.QueryRow(t.Context(), "SELECT department_id FROM users WHERE login = 'auditee'").Scan(&own); err != nil {
		t.Fatal(err)
	}
	tree, err := s.Org.Departments(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	testkit.Step(t, ctx, "auditee's departments", chromedp.Navigate(s.URL+"/admin/departments"), chromedp.WaitVisible(chromedp.CSS(".tree")))
	if got, want := testkit.Text(t, ctx, ".list-count [role=status]"), fmt.Sprintf("%d 所属", len(tree.Subtree(own))); !strings.HasPrefix(got, want) {
		t.Fatalf("auditee's department count %q, want %q", got, want)
	}
	shots(t, ctx, s.URL, "auditee")
}

// shots saves the staff list and the department tree at 1366 and 768 px
// when MAMORI_SHOTS names a folder.
func shots(t *testing.T, ctx context.Context, base, role string) {
	t.Helper()
	if os.Getenv("MAMORI_SHOTS") == "" {
		return
	}
	pages := []struct{ name, path string }{{"staff", "/staff"}, {"departments", "/admin/departments"}, {"staff-p3", "/staff?page=3&sort=kana"},
		{"departments-search", "/admin/departments?q=" + url.QueryEscape("住民")}}
	if role == "admin" {
		pages = append(pages, struct{ name, path string }{"users", "/admin/users"}, struct{ name, path string }{"years", "/admin/years"},
			struct{ name, path string }{"staff-bad", "/staff?department=abc&q=" + url.QueryEscape("田中　亮")})
	}
	for _, w := range []int64{1366, 768} {
		for _, pg := range pages {
			testkit.Step(t, ctx, pg.path, chromedp.EmulateViewport(w, 900), chromedp.Navigate(base+pg.path), chromedp.WaitVisible(chromedp.CSS("main h1")))
			testkit.Shot(t, ctx, fmt.Sprintf("org-%s-%s-%d", role, pg.name, w))
		}
	}
	testkit.Step(t, ctx, "reset viewport", chromedp.EmulateViewport(1280, 900))
}
