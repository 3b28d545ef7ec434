package scan_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"mamori/internal/scan"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// TestScanCLI: `mamori scan list --json` on the demo, an import previewed
// with --dry-run and then applied, refusals (an unknown engagement, an
// internal audit, a broken file, a check outside the window), and the
// exports read back.
func TestScanCLI(t *testing.T) {
	dir := t.TempDir()
	run := webtest.CLI(t, dir)
	if code, _, errs := run("demo"); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	code, out, errs := run("scan", "list", "--json")
	var rows []scan.ListRow
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil || len(rows) != 2 {
		t.Fatalf("scan list --json: %d %v %s %s", code, err, out, errs)
	}
	sa1 := rows[0].Engagement
	for _, r := range rows {
		if !r.Approved || r.Findings == 0 || r.Critical == 0 {
			t.Errorf("%s: %+v", r.Engagement, r)
		}
	}

	// A re-import of the second scan: nothing new, nothing gone.
	file := filepath.Join(dir, "juki.xml")
	if err := os.WriteFile(file, demoFile(t, "juki-20261201.xml"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = run("scan", "import", "--engagement", sa1, file, "--dry-run")
	if code != 0 || !strings.Contains(out, "新規 0 件") || !strings.Contains(out, "解消 0 件") || !strings.Contains(out, "--dry-run") {
		t.Fatalf("scan import --dry-run: %d %s %s", code, out, errs)
	}
	// The first scan again: what the second closed comes back.
	if err := os.WriteFile(file, demoFile(t, "juki-20261117.xml"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = run("scan", "import", "--engagement", sa1, file)
	if code != 0 || !strings.Contains(out, "取り込みました") || strings.Contains(out, "再発 0 件") {
		t.Fatalf("scan import: %d %s %s", code, out, errs)
	}
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`{"SchemaVersion": 2, "Results": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run("scan", "import", "--engagement", sa1, broken, "--format", "trivy"); code == 0 || !strings.Contains(errs, "何も変更していません") {
		t.Errorf("a truncated file: %d %s", code, errs)
	}
	if code, _, errs := run("scan", "import", "--engagement", "2026-NOPE", file); code == 0 || !strings.Contains(errs, "ありません") {
		t.Errorf("an unknown engagement: %d %s", code, errs)
	}
	if code, _, errs := run("scan", "import", "--engagement", strings.Replace(sa1, "SA", "IA", 1), file); code == 0 || !strings.Contains(errs, "情報システム監査で行います") {
		t.Errorf("an internal audit: %d %s", code, errs)
	}
	// The demo's window of the first audit has ended.
	if code, _, errs := run("scan", "check", "--engagement", sa1); code == 0 || !strings.Contains(errs, "時間帯") {
		t.Errorf("a check outside the window: %d %s", code, errs)
	}

	docx := filepath.Join(dir, "plan.docx")
	if code, _, errs := run("export", "tech-plan", "--engagement", sa1, "-o", docx); code != 0 {
		t.Fatalf("export tech-plan: %s", errs)
	}
	pdf := filepath.Join(dir, "report.pdf")
	if code, _, errs := run("export", "tech-report", "--engagement", sa1, "-o", pdf); code != 0 {
		t.Fatalf("export tech-report: %s", errs)
	}
	if text := strings.Join(strings.Fields(testkit.PDFText(t, pdf)), ""); !strings.Contains(text, "技術的検証結果報告書") || !strings.Contains(text, "重大度別") {
		t.Error("the report lacks its title or the counts by severity")
	}
	xlsx := filepath.Join(dir, "report.xlsx")
	if code, _, errs := run("export", "tech-report", "--engagement", sa1, "--format", "xlsx", "-o", xlsx); code != 0 {
		t.Fatalf("export tech-report xlsx: %s", errs)
	}
	book, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	found := false
	for _, sh := range book.GetSheetList() {
		rows, _ := book.GetRows(sh)
		for _, r := range rows {
			found = found || strings.Contains(strings.Join(r, " "), "CVE-2021-30047")
		}
	}
	if !found {
		t.Error("the report workbook lacks the vsftpd finding")
	}
	if code, _, errs := run("export", "tech-plan", "--engagement", sa1, "--format", "xlsx", "-o", xlsx); code == 0 || !strings.Contains(errs, "pdf・docx") {
		t.Errorf("tech-plan as xlsx: %d %s", code, errs)
	}
}
