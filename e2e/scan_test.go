package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"mamori/content"
	"mamori/internal/testkit"
)

// TestScanJourney: the contractor's auditor opens the resident-record
// system audit's technical verification, uploads a new Nmap scan (the
// first one again), reads the preview (findings that come back) and
// imports it; opens a finding that came back, marks it 対応中 with a note,
// and makes an urgent one an audit finding.
func TestScanJourney(t *testing.T) {
	base, _ := startServer(t, t.TempDir(), true)
	ctx := browser(t)
	login(t, ctx, base, "consultant")
	dir := t.TempDir()
	b, err := fs.ReadFile(content.FS, "demo/scan/juki-20261117.xml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "juki-rescan.xml")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "list", chromedp.Navigate(base+"/scan"), chromedp.WaitVisible(chromedp.CSS("table.list-table")))
	testkit.Shot(t, ctx, "scan-list")
	step(t, ctx, "open", chromedp.Click(chromedp.CSS(`table.list-table a[href^="/scan/"]`)), chromedp.WaitVisible(chromedp.CSS("#imp-file")))
	testkit.Shot(t, ctx, "scan-show")
	for _, v := range testkit.Axe(t, ctx) {
		if v.Blocking() {
			t.Errorf("the technical-verification page: %s", v)
		}
	}
	step(t, ctx, "upload", chromedp.SetUploadFiles(chromedp.CSS("#imp-file"), []string{file}),
		chromedp.Click(chromedp.CSS(`form[action$="/import"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/import/apply"]`)))
	text := mainText(t, ctx)
	for _, want := range []string{"取込みの確認", "Nmap XML", "再発（対応済から戻る）", "CVE-2022-31813"} {
		if !strings.Contains(text, want) {
			t.Errorf("the preview lacks %q:\n%s", want, truncate(text, 1500))
		}
	}
	testkit.Shot(t, ctx, "scan-preview")
	step(t, ctx, "apply", leave, chromedp.Click(chromedp.CSS(`form[action$="/import/apply"] button[type=submit]`)), nextPage(`^/scan/\d+$`), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	wantFlash(t, ctx, "juki-rescan.xml", "再発")
	step(t, ctx, "a finding", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("table.list-table a")].find(a => a.textContent.includes("CVE-2022-31813")).click()`),
		chromedp.WaitVisible(chromedp.CSS("#status")))
	testkit.Shot(t, ctx, "scan-finding")
	for _, v := range testkit.Axe(t, ctx) {
		if v.Blocking() {
			t.Errorf("the finding page: %s", v)
		}
	}
	step(t, ctx, "status", chromedp.SetValue(chromedp.CSS("#status"), "progress"),
		chromedp.SendKeys(chromedp.CSS("#note"), "保守事業者が Apache の更新を再度適用する予定（12月第2週）。"),
		leave, chromedp.Click(chromedp.CSS(`form.stack button[type=submit]`)), nextPage(`^/scan/\d+/findings/\d+$`), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	wantFlash(t, ctx, "更新しました")
	if text := mainText(t, ctx); !strings.Contains(text, "対応中") || !strings.Contains(text, "12月第2週") {
		t.Errorf("the finding does not show its new status:\n%s", truncate(text, 1200))
	}
	step(t, ctx, "propose", leave, chromedp.Click(chromedp.CSS(`form[action$="/propose"] button`)), nextPage(`^/audit/\d+/findings/\d+$`),
		chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	wantFlash(t, ctx, "指摘事項")
	testkit.Shot(t, ctx, "scan-proposed")
}
