package auth

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"mamori/internal/web"
)

func (s *Service) setSessionCookie(w http.ResponseWriter, r *http.Request, tok string) {
	http.SetCookie(w, &http.Cookie{Name: web.SessionCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.cfg.SecureCookies || web.IsHTTPS(r)})
}

func clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: web.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// DemoLogin is one demo account shown on the login page.
type DemoLogin struct {
	Login string
	Role  string
}

// demoLogins lists the demo ward's accounts for the login page; none
// outside the demo.
func (s *Service) demoLogins(ctx context.Context) []DemoLogin {
	if v, _ := s.setting(ctx, "demo"); v != "1" {
		return nil
	}
	rows, err := s.db.Query(ctx, "SELECT login, role FROM users WHERE is_demo = TRUE AND disabled = FALSE ORDER BY id")
	if err != nil {
		return nil
	}
	defer rows.Close()
	var out []DemoLogin
	for rows.Next() {
		var l, r string
		if rows.Scan(&l, &r) == nil {
			out = append(out, DemoLogin{Login: l, Role: web.Role(r).Label()})
		}
	}
	return out
}

type loginView struct {
	Login string
	Next  string
	Error string
	Demo  []DemoLogin
}

// nextPath is where to go after login: next when it is a path on this
// site (web.LocalPath), else the home page.
func nextPath(s string) string {
	if !web.LocalPath(s) {
		return "/"
	}
	return s
}

func (s *Service) loginPage(w http.ResponseWriter, r *http.Request) error {
	if u := web.UserFrom(r.Context()); u != nil && !u.MFAPending {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	v := loginView{Next: nextPath(r.URL.Query().Get("next"))}
	if r.URL.Query().Get("expired") != "" {
		v.Error = "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。"
	}
	v.Demo = s.demoLogins(r.Context())
	return s.renderLogin(w, r, http.StatusOK, v)
}

func (s *Service) renderLogin(w http.ResponseWriter, r *http.Request, status int, v loginView) error {
	return web.Render(w, r, status, "auth/login", "ログイン", v)
}

func (s *Service) loginSubmit(w http.ResponseWriter, r *http.Request) error {
	login := r.FormValue("login")
	v := loginView{Login: truncateRunes(login, MaxLoginLength), Next: nextPath(r.FormValue("next")), Demo: s.demoLogins(r.Context())}
	tok, pending, err := s.Login(r.Context(), login, r.FormValue("password"), web.ClientIP(r), r.UserAgent())
	if errors.Is(err, ErrLoginFailed) {
		v.Error = err.Error()
		return s.renderLogin(w, r, http.StatusUnauthorized, v)
	}
	if errors.Is(err, ErrDirectoryDown) {
		v.Error = err.Error()
		return s.renderLogin(w, r, http.StatusServiceUnavailable, v)
	}
	if err != nil {
		return err
	}
	// The browser's earlier session (another account, or a second login
	// of the same one) ends: its cookie is about to be replaced.
	if c, err := r.Cookie(web.SessionCookie); err == nil && c.Value != "" {
		if err := s.Logout(r.Context(), c.Value, false); err != nil {
			return err
		}
	}
	s.setSessionCookie(w, r, tok)
	if pending {
		http.Redirect(w, r, "/login/totp?next="+url.QueryEscape(v.Next), http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
	return nil
}

func (s *Service) totpLoginPage(w http.ResponseWriter, r *http.Request) error {
	if u := web.UserFrom(r.Context()); !u.MFAPending {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return web.Render(w, r, http.StatusOK, "auth/login_totp", "二要素認証", formView{Values: r.URL.Query()})
}

func (s *Service) totpLoginSubmit(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(web.SessionCookie)
	if err != nil {
		return web.Redirect(w, r, "/login", "", false)
	}
	if err := s.VerifyTOTP(r.Context(), c.Value, r.FormValue("code")); err != nil {
		if fe, ok := asFieldErrors(err); ok {
			return web.Render(w, r, http.StatusUnauthorized, "auth/login_totp", "二要素認証", formView{Values: r.Form, Errors: fe})
		}
		return err
	}
	http.Redirect(w, r, nextPath(r.FormValue("next")), http.StatusSeeOther)
	return nil
}

func (s *Service) logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(web.SessionCookie); err == nil {
		if err := s.Logout(r.Context(), c.Value, false); err != nil {
			return err
		}
	}
	clearSessionCookie(w)
	return web.Redirect(w, r, "/login", "ログアウトしました。", true)
}
