// Package e2e drives the real mamori binary with a real browser (headless
// Chromium): the journeys a ward's staff take, end to end.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"mamori/internal/testkit"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mamori-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "mamori")
	build := exec.Command("go", "build", "-o", binary, "../cmd/mamori")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var urlRe = regexp.MustCompile(`https?://127\.0\.0\.1:\d+`)

// serve starts `mamori serve --demo` on a free port and returns its URL.
func serve(t *testing.T, extra ...string) string {
	t.Helper()
	u, _ := startServer(t, t.TempDir(), true, extra...)
	return u
}

// The browser helpers are the shared ones of internal/testkit.
var (
	browser = func(t *testing.T) context.Context { return testkit.Browser(t) }
	shot    = func(t *testing.T, ctx context.Context, name string) { testkit.Shot(t, ctx, name) }
	step    = func(t *testing.T, ctx context.Context, what string, a ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		testkit.Step(t, ctx, what, a...)
	}
	text = func(t *testing.T, ctx context.Context, sel string) string {
		t.Helper()
		return testkit.Text(t, ctx, sel)
	}
	truncate = testkit.Truncate
)

func login(t *testing.T, ctx context.Context, base, user string) {
	t.Helper()
	testkit.Login(t, ctx, base, user, "mamori-demo")
}

// TestEveryRoleSeesTheShell logs in as each demo role and checks the menu:
// the programme's runners see every workstream, built or not; the other
// roles see none that is not built yet.
func TestEveryRoleSeesTheShell(t *testing.T) {
	base := serve(t)
	ctx := browser(t)
	step(t, ctx, "login page", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#login")))
	shot(t, ctx, "login")
	for _, role := range []string{"admin", "consultant", "auditor", "auditee", "staff", "vendor", "viewer"} {
		login(t, ctx, base, role)
		nav := text(t, ctx, "nav.side-nav")
		runner := role == "admin" || role == "consultant"
		for _, ws := range []string{"進捗管理"} {
			if want := runner || role == "viewer"; strings.Contains(nav, ws) != want {
				t.Errorf("%s: navigation shows %s: %v, want %v", role, ws, !want, want)
			}
		}
		// The drills are built: for the runners, the viewer and a 所属長;
		// staff take part through their one-time links.
		for _, ws := range []string{"事故対応訓練", "委託・クラウド"} {
			if want := runner || role == "viewer" || role == "auditee"; strings.Contains(nav, ws) != want {
				t.Errorf("%s: navigation shows %s: %v, want %v", role, ws, !want, want)
			}
		}
		// The audit workstream is built: its entry is for the roles that
		// take part in audits (staff and vendors have none).
		if want := role != "staff" && role != "vendor"; strings.Contains(nav, "監査") != want && role != "viewer" {
			t.Errorf("%s: navigation shows 監査: %v, want %v", role, !want, want)
		}
		// The self-assessment is built and everyone may have a
		// questionnaire to answer (vendors have none).
		if want := role != "vendor"; strings.Contains(nav, "自己点検") != want {
			t.Errorf("%s: navigation shows 自己点検: %v, want %v", role, !want, want)
		}
		// So is the e-learning: everyone may have a course to take.
		if want := role != "vendor"; strings.Contains(nav, "研修") != want {
			t.Errorf("%s: navigation shows 研修: %v, want %v", role, !want, want)
		}
		if !strings.Contains(text(t, ctx, "body"), "デモ") {
			t.Errorf("%s: home does not say it is demo data", role)
		}
		shot(t, ctx, "home-"+role)
		step(t, ctx, "logout", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS("#login")))
	}
	login(t, ctx, base, "admin")
	for _, p := range []string{"/staff", "/admin/departments", "/admin/users", "/admin/auditlog", "/admin/years", "/audit", "/account", "/staff/import", "/account/totp", "/catalog", "/catalog/templates/1", "/catalog/frameworks/1", "/catalog/items/1"} {
		step(t, ctx, p, chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS("main h1")))
		shot(t, ctx, "admin"+strings.ReplaceAll(p, "/", "-"))
	}
	// A person's page, reached by keyboard-free clicking from the list.
	step(t, ctx, "staff detail", chromedp.Navigate(base+"/staff"), chromedp.Click(chromedp.CSS("table tbody tr:nth-child(3) a")), chromedp.WaitVisible(chromedp.CSS("main h2")))
	if !strings.Contains(text(t, ctx, "main"), "年度ごとの所属") {
		t.Error("staff page lacks the yearly history")
	}
	shot(t, ctx, "admin-staff-detail")
	// Tablet width: the navigation folds above the content.
	step(t, ctx, "tablet", chromedp.EmulateViewport(768, 1024), chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	shot(t, ctx, "tablet-home")
}
