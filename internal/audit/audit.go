// Package audit is the audit engagements of DESIGN.md (workstreams 1, 3
// and 4). It holds, so far, what was built for audits inside the
// catalogue: each department's audit scope (department_profiles) and the
// checklists built from a catalogue template for one audit
// (built_checklists), served under their original /catalog/build and
// /catalog/built URLs. It reads the catalogue (a shared service) and the
// organisation; the catalogue never imports it.
package audit

import (
	"context"
	"embed"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/module"
	"mamori/internal/org"
	"mamori/internal/web"
)

//go:embed templates
var templateFS embed.FS

// The catalogue refuses to delete, on an import, template items that a
// saved checklist still uses.
func init() { catalog.RegisterItemUse("audit.built_checklists", builtItemUse) }

// Who builds checklists for audits (the office, the consultant and
// internal auditors), and who reads the saved ones (those and viewers).
var (
	builders = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleAuditor)
	readers  = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleAuditor, web.RoleViewer)
)

// Module is the audit feature's screens over its store.
type Module struct {
	store *Store
	log   *auditlog.Log
}

// New returns the audit module; now is the clock (nil: time.Now) and o the
// organisation's read API.
func New(db *database.DB, log *auditlog.Log, now func() time.Time, o org.Reader) *Module {
	return &Module{store: NewStore(db, log, o, now), log: log}
}

// NewModule returns the audit module from the app's shared services.
func NewModule(d module.Deps) *Module { return New(d.DB, d.Log, d.Now, d.Org) }

// info is the audit workstream (DESIGN.md 1, with the external and system
// audits of 3 and 4 to follow in this package). Until engagements are built
// its landing page says so plainly.
var info = module.Info{Key: "audit", Label: "内部監査", Path: "/audit", Group: module.GroupWork, Workstream: 1,
	Summary: "監査項目とチェックリスト、内部監査人研修、所属ごとの監査への立会い、改善状況のフォローアップ、内部監査全体報告書。"}

// Info implements module.Module.
func (m *Module) Info() module.Info { return info }

// Store returns the module's store (for sub-commands and tests).
func (m *Module) Store() *Store { return m.store }

// Tables lists the tables the module owns, parents first (for backups).
func (m *Module) Tables() []string {
	return []string{"department_profiles", "built_checklists", "built_checklist_items"}
}

// Routes registers the checklist builder and the saved checklists.
func (m *Module) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("audit", templateFS, "templates"); err != nil {
		return err
	}
	if err := module.Planned(info).(module.Router).Routes(rt); err != nil {
		return err
	}
	build, read := builders.Rule(), readers.Rule()
	rt.Handle("GET /catalog/build", build, m.buildForm)
	rt.Handle("POST /catalog/build", build, m.buildResult)
	rt.Handle("POST /catalog/build/save", build, m.buildSave)
	rt.Handle("GET /catalog/built", read, m.builtList)
	// Built checklists are the ward's audit preparation: every role the
	// route admits sees every saved checklist (engagement membership comes
	// with the engagements).
	built := web.AnyObject("audit.built", func(ctx context.Context, id int64) error {
		_, _, err := m.store.Built(ctx, id)
		return err
	})
	rt.Handle("GET /catalog/built/{id}", read.On(built), m.builtShow)
	rt.Handle("GET /catalog/built/{id}/export", read.On(built), m.builtExport)
	return nil
}
