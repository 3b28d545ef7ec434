package app

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// editExport downloads a template's XLSX and changes one cell: the
// 監査項目 of the first item.
func editExport(t *testing.T, c *client, tid int64, question string) ([]byte, string) {
	t.Helper()
	resp, x := c.get(fmt.Sprintf("/catalog/templates/%d/export", tid))
	if resp.StatusCode != 200 {
		t.Fatalf("export: %d", resp.StatusCode)
	}
	f, err := excelize.OpenReader(strings.NewReader(x))
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetName(0)
	rows, _ := f.GetRows(sheet)
	for i, r := range rows {
		if len(r) > 2 && r[0] == "No" && r[2] == "監査項目" {
			ref := fmt.Sprintf("C%d", i+2)
			code := rows[i+1][0]
			if err := f.SetCellStr(sheet, ref, question); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := f.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes(), code
		}
	}
	t.Fatal("no header in the export")
	return nil, ""
}

var previewRe = regexp.MustCompile(`^/catalog/templates/\d+/import/(\d+)/preview$`)
var fpRe = regexp.MustCompile(`name="fp" value="([0-9a-f]+)"`)

// TestCatalogXLSXImportThroughTheWeb: upload → preview with the changed
// cell → confirm; errors and other users' files are refused.
func TestCatalogXLSXImportThroughTheWeb(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ta := newTestApp(t, dsn, true, nil)
		ctx := t.Context()
		var tid int64
		if err := ta.DB.QueryRow(ctx, "SELECT id FROM checklist_templates WHERE kind = 'cloud'").Scan(&tid); err != nil {
			t.Fatal(err)
		}
		c := ta.as("consultant")
		if resp, body := c.get(fmt.Sprintf("/catalog/templates/%d", tid)); resp.StatusCode != 200 || !strings.Contains(body, "Excel から取り込む") {
			t.Fatalf("template page: %d", resp.StatusCode)
		}
		data, code := editExport(t, c, tid, "Web で修正した質問か。")
		if resp, body := c.get(fmt.Sprintf("/catalog/templates/%d/import", tid)); resp.StatusCode != 200 || !strings.Contains(body, `enctype="multipart/form-data"`) {
			t.Fatalf("form: %d", resp.StatusCode)
		}
		// Not an xlsx: the form again with the reason, nothing stored.
		resp, body := c.upload(fmt.Sprintf("/catalog/templates/%d/import", tid), "名簿.csv", []byte("a,b\n"), nil)
		if resp.StatusCode != 400 || !strings.Contains(body, "名簿.csv: Excel（.xlsx）のファイルではありません") {
			t.Fatalf("csv upload: %d %s", resp.StatusCode, body)
		}
		resp, _ = c.upload(fmt.Sprintf("/catalog/templates/%d/import", tid), "cloud.xlsx", data, nil)
		m := previewRe.FindStringSubmatch(resp.Header.Get("Location"))
		if resp.StatusCode != 303 || m == nil {
			t.Fatalf("upload: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		preview := resp.Header.Get("Location")
		resp, body = c.get(preview)
		if resp.StatusCode != 200 || !strings.Contains(body, "Web で修正した質問か。") || !strings.Contains(body, "変更される項目（1）") ||
			!strings.Contains(body, "判定・所見の列は監査人が記入する欄") {
			t.Fatalf("preview: %d\n%s", resp.StatusCode, body)
		}
		fp := fpRe.FindStringSubmatch(body)
		if fp == nil {
			t.Fatal("no fingerprint on the preview")
		}
		// An auditor may not import at all.
		if resp, _ := ta.as("auditor").get(preview); resp.StatusCode != 403 {
			t.Fatalf("auditor preview: %d", resp.StatusCode)
		}
		apply := strings.Replace(preview, "/preview", "/apply", 1)
		if resp, _ := c.post(apply, url.Values{"csrf_token": {c.csrf()}, "fp": {"0000"}}); resp.StatusCode != 409 {
			t.Fatalf("stale apply: %d", resp.StatusCode)
		}
		resp, _ = c.post(apply, url.Values{"csrf_token": {c.csrf()}, "fp": {fp[1]}})
		if resp.StatusCode != 303 {
			t.Fatalf("apply: %d", resp.StatusCode)
		}
		var q string
		if err := ta.DB.QueryRow(ctx, "SELECT question FROM checklist_items WHERE template_id = ? AND code = ?", tid, code).Scan(&q); err != nil || q != "Web で修正した質問か。" {
			t.Fatalf("question %q %v", q, err)
		}
		var n int
		_ = ta.DB.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'catalog.template_xlsx_import'").Scan(&n)
		if n != 1 {
			t.Fatalf("%d import audit entries", n)
		}
		// A file with an error: the preview lists it and apply writes nothing.
		bad, _ := editExport(t, c, tid, "")
		resp, _ = c.upload(fmt.Sprintf("/catalog/templates/%d/import", tid), "bad.xlsx", bad, nil)
		preview = resp.Header.Get("Location")
		resp, body = c.get(preview)
		if resp.StatusCode != 200 || !strings.Contains(body, "1 件のエラーがあるため、取り込めません") || !strings.Contains(body, "監査項目（質問）がありません") {
			t.Fatalf("error preview: %d", resp.StatusCode)
		}
		if resp, _ := c.post(strings.Replace(preview, "/preview", "/apply", 1), url.Values{"csrf_token": {c.csrf()}}); resp.StatusCode != 400 {
			t.Fatalf("apply with errors: %d", resp.StatusCode)
		}
		if err := ta.DB.QueryRow(ctx, "SELECT question FROM checklist_items WHERE template_id = ? AND code = ?", tid, code).Scan(&q); err != nil || q != "Web で修正した質問か。" {
			t.Fatalf("question after a refused import %q", q)
		}
		// An administrator may look at another user's upload; a frozen
		// version refuses uploads.
		if resp, _ := ta.as("admin").get(preview); resp.StatusCode != 200 {
			t.Fatalf("admin preview: %d", resp.StatusCode)
		}
		if _, err := ta.DB.Exec(ctx, "UPDATE checklist_templates SET frozen = TRUE WHERE id = ?", tid); err != nil {
			t.Fatal(err)
		}
		if resp, _ := c.upload(fmt.Sprintf("/catalog/templates/%d/import", tid), "cloud.xlsx", data, nil); resp.StatusCode != 409 {
			t.Fatalf("frozen upload: %d", resp.StatusCode)
		}
	})
}

