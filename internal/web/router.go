package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"mamori/internal/auditlog"
)

// Scope is how far a role's view reaches on a route.
type Scope int

// Scopes: the whole ward, or the user's own department and its sub-tree.
const (
	ScopeAll Scope = iota
	ScopeOwnDepartment
)

// Rule says who may use a route. Every route is registered with one; the
// route×role test walks them all.
type Rule struct {
	Public   bool           // no login needed
	AllowMFA bool           // usable while the second factor is pending or enrolment is required
	Roles    map[Role]Scope // allowed roles and how far each sees
	AnyRole  bool           // every signed-in role, whole-ward scope
	Label    string         // for the route list and the test's error messages
	// Upload lets the route take multipart bodies (file uploads) up to
	// MaxBody; every other route refuses them, so that nobody can make the
	// server spool files to disk through a form that takes none.
	Upload bool
	// BodyLimit is the largest body the route reads; 0 means FormMaxBody,
	// or MaxBody on an upload route.
	BodyLimit int64
	Objects   []Object // object checks, for routes on objects (see object.go)
}

// FormMaxBody is the body limit of routes that take no upload. Forms are a
// few kilobytes; 1 MiB holds over 100,000 Japanese characters even
// percent-encoded, more than the demo ward's whole 対策基準, so the largest
// real forms (a catalogue item, one changed provision) stay far below it.
const FormMaxBody = 1 << 20

// DocumentMaxBody is the body limit of forms that carry a whole document as
// text (an imported policy under correction: up to 10 MB of text, which
// percent-encoding can make three times as long).
const DocumentMaxBody = 32 << 20

// WithUpload marks a route that takes file uploads (multipart bodies).
func (r Rule) WithUpload() Rule {
	r.Upload = true
	return r
}

// WithBodyLimit sets the body limit of a route, for forms that carry a
// whole document as text.
func (r Rule) WithBodyLimit(n int64) Rule {
	r.BodyLimit = n
	return r
}

func (r Rule) bodyLimit() int64 {
	switch {
	case r.BodyLimit > 0:
		return r.BodyLimit
	case r.Upload:
		return MaxBody
	}
	return FormMaxBody
}

// PublicRule is for the login page, static assets and health checks.
func PublicRule() Rule { return Rule{Public: true} }

// SignedIn allows every signed-in role.
func SignedIn() Rule { return Rule{AnyRole: true} }

// Allow allows the given roles with whole-ward scope.
func Allow(roles ...Role) Rule {
	m := map[Role]Scope{}
	for _, r := range roles {
		m[r] = ScopeAll
	}
	return Rule{Roles: m}
}

// Scoped adds roles limited to their own department's sub-tree.
func (r Rule) Scoped(roles ...Role) Rule {
	m := map[Role]Scope{}
	for k, v := range r.Roles {
		m[k] = v
	}
	for _, role := range roles {
		m[role] = ScopeOwnDepartment
	}
	r.Roles = m
	return r
}

// Permits reports whether role may use the route, and with which scope.
func (r Rule) Permits(role Role) (Scope, bool) {
	if r.Public || r.AnyRole {
		return ScopeAll, true
	}
	s, ok := r.Roles[role]
	return s, ok
}

// Route is a registered pattern and its rule.
type Route struct {
	Pattern string
	Rule    Rule
}

// HandlerFunc is a handler that returns an error; the router renders it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Auth is what the router needs from the login feature.
type Auth interface {
	// Session returns the user and CSRF token for a session cookie value,
	// or nil when the session is missing or expired (and refreshes it).
	Session(ctx context.Context, token string) (*User, string, error)
	// Denied records a permission denial in the audit log.
	Denied(ctx context.Context, u *User, method, path string)
}

// Router is the one place routes are registered, each with its rule.
type Router struct {
	mux    *http.ServeMux
	routes []Route
	auth   Auth
	render *Renderer
	log    *slog.Logger
}

// NewRouter returns an empty router.
func NewRouter(auth Auth, render *Renderer, log *slog.Logger) *Router {
	return &Router{mux: http.NewServeMux(), auth: auth, render: render, log: log}
}

// Routes lists every registered route, sorted by pattern.
func (rt *Router) Routes() []Route {
	out := append([]Route(nil), rt.routes...)
	sort.Slice(out, func(i, j int) bool { return out[i].Pattern < out[j].Pattern })
	return out
}

// Renderer returns the router's renderer.
func (rt *Router) Renderer() *Renderer { return rt.render }

// Handle registers h on pattern ("GET /staff/{id}") under rule.
func (rt *Router) Handle(pattern string, rule Rule, h HandlerFunc) {
	rt.routes = append(rt.routes, Route{Pattern: pattern, Rule: rule})
	rt.mux.Handle(pattern, rt.guard(rule, h))
}

// HandleRaw registers a plain http.Handler (static files) under rule.
func (rt *Router) HandleRaw(pattern string, rule Rule, h http.Handler) {
	rt.Handle(pattern, rule, func(w http.ResponseWriter, r *http.Request) error {
		h.ServeHTTP(w, r)
		return nil
	})
}

// Allowed reports whether role may GET path, for building navigation.
func (rt *Router) Allowed(role Role, path string) bool {
	for _, route := range rt.routes {
		method, p, _ := strings.Cut(route.Pattern, " ")
		if method == "GET" && strings.TrimSuffix(p, "{$}") == path {
			_, ok := route.Rule.Permits(role)
			return ok
		}
	}
	return false
}

// ServeHTTP dispatches to the mux.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt.mux.ServeHTTP(w, r)
}

type ctxKey int

const (
	userKey ctxKey = iota
	csrfKey
	scopeKey
	rendererKey
	clientKey
	keptKey
)

