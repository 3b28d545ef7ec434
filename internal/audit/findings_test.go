package audit_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"mamori/internal/jp"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// findingEngagement is the demo internal audit the auditor leads and
// that audits the auditee's department (戸籍住民課), emptied of findings
// and witness records (whatever the demo made of them), its report back to
// a draft. It returns the engagement and its audited department.
func findingEngagement(t *testing.T, s *webtest.Server) (int64, int64) {
	t.Helper()
	id := s.ID(`SELECT MIN(e.id) FROM audit_engagements e JOIN audit_engagement_members m ON m.engagement_id = e.id JOIN users u ON u.id = m.user_id
		WHERE u.login = 'auditor' AND e.kind = 'internal' AND EXISTS (SELECT 1 FROM audit_engagement_departments t JOIN users a ON a.department_id = t.department_id
		WHERE t.engagement_id = e.id AND a.login = 'auditee')`)
	clearFindings(t, s, id)
	return id, s.ID("SELECT department_id FROM audit_engagement_departments WHERE engagement_id = ? ORDER BY sort_order LIMIT 1", id)
}

// clearFindings removes an engagement's findings, their register actions
// and its witness record, and puts its report back to a draft never
// finalised (no final version: the findings of a report once issued stay
// visible to the auditee).
func clearFindings(t *testing.T, s *webtest.Server, id int64) {
	t.Helper()
	ref := "(SELECT 'finding:' || CAST(f.id AS TEXT) FROM audit_findings f WHERE f.engagement_id = ?)"
	for _, q := range []string{
		"DELETE FROM improvement_action_evidence WHERE action_id IN (SELECT id FROM improvement_actions WHERE source_module = 'audit' AND source_ref IN " + ref + ")",
		"DELETE FROM improvement_action_events WHERE action_id IN (SELECT id FROM improvement_actions WHERE source_module = 'audit' AND source_ref IN " + ref + ")",
		"DELETE FROM improvement_actions WHERE source_module = 'audit' AND source_ref IN " + ref,
		"DELETE FROM audit_findings WHERE engagement_id = ?",
		"DELETE FROM audit_witness WHERE engagement_id = ?",
		"DELETE FROM audit_report_versions WHERE engagement_id = ?",
		"UPDATE audit_reports SET state = 'draft', version = 0 WHERE engagement_id = ?",
	} {
		if _, err := s.DB.Exec(t.Context(), q, id); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func setReport(t *testing.T, s *webtest.Server, id int64, state string) {
	t.Helper()
	if _, err := s.DB.Exec(t.Context(), "UPDATE audit_reports SET state = ? WHERE engagement_id = ?", state, id); err != nil {
		t.Fatal(err)
	}
}

var findingRe = regexp.MustCompile(`^/audit/\d+/findings/(\d+)$`)

// newFinding posts a finding as c and returns its id.
func newFinding(t *testing.T, c *webtest.Client, eid int64, form url.Values) int64 {
	t.Helper()
	r := c.Post(fmt.Sprintf("/audit/%d/findings", eid), form).Redirects(fmt.Sprintf("/audit/%d/findings/", eid))
	m := findingRe.FindStringSubmatch(r.Header.Get("Location"))
	if m == nil {
		t.Fatalf("created at %s", r.Header.Get("Location"))
	}
	var id int64
	fmt.Sscan(m[1], &id)
	return id
}

// addAuditee adds an auditee account of the department named name and
// returns its login.
func addAuditee(t *testing.T, s *webtest.Server, login, dept string) string {
	t.Helper()
	if _, err := s.DB.Exec(t.Context(), `INSERT INTO users (login, display_name, role, department_id, created_at, updated_at)
		SELECT ?, ?, 'auditee', id, '2026-04-01T00:00:00Z', '2026-04-01T00:00:00Z' FROM departments WHERE name = ? AND active`, login, dept+" 担当", dept); err != nil {
		t.Fatal(err)
	}
	return login
}

// TestFindingsRegisterAndFollowUp: a finding written by the auditor enters
// the improvement register with its owner, due date, risk and label; bad
// input and a stale rev change nothing; the auditee sees their finding
// only from the report's review on, comments then, writes the improvement
// plan once it is final (the action moves to 対応中), and the auditor's
// verdict moves the register (一部改善 back to 対応中, 改善済 to 確認済);
// another department's auditee never sees it.
func TestFindingsRegisterAndFollowUp(t *testing.T) {
	webtest.EachBackend(t, findingsRegisterAndFollowUp)
}

func findingsRegisterAndFollowUp(t *testing.T, dsn string) {
	s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
	ctx := t.Context()
	eid, dept := findingEngagement(t, s)
	var code, deptName string
	if err := s.DB.QueryRow(ctx, "SELECT code FROM audit_items WHERE engagement_id = ? AND NOT dropped ORDER BY sort_order LIMIT 1", eid).Scan(&code); err != nil {
		t.Fatal(err)
	}
	if err := s.DB.QueryRow(ctx, "SELECT name FROM departments WHERE id = ?", dept).Scan(&deptName); err != nil {
		t.Fatal(err)
	}
	auditor, auditee, admin := s.As("auditor"), s.As("auditee"), s.As("admin")
	due := time.Now().In(jp.JST).AddDate(0, 0, -1) // already past: the follow-up is overdue
	form := url.Values{"type": {"finding"}, "title": {"執務室の入退室記録が作成されていない"}, "department": {fmt.Sprint(dept)},
		"item_codes": {code + ", NO-SUCH-ITEM"}, "condition": {"7月以降、管理区域の入退室記録簿に記入がなかった。"},
		"criteria": {"対策基準 4.2 管理区域の管理"}, "cause": {"担当者の異動で引継ぎがされなかった。"}, "effect": {"不正な入室を後から確かめられない。"},
		"recommendation": {"記録簿の様式を見直し、係長が月末に確認する。"}, "risk": {"高"}, "due": {jp.DateKey(due)}}

	// Bad input: an item not in the checklist, named; nothing created; the typed text kept.
	auditor.Post(fmt.Sprintf("/audit/%d/findings", eid), form).Want(400, "項目「NO-SUCH-ITEM」はこの監査のチェックリストにありません", "執務室の入退室記録が作成されていない")
	form.Set("title", "")
	form.Set("item_codes", code)
	auditor.Post(fmt.Sprintf("/audit/%d/findings", eid), form).Want(400, "件名を入力してください")
	if n := s.Count("SELECT COUNT(*) FROM audit_findings WHERE engagement_id = ?", eid); n != 0 {
		t.Fatalf("a refused finding was stored (%d)", n)
	}
	form.Set("title", "執務室の入退室記録が作成されていない")
	fid := newFinding(t, auditor, eid, form)
	ref := fmt.Sprintf("finding:%d", fid)

	// The register action: owner, due date, risk, label, clause from the item.
	var owner int64
	var dueKey, risk, label, status string
	if err := s.DB.QueryRow(ctx, "SELECT owner_department_id, due_date, risk, source_label, status FROM improvement_actions WHERE source_module = 'audit' AND source_ref = ?",
		ref).Scan(&owner, &dueKey, &risk, &label, &status); err != nil {
		t.Fatalf("register action: %v", err)
	}
	if owner != dept || dueKey != jp.DateKey(due) || risk != "高" || status != "open" || !strings.Contains(label, "内部監査 "+deptName+" 指摘事項1") {
		t.Fatalf("register action: owner %d due %s risk %s status %s label %q", owner, dueKey, risk, status, label)
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.finding_create' AND target = ?", fmt.Sprintf("audit_finding:%d", fid)); n != 1 {
		t.Fatalf("creation audited %d times", n)
	}

	// A stale rev is a conflict and changes nothing.
	edit := url.Values{}
	for k, v := range form {
		edit[k] = v
	}
	edit.Set("rev", "1")
	edit.Set("title", "入退室記録簿の記入漏れ")
	auditor.Post(fmt.Sprintf("/audit/%d/findings/%d", eid, fid), edit).Redirects(fmt.Sprintf("/audit/%d/findings/%d", eid, fid))
	edit.Set("title", "古い画面からの保存")
	auditor.Post(fmt.Sprintf("/audit/%d/findings/%d", eid, fid), edit).Want(409, "他の人が先に更新しました", "古い画面からの保存")
	var title string
	if err := s.DB.QueryRow(ctx, "SELECT title FROM improvement_actions WHERE source_ref = ?", ref).Scan(&title); err != nil || title != "入退室記録簿の記入漏れ" {
		t.Fatalf("register title %q %v", title, err)
	}

	// The auditee sees nothing while the report is a draft.
	auditee.Get(fmt.Sprintf("/audit/%d/findings/%d", eid, fid)).Want(404)
	auditee.Get(fmt.Sprintf("/audit/%d/findings", eid)).Want(200, "確認（レビュー）に回ると").Lacks("入退室記録簿の記入漏れ")
	// … and sees it, and comments, in review.
	setReport(t, s, eid, "review")
	auditee.Get(fmt.Sprintf("/audit/%d/findings", eid)).Want(200, "入退室記録簿の記入漏れ")
	page := auditee.Get(fmt.Sprintf("/audit/%d/findings/%d", eid, fid)).Want(200, "入退室記録簿の記入漏れ", "被監査所属のコメント").Body
	rev := regexp.MustCompile(`name="rev" value="(\d+)"`).FindStringSubmatch(page)
	if rev == nil {
		t.Fatal("no comment form for the auditee in review")
	}
	auditee.Post(fmt.Sprintf("/audit/%d/findings/%d/comment", eid, fid), url.Values{"rev": {rev[1]}, "auditee_comment": {"8月から記録を再開しました。"}}).
		Redirects(fmt.Sprintf("/audit/%d/findings/%d", eid, fid))
	auditee.Post(fmt.Sprintf("/audit/%d/findings/%d/comment", eid, fid), url.Values{"rev": {rev[1]}, "auditee_comment": {"古い画面から"}}).Want(409)
	// The auditee writes no finding.
	auditee.Post(fmt.Sprintf("/audit/%d/findings", eid), form).Want(403)

	// Another department's auditee: the engagement is not theirs.
	other := s.As(addAuditee(t, s, "matrix-zeimu", "税務課"))
	other.Get(fmt.Sprintf("/audit/%d/findings/%d", eid, fid)).Want(404)
	other.Get(fmt.Sprintf("/audit/%d/followup", eid)).Want(404)

	// Final: the team can no longer change it; the auditee writes the plan.
	setReport(t, s, eid, "final")
	cur := s.ID("SELECT rev FROM audit_findings WHERE id = ?", fid)
	edit.Set("rev", fmt.Sprint(cur))
	locks := func() int {
		return s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.report_locked' AND target = ?", fmt.Sprintf("audit_engagement:%d", eid))
	}
	before := locks()
	auditor.Post(fmt.Sprintf("/audit/%d/findings/%d", eid, fid), edit).Want(400, "監査報告書が確定しているため")
	if locks() != before+1 {
		t.Fatal("a refused change to a final report's finding was not logged")
	}
	auditee.Get(fmt.Sprintf("/audit/%d/followup", eid)).Want(200, "改善計画を書く", "期限超過")
	plan := url.Values{"rev": {fmt.Sprint(cur)}, "plan_action": {""}, "plan_owner": {"戸籍係長"}, "plan_due": {"令和9年一月"}}
	auditee.Post(fmt.Sprintf("/audit/%d/findings/%d/plan", eid, fid), plan).Want(400, "完了予定日は", "戸籍係長")
	plan.Set("plan_due", "2027-01-31")
	auditee.Post(fmt.Sprintf("/audit/%d/findings/%d/plan", eid, fid), plan).Want(400, "改善の内容を入力してください")
	plan.Set("plan_action", "入退室記録簿を様式化し、係長が毎月末に確認する。")
	auditee.Post(fmt.Sprintf("/audit/%d/findings/%d/plan", eid, fid), plan).Redirects(fmt.Sprintf("/audit/%d/followup", eid))
	if err := s.DB.QueryRow(ctx, "SELECT status FROM improvement_actions WHERE source_ref = ?", ref).Scan(&status); err != nil || status != "in_progress" {
		t.Fatalf("after the plan the action is %q (%v), want in_progress", status, err)
	}
	// The admin's home page shows the overdue follow-up.
	admin.Get("/").Want(200, "期限を過ぎた監査のフォローアップ")

	// The auditor's verdict: 一部改善 needs a comment and sends the action back; 改善済 verifies it.
	cur = s.ID("SELECT rev FROM audit_findings WHERE id = ?", fid)
	verdict := url.Values{"rev": {fmt.Sprint(cur)}, "verdict": {"partly"}, "method": {"document"}}
	auditor.Post(fmt.Sprintf("/audit/%d/findings/%d/followup", eid, fid), verdict).Want(400, "残っている課題")
	auditee.Post(fmt.Sprintf("/audit/%d/findings/%d/followup", eid, fid), verdict).Want(403)
	verdict.Set("followup_comment", "様式はできたが、8月分の確認印がない。")
	auditor.Post(fmt.Sprintf("/audit/%d/findings/%d/followup", eid, fid), verdict).Redirects(fmt.Sprintf("/audit/%d/followup", eid))
	if err := s.DB.QueryRow(ctx, "SELECT status FROM improvement_actions WHERE source_ref = ?", ref).Scan(&status); err != nil || status != "in_progress" {
		t.Fatalf("after 一部改善 the action is %q (%v)", status, err)
	}
	cur = s.ID("SELECT rev FROM audit_findings WHERE id = ?", fid)
	verdict = url.Values{"rev": {fmt.Sprint(cur)}, "verdict": {"improved"}, "method": {"review"}, "followup_comment": {"9月以降の確認印を確認した。"}}
	auditor.Post(fmt.Sprintf("/audit/%d/findings/%d/followup", eid, fid), verdict).Redirects(fmt.Sprintf("/audit/%d/followup", eid))
	var verifier string
	if err := s.DB.QueryRow(ctx, "SELECT status, verified_by_name FROM improvement_actions WHERE source_ref = ?", ref).Scan(&status, &verifier); err != nil ||
		status != "verified" || verifier == "" {
		t.Fatalf("after 改善済 the action is %q by %q (%v)", status, verifier, err)
	}
	if n := s.Count("SELECT COUNT(*) FROM improvement_action_events e JOIN improvement_actions a ON a.id = e.action_id WHERE a.source_ref = ? AND e.kind = 'verified'", ref); n != 1 {
		t.Fatalf("verification events %d", n)
	}
	// A replayed verdict with the old rev is refused.
	auditor.Post(fmt.Sprintf("/audit/%d/findings/%d/followup", eid, fid), verdict).Want(409)
	// The follow-up status report.
	pdf := auditee.Download(fmt.Sprintf("/audit/%d/followup/document?format=pdf", eid), "application/pdf")
	txt := testkit.PDFBytesText(t, pdf)
	for _, want := range []string{"フォローアップ状況報告書", "入退室記録簿の記入漏れ", "改善済"} {
		if !strings.Contains(txt, want) {
			t.Errorf("follow-up PDF lacks %q", want)
		}
	}
	x := admin.Download(fmt.Sprintf("/audit/%d/followup/document?format=xlsx", eid), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	if !xlsxHas(t, x, "入退室記録簿の記入漏れ") {
		t.Error("follow-up XLSX lacks the finding")
	}
	// The year's list for the viewer, overdue no more once improved.
	s.As("viewer").Get("/audit/followup?status=overdue").Want(200).Lacks("入退室記録簿の記入漏れ")
	s.As("viewer").Get("/audit/followup").Want(200, "入退室記録簿の記入漏れ", "改善済")
	s.As("viewer").Get("/audit/followup?status=bogus").Want(200, "field-error")
	s.As("auditor").Get("/audit/followup").Want(403)
}

// xlsxHas reports whether a cell of the workbook contains text.
func xlsxHas(t *testing.T, b []byte, text string) bool {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range f.GetSheetList() {
		rows, _ := f.GetRows(sh)
		for _, r := range rows {
			for _, c := range r {
				if strings.Contains(c, text) {
					return true
				}
			}
		}
	}
	return false
}

// docxHas reports whether the DOCX's document text contains text.
func docxHas(t *testing.T, b []byte, text string) bool {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range z.File {
		if f.Name != "word/document.xml" {
			continue
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(r)
		r.Close()
		plain := regexp.MustCompile(`<[^>]+>`).ReplaceAllString(buf.String(), "")
		return strings.Contains(plain, text)
	}
	t.Fatal("no word/document.xml")
	return false
}

// TestFindingsOfSeveralDepartments: in an audit of one business across two
// departments, each department's auditee sees only its own findings.
func TestFindingsOfSeveralDepartments(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	eid := s.ID("SELECT id FROM audit_engagements WHERE kind = 'external_mynumber' ORDER BY id LIMIT 1")
	clearFindings(t, s, eid)
	zeimu := s.ID("SELECT id FROM departments WHERE name = '税務課' AND active")
	kumin := s.ID("SELECT id FROM departments WHERE name = '区民課' AND active")
	c := s.As("consultant")
	base := url.Values{"type": {"recommendation"}, "condition": {"事務取扱担当者の一覧が更新されていない。"}, "recommendation": {"異動の都度更新する。"},
		"risk": {"中"}, "due": {"令和9年3月31日"}}
	base.Set("title", "税務課の担当者一覧")
	base.Set("department", fmt.Sprint(zeimu))
	fz := newFinding(t, c, eid, base)
	base.Set("title", "区民課の持出し記録")
	base.Set("department", fmt.Sprint(kumin))
	fk := newFinding(t, c, eid, base)
	// A department that is not a target is refused.
	base.Set("department", fmt.Sprint(s.ID("SELECT MIN(id) FROM departments WHERE id NOT IN (?, ?)", zeimu, kumin)))
	c.Post(fmt.Sprintf("/audit/%d/findings", eid), base).Want(400, "この監査の被監査所属から選んでください")
	setReport(t, s, eid, "review")
	k := s.As(addAuditee(t, s, "matrix-kumin", "区民課"))
	k.Get(fmt.Sprintf("/audit/%d/findings", eid)).Want(200, "区民課の持出し記録").Lacks("税務課の担当者一覧")
	k.Get(fmt.Sprintf("/audit/%d/findings/%d", eid, fk)).Want(200)
	k.Get(fmt.Sprintf("/audit/%d/findings/%d", eid, fz)).Want(404)
	setReport(t, s, eid, "final")
	k.Get(fmt.Sprintf("/audit/%d/followup", eid)).Want(200, "区民課の持出し記録").Lacks("税務課の担当者一覧")
	rev := s.ID("SELECT rev FROM audit_findings WHERE id = ?", fz)
	k.Post(fmt.Sprintf("/audit/%d/findings/%d/plan", eid, fz), url.Values{"rev": {fmt.Sprint(rev)}, "plan_action": {"x"}, "plan_owner": {"y"},
		"plan_due": {"2027-01-31"}}).Want(404)
}

// TestFindingWithdrawal: changing a finding to 良好事例 or deleting it
// removes its untouched register action, and is refused once the owner
// department has started on it; an item judged 不適合 offers a finding
// drawn from it.
func TestFindingWithdrawal(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	ctx := t.Context()
	eid, dept := findingEngagement(t, s)
	var code string
	if err := s.DB.QueryRow(ctx, "SELECT code FROM audit_items WHERE engagement_id = ? AND NOT dropped ORDER BY sort_order LIMIT 1 OFFSET 2", eid).Scan(&code); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.Exec(ctx, "UPDATE audit_items SET judgement = 'nonconform', notes = '施錠されていない書庫があった。' WHERE engagement_id = ? AND code = ?", eid, code); err != nil {
		t.Fatal(err)
	}
	c := s.As("auditor")
	offer := fmt.Sprintf("/audit/%d/findings/new?item=%s", eid, url.QueryEscape(code))
	c.Get(fmt.Sprintf("/audit/%d/findings", eid)).Want(200, "この項目から指摘を作成", offer)
	c.Get(fmt.Sprintf("/audit/%d/findings/new?item=%s", eid, url.QueryEscape(code))).Want(200, "施錠されていない書庫があった。", `value="finding" checked`)
	c.Get(fmt.Sprintf("/audit/%d/findings/new?item=NOPE", eid)).Want(400)
	form := url.Values{"type": {"finding"}, "title": {"書庫の施錠"}, "department": {fmt.Sprint(dept)}, "item_codes": {code},
		"condition": {"施錠されていない書庫があった。"}, "criteria": {"対策基準 4.4"}, "recommendation": {"終業時に施錠を確認する。"}, "risk": {"中"}, "due": {"2027-03-31"}}
	f1 := newFinding(t, c, eid, form)
	c.Get(fmt.Sprintf("/audit/%d/findings", eid)).Want(200).Lacks(offer)
	form.Set("title", "窓口の画面の覗き見")
	f2 := newFinding(t, c, eid, form)
	actions := func() int {
		return s.Count("SELECT COUNT(*) FROM improvement_actions WHERE source_module = 'audit' AND source_ref IN (?, ?)", fmt.Sprintf("finding:%d", f1), fmt.Sprintf("finding:%d", f2))
	}
	if actions() != 2 {
		t.Fatalf("%d actions", actions())
	}
	// f1 untouched: turned into a 良好事例 its action goes.
	good := url.Values{}
	for k, v := range form {
		good[k] = v
	}
	good.Set("type", "good")
	good.Set("title", "書庫の施錠")
	good.Set("rev", fmt.Sprint(s.ID("SELECT rev FROM audit_findings WHERE id = ?", f1)))
	c.Post(fmt.Sprintf("/audit/%d/findings/%d", eid, f1), good).Redirects(fmt.Sprintf("/audit/%d/findings/%d", eid, f1))
	if actions() != 1 {
		t.Fatalf("after 良好事例: %d actions", actions())
	}
	// f2: the owner starts on it; neither the type change nor the deletion goes through.
	aid := s.ID("SELECT id FROM improvement_actions WHERE source_ref = ?", fmt.Sprintf("finding:%d", f2))
	a := s.As("auditee")
	a.Post(fmt.Sprintf("/improve/%d/status", aid), url.Values{"status": {"in_progress"}, "note": {"書庫の鍵の管理者を決めた。"}}).Redirects(fmt.Sprintf("/improve/%d", aid))
	rev := fmt.Sprint(s.ID("SELECT rev FROM audit_findings WHERE id = ?", f2))
	good.Set("rev", rev)
	good.Set("title", "窓口の画面の覗き見")
	c.Post(fmt.Sprintf("/audit/%d/findings/%d", eid, f2), good).Want(400, "すでに対応を始めているため")
	c.Post(fmt.Sprintf("/audit/%d/findings/%d/delete", eid, f2), url.Values{"rev": {rev}}).Want(400, "削除することを確認しました")
	c.Post(fmt.Sprintf("/audit/%d/findings/%d/delete", eid, f2), url.Values{"rev": {rev}, "confirm": {"1"}}).Want(400, "削除できません")
	if n := s.Count("SELECT COUNT(*) FROM audit_findings WHERE id = ? AND type = 'finding'", f2); n != 1 || actions() != 1 {
		t.Fatalf("refused changes changed something: finding %d, actions %d", n, actions())
	}
	// f1 (now a 良好事例) deletes cleanly.
	c.Post(fmt.Sprintf("/audit/%d/findings/%d/delete", eid, f1), url.Values{"rev": {fmt.Sprint(s.ID("SELECT rev FROM audit_findings WHERE id = ?", f1))}, "confirm": {"1"}}).
		Redirects(fmt.Sprintf("/audit/%d/findings", eid))
	if n := s.Count("SELECT COUNT(*) FROM audit_findings WHERE id = ?", f1); n != 0 {
		t.Fatal("finding not deleted")
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'improve.remove'"); n != 1 {
		t.Fatalf("removals audited %d", n)
	}
	// A finding of another engagement is not found under this one.
	other := s.ID("SELECT MIN(id) FROM audit_engagements WHERE id <> ? AND kind = 'internal'", eid)
	s.As("admin").Get(fmt.Sprintf("/audit/%d/findings/%d", other, f2)).Want(404)
}
