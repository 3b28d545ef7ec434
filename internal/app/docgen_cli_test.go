package app

import (
	"archive/zip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
	if _, err := exec.LookPath("pdftotext"); err == nil {
		txt, err := exec.Command("pdftotext", "-layout", filepath.Join(out, "sample.pdf"), "-").Output()
		if err != nil || !strings.Contains(string(txt), "文書生成の見本") || !strings.Contains(string(txt), "指摘事項の一覧") {
			t.Fatalf("pdftotext: %v", err)
		}
	}
	bd := filepath.Join(dir, "binder")
	if code, _, errs := run(t, dir, "", "binder", "-o", bd); code == 0 || !strings.Contains(errs, "--sample") {
		t.Fatalf("binder without deliverables: %d %s", code, errs)
	}
	if code, _, errs := run(t, dir, "", "binder", "--sample", "-o", bd); code != 0 {
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
}
