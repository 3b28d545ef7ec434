package program_test

import (
	"encoding/json"
	"fmt"
	"mamori/internal/testkit"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"mamori/internal/jp"
	"mamori/internal/program"
	"mamori/internal/webtest"
)

var revRe = regexp.MustCompile(`name="rev" value="(\d+)"`)

// TestSchedule runs the year's schedule on both databases: the demo's
// tasks from every module and the programme's own, the late re-planned
// revision flagged with its reason and baseline, the Gantt chart; a new
// task refused when it ends before it starts or lies outside the year;
// re-planning refused without a reason and kept with one; the viewer reads
// without the links into modules it may not open; staff may not come in.
func TestSchedule(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
		admin, viewer, staff := s.As("consultant"), s.As("viewer"), s.As("staff")
		fy := s.Org.CurrentFiscalYear(t.Context())
		page := admin.Get("/program").Want(http.StatusOK, "遅延・要注意", "改訂案（見え消し版）・新旧対照表の作成", "日過ぎています",
			"技術的検証（住民記録システム）", "自己点検", "<svg", "第1回 定例会", "再計画")
		if !strings.Contains(page.Body, `href="/scan/`) {
			t.Error("the consultant's schedule does not link to the technical verification")
		}
		v := viewer.Get("/program").Want(http.StatusOK, "技術的検証（住民記録システム）")
		if strings.Contains(v.Body, `href="/scan/`) {
			t.Error("the viewer's schedule links to pages the viewer may not open")
		}
		staff.Get("/program").Want(http.StatusForbidden)
		staff.Get("/program/work-plan?format=pdf").Want(http.StatusForbidden)
		viewer.Download("/program/work-plan?format=docx", "application/vnd.openxmlformats")
		viewer.Post("/program/tasks", url.Values{"title": {"x"}}).Want(http.StatusForbidden)

		// A new task: refused, then kept.
		year := jp.FiscalYearStart(fy)
		form := url.Values{"year": {fmt.Sprint(fy)}, "title": {"監査結果報告会の資料作成"}, "workstream": {"1"}, "owner": {"支援事業者"},
			"start": {jp.DateKey(year.AddDate(0, 10, 0))}, "end": {jp.DateKey(year.AddDate(0, 9, 0))}, "progress": {"0"}}
		admin.Post("/program/tasks", form).Want(http.StatusUnprocessableEntity, "終了日が開始日より前", "監査結果報告会の資料作成")
		form.Set("start", jp.DateKey(year.AddDate(2, 0, 0)))
		form.Set("end", jp.DateKey(year.AddDate(2, 1, 0)))
		admin.Post("/program/tasks", form).Want(http.StatusUnprocessableEntity, jp.FiscalYearLabel(fy)+"の作業にしてください")
		form.Set("workstream", "11")
		admin.Post("/program/tasks", form).Want(http.StatusUnprocessableEntity, "業務（1〜10）")
		form.Set("workstream", "1")
		// Due last week and not started: late.
		now := time.Now().In(jp.JST)
		form.Set("start", jp.DateKey(now.AddDate(0, 0, -20)))
		form.Set("end", jp.DateKey(now.AddDate(0, 0, -7)))
		if jp.FiscalYearOf(now.AddDate(0, 0, -20)) != fy {
			form.Set("start", jp.DateKey(year))
		}
		r := admin.Post("/program/tasks", form).Redirects("/program/tasks/")
		path := r.Header.Get("Location")
		admin.Get("/program").Want(http.StatusOK, "監査結果報告会の資料作成", "7 日過ぎています")

		// Re-planning needs a reason; the baseline stays.
		page = admin.Get(path).Want(http.StatusOK)
		rev := revRe.FindStringSubmatch(page.Body)[1]
		upd := url.Values{"title": {"監査結果報告会の資料作成"}, "workstream": {"1"}, "owner": {"支援事業者"}, "start": {form.Get("start")},
			"end": {jp.DateKey(now.AddDate(0, 0, 14))}, "progress": {"30"}, "rev": {rev}}
		admin.Post(path, upd).Want(http.StatusUnprocessableEntity, "再計画の理由")
		upd.Set("reason", "報告会の日程が区の都合で2週間後に変わったため。")
		admin.Post(path, upd).Redirects(path)
		admin.Post(path, upd).Want(http.StatusConflict) // the same form again
		admin.Get(path).Want(http.StatusOK, "再計画の記録", "報告会の日程が区の都合で", "基準の計画", "30%")
		if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'program.task_update' AND detail LIKE '%再計画%'"); n < 1 {
			t.Error("the re-planning is not in the audit log")
		}
		// Dependencies: a circle is refused with nothing changed; a
		// predecessor ending after the task starts flags the task.
		taskID := pathID(path)
		first := s.ID("SELECT MIN(id) FROM program_tasks WHERE fiscal_year = ? AND actual_end = '' AND start_on < ? AND id <> ?", fy, jp.DateKey(now.AddDate(0, 0, 14)), taskID)
		deps := s.Count("SELECT COUNT(*) FROM program_task_deps") - s.Count("SELECT COUNT(*) FROM program_task_deps WHERE task_id = ?", first)
		admin.Post(path+"/deps", url.Values{"dep": {fmt.Sprint(taskID)}}).Want(http.StatusUnprocessableEntity, "自分自身の前提")
		admin.Post(path+"/deps", url.Values{"dep": {"999999"}}).Want(http.StatusUnprocessableEntity, "作業にありません")
		admin.Post(path+"/deps", url.Values{"dep": {"abc"}}).Want(http.StatusUnprocessableEntity, "一覧から選んで")
		admin.Post(fmt.Sprintf("/program/tasks/%d/deps", first), url.Values{"dep": {fmt.Sprint(taskID)}}).Redirects(fmt.Sprintf("/program/tasks/%d", first))
		admin.Post(path+"/deps", url.Values{"dep": {fmt.Sprint(first)}}).Want(http.StatusUnprocessableEntity, "前提の作業が循環しています", "監査結果報告会の資料作成」 →")
		if n := s.Count("SELECT COUNT(*) FROM program_task_deps"); n != deps+1 {
			t.Fatalf("the refused circle changed the dependencies: %d → %d", deps, n)
		}
		admin.Get(fmt.Sprintf("/program/tasks/%d", first)).Want(http.StatusOK, "前提の作業", `value="`+fmt.Sprint(taskID)+`" checked`)
		admin.Get("/program").Want(http.StatusOK, "前提の作業「監査結果報告会の資料作成」")
		admin.Post(fmt.Sprintf("/program/tasks/%d/deps", first), url.Values{}).Redirects(fmt.Sprintf("/program/tasks/%d", first))
		viewer.Post(path+"/deps", url.Values{}).Want(http.StatusForbidden)
		viewer.Get("/program/month").Want(http.StatusOK, "月の予定", "この月に行う作業")
		admin.Get("/program/month?month=2026-13").Want(http.StatusOK, "月の予定")

		st, err := program.NewStore(s.Deps()).ScheduleOf(t.Context(), fy, s.Deps().YearProgress)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range st.Rows {
			if row.Title == "監査結果報告会の資料作成" && (row.Status != program.StatusRunning && row.Status != program.StatusRisk || !row.Replanned()) {
				t.Errorf("after re-planning: %+v", row)
			}
		}
	})
}

