package audit_test

import (
	"fmt"
	"net/url"
	"testing"

	"mamori/internal/audit"
	"mamori/internal/webtest"
)

// issuedEngagement is the demo internal audit of the auditee's department
// (戸籍住民課) that the auditor leads, its report final as version 1, with
// one of its 指摘事項・改善提言 still open: the engagement, the finding and
// its title.
func issuedEngagement(t *testing.T, s *webtest.Server) (int64, int64, string) {
	t.Helper()
	eid := s.ID(`SELECT MIN(e.id) FROM audit_engagements e JOIN audit_engagement_members m ON m.engagement_id = e.id JOIN users u ON u.id = m.user_id
		JOIN audit_reports r ON r.engagement_id = e.id
		WHERE u.login = 'auditor' AND m.role = 'lead' AND e.kind = 'internal' AND r.state = 'final' AND r.version = 1 AND EXISTS (SELECT 1 FROM audit_engagement_departments t
		JOIN users a ON a.department_id = t.department_id WHERE t.engagement_id = e.id AND a.login = 'auditee')`)
	fid := s.ID(`SELECT MIN(id) FROM audit_findings WHERE engagement_id = ? AND type IN ('finding', 'recommendation') AND followup_verdict <> 'improved'`, eid)
	var title string
	if err := s.DB.QueryRow(t.Context(), "SELECT title FROM audit_findings WHERE id = ?", fid).Scan(&title); err != nil {
		t.Fatal(err)
	}
	return eid, fid, title
}

// TestFindingsAfterReopening: a final report reopened for its next version
// is a draft again, but what it issued stays issued — the auditee still
// reads their findings and follows them up, the viewer still reads them,
// and the follow-up lists keep them.
func TestFindingsAfterReopening(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	ctx := t.Context()
	eid, fid, title := issuedEngagement(t, s)
	auditee, viewer, lead := s.As("auditee"), s.As("viewer"), s.As("auditor")
	list, show, followup := fmt.Sprintf("/audit/%d/findings", eid), fmt.Sprintf("/audit/%d/findings/%d", eid, fid), fmt.Sprintf("/audit/%d/followup", eid)
	auditee.Get(list).Want(200, title)

	rev := s.ID("SELECT rev FROM audit_reports WHERE engagement_id = ?", eid)
	lead.Post(fmt.Sprintf("/audit/%d/report/state", eid), url.Values{"rev": {fmt.Sprint(rev)}, "to": {"reopen"}}).Redirects(fmt.Sprintf("/audit/%d/report", eid))
	if n := s.Count("SELECT COUNT(*) FROM audit_reports WHERE engagement_id = ? AND state = 'draft' AND version = 1", eid); n != 1 {
		t.Fatal("the report was not reopened as the draft of version 2")
	}

	auditee.Get(list).Want(200, title, "第1版は確定済み").Lacks("確認（レビュー）に回ると")
	auditee.Get(show).Want(200, title, "フォローアップの画面へ")
	auditee.Get(followup).Want(200, title, "改善計画")
	viewer.Get(list).Want(200, title)
	viewer.Get(show).Want(200, title)
	viewer.Get(followup).Want(200, title)
	// The follow-up goes on: the auditee revises the improvement plan.
	frev := s.ID("SELECT rev FROM audit_findings WHERE id = ?", fid)
	auditee.Post(fmt.Sprintf("/audit/%d/findings/%d/plan", eid, fid), url.Values{"rev": {fmt.Sprint(frev)}, "plan_action": {"改訂版の作成中も改善を続ける。"},
		"plan_owner": {"戸籍係長"}, "plan_due": {"2027-01-31"}}).Redirects(followup)
	rows, err := audit.NewStoreFrom(s.Deps()).Followups(ctx, audit.FollowupFilter{EngagementID: eid})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows {
		found = found || r.ID == fid
	}
	if !found {
		t.Error("the reopened report's finding left the follow-up list")
	}

	// Never issued (the report back to a first draft): nothing for the auditee or the viewer.
	for _, q := range []string{"DELETE FROM audit_report_versions WHERE engagement_id = ?", "UPDATE audit_reports SET version = 0 WHERE engagement_id = ?"} {
		if _, err := s.DB.Exec(ctx, q, eid); err != nil {
			t.Fatal(err)
		}
	}
	auditee.Get(list).Want(200, "確認（レビュー）に回ると").Lacks(title)
	auditee.Get(show).Want(404)
	viewer.Get(show).Want(404)
	viewer.Get(followup).Want(404)
}

