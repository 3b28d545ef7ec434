package probe

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Sentinel errors; the checks return them wrapped in an error whose
// Japanese message names the target or the window, so use errors.Is.
var (
	// ErrOutOfScope means the target is not on the approved allow-list.
	ErrOutOfScope = errors.New("対象範囲外")
	// ErrOutsideWindow means the current time is outside the approved window.
	ErrOutsideWindow = errors.New("実施期間外")
	// ErrAborted means the check was stopped by Options.Abort.
	ErrAborted = errors.New("中止")
)

// Profiles of the TLS guideline a target is graded against.
const (
	ProfileRecommended = "recommended" // 推奨セキュリティ型
	ProfileHigh        = "high"        // 高セキュリティ型
)

// Limits and defaults of the options.
const (
	DefaultRate    = 2.0              // connections per second when Rate is 0
	MaxRate        = 20.0             // a higher Rate is lowered to this
	DefaultTimeout = 5 * time.Second  // per connection when Timeout is 0
	MaxTimeout     = 60 * time.Second // a longer Timeout is lowered to this
	// UserAgent is the only header the HTTP check sets itself.
	UserAgent = "Mamori-SafeCheck/1"
	// MaxBody is how much of a response body the HTTP check reads at most.
	MaxBody = 64 << 10
	// MaxPorts is how many ports one TCP check may try.
	MaxPorts = 1024
)

// Options configure a Checker.
type Options struct {
	// Scope is the approved allow-list.
	Scope Scope
	// Start and End bound the approved window; no connection is made
	// outside [Start, End].
	Start, End time.Time
	// Now is the clock for the window (default time.Now).
	Now func() time.Time
	// Rate is the maximum of new connections per second (default 2,
	// capped at 20).
	Rate float64
	// Timeout bounds each connection (default 5 s, at most 60 s).
	Timeout time.Duration
	// Abort is checked before every connection; true stops the check
	// with ErrAborted.
	Abort func() bool
	// Profile is "recommended" (推奨セキュリティ型, default) or "high"
	// (高セキュリティ型).
	Profile string
	// RootCAs verify server certificates; nil means the system roots.
	RootCAs *x509.CertPool
	// Resolve looks a host name up (default net.DefaultResolver.LookupNetIP).
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// Sleep waits for the rate limiter (default a timer honouring ctx).
	Sleep func(ctx context.Context, d time.Duration) error
	// OnConnect is called with "ip:port" before every connection attempt.
	OnConnect func(addr string)
}

// Checker runs the safe checks under one set of options. Its methods may
// be called from several goroutines; the checks then run one at a time.
type Checker struct {
	o        Options
	interval time.Duration

	mu   sync.Mutex // held for a whole check: one connection at a time
	next time.Time  // earliest start of the next connection (zero: none yet)
}

// New validates the options and returns a Checker.
func New(o Options) (*Checker, error) {
	if err := o.Scope.validate(); err != nil {
		return nil, err
	}
	if o.Start.IsZero() || o.End.IsZero() {
		return nil, fmt.Errorf("承認された実施期間（開始・終了日時）を指定してください")
	}
	if !o.End.After(o.Start) {
		return nil, fmt.Errorf("実施期間の終了日時（%s）が開始日時（%s）より後になっていません", fmtTime(o.End), fmtTime(o.Start))
	}
	switch {
	case math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0) || o.Rate < 0:
		return nil, fmt.Errorf("接続レート（1 秒あたりの接続数）が正しくありません")
	case o.Rate == 0:
		o.Rate = DefaultRate
	case o.Rate > MaxRate:
		o.Rate = MaxRate
	}
	switch {
	case o.Timeout < 0:
		return nil, fmt.Errorf("タイムアウトが正しくありません")
	case o.Timeout == 0:
		o.Timeout = DefaultTimeout
	case o.Timeout > MaxTimeout:
		o.Timeout = MaxTimeout
	}
	switch o.Profile {
	case "":
		o.Profile = ProfileRecommended
	case ProfileRecommended, ProfileHigh:
	default:
		return nil, fmt.Errorf("評価基準「%s」は指定できません（recommended: 推奨セキュリティ型、high: 高セキュリティ型）", o.Profile)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Resolve == nil {
		o.Resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	o.Scope = cloneScope(o.Scope)
	return &Checker{o: o, interval: time.Duration(float64(time.Second) / o.Rate)}, nil
}

func cloneScope(s Scope) Scope {
	c := Scope{Hosts: append([]string(nil), s.Hosts...), Prefixes: append([]netip.Prefix(nil), s.Prefixes...)}
	for _, u := range s.URLs {
		v := *u
		c.URLs = append(c.URLs, &v)
	}
	return c
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func fmtTime(t time.Time) string { return t.Format("2006-01-02 15:04:05 MST") }

// checkWindow refuses when Now is outside [Start, End].
func (c *Checker) checkWindow() error {
	now := c.o.Now()
	if now.Before(c.o.Start) || now.After(c.o.End) {
		return fmt.Errorf("現在時刻 %s は承認された実施期間（%s 〜 %s）の外のため、接続しません: %w",
			fmtTime(now), fmtTime(c.o.Start), fmtTime(c.o.End), ErrOutsideWindow)
	}
	return nil
}

func (c *Checker) checkAbort(target string) error {
	if c.o.Abort != nil && c.o.Abort() {
		return fmt.Errorf("%s の検査は中止されました: %w", target, ErrAborted)
	}
	return nil
}

// begin runs the checks every check makes before it does anything else.
func (c *Checker) begin(ctx context.Context, target string) error {
	if err := ctx.Err(); err != nil {
		return ctxError(target, err)
	}
	if err := c.checkAbort(target); err != nil {
		return err
	}
	return c.checkWindow()
}

// gate is passed before every connection: abort, window, rate limit
// (sleeping as needed), then abort and window again, then OnConnect.
func (c *Checker) gate(ctx context.Context, target string, ap netip.AddrPort) error {
	if err := c.begin(ctx, target); err != nil {
		return err
	}
	if !c.next.IsZero() {
		if wait := c.next.Sub(c.o.Now()); wait > 0 {
			if err := c.o.Sleep(ctx, wait); err != nil {
				return ctxError(target, err)
			}
			if err := c.begin(ctx, target); err != nil {
				return err
			}
		}
	}
	c.next = c.o.Now().Add(c.interval)
	if c.o.OnConnect != nil {
		c.o.OnConnect(ap.String())
	}
	return nil
}

func ctxError(target string, err error) error {
	return fmt.Errorf("%s の検査は取り消されました: %w", target, err)
}

// dialError marks a failure to open the TCP connection itself.
type dialError struct {
	addr string
	err  error
}

func (e *dialError) Error() string {
	return fmt.Sprintf("%s に接続できませんでした（%s）", e.addr, describeNetErr(e.err))
}
func (e *dialError) Unwrap() error { return e.err }

// dial passes the gate and opens a TCP connection to the checked address.
func (c *Checker) dial(ctx context.Context, target string, ap netip.AddrPort) (net.Conn, error) {
	if err := c.gate(ctx, target, ap); err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: c.o.Timeout}
	conn, err := d.DialContext(ctx, "tcp", ap.String())
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctxError(target, ctx.Err())
		}
		return nil, &dialError{addr: ap.String(), err: err}
	}
	return conn, nil
}

