package catalog_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"mamori/internal/catalog"
	"mamori/internal/webtest"
)

var (
	countRe    = regexp.MustCompile(`<p role="status">(?:([0-9]+) 件中|0 件)`)
	itemCodeRe = regexp.MustCompile(`<td class="code nowrap"><a href="/catalog/items/[0-9]+">([^<]+)</a>`)
	exportRe   = regexp.MustCompile(`href="(/catalog/templates/[0-9]+/export[^"]*)"`)
)

// listed is a list page's count 「N 件中」 and the item codes it shows.
func listed(t *testing.T, body string) (int, []string) {
	t.Helper()
	m := countRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no count on the page: %s", webtest.Excerpt(body))
	}
	n, _ := strconv.Atoi(m[1])
	var codes []string
	for _, c := range itemCodeRe.FindAllStringSubmatch(body, -1) {
		codes = append(codes, html.UnescapeString(c[1]))
	}
	return n, codes
}

// TestItemList is a checklist's items on the shared list view (issue 10):
// a search folds width and kana, the export links of a filtered list carry
// the filter and the files hold exactly the listed items, paging and
// sorting keep their place, a wrong filter is shown beside its field, and
// clauses are named by the standards' short names.
func TestItemList(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
		tid := s.ID("SELECT id FROM checklist_templates WHERE kind = 'internal'")
		path := fmt.Sprintf("/catalog/templates/%d", tid)
		c := s.As("auditor")
		search := func(q string) (int, []string) {
			t.Helper()
			return listed(t, c.Get(path+"?size=200&q="+url.QueryEscape(q)).Want(200).Body)
		}

		// Width and kana: ＵＳＢ, ｕｓｂ find what USB finds; ﾊﾟｽﾜｰﾄﾞ and
		// ぱすわーど what パスワード finds; two words must both appear.
		for base, variants := range map[string][]string{"USB": {"ＵＳＢ", "usb", "ｕｓｂ"}, "パスワード": {"ﾊﾟｽﾜｰﾄﾞ", "ぱすわーど"}} {
			n, codes := search(base)
			if n == 0 || len(codes) != n {
				t.Fatalf("%s: %d items, %d listed", base, n, len(codes))
			}
			for _, v := range variants {
				if m, got := search(v); m != n || !slices.Equal(got, codes) {
					t.Errorf("%s finds %d items %v; %s finds %d %v", v, m, got, base, n, codes)
				}
			}
		}
		both, _ := search("ぱすわーど　管理")
		pw, _ := search("パスワード")
		if both == 0 || both >= pw {
			t.Errorf("two words: %d items (パスワード alone %d)", both, pw)
		}

		// The export links of a filtered list carry the filter, and each
		// file holds exactly the listed items.
		body := c.Get(path+"?q="+url.QueryEscape("ＵＳＢ")).Want(200, "（絞り込み中）", "表示中の条件の").Body
		n, codes := listed(t, body)
		links := map[string]string{}
		for _, m := range exportRe.FindAllStringSubmatch(body, -1) {
			link := html.UnescapeString(m[1])
			u, err := url.Parse(link)
			if err != nil || u.Query().Get("q") != "ＵＳＢ" || strings.Contains(strings.ToLower(link), "%3d") {
				t.Errorf("export link %q does not carry the search", link)
			}
			links[u.Query().Get("format")] = link
		}
		for _, f := range []string{"csv", "csv-utf8", "xlsx", "pdf", "docx"} {
			if links[f] == "" {
				t.Fatalf("no %s export link on the filtered list: %v", f, links)
			}
		}
		before := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND detail LIKE '%絞り込み%'")
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(c.Get(links["csv-utf8"]).Want(200).Body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows[1:] {
			got = append(got, r[0])
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(codes))
		if len(rows) != n+1 || !slices.Equal(got, want) {
			t.Errorf("CSV holds %v, the list %v", got, want)
		}
		if i := slices.Index(rows[0], "根拠規定"); i < 0 || !slices.ContainsFunc(rows[1:], func(r []string) bool { return strings.Contains(r[i], "総務省ガイドライン") }) {
			t.Errorf("CSV clauses are not named by short names: %q", rows)
		}
		f, err := excelize.OpenReader(bytes.NewReader([]byte(c.Get(links["xlsx"]).Want(200).Body)))
		if err != nil {
			t.Fatal(err)
		}
		grid, _ := f.GetRows(f.GetSheetName(0))
		got = got[:0]
		header := false
		for _, r := range grid {
			switch {
			case len(r) > 0 && r[0] == "No":
				header = true
			case header && len(r) > 0 && r[0] != "":
				got = append(got, r[0])
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("XLSX holds %v, the list %v", got, want)
		}
		c.Get(links["pdf"]).Want(200)
		if d := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND detail LIKE '%絞り込み%'") - before; d != 3 {
			t.Errorf("%d filtered downloads audited, want 3", d)
		}

		// A wrong filter value is shown beside its field with the input
		// kept; an export with it is refused rather than widened.
		c.Get(path+"?priority=someday&q=USB").Want(200, "重要度の指定が正しくありません", `value="USB"`, `aria-invalid="true"`)
		c.Get(path+"/export?format=csv&priority=someday").Want(400, "重要度の指定が正しくありません")

		// Paging keeps its place; sorting marks its column; filters combine.
		all := s.Count("SELECT COUNT(*) FROM checklist_items WHERE template_id = ?", tid)
		c.Get(path).Want(200, fmt.Sprintf("%d 件中 1–50 件を表示", all), `rel="next"`, `href="`+path+`?page=2"`)
		c.Get(path+"?page=2").Want(200, fmt.Sprintf("%d 件中 51–100 件を表示", all), `aria-current="page">2<`)
		c.Get(path+"?page=99").Want(200, "ページ 99 はありません", fmt.Sprintf("最後のページ（%d）へ", (all+49)/50))
		byCode := func(q string) []string {
			t.Helper()
			_, p1 := listed(t, c.Get(path+"?size=200&"+q).Want(200).Body)
			_, p2 := listed(t, c.Get(path+"?size=200&page=2&"+q).Want(200).Body)
			return append(p1, p2...)
		}
		asc, desc := byCode("sort=code"), byCode("sort=code&dir=desc")
		slices.Reverse(desc)
		if len(asc) != all || !slices.Equal(asc, desc) || asc[0] >= asc[1] {
			t.Errorf("sorted by code: %v… and descending reversed %v…", asc[:min(len(asc), 3)], desc[:min(len(desc), 3)])
		}
		c.Get(path+"?sort=code&dir=desc").Want(200, `aria-sort="descending"`, `href="`+path+`?dir=desc&amp;page=2&amp;sort=code"`)
		site, _ := listed(t, c.Get(path+"?site=1").Want(200).Body)
		siteReq, _ := listed(t, c.Get(path+"?site=1&priority=required").Want(200).Body)
		if site == 0 || siteReq == 0 || siteReq >= site {
			t.Errorf("site %d, site and required %d", site, siteReq)
		}
		c.Get(path+"?q="+url.QueryEscape("該当する項目のない語")).Want(200, "条件に合う項目はありません", "条件を解除する")

		// Framework codes appear as the standards' short names.
		list := c.Get(path+"?size=200").Want(200, "総務省ガイドライン 4.1", "総務省ガイドライン 基本方針").Body
		if strings.Contains(list, "mic-policy") {
			t.Error("the item list shows the framework code mic-policy")
		}
		b1 := s.ID("SELECT c.id FROM clauses c JOIN frameworks f ON f.id = c.framework_id WHERE f.code = 'mic-policy' AND c.number = 'B1' ORDER BY f.id DESC LIMIT 1")
		c.Get(fmt.Sprintf("/catalog/clauses/%d", b1)).Want(200, "総務省ガイドライン 基本方針1 目的").Lacks("mic-policy B1")
		c.Get("/catalog").Want(200, "略称: 総務省ガイドライン", "略称: 区のポリシー").Lacks(`<span class="code">mic-policy</span>`)

		// The move buttons show on the editable version's list in its own
		// order only, and come back to the page where the item now is.
		e := s.As("consultant")
		e.Get(path).Want(200, "を一つ下へ", `name="size" value="50"`)
		e.Get(path+"?sort=code").Want(200, "並べ替え（↑上へ・↓下へ）は、絞り込みを解除して No 順").Lacks("を一つ下へ")
		fiftieth := s.ID("SELECT id FROM checklist_items WHERE template_id = ? ORDER BY sort_order LIMIT 1 OFFSET 49", tid)
		e.Post(fmt.Sprintf("/catalog/items/%d/move", fiftieth), url.Values{"dir": {"down"}, "size": {"50"}}).
			Redirects(fmt.Sprintf("%s?page=2#item-%d", path, fiftieth))
	})
}

