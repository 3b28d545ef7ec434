package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"mamori/internal/auth"
	"mamori/internal/config"
	"mamori/internal/database/dbtest"
	"mamori/internal/web"
)

// testArgon keeps password hashing real (argon2id) but cheap for tests.
var testArgon = auth.ArgonParams{Memory: 8 * 1024, Time: 1, Threads: 1}

type testApp struct {
	*App
	srv *httptest.Server
	t   testing.TB
}

// clock is a settable clock for timeout tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestApp(t testing.TB, dsn string, demo bool, now func() time.Time, configure ...func(*config.Config)) *testApp {
	t.Helper()
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.DB = dsn
	for _, f := range configure {
		f(&cfg)
	}
	opt := Options{Argon: testArgon, Now: now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if os.Getenv("MAMORI_TEST_LOG") != "" {
		opt.Logger = slog.Default()
	}
	a, err := New(context.Background(), cfg, opt)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	if demo {
		if err := a.CreateDemo(context.Background(), "mamori-demo", nil); err != nil {
			t.Fatalf("demo: %v", err)
		}
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); a.Close() })
	return &testApp{App: a, srv: srv, t: t}
}

// sqliteDSN is a fresh SQLite file for one test.
func sqliteDSN(t testing.TB) string { return filepath.Join(t.TempDir(), "mamori.db") }

// eachBackend runs fn on SQLite and, when configured, on PostgreSQL.
func eachBackend(t *testing.T, fn func(t *testing.T, dsn string)) {
	for _, b := range dbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { fn(t, b.DSN) })
	}
}

// client is a browser-like client: cookies, no automatic redirects.
type client struct {
	*http.Client
	base string
	t    testing.TB
}

func (ta *testApp) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{Client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		base: ta.srv.URL, t: ta.t}
}

// as returns a client signed in as the account login (a session is started
// directly, as after a successful login).
func (ta *testApp) as(login string) *client {
	ta.t.Helper()
	c := ta.client()
	acc, err := ta.Org.AccountByLogin(context.Background(), login)
	if err != nil {
		ta.t.Fatalf("account %s: %v", login, err)
	}
	tok, err := ta.Auth.StartSession(context.Background(), acc.ID, false, "127.0.0.1", "test")
	if err != nil {
		ta.t.Fatal(err)
	}
	u, _ := url.Parse(ta.srv.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: web.SessionCookie, Value: tok, Path: "/"}})
	return c
}

func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	resp, err := c.Get(c.base + path)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf reads the CSRF token from a page.
func (c *client) csrf() string {
	c.t.Helper()
	for _, p := range []string{"/account", "/account/totp", "/login/totp", "/login"} {
		if resp, body := c.get(p); resp.StatusCode == 200 {
			if m := csrfRe.FindStringSubmatch(body); m != nil {
				return m[1]
			}
		}
	}
	c.t.Fatalf("no CSRF token on any page")
	return ""
}

func (c *client) post(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.base)
	resp, err := c.Do(req)
	if err != nil {
		c.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}
