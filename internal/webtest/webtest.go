// Package webtest is the one harness for tests of the whole app: it starts
// Mamori on a temporary database (SQLite, or PostgreSQL when MAMORI_TEST_PG
// is set), signs in as a role, and gets, posts, uploads and downloads with a
// browser-like client. Feature packages use it from their external test
// packages (package foo_test), since it imports the app.
package webtest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"maps"
	"mime/multipart"
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

	"mamori/internal/app"
	"mamori/internal/auth"
	"mamori/internal/config"
	"mamori/internal/database/dbtest"
	"mamori/internal/module"
	"mamori/internal/web"
)

// Argon keeps password hashing real (argon2id) but cheap for tests.
var Argon = auth.ArgonParams{Memory: 8 * 1024, Time: 1, Threads: 1}

// DemoPassword is the demo accounts' password in tests.
const DemoPassword = "mamori-demo"

// Options choose the database and the clock.
type Options struct {
	DSN  string           // empty: a fresh SQLite file
	Demo bool             // fill the database with the demo ward
	Now  func() time.Time // nil: time.Now
	// Extra modules after the app's own (a fixture module); with Demo, the
	// demo ward is then built for this test instead of copied.
	Extra []func(module.Deps) module.Module
	// Configure adjusts the deployment configuration (a shared audit-log key
	// file for two instances, a trusted proxy) before the app opens.
	Configure func(*config.Config)
}

// Server is a running app behind an httptest server.
type Server struct {
	*app.App
	URL string
	t   testing.TB
}

// Start starts the app for one test and stops it when the test ends. The
// SQLite demo ward is built once per test binary and copied for each test.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.DB = opt.DSN
	if opt.Configure != nil {
		opt.Configure(&cfg)
	}
	demoDone := false
	if opt.DSN == "" {
		cfg.DB = filepath.Join(cfg.Data, "mamori.db")
		if opt.Demo && len(opt.Extra) == 0 {
			copyDemo(t, cfg.Data)
			demoDone = true
		}
	}
	o := options(opt.Now)
	o.Extra = opt.Extra
	a, err := app.New(context.Background(), cfg, o)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	if opt.Demo && !demoDone {
		if err := a.CreateDemo(context.Background(), DemoPassword, nil); err != nil {
			a.Close()
			t.Fatalf("demo: %v", err)
		}
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); a.Close() })
	return &Server{App: a, URL: srv.URL, t: t}
}

func options(now func() time.Time) app.Options {
	opt := app.Options{Argon: Argon, Now: now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if os.Getenv("MAMORI_TEST_LOG") != "" {
		opt.Logger = slog.Default()
	}
	return opt
}

var demo struct {
	once sync.Once
	dir  string
	err  error
}

// copyDemo copies the once-built demo data folder (SQLite file and blobs)
// into dir.
func copyDemo(t testing.TB, dir string) {
	t.Helper()
	demo.once.Do(func() {
		demo.dir, demo.err = os.MkdirTemp("", "mamori-webtest-demo")
		if demo.err != nil {
			return
		}
		cfg := config.Default()
		cfg.Data = demo.dir
		cfg.DB = filepath.Join(demo.dir, "mamori.db")
		a, err := app.Open(context.Background(), cfg, options(nil))
		if err != nil {
			demo.err = err
			return
		}
		demo.err = a.CreateDemo(context.Background(), DemoPassword, nil)
		if err := a.Close(); demo.err == nil {
			demo.err = err
		}
	})
	if demo.err != nil {
		t.Fatalf("webtest: demo ward: %v", demo.err)
	}
	err := filepath.WalkDir(demo.dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(demo.dir, p)
		dst := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o600)
	})
	if err != nil {
		t.Fatalf("webtest: copy demo: %v", err)
	}
}

// Open opens the deployment whose data folder is dir (SQLite, as the
// commands find it) for checks on what a command stored; the caller closes
// it before the next command runs.
func Open(t testing.TB, dir string) *app.App {
	t.Helper()
	cfg := config.Default()
	cfg.Data = dir
	a, err := app.Open(context.Background(), cfg, options(nil))
	if err != nil {
		t.Fatalf("webtest: open %s: %v", dir, err)
	}
	return a
}

// T is the test the server belongs to.
func (s *Server) T() testing.TB { return s.t }

// Backends lists the databases a storage-sensitive test runs on.
func Backends(t testing.TB) []dbtest.Backend { return dbtest.Backends(t) }

// EachBackend runs fn as a subtest on SQLite and, when configured, PostgreSQL.
func EachBackend(t *testing.T, fn func(t *testing.T, dsn string)) {
	for _, b := range dbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { fn(t, b.DSN) })
	}
}

// Client is a browser-like client: a cookie jar, no automatic redirects,
// the Origin header of the site, and the CSRF token of its session.
type Client struct {
	*http.Client
	Base string
	t    testing.TB
	mu   sync.Mutex // guards tok: a client may post from several goroutines
	tok  string
}

// Anonymous returns a client that has not signed in.
func (s *Server) Anonymous() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{Client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		Base: s.URL, t: s.t}
}

// As returns a client signed in as the account login (a session is started
// directly, as after a successful login and second factor).
func (s *Server) As(login string) *Client {
	s.t.Helper()
	c := s.Anonymous()
	acc, err := s.Org.AccountByLogin(context.Background(), login)
	if err != nil {
		s.t.Fatalf("account %s: %v", login, err)
	}
	tok, err := s.Auth.StartSession(context.Background(), acc.ID, false, "127.0.0.1", "webtest")
	if err != nil {
		s.t.Fatal(err)
	}
	u, _ := url.Parse(s.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: web.SessionCookie, Value: tok, Path: "/"}})
	return c
}

