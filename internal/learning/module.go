// Package learning is the e-learning workstream (DESIGN.md workstream 5,
// issue 14): 個人情報保護研修 and 特定個人情報保護研修 in variants for
// 一般職員・システム担当者・管理職 with a text version, exercises and a test,
// campaigns that assign a course to the roster, completion per person and
// department, certificates and completion lists; and the internal-auditor
// training's course.
package learning

import (
	"context"
	"embed"
	"io/fs"
	"path"
	"sync"

	"mamori/content"
	"mamori/internal/module"
	"mamori/internal/web"
)

//go:embed templates
var templateFS embed.FS

//go:embed static/*.css static/*.js
var staticFS embed.FS

// ModuleKey names the module (menu, audit-log labels).
const ModuleKey = "learning"

// Who may do what (the route rules; object checks add membership).
var (
	// Managers run the training: courses, campaigns, lists (the security
	// office and the contractor).
	Managers = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant)
	// Watchers see progress: managers for the ward, a 所属長 (the auditee
	// role) for their own sub-tree, the viewer (CISO) for the ward.
	Watchers = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleAuditee, web.RoleViewer)
)

// Module is the e-learning workstream.
type Module struct {
	d     module.Deps
	store *Store
	staff *module.StaffLinks
	// practice is the year's practice audit (content), loaded with the routes.
	practice *Practice
	packages sync.Map // SCORM package id → its files' places in the ZIP
}

// New returns the module on the app's shared services.
func New(d module.Deps) *Module {
	registerNames(d.Names, d.DB)
	return &Module{d: d, store: NewStore(d), staff: module.NewStaffLinks(d.Org)}
}

// Store returns the module's store (for sub-commands and tests).
func (m *Module) Store() *Store { return m.store }

var info = module.Info{Key: ModuleKey, Label: "研修", Path: "/learning", Group: module.GroupWork, Workstream: 5, Built: true,
	Summary: "個人情報保護研修と特定個人情報保護研修（一般職員・システム担当者・管理職向け）、テキスト版と演習、確認テスト、受講管理と修了証。"}

// Info implements module.Module: every member of staff may have a course
// to take, so the menu entry is for everyone.
func (m *Module) Info() module.Info { return info }

// Tables implements module.Tabler.
func (m *Module) Tables() []string {
	return []string{"learning_courses", "learning_lessons", "learning_questions", "learning_campaigns", "learning_assignments",
		"learning_progress", "learning_attempts", "learning_practice", "learning_scorm_packages", "learning_scorm_state"}
}

// Routes implements module.Router.
func (m *Module) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("learning", templateFS, "templates"); err != nil {
		return err
	}
	files, err := fs.Glob(staticFS, "static/*")
	if err != nil {
		return err
	}
	for _, f := range files {
		b, err := staticFS.ReadFile(f)
		if err != nil {
			return err
		}
		rt.Renderer().Static().Add("learning/"+path.Base(f), b)
	}
	m.learnerRoutes(rt)
	m.manageRoutes(rt)
	m.scormRoutes(rt)
	return m.practiceRoutes(rt)
}

// ImportContent stores fiscal year fy's courses from content/learning that
// the database lacks; it returns the codes added.
func (m *Module) ImportContent(ctx context.Context, fy int, by string) ([]string, error) {
	specs, err := LoadCourses(content.FS, fy)
	if err != nil {
		return nil, err
	}
	return m.store.ImportCourses(ctx, specs, by)
}

// staffOf is the roster entry of a signed-in user (0: none).
func (m *Module) staffOf(ctx context.Context, u *web.User) (int64, error) { return m.staff.Of(ctx, u) }

// contentFS is where the course files are read from.
func contentFS() fs.FS { return content.FS }
