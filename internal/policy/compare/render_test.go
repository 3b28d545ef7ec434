package compare

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"mamori/internal/docgen"
	"mamori/internal/docgen/docx"
	"mamori/internal/docgen/fonts"
	"mamori/internal/docgen/html"
	"mamori/internal/docgen/pdf"
	"mamori/internal/docgen/xlsx"
	"mamori/internal/policy/provision"
	"mamori/internal/testkit"
)

var when = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// outDir keeps the rendered files for looking at when
// MAMORI_COMPARE_OUT is set (PNG pages too, via pdftoppm).
func outDir(t *testing.T) string {
	if d := os.Getenv("MAMORI_COMPARE_OUT"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func needFonts(t testing.TB) {
	t.Helper()
	if _, err := fonts.Load(); errors.Is(err, fonts.ErrMissing) {
		testkit.Missing(t, "日本語フォント（internal/docgen/fonts）", "make fonts（scripts/fonts.sh）を実行してからビルド")
	}
}

// pngPages writes a PDF's pages as PNG files next to it when
// MAMORI_COMPARE_OUT asks to keep the rendered files.
func pngPages(t *testing.T, pdf, base string) {
	t.Helper()
	if os.Getenv("MAMORI_COMPARE_OUT") == "" {
		return
	}
	if out, err := exec.Command(testkit.Tool(t, "pdftoppm"), "-r", "60", "-png", pdf, base).CombinedOutput(); err != nil {
		t.Errorf("pdftoppm: %v\n%s", err, out)
	}
}

// revision is a revision touching most kinds of change at once: an
// article inserted (later ones renumbered), one deleted, a particle, a
// number, a table-like provision and punctuation changed.
func revision() (old, new *provision.Document) {
	n := replace(base, block(base, 3), block(base, 3)+loan)
	n = replace(n, block(base, 6), "")
	n = replace(n, "データを復元", "データが復元", "30日以内", "15日以内", "（2）　機密性2の情報　5年", "（2）　機密性2の情報　7年",
		"パソコン、タブレット端末、プリンタ", "パソコン・タブレット端末・プリンタ", "第2章　管理\n", "第2章　管理及び文書\n")
	return readDrafting(base), readDrafting(renumber(n))
}

func renderPDF(t *testing.T, d *docgen.Document, path string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := pdf.Render(&buf, d); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	text := testkit.PDFLayoutText(t, path)
	pngPages(t, path, strings.TrimSuffix(path, ".pdf"))
	return text
}

func flat(s string) string { return strings.Join(strings.Fields(s), "") }

func TestTablePDF(t *testing.T) {
	needFonts(t)
	dir := outDir(t)
	old, new := revision()
	r := Compare(old, new, Options{})
	for _, c := range []struct {
		name string
		opt  TableOptions
		want []string
		not  []string
	}{
		{"table-full", TableOptions{Title: "ひので区情報機器管理規程 新旧対照表", Date: when},
			[]string{"ひので区情報機器管理規程新旧対照表", "令和8年11月26日", "（傍線部分は改正部分）", "改正後", "改正前", "（貸出し）", "第4条管理者は、職員に", "（新設）", "（削除）",
				"記録媒体のデータが復元", "記録媒体のデータを復元", "15日以内", "30日以内",
				"（目的）（目的）第1条この規程は", "（定義）（定義）第2条この規程において"}, nil},
		{"table-omit", TableOptions{Title: "ひので区情報機器管理規程 新旧対照表", Date: when, OmitSame: true, Remarks: true},
			[]string{"備考", "第1条（略）第1条（略）", "第3条（略）第3条（略）", "（変更）", "（新設）", "（削除）", "（持出し）（持出し）",
				"第5条（略）第4条（略）", "（1）（略）"},
			[]string{"（目的）", "この規程は"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			layout := renderPDF(t, Table(r, c.opt), filepath.Join(dir, c.name+".pdf"))
			checkDrafting(t, layout, c.opt.Title)
			text := flat(layout)
			for _, w := range c.want {
				if w != "" && !strings.Contains(text, flat(w)) {
					t.Errorf("PDF lacks %q", w)
				}
			}
			for _, w := range c.not {
				if strings.Contains(text, flat(w)) {
					t.Errorf("PDF has %q although unchanged provisions are omitted", w)
				}
			}
		})
	}
}

// checkDrafting checks a 新旧対照表's PDF text (pdftotext -layout) for
// the drafting style: every article's 見出し on its own line right above
// 「第N条」 (on both sides), and a running header without the title.
func checkDrafting(t *testing.T, layout, title string) {
	t.Helper()
	pages := strings.Split(strings.TrimRight(layout, "\f"), "\f")
	for i, p := range pages {
		for _, l := range strings.Split(p, "\n") {
			if l = flat(l); l != "" {
				if l != "新旧対照表" {
					t.Errorf("page %d: running header %q, want the tab 新旧対照表 alone", i+1, l)
				}
				break
			}
		}
	}
	var lines []string
	for _, l := range strings.Split(layout, "\n") {
		if l = flat(l); l != "" {
			lines = append(lines, l)
		}
	}
	captions := 0
	for i, l := range lines {
		if i+1 < len(lines) && strings.HasPrefix(l, "（") && strings.HasSuffix(l, "）") && !strings.Contains(l, "略") &&
			reArticleStart.MatchString(lines[i+1]) {
			captions++
		}
		if reCaptionAfterNumber.MatchString(l) {
			t.Errorf("見出し printed on the article's line: %q", l)
		}
	}
	if captions == 0 {
		t.Errorf("no 見出し line right above a 「第N条」 line in:\n%s", strings.Join(lines, "\n"))
	}
}

var (
	reArticleStart       = regexp.MustCompile(`^第[0-9０-９]+条`)
	reCaptionAfterNumber = regexp.MustCompile(`第[0-9０-９]+条（[^略）]+）`)
)

// TestTableLong checks a multi-page 新旧対照表: the header row is on every
// page.
func TestTableLong(t *testing.T) {
	needFonts(t)
	if testing.Short() {
		t.Skip("short mode")
	}
	old, new, _, _ := GeneratePair(40000, 40, 7)
	r := Compare(old, new, Options{})
	text := renderPDF(t, Table(r, TableOptions{Title: "性能測定用 新旧対照表", Date: when, Remarks: true}), filepath.Join(outDir(t), "table-long.pdf"))
	pages := strings.Split(strings.TrimRight(text, "\f"), "\f")
	if len(pages) < 5 {
		t.Fatalf("only %d pages", len(pages))
	}
	for i, p := range pages {
		if !strings.Contains(flat(p), "改正後改正前備考") {
			t.Errorf("page %d lacks the header row", i+1)
		}
	}
}

func TestTableIdentical(t *testing.T) {
	needFonts(t)
	d := readDrafting(base)
	r := Compare(d, d, Options{})
	doc := Table(r, TableOptions{Title: "新旧対照表", Date: when})
	for _, s := range doc.Sections {
		for _, b := range s.Blocks {
			if _, ok := b.(docgen.Table); ok {
				t.Error("identical documents must not get a table")
			}
		}
	}
	text := flat(renderPDF(t, doc, filepath.Join(outDir(t), "table-identical.pdf")))
	if !strings.Contains(text, "相違する部分はありません") {
		t.Errorf("no statement of identity in %q", text)
	}
}

func TestTableDOCXXLSXHTML(t *testing.T) {
	old, new := revision()
	doc := Table(Compare(old, new, Options{}), TableOptions{Title: "新旧対照表", Date: when, Remarks: true})
	dir := outDir(t)

	var dx bytes.Buffer
	if err := docx.Render(&dx, doc); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "table.docx"), dx.Bytes(), 0o644)
	body := docxPart(t, dx.Bytes(), "word/document.xml")
	for _, w := range []string{"<w:tblHeader/>", "w:orient=\"landscape\"", "<w:u w:val=\"single\"/>", "改正前", "（傍線部分は改正部分）",
		// 「２　」 hangs: 2 em at 10 pt = 400 twips
		`<w:ind w:left="400" w:hanging="400"/>`} {
		if !strings.Contains(body, w) {
			t.Errorf("DOCX lacks %s", w)
		}
	}
	for _, name := range []string{"word/header1.xml", "word/header2.xml"} {
		if h := docxPartIf(dx.Bytes(), name); strings.Contains(h, "新旧対照表") && strings.Count(h, "新旧対照表") > 1 {
			t.Errorf("DOCX header %s repeats the title: %s", name, h)
		}
	}

	var xb bytes.Buffer
	if err := xlsx.Render(&xb, doc); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "table.xlsx"), xb.Bytes(), 0o644)
	f, err := excelize.OpenReader(&xb)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var all strings.Builder
	for _, sh := range f.GetSheetList() {
		rows, _ := f.GetRows(sh)
		for _, row := range rows {
			all.WriteString(strings.Join(row, "|") + "\n")
		}
	}
	for _, w := range []string{"改正後|改正前|備考", "（貸出し）\n第4条　管理者は", "（新設）", "記録媒体のデータが復元"} {
		if !strings.Contains(all.String(), w) {
			t.Errorf("XLSX lacks %q", w)
		}
	}
	// the title and the date once, not also in rows of their own above
	for _, w := range []string{"新旧対照表\n", "令和8年11月26日"} {
		if n := strings.Count(all.String(), w); n != 1 {
			t.Errorf("XLSX has %q %d times, want once:\n%s", w, n, all.String())
		}
	}
	for _, sh := range f.GetSheetList() {
		if hf, err := f.GetHeaderFooter(sh); err == nil && hf != nil && strings.Contains(hf.OddHeader, "&C") {
			t.Errorf("XLSX sheet %s header repeats the title: %q", sh, hf.OddHeader)
		}
	}

	var hb bytes.Buffer
	if err := html.Render(&hb, doc); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(hb.String(), "改正後") || !strings.Contains(hb.String(), "15日") {
		t.Error("HTML lacks the table")
	}
}

