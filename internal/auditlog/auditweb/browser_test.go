package auditweb_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// TestBrowserAuditLog pages through the demo ward's audit log in headless
// Chromium as the administrator: the login just made is on page 1 as
// 「ログイン成功」 with the person's name; 「次のページ」 twice reaches page 3
// (the bug: the links were written page%3d2, so the page never changed),
// whose entries are other entries, named in Japanese. With MAMORI_SHOTS set
// it saves the list at 1366 and 768 px.
func TestBrowserAuditLog(t *testing.T) {
	testkit.NoRace(t)
	ctx := testkit.Browser(t)
	s := webtest.Start(t, webtest.Options{Demo: true})
	total := s.Count("SELECT COUNT(*) FROM audit_log") + 1 // and the browser's login
	if total <= 100 {
		t.Fatalf("the demo has %d audit entries; three pages need more than 100", total)
	}
	testkit.Login(t, ctx, s.URL, "admin", webtest.DemoPassword)
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		testkit.Step(t, ctx, what, actions...)
	}
	eval := func(js string) []string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	// arrive waits for the browser to reach a URL ending in suffix.
	arrive := func(suffix string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			for {
				loc, err := chromedp.Run(ctx, chromedp.Location())
				if err == nil && strings.HasSuffix(loc, suffix) {
					return chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("nav.pager strong[aria-current=page]")))
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("never reached …%s (at %s)", suffix, loc)
				case <-time.After(50 * time.Millisecond):
				}
			}
		})
	}
	const cells = `Array.from(document.querySelectorAll("table.auditlog-table tbody td.action")).map(e => e.textContent.trim())`
	const nums = `Array.from(document.querySelectorAll("table.auditlog-table tbody td.num")).map(e => e.textContent.trim())`
	rawCode := regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)+$`)

	step("audit log", chromedp.EmulateViewport(1366, 900), chromedp.Navigate(s.URL+"/admin/auditlog"), chromedp.WaitVisible(chromedp.CSS("table.auditlog-table")))
	first := testkit.Text(t, ctx, "table.auditlog-table tbody tr")
	if !strings.Contains(first, "ログイン成功") || !strings.Contains(first, "情報政策課 情報セキュリティ係") {
		t.Errorf("the newest entry is not the login, by name: %q", first)
	}
	if c := testkit.Text(t, ctx, ".list-count"); !strings.Contains(c, fmt.Sprintf("%d 件中 1–50 件を表示", total)) {
		t.Errorf("count on page 1: %q", c)
	}
	page1 := eval(nums)
	testkit.Shot(t, ctx, "auditlog-1366")
	step("768 px", chromedp.EmulateViewport(768, 900), chromedp.WaitVisible(chromedp.CSS("table.auditlog-table")))
	testkit.Shot(t, ctx, "auditlog-768")
	step("back to 1366 px", chromedp.EmulateViewport(1366, 900))

	step("next page", chromedp.Click(chromedp.CSS(`nav.pager a[rel=next]`)), arrive("/admin/auditlog?page=2"))
	step("next page again", chromedp.Click(chromedp.CSS(`nav.pager a[rel=next]`)), arrive("/admin/auditlog?page=3"))
	if cur := testkit.Text(t, ctx, "nav.pager strong[aria-current=page]"); cur != "3" {
		t.Errorf("the pager marks page %q, want 3", cur)
	}
	if c := testkit.Text(t, ctx, ".list-count"); !strings.Contains(c, fmt.Sprintf("%d 件中 101–%d 件を表示", total, min(150, total))) {
		t.Errorf("count on page 3: %q", c)
	}
	page3 := eval(nums)
	if len(page3) == 0 || len(page1) != 50 || page3[0] == page1[0] {
		t.Fatalf("page 3 lists %v after page 1's %d entries", page3, len(page1))
	}
	labels := eval(cells)
	named := 0
	for _, l := range labels {
		if rawCode.MatchString(l) {
			t.Errorf("page 3 shows the raw code %q", l)
		}
		if strings.ContainsAny(l, "取込作成更新") {
			named++
		}
	}
	if named == 0 {
		t.Errorf("page 3 shows no Japanese action name: %v", labels)
	}
	testkit.Shot(t, ctx, "auditlog-page3-1366")
	step("page 3 at 768 px", chromedp.EmulateViewport(768, 900), chromedp.WaitVisible(chromedp.CSS("table.auditlog-table")))
	testkit.Shot(t, ctx, "auditlog-page3-768")
}
