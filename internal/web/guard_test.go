package web_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"mamori/internal/testkit"
	"mamori/internal/web"
)

// preToken is the pre-login CSRF token the tests' browser holds.
const preToken = "test-pre-login-csrf-token-0123"

type fakeAuth struct{}

func (fakeAuth) Session(context.Context, string) (*web.User, string, error) { return nil, "", nil }
func (fakeAuth) Denied(context.Context, *web.User, string, string)          {}

// newServer serves a form route, an upload route and a route that reports
// what the server believes about the client.
func newServer(t *testing.T, opts ...web.Option) *httptest.Server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rd, err := web.NewRenderer(log)
	if err != nil {
		t.Fatal(err)
	}
	rt := web.NewRouter(fakeAuth{}, rd, log)
	rt.Handle("POST /form", web.PublicRule(), func(w http.ResponseWriter, r *http.Request) error {
		_, err := fmt.Fprintf(w, "form %d", len(r.FormValue("x")))
		return err
	})
	rt.Handle("POST /upload", web.PublicRule().WithUpload(), func(w http.ResponseWriter, r *http.Request) error {
		f, hdr, err := r.FormFile("file")
		if err != nil {
			return web.Invalid("ファイルがありません。")
		}
		defer f.Close()
		n, _ := io.Copy(io.Discard, f)
		_, err = fmt.Fprintf(w, "upload %s %d", hdr.Filename, n)
		return err
	})
	rt.Handle("GET /who", web.PublicRule(), func(w http.ResponseWriter, r *http.Request) error {
		_, err := fmt.Fprintf(w, "%s %v", web.ClientIP(r), web.IsHTTPS(r))
		return err
	})
	srv := httptest.NewServer(web.Secure(rt, log, rd, opts...))
	t.Cleanup(srv.Close)
	return srv
}

// expectClient waits for "100 Continue" before sending a body that asks
// for it, as browsers-to-be-careful do.
var expectClient = &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second}}

func send(t *testing.T, srv *httptest.Server, path, ctype string, body io.Reader, expect bool) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+path, body)
	req.Header.Set("Content-Type", ctype)
	req.AddCookie(&http.Cookie{Name: "mamori_csrf", Value: preToken})
	if expect {
		req.Header.Set("Expect", "100-continue")
	}
	resp, err := expectClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func multipartForm(t *testing.T, size int) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf_token", preToken)
	_ = mw.WriteField("x", "abc")
	fw, _ := mw.CreateFormFile("file", "big.bin")
	_, _ = fw.Write(bytes.Repeat([]byte{'x'}, size))
	_ = mw.Close()
	return &buf, mw.FormDataContentType()
}

func TestMultipartAndBodyLimits(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	srv := newServer(t)
	const big = 10 << 20

	for _, ctype := range []string{"", "Multipart/Form-Data", " multipart/mixed"} {
		body, ct := multipartForm(t, big)
		if ctype != "" {
			ct = ctype + ct[len("multipart/form-data"):]
		}
		status, page := send(t, srv, "/form", ct, body, true)
		if status != http.StatusUnsupportedMediaType || !strings.Contains(page, "ファイル") {
			t.Errorf("multipart (%q) to a form route: %d %.80s", ct, status, page)
		}
	}
	if left := testkit.SpoolFiles(t, tmp); len(left) > 0 {
		t.Errorf("refused multipart left %v", left)
	}

	form := url.Values{"csrf_token": {preToken}, "x": {strings.Repeat("y", 2<<20)}}
	if status, _ := send(t, srv, "/form", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), true); status != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB form: %d", status)
	}
	form.Set("x", strings.Repeat("y", 100<<10))
	if status, page := send(t, srv, "/form", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), false); status != 200 || page != fmt.Sprintf("form %d", 100<<10) {
		t.Errorf("100 KiB form: %d %q", status, page)
	}

	body, ct := multipartForm(t, big)
	status, page := send(t, srv, "/upload", ct, body, false)
	if status != 200 || page != fmt.Sprintf("upload big.bin %d", big) {
		t.Errorf("upload: %d %.80s", status, page)
	}
	if left := testkit.SpoolFiles(t, tmp); len(left) > 0 {
		t.Errorf("upload left %v", left)
	}
	// An upload without the CSRF token is refused, and cleaned up too.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "big.bin")
	_, _ = fw.Write(bytes.Repeat([]byte{'x'}, big))
	_ = mw.Close()
	if status, _ := send(t, srv, "/upload", mw.FormDataContentType(), &buf, false); status != http.StatusForbidden {
		t.Errorf("upload without token: %d", status)
	}
	if left := testkit.SpoolFiles(t, tmp); len(left) > 0 {
		t.Errorf("refused upload left %v", left)
	}
}

func TestLocalPath(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"/", true},
		{"/staff", true},
		{"/staff?q=%E7%94%B0%E4%B8%AD&status=all", true},
		{"/staff?q=田中", true},
		{"/policy/versions/3/table#a-1", true},
		{"", false},
		{"staff", false},
		{"//evil.example", false},
		{"///evil.example", false},
		{"/\\evil.example", false},
		{"/a\\b", false},
		{"\\\\evil.example", false},
		{"/\t/evil.example", false},
		{"/\n/evil.example", false},
		{"/\r\n/evil.example", false},
		{"/\x00/evil.example", false},
		{"/\x7f/evil.example", false},
		{"/\u0085/evil.example", false},
		{"/\u00a0/evil.example", false},
		{"/\u200b/evil.example", false},
		{"/\u202e/evil.example", false},
		{"/%09/evil.example", false},
		{"/%2F/evil.example", false},
		{"/%2f%2fevil.example", false},
		{"/%5Cevil.example", false},
		{"/%0d%0a/evil.example", false},
		{"/%zz", false},
		{" /x", false},
		{"\t/x", false},
		{"https://evil.example/", false},
		{"http:/evil.example", false},
		{"javascript:alert(1)", false},
		{"/x\xff", false},
	} {
		if got := web.LocalPath(tc.in); got != tc.ok {
			t.Errorf("LocalPath(%q) = %v, want %v", tc.in, got, tc.ok)
		}
	}
}

