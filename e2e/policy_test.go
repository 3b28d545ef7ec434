package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"mamori/internal/testkit"
)

// TestPolicyRevisionJourney: the consultant opens the demo revision draft
// of the 対策基準, checks the renumbering and the 新旧対照表 preview,
// downloads the 新旧対照表 PDF and the 見え消し Word file, reviews the
// 相違点整合表, and imports a small plain-text document; a staff member
// then sees only the published 基本方針.
func TestPolicyRevisionJourney(t *testing.T) {
	base := serve(t)
	ctx := browser(t)
	login(t, ctx, base, "consultant")

	// The policy list: both demo documents and the draft.
	step(t, ctx, "policy list", chromedp.Navigate(base+"/policy"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	list := text(t, ctx, "main")
	for _, want := range []string{"ひので区情報セキュリティ基本方針", "ひので区情報セキュリティ対策基準", "令和8年度改正案", "相違点整合表"} {
		if !strings.Contains(list, want) {
			t.Errorf("/policy lacks %s:\n%s", want, truncate(list, 1500))
		}
	}
	shot(t, ctx, "policy-index")
	standardURL := evalString(t, ctx, `[...document.querySelectorAll('main table a')].find(a => a.textContent.trim() === 'ひので区情報セキュリティ対策基準').href`)
	standardVersionURL := evalString(t, ctx, `[...document.querySelectorAll('main table tr')].find(tr => tr.textContent.includes('対策基準')).querySelector('a[href^="/policy/versions/"]').href`)

	// The 対策基準 document page, reached by clicking its name.
	step(t, ctx, "open 対策基準",
		chromedp.Click(`//main//table//a[normalize-space(.)='ひので区情報セキュリティ対策基準']`),
		arrive(`^/policy/documents/\d+$`),
	)
	if h := text(t, ctx, "main h1"); h != "ひので区情報セキュリティ対策基準" {
		t.Fatalf("document page heading %q", h)
	}
	doc := text(t, ctx, "main")
	for _, want := range []string{"令和6年4月1日施行版", "令和8年度改正案", "改訂案を作成"} {
		if !strings.Contains(doc, want) {
			t.Errorf("document page lacks %s", want)
		}
	}
	shot(t, ctx, "policy-document")

	// The draft: 4 changes, the new 第25条 and the renumbering it caused.
	step(t, ctx, "open draft",
		chromedp.Click(`//main//table//tr[td/a[normalize-space(.)='令和8年度改正案']]//a[contains(@href,'/draft')]`),
		arrive(`^/policy/versions/\d+/draft$`),
		chromedp.WaitVisible(chromedp.CSS("#changes")),
	)
	if h := text(t, ctx, "main h1"); h != "令和8年度改正案" {
		t.Fatalf("draft heading %q", h)
	}
	props := text(t, ctx, "main .card dl.props")
	if !strings.Contains(props, "4 件") || !strings.Contains(props, "新設 1") || !strings.Contains(props, "改正 3") {
		t.Errorf("draft summary does not count 4 changes (新設 1・改正 3):\n%s", props)
	}
	// Open every folded rename list, as a reader would, then read the table.
	evalString(t, ctx, `(document.querySelectorAll('#changes + .table-wrap details').forEach(d => d.open = true), '')`)
	changes := text(t, ctx, "#changes + .table-wrap")
	for _, want := range []string{"第25条（生成AIの利用）を新設", "第29条（情報セキュリティインシデントの報告）", "第25条→第26条", "第28条→第29条"} {
		if !strings.Contains(changes, want) {
			t.Errorf("change record lacks %s:\n%s", want, truncate(changes, 3000))
		}
	}
	// The renumbering reached the text: the contract article cites the
	// report article by its new number.
	units := evalString(t, ctx, `document.querySelector('ul.unit-list').textContent`)
	if !strings.Contains(units, "第25条（生成AIの利用）") || !strings.Contains(units, "第26条") {
		t.Errorf("article list lacks the new 第25条 and the moved 第26条")
	}

	// The 新旧対照表 preview: both columns and underlined changed text
	// (the table stylesheet must really apply under the CSP).
	preview := text(t, ctx, ".table-preview")
	for _, want := range []string{"改正後", "改正前", "生成AI", "1時間以内"} {
		if !strings.Contains(preview, want) {
			t.Errorf("新旧対照表 preview lacks %s", want)
		}
	}
	underlined := evalString(t, ctx, `(() => {
		const out = [];
		for (const el of document.querySelectorAll('.table-preview *')) {
			if (el.children.length === 0 && el.textContent.trim() !== '' && getComputedStyle(el).textDecorationLine.includes('underline')) out.push(el.textContent.trim());
		}
		return out.join('\n');
	})()`)
	if !strings.Contains(underlined, "生成AI") || !strings.Contains(underlined, "1時間以内") {
		t.Errorf("preview does not underline the changed text; underlined runs:\n%s", truncate(underlined, 1500))
	}
	shot(t, ctx, "policy-draft")
	step(t, ctx, "scroll to top", chromedp.ScrollIntoView(chromedp.CSS("main h1")))
	shotViewport(t, ctx, "policy-draft-top")
	step(t, ctx, "scroll to preview", chromedp.ScrollIntoView(chromedp.CSS("#preview")))
	shotViewport(t, ctx, "policy-draft-preview")

	// Downloads through the page's own link and form, with the browser's session.
	client := sessionClient(t, ctx, base)
	tableURL := evalString(t, ctx, `(() => {
		const f = document.querySelector('form[action$="/table"]');
		const p = new URLSearchParams(new FormData(f));
		p.set('format', 'pdf');
		return f.action + '?' + p.toString();
	})()`)
	pdf := fetch(t, client, tableURL, "application/pdf")
	ptext := pdfText(t, pdf)
	for _, want := range []string{"新旧対照表", "改正後", "改正前", "傍線部分は改正部分", "生成AI"} {
		if !strings.Contains(ptext, want) {
			t.Errorf("新旧対照表 PDF lacks %s:\n%s", want, truncate(ptext, 1500))
		}
	}
	redlineURL := evalString(t, ctx, `document.querySelector('a[href$="/redline?format=docx"]').href`)
	docx := fetch(t, client, redlineURL, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
	xml := zipPart(t, docx, "word/document.xml")
	for _, want := range []string{"<w:ins ", "<w:del ", "<w:delText", "生成AI"} {
		if !strings.Contains(xml, want) {
			t.Errorf("見え消し DOCX document.xml lacks %s", want)
		}
	}
	redlinePDF := fetch(t, client, evalString(t, ctx, `document.querySelector('a[href$="/redline?format=pdf"]').href`), "application/pdf")
	if rt := pdfText(t, redlinePDF); !strings.Contains(rt, "第25条") || !strings.Contains(rt, "生成AI") {
		t.Errorf("見え消し PDF lacks the new 第25条:\n%s", truncate(rt, 1500))
	}

	// The 相違点整合表: the demo table and the six deliberate gaps.
	step(t, ctx, "gap list", chromedp.Navigate(base+"/policy/gap"), chromedp.WaitVisible(chromedp.CSS("main table")))
	gapList := text(t, ctx, "main table")
	if !strings.Contains(gapList, "令和7年3月") {
		t.Errorf("gap list lacks the demo table (guideline 令和7年3月):\n%s", gapList)
	}
	shot(t, ctx, "policy-gap-list")
	step(t, ctx, "open gap table",
		chromedp.Click(chromedp.CSS(`main table tbody tr:first-child td:first-child a`)),
		arrive(`^/policy/gap/\d+$`),
		chromedp.WaitVisible(chromedp.CSS("#rows")),
	)
	rows := gapRows(t, ctx)
	if len(rows) < 20 {
		t.Fatalf("gap table has %d rows", len(rows))
	}
	for _, num := range []string{"3.2", "5.1", "5.3", "7.3", "8.1", "8.2", "8.3"} {
		r, ok := rows[num]
		if !ok {
			t.Errorf("gap table lacks clause %s", num)
			continue
		}
		if r["状況"] != "一部反映" && r["状況"] != "未反映" {
			t.Errorf("clause %s: 状況 %q, want a gap", num, r["状況"])
		}
		if !strings.Contains(r["相違点・課題"], "相違点") {
			t.Errorf("clause %s: no 相違点 written: %q", num, r["相違点・課題"])
		}
	}
	// The draft's changes cite the rows they resolve: 5.1 by the new article.
	if r := rows["5.1"]; r != nil && !strings.Contains(r["相違点・課題"]+r["改正予定の内容"], "生成AI") {
		t.Errorf("5.1 row is not about 生成AI: %v", r)
	}
	shot(t, ctx, "policy-gap-table")

	// Import a small plain-text handbook through the forms.
	src := filepath.Join(t.TempDir(), "端末持出し手順.txt")
	body := strings.Join([]string{
		"ひので区端末持出し手順",
		"第1条（目的）",
		"この手順は、業務用の端末を庁外に持ち出すときに必要な事項を定めるものとする。",
		"第2条（持出しの承認）",
		"職員等は、端末を庁外に持ち出すときは、あらかじめ情報セキュリティ管理者の承認を得なければならない。",
		"２　情報セキュリティ管理者は、前項の承認をするときは、次に掲げる事項を確認するものとする。",
		"（1）　端末の記録媒体が暗号化されていること。",
		"（2）　持ち出す期間及び行き先",
	}, "\n") + "\n"
	if err := os.WriteFile(src, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "new document",
		chromedp.Navigate(base+"/policy"),
		chromedp.Click(chromedp.CSS(`a[href="/policy/documents/new"]`)),
		arrive(`^/policy/documents/new$`),
		chromedp.WaitVisible(chromedp.CSS("#title")),
		chromedp.SetValue(chromedp.CSS("#kind"), "handbook"),
		chromedp.SendKeys(chromedp.CSS("#title"), "ひので区端末持出し手順"),
		chromedp.Click(chromedp.CSS(`form[action="/policy/documents"] button[type=submit]`)),
		arrive(`^/policy/documents/\d+/import$`),
		chromedp.WaitVisible(chromedp.CSS("#file")),
	)
	shot(t, ctx, "policy-import-form")
	step(t, ctx, "upload text",
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{src}),
		chromedp.Click(chromedp.CSS(`form[action$="/import"] button[type=submit]`)),
		arrive(`^/policy/imports/\d+/preview$`),
		chromedp.WaitVisible(chromedp.CSS("table.tree-preview")),
	)
	pv := text(t, ctx, "main")
	for _, want := range []string{"端末持出し手順.txt", "ひので区端末持出し手順", "番号の飛びや書き方の混在は見つかりませんでした"} {
		if !strings.Contains(pv, want) {
			t.Errorf("import preview lacks %s:\n%s", want, truncate(pv, 2000))
		}
	}
	levels := evalString(t, ctx, `[...document.querySelectorAll('table.tree-preview tbody tr')].map(tr => tr.cells[1].innerText.trim() + ' ' + tr.cells[2].innerText.trim()).join('\n')`)
	for _, want := range []string{"条 第1条", "条 第2条", "項 ２", "号 （1）", "号 （2）"} {
		if !strings.Contains(levels, want) {
			t.Errorf("import preview does not recognise %q; levels:\n%s", want, levels)
		}
	}
	shot(t, ctx, "policy-import-preview")
	step(t, ctx, "save import",
		chromedp.Click(chromedp.CSS(`input[name=status][value=adopted]`)),
		chromedp.SetValue(chromedp.CSS("#effective_date"), "令和8年4月1日"),
		chromedp.SetValue(chromedp.CSS("#decided_by"), "ひので区情報セキュリティ委員会決定"),
		chromedp.SetValue(chromedp.CSS("#decided_date"), "令和8年3月24日"),
		chromedp.Click(`//form[contains(@action,'/save')]//button[normalize-space(.)='保存']`),
		arrive(`^/policy/versions/\d+$`),
		chromedp.WaitVisible(chromedp.CSS(".alert-ok")),
	)
	saved := text(t, ctx, "main")
	for _, want := range []string{"施行中の版として保存しました", "第1条", "目的", "第2条", "持出しの承認", "持ち出す期間及び行き先", "令和8年4月1日"} {
		if !strings.Contains(saved, want) {
			t.Errorf("saved version lacks %s:\n%s", want, truncate(saved, 2000))
		}
	}
	shot(t, ctx, "policy-import-saved")
	step(t, ctx, "policy list again", chromedp.Navigate(base+"/policy"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if l := text(t, ctx, "main"); !strings.Contains(l, "ひので区端末持出し手順") {
		t.Error("imported handbook not in the policy list")
	}

	// A staff member: only the published 基本方針; the 対策基準 is refused.
	step(t, ctx, "logout", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS("#login")))
	login(t, ctx, base, "staff")
	step(t, ctx, "staff policy list", chromedp.Navigate(base+"/policy"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	staffList := text(t, ctx, "main")
	if !strings.Contains(staffList, "ひので区情報セキュリティ基本方針") {
		t.Errorf("staff does not see the 基本方針:\n%s", staffList)
	}
	for _, hidden := range []string{"対策基準", "令和8年度改正案", "端末持出し手順", "相違点整合表"} {
		if strings.Contains(staffList, hidden) {
			t.Errorf("staff sees %s on /policy:\n%s", hidden, staffList)
		}
	}
	shot(t, ctx, "policy-staff-index")
	step(t, ctx, "staff reads 基本方針",
		chromedp.Click(`//main//table//a[normalize-space(.)='ひので区情報セキュリティ基本方針']`),
		arrive(`^/policy/versions/\d+$`),
	)
	if b := text(t, ctx, "main"); !strings.Contains(b, "第1条") {
		t.Errorf("staff 基本方針 page shows no articles:\n%s", truncate(b, 1000))
	}
	for _, u := range []string{standardURL, standardVersionURL, base + "/policy/gap"} {
		status, page := navigateStatus(t, ctx, u)
		if status != http.StatusForbidden {
			t.Errorf("staff %s: status %d, want 403", u, status)
		}
		if !strings.Contains(page, "権限がありません") {
			t.Errorf("staff %s: page does not explain the refusal:\n%s", u, truncate(page, 800))
		}
	}
	shot(t, ctx, "policy-staff-403")
}

// arrive waits, after a click or a submit, until the browser shows a page
// whose path matches pathRe and its heading is in place, so checks never
// read the page left behind.
func arrive(pathRe string) chromedp.Action[chromedp.Void] {
	re := regexp.MustCompile(pathRe)
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		last := ""
		for {
			p, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState === 'loading' ? '' : location.pathname`))
			if err == nil && p != "" {
				last = p
				if re.MatchString(p) {
					return chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("main h1")))
				}
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("never reached %s (at %s)", pathRe, last)
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// evalString runs a JavaScript expression in the page and returns its text.
func evalString(t *testing.T, ctx context.Context, js string) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", truncate(js, 200), err)
	}
	return s
}

// shotViewport saves a screenshot of the visible part of the page.
func shotViewport(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("MAMORI_SHOTS")
	if dir == "" {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	b, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	_ = os.MkdirAll(dir, 0o755)
	_ = os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644)
}

// navigateStatus opens a URL and returns the HTTP status and the page text.
func navigateStatus(t *testing.T, ctx context.Context, u string) (int64, string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	resp, err := chromedp.Run(sctx, chromedp.NavigateResponse(u))
	if err != nil {
		t.Fatalf("navigate %s: %v", u, err)
	}
	page, _ := chromedp.Run(sctx, chromedp.Text(chromedp.CSS("body")))
	return resp.Status, page
}

// sessionClient is an HTTP client carrying the browser's cookies for base,
// so files are fetched as the signed-in user.
func sessionClient(t *testing.T, ctx context.Context, base string) *http.Client {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/"}})
	if err != nil {
		t.Fatalf("cookies: %v", err)
	}
	if len(res.Cookies) == 0 {
		t.Fatal("the browser holds no session cookie")
	}
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(base)
	var cs []*http.Cookie
	for _, c := range res.Cookies {
		cs = append(cs, &http.Cookie{Name: c.Name, Value: c.Value, Path: "/"})
	}
	jar.SetCookies(u, cs)
	return &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// fetch downloads u and checks it is a file of the given type sent as an
// attachment.
func fetch(t *testing.T, c *http.Client, u, ctype string) []byte {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d\n%s", u, resp.StatusCode, truncate(string(b), 800))
	}
	if got := resp.Header.Get("Content-Type"); got != ctype {
		t.Fatalf("GET %s: Content-Type %q, want %q", u, got, ctype)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Errorf("GET %s: Content-Disposition %q", u, cd)
	}
	return b
}

// pdfText extracts a PDF's text with pdftotext (poppler).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	return testkit.PDFBytesText(t, pdf)
}

// zipPart returns one file of a zip package (a DOCX) as text.
func zipPart(t *testing.T, data []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a zip package: %v", err)
	}
	f, err := zr.Open(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var clauseNumRe = regexp.MustCompile(`^\d+(\.\d+)*`)

// gapRows reads the 相違点整合表 rows on the page by guideline clause
// number, each as header → cell text.
func gapRows(t *testing.T, ctx context.Context) map[string]map[string]string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	cells, err := chromedp.Run(sctx, chromedp.Evaluate[[][]string](`(() => {
		const tr = document.querySelector('tr[id^="row-"]');
		const table = tr.closest('table');
		const head = [...table.tHead.rows[0].cells].map(c => c.innerText.trim());
		return [head, ...[...table.querySelectorAll('tr[id^="row-"]')].map(r => [...r.cells].map(c => c.innerText.trim()))];
	})()`))
	if err != nil {
		t.Fatalf("read gap rows: %v", err)
	}
	head := cells[0]
	out := map[string]map[string]string{}
	for _, r := range cells[1:] {
		m := map[string]string{}
		for i, c := range r {
			if i < len(head) {
				m[head[i]] = c
			}
		}
		if n := clauseNumRe.FindString(m["ガイドライン条項"]); n != "" {
			out[n] = m
		}
	}
	return out
}
