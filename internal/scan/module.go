// Package scan is the technical verification of information-system audits
// (技術的検証, DESIGN.md workstream 4, issue 18): a plan per system audit
// with the approved allow-list, the agreed time window, the rate, the
// approval, the emergency contact and an abort switch; the import of the
// auditors' scanner files (Nmap, OpenVAS/Greenbone, Trivy, SARIF, CSV:
// internal/scan/parse); the built-in safe checks within the plan (TLS,
// HTTP headers, TCP connect: internal/scan/probe); one finding model with
// its status, linked to the engagement's checklist items; findings proposed
// as audit findings; and the chapter of the audit report.
//
// The module reaches the audit engagements only through
// module.EngagementKeeper: it does not import the audit module.
package scan

import (
	"context"
	"embed"
	"fmt"
	"time"

	"mamori/internal/database"
	"mamori/internal/docgen"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed static/scan.css
var css []byte

// ModuleKey names the module.
const ModuleKey = "scan"

// team: who works on technical verification — the security office, the
// contractor, and internal auditors on the engagement's team.
var team = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleAuditor)

// Module is the technical-verification module.
type Module struct {
	d     module.Deps
	store *Store
	// checkOpt adjusts the built-in checks (tests trust their own CA and
	// resolve their own names); empty in the running program.
	checkOpt CheckOptions
}

// SetCheckOptions adjusts the built-in checks (tests only).
func (m *Module) SetCheckOptions(o CheckOptions) { m.checkOpt = o }

// New returns the module on the app's shared services.
func New(d module.Deps) *Module {
	registerNames(d.Names, d.DB)
	return &Module{d: d, store: NewStore(d)}
}

// Store is the module's store (for sub-commands and tests).
func (m *Module) Store() *Store { return m.store }

var info = module.Info{Key: ModuleKey, Label: "技術的検証", Path: "/scan", Group: module.GroupWork, Workstream: 4, Built: true,
	Summary: "情報システム監査の技術的検証：承認された対象と時間帯の検証計画、スキャナ結果（Nmap・OpenVAS・Trivy・SARIF・CSV）の取込み、TLS・HTTP・TCP の安全な組込み検査、検出事項の管理と監査報告書への反映。"}

// Info implements module.Module.
func (m *Module) Info() module.Info { return info }

// Tables implements module.Tabler (parents first).
func (m *Module) Tables() []string {
	return []string{"scan_plans", "scan_imports", "scan_findings", "scan_checks", "scan_keys"}
}

// Routes implements module.Router.
func (m *Module) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("scan", templateFS, "templates"); err != nil {
		return err
	}
	rt.Renderer().Static().Add("scan/scan.css", css)
	m.routes(rt)
	return nil
}

// keeper is the audit module, or an error when the deployment has none.
func (m *Module) keeper() (module.EngagementKeeper, error) {
	if m.d.Engagements != nil {
		if k := m.d.Engagements(); k != nil {
			return k, nil
		}
	}
	return nil, fmt.Errorf("scan: no module keeps audit engagements")
}

func registerNames(reg *module.Names, db *database.DB) {
	if reg == nil || db == nil {
		return
	}
	reg.Register("scan_finding", module.SQLNames(db, `SELECT f.id, p.engagement_id, f.title, f.host FROM scan_findings f
		JOIN scan_plans p ON p.id = f.plan_id WHERE f.id IN (%s)`,
		func(id, eng int64, title, host string) module.Named {
			name := title
			if host != "" {
				name += "（" + host + "）"
			}
			return module.Named{Name: name, Link: fmt.Sprintf("/scan/%d/findings/%d", eng, id)}
		}))
}

// EngagementSections implements module.EngagementReporter: the
// technical-verification chapter of a system audit's report.
func (m *Module) EngagementSections(ctx context.Context, engagementID int64) ([]module.ReportSection, error) {
	p, err := m.store.PlanOf(ctx, engagementID)
	if err != nil || !p.Saved() {
		return nil, err
	}
	sec, ok, err := m.store.ReportSection(ctx, p)
	if err != nil || !ok {
		return nil, err
	}
	return []module.ReportSection{sec}, nil
}

