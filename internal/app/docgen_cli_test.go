package app_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"mamori/internal/app"
	"mamori/internal/docgen/binder"
	"mamori/internal/jp"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

func TestDocgenSampleAndBinder(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "sample")
	if code, stdout, errs := run(t, dir, "", "docgen", "sample", "-o", out); code != 0 || strings.Count(stdout, "sample.") != 4 {
		t.Fatalf("docgen sample: %d %s %s", code, stdout, errs)
	}
	for _, ext := range []string{"pdf", "docx", "xlsx", "html"} {
		if st, err := os.Stat(filepath.Join(out, "sample."+ext)); err != nil || st.Size() < 1000 {
			t.Fatalf("sample.%s: %v", ext, err)
		}
	}
	// An empty deployment has nothing to bind: said in Japanese, exit 1,
	// nothing written.
	bd := filepath.Join(dir, "binder")
	if code, _, errs := run(t, dir, "", "binder", "--year", "2026", "-o", bd); code != 1 || !strings.Contains(errs, "令和8年度の成果物はまだありません") {
		t.Fatalf("binder without deliverables: %d %s", code, errs)
	}
	if _, err := os.Stat(bd); err == nil {
		t.Fatal("binder without deliverables made its folder")
	}
	if code, _, errs := run(t, dir, "", "binder", "--year", "来年", "-o", bd); code != 1 || !strings.Contains(errs, "--year") {
		t.Fatalf("binder with a bad year: %d %s", code, errs)
	}
	// --sample binds sample documents without a database.
	if code, _, errs := run(t, t.TempDir(), "", "binder", "--sample", "-o", bd); code != 0 {
		t.Fatalf("binder: %s", errs)
	}
	zr, err := zip.OpenReader(filepath.Join(bd, "電子データ.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 7 || zr.File[len(zr.File)-1].Name != "index.xlsx" {
		t.Fatalf("zip has %d files", len(zr.File))
	}
	// Last, as it needs pdftotext: the sample PDF has the sample's text.
	txt := testkit.PDFLayoutText(t, filepath.Join(out, "sample.pdf"))
	for _, want := range []string{"文書生成の見本", "指摘事項の一覧"} {
		if !strings.Contains(txt, want) {
			t.Errorf("sample.pdf lacks %q:\n%s", want, testkit.Truncate(txt, 1500))
		}
	}
}

