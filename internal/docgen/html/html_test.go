package html

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"mamori/internal/docgen"
	"mamori/internal/docgen/sample"
)

func parse(t *testing.T, src string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

func find(n *html.Node, a atom.Atom) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(m *html.Node) {
		if m.Type == html.ElementNode && m.DataAtom == a {
			out = append(out, m)
		}
		for c := m.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func getAttr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(m *html.Node) {
		if m.Type == html.TextNode {
			b.WriteString(m.Data)
		}
		for c := m.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func hasClass(n *html.Node, c string) bool {
	for _, f := range strings.Fields(getAttr(n, "class")) {
		if f == c {
			return true
		}
	}
	return false
}

func renderString(t *testing.T, d *docgen.Document, fragment bool) string {
	t.Helper()
	var b bytes.Buffer
	f := Render
	if fragment {
		f = Fragment
	}
	if err := f(&b, d); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestRenderSample(t *testing.T) {
	src := renderString(t, sample.Sample(), false)
	doc := parse(t, src)
	if h := find(doc, atom.Html); len(h) != 1 || getAttr(h[0], "lang") != "ja" {
		t.Fatal(`no <html lang="ja">`)
	}
	if len(find(doc, atom.Script)) != 0 || strings.Contains(src, "http://") && !strings.Contains(src, `xmlns="http://www.w3.org/2000/svg"`) {
		t.Error("page must have no script and no external URLs")
	}
	styles := find(doc, atom.Style)
	if len(styles) != 1 {
		t.Fatalf("%d <style> elements", len(styles))
	}
	css := textOf(styles[0])
	for _, want := range []string{"@page{size:A4", "@page mdoc-s2{size:A4 landscape", `content:"- " counter(page) " -"`, "取扱注意", `"別表"`, ".bg-DDE6F0", ".c-C00000", "underline double", "line-through double"} {
		if !strings.Contains(css, want) {
			t.Errorf("CSS lacks %q", want)
		}
	}
	if strings.Contains(src, "url(") {
		t.Error("CSS must not load anything")
	}
	body := find(doc, atom.Body)[0]
	txt := textOf(body)
	for _, want := range []string{"令和8年度", "令和8年11月26日", "文書生成の見本（全要素）", "第1章\u3000総則", "（1）\u3000見え消し（変更履歴）", "ア\u3000箇条書き", "第3章\u3000横向きの表"} {
		if !strings.Contains(txt, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	// Headings: level 1 → h2 with an id the TOC links to.
	h2 := find(body, atom.H2)
	ids := map[string]bool{}
	for _, h := range append(append(h2, find(body, atom.H3)...), append(find(body, atom.H4), find(body, atom.H5)...)...) {
		ids[getAttr(h, "id")] = true
	}
	links := find(find(body, atom.Nav)[0], atom.A)
	if len(links) != 7 {
		t.Errorf("TOC has %d entries, want 7", len(links))
	}
	for _, a := range links {
		if !ids[strings.TrimPrefix(getAttr(a, "href"), "#")] {
			t.Errorf("TOC link %s has no target", getAttr(a, "href"))
		}
	}
	// Sections: the landscape one is marked.
	secs := find(body, atom.Section)
	if len(secs) != 2 || !hasClass(secs[1], "mdoc-landscape") || !hasClass(secs[0], "mdoc-portrait") {
		t.Error("sections not marked with orientation")
	}
	// Tracked changes.
	ins, del := find(body, atom.Ins), find(body, atom.Del)
	if len(ins) != 2 || len(del) != 2 {
		t.Fatalf("%d ins, %d del", len(ins), len(del))
	}
	if textOf(ins[0]) != "直ちに" || textOf(del[0]) != "速やかに" {
		t.Errorf("ins/del text %q %q", textOf(ins[0]), textOf(del[0]))
	}
	for _, n := range append(ins, del...) {
		if !strings.Contains(getAttr(n, "title"), "支援事業者") || !strings.Contains(getAttr(n, "title"), "令和8年11月26日") || getAttr(n, "datetime") != "2026-11-26T10:00:00Z" {
			t.Errorf("change title/datetime %q %q", getAttr(n, "title"), getAttr(n, "datetime"))
		}
	}
	// Tables: thead with the header rows, spans.
	tables := find(body, atom.Table)
	var t1, t2, box *html.Node
	for _, tb := range tables {
		switch {
		case strings.Contains(textOf(tb), "指摘事項の一覧"):
			t1 = tb
		case strings.Contains(textOf(tb), "監査日程"):
			t2 = tb
		case hasClass(tb, "mdoc-approval"):
			box = tb
		}
	}
	if t1 == nil || t2 == nil || box == nil {
		t.Fatal("tables missing")
	}
	if th := find(t1, atom.Thead); len(th) != 1 || len(find(th[0], atom.Tr)) != 1 {
		t.Error("表1 needs one thead row")
	}
	if n := len(find(find(t1, atom.Tbody)[0], atom.Tr)); n != 40 {
		t.Errorf("表1 body rows %d", n)
	}
	if cols := find(t1, atom.Col); len(cols) != 5 || getAttr(cols[2], "class") != "w48" {
		t.Errorf("表1 columns %v", cols)
	}
	thead2 := find(t2, atom.Thead)[0]
	if n := len(find(thead2, atom.Tr)); n != 2 {
		t.Errorf("表2 thead rows %d", n)
	}
	ths := find(thead2, atom.Th)
	if getAttr(ths[0], "rowspan") != "2" || getAttr(ths[1], "colspan") != "2" || getAttr(ths[3], "rowspan") != "2" {
		t.Error("表2 spans wrong")
	}
	if !hasClass(ths[0], "bg-DDE6F0") {
		t.Error("header fill class missing")
	}
	if n := len(find(box, atom.Th)); n != 3 || len(find(box, atom.Td)) != 3 {
		t.Error("approval box needs 3 titles and 3 stamp cells")
	}
	// Charts inline as SVG with their captions.
	figs := 0
	for _, f := range find(body, atom.Figure) {
		if hasClass(f, "mdoc-chart") {
			figs++
			if len(find(f, atom.Svg)) != 1 || len(find(f, atom.Figcaption)) != 1 {
				t.Error("chart figure without svg or caption")
			}
		}
	}
	if figs != 4 {
		t.Errorf("%d charts, want 4", figs)
	}
	// Lists nest: the level-1 item sits in an inner ul inside an li.
	var inner bool
	for _, ul := range find(body, atom.Ul) {
		if ul.Parent.DataAtom == atom.Li && strings.Contains(textOf(ul), "管理簿に記録") {
			inner = true
		}
	}
	if !inner {
		t.Error("nested list item not nested")
	}
	if len(find(body, atom.Ol)) != 1 || len(find(find(body, atom.Ol)[0], atom.Li)) != 3 {
		t.Error("ordered list wrong")
	}
	// Decorations nest so they combine; bold is <strong>.
	for _, cls := range []string{"u", "u2", "s", "s2", "c-C00000"} {
		if !strings.Contains(src, `<span class="`+cls+`">`) {
			t.Errorf("no span.%s", cls)
		}
	}
}

func TestEscaping(t *testing.T) {
	nasty := `<script>alert("x")</script>&'` + "\x01\x7f\ufffe正\xff常"
	d := &docgen.Document{Meta: docgen.Meta{Title: nasty, Classification: `"}</style><script>x()</script>`},
		Cover: true, TOC: true,
		Sections: []docgen.Section{{Tab: nasty, Blocks: []docgen.Block{
			docgen.Heading{Level: 1, Text: nasty, Numbered: true},
			docgen.Paragraph{Runs: []docgen.Run{{Text: nasty + "\n二行目", Change: docgen.Inserted, Author: nasty, Date: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}, {Text: "x", Color: `red;}body{x:y`}}},
			docgen.Table{HeaderRows: 1, Rows: []docgen.Row{{Cells: []docgen.Cell{docgen.C(nasty)}}}},
			docgen.List{Items: []docgen.ListItem{{Level: 5, Runs: []docgen.Run{docgen.T(nasty)}}}},
			docgen.Image{Data: []byte("<svg onload=alert(1)>"), Caption: nasty},
			docgen.ApprovalBox{Titles: []string{nasty}},
		}}}}
	src := renderString(t, d, false)
	doc := parse(t, src)
	if n := len(find(doc, atom.Script)); n != 0 {
		t.Fatalf("%d script elements: escaping failed", n)
	}
	if len(find(doc, atom.Style)) != 1 || strings.Count(src, "</style>") != 1 {
		t.Fatal("classification broke out of <style>")
	}
	if strings.Contains(src, "body{x:y") {
		t.Error("colour not validated")
	}
	txt := textOf(find(doc, atom.Body)[0])
	if !strings.Contains(txt, `<script>alert("x")</script>&'正`+"\uFFFD"+"常") {
		t.Errorf("text not preserved: %q", txt)
	}
	if strings.ContainsAny(txt, "\x01\x7f\ufffe") {
		t.Error("control characters kept")
	}
	if len(find(doc, atom.Br)) == 0 {
		t.Error("line feed not written as <br>")
	}
	if !strings.Contains(txt, "［画像を表示できません］") {
		t.Error("bad image not replaced")
	}
}

func TestFragment(t *testing.T) {
	src := renderString(t, sample.Sample(), true)
	for _, bad := range []string{"<style", "style=", "<script", "<html", "<body", "<head>"} {
		if strings.Contains(src, bad) {
			t.Errorf("fragment contains %q", bad)
		}
	}
	nodes, err := html.ParseFragment(strings.NewReader(src), &html.Node{Type: html.ElementNode, Data: "main", DataAtom: atom.Main})
	if err != nil {
		t.Fatal(err)
	}
	var els []*html.Node
	for _, n := range nodes {
		if n.Type == html.ElementNode {
			els = append(els, n)
		}
	}
	if len(els) != 1 || !hasClass(els[0], "mdoc") {
		t.Fatalf("fragment should be one div.mdoc, got %d elements", len(els))
	}
	// Every class the fragment uses is defined by the stylesheet or is a
	// structural hook.
	css := Stylesheet(sample.Sample())
	seen := map[string]bool{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Namespace == "" {
			for _, c := range strings.Fields(getAttr(n, "class")) {
				seen[c] = true
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(els[0])
	hooks := map[string]bool{"mdoc-portrait": true, "mdoc-cover-fy": true, "mdoc-cover-sub": true, "mdoc-cover-version": true, "mdoc-cover-author": true, "mdoc-chart": true, "mdoc-img": true, "mdoc-toc1": true, "mdoc-cover-title": true}
	for c := range seen {
		if !hooks[c] && !strings.Contains(css, "."+c) {
			t.Errorf("class %q has no CSS rule", c)
		}
	}
}

func TestPageOfTotal(t *testing.T) {
	d := &docgen.Document{Meta: docgen.Meta{PageNumbers: docgen.PageOfTotal}}
	if css := Stylesheet(d); !strings.Contains(css, `counter(page) " / " counter(pages)`) {
		t.Error("PageOfTotal footer missing")
	}
	d.Meta.PageNumbers = docgen.PageNone
	if css := Stylesheet(d); strings.Contains(css, "counter(page)") {
		t.Error("PageNone still numbers pages")
	}
	parse(t, renderString(t, &docgen.Document{}, false))
}

func BenchmarkHTML100(b *testing.B) {
	d := sample.Report(100)
	for b.Loop() {
		var buf bytes.Buffer
		if err := Render(&buf, d); err != nil {
			b.Fatal(err)
		}
	}
}

// On screen a landscape section is as wide as its A4 landscape page, not
// capped at the portrait width by the enclosing document.
func TestLandscapeScreenWidth(t *testing.T) {
	css := Stylesheet(&docgen.Document{})
	if !strings.Contains(css, fmt.Sprintf(".mdoc-landscape{max-width:%dmm}", landscapeWidthMM)) || strings.Contains(css, ".mdoc{max-width") {
		t.Fatalf("screen widths wrong in stylesheet:\n%s", css)
	}
}
