package org_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// TestImportJourneyInBrowser is issue 10's roster import, as an
// administrator takes it in Chromium: the form asks for the scope; a
// five-row file read as the whole ward's roster shows a warning (not
// 「エラーはありません」) with the next step's button disabled until the
// number of staff to be retired is typed; the confirmation states the
// numbers; the import runs once, and sending the confirmation again (the
// back button) imports nothing more. With MAMORI_SHOTS=DIR it saves the
// preview at 1366 and 768 px.
func TestImportJourneyInBrowser(t *testing.T) {
	ctx := testkit.Browser(t)
	s := webtest.Start(t, webtest.Options{Demo: true})
	var code string
	if err := s.DB.QueryRow(t.Context(), "SELECT code FROM departments WHERE name = '住民記録係'").Scan(&code); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "名簿.csv")
	if err := os.WriteFile(file, fiveRows(t, code), 0o600); err != nil {
		t.Fatal(err)
	}
	active := s.Count("SELECT COUNT(*) FROM staff WHERE active = TRUE")
	leavers := number(active)
	main := func() string { return testkit.Text(t, ctx, "main") }
	eval := func(js string) bool {
		t.Helper()
		ectx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		v, err := chromedp.Run(ectx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	disabled := func(sel string) bool {
		t.Helper()
		return eval("document.querySelector('" + sel + "').disabled")
	}
	next := `form[action$="/confirm"] button[type=submit]`
	// The steps' pages stay accessible (axe-core, WCAG 2.1 A/AA).
	axe := func(page string) {
		t.Helper()
		for _, v := range testkit.Axe(t, ctx) {
			if v.Blocking() {
				t.Errorf("%s: %s", page, v)
			}
		}
	}

	testkit.Login(t, ctx, s.URL, "admin", webtest.DemoPassword)
	testkit.Step(t, ctx, "upload form",
		chromedp.Navigate(s.URL+"/staff/import"), chromedp.WaitVisible(chromedp.CSS(`#file`)))
	if txt := main(); !strings.Contains(txt, "取り込みの範囲（必ず選んでください）") || !strings.Contains(txt, "未登録の所属を作成する") {
		t.Errorf("form lacks the scope or the creation choice:\n%s", testkit.Truncate(txt, 1500))
	}
	if eval(`document.querySelector('input[name=scope]:checked') !== null || document.querySelector('input[name=create]').checked`) {
		t.Error("a scope or department creation is chosen before the user chooses")
	}
	testkit.Shot(t, ctx, "import-form-1366")
	axe("form")
	// The file has an unknown department code: with creation chosen it is
	// listed for creation.
	testkit.Step(t, ctx, "upload the five-row file as the whole ward's roster",
		chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{file}),
		chromedp.Click(chromedp.CSS(`input[name=scope][value=all]`)),
		chromedp.Click(chromedp.CSS(`input[name=create]`)),
		chromedp.Click(chromedp.CSS(`form[action="/staff/import"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert-warn`)))
	txt := main()
	for _, want := range []string{"在籍職員の 100%（" + leavers + " 人のうち " + leavers + " 人）が退職扱いになります", "新しく作成する所属（1）", "099999"} {
		if !strings.Contains(txt, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if strings.Contains(txt, "エラーはありません") || strings.Contains(txt, "取り込めません") {
		t.Errorf("preview calls a file that retires everyone fine:\n%s", testkit.Truncate(txt, 1500))
	}
	if !disabled(next) {
		t.Error("確認へ進む is enabled before the number is typed")
	}
	for _, w := range []int64{1366, 768} {
		testkit.Step(t, ctx, fmt.Sprintf("preview at %d px", w), chromedp.EmulateViewport(w, 900), chromedp.Sleep(100*time.Millisecond))
		testkit.Shot(t, ctx, fmt.Sprintf("import-preview-%d", w))
	}
	testkit.Step(t, ctx, "back to desktop width", chromedp.EmulateViewport(1366, 900))
	axe("preview")

	// A wrong number keeps it disabled; the right one enables it.
	testkit.Step(t, ctx, "type a wrong number", chromedp.SendKeys(chromedp.CSS(`#ack`), "5"))
	if !disabled(next) {
		t.Error("確認へ進む is enabled with a wrong number")
	}
	eval(`(document.querySelector('#ack').value = '') === ''`)
	testkit.Step(t, ctx, "type the number", chromedp.SendKeys(chromedp.CSS(`#ack`), strings.ReplaceAll(leavers, ",", "")))
	if disabled(next) {
		t.Fatal("確認へ進む stays disabled with the right number")
	}
	testkit.Step(t, ctx, "to the confirmation", chromedp.Click(chromedp.CSS(next)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/apply"]`)))
	txt = main()
	for _, want := range []string{"取り込みの確認", "新規", "5 人", "退職", leavers + " 人", "変更なし", "0 人", "所属の新設", "1 所属"} {
		if !strings.Contains(txt, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, testkit.Truncate(txt, 1500))
		}
	}
	if n := s.Count("SELECT COUNT(*) FROM staff WHERE active = TRUE"); n != active {
		t.Fatalf("something was written before the confirmation: %d active", n)
	}
	testkit.Shot(t, ctx, "import-confirm-1366")
	axe("confirmation")

	testkit.Step(t, ctx, "import", chromedp.Click(chromedp.CSS(`form[action$="/apply"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`div[data-job-url] .alert`)))
	s.Jobs.Wait()
	if done := main(); !strings.Contains(done, "完了しました") || !strings.Contains(done, fmt.Sprintf("退職 %d 人", active)) {
		t.Errorf("job result:\n%s", done)
	}
	testkit.Shot(t, ctx, "import-done")

	// Back to the confirmation and send it again: nothing is imported twice.
	// The page may come back from the back-forward cache, where chromedp's
	// DOM queries do not follow: it is driven with script until the next
	// navigation.
	eval(`history.back(), true`)
	back := false
	for range 50 {
		if back = eval(`location.pathname.endsWith('/confirm') && document.readyState === 'complete'`); back {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !back {
		t.Fatal("back did not return to the confirmation")
	}
	if eval(`document.querySelector('form[action$="/apply"] button[type=submit]') !== null`) {
		eval(`document.querySelector('form[action$="/apply"] button[type=submit]').click(), true`)
	}
	testkit.Step(t, ctx, "the confirmation sent again", chromedp.WaitVisible(chromedp.CSS(`main .alert-info`)))
	if txt := main(); !strings.Contains(txt, "取り込み済み") {
		t.Errorf("a second confirmation is not refused:\n%s", testkit.Truncate(txt, 1500))
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'staff.import'"); n != 1 {
		t.Errorf("%d imports recorded, want 1", n)
	}
	if n := s.Count("SELECT COUNT(*) FROM staff WHERE active = TRUE"); n != 5 {
		t.Errorf("%d active staff, want the file's 5", n)
	}
}
