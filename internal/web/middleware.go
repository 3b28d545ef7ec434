package web

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// MaxBody is the largest request body accepted (uploads check their own,
// smaller limits and say so in Japanese).
const MaxBody = 64 << 20

// Secure wraps h with the protections every response needs: panic recovery,
// security headers, a body-size cap, cross-origin request protection and an
// access log line.
func Secure(h http.Handler, log *slog.Logger, render *Renderer) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		render.Error(w, r, http.StatusForbidden, "別のサイトからの送信は受け付けません。")
	}))
	inner := cop.Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
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
		if r.TLS != nil {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		r.Body = http.MaxBytesReader(sw, r.Body, MaxBody)
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
