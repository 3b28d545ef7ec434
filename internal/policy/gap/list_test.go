package gap_test

import (
	"bytes"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"mamori/internal/webtest"
)

var (
	countRe   = regexp.MustCompile(`<p role="status">(?:([0-9]+) 件中|0 件)`)
	summaryRe = regexp.MustCompile(`<a href="([^"]+)" data-count="([0-9]+)"`)
	rowRe     = regexp.MustCompile(`<tr id="row-[0-9]+">`)
)

// total is the count 「N 件中」 of a list page.
func total(t *testing.T, body string) int {
	t.Helper()
	m := countRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no count on the page: %s", webtest.Excerpt(body))
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestSummaryLinks follows every link of the demo table's summary (状況,
// 対応方針, フラグ and the chapter × status table) and compares the count
// the summary shows with the rows the list then holds (issue 10: they were
// double-encoded and led to 「条件に合う行はありません」). It also checks
// the list itself: a search folding width and kana, a wrong filter shown
// beside its field, downloads holding exactly the filtered rows, and the
// full text of a row for a reader.
func TestSummaryLinks(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
		id := s.ID("SELECT id FROM policy_gap_tables")
		path := fmt.Sprintf("/policy/gap/%d", id)
		v := s.As("viewer")
		page := v.Get(path).Want(200, "章ごとの状況の件数").Body
		links := summaryRe.FindAllStringSubmatch(page, -1)
		if len(links) < 15 {
			t.Fatalf("only %d summary links on the table page", len(links))
		}
		for _, l := range links {
			link, want := html.UnescapeString(l[1]), l[2]
			if strings.Contains(link, "%25") || !strings.HasPrefix(link, path+"?") || !strings.HasSuffix(link, "#rows") {
				t.Errorf("summary link %q is not a plain link to the list", link)
				continue
			}
			body := v.Get(strings.TrimSuffix(link, "#rows")).Want(200).Body
			n, _ := strconv.Atoi(want)
			if got := total(t, body); got != n {
				t.Errorf("%s: the summary counts %d rows, the list holds %d", link, n, got)
			}
			if got := len(rowRe.FindAllString(body, -1)); got != min(n, 100) {
				t.Errorf("%s: %d rows listed, want %d", link, got, min(n, 100))
			}
		}

		// The search folds width and kana and needs every word.
		base := total(t, v.Get(path+"?q="+url.QueryEscape("クラウド")).Want(200).Body)
		if base == 0 {
			t.Fatal("no row mentions クラウド")
		}
		for _, q := range []string{"くらうど", "ｸﾗｳﾄﾞ", "クラウド　利用"} {
			got := total(t, v.Get(path+"?q="+url.QueryEscape(q)).Want(200).Body)
			if q == "クラウド　利用" && (got == 0 || got > base) || q != "クラウド　利用" && got != base {
				t.Errorf("%s finds %d rows, クラウド %d", q, got, base)
			}
		}

		// A wrong value is shown beside its field, the input kept; a
		// download with it is refused rather than widened.
		v.Get(path+"?status=済み&q=USB").Want(200, "状況の指定が正しくありません", `value="USB"`, `aria-invalid="true"`)
		v.Get(path+"/xlsx?status=済み").Want(400, "状況の指定が正しくありません")

		// The downloads of a filtered list hold its rows only.
		filtered := v.Get(path+"?status="+url.QueryEscape("一部反映")).Want(200, "表示中の条件の").Body
		n := total(t, filtered)
		m := regexp.MustCompile(`href="(` + regexp.QuoteMeta(path) + `/xlsx\?[^"]+)"`).FindStringSubmatch(filtered)
		if m == nil {
			t.Fatal("no filtered Excel link")
		}
		x := v.Download(html.UnescapeString(m[1]), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		f, err := excelize.OpenReader(bytes.NewReader(x))
		if err != nil {
			t.Fatal(err)
		}
		grid, _ := f.GetRows(f.GetSheetName(0))
		rows := 0
		for _, r := range grid {
			if len(r) > 4 && r[4] != "" && r[4] != "状況" {
				rows++
				if r[4] != "一部反映" {
					t.Errorf("filtered workbook holds a row of %s", r[4])
				}
			}
		}
		if rows != n {
			t.Errorf("filtered workbook holds %d rows, the list %d", rows, n)
		}
		v.Download(path+"/pdf?status="+url.QueryEscape("一部反映"), "application/pdf")
		if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND detail LIKE ?", "%絞り込み 状況: 一部反映%") != 2 {
			t.Error("filtered downloads not audited with their condition")
		}

		// A reader opens a row's full text from the table.
		rid := s.ID("SELECT MIN(id) FROM policy_gap_rows WHERE table_id = ? AND difference <> ''", id)
		v.Get(path).Want(200, fmt.Sprintf(`href="/policy/gap/rows/%d/view"`, rid)).Lacks(fmt.Sprintf("/policy/gap/rows/%d/edit", rid))
		v.Get(fmt.Sprintf("/policy/gap/rows/%d/view", rid)).Want(200, "相違点", "対応方針").Lacks("<textarea")
		s.As("consultant").Get(path).Want(200, fmt.Sprintf(`href="/policy/gap/rows/%d/edit"`, rid))
	})
}
