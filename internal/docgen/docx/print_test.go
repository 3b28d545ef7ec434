package docx

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/docgen/pdf"
	"mamori/internal/docgen/sample"
)

// tocNumbers returns the cached result of every PAGEREF field in the
// contents, in order.
func tocNumbers(t *testing.T, doc *node) []string {
	t.Helper()
	var out []string
	for _, p := range doc.all("p") {
		instr, inRef, after, num := "", false, false, ""
		for _, n := range p.all("r") {
			switch {
			case n.first("instrText") != nil:
				instr = n.first("instrText").Text
				inRef = strings.Contains(instr, "PAGEREF")
			case n.first("fldChar") != nil:
				typ, _ := n.first("fldChar").attr("fldCharType")
				if inRef && typ == "separate" {
					after = true
				} else if inRef && typ == "end" {
					after, inRef = false, false
					out = append(out, num)
				}
			case after:
				num += n.text()
			}
		}
	}
	return out
}

// TestTOCPageNumbersFromPDF: the contents' cached page numbers are those
// the PDF prints, for every level down to 4, so the DOCX shows them
// without a field update (LibreOffice, viewers, Word before updating).
func TestTOCPageNumbersFromPDF(t *testing.T) {
	for name, d := range map[string]*docgen.Document{"sample": sample.Sample(), "long": longDoc()} {
		want, err := pdf.TOCPages(d)
		if err != nil {
			t.Fatal(err)
		}
		_, p := render(t, d)
		got := tocNumbers(t, p.doc(t))
		if len(got) == 0 || len(got) != len(want) {
			t.Fatalf("%s: %d contents entries, the PDF has %d", name, len(got), len(want))
		}
		distinct := map[string]bool{}
		for i := range got {
			if got[i] == "" || got[i] != strconv.Itoa(want[i]) {
				t.Errorf("%s: entry %d page %q, PDF %d", name, i, got[i], want[i])
			}
			distinct[got[i]] = true
		}
		if name == "long" && len(distinct) < 8 {
			t.Errorf("long: headings on only %d pages: %v", len(distinct), got)
		}
		// Word still offers to refresh the numbers from its own layout.
		if !bytes.Contains(p.files["word/settings.xml"], []byte(`<w:updateFields w:val="true"/>`)) {
			t.Error("settings.xml lacks updateFields")
		}
	}
	// Level 4 is listed, with its style and the \o "1-4" switch.
	_, p := render(t, sample.Sample())
	doc := p.doc(t)
	toc4 := 0
	for _, ps := range doc.all("pStyle") {
		if v, _ := ps.attr("val"); v == "TOC4" {
			toc4++
		}
	}
	if toc4 == 0 || !bytes.Contains(p.files["word/styles.xml"], []byte(`w:styleId="TOC4"`)) {
		t.Error("no level-4 contents entry or TOC4 style")
	}
	// A document asking for contents without any heading gets none, as
	// in the PDF (an empty 目次 page would shift the page numbers).
	_, p = render(t, &docgen.Document{TOC: true, Sections: []docgen.Section{{Blocks: []docgen.Block{docgen.P("本文")}}}})
	if bytes.Contains(p.files["word/document.xml"], []byte("TOC \\o")) {
		t.Error("contents without headings")
	}
}

// longDoc has headings of levels 1–4 spread over many pages, a table and
// a landscape section.
func longDoc() *docgen.Document {
	d := &docgen.Document{Meta: docgen.Meta{Title: "長い文書", Classification: "取扱注意", PageNumbers: docgen.PageDash}, Cover: true, TOC: true}
	text := strings.Repeat("情報資産の管理者は、その取扱いについて定めた手順に従い、定期的に点検を行わなければならない。", 4)
	var blocks []docgen.Block
	for ch := 1; ch <= 4; ch++ {
		blocks = append(blocks, docgen.Heading{Level: 1, Text: "章" + strconv.Itoa(ch), Numbered: true})
		for lv := 2; lv <= 4; lv++ {
			blocks = append(blocks, docgen.Heading{Level: lv, Text: "見出し" + strconv.Itoa(lv), Numbered: true})
			for range 6 {
				blocks = append(blocks, docgen.Paragraph{FirstIndent: true, Runs: []docgen.Run{docgen.T(text)}})
			}
		}
	}
	tbl := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 1}, {Width: 4}}, Rows: []docgen.Row{{Cells: []docgen.Cell{docgen.C("No"), docgen.C("内容")}}}}
	for i := range 30 {
		tbl.Rows = append(tbl.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(strconv.Itoa(i + 1)), docgen.C(text[:150])}})
	}
	d.Sections = []docgen.Section{
		{Tab: "本編", Blocks: append(blocks, tbl)},
		{Tab: "別表", Orientation: docgen.Landscape, Blocks: []docgen.Block{docgen.Heading{Level: 1, Text: "別表", Numbered: true}, tbl}},
	}
	return d
}

