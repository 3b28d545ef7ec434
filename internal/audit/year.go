package audit

// This file is the audit module's contribution to the fiscal year
// (module.Year): the documents the ward receives from each engagement, for
// the bound set (mamori binder) and programme management, and where each
// engagement stands. The programme list (監査計画の一覧) is not among the
// documents: its export is a spreadsheet of the list's rows (tabular), not
// a document.

import (
	"context"
	"fmt"
	"sort"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/web"
)

// yearEngagements are the engagements of fiscal year fy in the order the
// year's documents list them: by kind (内部監査, 外部監査, 情報システム監査),
// then code.
func (s *Store) yearEngagements(ctx context.Context, fy int) ([]Engagement, error) {
	es, _, err := s.Engagements(ctx, EngagementFilter{FiscalYear: fy})
	if err != nil {
		return nil, err
	}
	rank := map[Kind]int{}
	for i, k := range Kinds {
		rank[k] = i
	}
	sort.SliceStable(es, func(i, j int) bool {
		if rank[es[i].Kind] != rank[es[j].Kind] {
			return rank[es[i].Kind] < rank[es[j].Kind]
		}
		return es[i].Code < es[j].Code
	})
	return es, nil
}

// yearTitle is a document's title with what the engagement audits, as the
// bound set lists it: 監査報告書（戸籍住民課）.
func yearTitle(doc string, e Engagement) string {
	if sub := e.Subject(); sub != "" {
		return doc + "（" + sub + "）"
	}
	return doc + "（" + e.Code + "）"
}

// Deliverables implements module.Year: for each engagement of fiscal year
// fy, its 監査計画書; once the notice was sent (past 計画) its 監査実施通知書
// and 説明会資料; once its report is issued (final, or a final version kept
// while the next is drafted) the latest final 監査報告書 and its 指摘事項一覧.
// Formats are those the engagement's pages offer.
func (m *Module) Deliverables(ctx context.Context, fy int) ([]module.Deliverable, error) {
	s := m.store
	es, err := s.yearEngagements(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("audit.Deliverables: %w", err)
	}
	pdfDocx := []string{"pdf", "docx"}
	var out []module.Deliverable
	for _, e := range es {
		out = append(out, module.Deliverable{Key: e.Code + "/plan", Title: yearTitle("監査計画書", e), Formats: pdfDocx,
			Build: func(ctx context.Context) (*docgen.Document, error) { return s.PlanDocument(ctx, e) }})
		if noticeSent(e) {
			out = append(out,
				module.Deliverable{Key: e.Code + "/notice", Title: yearTitle("監査実施通知書", e), Formats: pdfDocx,
					Build: func(ctx context.Context) (*docgen.Document, error) { return s.NoticeDocument(ctx, e) }},
				module.Deliverable{Key: e.Code + "/briefing", Title: yearTitle("説明会資料", e), Formats: pdfDocx,
					Build: func(ctx context.Context) (*docgen.Document, error) { return s.BriefingDocument(ctx, e) }})
		}
		rs, err := s.reportStatusOf(ctx, e.ID)
		if err != nil {
			return nil, fmt.Errorf("audit.Deliverables: %w", err)
		}
		if !rs.Issued() {
			continue
		}
		version := rs.Version // the final version, not a reopened draft
		out = append(out,
			module.Deliverable{Key: e.Code + "/report", Title: yearTitle(reportTitle, e), Formats: pdfDocx,
				Build: func(ctx context.Context) (*docgen.Document, error) { return s.ReportDocument(ctx, e, version) }},
			module.Deliverable{Key: e.Code + "/findings", Title: yearTitle(reportFindingsTitle, e), Formats: []string{"xlsx"},
				Build: func(ctx context.Context) (*docgen.Document, error) { return s.FindingsDocument(ctx, e, version) }})
	}
	if len(es) > 0 && es[0].Kind == KindInternal { // the year's picture of its internal audits
		out = append(out,
			module.Deliverable{Key: "summary/report", Title: summaryTitle, Formats: pdfDocx,
				Build: func(ctx context.Context) (*docgen.Document, error) { return s.SummaryDocument(ctx, fy) }},
			module.Deliverable{Key: "summary/issues", Title: issueListTitle, Formats: []string{"xlsx"},
				Build: func(ctx context.Context) (*docgen.Document, error) { return s.IssueListDocument(ctx, fy) }})
	}
	return out, nil
}

