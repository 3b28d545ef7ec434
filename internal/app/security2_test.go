package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"mamori/internal/config"
	"mamori/internal/web"
)

// multipartBody is a form with a CSRF token and one file part of size bytes:
// larger than the parser's memory budget, so Go spools it to a temp file.
func multipartBody(t *testing.T, csrf string, size int) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf_token", csrf)
	_ = mw.WriteField("login", "tanaka")
	_ = mw.WriteField("password", "Correct-horse-42")
	_ = mw.WriteField("year", "2031")
	fw, _ := mw.CreateFormFile("file", "big.bin")
	_, _ = fw.Write(bytes.Repeat([]byte("x"), size))
	_ = mw.Close()
	return &buf, mw.FormDataContentType()
}

// postBody sends body; expect asks the server for "100 Continue" first,
// as a careful client would, so a refusal need not wait for the whole body.
func (c *client) postBody(path string, body io.Reader, ctype string, expect bool) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Origin", c.base)
	if expect {
		req.Header.Set("Expect", "100-continue")
	}
	resp, err := c.Do(req)
	if err != nil {
		c.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// multipartTemps lists Go's multipart spool files left in dir; it waits a
// little for the server to finish the request after the response.
func multipartTemps(t *testing.T, dir string) []string {
	t.Helper()
	var left []string
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		left = left[:0]
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "multipart-") {
				left = append(left, e.Name())
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
	}
}

// TestMultipartOnlyOnUploadRoutes: a multipart body sent to the login form
// (no login needed) or to any other form without a file field is refused
// without spooling it to disk, and an upload route's spool files are
// removed once the request ends.
func TestMultipartOnlyOnUploadRoutes(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ta := newTestApp(t, sqliteDSN(t), false, nil)
	addUser(t, ta, "tanaka", web.RoleAdmin, 0)
	const big = 10 << 20

	anon := ta.client()
	body, ct := multipartBody(t, anon.csrf(), big)
	resp, page := anon.postBody("/login", body, ct, true)
	if resp.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(page, "ファイル") {
		t.Errorf("multipart /login: %d", resp.StatusCode)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == web.SessionCookie {
			t.Errorf("multipart /login signed in")
		}
	}
	if left := multipartTemps(t, tmp); len(left) > 0 {
		t.Errorf("multipart /login left temp files: %v", left)
	}

	admin := ta.as("tanaka")
	body, ct = multipartBody(t, admin.csrf(), big)
	if resp, _ := admin.postBody("/admin/years", body, ct, true); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("multipart /admin/years: %d", resp.StatusCode)
	}
	if ys, _ := ta.Org.FiscalYears(t.Context()); len(ys) != 0 {
		t.Errorf("multipart form was applied: %+v", ys)
	}
	if left := multipartTemps(t, tmp); len(left) > 0 {
		t.Errorf("multipart /admin/years left temp files: %v", left)
	}

	// A form that is too large for a screen without uploads is refused.
	form := url.Values{"year": {"2031"}, "csrf_token": {admin.csrf()}, "pad": {strings.Repeat("x", 2<<20)}}
	if resp, _ := admin.postBody("/admin/years", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", true); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB form: %d", resp.StatusCode)
	}

	// The roster import takes files: the upload is parsed, and its spool
	// file is gone after the answer.
	body, ct = multipartBody(t, admin.csrf(), big)
	if resp, page := admin.postBody("/staff/import", body, ct, false); resp.StatusCode == http.StatusUnsupportedMediaType || resp.StatusCode == http.StatusForbidden {
		t.Errorf("upload route refused the upload: %d %s", resp.StatusCode, page)
	}
	if left := multipartTemps(t, tmp); len(left) > 0 {
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
			cfg := config.Default()
			cfg.Data = t.TempDir()
			cfg.DB = sqliteDSN(t)
			cfg.TrustedProxy = tc.proxy
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			a, err := New(context.Background(), cfg, Options{Argon: testArgon, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(a.Handler())
			t.Cleanup(func() { srv.Close(); a.Close() })
			ta := &testApp{App: a, srv: srv, t: t}
			addUser(t, ta, "tanaka", web.RoleStaff, 0)

			c := ta.client()
			tok := c.csrf()
			form := url.Values{"login": {"tanaka"}, "password": {"Correct-horse-42"}, "csrf_token": {tok}, "next": {"/"}}
			req, _ := http.NewRequest(http.MethodPost, c.base+"/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", c.base)
			req.Header.Set("X-Forwarded-For", "203.0.113.99, 198.51.100.23")
			req.Header.Set("X-Forwarded-Proto", "https")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("login: %d", resp.StatusCode)
			}
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
			if err := a.DB.QueryRow(t.Context(), "SELECT ip FROM audit_log WHERE action = 'login.success'").Scan(&ip); err != nil || ip != tc.auditIP {
				t.Errorf("audit ip %q %v, want %q", ip, err, tc.auditIP)
			}
			if err := a.DB.QueryRow(t.Context(), "SELECT ip FROM sessions").Scan(&ip); err != nil || ip != tc.auditIP {
				t.Errorf("session ip %q %v, want %q", ip, err, tc.auditIP)
			}
		})
	}
}
