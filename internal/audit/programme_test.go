package audit_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"mamori/internal/audit"
	"mamori/internal/jp"
	"mamori/internal/webtest"
)

// The year's audit programme (issue 11): the list and its scope per role,
// filters, export, calendar, the engagement form, the overview, the phase
// control and 「前年度の計画を複写」. The demo ward's programme: 13 internal
// audits (the auditor of 総務課 leads the odd ones, IA-01 of 戸籍住民課
// among them), an external My Number audit and two system audits (SA-01
// of 戸籍住民課's 住民記録システム); the auditee works in 戸籍住民課.

func programmeStore(t *testing.T, s *webtest.Server) *audit.Store {
	t.Helper()
	for _, m := range s.Modules {
		if am, ok := m.(*audit.Module); ok {
			return am.Store()
		}
	}
	t.Fatal("no audit module")
	return nil
}

func engagementID(s *webtest.Server, code string) int64 {
	return s.ID("SELECT id FROM audit_engagements WHERE code = ?", code)
}

var countRe = regexp.MustCompile(`(\d+) 件中`)

// listTotal is the 「N 件中」 of a list page (0 when it shows none).
func listTotal(t *testing.T, r *webtest.Response) int {
	t.Helper()
	m := countRe.FindStringSubmatch(r.Body)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestProgrammeGuidanceLoads(t *testing.T) {
	by, err := audit.LoadGuidance()
	if err != nil {
		t.Fatal(err)
	}
	if g := by["auditee"][audit.PhasePresurvey]; !strings.Contains(g.Text, "事前調査票") || len(g.Links) == 0 {
		t.Errorf("auditee presurvey guidance: %+v", g)
	}
}

func TestProgrammeListScope(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	// The list shows the working year (the demo also holds two finished years before it).
	all := s.Count("SELECT COUNT(*) FROM audit_engagements WHERE fiscal_year = (SELECT MAX(fiscal_year) FROM audit_engagements)")
	admin := s.As("admin").Get("/audit").Want(http.StatusOK, "2026-IA-01", "2026-IA-02", "2026-EM-01", "2026-SA-02", "監査を登録", "カレンダーで見る")
	if n := listTotal(t, admin); n != all {
		t.Errorf("admin sees %d of %d engagements", n, all)
	}
	viewer := s.As("viewer").Get("/audit").Want(http.StatusOK, "2026-IA-02").Lacks("監査を登録")
	if n := listTotal(t, viewer); n != all {
		t.Errorf("viewer sees %d of %d engagements", n, all)
	}

	// An engagement of the auditor's own department, with the auditor on
	// its team (a system audit allows it): the auditor never sees it.
	gen := s.ID("SELECT id FROM departments WHERE name = '総務課'")
	form := url.Values{"fiscal_year": {"2026"}, "kind": {"system"}, "title": {"財務会計システムの監査"}, "system": {"財務会計システム"},
		"hosting": {"datacenter"}, "target_department": {fmt.Sprint(gen)}, "target_date": {"2027-02-16"}, "target_time": {"10:00～12:00"},
		"member_user": {fmt.Sprint(s.ID("SELECT id FROM users WHERE login = 'consultant'")), fmt.Sprint(s.ID("SELECT id FROM users WHERE login = 'auditor'"))},
		"member_role": {"lead", "member"}}
	s.As("admin").Post("/audit", form).Redirects("/audit/")
	own := s.ID("SELECT id FROM audit_engagements WHERE title = '財務会計システムの監査'")

	mine := s.Count(`SELECT COUNT(*) FROM audit_engagements e WHERE e.id <> ? AND e.fiscal_year = (SELECT MAX(fiscal_year) FROM audit_engagements) AND EXISTS (SELECT 1 FROM audit_engagement_members m
		JOIN users u ON u.id = m.user_id WHERE m.engagement_id = e.id AND u.login = 'auditor')`, own)
	au := s.As("auditor")
	r := au.Get("/audit").Want(http.StatusOK, "2026-IA-01", "2026-IA-03", "担当する監査").Lacks("2026-IA-02", "2026-EM-01", "財務会計システム", "監査を登録")
	if n := listTotal(t, r); n != mine || mine < 5 {
		t.Errorf("auditor sees %d engagements, want their %d", n, mine)
	}
	au.Get(fmt.Sprintf("/audit/%d", own)).Want(http.StatusNotFound)
	au.Get(fmt.Sprintf("/audit/%d", engagementID(s, "2026-IA-02"))).Want(http.StatusNotFound)
	csv := au.Download("/audit/export?format=csv-utf8", "text/csv")
	if !bytes.Contains(csv, []byte("2026-IA-01")) || bytes.Contains(csv, []byte("2026-IA-02")) || bytes.Contains(csv, []byte("財務会計")) {
		t.Errorf("auditor's export holds other engagements:\n%s", csv)
	}

	// The auditee: the engagements auditing 戸籍住民課 only, without the
	// judged share; another department in the filter is refused.
	ae := s.As("auditee")
	r = ae.Get("/audit").Want(http.StatusOK, "2026-IA-01", "2026-SA-01", "自所属を対象とする監査").Lacks("2026-IA-02", "2026-EM-01", "項目（")
	if n := listTotal(t, r); n != 2 {
		t.Errorf("auditee sees %d engagements, want 2", n)
	}
	tax := s.ID("SELECT id FROM departments WHERE name = '税務課'")
	ae.Get(fmt.Sprintf("/audit?department=%d", tax)).Want(http.StatusOK, "監査対象の所属（配下を含む）の指定が正しくありません").Lacks("2026-IA-02")
	ae.Get(fmt.Sprintf("/audit/export?format=csv&department=%d", tax)).Want(http.StatusBadRequest, "監査対象の所属（配下を含む）の指定が正しくありません")
	ae.Get(fmt.Sprintf("/audit/%d", engagementID(s, "2026-IA-02"))).Want(http.StatusNotFound)
	ae.Get("/audit/calendar").Want(http.StatusOK, "2026-SA-01").Lacks("2026-IA-02")

	// Staff and vendors have no programme.
	for _, who := range []string{"staff", "vendor"} {
		s.As(who).Get("/audit").Want(http.StatusForbidden)
		s.As(who).Get("/audit/calendar").Want(http.StatusForbidden)
		s.As(who).Get(fmt.Sprintf("/audit/%d", engagementID(s, "2026-IA-01"))).Want(http.StatusForbidden)
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'access.denied' AND target LIKE '%audit.engagement%'") < 3 {
		t.Error("object denials of engagements are not audited")
	}
}

func TestProgrammeFiltersAndExport(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	c := s.As("consultant")
	r := c.Get("/audit?kind=system").Want(http.StatusOK, "2026-SA-01", "2026-SA-02").Lacks("2026-IA-01", "2026-EM-01")
	if n := listTotal(t, r); n != 2 {
		t.Errorf("kind=system: %d rows", n)
	}
	report := s.Count("SELECT COUNT(*) FROM audit_engagements WHERE phase = 'report'")
	if n := listTotal(t, c.Get("/audit?phase=report").Want(http.StatusOK)); n != report {
		t.Errorf("phase=report: %d rows, want %d", n, report)
	}
	// Search folds widths: a full-width code finds the engagement.
	c.Get("/audit?q="+url.QueryEscape("２０２６－ＳＡ－０１")).Want(http.StatusOK, "2026-SA-01").Lacks("2026-SA-02", "2026-IA-01")
	c.Get("/audit?q="+url.QueryEscape("住民記録")).Want(http.StatusOK, "2026-SA-01").Lacks("2026-IA-03")
	// The department filter covers the sub-tree; the year written out is
	// the default year.
	koseki := s.ID("SELECT id FROM departments WHERE name = '戸籍住民課'")
	c.Get(fmt.Sprintf("/audit?department=%d&year=%s", koseki, url.QueryEscape(jp.FiscalYearLabel(jp.FiscalYearOf(time.Now()))))).
		Want(http.StatusOK, "2026-IA-01", "2026-SA-01").Lacks("2026-IA-02")

	// 期限超過のみ: exactly the engagements with an overdue step now.
	es, _, err := programmeStore(t, s).Engagements(t.Context(), audit.EngagementFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var overdue, onTime []string
	for _, e := range es {
		if len(e.Overdue(time.Now())) > 0 {
			overdue = append(overdue, e.Code)
		} else {
			onTime = append(onTime, e.Code)
		}
	}
	r = c.Get("/audit?overdue=1").Want(http.StatusOK, overdue...)
	for _, code := range onTime {
		if strings.Contains(r.Body, ">"+code+"<") {
			t.Errorf("overdue list shows %s, which has no overdue step", code)
		}
	}
	if n := listTotal(t, r); n != len(overdue) {
		t.Errorf("overdue: %d rows, want %d", n, len(overdue))
	}

	// Bad values are refused beside their fields; the list still shows.
	c.Get("/audit?year=abc&kind=meteor&phase=x&sort=nope").Want(http.StatusOK, "年度の指定が正しくありません", "種類の指定が正しくありません",
		"工程の指定が正しくありません", "並べ替えの指定が正しくありません", "2026-IA-01")
	c.Get("/audit/export?format=xlsx&kind=meteor").Want(http.StatusBadRequest, "種類の指定が正しくありません")
	c.Get("/audit/export?format=pdf").Want(http.StatusBadRequest, "出力形式")
	// A year without engagements is empty and offers the copy.
	next := jp.FiscalYearOf(time.Now()) + 1
	c.Get(fmt.Sprintf("/audit?year=%d", next)).Want(http.StatusOK, "前年度の計画を複写", "監査はまだ登録されていません")

	// The export: Shift_JIS CSV and XLSX with the rows of the list.
	b := c.Download("/audit/export?format=csv&kind=internal", "text/csv; charset=Shift_JIS")
	recs, enc, err := jp.ReadCSV(b)
	if err != nil || enc != jp.ShiftJIS {
		t.Fatalf("CSV: %v %v", enc, err)
	}
	internal := s.Count("SELECT COUNT(*) FROM audit_engagements WHERE kind = 'internal' AND fiscal_year = (SELECT MAX(fiscal_year) FROM audit_engagements)")
	if len(recs) != internal+1 || recs[0][0] != "コード" || recs[1][0] != "2026-IA-01" || recs[1][10] == "" {
		t.Fatalf("CSV: %d records, first %v", len(recs), recs[:min(2, len(recs))])
	}
	x := c.Download("/audit/export?format=xlsx&sort=visit&dir=desc", "application/vnd.openxmlformats")
	f, err := excelize.OpenReader(bytes.NewReader(x))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows(f.GetSheetName(0))
	// The list shows the working year (the demo also holds two finished years before it).
	all := s.Count("SELECT COUNT(*) FROM audit_engagements WHERE fiscal_year = (SELECT MAX(fiscal_year) FROM audit_engagements)")
	if len(rows) != all+1 || rows[0][6] != "実地監査日" || rows[1][0] != "2026-IA-13" {
		t.Errorf("XLSX: %d rows, header %v, first %v", len(rows), rows[0], rows[min(1, len(rows)-1)])
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target LIKE 'fiscal_year:%' AND detail LIKE '監査計画%'"); n != 2 {
		t.Errorf("exports audited %d times, want 2", n)
	}
}

func TestProgrammeCreateRefusesBadInputAndCreates(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	c := s.As("admin")
	c.Get("/audit/new?kind=system").Want(http.StatusOK, `<option value="system" selected>`, "重点とする脅威", "立会い（支援事業者）")
	before := s.Count("SELECT COUNT(*) FROM audit_engagements")
	logs := s.Count("SELECT COUNT(*) FROM audit_log")
	koseki := s.ID("SELECT id FROM departments WHERE name = '戸籍住民課'")
	auditor := s.ID("SELECT id FROM users WHERE login = 'auditor'")
	bad := url.Values{"fiscal_year": {"2026"}, "kind": {"system"}, "title": {""}, "system": {""}, "vendors": {"株式会社ひので情報サービス"},
		"target_department": {fmt.Sprint(koseki), ""}, "target_date": {"2026-13-45", "2026-12-01"}, "target_time": {"10:00～12:00", ""},
		"member_user": {fmt.Sprint(auditor)}, "member_role": {"witness"}, "due_report": {"来週"}, "threat": {"ransomware"}}
	c.Post("/audit", bad).Want(http.StatusBadRequest, "保存していません", "監査の名称を入力してください", "対象のシステム名を入力してください",
		"実地監査日「2026-13-45」は日付として読めません", "監査対象の2行目：所属を選んでください", "立会いは支援事業者の利用者にしてください",
		"「報告」の期限「来週」は日付として読めません",
		// What was typed is kept.
		"株式会社ひので情報サービス", `value="10:00～12:00"`, `value="ransomware" checked`)
	if after := s.Count("SELECT COUNT(*) FROM audit_engagements"); after != before {
		t.Fatalf("a refused form created %d engagements", after-before)
	}
	if s.Count("SELECT COUNT(*) FROM audit_log") != logs {
		t.Error("a refused form wrote to the audit log")
	}
	// An internal auditor never audits their own department.
	gen := s.ID("SELECT id FROM departments WHERE name = '総務課'")
	c.Post("/audit", url.Values{"fiscal_year": {"2026"}, "kind": {"internal"}, "title": {"総務課の内部監査"}, "target_department": {fmt.Sprint(gen)},
		"member_user": {fmt.Sprint(auditor)}, "member_role": {"lead"}}).Want(http.StatusBadRequest, "独立性")

	good := url.Values{"fiscal_year": {"令和8年度"}, "kind": {"internal"}, "title": {"令和8年度 情報セキュリティ内部監査（追加）"},
		"target_department": {fmt.Sprint(koseki)}, "target_date": {"令和9年2月18日"}, "target_time": {"13:30～16:30"},
		"member_user": {fmt.Sprint(auditor), fmt.Sprint(s.ID("SELECT id FROM users WHERE login = 'consultant'"))}, "member_role": {"lead", "witness"},
		"due_plan": {"2027-01-10"}, "due_fieldwork": {"2027-02-18"}, "threat": {"careless_leak"}}
	r := c.Post("/audit", good).Redirects("/audit/")
	id := strings.TrimPrefix(r.Header.Get("Location"), "/audit/")
	c.Get("/audit/"+id).Want(http.StatusOK, "を登録しました", "令和9年2月18日", "不注意による漏えい", "監査責任者", "令和9年1月10日")
	if n := s.Count("SELECT COUNT(*) FROM audit_items WHERE engagement_id = ?", id); n < 10 {
		t.Errorf("the new engagement's checklist has %d items", n)
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.engagement_create' AND target = ?", "audit_engagement:"+id) != 1 {
		t.Error("creation not audited")
	}
	s.As("auditor").Post("/audit", good).Want(http.StatusForbidden)
	s.As("auditor").Get("/audit/new").Want(http.StatusForbidden)
}

var revRe = regexp.MustCompile(`name="rev" value="(\d+)"`)

func TestProgrammeEditConflict(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	id := engagementID(s, "2026-EM-01")
	path := fmt.Sprintf("/audit/%d", id)
	a, b := s.As("admin"), s.As("consultant")
	edit := a.Get(path+"/edit").Want(http.StatusOK, "個人住民税", "税務課", "区民課")
	m := revRe.FindStringSubmatch(edit.Body)
	if m == nil {
		t.Fatal("no rev in the edit form")
	}
	e, err := programmeStore(t, s).Engagement(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"rev": {m[1]}, "title": {e.Title + "（日程変更）"}, "business": {e.Business}, "mynumber": {"1"}}
	for _, tg := range e.Targets {
		form.Add("target_department", fmt.Sprint(tg.DepartmentID))
		form.Add("target_date", jp.DateKey(tg.VisitDate.AddDate(0, 0, 7)))
		form.Add("target_time", tg.VisitTime)
	}
	for _, mb := range e.Members {
		form.Add("member_user", fmt.Sprint(mb.UserID))
		form.Add("member_role", mb.Role)
	}
	b.Post(path, form).Redirects(path)
	// The admin saves with the rev they read: refused, their text kept.
	form.Del("csrf_token")
	form.Set("title", "管理者の変更")
	r := a.Post(path, form).Want(http.StatusConflict, "保存していません", "他の人が先に更新しました", `value="管理者の変更"`)
	if m2 := revRe.FindStringSubmatch(r.Body); m2 == nil || m2[1] == m[1] {
		t.Errorf("the conflict form keeps the stale rev %v", m2)
	}
	var title string
	if err := s.DB.QueryRow(t.Context(), "SELECT title FROM audit_engagements WHERE id = ?", id).Scan(&title); err != nil || !strings.HasSuffix(title, "（日程変更）") {
		t.Errorf("stored title %q %v", title, err)
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.engagement_update' AND target = ?", fmt.Sprintf("audit_engagement:%d", id)) != 1 {
		t.Error("want exactly one audited update")
	}
	// A bad date in the edit is refused with the row named.
	form.Set("rev", revRe.FindStringSubmatch(r.Body)[1])
	form.Del("csrf_token")
	form["target_date"][0] = "2026/02/30"
	a.Post(path, form).Want(http.StatusBadRequest, "監査対象の1行目", "日付として読めません")
	a.Post(path, url.Values{"title": {"x"}}).Want(http.StatusBadRequest, "rev")
}

func TestProgrammePhaseControl(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	id := engagementID(s, "2026-IA-03") // the auditor leads it; in 報告
	path := fmt.Sprintf("/audit/%d", id)
	lead := s.As("auditor")
	lead.Get(path).Want(http.StatusOK, "「フォローアップ」へ進める", "「実施」へ戻す", "次に行うこと", "監査報告書を作成する").Lacks("対象・チーム・日程を編集")
	lead.Post(path+"/phase", url.Values{"from": {"report"}, "to": {"done"}}).Want(http.StatusBadRequest, "工程は一つずつ")
	lead.Post(path+"/phase", url.Values{"from": {"report"}, "to": {"followup"}}).Redirects(path)
	lead.Get(path).Want(http.StatusOK, "工程を「報告」から「フォローアップ」へ進めました")
	// A replay of the same form changes nothing.
	lead.Post(path+"/phase", url.Values{"from": {"report"}, "to": {"followup"}}).Redirects(path)
	lead.Get(path).Want(http.StatusOK, "工程は変更していません")
	var phase, done string
	if err := s.DB.QueryRow(t.Context(), "SELECT e.phase, s.done_at FROM audit_engagements e JOIN audit_engagement_steps s ON s.engagement_id = e.id AND s.phase = 'report' WHERE e.id = ?", id).
		Scan(&phase, &done); err != nil || phase != "followup" || done == "" {
		t.Fatalf("phase %q, report done %q, %v", phase, done, err)
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.engagement_phase' AND target = ?", fmt.Sprintf("audit_engagement:%d", id)); n != 1 {
		t.Errorf("phase changes audited %d times, want 1", n)
	}
	// Back again: the consultant (a manager) may.
	s.As("consultant").Post(path+"/phase", url.Values{"from": {"followup"}, "to": {"report"}}).Redirects(path)
	if s.Count("SELECT COUNT(*) FROM audit_engagement_steps WHERE engagement_id = ? AND phase = 'report' AND done_at = ''", id) != 1 {
		t.Error("going back did not reopen 報告")
	}
	// Others: not the auditor's engagement (404), not an auditee's action (403).
	other := fmt.Sprintf("/audit/%d/phase", engagementID(s, "2026-IA-02"))
	lead.Post(other, url.Values{"from": {"followup"}, "to": {"done"}}).Want(http.StatusNotFound)
	s.As("auditee").Post(fmt.Sprintf("/audit/%d/phase", engagementID(s, "2026-IA-01")), url.Values{"from": {"followup"}, "to": {"done"}}).
		Want(http.StatusForbidden)
}

func TestProgrammeOverviewPerRole(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	path := fmt.Sprintf("/audit/%d", engagementID(s, "2026-IA-01")) // 戸籍住民課, フォローアップ
	s.As("admin").Get(path).Want(http.StatusOK, "工程と期限", "監査対象と実地監査の日時", "判定済み", "対象・チーム・日程を編集", "改善の状況を確認する",
		"区民部 戸籍住民課")
	s.As("auditee").Get(path).Want(http.StatusOK, "次に行うこと", "改善計画（対応内容・担当・期限）を入力", "工程と期限").
		Lacks("判定済み", "へ進める", "対象・チーム・日程を編集", "チェックリスト</dt>")
	s.As("viewer").Get(path).Want(http.StatusOK, "被監査所属が改善に取り組んでいます", "監査チーム").Lacks("へ進める", "対象・チーム・日程を編集")
	s.As("viewer").Get(path + "/edit").Want(http.StatusForbidden)
	s.As("auditor").Get(path + "/edit").Want(http.StatusForbidden)
}

func TestProgrammeCalendar(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	fy := jp.FiscalYearOf(time.Now())
	r := s.As("consultant").Get("/audit/calendar").Want(http.StatusOK, "2026-IA-01", "2026-EM-01", "実地監査（戸籍住民課", "月ごとの予定",
		jp.FiscalYearLabel(fy))
	if strings.Index(r.Body, ">4月<") > strings.Index(r.Body, ">3月<") {
		t.Error("the calendar does not run from April to March")
	}
	s.As("consultant").Get("/audit/calendar?year=all").Want(http.StatusOK, "カレンダーは年度を一つ選んで表示します")
	s.As("auditor").Get("/audit/calendar?kind=internal").Want(http.StatusOK, "2026-IA-01").Lacks("2026-IA-02", "2026-SA-01")
}

func TestProgrammeCopyYear(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	from := s.ID("SELECT MAX(fiscal_year) FROM audit_engagements")
	to := from + 1
	n := s.Count("SELECT COUNT(*) FROM audit_engagements WHERE fiscal_year = ?", from)
	src := engagementID(s, fmt.Sprintf("%d-IA-01", from))
	// Last year's judgements of one engagement, to be carried.
	if _, err := s.DB.Exec(t.Context(), "UPDATE audit_items SET judgement = 'partial', notes = '台帳の更新漏れ' WHERE engagement_id = ? AND sort_order <= 3", src); err != nil {
		t.Fatal(err)
	}
	c := s.As("admin")
	c.Get(fmt.Sprintf("/audit/copy-year?to=%d", to)).Want(http.StatusOK, fmt.Sprintf("%d 件を複写する", n), jp.FiscalYearLabel(int(from)))
	c.Get("/audit/copy-year?to=abc").Want(http.StatusBadRequest, "複写先の年度")
	// A count that no longer matches the confirmation is refused.
	c.Post("/audit/copy-year", url.Values{"to": {fmt.Sprint(to)}, "count": {"3"}}).Want(http.StatusConflict, "件数が変わりました")
	if s.Count("SELECT COUNT(*) FROM audit_engagements WHERE fiscal_year = ?", to) != 0 {
		t.Fatal("a refused copy created engagements")
	}
	c.Post("/audit/copy-year", url.Values{"to": {fmt.Sprint(to)}, "count": {fmt.Sprint(n)}}).Redirects(fmt.Sprintf("/audit?year=%d", to))
	if got := s.Count("SELECT COUNT(*) FROM audit_engagements WHERE fiscal_year = ?", to); got != n {
		t.Fatalf("copied %d engagements, want %d", got, n)
	}
	if k := s.Count("SELECT COUNT(*) FROM audit_engagements WHERE fiscal_year = ? AND phase <> 'plan'", to); k != 0 {
		t.Errorf("%d copies not reset to 計画", k)
	}
	if k := s.Count("SELECT COUNT(*) FROM audit_engagement_steps st JOIN audit_engagements e ON e.id = st.engagement_id WHERE e.fiscal_year = ? AND st.done_at <> ''", to); k != 0 {
		t.Errorf("%d steps of the copies are marked done", k)
	}
	dst := s.ID("SELECT id FROM audit_engagements WHERE copied_from = ?", src)
	if k := s.Count("SELECT COUNT(*) FROM audit_items WHERE engagement_id = ? AND prev_judgement = 'partial' AND prev_notes = '台帳の更新漏れ' AND judgement = ''", dst); k != 3 {
		t.Errorf("%d items carry last year's judgement, want 3", k)
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.programme_copy'") != 1 {
		t.Error("copy not audited")
	}
	c.Get(fmt.Sprintf("/audit?year=%d", to)).Want(http.StatusOK, "から "+fmt.Sprint(n)+" 件を", fmt.Sprintf("%d-IA-01", to)).Lacks("前年度の計画を複写（")
	// Nothing is left to copy; the same request again copies nothing.
	c.Get(fmt.Sprintf("/audit/copy-year?to=%d", to)).Want(http.StatusOK, "すべて").Lacks("件を複写する</button>")
	c.Post("/audit/copy-year", url.Values{"to": {fmt.Sprint(to)}, "count": {fmt.Sprint(n)}}).Want(http.StatusConflict)
	s.As("auditor").Post("/audit/copy-year", url.Values{"to": {fmt.Sprint(to)}, "count": {"0"}}).Want(http.StatusForbidden)
}