// TestProgramStatusCLI: `mamori program status --json` lists the year's
// tasks of every workstream with their status.
func TestProgramStatusCLI(t *testing.T) {
	dir := t.TempDir()
	run := webtest.CLI(t, dir)
	if code, _, errs := run("demo"); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	code, out, errs := run("program", "status", "--json")
	var rows []program.StatusRow
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil || len(rows) < 30 {
		t.Fatalf("program status --json: %d %v %s", code, err, errs)
	}
	ws := map[int]bool{}
	late := 0
	for _, r := range rows {
		ws[r.Workstream] = true
		if r.Status == program.StatusLate {
			late++
		}
	}
	for _, w := range []int{1, 2, 3, 4, 6, 8, 9, 10} {
		if !ws[w] {
			t.Errorf("no task of workstream %d (%s)", w, program.WorkstreamLabel(w))
		}
	}
	if late == 0 {
		t.Error("the demo has no late task")
	}
	pdf := filepath.Join(dir, "plan.pdf")
	if code, _, errs := run("export", "work-plan", "-o", pdf); code != 0 {
		t.Fatalf("export work-plan: %s", errs)
	}
	if text := strings.Join(strings.Fields(testkit.PDFText(t, pdf)), ""); !strings.Contains(text, "業務計画書") || !strings.Contains(text, "定例会") ||
		!strings.Contains(text, "当初") {
		t.Error("the work plan lacks its title, the meetings or a re-planned task's original dates")
	}
	if code, _, errs := run("export", "next-plan", "--format", "docx", "-o", filepath.Join(dir, "next.docx")); code != 0 {
		t.Fatalf("export next-plan: %s", errs)
	}
	if code, _, errs := run("export", "minutes", "--meeting", "1", "-o", filepath.Join(dir, "m1.pdf")); code != 0 {
		t.Fatalf("export minutes: %s", errs)
	}
	if code, _, errs := run("export", "minutes", "--meeting", "99", "-o", filepath.Join(dir, "m99.pdf")); code == 0 || !strings.Contains(errs, "第99回") {
		t.Errorf("an unknown meeting: %d %s", code, errs)
	}
	code, out, _ = run("program", "status")
	if code != 0 || !strings.Contains(out, "遅延") || !strings.Contains(out, "定例会") {
		t.Errorf("program status: %d %s", code, out)
	}
	if code, _, errs := run("program", "status", "--year", "1999"); code == 0 || !strings.Contains(errs, "年度") {
		t.Errorf("a year out of range: %d %s", code, errs)
	}
}

