package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mamori/internal/scan/finding"
)

func TestTCP(t *testing.T) {
	open := listen(t)
	go func() {
		for {
			c, err := open.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	closed := closedPort(t)
	var connects atomic.Int64
	c := mustNew(t, opts(loopScope(), &connects))
	rep, fs, err := c.TCP(context.Background(), "127.0.0.1", []int{portOf(t, open), closed, portOf(t, open)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Ports) != 2 || connects.Load() != 2 {
		t.Fatalf("ports %+v connects %d", rep.Ports, connects.Load())
	}
	for _, p := range rep.Ports {
		want := StateClosed
		if p.Port == portOf(t, open) {
			want = StateOpen
		}
		if p.State != want {
			t.Errorf("port %d: %s, want %s", p.Port, p.State, want)
		}
	}
	checkFindings(t, fs, "tcp")
	if len(fs) != 1 || fs[0].Severity != finding.Info || fs[0].Key != "tcp|127.0.0.1|"+fmtInt(portOf(t, open)) || fs[0].Area != finding.AreaNetwork {
		t.Errorf("findings %+v", fs)
	}
	// A risky port is Medium (report built by hand: nothing listens on 3306 here).
	rf := tcpFindings(&TCPReport{Host: "db.example", Address: "192.0.2.5", Ports: []PortInfo{{Port: 3306, State: StateOpen}, {Port: 23, State: StateFiltered}}})
	if len(rf) != 1 || rf[0].Severity != finding.Medium || !strings.Contains(rf[0].Title, "MySQL") {
		t.Errorf("risky %+v", rf)
	}
}

func fmtInt(n int) string { return strconv.Itoa(n) }

func TestParseScope(t *testing.T) {
	good := `# 承認済み対象
www.city.example.lg.jp
WEB.Example.JP.   # trailing dot and case
192.0.2.10
2001:db8::1
10.20.0.0/16
2001:db8:1::/64
https://portal.example.jp/app/
http://192.0.2.20:8080

`
	s, err := ParseScope(good)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.Hosts, ",") != "www.city.example.lg.jp,web.example.jp" {
		t.Errorf("hosts %v", s.Hosts)
	}
	if len(s.Prefixes) != 4 || s.Prefixes[0].String() != "192.0.2.10/32" || s.Prefixes[1].String() != "2001:db8::1/128" {
		t.Errorf("prefixes %v", s.Prefixes)
	}
	if len(s.URLs) != 2 || s.URLs[1].String() != "http://192.0.2.20:8080/" {
		t.Errorf("urls %v", s.URLs)
	}
	back, err := ParseScope(s.String())
	if err != nil || back.String() != s.String() {
		t.Errorf("round trip %v\n%s", err, s.String())
	}
	if !strings.Contains(s.String(), "192.0.2.10\n") {
		t.Errorf("single IP should be written without /32: %s", s.String())
	}

	for _, tc := range []struct {
		text, want string
	}{
		{"ok.example\n10.0.0.0/8", "2 行目「10.0.0.0/8」"},
		{"10.0.0.0/15", "広すぎ"},
		{"2001:db8::/48", "広すぎ"},
		{"0.0.0.0/0", "広すぎ"},
		{"169.254.169.254", "メタデータ"},
		{"169.254.0.0/16", "リンクローカル"},
		{"fe80::1", "リンクローカル"},
		{"224.0.0.0/16", "マルチキャスト"},
		{"\n\n*.example.jp", "3 行目"},
		{"*.example.jp", "ワイルドカード"},
		{"https://*.example.jp/", "ワイルドカード"},
		{"ftp://files.example.jp/", "http:// または https://"},
		{"https://user:pw@example.jp/", "ユーザー情報"},
		{"bad_host!.example", "使えない文字"},
		{"10.0.0.300", "IP アドレス"},
		{"10.0.0.0/33", "CIDR"},
		{"a.example b.example", "1 行に 1 件"},
		{"-bad.example", "ハイフン"},
	} {
		_, err := ParseScope(tc.text)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.text, err, tc.want)
		}
	}
}

