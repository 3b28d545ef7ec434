package web

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"
)

// MaxBody is the largest body of an upload route (uploads check their own,
// smaller limits and say so in Japanese).
const MaxBody = 64 << 20

// LargestBody is the largest request body any route reads: a route that
// takes a lesson's video raises its limit to it (WithBodyLimit); every
// other route keeps its own, smaller one.
const LargestBody = 320 << 20

// Option adjusts Secure to the deployment.
type Option func(*secureOptions)

type secureOptions struct {
	trusted []netip.Prefix
}

// TrustProxies names the reverse proxies (addresses or networks) in front
// of Mamori. A request whose direct peer is one of them is taken to come
// from the right-most address of X-Forwarded-For that is not a trusted
// proxy, and to have used HTTPS when X-Forwarded-Proto says so (Secure
// cookies, HSTS). From any other peer those headers are ignored.
func TrustProxies(nets ...netip.Prefix) Option {
	return func(o *secureOptions) { o.trusted = append(o.trusted, nets...) }
}

// Secure wraps h with the protections every response needs: panic recovery,
// security headers, a body-size cap, cross-origin request protection and an
// access log line. It also settles who the client is (see TrustProxies).
func Secure(h http.Handler, log *slog.Logger, render *Renderer, opts ...Option) http.Handler {
	var o secureOptions
	for _, opt := range opts {
		opt(&o)
	}
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		render.Error(w, r, http.StatusForbidden, "別のサイトからの送信は受け付けません。")
	}))
	inner := cop.Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		c := resolveClient(r, o.trusted)
		r = r.WithContext(context.WithValue(r.Context(), clientKey, c))
		sw := &statusWriter{ResponseWriter: w, status: 200}
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
				render.Error(sw, r, http.StatusInternalServerError, "システムエラーが発生しました。")
			}
			log.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "ms", time.Since(start).Milliseconds())
		}()
		hd := sw.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if c.https {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		r.Body = http.MaxBytesReader(sw, r.Body, LargestBody)
		inner.ServeHTTP(sw, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status  int
	written bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.written {
		s.status = code
		s.written = true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.written = true
	return s.ResponseWriter.Write(b)
}

// Written reports whether the response has started.
func (s *statusWriter) Written() bool { return s.written }

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// client is who Secure found the request to come from.
type client struct {
	ip    string
	https bool
}

// ClientIP is the address the request came from: the direct peer, or
// behind a trusted proxy the address it forwarded (see TrustProxies).
func ClientIP(r *http.Request) string {
	if c, ok := r.Context().Value(clientKey).(client); ok {
		return c.ip
	}
	return peerIP(r)
}

// IsHTTPS reports whether the browser reached Mamori over HTTPS: directly,
// or through a trusted proxy that terminated TLS.
func IsHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	c, _ := r.Context().Value(clientKey).(client)
	return c.https
}

func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// resolveClient believes X-Forwarded-* only from a trusted peer. The client
// is the right-most X-Forwarded-For entry that is not a trusted proxy
// (entries to its left may be made up by the client); an entry that is no
// address ends the walk at the last trusted hop.
func resolveClient(r *http.Request, trusted []netip.Prefix) client {
	c := client{ip: peerIP(r), https: r.TLS != nil}
	if len(trusted) == 0 {
		return c
	}
	peer, ok := parseHop(c.ip)
	if !ok || !isTrusted(peer, trusted) {
		return c
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	if strings.EqualFold(strings.TrimSpace(proto), "https") {
		c.https = true
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hops = append(hops, h)
			}
		}
	}
	last, moved := peer, false
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break
		}
		last, moved = a, true
		if !isTrusted(a, trusted) {
			break
		}
	}
	if moved {
		c.ip = last.String()
	}
	return c
}

// parseHop reads one address as proxies write it: "192.0.2.1",
// "192.0.2.1:4711", "2001:db8::1" or "[2001:db8::1]:443".
func parseHop(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone(""), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
