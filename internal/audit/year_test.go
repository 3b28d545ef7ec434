package audit_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"mamori/internal/audit"
	"mamori/internal/module"
	"mamori/internal/webtest"
)

// auditYear is the app's audit module as module.Year.
func auditYear(t *testing.T, s *webtest.Server) module.Year {
	t.Helper()
	for _, m := range s.Modules {
		if m.Info().Key == "audit" {
			y, ok := m.(module.Year)
			if !ok {
				t.Fatal("the audit module does not implement module.Year")
			}
			return y
		}
	}
	t.Fatal("no audit module")
	return nil
}

// TestYearDeliverables: the demo year's documents are each engagement's
// 監査計画書, the notice and briefing material of those past 計画, and the
// 監査報告書 and 指摘事項一覧 of each issued report — titled with what is
// audited, keyed stably, each built without error; a report reopened for
// its second version still delivers its final first version.
func TestYearDeliverables(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	ctx := t.Context()
	_, es := loadDemo(t, s)
	fy := s.Org.CurrentFiscalYear(ctx)
	y := auditYear(t, s)
	ds, err := y.Deliverables(ctx, fy)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]module.Deliverable{}
	for _, d := range ds {
		if _, dup := byKey[d.Key]; dup {
			t.Errorf("key %s twice", d.Key)
		}
		byKey[d.Key] = d
		if len(d.Formats) == 0 || d.Title == "" {
			t.Errorf("%s: title %q, formats %v", d.Key, d.Title, d.Formats)
		}
		doc, err := d.Build(ctx)
		if err != nil || doc == nil || len(doc.Sections) == 0 {
			t.Errorf("%s（%s）: build: %v", d.Key, d.Title, err)
		}
	}
	finals := 0
	for _, e := range es {
		r, err := audit.NewStoreFrom(s.Deps()).Report(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"/plan": "監査計画書（" + e.Subject() + "）"}
		if e.Phase != audit.PhasePlan {
			want["/notice"] = "監査実施通知書（" + e.Subject() + "）"
			want["/briefing"] = "説明会資料（" + e.Subject() + "）"
		} else if _, ok := byKey[e.Code+"/notice"]; ok {
			t.Errorf("%s: a notice before it was sent (phase 計画)", e.Code)
		}
		if r.Version > 0 || r.Final() {
			finals++
			want["/report"] = "監査報告書（" + e.Subject() + "）"
			want["/findings"] = "指摘事項一覧（" + e.Subject() + "）"
		} else if _, ok := byKey[e.Code+"/report"]; ok {
			t.Errorf("%s: a report that was never final", e.Code)
		}
		for suffix, title := range want {
			d, ok := byKey[e.Code+suffix]
			if !ok {
				t.Errorf("%s: no deliverable %s", e.Code, suffix)
				continue
			}
			if d.Title != title {
				t.Errorf("%s%s: title %q, want %q", e.Code, suffix, d.Title, title)
			}
		}
	}
	if finals != 2 {
		t.Fatalf("%d engagements with a final report, want the demo's 2", finals)
	}
	// Each engagement's documents, then the year's 内部監査全体報告書 and 課題一覧.
	if got := len(ds); got != 16+2*14+2*2+2 {
		t.Errorf("%d deliverables, want %d", got, 16+2*14+2*2+2)
	}
	// The order: by kind (internal, external, system), then code.
	kinds := map[string]int{}
	for _, e := range es {
		for i, k := range audit.Kinds {
			if k == e.Kind {
				kinds[e.Code] = i
			}
		}
	}
	prevKind, prevCode := -1, ""
	for _, d := range ds {
		code, _, _ := strings.Cut(d.Key, "/")
		if code == "summary" {
			continue
		}
		k := kinds[code]
		if k < prevKind || k == prevKind && code < prevCode {
			t.Errorf("%s comes after %s", d.Key, prevCode)
		}
		prevKind, prevCode = k, code
	}

	// Reopened for its second version, the report still delivers version 1.
	e := es["IA-01"]
	lead := s.As("auditor")
	rev := s.ID("SELECT rev FROM audit_reports WHERE engagement_id = ?", e.ID)
	lead.Post(fmt.Sprintf("/audit/%d/report/state", e.ID), url.Values{"rev": {fmt.Sprint(rev)}, "to": {"reopen"}}).Redirects(fmt.Sprintf("/audit/%d/report", e.ID))
	ds, err = y.Deliverables(ctx, fy)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range ds {
		if d.Key != e.Code+"/report" && d.Key != e.Code+"/findings" {
			continue
		}
		found = true
		doc, err := d.Build(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v := doc.Meta.Version + doc.Meta.Subtitle; !strings.Contains(v, "第1版") || strings.Contains(v, "（案）") {
			t.Errorf("%s after reopening: %q, want the final 第1版", d.Key, v)
		}
	}
	if !found {
		t.Error("the reopened report is no longer delivered")
	}
}

