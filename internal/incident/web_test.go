package incident_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"mamori/internal/improve"
	"mamori/internal/incident"
	"mamori/internal/testkit"
	"mamori/internal/web"
	"mamori/internal/webtest"
)

// squash drops white space (pdftotext breaks lines anywhere).
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func incidentForm(title, occurred, aware, persons string, flags ...string) url.Values {
	f := url.Values{"title": {title}, "category": {"誤送付"}, "severity": {"3"}, "state": {"received"}, "occurred": {occurred}, "aware": {aware},
		"persons": {persons}, "sent": {persons}, "recovered": {"0"}, "unopened": {"0"}, "lead": {"0"}}
	for _, x := range flags {
		f.Add("flag", x)
	}
	return f
}

// TestReportTriageAndClock: a member of staff reports (a bad form stores
// nothing); the security office triages it into an incident (aware-at
// before occurred-at refused), the commission's deadlines appear with
// the rule that produced them, a report is recorded as made; a replayed
// triage, a stale edit and an edit of a closed incident are refused; a
// 所属長 reads only the incidents of their department.
func TestReportTriageAndClock(t *testing.T) {
	testkit.NoRace(t)
	s := webtest.Start(t, webtest.Options{Demo: true})
	staff := s.As("staff")
	staff.Get("/incident").Want(http.StatusOK, "インシデントを報告する", "あなたの報告", "インシデントに当たらないと判断")
	before := s.Count("SELECT COUNT(*) FROM incident_reports")
	staff.Post("/incident/report", url.Values{"what": {""}, "persons": {"-3"}}).Want(http.StatusUnprocessableEntity, "何が起きたかを入力してください", "0 以上の整数")
	if s.Count("SELECT COUNT(*) FROM incident_reports") != before {
		t.Fatal("a refused report was stored")
	}
	staff.Post("/incident/report", url.Values{"what": {"窓口で、別の方の住民票の写しを渡してしまったかもしれません。"}, "happened": {"2026-12-02T10:10"}, "persons": {"1"}}).
		Redirects("/incident")
	rid := s.ID("SELECT MAX(id) FROM incident_reports")
	staff.Get(fmt.Sprintf("/incident-reports/%d", rid)).Want(http.StatusForbidden)

	admin := s.As("admin")
	admin.Get("/incident-reports").Want(http.StatusOK, "別の方の住民票の写し", "受付待ち")
	path := fmt.Sprintf("/incident-reports/%d", rid)
	admin.Get(path).Want(http.StatusOK, "インシデントとして登録する", "インシデントに当たらない")
	f := incidentForm("住民票の写しの誤交付", "2026-12-02T10:10", "2026-12-01T09:00", "150", "personal")
	f.Set("action", "create")
	admin.Post(path, f).Want(http.StatusUnprocessableEntity, "認知日時が発生日時より前になっています")
	n := s.Count("SELECT COUNT(*) FROM incidents")
	f.Set("aware", "2026-12-02T11:00")
	f.Set("recovered", "-1")
	admin.Post(path, f).Want(http.StatusUnprocessableEntity, "回収した数は 0 以上の整数")
	if s.Count("SELECT COUNT(*) FROM incidents") != n || s.Count("SELECT COUNT(*) FROM incident_reports WHERE id = ? AND status = 'new'", rid) != 1 {
		t.Fatal("a refused triage changed something")
	}
	f.Set("recovered", "0")
	r := admin.Post(path, f)
	r.Redirects("/incident/")
	id := s.ID("SELECT MAX(id) FROM incidents")
	// Replayed: refused, nothing new.
	admin.Post(path, f).Want(http.StatusUnprocessableEntity, "この報告は受付済みです")
	if s.Count("SELECT COUNT(*) FROM incidents") != n+1 {
		t.Fatal("the replayed triage made a second incident")
	}
	page := admin.Get(fmt.Sprintf("/incident/%d", id)).Want(http.StatusOK, "個人情報保護委員会への確報（保有個人情報）", "ppc-final-appi",
		"個人情報保護法 施行規則第44条第2項", "CSIRT窓口への第一報", "東京都への第一報")
	// 認知 2026-12-02 (Wed): day 30 is 2026-12-31, in the year-end closure → 2027-01-04.
	if !strings.Contains(page.Body, "令和9年1月4日") {
		t.Errorf("the 確報 deadline is not moved to the next open day (令和9年1月4日):\n%s", page.Body[strings.Index(page.Body, "ppc-final-appi")-600:strings.Index(page.Body, "ppc-final-appi")])
	}
	admin.Post(fmt.Sprintf("/incident/%d/notices", id), url.Values{"rule": {"ward-first"}, "at": {"2026-12-02T11:30"}}).Redirects(fmt.Sprintf("/incident/%d", id))
	admin.Post(fmt.Sprintf("/incident/%d/notices", id), url.Values{"rule": {"police"}, "at": {"2026-12-02T11:30"}}).Want(http.StatusUnprocessableEntity, "当たりません")
	if s.Count("SELECT COUNT(*) FROM incident_notices WHERE incident_id = ?", id) != 1 {
		t.Fatal("notices recorded: want only the first report")
	}

	// A stale edit, then closing, then a replayed edit of the closed one.
	edit := func(rev int64, state, closed string) *webtest.Response {
		g := incidentForm("住民票の写しの誤交付", "2026-12-02T10:10", "2026-12-02T11:00", "150", "personal")
		g.Set("rev", fmt.Sprint(rev))
		g.Set("state", state)
		g.Set("closed", closed)
		return admin.Post(fmt.Sprintf("/incident/%d", id), g)
	}
	rev := int64(s.Count("SELECT rev FROM incidents WHERE id = ?", id))
	edit(rev-1, "containment", "").Want(http.StatusConflict, "別の人が変更しました")
	edit(rev, "closed", "").Want(http.StatusUnprocessableEntity, "完了日時を入力してください")
	edit(rev, "closed", "2026-12-03T17:00").Redirects(fmt.Sprintf("/incident/%d", id))
	edit(rev+1, "investigation", "").Want(http.StatusUnprocessableEntity, "完了したインシデントは変更できません")
	if s.Count("SELECT COUNT(*) FROM incidents WHERE id = ? AND state = 'closed'", id) != 1 {
		t.Fatal("the closed incident was changed")
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action IN ('incident.create', 'incident.update', 'incident.triage', 'incident.notice', 'incident.report') AND target LIKE 'incident%'") < 5 {
		t.Error("the changes are not all audited")
	}

	// The 所属長 of 戸籍住民課: their department's incident, not another's.
	auditee := s.As("auditee")
	own := s.ID("SELECT i.id FROM incidents i JOIN departments d ON d.id = i.lead_department_id WHERE d.name = '戸籍住民課' AND i.fiscal_year = 2026")
	other := s.ID("SELECT i.id FROM incidents i JOIN departments d ON d.id = i.lead_department_id WHERE d.name = '児童青少年課'")
	auditee.Get(fmt.Sprintf("/incident/%d", own)).Want(http.StatusOK, "USBメモリー")
	auditee.Get(fmt.Sprintf("/incident/%d", other)).Want(http.StatusNotFound)
	list := auditee.Get("/incident").Want(http.StatusOK, "USBメモリー")
	if strings.Contains(list.Body, "児童の名簿") {
		t.Error("the 所属長's list shows another department's incident")
	}
	auditee.Post(fmt.Sprintf("/incident/%d/events", own), url.Values{"at": {"2026-12-02T10:00"}, "category": {"調査"}, "body": {"x"}}).Want(http.StatusForbidden)
}

