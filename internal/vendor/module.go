// Package vendor is the vendor and cloud-service onboarding workstream
// (DESIGN.md workstream 8, issue 17): a department's request for a review
// of a service or contract, the questionnaire built from the catalogue's
// cloud or outsourcing checklist and pinned to its version, the vendor's
// answers and evidence through an expiring link, the review of each item,
// the return for corrections, the decision with its conditions, the
// re-review, and the register of every service.
package vendor

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

//go:embed static/vendor.css
var css []byte

// ModuleKey names the module.
const ModuleKey = "vendor"

// Who may do what (object checks add the department scope).
var (
	// Managers review and decide: the security office and the contractor.
	Managers = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant)
	// watch reads the register: managers and the viewer for the ward, a
	// 所属長 (auditee) their own sub-tree's requests.
	watch = web.Allow(web.RoleAdmin, web.RoleConsultant, web.RoleViewer).Scoped(web.RoleAuditee)
	// requesters may ask for a review: managers for any department, a
	// 所属長 for their own.
	requesters = web.Allow(web.RoleAdmin, web.RoleConsultant).Scoped(web.RoleAuditee)
)

// Module is the vendor workstream.
type Module struct {
	d     module.Deps
	store *Store
	limit *limiter
}

// New returns the module on the app's shared services.
func New(d module.Deps) *Module {
	registerNames(d.Names, d.DB)
	return &Module{d: d, store: NewStore(d), limit: newLimiter(60, 60)}
}

// Store is the module's store (for sub-commands and tests).
func (m *Module) Store() *Store { return m.store }

var info = module.Info{Key: ModuleKey, Label: "委託・クラウド", Path: "/vendor", Group: module.GroupWork, Workstream: 8, Built: true,
	Summary: "外部委託・クラウドサービスの審査：所管課の依頼、カタログからの調査票、事業者の回答（期限付きリンク）、項目ごとの審査、条件付きの決定、再審査。"}

// Info implements module.Module.
func (m *Module) Info() module.Info { return info }

// Tables implements module.Tabler (parents first).
func (m *Module) Tables() []string {
	return []string{"vendor_requests", "vendor_items", "vendor_links", "vendor_submissions", "vendor_evidence", "vendor_conditions"}
}

// Routes implements module.Router.
func (m *Module) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("vendor", templateFS, "templates"); err != nil {
		return err
	}
	rt.Renderer().Static().Add("vendor/vendor.css", css)
	m.routes(rt)
	return nil
}

func registerNames(reg *module.Names, db *database.DB) {
	if reg == nil || db == nil {
		return
	}
	reg.Register("vendor_request", module.SQLNames(db, "SELECT id, fiscal_year, code, service_name FROM vendor_requests WHERE id IN (%s)",
		func(id, _ int64, code, name string) module.Named {
			return module.Named{Name: code + " " + name, Link: fmt.Sprintf("/vendor/%d", id)}
		}))
}

// Tiles implements module.Tiler: for the managers, submissions to review,
// re-reviews due and ISMAP registrations about to lapse.
func (m *Module) Tiles(ctx context.Context, u *web.User) ([]module.Tile, error) {
	if !Managers.HasUser(u) {
		return nil, nil
	}
	rs, err := m.store.Requests(ctx, 0)
	if err != nil {
		return nil, err
	}
	now := m.store.now()
	review, due, ismap := 0, 0, 0
	for _, r := range rs {
		if r.State == StateReview {
			review++
		}
		if r.ReviewDue(now) {
			due++
		}
		if r.ISMAPWarning(now) != "" && r.Decision != "declined" {
			ismap++
		}
	}
	return []module.Tile{
		{Label: "審査待ちの委託・クラウド", Value: fmt.Sprintf("%d 件", review), Link: "/vendor", Alert: review > 0},
		{Label: "再審査の時期・ISMAP の期限", Value: fmt.Sprintf("%d 件・%d 件", due, ismap), Link: "/vendor", Alert: due+ismap > 0},
	}, nil
}
