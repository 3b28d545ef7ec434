package docx

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/docgen/pdf"
	"mamori/internal/docgen/sample"
	"mamori/internal/testkit"
)

const wNS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

// node is a parsed XML element.
type node struct {
	Name     xml.Name
	Attr     []xml.Attr
	Children []*node
	Parent   *node
	Text     string
}

func (n *node) attr(local string) (string, bool) {
	for _, a := range n.Attr {
		if a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// all returns the descendants of n named local (in any namespace).
func (n *node) all(local string) []*node {
	var out []*node
	var walk func(*node)
	walk = func(m *node) {
		for _, c := range m.Children {
			if c.Name.Local == local {
				out = append(out, c)
			}
			walk(c)
		}
	}
	walk(n)
	return out
}

func (n *node) first(local string) *node {
	if a := n.all(local); len(a) > 0 {
		return a[0]
	}
	return nil
}

// text is the concatenated character data of n and its descendants.
func (n *node) text() string {
	var b strings.Builder
	var walk func(*node)
	walk = func(m *node) {
		b.WriteString(m.Text)
		for _, c := range m.Children {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func parseXML(t testing.TB, name string, data []byte) *node {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	root := &node{}
	cur := root
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: XML error: %v", name, err)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			n := &node{Name: v.Name, Attr: v.Attr, Parent: cur}
			cur.Children = append(cur.Children, n)
			cur = n
		case xml.EndElement:
			cur = cur.Parent
		case xml.CharData:
			cur.Text += string(v)
		}
	}
	if len(root.Children) != 1 {
		t.Fatalf("%s: want one root element, got %d", name, len(root.Children))
	}
	return root
}

// pkg is an unzipped .docx with every XML part parsed.
type pkg struct {
	files map[string][]byte
	xml   map[string]*node
}

func render(t testing.TB, d *docgen.Document) ([]byte, *pkg) {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, d); err != nil {
		t.Fatalf("Render: %v", err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatalf("zip: %v", err)
	}
	p := &pkg{files: map[string][]byte{}, xml: map[string]*node{}}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := p.files[f.Name]; dup {
			t.Errorf("duplicate zip entry %s", f.Name)
		}
		p.files[f.Name] = data
		if strings.HasSuffix(f.Name, ".xml") || strings.HasSuffix(f.Name, ".rels") {
			p.xml[f.Name] = parseXML(t, f.Name, data)
		}
	}
	if zr.File[0].Name != "[Content_Types].xml" {
		t.Errorf("first entry is %s, want [Content_Types].xml", zr.File[0].Name)
	}
	return buf.Bytes(), p
}

func (p *pkg) doc(t testing.TB) *node {
	t.Helper()
	d := p.xml["word/document.xml"]
	if d == nil {
		t.Fatal("no word/document.xml")
	}
	return d
}

func TestPackageStructure(t *testing.T) {
	_, p := render(t, sample.Sample())
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/styles.xml",
		"word/settings.xml", "word/numbering.xml", "word/fontTable.xml", "word/_rels/document.xml.rels",
		"docProps/core.xml", "docProps/app.xml"} {
		if p.files[name] == nil {
			t.Errorf("missing part %s", name)
		}
	}
	// Every override names an existing part, and every XML part but the
	// relationships and content types has an override.
	overrides := map[string]bool{}
	defaults := map[string]bool{}
	for _, o := range p.xml["[Content_Types].xml"].all("Override") {
		pn, _ := o.attr("PartName")
		overrides[strings.TrimPrefix(pn, "/")] = true
		if p.files[strings.TrimPrefix(pn, "/")] == nil {
			t.Errorf("content type override for missing part %s", pn)
		}
	}
	for _, o := range p.xml["[Content_Types].xml"].all("Default") {
		ext, _ := o.attr("Extension")
		defaults[ext] = true
	}
	for name := range p.files {
		ext := path.Ext(name)
		if !overrides[name] && !defaults[strings.TrimPrefix(ext, ".")] {
			t.Errorf("part %s has no content type", name)
		}
	}
	// Relationships point at parts that exist.
	checkRels := func(relsPart, base string) map[string]string {
		ids := map[string]string{}
		for _, r := range p.xml[relsPart].all("Relationship") {
			id, _ := r.attr("Id")
			target, _ := r.attr("Target")
			typ, _ := r.attr("Type")
			if _, dup := ids[id]; dup {
				t.Errorf("%s: duplicate Id %s", relsPart, id)
			}
			ids[id] = typ
			if p.files[path.Join(base, target)] == nil {
				t.Errorf("%s: %s → %s does not exist", relsPart, id, target)
			}
		}
		return ids
	}
	checkRels("_rels/.rels", "")
	docRels := checkRels("word/_rels/document.xml.rels", "word")
	// Every r:id used in the document is a relationship of the document.
	doc := p.doc(t)
	refs := 0
	var walk func(*node)
	walk = func(n *node) {
		for _, a := range n.Attr {
			if a.Name.Space == "http://schemas.openxmlformats.org/officeDocument/2006/relationships" {
				refs++
				if _, ok := docRels[a.Value]; !ok {
					t.Errorf("%s r:%s=%s has no relationship", n.Name.Local, a.Name.Local, a.Value)
				}
			}
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(doc)
	if refs == 0 {
		t.Error("document references no header/footer")
	}
	// Styles: Japanese names and outline levels for headings.
	styles := p.xml["word/styles.xml"]
	names := map[string]string{}
	for _, s := range styles.all("style") {
		id, _ := s.attr("styleId")
		if n := s.first("name"); n != nil {
			names[id], _ = n.attr("val")
		}
		if a := s.first("aliases"); a != nil {
			v, _ := a.attr("val")
			names[id] += "," + v
		}
		if strings.HasPrefix(id, "Heading") && !strings.HasSuffix(id, "NoTOC") {
			if s.first("outlineLvl") == nil {
				t.Errorf("style %s has no outline level", id)
			}
		}
	}
	for id, want := range map[string]string{"Heading1": "見出し1", "Heading4": "見出し4", "Body": "本文", "TableText": "表"} {
		if !strings.Contains(names[id], want) {
			t.Errorf("style %s is named %q, want %q", id, names[id], want)
		}
	}
	if !bytes.Contains(p.files["word/styles.xml"], []byte(`w:eastAsia="游明朝"`)) || !bytes.Contains(p.files["word/styles.xml"], []byte(`w:eastAsia="游ゴシック"`)) {
		t.Error("styles lack East Asian 明朝/ゴシック fonts")
	}
}

func TestContentAndNumbering(t *testing.T) {
	_, p := render(t, sample.Sample())
	doc := p.doc(t)
	all := doc.text()
	for _, want := range []string{"第1章\u3000総則", "1\u3000この文書の目的", "（1）\u3000見え消し（変更履歴）", "ア\u3000箇条書き", "第2章\u3000表とグラフ",
		"令和8年度", "令和8年11月26日", "文書生成の見本（全要素）", "目次", "図1 所属別の指摘件数", "課長"} {
		if !strings.Contains(all, want) {
			t.Errorf("document text lacks %q", want)
		}
	}
	// Headings use the heading styles.
	styled := map[string]int{}
	for _, ps := range doc.all("pStyle") {
		v, _ := ps.attr("val")
		styled[v]++
	}
	for _, s := range []string{"Heading1", "Heading2", "Heading3", "Heading4", "Body", "TableText", "Caption", "ListParagraph", "TOC1", "TOC2"} {
		if styled[s] == 0 {
			t.Errorf("no paragraph uses style %s", s)
		}
	}
	// The TOC is a field with a pre-rendered result.
	instr := ""
	for _, n := range doc.all("instrText") {
		instr += n.Text
	}
	if !strings.Contains(instr, `TOC \o "1-4"`) {
		t.Errorf("no TOC field, instrText %q", instr)
	}
	// Lists reference numbering definitions that exist.
	nums := map[string]bool{}
	for _, n := range p.xml["word/numbering.xml"].all("num") {
		id, _ := n.attr("numId")
		nums[id] = true
	}
	for _, n := range doc.all("numId") {
		v, _ := n.attr("val")
		if !nums[v] {
			t.Errorf("numId %s not defined", v)
		}
	}
	if len(doc.all("numPr")) != 6 {
		t.Errorf("list paragraphs: %d, want 6", len(doc.all("numPr")))
	}
	// Footer with a PAGE field in 「- PAGE -」 form.
	found := false
	for name, data := range p.files {
		if strings.HasPrefix(name, "word/footer") && bytes.Contains(data, []byte(`w:instr=" PAGE "`)) && bytes.Contains(data, []byte("- ")) {
			found = true
		}
		if strings.HasPrefix(name, "word/header") && bytes.Contains(data, []byte("別表")) && !bytes.Contains(data, []byte("取扱注意")) {
			t.Errorf("%s: tab label without classification", name)
		}
	}
	if !found {
		t.Error("no footer with a PAGE field")
	}
}

func TestTrackedChanges(t *testing.T) {
	_, p := render(t, sample.Sample())
	doc := p.doc(t)
	ins, del := doc.all("ins"), doc.all("del")
	if len(ins) != 2 || len(del) != 2 {
		t.Fatalf("got %d w:ins and %d w:del, want 2 and 2", len(ins), len(del))
	}
	ids := map[string]bool{}
	for _, n := range append(append(ins, del...), doc.all("bookmarkStart")...) {
		id, ok := n.attr("id")
		if !ok || ids[id] {
			t.Errorf("%s: missing or duplicate w:id %q", n.Name.Local, id)
		}
		ids[id] = true
	}
	for _, n := range append(ins, del...) {
		if a, _ := n.attr("author"); a != "支援事業者" {
			t.Errorf("%s author %q", n.Name.Local, a)
		}
		if d, _ := n.attr("date"); d != "2026-11-26T10:00:00Z" {
			t.Errorf("%s date %q", n.Name.Local, d)
		}
		if n.first("r") == nil {
			t.Errorf("%s holds no run", n.Name.Local)
		}
	}
	if got := ins[0].text() + ins[1].text(); got != "直ちに15日" {
		t.Errorf("inserted text %q", got)
	}
	for _, d := range del {
		if d.first("t") != nil || d.first("delText") == nil {
			t.Error("deleted run must use w:delText, not w:t")
		}
	}
	if got := del[0].text() + del[1].text(); got != "速やかに30日" {
		t.Errorf("deleted text %q", got)
	}
	// Underline/strike formatting of ordinary runs.
	for _, want := range []string{`<w:u w:val="double"/>`, `<w:u w:val="single"/>`, `<w:dstrike/>`, `<w:strike/>`, `<w:color w:val="C00000"/>`} {
		if !bytes.Contains(p.files["word/document.xml"], []byte(want)) {
			t.Errorf("document lacks %s", want)
		}
	}
}

func TestTablesAndSpans(t *testing.T) {
	_, p := render(t, sample.Sample())
	doc := p.doc(t)
	tbls := doc.all("tbl")
	if len(tbls) < 3 {
		t.Fatalf("%d tables", len(tbls))
	}
	// 表1: one header row of 41 rows; grid sums to the portrait text width.
	t1 := tbls[0]
	if rows := t1.all("tr"); len(rows) != 41 {
		t.Errorf("表1 rows %d", len(rows))
	}
	if h := t1.all("tblHeader"); len(h) != 1 {
		t.Errorf("表1 header rows %d, want 1", len(h))
	}
	// No row splits across pages (as in the PDF).
	if n := len(t1.all("cantSplit")); n != 41 {
		t.Errorf("表1 rows with cantSplit %d, want 41", n)
	}
	sum := 0
	for _, g := range t1.all("gridCol") {
		var w int
		v, _ := g.attr("w")
		fmt.Sscan(v, &w)
		sum += w
	}
	if sum != textWidth(docgen.Portrait) {
		t.Errorf("grid width %d", sum)
	}
	if t1.first("shd") == nil {
		t.Error("header cells not shaded")
	}
	// 表2 (landscape, merged): rows of 6 grid columns each.
	var t2 *node
	for _, tb := range tbls {
		if len(tb.first("tblGrid").all("gridCol")) == 6 && len(tb.all("tblHeader")) == 2 {
			t2 = tb
		}
	}
	if t2 == nil {
		t.Fatal("merged table not found")
	}
	rows := t2.all("tr")
	for i, row := range rows {
		cols := 0
		for _, tc := range row.Children {
			if tc.Name.Local != "tc" {
				continue
			}
			span := 1
			if g := tc.first("gridSpan"); g != nil {
				v, _ := g.attr("val")
				fmt.Sscan(v, &span)
			}
			cols += span
		}
		if cols != 6 {
			t.Errorf("表2 row %d covers %d grid columns", i, cols)
		}
	}
	cell := func(r, c int) *node {
		var tcs []*node
		for _, n := range rows[r].Children {
			if n.Name.Local == "tc" {
				tcs = append(tcs, n)
			}
		}
		return tcs[c]
	}
	if v := cell(0, 0).first("vMerge"); v == nil || attrOr(v, "val") != "restart" {
		t.Error("所属 must start a vertical merge")
	}
	if v := cell(1, 0).first("vMerge"); v == nil || attrOr(v, "val") != "" {
		t.Error("row 2 column 1 must continue the merge")
	}
	if g := cell(0, 1).first("gridSpan"); g == nil || attrOr(g, "val") != "2" {
		t.Error("実地監査 must span two columns")
	}
	if got := cell(1, 1).text(); got != "日付" {
		t.Errorf("row 2 cell 2 = %q, want 日付", got)
	}
	if v := cell(1, 5).first("vMerge"); v == nil {
		t.Error("備考 continuation missing")
	}
	// 決裁欄: right aligned, 20 mm stamp row.
	last := tbls[len(tbls)-1]
	_ = last
	foundBox := false
	for _, tb := range tbls {
		if strings.Contains(tb.text(), "課長係長担当") {
			foundBox = true
			if j := tb.first("tblPr").first("jc"); j == nil || attrOr(j, "val") != "right" {
				t.Error("approval box not right-aligned")
			}
			if h := tb.first("trHeight"); h == nil || attrOr(h, "val") != "1134" {
				t.Error("stamp row not 20 mm")
			}
		}
	}
	if !foundBox {
		t.Error("no approval box")
	}
}

func attrOr(n *node, local string) string {
	v, _ := n.attr(local)
	return v
}

func TestSections(t *testing.T) {
	_, p := render(t, sample.Sample())
	doc := p.doc(t)
	body := doc.first("body")
	secs := body.all("sectPr")
	if len(secs) != 4 { // cover, 目次, 本編, 別表
		t.Fatalf("%d sectPr, want 4", len(secs))
	}
	// The last is the body's last child; the others sit in a paragraph.
	if body.Children[len(body.Children)-1] != secs[3] {
		t.Error("final sectPr is not the body's last child")
	}
	// The contents are a section of their own, unnumbered like the
	// PDF's: the cover's section ends before 目次, the contents' section
	// holds the TOC field and the body's first section restarts at 1.
	if secs[0].first("pgNumType") != nil || secs[1].first("pgNumType") != nil {
		t.Error("cover or contents section restarts page numbers")
	}
	sec, tocIn := 0, -1
	for _, c := range body.Children {
		for _, in := range c.all("instrText") {
			if strings.Contains(in.Text, " TOC ") {
				tocIn = sec
			}
		}
		if c.first("sectPr") != nil {
			sec++
		}
	}
	if tocIn != 1 {
		t.Errorf("TOC field in section %d, want 1 (its own, after the cover)", tocIn)
	}
	footers := map[string]string{}
	for _, rl := range p.xml["word/_rels/document.xml.rels"].all("Relationship") {
		id, _ := rl.attr("Id")
		tg, _ := rl.attr("Target")
		footers[id] = tg
	}
	for i, s := range secs {
		ref, _ := s.first("footerReference").attr("id")
		has := bytes.Contains(p.files["word/"+footers[ref]], []byte("PAGE"))
		if has != (i >= 2) {
			t.Errorf("section %d: page number in footer %v", i, has)
		}
	}
	secs = secs[1:]
	for _, s := range secs[:2] {
		if s.Parent.Name.Local != "pPr" || s.Parent.Parent.Name.Local != "p" {
			t.Error("section break not in a paragraph's pPr")
		}
	}
	sz := secs[2].first("pgSz")
	if attrOr(sz, "orient") != "landscape" || attrOr(sz, "w") != "16838" || attrOr(sz, "h") != "11906" {
		t.Errorf("landscape pgSz %v", sz.Attr)
	}
	if sz := secs[1].first("pgSz"); attrOr(sz, "orient") != "" || attrOr(sz, "w") != "11906" {
		t.Errorf("portrait pgSz %v", sz.Attr)
	}
	if secs[1].first("pgNumType") == nil {
		t.Error("body pages should be numbered from 1 after the cover")
	}
	// Landscape tables use the wider text width.
	for _, tb := range body.all("tbl") {
		if strings.Contains(tb.text(), "戸籍住民課12月2日") {
			if w := attrOr(tb.first("tblW"), "w"); w != "14570" {
				t.Errorf("landscape table width %s", w)
			}
		}
	}
}

func TestEscapingAndIllegalCharacters(t *testing.T) {
	nasty := "<script>alert(\"x\")</script> & ]]> \x01\x0b\ufffe 正\xff常"
	d := &docgen.Document{Meta: docgen.Meta{Title: nasty, Author: "A&B <課>", Classification: "\"機密\""},
		Sections: []docgen.Section{{Tab: "<タブ>", Blocks: []docgen.Block{
			docgen.Heading{Level: 1, Text: nasty, Numbered: true},
			docgen.Paragraph{Runs: []docgen.Run{{Text: nasty + "\n二行目\tタブ", Change: docgen.Deleted}, {Text: nasty, Change: docgen.Inserted, Color: "zzz"}}},
			docgen.Table{Rows: []docgen.Row{{Cells: []docgen.Cell{docgen.C(nasty), {ColSpan: 9}}}}},
			docgen.List{Items: []docgen.ListItem{{Level: 40, Runs: []docgen.Run{docgen.T(nasty)}}}},
			docgen.Image{Data: []byte("not an image"), Caption: nasty},
			docgen.ApprovalBox{Titles: []string{nasty}},
		}}}}
	_, p := render(t, d) // parses every part
	doc := p.doc(t)
	txt := doc.text()
	if !strings.Contains(txt, `<script>alert("x")</script> & ]]>  正`+"\uFFFD"+"常") {
		t.Errorf("text not preserved: %q", txt)
	}
	if strings.ContainsAny(txt, "\x01\x0b\ufffe") {
		t.Error("illegal characters kept")
	}
	if doc.first("br") == nil || doc.first("tab") == nil {
		t.Error("line feed / tab not written as w:br / w:tab")
	}
	if a := attrOr(doc.first("ins"), "author"); a != "A&B <課>" {
		t.Errorf("author fallback %q", a)
	}
	if !strings.Contains(txt, "［画像を表示できません］") {
		t.Error("no placeholder for a bad image")
	}
}

func testPNG(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 200, 100))
	for x := 0; x < 200; x++ {
		for y := 0; y < 100; y++ {
			img.Set(x, y, color.RGBA{uint8(x), 80, uint8(y * 2), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestImage(t *testing.T) {
	data := testPNG(t)
	d := &docgen.Document{Sections: []docgen.Section{{Blocks: []docgen.Block{docgen.Image{Data: data, Width: 50, Caption: "図 テスト"}}}}}
	_, p := render(t, d)
	if !bytes.Equal(p.files["word/media/image1.png"], data) {
		t.Fatal("image not stored as word/media/image1.png")
	}
	doc := p.doc(t)
	ext := doc.first("extent")
	if ext == nil || attrOr(ext, "cx") != "1800000" || attrOr(ext, "cy") != "900000" {
		t.Errorf("extent %v", ext)
	}
	if blip := doc.first("blip"); blip == nil || attrOr(blip, "embed") == "" {
		t.Error("no a:blip r:embed")
	}
}

func TestPageOfTotalAndNoCover(t *testing.T) {
	d := &docgen.Document{Meta: docgen.Meta{PageNumbers: docgen.PageOfTotal}, Sections: []docgen.Section{{Blocks: []docgen.Block{docgen.P("本文")}}}}
	_, p := render(t, d)
	if !bytes.Contains(p.files["word/footer2.xml"], []byte("NUMPAGES")) {
		t.Error("PageOfTotal footer lacks NUMPAGES")
	}
	if n := len(p.doc(t).all("sectPr")); n != 1 {
		t.Errorf("%d sections", n)
	}
	// An empty document still renders a valid package.
	render(t, &docgen.Document{})
}

// TestLibreOffice converts the sample and a redline to PDF with
// LibreOffice and checks the text with pdftotext. MAMORI_DOCX_OUT keeps
// the files (and PNG pages) for looking at.
func TestLibreOffice(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	testkit.Tool(t, "soffice")
	testkit.Tool(t, "pdftotext")
	dir := os.Getenv("MAMORI_DOCX_OUT")
	if dir == "" {
		dir = t.TempDir()
	}
	redline := &docgen.Document{Meta: docgen.Meta{Title: "情報セキュリティ対策基準（改正案）", Classification: "取扱注意", Author: "情報政策課"},
		Sections: []docgen.Section{{Tab: "見え消し", Blocks: []docgen.Block{
			docgen.Heading{Level: 1, Text: "物理的セキュリティ", Numbered: true},
			docgen.Paragraph{FirstIndent: true, Runs: []docgen.Run{
				docgen.T("職員は、情報資産の紛失又は盗難を発見したときは、"),
				{Text: "速やかに", Change: docgen.Deleted, Author: "支援事業者", Date: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)},
				{Text: "直ちに", Change: docgen.Inserted, Author: "支援事業者", Date: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)},
				docgen.T("情報セキュリティ管理者に報告しなければならない。"),
			}},
			docgen.Image{Data: testPNG(t), Width: 40, Caption: "図1 画像の見本"},
		}}}}
	for name, d := range map[string]*docgen.Document{"sample": sample.Sample(), "redline": redline} {
		var buf bytes.Buffer
		if err := Render(&buf, d); err != nil {
			t.Fatal(err)
		}
		in := filepath.Join(dir, name+".docx")
		if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		out := testkit.Convert(t, in, "pdf")
		text := testkit.PDFLayoutText(t, out)
		wants := map[string][]string{
			"sample":  {"文書生成の見本（全要素）", "令和8年度", "令和8年11月26日", "目次", "第1章", "総則", "見え消し", "指摘事項の一覧", "図1 所属別の指摘件数", "課長", "監査日程", "- 1 -", "取扱注意"},
			"redline": {"情報セキュリティ管理者に報告", "速やかに", "直ちに", "物理的セキュリティ", "図1 画像の見本"},
		}[name]
		flat := strings.Join(strings.Fields(text), "")
		for _, w := range wants {
			if !strings.Contains(flat, strings.Join(strings.Fields(w), "")) {
				t.Errorf("%s.pdf lacks %q", name, w)
			}
		}
		if name == "sample" {
			// Pages are counted: cover + TOC + body portrait + landscape.
			pages := strings.Count(text, "\f")
			if pages < 4 {
				t.Errorf("sample.pdf has %d pages", pages)
			}
			// LibreOffice shows the contents' cached page numbers (the
			// PDF's) without any field update.
			nums, err := pdf.TOCPages(d)
			if err != nil || len(nums) < 2 {
				t.Fatalf("TOCPages: %v %v", nums, err)
			}
			for _, re := range []string{`1決裁\.*` + strconv.Itoa(nums[6]) + `第3章`, `第3章横向きの表\.*` + strconv.Itoa(nums[len(nums)-1])} {
				if !regexp.MustCompile(re).MatchString(flat) {
					t.Errorf("LibreOffice shows no contents entry %s", re)
				}
			}
		}
		if os.Getenv("MAMORI_DOCX_OUT") != "" {
			keepPDF(t, out, filepath.Join(dir, name))
		}
	}
}

func BenchmarkDOCX100(b *testing.B) {
	d := sample.Report(100)
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := Render(&buf, d); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size)/1e6, "MB")
}

func TestTopAlignedTable(t *testing.T) {
	tbl := docgen.Table{HeaderRows: 1, TopAlign: true, Columns: []docgen.Column{{Width: 1}, {Width: 1}},
		Rows: []docgen.Row{{Cells: []docgen.Cell{docgen.C("改正後"), docgen.C("改正前")}}, {Cells: []docgen.Cell{docgen.C("長い本文"), docgen.C("（削除）")}}}}
	d := &docgen.Document{Sections: []docgen.Section{{Blocks: []docgen.Block{tbl}}}}
	_, p := render(t, d)
	rows := p.doc(t).all("tr")
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	for i, want := range []string{"center", "top"} {
		for _, v := range rows[i].all("vAlign") {
			if got, _ := v.attr("val"); got != want {
				t.Errorf("row %d vAlign %q, want %q", i, got, want)
			}
		}
	}
}

// keepPDF copies a converted PDF to base.pdf and, with pdftoppm, its pages
// to base-N.png, for looking at (MAMORI_DOCX_OUT).
func keepPDF(t *testing.T, pdf, base string) {
	t.Helper()
	b, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base+".pdf", b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(testkit.Tool(t, "pdftoppm"), "-r", "60", "-png", pdf, base).CombinedOutput(); err != nil {
		t.Errorf("pdftoppm: %v\n%s", err, out)
	}
}

// TestBodyStartsUnderItsHeading: as in the PDF, a （1） heading is set
// in by one character and ア by two, and the running text and lists
// under them start at the heading's indent (a 字下げ adds to it); a
// centred or right-aligned line keeps the full width, and 第1章 or 1
// brings the text back to the margin.
func TestBodyStartsUnderItsHeading(t *testing.T) {
	d := &docgen.Document{Meta: docgen.Meta{PageNumbers: docgen.PageNone}, Sections: []docgen.Section{{Blocks: []docgen.Block{
		docgen.Heading{Level: 1, Text: "章", Numbered: true},
		docgen.Heading{Level: 2, Text: "節", Numbered: true},
		docgen.P("甲本文"),
		docgen.Heading{Level: 3, Text: "項", Numbered: true},
		docgen.P("乙本文"),
		docgen.Paragraph{FirstIndent: true, Indent: 1, Runs: []docgen.Run{docgen.T("丙本文")}},
		docgen.Paragraph{Align: docgen.AlignRight, Runs: []docgen.Run{docgen.T("丁日付")}},
		docgen.Heading{Level: 4, Text: "目", Numbered: true},
		docgen.P("戊本文"),
		docgen.List{Items: []docgen.ListItem{{Runs: []docgen.Run{docgen.T("己箇条")}}}},
		docgen.Heading{Level: 2, Text: "次の節", Numbered: true},
		docgen.P("庚本文"),
	}}}}
	_, p := render(t, d)
	left := map[string]string{}
	for _, para := range p.doc(t).all("p") {
		text := para.text()
		if text == "" {
			continue
		}
		k := string([]rune(text)[0])
		if ind := para.first("ind"); ind != nil {
			left[k], _ = ind.attr("left")
		} else {
			left[k] = "0"
		}
	}
	for k, want := range map[string]string{"甲": "0", "乙": "230", "丙": "440", "丁": "0", "戊": "420", "己": "840", "庚": "0"} {
		if left[k] != want {
			t.Errorf("%s starts at %s twips, want %s (all: %v)", k, left[k], want, left)
		}
	}
	styles := string(p.files["word/styles.xml"])
	for _, s := range []string{`w:styleId="Heading3"`, `w:styleId="Heading4"`} {
		i := strings.Index(styles, s)
		if i < 0 {
			t.Fatalf("no %s style", s)
		}
		end := strings.Index(styles[i:], "</w:style>")
		want := map[string]string{`w:styleId="Heading3"`: `<w:ind w:left="230"/>`, `w:styleId="Heading4"`: `<w:ind w:left="420"/>`}[s]
		if !strings.Contains(styles[i:i+end], want) {
			t.Errorf("style %s lacks %s", s, want)
		}
	}
}
