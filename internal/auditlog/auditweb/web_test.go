package auditweb_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"mamori/internal/auditlog"
	"mamori/internal/jp"
	"mamori/internal/org"
	"mamori/internal/web"
	"mamori/internal/webtest"
)

// clock is a settable clock for the app, so that entries fall on chosen days.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// fixture is the demo ward (about 150 entries of its own) and entries of
// a person 「山田　花子」 (yamada) and others on 1 and 2 May 2030.
type fixture struct {
	*webtest.Server
	action       int64  // a demo improvement action
	actionTitle  string // its title
	staffName    string
	deptName     string
	day1, day2   time.Time
	yamadaEdit2  int64 // the entry: yamada edited the demo action on day 2
	consultEdit2 int64 // the consultant edited it too, on day 2
}

func start(t *testing.T) *fixture {
	t.Helper()
	day1 := time.Date(2030, 5, 1, 9, 30, 0, 0, jp.JST)
	c := &clock{t: day1}
	f := &fixture{Server: webtest.Start(t, webtest.Options{Demo: true, Now: c.Now}), day1: day1, day2: day1.AddDate(0, 0, 1)}
	ctx := context.Background()
	if _, err := f.Org.CreateAccount(ctx, org.AccountInput{Login: "yamada", DisplayName: "山田　花子", Role: web.RoleAdmin, Password: "Correct-horse-42"}); err != nil {
		t.Fatal(err)
	}
	yamada, err := f.Org.AccountByLogin(ctx, "yamada")
	if err != nil {
		t.Fatal(err)
	}
	consultant, err := f.Org.AccountByLogin(ctx, "consultant")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.DB.QueryRow(ctx, "SELECT id, title FROM improvement_actions ORDER BY id LIMIT 1").Scan(&f.action, &f.actionTitle); err != nil {
		t.Fatal(err)
	}
	var staffID, deptID int64
	if err := f.DB.QueryRow(ctx, "SELECT id, name FROM staff ORDER BY id LIMIT 1").Scan(&staffID, &f.staffName); err != nil {
		t.Fatal(err)
	}
	if err := f.DB.QueryRow(ctx, "SELECT id, name FROM departments WHERE name = '住民記録係'").Scan(&deptID, &f.deptName); err != nil {
		t.Fatal(err)
	}
	as := func(id int64, login string) context.Context {
		return auditlog.WithActor(ctx, auditlog.Actor{UserID: id, Login: login, IP: "192.0.2.7"})
	}
	rec := func(ctx context.Context, action, target, detail string) int64 {
		t.Helper()
		if err := f.Log.Record(ctx, action, target, detail); err != nil {
			t.Fatal(err)
		}
		return f.ID("SELECT MAX(id) FROM audit_log")
	}
	ya, co := as(yamada.ID, "yamada"), as(consultant.ID, "consultant")
	rec(ya, "login.success", fmt.Sprintf("user:%d", yamada.ID), "")
	rec(ya, "improve.edit", "improvement_action:99999", "編集: 期限")
	rec(auditlog.WithActor(ctx, auditlog.Actor{Login: "ghost", IP: "198.51.100.9"}), "login.failure", "login:ghost", "パスワード誤り")
	c.Set(f.day2)
	f.yamadaEdit2 = rec(ya, "improve.edit", fmt.Sprintf("improvement_action:%d", f.action), "編集: 件名")
	f.consultEdit2 = rec(co, "improve.edit", fmt.Sprintf("improvement_action:%d", f.action), "編集: 内容")
	rec(ya, "access.denied", "/admin/users", "GET /admin/users を 管理者 が要求")
	rec(ya, "department.save", fmt.Sprintf("department:%d", deptID), "所属を保存")
	rec(ya, "staff.update", fmt.Sprintf("staff:%d", staffID), "職員を更新")
	rec(ya, "future.thing", "elsewhere", "次の版の操作")
	return f
}

var idRe = regexp.MustCompile(`<td class="num">(\d+)</td>`)

