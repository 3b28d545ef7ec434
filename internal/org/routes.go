package org

import (
	"embed"

	"mamori/internal/web"
)

//go:embed templates
var templateFS embed.FS

// Routes registers the organisation feature's pages, each with its rule.
func (s *Service) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("org", templateFS, "templates"); err != nil {
		return err
	}
	admin := web.Allow(web.RoleAdmin)
	// Who may read the roster: the office, the consultant and the viewers
	// ward-wide; an audited department's own staff for its own sub-tree.
	roster := web.Allow(web.RoleAdmin, web.RoleConsultant, web.RoleViewer).Scoped(web.RoleAuditee)

	rt.Handle("GET /staff", roster, s.staffList)
	rt.Handle("GET /staff/export", roster, s.staffExport)
	rt.Handle("GET /staff/new", admin, s.staffNew)
	rt.Handle("POST /staff", admin, s.staffCreate)
	rt.Handle("GET /staff/{id}", roster.On(s.staffObject()), s.staffShow)
	rt.Handle("GET /staff/{id}/edit", admin.On(s.staffObject()), s.staffEdit)
	rt.Handle("POST /staff/{id}", admin.On(s.staffObject()), s.staffUpdate)

	rt.Handle("GET /admin/departments", roster, s.deptList)
	rt.Handle("GET /admin/departments/export", roster, s.deptExport)
	rt.Handle("GET /admin/departments/new", admin, s.deptNew)
	rt.Handle("POST /admin/departments", admin, s.deptCreate)
	rt.Handle("GET /admin/departments/{id}/edit", admin.On(s.departmentObject()), s.deptEdit)
	rt.Handle("POST /admin/departments/{id}", admin.On(s.departmentObject()), s.deptUpdate)

	rt.Handle("GET /admin/years", admin, s.yearList)
	rt.Handle("POST /admin/years", admin, s.yearCreate)
	rt.Handle("POST /admin/years/{year}/current", admin, s.yearCurrent)

	rt.Handle("GET /admin/users", admin, s.userList)
	rt.Handle("GET /admin/users/export", admin, s.userExport)
	rt.Handle("GET /admin/users/new", admin, s.userNew)
	rt.Handle("POST /admin/users", admin, s.userCreate)
	rt.Handle("GET /admin/users/{id}/edit", admin.On(s.userObject()), s.userEdit)
	rt.Handle("POST /admin/users/{id}", admin.On(s.userObject()), s.userUpdate)
	rt.Handle("POST /admin/users/{id}/disable", admin.On(s.userObject()), s.userDisable)
	rt.Handle("POST /admin/users/{id}/enable", admin.On(s.userObject()), s.userEnable)
	rt.Handle("POST /admin/users/{id}/totp-reset", admin.On(s.userObject()), s.userTOTPReset)

	s.importRoutes(rt, admin)
	return nil
}
