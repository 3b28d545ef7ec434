package gap_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"mamori/internal/policy/gap"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// site is the app on the demo ward with the small guideline and ward
// policy of fixture_test.go imported beside the demo's catalogue.
type site struct {
	*webtest.Server
	store             *gap.Store
	guide, prev, ward int64
}

func newSite(t *testing.T, dsn string) *site {
	t.Helper()
	s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
	st := &site{Server: s, store: gap.NewStore(s.DB, s.Log)}
	st.guide, st.prev, st.ward = gap.LoadFixture(t, s.DB, s.Log)
	return st
}

// upload posts a gap-table workbook to the import form.
func upload(c *webtest.Client, path string, data []byte, dryRun bool) *webtest.Response {
	form := url.Values{}
	if dryRun {
		form.Set("dry_run", "1")
	}
	return c.Upload(path, form, "file", "整合表.xlsx", data)
}

func (s *site) createTable(t *testing.T) int64 {
	t.Helper()
	r := s.As("consultant").Post("/policy/gap", url.Values{"title": {"試験整合表"}, "fiscal_year": {"令和8年度"},
		"guideline": {fmt.Sprint(s.guide)}, "previous": {fmt.Sprint(s.prev)}, "ward": {fmt.Sprint(s.ward)}}).Redirects("/policy/gap/")
	var id int64
	if _, err := fmt.Sscanf(r.Header.Get("Location"), "/policy/gap/%d", &id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (s *site) rowOf(t *testing.T, table int64, number string) gap.Row {
	t.Helper()
	rows, err := s.store.Rows(context.Background(), table, gap.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Number == number {
			return r
		}
	}
	t.Fatalf("no row %s", number)
	return gap.Row{}
}

func TestPagesAndRoles(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := newSite(t, dsn)
		c := s.As("consultant")
		viewer := s.As("viewer")
		tables := s.Count("SELECT COUNT(*) FROM policy_gap_tables")
		// Bad input on creation: Japanese messages, nothing stored.
		c.Post("/policy/gap", url.Values{"title": {""}, "fiscal_year": {"来年"}, "guideline": {fmt.Sprint(s.guide)}, "ward": {fmt.Sprint(s.guide)}}).
			Want(http.StatusBadRequest, "年度は 令和8年度 か 2026 の形で入力してください")
		c.Post("/policy/gap", url.Values{"title": {""}, "fiscal_year": {"2026"}, "guideline": {fmt.Sprint(s.guide)}, "ward": {fmt.Sprint(s.guide)}}).
			Want(http.StatusBadRequest, "表題を入力してください", "別の枠組みを選んでください")
		if n := s.Count("SELECT COUNT(*) FROM policy_gap_tables") - tables; n != 0 {
			t.Fatalf("%d tables after bad input", n)
		}
		id := s.createTable(t)
		if n := s.Count("SELECT COUNT(*) FROM policy_gap_tables WHERE id = ? AND created_by IS NOT NULL", id); n != 1 {
			t.Fatal("creator not stored")
		}
		// Who may do what.
		for _, tc := range []struct {
			role, method, path string
			want               int
		}{
			{"viewer", "GET", "/policy/gap", 200}, {"auditor", "GET", fmt.Sprintf("/policy/gap/%d", id), 200},
			{"viewer", "GET", "/policy/gap/new", 403}, {"staff", "GET", "/policy/gap", 403}, {"auditee", "GET", fmt.Sprintf("/policy/gap/%d", id), 403},
			{"vendor", "GET", fmt.Sprintf("/policy/gap/%d/xlsx", id), 403}, {"viewer", "GET", fmt.Sprintf("/policy/gap/%d/pdf", id), 200},
			{"viewer", "GET", fmt.Sprintf("/policy/gap/%d/import", id), 403}, {"admin", "GET", "/policy/gap/new", 200},
			{"consultant", "GET", "/policy/gap/999999", 404}, {"consultant", "GET", "/policy/gap/rows/999999/edit", 404},
			{"", "GET", "/policy/gap", 303},
		} {
			cl := s.Anonymous()
			if tc.role != "" {
				cl = s.As(tc.role)
			}
			if r := cl.Get(tc.path); r.StatusCode != tc.want {
				t.Errorf("%s %s %s: %d, want %d", tc.role, tc.method, tc.path, r.StatusCode, tc.want)
			}
		}
		r := s.rowOf(t, id, "2.1")
		viewer.Post(fmt.Sprintf("/policy/gap/rows/%d/edit", r.ID), url.Values{"status": {"反映済"}}).Want(403)
		c.Post(fmt.Sprintf("/policy/gap/rows/%d/edit", r.ID), url.Values{"status": {"反映済"}, "csrf_token": {"wrong"}}).Want(403)
		// The table page: summary, matrix, flags, the changed clause's
		// old summary, filters.
		viewer.Get(fmt.Sprintf("/policy/gap/%d", id)).Want(200, "試験整合表", "第2章　物理的対策", "改定前の要旨", "サーバを施錠した部屋に置く。", "対策基準第3条（サーバ等の管理）",
			"候補: 一部反映", "対応規定なし", "ガイドライン改定で変更", "旧 2.3 から番号変更", "区の独自規定", "章ごとの状況").
			Lacks("/edit", "一括変更")
		viewer.Get(fmt.Sprintf("/policy/gap/%d?flag=unmapped", id)).Want(200, "3.2 クラウドサービスの利用", "1 件中 1–1 件を表示（絞り込み中）").Lacks("2.1 サーバ等の管理")
		c.Get(fmt.Sprintf("/policy/gap/%d?status=%s", id, url.QueryEscape(gap.Unset))).Want(200, "7 件中 1–7 件を表示（絞り込み中）", "/policy/gap/rows/")
		// Row edit: errors in Japanese, nothing saved; then saved and audited.
		path := fmt.Sprintf("/policy/gap/rows/%d/edit", r.ID)
		c.Get(path).Want(200, "サーバを施錠した部屋に置く。", `name="csrf_token"`)
		c.Post(path, url.Values{"status": {"一部反映"}, "decision": {"反映しない"}, "decision_date": {"R8.2.30"}}).
			Want(400, "反映しないと決めた場合は、その理由を入力してください", "決定日「R8.2.30」は日付として読めません")
		if g, _ := s.store.Row(context.Background(), r.ID); g.Status != "" {
			t.Fatal("invalid edit saved")
		}
		updates := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'policy.gap_row_update' AND login = 'consultant'")
		c.Post(path, url.Values{"status": {"一部反映"}, "difference": {"冗長化の記述がない。"}, "decision": {"反映する"},
			"decision_date": {"令和8年5月20日"}, "planned": {"第19条に第4項を加える。"}, "provisions": {r.Provisions}, "next": {"1"}}).Redirects("/policy/gap/rows/")
		g, _ := s.store.Row(context.Background(), r.ID)
		if g.Status != gap.StatusPartial || g.DecisionDate != "2026-05-20" || g.Planned != "第19条に第4項を加える。" {
			t.Fatalf("saved row %+v", g)
		}
		if body := c.Get(path).Body; !strings.Contains(body, `value="令和8年5月20日"`) {
			t.Error("the row form does not show the decision date in 和暦")
		}
		if n := s.Count("SELECT COUNT(*) FROM policy_gap_rows WHERE id = ? AND updated_by IS NOT NULL", r.ID); n != 1 {
			t.Fatal("editor not stored")
		}
		if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'policy.gap_row_update' AND login = 'consultant'") - updates; n != 1 {
			t.Fatalf("%d audit entries for the row edit", n)
		}
		// Bulk: the unmapped rows shown by a filter set to 未反映 (already),
		// then all unset rows shown to their suggestion.
		admin := s.As("admin")
		admin.Post(fmt.Sprintf("/policy/gap/%d/bulk", id), url.Values{"status": {"suggested"}, "scope": {"selected"}}).Redirects(fmt.Sprintf("/policy/gap/%d", id))
		var shown []string
		rows, _ := s.store.Rows(context.Background(), id, gap.Filter{Status: gap.Unset})
		for _, r := range rows {
			shown = append(shown, fmt.Sprint(r.ID))
		}
		resp := admin.Post(fmt.Sprintf("/policy/gap/%d/bulk", id), url.Values{"status": {"suggested"}, "scope": {"shown"}, "shown": shown,
			"back": {"status=" + url.QueryEscape(gap.Unset) + "&x=<script>"}})
		if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || !strings.Contains(loc, "status=") || strings.Contains(loc, "<") {
			t.Fatalf("bulk shown: %d %s", resp.StatusCode, loc)
		}
		if n := s.Count("SELECT COUNT(*) FROM policy_gap_rows WHERE table_id = ? AND status = ''", id); n != 0 {
			t.Fatalf("%d rows still unset after bulk", n)
		}
		if n := s.Count("SELECT COUNT(*) FROM policy_gap_rows WHERE table_id = ? AND status = '反映済'", id); n != 6 {
			t.Fatalf("%d rows 反映済 after bulk", n)
		}
		// List page counts.
		viewer.Get("/policy/gap").Want(200, "試験整合表", "令和8年度")
	})
}

