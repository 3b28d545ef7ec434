// Package incident is the incident-handling workstream (DESIGN.md
// workstream 7, issue 15): the register of incidents with the legal clock
// (which reports and notices are due, and when, from content/incident/
// clock.yaml), the departments and contractors involved, the timeline, and
// the members of staff's own reports, triaged by the security office.
package incident

import (
	"context"
	"embed"
	"fmt"

	"mamori/internal/database"
	"mamori/internal/module"
	"mamori/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed static/incident.css
var css []byte

// ModuleKey names the module.
const ModuleKey = "incident"

// Who may do what (object checks add the department scope).
var (
	// Managers run the register: the security office (CSIRT) and the contractor.
	Managers = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant)
	// Watchers read it: managers and the viewer (CISO) for the ward, a
	// 所属長 (auditee) for the incidents their sub-tree is involved in.
	Watchers = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleViewer, web.RoleAuditee)
)

// Module is the incident workstream.
type Module struct {
	d     module.Deps
	store *Store
}

// New returns the module on the app's shared services.
func New(d module.Deps) *Module {
	registerNames(d.Names, d.DB)
	return &Module{d: d, store: NewStore(d)}
}

// Store is the module's store (for sub-commands and tests).
func (m *Module) Store() *Store { return m.store }

var info = module.Info{Key: ModuleKey, Label: "インシデント", Path: "/incident", Group: module.GroupWork, Workstream: 7, Built: true,
	Summary: "情報セキュリティインシデントの記録、法定の報告期限の管理、職員からの報告の受付、関係する所属と経過の記録。"}

// Info implements module.Module: every member of staff may report, so the
// menu entry is for everyone.
func (m *Module) Info() module.Info { return info }

// Tables implements module.Tabler.
func (m *Module) Tables() []string {
	return []string{"incidents", "incident_parties", "incident_events", "incident_notices", "incident_reports", "incident_whys", "incident_measures",
		"incident_visits", "incident_keys", "incident_evidence", "incident_custody", "incident_services", "incident_tasks"}
}

// Routes implements module.Router.
func (m *Module) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("incident", templateFS, "templates"); err != nil {
		return err
	}
	rt.Renderer().Static().Add("incident/incident.css", css)
	m.routes(rt)
	return nil
}

func registerNames(reg *module.Names, db *database.DB) {
	if reg == nil || db == nil {
		return
	}
	reg.Register("incident", module.SQLNames(db, "SELECT id, fiscal_year, code, title FROM incidents WHERE id IN (%s)",
		func(id, _ int64, code, title string) module.Named {
			return module.Named{Name: code + " " + title, Link: fmt.Sprintf("/incident/%d", id)}
		}))
	reg.Register("incident_report", module.SQLNames(db, "SELECT id, id, reporter_name, submitted_at FROM incident_reports WHERE id IN (%s)",
		func(id, _ int64, name, _ string) module.Named {
			return module.Named{Name: fmt.Sprintf("職員からの報告 %d（%s）", id, name), Link: fmt.Sprintf("/incident-reports/%d", id)}
		}))
}

// Tiles implements module.Tiler: for the security office, untriaged staff
// reports and deadlines overdue or due within a day.
func (m *Module) Tiles(ctx context.Context, u *web.User) ([]module.Tile, error) {
	if !Managers.HasUser(u) {
		return nil, nil
	}
	rs, err := m.store.Reports(ctx, 0)
	if err != nil {
		return nil, err
	}
	fresh := 0
	for _, r := range rs {
		if r.Status == "new" {
			fresh++
		}
	}
	is, err := m.store.List(ctx, 0)
	if err != nil {
		return nil, err
	}
	now := m.store.now()
	overdue := 0
	for _, i := range is {
		if i.Closed() {
			continue
		}
		ds, err := m.store.Deadlines(ctx, i)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			if d.Overdue(now) {
				overdue++
			}
		}
	}
	return []module.Tile{
		{Label: "受付待ちのインシデント報告", Value: fmt.Sprintf("%d 件", fresh), Link: "/incident-reports", Alert: fresh > 0},
		{Label: "期限を過ぎた報告・通知", Value: fmt.Sprintf("%d 件", overdue), Note: "インシデントの法定・区の期限", Link: "/incident", Alert: overdue > 0},
	}, nil
}
