package app

import (
	"bytes"
	"fmt"
	"net/url"
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

// TestTemplateVersions: copy last year's checklist, see what changed, freeze.
func TestTemplateVersions(t *testing.T) {
	ta := newTestApp(t, sqliteDSN(t), true, nil)
	ctx := t.Context()
	var tid int64
	if err := ta.DB.QueryRow(ctx, "SELECT id FROM checklist_templates WHERE kind = 'cloud'").Scan(&tid); err != nil {
		t.Fatal(err)
	}
	c := ta.as("consultant")
	resp, _ := c.post(fmt.Sprintf("/catalog/templates/%d/copy", tid), url.Values{"version": {"令和9年度"}, "csrf_token": {c.csrf()}})
	if resp.StatusCode != 303 {
		t.Fatalf("copy: %d", resp.StatusCode)
	}
	var nid, n, m int64
	if err := ta.DB.QueryRow(ctx, "SELECT id FROM checklist_templates WHERE kind = 'cloud' AND version = 2027").Scan(&nid); err != nil {
		t.Fatal(err)
	}
	_ = ta.DB.QueryRow(ctx, "SELECT COUNT(*) FROM checklist_items WHERE template_id = ?", nid).Scan(&n)
	_ = ta.DB.QueryRow(ctx, "SELECT COUNT(*) FROM checklist_items WHERE template_id = ?", tid).Scan(&m)
	if n == 0 || n != m {
		t.Fatalf("copied %d of %d items", n, m)
	}
	if _, body := c.get(fmt.Sprintf("/catalog/templates/%d/diff", nid)); !strings.Contains(body, "違いはありません") {
		t.Fatal("fresh copy differs")
	}
	if _, err := ta.DB.Exec(ctx, "UPDATE checklist_items SET question = '変更した質問か。' WHERE template_id = ? AND sort_order = 1", nid); err != nil {
		t.Fatal(err)
	}
	if _, body := c.get(fmt.Sprintf("/catalog/templates/%d/diff", nid)); !strings.Contains(body, "監査項目") || !strings.Contains(body, "変更した質問か。") {
		t.Fatal("change not shown")
	}
	if resp, _ := c.post(fmt.Sprintf("/catalog/templates/%d/copy", tid), url.Values{"version": {"2027"}, "csrf_token": {c.csrf()}}); resp.StatusCode != 409 {
		t.Fatalf("second copy onto 2027: %d", resp.StatusCode)
	}
	if resp, _ := c.post(fmt.Sprintf("/catalog/templates/%d/freeze", nid), url.Values{"csrf_token": {c.csrf()}}); resp.StatusCode != 403 {
		t.Fatalf("consultant froze: %d", resp.StatusCode)
	}
	a := ta.as("admin")
	if resp, _ := a.post(fmt.Sprintf("/catalog/templates/%d/freeze", nid), url.Values{"csrf_token": {a.csrf()}}); resp.StatusCode != 303 {
		t.Fatalf("freeze: %d", resp.StatusCode)
	}
	var frozen bool
	_ = ta.DB.QueryRow(ctx, "SELECT frozen FROM checklist_templates WHERE id = ?", nid).Scan(&frozen)
	if !frozen {
		t.Fatal("not frozen")
	}
}