// TestDemoIncidents: the demo's five incidents at different states, each
// with parties, a timeline and reports made; the open ones' clocks; the
// CLI's rows.
func TestDemoIncidents(t *testing.T) {
	testkit.NoRace(t)
	s := webtest.Start(t, webtest.Options{Demo: true})
	if n := s.Count("SELECT COUNT(DISTINCT state) FROM incidents"); n != 5 {
		t.Errorf("demo incidents in %d states, want 5", n)
	}
	rows, err := incident.NewStore(s.Deps()).ListRows(t.Context(), 2026)
	if err != nil || len(rows) != 5 {
		t.Fatalf("rows: %d %v", len(rows), err)
	}
	for _, r := range rows {
		if len(r.Deadlines) == 0 {
			t.Errorf("%s has no deadlines", r.Code)
		}
	}
	admin := s.As("admin")
	list := admin.Get("/incident").Want(http.StatusOK, "納税通知書の誤送付", "ランサムウェア", "受付待ちの報告が 1 件")
	ids := regexp.MustCompile(`href="/incident/(\d+)"`).FindAllStringSubmatch(list.Body, -1)
	if len(ids) < 5 {
		t.Fatalf("the list links %d incidents", len(ids))
	}
	for _, m := range ids {
		admin.Get("/incident/"+m[1]).Want(http.StatusOK, "報告・通知の期限", "関係する所属・委託先", "経過")
	}
	// The cloud misconfiguration (public, 1,830 people): the commission's 確報 is open.
	cloud := s.ID("SELECT id FROM incidents WHERE category = '委託先事故'")
	admin.Get(fmt.Sprintf("/incident/%d", cloud)).Want(http.StatusOK, "個人情報保護委員会への確報（保有個人情報）", "ひのでイベントサポート株式会社（架空）",
		"令和8年12月23日 23:59")
	// Ransomware: the 60-day rule, and the police.
	admin.Get(fmt.Sprintf("/incident/%d", s.ID("SELECT id FROM incidents WHERE category = 'マルウェア'"))).
		Want(http.StatusOK, "不正の目的のおそれ", "60日以内", "警察への相談・届出")
	s.As("viewer").Get("/incident").Want(http.StatusOK, "納税通知書の誤送付").Lacks("インシデントを登録")
}

