// Package auditweb is the audit log's screens as a module of the app: the
// list (GET /admin/auditlog, the shared list view: filters, search, paging,
// sorting) with actions, people and objects named in Japanese, and its
// export as an audited download, for administrators only. It is apart from
// package auditlog because package web imports auditlog.
package auditweb

import (
	"embed"
	"io"
	"log/slog"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/module"
	"mamori/internal/org"
	"mamori/internal/web"
)

//go:embed templates
var templateFS embed.FS

// Module is the audit-log screens.
type Module struct {
	log  *auditlog.Log
	db   *database.DB // for the names of people and objects on a page
	org  org.Reader
	slog *slog.Logger
	now  func() time.Time
	// names are the look-ups other modules registered for their objects.
	names *module.Names
}

// New returns the audit-log module over d.Log.
func New(d module.Deps) *Module {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	lg := d.Logger
	if lg == nil {
		lg = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Module{log: d.Log, db: d.DB, org: d.Org, slog: lg, now: now, names: d.Names}
}

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{Key: "auditlog", Label: "監査ログ", Path: "/admin/auditlog", Group: module.GroupOrg, Built: true,
		Summary: "すべての変更・ログイン・権限エラー・ダウンロードの記録（ハッシュで連結）の検索と出力。"}
}

// Routes implements module.Router: administrators only.
func (m *Module) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("auditlog", templateFS, "templates"); err != nil {
		return err
	}
	admin := web.Allow(web.RoleAdmin)
	rt.Handle("GET /admin/auditlog", admin, m.list)
	rt.Handle("GET /admin/auditlog/export", admin, m.export)
	return nil
}