func TestExportImportRoundTrip(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := newSite(t, dsn)
		ctx := context.Background()
		c := s.As("consultant")
		id := s.createTable(t)
		r21 := s.rowOf(t, id, "2.1")
		if _, err := s.store.UpdateRow(ctx, r21.ID, gap.Edit{Provisions: r21.Provisions, Status: gap.StatusPartial, Decision: gap.DecisionPending,
			DecisionDate: "2026-05-20", Difference: "冗長化の規定がない。"}, 0, gap.Now); err != nil {
			t.Fatal(err)
		}
		x := c.Download(fmt.Sprintf("/policy/gap/%d/xlsx", id), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = ?", fmt.Sprintf("policy_gap_table:%d", id)); n != 1 {
			t.Fatal("download not audited")
		}
		if dir := os.Getenv("MAMORI_SHOTS"); dir != "" {
			_ = os.WriteFile(filepath.Join(dir, "gap-fixture.xlsx"), x, 0o644)
		}
		f, err := excelize.OpenReader(bytes.NewReader(x))
		if err != nil {
			t.Fatal(err)
		}
		sheet := f.GetSheetName(0)
		rows, _ := f.GetRows(sheet)
		header := -1
		for i, r := range rows {
			if len(r) == len(gap.Columns) && r[0] == gap.ColNo && r[4] == gap.ColStatus && r[11] == gap.ColFlags {
				header = i
			}
		}
		if header < 0 {
			t.Fatalf("no header row in %q", rows)
		}
		// Working-format features: drop-downs, frozen header, filter,
		// print titles, landscape A4 fitted to width, 和暦 date.
		dvs, _ := f.GetDataValidations(sheet)
		var lists []string
		for _, dv := range dvs {
			lists = append(lists, dv.Sqref+" "+dv.Formula1)
		}
		if len(dvs) != 2 || !strings.Contains(strings.Join(lists, "|"), "一部反映") || !strings.Contains(strings.Join(lists, "|"), "検討中") ||
			!strings.HasPrefix(dvs[0].Sqref, "E") && !strings.HasPrefix(dvs[1].Sqref, "E") {
			t.Fatalf("validations %q", lists)
		}
		panes, _ := f.GetPanes(sheet)
		if !panes.Freeze || panes.YSplit != header+1 {
			t.Fatalf("panes %+v, header row %d", panes, header+1)
		}
		names := f.GetDefinedName()
		var titles bool
		for _, n := range names {
			if n.Name == "_xlnm.Print_Titles" && strings.Contains(n.RefersTo, fmt.Sprintf("$%d:$%d", header+1, header+1)) {
				titles = true
			}
		}
		if !titles {
			t.Fatalf("print titles %+v", names)
		}
		var filter bool
		for _, n := range names {
			if n.Name == "_xlnm._FilterDatabase" && strings.Contains(n.RefersTo, fmt.Sprintf("$A$%d:$L$", header+1)) {
				filter = true
			}
		}
		if !filter {
			t.Fatalf("no auto filter on the table: %+v", names)
		}
		pl, _ := f.GetPageLayout(sheet)
		if pl.Orientation == nil || *pl.Orientation != "landscape" || pl.Size == nil || *pl.Size != 9 || pl.FitToWidth == nil || *pl.FitToWidth != 1 {
			t.Fatalf("page layout %+v", pl)
		}
		line21 := 0
		for i, r := range rows {
			if len(r) > 1 && r[1] == "2.1 サーバ等の管理" {
				line21 = i + 1
				if !strings.Contains(r[9], "令和8年5月20日") && !strings.Contains(r[9], "R8") && !strings.Contains(r[9], "2026") {
					t.Errorf("date cell shows %q", r[9])
				}
				if !strings.Contains(r[2], "【改定前】サーバを施錠した部屋に置く。") {
					t.Errorf("summary cell %q", r[2])
				}
			}
		}
		cellOf := func(col string, line int) string {
			name, _ := excelize.ColumnNumberToName(gap.ColIndex(col) + 1)
			return fmt.Sprintf("%s%d", name, line)
		}
		imp := fmt.Sprintf("/policy/gap/%d/import", id)
		// Unchanged file: nothing to change.
		if r := upload(c, imp, x, false); r.StatusCode != 200 || !strings.Contains(r.Body, "変更されたセルはありませんでした") {
			t.Fatalf("re-import of the export: %d %s", r.StatusCode, extract(r.Body))
		}
		// Staff edit the workbook: a status, a decision with a 和暦 date
		// typed as text, a reason and the planned change.
		line32 := 0
		for i, r := range rows {
			if len(r) > 1 && r[1] == "3.2 クラウドサービスの利用" {
				line32 = i + 1
			}
		}
		must := func(err error) {
			if err != nil {
				t.Helper()
				t.Fatal(err)
			}
		}
		must(f.SetCellStr(sheet, cellOf(gap.ColStatus, line21), "反映済"))
		must(f.SetCellStr(sheet, cellOf(gap.ColDecision, line32), "反映する"))
		must(f.SetCellStr(sheet, cellOf(gap.ColDate, line32), "令和8年6月3日"))
		must(f.SetCellStr(sheet, cellOf(gap.ColPlanned, line32), "第46条を全部改め、クラウドの選定要件を定める。"))
		must(f.SetCellStr(sheet, cellOf(gap.ColFlags, line32), "勝手に書き換えたフラグ"))
		var edited bytes.Buffer
		must(f.Write(&edited))
		if r := upload(c, imp, edited.Bytes(), true); r.StatusCode != 200 || !strings.Contains(r.Body, "確認のみ: 4 セルが変わります") {
			t.Fatalf("dry run: %d %s", r.StatusCode, extract(r.Body))
		}
		if g := s.rowOf(t, id, "3.2"); g.Decision != "" {
			t.Fatal("dry run wrote")
		}
		rowUpdates := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'policy.gap_row_update' AND detail LIKE '%Excel取込み%'")
		imports := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'policy.gap_import'")
		if r := upload(c, imp, edited.Bytes(), false); r.StatusCode != 200 || !strings.Contains(r.Body, "2 行の 4 セルを変更しました") {
			t.Fatalf("import: %d %s", r.StatusCode, extract(r.Body))
		}
		g32 := s.rowOf(t, id, "3.2")
		if g32.Decision != gap.DecisionReflect || g32.DecisionDate != "2026-06-03" || !strings.HasPrefix(g32.Planned, "第46条を全部改め") || !g32.Unmapped {
			t.Fatalf("imported row %+v", g32)
		}
		if g := s.rowOf(t, id, "2.1"); g.Status != gap.StatusReflected || g.DecisionDate != "2026-05-20" {
			t.Fatalf("2.1 after import %+v", g)
		}
		if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'policy.gap_row_update' AND detail LIKE '%Excel取込み%'") - rowUpdates; n != 2 {
			t.Fatalf("%d audited imported rows", n)
		}
		if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'policy.gap_import'") - imports; n != 1 {
			t.Fatal("import not audited")
		}

		// Errors: every bad row named, nothing written.
		must(f.SetCellStr(sheet, cellOf(gap.ColStatus, line21), "済み"))
		must(f.SetCellStr(sheet, cellOf(gap.ColDate, line32), "令和8年13月1日"))
		must(f.SetCellStr(sheet, cellOf(gap.ColIssue, line32), "この課題は書き込まれてはならない"))
		must(f.SetCellStr(sheet, cellOf(gap.ColClause, header+3), "9.9 別の条項"))
		must(f.SetCellStr(sheet, cellOf(gap.ColNo, len(rows)+2), "99"))
		must(f.SetCellStr(sheet, cellOf(gap.ColClause, len(rows)+2), "9.9 ない条項"))
		var bad bytes.Buffer
		must(f.Write(&bad))
		r := upload(c, imp, bad.Bytes(), false)
		text := extract(r.Body)
		for _, want := range []string{"取り込みませんでした（何も変更していません）", "状況「済み」は使えません", "決定日「令和8年13月1日」は日付として読めません",
			"条項が表と一致しません", "No.99 はこの整合表にありません", fmt.Sprintf("%d行目", line21)} {
			if !strings.Contains(text, want) {
				t.Errorf("error page lacks %q:\n%s", want, text)
			}
		}
		if r.StatusCode != 400 {
			t.Errorf("import with errors: %d", r.StatusCode)
		}
		if g := s.rowOf(t, id, "3.2"); g.Issue != "" {
			t.Fatal("a file with errors was partly written")
		}
		// Unreadable files.
		other := s.createTable(t)
		for _, tc := range []struct {
			name string
			data []byte
			want string
		}{
			{"text", []byte("No,状況\n1,反映済\n"), "整合表.xlsx: Excel（.xlsx）のファイルではありません"},
			{"xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0}, make([]byte, 600)...), "パスワード付き"},
			{"another table", edited.Bytes(), fmt.Sprintf("別の整合表（整合表番号 %d）", id)},
		} {
			target := id
			if tc.name == "another table" {
				target = other
			}
			r := upload(c, fmt.Sprintf("/policy/gap/%d/import", target), tc.data, false)
			if r.StatusCode != 400 || !strings.Contains(r.Body, tc.want) {
				t.Errorf("%s: %d %s", tc.name, r.StatusCode, extract(r.Body))
			}
		}
	})
}

