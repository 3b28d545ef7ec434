package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"

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
		}
		if unsafeMethod(r.Method) {
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
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") {
		return "/"
	}
	return urlQueryEscape(s)
}

// ClientIP is the address the request came from. Mamori does not trust
// X-Forwarded-For: behind a proxy the proxy's address is recorded.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
