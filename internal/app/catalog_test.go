package app

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestCatalogScreensAndExport: the demo's catalogue can be browsed,
// searched and exported in the ward layout with a judgement dropdown.
func TestCatalogScreensAndExport(t *testing.T) {
	ta := newTestApp(t, sqliteDSN(t), true, nil)
	ctx := t.Context()
	var tid int64
	var title string
	if err := ta.DB.QueryRow(ctx, "SELECT id, title FROM checklist_templates WHERE kind = 'system'").Scan(&tid, &title); err != nil {
		t.Fatal(err)
	}
	c := ta.as("consultant")
	resp, body := c.get(fmt.Sprintf("/catalog/templates/%d?q=ISMAP", tid))
	if resp.StatusCode != 200 || !strings.Contains(body, "ISMAP") {
		t.Fatalf("search: %d", resp.StatusCode)
	}
	_, all := c.get(fmt.Sprintf("/catalog/templates/%d", tid))
	if strings.Count(body, "/catalog/items/") >= strings.Count(all, "/catalog/items/") {
		t.Fatal("search did not narrow the list")
	}
	resp, x := c.get(fmt.Sprintf("/catalog/templates/%d/export?site=1", tid))
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "filename*=") {
		t.Fatalf("export: %d", resp.StatusCode)
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(x)))
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetName(0)
	rows, _ := f.GetRows(sheet)
	header := -1
	for i, r := range rows {
		if len(r) > 6 && r[0] == "No" && r[6] == "判定" {
			header = i
		}
	}
	if header < 0 || len(rows)-header-1 < 5 {
		t.Fatalf("no ward-layout header or too few rows: %q", rows)
	}
	dvs, err := f.GetDataValidations(sheet)
	if err != nil || len(dvs) == 0 || !strings.Contains(dvs[0].Formula1, "該当なし") {
		t.Fatalf("judgement dropdown missing: %v %+v", err, dvs)
	}
	var n int
	_ = ta.DB.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target LIKE 'checklist_template:%'").Scan(&n)
	if n != 1 {
		t.Fatalf("export not audited (%d)", n)
	}
	if resp, _ := ta.as("staff").get("/catalog"); resp.StatusCode != 403 {
		t.Fatalf("staff reached the catalogue: %d", resp.StatusCode)
	}
}
