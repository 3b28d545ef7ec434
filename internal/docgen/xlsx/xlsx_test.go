package xlsx

import (
	"archive/zip"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"mamori/internal/docgen"
	"mamori/internal/docgen/chart"
	"mamori/internal/docgen/sample"
	"mamori/internal/testkit"
)

func render(t testing.TB, d *docgen.Document, opt Options) ([]byte, *excelize.File) {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderWithOptions(&buf, d, opt); err != nil {
		t.Fatalf("render: %v", err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return buf.Bytes(), f
}

// sheetXML returns the XML of the n-th worksheet (1-based) in the package.
func sheetXML(t *testing.T, data []byte, n int) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if zf.Name == fmt.Sprintf("xl/worksheets/sheet%d.xml", n) {
			rc, _ := zf.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			return string(b)
		}
	}
	t.Fatalf("no sheet%d.xml", n)
	return ""
}

func find(t *testing.T, f *excelize.File, sheet, text string) (col, row int) {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for r, cells := range rows {
		for c, v := range cells {
			if v == text {
				return c + 1, r + 1
			}
		}
	}
	t.Fatalf("%s: no cell %q", sheet, text)
	return 0, 0
}

func TestRenderSample(t *testing.T) {
	data, f := render(t, sample.Sample(), Options{})
	// the 決裁 part after the page break has a sheet of its own (the
	// table's print titles would repeat above it); chart figures have one
	if got := strings.Join(f.GetSheetList(), ","); got != "本編,決裁,別表,図表データ" {
		t.Fatalf("sheets = %s", got)
	}
	// Japanese values, headings numbered, title rows
	for _, want := range []string{"文書生成の見本（全要素）", "第1章\u3000総則", "1\u3000この文書の目的", "指摘事項", "表1 指摘事項の一覧", "戸籍住民課", "・離席時は画面をロックする。"} {
		find(t, f, "本編", want)
	}
	find(t, f, "別表", "第3章\u3000横向きの表")
	// the findings table: header row styled, body numeric No column
	c, r := find(t, f, "本編", "指摘事項")
	ref, _ := excelize.CoordinatesToCellName(c, r)
	id, _ := f.GetCellStyle("本編", ref)
	st, _ := f.GetStyle(id)
	if !st.Font.Bold || len(st.Fill.Color) == 0 || len(st.Border) != 4 {
		t.Errorf("header style = %+v", st)
	}
	if v, _ := f.GetCellValue("本編", fmt.Sprintf("A%d", r+1)); v != "1" {
		t.Errorf("first No = %q", v)
	}
	if typ, _ := f.GetCellType("本編", fmt.Sprintf("A%d", r+1)); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("No cell type = %v", typ)
	}
	// wrapped finding rows are taller than one line
	if h, _ := f.GetRowHeight("本編", r+1); h < 20 {
		t.Errorf("wrapped row height %.1f", h)
	}
	// column widths fit Japanese text, capped
	if w, _ := f.GetColWidth("本編", "C"); w < 30 || w > maxColWidth {
		t.Errorf("指摘事項 column width %.1f", w)
	}
	// frozen under the header
	panes, _ := f.GetPanes("本編")
	if !panes.Freeze || panes.YSplit != r {
		t.Errorf("panes = %+v, want frozen at row %d", panes, r)
	}
	// auto filter on the table
	if xml := sheetXML(t, data, 1); !strings.Contains(xml, fmt.Sprintf(`<autoFilter ref="$A$%d:$E$%d"`, r, r+40)) {
		t.Errorf("no auto filter A%d:E%d", r, r+40)
	}
	// print titles per sheet
	titles := map[string]string{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" {
			titles[dn.Scope] = dn.RefersTo
		}
	}
	if titles["本編"] != fmt.Sprintf("'本編'!$%d:$%d", r, r) {
		t.Errorf("print titles = %v", titles)
	}
	// merged header cells of the landscape table (2 header rows)
	mc, rr := find(t, f, "別表", "所属")
	merges, _ := f.GetMergeCells("別表")
	want := map[string]bool{
		cellRef(mc, rr) + ":" + cellRef(mc, rr+1):     true, // 所属 RowSpan 2
		cellRef(mc+1, rr) + ":" + cellRef(mc+2, rr):   true, // 実地監査 ColSpan 2
		cellRef(mc+3, rr) + ":" + cellRef(mc+4, rr):   true, // 報告
		cellRef(mc+5, rr) + ":" + cellRef(mc+5, rr+1): true, // 備考
	}
	for _, m := range merges {
		delete(want, m.GetStartAxis()+":"+m.GetEndAxis())
	}
	if len(want) != 0 {
		t.Errorf("missing merges %v (have %d)", want, len(merges))
	}
	if v, _ := f.GetCellValue("別表", cellRef(mc+1, rr+1)); v != "日付" {
		t.Errorf("second header row starts with %q", v)
	}
	if titles["別表"] != fmt.Sprintf("'別表'!$%d:$%d", rr, rr+1) {
		t.Errorf("別表 print titles = %q", titles["別表"])
	}
	// page layout
	for sheet, orient := range map[string]string{"本編": "portrait", "別表": "landscape"} {
		pl, _ := f.GetPageLayout(sheet)
		if pl.Orientation == nil || *pl.Orientation != orient || pl.Size == nil || *pl.Size != 9 ||
			pl.FitToWidth == nil || *pl.FitToWidth != 1 || pl.FitToHeight == nil || *pl.FitToHeight != 0 {
			t.Errorf("%s layout = %+v", sheet, pl)
		}
		pr, _ := f.GetSheetProps(sheet)
		if pr.FitToPage == nil || !*pr.FitToPage {
			t.Errorf("%s: fit to page off", sheet)
		}
		hf, _ := f.GetHeaderFooter(sheet)
		if hf == nil || !strings.Contains(hf.OddHeader, "取扱注意") || !strings.Contains(hf.OddFooter, "&P") {
			t.Errorf("%s header/footer = %+v", sheet, hf)
		}
	}
	props, _ := f.GetDocProps()
	if props.Title != "文書生成の見本（全要素）" || props.Creator != "情報政策課 情報セキュリティ係" {
		t.Errorf("props = %+v", props)
	}
	// charts: data grid written and native charts embedded
	find(t, f, "図表データ", "令和7年度")
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	charts := 0
	for _, zf := range zr.File {
		if strings.HasPrefix(zf.Name, "xl/charts/chart") {
			charts++
		}
	}
	if charts != 4 {
		t.Errorf("%d charts, want 4", charts)
	}
	assertNoFormulas(t, f)
}

