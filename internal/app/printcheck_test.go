package app

// The print check: every document kind the program produces (the sample,
// the catalogue's printed checklists and spreadsheet, and each module's
// deliverables of the demo year) is rendered as it is printed — PDFs as
// Mamori writes them, XLSX through LibreOffice in one batch — read back
// with poppler and, when MAMORI_SHOTS is set, turned into PNG pages in
// MAMORI_SHOTS/print to look at. It fails on a number cut across two lines, text printed
// under 8 pt from a spreadsheet, text outside its page (a table wider than
// the page), a line that starts with a character Japanese line breaking
// forbids there, and a DOCX contents entry without its cached page
// number.

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"context"
	"encoding/xml"
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
	"unicode/utf8"

	"mamori/internal/auth"
	"mamori/internal/catalog"
	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
	"mamori/internal/docgen/pdf"
	"mamori/internal/docgen/sample"
	"mamori/internal/jp"
	"mamori/internal/testkit"
)

// checkPages is how many pages of each file the text checks read (every
// kind of table and paragraph appears in the first pages; the number
// check covers every page as it is laid out).
const checkPages = "25"

// minPrintedPt is the smallest text a printed spreadsheet may carry.
const minPrintedPt = 8.0

// noLineStart are the characters no printed line may start with (行頭禁則:
// closing brackets, punctuation, small kana, the prolonged sound mark).
// ・ is left out: lists in table cells start their lines with it.
const noLineStart = "、。，．）」』】〕〉》ーゝゞヽヾ々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ！？：；"

func TestPrintCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("short: renders every document kind")
	}
	for _, tool := range []string{"pdftotext", "soffice"} {
		testkit.Tool(t, tool)
	}
	start := time.Now()
	dir := t.TempDir()
	t.Setenv("MAMORI_DATA", dir)
	t.Setenv("MAMORI_DB", "")
	ctx := context.Background()
	opts := Options{Argon: auth.ArgonParams{Memory: 8 * 1024, Time: 1, Threads: 1},
		Now: func() time.Time { return time.Date(2026, 10, 1, 10, 0, 0, 0, jp.JST) }}
	var out, errb bytes.Buffer
	c := CLI{Stdout: &out, Stderr: &errb, Options: opts}
	if code := Run(ctx, []string{"demo"}, c); code != 0 {
		t.Fatalf("demo: %s", errb.String())
	}
	a, err := c.open(ctx, loadConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	items, err := a.yearDeliverables(ctx, 2026, nil)
	if err != nil || len(items) == 0 {
		t.Fatalf("deliverables: %d %v", len(items), err)
	}
	type doc struct {
		name    string
		d       *docgen.Document
		formats []string
	}
	docs := []doc{{"sample", sample.Sample(), []string{"pdf", "xlsx", "docx"}}}
	for i, it := range items {
		docs = append(docs, doc{fmt.Sprintf("%02d", i+1), it.Doc, it.Formats})
	}

	out2 := filepath.Join(dir, "print")
	if err := os.MkdirAll(out2, 0o755); err != nil {
		t.Fatal(err)
	}
	var pdfs, sheets []string
	titles := map[string]string{} // sheet path → document title
	docxs := 0
	for _, d := range docs {
		for _, f := range d.formats {
			p := filepath.Join(out2, d.name+"."+f)
			var buf bytes.Buffer
			switch f {
			case "pdf":
				err = pdf.RenderWith(&buf, d.d, pdf.Options{OnSplit: func(w string) {
					if strings.ContainsAny(w, "0123456789") {
						t.Errorf("%s（%s）: the number %q is split across two lines", d.name, d.d.Meta.Title, w)
					}
				}})
				pdfs = append(pdfs, p)
			case "xlsx":
				err = formats.XLSX.Render(&buf, d.d)
				sheets = append(sheets, p)
				titles[p] = d.d.Meta.Title
			case "docx":
				// read as written, without an office program: the
				// contents' cached page numbers are what Word and
				// LibreOffice show before any field update
				if err = formats.DOCX.Render(&buf, d.d); err == nil {
					docxs++
					for _, e := range docxContentsErrors(d.d, buf.Bytes()) {
						t.Errorf("%s.docx（%s）: %s", d.name, d.d.Meta.Title, e)
					}
				}
			default:
				continue
			}
			if err != nil {
				t.Fatalf("%s.%s: %v", d.name, f, err)
			}
			if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// the catalogue's spreadsheet in the ward's layout (the file the issue
	// found printing at 3.8 pt), as the export writes it
	st := catalog.NewStore(a.DB)
	ts, err := st.Templates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tpl := range ts {
		if tpl.Kind != "cloud" {
			continue
		}
		its, err := st.Items(ctx, catalog.ItemFilter{TemplateID: tpl.ID})
		if err != nil {
			t.Fatal(err)
		}
		its = its[:min(len(its), 20)] // the layout, not the length, is checked
		var buf bytes.Buffer
		if err := catalog.WriteChecklistXLSX(&buf, catalog.ChecklistDocument(tpl, its, "ひので区")); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(out2, "checklist.xlsx")
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		sheets = append(sheets, p)
	}

	t.Logf("rendered in %s", time.Since(start).Round(100*time.Millisecond))

	shots := ""
	if d := os.Getenv("MAMORI_SHOTS"); d != "" {
		shots = filepath.Join(d, "print")
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Mamori's PDFs are read while LibreOffice prints the spreadsheets.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, p := range pdfs {
			name := filepath.Base(p)
			o, err := exec.Command("pdftotext", "-l", checkPages, "-enc", "UTF-8", p, "-").Output()
			if err != nil {
				t.Errorf("pdftotext %s: %v", name, err)
				continue
			}
			checkLineStarts(t, name, string(o))
			checkInsidePage(t, name, p)
			shot(t, shots, name, p)
		}
	}()
	// spreadsheets as LibreOffice prints them, in one batch; the line
	// breaking inside their cells is the office program's, not checked here
	printed := testkit.ConvertAll(t, sheets, "pdf")
	for i, p := range printed {
		name := "xlsx-" + filepath.Base(p)
		minPt, pages := printedSizes(t, p)
		t.Logf("%s（%s）: %d pages, smallest text %.1f pt", filepath.Base(sheets[i]), titles[sheets[i]], pages, minPt)
		if minPt < minPrintedPt {
			t.Errorf("%s（%s）prints text at %.1f pt (under %.0f pt)", filepath.Base(sheets[i]), titles[sheets[i]], minPt, minPrintedPt)
		}
		checkInsidePage(t, name, p)
		shot(t, shots, name, p)
	}
	<-done
	t.Logf("%d PDFs, %d spreadsheets and %d DOCX checked in %s", len(pdfs), len(sheets), docxs, time.Since(start).Round(time.Second))
}

// shot renders the first pages of a PDF as PNG pictures (what a person
// looks at).
func shot(t *testing.T, dir, name, path string) {
	if dir == "" {
		return
	}
	prefix := filepath.Join(dir, strings.TrimSuffix(name, ".pdf"))
	if o, err := exec.Command("pdftoppm", "-r", "60", "-png", "-l", "2", path, prefix).CombinedOutput(); err != nil {
		t.Errorf("pdftoppm %s: %v %s", name, err, o)
	}
}

// checkLineStarts fails on a printed line that starts with a character
// Japanese line breaking keeps off the start of a line.
func checkLineStarts(t *testing.T, name, text string) {
	bad := 0
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimLeft(line, " \u3000\f")
		r, _ := utf8.DecodeRuneInString(line)
		if line != "" && strings.ContainsRune(noLineStart, r) {
			if bad < 5 {
				t.Errorf("%s: a line starts with 「%c」: %q", name, r, testkit.Truncate(line, 40))
			}
			bad++
		}
	}
}