var meetingRe = regexp.MustCompile(`/program/meetings/(\d+)`)

// TestMeetings runs a monthly meeting on both databases: the demo's held
// meetings with their minutes; a new meeting whose proposed agenda starts
// with the open actions and names the delays; a meeting of another year
// refused; a decision and an action recorded, the action a milestone of
// the schedule; the action completed (and its task with it), twice
// refused; the minutes downloaded as PDF with every part; the advice log
// with a refusal and a new entry.
func TestMeetings(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
		admin, viewer := s.As("consultant"), s.As("viewer")
		fy := s.Org.CurrentFiscalYear(t.Context())
		held := s.Count("SELECT COUNT(*) FROM program_meetings WHERE fiscal_year = ?", fy)
		if held == 0 {
			t.Fatal("the demo has no meeting")
		}
		page := admin.Get("/program/meetings").Want(http.StatusOK, "第1回 定例会", "次の定例会を登録", "前回までの宿題の確認", "遅れへの対応")
		viewer.Get("/program/meetings").Want(http.StatusOK, "第1回 定例会").Lacks("次の定例会を登録")
		_ = page

		now := time.Now().In(jp.JST)
		form := url.Values{"year": {fmt.Sprint(fy)}, "held_on": {jp.DateKey(jp.FiscalYearStart(fy).AddDate(1, 1, 0))}, "time": {"10:00〜11:00"},
			"place": {"本庁舎5階 第3会議室"}, "attendees": {"情報政策課長\n支援事業者 担当コンサルタント"}, "agenda": {"前回までの宿題の確認\n各業務の進捗報告"}}
		admin.Post("/program/meetings", form).Want(http.StatusUnprocessableEntity, "開催日は"+jp.FiscalYearLabel(fy)+"の日付")
		held2 := now
		if jp.FiscalYearOf(held2) != fy {
			held2 = jp.FiscalYearStart(fy).AddDate(0, 6, 0)
		}
		form.Set("held_on", jp.DateKey(held2))
		form.Set("next_on", jp.DateKey(held2.AddDate(0, 0, -1)))
		admin.Post("/program/meetings", form).Want(http.StatusUnprocessableEntity, "次回の開催日は今回より後")
		form.Set("next_on", "")
		r := admin.Post("/program/meetings", form).Redirects("/program/meetings/")
		path := meetingRe.FindString(r.Header.Get("Location"))
		admin.Post(path+"/items", url.Values{"kind": {"action"}, "text": {"税務課の訓練の日程を確定する"}}).Want(http.StatusUnprocessableEntity, "担当", "期限")
		admin.Post(path+"/items", url.Values{"kind": {"decision"}, "text": {"改訂案は12月の定例会で最終確認する。"}}).Redirects(path)
		due := jp.DateKey(held2.AddDate(0, 0, 10))
		admin.Post(path+"/items", url.Values{"kind": {"action"}, "text": {"税務課の訓練の日程を確定する"}, "owner": {"情報政策課"}, "due": {due}, "workstream": {"6"}}).Redirects(path)
		if n := s.Count("SELECT COUNT(*) FROM program_tasks WHERE title LIKE '宿題：税務課の訓練の日程を確定する%' AND workstream = 6 AND milestone = TRUE"); n != 1 {
			t.Fatalf("the action is not a milestone of the schedule (%d)", n)
		}
		admin.Get("/program").Want(http.StatusOK, "宿題：税務課の訓練の日程を確定する")
		item := s.ID("SELECT MAX(id) FROM program_items WHERE kind = 'action'")
		admin.Post(path+"/done", url.Values{"item": {fmt.Sprint(item)}, "note": {"1月22日に決定"}}).Redirects(path)
		admin.Post(path+"/done", url.Values{"item": {fmt.Sprint(item)}}).Want(http.StatusConflict, "既に完了")
		admin.Post(path+"/done", url.Values{"item": {"999999"}}).Want(http.StatusNotFound)
		if s.Count("SELECT COUNT(*) FROM program_tasks WHERE title LIKE '宿題：税務課の訓練の日程を確定する%' AND progress = 100 AND actual_end <> ''") != 1 {
			t.Error("the action's task is not done with it")
		}
		page = admin.Get(path).Want(http.StatusOK)
		rev := revRe.FindStringSubmatch(page.Body)[1]
		form.Set("content", "【各業務の進捗報告】内部監査は13所属のうち10所属の報告書を確定した。\n【遅れへの対応】改訂案の作成が遅れているため、説明会の日程と合わせて見直す。")
		form.Set("rev", rev)
		admin.Post(path, form).Redirects(path)
		admin.Post(path, form).Want(http.StatusConflict)
		dir := t.TempDir()
		pdf := filepath.Join(dir, "minutes.pdf")
		if err := os.WriteFile(pdf, admin.Download(path+"/minutes?format=pdf", "application/pdf"), 0o644); err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(testkit.PDFText(t, pdf)), "")
		for _, want := range []string{"議事録", "日時", "場所", "出席者", "議題", "内容", "決定事項", "改訂案は12月の定例会で最終確認する", "宿題", "税務課の訓練の日程を確定する", "完了", "次回"} {
			if !strings.Contains(text, want) {
				t.Errorf("the minutes lack %q", want)
			}
		}
		viewer.Download(path+"/minutes?format=docx", "application/vnd.openxmlformats")

		// The advice log.
		admin.Get("/program/advice").Want(http.StatusOK, "相談・助言を記録")
		adv := url.Values{"year": {fmt.Sprint(fy)}, "asked_on": {jp.DateKey(held2)}, "department": {"学務課"}, "channel": {"FAX"}, "question": {"x"}}
		admin.Post("/program/advice", adv).Want(http.StatusUnprocessableEntity, "相談の方法")
		adv.Set("channel", "電話")
		adv.Set("question", "学校の端末で生成AIを使って通知文の下書きを作ってよいか。")
		adv.Set("answer", "個人情報や非公開の情報を入力しない範囲で、区が認めたサービスに限って利用できる。")
		adv.Set("clauses", "5.1 8.3")
		admin.Post("/program/advice", adv).Redirects("/program/advice")
		admin.Get("/program/advice?q=生成AI").Want(http.StatusOK, "学校の端末で生成AI")
		viewer.Post("/program/advice", adv).Want(http.StatusForbidden)
	})
}

