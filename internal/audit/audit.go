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

//go:embed all:templates
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
	now   func() time.Time
	org   org.Reader
	// tabs are other modules' pages on an engagement (nil: none).
	tabs func(ctx context.Context, e module.AuditEngagement) []module.EngagementTab
}

// New returns the audit module; now is the clock (nil: time.Now) and o the
// organisation's read API.
func New(db *database.DB, log *auditlog.Log, now func() time.Time, o org.Reader) *Module {
	if now == nil {
		now = time.Now
	}
	return &Module{store: NewStore(db, log, o, now), log: log, now: now, org: o}
}

// NewModule returns the audit module from the app's shared services.
func NewModule(d module.Deps) *Module {
	m := New(d.DB, d.Log, d.Now, d.Org)
	m.store = NewStoreFrom(d)
	m.tabs = d.EngagementTabs
	registerNames(d.Names, d.DB)
	return m
}

// info is the audit workstream: internal audits (DESIGN.md 1), external
// audits of information assets and My Number handling (3) and
// information-system audits (4), one programme per fiscal year.
var info = module.Info{Key: "audit", Label: "監査", Path: "/audit", Group: module.GroupWork, Workstream: 1, Built: true,
	RoleLabels: map[web.Role]string{web.RoleAuditee: "監査への対応"},
	Summary:    "内部監査・外部監査（情報資産・特定個人情報）・情報システム監査の年間計画、監査計画書、事前調査票と提出資料、実地監査、立会い、指摘事項、監査報告書、フォローアップ。"}

// Info implements module.Module.
func (m *Module) Info() module.Info { return info }

// Store returns the module's store (for sub-commands and tests).
func (m *Module) Store() *Store { return m.store }

// Tables lists the tables the module owns, parents first (for backups).
func (m *Module) Tables() []string {
	return []string{"department_profiles", "built_checklists", "built_checklist_items",
		"audit_engagements", "audit_engagement_departments", "audit_engagement_members", "audit_engagement_steps",
		"audit_plan_versions", "audit_items", "audit_presurveys", "audit_doc_requests", "audit_keys", "audit_evidence",
		"audit_interviews", "audit_witness", "audit_findings", "audit_reports", "audit_report_versions", "audit_report_comments",
		"audit_summaries", "audit_response_examples", "audit_material_examples"}
}

// Routes registers the checklist builder and the saved checklists.
func (m *Module) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("audit", templateFS, "templates"); err != nil {
		return err
	}
	m.programmeRoutes(rt)
	m.planRoutes(rt)
	m.presurveyRoutes(rt)
	m.fieldworkRoutes(rt)
	m.findingRoutes(rt)
	m.witnessRoutes(rt)
	m.reportRoutes(rt)
	m.summaryRoutes(rt)
	m.examplesRoutes(rt)
	m.dashboardRoutes(rt)
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
