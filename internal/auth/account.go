package auth

import (
	"context"
	"fmt"
	"net/http"

	"mamori/internal/database"
	"mamori/internal/web"
)

// account is what the account pages show of the signed-in user.
type account struct {
	ID          int64
	Login       string
	DisplayName string
	Role        web.Role
	Department  string // name, "" without one
	TOTPEnabled bool
	LastLogin   database.Time
}

// account reads the user's own account for the account pages.
func (s *Service) account(ctx context.Context, uid int64) (account, error) {
	var a account
	var role string
	err := s.db.QueryRow(ctx, `SELECT u.id, u.login, u.display_name, u.role, COALESCE(d.name, ''), u.totp_enabled, u.last_login_at
		FROM users u LEFT JOIN departments d ON d.id = u.department_id WHERE u.id = ?`, uid).
		Scan(&a.ID, &a.Login, &a.DisplayName, &role, &a.Department, &a.TOTPEnabled, &a.LastLogin)
	if err != nil {
		return a, database.NotFound("auth.account", err)
	}
	a.Role = web.Role(role)
	return a, nil
}

// SetPassword validates and sets a new password and ends the account's
// other sessions (keepTokenHash, if non-empty, is the one to keep: the
// session of a user who changes their own password).
func (s *Service) SetPassword(ctx context.Context, uid int64, pw, keepTokenHash string) error {
	var login, source string
	if err := s.db.QueryRow(ctx, "SELECT login, source FROM users WHERE id = ?", uid).Scan(&login, &source); err != nil {
		return database.NotFound("auth.SetPassword", err)
	}
	if source == SourceDirectory {
		return FieldErrors{"password": ErrDirectoryPassword.Error()}
	}
	if msg := ValidatePassword(pw, login); msg != "" {
		return FieldErrors{"password": msg}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		now := database.T(s.now())
		if _, err := s.db.Exec(ctx, "UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?",
			HashPassword(pw, s.cfg.Argon), now, now, uid); err != nil {
			return fmt.Errorf("auth.SetPassword: %w", err)
		}
		if err := s.EndSessions(ctx, uid, keepTokenHash); err != nil {
			return err
		}
		return s.log.Record(ctx, "user.password", fmt.Sprintf("user:%d", uid), "パスワードを変更（他のセッションを終了）")
	})
}

type accountView struct {
	Account  account
	Sessions int
	Form     formView
	Required bool
}

func (s *Service) accountPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderAccount(w, r, http.StatusOK, formView{})
}

func (s *Service) renderAccount(w http.ResponseWriter, r *http.Request, status int, f formView) error {
	u := web.UserFrom(r.Context())
	a, err := s.account(r.Context(), u.ID)
	if err != nil {
		return err
	}
	n, err := s.SessionCount(r.Context(), u.ID)
	if err != nil {
		return err
	}
	req, err := s.TOTPRequired(r.Context())
	if err != nil {
		return err
	}
	return web.Render(w, r, status, "auth/account", "アカウント", accountView{Account: a, Sessions: n, Form: f,
		Required: req && (a.Role == web.RoleAdmin || a.Role == web.RoleConsultant)})
}

func (s *Service) accountPassword(w http.ResponseWriter, r *http.Request) error {
	u := web.UserFrom(r.Context())
	c, _ := r.Cookie(web.SessionCookie)
	var hash, source string
	if err := s.db.QueryRow(r.Context(), "SELECT password_hash, source FROM users WHERE id = ?", u.ID).Scan(&hash, &source); err != nil {
		return fmt.Errorf("auth.accountPassword: %w", err)
	}
	if source == SourceDirectory {
		return s.renderAccount(w, r, http.StatusBadRequest, formView{Errors: FieldErrors{"current": ErrDirectoryPassword.Error()}})
	}
	if !CheckPassword(hash, r.FormValue("current")) {
		return s.renderAccount(w, r, http.StatusBadRequest, formView{Errors: FieldErrors{"current": "現在のパスワードが正しくありません。"}})
	}
	if r.FormValue("password") != r.FormValue("confirm") {
		return s.renderAccount(w, r, http.StatusBadRequest, formView{Errors: FieldErrors{"confirm": "確認用のパスワードが一致しません。"}})
	}
	if err := s.SetPassword(r.Context(), u.ID, r.FormValue("password"), TokenHash(c.Value)); err != nil {
		if fe, ok := asFieldErrors(err); ok {
			return s.renderAccount(w, r, http.StatusBadRequest, formView{Errors: fe})
		}
		return err
	}
	return web.Redirect(w, r, "/account", "パスワードを変更しました。ほかの端末のログインは終了しました。", true)
}

func (s *Service) accountLogoutAll(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(web.SessionCookie); err == nil {
		if err := s.Logout(r.Context(), c.Value, true); err != nil {
			return err
		}
	}
	clearSessionCookie(w)
	return web.Redirect(w, r, "/login", "すべての端末からログアウトしました。", true)
}

type totpView struct {
	Secret   string
	Enabled  bool
	Required bool
	Form     formView
}

func (s *Service) totpSetupPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderTOTP(w, r, http.StatusOK, formView{})
}

func (s *Service) renderTOTP(w http.ResponseWriter, r *http.Request, status int, f formView) error {
	u := web.UserFrom(r.Context())
	if u.MFAPending {
		http.Redirect(w, r, "/login/totp", http.StatusSeeOther)
		return nil
	}
	a, err := s.account(r.Context(), u.ID)
	if err != nil {
		return err
	}
	v := totpView{Enabled: a.TOTPEnabled, Required: u.MFARequired, Form: f}
	if !a.TOTPEnabled {
		secret, _, err := s.BeginTOTP(r.Context(), u.ID)
		if err != nil {
			return err
		}
		v.Secret = secret
	}
	return web.Render(w, r, status, "auth/totp", "二要素認証の設定", v)
}

func (s *Service) totpQR(w http.ResponseWriter, r *http.Request) error {
	u := web.UserFrom(r.Context())
	if u.MFAPending {
		return web.Forbidden()
	}
	_, png, err := s.BeginTOTP(r.Context(), u.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(png)
	return err
}

func (s *Service) totpSetupSubmit(w http.ResponseWriter, r *http.Request) error {
	u := web.UserFrom(r.Context())
	if u.MFAPending {
		return web.Forbidden()
	}
	if err := s.ConfirmTOTP(r.Context(), u.ID, r.FormValue("code")); err != nil {
		if fe, ok := asFieldErrors(err); ok {
			return s.renderTOTP(w, r, http.StatusBadRequest, formView{Errors: fe})
		}
		return err
	}
	return web.Redirect(w, r, "/account", "二要素認証を有効にしました。次回のログインから確認コードが必要です。", true)
}

func (s *Service) totpDisable(w http.ResponseWriter, r *http.Request) error {
	u := web.UserFrom(r.Context())
	if req, err := s.TOTPRequired(r.Context()); err != nil {
		return err
	} else if req && (u.Role == web.RoleAdmin || u.Role == web.RoleConsultant) {
		return web.Invalid("二要素認証は管理者の設定により必須のため、解除できません。")
	}
	if err := s.DisableTOTP(r.Context(), u.ID); err != nil {
		return err
	}
	return web.Redirect(w, r, "/account", "二要素認証を解除しました。", true)
}
