package gap

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"mamori/internal/auditlog"
	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/web"
)

// testAuth signs requests in by the session cookie's value, which names a
// role; every session's CSRF token is "tok-<role>".
type testAuth struct{ users map[string]*web.User }

func (a testAuth) Session(_ context.Context, token string) (*web.User, string, error) {
	u, ok := a.users[token]
	if !ok {
		return nil, "", nil
	}
	return u, "tok-" + token, nil
}

func (testAuth) Denied(context.Context, *web.User, string, string) {}

type server struct {
	*httptest.Server
	db    *database.DB
	store *Store
	ids   fixtureIDs
}

func newServer(t *testing.T, db *database.DB) *server {
	t.Helper()
	return newServerWith(t, db, loadFixture)
}

// newServerWith starts the screens on db after load has filled the catalogue.
func newServerWith(t *testing.T, db *database.DB, load func(*testing.T, *database.DB, *auditlog.Log) fixtureIDs) *server {
	t.Helper()
	ctx := context.Background()
	log := auditlog.New(db, nil)
	ids := load(t, db, log)
	auth := testAuth{users: map[string]*web.User{}}
	for _, role := range web.AllRoles {
		id, err := db.InsertID(ctx, "INSERT INTO users (login, display_name, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
			string(role), string(role)+"さん", string(role), database.T(now), database.T(now))
		if err != nil {
			t.Fatal(err)
		}
		auth.users[string(role)] = &web.User{ID: id, Login: string(role), DisplayName: string(role), Role: role}
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	rd, err := web.NewRenderer(logger)
	if err != nil {
		t.Fatal(err)
	}
	rd.Site = func(context.Context) web.Site { return web.Site{WardName: "試験区", FiscalYear: 2026} }
	rt := web.NewRouter(auth, rd, logger)
	rt.HandleRaw("GET /static/{hash}/{name...}", web.PublicRule(), rd.Static())
	if err := NewWeb(db, log, func() time.Time { return now }).Routes(rt); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.Secure(rt, logger, rd))
	t.Cleanup(srv.Close)
	return &server{Server: srv, db: db, store: NewStore(db, log), ids: ids}
}

// req sends a request as role ("" = anonymous) and returns the status,
// the Location header and the body.
func (s *server) req(t *testing.T, role, method, path string, body io.Reader, ctype string) (int, string, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if method != http.MethodGet {
		req.Header.Set("Origin", s.URL)
	}
	if role != "" {
		req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: role})
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), b
}

func (s *server) get(t *testing.T, role, path string) (int, string) {
	t.Helper()
	code, _, b := s.req(t, role, http.MethodGet, path, nil, "")
	return code, string(b)
}

func (s *server) post(t *testing.T, role, path string, form url.Values) (int, string, string) {
	t.Helper()
	if form.Get("csrf_token") == "" {
		form.Set("csrf_token", "tok-"+role)
	}
	code, loc, b := s.req(t, role, http.MethodPost, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
	return code, loc, string(b)
}

func (s *server) upload(t *testing.T, role, path string, data []byte, dryRun bool) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf_token", "tok-"+role)
	if dryRun {
		_ = mw.WriteField("dry_run", "1")
	}
	fw, _ := mw.CreateFormFile("file", "整合表.xlsx")
	_, _ = fw.Write(data)
	_ = mw.Close()
	code, _, b := s.req(t, role, http.MethodPost, path, &buf, mw.FormDataContentType())
	return code, string(b)
}

