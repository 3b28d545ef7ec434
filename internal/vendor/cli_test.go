package vendor_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mamori/internal/testkit"
	"mamori/internal/vendor"
	"mamori/internal/webtest"
)

// TestVendorCLI: `mamori vendor list --json` on the demo (four requests
// in their states) and the exports, read back, with their refusals.
func TestVendorCLI(t *testing.T) {
	dir := t.TempDir()
	run := webtest.CLI(t, dir)
	if code, _, errs := run("demo"); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	code, out, errs := run("vendor", "list", "--json")
	var rows []vendor.ListRow
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil || len(rows) != 4 {
		t.Fatalf("vendor list --json: %d %v %s %s", code, err, out, errs)
	}
	states := map[string]string{}
	for _, r := range rows {
		states[r.Code] = r.State + "/" + r.Decision
		if r.Items == 0 || r.Answered != r.Items {
			t.Errorf("%s: %d of %d answered", r.Code, r.Answered, r.Items)
		}
	}
	want := map[string]string{"VR-R8-001": "decided/conditional", "VR-R8-002": "returned/", "VR-R8-003": "review/", "VR-R8-004": "decided/declined"}
	for c, w := range want {
		if states[c] != w {
			t.Errorf("%s: %s, want %s", c, states[c], w)
		}
	}
	pdf := filepath.Join(dir, "review.pdf")
	if code, _, errs := run("export", "vendor-review", "--request", "VR-R8-001", "-o", pdf); code != 0 {
		t.Fatalf("export vendor-review: %s", errs)
	}
	if text := strings.Join(strings.Fields(testkit.PDFText(t, pdf)), ""); !strings.Contains(text, "条件付承認") || !strings.Contains(text, "承認の条件") {
		t.Error("the review result lacks the decision or its conditions")
	}
	if code, _, errs := run("export", "vendor-questionnaire", "--request", "VR-R8-002", "-o", filepath.Join(dir, "q.xlsx")); code != 0 {
		t.Fatalf("export vendor-questionnaire: %s", errs)
	}
	if code, _, errs := run("export", "vendor-review", "--request", "VR-NOPE", "-o", pdf); code == 0 || !strings.Contains(errs, "審査「VR-NOPE」はありません") {
		t.Errorf("an unknown request: %d %s", code, errs)
	}

	// The Excel round trip from the command line.
	book := filepath.Join(dir, "book.xlsx")
	if code, _, errs := run("export", "vendor-workbook", "--request", "VR-R8-002", "-o", book); code != 0 {
		t.Fatalf("export vendor-workbook: %s", errs)
	}
	b, err := os.ReadFile(book)
	if err != nil {
		t.Fatal(err)
	}
	const key = "OS-8.1-01" // the outsourcing checklist's first item, in every outsourcing questionnaire
	filled := filepath.Join(dir, "filled.xlsx")
	if err := os.WriteFile(filled, fill(t, b, map[string][2]string{key: {"", "基本方針は2026年10月に改訂し、全社に周知しました。"}}), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := run("vendor", "import-xlsx", "--request", "VR-R8-002", filled, "--dry-run"); code != 0 || !strings.Contains(out, key) || !strings.Contains(out, "取り込んでいません") {
		t.Fatalf("import --dry-run: %d %s %s", code, out, errs)
	}
	if code, out, errs := run("vendor", "import-xlsx", "--request", "VR-R8-002", filled); code != 0 || !strings.Contains(out, "1 項目の回答を取り込みました") {
		t.Fatalf("import: %d %s %s", code, out, errs)
	}
	if code, _, errs := run("vendor", "import-xlsx", "--request", "VR-R8-002", filled); code == 0 || !strings.Contains(errs, "出力した後に") {
		t.Errorf("a stale file imported again: %d %s", code, errs)
	}
}
