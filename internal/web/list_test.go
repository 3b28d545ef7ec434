package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

var testSpec = &ListSpec{
	Path: "/things", ExportPath: "/things/export",
	Sorts:   []ListSort{{Key: "no", Label: "番号"}, {Key: "name", Label: "名前"}},
	Filters: []ListFilter{{Key: "kind", Label: "種類", Options: []ListOption{{Value: "a", Label: "甲"}, {Value: "b", Label: "乙"}}}, {Key: "dept", Label: "所属"}, {Key: "from", Label: "開始日", Kind: FilterDate}, FiscalYearFilter("year")},
	Search:  "キーワード", Noun: "もの", Empty: "まだ何もありません。「登録」から追加してください。",
}

func parse(q string) *List {
	v, _ := url.ParseQuery(q)
	return testSpec.ParseValues(v)
}

func TestListParse(t *testing.T) {
	l := parse("q=+田中　亮+&kind=a&sort=name&dir=desc&size=100&page=3&year=" + url.QueryEscape("令和7年度"))
	if l.Q != "田中　亮" || l.Value("kind") != "a" || l.Sort != "name" || !l.Desc || l.Size != 100 || l.Page != 3 || l.Value("year") != "2025" {
		t.Fatalf("parsed %+v", l)
	}
	if l.Limit() != 100 || l.Offset() != 200 || len(l.Errors) != 0 || !l.Filtered() {
		t.Fatalf("window %d+%d errors %v", l.Offset(), l.Limit(), l.Errors)
	}
	if d := parse("from=" + url.QueryEscape("令和8年4月1日")); d.Value("from") != "2026-04-01" || d.Shown("from") != "2026-04-01" || d.Get("from") != "令和8年4月1日" {
		t.Errorf("和暦 date filter: value %q shown %q", d.Value("from"), d.Shown("from"))
	}
	if w := l.Words(); len(w) != 2 || w[0] != "田中" || w[1] != "亮" {
		t.Errorf("words %q", w)
	}

	// Wrong values are refused beside their field, kept as typed, and
	// never reach the query or the links.
	bad := parse("kind=zzz&sort=evil&size=7&page=-4&from=2026/13/01&year=昭和&dept=99")
	for _, k := range []string{"kind", "sort", "from", "year"} {
		if bad.Error(k) == "" {
			t.Errorf("%s: no error for a wrong value", k)
		}
	}
	if bad.Get("kind") != "zzz" || bad.Value("kind") != "" || bad.Size != 50 || bad.Page != 1 || bad.Sort != "no" {
		t.Errorf("bad values: %+v", bad)
	}
	bad.SetOptions("dept", []ListOption{{Value: "1", Label: "総務課"}})
	if bad.Error("dept") == "" || bad.Value("dept") != "" {
		t.Error("a department outside the request's choices is not refused")
	}
	for _, link := range []string{bad.PageLink(2), bad.SortLink("name"), bad.ExportLink("csv")} {
		if strings.Contains(link, "zzz") || strings.Contains(link, "evil") || strings.Contains(link, "99") {
			t.Errorf("refused value in link %s", link)
		}
	}
	if err := bad.Err(); err == nil || !strings.Contains(err.Error(), "種類の指定が正しくありません") {
		t.Errorf("Err = %v", err)
	}
	if parse("").Err() != nil || parse("").Filtered() {
		t.Error("an empty query is refused or filtered")
	}
}

