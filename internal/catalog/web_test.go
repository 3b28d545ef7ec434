package catalog_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/xuri/excelize/v2"

	"mamori/internal/catalog"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// fixtureSite starts the app on the demo ward with the small catalogue of
// mapping_test.go imported beside the demo's own (its checklist as version
// 2031, so that it does not meet the demo's 2026 edition). It returns the
// server, the fixture checklist's id and a lookup of clause ids by
// "code:number" (newest edition).
func fixtureSite(t *testing.T, dsn string) (*webtest.Server, int64, func(string) int64) {
	t.Helper()
	s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
	fsys := fstest.MapFS{}
	for name, f := range mapped {
		fsys[name] = f
	}
	a := *mapped["checklists/a.yaml"]
	a.Data = bytes.Replace(a.Data, []byte("version: 2026"), []byte("version: 2031"), 1)
	fsys["checklists/a.yaml"] = &a
	c, err := catalog.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.Import(t.Context(), s.DB, s.Log, c, time.Now()); err != nil {
		t.Fatal(err)
	}
	tid := s.ID("SELECT id FROM checklist_templates WHERE kind = 'internal' AND version = 2031")
	st := catalog.NewStore(s.DB)
	return s, tid, func(ref string) int64 {
		t.Helper()
		mc, err := st.ResolveRef(context.Background(), ref, nil)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		return mc.ID
	}
}

func itemForm(it catalog.Item, action string) url.Values {
	v := url.Values{"code": {it.Code}, "category": {it.Category}, "clauses": {strings.Join(it.Clauses, "\n")}, "question": {it.Question},
		"conform": {it.Criteria.Conform}, "partial": {it.Criteria.Partial}, "nonconform": {it.Criteria.Nonconform},
		"evidence": {strings.Join(it.Evidence, "\n")}, "methods": {strings.Join(it.Methods, "\n")}, "techniques": it.Techniques,
		"priority": {it.Priority}, "applicability": it.Applicability, "threats": it.Threats, "audience": it.Audience, "notes": {it.Notes}, "action": {action}}
	if it.SiteInspection {
		v.Set("site_inspection", "1")
	}
	return v
}