var builtRe = regexp.MustCompile(`^/catalog/built/(\d+)$`)

// TestCatalogBuildThroughTheWeb: the build screen prefills from the
// department, validates, shows reasons, saves the profile and the
// checklist, lists and exports it; roles are enforced.
func TestCatalogBuildThroughTheWeb(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ta := newTestApp(t, dsn, true, nil)
		ctx := t.Context()
		var tid, dept int64
		var deptName string
		if err := ta.DB.QueryRow(ctx, "SELECT id FROM checklist_templates WHERE kind = 'internal'").Scan(&tid); err != nil {
			t.Fatal(err)
		}
		if err := ta.DB.QueryRow(ctx, "SELECT id, name FROM departments WHERE has_counter = TRUE AND active = TRUE ORDER BY id LIMIT 1").Scan(&dept, &deptName); err != nil {
			t.Fatal(err)
		}
		c := ta.as("auditor")
		resp, body := c.get(fmt.Sprintf("/catalog/build?template=%d&department=%d", tid, dept))
		if resp.StatusCode != 200 || !strings.Contains(body, `name="scope" value="counter" checked`) || strings.Contains(body, `value="mynumber" checked`) {
			t.Fatalf("form: %d", resp.StatusCode)
		}
		// Validation: no template, an unknown threat.
		resp, body = c.post("/catalog/build", url.Values{"csrf_token": {c.csrf()}, "set": {"1"}, "department": {fmt.Sprint(dept)}, "threat": {"meteor"}})
		if resp.StatusCode != 400 || !strings.Contains(body, "元にするチェックリストを選んでください") || !strings.Contains(body, "脅威「meteor」は定義されていません") {
			t.Fatalf("validation: %d", resp.StatusCode)
		}
		form := url.Values{"csrf_token": {c.csrf()}, "set": {"1"}, "template": {fmt.Sprint(tid)}, "department": {fmt.Sprint(dept)},
			"scope": {"counter", "mynumber"}, "threat": {"careless_leak"}, "mode": {"all"}, "systems": {"住民記録システム"}, "save_profile": {"1"}}
		resp, body = c.post("/catalog/build", form)
		if resp.StatusCode != 200 || !strings.Contains(body, "全所属に適用") || !strings.Contains(body, "窓口のある所属のため") ||
			!strings.Contains(body, "個人番号を扱う事務があるため") || !strings.Contains(body, "重点脅威：不注意による漏えい") ||
			!strings.Contains(body, "含めなかった項目") || !strings.Contains(body, "監査とインシデントの機能に記録がたまってから") {
			t.Fatalf("result: %d", resp.StatusCode)
		}
		var mynumber bool
		var systems string
		if err := ta.DB.QueryRow(ctx, "SELECT mynumber, systems FROM department_profiles WHERE department_id = ?", dept).Scan(&mynumber, &systems); err != nil ||
			!mynumber || systems != "住民記録システム" {
			t.Fatalf("profile %v %q %v", mynumber, systems, err)
		}
		// The saved profile prefills the next build; the system is offered.
		if _, body := c.get(fmt.Sprintf("/catalog/build?department=%d", dept)); !strings.Contains(body, `value="mynumber" checked`) ||
			!strings.Contains(body, `<option value="住民記録システム">`) {
			t.Fatal("profile not prefilled")
		}
		// A system named alone: its owner's profile is loaded, and the
		// system's items say they are there for the system.
		resp, body = c.get(fmt.Sprintf("/catalog/build?template=%d&system=%s", tid, url.QueryEscape("住民記録システム")))
		if resp.StatusCode != 200 || !strings.Contains(body, "の所管システムとして登録されているため") || !strings.Contains(body, `value="system_owner" checked`) {
			t.Fatalf("system form: %d", resp.StatusCode)
		}
		resp, body = c.post("/catalog/build", url.Values{"csrf_token": {c.csrf()}, "set": {"1"}, "template": {fmt.Sprint(tid)},
			"system": {"住民記録システム"}, "scope": {"system_owner"}})
		if resp.StatusCode != 200 || !strings.Contains(body, "情報システム（住民記録システム）を対象とするため") {
			t.Fatalf("system result: %d", resp.StatusCode)
		}
		form.Set("title", "令和8年度 窓口所属の内部監査")
		resp, _ = c.post("/catalog/build/save", form)
		m := builtRe.FindStringSubmatch(resp.Header.Get("Location"))
		if resp.StatusCode != 303 || m == nil {
			t.Fatalf("save: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		v := ta.as("viewer")
		if resp, body := v.get("/catalog/built"); resp.StatusCode != 200 || !strings.Contains(body, "令和8年度 窓口所属の内部監査") {
			t.Fatalf("list as viewer: %d", resp.StatusCode)
		}
		if resp, body := v.get(resp.Header.Get("Location")); resp.StatusCode != 200 || !strings.Contains(body, "窓口のある所属のため") || !strings.Contains(body, deptName) {
			t.Fatalf("show as viewer: %d", resp.StatusCode)
		}
		resp, x := v.get("/catalog/built/" + m[1] + "/export")
		if resp.StatusCode != 200 {
			t.Fatalf("export: %d", resp.StatusCode)
		}
		f, err := excelize.OpenReader(strings.NewReader(x))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows(f.GetSheetName(0))
		ok := false
		for _, r := range rows {
			if len(r) > 6 && r[0] == "No" && r[6] == "判定" && r[len(r)-1] == "選定理由" {
				ok = true
			}
		}
		if !ok {
			t.Fatal("built export is not in the ward layout with reasons")
		}
		var n int
		_ = ta.DB.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = ?", "built_checklist:"+m[1]).Scan(&n)
		if n != 1 {
			t.Fatalf("export audited %d times", n)
		}
		for _, who := range []string{"viewer", "staff", "auditee"} {
			if resp, _ := ta.as(who).get("/catalog/build"); resp.StatusCode != 403 {
				t.Fatalf("%s reached the build screen: %d", who, resp.StatusCode)
			}
		}
		if resp, _ := ta.as("staff").get("/catalog/built/" + m[1]); resp.StatusCode != 403 {
			t.Fatalf("staff read a built checklist: %d", resp.StatusCode)
		}
	})
}
