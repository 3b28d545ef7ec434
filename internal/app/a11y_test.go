package app_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// a11yDetails are the key pages below the lists, found by following links:
// each chain starts at a page and takes, step by step, the first link
// matching each pattern. fixed are pages without an id.
var a11yDetails = map[string]struct {
	chains [][]string
	fixed  []string
}{
	"admin": {chains: [][]string{
		{"/staff", `/staff/\d+`},
		{"/admin/users", `/admin/users/\d+/edit`},
		{"/admin/departments", `/admin/departments/\d+/edit`},
		{"/improve", `/improve/\d+`},
		{"/improve", `/improve/\d+`, `/improve/\d+/edit`},
		{"/policy", `/policy/documents/\d+`},
		{"/policy", `/policy/versions/\d+`},
		{"/policy", `/policy/versions/\d+/draft`},
		{"/policy/gap", `/policy/gap/\d+`, `/policy/gap/rows/\d+/edit`},
		{"/catalog", `/catalog/frameworks/\d+`},
		{"/catalog", `/catalog/templates/\d+`, `/catalog/items/\d+`},
	}, fixed: []string{"/account", "/account/totp", "/staff/new", "/staff/import", "/admin/departments/new", "/admin/users/new",
		"/improve/new", "/policy/documents/new", "/policy/gap/new", "/catalog/build", "/catalog/built"}},
	"staff":   {chains: [][]string{{"/policy", `/policy/versions/\d+`}}, fixed: []string{"/account"}},
	"auditee": {chains: [][]string{{"/staff", `/staff/\d+`}, {"/improve", `/improve/\d+`}, {"/policy", `/policy/versions/\d+`}}, fixed: []string{"/account"}},
	"vendor":  {fixed: []string{"/account"}},
}

var (
	hrefRe     = regexp.MustCompile(`href="(/[^"]*)"`)
	mainRe     = regexp.MustCompile(`(?s)<main\b.*</main>`)
	sideNavRe  = regexp.MustCompile(`(?s)<nav class="side-nav".*?</nav>`)
	downloadRe = regexp.MustCompile(`/static/|/export|format=|/xlsx$|/pdf$|/improve/document|\.png$|/evidence/|/logout`)
)

// a11yPages lists the pages a role reaches from its menu and home page,
// and its key detail pages (downloads left out).
func a11yPages(t *testing.T, c *webtest.Client, role string) []string {
	t.Helper()
	home := c.Get("/").Want(http.StatusOK).Body
	pages := []string{"/"}
	seen := map[string]bool{"/": true}
	add := func(p string) {
		p = strings.ReplaceAll(p, "&amp;", "&")
		// One visit per page: a filtered list (/improve?status=…) is the
		// same page as the list.
		path, _, _ := strings.Cut(p, "?")
		if !seen[path] && !downloadRe.MatchString(p) {
			seen[path] = true
			pages = append(pages, p)
		}
	}
	for _, part := range []string{sideNavRe.FindString(home), mainRe.FindString(home)} {
		for _, m := range hrefRe.FindAllStringSubmatch(part, -1) {
			add(m[1])
		}
	}
	d := a11yDetails[role]
	for _, chain := range d.chains {
		p := chain[0]
		for _, pat := range chain[1:] {
			body := c.Get(p).Want(http.StatusOK).Body
			m := regexp.MustCompile(`href="(` + pat + `)"`).FindStringSubmatch(body)
			if m == nil {
				t.Errorf("%s: no link %s on %s", role, pat, p)
				p = ""
				break
			}
			p = m[1]
			add(p)
		}
	}
	for _, p := range d.fixed {
		add(p)
	}
	return pages
}

// pageShape is the page's element structure without its text: pages of
// one template with other words (the workstreams not built yet) have the
// same shape, and axe-core checks one of them.
const pageShape = `Array.from(document.querySelectorAll("main *")).map(e => e.tagName + "." + e.className).join(" ")`

