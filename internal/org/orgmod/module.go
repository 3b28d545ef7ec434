// Package orgmod is the organisation as a module of the app: its screens
// (the roster, departments, years, users), its navigation, its tables,
// its part of the demo ward and its home-page figures. Package
// org itself is the service and the read API (org.Reader) that every module
// gets through module.Deps.Org; keeping the module here lets package module
// name org.Reader without an import cycle.
package orgmod

import (
	"context"
	"strconv"

	"mamori/internal/module"
	"mamori/internal/org"
	"mamori/internal/web"
)

// Module wraps the organisation service.
type Module struct{ s *org.Service }

// New returns the organisation module over s.
func New(s *org.Service) *Module { return &Module{s: s} }

// Info implements module.Module: the organisation is a shared module with
// no landing page of its own; its screens are listed by Nav.
func (m *Module) Info() module.Info {
	return module.Info{Key: "org", Label: "組織", Group: module.GroupOrg, Built: true,
		Summary: "年度、所属の階層、職員名簿、利用者と役割。"}
}

// Routes implements module.Router.
func (m *Module) Routes(rt *web.Router) error {
	if err := m.s.Routes(rt); err != nil {
		return err
	}
	return m.s.SettingsRoutes(rt)
}

// Nav lists the organisation's screens; the app shows each to the roles
// its route rule allows.
func (m *Module) Nav() []web.NavItem {
	g := string(module.GroupOrg)
	return []web.NavItem{
		{Label: "職員名簿", Path: "/staff", Group: g},
		{Label: "所属（組織）", Path: "/admin/departments", Group: g},
		{Label: "年度", Path: "/admin/years", Group: g},
		{Label: "利用者と役割", Path: "/admin/users", Group: g},
		{Label: "設定", Path: "/admin/settings", Group: g},
	}
}

// Tables lists the organisation's tables for backup, parents first.
func (m *Module) Tables() []string {
	return []string{"settings", "fiscal_years", "departments", "staff", "staff_assignments", "users"}
}

// CreateDemo implements module.DemoMaker: the demo ward ひので区.
func (m *Module) CreateDemo(ctx context.Context, d module.Demo) error {
	return m.s.CreateDemo(ctx, d.Password, d.Progress)
}

// Tiles implements module.Tiler: the organisation's size for those who run
// the programme.
func (m *Module) Tiles(ctx context.Context, u *web.User) ([]module.Tile, error) {
	if u.Role != web.RoleAdmin && u.Role != web.RoleConsultant && u.Role != web.RoleViewer {
		return nil, nil
	}
	c, err := m.s.Counts(ctx)
	if err != nil {
		return nil, err
	}
	return []module.Tile{
		{Label: "所属", Value: strconv.Itoa(c.Departments) + " 所属", Link: "/admin/departments"},
		{Label: "在籍職員", Value: strconv.Itoa(c.Staff) + " 人", Link: "/staff"},
		{Label: "利用者", Value: strconv.Itoa(c.Users) + " アカウント"},
	}, nil
}
