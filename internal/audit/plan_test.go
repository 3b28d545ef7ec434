package audit_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"mamori/internal/audit"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// planEngagement is the demo's internal audit of 図書館 (in 計画, led by the
// auditor): its id and code.
func planEngagement(t *testing.T, s *webtest.Server) (int64, string) {
	t.Helper()
	id := s.ID(`SELECT e.id FROM audit_engagements e JOIN audit_engagement_departments t ON t.engagement_id = e.id
		JOIN departments d ON d.id = t.department_id WHERE e.kind = 'internal' AND d.name = '図書館'
		AND e.fiscal_year = (SELECT MAX(fiscal_year) FROM audit_engagements)`)
	var code string
	if err := s.DB.QueryRow(t.Context(), "SELECT code FROM audit_engagements WHERE id = ?", id).Scan(&code); err != nil {
		t.Fatal(err)
	}
	return id, code
}

var hiddenVersionRe = regexp.MustCompile(`name="version" value="(\d+)"`)

// planForm reads the plan form of a page: every field's text and the
// version the page shows.
func planForm(t *testing.T, body string) url.Values {
	t.Helper()
	m := hiddenVersionRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no plan form:\n%s", webtest.Excerpt(body))
	}
	f := url.Values{"version": {m[1]}}
	for _, pf := range audit.PlanFields {
		re := regexp.MustCompile(`(?s)<textarea id="plan-` + pf.Key + `" name="` + pf.Key + `"[^>]*>(.*?)</textarea>`)
		mm := re.FindStringSubmatch(body)
		if mm == nil {
			t.Fatalf("no field %s in the form", pf.Key)
		}
		f.Set(pf.Key, htmlUnescape(mm[1]))
	}
	return f
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&amp;", "&").Replace(s)
}

