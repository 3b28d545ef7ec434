package org_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/width"

	"mamori/internal/webtest"
)

// demoPerson is one active person of the demo ward whose name is 田中
// and a given name, as the list shows them.
type demoPerson struct{ no, name, kana, email string }

func findTanaka(t *testing.T, s *webtest.Server) demoPerson {
	t.Helper()
	var p demoPerson
	if err := s.DB.QueryRow(t.Context(), `SELECT employee_no, name, kana, email FROM staff
		WHERE active = TRUE AND name LIKE '田中　%' ORDER BY employee_no LIMIT 1`).Scan(&p.no, &p.name, &p.kana, &p.email); err != nil {
		t.Fatal(err)
	}
	return p
}

// hiragana turns katakana into hiragana (the way a user types a reading).
func hiragana(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'ァ' && r <= 'ヶ' {
			return r - 0x60
		}
		return r
	}, s)
}

// csvRows reads a UTF-8 CSV export.
func csvRows(t *testing.T, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v", err)
	}
	return rows
}

// TestStaffListPagesSortsAndExports: the paging links carry page=2 (not
// the escaped page%3d2 of issue 10) and page 2 shows rows 51–100 of the
// order the export has; filters and order survive paging; a page past the
// end says so instead of asking for a roster; bad filter values are shown
// beside their field; the export holds exactly the filtered rows in the
// importer's columns.
func TestStaffListPagesSortsAndExports(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	c := s.As("admin")
	total := s.Count("SELECT COUNT(*) FROM staff WHERE active = TRUE")

	first := c.Get("/staff").Want(http.StatusOK, fmt.Sprintf("%d 件中 1–50 件を表示", total), `href="/staff?page=2"`, `rel="next"`).
		Lacks("page%3d", "page%3D")
	_ = first
	all := csvRows(t, c.Download("/staff/export?format=csv-utf8", "text/csv"))
	if all[0][0] != "職員番号" || all[0][1] != "氏名" || all[0][3] != "所属コード" || all[0][11] != "在籍区分" {
		t.Fatalf("export header changed: %v", all[0])
	}
	if len(all)-1 != total {
		t.Fatalf("export has %d rows, list %d", len(all)-1, total)
	}
	page2 := c.Get("/staff?page=2").Want(http.StatusOK, fmt.Sprintf("%d 件中 51–100 件を表示", total),
		`href="/staff?page=3"`, `href="/staff" rel="prev"`, `<strong aria-current="page">2</strong>`,
		">"+all[51][0]+"<", ">"+all[100][0]+"<")
	page2.Lacks(">"+all[50][0]+"<", ">"+all[101][0]+"<")

	// Sorting by employee number, descending, keeps the order through the pages.
	byNo := c.Get("/staff?sort=no&dir=desc").Want(http.StatusOK, `aria-sort="descending"`, `href="/staff?dir=desc&amp;page=2&amp;sort=no"`)
	_ = byNo
	sorted := csvRows(t, c.Download("/staff/export?format=csv-utf8&sort=no&dir=desc", "text/csv"))
	for i := 2; i < len(sorted); i++ {
		if sorted[i-1][0] < sorted[i][0] {
			t.Fatalf("export not sorted by number descending at row %d: %s then %s", i, sorted[i-1][0], sorted[i][0])
		}
	}
	c.Get("/staff?sort=no&dir=desc&page=2").Want(http.StatusOK, ">"+sorted[51][0]+"<", ">"+sorted[100][0]+"<")

	// Filters combine and survive paging and export.
	managers := s.Count("SELECT COUNT(*) FROM staff WHERE active = TRUE AND job_class = '管理職' AND is_protection = TRUE")
	q := "/staff?job_class=" + url.QueryEscape("管理職") + "&flag=protection"
	c.Get(q).Want(http.StatusOK, fmt.Sprintf("%d 件中 1–", managers), "（絞り込み中）")
	got := csvRows(t, c.Download("/staff/export?format=csv-utf8&job_class="+url.QueryEscape("管理職")+"&flag=protection", "text/csv"))
	if len(got)-1 != managers {
		t.Fatalf("filtered export has %d rows, want %d", len(got)-1, managers)
	}
	for _, r := range got[1:] {
		if r[6] != "管理職" || r[9] != "○" {
			t.Fatalf("filtered export holds a row outside the filter: %v", r)
		}
	}
	// The department filter includes sub-departments.
	var kaID int64
	var kaCode string
	if err := s.DB.QueryRow(t.Context(), "SELECT id, code FROM departments WHERE name = '戸籍住民課'").Scan(&kaID, &kaCode); err != nil {
		t.Fatal(err)
	}
	sub := s.Count(`SELECT COUNT(*) FROM staff s JOIN departments d ON d.id = s.department_id
		WHERE s.active = TRUE AND (d.id = ? OR d.parent_id = ?)`, kaID, kaID)
	c.Get(fmt.Sprintf("/staff?department=%d", kaID)).Want(http.StatusOK, fmt.Sprintf("%d 件中 1–", sub), "住民記録係")

	// A page past the end says so and links back; it does not ask for a roster.
	pages := (total + 49) / 50
	c.Get("/staff?page=999").Want(http.StatusOK, "ページ 999 はありません", fmt.Sprintf(`href="/staff?page=%d"`, pages)).
		Lacks("取り込んでください", "名簿がまだ")
	// A filter that matches nothing says what to do.
	c.Get("/staff?q="+url.QueryEscape("存在しない名前")).Want(http.StatusOK, "条件に合う職員はありません", "条件を解除する").Lacks("取り込んでください")

	// Wrong values are refused beside their field, with the input kept;
	// the export refuses them outright.
	c.Get("/staff?department=abc&job_class="+url.QueryEscape("部長")).Want(http.StatusOK,
		"所属（配下を含む）の指定が正しくありません", "職層の指定が正しくありません", `aria-invalid="true"`, fmt.Sprintf("%d 件中 1–50", total))
	c.Get("/staff/export?format=csv&job_class=x").Want(http.StatusBadRequest, "職層の指定が正しくありません")
	c.Get("/staff?sort=salary").Want(http.StatusOK, fmt.Sprintf("%d 件中 1–50", total))
	c.Get("/staff?size=100&page=2").Want(http.StatusOK, fmt.Sprintf("%d 件中 101–200 件を表示", total), `href="/staff?page=3&amp;size=100"`)
}