func cellRef(c, r int) string { s, _ := excelize.CoordinatesToCellName(c, r); return s }

func assertNoFormulas(t *testing.T, f *excelize.File) {
	t.Helper()
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		for r, cells := range rows {
			for c := range cells {
				ref := cellRef(c+1, r+1)
				if fm, _ := f.GetCellFormula(sh, ref); fm != "" {
					t.Errorf("%s!%s has formula %q", sh, ref, fm)
				}
			}
		}
	}
}

func TestNoFormulaInjection(t *testing.T) {
	evil := []string{"=1+1", "+SUM(A1:A2)", "-2+3", "@SUM(1)", "=HYPERLINK(\"http://x\",\"y\")", "=cmd|' /C calc'!A0"}
	tbl := docgen.Table{HeaderRows: 1, Rows: []docgen.Row{{Cells: []docgen.Cell{docgen.C("=見出し"), docgen.C("値")}}}}
	for _, e := range evil {
		tbl.Rows = append(tbl.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(e), {Runs: []docgen.Run{{Text: e, Bold: true}, docgen.T("x")}}}})
	}
	d := &docgen.Document{Meta: docgen.Meta{Title: "=危険"}, Sections: []docgen.Section{{Tab: "=x", Blocks: []docgen.Block{
		docgen.Heading{Level: 1, Text: "=SUM(1)"}, docgen.P("+1"), tbl,
	}}}}
	data, f := render(t, d, Options{})
	assertNoFormulas(t, f)
	for _, e := range evil {
		find(t, f, "=x", e)
		find(t, f, "=x", e+"x")
	}
	if strings.Contains(sheetXML(t, data, 1), "<f>") {
		t.Error("sheet XML contains a formula element")
	}
}