// TestPlanVersions: the team's first visit proposes the plan from the
// standard wording with the engagement's facts; every save is a new
// version with a note; a stale version and a save without a note are
// refused with the typed text kept and nothing stored; the history shows
// what changed; the roles see what they should.
func TestPlanVersions(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	id, code := planEngagement(t, s)
	path := fmt.Sprintf("/audit/%d/plan", id)
	versions := func() int { return s.Count("SELECT COUNT(*) FROM audit_plan_versions WHERE engagement_id = ?", id) }

	c := s.As("auditor")
	page := c.Get(path).Want(200, "ア　本調査実施方法の要領", "コ　その他", "図書館", "内部監査人が次の手順で実施する", "立会い")
	n := versions()
	if n == 0 {
		t.Fatal("opening the plan created no version")
	}
	if got := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.plan_create' AND target = ?", fmt.Sprintf("audit_engagement:%d", id)); got != 1 && n == 1 {
		t.Errorf("plan creation audited %d times", got)
	}
	c.Get(path).Want(200) // a second visit creates nothing
	if versions() != n {
		t.Fatalf("second visit made a version: %d → %d", n, versions())
	}
	form := planForm(t, page.Body)
	if !strings.Contains(form.Get("c"), "図書館：") {
		t.Errorf("ウ lacks the visit of 図書館: %q", form.Get("c"))
	}

	// Two saves, two versions.
	form.Set("c", form.Get("c")+"\n図書館は開館時間中のため、閲覧室の視察は10時までに行う。")
	form.Set("note", "図書館の開館時間に合わせて視察の時間帯を追記")
	c.Post(path, form).Redirects(path)
	form.Set("version", fmt.Sprint(n+1))
	form.Set("j", form.Get("j")+"\n(5) 図書館の利用者の個人情報（貸出記録）は閲覧しない。")
	form.Set("note", "利用者の貸出記録を閲覧しないことを明記")
	c.Post(path, form).Redirects(path)
	if versions() != n+2 {
		t.Fatalf("two saves made %d versions, want %d", versions()-n, 2)
	}
	if got := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.plan_save' AND target = ?", fmt.Sprintf("audit_engagement:%d", id)); got != 2 {
		t.Errorf("saves audited %d times, want 2", got)
	}
	v, err := audit.NewStore(s.DB, s.Log, s.Org, nil).PlanVersionOf(t.Context(), id, n+1)
	if err != nil || !strings.Contains(v.Text["c"], "閲覧室の視察") || v.Note == "" || v.CreatedName == "" {
		t.Fatalf("version %d: %+v %v", n+1, v, err)
	}

	// A stale version (someone saved meanwhile): refused, typed text kept.
	stale := url.Values{}
	for k, vs := range form {
		stale[k] = vs
	}
	stale.Set("version", fmt.Sprint(n))
	stale.Set("h", "協議は書面で行う。")
	stale.Set("note", "協議の方法を変更")
	c.Post(path, stale).Want(409, "第"+fmt.Sprint(n+2)+"版として保存しています", "協議は書面で行う。", "協議の方法を変更")
	// No note, and an empty ア: refused, named, nothing stored.
	bad := url.Values{}
	for k, vs := range form {
		bad[k] = vs
	}
	bad.Set("version", fmt.Sprint(n+2))
	bad.Set("a", "")
	bad.Set("b", "イの新しい文（保存されないはず）")
	bad.Set("note", "")
	c.Post(path, bad).Want(400, "変更の内容と理由を入力してください", "ア 本調査実施方法の要領を入力してください", "イの新しい文（保存されないはず）")
	// Nothing changed: refused.
	same := url.Values{}
	for k, vs := range form {
		same[k] = vs
	}
	same.Set("version", fmt.Sprint(n+2))
	same.Set("note", "念のため保存")
	c.Post(path, same).Want(400, "変わっていません")
	if versions() != n+2 {
		t.Fatalf("refused saves stored versions: %d", versions()-n)
	}

	// History: the versions, who, the note and what changed.
	c.Get(path+"/history").Want(200, "第"+fmt.Sprint(n+2)+"版（最新）", "利用者の貸出記録を閲覧しないことを明記", "コ　その他",
		"<ins><span class=\"visually-hidden\">［追加：</span>", "図書館の利用者の個人情報（貸出記録）は閲覧しない。")
	c.Get(path+"?v=1").Want(200, "第1版（過去の版）").Lacks(`name="version"`)

	// The viewer reads; the auditee and staff have no plan page; an
	// auditor who is not on the team gets nothing.
	s.As("viewer").Get(path).Want(200, "ア　本調査実施方法の要領").Lacks(`<textarea`)
	s.As("viewer").Post(path, form).Want(403)
	s.As("auditee").Get(path).Want(403)
	s.As("staff").Get(path).Want(403)
	other := s.ID(`SELECT MIN(e.id) FROM audit_engagements e WHERE NOT EXISTS (SELECT 1 FROM audit_engagement_members m JOIN users u ON u.id = m.user_id
		WHERE m.engagement_id = e.id AND u.login = 'auditor')`)
	s.As("auditor").Get(fmt.Sprintf("/audit/%d/plan", other)).Want(404)
	_ = code
}

// docxText is the text of a DOCX's body (word/document.xml), tags removed.
func docxText(t *testing.T, b []byte) string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a DOCX: %v", err)
	}
	for _, f := range z.File {
		if f.Name != "word/document.xml" {
			continue
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		x, _ := io.ReadAll(r)
		r.Close()
		return regexp.MustCompile(`<[^>]+>`).ReplaceAllString(string(x), "")
	}
	t.Fatal("DOCX without word/document.xml")
	return ""
}

