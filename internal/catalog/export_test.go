package catalog_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
			"判定基準（○適合・△一部不適合・×不適合）", "○施錠された室内にある", "△施錠はあるが鍵の管理簿がない", "×施錠できない場所にある",
			"物理的セキュリティ（3項目）", "■サーバ等の管理", "監査資料の例", "根拠規定", "4.1", "・鍵管理簿", "-1-",
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
		for _, want := range []string{"内部監査チェックリスト", "サーバは施錠できる場所に置かれているか。（視察）", "○適合・△一部不適合・×不適合", "絞り込んだ項目だけ", "判定"} {
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

// TestChecklistXLSXPrintForm: the spreadsheet prints as the auditor's
// field form — No, 監査項目, 判定基準, 判定, 所見 (wide enough to write in)
// and 根拠規定, fitted to an A4 landscape width — while the other columns
// stay in the sheet, outside the print area.
func TestChecklistXLSXPrintForm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		_, _ = loadMapped(t, db)
		tpl, items := storedTemplate(t, db)
		var buf bytes.Buffer
		if err := catalog.WriteChecklistXLSX(&buf, catalog.ChecklistDocument(tpl, items, "ひので区")); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sheet := f.GetSheetName(0)
		rows, _ := f.GetRows(sheet)
		header := -1
		for i, r := range rows {
			if len(r) > 0 && r[0] == "No" {
				header = i
				break
			}
		}
		if header < 0 {
			t.Fatalf("no header row: %q", rows)
		}
		printed := []string{"No", "監査項目", "判定基準", "判定", "所見", "根拠規定"}
		if got := rows[header]; len(got) < len(printed) || strings.Join(got[:len(printed)], "|") != strings.Join(printed, "|") {
			t.Fatalf("printed columns %q, want %q first", got, printed)
		}
		for _, h := range []string{"分類", "監査資料の例", "確認方法", "重要度", "備考"} {
			if !slices.Contains(rows[header][len(printed):], h) {
				t.Errorf("the sheet lacks the on-screen column %s", h)
			}
		}
		area := ""
		for _, dn := range f.GetDefinedName() {
			if dn.Name == "_xlnm.Print_Area" && dn.Scope == sheet {
				area = dn.RefersTo
			}
		}
		if want := fmt.Sprintf("!$A$1:$F$%d", len(rows)+1); !strings.HasSuffix(area, fmt.Sprintf("!$A$1:$F$%d", len(rows))) && !strings.HasSuffix(area, want) {
			t.Errorf("print area %q, want …%s (the six columns, every row)", area, want)
		}
		widths := map[string]float64{}
		sum := 0.0
		for i, h := range printed {
			col, _ := excelize.ColumnNumberToName(i + 1)
			w, _ := f.GetColWidth(sheet, col)
			widths[h] = w
			sum += w
		}
		if sum > 99.5 {
			t.Errorf("printed columns add up to %.1f units, more than an A4 landscape page holds at 92 %% (99)", sum)
		}
		if widths["所見"] < 18 || widths["判定基準"] < 30 || widths["判定"] < 8 {
			t.Errorf("widths %v: 所見 too narrow to write in, 判定基準 too narrow, or 判定 cannot hold 該当なし", widths)
		}
		p, _ := f.GetPageLayout(sheet)
		if p.Orientation == nil || *p.Orientation != "landscape" {
			t.Errorf("the form is not landscape: %+v", p)
		}
	})
}
