// Package authmod is login, sessions and the second factor as a module of
// the app: their routes. Package auth itself stays below package org
// (org uses it to hash passwords and end sessions), and package module
// imports org, so the module lives here to avoid an import cycle.
package authmod

import (
	"mamori/internal/auth"
	"mamori/internal/module"
	"mamori/internal/web"
)

// Module wraps the login service.
type Module struct{ s *auth.Service }

// New returns the login module over s.
func New(s *auth.Service) *Module { return &Module{s: s} }

// Info implements module.Module: a shared module without a landing page;
// its pages are reached from the header (ログイン, アカウント) and the
// users page. Its tables (sessions, login_throttle) are deliberately not
// backed up (backup.Skipped), so it has no Tables.
func (m *Module) Info() module.Info {
	return module.Info{Key: "auth", Label: "ログイン", Group: module.GroupOrg, Built: true,
		Summary: "パスワードによるログインと試行の制限、セッション、二要素認証（TOTP）、アカウントの設定。"}
}

// Routes implements module.Router.
func (m *Module) Routes(rt *web.Router) error { return m.s.Routes(rt) }
