package probe

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mamori/internal/scan/finding"
)

// startHTTP serves h on a counting listener; with tlsCert it serves HTTPS.
func startHTTP(t *testing.T, h http.Handler, tlsCert *tls.Certificate) (*httptest.Server, *countingListener) {
	t.Helper()
	l := listen(t)
	s := httptest.NewUnstartedServer(h)
	s.Listener = l
	if tlsCert != nil {
		s.TLS = &tls.Config{Certificates: []tls.Certificate{*tlsCert}}
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s, l
}

func TestHTTPBareServer(t *testing.T) {
	var mu sync.Mutex
	var got *http.Request
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Clone(context.Background())
		mu.Unlock()
		w.Header().Set("Server", "Apache/2.4.57 (Unix)")
		w.Header().Set("X-Powered-By", "PHP/8.1.2")
		w.Header().Add("Set-Cookie", "PHPSESSID=secret-value-123; Path=/")
		w.Header().Add("Set-Cookie", "pref=blue; Max-Age=3600; HttpOnly")
		fmt.Fprint(w, strings.Repeat("x", 200<<10))
	})
	for _, https := range []bool{false, true} {
		var cert *tls.Certificate
		if https {
			c := leaf(t, nil, 30*24*time.Hour, "127.0.0.1")
			cert = &c
		}
		s, l := startHTTP(t, h, cert)
		var connects atomic.Int64
		c := mustNew(t, opts(loopScope(), &connects))
		rep, fs, err := c.HTTP(context.Background(), s.URL+"/index.php")
		if err != nil {
			t.Fatal(err)
		}
		if l.n.Load() != 1 || connects.Load() != 1 {
			t.Errorf("connections %d / %d", l.n.Load(), connects.Load())
		}
		mu.Lock()
		if got.Method != http.MethodGet || got.Header.Get("User-Agent") != UserAgent || len(got.Header) > 2 {
			t.Errorf("request %s %v", got.Method, got.Header)
		}
		mu.Unlock()
		if rep.Status != 200 || rep.BodyBytes != MaxBody || len(rep.Cookies) != 2 {
			t.Errorf("report %+v", rep)
		}
		checkFindings(t, fs, "http")
		want := map[string]finding.Severity{
			"csp-missing": finding.Low, "nosniff-missing": finding.Low, "clickjacking": finding.Low,
			"referrer-policy-missing": finding.Info, "version-banner": finding.Low,
			"cookie-no-httponly": finding.Low, "cookie-no-samesite": finding.Low,
		}
		if https {
			want["hsts-missing"] = finding.Medium
			want["cookie-no-secure"] = finding.Medium
		} else {
			want["no-https-redirect"] = finding.Medium
		}
		for code, sev := range want {
			f := findKey(fs, code)
			if f == nil {
				t.Errorf("https=%v: no %s", https, code)
				continue
			}
			if f.Severity != sev || f.Area != finding.AreaConfig || f.URL != s.URL+"/index.php" {
				t.Errorf("%s: %+v", code, f)
			}
		}
		if len(fs) != len(want) {
			t.Errorf("https=%v: %d findings, want %d", https, len(fs), len(want))
		}
		if f := findKey(fs, "cookie-no-httponly"); f != nil && (!strings.Contains(f.Evidence, "PHPSESSID") || strings.Contains(f.Evidence, "pref") || !strings.Contains(f.Description, "セッション")) {
			t.Errorf("httponly %+v", f)
		}
		if f := findKey(fs, "version-banner"); f != nil && !strings.Contains(f.Evidence, "Apache/2.4.57") {
			t.Errorf("banner %q", f.Evidence)
		}
		for _, f := range fs {
			if strings.Contains(f.Evidence+f.Description, "secret-value") {
				t.Error("cookie value leaked")
			}
		}
	}
}

func TestHTTPSAllHeaders(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Server", "nginx")
		w.Header().Add("Set-Cookie", "sid=abc; Secure; HttpOnly; SameSite=Lax")
		fmt.Fprint(w, "ok")
	})
	cert := leaf(t, nil, 30*24*time.Hour, "127.0.0.1")
	s, _ := startHTTP(t, h, &cert)
	var connects atomic.Int64
	c := mustNew(t, opts(loopScope(), &connects))
	rep, fs, err := c.HTTP(context.Background(), s.URL)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 0 {
		for _, f := range fs {
			t.Errorf("unexpected %s: %s", f.Key, f.Title)
		}
	}
	if rep.Server != "nginx" || len(rep.Cookies) != 1 || !rep.Cookies[0].Secure || rep.Cookies[0].SameSite != "Lax" {
		t.Errorf("report %+v", rep)
	}
	hsts, ok := rep.header("Strict-Transport-Security")
	if !ok || !strings.Contains(hsts.Value, "63072000") {
		t.Errorf("hsts %+v", hsts)
	}
}

func TestHTTPShortHSTS(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=86400")
	})
	cert := leaf(t, nil, 30*24*time.Hour, "127.0.0.1")
	s, _ := startHTTP(t, h, &cert)
	var connects atomic.Int64
	c := mustNew(t, opts(loopScope(), &connects))
	_, fs, err := c.HTTP(context.Background(), s.URL)
	if err != nil {
		t.Fatal(err)
	}
	if f := findKey(fs, "hsts-short"); f == nil || f.Severity != finding.Low {
		t.Errorf("hsts-short %+v", f)
	}
}

func TestHTTPRedirects(t *testing.T) {
	var target string
	redir := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusMovedPermanently)
	})
	s, l := startHTTP(t, redir, nil)
	var connects atomic.Int64
	c := mustNew(t, opts(loopScope(), &connects))

	// Same host, https: Info. The redirect is not followed (one connection).
	target = "https://127.0.0.1:1/login"
	rep, fs, err := c.HTTP(context.Background(), s.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != 301 || rep.RedirectTo != target || l.n.Load() != 1 {
		t.Errorf("status %d redirect %q connections %d", rep.Status, rep.RedirectTo, l.n.Load())
	}
	if f := findKey(fs, "https-redirect"); f == nil || f.Severity != finding.Info {
		t.Errorf("https-redirect %+v", f)
	}
	if findKey(fs, "no-https-redirect") != nil || findKey(fs, "csp-missing") != nil {
		t.Error("redirect response should not be graded for page headers")
	}

	// Another host or plain http: Medium.
	for _, tgt := range []string{"https://www.example.jp/", "/elsewhere"} {
		target = tgt
		_, fs, err = c.HTTP(context.Background(), s.URL+"/")
		if err != nil {
			t.Fatal(err)
		}
		if f := findKey(fs, "no-https-redirect"); f == nil || f.Severity != finding.Medium {
			t.Errorf("%s: no-https-redirect %+v", tgt, f)
		}
	}
}

func TestHTTPConnectionRefused(t *testing.T) {
	var connects atomic.Int64
	c := mustNew(t, opts(loopScope(), &connects))
	_, fs, err := c.HTTP(context.Background(), "http://127.0.0.1:"+fmtInt(closedPort(t))+"/")
	if err == nil || fs != nil || !strings.Contains(err.Error(), "接続できませんでした") || connects.Load() != 1 {
		t.Fatalf("err %v connects %d", err, connects.Load())
	}
}