func TestNewValidation(t *testing.T) {
	base := Options{Scope: loopScope(), Start: testNow, End: testNow.Add(time.Hour)}
	for name, mod := range map[string]func(*Options){
		"empty scope":   func(o *Options) { o.Scope = Scope{} },
		"broad prefix":  func(o *Options) { o.Scope.Prefixes = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} },
		"no window":     func(o *Options) { o.Start = time.Time{} },
		"end <= start":  func(o *Options) { o.End = o.Start },
		"bad profile":   func(o *Options) { o.Profile = "low" },
		"negative rate": func(o *Options) { o.Rate = -1 },
		"wildcard host": func(o *Options) { o.Scope.Hosts = []string{"*.example.jp"} },
	} {
		o := base
		mod(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err := New(Options{Scope: loopScope(), Start: testNow, End: testNow.Add(time.Hour), Rate: 100})
	if err != nil || c.interval != 50*time.Millisecond || c.o.Timeout != DefaultTimeout || c.o.Profile != ProfileRecommended {
		t.Errorf("defaults: %v %v %+v", err, c.interval, c.o)
	}
}

// silentTLS is a TLS server whose accept counter must stay 0.
func silentTLS(t *testing.T) *countingListener {
	ca := newCA(t)
	return serveTLS(t, &tls.Config{Certificates: []tls.Certificate{leaf(t, ca, 90*24*time.Hour, "127.0.0.1")}})
}

func TestOutOfScope(t *testing.T) {
	l := silentTLS(t)
	port := portOf(t, l)
	var resolves atomic.Int64
	resolver := func(ans ...string) func(context.Context, string) ([]netip.Addr, error) {
		return func(context.Context, string) ([]netip.Addr, error) {
			resolves.Add(1)
			var out []netip.Addr
			for _, a := range ans {
				out = append(out, netip.MustParseAddr(a))
			}
			return out, nil
		}
	}
	scope := Scope{
		Hosts:    []string{"allowed.example"},
		Prefixes: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
		URLs:     []*url.URL{{Scheme: "http", Host: "127.0.0.1:" + fmtInt(port), Path: "/app/"}},
	}
	for name, run := range map[string]func(c *Checker) error{
		"ip tls": func(c *Checker) error { _, _, err := c.TLS(context.Background(), "127.0.0.1", port); return err },
		"ip tcp": func(c *Checker) error { _, _, err := c.TCP(context.Background(), "127.0.0.1", []int{port}); return err },
		"ipv6":   func(c *Checker) error { _, _, err := c.TCP(context.Background(), "::1", []int{port}); return err },
		"mapped": func(c *Checker) error {
			_, _, err := c.TCP(context.Background(), "::ffff:127.0.0.1", []int{port})
			return err
		},
		"url": func(c *Checker) error {
			_, _, err := c.HTTP(context.Background(), "http://127.0.0.1:"+fmtInt(port)+"/admin")
			return err
		},
		"url pfx": func(c *Checker) error {
			_, _, err := c.HTTP(context.Background(), "http://127.0.0.1:"+fmtInt(port)+"/application")
			return err
		},
		"url https": func(c *Checker) error {
			_, _, err := c.HTTP(context.Background(), "https://127.0.0.1:"+fmtInt(port)+"/app/")
			return err
		},
		"name outside": func(c *Checker) error {
			c.o.Resolve = resolver("127.0.0.1")
			_, _, err := c.TLS(context.Background(), "evil.example", port)
			return err
		},
		"name mixed": func(c *Checker) error {
			c.o.Resolve = resolver("10.1.2.3", "127.0.0.1")
			_, _, err := c.TCP(context.Background(), "mixed.example", []int{port})
			return err
		},
	} {
		var connects atomic.Int64
		c := mustNew(t, opts(scope, &connects))
		err := run(c)
		if !errors.Is(err, ErrOutOfScope) {
			t.Errorf("%s: err %v", name, err)
			continue
		}
		if connects.Load() != 0 {
			t.Errorf("%s: OnConnect called", name)
		}
		if !strings.Contains(err.Error(), "127.0.0.1") && !strings.Contains(err.Error(), "::1") && !strings.Contains(err.Error(), ".example") {
			t.Errorf("%s: message does not name the target: %v", name, err)
		}
	}
	if l.n.Load() != 0 {
		t.Fatalf("listener accepted %d connections", l.n.Load())
	}
	// A name not listed and no prefixes at all: not even resolved.
	var connects atomic.Int64
	o := opts(Scope{Hosts: []string{"allowed.example"}}, &connects)
	resolves.Store(0)
	o.Resolve = resolver("127.0.0.1")
	c := mustNew(t, o)
	if _, _, err := c.TCP(context.Background(), "other.example", []int{port}); !errors.Is(err, ErrOutOfScope) || resolves.Load() != 0 {
		t.Errorf("err %v, resolves %d", err, resolves.Load())
	}
}

func TestInScopeURLPrefix(t *testing.T) {
	l := listen(t)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
			}()
		}
	}()
	port := fmtInt(portOf(t, l))
	var connects atomic.Int64
	// Only the URL prefix approves 127.0.0.1 (no prefixes cover it).
	s, err := ParseScope("http://127.0.0.1:" + port + "/app\n10.9.0.0/16")
	if err != nil {
		t.Fatal(err)
	}
	c := mustNew(t, opts(s, &connects))
	for _, path := range []string{"/app", "/app/", "/app/x?y=1"} {
		if _, _, err := c.HTTP(context.Background(), "http://127.0.0.1:"+port+path); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
	if _, _, err := c.TCP(context.Background(), "127.0.0.1", []int{portOf(t, l)}); !errors.Is(err, ErrOutOfScope) {
		t.Errorf("URL approval must not extend to TCP: %v", err)
	}
	if l.n.Load() != 3 {
		t.Errorf("connections %d", l.n.Load())
	}
}

