package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// TestNavRenderedOncePerMenu: the side navigation is rendered once per
// distinct menu (role and current section) and reused, escaped and marked
// exactly as rendering it on every page would; pages rendered into reused
// buffers carry nothing of the page before.
func TestNavRenderedOncePerMenu(t *testing.T) {
	rd, err := NewRenderer(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	pages := fstest.MapFS{
		"p/small.html": {Data: []byte(`{{define "content"}}<p>小さい本文</p>{{end}}`)},
		"p/big.html":   {Data: []byte(`{{define "content"}}{{range .Data}}<p>長い一覧の行 {{.}}</p>{{end}}{{end}}`)},
	}
	if err := rd.Add("t", pages, "p"); err != nil {
		t.Fatal(err)
	}
	navCalls := 0
	rd.Nav = func(r *http.Request, u *User) []NavItem {
		navCalls++
		items := []NavItem{{Label: "ホーム", Path: "/", Group: "ホーム"}, {Label: "監査<項目>", Path: "/catalog", Group: "基準"},
			{Label: "職員名簿", Path: "/staff?a=1&b=2", Group: "組織"}}
		if u.Role == RoleAdmin {
			items = append(items, NavItem{Label: "監査ログ", Path: "/admin/auditlog", Group: "組織"})
		}
		for i := range items {
			items[i].Active = strings.HasPrefix(r.URL.Path, strings.SplitN(items[i].Path, "?", 2)[0]) && items[i].Path != "/"
		}
		return items
	}
	render := func(path string, u *User, page string, data any) string {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, path, nil)
		if u != nil {
			r = r.WithContext(WithUser(r.Context(), u, ScopeAll))
		}
		w := httptest.NewRecorder()
		if err := rd.Render(w, r, http.StatusOK, page, "題", data); err != nil {
			t.Fatal(err)
		}
		return w.Body.String()
	}
	admin := &User{ID: 1, DisplayName: "管理 太郎", Role: RoleAdmin}
	admin2 := &User{ID: 2, DisplayName: "管理 花子", Role: RoleAdmin}
	staff := &User{ID: 3, DisplayName: "職員 次郎", Role: RoleStaff}

	first := render("/catalog/frameworks", admin, "t/small", nil)
	for _, want := range []string{`<nav class="side-nav" aria-label="メインメニュー">`, `<li class="nav-group">基準</li>`,
		`<a href="/catalog" aria-current="page">監査&lt;項目&gt;</a>`, `<a href="/staff?a=1&amp;b=2">職員名簿</a>`, `<a href="/admin/auditlog">監査ログ</a>`} {
		if !strings.Contains(first, want) {
			t.Errorf("admin page lacks %s:\n%s", want, first)
		}
	}
	again := render("/catalog/frameworks", admin2, "t/small", nil)
	if strings.ReplaceAll(again, "花子", "太郎") != first {
		t.Errorf("the cached menu renders differently from the first:\n%s\n---\n%s", first, again)
	}
	if n := len(rd.navCache); n != 1 {
		t.Fatalf("%d cached menus after two pages of one section for one role, want 1", n)
	}
	other := render("/staff", staff, "t/small", nil)
	if strings.Contains(other, "監査ログ") || !strings.Contains(other, `<a href="/staff?a=1&amp;b=2" aria-current="page">職員名簿</a>`) ||
		strings.Contains(other, `aria-current="page">監査&lt;`) {
		t.Errorf("staff menu on /staff:\n%s", other)
	}
	if n := len(rd.navCache); n != 2 {
		t.Fatalf("%d cached menus after another role and section, want 2", n)
	}
	pending := &User{ID: 4, Role: RoleAdmin, MFAPending: true}
	if body := render("/", pending, "t/small", nil); strings.Contains(body, "side-nav") {
		t.Errorf("a user still giving the second factor sees the menu:\n%s", body)
	}
	if navCalls != 3 {
		t.Errorf("Nav called %d times, want once per page with a menu (3)", navCalls)
	}

	rows := make([]int, 5000)
	for i := range rows {
		rows[i] = i
	}
	if big := render("/", admin, "t/big", rows); !strings.Contains(big, "長い一覧の行 4999") {
		t.Fatal("big page incomplete")
	}
	for range 3 {
		if small := render("/", admin, "t/small", nil); strings.Contains(small, "長い一覧の行") || !strings.HasSuffix(strings.TrimSpace(small), "</html>") {
			t.Fatalf("a small page after a big one carries leftovers:\n%.500s", small)
		}
	}
	ctx := context.Background()
	if got := rd.navHTML(ctx, nil); got != "" {
		t.Errorf("empty menu rendered as %q", got)
	}
	// navHTML keys its cache on every field of NavItem: a new field must
	// join the key, or menus differing only in it would share one entry.
	if n := reflect.TypeFor[NavItem]().NumField(); n != 4 {
		t.Errorf("NavItem has %d fields; add the new ones to navHTML's cache key and update this test", n)
	}
}

// TestPageChromeEscaped: what the shared page shows from people and
// settings (a display name, the ward's name, a one-time message, a
// breadcrumb) is escaped, the page's own "head" lands in the document head,
// and the title, the account form's CSRF token and the banner are there.
func TestPageChromeEscaped(t *testing.T) {
	rd, err := NewRenderer(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	pages := fstest.MapFS{"p/x.html": {Data: []byte(`{{define "head"}}<link rel="stylesheet" href="/x.css">{{end}}{{define "content"}}<p>{{.Data}}</p>{{end}}`)}}
	if err := rd.Add("t", pages, "p"); err != nil {
		t.Fatal(err)
	}
	rd.Site = func(context.Context) Site { return Site{WardName: `<i>区</i>`, FiscalYear: 2026, Demo: true} }
	rd.Nav = func(*http.Request, *User) []NavItem {
		return []NavItem{{Label: "ホーム", Path: "/"}, {Label: "一覧<b>", Path: "/things"}}
	}
	r := httptest.NewRequest(http.MethodGet, "/things/1", nil)
	r.AddCookie(&http.Cookie{Name: flashCookie, Value: "ng:%3Cscript%3E"})
	r = r.WithContext(WithUser(context.WithValue(r.Context(), csrfKey, `tok"en`), &User{ID: 1, DisplayName: `<img src=x>`, Role: RoleStaff}, ScopeAll))
	w := httptest.NewRecorder()
	if err := rd.Render(w, r, http.StatusOK, "t/x", "題<名>", "<本文>"); err != nil {
		t.Fatal(err)
	}
	page := w.Body.String()
	for _, want := range []string{"<title>題&lt;名&gt; | 守り Mamori – &lt;i&gt;区&lt;/i&gt;</title>", `<link rel="stylesheet" href="/x.css">` + "\n</head>",
		`<span class="ward">&lt;i&gt;区&lt;/i&gt;</span><span class="fy">令和8年度</span>`, `<span class="who">&lt;img src=x&gt;（職員）</span>`,
		`value="tok&#34;en"`, `<a href="/things">一覧&lt;b&gt;</a>`, `<span aria-current="page">題&lt;名&gt;</span>`,
		`<div class="alert alert-error" role="status">&lt;script&gt;</div>`, `class="demo-banner"`, "<p>&lt;本文&gt;</p>", "</html>"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "<img") || strings.Contains(page, "<i>") {
		t.Errorf("unescaped text on the page:\n%s", page)
	}
}
