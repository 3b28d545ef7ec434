package probe

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mamori/internal/scan/finding"
)

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

func listen(t *testing.T) *countingListener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: l}
	t.Cleanup(func() { l.Close() })
	return cl
}

func portOf(t *testing.T, l net.Listener) int {
	t.Helper()
	return l.Addr().(*net.TCPAddr).Port
}

// closedPort returns a port on 127.0.0.1 nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := portOf(t, l)
	l.Close()
	return p
}

// closedPorts returns n distinct ports on 127.0.0.1 nothing listens on.
func closedPorts(t *testing.T, n int) []int {
	t.Helper()
	var ls []net.Listener
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, portOf(t, l))
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Mamori Test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

var serial atomic.Int64

// leaf issues a server certificate (ECDSA P-256, SHA-256) for the names;
// with ca nil it is self-signed.
func leaf(t *testing.T, ca *testCA, validFor time.Duration, names ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(100 + serial.Add(1)),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(validFor),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if a, err := netip.ParseAddr(n); err == nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, a.AsSlice())
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	parent, signer := tmpl, any(key)
	if ca != nil {
		parent, signer = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// serveTLS runs a TLS server that only handshakes, on a counting listener.
func serveTLS(t *testing.T, cfg *tls.Config) *countingListener {
	t.Helper()
	l := listen(t)
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				_ = tls.Server(c, cfg).Handshake()
			}()
		}
	}()
	t.Cleanup(func() { l.Close(); wg.Wait() })
	return l
}

// recorder is an injected Sleep that records instead of waiting.
type recorder struct {
	mu    sync.Mutex
	total time.Duration
	calls int
}

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total += d
	r.calls++
	return ctx.Err()
}

var testNow = time.Date(2026, 5, 1, 10, 0, 0, 0, time.FixedZone("JST", 9*3600))

// opts returns options for tests: the window around the real time (the
// certificates are made with real time), a recorder as Sleep, a counter
// of OnConnect.
func opts(scope Scope, connects *atomic.Int64) Options {
	r := &recorder{}
	return Options{
		Scope:     scope,
		Start:     time.Now().Add(-time.Hour),
		End:       time.Now().Add(time.Hour),
		Rate:      20,
		Timeout:   3 * time.Second,
		Sleep:     r.sleep,
		OnConnect: func(string) { connects.Add(1) },
	}
}

func loopScope() Scope {
	return Scope{Prefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
}

func mustNew(t *testing.T, o Options) *Checker {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func findKey(fs []finding.Finding, suffix string) *finding.Finding {
	for i := range fs {
		if strings.HasSuffix(fs[i].Key, "|"+suffix) {
			return &fs[i]
		}
	}
	return nil
}

func checkFindings(t *testing.T, fs []finding.Finding, source string) {
	t.Helper()
	keys := map[string]bool{}
	for _, f := range fs {
		if f.Key == "" || f.Source != source || f.Title == "" || f.Description == "" || f.Remedy == "" || !f.Severity.Valid() || f.Host == "" || f.Area == "" {
			t.Errorf("incomplete finding: %+v", f)
		}
		if keys[f.Key] {
			t.Errorf("duplicate key %s", f.Key)
		}
		keys[f.Key] = true
	}
}
