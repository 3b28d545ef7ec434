package audit

import (
	"context"
	"fmt"
	"time"

	"mamori/internal/database"
	"mamori/internal/web"
)

// ProgrammeFilter selects the engagements of the programme screens (the
// list, its export and the calendar) for one user: the list's filters, and
// who is asking.
type ProgrammeFilter struct {
	EngagementFilter
	// User is who is asking: admin, consultant and viewer see every
	// engagement, an internal auditor those they may open (on the team,
	// never one auditing their own department), an auditee those auditing
	// their department; anyone else none.
	User *web.User
	// OverdueAt, when set, keeps the engagements with a step overdue at
	// that time (Engagement.Overdue).
	OverdueAt time.Time
}

// Programme lists the engagements matching f that f.User may open, in the
// filter's order, the page f.Limit/f.Offset asks for, and how many match
// in all. Visibility is decided by AccessOf, the same rule as the object
// check of every engagement page, so a list never shows a row its link
// would refuse.
func (s *Store) Programme(ctx context.Context, f ProgrammeFilter) ([]Engagement, int, error) {
	u := f.User
	if u == nil {
		return nil, 0, nil
	}
	ef := f.EngagementFilter
	limit, offset := ef.Limit, ef.Offset
	ef.Limit, ef.Offset, ef.MemberOf, ef.AuditedDept = 0, 0, 0, 0
	scoped := false
	switch u.Role {
	case web.RoleAdmin, web.RoleConsultant, web.RoleViewer:
	case web.RoleAuditor:
		ef.MemberOf, scoped = u.ID, true
	case web.RoleAuditee:
		if u.DepartmentID == 0 {
			return nil, 0, nil
		}
		// Not AuditedDept: an auditee of a section also sees the
		// engagement of the division above it (AccessOf).
		scoped = true
	default:
		return nil, 0, nil
	}
	all, _, err := s.Engagements(ctx, ef)
	if err != nil {
		return nil, 0, fmt.Errorf("audit.Programme: %w", err)
	}
	kept := all[:0]
	for _, e := range all {
		if scoped {
			a, err := s.AccessOf(ctx, u, e)
			if err != nil {
				return nil, 0, fmt.Errorf("audit.Programme: %w", err)
			}
			if !a.Read {
				continue
			}
		}
		if !f.OverdueAt.IsZero() && len(e.Overdue(f.OverdueAt)) == 0 {
			continue
		}
		kept = append(kept, e)
	}
	total := len(kept)
	if limit > 0 {
		if offset >= total {
			return nil, total, nil
		}
		kept = kept[offset:min(offset+limit, total)]
	}
	return kept, total, nil
}

// FinalReports reports which of the engagements have a final report (one
// finalised at least once): only then may auditees and viewers see their
// findings.
func (s *Store) FinalReports(ctx context.Context, ids []int64) (map[int64]bool, error) {
	if len(ids) == 0 {
		return map[int64]bool{}, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	in := "(" + database.Placeholders(len(ids)) + ")"
	out, err := s.db.IDSet(ctx, "SELECT engagement_id FROM audit_reports WHERE (state = 'final' OR version > 0) AND engagement_id IN "+in+
		" UNION SELECT engagement_id FROM audit_report_versions WHERE engagement_id IN "+in, append(args, args...)...)
	if err != nil {
		return nil, fmt.Errorf("audit.FinalReports: %w", err)
	}
	return out, nil
}

// CopyPlan is what 「前年度の計画を複写」 would do: the engagements of year
// From, and which of them already have their copy in year To.
type CopyPlan struct {
	From, To    int
	Engagements []Engagement
	Copied      map[int64]bool
}

// ToCopy is how many engagements a copy would create.
func (p CopyPlan) ToCopy() int {
	n := 0
	for _, e := range p.Engagements {
		if !p.Copied[e.ID] {
			n++
		}
	}
	return n
}

// PlanCopy shows what CopyYear(from, to) would create, without changing
// anything.
func (s *Store) PlanCopy(ctx context.Context, from, to int) (CopyPlan, error) {
	p := CopyPlan{From: from, To: to, Copied: map[int64]bool{}}
	es, _, err := s.Engagements(ctx, EngagementFilter{FiscalYear: from})
	if err != nil {
		return p, fmt.Errorf("audit.PlanCopy: %w", err)
	}
	p.Engagements = es
	rows, err := s.db.Query(ctx, "SELECT copied_from FROM audit_engagements WHERE fiscal_year = ? AND copied_from IS NOT NULL", to)
	if err != nil {
		return p, fmt.Errorf("audit.PlanCopy: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return p, err
		}
		p.Copied[id] = true
	}
	return p, rows.Err()
}
