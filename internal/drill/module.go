// Package drill is the incident-drill workstream (DESIGN.md workstream 6,
// issue 16): the annual plan, the citizen-service impact model (which
// services stop when systems stop, where, for whom, and the fallback),
// scenario templates, drills conducted live with injects, responses and
// observations, the evaluation with its improvement actions, and the
// documents (day plan, player and controller handbooks, evaluation report,
// the annual plan and the year's business report).
package drill

import (
	"context"
	"embed"
	"fmt"
	"strings"

	"mamori/internal/database"
	"mamori/internal/module"
	"mamori/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed static/drill.css
var css []byte

//go:embed static/drill.js
var js []byte

// ModuleKey names the module.
const ModuleKey = "drill"

// Who may do what (object checks add the department scope).
var (
	// Managers plan and conduct drills: the security office and the contractor.
	Managers = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant)
	// watch reads drills: managers and the viewer for the ward, a 所属長
	// (auditee) the drills their sub-tree takes part in.
	watch = web.Allow(web.RoleAdmin, web.RoleConsultant, web.RoleViewer).Scoped(web.RoleAuditee)
)

// Module is the drill workstream.
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

var info = module.Info{Key: ModuleKey, Label: "事故対応訓練", Path: "/drill", Group: module.GroupWork, Workstream: 6, Built: true,
	Summary: "年間計画と訓練当日計画、区民サービスに影響が及ぶシナリオ、訓練資料、当日の状況付与と記録・助言、評価報告書と業務報告書。"}

// Info implements module.Module.
func (m *Module) Info() module.Info { return info }

// Tables implements module.Tabler (parents first).
func (m *Module) Tables() []string {
	return []string{"drill_systems", "drill_services", "drill_scenarios", "drill_plans", "drills", "drill_plan_cells", "drill_teams",
		"drill_participants", "drill_injects", "drill_responses", "drill_observations", "drill_ratings", "drill_improvements", "drill_feedback"}
}

// Routes implements module.Router.
func (m *Module) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("drill", templateFS, "templates"); err != nil {
		return err
	}
	rt.Renderer().Static().Add("drill/drill.css", css)
	rt.Renderer().Static().Add("drill/drill.js", js)
	m.routes(rt)
	return nil
}

// CitizenServices implements module.ServiceRegistry: the registry's
// services for the incident register's 止まった区民サービス.
func (m *Module) CitizenServices(ctx context.Context) ([]module.CitizenService, error) {
	reg, err := m.store.Registry(ctx)
	if err != nil {
		return nil, err
	}
	var out []module.CitizenService
	for _, s := range reg.Services {
		cs := module.CitizenService{Code: s.Code, Name: s.Name, Daily: s.Daily, Fallback: s.Fallback}
		for _, c := range s.Systems {
			if sys, ok := reg.System(c); ok {
				cs.Systems = append(cs.Systems, sys.Name)
			}
		}
		for _, c := range s.Counters {
			cs.Counters = append(cs.Counters, strings.TrimSpace(c.Department+"（"+c.Place+"）"))
		}
		out = append(out, cs)
	}
	return out, nil
}

func registerNames(reg *module.Names, db *database.DB) {
	if reg == nil || db == nil {
		return
	}
	reg.Register("drill", module.SQLNames(db, "SELECT id, fiscal_year, code, title FROM drills WHERE id IN (%s)",
		func(id, _ int64, code, title string) module.Named {
			return module.Named{Name: code + " " + title, Link: fmt.Sprintf("/drills/%d", id)}
		}))
}

// Tiles implements module.Tiler: for the managers, the drills of the
// coming two weeks and evaluations not yet rated.
func (m *Module) Tiles(ctx context.Context, u *web.User) ([]module.Tile, error) {
	if !Managers.HasUser(u) {
		return nil, nil
	}
	ds, err := m.store.Drills(ctx, m.d.Org.CurrentFiscalYear(ctx))
	if err != nil {
		return nil, err
	}
	now := m.store.now()
	soon, unrated := 0, 0
	for _, d := range ds {
		if d.State == StatePlanned && d.PlannedAt.After(now) && d.PlannedAt.Sub(now).Hours() < 14*24 {
			soon++
		}
		if d.Ended() {
			rs, err := m.store.RatingsOf(ctx, d.ID)
			if err != nil {
				return nil, err
			}
			if len(rs) == 0 {
				unrated++
			}
		}
	}
	return []module.Tile{
		{Label: "2週間以内の事故対応訓練", Value: fmt.Sprintf("%d 件", soon), Link: "/drill"},
		{Label: "評価が未記録の訓練", Value: fmt.Sprintf("%d 件", unrated), Link: "/drill", Alert: unrated > 0},
	}, nil
}
