package audit_test

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// reportEngagement finds a demo engagement by kind and the end of its
// title, and puts its report back to an empty first draft (whatever the
// demo made of it), with some judgements and findings to report.
func reportEngagement(t *testing.T, s *webtest.Server, kind, titleEnd string) int64 {
	t.Helper()
	ctx := t.Context()
	id := s.ID("SELECT id FROM audit_engagements WHERE kind = ? AND title LIKE ?", kind, "%"+titleEnd)
	for _, q := range []string{
		"DELETE FROM audit_report_comments WHERE engagement_id = ?",
		"DELETE FROM audit_report_versions WHERE engagement_id = ?",
		"UPDATE audit_reports SET state = 'draft', version = 0, summary = '', opinion = '', perspectives = '', rev = 0 WHERE engagement_id = ?",
	} {
		if _, err := s.DB.Exec(ctx, q, id); err != nil {
			t.Fatal(err)
		}
	}
	// Judge the first items: 適合, 一部不適合, 不適合, 該当なし.
	for i, j := range []string{"conform", "partial", "nonconform", "na"} {
		if _, err := s.DB.Exec(ctx, `UPDATE audit_items SET judgement = ? WHERE id = (SELECT id FROM audit_items WHERE engagement_id = ? AND NOT dropped
			ORDER BY sort_order LIMIT 1 OFFSET ?)`, j, id, i); err != nil {
			t.Fatal(err)
		}
	}
	dept := s.ID("SELECT department_id FROM audit_engagement_departments WHERE engagement_id = ? ORDER BY sort_order LIMIT 1", id)
	code := ""
	if err := s.DB.QueryRow(ctx, "SELECT code FROM audit_items WHERE engagement_id = ? AND judgement = 'nonconform'", id).Scan(&code); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ typ, title, risk string }{
		{"finding", "執務室の施錠管理簿が記録されていない", "高"},
		{"good", "離席時の画面ロックが徹底されている", "低"},
	} {
		if _, err := s.DB.Exec(ctx, `INSERT INTO audit_findings (engagement_id, seq, type, title, department_id, item_codes, condition_text, criteria_text,
			cause, effect, recommendation, risk, auditee_comment, due_date, created_at, updated_at)
			VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_findings WHERE engagement_id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, id, f.typ, f.title, dept, code, "管理簿の7月分以降に記入がなかった。", "対策基準 4.2 管理区域の入退室の記録", "担当者の異動で引継ぎがされなかった。",
			"不正な入室を後から確かめられない。", "記録の様式を見直し、係長が月末に確認する。", f.risk, "8月から記録を再開しました。", "2026-12-25",
			"2026-10-01T00:00:00Z", "2026-10-01T00:00:00Z"); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func reportRev(t *testing.T, s *webtest.Server, id int64) string {
	t.Helper()
	return fmt.Sprint(s.ID("SELECT rev FROM audit_reports WHERE engagement_id = ?", id))
}

func reportState(t *testing.T, s *webtest.Server, id int64) string {
	t.Helper()
	var st string
	if err := s.DB.QueryRow(t.Context(), "SELECT state || ':' || version FROM audit_reports WHERE engagement_id = ?", id).Scan(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestReportWorkflow: draft → review → final with the review comments
// and the quality checks; the final version locked against any change,
// a replayed form included; reopened as version 2 with version 1 still
// downloadable; the auditee and the viewer read the final only.
func TestReportWorkflow(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	// 戸籍住民課 is the demo auditee's department; the internal auditor leads it.
	id := reportEngagement(t, s, "internal", "（戸籍住民課）")
	page := fmt.Sprintf("/audit/%d/report", id)
	lead, auditee, viewer := s.As("auditor"), s.As("auditee"), s.As("viewer")

	lead.Get(page).Want(200, "第1版（案）を作成しています", "監査結果の概要", "執務室の施錠管理簿が記録されていない", "<svg", "章別の判定結果").
		Lacks("観点1") // an internal audit has no three perspectives
	// Nothing before the report is final for the auditee and the viewer.
	auditee.Get(page).Want(404)
	viewer.Get(page).Want(404)
	auditee.Get(page + "/document.pdf").Want(404)
	viewer.Get(page + "/findings.xlsx").Want(404)

	target := fmt.Sprintf("audit_engagement:%d", id)
	logged := func(action string) int {
		return s.Count("SELECT COUNT(*) FROM audit_log WHERE action = ? AND target = ?", action, target)
	}
	saves, locks, downloads := logged("audit.report_save"), logged("audit.report_locked"), logged("download")

	// Saving names the rev read; a stale one is a conflict that keeps the typed text.
	rev0 := reportRev(t, s, id)
	lead.Post(page, url.Values{"rev": {rev0}, "summary": {"窓口の管理は概ね適切です。"}, "opinion": {"管理区域の記録を確実にしてください。"}}).Redirects(page)
	if n := logged("audit.report_save") - saves; n != 1 {
		t.Fatalf("save audited %d times", n)
	}
	lead.Post(page, url.Values{"rev": {rev0}, "summary": {"古い画面から書いた概要"}, "opinion": {"x"}}).Want(409, "他の人が先に更新しました", "古い画面から書いた概要", "窓口の管理は概ね適切です。")
	// Bad input: named, nothing changed, the text kept.
	lead.Post(page, url.Values{"rev": {reportRev(t, s, id)}, "summary": {strings.Repeat("長", 8001)}, "opinion": {"残す意見"}}).
		Want(400, "監査結果の概要は8000文字以内", "残す意見")
	if s.Count("SELECT COUNT(*) FROM audit_reports WHERE engagement_id = ? AND summary = '窓口の管理は概ね適切です。'", id) != 1 {
		t.Fatal("a refused save changed the report")
	}

	// Final only after review.
	lead.Post(page+"/state", url.Values{"rev": {reportRev(t, s, id)}, "to": {"final"}}).Want(400, "レビューに回してください")
	lead.Post(page+"/state", url.Values{"rev": {reportRev(t, s, id)}, "to": {"review"}}).Redirects(page)
	if st := reportState(t, s, id); st != "review:0" {
		t.Fatalf("state %s, want review:0", st)
	}
	// A threaded review comment blocks the final until resolved.
	lead.Post(page+"/comments", url.Values{"section": {"opinion"}, "body": {"総合意見に期限を入れてください。"}}).Redirects(page)
	c := s.ID("SELECT id FROM audit_report_comments WHERE engagement_id = ? AND parent_id IS NULL", id)
	lead.Post(page+"/comments", url.Values{"parent": {fmt.Sprint(c)}, "body": {"12月末と書きました。"}}).Redirects(page)
	lead.Post(page+"/comments", url.Values{"body": {""}}).Want(400, "コメントを入力してください")
	lead.Get(page).Want(200, "総合意見に期限を入れてください。", "12月末と書きました。", "未解決のコメントが1件あります")
	lead.Post(page+"/state", url.Values{"rev": {reportRev(t, s, id)}, "to": {"final"}, "confirm": {"1"}}).Want(400, "未解決のレビューコメントが1件あります")
	if st := reportState(t, s, id); st != "review:0" {
		t.Fatalf("finalised with an open comment: %s", st)
	}
	// A comment of another engagement is not found through this one.
	other := s.ID("SELECT id FROM audit_engagements WHERE kind = 'internal' AND title LIKE '%（国保年金課）'")
	lead.Post(fmt.Sprintf("/audit/%d/report/comments/%d/resolve", other, c), nil).Want(404)
	lead.Post(fmt.Sprintf("%s/comments/%d/resolve", page, c), nil).Redirects(page)

	// The quality checks (unjudged items) ask for a confirmation first.
	lead.Post(page+"/state", url.Values{"rev": {reportRev(t, s, id)}, "to": {"final"}}).Want(409, "品質チェックで確認が必要な点", "確定します")
	staleRev := reportRev(t, s, id)
	lead.Post(page+"/state", url.Values{"rev": {staleRev}, "to": {"final"}, "confirm": {"1"}}).Redirects(page)
	if st := reportState(t, s, id); st != "final:1" {
		t.Fatalf("state %s, want final:1", st)
	}
	if s.Count("SELECT COUNT(*) FROM audit_report_versions WHERE engagement_id = ? AND version = 1 AND content LIKE '%執務室の施錠管理簿%'", id) != 1 {
		t.Fatal("version 1 does not hold the report's content")
	}

	// Locked: a replayed save (old rev), a comment, a state change — refused, logged, nothing changed.
	lead.Post(page, url.Values{"rev": {rev0}, "summary": {"確定後に書き換えた概要"}, "opinion": {"x"}}).Want(409, "第1版として確定しているため、変更できません")
	lead.Post(page+"/comments", url.Values{"body": {"確定後のコメント"}}).Want(409, "確定しているため")
	lead.Post(page+"/state", url.Values{"rev": {staleRev}, "to": {"review"}}).Want(409, "確定しているため")
	if n := logged("audit.report_locked") - locks; n != 3 {
		t.Fatalf("%d refusals logged, want 3", n)
	}
	if s.Count("SELECT COUNT(*) FROM audit_reports WHERE engagement_id = ? AND summary = '窓口の管理は概ね適切です。' AND state = 'final'", id) != 1 ||
		s.Count("SELECT COUNT(*) FROM audit_report_comments WHERE body = '確定後のコメント'") != 0 {
		t.Fatal("a final report was changed")
	}

	// The auditee and the viewer now read the final version.
	auditee.Get(page).Want(200, "第1版", "窓口の管理は概ね適切です。", "執務室の施錠管理簿が記録されていない").Lacks("本文を保存", "レビューコメント")
	viewer.Get(page).Want(200, "窓口の管理は概ね適切です。")
	pdf := auditee.Download(page+"/document.pdf", "application/pdf")
	text := testkit.PDFBytesText(t, pdf)
	for _, want := range []string{"監査報告書", "第1版", "執務室の施錠管理簿が記録されていない", "窓口の管理は概ね適切です。", "監査の概要", "今後の対応", "チェックリストの判定結果"} {
		if !strings.Contains(text, want) {
			t.Errorf("final PDF lacks %q", want)
		}
	}
	if strings.Contains(text, "（案）") {
		t.Error("the final PDF says 案")
	}
	if n := logged("download") - downloads; n != 1 {
		t.Fatalf("download audited %d times", n)
	}

	// Reopen (the lead): version 2 is drafted, version 1 stays as it was.
	auditee.Post(page+"/state", url.Values{"rev": {reportRev(t, s, id)}, "to": {"reopen"}}).Want(403)
	lead.Post(page+"/state", url.Values{"rev": {reportRev(t, s, id)}, "to": {"reopen"}}).Redirects(page)
	if st := reportState(t, s, id); st != "draft:1" {
		t.Fatalf("state %s after reopening, want draft:1", st)
	}
	lead.Post(page, url.Values{"rev": {reportRev(t, s, id)}, "summary": {"改訂版の概要です。"}, "opinion": {"改訂版の意見"}}).Redirects(page)
	lead.Get(page).Want(200, "第2版（案）を作成しています", "改訂版の概要です。")
	auditee.Get(page).Want(200, "窓口の管理は概ね適切です。").Lacks("改訂版の概要です。")
	v1 := testkit.PDFBytesText(t, lead.Download(page+"/document.pdf?version=1", "application/pdf"))
	if !strings.Contains(v1, "窓口の管理は概ね適切です。") || strings.Contains(v1, "改訂版の概要です。") {
		t.Error("version 1 is not kept as it was finalised")
	}
	v2 := testkit.PDFBytesText(t, lead.Download(page+"/document.pdf", "application/pdf"))
	if !strings.Contains(v2, "第2版（案）") || !strings.Contains(v2, "改訂版の概要です。") {
		t.Error("the draft of version 2 does not print as such")
	}
	auditee.Get(page + "/document.pdf?version=2").Want(404)
	auditee.Get(page + "/document.pdf?version=x").Want(400)

	// Another department's auditee never reaches it.
	s.As("auditee").Get(fmt.Sprintf("/audit/%d/report", other)).Want(404)

	// A team member who is not the lead writes and reviews but never finalises.
	kyk := reportEngagement(t, s, "internal", "（契約課）")
	if _, err := s.DB.Exec(t.Context(), `INSERT INTO audit_engagement_members (engagement_id, user_id, role)
		SELECT ?, id, 'member' FROM users WHERE login = 'auditor'`, kyk); err != nil {
		t.Fatal(err)
	}
	kp := fmt.Sprintf("/audit/%d/report", kyk)
	lead.Post(kp+"/state", url.Values{"rev": {reportRev(t, s, kyk)}, "to": {"review"}}).Redirects(kp)
	lead.Get(kp).Want(200, "確定は監査責任者").Lacks("として確定する")
	lead.Post(kp+"/state", url.Values{"rev": {reportRev(t, s, kyk)}, "to": {"final"}, "confirm": {"1"}}).Want(403, "監査責任者または管理者が行います")
	if st := reportState(t, s, kyk); st != "review:0" {
		t.Fatalf("a member finalised the report: %s", st)
	}
}

// TestReportDocuments: the three perspectives of an external audit (the
// My Number one only when the target handles 特定個人情報), the DOCX, the
// findings XLSX and the meeting material.
func TestReportDocuments(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	c := s.As("consultant")
	perspectives := []string{"サイバー攻撃への対策として必要な措置", "情報資産の保護のために必要な措置", "特定個人情報の安全管理に求められる水準"}
	for _, tc := range []struct {
		kind, title string
		mynumber    bool
	}{
		{"external_mynumber", "（個人住民税）", true},
		{"system", "（電子申請サービス）", false},
	} {
		id := reportEngagement(t, s, tc.kind, tc.title)
		page := fmt.Sprintf("/audit/%d/report", id)
		if _, err := s.DB.Exec(t.Context(), "UPDATE audit_engagements SET mynumber = ? WHERE id = ?", tc.mynumber, id); err != nil {
			t.Fatal(err)
		}
		form := url.Values{"rev": {reportRev(t, s, id)}, "summary": {"全体として規程は整備されています。"}, "opinion": {"委託先の管理を強化してください。"},
			"p_cyber_rating": {"fair"}, "p_cyber_text": {"修正プログラムは適用されているが、適用記録が一部欠けていた。"},
			"p_assets_rating": {"good"}, "p_assets_text": {"媒体の管理簿と棚卸しが確認できた。"},
			"p_mynumber_rating": {"improve"}, "p_mynumber_text": {"取扱記録の定期確認が行われていなかった。"}}
		// A rating that is not on the scale is refused.
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("p_cyber_rating", "excellent")
		c.Post(page, bad).Want(400, "「サイバー攻撃への対策として必要な措置」の評価を選び直してください")
		c.Post(page, form).Redirects(page)

		got := c.Get(page).Want(200, perspectives[0], perspectives[1], "概ね良好")
		if strings.Contains(got.Body, perspectives[2]) != tc.mynumber {
			t.Errorf("%s: the page shows the My Number perspective: %v, want %v", tc.kind, !tc.mynumber, tc.mynumber)
		}
		text := testkit.PDFBytesText(t, c.Download(page+"/document.pdf", "application/pdf"))
		flat := strings.Join(strings.Fields(text), "")
		for _, want := range []string{perspectives[0], perspectives[1], "概ね良好", "修正プログラムは適用されているが", "執務室の施錠管理簿が記録されていない",
			"改善提言", "被監査所属のコメント", "8月から記録を再開しました。"} {
			if !strings.Contains(flat, want) {
				t.Errorf("%s PDF lacks %q", tc.kind, want)
			}
		}
		if strings.Contains(flat, perspectives[2]) != tc.mynumber {
			t.Errorf("%s PDF: My Number perspective present %v, want %v", tc.kind, !tc.mynumber, tc.mynumber)
		}

		docText := reportDocxText(t, c.Download(page+"/document.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))
		for _, want := range []string{"監査報告書", perspectives[1], "執務室の施錠管理簿が記録されていない"} {
			if !strings.Contains(docText, want) {
				t.Errorf("%s DOCX lacks %q", tc.kind, want)
			}
		}

		x, err := excelize.OpenReader(bytes.NewReader(c.Download(page+"/findings.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := x.GetRows(x.GetSheetName(0))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range rows {
			if strings.Contains(strings.Join(r, "|"), "執務室の施錠管理簿が記録されていない|") && strings.Contains(strings.Join(r, "|"), "指摘事項") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s findings.xlsx has no row for the finding: %v", tc.kind, rows)
		}

		meeting := strings.Join(strings.Fields(testkit.PDFBytesText(t, c.Download(page+"/meeting.pdf", "application/pdf"))), "")
		for _, want := range []string{"監査結果報告会資料", "監査の目的と範囲", "章別の結果", "主な指摘事項と改善提言", "執務室の施錠管理簿が記録されていない",
			"良好事例", "離席時の画面ロックが徹底されている", "今後の進め方", "他の団体で見られる傾向"} {
			if !strings.Contains(meeting, want) {
				t.Errorf("%s meeting material lacks %q", tc.kind, want)
			}
		}
	}
	// An internal audit's meeting material has no page on other municipalities.
	id := reportEngagement(t, s, "internal", "（国保年金課）")
	meeting := testkit.PDFBytesText(t, s.As("admin").Download(fmt.Sprintf("/audit/%d/report/meeting.pdf", id), "application/pdf"))
	if strings.Contains(meeting, "他の団体で見られる傾向") {
		t.Error("internal meeting material shows other municipalities' tendencies")
	}
}

// reportDocxText is the text of a DOCX's main part, read as XML (so a broken
// file fails here).
func reportDocxText(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("docx: %v", err)
	}
	for _, f := range zr.File {
		if f.Name != "word/document.xml" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		dec := xml.NewDecoder(rc)
		var sb strings.Builder
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("docx XML: %v", err)
			}
			if cd, ok := tok.(xml.CharData); ok {
				sb.Write(cd)
			}
		}
		return sb.String()
	}
	t.Fatal("docx has no word/document.xml")
	return ""
}