// docxPartIf is a part of a DOCX, "" when it has none.
func docxPartIf(data []byte, name string) string {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return ""
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				return ""
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			return string(b)
		}
	}
	return ""
}

func docxPart(t *testing.T, data []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			return string(b)
		}
	}
	t.Fatalf("no %s in the DOCX", name)
	return ""
}

// trackedText reads document.xml and returns the non-empty paragraphs as
// they read with all changes accepted, and with all changes rejected,
// plus the counts of w:ins and w:del elements.
func trackedText(t *testing.T, body string) (accepted, rejected []string, ins, del int) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(body))
	var inIns, inDel, inText bool
	var acc, rej strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "ins":
				inIns = true
				ins++
			case "del":
				inDel = true
				del++
			case "t", "delText":
				inText = true
			case "p":
				acc.Reset()
				rej.Reset()
			}
		case xml.EndElement:
			switch e.Name.Local {
			case "ins":
				inIns = false
			case "del":
				inDel = false
			case "t", "delText":
				inText = false
			case "p":
				if s := acc.String(); s != "" {
					accepted = append(accepted, s)
				}
				if s := rej.String(); s != "" {
					rejected = append(rejected, s)
				}
			}
		case xml.CharData:
			if !inText {
				continue
			}
			if !inDel {
				acc.Write(e)
			}
			if !inIns {
				rej.Write(e)
			}
		}
	}
	return accepted, rejected, ins, del
}