// TestPlanDocuments: the plan, the notices and the briefing material
// come out as PDF and DOCX with the ward, 和暦 dates, the approval box, the
// fields ア–コ and the targets; downloads are audited and named in
// Japanese; each role gets only its documents.
func TestPlanDocuments(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	id, code := planEngagement(t, s)
	c := s.As("auditor")
	docs := fmt.Sprintf("/audit/%d/documents/", id)

	// pdftotext gives the full-width space of a heading as a plain one.
	pdf := strings.ReplaceAll(testkit.PDFBytesText(t, c.Download(docs+"plan.pdf", "application/pdf")), " ", "\u3000")
	for _, want := range []string{"監査計画書", "ひので区", "令和", "課長", "係長", "監査の概要", "対象・日程・体制", "図書館", "実施計画",
		"ア　本調査実施方法の要領", "コ　その他", "以上"} {
		if !strings.Contains(pdf, want) {
			t.Errorf("plan PDF lacks %q", want)
		}
	}
	r := c.Get(docs + "plan.docx").Want(200)
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, url.PathEscape("監査計画書_"+code+".docx")) {
		t.Errorf("plan DOCX named %q", cd)
	}
	x := docxText(t, []byte(r.Body))
	for _, want := range []string{"監査計画書", "イ　場所ごとの要員", "ケ　報告会の日と内容", "図書館"} {
		if !strings.Contains(x, want) {
			t.Errorf("plan DOCX lacks %q", want)
		}
	}

	notice := docxText(t, c.Download(docs+"notice.docx", "application/vnd.openxmlformats"))
	for _, want := range []string{"図書館長　様", "情報セキュリティ内部監査の実施について（通知）", "記", "実地監査の日時", "準備していただく資料", "問い合わせ先", "以上"} {
		if !strings.Contains(notice, want) {
			t.Errorf("notice lacks %q", want)
		}
	}
	brief := testkit.PDFBytesText(t, c.Download(docs+"briefing.pdf", "application/pdf"))
	for _, want := range []string{"説明会資料", "監査の目的", "日程", "当日のお願い", "事前調査票の回答方法", "監査の後の流れ"} {
		if !strings.Contains(brief, want) {
			t.Errorf("briefing lacks %q", want)
		}
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = ?", fmt.Sprintf("audit_engagement:%d", id)); n != 4 {
		t.Errorf("%d downloads audited, want 4", n)
	}
	c.Get(docs+"plan.xlsx").Want(400, "pdf・docx")
	c.Get(docs + "minutes.pdf").Want(404)

	// The auditee of 戸籍住民課 gets the notice of their own department only,
	// never the plan or the checklist; the viewer reads the plan only.
	own := s.ID(`SELECT MIN(e.id) FROM audit_engagements e JOIN audit_engagement_departments t ON t.engagement_id = e.id
		JOIN users u ON u.department_id = t.department_id WHERE u.login = 'auditee'`)
	a := s.As("auditee")
	n := docxText(t, a.Download(fmt.Sprintf("/audit/%d/documents/notice.docx", own), "application/vnd.openxmlformats"))
	if !strings.Contains(n, "戸籍住民課長　様") {
		t.Errorf("the auditee's notice is not addressed to 戸籍住民課: %s", testkit.Truncate(n, 200))
	}
	a.Get(fmt.Sprintf("/audit/%d/documents/plan.pdf", own)).Want(404)
	a.Get(fmt.Sprintf("/audit/%d/documents/checklist.xlsx", own)).Want(404)
	a.Get(docs + "notice.pdf").Want(404) // not their department's audit
	v := s.As("viewer")
	v.Download(docs+"plan.pdf", "application/pdf")
	v.Get(docs + "notice.pdf").Want(404)
}

// TestPlanDefaults: the standard wording loads, every kind has every
// field, and a placeholder the plan does not know is refused by name.
func TestPlanDefaults(t *testing.T) {
	d, err := audit.LoadPlanDefaults()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range audit.Kinds {
		if d.Kinds[string(k)].Purpose == "" {
			t.Errorf("%s has no purpose", k)
		}
	}
	_, err = audit.ParsePlanDefaults([]byte("approval: [課長]\nkinds:\n  internal:\n    fields:\n      a: '{監査の天気}'\n"))
	if err == nil || !strings.Contains(err.Error(), "{監査の天気}") || !strings.Contains(err.Error(), "kinds.system がありません") {
		t.Fatalf("bad defaults accepted or unclear: %v", err)
	}
	// The diff marks what changed, field by field.
	ds := audit.DiffPlans(audit.PlanText{"a": "実地監査は9月8日に行う。"}, audit.PlanText{"a": "実地監査は9月15日に行う。", "j": "追記"})
	if len(ds) != 2 || ds[0].Field.Mark != "ア" || ds[1].Field.Mark != "コ" || ds[0].Added == 0 || ds[0].Removed == 0 {
		t.Fatalf("diff: %+v", ds)
	}
}
