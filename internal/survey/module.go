package survey

import (
	"context"
	"embed"
	"io/fs"
	"path"

	"mamori/internal/module"
	"mamori/internal/web"
)

//go:embed templates
var templateFS embed.FS

//go:embed static/*.css
var staticFS embed.FS

// Who may do what (the route rules; object checks add membership).
var (
	// Managers run the self-assessment: questions, campaigns, links,
	// reminders, analysis and reports (the security office and the
	// contractor).
	Managers = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant)
	// Watchers see response rates: managers for the ward, a department's
	// 所属長 (the auditee role) for their own sub-tree.
	Watchers = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleAuditee)
	// Reporters read the results: managers and the viewer (CISO).
	Reporters = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleViewer)
)

// Module is the self-assessment workstream.
type Module struct {
	d     module.Deps
	store *Store
	staff *module.StaffLinks
}

// New returns the module on the app's shared services.
func New(d module.Deps) *Module {
	registerNames(d.Names, d.DB)
	return &Module{d: d, store: NewStore(d), staff: module.NewStaffLinks(d.Org)}
}

// Store returns the module's store (for sub-commands, benchmarks and tests).
func (m *Module) Store() *Store { return m.store }

var info = module.Info{Key: ModuleKey, Label: "自己点検", Path: "/selfcheck", Group: module.GroupWork, Workstream: 2, Built: true,
	Summary: "一般職員・システム担当者・保護担当者向けの自己点検調査票の配布と回収、集計・分析、報告書と説明資料。"}

// Info implements module.Module: every signed-in person may have a
// questionnaire to answer, so the menu entry is for everyone.
func (m *Module) Info() module.Info { return info }

// Tables implements module.Tabler.
func (m *Module) Tables() []string {
	return []string{"survey_questions", "survey_campaigns", "survey_campaign_departments", "survey_invitations", "survey_responses"}
}

// routeSets are the module's screens, one function per area.
func (m *Module) routeSets() []func(*web.Router) {
	return []func(*web.Router){m.answerRoutes, m.questionRoutes, m.campaignRoutes, m.resultsRoutes}
}

// Routes implements module.Router.
func (m *Module) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("survey", templateFS, "templates"); err != nil {
		return err
	}
	// The module's style sheets, served at hashed URLs ({{asset "survey/NAME.css"}}).
	files, err := fs.Glob(staticFS, "static/*.css")
	if err != nil {
		return err
	}
	for _, f := range files {
		b, err := staticFS.ReadFile(f)
		if err != nil {
			return err
		}
		rt.Renderer().Static().Add("survey/"+path.Base(f), b)
	}
	for _, f := range m.routeSets() {
		f(rt)
	}
	return nil
}

// staffOf is the roster entry of a signed-in user (0: none).
func (m *Module) staffOf(ctx context.Context, u *web.User) (int64, error) { return m.staff.Of(ctx, u) }