// TestAuditeeStaffList: the auditee's scoped list pages with working
// links, offers their own departments only and refuses another one beside
// the field.
func TestAuditeeStaffList(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	c := s.As("auditee")
	tree, err := s.Org.Departments(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var own int64
	if err := s.DB.QueryRow(t.Context(), "SELECT department_id FROM users WHERE login = 'auditee'").Scan(&own); err != nil {
		t.Fatal(err)
	}
	ids := tree.Subtree(own)
	n := 0
	for _, id := range ids {
		n += s.Count("SELECT COUNT(*) FROM staff WHERE active = TRUE AND department_id = ?", id)
	}
	if n <= 50 {
		t.Fatalf("the auditee's department has %d staff: too few to test paging", n)
	}
	c.Get("/staff").Want(http.StatusOK, fmt.Sprintf("%d 件中 1–50 件を表示", n), `href="/staff?page=2"`, "所属の範囲").Lacks("page%3d", "課税係")
	c.Get("/staff?page=2").Want(http.StatusOK, fmt.Sprintf("%d 件中 51–%d 件を表示", n, min(100, n)))
	var other int64
	if err := s.DB.QueryRow(t.Context(), "SELECT id FROM departments WHERE name = '課税係' LIMIT 1").Scan(&other); err != nil {
		t.Fatal(err)
	}
	c.Get(fmt.Sprintf("/staff?department=%d", other)).Want(http.StatusOK, "所属（配下を含む）の指定が正しくありません", fmt.Sprintf("%d 件中", n)).Lacks("課税係")
	c.Get(fmt.Sprintf("/staff/export?format=csv&department=%d", other)).Want(http.StatusBadRequest)
	rows := csvRows(t, c.Download("/staff/export?format=csv-utf8", "text/csv"))
	if len(rows)-1 != n {
		t.Fatalf("auditee export has %d rows, want %d", len(rows)-1, n)
	}
}

// TestStaffSearchFolds: full names with an ASCII space, a full-width
// space or none, the reading in hiragana, katakana or half-width katakana,
// the employee number and the mail address all find the person, on every
// backend; rows written before migration 0010 (search_text empty) are
// indexed before the search; the staff form keeps search_text current.
func TestStaffSearchFolds(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
		c := s.As("admin")
		p := findTanaka(t, s)
		sur, given, _ := strings.Cut(p.name, "\u3000")
		ksur, kgiven, _ := strings.Cut(p.kana, "\u3000")
		for _, q := range []string{
			sur + " " + given, sur + "\u3000" + given, sur + given, given + " " + sur,
			hiragana(ksur + " " + kgiven), ksur + kgiven, width.Narrow.String(ksur + " " + kgiven),
			sur + " " + hiragana(kgiven), p.no, strings.ToUpper(p.email), width.Widen.String(p.no),
		} {
			c.Get("/staff?q="+url.QueryEscape(q)).Want(http.StatusOK, ">"+p.no+"<", "件を表示")
		}
		if n := s.Count("SELECT COUNT(*) FROM staff WHERE search_text = ''"); n != 0 {
			t.Fatalf("the demo left %d staff without search_text", n)
		}
		// Rows without search_text (as after the migration) are found.
		if _, err := s.DB.Exec(t.Context(), "UPDATE staff SET search_text = ''"); err != nil {
			t.Fatal(err)
		}
		c.Get("/staff?q="+url.QueryEscape(sur+" "+given)).Want(http.StatusOK, ">"+p.no+"<")
		if n := s.Count("SELECT COUNT(*) FROM staff WHERE search_text = ''"); n != 0 {
			t.Fatalf("%d staff still without search_text after a search", n)
		}
		// The staff form sets it on create and on update.
		var dept int64
		if err := s.DB.QueryRow(t.Context(), "SELECT id FROM departments WHERE name = '住民記録係'").Scan(&dept); err != nil {
			t.Fatal(err)
		}
		form := url.Values{"employee_no": {"990001"}, "name": {"検索　花子"}, "kana": {"ケンサク　ハナコ"}, "department_id": {strconv.FormatInt(dept, 10)},
			"job_class": {"一般職員"}, "active": {"1"}, "email": {"kensaku@example.jp"}}
		loc := c.Post("/staff", form).Want(http.StatusSeeOther).Header.Get("Location")
		c.Get("/staff?q="+url.QueryEscape("けんさく はなこ")).Want(http.StatusOK, "検索　花子", "1 件中 1–1 件を表示")
		form.Set("name", "検索　春子")
		form.Set("kana", "ケンサク　ハルコ")
		c.Post(loc, form).Want(http.StatusSeeOther)
		c.Get("/staff?q="+url.QueryEscape("検索春子")).Want(http.StatusOK, "検索　春子")
		c.Get("/staff?q="+url.QueryEscape("けんさく はなこ")).Want(http.StatusOK, "条件に合う職員はありません")
	})
}