// ids are the entry numbers listed on a page.
func ids(body string) []string {
	var out []string
	for _, m := range idRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestAuditLogPaging: the pager's links are real links (the bug: every
// link was written /admin/auditlog?page%3d2, so the page never changed),
// page 2 shows the next 50 entries, and page 3 the rest.
func TestAuditLogPaging(t *testing.T) {
	f := start(t)
	admin := f.As("admin")
	total := f.Count("SELECT COUNT(*) FROM audit_log")
	if total <= 100 {
		t.Fatalf("only %d entries: the fixture must fill three pages", total)
	}
	p1 := admin.Get("/admin/auditlog").Want(http.StatusOK, fmt.Sprintf("%d 件中 1–50 件を表示", total), `href="/admin/auditlog?page=2"`, `rel="next"`)
	p1.Lacks("%3d", "%3D")
	p2 := admin.Get("/admin/auditlog?page=2").Want(http.StatusOK, fmt.Sprintf("%d 件中 51–100 件を表示", total),
		`href="/admin/auditlog?page=3"`, `href="/admin/auditlog" rel="prev"`, `aria-current="page">2<`)
	one, two := ids(p1.Body), ids(p2.Body)
	if len(one) != 50 || len(two) != 50 {
		t.Fatalf("pages list %d and %d entries, want 50 each", len(one), len(two))
	}
	for _, id := range two {
		if slices.Contains(one, id) {
			t.Fatalf("entry %s is on pages 1 and 2", id)
		}
	}
	// Newest first: page 1 starts with the last entry written.
	if want := fmt.Sprint(f.ID("SELECT MAX(id) FROM audit_log")); one[0] != want {
		t.Errorf("page 1 starts with %s, want the newest %s", one[0], want)
	}
	// The position is kept with the filters and the order in every link.
	p := admin.Get("/admin/auditlog?page=2&size=100&sort=action").Want(http.StatusOK, `href="/admin/auditlog?size=100&amp;sort=action"`)
	if strings.Contains(p.Body, `page=3`) != (total > 200) {
		t.Errorf("page links at 100 a page for %d entries", total)
	}
	// Past the end: the list says so and links to the last page.
	admin.Get("/admin/auditlog?page=99").Want(http.StatusOK, "ページ 99 はありません", fmt.Sprintf(`href="/admin/auditlog?page=%d"`, (total+49)/50))
}

// TestAuditLogInJapanese: actions, people and objects are named in
// Japanese, with the codes on hover; objects link to their pages, and a
// gone object reads 「改善措置 No.99999」.
func TestAuditLogInJapanese(t *testing.T) {
	f := start(t)
	r := f.As("admin").Get("/admin/auditlog").Want(http.StatusOK,
		`title="login.success">ログイン成功</span>`,
		`class="badge badge-ng" title="access.denied">アクセス拒否</span>`,
		`title="login.failure">ログイン失敗</span>`,
		`title="improve.edit">改善措置を編集</span>`,
		`title="山田　花子（ログインID: yamada）">山田　花子</a>`, // the person's name, not the login
		`<span class="muted">改善措置</span> <a href="/improve/`+fmt.Sprint(f.action)+`">`+f.actionTitle,
		`title="improvement_action:99999">改善措置 No.99999</span>`, // gone: kind and number, no link
		`<span class="muted">所属</span> <a href="/admin/departments/`, f.deptName,
		`<span class="muted">職員</span> <a href="/staff/`, f.staffName,
		`>ログインID ghost</span>`, "/admin/users",
		`<span class="code">future.thing</span>`, // a code without a name yet: shown as it is
		"令和12年5月2日 09:30", `class="date"`, `class="clamp"`)
	r.Lacks(`>login.success<`, `>improve.edit<`, `>improvement_action:`)
	// The demo's own entries: the gap table's rows and the catalogue, named.
	all := f.As("admin").Get("/admin/auditlog?size=200").Want(http.StatusOK, "整合表の行を更新", "チェックリストを取込み", "デモデータを作成")
	all.Lacks(`>policy.gap_row_update<`, `>catalog.template_import<`, `>policy_gap_row:`)
}

// TestAuditLogFilters: the filters combine (操作の種類, 利用者, 期間, 対象,
// search), wrong values are shown beside their fields with the input
// kept, and the export holds exactly the filtered entries with their codes.
func TestAuditLogFilters(t *testing.T) {
	f := start(t)
	admin := f.As("admin")
	count := func(path string, n int) *webtest.Response {
		t.Helper()
		r := admin.Get(path).Want(http.StatusOK)
		if got := len(ids(r.Body)); got != n {
			t.Errorf("%s: %d entries, want %d\n%s", path, got, n, webtest.Excerpt(r.Body))
		}
		return r
	}
	// One action, one person, one day: yamada's edit on day 2 only.
	count("/admin/auditlog?action=improve.edit&user=%E5%B1%B1%E7%94%B0&from=2030-05-02&to=2030-05-02", 1).
		Want(http.StatusOK, "1 件中 1–1 件を表示（絞り込み中）", fmt.Sprintf(`<td class="num">%d</td>`, f.yamadaEdit2))
	// The same action and day for everyone: the consultant's edit too.
	count("/admin/auditlog?action=improve.edit&from=2030-05-02&to=2030-05-02", 2)
	// The person by full name with or without a space, or by login.
	for _, who := range []string{"山田 花子", "山田　花子", "山田花子", "YAMADA"} {
		count("/admin/auditlog?action=improve.edit&user="+urlq(who), 2)
	}
	// An area of actions: ログイン・アクセス of yamada = the login and the denial.
	count("/admin/auditlog?action=group:auth&user=yamada", 2)
	// 期間 in 和暦 as typed into the URL; the form keeps it.
	count("/admin/auditlog?action=improve.edit&from="+urlq("令和12年5月1日")+"&to="+urlq("R12.5.1"), 1)
	// 対象 in Japanese: one action by kind and number, or a whole kind.
	count(fmt.Sprintf("/admin/auditlog?from=2030-05-01&target=%s", urlq(fmt.Sprintf("改善措置 No.%d", f.action))), 2)
	count("/admin/auditlog?from=2030-05-01&target="+urlq("改善措置"), 3)
	// Search folds kana and width: ひらがな finds the actions named in katakana.
	// ログイン成功, ログイン失敗, and yamada's account created (「ログインID yamada」).
	count("/admin/auditlog?from=2030-05-01&q="+urlq("ろぐいん"), 3)
	count("/admin/auditlog?from=2030-05-01&q="+urlq("ろぐいん 成功"), 1)
	count("/admin/auditlog?from=2030-05-01&q="+urlq("ＧＨＯＳＴ"), 1)

	// Wrong values: beside their fields, input kept, never a 400 page.
	admin.Get("/admin/auditlog?from="+urlq("きのう")).Want(http.StatusOK, "開始日は 2026-04-01 または 令和8年4月1日 の形で", `value="きのう"`, `aria-invalid="true"`)
	admin.Get("/admin/auditlog?from=2030-05-02&to=2030-05-01").Want(http.StatusOK, "終了日は開始日と同じ日か")
	admin.Get("/admin/auditlog?action=nothing.such").Want(http.StatusOK, "操作の種類の指定が正しくありません")
	admin.Get("/admin/auditlog/export?format=csv&from="+urlq("きのう")).Want(http.StatusBadRequest, "開始日")

	// The export: the filtered entries (both pages' worth), names and codes.
	csv := string(admin.Download("/admin/auditlog/export?format=csv-utf8&action=improve.edit&user=yamada", "text/csv"))
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) != 3 {
		t.Fatalf("export has %d lines, want the header and 2 entries:\n%s", len(lines), csv)
	}
	for _, want := range []string{"操作コード", "対象コード", "ハッシュ", "改善措置を編集,improve.edit", "山田　花子,yamada",
		"改善措置 No.99999,improvement_action:99999", fmt.Sprintf("改善措置 %s,improvement_action:%d", f.actionTitle, f.action), "令和12年5月2日 09:30:00"} {
		if !strings.Contains(csv, want) {
			t.Errorf("export lacks %q:\n%s", want, csv)
		}
	}
	if strings.Contains(csv, "consultant") {
		t.Error("export holds an entry outside the filter")
	}
	x, err := excelize.OpenReader(bytes.NewReader(admin.Download("/admin/auditlog/export?format=xlsx&action=improve.edit&user=yamada", "application/vnd.openxmlformats")))
	if err != nil {
		t.Fatal(err)
	}
	grid, err := x.GetRows(x.GetSheetName(0))
	if err != nil || len(grid) != 3 || grid[0][5] != "操作コード" || grid[1][4] != "改善措置を編集" || grid[1][5] != "improve.edit" || grid[2][7] != "improvement_action:99999" {
		t.Errorf("xlsx export: %v %q", err, grid)
	}
	if n := f.Count("SELECT COUNT(*) FROM audit_log WHERE action = ? AND target = 'auditlog.export' AND detail LIKE '%（2 件）'", web.DownloadAction); n != 2 {
		t.Errorf("export recorded %d times", n)
	}
	// The export's own entry is named too.
	admin.Get("/admin/auditlog?action=download").Want(http.StatusOK, "監査ログ（一覧の出力）", `title="auditlog.export"`)

	// Administrators only.
	staff := f.As("staff")
	staff.Get("/admin/auditlog").Want(http.StatusForbidden)
	staff.Get("/admin/auditlog/export?format=csv").Want(http.StatusForbidden)
}

func urlq(s string) string { return url.QueryEscape(s) }