func TestItemScreens(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s, tid, _ := fixtureSite(t, dsn)
		ctx := context.Background()
		ids, _ := itemIDs(t, s.DB, tid)
		item := "/catalog/items/" + itoa(ids[0])
		c := s.As("consultant")

		c.Get(item+"/edit").Want(200, "サーバは施錠できる場所に置かれているか。", `value="inspection" checked`)

		// Errors are shown next to their fields, the input is kept, nothing is saved.
		in := validItem()
		in.Code = "IN-4.1-01"
		in.Question = ""
		in.Clauses = []string{"g:4.1", "g:77"}
		in.Notes = "入力を残す<確認>"
		c.Post(item, itemForm(in, "save")).Want(400, "監査項目（質問）がありません", "条項 g:77 は登録されていません", "入力を残す&lt;確認&gt;", "g:77", `aria-invalid="true"`)
		if got, _ := catalog.NewStore(s.DB).Item(ctx, ids[0]); got.Question != "サーバは施錠できる場所に置かれているか。" {
			t.Fatal("invalid form changed the item")
		}

		// Preview renders the printed row without saving.
		in = validItem()
		in.Code = "IN-4.1-01"
		in.Question = "サーバ室の鍵は管理簿で管理されているか。"
		in.SiteInspection = true
		c.Post(item, itemForm(in, "preview")).Want(200, "プレビュー", "サーバ室の鍵は管理簿で管理されているか。（視察）", "<strong>○ </strong>", "「管理区域の管理」の行の下")
		if got, _ := catalog.NewStore(s.DB).Item(ctx, ids[0]); got.Question != "サーバは施錠できる場所に置かれているか。" {
			t.Fatal("preview saved the item")
		}

		// Save.
		c.Post(item, itemForm(in, "save")).Want(303)
		if got, _ := catalog.NewStore(s.DB).Item(ctx, ids[0]); got.Question != in.Question {
			t.Fatal("not saved")
		}

		// New item at a position, with the same validation.
		c.Get("/catalog/templates/"+itoa(tid)+"/items/new").Want(200, "末尾（4 番目）")
		nf := itemForm(validItem(), "save")
		nf.Set("position", "2")
		c.Post("/catalog/templates/"+itoa(tid)+"/items", nf).Want(303)
		if _, codes := itemIDs(t, s.DB, tid); codes[1] != "IN-4.2-01" {
			t.Fatalf("inserted at %v", codes)
		}
		c.Post("/catalog/templates/"+itoa(tid)+"/items", nf).Want(400, "項目コード IN-4.2-01 は、このチェックリストの別の項目")
		nf.Set("position", "99")
		c.Post("/catalog/templates/"+itoa(tid)+"/items", nf).Want(400, "追加する位置")

		// Move and delete.
		c.Post(item+"/move", url.Values{"dir": {"down"}}).Want(303)
		c.Post(item+"/move", url.Values{"dir": {"sideways"}}).Want(400)
		c.Post("/catalog/items/"+itoa(ids[2])+"/delete", nil).Want(303)

		// Readers read; they cannot edit.
		for _, role := range []string{"auditor", "viewer"} {
			b := s.As(role)
			if r := b.Get(item); r.StatusCode != 200 {
				t.Errorf("%s reading item: %d", role, r.StatusCode)
			}
			if r := b.Get(item + "/edit"); r.StatusCode != 403 {
				t.Errorf("%s edit form: %d", role, r.StatusCode)
			}
			if r := b.Post(item, itemForm(in, "save")); r.StatusCode != 403 {
				t.Errorf("%s save: %d", role, r.StatusCode)
			}
			if r := b.Post(item+"/delete", nil); r.StatusCode != 403 {
				t.Errorf("%s delete: %d", role, r.StatusCode)
			}
		}
		// The item page shows edit buttons to editors only.
		c.Get(item).Want(200, item+"/edit")
		s.As("viewer").Get(item).Want(200).Lacks(item + "/edit")

		// Frozen: read-only with a message, changes refused.
		if err := catalog.Freeze(ctx, s.DB, s.Log, tid, time.Now()); err != nil {
			t.Fatal(err)
		}
		c.Get(item+"/edit").Want(200, "凍結されているため").Lacks(`name="question"`)
		c.Post(item, itemForm(in, "save")).Want(409, "凍結されているため")
		c.Post(item+"/delete", nil).Want(409, "凍結されているため")
	})
}