var (
	pageRe = regexp.MustCompile(`<page width="([0-9.]+)" height="([0-9.]+)">`)
	wordRe = regexp.MustCompile(`<word xMin="([-0-9.]+)" yMin="([-0-9.]+)" xMax="([-0-9.]+)" yMax="([-0-9.]+)">([^<]*)</word>`)
)

// checkInsidePage fails when a word lies (partly) outside its page: a
// table wider than the page, or text run off its edge.
func checkInsidePage(t *testing.T, name, path string) {
	o, err := exec.Command("pdftotext", "-l", checkPages, "-bbox", path, "-").Output()
	if err != nil {
		t.Errorf("pdftotext -bbox %s: %v", name, err)
		return
	}
	var w, h float64
	bad := 0
	for _, line := range strings.Split(string(o), "\n") {
		if m := pageRe.FindStringSubmatch(line); m != nil {
			w, _ = strconv.ParseFloat(m[1], 64)
			h, _ = strconv.ParseFloat(m[2], 64)
			continue
		}
		m := wordRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		x0, _ := strconv.ParseFloat(m[1], 64)
		y0, _ := strconv.ParseFloat(m[2], 64)
		x1, _ := strconv.ParseFloat(m[3], 64)
		y1, _ := strconv.ParseFloat(m[4], 64)
		if x0 < 0 || y0 < 0 || x1 > w+0.5 || y1 > h+0.5 {
			if bad < 3 {
				t.Errorf("%s: %q lies outside its %.0f×%.0f pt page (%.0f,%.0f–%.0f,%.0f)", name, m[5], w, h, x0, y0, x1, y1)
			}
			bad++
		}
	}
}

var (
	contentsRe = regexp.MustCompile(`/Contents (\d+) 0 R`)
	tfRe       = regexp.MustCompile(`([0-9.]+) Tf`)
)

