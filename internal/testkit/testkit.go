// Package testkit is what tests share that does not need the app: outside
// tools (pdftotext, soffice, Chromium, fonts) that fail the test when CI is
// set and skip it otherwise, and a headless Chromium with screenshots.
// internal/webtest builds on it to start the whole app.
package testkit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// InCI reports whether the tests run in CI (CI=true), where every outside
// tool must be installed and a missing one fails the test.
func InCI() bool { v := os.Getenv("CI"); return v != "" && v != "false" && v != "0" }

// Missing fails the test in CI and skips it elsewhere: what is missing is
// said in the message, with how to install it.
func Missing(t testing.TB, what, install string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s が見つかりません（CI では必須: %s）", what, install)
	}
	t.Skipf("%s not installed (%s)", what, install)
}

// packages names the Debian package that brings each tool.
var packages = map[string]string{
	"pdftotext": "apt-get install poppler-utils",
	"pdftoppm":  "apt-get install poppler-utils",
	"pdfinfo":   "apt-get install poppler-utils",
	"soffice":   "apt-get install libreoffice-writer-nogui libreoffice-calc-nogui",
	"chromium":  "apt-get install chromium fonts-noto-cjk",
	"haproxy":   "apt-get install haproxy",
}

// Tool returns the path of a command the test needs.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		install := packages[name]
		if install == "" {
			install = "install " + name
		}
		Missing(t, name, install)
	}
	return p
}

// PDFText is the text of a PDF file as pdftotext extracts it (UTF-8).
func PDFText(t testing.TB, path string) string {
	t.Helper()
	return pdftotext(t, path)
}

// PDFLayoutText is the text of a PDF file with its layout kept
// (pdftotext -layout): table rows stay on one line.
func PDFLayoutText(t testing.TB, path string) string {
	t.Helper()
	return pdftotext(t, path, "-layout")
}

func pdftotext(t testing.TB, path string, opts ...string) string {
	t.Helper()
	args := append(append([]string{"-enc", "UTF-8"}, opts...), path, "-")
	out, err := exec.Command(Tool(t, "pdftotext"), args...).Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", path, err)
	}
	return string(out)
}

// PDFBytesText writes b to a temporary file and extracts its text.
func PDFBytesText(t testing.TB, b []byte) string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", Truncate(string(b), 80))
	}
	p := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return PDFText(t, p)
}

// Convert opens a file in LibreOffice and converts it (e.g. to "pdf"),
// returning the converted file's path: the proof that office software opens
// what Mamori writes.
func Convert(t testing.TB, path, to string) string {
	t.Helper()
	soffice := Tool(t, "soffice")
	dir := t.TempDir()
	cmd := exec.Command(soffice, "--headless", "-env:UserInstallation=file://"+filepath.Join(dir, "lo-profile"), "--convert-to", to, "--outdir", dir, path)
	cmd.Env = officeEnv(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice --convert-to %s %s: %v\n%s", to, path, err, out)
	}
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	out := filepath.Join(dir, base+"."+to)
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("soffice produced no %s for %s", to, path)
	}
	return out
}

// ConvertAll converts many files in one LibreOffice run (its start-up is
// the slow part) and returns the converted files' paths in order.
func ConvertAll(t testing.TB, paths []string, to string) []string {
	t.Helper()
	soffice := Tool(t, "soffice")
	dir := t.TempDir()
	args := append([]string{"--headless", "-env:UserInstallation=file://" + filepath.Join(dir, "lo-profile"), "--convert-to", to, "--outdir", dir}, paths...)
	cmd := exec.Command(soffice, args...)
	cmd.Env = officeEnv(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice --convert-to %s: %v\n%s", to, err, out)
	}
	outs := make([]string, len(paths))
	for i, p := range paths {
		outs[i] = filepath.Join(dir, strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))+"."+to)
		if _, err := os.Stat(outs[i]); err != nil {
			t.Fatalf("soffice produced no %s for %s", to, p)
		}
	}
	return outs
}