func TestPDF(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := newSite(t, dsn)
		id := s.createTable(t)
		downloads := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND login = 'viewer'")
		b := s.As("viewer").Download(fmt.Sprintf("/policy/gap/%d/pdf", id), "application/pdf")
		if !bytes.HasPrefix(b, []byte("%PDF")) {
			t.Fatalf("not a PDF: %.40q", b)
		}
		if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND login = 'viewer'") - downloads; n != 1 {
			t.Fatal("pdf download not audited")
		}
		p := filepath.Join(t.TempDir(), "gap.pdf")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		txt := testkit.PDFLayoutText(t, p)
		for _, want := range []string{"試験整合表", "状況ごとの行数（章別）", "対応方針ごとの行数", "割合", "未反映", "ガイドラインの要旨", "クラウドサービス", "物理的対策", "区の独自規定", "候補反映済"} {
			if !strings.Contains(strings.ReplaceAll(txt, " ", ""), strings.ReplaceAll(want, " ", "")) {
				t.Errorf("PDF text lacks %q", want)
			}
		}
		if os.Getenv("MAMORI_SHOTS") != "" {
			_ = os.WriteFile(filepath.Join(os.Getenv("MAMORI_SHOTS"), "gap-fixture.pdf"), b, 0o644)
		}
	})
}

// extract is the page's visible text, roughly, for assertions on messages
// that markup may split.
func extract(body string) string {
	i := strings.Index(body, "<main")
	if i < 0 {
		return body
	}
	s := body[i:]
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