func TestWindow(t *testing.T) {
	l := silentTLS(t)
	port := portOf(t, l)
	for name, now := range map[string]time.Time{"before": testNow.Add(-time.Minute), "after": testNow.Add(2 * time.Hour)} {
		var connects atomic.Int64
		o := opts(loopScope(), &connects)
		o.Start, o.End = testNow, testNow.Add(time.Hour)
		o.Now = func() time.Time { return now }
		c := mustNew(t, o)
		for _, run := range []func() error{
			func() error { _, _, err := c.TLS(context.Background(), "127.0.0.1", port); return err },
			func() error {
				_, _, err := c.HTTP(context.Background(), "http://127.0.0.1:"+fmtInt(port)+"/")
				return err
			},
			func() error { _, _, err := c.TCP(context.Background(), "127.0.0.1", []int{port}); return err },
		} {
			err := run()
			if !errors.Is(err, ErrOutsideWindow) || !strings.Contains(err.Error(), "実施期間") || !strings.Contains(err.Error(), "2026-05-01") {
				t.Errorf("%s: %v", name, err)
			}
		}
		if connects.Load() != 0 {
			t.Errorf("%s: OnConnect called", name)
		}
	}
	if l.n.Load() != 0 {
		t.Fatalf("listener accepted %d connections", l.n.Load())
	}
}

func TestWindowEndsDuringCheck(t *testing.T) {
	var connects atomic.Int64
	o := opts(loopScope(), &connects)
	o.Start, o.End = testNow, testNow.Add(time.Hour)
	var calls atomic.Int64
	// Every call of Now advances 10 minutes: the window closes mid-check.
	o.Now = func() time.Time { return testNow.Add(time.Duration(calls.Add(1)) * 10 * time.Minute) }
	c := mustNew(t, o)
	ports := closedPorts(t, 10)
	rep, fs, err := c.TCP(context.Background(), "127.0.0.1", ports)
	if !errors.Is(err, ErrOutsideWindow) || fs != nil {
		t.Fatalf("err %v findings %v", err, fs)
	}
	if len(rep.Ports) == 0 || len(rep.Ports) >= len(ports) || int(connects.Load()) != len(rep.Ports) {
		t.Errorf("checked %d of %d ports, %d connections", len(rep.Ports), len(ports), connects.Load())
	}
}