// TestNextPlan: the next-year plan shows each workstream's year and the
// register's open actions with a drafted proposal; proposals are saved
// and printed; the year's own tasks are copied to next year once.
func TestNextPlan(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	admin, viewer := s.As("consultant"), s.As("viewer")
	fy := s.Org.CurrentFiscalYear(t.Context())
	admin.Get("/program/next-plan").Want(http.StatusOK, "次期支援計画書（案）", "9 ポリシー改訂支援", "未完了の改善措置", "（下書き）", "次年度へ複写")
	viewer.Get("/program/next-plan").Want(http.StatusOK, "次年度の提案").Lacks("次年度へ複写")
	viewer.Post("/program/next-plan/copy", url.Values{"year": {fmt.Sprint(fy)}}).Want(http.StatusForbidden)
	admin.Post("/program/next-plan", url.Values{"year": {fmt.Sprint(fy)}, "p_6": {strings.Repeat("訓", 4001)}}).Want(http.StatusUnprocessableEntity, "4,000文字以内")
	admin.Post("/program/next-plan", url.Values{"year": {fmt.Sprint(fy)}, "p_6": {"訓練は対象を6所属に広げ、区民サービスの代替手段を実際に動かす機能訓練を加える。"}}).Redirects("/program/next-plan")
	admin.Get("/program/next-plan").Want(http.StatusOK, "機能訓練を加える")
	dir := t.TempDir()
	pdf := filepath.Join(dir, "next.pdf")
	if err := os.WriteFile(pdf, admin.Download("/program/next-plan/document?format=pdf", "application/pdf"), 0o644); err != nil {
		t.Fatal(err)
	}
	if text := strings.Join(strings.Fields(testkit.PDFText(t, pdf)), ""); !strings.Contains(text, "次期支援計画書（案）") || !strings.Contains(text, "機能訓練を加える") ||
		!strings.Contains(text, "改善措置台帳") {
		t.Error("the next-year plan lacks its title, a saved proposal or the register's state")
	}
	own := s.Count("SELECT COUNT(*) FROM program_tasks WHERE fiscal_year = ? AND title NOT LIKE '宿題：%'", fy)
	admin.Post("/program/next-plan/copy", url.Values{"year": {fmt.Sprint(fy)}}).Redirects("/program?year=")
	if n := s.Count("SELECT COUNT(*) FROM program_tasks WHERE fiscal_year = ?", fy+1); n != own {
		t.Errorf("copied %d tasks, want %d", n, own)
	}
	admin.Post("/program/next-plan/copy", url.Values{"year": {fmt.Sprint(fy)}}).Want(http.StatusConflict, "既に")
	admin.Get(fmt.Sprintf("/program?year=%d", fy+1)).Want(http.StatusOK, "第1回 定例会", "業務計画書の提出")
}