// Tiles implements module.Tiler: urgent and high findings still open, and
// risk acceptances whose expiry has passed.
func (m *Module) Tiles(ctx context.Context, u *web.User) ([]module.Tile, error) {
	if u == nil || (u.Role != web.RoleAdmin && u.Role != web.RoleConsultant) {
		return nil, nil
	}
	var open, expired int
	if err := m.d.DB.QueryRow(ctx, "SELECT COUNT(*) FROM scan_findings WHERE severity IN ('critical', 'high') AND status IN ('open', 'progress')").Scan(&open); err != nil {
		return nil, err
	}
	if err := m.d.DB.QueryRow(ctx, "SELECT COUNT(*) FROM scan_findings WHERE status = 'accepted' AND accept_until <> '' AND accept_until < ?",
		jp.DateKey(m.store.now())).Scan(&expired); err != nil {
		return nil, err
	}
	tiles := []module.Tile{{Label: "技術的検証：緊急・高の未対応", Value: fmt.Sprintf("%d 件", open), Link: "/scan", Alert: open > 0}}
	if expired > 0 {
		tiles = append(tiles, module.Tile{Label: "技術的検証：期限切れのリスク受容", Value: fmt.Sprintf("%d 件", expired), Link: "/scan", Alert: true})
	}
	return tiles, nil
}

// EngagementTabs implements module.EngagementTabber: a system audit's
// pages link to its technical verification.
func (m *Module) EngagementTabs(_ context.Context, e module.AuditEngagement) []module.EngagementTab {
	if !e.System {
		return nil
	}
	return []module.EngagementTab{{Label: "技術的検証", Link: fmt.Sprintf("/scan/%d", e.ID)}}
}

// Deliverables implements module.Year: for each system audit of fiscal
// year fy with an approved plan, its 技術的検証実施計画書; once results are
// in, its 技術的検証結果報告書.
func (m *Module) Deliverables(ctx context.Context, fy int) ([]module.Deliverable, error) {
	k, err := m.keeper()
	if err != nil {
		return nil, nil
	}
	es, err := k.AuditEngagements(ctx, fy)
	if err != nil {
		return nil, err
	}
	var out []module.Deliverable
	for _, e := range es {
		if !e.System {
			continue
		}
		p, err := m.store.PlanOf(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		if !p.Approved() {
			continue
		}
		name := e.SystemName
		if name == "" {
			name = e.Code
		}
		out = append(out, module.Deliverable{Key: "tech-plan-" + e.Code, Title: "技術的検証実施計画書（" + name + "）", Formats: []string{"pdf", "docx"},
			Build: func(ctx context.Context) (*docgen.Document, error) {
				full, err := k.AuditEngagement(ctx, e.ID)
				if err != nil {
					return nil, err
				}
				return PlanDocument(full, p, m.d.Org.WardName(ctx), m.store.now()), nil
			}})
		c, err := m.store.CountsOf(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		if c.Total == 0 {
			continue
		}
		out = append(out, module.Deliverable{Key: "tech-report-" + e.Code, Title: "技術的検証結果報告書（" + name + "）", Formats: []string{"pdf", "docx", "xlsx"},
			Build: func(ctx context.Context) (*docgen.Document, error) {
				full, err := k.AuditEngagement(ctx, e.ID)
				if err != nil {
					return nil, err
				}
				return m.store.ReportDocument(ctx, full, m.d.Org.WardName(ctx))
			}})
	}
	return out, nil
}

// Progress implements module.Year: each system audit's technical
// verification, from the plan's window; done when no urgent or high
// finding is still open after the window, overdue when the window has
// passed with such findings open or no results at all.
func (m *Module) Progress(ctx context.Context, fy int) ([]module.Progress, error) {
	k, err := m.keeper()
	if err != nil {
		return nil, nil
	}
	es, err := k.AuditEngagements(ctx, fy)
	if err != nil {
		return nil, err
	}
	now := m.store.now()
	var out []module.Progress
	for _, e := range es {
		if !e.System {
			continue
		}
		p, err := m.store.PlanOf(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		if !p.Saved() || p.Start.IsZero() {
			continue
		}
		c, err := m.store.CountsOf(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		pr := module.Progress{Task: "技術的検証（" + e.SystemName + "）", Owner: "支援事業者", Start: p.Start, End: p.End, Link: fmt.Sprintf("/scan/%d", e.ID)}
		urgent := c.Active[0] + c.Active[1]
		switch {
		case c.Total == 0:
			pr.Done = 0
		case now.After(p.End) && urgent == 0:
			pr.Done, pr.Completed = 1, true
		default:
			elapsed := float64(now.Sub(p.Start)) / float64(max(p.End.Sub(p.Start), time.Hour))
			pr.Done = min(max(elapsed, 0.2), 0.9)
		}
		out = append(out, pr)
	}
	return out, nil
}
