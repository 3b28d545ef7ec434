package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"mamori/internal/testkit"
)

// TestVendorJourney: a 所属長 requests a review of a cloud service; the
// security office builds the questionnaire and issues a link; the vendor,
// without an account on a tablet-sized window, answers every item,
// attaches a document and submits; the office marks one item 要修正 and
// returns it; the vendor sees the request (never the office's internal
// note), corrects the item and resubmits; the office approves with a
// condition and downloads the 審査結果.
func TestVendorJourney(t *testing.T) {
	base, _ := startServer(t, t.TempDir(), true)
	ctx := browser(t)
	newTab := func() context.Context {
		c, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		if err := chromedp.Do(c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	dept := newTab()
	login(t, dept, base, "auditee")
	step(t, dept, "request", chromedp.Navigate(base+"/vendor/new"), chromedp.WaitVisible(chromedp.CSS("#service_name")),
		chromedp.Evaluate[chromedp.Void](`(() => {
			document.querySelector("#service_name").value = "窓口予約クラウド";
			document.querySelector("#vendor_name").value = "株式会社みらい予約";
			document.querySelector("#purpose").value = "戸籍住民課の窓口の来庁予約を受け付ける。";
			document.querySelector("#storage_location").value = "国内（東京）";
			document.querySelector("#service_name").form.requestSubmit();
		})()`), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	wantFlash(t, dept, "を依頼しました")
	path := evalString(t, dept, `location.pathname`)

	office := ctx
	login(t, office, base, "admin")
	step(t, office, "build", chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("form[action$='/build']")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("form[action$='/build']").requestSubmit()`), chromedp.WaitVisible(chromedp.CSS("#links")))
	wantFlash(t, office, "調査票を作成しました")
	step(t, office, "link", chromedp.Evaluate[chromedp.Void](`document.querySelector("form[action$='/links']").requestSubmit()`),
		chromedp.WaitVisible(chromedp.CSS(".newlink a")))
	link := evalString(t, office, `document.querySelector(".newlink a").href`)

	v := newTab()
	step(t, v, "vendor opens", chromedp.EmulateViewport(820, 1180), chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#answers")))
	step(t, v, "answer all", chromedp.Evaluate[chromedp.Void](`(() => {
		for (const a of document.querySelectorAll("article.item")) {
			a.querySelector("input[type=radio][value='はい']").checked = true;
			a.querySelector("textarea").value = "社内規程で定め、年1回の内部監査で確認しています。";
		}
		document.querySelector("button[value=save]").click();
	})()`), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	wantFlash(t, v, "回答を保存しました")
	pdf := filepath.Join(t.TempDir(), "情報セキュリティ基本方針.pdf")
	if err := os.WriteFile(pdf, samplePDF("情報セキュリティ基本方針"), 0o644); err != nil {
		t.Fatal(err)
	}
	step(t, v, "attach", chromedp.SetUploadFiles(chromedp.CSS("#ev-file"), []string{pdf}),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#ev-eff").value = "2026-04-01"; document.querySelector("#ev-file").form.requestSubmit()`),
		chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	wantFlash(t, v, "資料を受け付けました")
	testkit.Shot(t, v, "vendor-answer")
	for _, x := range testkit.Axe(t, v) {
		if x.Blocking() {
			t.Errorf("accessibility (vendor answer): %s", x)
		}
	}
	step(t, v, "submit", chromedp.Evaluate[chromedp.Void](`document.querySelector("button[value=submit]").click()`), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	wantFlash(t, v, "回答を提出しました")

	// The office: 要修正 on the first item, with an internal note.
	step(t, office, "review", chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("article.item")),
		chromedp.Evaluate[chromedp.Void](`(() => {
			const a = document.querySelector("article.item");
			a.querySelector("details").open = true;
			a.querySelector("input[value=fix]").checked = true;
			a.querySelector("textarea[name=to_vendor]").value = "規程の該当条文の番号を示してください。";
			a.querySelector("textarea[name=internal]").value = "昨年の別件で規程が古かった。";
			a.querySelector("form").requestSubmit();
		})()`), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	step(t, office, "return", chromedp.Evaluate[chromedp.Void](`document.querySelector("form[action$='/return']").requestSubmit()`), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	wantFlash(t, office, "事業者に戻しました")

	step(t, v, "vendor sees the request", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("article.item.fix")))
	body := mainText(t, v)
	if !strings.Contains(body, "規程の該当条文の番号を示してください。") || strings.Contains(body, "昨年の別件") {
		t.Fatalf("the vendor's page (the request shown, never the internal note):\n%s", truncate(body, 1200))
	}
	step(t, v, "correct", chromedp.Evaluate[chromedp.Void](`(() => {
		const a = document.querySelector("article.item.fix");
		a.querySelector("textarea").value = "情報セキュリティ基本規程 第5条・第12条で定めています。";
		document.querySelector("button[value=submit]").click();
	})()`), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	wantFlash(t, v, "回答を提出しました")

	step(t, office, "decide", chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("form[action$='/decide']")),
		chromedp.Evaluate[chromedp.Void](`(() => {
			document.querySelector("input[name=decision][value=conditional]").checked = true;
			document.querySelector("#reason").value = "対策はおおむね講じられているが、規程の改定状況を確認するため条件を付す。";
			document.querySelector("#conditions").value = "改定後の情報セキュリティ基本規程を提出すること：2027-03-31";
			document.querySelector("#reason").form.requestSubmit();
		})()`), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	wantFlash(t, office, "決定を記録しました")
	testkit.Shot(t, office, "vendor-decided")
	text := squash(pdfText(t, fetch(t, sessionClient(t, office, base), base+path+"/result?format=pdf", "application/pdf")))
	for _, w := range []string{"条件付承認", "改定後の情報セキュリティ基本規程を提出すること", "第5条・第12条", "窓口予約クラウド"} {
		if !strings.Contains(text, squash(w)) {
			t.Errorf("the 審査結果 PDF lacks %q", w)
		}
	}

	// The same through Excel: the printing contract returned for corrections.
	step(t, office, "returned request", chromedp.Navigate(base+"/vendor?q=VR-R8-002"), chromedp.WaitVisible(chromedp.CSS("main table")),
		clickLink(`main table a[href^="/vendor/"]`, ""), chromedp.WaitVisible(chromedp.CSS("#xlsx")))
	rpath := evalString(t, office, `location.pathname`)
	book := fetch(t, sessionClient(t, office, base), base+rpath+"/workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	key := evalString(t, office, `document.querySelector("article.item.fix .code").textContent`)
	filled := filepath.Join(t.TempDir(), "回答.xlsx")
	if err := os.WriteFile(filled, fillWorkbook(t, book, key, "はい", "再委託は区の書面による事前の承認を得た場合に限ります。"), 0o644); err != nil {
		t.Fatal(err)
	}
	step(t, office, "upload", chromedp.SetUploadFiles(chromedp.CSS("#xlsx-file"), []string{filled}),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#xlsx-file").form.requestSubmit()`), chromedp.WaitVisible(chromedp.CSS("form[action$='/import/apply']")))
	if body := mainText(t, office); !strings.Contains(body, "変わる回答 1 項目") || !strings.Contains(body, key) {
		t.Fatalf("the import preview:\n%s", truncate(body, 1200))
	}
	testkit.Shot(t, office, "vendor-import")
	step(t, office, "apply", chromedp.Evaluate[chromedp.Void](`document.querySelector("form[action$='/import/apply']").requestSubmit()`), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	wantFlash(t, office, "1 項目の回答を取り込みました")
	if body := mainText(t, office); !strings.Contains(body, "再委託は区の書面による事前の承認を得た場合に限ります。") {
		t.Error("the imported answer is not on the page")
	}
}

// fillWorkbook answers one item (by its key) of a questionnaire workbook.
func fillWorkbook(t *testing.T, book []byte, key, answer, note string) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(book))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("確認事項")
	if err != nil {
		t.Fatal(err)
	}
	cols := map[string]int{}
	for i, r := range rows {
		if slices.Contains(r, "キー") {
			for j, c := range r {
				cols[c] = j + 1
			}
			continue
		}
		if len(cols) == 0 || len(r) < cols["キー"] || r[cols["キー"]-1] != key {
			continue
		}
		a, _ := excelize.CoordinatesToCellName(cols["回答"], i+1)
		n, _ := excelize.CoordinatesToCellName(cols["説明（取組・根拠資料）"], i+1)
		if err := f.SetCellValue("確認事項", a, answer); err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellValue("確認事項", n, note); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := f.Write(&out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