func TestAbort(t *testing.T) {
	l := silentTLS(t)
	var connects atomic.Int64
	o := opts(loopScope(), &connects)
	o.Abort = func() bool { return connects.Load() >= 2 }
	c := mustNew(t, o)
	_, fs, err := c.TLS(context.Background(), "127.0.0.1", portOf(t, l))
	if !errors.Is(err, ErrAborted) || fs != nil || !strings.Contains(err.Error(), "中止") {
		t.Fatalf("err %v", err)
	}
	if connects.Load() != 2 {
		t.Errorf("connections %d", connects.Load())
	}
	// Aborted before the start: nothing at all.
	o.Abort = func() bool { return true }
	connects.Store(0)
	c = mustNew(t, o)
	if _, _, err := c.TCP(context.Background(), "127.0.0.1", []int{portOf(t, l)}); !errors.Is(err, ErrAborted) || connects.Load() != 0 {
		t.Errorf("err %v connects %d", err, connects.Load())
	}
}

func TestRateLimiter(t *testing.T) {
	ports := closedPorts(t, 6)
	for _, tc := range []struct {
		rate float64
		each time.Duration
	}{{2, 500 * time.Millisecond}, {0, 500 * time.Millisecond}, {50, 50 * time.Millisecond}} {
		var connects atomic.Int64
		o := opts(loopScope(), &connects)
		rec := &recorder{}
		o.Sleep = rec.sleep
		o.Rate = tc.rate
		fixed := testNow.Add(30 * time.Minute)
		o.Start, o.End = testNow, testNow.Add(time.Hour)
		o.Now = func() time.Time { return fixed }
		c := mustNew(t, o)
		if _, _, err := c.TCP(context.Background(), "127.0.0.1", ports); err != nil {
			t.Fatal(err)
		}
		// A second check on the same Checker is limited too.
		if _, _, err := c.TCP(context.Background(), "127.0.0.1", ports[:1]); err != nil {
			t.Fatal(err)
		}
		n := len(ports) + 1
		if want := time.Duration(n-1) * tc.each; rec.total != want || rec.calls != n-1 {
			t.Errorf("rate %v: slept %v in %d calls, want %v", tc.rate, rec.total, rec.calls, want)
		}
	}
}

func TestContextCancelledSleep(t *testing.T) {
	var connects atomic.Int64
	o := opts(loopScope(), &connects)
	o.Sleep = func(ctx context.Context, d time.Duration) error { return context.Canceled }
	fixed := testNow.Add(time.Minute)
	o.Start, o.End = testNow, testNow.Add(time.Hour)
	o.Now = func() time.Time { return fixed }
	c := mustNew(t, o)
	_, _, err := c.TCP(context.Background(), "127.0.0.1", closedPorts(t, 2))
	if !errors.Is(err, context.Canceled) || connects.Load() != 1 {
		t.Errorf("err %v connects %d", err, connects.Load())
	}
}

// TestMetadataRefused: a listed name that resolves to a link-local
// address (the cloud instance-metadata service) is refused before any
// connection, and so is the address written directly.
func TestMetadataRefused(t *testing.T) {
	var connects atomic.Int64
	s, err := ParseScope("meta.example.jp\n127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	o := opts(s, &connects)
	o.Resolve = func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("169.254.169.254")}, nil
	}
	c := mustNew(t, o)
	if _, _, err := c.TCP(context.Background(), "meta.example.jp", []int{80}); !errors.Is(err, ErrOutOfScope) || !strings.Contains(err.Error(), "メタデータ") {
		t.Errorf("a name resolving to the metadata address (TCP): %v", err)
	}
	s2, err := ParseScope("http://meta.example.jp/")
	if err != nil {
		t.Fatal(err)
	}
	o.Scope = s2
	if _, _, err := mustNew(t, o).HTTP(context.Background(), "http://meta.example.jp/latest/meta-data/"); !errors.Is(err, ErrForbiddenAddress) || !strings.Contains(err.Error(), "メタデータ") {
		t.Errorf("a name resolving to the metadata address: %v", err)
	}
	if _, _, err := c.TCP(context.Background(), "169.254.169.254", []int{80}); !errors.Is(err, ErrOutOfScope) {
		t.Errorf("the metadata address: %v", err)
	}
	if connects.Load() != 0 {
		t.Errorf("%d connections made", connects.Load())
	}
}
