package audit_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"mamori/internal/jp"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// witnessForm is the witness page's form as it was rendered (the revs),
// with the given ratings, comments and advice set.
func witnessForm(t *testing.T, page string, set map[string][3]string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range regexp.MustCompile(`name="rev_([a-z_]+)" value="(\d+)"`).FindAllStringSubmatch(page, -1) {
		v.Set("rev_"+m[1], m[2])
	}
	if len(v) != 10 {
		t.Fatalf("the witness form has %d points, want 10", len(v))
	}
	for code, x := range set {
		v.Set("rating_"+code, x[0])
		v.Set("comment_"+code, x[1])
		v.Set("advice_"+code, x[2])
	}
	return v
}

// TestWitnessRecord: the witness records the ten points; a bad rating and
// a stale rev change nothing; auditors may not write it and read it only
// once the report is final; auditees and viewers never reach it; the
// witness report and the year's aggregate carry what was written.
func TestWitnessRecord(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	eid, _ := findingEngagement(t, s)
	path := fmt.Sprintf("/audit/%d/witness", eid)
	c := s.As("consultant")
	page := c.Get(path).Want(200, "進捗管理", "監査目的の達成", "監査証拠の入手と十分性", "監査技法の活用", "指摘漏れ", "計画にない事項への対応",
		"内部監査人の権限を超える質問", "監査意見の形成", "その他", "監査報告書のレビュー").Body

	// A rating that does not exist: refused beside the point, typed text kept.
	bad := witnessForm(t, page, map[string][3]string{"progress": {"excellent", "時間配分どおりに進んだ。", ""}})
	c.Post(path, bad).Want(400, "「進捗管理」の評価を選び直してください", "時間配分どおりに進んだ。")
	if n := s.Count("SELECT COUNT(*) FROM audit_witness WHERE engagement_id = ?", eid); n != 0 {
		t.Fatalf("a refused save stored %d points", n)
	}
	saves := func() int {
		return s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.witness_save' AND target = ?", fmt.Sprintf("audit_engagement:%d", eid))
	}
	before := saves()
	good := witnessForm(t, page, map[string][3]string{
		"progress": {"good", "時間配分どおりに進んだ。", ""},
		"evidence": {"poor", "回答をそのまま受け取り、記録簿を見ずに適合とした項目があった。", "記録簿の該当月を実際に閲覧するよう助言した。"},
		"missed":   {"fair", "窓口の覗き見対策を指摘しなかった。", "視察で気付いた点は監査調書に残すよう助言した。"},
	})
	c.Post(path, good).Redirects(path)
	if n := s.Count("SELECT COUNT(*) FROM audit_witness WHERE engagement_id = ?", eid); n != 3 {
		t.Fatalf("stored %d points, want 3", n)
	}
	if n := saves() - before; n != 1 {
		t.Fatalf("witness save audited %d times", n)
	}
	// The same form again (old revs) with a change: a conflict, nothing saved.
	good.Set("comment_evidence", "古い画面からの保存")
	c.Post(path, good).Want(409, "監査証拠の入手と十分性", "古い画面からの保存")
	if n := s.Count("SELECT COUNT(*) FROM audit_witness WHERE comment = '古い画面からの保存'"); n != 0 {
		t.Fatal("a stale save was stored")
	}

	// Auditors: no writing; reading only after the report is final.
	a := s.As("auditor")
	a.Post(path, good).Want(403)
	a.Get(path).Want(404)
	setReport(t, s, eid, "final")
	a.Get(path).Want(200, "回答をそのまま受け取り").Lacks(`name="rev_progress"`)
	// Auditees and viewers never.
	s.As("auditee").Get(path).Want(403)
	s.As("viewer").Get(path).Want(403)
	s.As("auditee").Get(path + "/document?format=pdf").Want(403)
	// Not an internal audit: no witness record.
	ext := s.ID("SELECT MIN(id) FROM audit_engagements WHERE kind <> 'internal'")
	c.Get(fmt.Sprintf("/audit/%d/witness", ext)).Want(404)

	// The witness report.
	pdf := a.Download(path+"/document?format=pdf", "application/pdf")
	txt := testkit.PDFBytesText(t, pdf)
	for _, want := range []string{"立会い報告書", "監査証拠の入手と十分性", "要改善", "記録簿の該当月を実際に閲覧"} {
		if !strings.Contains(txt, want) {
			t.Errorf("witness PDF lacks %q", want)
		}
	}
	docx := c.Download(path+"/document?format=docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
	if !docxHas(t, docx, "視察で気付いた点は監査調書に残す") {
		t.Error("witness DOCX lacks the advice")
	}
	c.Get(path+"/document?format=xlsx").Want(400, "pdf・docx")

	// The year's aggregate.
	fy := s.ID("SELECT fiscal_year FROM audit_engagements WHERE id = ?", eid)
	sum := fmt.Sprintf("/audit/witness?year=%d", fy)
	s.As("admin").Get(sum).Want(200, "内部監査人が特に支援を要した観点", "監査証拠の入手と十分性", "回答をそのまま受け取り", "<svg")
	s.As("admin").Get("/audit/witness?year=abc").Want(400, "年度の指定が正しくありません")
	s.As("auditor").Get(sum).Want(403)
	x := c.Download(fmt.Sprintf("/audit/witness/document?year=%d&format=xlsx", fy), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	if !xlsxHas(t, x, "監査証拠の入手と十分性") || !xlsxHas(t, x, "記録簿の該当月を実際に閲覧するよう助言した。") {
		t.Error("aggregate XLSX lacks the point or the advice")
	}
	sp := testkit.PDFBytesText(t, c.Download(fmt.Sprintf("/audit/witness/document?year=%d&format=pdf", fy), "application/pdf"))
	if !strings.Contains(sp, jp.FiscalYearLabel(int(fy))) || !strings.Contains(sp, "支援を要した観点") {
		t.Errorf("aggregate PDF: %s", testkit.Truncate(sp, 300))
	}
}