// TestAnalysisVisitsAndMeasures: a なぜなぜ node attached to another
// incident's node is refused; a measure goes into the improvement register
// with one action per 横展開 department, and the e-learning cites it in
// the lessons of its domain; a site photo is stored encrypted, comes back
// whole, and its download and hand-over are recorded.
func TestAnalysisVisitsAndMeasures(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	admin := s.As("admin")
	id := s.ID("SELECT id FROM incidents WHERE category = '委託先事故'")
	foreign := s.ID("SELECT MIN(w.id) FROM incident_whys w WHERE w.incident_id <> ?", id)
	base := fmt.Sprintf("/incident/%d", id)
	n := s.Count("SELECT COUNT(*) FROM incident_whys")
	admin.Post(base+"/whys", url.Values{"parent": {fmt.Sprint(foreign)}, "statement": {"共有リンクの設定を確認しなかった"}, "viewpoint": {"contractor"}}).
		Want(http.StatusUnprocessableEntity, "つなぐ先の「なぜ」がこのインシデントにありません")
	if s.Count("SELECT COUNT(*) FROM incident_whys") != n {
		t.Fatal("a refused node was stored")
	}
	admin.Post(base+"/whys", url.Values{"statement": {"共有リンクを「リンクを知っている全員」に設定した"}, "viewpoint": {"contractor"}, "direct": {"1"}}).Redirects(base)
	top := s.ID("SELECT MAX(id) FROM incident_whys WHERE incident_id = ?", id)
	admin.Post(base+"/whys", url.Values{"parent": {fmt.Sprint(top)}, "statement": {"共有設定の変更を承認する仕組みがなかった"}, "viewpoint": {"no_rule"}, "root": {"1"}}).Redirects(base)
	admin.Get(base).Want(http.StatusOK, "根本原因", "共有設定の変更を承認する仕組みがなかった", "why-d1")

	owner := s.ID("SELECT id FROM departments WHERE name = '地域活動推進課'")
	roll := []string{fmt.Sprint(s.ID("SELECT id FROM departments WHERE name = '文化スポーツ課'")), fmt.Sprint(s.ID("SELECT id FROM departments WHERE name = '観光課'"))}
	m := url.Values{"title": {"委託先のクラウド共有設定の変更は区の承認を要することとし、月次で設定を報告させる"}, "owner": {fmt.Sprint(owner)},
		"due": {"2027-01-29"}, "check_on": {"2026-12-01"}, "indicator": {"設定報告の提出"}, "domain": {"outsourcing"}, "rollout": roll}
	admin.Post(base+"/measures", m).Want(http.StatusUnprocessableEntity, "効果確認の日は、期限より後")
	m.Set("check_on", "2027-03-31")
	admin.Post(base+"/measures", m).Redirects(base)
	if got := s.Count("SELECT COUNT(*) FROM improvement_actions WHERE source_module = 'incident' AND source_ref LIKE '2026-IN-004/outsourcing/%'"); got != 3 {
		t.Fatalf("register actions for the measure and its 横展開: %d, want 3", got)
	}
	admin.Get(base).Want(http.StatusOK, "文化スポーツ課", "観光課", "未着手")

	// The demo's 誤送付 measure is cited in the e-learning's misdelivery lessons.
	priv := s.ID("SELECT id FROM learning_courses WHERE code = 'PRIV'")
	lesson := s.ID("SELECT MIN(id) FROM learning_lessons WHERE course_id = ? AND domains LIKE '%misdelivery%'", priv)
	admin.Get(fmt.Sprintf("/learning/courses/%d/lessons/%d?variant=general", priv, lesson)).Want(http.StatusOK, "区で起きた事例から", "封入封緘は二人で照合し").
		Lacks("税務課")

	// A site visit's photo: encrypted at rest, whole on download.
	visit := s.ID("SELECT MIN(id) FROM incident_visits WHERE incident_id = ?", id)
	photo := append([]byte("\x89PNG\r\n\x1a\n"), []byte(strings.Repeat("site-photo ", 200))...)
	admin.Upload(base+"/evidence", url.Values{"visit": {fmt.Sprint(visit)}, "note": {"共有設定の画面"}}, "file", "共有設定.png", photo).Redirects(base)
	ev := s.ID("SELECT MAX(id) FROM incident_evidence WHERE incident_id = ?", id)
	_, stored, err := s.Deps().Blobs.Get(t.Context(), s.ID("SELECT blob_id FROM incident_evidence WHERE id = ?", ev))
	if err != nil || len(stored) == 0 || strings.Contains(string(stored), "site-photo") {
		t.Fatalf("the photo is not stored encrypted (%v)", err)
	}
	got := admin.Download(fmt.Sprintf("%s/evidence/%d", base, ev), "image/png")
	if string(got) != string(photo) {
		t.Fatal("the photo does not come back whole")
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = ?", fmt.Sprintf("incident:%d", id)) != 1 {
		t.Error("the download is not audited")
	}
	admin.Post(fmt.Sprintf("%s/evidence/%d/custody", base, ev), url.Values{"at": {"2026-12-02T10:00"}, "from": {"CSIRT 山本"}, "to": {"警視庁 生活安全課"}}).Redirects(base)
	admin.Get(base).Want(http.StatusOK, "CSIRT 山本 → 警視庁 生活安全課", "共有設定.png")
	// Another incident's evidence through this incident's path: not found.
	other := s.ID("SELECT id FROM incidents WHERE category = '誤送付'")
	admin.Get(fmt.Sprintf("/incident/%d/evidence/%d", other, ev)).Want(http.StatusNotFound)
	s.As("auditee").Post(base+"/whys", url.Values{"statement": {"x"}, "viewpoint": {"other"}}).Want(http.StatusForbidden)
}