func (s *server) createTable(t *testing.T) int64 {
	t.Helper()
	code, loc, body := s.post(t, "consultant", "/policy/gap", url.Values{"title": {"試験整合表"}, "fiscal_year": {"令和8年度"},
		"guideline": {fmt.Sprint(s.ids.guide)}, "previous": {fmt.Sprint(s.ids.prev)}, "ward": {fmt.Sprint(s.ids.ward)}})
	var id int64
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/policy/gap/") {
		t.Fatalf("create: %d %s %s", code, loc, body)
	}
	if _, err := fmt.Sscanf(loc, "/policy/gap/%d", &id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (s *server) rowOf(t *testing.T, table int64, number string) Row {
	t.Helper()
	rows, err := s.store.Rows(context.Background(), table, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Number == number {
			return r
		}
	}
	t.Fatalf("no row %s", number)
	return Row{}
}

func count(t *testing.T, db *database.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPagesAndRoles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newServer(t, db)
		// Bad input on creation: Japanese messages, nothing stored.
		code, _, body := s.post(t, "consultant", "/policy/gap", url.Values{"title": {""}, "fiscal_year": {"来年"}, "guideline": {fmt.Sprint(s.ids.guide)},
			"ward": {fmt.Sprint(s.ids.guide)}})
		if code != http.StatusBadRequest || !strings.Contains(body, "年度は 令和8年度 か 2026 の形で入力してください") {
			t.Fatalf("bad create: %d", code)
		}
		code, _, body = s.post(t, "consultant", "/policy/gap", url.Values{"title": {""}, "fiscal_year": {"2026"}, "guideline": {fmt.Sprint(s.ids.guide)},
			"ward": {fmt.Sprint(s.ids.guide)}})
		if code != http.StatusBadRequest || !strings.Contains(body, "表題を入力してください") || !strings.Contains(body, "別の枠組みを選んでください") {
			t.Fatalf("bad create: %d", code)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM policy_gap_tables"); n != 0 {
			t.Fatalf("%d tables after bad input", n)
		}
		id := s.createTable(t)
		if n := count(t, db, "SELECT COUNT(*) FROM policy_gap_tables WHERE created_by IS NOT NULL"); n != 1 {
			t.Fatal("creator not stored")
		}
		// Who may do what.
		for _, c := range []struct {
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
			if code, _ := s.get(t, c.role, c.path); code != c.want {
				t.Errorf("%s %s %s: %d, want %d", c.role, c.method, c.path, code, c.want)
			}
		}
		r := s.rowOf(t, id, "2.1")
		if code, _, _ := s.post(t, "viewer", fmt.Sprintf("/policy/gap/rows/%d/edit", r.ID), url.Values{"status": {"反映済"}}); code != 403 {
			t.Fatalf("viewer saved a row: %d", code)
		}
		if code, _, _ := s.post(t, "consultant", fmt.Sprintf("/policy/gap/rows/%d/edit", r.ID), url.Values{"status": {"反映済"}, "csrf_token": {"wrong"}}); code != 403 {
			t.Fatalf("bad CSRF token accepted: %d", code)
		}
		// The table page: summary, matrix, flags, the changed clause's
		// old summary, filters.
		code, page := s.get(t, "viewer", fmt.Sprintf("/policy/gap/%d", id))
		for _, want := range []string{"試験整合表", "第2章　物理的対策", "改定前の要旨", "サーバを施錠した部屋に置く。", "対策基準第3条（サーバ等の管理）",
			"候補: 一部反映", "対応規定なし", "ガイドライン改定で変更", "旧 2.3 から番号変更", "区の独自規定", "章ごとの状況"} {
			if !strings.Contains(page, want) {
				t.Errorf("table page lacks %q", want)
			}
		}
		if strings.Contains(page, "/policy/gap/rows/") || strings.Contains(page, "一括変更") {
			t.Error("viewer sees edit controls")
		}
		_, filtered := s.get(t, "viewer", fmt.Sprintf("/policy/gap/%d?flag=unmapped", id))
		if !strings.Contains(filtered, "3.2 クラウドサービスの利用") || strings.Contains(filtered, "2.1 サーバ等の管理") || !strings.Contains(filtered, "1 行（全 9 行中）") {
			t.Error("flag filter does not narrow the rows")
		}
		_, ed := s.get(t, "consultant", fmt.Sprintf("/policy/gap/%d?status=%s", id, url.QueryEscape(Unset)))
		if !strings.Contains(ed, "7 行（全 9 行中）") || !strings.Contains(ed, "/policy/gap/rows/") {
			t.Error("status filter or edit links wrong for the consultant")
		}
		// Row edit: errors in Japanese, nothing saved; then saved and audited.
		path := fmt.Sprintf("/policy/gap/rows/%d/edit", r.ID)
		if code, form := s.get(t, "consultant", path); code != 200 || !strings.Contains(form, "サーバを施錠した部屋に置く。") || !strings.Contains(form, `name="csrf_token"`) {
			t.Fatalf("row form: %d", code)
		}
		code, _, body = s.post(t, "consultant", path, url.Values{"status": {"一部反映"}, "decision": {"反映しない"}, "decision_date": {"R8.2.30"}})
		if code != 400 || !strings.Contains(body, "反映しないと決めた場合は、その理由を入力してください") || !strings.Contains(body, "決定日「R8.2.30」は日付として読めません") {
			t.Fatalf("bad row edit: %d", code)
		}
		if g, _ := s.store.Row(context.Background(), r.ID); g.Status != "" {
			t.Fatal("invalid edit saved")
		}
		code, loc, _ := s.post(t, "consultant", path, url.Values{"status": {"一部反映"}, "difference": {"冗長化の記述がない。"}, "decision": {"反映する"},
			"decision_date": {"令和8年5月20日"}, "planned": {"第19条に第4項を加える。"}, "provisions": {r.Provisions}, "next": {"1"}})
		if code != 303 || !strings.Contains(loc, "/policy/gap/rows/") {
			t.Fatalf("save and next: %d %s", code, loc)
		}
		g, _ := s.store.Row(context.Background(), r.ID)
		if g.Status != StatusPartial || g.DecisionDate != "2026-05-20" || g.Planned != "第19条に第4項を加える。" {
			t.Fatalf("saved row %+v", g)
		}
		if _, form := s.get(t, "consultant", path); !strings.Contains(form, `value="令和8年5月20日"`) {
			t.Error("the row form does not show the decision date in 和暦")
		}
		if n := count(t, db, "SELECT COUNT(*) FROM policy_gap_rows WHERE id = ? AND updated_by IS NOT NULL", r.ID); n != 1 {
			t.Fatal("editor not stored")
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'policy.gap_row_update' AND login = 'consultant'"); n != 1 {
			t.Fatalf("%d audit entries for the row edit", n)
		}
		// Bulk: the unmapped rows shown by a filter set to 未反映 (already),
		// then all unset rows shown to their suggestion.
		code, loc, _ = s.post(t, "admin", fmt.Sprintf("/policy/gap/%d/bulk", id), url.Values{"status": {"suggested"}, "scope": {"selected"}})
		if code != 303 || !strings.Contains(loc, fmt.Sprintf("/policy/gap/%d", id)) {
			t.Fatalf("bulk without rows: %d %s", code, loc)
		}
		var shown []string
		rows, _ := s.store.Rows(context.Background(), id, Filter{Status: Unset})
		for _, r := range rows {
			shown = append(shown, fmt.Sprint(r.ID))
		}
		code, loc, _ = s.post(t, "admin", fmt.Sprintf("/policy/gap/%d/bulk", id), url.Values{"status": {"suggested"}, "scope": {"shown"}, "shown": shown,
			"back": {"status=" + url.QueryEscape(Unset) + "&x=<script>"}})
		if code != 303 || !strings.Contains(loc, "status=") || strings.Contains(loc, "<") {
			t.Fatalf("bulk shown: %d %s", code, loc)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM policy_gap_rows WHERE table_id = ? AND status = ''", id); n != 0 {
			t.Fatalf("%d rows still unset after bulk", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM policy_gap_rows WHERE table_id = ? AND status = '反映済'", id); n != 6 {
			t.Fatalf("%d rows 反映済 after bulk", n)
		}
		// List page counts.
		_, list := s.get(t, "viewer", "/policy/gap")
		if !strings.Contains(list, "試験整合表") || !strings.Contains(list, "令和8年度") {
			t.Fatal("list page")
		}
	})
}

func TestExportImportRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newServer(t, db)
		ctx := context.Background()
		id := s.createTable(t)
		r21 := s.rowOf(t, id, "2.1")
		if _, err := s.store.UpdateRow(ctx, r21.ID, Edit{Provisions: r21.Provisions, Status: StatusPartial, Decision: DecisionPending,
			DecisionDate: "2026-05-20", Difference: "冗長化の規定がない。"}, 0, now); err != nil {
			t.Fatal(err)
		}
		code, _, x := s.req(t, "consultant", "GET", fmt.Sprintf("/policy/gap/%d/xlsx", id), nil, "")
		if code != 200 {
			t.Fatalf("xlsx: %d %s", code, x)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = ?", fmt.Sprintf("policy_gap_table:%d", id)); n != 1 {
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
			if len(r) == len(Columns) && r[0] == ColNo && r[4] == ColStatus && r[11] == ColFlags {
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
			name, _ := excelize.ColumnNumberToName(colIndex(col) + 1)
			return fmt.Sprintf("%s%d", name, line)
		}
		// Unchanged file: nothing to change.
		code, body := s.upload(t, "consultant", fmt.Sprintf("/policy/gap/%d/import", id), x, false)
		if code != 200 || !strings.Contains(body, "変更されたセルはありませんでした") {
			t.Fatalf("re-import of the export: %d %s", code, extract(body))
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
		must(f.SetCellStr(sheet, cellOf(ColStatus, line21), "反映済"))
		must(f.SetCellStr(sheet, cellOf(ColDecision, line32), "反映する"))
		must(f.SetCellStr(sheet, cellOf(ColDate, line32), "令和8年6月3日"))
		must(f.SetCellStr(sheet, cellOf(ColPlanned, line32), "第46条を全部改め、クラウドの選定要件を定める。"))
		must(f.SetCellStr(sheet, cellOf(ColFlags, line32), "勝手に書き換えたフラグ"))
		var edited bytes.Buffer
		must(f.Write(&edited))
		code, body = s.upload(t, "consultant", fmt.Sprintf("/policy/gap/%d/import", id), edited.Bytes(), true)
		if code != 200 || !strings.Contains(body, "確認のみ: 4 セルが変わります") {
			t.Fatalf("dry run: %d %s", code, extract(body))
		}
		if g := s.rowOf(t, id, "3.2"); g.Decision != "" {
			t.Fatal("dry run wrote")
		}
		code, body = s.upload(t, "consultant", fmt.Sprintf("/policy/gap/%d/import", id), edited.Bytes(), false)
		if code != 200 || !strings.Contains(body, "2 行の 4 セルを変更しました") {
			t.Fatalf("import: %d %s", code, extract(body))
		}
		g32 := s.rowOf(t, id, "3.2")
		if g32.Decision != DecisionReflect || g32.DecisionDate != "2026-06-03" || !strings.HasPrefix(g32.Planned, "第46条を全部改め") || !g32.Unmapped {
			t.Fatalf("imported row %+v", g32)
		}
		if g := s.rowOf(t, id, "2.1"); g.Status != StatusReflected || g.DecisionDate != "2026-05-20" {
			t.Fatalf("2.1 after import %+v", g)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'policy.gap_row_update' AND detail LIKE '%Excel取込み%'"); n != 2 {
			t.Fatalf("%d audited imported rows", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'policy.gap_import'"); n != 1 {
			t.Fatal("import not audited")
		}

		// Errors: every bad row named, nothing written.
		must(f.SetCellStr(sheet, cellOf(ColStatus, line21), "済み"))
		must(f.SetCellStr(sheet, cellOf(ColDate, line32), "令和8年13月1日"))
		must(f.SetCellStr(sheet, cellOf(ColIssue, line32), "この課題は書き込まれてはならない"))
		must(f.SetCellStr(sheet, cellOf(ColClause, header+3), "9.9 別の条項"))
		must(f.SetCellStr(sheet, cellOf(ColNo, len(rows)+2), "99"))
		must(f.SetCellStr(sheet, cellOf(ColClause, len(rows)+2), "9.9 ない条項"))
		var bad bytes.Buffer
		must(f.Write(&bad))
		code, body = s.upload(t, "consultant", fmt.Sprintf("/policy/gap/%d/import", id), bad.Bytes(), false)
		text := extract(body)
		for _, want := range []string{"取り込みませんでした（何も変更していません）", "状況「済み」は使えません", "決定日「令和8年13月1日」は日付として読めません",
			"条項が表と一致しません", "No.99 はこの整合表にありません", fmt.Sprintf("%d行目", line21)} {
			if !strings.Contains(text, want) {
				t.Errorf("error page lacks %q:\n%s", want, text)
			}
		}
		if code != 400 {
			t.Errorf("import with errors: %d", code)
		}
		if g := s.rowOf(t, id, "3.2"); g.Issue != "" {
			t.Fatal("a file with errors was partly written")
		}
		// Unreadable files.
		other := s.createTable(t)
		for _, c := range []struct {
			name string
			data []byte
			want string
		}{
			{"text", []byte("No,状況\n1,反映済\n"), "整合表.xlsx: Excel（.xlsx）のファイルではありません"},
			{"xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0}, make([]byte, 600)...), "パスワード付き"},
			{"another table", edited.Bytes(), fmt.Sprintf("別の整合表（整合表番号 %d）", id)},
		} {
			target := id
			if c.name == "another table" {
				target = other
			}
			code, body := s.upload(t, "consultant", fmt.Sprintf("/policy/gap/%d/import", target), c.data, false)
			if code != 400 || !strings.Contains(body, c.want) {
				t.Errorf("%s: %d %s", c.name, code, extract(body))
			}
		}
	})
}

func TestPDF(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newServer(t, db)
		id := s.createTable(t)
		code, _, b := s.req(t, "viewer", "GET", fmt.Sprintf("/policy/gap/%d/pdf", id), nil, "")
		if code != 200 || !bytes.HasPrefix(b, []byte("%PDF")) {
			t.Fatalf("pdf: %d", code)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND login = 'viewer'"); n != 1 {
			t.Fatal("pdf download not audited")
		}
		if _, err := exec.LookPath("pdftotext"); err != nil {
			t.Skip("pdftotext not installed")
		}
		dir := t.TempDir()
		p := filepath.Join(dir, "gap.pdf")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("pdftotext", "-layout", p, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		txt := string(out)
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

func TestDefaults(t *testing.T) {
	fws := []catalog.StoredFramework{{ID: 1, Code: "mic-policy", Version: "令和7年3月"}, {ID: 2, Code: "hinode-policy", Version: "令和6年4月1日施行"},
		{ID: 3, Code: "mic-policy", Version: "令和5年3月"}, {ID: 4, Code: "mic-policy", Version: "令和6年10月"}, {ID: 5, Code: "ppc-mynumber", Version: "x"}}
	v := defaults(fws, 2026)
	if v.Get("guideline") != "1" || v.Get("previous") != "4" || v.Get("ward") != "2" || v.Get("fiscal_year") != "令和8年度" ||
		!strings.Contains(v.Get("title"), "令和7年3月版") {
		t.Fatalf("defaults %v", v)
	}
	if v := defaults(fws[4:], 2026); v.Get("guideline") != "" || v.Get("title") != "" {
		t.Fatalf("defaults without the guideline %v", v)
	}
}

// extract is the page's visible text, roughly, for failure messages.
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