// TestBinderBindsTheYearsDeliverables: on the demo ward, `mamori binder
// --year 2026` binds every module's deliverables of the year in module
// order — the catalogue's checklists, the improvement register, the policy
// revision's 新旧対照表 and 見え消し版 and the year's 相違点整合表 — into one
// PDF whose contents list each title, and a ZIP of each document in its
// formats; the download is audited. A year without deliverables is refused.
func TestBinderBindsTheYearsDeliverables(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("MAMORI_DATA", dir)
	t.Setenv("MAMORI_DB", "")
	// The demo's revision draft is dated by the clock: keep it in 令和8年度.
	now := func() time.Time { return time.Date(2026, 10, 1, 10, 0, 0, 0, jp.JST) }
	cliRun := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := app.Run(context.Background(), args, app.CLI{Stdout: &out, Stderr: &errb, Options: app.Options{Argon: webtest.Argon, Now: now}})
		return code, out.String(), errb.String()
	}
	if code, _, errs := cliRun("demo"); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	bd := filepath.Join(dir, "binder")
	code, stdout, errs := cliRun("binder", "--year", "令和8年度", "-o", bd)
	if code != 0 {
		t.Fatalf("binder: %d %s %s", code, stdout, errs)
	}
	// One deliverable of each kind, in module order (catalogue, improvement
	// register, policy revision).
	want := []string{"内部監査チェックリスト", "自己点検票", "令和8年度 改善措置台帳", "ひので区情報セキュリティ対策基準　新旧対照表",
		"ひので区情報セキュリティ対策基準（見え消し版）", "情報セキュリティポリシー相違点整合表（令和7年3月版ガイドライン）"}
	zr, err := zip.OpenReader(filepath.Join(bd, "電子データ.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string]bool{}
	var titles []string
	for _, f := range zr.File {
		files[f.Name] = true
		if f.Name == "index.xlsx" {
			continue
		}
		title := strings.TrimSuffix(f.Name[len("01_"):], filepath.Ext(f.Name))
		if len(titles) == 0 || titles[len(titles)-1] != title {
			titles = append(titles, title)
		}
	}
	// Every document the binder lists is in the ZIP in every format it
	// lists, under its 資料 number, and in nothing else.
	listed := regexp.MustCompile(`(?m)^  資料(\d+) (.+)（([A-Z・]+)）$`).FindAllStringSubmatch(stdout, -1)
	promised := 1 // index.xlsx
	for _, m := range listed {
		n, _ := strconv.Atoi(m[1])
		for _, ext := range strings.Split(m[3], "・") {
			promised++
			name := fmt.Sprintf("%02d_%s.%s", n, binder.SafeName(m[2]), strings.ToLower(ext))
			if !files[name] {
				t.Errorf("binder promised %s, the ZIP lacks it", name)
			}
		}
	}
	if len(listed) < len(want) || len(zr.File) != promised {
		t.Errorf("binder listed %d documents in %d files, the ZIP has %d files:\n%s", len(listed), promised, len(zr.File), stdout)
	}
	if zr.File[len(zr.File)-1].Name != "index.xlsx" {
		t.Error("the ZIP does not end with index.xlsx")
	}
	for _, name := range []string{"01_内部監査チェックリスト.pdf", "01_内部監査チェックリスト.docx"} {
		if !files[name] {
			t.Errorf("the ZIP lacks %s: %v", name, files)
		}
	}
	if i := indexOf(titles, want[3]); i < 0 || !files[fmt.Sprintf("%02d_%s.xlsx", i+1, want[3])] {
		t.Errorf("the 新旧対照表 is not in the ZIP as XLSX: %v", files)
	}
	last := -1
	for _, w := range want {
		i := indexOf(titles, w)
		if i < 0 || i < last {
			t.Errorf("deliverable %q at %d (after %d) in %q", w, i, last, titles)
		}
		last = i
		if !strings.Contains(stdout, w) {
			t.Errorf("binder did not list %q:\n%s", w, stdout)
		}
	}
	// The contents (the pages between the cover and page 1) list every
	// document of the ZIP.
	pages := strings.Split(testkit.PDFText(t, filepath.Join(bd, "製本.pdf")), "\f")
	dividers := 0
	contents := ""
	for _, p := range pages[1:] {
		if strings.Contains(p, "- 1 -") {
			break
		}
		contents += p
	}
	flat := strings.Join(strings.Fields(contents), "")
	if !strings.Contains(strings.Join(strings.Fields(pages[0]), ""), "成果物一式") || flat == "" {
		t.Fatalf("no cover or contents:\n%.600s", pages[0]+contents)
	}
	for i, title := range titles {
		if !strings.Contains(flat, fmt.Sprintf("資料%d", i+1)+strings.Join(strings.Fields(title), "")) {
			t.Errorf("the contents lack 資料%d %q", i+1, title)
		}
	}
	// Each document has a divider page: its number and title, and the
	// files that hold it, with nothing of the document itself.
	for _, p := range pages {
		if flatP := strings.Join(strings.Fields(p), ""); strings.Contains(flatP, "電子データ（電子データ.zip）") {
			dividers++
			if !strings.Contains(flatP, fmt.Sprintf("資料%d", dividers)) || strings.Contains(flatP, "第1章") {
				t.Errorf("divider %d:\n%s", dividers, p)
			}
		}
	}
	if dividers != len(titles) {
		t.Errorf("%d divider pages for %d documents", dividers, len(titles))
	}
	a := webtest.Open(t, dir)
	var n int
	err = a.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = 'binder:2026'").Scan(&n)
	a.Close()
	if err != nil || n != 1 {
		t.Errorf("binder audited %d times (%v), want 1", n, err)
	}

	other := filepath.Join(dir, "binder2031")
	if code, _, errs := cliRun("binder", "--year", "2031", "-o", other); code != 1 || !strings.Contains(errs, "令和13年度の成果物はまだありません") {
		t.Fatalf("a year without deliverables: %d %s", code, errs)
	}
	if _, err := os.Stat(other); err == nil {
		t.Error("a refused binder made its folder")
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
