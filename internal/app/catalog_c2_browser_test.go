package app

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// TestCatalogC2InBrowser opens the XLSX import preview (with changes and
// with errors) and the build screens in headless Chromium on the demo
// data, checks they render, and with MAMORI_SHOTS=DIR saves screenshots.
func TestCatalogC2InBrowser(t *testing.T) {
	path := ""
	for _, p := range []string{os.Getenv("MAMORI_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); p != "" && err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("Chromium not found (CI must install it)")
		}
		t.Skip("Chromium not installed")
	}
	if testing.Short() {
		t.Skip("browser test")
	}
	ta := newTestApp(t, sqliteDSN(t), true, nil)
	ctx := t.Context()
	var tid, dept int64
	if err := ta.DB.QueryRow(ctx, "SELECT id FROM checklist_templates WHERE kind = 'internal'").Scan(&tid); err != nil {
		t.Fatal(err)
	}
	if err := ta.DB.QueryRow(ctx, "SELECT id FROM departments WHERE has_counter = TRUE AND active = TRUE ORDER BY id LIMIT 1").Scan(&dept); err != nil {
		t.Fatal(err)
	}

	// Two uploads by the consultant: an edited file and a broken one.
	c := ta.as("consultant")
	_, x := c.get(fmt.Sprintf("/catalog/templates/%d/export", tid))
	edit := func(fn func(f *excelize.File, sheet string, header int)) []byte {
		f, err := excelize.OpenReader(strings.NewReader(x))
		if err != nil {
			t.Fatal(err)
		}
		sheet := f.GetSheetName(0)
		rows, _ := f.GetRows(sheet)
		header := 0
		for i, r := range rows {
			if len(r) > 2 && r[0] == "No" {
				header = i + 1
				break
			}
		}
		fn(f, sheet, header)
		var buf bytes.Buffer
		if _, err := f.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	changed := edit(func(f *excelize.File, sheet string, h int) {
		q, _ := f.GetCellValue(sheet, fmt.Sprintf("C%d", h+1))
		_ = f.SetCellStr(sheet, fmt.Sprintf("C%d", h+1), q+"また、その結果を年 1 回以上記録しているか。")
		_ = f.SetCellStr(sheet, fmt.Sprintf("K%d", h+2), "ヒアリング、文書・記録の閲覧、視察")
		_ = f.SetCellStr(sheet, fmt.Sprintf("G%d", h+3), "〇")
		_ = f.RemoveRow(sheet, h+5)
	})
	broken := edit(func(f *excelize.File, sheet string, h int) {
		_ = f.SetCellStr(sheet, fmt.Sprintf("K%d", h+1), "ヒヤリング")
		_ = f.SetCellStr(sheet, fmt.Sprintf("L%d", h+2), "△")
		_ = f.SetCellStr(sheet, fmt.Sprintf("I%d", h+3), "mic-policy 99.9")
	})
	var previews []string
	for name, data := range map[string][]byte{"edited": changed, "broken": broken} {
		resp, _ := c.upload(fmt.Sprintf("/catalog/templates/%d/import", tid), name+".xlsx", data, nil)
		if resp.StatusCode != 303 {
			t.Fatalf("upload %s: %d", name, resp.StatusCode)
		}
		previews = append(previews, name+"\x00"+resp.Header.Get("Location"))
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("lang", "ja-JP"), chromedp.WindowSize(1280, 900), chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	shot := func(name string) {
		dir := os.Getenv("MAMORI_SHOTS")
		if dir == "" {
			return
		}
		sctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		b, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Logf("screenshot %s: %v", name, err)
			return
		}
		_ = os.MkdirAll(dir, 0o755)
		_ = os.WriteFile(filepath.Join(dir, "catalog-"+name+".png"), b, 0o644)
		// Long pages are also saved in parts that can be looked at.
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil || img.Bounds().Dy() <= 2000 {
			return
		}
		type sub interface {
			SubImage(image.Rectangle) image.Image
		}
		for i, y := 1, 0; y < img.Bounds().Dy() && i <= 4; i, y = i+1, y+1500 {
			part := img.(sub).SubImage(image.Rect(0, y, img.Bounds().Dx(), min(y+1500, img.Bounds().Dy())))
			var pb bytes.Buffer
			_ = png.Encode(&pb, part)
			_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("catalog-%s-%d.png", name, i)), pb.Bytes(), 0o644)
		}
	}
	mainText := func() string {
		sctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS("main")))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	login := func(login string) {
		run("login "+login, chromedp.Navigate(ta.srv.URL+"/login"), chromedp.WaitVisible(chromedp.CSS("#login")),
			chromedp.SendKeys(chromedp.CSS("#login"), login), chromedp.SendKeys(chromedp.CSS("#password"), "mamori-demo"),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)), chromedp.WaitNotPresent(chromedp.CSS("#password")))
	}
	check := func(name string, want ...string) {
		t.Helper()
		text := mainText()
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: %q not on the page", name, w)
			}
		}
		if strings.Contains(text, "システムエラー") {
			t.Errorf("%s: system error", name)
		}
		shot(name)
	}

	login("consultant")
	run("template", chromedp.Navigate(ta.srv.URL+fmt.Sprintf("/catalog/templates/%d", tid)), chromedp.WaitVisible(chromedp.CSS("main h1")))
	check("template", "Excel から取り込む", "この版から監査用チェックリストを作成")
	run("import form", chromedp.Navigate(ta.srv.URL+fmt.Sprintf("/catalog/templates/%d/import", tid)), chromedp.WaitVisible(chromedp.CSS("main h1")))
	check("import-form", "読み取る列")
	for _, p := range previews {
		name, u, _ := strings.Cut(p, "\x00")
		run(name, chromedp.Navigate(ta.srv.URL+u), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if name == "edited" {
			check("import-preview", "変更される項目（2）", "また、その結果を年 1 回以上記録しているか。", "ファイルにない登録済みの項目（1）", "判定・所見の列は監査人が記入する欄")
		} else {
			check("import-errors", "3 件のエラーがあるため、取り込めません", "技法「ヒヤリング」は使えません", "「△」は使えません", "条項「mic-policy 99.9」は登録されていません")
		}
	}
	run("logout", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS("#login")))

	login("auditor")
	run("build form", chromedp.Navigate(ta.srv.URL+fmt.Sprintf("/catalog/build?template=%d&department=%d", tid, dept)), chromedp.WaitVisible(chromedp.CSS("main h1")))
	check("build-form", "2. 項目の選び方", "重点とする脅威")
	run("build", chromedp.Click(chromedp.CSS(`input[name=scope][value=mynumber]`)), chromedp.Click(chromedp.CSS(`input[name=threat][value=ransomware]`)),
		chromedp.Click(chromedp.CSS(`input[name=threat][value=careless_leak]`)),
		chromedp.Click(chromedp.CSS(`form[action="/catalog/build"][method=post] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`input#title`)))
	check("build-result", "監査用チェックリスト（確認）", "全所属に適用", "窓口のある所属のため", "重点脅威：ランサム攻撃", "含めなかった項目")
	run("save", chromedp.Click(chromedp.CSS(`form[action="/catalog/build/save"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`a[href$="/export"]`)))
	check("built-show", "含めた理由", "重点")
	run("list", chromedp.Navigate(ta.srv.URL+"/catalog/built"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	check("built-list", "作成した監査用チェックリスト")
}