// TestPrintLayout: line pitch, page margins, unsplittable rows and the
// header's sides as the PDF has them.
func TestPrintLayout(t *testing.T) {
	_, p := render(t, sample.Sample())
	styles := string(p.files["word/styles.xml"])
	for _, want := range []string{
		`w:styleId="Body"><w:name w:val="本文"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr><w:spacing w:after="105" w:line="368" w:lineRule="exact"/>`,
		`w:styleId="TableText"><w:name w:val="表"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr><w:snapToGrid w:val="0"/><w:spacing w:before="62" w:after="62" w:line="252" w:lineRule="exact"/>`,
		`<w:spacing w:after="0" w:line="368" w:lineRule="exact"/>`, // lists
	} {
		if !strings.Contains(styles, want) {
			t.Errorf("styles.xml lacks %s", want)
		}
	}
	doc := p.doc(t)
	for _, s := range doc.all("sectPr") {
		if g := s.first("docGrid"); attrOr(g, "type") != "" {
			t.Errorf("docGrid type %q rounds the pitch to a grid", attrOr(g, "type"))
		}
		m := s.first("pgMar")
		want := map[string]string{"top": "1531", "bottom": "1134", "left": "1417", "right": "1134"}
		if attrOr(s.first("pgSz"), "orient") == "landscape" {
			want = map[string]string{"top": "1531", "bottom": "964", "left": "1134", "right": "1134"}
		}
		for k, v := range want {
			if attrOr(m, k) != v {
				t.Errorf("pgMar %s %q, want %q", k, attrOr(m, k), v)
			}
		}
	}
	// Pictures keep single spacing (an exact pitch would clip them).
	for _, d := range doc.all("drawing") {
		par := d.Parent.Parent
		if sp := par.first("spacing"); attrOr(sp, "lineRule") != "auto" {
			t.Error("picture paragraph without auto line spacing")
		}
	}
	// Every table row stays whole; header rows repeat.
	for _, tb := range doc.all("tbl") {
		rows := tb.all("tr")
		if n := len(tb.all("cantSplit")); n != len(rows) {
			t.Errorf("table %q: %d of %d rows cantSplit", firstN(tb.text(), 12), n, len(rows))
		}
	}
	if len(doc.all("tblHeader")) == 0 {
		t.Error("no repeated header rows")
	}
	// Header: tab label and title at the left, classification at the
	// right after a right tab, as in the PDF.
	for name, data := range p.files {
		if !strings.HasPrefix(name, "word/header") || !bytes.Contains(data, []byte("別表")) {
			continue
		}
		s := string(data)
		tab, title, cls, sep := strings.Index(s, "別表"), strings.Index(s, "文書生成の見本"), strings.Index(s, "取扱注意"), strings.Index(s, "<w:tab/>")
		if !(tab >= 0 && tab < title && title < sep && sep < cls) {
			t.Errorf("%s: header order tab %d title %d tab-stop %d classification %d", name, tab, title, sep, cls)
		}
	}
}

func firstN(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}