// TestSignInRedirectKeepsPath: a signed-out GET is sent to the login page
// with its own path as next.
func TestSignInRedirectKeepsPath(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rd, _ := web.NewRenderer(log)
	rt := web.NewRouter(fakeAuth{}, rd, log)
	rt.Handle("GET /private", web.SignedIn(), func(http.ResponseWriter, *http.Request) error { return nil })
	rec := httptest.NewRecorder()
	rt.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/private?a=1&b=%E7%94%B0", nil))
	if loc := rec.Header().Get("Location"); loc != "/login?next="+url.QueryEscape("/private?a=1&b=%E7%94%B0") {
		t.Fatalf("Location %q", loc)
	}
}

func TestClientBehindProxy(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.10/32")}
	for _, tc := range []struct {
		name   string
		peer   string
		xff    []string
		proto  string
		tls    bool
		wantIP string
		https  bool
	}{
		{"untrusted peer ignores headers", "203.0.113.9:1234", []string{"198.51.100.1"}, "https", false, "203.0.113.9", false},
		{"untrusted peer over TLS", "203.0.113.9:1234", nil, "", true, "203.0.113.9", true},
		{"trusted peer without headers", "10.0.0.1:80", nil, "", false, "10.0.0.1", false},
		{"trusted peer", "10.0.0.1:80", []string{"198.51.100.1"}, "https", false, "198.51.100.1", true},
		{"single trusted address", "192.0.2.10:80", []string{"198.51.100.1"}, "HTTPS", false, "198.51.100.1", true},
		{"address next to the trusted one is not trusted", "192.0.2.11:80", []string{"198.51.100.1"}, "https", false, "192.0.2.11", false},
		{"spoofed left entries skipped", "10.0.0.1:80", []string{"1.2.3.4, 198.51.100.1"}, "http", false, "198.51.100.1", false},
		{"trusted hops skipped", "10.0.0.1:80", []string{"198.51.100.1, 10.0.0.2"}, "", false, "198.51.100.1", false},
		{"all hops trusted", "10.0.0.1:80", []string{"10.0.0.3, 10.0.0.2"}, "", false, "10.0.0.3", false},
		{"garbage stops at the last trusted hop", "10.0.0.1:80", []string{"<script>, 10.0.0.2"}, "", false, "10.0.0.2", false},
		{"several header lines", "10.0.0.1:80", []string{"198.51.100.1", "10.0.0.2"}, "", false, "198.51.100.1", false},
		{"IPv6 client", "10.0.0.1:80", []string{"2001:db8::1"}, "", false, "2001:db8::1", false},
		{"client with port", "10.0.0.1:80", []string{"198.51.100.1:4711"}, "", false, "198.51.100.1", false},
		{"bracketed IPv6 with port", "10.0.0.1:80", []string{"[2001:db8::2]:443"}, "", false, "2001:db8::2", false},
		{"IPv4-mapped peer", "[::ffff:10.0.0.1]:80", []string{"198.51.100.1"}, "https", false, "198.51.100.1", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var gotIP string
			var gotHTTPS bool
			h := web.Secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotIP, gotHTTPS = web.ClientIP(r), web.IsHTTPS(r)
			}), slog.New(slog.NewTextHandler(io.Discard, nil)), nil, web.TrustProxies(trusted...))
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if tc.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			if tc.tls {
				req.TLS = &tls.ConnectionState{}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if gotIP != tc.wantIP || gotHTTPS != tc.https {
				t.Errorf("got %s https=%v, want %s https=%v", gotIP, gotHTTPS, tc.wantIP, tc.https)
			}
			if hsts := rec.Header().Get("Strict-Transport-Security") != ""; hsts != tc.https {
				t.Errorf("HSTS sent: %v", hsts)
			}
		})
	}
}

// TestPreLoginCookieSecureBehindProxy: the pre-login CSRF cookie is Secure
// when a trusted TLS proxy says the browser used HTTPS, and not otherwise.
func TestPreLoginCookieSecureBehindProxy(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		secure  bool
	}{
		{"trusted proxy", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, true},
		{"no trusted proxy", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, web.TrustProxies(tc.trusted...))
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/who", nil)
			req.Header.Set("X-Forwarded-Proto", "https")
			req.Header.Set("X-Forwarded-For", "198.51.100.20")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := "127.0.0.1 false"
			if tc.secure {
				want = "198.51.100.20 true"
			}
			if string(b) != want {
				t.Errorf("client %q, want %q", b, want)
			}
			var pre *http.Cookie
			for _, c := range resp.Cookies() {
				if c.Name == "mamori_csrf" {
					pre = c
				}
			}
			if pre == nil || pre.Secure != tc.secure {
				t.Errorf("pre-login cookie %+v", pre)
			}
		})
	}
}