// Progress implements module.Year: one task per engagement of fiscal year
// fy — who leads it (区, or 支援事業者 when the lead is the contractor),
// from its start to its last due date (or its completion), the share of
// its phases passed, and what is overdue: its unfinished phases and the
// follow-ups of its findings past their due dates.
func (m *Module) Progress(ctx context.Context, fy int) ([]module.Progress, error) {
	s := m.store
	es, err := s.yearEngagements(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("audit.Progress: %w", err)
	}
	if len(es) == 0 {
		return nil, nil
	}
	accounts, err := m.org.Accounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit.Progress: %w", err)
	}
	roles := map[int64]web.Role{}
	for _, a := range accounts {
		roles[a.ID] = a.Role
	}
	now := m.now()
	fus, err := s.Followups(ctx, FollowupFilter{FiscalYear: fy, Now: now})
	if err != nil {
		return nil, fmt.Errorf("audit.Progress: %w", err)
	}
	overdueFollowups := map[int64]int{}
	for _, f := range fus {
		if f.OverdueAt(now) {
			overdueFollowups[f.EngagementID]++
		}
	}
	out := make([]module.Progress, 0, len(es))
	for _, e := range es {
		start, end := engagementSpan(e, fy)
		out = append(out, module.Progress{
			Task: e.Kind.Label() + "（" + e.Subject() + "）", Owner: engagementOwner(e, roles), Start: start, End: end,
			Done: phaseShare(e.Phase), Completed: e.Phase == PhaseDone, Overdue: len(e.Overdue(now)) + overdueFollowups[e.ID],
			Link: fmt.Sprintf("/audit/%d", e.ID), Workstream: e.Kind.Workstream()})
	}
	return out, nil
}

// engagementOwner is who carries the engagement, by its lead auditor's
// role: 支援事業者 for the contractor, 区 for the ward's own staff (the
// office or an internal auditor). Without a lead, the kind decides: the
// contractor carries external and system audits.
func engagementOwner(e Engagement, roles map[int64]web.Role) string {
	for _, mb := range e.Members {
		if mb.Role != MemberLead {
			continue
		}
		if roles[mb.UserID] == web.RoleConsultant {
			return "支援事業者"
		}
		return "区"
	}
	if e.Kind.External() {
		return "支援事業者"
	}
	return "区"
}

// phaseShare is the share of the phases an engagement has passed: 0 in
// 計画, 1 at 完了.
func phaseShare(p Phase) float64 {
	i := p.Index()
	if i <= 0 {
		return 0
	}
	return float64(i) / float64(len(Phases)-1)
}

// engagementSpan is when an engagement runs. It starts when planning
// started: the day it was registered, or its earliest date when that is
// earlier (an engagement registered after the fact, or copied in). It
// ends at its completion once 完了, else at its last due date (its last
// visit, or the end of fiscal year fy, when it has no due dates).
func engagementSpan(e Engagement, fy int) (time.Time, time.Time) {
	start := e.CreatedAt
	var lastDue, lastDone time.Time
	earlier := func(t time.Time) {
		if !t.IsZero() && (start.IsZero() || t.Before(start)) {
			start = t
		}
	}
	for _, st := range e.Steps {
		earlier(st.Due)
		earlier(st.Done)
		if st.Due.After(lastDue) {
			lastDue = st.Due
		}
		if st.Done.After(lastDone) {
			lastDone = st.Done
		}
	}
	var lastVisit time.Time
	for _, t := range e.Targets {
		earlier(t.VisitDate)
		if t.VisitDate.After(lastVisit) {
			lastVisit = t.VisitDate
		}
	}
	var end time.Time
	switch {
	case e.Phase == PhaseDone && !e.Step(PhaseDone).Done.IsZero():
		end = e.Step(PhaseDone).Done
	case e.Phase == PhaseDone && !lastDone.IsZero():
		end = lastDone
	case !lastDue.IsZero():
		end = lastDue
	case !lastVisit.IsZero():
		end = lastVisit
	default:
		end = jp.FiscalYearEnd(fy)
	}
	if start.IsZero() {
		start = jp.FiscalYearStart(fy)
	}
	if end.Before(start) {
		end = start
	}
	return start, end
}

var _ module.Year = (*Module)(nil)