// Response is a finished response with its body read.
type Response struct {
	*http.Response
	Body string
	t    testing.TB
}

// Want fails the test unless the status is status and the body contains
// every text.
func (r *Response) Want(status int, texts ...string) *Response {
	r.t.Helper()
	if r.StatusCode != status {
		r.t.Fatalf("%s %s: status %d, want %d\n%s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, Excerpt(r.Body))
	}
	for _, s := range texts {
		if !strings.Contains(r.Body, s) {
			r.t.Errorf("%s %s: body lacks %q\n%s", r.Request.Method, r.Request.URL.Path, s, Excerpt(r.Body))
		}
	}
	return r
}

// Lacks fails the test if the body contains any of texts.
func (r *Response) Lacks(texts ...string) *Response {
	r.t.Helper()
	for _, s := range texts {
		if strings.Contains(r.Body, s) {
			r.t.Errorf("%s %s: body contains %q", r.Request.Method, r.Request.URL.Path, s)
		}
	}
	return r
}

// Redirects fails the test unless the response is a 303 to a location
// starting with prefix.
func (r *Response) Redirects(prefix string) *Response {
	r.t.Helper()
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), prefix) {
		r.t.Fatalf("%s %s: %d → %q, want 303 → %s…\n%s", r.Request.Method, r.Request.URL.Path, r.StatusCode, r.Header.Get("Location"), prefix, Excerpt(r.Body))
	}
	return r
}

// Excerpt is the visible part of an HTML body for failure messages.
func Excerpt(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	body = tagRe.ReplaceAllString(body, " ")
	body = strings.Join(strings.Fields(body), " ")
	if len(body) > 1200 {
		body = body[:1200] + "…"
	}
	return body
}

var tagRe = regexp.MustCompile(`<[^>]*>`)

// Do sends a request and reads the whole response.
func (c *Client) Do(req *http.Request) *Response {
	c.t.Helper()
	if req.Method != http.MethodGet && req.Header.Get("Origin") == "" {
		req.Header.Set("Origin", c.Base)
	}
	resp, err := c.Client.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return &Response{Response: resp, Body: string(b), t: c.t}
}

// Get requests path.
func (c *Client) Get(path string) *Response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.Base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.Do(req)
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// CSRF is the client's CSRF token, read once from a page that has a form.
func (c *Client) CSRF() string {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok != "" {
		return c.tok
	}
	for _, p := range []string{"/account", "/account/totp", "/login/totp", "/login"} {
		if r := c.Get(p); r.StatusCode == http.StatusOK {
			if m := csrfRe.FindStringSubmatch(r.Body); m != nil {
				c.tok = m[1]
				return c.tok
			}
		}
	}
	c.t.Fatalf("no CSRF token on any page")
	return ""
}

// Post submits a form with the client's CSRF token (unless the form has one).
// The caller's form is not changed, so one form may be posted from several
// goroutines at once.
func (c *Client) Post(path string, form url.Values) *Response {
	c.t.Helper()
	form = maps.Clone(form)
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf_token"]; !ok {
		form.Set("csrf_token", c.CSRF())
	}
	req, err := http.NewRequest(http.MethodPost, c.Base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

// Login submits the login form as a person would (the password step) and
// forgets the client's CSRF token: a login starts a new session, whose
// forms carry a token of their own.
func (c *Client) Login(login, password, next string) *Response {
	c.t.Helper()
	r := c.Post("/login", url.Values{"login": {login}, "password": {password}, "next": {next}})
	c.mu.Lock()
	c.tok = ""
	c.mu.Unlock()
	return r
}

// Upload posts a multipart form with one file.
func (c *Client) Upload(path string, form url.Values, field, filename string, content []byte) *Response {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf_token"]; !ok {
		form.Set("csrf_token", c.CSRF())
	}
	for k, vs := range form {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	fw, err := mw.CreateFormFile(field, filename)
	if err != nil {
		c.t.Fatal(err)
	}
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, c.Base+path, &buf)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.Do(req)
}

// Download gets path, expects 200 and a file of contentType (prefix match)
// sent as an attachment, and returns its bytes.
func (c *Client) Download(path, contentType string) []byte {
	c.t.Helper()
	r := c.Get(path).Want(http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, contentType) {
		c.t.Fatalf("GET %s: Content-Type %q, want %q", path, ct, contentType)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		c.t.Errorf("GET %s: Content-Disposition %q, want an attachment", path, cd)
	}
	return []byte(r.Body)
}

// Count runs a COUNT query for assertions on stored data.
func (s *Server) Count(query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.DB.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		s.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// ID runs a query returning one id (a fixture lookup in the demo data).
func (s *Server) ID(query string, args ...any) int64 {
	s.t.Helper()
	var id int64
	if err := s.DB.QueryRow(context.Background(), query, args...).Scan(&id); err != nil {
		s.t.Fatalf("%s: %v", query, err)
	}
	return id
}

// CLI returns a runner of `mamori …` commands on the deployment in dir
// (MAMORI_DATA; the embedded SQLite database), as a person types them:
// the exit status, standard output and standard error.
func CLI(t *testing.T, dir string) func(args ...string) (int, string, string) {
	return CLIAt(t, dir, nil)
}

// CLIAt is CLI with the commands' clock at now (nil: time.Now), for what
// depends on the date (the end of a fiscal year).
func CLIAt(t *testing.T, dir string, now func() time.Time) func(args ...string) (int, string, string) {
	return func(args ...string) (int, string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		t.Setenv("MAMORI_DATA", dir)
		t.Setenv("MAMORI_DB", "")
		code := app.Run(context.Background(), args, app.CLI{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Options: app.Options{Argon: Argon, Now: now}})
		return code, out.String(), errb.String()
	}
}
