package gap_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// arriveAt waits until the browser is at a URL containing part (after a
// click or a submit) and the page has its heading.
func arriveAt(part string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for {
			loc, err := chromedp.Run(ctx, chromedp.Location())
			if err == nil && strings.Contains(loc, part) {
				return chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS("main h1")))
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("never reached %s (at %s)", part, loc)
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// listsJourney is the browser part of the lists of the catalogue and the
// gap table (issue 10), run by TestBrowser in its signed-in browser before
// it changes anything: a checklist's items searched with ＵＳＢ typed in
// full width find what USB finds (and the Excel link carries the search),
// and a count of the gap table's summary, clicked, lists exactly the rows
// it counts. With MAMORI_SHOTS set it saves both lists at 1366 and 768 px.
func listsJourney(t *testing.T, ctx context.Context, s *webtest.Server) {
	t.Helper()
	tid := s.ID("SELECT id FROM checklist_templates WHERE kind = 'internal'")
	gid := s.ID("SELECT id FROM policy_gap_tables")
	usb := total(t, s.As("auditor").Get(fmt.Sprintf("/catalog/templates/%d?q=USB", tid)).Want(200).Body)
	partial := s.Count("SELECT COUNT(*) FROM policy_gap_rows WHERE table_id = ? AND status = '一部反映'", gid)
	if usb == 0 || partial == 0 {
		t.Fatalf("demo data: %d USB items, %d 一部反映 rows", usb, partial)
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		testkit.Step(t, ctx, what, actions...)
	}
	text := func(sel string) string {
		t.Helper()
		return testkit.Text(t, ctx, sel)
	}
	shots := func(name string) {
		t.Helper()
		for _, w := range []int64{1366, 768} {
			step(fmt.Sprintf("%s at %d px", name, w), chromedp.EmulateViewport(w, 900), chromedp.Sleep(100*time.Millisecond))
			testkit.Shot(t, ctx, fmt.Sprintf("%s-%d", name, w))
		}
		step("back to desktop width", chromedp.EmulateViewport(1366, 900))
	}

	step("checklist", chromedp.Navigate(fmt.Sprintf("%s/catalog/templates/%d", s.URL, tid)), chromedp.WaitVisible(chromedp.CSS("#lf-q")))
	if m := text("main"); !strings.Contains(m, "総務省ガイドライン") || strings.Contains(m, "mic-policy") {
		t.Error("the item list does not name the clauses by the standards' short names")
	}
	shots("catalog-items")
	step("search ＵＳＢ", chromedp.SendKeys(chromedp.CSS("#lf-q"), "ＵＳＢ"), chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)), arriveAt("q="))
	if got, want := text(`p[role=status]`), fmt.Sprintf("%d 件中 1–%d 件を表示（絞り込み中）", usb, usb); got != want {
		t.Errorf("ＵＳＢ: %q, want %q (what USB finds)", got, want)
	}
	if m := text("main table.list-table tbody"); !strings.Contains(m, "USB") {
		t.Errorf("the items found do not mention USB: %s", testkit.Truncate(m, 300))
	}
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('a[href*="format=xlsx"]').getAttribute('href')`))
	if u, perr := url.Parse(href); err != nil || perr != nil || u.Query().Get("q") != "ＵＳＢ" {
		t.Errorf("the Excel link of the search is %q (%v)", href, err)
	}
	testkit.Shot(t, ctx, "catalog-items-usb")

	step("gap table", chromedp.Navigate(fmt.Sprintf("%s/policy/gap/%d", s.URL, gid)), chromedp.WaitVisible(chromedp.CSS("#rows")))
	shots("gap-table")
	step("click 一部反映", chromedp.Click(chromedp.CSS(`.gap-summary a[href*="status=%E4%B8%80%E9%83%A8%E5%8F%8D%E6%98%A0"]`)), arriveAt("status="))
	if got, want := text(`p[role=status]`), fmt.Sprintf("%d 件中 1–%d 件を表示（絞り込み中）", partial, partial); got != want {
		t.Errorf("一部反映 link: %q, want %q", got, want)
	}
	// every row listed, and only those, has the status 一部反映
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('table.gap-rows tbody tr[id^="row-"] td.status')).map(c => c.innerText.trim())`))
	if err != nil || len(rows) != partial {
		t.Errorf("%d rows listed (%v), the summary counts %d", len(rows), err, partial)
	}
	for _, st := range rows {
		if st != "一部反映" {
			t.Errorf("a row of %q among the 一部反映 rows", st)
		}
	}
	testkit.Shot(t, ctx, "gap-table-summary-link")
}
