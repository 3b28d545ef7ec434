package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"mamori/internal/database/dbtest"
	"mamori/internal/org"
	"mamori/internal/web"
)

func addUser(t *testing.T, ta *testApp, login string, role web.Role, dept int64) {
	t.Helper()
	if _, err := ta.Org.CreateAccount(context.Background(), org.AccountInput{Login: login, DisplayName: login, Role: role, DepartmentID: dept, Password: "Correct-horse-42"}); err != nil {
		t.Fatal(err)
	}
}

func login(t *testing.T, c *client, user, pw string) *http.Response {
	t.Helper()
	resp, _ := c.post("/login", url.Values{"login": {user}, "password": {pw}, "csrf_token": {c.csrf()}, "next": {"/"}})
	return resp
}

func TestLoginLogoutAndThrottle(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		clk := &clock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
		ta := newTestApp(t, dsn, false, clk.Now)
		addUser(t, ta, "tanaka", web.RoleAdmin, 0)

		c := ta.client()
		if resp := login(t, c, "tanaka", "Correct-horse-42"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Fatalf("login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body := c.get("/")
		if resp.StatusCode != 200 || !strings.Contains(body, "内部監査") || !strings.Contains(body, "進捗管理") {
			t.Fatalf("home: %d", resp.StatusCode)
		}
		for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("missing header %s", h)
			}
		}
		if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Errorf("CSP allows inline script: %s", resp.Header.Get("Content-Security-Policy"))
		}
		// Session cookie flags.
		c2 := ta.client()
		r2 := login(t, c2, "tanaka", "Correct-horse-42")
		var sc *http.Cookie
		for _, ck := range r2.Cookies() {
			if ck.Name == web.SessionCookie {
				sc = ck
			}
		}
		if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode {
			t.Fatalf("session cookie %+v", sc)
		}

		// Idle timeout: 31 minutes without a request ends the session.
		clk.Add(31 * time.Minute)
		if resp, _ := c.get("/"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("after idle timeout: %d", resp.StatusCode)
		}

		// Throttling: same answer for unknown and known accounts; after five
		// failures even the right password is refused for a while.
		c3 := ta.client()
		_, unknown := c3.post("/login", url.Values{"login": {"nobody"}, "password": {"x"}, "csrf_token": {c3.csrf()}})
		_, wrong := c3.post("/login", url.Values{"login": {"tanaka"}, "password": {"x"}, "csrf_token": {c3.csrf()}})
		if !strings.Contains(unknown, org.ErrLoginFailed.Error()) || !strings.Contains(wrong, org.ErrLoginFailed.Error()) {
			t.Fatalf("login failure messages differ")
		}
		for i := 0; i < 4; i++ {
			login(t, c3, "tanaka", "wrong-password")
		}
		if resp := login(t, c3, "tanaka", "Correct-horse-42"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("throttled login: %d", resp.StatusCode)
		}
		clk.Add(10 * time.Second)
		if resp := login(t, c3, "tanaka", "Correct-horse-42"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("after the delay: %d", resp.StatusCode)
		}
		var fails, throttled int
		_ = ta.DB.QueryRow(t.Context(), "SELECT COUNT(*) FROM audit_log WHERE action = 'login.failure'").Scan(&fails)
		_ = ta.DB.QueryRow(t.Context(), "SELECT COUNT(*) FROM audit_log WHERE action = 'login.throttled'").Scan(&throttled)
		if fails != 6 || throttled != 1 {
			t.Fatalf("audit: %d failures, %d throttled", fails, throttled)
		}

		// Logout everywhere ends every session of the account.
		c4, c5 := ta.client(), ta.client()
		login(t, c4, "tanaka", "Correct-horse-42")
		login(t, c5, "tanaka", "Correct-horse-42")
		if resp, _ := c4.post("/account/logout-all", url.Values{"csrf_token": {c4.csrf()}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout-all: %d", resp.StatusCode)
		}
		if resp, _ := c5.get("/"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("other session survived logout-all: %d", resp.StatusCode)
		}
	})
}

func TestCSRFAndCrossOrigin(t *testing.T) {
	ta := newTestApp(t, sqliteDSN(t), false, nil)
	addUser(t, ta, "admin1", web.RoleAdmin, 0)
	c := ta.as("admin1")
	form := url.Values{"year": {"2030"}}
	if resp, _ := c.post("/admin/years", form); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST without token: %d", resp.StatusCode)
	}
	form.Set("csrf_token", c.csrf())
	req, _ := http.NewRequest(http.MethodPost, c.base+"/admin/years", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", resp.StatusCode)
	}
	if resp, _ := c.post("/admin/years", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("valid POST: %d", resp.StatusCode)
	}
	ys, _ := ta.Org.FiscalYears(t.Context())
	if len(ys) != 1 || ys[0].Year != 2030 {
		t.Fatalf("years %+v", ys)
	}
}