// TestViewerReadsFindings: the viewer reads the findings list and each
// finding of an issued report, read-only, with the links the follow-up
// page and the engagement's tabs give; before the report is issued the
// list says when they come, and a finding is not found; the viewer
// changes nothing.
func TestViewerReadsFindings(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	eid, fid, title := issuedEngagement(t, s)
	v := s.As("viewer")
	list, show := fmt.Sprintf("/audit/%d/findings", eid), fmt.Sprintf("/audit/%d/findings/%d", eid, fid)
	// The report tab is there once the report was issued, for the viewer
	// and the auditee alike.
	v.Get(fmt.Sprintf("/audit/%d", eid)).Want(200, `href="`+list+`"`, fmt.Sprintf(`<a href="/audit/%d/report"`, eid))
	s.As("auditee").Get(fmt.Sprintf("/audit/%d", eid)).Want(200, fmt.Sprintf(`<a href="/audit/%d/report"`, eid))
	v.Get(list).Want(200, title, "閲覧のみ", `href="`+show+`"`, fmt.Sprintf(`href="/audit/%d/followup"`, eid), fmt.Sprintf(`href="/audit/%d/report"`, eid)).
		Lacks("指摘事項等を追加", "この項目から指摘を作成")
	v.Get(show).Want(200, title, "被監査所属のコメント").Lacks(`name="auditee_comment"`, `name="title"`)
	v.Get(fmt.Sprintf("/audit/%d/followup", eid)).Want(200, `href="`+list+`"`, `href="`+show+`"`).Lacks(`name="plan_action"`, `name="verdict"`)
	v.Post(show, url.Values{"title": {"閲覧者の変更"}}).Want(403)
	v.Post(show+"/comment", url.Values{"auditee_comment": {"閲覧者の意見"}}).Want(403)
	v.Post(list, url.Values{"title": {"閲覧者の指摘"}}).Want(403)

	// A report not issued yet (demo: in 報告, never final), with findings.
	other := s.ID(`SELECT MIN(e.id) FROM audit_engagements e JOIN audit_reports r ON r.engagement_id = e.id
		WHERE r.version = 0 AND r.state <> 'final' AND EXISTS (SELECT 1 FROM audit_findings f WHERE f.engagement_id = e.id)`)
	ofid := s.ID("SELECT MIN(id) FROM audit_findings WHERE engagement_id = ?", other)
	var otitle string
	if err := s.DB.QueryRow(t.Context(), "SELECT title FROM audit_findings WHERE id = ?", ofid).Scan(&otitle); err != nil {
		t.Fatal(err)
	}
	v.Get(fmt.Sprintf("/audit/%d/findings", other)).Want(200, "監査報告書が確定すると").Lacks(otitle, fmt.Sprintf(`<a href="/audit/%d/report"`, other))
	v.Get(fmt.Sprintf("/audit/%d/findings/%d", other, ofid)).Want(404)
	v.Get(fmt.Sprintf("/audit/%d/followup", other)).Want(404)
}

// TestAuditeeNoticeAndBriefing: once the engagement is past 計画, the
// auditee's pre-audit page links the notice (their department's own) and
// the briefing material, and downloads them; in 計画 neither is offered or
// served; the plan and the checklist stay the team's.
func TestAuditeeNoticeAndBriefing(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	eid, _, _ := issuedEngagement(t, s)
	a := s.As("auditee")
	page := fmt.Sprintf("/audit/%d/presurvey", eid)
	notice, briefing := fmt.Sprintf("/audit/%d/documents/notice", eid), fmt.Sprintf("/audit/%d/documents/briefing", eid)
	a.Get(page).Want(200, "監査実施通知書と説明会資料", `href="`+notice+`.pdf"`, `href="`+notice+`.docx"`, `href="`+briefing+`.pdf"`, `href="`+briefing+`.docx"`)
	const docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	if b := a.Download(notice+".docx", docx); !docxHas(t, b, "戸籍住民課長") {
		t.Error("the auditee's notice is not addressed to 戸籍住民課長")
	}
	a.Download(notice+".pdf", "application/pdf")
	if b := a.Download(briefing+".docx", docx); !docxHas(t, b, "事前調査票の回答方法") {
		t.Error("the briefing material lacks its sections")
	}
	a.Get(fmt.Sprintf("/audit/%d/documents/plan.pdf", eid)).Want(404)
	a.Get(fmt.Sprintf("/audit/%d/documents/checklist.xlsx", eid)).Want(404)
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND login = 'auditee' AND target = ?", fmt.Sprintf("audit_engagement:%d", eid)); n != 3 {
		t.Errorf("%d downloads audited, want 3", n)
	}
	// Another department's notice of a shared engagement is not theirs: the
	// My Number audit of 税務課 and 区民課, for a 区民課 auditee.
	shared := s.ID("SELECT id FROM audit_engagements WHERE kind = 'external_mynumber' ORDER BY id LIMIT 1")
	k := s.As(addAuditee(t, s, "notice-kumin", "区民課"))
	b := k.Download(fmt.Sprintf("/audit/%d/documents/notice.docx", shared), docx)
	if !docxHas(t, b, "区民課長") || docxHas(t, b, "税務課長") {
		t.Error("the 区民課 auditee's notice is not theirs alone")
	}

	// In 計画 the notice has not been sent.
	if _, err := s.DB.Exec(t.Context(), "UPDATE audit_engagements SET phase = 'plan' WHERE id = ?", eid); err != nil {
		t.Fatal(err)
	}
	a.Get(page).Want(200).Lacks("監査実施通知書と説明会資料", notice, briefing)
	for _, p := range []string{notice + ".pdf", notice + ".docx", briefing + ".pdf", briefing + ".docx"} {
		a.Get(p).Want(404)
	}
	// The team has them whatever the phase.
	s.As("auditor").Get(page).Want(200, `href="`+notice+`.pdf"`)
	s.As("auditor").Download(notice+".docx", docx)
}