func TestValidationsAndDates(t *testing.T) {
	tbl := docgen.Table{Caption: "チェックリスト", HeaderRows: 1, Rows: []docgen.Row{
		{Cells: []docgen.Cell{docgen.C("No"), docgen.C("確認項目"), docgen.C("判定"), docgen.C("確認日")}},
		{Cells: []docgen.Cell{docgen.C("1"), docgen.C("パスワードを定期的に変更している。"), docgen.C("〇"), docgen.C("2026-04-01")}},
		{Cells: []docgen.Cell{docgen.C("2"), docgen.C("離席時に画面をロックしている。"), docgen.C(""), docgen.C("令和元年5月1日")}},
		{Cells: []docgen.Cell{docgen.C("3"), docgen.C("USB メモリの持出し記録がある。"), docgen.C("×"), docgen.C("未定")}},
	}}
	other := docgen.Table{Caption: "別の表", HeaderRows: 1, Rows: []docgen.Row{{Cells: []docgen.Cell{docgen.C("a"), docgen.C("b"), docgen.C("c")}}, {Cells: []docgen.Cell{docgen.C("1"), docgen.C("2"), docgen.C("3")}}}}
	d := &docgen.Document{Sections: []docgen.Section{{Tab: "点検", Blocks: []docgen.Block{tbl, other}}}}
	_, f := render(t, d, Options{
		Validations: []Validation{{Column: 2, Values: []string{"〇", "△", "×", "該当なし"}, Caption: "チェックリスト"}},
		DateColumns: []DateColumn{{Column: 3}},
	})
	dvs, err := f.GetDataValidations("点検")
	if err != nil {
		t.Fatal(err)
	}
	if len(dvs) != 1 || dvs[0].Sqref != "C3:C5" || !strings.Contains(dvs[0].Formula1, "〇,△,×,該当なし") {
		for _, dv := range dvs {
			t.Logf("dv %s %s", dv.Sqref, dv.Formula1)
		}
		t.Fatalf("validations = %d", len(dvs))
	}
	raw, _ := f.GetCellValue("点検", "D3", excelize.Options{RawCellValue: true})
	if raw != "46113" { // 2026-04-01
		t.Errorf("date serial = %q", raw)
	}
	raw, _ = f.GetCellValue("点検", "D4", excelize.Options{RawCellValue: true})
	if raw != "43586" { // 2019-05-01
		t.Errorf("gannen date serial = %q", raw)
	}
	id, _ := f.GetCellStyle("点検", "D3")
	st, _ := f.GetStyle(id)
	if st.CustomNumFmt == nil || *st.CustomNumFmt != WarekiFormat {
		t.Errorf("date format = %v", st.CustomNumFmt)
	}
	if v, _ := f.GetCellValue("点検", "D5"); v != "未定" {
		t.Errorf("non-date kept as text: %q", v)
	}
}