func TestMappingScreens(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s, _, id := fixtureSite(t, dsn)
		c := s.As("admin")
		ward := "/catalog/clauses/" + itoa(id("w:第22条"))

		c.Get(ward).Want(200, "対応する条項（0）", "対応を追加")
		// Choosing the framework lists its clauses.
		g, _ := catalog.NewStore(s.DB).MappedClauseByID(context.Background(), id("g:4.3"))
		c.Get(ward+"?fw="+itoa(g.FrameworkID)).Want(200, `<option value="`+itoa(g.ID)+`">4.3 通信回線の管理</option>`)

		for _, tc := range []struct {
			name string
			form url.Values
			want string
		}{
			{"nothing chosen", url.Values{}, "対応づける条項を一覧から選ぶか"},
			{"same framework", url.Values{"ref": {"w:第19条"}}, "同じ枠組み"},
			{"unknown", url.Values{"ref": {"g:8.8"}}, "条項 g:8.8 は登録されていません"},
			{"malformed", url.Values{"ref": {"g8"}}, "書き方になっていません"},
			{"same clause", url.Values{"clause": {itoa(id("w:第22条"))}}, "同じ条項どうし"},
		} {
			tc.form.Set("note", "残す備考")
			r := c.Post(ward+"/mappings", tc.form)
			if r.StatusCode != 400 || !strings.Contains(r.Body, tc.want) || !strings.Contains(r.Body, "残す備考") {
				t.Errorf("%s: %d, want %q", tc.name, r.StatusCode, tc.want)
			}
		}
		c.Post(ward+"/mappings", url.Values{"fw": {itoa(g.FrameworkID)}, "clause": {itoa(g.ID)}, "note": {"回線全般"}}).Want(303)
		c.Post(ward+"/mappings", url.Values{"ref": {"g:4.3"}}).Want(400, "既に登録されています")
		// Shown on both clauses, in both directions.
		c.Get(ward).Want(200, "→ 対応先", "通信回線の管理", "回線全般")
		c.Get("/catalog/clauses/"+itoa(g.ID)).Want(200, "← 対応元", "第22条", "区のポリシー")

		// Readers see mappings but cannot change them.
		v := s.As("viewer")
		v.Get(ward).Want(200, "通信回線の管理").Lacks("対応を追加")
		mid := s.ID("SELECT id FROM clause_mappings WHERE to_clause_id = ?", g.ID)
		v.Post("/catalog/mappings/"+itoa(mid)+"/delete", nil).Want(403)
		s.As("auditor").Post(ward+"/mappings", url.Values{"ref": {"g:4.2"}}).Want(403)
		s.As("staff").Get(ward).Want(403)
		c.Post("/catalog/mappings/"+itoa(mid)+"/delete", url.Values{"back": {itoa(g.ID)}}).Redirects("/catalog/clauses/" + itoa(g.ID))

		// The framework pair page and its spreadsheet.
		w, _ := catalog.NewStore(s.DB).MappedClauseByID(context.Background(), id("w:第19条"))
		pair := "/catalog/frameworks/" + itoa(w.FrameworkID) + "/mappings"
		v.Get(pair).Want(200, "対応なし", "第22条", "通信回線の管理")
		v.Get(pair + "?to=" + itoa(w.FrameworkID)).Want(400)
		v.Get(pair + "/export").Want(400)
		before := auditCount(t, s.DB, "download")
		r := v.Get(pair + "/export?to=" + itoa(g.FrameworkID)).Want(200)
		if !strings.Contains(r.Header.Get("Content-Disposition"), "filename*=") {
			t.Fatalf("pair export: %q", r.Header.Get("Content-Disposition"))
		}
		found := false
		rows := xlsxRows(t, []byte(r.Body))
		for _, row := range rows {
			if len(row) >= 4 && row[0] == "第19条" && row[2] == "4.1" {
				found = true
			}
		}
		if !found {
			t.Fatalf("mapping row missing in %q", rows)
		}
		if auditCount(t, s.DB, "download")-before != 1 {
			t.Fatal("pair export not audited")
		}
	})
}

func TestTemplateExportScreen(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s, id, _ := fixtureSite(t, dsn)
		tid := itoa(id)
		v := s.As("viewer")
		r := v.Get("/catalog/templates/" + tid + "/export?format=pdf").Want(200)
		if r.Header.Get("Content-Type") != "application/pdf" || !strings.Contains(r.Header.Get("Content-Disposition"), ".pdf") {
			t.Fatalf("pdf export: %s %s", r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
		}
		if flat := strings.Join(strings.Fields(testkit.PDFBytesText(t, []byte(r.Body))), ""); !strings.Contains(flat, "通信回線の構成図は最新か。") || !strings.Contains(flat, "ひので区") {
			t.Fatal("PDF lacks an item or the ward's name")
		}
		if cd := r.Header.Get("Content-Disposition"); r.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(cd, `attachment; filename="download.pdf"; filename*=UTF-8''`) {
			t.Fatalf("download headers: %q %q", cd, r.Header.Get("Cache-Control"))
		}
		r = v.Get("/catalog/templates/" + tid + "/export?format=docx&site=1").Want(200)
		if text, _ := docxText(t, []byte(r.Body)); !strings.Contains(text, "サーバは施錠できる") || strings.Contains(text, "通信回線の構成図") || !strings.Contains(text, "絞り込んだ") {
			t.Fatal("filtered DOCX has the wrong items")
		}
		v.Get("/catalog/templates/"+tid+"/export?format=odt").Want(400, "xlsx・pdf・docx")
		if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = ?", "checklist_template:"+tid); n != 2 {
			t.Fatalf("%d downloads audited, want 2", n)
		}
		s.As("staff").Get("/catalog/templates/" + tid + "/export?format=pdf").Want(403)
	})
}

