package catalog_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/testkit"
)

func xlsxRows(t *testing.T, b []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var all [][]string
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, rows...)
	}
	return all
}

// pdfText extracts a PDF's text with poppler (a missing pdftotext fails
// the test in CI).
func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	return testkit.PDFBytesText(t, b)
}

// docxText returns the text of word/document.xml (tags removed) and the raw XML.
func docxText(t *testing.T, b []byte) (string, string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			x, _ := io.ReadAll(rc)
			rc.Close()
			return regexp.MustCompile(`<[^>]+>`).ReplaceAllString(string(x), ""), string(x)
		}
	}
	t.Fatal("word/document.xml missing")
	return "", ""
}

func storedTemplate(t *testing.T, db *database.DB) (catalog.StoredTemplate, []catalog.StoredItem) {
	t.Helper()
	st := catalog.NewStore(db)
	tpl, err := st.Template(context.Background(), templateID(t, db))
	if err != nil {
		t.Fatal(err)
	}
	items, err := st.Items(context.Background(), catalog.ItemFilter{TemplateID: tpl.ID})
	if err != nil {
		t.Fatal(err)
	}
	return tpl, items
}

// TestTemplatePDFAndDOCX renders the printed checklist and reads it back.
func TestTemplatePDFAndDOCX(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		_, _ = loadMapped(t, db)
		tpl, items := storedTemplate(t, db)
		now := time.Date(2026, 5, 20, 9, 0, 0, 0, time.UTC)

		var pdfBuf bytes.Buffer
		if err := catalog.RenderTemplate(&pdfBuf, "pdf", tpl, items, "ひので区", now, false); err != nil {
			t.Fatal(err)
		}
		if os.Getenv("MAMORI_CATALOG_OUT") != "" {
			_ = os.WriteFile(filepath.Join(os.Getenv("MAMORI_CATALOG_OUT"), "checklist.pdf"), pdfBuf.Bytes(), 0o644)
		}
		txt := pdfText(t, pdfBuf.Bytes())
		flat := strings.Join(strings.Fields(txt), "")
		for _, want := range []string{"内部監査チェックリスト", "令和8年度", "全3項目", "ひので区", "このチェックリストについて",
			"サーバは施錠できる場所に置かれているか。（視察）", "サーバの保守記録は残されているか。", "通信回線の構成図は最新か。",
			"適合（○）：施錠された室内にある", "一部不適合（△）：施錠はあるが鍵の管理簿がない", "不適合（×）：施錠できない場所にある",
			"物理的セキュリティ（3項目）", "監査資料の例", "根拠規定", "4.1サーバ等の管理", "・鍵管理簿", "-1-",
			"実施の記録", "所属", "実施日", "監査人"} {
			if !strings.Contains(flat, want) {
				t.Errorf("PDF text lacks %q", want)
			}
		}

		var docBuf bytes.Buffer
		if err := catalog.RenderTemplate(&docBuf, "docx", tpl, items, "ひので区", now, true); err != nil {
			t.Fatal(err)
		}
		text, raw := docxText(t, docBuf.Bytes())
		for _, want := range []string{"内部監査チェックリスト", "サーバは施錠できる場所に置かれているか。（視察）", "一部不適合（△）：", "絞り込んだ項目だけ", "判定"} {
			if !strings.Contains(text, want) {
				t.Errorf("DOCX text lacks %q", want)
			}
		}
		if !strings.Contains(raw, `w:orient="landscape"`) {
			t.Error("DOCX table section is not landscape")
		}

		if err := catalog.RenderTemplate(io.Discard, "odt", tpl, items, "", now, false); err == nil || !strings.Contains(err.Error(), "対応していません") {
			t.Fatalf("unknown format: %v", err)
		}
	})
}
