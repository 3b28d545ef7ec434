package catalog_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"mamori/internal/app"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// mamori runs `mamori ARGS…` against the data folder dir and returns the
// exit code and what it printed.
func mamori(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	t.Setenv("MAMORI_DATA", dir)
	t.Setenv("MAMORI_DB", "")
	code := app.Run(context.Background(), args, app.CLI{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Options: app.Options{Argon: webtest.Argon}})
	return code, out.String(), errb.String()
}

// demoDir is a data folder with the demo ward.
func demoDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if code, _, errs := mamori(t, dir, "demo"); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	return dir
}

// countAudit counts audit-log entries of the deployment in dir.
func countAudit(t *testing.T, dir, where string) int {
	t.Helper()
	a := webtest.Open(t, dir)
	defer a.Close()
	var n int
	if err := a.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE "+where).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCatalogContentCLI: stats, coverage and diff read the shipped
// catalogue (or --dir) without a database; a broken folder is named and
// wrong arguments print the usage with exit code 2.
func TestCatalogContentCLI(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := mamori(t, dir, "catalog", "stats")
	if code != 0 || !strings.Contains(out, "内部監査（internal）2026年度版:") || !strings.Contains(out, "ipa-top10 2026: 条項") {
		t.Fatalf("stats: %d %s %s", code, out, errs)
	}
	code, out, _ = mamori(t, dir, "catalog", "stats", "--json")
	var st struct {
		Templates []struct {
			Kind  string `json:"kind"`
			Items int    `json:"items"`
		} `json:"templates"`
	}
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil || len(st.Templates) < 7 || st.Templates[0].Items == 0 {
		t.Fatalf("stats --json: %d %v %.200s", code, err, out)
	}
	if code, out, errs := mamori(t, dir, "catalog", "coverage"); code != 0 || !strings.Contains(out, "すべての必須条項に、確認する項目があります。") {
		t.Fatalf("coverage: %d %s %s", code, out, errs)
	}
	if code, out, errs := mamori(t, dir, "catalog", "diff", "ipa-top10", "2025", "2026"); code != 0 || !strings.Contains(out, "ipa-top10 2025 → 2026:") {
		t.Fatalf("diff: %d %s %s", code, out, errs)
	}
	if code, _, errs := mamori(t, dir, "catalog", "diff", "ipa-top10", "2025", "1999"); code != 1 || !strings.Contains(errs, `版 "1999" はありません`) {
		t.Fatalf("diff of a missing edition: %d %s", code, errs)
	}
	broken := t.TempDir()
	if err := os.MkdirAll(filepath.Join(broken, "checklists"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(broken, "checklists", "x.yaml"), []byte("kind: spaceship\nitems: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := mamori(t, dir, "catalog", "coverage", "--dir", broken); code != 1 || !strings.Contains(errs, "カタログの内容に問題があります") {
		t.Fatalf("broken folder: %d %s", code, errs)
	}
	for _, args := range [][]string{{"catalog"}, {"catalog", "nonsense"}, {"catalog", "diff", "ipa-top10"}} {
		if code, _, errs := mamori(t, dir, args...); code != 2 || !strings.Contains(errs, "使い方: mamori catalog") {
			t.Errorf("%v: exit %d, want 2 with the usage: %s", args, code, errs)
		}
	}
	if code, out, _ := mamori(t, dir, "--help"); code != 0 || !strings.Contains(out, "catalog stats|coverage") || !strings.Contains(out, "catalog export KIND VERSION") {
		t.Errorf("mamori --help lacks the catalogue's commands:\n%s", out)
	}
}

// TestCatalogExportCLI: `mamori catalog export KIND VERSION` writes the
// demo's checklist in each format, audited; bad arguments are refused with
// a message and write nothing.
func TestCatalogExportCLI(t *testing.T) {
	dir := demoDir(t)
	pdfPath := filepath.Join(dir, "cloud.pdf")
	code, out, errs := mamori(t, dir, "catalog", "export", "cloud", "令和8年度", "--format", "pdf", "-o", pdfPath)
	if code != 0 || !strings.Contains(out, "に出力しました（PDF）") {
		t.Fatalf("pdf: %d %s %s", code, out, errs)
	}
	flat := strings.Join(strings.Fields(testkit.PDFText(t, pdfPath)), "")
	if !strings.Contains(flat, "ひので区") || !strings.Contains(flat, "令和8年度") || !strings.Contains(flat, "このチェックリストについて") {
		t.Fatalf("pdf text:\n%.400s", flat)
	}
	docxPath := filepath.Join(dir, "cloud.docx")
	if code, _, errs := mamori(t, dir, "catalog", "export", "クラウドサービス導入", "2026", "-o", docxPath); code != 0 {
		t.Fatalf("docx (format from the extension): %s", errs)
	}
	if zr, err := zip.OpenReader(docxPath); err != nil {
		t.Fatalf("docx is not a package: %v", err)
	} else {
		zr.Close()
	}
	xlsxPath := filepath.Join(dir, "cloud.xlsx")
	if code, _, errs := mamori(t, dir, "catalog", "export", "cloud", "2026", "--format", "xlsx", "-o", xlsxPath); code != 0 {
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
		code, _, errs := mamori(t, dir, tc.args...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: %d %s", tc.args, code, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.pdf")); err == nil {
		t.Error("a refused export wrote a file")
	}
	if code, _, _ := mamori(t, dir, "catalog", "export", "cloud"); code != 2 {
		t.Errorf("missing arguments: exit %d, want 2", code)
	}
	if n := countAudit(t, dir, "action = 'download' AND target LIKE 'checklist_template:%'"); n != 3 {
		t.Fatalf("%d exports audited, want 3", n)
	}
}

// TestCatalogImportCLI: an exported checklist edited in one cell is
// reported by import-xlsx --dry-run without writing, then imported; the
// shipped catalogue imported again keeps the stored editions.
func TestCatalogImportCLI(t *testing.T) {
	dir := demoDir(t)
	xlsxPath := filepath.Join(dir, "cloud.xlsx")
	if code, _, errs := mamori(t, dir, "catalog", "export", "cloud", "2026", "-o", xlsxPath); code != 0 {
		t.Fatalf("export: %s", errs)
	}
	f, err := excelize.OpenFile(xlsxPath)
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetName(0)
	rows, _ := f.GetRows(sheet)
	code := ""
	for i, r := range rows {
		if len(r) > 1 && r[0] == "No" && r[1] == "監査項目" {
			code = rows[i+1][0]
			if err := f.SetCellStr(sheet, fmt.Sprintf("B%d", i+2), "コマンドで修正した質問か。"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if code == "" {
		t.Fatal("no header in the export")
	}
	if err := f.SaveAs(xlsxPath); err != nil {
		t.Fatal(err)
	}
	code2, out, errs := mamori(t, dir, "catalog", "import-xlsx", "cloud", "2026", xlsxPath, "--dry-run")
	if code2 != 0 || !strings.Contains(out, "変更 1 項目:") || !strings.Contains(out, "コマンドで修正した質問か。") || !strings.Contains(out, "--dry-run のため何も書き込んでいません。") {
		t.Fatalf("dry run: %d %s %s", code2, out, errs)
	}
	if n := countAudit(t, dir, "action = 'catalog.template_xlsx_import'"); n != 0 {
		t.Fatalf("the dry run wrote %d entries", n)
	}
	code2, out, errs = mamori(t, dir, "catalog", "import-xlsx", "cloud", "2026", xlsxPath)
	if code2 != 0 || !strings.Contains(out, "取り込みました: 変更 1") {
		t.Fatalf("import: %d %s %s", code2, out, errs)
	}
	if code2, out, _ := mamori(t, dir, "catalog", "import-xlsx", "cloud", "2026", xlsxPath); code2 != 0 || !strings.Contains(out, "変更がないため何も書き込んでいません。") {
		t.Fatalf("second import: %d %s", code2, out)
	}
	if code2, _, errs := mamori(t, dir, "catalog", "import-xlsx", "cloud", "2026", filepath.Join(dir, "missing.xlsx")); code2 != 1 || !strings.Contains(errs, "を読めません") {
		t.Fatalf("missing file: %d %s", code2, errs)
	}
	if code2, out, errs := mamori(t, dir, "catalog", "import"); code2 != 0 || !strings.Contains(out, "取り込みました: 枠組み 0（既存の版") {
		t.Fatalf("catalog import again: %d %s %s", code2, out, errs)
	}
}
