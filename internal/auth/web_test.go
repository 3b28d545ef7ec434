package auth_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"mamori/internal/auth"
	"mamori/internal/org"
	"mamori/internal/testkit"
	"mamori/internal/web"
	"mamori/internal/webtest"
)

// password is every test account's password.
const password = "Correct-horse-42"

// addUser creates an account through the organisation's user administration.
func addUser(t *testing.T, s *webtest.Server, login string, role web.Role) int64 {
	t.Helper()
	id, err := s.Org.CreateAccount(context.Background(), org.AccountInput{Login: login, DisplayName: login, Role: role, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// enrol turns on the second factor of an account and returns its secret;
// the enrolment code (the one of now's time step) is used up.
func enrol(t *testing.T, s *webtest.Server, uid int64, now time.Time) string {
	t.Helper()
	secret, _, err := s.Auth.BeginTOTP(t.Context(), uid)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(secret, now)
	if err := s.Auth.ConfirmTOTP(t.Context(), uid, code); err != nil {
		t.Fatal(err)
	}
	return secret
}

func sessionCookie(t *testing.T, r *webtest.Response) *http.Cookie {
	t.Helper()
	for _, ck := range r.Cookies() {
		if ck.Name == web.SessionCookie {
			return ck
		}
	}
	t.Fatalf("%s %s: no session cookie", r.Request.Method, r.Request.URL.Path)
	return nil
}

func wantLocation(t *testing.T, r *webtest.Response, loc string) {
	t.Helper()
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != loc {
		t.Fatalf("%s %s: %d → %q, want 303 → %q", r.Request.Method, r.Request.URL.Path, r.StatusCode, r.Header.Get("Location"), loc)
	}
}

func TestLoginLogoutAndThrottle(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		clk := &testClock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
		s := webtest.Start(t, webtest.Options{DSN: dsn, Now: clk.Now})
		addUser(t, s, "tanaka", web.RoleAdmin)

		c := s.Anonymous()
		wantLocation(t, c.Login("tanaka", password, "/"), "/")
		home := c.Get("/").Want(http.StatusOK, "内部監査", "進捗管理")
		for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"} {
			if home.Header.Get(h) == "" {
				t.Errorf("missing header %s", h)
			}
		}
		if !strings.Contains(home.Header.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Errorf("CSP allows inline script: %s", home.Header.Get("Content-Security-Policy"))
		}
		// Session cookie flags.
		if sc := sessionCookie(t, s.Anonymous().Login("tanaka", password, "/")); !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode {
			t.Fatalf("session cookie %+v", sc)
		}

		// Idle timeout: 31 minutes without a request ends the session.
		clk.Add(31 * time.Minute)
		c.Get("/").Redirects("/login")

		// Throttling: same answer for unknown and known accounts; after five
		// failures even the right password is refused for a while.
		c3 := s.Anonymous()
		unknown := c3.Login("nobody", "x", "").Body
		wrong := c3.Login("tanaka", "x", "").Body
		if !strings.Contains(unknown, auth.ErrLoginFailed.Error()) || !strings.Contains(wrong, auth.ErrLoginFailed.Error()) {
			t.Fatalf("login failure messages differ")
		}
		for i := 0; i < 4; i++ {
			c3.Login("tanaka", "wrong-password", "/")
		}
		c3.Login("tanaka", password, "/").Want(http.StatusUnauthorized)
		clk.Add(10 * time.Second)
		wantLocation(t, c3.Login("tanaka", password, "/"), "/")
		if fails, throttled := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'login.failure'"),
			s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'login.throttled'"); fails != 6 || throttled != 1 {
			t.Fatalf("audit: %d failures, %d throttled", fails, throttled)
		}

		// Logout everywhere ends every session of the account.
		c4, c5 := s.Anonymous(), s.Anonymous()
		c4.Login("tanaka", password, "/")
		c5.Login("tanaka", password, "/")
		c4.Post("/account/logout-all", nil).Redirects("/login")
		c5.Get("/").Redirects("/login")
	})
}

func TestTOTPMandatoryAndLogin(t *testing.T) {
	s := webtest.Start(t, webtest.Options{})
	uid := addUser(t, s, "boss", web.RoleAdmin)
	addUser(t, s, "clerk", web.RoleStaff)
	admin := s.As("boss")
	admin.Post("/admin/settings/totp", url.Values{"required": {"1"}}).Redirects("/admin/users")
	// The admin must now enrol before doing anything else; staff are unaffected.
	wantLocation(t, admin.Get("/staff"), "/account/totp")
	s.As("clerk").Get("/").Want(http.StatusOK)
	page := admin.Get("/account/totp").Want(http.StatusOK)
	secret, _, err := s.Auth.BeginTOTP(t.Context(), uid)
	if err != nil || !strings.Contains(page.Body, secret) {
		t.Fatalf("enrolment page lacks the secret: %v", err)
	}
	if r := admin.Get("/account/totp/qr.png").Want(http.StatusOK); r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr: %s", r.Header.Get("Content-Type"))
	}
	admin.Post("/account/totp", url.Values{"code": {"000000"}}).Want(http.StatusBadRequest, "確認コードが正しくありません")
	code, _ := totp.GenerateCode(secret, time.Now())
	admin.Post("/account/totp", url.Values{"code": {code}}).Redirects("/account")
	admin.Get("/staff").Want(http.StatusOK)

	// A fresh login now stops at the second factor.
	c := s.Anonymous()
	c.Login("boss", password, "/").Redirects("/login/totp")
	wantLocation(t, c.Get("/staff"), "/login/totp")
	// The enrolment code is used up; the app's next code signs in.
	code, _ = totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	wantLocation(t, c.Post("/login/totp", url.Values{"code": {code}, "next": {"/staff"}}), "/staff")
	c.Get("/staff").Want(http.StatusOK)
}