// TestAccessibility runs axe-core (WCAG 2.1 A and AA) in Chromium on every
// page that admin, staff, auditee and vendor reach from their menu and home
// page, and on the key detail pages below the lists. Critical, serious and
// moderate violations fail; minor ones are logged. It also checks the side
// menu folds (closed at first on a narrow screen, open on a wide one) and,
// with MAMORI_SHOTS, saves each role's home page at 1366 and 768 px.
//
// One browser: each role signs in in a tab of its own browser context
// (separate cookies), two tabs at a time, the admin's pages split over two.
func TestAccessibility(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	browser := testkit.Browser(t)
	// The check itself works: a page with a known fault is reported.
	testkit.Step(t, browser, "faulty page", chromedp.Navigate(`data:text/html;charset=utf-8,<html lang="ja"><title>x</title><img src="x.png">`))
	if vs := testkit.Axe(t, browser); !slices.ContainsFunc(vs, func(v testkit.AxeViolation) bool { return v.ID == "image-alt" && v.Blocking() }) {
		t.Fatalf("axe-core did not report an image without alt text: %v", vs)
	}
	begin := time.Now()
	var checked atomic.Int64
	t.Run("roles", func(t *testing.T) {
		for _, job := range []struct {
			role          string
			shard, shards int
		}{{"admin", 0, 2}, {"admin", 1, 2}, {"staff", 0, 1}, {"auditee", 0, 1}, {"vendor", 0, 1}} {
			t.Run(fmt.Sprintf("%s-%d", job.role, job.shard), func(t *testing.T) {
				t.Parallel()
				pages := a11yPages(t, s.As(job.role), job.role)
				ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
				defer cancel()
				// The tab's first run has no time limit: it lives as long as that run's context.
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 900)); err != nil {
					t.Fatalf("new tab: %v", err)
				}
				testkit.Login(t, ctx, s.URL, job.role, webtest.DemoPassword)
				shapes := map[string]string{}
				for i, p := range pages {
					if i%job.shards != job.shard {
						continue
					}
					if axePage(t, ctx, s.URL, job.role, p, shapes) {
						checked.Add(1)
					}
				}
				if job.shard == 0 {
					homeAtWidths(t, ctx, s.URL, job.role)
				}
			})
		}
	})
	t.Logf("axe-core checked %d pages in %s", checked.Load(), time.Since(begin).Round(time.Millisecond))
}

// axePage opens p and fails the test on its blocking violations; a page
// shaped like one already checked (shapes) is skipped. It reports whether
// the page was checked.
func axePage(t *testing.T, ctx context.Context, base, role, p string, shapes map[string]string) bool {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	resp, err := chromedp.Run(sctx, chromedp.NavigateResponse(base+p))
	cancel()
	switch {
	case err != nil:
		t.Fatalf("%s %s: %v", role, p, err)
	case resp.Status != http.StatusOK || resp.MimeType != "text/html":
		t.Errorf("%s %s: %d %s", role, p, resp.Status, resp.MimeType)
		return false
	}
	shape, err := chromedp.Run(ctx, chromedp.Evaluate[string](pageShape))
	if err != nil {
		t.Fatal(err)
	}
	if shapes[shape] != "" {
		t.Logf("%s %s: same page as %s, not checked again", role, p, shapes[shape])
		return false
	}
	shapes[shape] = p
	for _, v := range testkit.Axe(t, ctx) {
		if v.Blocking() {
			t.Errorf("%s %s: %s", role, p, v)
		} else {
			t.Logf("%s %s: minor: %s", role, p, v)
		}
	}
	return true
}

// homeAtWidths looks at the home page at 1366 and 768 px: the menu starts
// open on the wide screen and closed on the narrow one (where axe-core
// checks the page again), and opens when its summary is clicked.
func homeAtWidths(t *testing.T, ctx context.Context, base, role string) {
	t.Helper()
	for _, w := range []struct {
		width, height int64
		open          bool
	}{{1366, 900, true}, {768, 1024, false}} {
		testkit.Step(t, ctx, fmt.Sprintf("%s home at %d px", role, w.width), chromedp.EmulateViewport(w.width, w.height),
			chromedp.Navigate(base+"/"), chromedp.WaitReady(chromedp.CSS("main h1")))
		open, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("details.nav-fold").open`))
		if err != nil {
			t.Fatal(err)
		}
		if open != w.open {
			t.Errorf("%s at %d px: menu open %v, want %v", role, w.width, open, w.open)
		}
		testkit.Shot(t, ctx, fmt.Sprintf("home-%s-%d", role, w.width))
		if w.width == 768 {
			for _, v := range testkit.Axe(t, ctx) {
				if v.Blocking() {
					t.Errorf("%s / at 768 px: %s", role, v)
				}
			}
			testkit.Step(t, ctx, "open the menu", chromedp.Click(chromedp.CSS("details.nav-fold > summary")))
			if nav := testkit.Text(t, ctx, "nav.side-nav ul"); !strings.Contains(nav, "ホーム") {
				t.Errorf("%s: the opened menu shows %q", role, nav)
			}
		}
	}
}