// TestCatalogScreensAndExport: the demo's catalogue can be browsed,
// searched and exported in the ward layout with a judgement dropdown.
func TestCatalogScreensAndExport(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	tid := s.ID("SELECT id FROM checklist_templates WHERE kind = 'system'")
	c := s.As("consultant")
	body := c.Get(fmt.Sprintf("/catalog/templates/%d?q=ISMAP", tid)).Want(200, "ISMAP").Body
	all := c.Get(fmt.Sprintf("/catalog/templates/%d", tid)).Want(200).Body
	if strings.Count(body, "/catalog/items/") >= strings.Count(all, "/catalog/items/") {
		t.Fatal("search did not narrow the list")
	}
	before := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target LIKE 'checklist_template:%'")
	r := c.Get(fmt.Sprintf("/catalog/templates/%d/export?site=1", tid)).Want(200)
	if !strings.Contains(r.Header.Get("Content-Disposition"), "filename*=") {
		t.Fatalf("export: %q", r.Header.Get("Content-Disposition"))
	}
	f, err := excelize.OpenReader(strings.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetName(0)
	rows, _ := f.GetRows(sheet)
	header := -1
	for i, r := range rows {
		if len(r) > 3 && r[0] == "No" && r[3] == "判定" {
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
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target LIKE 'checklist_template:%'") - before; n != 1 {
		t.Fatalf("export not audited (%d)", n)
	}
	s.As("staff").Get("/catalog").Want(403)
}

// TestTemplateVersions: copy last year's checklist, see what changed, freeze.
func TestTemplateVersions(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	ctx := t.Context()
	tid := s.ID("SELECT id FROM checklist_templates WHERE kind = 'cloud'")
	c := s.As("consultant")
	c.Post(fmt.Sprintf("/catalog/templates/%d/copy", tid), url.Values{"version": {"令和9年度"}}).Want(303)
	nid := s.ID("SELECT id FROM checklist_templates WHERE kind = 'cloud' AND version = 2027")
	n := s.Count("SELECT COUNT(*) FROM checklist_items WHERE template_id = ?", nid)
	m := s.Count("SELECT COUNT(*) FROM checklist_items WHERE template_id = ?", tid)
	if n == 0 || n != m {
		t.Fatalf("copied %d of %d items", n, m)
	}
	c.Get(fmt.Sprintf("/catalog/templates/%d/diff", nid)).Want(200, "違いはありません")
	if _, err := s.DB.Exec(ctx, "UPDATE checklist_items SET question = '変更した質問か。' WHERE template_id = ? AND sort_order = 1", nid); err != nil {
		t.Fatal(err)
	}
	c.Get(fmt.Sprintf("/catalog/templates/%d/diff", nid)).Want(200, "監査項目", "変更した質問か。")
	c.Post(fmt.Sprintf("/catalog/templates/%d/copy", tid), url.Values{"version": {"2027"}}).Want(409)
	c.Post(fmt.Sprintf("/catalog/templates/%d/freeze", nid), nil).Want(403)
	s.As("admin").Post(fmt.Sprintf("/catalog/templates/%d/freeze", nid), nil).Want(303)
	if n := s.Count("SELECT COUNT(*) FROM checklist_templates WHERE id = ? AND frozen = TRUE", nid); n != 1 {
		t.Fatal("not frozen")
	}
}

// editExport downloads a template's XLSX and changes one cell: the
// 監査項目 of the first item.
func editExport(t *testing.T, c *webtest.Client, tid int64, question string) ([]byte, string) {
	t.Helper()
	x := c.Get(fmt.Sprintf("/catalog/templates/%d/export", tid)).Want(200).Body
	f, err := excelize.OpenReader(strings.NewReader(x))
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetName(0)
	rows, _ := f.GetRows(sheet)
	for i, r := range rows {
		if len(r) > 1 && r[0] == "No" && r[1] == "監査項目" {
			ref := fmt.Sprintf("B%d", i+2)
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

var (
	previewRe = regexp.MustCompile(`^/catalog/templates/\d+/import/(\d+)/preview$`)
	fpRe      = regexp.MustCompile(`name="fp" value="([0-9a-f]+)"`)
)

// TestCatalogXLSXImportThroughTheWeb: upload → preview with the changed
// cell → confirm; errors and other users' files are refused.
func TestCatalogXLSXImportThroughTheWeb(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
		ctx := t.Context()
		tid := s.ID("SELECT id FROM checklist_templates WHERE kind = 'cloud'")
		c := s.As("consultant")
		c.Get(fmt.Sprintf("/catalog/templates/%d", tid)).Want(200, "Excel から取り込む")
		data, code := editExport(t, c, tid, "Web で修正した質問か。")
		c.Get(fmt.Sprintf("/catalog/templates/%d/import", tid)).Want(200, `enctype="multipart/form-data"`)
		// Not an xlsx: the form again with the reason, nothing stored.
		c.Upload(fmt.Sprintf("/catalog/templates/%d/import", tid), nil, "file", "名簿.csv", []byte("a,b\n")).
			Want(400, "名簿.csv: Excel（.xlsx）のファイルではありません")
		r := c.Upload(fmt.Sprintf("/catalog/templates/%d/import", tid), nil, "file", "cloud.xlsx", data)
		if r.StatusCode != 303 || previewRe.FindStringSubmatch(r.Header.Get("Location")) == nil {
			t.Fatalf("upload: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		preview := r.Header.Get("Location")
		body := c.Get(preview).Want(200, "Web で修正した質問か。", "変更される項目（1）", "判定・所見の列は監査人が記入する欄").Body
		fp := fpRe.FindStringSubmatch(body)
		if fp == nil {
			t.Fatal("no fingerprint on the preview")
		}
		// An auditor may not import at all.
		s.As("auditor").Get(preview).Want(403)
		apply := strings.Replace(preview, "/preview", "/apply", 1)
		c.Post(apply, url.Values{"fp": {"0000"}}).Want(409)
		c.Post(apply, url.Values{"fp": {fp[1]}}).Want(303)
		var q string
		if err := s.DB.QueryRow(ctx, "SELECT question FROM checklist_items WHERE template_id = ? AND code = ?", tid, code).Scan(&q); err != nil || q != "Web で修正した質問か。" {
			t.Fatalf("question %q %v", q, err)
		}
		if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'catalog.template_xlsx_import'"); n != 1 {
			t.Fatalf("%d import audit entries", n)
		}
		// A file with an error: the preview lists it and apply writes nothing.
		bad, _ := editExport(t, c, tid, "")
		preview = c.Upload(fmt.Sprintf("/catalog/templates/%d/import", tid), nil, "file", "bad.xlsx", bad).Header.Get("Location")
		c.Get(preview).Want(200, "1 件のエラーがあるため、取り込めません", "監査項目（質問）がありません")
		c.Post(strings.Replace(preview, "/preview", "/apply", 1), nil).Want(400)
		if err := s.DB.QueryRow(ctx, "SELECT question FROM checklist_items WHERE template_id = ? AND code = ?", tid, code).Scan(&q); err != nil || q != "Web で修正した質問か。" {
			t.Fatalf("question after a refused import %q", q)
		}
		// An administrator may look at another user's upload; a frozen
		// version refuses uploads.
		s.As("admin").Get(preview).Want(200)
		if _, err := s.DB.Exec(ctx, "UPDATE checklist_templates SET frozen = TRUE WHERE id = ?", tid); err != nil {
			t.Fatal(err)
		}
		c.Upload(fmt.Sprintf("/catalog/templates/%d/import", tid), nil, "file", "cloud.xlsx", data).Want(409)
	})
}
