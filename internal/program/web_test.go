package program_test

import (
	"encoding/json"
	"fmt"
	"mamori/internal/testkit"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
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
	code, out, _ = run("program", "status")
	if code != 0 || !strings.Contains(out, "遅延") || !strings.Contains(out, "定例会") {
		t.Errorf("program status: %d %s", code, out)
	}
	if code, _, errs := run("program", "status", "--year", "1999"); code == 0 || !strings.Contains(errs, "年度") {
		t.Errorf("a year out of range: %d %s", code, errs)
	}
}