// printedSizes reads a LibreOffice PDF's page content streams and returns
// the smallest font size set on any page and the page count. LibreOffice writes the size a sheet prints at,
// its fit-to-width scale applied, in each Tf.
func printedSizes(t *testing.T, path string) (float64, int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	minPt, pages := 1000.0, 0
	for _, m := range contentsRe.FindAllSubmatch(data, -1) {
		pages++
		obj := regexp.MustCompile(`(?s)(?:^|[^0-9])` + string(m[1]) + ` 0 obj.*?stream\r?\n`).FindIndex(data)
		if obj == nil {
			t.Fatalf("%s: no object %s", path, m[1])
		}
		zr, err := zlib.NewReader(bytes.NewReader(data[obj[1]:]))
		if err != nil {
			t.Fatalf("%s: page %d: %v", path, pages, err)
		}
		raw, _ := io.ReadAll(zr) // the stream is followed by other bytes: an unexpected EOF is expected
		for _, tf := range tfRe.FindAllSubmatch(raw, -1) {
			if v, err := strconv.ParseFloat(string(tf[1]), 64); err == nil && v > 0 {
				minPt = min(minPt, v)
			}
		}
	}
	return minPt, pages
}

// docxContentsErrors reads a DOCX's word/document.xml as Word and
// LibreOffice open it, before any field update, and says what is wrong
// with its contents: an entry whose page number (the cached result of its
// PAGEREF field) is empty, or no entries where the document asks for
// contents.
func docxContentsErrors(d *docgen.Document, data []byte) []string {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return []string{err.Error()}
	}
	f, err := zr.Open("word/document.xml")
	if err != nil {
		return []string{err.Error()}
	}
	defer f.Close()
	var errs []string
	entries, empty := 0, 0
	inRef, cached, num := false, false, ""
	dec := xml.NewDecoder(f)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return append(errs, "word/document.xml: "+err.Error())
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch el.Name.Local {
		case "fldChar":
			typ := attr(el, "fldCharType")
			switch {
			case inRef && typ == "separate":
				cached = true
			case inRef && typ == "end":
				entries++
				if strings.TrimSpace(num) == "" {
					if empty < 3 {
						errs = append(errs, fmt.Sprintf("contents entry %d has no page number", entries))
					}
					empty++
				}
				inRef, cached, num = false, false, ""
			}
		case "instrText":
			var instr string
			if dec.DecodeElement(&instr, &el) == nil && strings.Contains(instr, "PAGEREF") {
				inRef, cached, num = true, false, ""
			}
		case "t":
			var text string
			if dec.DecodeElement(&text, &el) == nil && cached {
				num += text
			}
		}
	}
	if empty > 3 {
		errs = append(errs, fmt.Sprintf("%d contents entries in all have no page number", empty))
	}
	if d.TOC && entries == 0 && hasContents(d) {
		errs = append(errs, "the document asks for contents, the DOCX has no contents entries")
	}
	return errs
}

// TestDOCXContentsCheck: the print check's DOCX reading finds the
// sample's contents numbers, and an entry whose number is emptied.
func TestDOCXContentsCheck(t *testing.T) {
	d := sample.Sample()
	var buf bytes.Buffer
	if err := formats.DOCX.Render(&buf, d); err != nil {
		t.Fatal(err)
	}
	if errs := docxContentsErrors(d, buf.Bytes()); len(errs) != 0 {
		t.Fatalf("the sample DOCX: %q", errs)
	}
	// the same package with the second entry's cached number removed
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	ref := regexp.MustCompile(`(PAGEREF [^<]*</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r>(?:<w:rPr>.*?</w:rPr>)?<w:t[^>]*>)[0-9]+(</w:t>)`)
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == "word/document.xml" {
			n := 0
			data = ref.ReplaceAllFunc(data, func(m []byte) []byte {
				if n++; n != 2 {
					return m
				}
				return ref.ReplaceAll(m, []byte("${1}${2}"))
			})
			if n < 2 {
				t.Fatalf("the sample's contents has %d numbered entries", n)
			}
		}
		w, _ := zw.Create(f.Name)
		w.Write(data)
	}
	zw.Close()
	if errs := docxContentsErrors(d, out.Bytes()); len(errs) != 1 || errs[0] != "contents entry 2 has no page number" {
		t.Fatalf("an emptied number: %q", errs)
	}
}

func attr(el xml.StartElement, local string) string {
	for _, a := range el.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// hasContents reports whether d has a heading the contents lists.
func hasContents(d *docgen.Document) bool {
	for _, s := range d.Sections {
		for _, b := range s.Blocks {
			if h, ok := docgen.Value(b).(docgen.Heading); ok && !h.NoTOC {
				return true
			}
		}
	}
	return false
}