func TestSheetNames(t *testing.T) {
	long := strings.Repeat("情報セキュリティ", 6)
	var secs []docgen.Section
	for _, tab := range []string{"", "a/b:c*d?[e]", long, long, "'引用'", "本編", "本編", "History"} {
		secs = append(secs, docgen.Section{Tab: tab, Blocks: []docgen.Block{docgen.P("x")}})
	}
	_, f := render(t, &docgen.Document{Sections: secs}, Options{})
	names := f.GetSheetList()
	if len(names) != len(secs) {
		t.Fatalf("sheets = %v", names)
	}
	seen := map[string]bool{}
	for _, n := range names {
		if utf8.RuneCountInString(n) > 31 || strings.ContainsAny(n, `[]:*?/\`) || strings.HasPrefix(n, "'") || seen[strings.ToLower(n)] {
			t.Errorf("bad sheet name %q", n)
		}
		seen[strings.ToLower(n)] = true
	}
	if names[0] != "シート1" || names[5] != "本編" || names[6] != "本編(2)" {
		t.Errorf("names = %v", names)
	}
}

func TestWideAndEmpty(t *testing.T) {
	// no sections at all still makes a valid workbook
	_, f := render(t, &docgen.Document{}, Options{})
	if len(f.GetSheetList()) != 1 {
		t.Errorf("sheets = %v", f.GetSheetList())
	}
	// 40 columns of long text: widths capped, fit to one page wide
	var head, body docgen.Row
	for i := range 40 {
		head.Cells = append(head.Cells, docgen.C(fmt.Sprintf("項目%d", i+1)))
		body.Cells = append(body.Cells, docgen.C(strings.Repeat("長い説明文", 20)))
	}
	d := &docgen.Document{Sections: []docgen.Section{{Orientation: docgen.Landscape, Tab: "広い表", Blocks: []docgen.Block{
		docgen.Table{HeaderRows: 1, Rows: []docgen.Row{head, body, body}}, docgen.PageBreak{}, docgen.ApprovalBox{Titles: []string{"課長", "係長", "担当"}},
	}}}}
	_, f = render(t, d, Options{})
	for _, col := range []string{"A", "T", "AN"} {
		if w, _ := f.GetColWidth("広い表", col); w > maxColWidth+0.01 || w < minColWidth {
			t.Errorf("col %s width %.1f", col, w)
		}
	}
	if v, _ := f.GetCellValue("広い表", "AN1"); v != "項目40" {
		t.Errorf("AN1 = %q", v)
	}
	pl, _ := f.GetPageLayout("広い表")
	if *pl.FitToWidth != 1 || *pl.Orientation != "landscape" {
		t.Errorf("layout %+v", pl)
	}
	find(t, f, "広い表（続き）", "担当")
}

// TestLibreOffice converts the sample to PDF with LibreOffice and checks
// the Japanese text survives: a generated file that LibreOffice cannot open
// must stop the build, so a missing soffice or pdftotext fails in CI.
func TestLibreOffice(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	testkit.Tool(t, "soffice")
	testkit.Tool(t, "pdftotext")
	dir := t.TempDir()
	var buf bytes.Buffer
	if err := Render(&buf, sample.Sample()); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "sample.xlsx")
	if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s := testkit.PDFLayoutText(t, testkit.Convert(t, in, "pdf"))
	for _, want := range []string{"文書生成の見本", "指摘事項", "戸籍住民課", "取扱注意", "横向きの表"} {
		if !strings.Contains(s, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if !regexp.MustCompile(`-\s*1\s*-`).MatchString(s) {
		t.Errorf("no page number footer in PDF text")
	}
}

// BenchmarkXLSX100 renders the 100-page report (two 1,000-row tables of
// wrapped Japanese cells and 20 charts).
func BenchmarkXLSX100(b *testing.B) {
	d := sample.Report(100)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := Render(&buf, d); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size)/1024, "KB")
}

func TestChartsAndImages(t *testing.T) {
	var blocks []docgen.Block
	for k := chart.Bar; k <= chart.Donut; k++ {
		blocks = append(blocks, docgen.Chart{Caption: fmt.Sprintf("図%d", k+1), Chart: chart.Chart{Kind: k, Title: "指摘件数", Unit: "件", ValueLabel: true, Legend: k%2 == 0,
			Categories: []string{"戸籍住民課", "=税務課"}, Series: []chart.Series{{Name: "令和7年度", Values: []float64{5, 3}}, {Values: []float64{1}}}}})
	}
	blocks = append(blocks, docgen.Chart{Chart: chart.Chart{Kind: chart.Bar}})
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	var pngBuf bytes.Buffer
	_ = png.Encode(&pngBuf, img)
	blocks = append(blocks, docgen.Image{Data: pngBuf.Bytes(), Width: 40, Caption: "写真1"}, docgen.Image{Data: []byte("not an image")},
		docgen.Paragraph{Runs: []docgen.Run{docgen.T("報告は"), {Text: "30日", Change: docgen.Deleted}, {Text: "15日", Change: docgen.Inserted}, docgen.T("以内")}},
		docgen.List{Ordered: true, Items: []docgen.ListItem{{Runs: []docgen.Run{docgen.T("一")}}, {Level: 1, Runs: []docgen.Run{docgen.T("二")}}}})
	data, f := render(t, &docgen.Document{Meta: docgen.Meta{PageNumbers: docgen.PageOfTotal}, Sections: []docgen.Section{{Blocks: blocks}}}, Options{})
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	charts, media := 0, 0
	for _, zf := range zr.File {
		switch {
		case strings.HasPrefix(zf.Name, "xl/charts/chart"):
			charts++
		case strings.HasPrefix(zf.Name, "xl/media/"):
			media++
		}
	}
	if charts != 7 || media != 1 { // the heatmap is a coloured grid, not a chart
		t.Errorf("charts %d media %d", charts, media)
	}
	find(t, f, "シート1", "=税務課")
	find(t, f, "シート1", "報告は30日15日以内")
	find(t, f, "シート1", "データがありません")
	hf, _ := f.GetHeaderFooter("シート1")
	if !strings.Contains(hf.OddFooter, "&P / &N") {
		t.Errorf("footer %q", hf.OddFooter)
	}
	assertNoFormulas(t, f)
}
