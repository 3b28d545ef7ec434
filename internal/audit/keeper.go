package audit

// This file is the audit module as module.EngagementKeeper and its report
// sections: how other modules (the technical verification) reach an
// engagement without importing this package.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"mamori/internal/module"
	"mamori/internal/web"
)

var _ module.EngagementKeeper = (*Module)(nil)

func (m *Module) moduleEngagement(ctx context.Context, e Engagement, items bool) (module.AuditEngagement, error) {
	out := module.AuditEngagement{ID: e.ID, Code: e.Code, FiscalYear: e.FiscalYear, Kind: string(e.Kind), KindLabel: e.Kind.Label(),
		System: e.Kind == KindSystem, Title: e.Title, SystemName: e.System, Hosting: e.HostingLabel(), Vendors: e.Vendors,
		Phase: e.PhaseLabel(), Finished: e.Phase == PhaseFollowup || e.Phase == PhaseDone, Link: fmt.Sprintf("/audit/%d", e.ID)}
	for _, t := range e.Targets {
		out.Departments = append(out.Departments, t.Name)
	}
	st, err := m.store.reportStage(ctx, e.ID)
	if err != nil {
		return out, err
	}
	out.ReportFinal = st == ReportFinal
	if !items {
		return out, nil
	}
	its, err := m.store.Items(ctx, e.ID, ItemFilter{})
	if err != nil {
		return out, err
	}
	for _, it := range its {
		out.Items = append(out.Items, module.AuditItem{Code: it.Code, Category: it.Category, Question: it.Question, Clauses: it.Clauses})
	}
	return out, nil
}

// AuditEngagements implements module.EngagementKeeper.
func (m *Module) AuditEngagements(ctx context.Context, fy int) ([]module.AuditEngagement, error) {
	es, _, err := m.store.Engagements(ctx, EngagementFilter{FiscalYear: fy})
	if err != nil {
		return nil, err
	}
	out := make([]module.AuditEngagement, 0, len(es))
	for _, e := range es {
		me, err := m.moduleEngagement(ctx, e, false)
		if err != nil {
			return nil, err
		}
		out = append(out, me)
	}
	return out, nil
}

// AuditEngagement implements module.EngagementKeeper.
func (m *Module) AuditEngagement(ctx context.Context, id int64) (module.AuditEngagement, error) {
	e, err := m.store.Engagement(ctx, id)
	if err != nil {
		return module.AuditEngagement{}, err
	}
	return m.moduleEngagement(ctx, e, true)
}

// AuditEngagementByCode implements module.EngagementKeeper.
func (m *Module) AuditEngagementByCode(ctx context.Context, code string) (module.AuditEngagement, error) {
	e, err := m.store.EngagementByCode(ctx, code)
	if err != nil {
		return module.AuditEngagement{}, err
	}
	return m.moduleEngagement(ctx, e, true)
}

// EngagementAccess implements module.EngagementKeeper.
func (m *Module) EngagementAccess(ctx context.Context, u *web.User, id int64) (module.EngagementAccess, error) {
	e, err := m.store.Engagement(ctx, id)
	if err != nil {
		return module.EngagementAccess{}, err
	}
	a, err := m.store.AccessOf(ctx, u, e)
	if err != nil {
		return module.EngagementAccess{}, err
	}
	// The auditee and the viewer read the audit's own pages; the
	// technical results are the team's working material.
	return module.EngagementAccess{Read: a.Audit || a.Manage, Audit: a.Audit, Manage: a.Manage}, nil
}

// ProposeFinding implements module.EngagementKeeper: the finding is
// recorded for the engagement's first audited department, due in three
// months (the team adjusts both on the finding's page).
func (m *Module) ProposeFinding(ctx context.Context, u *web.User, id int64, f module.ProposedFinding) (string, string, error) {
	e, err := m.store.Engagement(ctx, id)
	if err != nil {
		return "", "", err
	}
	if len(e.Targets) == 0 {
		return "", "", web.Invalid("この監査には被監査所属がないため、指摘事項等を登録できません。監査の設定で所属を指定してください。")
	}
	in := FindingInput{Type: f.Type, Title: f.Title, DepartmentID: e.Targets[0].DepartmentID, ItemCodes: f.ItemCodes,
		Condition: f.Condition, Criteria: f.Criteria, Effect: f.Effect, Recommendation: f.Recommendation, Risk: f.Risk}
	if FindingRegistered(in.Type) {
		d := m.now().AddDate(0, 3, 0)
		in.Due = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, d.Location())
	}
	fid, err := m.store.CreateFinding(ctx, e, in, ActorOf(u))
	var fe FieldErrors
	if errors.As(err, &fe) {
		keys := make([]string, 0, len(fe))
		for k := range fe {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var msgs []string
		for _, k := range keys {
			msgs = append(msgs, fe[k])
		}
		return "", "", web.Invalid("%s", "指摘事項等として登録できません："+strings.Join(msgs, " "))
	}
	if err != nil {
		return "", "", err
	}
	got, err := m.store.Finding(ctx, e.ID, fid)
	if err != nil {
		return "", "", err
	}
	return got.Label(), fmt.Sprintf("/audit/%d/findings/%d", e.ID, fid), nil
}