// TestLoans: the lent-materials register — the demo's materials, a new
// one refused without its place of keeping, recorded, returned with its
// receipt once (a second time refused), and the register printed.
func TestLoans(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	admin, viewer := s.As("consultant"), s.As("viewer")
	fy := s.Org.CurrentFiscalYear(t.Context())
	admin.Get("/program/loans").Want(http.StatusOK, "貸与資料", "令和7年度 内部監査報告書", "返却済", "廃棄済", "溶解証明書")
	viewer.Get("/program/loans").Want(http.StatusOK, "貸与中").Lacks("貸与資料を記録")
	day := jp.DateKey(time.Now())
	if jp.FiscalYearOf(time.Now()) != fy {
		day = jp.DateKey(jp.FiscalYearStart(fy).AddDate(0, 6, 0))
	}
	in := url.Values{"year": {fmt.Sprint(fy)}, "name": {"介護保険システム 運用手順書"}, "kind": {"紙"}, "quantity": {"1 冊"}, "lender": {"介護保険課"}, "received_on": {day}}
	admin.Post("/program/loans", in).Want(http.StatusUnprocessableEntity, "保管場所")
	in.Set("kept_at", "支援事業者 本社 施錠保管庫A")
	admin.Post("/program/loans", in).Redirects("/program/loans")
	id := s.ID("SELECT id FROM program_loans WHERE name = '介護保険システム 運用手順書'")
	path := fmt.Sprintf("/program/loans/%d/close", id)
	admin.Post(path, url.Values{"state": {"returned"}, "on": {day}, "rev": {"1"}}).Want(http.StatusUnprocessableEntity, "受領書")
	admin.Post(path, url.Values{"state": {"returned"}, "on": {day}, "note": {"介護保険課長へ返却（受領書 R8-返-011）"}, "rev": {"1"}}).Redirects("/program/loans")
	admin.Post(path, url.Values{"state": {"destroyed"}, "on": {day}, "note": {"二度目"}, "rev": {"2"}}).Want(http.StatusConflict, "既に")
	viewer.Post(path, url.Values{"state": {"returned"}}).Want(http.StatusForbidden)
	dir := t.TempDir()
	pdf := filepath.Join(dir, "loans.pdf")
	if err := os.WriteFile(pdf, viewer.Download("/program/loans/register?format=pdf", "application/pdf"), 0o644); err != nil {
		t.Fatal(err)
	}
	if text := strings.Join(strings.Fields(testkit.PDFText(t, pdf)), ""); !strings.Contains(text, "貸与資料管理簿") || !strings.Contains(text, "R8-返-011") {
		t.Error("the register lacks its title or the new return")
	}
	admin.Download("/program/loans/register?format=xlsx", "application/vnd.openxmlformats")
}