// TestParagraphMarkChanges: a paragraph inserted or deleted whole has its
// paragraph mark inserted or deleted too, so that Reject All (or Accept
// All) leaves no empty paragraph; the author is the one the caller gives.
func TestParagraphMarkChanges(t *testing.T) {
	when := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	ins := func(s string) docgen.Run {
		return docgen.Run{Text: s, Change: docgen.Inserted, Author: "情報政策課", Date: when}
	}
	del := func(s string) docgen.Run {
		return docgen.Run{Text: s, Change: docgen.Deleted, Author: "情報政策課", Date: when}
	}
	d := &docgen.Document{Meta: docgen.Meta{Title: "見え消し", Author: "総務課"}, Sections: []docgen.Section{{Blocks: []docgen.Block{
		docgen.P("第1条　変わらない条文"),
		docgen.Paragraph{Runs: []docgen.Run{ins("第2条　新設する条文"), ins("（二つの挿入）")}},
		docgen.Paragraph{Runs: []docgen.Run{del("第3条　削除する条文")}},
		docgen.Paragraph{Runs: []docgen.Run{docgen.T("第4条　一部を"), ins("改正"), del("変更")}},
		docgen.Paragraph{Runs: []docgen.Run{del("旧"), ins("新")}},
		docgen.List{Items: []docgen.ListItem{{Runs: []docgen.Run{ins("追加する号")}}}},
		docgen.Paragraph{Runs: []docgen.Run{{Text: "作成者の指定なし", Change: docgen.Inserted}}},
	}}}}
	_, p := render(t, d)
	doc := p.doc(t)
	var paras []*node
	for _, c := range doc.first("body").Children {
		if c.Name.Local == "p" {
			paras = append(paras, c)
		}
	}
	if len(paras) != 7 {
		t.Fatalf("%d paragraphs", len(paras))
	}
	mark := func(p *node) string {
		pp := p.first("pPr")
		if pp == nil {
			return ""
		}
		for _, c := range pp.Children {
			if c.Name.Local == "rPr" && len(c.Children) > 0 {
				return c.Children[0].Name.Local
			}
		}
		return ""
	}
	for i, want := range []string{"", "ins", "del", "", "", "ins", "ins"} {
		if got := mark(paras[i]); got != want {
			t.Errorf("paragraph %d (%s): mark change %q, want %q", i, firstN(paras[i].text(), 8), got, want)
		}
	}
	// The paragraph-mark rPr is the last child of pPr (schema order).
	for _, i := range []int{1, 2, 5} {
		pp := paras[i].first("pPr")
		if last := pp.Children[len(pp.Children)-1]; last.Name.Local != "rPr" {
			t.Errorf("paragraph %d: pPr ends with %s", i, last.Name.Local)
		}
	}
	ids := map[string]bool{}
	for _, n := range append(doc.all("ins"), doc.all("del")...) {
		id, _ := n.attr("id")
		if ids[id] {
			t.Errorf("duplicate w:id %s", id)
		}
		ids[id] = true
	}
	for i, p := range paras {
		want := "情報政策課"
		if i == 6 {
			want = "総務課" // the document's author when the run names none
		}
		for _, n := range append(p.all("ins"), p.all("del")...) {
			a, _ := n.attr("author")
			if a != want {
				t.Errorf("%s author %q, want %q", n.Name.Local, a, want)
			}
		}
	}
	if d, _ := paras[1].first("pPr").first("ins").attr("date"); d != "2026-12-01T09:00:00Z" {
		t.Errorf("mark insertion date %q", d)
	}
	// Reject All as Word does it: drop inserted text and inserted
	// paragraph marks (joining the paragraph to the next), keep deleted
	// text: the original three paragraphs and no empty one remain.
	var out []string
	cur := ""
	for _, p := range paras {
		for _, n := range p.all("r") {
			if n.Parent.Name.Local == "ins" {
				continue
			}
			cur += n.text()
		}
		if mark(p) == "ins" {
			continue
		}
		out = append(out, cur)
		cur = ""
	}
	if cur != "" {
		out = append(out, cur)
	}
	want := []string{"第1条　変わらない条文", "第3条　削除する条文", "第4条　一部を変更", "旧"}
	if strings.Join(out, "|") != strings.Join(want, "|") {
		t.Errorf("after Reject All: %q, want %q", out, want)
	}
}
