package app

import (
	"archive/zip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCatalogExportCLI: `mamori catalog export KIND VERSION` writes the
// demo's checklist in each format, audited; bad arguments are refused with
// a message and write nothing.
func TestCatalogExportCLI(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := run(t, dir, "", "migrate"); code != 0 {
		t.Fatalf("migrate: %s", errs)
	}
	if code, _, errs := run(t, dir, "", "demo"); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	pdfPath := filepath.Join(dir, "cloud.pdf")
	code, out, errs := run(t, dir, "", "catalog", "export", "cloud", "令和8年度", "--format", "pdf", "-o", pdfPath)
	if code != 0 || !strings.Contains(out, "に出力しました（PDF）") {
		t.Fatalf("pdf: %d %s %s", code, out, errs)
	}
	if _, err := exec.LookPath("pdftotext"); err == nil {
		txt, err := exec.Command("pdftotext", pdfPath, "-").Output()
		flat := strings.Join(strings.Fields(string(txt)), "")
		if err != nil || !strings.Contains(flat, "ひので区") || !strings.Contains(flat, "令和8年度") || !strings.Contains(flat, "このチェックリストについて") {
			t.Fatalf("pdf text: %v\n%.400s", err, flat)
		}
	}
	docxPath := filepath.Join(dir, "cloud.docx")
	if code, _, errs := run(t, dir, "", "catalog", "export", "クラウドサービス導入", "2026", "-o", docxPath); code != 0 {
		t.Fatalf("docx (format from the extension): %s", errs)
	}
	if zr, err := zip.OpenReader(docxPath); err != nil {
		t.Fatalf("docx is not a package: %v", err)
	} else {
		zr.Close()
	}
	xlsxPath := filepath.Join(dir, "cloud.xlsx")
	if code, _, errs := run(t, dir, "", "catalog", "export", "cloud", "2026", "--format", "xlsx", "-o", xlsxPath); code != 0 {
		t.Fatalf("xlsx: %s", errs)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"catalog", "export", "cloud", "2031", "-o", filepath.Join(dir, "x.pdf")}, "令和13年度版はありません"},
		{[]string{"catalog", "export", "spaceship", "2026", "-o", filepath.Join(dir, "x.pdf")}, "種類「spaceship」はありません"},
		{[]string{"catalog", "export", "cloud", "2026", "--format", "odt", "-o", filepath.Join(dir, "x.odt")}, "odt"},
		{[]string{"catalog", "export", "cloud", "来年", "-o", filepath.Join(dir, "x.pdf")}, "年度として解釈できません"},
	} {
		code, _, errs := run(t, dir, "", tc.args...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: %d %s", tc.args, code, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.pdf")); err == nil {
		t.Error("a refused export wrote a file")
	}
	if code, _, _ := run(t, dir, "", "catalog", "export", "cloud"); code != 2 {
		t.Errorf("missing arguments: exit %d, want 2", code)
	}
	a, err := Open(t.Context(), cfgFor(dir), Options{Argon: testArgon})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var n int
	if err := a.DB.QueryRow(t.Context(), "SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target LIKE 'checklist_template:%'").Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d exports audited (%v), want 3", n, err)
	}
}
