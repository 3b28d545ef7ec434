package org

import (
	"net/http"

	"mamori/internal/web"
)

type accountView struct {
	Account  Account
	Sessions int
	Form     formView
	Required bool
}

func (s *Service) accountPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderAccount(w, r, http.StatusOK, formView{})
}

func (s *Service) renderAccount(w http.ResponseWriter, r *http.Request, status int, f formView) error {
	u := web.UserFrom(r.Context())
	a, err := s.Account(r.Context(), u.ID)
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
	return web.Render(w, r, status, "org/account", "アカウント", accountView{Account: a, Sessions: n, Form: f,
		Required: req && (a.Role == web.RoleAdmin || a.Role == web.RoleConsultant)})
}

func (s *Service) accountPassword(w http.ResponseWriter, r *http.Request) error {
	u := web.UserFrom(r.Context())
	c, _ := r.Cookie(web.SessionCookie)
	var hash string
	if err := s.db.QueryRow(r.Context(), "SELECT password_hash FROM users WHERE id = ?", u.ID).Scan(&hash); err != nil {
		return err
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
	a, err := s.Account(r.Context(), u.ID)
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
	return web.Render(w, r, status, "org/totp", "二要素認証の設定", v)
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