func describeNetErr(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "タイムアウト"
	case isRefused(err):
		return "接続拒否"
	}
	return err.Error()
}

// resolve applies the host rules of the scope and returns the one address
// to dial; urlListed lets a host approved through a URL prefix pass.
// Nothing is contacted except the resolver, and only for a host name that
// could be in scope.
func (c *Checker) resolve(ctx context.Context, host string, urlListed bool) (netip.Addr, error) {
	h := strings.TrimSuffix(strings.Trim(strings.TrimSpace(host), "[]"), ".")
	if h == "" {
		return netip.Addr{}, fmt.Errorf("検査対象のホストが指定されていません")
	}
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			return netip.Addr{}, fmt.Errorf("ゾーン付きの IPv6 アドレス「%s」は検査できません", h)
		}
		a = a.Unmap()
		if why := forbidden(netip.PrefixFrom(a, a.BitLen())); why != "" {
			return netip.Addr{}, fmt.Errorf("%s: %s: %w", h, why, ErrForbiddenAddress)
		}
		if !urlListed && !c.o.Scope.addrInPrefixes(a) {
			return netip.Addr{}, fmt.Errorf("%s は承認された対象範囲（許可リスト）に含まれていないため、接続しません: %w", h, ErrOutOfScope)
		}
		return a, nil
	}
	name, err := normalizeHost(h)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("ホスト名「%s」: %s", h, err.Error())
	}
	listed := urlListed || c.o.Scope.hostListed(name)
	if !listed && len(c.o.Scope.Prefixes) == 0 {
		return netip.Addr{}, fmt.Errorf("%s は承認された対象範囲（許可リスト）に含まれていないため、接続しません: %w", name, ErrOutOfScope)
	}
	rctx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	addrs, err := c.o.Resolve(rctx, name)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%s の名前解決に失敗しました: %v", name, err)
	}
	var first netip.Addr
	for _, a := range addrs {
		a = a.Unmap().WithZone("")
		if !a.IsValid() {
			continue
		}
		if why := forbidden(netip.PrefixFrom(a, a.BitLen())); why != "" {
			return netip.Addr{}, fmt.Errorf("%s は %s に解決されました。%s: %w", name, a, why, ErrForbiddenAddress)
		}
		if !listed && !c.o.Scope.addrInPrefixes(a) {
			return netip.Addr{}, fmt.Errorf("%s は許可リストにないホスト名で、解決したアドレス %s が承認されたアドレス範囲の外のため、接続しません: %w", name, a, ErrOutOfScope)
		}
		if !first.IsValid() {
			first = a
		}
	}
	if !first.IsValid() {
		return netip.Addr{}, fmt.Errorf("%s の名前解決でアドレスが得られませんでした", name)
	}
	return first, nil
}

// hostOf normalises a host argument for reports and keys.
func hostOf(host string) string {
	h := strings.TrimSuffix(strings.Trim(strings.TrimSpace(host), "[]"), ".")
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap().String()
	}
	return strings.ToLower(h)
}

func checkPort(port int) error {
	if port < 1 || port > 65535 {
		return fmt.Errorf("ポート番号 %d は正しくありません（1〜65535）", port)
	}
	return nil
}
