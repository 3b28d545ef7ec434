package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/text/encoding/japanese"
)

// sjisFile writes lines as a Shift_JIS CSV, as Excel saves one.
func sjisFile(t *testing.T, name string, lines []string) string {
	t.Helper()
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(strings.Join(lines, "\r\n") + "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestImportRosterJourney: an administrator imports a small Shift_JIS
// roster with one bad row, sees the error, fixes the file, imports it and
// finds the new staff in the list.
func TestImportRosterJourney(t *testing.T) {
	base := serve(t)
	ctx := browser(t)
	login(t, ctx, base, "admin")

	header := "令和8年度 職員名簿（人事課作成）"
	cols := "所属コード,職員番号,氏名,氏名カナ,職名,メールアドレス,システム担当者,保護担当者,個人番号事務取扱担当者"
	good := []string{
		"03020101,900001,髙橋　一郎,タカハシ　イチロウ,主事,ichiro@hinode-ku.example.jp,,,○",
		"03020101,900002,山﨑　花子,ヤマザキ　ハナコ,主任,hanako@hinode-ku.example.jp,○,,○",
		"03020102,900003,渡邉　①太,ワタナベ　イチタ,係長,,,○,",
	}
	// Find real department codes of the demo ward: the test must not depend
	// on guessing them, so it reads the department list page.
	// (every level open: the tree starts with the 課 folded)
	step(t, ctx, "departments", chromedp.Navigate(base+"/admin/departments?open=all"), chromedp.WaitVisible(chromedp.CSS(".tree")))
	tree := text(t, ctx, ".tree")
	code := codeOf(t, tree, "住民記録係")
	code2 := codeOf(t, tree, "戸籍係")
	for i := range good {
		good[i] = strings.Replace(good[i], "03020101", code, 1)
		good[i] = strings.Replace(good[i], "03020102", code2, 1)
	}
	bad := append([]string{header, cols}, good...)
	bad[3] = strings.Replace(bad[3], "hanako@hinode-ku.example.jp", "hanako@@example", 1)
	badPath := sjisFile(t, "名簿_誤り.csv", bad)
	goodPath := sjisFile(t, "名簿.csv", append([]string{header, cols}, good...))

	step(t, ctx, "upload bad roster",
		chromedp.Navigate(base+"/staff/import"),
		chromedp.WaitVisible(chromedp.CSS("#file")),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{badPath}),
		// A roster of three people covers part of the ward only, and adds
		// people without retiring anyone.
		chromedp.Click(chromedp.CSS(`input[name=scope][value=part]`)),
		chromedp.Click(chromedp.CSS(`input[name=retire][value=none]`)),
		chromedp.Click(chromedp.CSS(`form[action="/staff/import"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".alert-error")),
	)
	body := text(t, ctx, "main")
	if !strings.Contains(body, "取り込めません") || !strings.Contains(body, "メールアドレス") || !strings.Contains(body, "4") {
		t.Fatalf("error not shown with row and column:\n%s", truncate(body, 2000))
	}
	if strings.Contains(body, "確認へ進む") {
		t.Fatal("next step offered for a file with errors")
	}
	shot(t, ctx, "import-error")

	step(t, ctx, "upload fixed roster",
		chromedp.Navigate(base+"/staff/import"),
		chromedp.WaitVisible(chromedp.CSS("#file")),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{goodPath}),
		chromedp.Click(chromedp.CSS(`input[name=scope][value=part]`)),
		chromedp.Click(chromedp.CSS(`input[name=retire][value=none]`)),
		chromedp.Click(chromedp.CSS(`form[action="/staff/import"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".alert-ok")),
	)
	body = text(t, ctx, "main")
	if !strings.Contains(body, "新規") || !strings.Contains(body, "髙橋　一郎") {
		t.Fatalf("preview lacks the new staff:\n%s", truncate(body, 2000))
	}
	shot(t, ctx, "import-preview")
	step(t, ctx, "to the confirmation",
		chromedp.Click(chromedp.CSS(`form[action$="/confirm"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/apply"]`)),
	)
	if confirm := text(t, ctx, "main"); !strings.Contains(confirm, "取り込む数") || !strings.Contains(confirm, "3 人") {
		t.Fatalf("confirmation lacks the numbers:\n%s", truncate(confirm, 2000))
	}
	step(t, ctx, "confirm import",
		chromedp.Click(chromedp.CSS(`form[action$="/apply"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("div[data-job-url] .alert")),
	)
	done := text(t, ctx, "main")
	if !strings.Contains(done, "完了しました") || !strings.Contains(done, "新規 3 人") {
		t.Fatalf("job result:\n%s", done)
	}
	shot(t, ctx, "import-done")
	step(t, ctx, "staff list",
		chromedp.Navigate(base+"/staff?q=900002"),
		chromedp.WaitVisible(chromedp.CSS("table")),
	)
	list := text(t, ctx, "table")
	if !strings.Contains(list, "山﨑　花子") || !strings.Contains(list, "住民記録係") {
		t.Fatalf("imported person not in the list:\n%s", list)
	}
	shot(t, ctx, "import-staff-list")
}

// codeOf finds a department's code in the department tree's text.
func codeOf(t *testing.T, tree, name string) string {
	t.Helper()
	for _, line := range strings.Split(tree, "\n") {
		f := strings.Fields(line)
		for i := 1; i < len(f); i++ {
			if f[i] == name {
				return f[i-1]
			}
		}
	}
	t.Fatalf("department %s not found in tree", name)
	return ""
}