// TestDepartmentTree: counts include sub-departments; the auditee's page
// counts the departments they can see (issue 10: 「227 所属」 beside 5);
// the search shows matches with the way down to them and exports exactly
// the matches and their sub-departments.
func TestDepartmentTree(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	admin := s.As("admin")
	all := s.Count("SELECT COUNT(*) FROM departments")
	staff := s.Count("SELECT COUNT(*) FROM staff WHERE active = TRUE")
	var kaID int64
	if err := s.DB.QueryRow(t.Context(), "SELECT id FROM departments WHERE name = '戸籍住民課'").Scan(&kaID); err != nil {
		t.Fatal(err)
	}
	sub := s.Count(`SELECT COUNT(*) FROM staff s JOIN departments d ON d.id = s.department_id
		WHERE s.active = TRUE AND (d.id = ? OR d.parent_id = ?)`, kaID, kaID)
	kaDepts := 1 + s.Count("SELECT COUNT(*) FROM departments WHERE parent_id = ?", kaID)
	body := admin.Get("/admin/departments").Want(http.StatusOK, fmt.Sprintf("%d 所属（在籍 %d 人）", all, staff),
		"<details open>", "<summary>", fmt.Sprintf("%d 人（配下を含む）", sub)).Body
	// The top level starts open, the levels below closed.
	if strings.Count(body, "<details open>") >= strings.Count(body, "<details") {
		t.Error("every level starts open")
	}
	admin.Get("/admin/departments?open=all").Want(http.StatusOK, "上の階層だけを開く").Lacks("<details>")

	auditee := s.As("auditee")
	auditee.Get("/admin/departments").Want(http.StatusOK, fmt.Sprintf("%d 所属（在籍 %d 人）", kaDepts, sub), "戸籍住民課", "住民記録係").
		Lacks(fmt.Sprintf("%d 所属", all), "課税係", "所属を追加")
	rows := csvRows(t, auditee.Download("/admin/departments/export?format=csv-utf8", "text/csv"))
	if len(rows)-1 != kaDepts {
		t.Fatalf("auditee's department export has %d rows, want %d", len(rows)-1, kaDepts)
	}

	// Search: words in any order, half-width kana; the way down is shown and opened.
	admin.Get("/admin/departments?q="+url.QueryEscape("記録　住民")).Want(http.StatusOK, "<mark>住民記録係</mark>", "所属が一致")
	admin.Get("/admin/departments?q="+url.QueryEscape("ｼﾃｨﾌﾟﾛﾓｰｼｮﾝ")).Want(http.StatusOK, "<mark>シティプロモーション係</mark>", "227 所属中 1 所属が一致")
	admin.Get("/admin/departments?q="+url.QueryEscape("住民記録")).Want(http.StatusOK, "<mark>住民記録係</mark>", "戸籍住民課").Lacks("課税係")
	exp := csvRows(t, admin.Download("/admin/departments/export?format=csv-utf8&q="+url.QueryEscape("戸籍住民課"), "text/csv"))
	if len(exp)-1 != kaDepts || exp[1][1] != "戸籍住民課" || exp[1][6] != strconv.Itoa(sub) {
		t.Fatalf("search export: %v", exp)
	}
	admin.Get("/admin/departments?q="+url.QueryEscape("存在しない所属")).Want(http.StatusOK, "に一致する所属はありません")
}