// ChromiumPath is the browser the journeys use: MAMORI_CHROMIUM or Debian's.
func ChromiumPath() string {
	for _, p := range []string{os.Getenv("MAMORI_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	return ""
}

// Browser starts a fresh headless Chromium (Japanese locale, no outside
// requests) and returns its chromedp context, closed when the test ends.
func Browser(t testing.TB) context.Context {
	t.Helper()
	path := ChromiumPath()
	if path == "" {
		Missing(t, "Chromium", packages["chromium"])
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("lang", "ja-JP"), chromedp.WindowSize(1280, 900), chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// Shot saves a full-page screenshot as NAME.png when MAMORI_SHOTS names a
// folder (for looking at the pages).
func Shot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("MAMORI_SHOTS")
	if dir == "" {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	b, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	_ = os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
		t.Logf("screenshot %s: %v", name, err)
	}
}

// Step runs browser actions with a time limit; on failure the test stops
// with the page's text, so a broken page says what it showed.
func Step(t testing.TB, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		tctx, tcancel := context.WithTimeout(ctx, 5*time.Second)
		defer tcancel()
		body, _ := chromedp.Run(tctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("%s: %v\npage text: %s", what, err, Truncate(body, 1500))
	}
}

// Text is the visible text of the first element matching sel.
func Text(t testing.TB, ctx context.Context, sel string) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text %s: %v", sel, err)
	}
	return s
}

// Login signs in through the login form as a demo account.
func Login(t testing.TB, ctx context.Context, base, user, password string) {
	t.Helper()
	Step(t, ctx, "login as "+user,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SendKeys(chromedp.CSS("#login"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("nav.side-nav")),
	)
}

// Truncate cuts s to n bytes for messages.
func Truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// SpoolFiles lists the multipart spool files (multipart-*) left in dir,
// waiting up to two seconds for the server to finish the request after its
// answer: what an upload left on disk.
func SpoolFiles(t testing.TB, dir string) []string {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var left []string
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "multipart-") {
				left = append(left, e.Name())
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
	}
}

// officeEnv is the environment LibreOffice runs in: it finds the product's
// own BIZ UDPGothic (internal/docgen/fonts/files) under the name the
// spreadsheets ask for, BIZ UDPゴシック, as on a ward's Windows PC. Without
// it LibreOffice measures column widths in DejaVu Sans, whose narrower
// digits make a sheet print larger than Excel prints it, and a check of
// the printed size would pass what a ward official finds too small.
func officeEnv(t testing.TB) []string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	fonts := filepath.Join(filepath.Dir(file), "..", "docgen", "fonts", "files")
	if _, err := os.Stat(filepath.Join(fonts, "gothic-regular.ttf")); err != nil {
		Missing(t, "製品のフォント "+fonts, "make fonts")
		return os.Environ()
	}
	dir := filepath.Join(os.TempDir(), "mamori-fontconfig")
	conf := filepath.Join(dir, "fonts.conf")
	body := `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>` + fonts + `</dir>
  <cachedir>` + filepath.Join(dir, "cache") + `</cachedir>
  <match target="pattern">
    <test name="family"><string>BIZ UDPゴシック</string></test>
    <edit name="family" mode="assign" binding="strong"><string>BIZ UDPGothic</string></edit>
  </match>
</fontconfig>
`
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if old, err := os.ReadFile(conf); err != nil || string(old) != body {
		// Written to a temporary name and renamed, so that packages
		// testing in parallel never read half a file.
		tmp := conf + fmt.Sprintf(".%d", os.Getpid())
		if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, conf); err != nil {
			t.Fatal(err)
		}
	}
	return append(os.Environ(), "FONTCONFIG_FILE="+conf)
}

// NoRace skips a test under the race detector. It is for long tests that
// generate documents or drive a feature end to end on one goroutine, which
// the race detector slows about tenfold and which have no concurrency of
// their own to check. make test runs every such test again without the
// race detector (RACE_HEAVY in the Makefile; TestNoRaceTestsRunInMakeTest
// fails for a test that is not listed there).
func NoRace(t testing.TB) {
	t.Helper()
	if Race {
		t.Skip("long and sequential: run without -race (make test: RACE_HEAVY)")
	}
}