// TestClauseNames checks the short-name table both ways: pages name a
// clause 「総務省ガイドライン 基本方針1」 and a person may type it so.
func TestClauseNames(t *testing.T) {
	for _, tc := range []struct{ code, number, label string }{
		{"mic-policy", "B1", "総務省ガイドライン 基本方針1"}, {"mic-policy", "4.1", "総務省ガイドライン 4.1"}, {"mic-policy", "4", "総務省ガイドライン 第4章"},
		{"hinode-policy", "第19条", "区のポリシー 対策基準第19条"}, {"hinode-policy", "基本方針第2条", "区のポリシー 基本方針第2条"},
		{"meti-sms", "II.8", "システム管理基準 Ⅱ.8"}, {"ipa-top10", "3", "IPA 10大脅威 第3位"}, {"ppc-mynumber", "E1", "特定個人情報ガイドライン E1"},
		{"mic-audit", "2.1", "総務省監査ガイドライン 2.1"},
	} {
		if got := catalog.ClauseRefLabel(tc.code, "", tc.number); got != tc.label {
			t.Errorf("%s %s: %q, want %q", tc.code, tc.number, got, tc.label)
		}
		short := catalog.FrameworkShortName(tc.code, "")
		number := catalog.ClauseNumberLabel(tc.code, tc.number)
		for _, typed := range []string{tc.label, short + "　" + number, short + number, short + ":" + number} {
			if code, number, err := catalog.ParseRef(typed); err != nil || code != tc.code || number != tc.number {
				t.Errorf("ParseRef(%q) = %s %s %v, want %s %s", typed, code, number, err, tc.code, tc.number)
			}
		}
		if got := catalog.RefLabel(tc.code + ":" + tc.number); got != tc.label {
			t.Errorf("RefLabel(%s:%s) = %q", tc.code, tc.number, got)
		}
	}
	if code, number, err := catalog.ParseRef("mic-policy:4.1"); err != nil || code != "mic-policy" || number != "4.1" {
		t.Errorf("codes still parse: %s %s %v", code, number, err)
	}
	if got := catalog.FrameworkShortName("x-unknown", "ある基準"); got != "ある基準" {
		t.Errorf("a framework without a short name is named by its title, got %q", got)
	}
}
