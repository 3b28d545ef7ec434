package gap_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"mamori/internal/policy/gap"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// TestBrowser walks the demo table in headless Chromium as the consultant:
// first the lists of the catalogue and the gap table (listsJourney), then
// the list of tables, the table page with its summary and a filter, a row
// edited with a mistake and then correctly, and the import page. With
// MAMORI_SHOTS set it saves a screenshot of each.
func TestBrowser(t *testing.T) {
	ctx := testkit.Browser(t)
	w := webtest.Start(t, webtest.Options{Demo: true})
	s := &site{Server: w, store: gap.NewStore(w.DB, w.Log)}
	id := s.ID("SELECT id FROM policy_gap_tables")
	r83 := s.rowOf(t, id, "8.3")
	r41 := s.rowOf(t, id, "4.1")

	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		testkit.Step(t, ctx, what, actions...)
	}
	shot := func(name string) { testkit.Shot(t, ctx, name) }
	text := func(sel string) string {
		t.Helper()
		return testkit.Text(t, ctx, sel)
	}
	testkit.Login(t, ctx, s.URL, "consultant", webtest.DemoPassword)
	listsJourney(t, ctx, w)
	step("list", chromedp.Navigate(s.URL+"/policy/gap"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if !strings.Contains(text("main"), "令和7年3月") {
		t.Fatal("list lacks the demo table")
	}
	shot("gap-list")
	step("table", chromedp.Navigate(fmt.Sprintf("%s/policy/gap/%d", s.URL, id)), chromedp.WaitVisible(chromedp.CSS("#rows")))
	if m := text("main"); !strings.Contains(m, "章ごとの状況") || !strings.Contains(m, "対策基準第46条") {
		t.Fatal("table page lacks the summary or the provisions")
	}
	shot("gap-table")
	step("scroll to 8.3", chromedp.ScrollIntoView(chromedp.CSS(fmt.Sprintf("#row-%d", r83.ID))))
	arrive := arriveAt
	step("filter", chromedp.SetValue(chromedp.CSS("#lf-status"), gap.StatusPartial), chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)),
		arrive("status="))
	if m := text("main"); !strings.Contains(m, "（絞り込み中）") || !strings.Contains(m, "8.3 外部サービスの利用") {
		t.Fatal("status filter")
	}
	shot("gap-table-partial")
	step("edit", chromedp.Navigate(fmt.Sprintf("%s/policy/gap/rows/%d/edit", s.URL, r83.ID)), chromedp.WaitVisible(chromedp.CSS("#decision_date")))
	shot("gap-row-edit")
	step("edit 4.1 with a mistake", chromedp.Navigate(fmt.Sprintf("%s/policy/gap/rows/%d/edit", s.URL, r41.ID)), chromedp.WaitVisible(chromedp.CSS("#decision")),
		chromedp.SetValue(chromedp.CSS("#decision"), gap.DecisionNoReflect), chromedp.SetValue(chromedp.CSS("#decision_date"), "令和8年2月30日"),
		chromedp.Click(chromedp.CSS(`form.stack button[type=submit]:not([name])`)), chromedp.WaitVisible(chromedp.CSS("div.alert-error")))
	if m := text("main"); !strings.Contains(m, "理由を入力してください") || !strings.Contains(m, "日付として読めません") {
		t.Fatal("row errors not shown")
	}
	shot("gap-row-error")
	step("edit 4.1", chromedp.SetValue(chromedp.CSS("#reason"), "区の庁舎の構成では第19条の規定で足りるため。"),
		chromedp.SetValue(chromedp.CSS("#decision_date"), "2026/9/16"),
		chromedp.Click(chromedp.CSS(`form.stack button[type=submit]:not([name])`)), arrive(fmt.Sprintf("/policy/gap/%d", id)))
	if g := s.rowOf(t, id, "4.1"); g.Decision != gap.DecisionNoReflect || g.DecisionDate != "2026-09-16" {
		t.Fatalf("row not saved from the browser: %+v", g)
	}
	step("import page", chromedp.Navigate(fmt.Sprintf("%s/policy/gap/%d/import", s.URL, id)), chromedp.WaitVisible(chromedp.CSS("#file")))
	shot("gap-import")
	// An edited workbook with one mistake, then corrected: the errors and
	// then the changed cells are listed.
	x := s.As("consultant").Download(fmt.Sprintf("/policy/gap/%d/xlsx", id), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	f, err := excelize.OpenReader(bytes.NewReader(x))
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetName(0)
	grid, _ := f.GetRows(sheet)
	set := func(number, col, v string) {
		for i, r := range grid {
			if len(r) > 1 && strings.HasPrefix(r[1], number+" ") {
				name, _ := excelize.ColumnNumberToName(gap.ColIndex(col) + 1)
				if err := f.SetCellStr(sheet, fmt.Sprintf("%s%d", name, i+1), v); err != nil {
					t.Fatal(err)
				}
				return
			}
		}
		t.Fatalf("no row %s in the workbook", number)
	}
	upload := func(name string) {
		p := filepath.Join(t.TempDir(), name)
		if err := f.SaveAs(p); err != nil {
			t.Fatal(err)
		}
		step("upload "+name, chromedp.Navigate(fmt.Sprintf("%s/policy/gap/%d/import", s.URL, id)), chromedp.WaitVisible(chromedp.CSS("#file")),
			chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{p}), chromedp.Click(chromedp.CSS(`form.stack button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS("main .alert")))
	}
	set("4.2", gap.ColStatus, "済")
	set("4.2", gap.ColIssue, "入退室の記録を電子化するかどうかを検討する。")
	set("5.2", gap.ColDecision, gap.DecisionReflect)
	set("5.2", gap.ColDate, "2026/10/7")
	set("5.2", gap.ColPlanned, "第27条に標的型攻撃メールの訓練を年1回以上行うことを加える。")
	upload("bad.xlsx")
	if m := text("main"); !strings.Contains(m, "取り込みませんでした") || !strings.Contains(m, "状況「済」は使えません") {
		t.Fatalf("import errors not shown: %s", m)
	}
	shot("gap-import-errors")
	set("4.2", gap.ColStatus, gap.StatusReflected)
	upload("good.xlsx")
	if m := text("main"); !strings.Contains(m, "確認のみ: 4 セルが変わります") || !strings.Contains(m, "第27条に標的型攻撃メール") {
		t.Fatalf("dry run not shown: %s", m)
	}
	shot("gap-import-preview")
}