// TestLoginNextStaysOnSite: whatever "next" says, the redirect after the
// password step and after the second factor is a path on this site.
func TestLoginNextStaysOnSite(t *testing.T) {
	clk := &testClock{t: time.Now()}
	s := webtest.Start(t, webtest.Options{Now: clk.Now})
	addUser(t, s, "tanaka", web.RoleStaff)
	boss := addUser(t, s, "boss", web.RoleAdmin)
	evil := []string{"//evil.example/", "/\\evil.example/", "/\t/evil.example/", "/\n/evil.example/", "/\r\n/evil.example/",
		"/%09/evil.example/", "/%2F/evil.example/", "/%5Cevil.example/", "https://evil.example/", "\t//evil.example/",
		" //evil.example/", "/\x00/evil.example/", "/ \t/evil.example/", "http:/evil.example", "/\u00a0/evil.example/"}
	for _, next := range evil {
		if r := s.Anonymous().Login("tanaka", password, next); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
			t.Errorf("next %q: %d Location %q", next, r.StatusCode, r.Header.Get("Location"))
		}
	}
	if loc := s.Anonymous().Login("tanaka", password, "/staff?q=%E7%94%B0&status=all#top").Header.Get("Location"); loc != "/staff?q=%E7%94%B0&status=all#top" {
		t.Errorf("local next lost: %q", loc)
	}

	// The second factor step takes "next" from its own form.
	secret := enrol(t, s, boss, clk.Now())
	for _, next := range []string{"/\t/evil.example/", "//evil.example/", "/\\evil.example"} {
		c := s.Anonymous()
		c.Login("boss", password, next).Redirects("/login/totp")
		// Each login needs a fresh code: codes are single-use.
		clk.Add(31 * time.Second)
		code, _ := totp.GenerateCode(secret, clk.Now())
		if r := c.Post("/login/totp", url.Values{"code": {code}, "next": {next}}); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
			t.Errorf("totp next %q: %d Location %q", next, r.StatusCode, r.Header.Get("Location"))
		}
	}
}

// TestSecondLoginEndsEarlierSession: signing in again from the same browser
// replaces the browser's earlier session instead of leaving it alive.
func TestSecondLoginEndsEarlierSession(t *testing.T) {
	s := webtest.Start(t, webtest.Options{})
	uid := addUser(t, s, "tanaka", web.RoleStaff)
	c := s.Anonymous()
	first := sessionCookie(t, c.Login("tanaka", password, "/")).Value
	second := sessionCookie(t, c.Login("tanaka", password, "/")).Value
	if first == second {
		t.Fatal("same token twice")
	}
	old := s.Anonymous()
	u, _ := url.Parse(s.URL)
	old.Jar.SetCookies(u, []*http.Cookie{{Name: web.SessionCookie, Value: first, Path: "/"}})
	if r := old.Get("/"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("earlier session still valid: %d", r.StatusCode)
	}
	if n, err := s.Auth.SessionCount(t.Context(), uid); err != nil || n != 1 {
		t.Errorf("sessions after two logins from one browser: %d %v", n, err)
	}
}

// TestTOTPCodeSingleUse: a code that completed one login cannot complete
// another, even within its 30-second window.
func TestTOTPCodeSingleUse(t *testing.T) {
	s := webtest.Start(t, webtest.Options{})
	secret := enrol(t, s, addUser(t, s, "boss", web.RoleAdmin), time.Now())
	// The enrolment code is used up; the app's next code signs in once.
	code, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	try := func() *webtest.Response {
		c := s.Anonymous()
		c.Login("boss", password, "/")
		return c.Post("/login/totp", url.Values{"code": {code}, "next": {"/"}})
	}
	try().Want(http.StatusSeeOther)
	try().Want(http.StatusUnauthorized)
}

// TestLoginSuccessResetsAddressFailures: an office behind one address does
// not lock itself out because typos add up over the day.
func TestLoginSuccessResetsAddressFailures(t *testing.T) {
	testkit.NoRace(t)
	clk := &testClock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	s := webtest.Start(t, webtest.Options{Now: clk.Now})
	addUser(t, s, "tanaka", web.RoleStaff)
	fail := func(c *webtest.Client, n int) {
		for i := 0; i < n; i++ {
			c.Login("typo"+strings.Repeat("o", i%3)+string(rune('a'+i)), "x", "")
		}
	}
	c := s.Anonymous()
	fail(c, 15)
	wantLocation(t, c.Login("tanaka", password, "/"), "/")
	c = s.Anonymous()
	fail(c, 15)
	wantLocation(t, c.Login("tanaka", password, "/"), "/")
}
