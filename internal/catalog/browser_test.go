package catalog_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// TestCatalogC2InBrowser opens the XLSX import preview (with changes and
// with errors) and the build screens that start from the catalogue in
// headless Chromium on the demo data, checks they render, and with
// MAMORI_SHOTS=DIR saves screenshots.
func TestCatalogC2InBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := testkit.Browser(t)
	s := webtest.Start(t, webtest.Options{Demo: true})
	tid := s.ID("SELECT id FROM checklist_templates WHERE kind = 'internal'")
	dept := s.ID("SELECT id FROM departments WHERE has_counter = TRUE AND active = TRUE ORDER BY id LIMIT 1")

	// Two uploads by the consultant: an edited file and a broken one.
	c := s.As("consultant")
	x := c.Get(fmt.Sprintf("/catalog/templates/%d/export", tid)).Want(200).Body
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
		q, _ := f.GetCellValue(sheet, fmt.Sprintf("B%d", h+1))
		_ = f.SetCellStr(sheet, fmt.Sprintf("B%d", h+1), q+"また、その結果を年 1 回以上記録しているか。")
		_ = f.SetCellStr(sheet, fmt.Sprintf("K%d", h+2), "ヒアリング、文書・記録の閲覧、視察")
		_ = f.SetCellStr(sheet, fmt.Sprintf("D%d", h+3), "〇")
		_ = f.RemoveRow(sheet, h+5)
	})
	broken := edit(func(f *excelize.File, sheet string, h int) {
		_ = f.SetCellStr(sheet, fmt.Sprintf("K%d", h+1), "ヒヤリング")
		_ = f.SetCellStr(sheet, fmt.Sprintf("L%d", h+2), "△")
		_ = f.SetCellStr(sheet, fmt.Sprintf("F%d", h+3), "mic-policy 99.9")
	})
	previews := map[string]string{}
	for name, data := range map[string][]byte{"edited": changed, "broken": broken} {
		r := c.Upload(fmt.Sprintf("/catalog/templates/%d/import", tid), nil, "file", name+".xlsx", data).Want(303)
		previews[name] = r.Header.Get("Location")
	}

	check := func(name string, want ...string) {
		t.Helper()
		text := testkit.Text(t, ctx, "main")
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: %q not on the page", name, w)
			}
		}
		if strings.Contains(text, "システムエラー") {
			t.Errorf("%s: system error", name)
		}
		testkit.Shot(t, ctx, "catalog-"+name)
	}
	open := func(name, path string) {
		t.Helper()
		testkit.Step(t, ctx, name, chromedp.Navigate(s.URL+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
	}

	testkit.Login(t, ctx, s.URL, "consultant", webtest.DemoPassword)
	open("template", fmt.Sprintf("/catalog/templates/%d", tid))
	check("template", "Excel から取り込む", "この版から監査用チェックリストを作成")
	open("import form", fmt.Sprintf("/catalog/templates/%d/import", tid))
	check("import-form", "読み取る列")
	open("edited", previews["edited"])
	check("import-preview", "変更される項目（2）", "また、その結果を年 1 回以上記録しているか。", "ファイルにない登録済みの項目（1）", "判定・所見の列は監査人が記入する欄")
	open("broken", previews["broken"])
	check("import-errors", "3 件のエラーがあるため、取り込めません", "技法「ヒヤリング」は使えません", "「△」は使えません", "条項「mic-policy 99.9」は登録されていません")
	testkit.Step(t, ctx, "logout", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS("#login")))

	testkit.Login(t, ctx, s.URL, "auditor", webtest.DemoPassword)
	open("build form", fmt.Sprintf("/catalog/build?template=%d&department=%d", tid, dept))
	check("build-form", "2. 項目の選び方", "重点とする脅威")
	testkit.Step(t, ctx, "build", chromedp.Click(chromedp.CSS(`input[name=scope][value=mynumber]`)), chromedp.Click(chromedp.CSS(`input[name=threat][value=ransomware]`)),
		chromedp.Click(chromedp.CSS(`input[name=threat][value=careless_leak]`)),
		chromedp.Click(chromedp.CSS(`form[action="/catalog/build"][method=post] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`input#title`)))
	check("build-result", "監査用チェックリスト（確認）", "全所属に適用", "窓口のある所属のため", "重点脅威：ランサム攻撃", "含めなかった項目")
	testkit.Step(t, ctx, "save", chromedp.Click(chromedp.CSS(`form[action="/catalog/build/save"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`a[href$="/export"]`)))
	check("built-show", "含めた理由", "重点")
	open("list", "/catalog/built")
	check("built-list", "作成した監査用チェックリスト")
}
