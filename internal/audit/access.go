package audit

import (
	"context"
	"net/http"

	"mamori/internal/module"
	"mamori/internal/web"
)

// Who may reach the engagement screens at all (the route rules); what
// each may do with one engagement is Access.
var (
	// Managers run the programme: create engagements, assign teams, see
	// and do everything (the security office and the contractor).
	Managers = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant)
	// Auditing roles record fieldwork, findings and reports on the
	// engagements they are on (managers on all).
	Auditing = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleAuditor)
	// Engaged roles have pages on an engagement: the auditing roles and
	// the auditee (the pre-audit questionnaire, documents, the final
	// report and follow-up of their own department).
	Engaged = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleAuditor, web.RoleAuditee)
	// Readers also include the viewer (CISO, executives), who reads the
	// programme and final reports only.
	Readers = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleAuditor, web.RoleAuditee, web.RoleViewer)
)

// Access is what one user may do with one engagement. The route rule has
// already admitted the user's role; Access adds membership.
type Access struct {
	Manage  bool // 管理者・支援事業者: everything
	Audit   bool // on the team (or a manager): plan, checklist, fieldwork, findings, report drafts
	Lead    bool // the lead auditor or a manager: finalises the report
	Witness bool // the witnessing consultant or a manager: the witness record
	Auditee bool // the user's department is audited: pre-survey, documents, final report, follow-up
	Read    bool // may open the engagement at all
	Viewer  bool // 閲覧者: the programme and final reports only
	// Tabs are other modules' pages on the engagement (the technical
	// verification), for the team (set by load).
	Tabs []module.EngagementTab
	// Issued: the report was issued (final, or a final version exists),
	// so the auditee and the viewer may read it (set by load, for the tabs).
	Issued bool
}

// AccessOf decides what u may do with engagement e:
//   - admin and consultant: everything;
//   - an internal auditor: the engagements they are on the team of, never
//     one that audits their own department (independence);
//   - an auditee: the engagements that audit their department (or one
//     below it, or the department above theirs that the engagement covers);
//   - a viewer: reads every engagement's programme entry and final report;
//   - anyone else: nothing.
func (s *Store) AccessOf(ctx context.Context, u *web.User, e Engagement) (Access, error) {
	var a Access
	if u == nil {
		return a, nil
	}
	switch u.Role {
	case web.RoleAdmin, web.RoleConsultant:
		a = Access{Manage: true, Audit: true, Lead: true, Witness: true, Read: true}
		return a, nil
	case web.RoleViewer:
		return Access{Read: true, Viewer: true}, nil
	case web.RoleAuditor:
		m, ok := e.Member(u.ID)
		if !ok {
			return a, nil
		}
		own, err := s.audits(ctx, e, u.DepartmentID)
		if err != nil || own {
			return a, err
		}
		return Access{Audit: true, Lead: m.Role == MemberLead, Read: true}, nil
	case web.RoleAuditee:
		own, err := s.audits(ctx, e, u.DepartmentID)
		if err != nil || !own {
			return a, err
		}
		return Access{Auditee: true, Read: true}, nil
	}
	return a, nil
}

// audits reports whether engagement e audits department dept: one of its
// targets is dept or below it, or dept is below one of its targets.
func (s *Store) audits(ctx context.Context, e Engagement, dept int64) (bool, error) {
	if dept == 0 {
		return false, nil
	}
	for _, t := range e.Targets {
		for _, pair := range [][2]int64{{t.DepartmentID, dept}, {dept, t.DepartmentID}} {
			ok, err := s.org.Within(ctx, pair[0], pair[1])
			if err != nil {
				return false, err
			}
			if ok {
				return true, nil
			}
		}
	}
	return false, nil
}

// engagementObject is the object check of every route on one engagement
// ({id}): the user must be able to open it (Access.Read). What they may
// do there is checked by the handler with Access.
func (m *Module) engagementObject() web.Object {
	return web.Object{Kind: "audit.engagement", Allow: func(ctx context.Context, u *web.User, _ web.Scope, id int64) (bool, error) {
		e, err := m.store.Engagement(ctx, id)
		if err != nil {
			return false, err
		}
		a, err := m.store.AccessOf(ctx, u, e)
		return a.Read, err
	}}
}

// childObject is the object check of a route on a row that belongs to an
// engagement (an item, a finding, a piece of evidence …): the row must
// exist and the user must be able to open its engagement. The handler
// still checks that the row belongs to the engagement of the path ({id}).
func (m *Module) childObject(kind, param, table string) web.Object {
	return web.Object{Kind: kind, Param: param, Allow: func(ctx context.Context, u *web.User, _ web.Scope, id int64) (bool, error) {
		var eid int64
		if err := m.store.db.QueryRow(ctx, "SELECT engagement_id FROM "+table+" WHERE id = ?", id).Scan(&eid); err != nil {
			return false, web.NotFound()
		}
		e, err := m.store.Engagement(ctx, eid)
		if err != nil {
			return false, err
		}
		a, err := m.store.AccessOf(ctx, u, e)
		return a.Read, err
	}}
}

// engagementView is what every engagement page carries: the engagement,
// the user's access to it, and the tab the page is.
type engagementView struct {
	E   Engagement
	A   Access
	Tab string
}

// load reads the engagement of the path ({id}) and the user's access to
// it; the object check has already refused those who may not open it.
func (m *Module) load(r *http.Request) (Engagement, Access, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return Engagement{}, Access{}, err
	}
	e, err := m.store.Engagement(r.Context(), id)
	if err != nil {
		return e, Access{}, err
	}
	a, err := m.store.AccessOf(r.Context(), web.UserFrom(r.Context()), e)
	if err != nil {
		return e, a, err
	}
	if !a.Read {
		return e, a, web.NotFound()
	}
	rs, err := m.store.reportStatusOf(r.Context(), e.ID)
	a.Issued = rs.Issued()
	if a.Audit && m.tabs != nil {
		me, terr := m.moduleEngagement(r.Context(), e, false)
		if terr != nil {
			return e, a, terr
		}
		a.Tabs = m.tabs(r.Context(), me)
	}
	return e, a, err
}

// actor is the signed-in user as the store's Actor.
func actor(r *http.Request) Actor { return ActorOf(web.UserFrom(r.Context())) }
