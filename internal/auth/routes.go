package auth

import (
	"embed"
	"net/http"

	"mamori/internal/web"
)

//go:embed templates
var templateFS embed.FS

// Routes registers the login, second-factor and account pages and the
// second-factor setting, each with its rule.
func (s *Service) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("auth", templateFS, "templates"); err != nil {
		return err
	}
	// Pages a session still waiting for its second factor may use.
	mfa := web.SignedIn()
	mfa.AllowMFA = true

	rt.Handle("GET /login", web.PublicRule(), s.loginPage)
	rt.Handle("POST /login", web.PublicRule(), s.loginSubmit)
	rt.Handle("GET /login/totp", mfa, s.totpLoginPage)
	rt.Handle("POST /login/totp", mfa, s.totpLoginSubmit)
	rt.Handle("POST /logout", mfa, s.logout)

	rt.Handle("GET /account", web.SignedIn(), s.accountPage)
	rt.Handle("POST /account/password", web.SignedIn(), s.accountPassword)
	rt.Handle("POST /account/logout-all", web.SignedIn(), s.accountLogoutAll)
	rt.Handle("GET /account/totp", mfa, s.totpSetupPage)
	rt.Handle("GET /account/totp/qr.png", mfa, s.totpQR)
	rt.Handle("POST /account/totp", mfa, s.totpSetupSubmit)
	rt.Handle("POST /account/totp/disable", web.SignedIn(), s.totpDisable)

	rt.Handle("POST /admin/settings/totp", web.Allow(web.RoleAdmin), s.settingTOTP)
	return nil
}

// settingTOTP turns the second factor for admins and consultants on or
// off; the form is on the users page (/admin/users).
func (s *Service) settingTOTP(w http.ResponseWriter, r *http.Request) error {
	on := r.FormValue("required") != ""
	if err := s.SetTOTPRequired(r.Context(), on); err != nil {
		return err
	}
	msg := "管理者・支援事業者の二要素認証を任意にしました。"
	if on {
		msg = "管理者・支援事業者の二要素認証を必須にしました。未設定の利用者は次の操作時に設定を求められます。"
	}
	return web.Redirect(w, r, "/admin/users", msg, true)
}