// TestIncidentDocuments: the 再発防止レポート, the commission's nine items
// and the annual summary come out as PDF (text checked) and Office files,
// audited; an auditee gets their own department's report, not the press
// draft.
func TestIncidentDocuments(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	admin := s.As("admin")
	id := s.ID("SELECT id FROM incidents WHERE category = '誤送付' AND fiscal_year = 2026")
	pdf := testkit.PDFBytesText(t, admin.Download(fmt.Sprintf("/incident/%d/report?format=pdf", id), "application/pdf"))
	for _, want := range []string{"再発防止レポート", "経過", "原因分析", "根本原因", "再発防止策と横展開", "国保年金課", "臨場での確認と助言", "報告・通知と公表", "CISO"} {
		if !strings.Contains(squash(pdf), squash(want)) {
			t.Errorf("report PDF lacks %q", want)
		}
	}
	ppc := squash(testkit.PDFBytesText(t, admin.Download(fmt.Sprintf("/incident/%d/commission?format=pdf", id), "application/pdf")))
	for _, want := range []string{"1概要", "2漏えい等", "3漏えい等", "4原因", "5二次被害", "6本人への対応", "7公表の実施状況", "8再発防止のための措置", "9その他参考となる事項", "120人"} {
		if !strings.Contains(ppc, want) {
			t.Errorf("commission report lacks %q", want)
		}
	}
	dir := t.TempDir()
	docx := filepath.Join(dir, "report.docx")
	if err := os.WriteFile(docx, admin.Download(fmt.Sprintf("/incident/%d/report?format=docx", id), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"), 0o644); err != nil {
		t.Fatal(err)
	}
	admin.Download(fmt.Sprintf("/incident/%d/press?format=docx", id), "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
	annual := squash(testkit.PDFBytesText(t, admin.Download("/incident/annual?format=pdf&year=2026", "application/pdf")))
	for _, want := range []string{"年間総括", "5件", "令和7年度", "期限内に行った割合", "種類別の件数"} {
		if !strings.Contains(annual, squash(want)) {
			t.Errorf("annual summary lacks %q", want)
		}
	}
	xlsx := filepath.Join(dir, "annual.xlsx")
	if err := os.WriteFile(xlsx, admin.Download("/incident/annual?format=xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Office software opens both (converted to PDF by LibreOffice, whose text still says what ours does).
	outs := testkit.ConvertAll(t, []string{docx, xlsx}, "pdf")
	if !strings.Contains(squash(testkit.PDFText(t, outs[0])), "再発防止策と横展開") || !strings.Contains(squash(testkit.PDFText(t, outs[1])), "2026-IN-001") {
		t.Error("LibreOffice's rendering of the DOCX or XLSX lacks their content")
	}
	admin.Get("/incident/annual?format=exe").Want(http.StatusBadRequest)
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND (target = ? OR target = 'incident_annual')", fmt.Sprintf("incident:%d", id)) < 5 {
		t.Error("the downloads are not all audited")
	}
	auditee := s.As("auditee")
	own := s.ID("SELECT i.id FROM incidents i JOIN departments d ON d.id = i.lead_department_id WHERE d.name = '戸籍住民課' AND i.fiscal_year = 2026")
	auditee.Download(fmt.Sprintf("/incident/%d/report?format=pdf", own), "application/pdf")
	auditee.Get(fmt.Sprintf("/incident/%d/report?format=pdf", id)).Want(http.StatusNotFound)
	auditee.Get(fmt.Sprintf("/incident/%d/press?format=docx", own)).Want(http.StatusForbidden)
}

// TestServicesAndTasks: a stopped citizen service whose restart is before
// its stop is refused; a task done twice (a replay) is refused the second
// time; the annual summary adds the outage.
func TestServicesAndTasks(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	admin := s.As("admin")
	id := s.ID("SELECT id FROM incidents WHERE category = 'マルウェア' AND fiscal_year = 2026")
	base := fmt.Sprintf("/incident/%d", id)
	admin.Get(base).Want(http.StatusOK, "介護保険の相談受付", "7.2 時間", "紙の受付票", "完了</span> 感染した端末の記憶装置")
	admin.Post(base+"/services", url.Values{"service": {"電子申請"}, "from": {"2026-12-01T10:00"}, "to": {"2026-12-01T09:00"}}).
		Want(http.StatusUnprocessableEntity, "再開した日時が、停止した日時より前")
	admin.Post(base+"/services", url.Values{"service": {"電子申請（介護保険）"}, "from": {"2026-12-01T10:00"}, "to": {"2026-12-01T12:00"}, "residents": {"3"}}).Redirects(base)
	admin.Post(base+"/tasks", url.Values{"title": {"x"}, "owner": {"y"}}).Want(http.StatusUnprocessableEntity, "作業の期限を入力してください")
	admin.Post(base+"/tasks", url.Values{"title": {"端末の再構築"}, "owner": {"情報政策課"}, "due": {"2026-12-20"}}).Redirects(base)
	task := s.ID("SELECT MAX(id) FROM incident_tasks WHERE incident_id = ?", id)
	admin.Post(fmt.Sprintf("%s/tasks/%d/done", base, task), url.Values{}).Redirects(base)
	admin.Post(fmt.Sprintf("%s/tasks/%d/done", base, task), url.Values{}).Want(http.StatusUnprocessableEntity, "すでに完了")
	other := s.ID("SELECT id FROM incidents WHERE category = '誤送付' AND fiscal_year = 2026")
	admin.Post(fmt.Sprintf("/incident/%d/tasks/%d/done", other, task), url.Values{}).Want(http.StatusUnprocessableEntity, "このインシデントの作業ではありません")
	annual := squash(testkit.PDFBytesText(t, admin.Download("/incident/annual?format=pdf&year=2026", "application/pdf")))
	if !strings.Contains(annual, squash("区民サービスの停止時間")) || !strings.Contains(annual, "17人") {
		t.Error("the annual summary lacks the outage")
	}
}

// TestCorrections: a why with answers under it is refused, a leaf goes; a
// measure nobody started on is withdrawn with its 横展開 actions; one the
// owner has worked on in the register is kept; a timeline line of another
// incident is refused.
func TestCorrections(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	admin := s.As("admin")
	id := s.ID("SELECT id FROM incidents WHERE category = '誤送信' AND fiscal_year = 2026")
	base := fmt.Sprintf("/incident/%d", id)
	top := s.ID("SELECT MIN(id) FROM incident_whys WHERE incident_id = ?", id)
	admin.Post(base+"/whys/remove", url.Values{"why": {fmt.Sprint(top)}}).Want(http.StatusUnprocessableEntity, "下に答えがあります")
	leaf := s.ID("SELECT MAX(id) FROM incident_whys WHERE incident_id = ?", id)
	admin.Post(base+"/whys/remove", url.Values{"why": {fmt.Sprint(leaf)}}).Want(http.StatusUnprocessableEntity, "再発防止策に結び付いています")
	m := s.ID("SELECT id FROM incident_measures WHERE incident_id = ?", id)
	if s.Count("SELECT COUNT(*) FROM improvement_actions WHERE source_module = 'incident' AND source_ref LIKE '2026-IN-002/%'") != 3 {
		t.Fatal("the demo measure's register actions are not three")
	}
	admin.Post(base+"/measures/withdraw", url.Values{"measure": {fmt.Sprint(m)}}).Redirects(base)
	if s.Count("SELECT COUNT(*) FROM improvement_actions WHERE source_module = 'incident' AND source_ref LIKE '2026-IN-002/%'") != 0 ||
		s.Count("SELECT COUNT(*) FROM incident_measures WHERE id = ?", m) != 0 {
		t.Fatal("the withdrawn measure or its register actions remain")
	}
	admin.Post(base+"/whys/remove", url.Values{"why": {fmt.Sprint(leaf)}}).Redirects(base)
	// A measure its owner has started on is kept.
	tax := s.ID("SELECT id FROM incidents WHERE category = '誤送付' AND fiscal_year = 2026")
	tm := s.ID("SELECT MIN(id) FROM incident_measures WHERE incident_id = ?", tax)
	action := s.ID("SELECT id FROM improvement_actions WHERE source_module = 'incident' AND source_ref = '2026-IN-001/misdelivery/1'")
	if err := improve.NewStore(s.Deps()).SetStatus(t.Context(), action, improve.StatusInProgress, "仕様書の改定に着手",
		improve.Actor{UserID: s.ID("SELECT id FROM users WHERE login = 'admin'"), Name: "admin", Role: web.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	admin.Post(fmt.Sprintf("/incident/%d/measures/withdraw", tax), url.Values{"measure": {fmt.Sprint(tm)}}).Want(http.StatusUnprocessableEntity, "対応を始めているため")
	if s.Count("SELECT COUNT(*) FROM incident_measures WHERE id = ?", tm) != 1 || s.Count("SELECT COUNT(*) FROM improvement_actions WHERE source_ref LIKE '2026-IN-001/misdelivery/1%'") != 3 {
		t.Fatal("a measure worked on was withdrawn (or some of its register actions)")
	}
	ev := s.ID("SELECT MIN(id) FROM incident_events WHERE incident_id = ?", tax)
	admin.Post(base+"/events/remove", url.Values{"event": {fmt.Sprint(ev)}}).Want(http.StatusUnprocessableEntity, "この経過はこのインシデントにありません")
	own := s.ID("SELECT MIN(id) FROM incident_events WHERE incident_id = ?", id)
	admin.Post(base+"/events/remove", url.Values{"event": {fmt.Sprint(own)}}).Redirects(base)
}