// TestDeliverables: the register lists every module's deliverables of the
// year (the technical verification's, the trainings', the incidents', the
// vendor reviews' and the programme's own among them) and, in a year with
// nothing yet, the areas as 未作成; a deliverable is downloaded through it
// and marked 納品済 with its date (refused without one).
func TestDeliverables(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	admin, viewer := s.As("consultant"), s.As("viewer")
	fy := s.Org.CurrentFiscalYear(t.Context())
	page := admin.Get("/program/deliverables").Want(http.StatusOK, "技術的検証結果報告書（住民記録システム）", "業務計画書（", "議事録（第1回 定例会）", "作成中",
		"研修資料（PRIV ", "再発防止レポート（2026-IN-003 ", "インシデント対応の年間総括", "審査結果（VR-R8-001 ", "外部委託・クラウドサービス台帳", "次期支援計画書（案）")
	admin.Get(fmt.Sprintf("/program/deliverables?year=%d", fy+1)).Want(http.StatusOK, "未作成", "教育・研修（研修資料）", "インシデント対応（再発防止レポート・年間総括）")
	viewer.Get("/program/deliverables").Want(http.StatusOK, "業務計画書（").Lacks(`form method="post" action="/program/deliverables"`)
	_ = page
	for _, key := range []string{"PRIV/text", "annual"} {
		mod := map[string]string{"PRIV/text": "learning", "annual": "incident"}[key]
		if b := viewer.Download("/program/deliverables/file?module="+mod+"&key="+url.QueryEscape(key)+"&format=docx", "application/vnd.openxmlformats"); len(b) < 1000 {
			t.Errorf("%s %s through the register is empty", mod, key)
		}
	}
	b := viewer.Download("/program/deliverables/file?module=program&key=work-plan&format=pdf", "application/pdf")
	if len(b) < 1000 {
		t.Error("the work plan through the register is empty")
	}
	admin.Get("/program/deliverables/file?module=program&key=nope&format=pdf").Want(http.StatusNotFound)
	admin.Get("/program/deliverables/file?module=program&key=work-plan&format=xlsx").Want(http.StatusBadRequest)
	form := url.Values{"year": {fmt.Sprint(fy)}, "module": {"program"}, "key": {"work-plan"}, "status": {"delivered"}, "version": {"1.0"}}
	admin.Post("/program/deliverables", form).Want(http.StatusUnprocessableEntity, "納品日")
	form.Set("delivered_on", jp.DateKey(jp.FiscalYearStart(fy).AddDate(0, 0, 14)))
	admin.Post("/program/deliverables", form).Redirects("/program/deliverables")
	admin.Get("/program/deliverables").Want(http.StatusOK, "納品済", "版 1.0")
	form.Set("key", "nope")
	admin.Post("/program/deliverables", form).Want(http.StatusNotFound)
	viewer.Post("/program/deliverables", form).Want(http.StatusForbidden)

	// The bound set in the background: the job's page, then both files.
	viewer.Post("/program/deliverables/bind", url.Values{"year": {fmt.Sprint(fy)}}).Want(http.StatusForbidden)
	admin.Post("/program/deliverables/bind", url.Values{}).Want(http.StatusBadRequest, "年度を指定")
	admin.Post("/program/deliverables/bind", url.Values{"year": {fmt.Sprint(fy + 5)}}).Redirects("/program/deliverables?year=")
	r := admin.Post("/program/deliverables/bind", url.Values{"year": {fmt.Sprint(fy)}}).Redirects("/jobs/")
	job := pathID(r.Header.Get("Location"))
	for i := 0; s.Count("SELECT COUNT(*) FROM jobs WHERE id = ? AND status = 'running'", job) == 1; i++ {
		if i > 600 {
			t.Fatal("the binder job did not finish in 2 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
	admin.Get(r.Header.Get("Location")).Want(http.StatusOK, "製本しました", "結果を見る")
	bid := s.ID("SELECT MAX(id) FROM program_binders WHERE fiscal_year = ?", fy)
	pdf := viewer.Download(fmt.Sprintf("/program/binders/%d?file=pdf", bid), "application/pdf")
	text := strings.Join(strings.Fields(testkit.PDFBytesText(t, pdf)), "")
	for _, want := range []string{"成果物一式", "研修資料（PRIV", "次期支援計画書（案）"} {
		if !strings.Contains(text, want) {
			t.Errorf("the bound PDF lacks %q", want)
		}
	}
	zip := viewer.Download(fmt.Sprintf("/program/binders/%d?file=zip", bid), "application/zip")
	if len(zip) < 100000 {
		t.Errorf("the electronic set is %d bytes", len(zip))
	}
	admin.Get(fmt.Sprintf("/program/binders/%d?file=exe", bid)).Want(http.StatusBadRequest)
	admin.Get("/program/binders/999999?file=pdf").Want(http.StatusNotFound)
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'program.bind'"); n != 1 {
		t.Errorf("binding is in the audit log %d times", n)
	}
}

func pathID(path string) int64 {
	id, _ := strconv.ParseInt(path[strings.LastIndex(path, "/")+1:], 10, 64)
	return id
}