// TestUsersAndYearsLists: the users list filters, sorts, pages and
// exports on the shared list view; the 年度 page shows 和暦 dates.
func TestUsersAndYearsLists(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	c := s.As("admin")
	c.Get("/admin/users").Want(http.StatusOK, "7 件中 1–7 件を表示", `aria-sort="ascending"`, "consultant", "vendor")
	c.Get("/admin/users?role=auditee").Want(http.StatusOK, "1 件中 1–1 件を表示", "戸籍住民課").Lacks(">consultant<")
	c.Get("/admin/users?q="+url.QueryEscape("ＣＩＳＯ")).Want(http.StatusOK, "1 件中", "viewer")
	c.Get("/admin/users?role=boss").Want(http.StatusOK, "役割の指定が正しくありません", "7 件中")
	c.Get("/admin/users?page=5").Want(http.StatusOK, "ページ 5 はありません")
	rows := csvRows(t, c.Download("/admin/users/export?format=csv-utf8&sort=login&dir=desc", "text/csv"))
	if len(rows) != 8 || rows[1][0] != "viewer" || rows[7][0] != "admin" || rows[0][2] != "役割" {
		t.Fatalf("users export: %v", rows)
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = 'users.export'") != 1 {
		t.Error("users export not in the audit log")
	}
	s.As("auditee").Get("/admin/users/export?format=csv").Want(http.StatusForbidden)

	c.Get("/admin/years").Want(http.StatusOK, "令和8年4月1日 〜 令和9年3月31日", "令和7年4月1日").Lacks("2026-04-01", "2027-03-31")
}