// UserFrom returns the signed-in user, or nil.
func UserFrom(ctx context.Context) *User {
	u, _ := ctx.Value(userKey).(*User)
	return u
}

// ScopeFrom returns the scope the route's rule grants the user.
func ScopeFrom(ctx context.Context) Scope {
	s, _ := ctx.Value(scopeKey).(Scope)
	return s
}

// CSRFFrom returns the CSRF token to put in forms.
func CSRFFrom(ctx context.Context) string {
	s, _ := ctx.Value(csrfKey).(string)
	return s
}

// WithUser returns ctx carrying u (for tests and sub-commands).
func WithUser(ctx context.Context, u *User, scope Scope) context.Context {
	ctx = context.WithValue(ctx, userKey, u)
	return context.WithValue(ctx, scopeKey, scope)
}

// SessionCookie is the session cookie's name.
const SessionCookie = "mamori_session"

// preCookie carries the CSRF token of visitors who are not signed in.
const preCookie = "mamori_csrf"

func (rt *Router) guard(rule Rule, h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Go spools large multipart parts to temp files and removes them
		// only for the request the server made, not for the copies made
		// below: remove them here, whichever copy parsed the body.
		defer func() {
			if r.MultipartForm != nil {
				_ = r.MultipartForm.RemoveAll()
			}
		}()
		limit := rule.bodyLimit()
		if limit < LargestBody && r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		ctx := r.Context()
		var user *User
		csrf := ""
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			u, tok, err := rt.auth.Session(ctx, c.Value)
			if err != nil {
				rt.fail(w, r, err)
				return
			}
			user, csrf = u, tok
		}
		if user == nil {
			csrf = preCSRF(w, r)
		}
		ctx = context.WithValue(ctx, csrfKey, csrf)
		ctx = context.WithValue(ctx, rendererKey, rt.render)
		actor := auditlog.Actor{IP: ClientIP(r)}
		if user != nil {
			ctx = context.WithValue(ctx, userKey, user)
			actor.UserID, actor.Login = user.ID, user.Login
		}
		ctx = auditlog.WithActor(ctx, actor)
		r = r.WithContext(ctx)
		if isMultipart(r) && !rule.Upload {
			rt.fail(w, r, &Error{Status: http.StatusUnsupportedMediaType, Msg: "この画面ではファイルを受け付けていません。画面のフォームから送信し直してください。"})
			return
		}
		if r.ContentLength > limit {
			// Refused before reading: a client that sent
			// "Expect: 100-continue" need not send the body at all.
			rt.fail(w, r, &http.MaxBytesError{Limit: limit})
			return
		}

		if !rule.Public {
			if user == nil {
				if r.Method == http.MethodGet {
					http.Redirect(w, r, "/login?next="+safeNext(r.URL.RequestURI()), http.StatusSeeOther)
				} else {
					rt.fail(w, r, &Error{Status: http.StatusUnauthorized, Msg: "ログインしてください。"})
				}
				return
			}
			if (user.MFAPending || user.MFARequired) && !rule.AllowMFA {
				target := "/login/totp"
				if !user.MFAPending {
					target = "/account/totp"
				}
				http.Redirect(w, r, target, http.StatusSeeOther)
				return
			}
			scope, ok := rule.Permits(user.Role)
			if !ok {
				rt.auth.Denied(ctx, user, r.Method, r.URL.Path)
				rt.fail(w, r, Forbidden())
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), scopeKey, scope))
			if len(rule.Objects) > 0 {
				r = r.WithContext(context.WithValue(r.Context(), keptKey, &kept{}))
			}
			for i := range rule.Objects {
				if err := rt.checkObject(r, user, scope, &rule.Objects[i]); err != nil {
					rt.fail(w, r, err)
					return
				}
			}
		}
		if unsafeMethod(r.Method) {
			if err := readForm(r); err != nil {
				rt.fail(w, r, err)
				return
			}
			if err := checkCSRF(r, csrf); err != nil {
				var we *Error
				if user != nil && errors.As(err, &we) && we.Status == http.StatusForbidden {
					rt.auth.Denied(ctx, user, r.Method, r.URL.Path+" (CSRF)")
				}
				rt.fail(w, r, err)
				return
			}
		}
		if err := h(w, r); err != nil {
			rt.fail(w, r, err)
		}
	})
}

func (rt *Router) fail(w http.ResponseWriter, r *http.Request, err error) {
	if ww, ok := w.(interface{ Written() bool }); ok && ww.Written() {
		// The response has started (a download cut off by the client):
		// nothing can be sent any more.
		rt.log.WarnContext(r.Context(), "response aborted", "method", r.Method, "path", r.URL.Path, "err", err)
		return
	}
	status, msg := statusOf(err)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "30")
	}
	if status >= 500 {
		rt.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	rt.render.Error(w, r, status, msg)
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// safeNext keeps a post-login redirect on this site.
func safeNext(s string) string {
	if !LocalPath(s) {
		return "/"
	}
	return urlQueryEscape(s)
}

// LocalPath reports whether s is safe to redirect to after login: a path on
// this site. Browsers drop tabs and newlines from URLs and read "\" as "/",
// so that "/\t/evil.example" would leave the site; anything unusual is
// refused, in the raw string and in its decoded path.
func LocalPath(s string) bool {
	if !plainPath(s) {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	return plainPath(u.Path)
}

// plainPath: starts with exactly one "/" and holds no control or format
// character, no space of any kind, no backslash and no invalid UTF-8.
func plainPath(s string) bool {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") {
		return false
	}
	for _, c := range s {
		if c <= ' ' || c == '\\' || c == utf8.RuneError || unicode.IsControl(c) || unicode.IsSpace(c) || unicode.Is(unicode.Cf, c) {
			return false
		}
	}
	return true
}