// TestYearProgress: one row per engagement of the year, linked to its
// overview, owned by the ward or the contractor by its lead's role, Done
// between 0 and 1 and Completed only at 完了; Overdue counts the phases
// past due and the follow-ups past due.
func TestYearProgress(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	ctx := t.Context()
	_, es := loadDemo(t, s)
	fy := s.Org.CurrentFiscalYear(ctx)
	// One engagement finished, for the 完了 row.
	done := es["IA-02"]
	for _, q := range []string{
		"UPDATE audit_engagements SET phase = 'done' WHERE id = ?",
		"UPDATE audit_engagement_steps SET done_at = CASE WHEN due_date <> '' THEN due_date ELSE '2027-03-01' END WHERE engagement_id = ?",
	} {
		if _, err := s.DB.Exec(ctx, q, done.ID); err != nil {
			t.Fatal(err)
		}
	}
	y := auditYear(t, s)
	progress := func() map[string]module.Progress {
		t.Helper()
		ps, err := y.Progress(ctx, fy)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != len(es) {
			t.Fatalf("%d rows, want one per engagement (%d)", len(ps), len(es))
		}
		out := map[string]module.Progress{}
		for _, p := range ps {
			out[p.Link] = p
		}
		return out
	}
	ps := progress()
	for key, e := range es {
		p, ok := ps[fmt.Sprintf("/audit/%d", e.ID)]
		if !ok {
			t.Errorf("%s: no row", key)
			continue
		}
		if p.Done < 0 || p.Done > 1 {
			t.Errorf("%s: done %v", key, p.Done)
		}
		if p.Completed != (e.ID == done.ID) {
			t.Errorf("%s (%s): completed %v", key, e.Phase, p.Completed)
		}
		if p.Task != e.Kind.Label()+"（"+e.Subject()+"）" || p.Start.IsZero() || p.End.Before(p.Start) {
			t.Errorf("%s: task %q, %s – %s", key, p.Task, p.Start, p.End)
		}
		if e.Phase == audit.PhasePlan && p.Done != 0 {
			t.Errorf("%s in 計画: done %v", key, p.Done)
		}
	}
	if p := ps[fmt.Sprintf("/audit/%d", done.ID)]; p.Done != 1 || !p.Completed {
		t.Errorf("完了: %+v", p)
	}
	// The owner: the contractor leads the system audits, an internal auditor IA-01.
	for key, e := range es {
		want := "区"
		if e.Kind == audit.KindSystem || e.Kind == audit.KindExternalMyNumber {
			want = "支援事業者"
		}
		if got := ps[fmt.Sprintf("/audit/%d", e.ID)].Owner; got != want {
			t.Errorf("%s (lead %s): owner %q, want %q", key, e.Lead(), got, want)
		}
	}

	// Overdue: a plan step past its due date counts, and so does a follow-up.
	var plan *demoEngagement
	for _, e := range es {
		if e.Phase == audit.PhasePlan && (plan == nil || e.Code < plan.Code) {
			plan = e
		}
	}
	if plan == nil {
		t.Fatal("no demo engagement in 計画")
	}
	before := ps[fmt.Sprintf("/audit/%d", plan.ID)].Overdue
	if _, err := s.DB.Exec(ctx, "UPDATE audit_engagement_steps SET due_date = '2026-04-10', done_at = '' WHERE engagement_id = ? AND phase = 'plan'", plan.ID); err != nil {
		t.Fatal(err)
	}
	if got := progress()[fmt.Sprintf("/audit/%d", plan.ID)].Overdue; got != before+1 {
		t.Errorf("plan step past due: overdue %d, want %d", got, before+1)
	}
	fu := es["IA-01"]
	fid := s.ID(`SELECT MIN(f.id) FROM audit_findings f JOIN improvement_actions a ON a.source_module = 'audit' AND a.source_ref = 'finding:' || CAST(f.id AS TEXT)
		WHERE f.engagement_id = ? AND f.type IN ('finding', 'recommendation') AND f.followup_verdict <> 'improved' AND a.status <> 'verified'`, fu.ID)
	setDue := func(due string) int {
		t.Helper()
		if _, err := s.DB.Exec(ctx, "UPDATE audit_findings SET due_date = ? WHERE id = ?", due, fid); err != nil {
			t.Fatal(err)
		}
		return progress()[fmt.Sprintf("/audit/%d", fu.ID)].Overdue
	}
	if future, past := setDue("2099-03-31"), setDue("2001-03-31"); past != future+1 {
		t.Errorf("an overdue follow-up: overdue %d, want %d", past, future+1)
	}
}