func docLines(d *provision.Document) []string {
	var out []string
	for _, n := range d.Nodes {
		out = append(out, n.Lines()...)
	}
	return out
}

// suffixOf reports whether want is the tail of got (the redline starts
// with its title and a note).
func suffixOf(got, want []string) bool {
	if len(got) < len(want) {
		return false
	}
	got = got[len(got)-len(want):]
	for i := range want {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

// TestRedlineDOCX checks the tracked changes: accepting them all gives the
// new text, rejecting them all gives the old text, line for line.
func TestRedlineDOCX(t *testing.T) {
	cases := map[string][2]*provision.Document{}
	o, n := revision()
	cases["revision"] = [2]*provision.Document{o, n}
	for _, c := range goldenCases() {
		o, n := c.documents(t)
		cases[c.name] = [2]*provision.Document{o, n}
	}
	for name, pair := range cases {
		t.Run(name, func(t *testing.T) {
			r := Compare(pair[0], pair[1], Options{})
			doc := Redline(r, "ひので区情報機器管理規程（見え消し版）", "情報政策課", when)
			var buf bytes.Buffer
			if err := docx.Render(&buf, doc); err != nil {
				t.Fatal(err)
			}
			body := docxPart(t, buf.Bytes(), "word/document.xml")
			acc, rej, ins, del := trackedText(t, body)
			if !suffixOf(acc, docLines(pair[1])) {
				t.Errorf("accepting every change does not give the new text:\n%s\n---\n%s", strings.Join(acc, "\n"), strings.Join(docLines(pair[1]), "\n"))
			}
			if !suffixOf(rej, docLines(pair[0])) {
				t.Errorf("rejecting every change does not give the old text:\n%s\n---\n%s", strings.Join(rej, "\n"), strings.Join(docLines(pair[0]), "\n"))
			}
			if name == "identical" {
				if ins+del != 0 {
					t.Errorf("identical documents have %d insertions and %d deletions", ins, del)
				}
			} else if ins+del == 0 {
				t.Error("no tracked changes")
			}
			if name == "particle" && (!strings.Contains(body, `<w:delText xml:space="preserve">を</w:delText>`) || !strings.Contains(body, "w:author=\"情報政策課\"")) {
				t.Error("the particle change is not a tracked change by 情報政策課")
			}
		})
	}
}

// TestRedlineLibreOffice opens the redline DOCX in LibreOffice (converted
// to PDF) and checks both the deleted and the inserted text are there.
func TestRedlineLibreOffice(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	testkit.Tool(t, "soffice")
	testkit.Tool(t, "pdftotext")
	dir := outDir(t)
	old, new := revision()
	r := Compare(old, new, Options{})
	files := map[string]*docgen.Document{
		"redline": Redline(r, "ひので区情報機器管理規程（見え消し版）", "情報政策課", when),
		"table":   Table(r, TableOptions{Title: "ひので区情報機器管理規程 新旧対照表", Date: when, OmitSame: true, Remarks: true}),
	}
	for name, d := range files {
		var buf bytes.Buffer
		if err := docx.Render(&buf, d); err != nil {
			t.Fatal(err)
		}
		in := filepath.Join(dir, "lo-"+name+".docx")
		if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		pdfPath := testkit.Convert(t, in, "pdf")
		text := flat(testkit.PDFLayoutText(t, pdfPath))
		want := map[string][]string{
			"redline": {"見え消し版", "データをが復元", "30日15日", "第4条（貸出し）", "第6条（点検）"},
			"table":   {"改正後", "改正前", "（略）", "15日以内"},
		}[name]
		for _, w := range want {
			if !strings.Contains(text, flat(w)) {
				t.Errorf("%s.pdf (LibreOffice) lacks %q", name, w)
			}
		}
		pngPages(t, pdfPath, filepath.Join(dir, "lo-"+name))
	}
}

func TestRedlineAndCleanPDF(t *testing.T) {
	needFonts(t)
	dir := outDir(t)
	old, new := revision()
	r := Compare(old, new, Options{})
	text := flat(renderPDF(t, Redline(r, "ひので区情報機器管理規程（見え消し版）", "情報政策課", when), filepath.Join(dir, "redline.pdf")))
	for _, w := range []string{"見え消し版", "取消線は削除する部分", "データをが復元", "第4条（貸出し）", "第6条（点検）"} {
		if !strings.Contains(text, flat(w)) {
			t.Errorf("redline PDF lacks %q", w)
		}
	}
	text = flat(renderPDF(t, Clean(new, ""), filepath.Join(dir, "clean.pdf")))
	for _, l := range docLines(new) {
		if !strings.Contains(text, flat(l)) {
			t.Errorf("clean PDF lacks %q", l)
		}
	}
	if strings.Contains(text, flat("（点検）")) {
		t.Error("clean PDF shows the deleted article")
	}
}

// TestTableTallRow: a provision taller than a page continues on the next
// page under the repeated header (the docgen PDF renderer splits only
// such rows, between lines).
func TestTableTallRow(t *testing.T) {
	needFonts(t)
	var long strings.Builder
	long.WriteString("第8条（長い規定）\n管理者は、次に定めるところにより情報機器を管理しなければならない。\n")
	for i := 2; i <= 40; i++ {
		long.WriteString(fullDigits(i) + "　管理者は、所管する情報機器について、設置場所、利用者、保守の状況及び廃棄の予定を確認し、その結果を台帳に記録しなければならない。\n")
	}
	oldText := replace(base, "附　則\n", long.String()+"附　則\n")
	newText := replace(oldText, "その結果を台帳に記録しなければならない。\n４０", "その結果を台帳に速やかに記録しなければならない。\n４０")
	r := Compare(readDrafting(oldText), readDrafting(newText), Options{})
	if len(r.Changed()) != 1 {
		t.Fatalf("changed rows: %d", len(r.Changed()))
	}
	text := renderPDF(t, Table(r, TableOptions{Title: "長い規定の新旧対照表", Date: when}), filepath.Join(outDir(t), "table-tall.pdf"))
	pages := strings.Split(strings.TrimRight(text, "\f"), "\f")
	if len(pages) < 3 {
		t.Fatalf("%d pages; the 40-paragraph article should run over pages", len(pages))
	}
	first, last := -1, -1
	for i, p := range pages {
		if !strings.Contains(flat(p), "改正後改正前") {
			t.Errorf("page %d lacks the repeated header", i+1)
		}
		if strings.Contains(flat(p), "（長い規定）（長い規定）第8条") && first < 0 {
			first = i
		}
		if strings.Contains(flat(p), flat("４０　管理者は")) {
			last = i
		}
	}
	if first < 0 || last <= first {
		t.Errorf("article starts on page %d and ends on page %d", first+1, last+1)
	}
}

// TestOmitName checks how runs of omitted provisions are named.
func TestOmitName(t *testing.T) {
	art := func(n int) *provision.Node {
		return &provision.Node{Kind: provision.Article, Num: n, Label: "第" + strconv.Itoa(n) + "条"}
	}
	for _, c := range []struct {
		nodes []*provision.Node
		want  string
	}{
		{nil, ""},
		{[]*provision.Node{art(1)}, "第1条　"},
		{[]*provision.Node{art(1), art(2)}, "第1条・第2条　"},
		{[]*provision.Node{art(5), art(6), art(7), art(8)}, "第5条～第8条　"},
		{[]*provision.Node{art(5), art(6), art(7), {Kind: provision.Supplementary}}, "第5条～第7条・附　則　"},
		{[]*provision.Node{{Kind: provision.Text, Text: "前文"}}, ""},
	} {
		if got := omitName(c.nodes); got != c.want {
			t.Errorf("omitName(%d nodes) = %q, want %q", len(c.nodes), got, c.want)
		}
	}
}

// TestTableDraftingCells checks the cells of an omitting 新旧対照表 in
// the drafting style: named （略） rows and lines, the 見出し above
// 「第N条」, and the hanging indents the engines get.
func TestTableDraftingCells(t *testing.T) {
	const text = "第1章　総則\n第1条（目的）\nこの規程は、目的を定める。\n第2条（定義）\nこの規程において、次に掲げる用語の意義は、それぞれ定めるところによる。\n" +
		"（1）　甲　甲をいう。\n（2）　乙　乙をいう。\n（3）　丙　丙をいう。\n（4）　丁　丁をいう。\n（5）　戊　戊をいう。\n" +
		"第3条（甲）\n甲は、甲とする。\n第4条（乙）\n乙は、乙とする。\n第5条（丙）\n丙は、丙とする。\n附　則\nこの規程は、令和8年4月1日から施行する。\n"
	r := Compare(readDrafting(text), readDrafting(replace(text, "丁　丁をいう", "丁　丁及び戊をいう")), Options{})
	d := Table(r, TableOptions{Title: "新旧対照表", OmitSame: true})
	if !d.Meta.TitleInBody {
		t.Error("the running header would repeat the title")
	}
	tb := d.Sections[0].Blocks[len(d.Sections[0].Blocks)-1].(docgen.Table)
	var got []string
	for _, row := range tb.Rows[tb.HeaderRows:] {
		got = append(got, cellText(row.Cells[0]))
		if cellText(row.Cells[0]) != cellText(row.Cells[1]) && !strings.Contains(cellText(row.Cells[0]), "丁及び戊") {
			t.Errorf("sides differ: %q | %q", cellText(row.Cells[0]), cellText(row.Cells[1]))
		}
	}
	want := []string{
		"　　　第1章　総則\n第1条　（略）",
		"　（定義）\n第2条　（略）\n　（1）～（3）　（略）\n　（4）　丁　丁及び戊をいう。\n　（5）　（略）",
		"第3条～第5条・附　則　（略）",
	}
	if strings.Join(got, "\n---\n") != strings.Join(want, "\n---\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n---\n"), strings.Join(want, "\n---\n"))
	}
	// hanging: 見出し by its indent, 「第2条　」 by 4, 「　（4）　」 by 5
	if h := tb.Rows[2].Cells[0].Hang; fmt.Sprint(h) != "[1 4 0 5 0]" {
		t.Errorf("hang %v", h)
	}
}
