package app_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mamori/internal/config"
	"mamori/internal/testkit"
	"mamori/internal/web"
	"mamori/internal/webtest"
)

// multipartBody is a form with a CSRF token and one file part of size bytes:
// larger than the parser's memory budget, so Go spools it to a temp file.
func multipartBody(t *testing.T, csrf string, size int) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf_token", csrf)
	_ = mw.WriteField("login", "tanaka")
	_ = mw.WriteField("password", password)
	_ = mw.WriteField("year", "2031")
	fw, _ := mw.CreateFormFile("file", "big.bin")
	_, _ = fw.Write(bytes.Repeat([]byte("x"), size))
	_ = mw.Close()
	return &buf, mw.FormDataContentType()
}

// postBody sends body; expect asks the server for "100 Continue" first,
// as a careful client would, so a refusal need not wait for the whole body.
func postBody(t *testing.T, c *webtest.Client, path string, body io.Reader, ctype string, expect bool) *webtest.Response {
	t.Helper()
	req := newPost(t, c, path, body, ctype)
	if expect {
		req.Header.Set("Expect", "100-continue")
	}
	return c.Do(req)
}

// TestMultipartOnlyOnUploadRoutes: a multipart body sent to the login form
// (no login needed) or to any other form without a file field is refused
// without spooling it to disk, and an upload route's spool files are
// removed once the request ends.
func TestMultipartOnlyOnUploadRoutes(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	s := webtest.Start(t, webtest.Options{})
	addUser(t, s, "tanaka", web.RoleAdmin, 0)
	const big = 10 << 20

	anon := s.Anonymous()
	body, ct := multipartBody(t, anon.CSRF(), big)
	resp := postBody(t, anon, "/login", body, ct, true).Want(http.StatusUnsupportedMediaType, "ファイル")
	for _, ck := range resp.Cookies() {
		if ck.Name == web.SessionCookie {
			t.Errorf("multipart /login signed in")
		}
	}
	if left := testkit.SpoolFiles(t, tmp); len(left) > 0 {
		t.Errorf("multipart /login left temp files: %v", left)
	}

	admin := s.As("tanaka")
	body, ct = multipartBody(t, admin.CSRF(), big)
	postBody(t, admin, "/admin/years", body, ct, true).Want(http.StatusUnsupportedMediaType)
	if ys, _ := s.Org.FiscalYears(t.Context()); len(ys) != 0 {
		t.Errorf("multipart form was applied: %+v", ys)
	}
	if left := testkit.SpoolFiles(t, tmp); len(left) > 0 {
		t.Errorf("multipart /admin/years left temp files: %v", left)
	}

	// A form that is too large for a screen without uploads is refused.
	form := url.Values{"year": {"2031"}, "csrf_token": {admin.CSRF()}, "pad": {strings.Repeat("x", 2<<20)}}
	postBody(t, admin, "/admin/years", strings.NewReader(form.Encode()), formType, true).Want(http.StatusRequestEntityTooLarge)

	// The roster import takes files: the upload is parsed, and its spool
	// file is gone after the answer.
	body, ct = multipartBody(t, admin.CSRF(), big)
	if r := postBody(t, admin, "/staff/import", body, ct, false); r.StatusCode == http.StatusUnsupportedMediaType || r.StatusCode == http.StatusForbidden {
		t.Errorf("upload route refused the upload: %d %s", r.StatusCode, webtest.Excerpt(r.Body))
	}
	if left := testkit.SpoolFiles(t, tmp); len(left) > 0 {
		t.Errorf("upload left temp files: %v", left)
	}
}

// TestBehindTLSProxy: with the proxy's address configured, a login through
// it gets a Secure cookie and HSTS, and the audit log names the browser's
// address; without it the same headers change nothing.
func TestBehindTLSProxy(t *testing.T) {
	for _, tc := range []struct {
		name    string
		proxy   string
		secure  bool
		auditIP string
	}{
		{"trusted proxy", "127.0.0.1", true, "198.51.100.23"},
		{"no proxy configured", "", false, "127.0.0.1"},
		{"another proxy configured", "10.0.0.0/8", false, "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := webtest.Start(t, webtest.Options{Configure: func(c *config.Config) {
				c.TrustedProxy = tc.proxy
				if err := c.Validate(); err != nil {
					t.Fatal(err)
				}
			}})
			addUser(t, s, "tanaka", web.RoleStaff, 0)

			c := s.Anonymous()
			form := url.Values{"login": {"tanaka"}, "password": {password}, "csrf_token": {c.CSRF()}, "next": {"/"}}
			req := newPost(t, c, "/login", strings.NewReader(form.Encode()), formType)
			req.Header.Set("X-Forwarded-For", "203.0.113.99, 198.51.100.23")
			req.Header.Set("X-Forwarded-Proto", "https")
			resp := c.Do(req).Want(http.StatusSeeOther)
			var session *http.Cookie
			for _, ck := range resp.Cookies() {
				if ck.Name == web.SessionCookie {
					session = ck
				}
			}
			if session == nil || session.Secure != tc.secure {
				t.Errorf("session cookie %+v, want Secure=%v", session, tc.secure)
			}
			if hsts := resp.Header.Get("Strict-Transport-Security") != ""; hsts != tc.secure {
				t.Errorf("HSTS sent: %v", hsts)
			}
			var ip string
			if err := s.DB.QueryRow(t.Context(), "SELECT ip FROM audit_log WHERE action = 'login.success'").Scan(&ip); err != nil || ip != tc.auditIP {
				t.Errorf("audit ip %q %v, want %q", ip, err, tc.auditIP)
			}
			if err := s.DB.QueryRow(t.Context(), "SELECT ip FROM sessions").Scan(&ip); err != nil || ip != tc.auditIP {
				t.Errorf("session ip %q %v, want %q", ip, err, tc.auditIP)
			}
		})
	}
}
