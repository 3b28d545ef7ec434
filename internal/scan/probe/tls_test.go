package probe

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mamori/internal/scan/finding"
)

func TestTLSOldServer(t *testing.T) {
	ca := newCA(t)
	l := serveTLS(t, &tls.Config{
		Certificates: []tls.Certificate{leaf(t, ca, 10*24*time.Hour, "127.0.0.1")},
		MinVersion:   tls.VersionTLS10,
		MaxVersion:   tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA},
	})
	var connects atomic.Int64
	o := opts(loopScope(), &connects)
	o.RootCAs = ca.pool
	c := mustNew(t, o)
	rep, fs, err := c.TLS(context.Background(), "127.0.0.1", portOf(t, l))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"TLS 1.0", "TLS 1.1", "TLS 1.2"}; !slices.Equal(rep.Versions, want) {
		t.Fatalf("versions %v, want %v", rep.Versions, want)
	}
	wantSuites := map[string][]string{
		"TLS 1.0": {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
		"TLS 1.1": {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
		"TLS 1.2": {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
	}
	for _, vs := range rep.Suites {
		got := slices.Sorted(slices.Values(vs.Suites))
		if !slices.Equal(got, wantSuites[vs.Version]) {
			t.Errorf("%s suites %v, want %v", vs.Version, got, wantSuites[vs.Version])
		}
	}
	// accepted suites + 1 per version ≤1.2, plus one TLS 1.3 attempt.
	if want := (1 + 1) + (1 + 1) + (2 + 1) + 1; rep.Handshakes != want || int(l.n.Load()) != want || int(connects.Load()) != want {
		t.Errorf("handshakes %d, accepted %d, OnConnect %d; want %d", rep.Handshakes, l.n.Load(), connects.Load(), want)
	}
	if rep.Grade != GradeNotRecommended {
		t.Errorf("grade %q", rep.Grade)
	}
	if rep.Cert == nil || !rep.Cert.ChainVerified || !rep.Cert.HostMatches || rep.Cert.DaysLeft > 10 || rep.Cert.KeyType != "ECDSA" || rep.Cert.KeyBits != 256 {
		t.Errorf("cert %+v", rep.Cert)
	}
	checkFindings(t, fs, "tls")
	for code, sev := range map[string]finding.Severity{
		"old-protocol": finding.High, "cert-expiring": finding.Medium, "no-tls13": finding.Low,
		"grade": finding.Info,
	} {
		f := findKey(fs, code)
		if f == nil {
			t.Errorf("no %s finding", code)
			continue
		}
		if f.Severity != sev || f.Area != finding.AreaCrypto || f.Port != portOf(t, l) {
			t.Errorf("%s: %+v", code, f)
		}
	}
	if f := findKey(fs, "old-protocol"); f != nil && !strings.Contains(f.Evidence, "TLS 1.0") {
		t.Errorf("evidence %q", f.Evidence)
	}
	if f := findKey(fs, "weak-suites"); f != nil && !strings.Contains(f.Evidence, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA") {
		t.Errorf("evidence %q", f.Evidence)
	}
	for _, bad := range []string{"cert-untrusted", "cert-hostname", "cert-expired"} {
		if findKey(fs, bad) != nil {
			t.Errorf("unexpected %s", bad)
		}
	}
	if !strings.Contains(strings.Join(rep.Notes, " "), "SSL 3.0") {
		t.Errorf("notes %v", rep.Notes)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Error(err)
	}
}

func TestTLSModernServer(t *testing.T) {
	ca := newCA(t)
	l := serveTLS(t, &tls.Config{
		Certificates: []tls.Certificate{leaf(t, ca, 200*24*time.Hour, "127.0.0.1")},
		MinVersion:   tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
	})
	for _, profile := range []string{"", ProfileHigh} {
		var connects atomic.Int64
		o := opts(loopScope(), &connects)
		o.RootCAs = ca.pool
		o.Profile = profile
		c := mustNew(t, o)
		rep, fs, err := c.TLS(context.Background(), "127.0.0.1", portOf(t, l))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rep.Versions, []string{"TLS 1.2", "TLS 1.3"}) || rep.Grade != GradeHigh {
			t.Errorf("%q: versions %v grade %q reasons %v", profile, rep.Versions, rep.Grade, rep.GradeReasons)
		}
		for _, f := range fs {
			if f.Severity.Rank() <= finding.Medium.Rank() {
				t.Errorf("unexpected finding %s %s", f.Severity, f.Title)
			}
		}
		g := findKey(fs, "grade")
		if g == nil || g.Severity != finding.Info || !strings.Contains(g.Title, "適合") || strings.Contains(g.Title, "不適合") {
			t.Errorf("grade finding %+v", g)
		}
		if len(fs) != 1 {
			t.Errorf("want only the grade finding, got %d", len(fs))
		}
	}
}

func TestTLSSelfSigned(t *testing.T) {
	ca := newCA(t)
	l := serveTLS(t, &tls.Config{
		Certificates: []tls.Certificate{leaf(t, nil, 90*24*time.Hour, "127.0.0.1")},
		MinVersion:   tls.VersionTLS12,
	})
	var connects atomic.Int64
	o := opts(loopScope(), &connects)
	o.RootCAs = ca.pool
	c := mustNew(t, o)
	rep, fs, err := c.TLS(context.Background(), "127.0.0.1", portOf(t, l))
	if err != nil {
		t.Fatal(err)
	}
	f := findKey(fs, "cert-untrusted")
	if f == nil || f.Severity != finding.High || !strings.Contains(f.Title, "自己署名") {
		t.Fatalf("chain finding %+v", f)
	}
	if rep.Cert.ChainVerified || !rep.Cert.SelfSigned || rep.Grade != GradeNotRecommended {
		t.Errorf("cert %+v grade %q", rep.Cert, rep.Grade)
	}
}

func TestTLSHostnameMismatch(t *testing.T) {
	ca := newCA(t)
	l := serveTLS(t, &tls.Config{
		Certificates: []tls.Certificate{leaf(t, ca, 90*24*time.Hour, "other.example.jp")},
		MinVersion:   tls.VersionTLS12,
	})
	var connects atomic.Int64
	var resolves atomic.Int64
	o := opts(Scope{Hosts: []string{"www.test.example"}}, &connects)
	o.RootCAs = ca.pool
	o.Resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
		// A second answer would point elsewhere: the check must not ask again.
		if resolves.Add(1) > 1 {
			return []netip.Addr{netip.MustParseAddr("192.0.2.1")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	c := mustNew(t, o)
	rep, fs, err := c.TLS(context.Background(), "WWW.test.example.", portOf(t, l))
	if err != nil {
		t.Fatal(err)
	}
	if resolves.Load() != 1 {
		t.Errorf("resolved %d times", resolves.Load())
	}
	if rep.Host != "www.test.example" || rep.Address != netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(portOf(t, l))).String() {
		t.Errorf("host %q address %q", rep.Host, rep.Address)
	}
	f := findKey(fs, "cert-hostname")
	if f == nil || f.Severity != finding.High || !strings.Contains(f.Evidence, "other.example.jp") {
		t.Fatalf("hostname finding %+v", f)
	}
	if !strings.HasPrefix(f.Key, "tls|www.test.example:") {
		t.Errorf("key %q", f.Key)
	}
	if findKey(fs, "cert-untrusted") != nil {
		t.Error("chain should verify")
	}
}

func TestTLSNotTLS(t *testing.T) {
	l := listen(t) // accepts and closes: no TLS
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	var connects atomic.Int64
	c := mustNew(t, opts(loopScope(), &connects))
	rep, fs, err := c.TLS(context.Background(), "127.0.0.1", portOf(t, l))
	if err == nil || fs != nil || rep.Grade != GradeNoTLS {
		t.Fatalf("err %v findings %d grade %q", err, len(fs), rep.Grade)
	}
}

func TestClassifySuite(t *testing.T) {
	for _, tc := range []struct {
		name      string
		high, rec bool
	}{
		{"TLS_AES_128_GCM_SHA256", true, true},
		{"TLS_CHACHA20_POLY1305_SHA256", true, true},
		{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", true, true},
		{"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", true, true},
		{"TLS_DHE_RSA_WITH_AES_128_CCM", true, true},
		{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", false, true},
		{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", false, true},
		{"TLS_RSA_WITH_AES_128_GCM_SHA256", false, false},
		{"TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", false, false},
		{"TLS_ECDHE_RSA_WITH_RC4_128_SHA", false, false},
	} {
		if got := suiteAllowed(tc.name, ProfileHigh); got != tc.high {
			t.Errorf("%s high: %v", tc.name, got)
		}
		if got := suiteAllowed(tc.name, ProfileRecommended); got != tc.rec {
			t.Errorf("%s recommended: %v", tc.name, got)
		}
	}
	if !classifySuite("TLS_RSA_WITH_RC4_128_SHA").prohibited || !classifySuite("TLS_RSA_WITH_3DES_EDE_CBC_SHA").prohibited {
		t.Error("RC4/3DES must be prohibited")
	}
}

func TestAnalyzeCertWeakAndExpired(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "old.example"},
		DNSNames:     []string{"old.example"},
		NotBefore:    now.Add(-400 * 24 * time.Hour),
		NotAfter:     now.Add(-24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ci := analyzeCert([]*x509.Certificate{cert}, "old.example", now, x509.NewCertPool())
	if !ci.Expired || ci.KeyType != "RSA" || ci.KeyBits != 1024 || !ci.HostMatches || ci.ChainVerified || !ci.SelfSigned || ci.DaysLeft >= 0 {
		t.Fatalf("cert info %+v", ci)
	}
	r := &TLSReport{Host: "old.example", Port: 443, Profile: ProfileRecommended, Versions: []string{"TLS 1.2"},
		Suites: []VersionSuites{{Version: "TLS 1.2", Suites: []string{"TLS_RSA_WITH_3DES_EDE_CBC_SHA"}}}, Cert: ci}
	r.Grade, r.GradeReasons = grade(r, r.Profile)
	fs := tlsFindings(r)
	checkFindings(t, fs, "tls")
	for code, sev := range map[string]finding.Severity{"cert-expired": finding.High, "cert-weak-key": finding.High, "cert-untrusted": finding.High, "weak-suites": finding.High} {
		if f := findKey(fs, code); f == nil || f.Severity != sev {
			t.Errorf("%s: %+v", code, f)
		}
	}
	if findKey(fs, "cert-expiring") != nil || r.Grade != GradeNotRecommended || len(r.GradeReasons) == 0 {
		t.Errorf("grade %q %v", r.Grade, r.GradeReasons)
	}
	if !weakSignature(x509.SHA1WithRSA) || weakSignature(x509.ECDSAWithSHA256) {
		t.Error("weakSignature")
	}
	// Profile high on a recommended-only server.
	r2 := &TLSReport{Versions: []string{"TLS 1.2"}, Suites: []VersionSuites{{Version: "TLS 1.2", Suites: []string{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"}}},
		Cert: &CertInfo{KeyType: "RSA", KeyBits: 2048, ChainVerified: true, HostMatches: true}}
	if g, _ := grade(r2, ProfileHigh); g != GradeNotHighButRecomm {
		t.Errorf("grade %q", g)
	}
	if g, _ := grade(r2, ProfileRecommended); g != GradeRecommended {
		t.Errorf("grade %q", g)
	}
}