func TestTOTPMandatoryAndLogin(t *testing.T) {
	ta := newTestApp(t, sqliteDSN(t), false, nil)
	addUser(t, ta, "boss", web.RoleAdmin, 0)
	addUser(t, ta, "clerk", web.RoleStaff, 0)
	admin := ta.as("boss")
	if resp, _ := admin.post("/admin/settings/totp", url.Values{"required": {"1"}, "csrf_token": {admin.csrf()}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("setting: %d", resp.StatusCode)
	}
	// The admin must now enrol before doing anything else; staff are unaffected.
	if resp, _ := admin.get("/staff"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/totp" {
		t.Fatalf("admin not sent to enrolment: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := ta.as("clerk").get("/"); resp.StatusCode != 200 {
		t.Fatalf("staff blocked: %d", resp.StatusCode)
	}
	_, page := admin.get("/account/totp")
	acc, _ := ta.Org.AccountByLogin(t.Context(), "boss")
	secret, _, err := ta.Org.BeginTOTP(t.Context(), acc.ID)
	if err != nil || !strings.Contains(page, secret) {
		t.Fatalf("enrolment page lacks the secret: %v", err)
	}
	if resp, _ := admin.get("/account/totp/qr.png"); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr: %d", resp.StatusCode)
	}
	code, _ := totp.GenerateCode(secret, time.Now())
	if resp, body := admin.post("/account/totp", url.Values{"code": {"000000"}, "csrf_token": {admin.csrf()}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "確認コードが正しくありません") {
		t.Fatalf("wrong code accepted: %d", resp.StatusCode)
	}
	if resp, _ := admin.post("/account/totp", url.Values{"code": {code}, "csrf_token": {admin.csrf()}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	if resp, _ := admin.get("/staff"); resp.StatusCode != 200 {
		t.Fatalf("after enrolment: %d", resp.StatusCode)
	}
	// A fresh login now stops at the second factor.
	c := ta.client()
	if resp := login(t, c, "boss", "Correct-horse-42"); !strings.HasPrefix(resp.Header.Get("Location"), "/login/totp") {
		t.Fatalf("no second factor asked: %s", resp.Header.Get("Location"))
	}
	if resp, _ := c.get("/staff"); resp.Header.Get("Location") != "/login/totp" {
		t.Fatalf("pending session reached /staff: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The enrolment code is used up; the app's next code signs in.
	code, _ = totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	_, p := c.get("/login/totp")
	tok := csrfRe.FindStringSubmatch(p)[1]
	if resp, _ := c.post("/login/totp", url.Values{"code": {code}, "csrf_token": {tok}, "next": {"/staff"}}); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/staff" {
		t.Fatalf("totp login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := c.get("/staff"); resp.StatusCode != 200 {
		t.Fatalf("after totp: %d", resp.StatusCode)
	}
}

func TestDepartmentScope(t *testing.T) {
	ta := newTestApp(t, sqliteDSN(t), true, nil)
	ctx := t.Context()
	var own, other int64
	if err := ta.DB.QueryRow(ctx, `SELECT s.id FROM staff s JOIN departments d ON d.id = s.department_id WHERE d.name = '住民記録係' LIMIT 1`).Scan(&own); err != nil {
		t.Fatal(err)
	}
	if err := ta.DB.QueryRow(ctx, `SELECT s.id FROM staff s JOIN departments d ON d.id = s.department_id WHERE d.name = '課税係' LIMIT 1`).Scan(&other); err != nil {
		t.Fatal(err)
	}
	c := ta.as("auditee")
	if resp, _ := c.get(fmt.Sprintf("/staff/%d", own)); resp.StatusCode != 200 {
		t.Fatalf("own department: %d", resp.StatusCode)
	}
	if resp, _ := c.get(fmt.Sprintf("/staff/%d", other)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("other department: %d", resp.StatusCode)
	}
	_, body := c.get("/staff?status=all")
	if !strings.Contains(body, "所属の範囲") || strings.Contains(body, "課税係") {
		t.Fatalf("scoped list shows other departments")
	}
	resp, csv := c.get("/staff/export?format=csv-utf8")
	if resp.StatusCode != 200 || strings.Contains(csv, "課税係") || !strings.Contains(csv, "住民記録係") {
		t.Fatalf("scoped export leaks: %d", resp.StatusCode)
	}
}

// TestTwoInstancesShareSessions starts two app instances on one PostgreSQL
// database: a login through one is valid on the other.
func TestTwoInstancesShareSessions(t *testing.T) {
	pg := os.Getenv("MAMORI_TEST_PG")
	if pg == "" {
		t.Skip("MAMORI_TEST_PG not set")
	}
	dsn := dbtest.FreshSchema(t, pg)
	a := newTestApp(t, dsn, false, nil)
	b := newTestApp(t, dsn, false, nil)
	addUser(t, a, "shared", web.RoleAdmin, 0)
	c := a.client()
	if resp := login(t, c, "shared", "Correct-horse-42"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login on A: %d", resp.StatusCode)
	}
	ua, _ := url.Parse(a.srv.URL)
	ub, _ := url.Parse(b.srv.URL)
	c.Jar.SetCookies(ub, c.Jar.Cookies(ua))
	c.base = b.srv.URL
	resp, body := c.get("/account")
	if resp.StatusCode != 200 || !strings.Contains(body, "shared") {
		t.Fatalf("session not valid on B: %d", resp.StatusCode)
	}
	// A change made through B is visible through A.
	if resp, _ := c.post("/admin/years", url.Values{"year": {"令和9年度"}, "csrf_token": {c.csrf()}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST on B: %d", resp.StatusCode)
	}
	c.base = a.srv.URL
	if _, body := c.get("/admin/years"); !strings.Contains(body, "令和9年度") {
		t.Fatal("change via B not visible via A")
	}
}