func TestListLinks(t *testing.T) {
	l := parse("q=USB メモリ&kind=b&size=100&page=2")
	l.SetTotal(430)
	if l.Pages != 5 || l.First() != 101 || l.Last() != 200 {
		t.Fatalf("pages %d, %d–%d", l.Pages, l.First(), l.Last())
	}
	for got, want := range map[string]string{
		l.PageLink(3):                    "/things?kind=b&page=3&q=USB+%E3%83%A1%E3%83%A2%E3%83%AA&size=100",
		l.PageLink(1):                    "/things?kind=b&q=USB+%E3%83%A1%E3%83%A2%E3%83%AA&size=100",
		l.SortLink("no"):                 "/things?dir=desc&kind=b&q=USB+%E3%83%A1%E3%83%A2%E3%83%AA&size=100&sort=no",
		l.SortLink("name"):               "/things?kind=b&q=USB+%E3%83%A1%E3%83%A2%E3%83%AA&size=100&sort=name",
		l.ExportLink("xlsx"):             "/things/export?format=xlsx&kind=b&q=USB+%E3%83%A1%E3%83%A2%E3%83%AA",
		l.Only("kind", "a"):              "/things?kind=a&size=100",
		l.Only("kind", "a", "dept", "3"): "/things?dept=3&kind=a&size=100",
		l.Link("kind", ""):               "/things?q=USB+%E3%83%A1%E3%83%A2%E3%83%AA&size=100",
		l.At("/things/pdf"):              "/things/pdf?kind=b&q=USB+%E3%83%A1%E3%83%A2%E3%83%AA",
		l.SizeLink(50):                   "/things?kind=b&q=USB+%E3%83%A1%E3%83%A2%E3%83%AA",
		parse("").PageLink(1):            "/things",
		parse("sort=no").Link():          "/things?sort=no",
	} {
		if got != want {
			t.Errorf("link %s, want %s", got, want)
		}
	}
	var nums []string
	for _, it := range l.PageItems() {
		switch {
		case it.Gap:
			nums = append(nums, "…")
		case it.Current:
			nums = append(nums, "["+strconv.Itoa(it.N)+"]")
		default:
			nums = append(nums, strconv.Itoa(it.N))
		}
	}
	if got := strings.Join(nums, " "); got != "1 [2] 3 4 5" {
		t.Errorf("pager %s", got)
	}
	far := parse("page=40")
	far.SetTotal(4295)
	nums = nil
	for _, it := range far.PageItems() {
		if it.Gap {
			nums = append(nums, "…")
		} else {
			nums = append(nums, strconv.Itoa(it.N))
		}
	}
	if got := strings.Join(nums, " "); got != "1 … 38 39 40 41 42 … 86" {
		t.Errorf("pager %s", got)
	}
	if huge := parse("page=99999999999999999"); huge.Offset() < 0 {
		t.Errorf("a huge page number overflows: offset %d", huge.Offset())
	}
	if huge := parse("page=9223372036854775"); huge.Offset() < 0 {
		t.Errorf("a huge page number overflows: offset %d", huge.Offset())
	}
	past := parse("page=99")
	past.SetTotal(120)
	if past.Asked != 99 || past.First() != 0 {
		t.Errorf("a page past the end: asked %d first %d", past.Asked, past.First())
	}
}

// TestListTemplates renders the shared list templates: the links are
// whole URLs (never a query escaped as one value: the page%3d2 bug), the
// count, the refused value beside its field, and the three empty states.
func TestListTemplates(t *testing.T) {
	rd, err := NewRenderer(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	pages := fstest.MapFS{"p/list.html": {Data: []byte(`{{define "content"}}{{$l := .Data}}{{template "list-form" $l}}{{template "list-count" $l}}` +
		`<table><tr><th aria-sort="{{$l.SortState "name"}}">{{template "list-sort" (dict "L" $l "Key" "name")}}</th></tr></table>` +
		`{{template "list-pager" $l}}{{template "list-empty" $l}}{{end}}`)}}
	if err := rd.Add("t", pages, "p"); err != nil {
		t.Fatal(err)
	}
	render := func(l *List) string {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, "/things", nil)
		r = r.WithContext(WithUser(r.Context(), &User{ID: 1, DisplayName: "管理 太郎", Role: RoleAdmin}, ScopeAll))
		w := httptest.NewRecorder()
		if err := rd.Render(w, r, http.StatusOK, "t/list", "一覧", l); err != nil {
			t.Fatal(err)
		}
		return w.Body.String()
	}
	l := parse("q=USB&kind=zzz&sort=name&page=2")
	l.SetTotal(120)
	body := render(l)
	for _, want := range []string{
		`href="/things?page=3&amp;q=USB&amp;sort=name" rel="next"`, `href="/things?q=USB&amp;sort=name" rel="prev"`,
		`120 件中 51–100 件を表示`, `aria-sort="ascending"`, `href="/things?dir=desc&amp;q=USB&amp;sort=name"`,
		`href="/things/export?format=csv&amp;q=USB&amp;sort=name"`, `aria-invalid="true"`,
		`種類の指定が正しくありません`, `value="USB"`, `<input type="hidden" name="sort" value="name">`, `<strong aria-current="page">2</strong>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("list page lacks %s", want)
		}
	}
	if strings.Contains(body, "%3d") || strings.Contains(body, "%3D") {
		t.Error("a link carries an escaped query")
	}

	empty := parse("")
	empty.SetTotal(0)
	if b := render(empty); !strings.Contains(b, "まだ何もありません。「登録」から追加してください。") || strings.Contains(b, "条件を解除") {
		t.Error("empty list without filters does not say what to do")
	}
	none := parse("q=zzz")
	none.SetTotal(0)
	if b := render(none); !strings.Contains(b, "条件に合うものはありません") || !strings.Contains(b, `<a href="/things">条件を解除する</a>`) {
		t.Error("filtered empty list does not offer to clear the filters")
	}
	past := parse("page=9")
	past.SetTotal(120)
	if b := render(past); !strings.Contains(b, "ページ 9 はありません（全 3 ページ、120 件）") || !strings.Contains(b, `href="/things?page=3"`) {
		t.Error("a page past the end does not say so")
	}
}
