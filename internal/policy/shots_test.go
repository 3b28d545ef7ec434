package policy

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mamori/internal/web"
)

// TestPagesInBrowser opens every policy page in headless Chromium on the
// demo data and checks it renders its heading and no error; with
// MAMORI_SHOTS=DIR it saves a screenshot of each page to look at.
func TestPagesInBrowser(t *testing.T) {
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
	h := newHarness(t)
	ctx := context.Background()
	if err := CreateDemo(ctx, h.store); err != nil {
		t.Fatal(err)
	}
	docs, _ := h.store.Documents(ctx)
	std := docs[1]
	draft := std.Drafts[0].ID
	cs, _ := h.store.Changes(ctx, draft)
	qs, _ := h.store.Questions(ctx, draft)
	tree, _ := h.store.Tree(ctx, draft)
	at := unitPath(t, tree, "第29条")

	// A pending import of the demo file, for the preview page.
	admin := h.as(web.RoleAdmin)
	data, _ := os.ReadFile("../../content/policy/hinode-kihon-houshin.md")
	resp, body := admin.upload(fmt.Sprintf("/policy/documents/%d/import", docs[0].ID), "hinode-kihon-houshin.md", data)
	expect(t, resp, body, http.StatusSeeOther)
	preview := resp.Header.Get("Location")

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
		_ = os.WriteFile(filepath.Join(dir, "policy-"+name+".png"), b, 0o644)
		// Long pages are also saved in parts that can be looked at.
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil || img.Bounds().Dy() <= 2000 {
			return
		}
		type sub interface {
			SubImage(image.Rectangle) image.Image
		}
		for i, y := 1, 0; y < img.Bounds().Dy(); i, y = i+1, y+1500 {
			part := img.(sub).SubImage(image.Rect(0, y, img.Bounds().Dx(), min(y+1500, img.Bounds().Dy())))
			var pb bytes.Buffer
			_ = png.Encode(&pb, part)
			_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("policy-%s-%d.png", name, i)), pb.Bytes(), 0o644)
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
		run("login "+login, chromedp.Navigate(h.srv.URL+"/login"), chromedp.WaitVisible(chromedp.CSS("#login")),
			chromedp.SendKeys(chromedp.CSS("#login"), login), chromedp.SendKeys(chromedp.CSS("#password"), "correct horse battery 9"),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)), chromedp.WaitNotPresent(chromedp.CSS("#password")))
	}
	login("u-admin")
	pages := []struct{ name, path, want string }{
		{"index", "/policy", "ポリシー改訂"},
		{"document", fmt.Sprintf("/policy/documents/%d", std.ID), "版の履歴"},
		{"document-new", "/policy/documents/new", "文書の登録"},
		{"import", fmt.Sprintf("/policy/documents/%d/import", std.ID), "本文の取り込み"},
		{"import-preview", preview, "読み取った構造"},
		{"version", fmt.Sprintf("/policy/versions/%d", std.Adopted.ID), "目次"},
		{"draft", fmt.Sprintf("/policy/versions/%d/draft?changed=%d", draft, cs[0].ID), "新旧対照表（画面表示）"},
		{"change-edit", fmt.Sprintf("/policy/versions/%d/change?kind=edit&at=%s", draft, at), "の改正"},
		{"change-insert", fmt.Sprintf("/policy/versions/%d/change?kind=insert&after=%s", draft, at), "条の新設"},
		{"change-move", fmt.Sprintf("/policy/versions/%d/change?kind=move&at=%s", draft, at), "の移動"},
		{"change-meta", fmt.Sprintf("/policy/changes/%d/edit", cs[1].ID), "改正内容の記録"},
		{"quiz", fmt.Sprintf("/policy/versions/%d/quiz", draft), "確認問題"},
	}
	for _, p := range pages {
		run(p.name, chromedp.Navigate(h.srv.URL+p.path), chromedp.WaitVisible(chromedp.CSS("main h1")))
		text := mainText()
		if !strings.Contains(text, p.want) || strings.Contains(text, "システムエラー") {
			t.Errorf("%s: %q not on the page", p.name, p.want)
		}
		shot(p.name)
	}
	if len(qs) == 0 {
		t.Fatal("no demo quiz")
	}
	// Staff see the 基本方針 only.
	run("logout", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS("#login")))
	login("u-staff")
	run("staff index", chromedp.Navigate(h.srv.URL+"/policy"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	text := mainText()
	if !strings.Contains(text, "ひので区情報セキュリティ基本方針") || strings.Contains(text, "対策基準") {
		t.Errorf("staff index: %s", text)
	}
	shot("staff-index")
	run("staff basic", chromedp.Navigate(h.srv.URL+fmt.Sprintf("/policy/versions/%d", docs[0].Adopted.ID)), chromedp.WaitVisible(chromedp.CSS("main h1")))
	shot("staff-basic")
}
