package pdf

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"regexp"
	"strings"
	"time"

	"bytes"
	"errors"
	"flag"
	"mamori/internal/docgen/chart"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"mamori/internal/docgen"
	"mamori/internal/docgen/fonts"
	"mamori/internal/docgen/sample"
	"mamori/internal/testkit"
)

var keep = flag.String("keep", "", "write the rendered sample PDF to this path")

func needFonts(t testing.TB) {
	t.Helper()
	if _, err := fonts.Load(); errors.Is(err, fonts.ErrMissing) {
		testkit.Missing(t, "日本語フォント（internal/docgen/fonts）", "make fonts（scripts/fonts.sh）を実行してからビルド")
	}
}

func render(t testing.TB, d *docgen.Document) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, d); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tool runs a poppler tool on the PDF and returns its output.
func tool(t *testing.T, pdf []byte, name string, args ...string) string {
	t.Helper()
	bin := testkit.Tool(t, name)
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	args = append(args, path)
	if name == "pdftotext" {
		args = append(args, "-")
	}
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	return string(out)
}

// inOrder checks that each want string appears in text after the previous one.
func inOrder(t *testing.T, text string, want ...string) {
	t.Helper()
	flat := strings.Join(strings.Fields(text), "")
	pos := 0
	for _, w := range want {
		w = strings.Join(strings.Fields(w), "")
		i := strings.Index(flat[pos:], w)
		if i < 0 {
			t.Errorf("%q not found after offset %d", w, pos)
			continue
		}
		pos += i + len(w)
	}
}

func TestRenderSample(t *testing.T) {
	needFonts(t)
	pdf := render(t, sample.Sample())
	if *keep != "" {
		if err := os.WriteFile(*keep, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text := tool(t, pdf, "pdftotext", "-layout")
	pages := strings.Split(text, "\f")
	// Cover from Meta, in order.
	inOrder(t, pages[0], "取扱注意", "令和8年度", "文書生成の見本（全要素）", "情報セキュリティ対策支援業務", "令和8年11月26日", "ひので区", "情報政策課")
	// Table of contents with page numbers.
	toc := regexp.MustCompile(`(?m)^\s*(第1章\s+総則|1\s+この文書の目的|（1）\s+見え消し（変更履歴）|第3章\s+横向きの表)[\s.…]*?(\d+)\s*$`)
	found := toc.FindAllStringSubmatch(pages[1], -1)
	if len(found) != 4 {
		t.Errorf("TOC entries with numbers: %q\n%s", found, pages[1])
	}
	// Body text in order, with kinsoku-safe runs intact.
	inOrder(t, text, "第1章 総則", "1 この文書の目的", "この文書は、Mamori が作成する", "Information Security Management System", "2,048",
		"2 文字の装飾", "太字", "下線", "二重下線", "取消線", "二重取消線", "色付きの文字",
		"（1） 見え消し（変更履歴）", "速やかに直ちに", "ア 箇条書き", "離席時は画面をロックする。", "使用後は管理簿に記録する。",
		"1. インシデントを発見する。", "第2章 表とグラフ", "表1 指摘事項の一覧", "No", "所属", "指摘事項", "判定", "根拠規定",
		"戸籍住民課", "図1 所属別の指摘件数", "1 決裁", "課長", "係長", "担当", "第3章 横向きの表", "表2 監査日程（結合セル）", "実地監査", "報告", "図4 月別の進捗")
	// Page numbers 「- n -」 on every body page, counting from 1.
	body := 0
	for i, p := range pages[2:] {
		if strings.TrimSpace(p) == "" {
			continue
		}
		body++
		if !regexp.MustCompile(fmt.Sprintf(`(?m)^\s*-\s*%d\s*-\s*$`, i+1)).MatchString(p) {
			t.Errorf("body page %d lacks its number", i+1)
		}
		if !strings.Contains(p, "取扱注意") {
			t.Errorf("body page %d lacks the classification", i+1)
		}
	}
	// The TOC number of 第3章 is the page that carries it.
	for _, m := range found {
		if strings.Contains(m[1], "第3章") {
			var n int
			fmt.Sscan(m[2], &n)
			if n < 1 || n+1 >= len(pages) || !strings.Contains(pages[n+1], "横向きの表") {
				t.Errorf("TOC says 第3章 is on page %d; not there", n)
			}
		}
	}
	// The header repeats on every page the findings table runs over.
	heads := 0
	for _, p := range pages {
		if strings.Contains(p, "指摘事項") && strings.Contains(p, "根拠規定") {
			heads++
		}
	}
	if heads < 2 {
		t.Errorf("table header printed on %d pages, want the table's every page", heads)
	}

	info := tool(t, pdf, "pdfinfo", "-f", "1", "-l", "99")
	if !regexp.MustCompile(`Page\s+1 size:\s+595(\.\d*)? x 84[12](\.\d*)? pts \(A4\)`).MatchString(info) {
		t.Errorf("first page not A4 portrait:\n%s", info)
	}
	if !regexp.MustCompile(`size:\s+841\.\d* x 595\.\d* pts \(A4\)`).MatchString(info) {
		t.Errorf("no A4 landscape page:\n%s", info)
	}
	fontsOut := tool(t, pdf, "pdffonts")
	for _, want := range []string{"NotoSerifJP-Regular", "NotoSerifJP-Bold", "BIZUDPGothic", "BIZUDPGothic-Bold"} {
		if !strings.Contains(fontsOut, want) {
			t.Errorf("font %s not in PDF:\n%s", want, fontsOut)
		}
	}
	for _, line := range strings.Split(fontsOut, "\n")[2:] {
		if f := strings.Fields(line); len(f) > 0 {
			if !regexp.MustCompile(`^[A-Z]{6}\+`).MatchString(f[0]) || !strings.Contains(line, " yes yes ") {
				t.Errorf("font not embedded as a subset: %s", line)
			}
		}
	}
	if len(pdf) > 1<<20 {
		t.Errorf("sample PDF is %d bytes; fonts not subset?", len(pdf))
	}
}

func TestPageOfTotal(t *testing.T) {
	needFonts(t)
	d := &docgen.Document{Meta: docgen.Meta{Title: "t", PageNumbers: docgen.PageOfTotal},
		Sections: []docgen.Section{{Blocks: []docgen.Block{docgen.P("一"), docgen.PageBreak{}, docgen.P("二"), docgen.PageBreak{}, docgen.P("三")}}}}
	text := tool(t, render(t, d), "pdftotext", "-layout")
	inOrder(t, text, "一", "1/3", "二", "2/3", "三", "3/3")
	d.Meta.PageNumbers = docgen.PageNone
	if text := tool(t, render(t, d), "pdftotext", "-layout"); regexp.MustCompile(`/\s*3|-\s*1\s*-`).MatchString(text) {
		t.Errorf("PageNone printed numbers:\n%s", text)
	}
}

// TestTableSplitting renders a table whose one row is taller than a page
// and checks every line of it is printed once, in order, with the header
// on every page.
func TestTableSplitting(t *testing.T) {
	needFonts(t)
	var long []string
	for i := range 150 {
		long = append(long, fmt.Sprintf("行%03d", i))
	}
	tb := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 1}, {Width: 1}},
		Rows: []docgen.Row{{Cells: []docgen.Cell{docgen.C("見出しA"), docgen.C("見出しB")}}}}
	for i := range 30 {
		tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(fmt.Sprintf("短い行%d", i)), docgen.C("本文")}})
	}
	tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C("長い行"), docgen.C(strings.Join(long, "\n"))}})
	tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C("最後の行"), docgen.C("終わり")}})
	d := &docgen.Document{Sections: []docgen.Section{{Blocks: []docgen.Block{tb}}}}
	text := tool(t, render(t, d), "pdftotext", "-layout")
	pages := strings.Split(strings.TrimRight(text, "\f"), "\f")
	if len(pages) < 3 {
		t.Fatalf("%d pages, want the long row over several", len(pages))
	}
	for i, p := range pages {
		if !strings.Contains(p, "見出しA") {
			t.Errorf("page %d lacks the header row", i+1)
		}
	}
	want := append([]string{"短い行0", "短い行29"}, long...)
	inOrder(t, text, append(want, "最後の行")...)
	for _, w := range long {
		if n := strings.Count(text, w); n != 1 {
			t.Errorf("%s printed %d times", w, n)
		}
	}
}

// TestWidow checks that a paragraph's last line never starts a page alone.
func TestWidow(t *testing.T) {
	needFonts(t)
	para := strings.Repeat("情報資産を適切に管理する。", 7) // three lines
	for fill := 30; fill < 46; fill++ {
		var blocks []docgen.Block
		for i := range fill {
			blocks = append(blocks, docgen.P(fmt.Sprintf("埋め草%d", i)))
		}
		blocks = append(blocks, docgen.Paragraph{Runs: []docgen.Run{docgen.T(para + "終わりの行")}})
		d := &docgen.Document{Meta: docgen.Meta{PageNumbers: docgen.PageNone}, Sections: []docgen.Section{{Blocks: blocks}}}
		text := tool(t, render(t, d), "pdftotext", "-layout")
		pages := strings.Split(strings.TrimRight(text, "\f"), "\f")
		last := strings.Fields(pages[len(pages)-1])
		if len(pages) > 1 && len(last) == 1 {
			t.Errorf("fill %d: the last page holds one line %q", fill, last)
		}
	}
}

func TestImageChartAndEmpty(t *testing.T) {
	needFonts(t)
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for x := range 40 {
		for y := range 20 {
			img.Set(x, y, color.RGBA{255, 255, 255, 255})
		}
		img.Set(x, 10, color.RGBA{200, 0, 0, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	shapes := []chart.Shape{
		{Kind: chart.RectShape, X: 10, Y: 10, W: 30, H: 40, Fill: "0072B2"},
		{Kind: chart.LineShape, Points: []chart.Point{{X: 5, Y: 55}, {X: 150, Y: 55}}, Stroke: "444444", StrokeWidth: 0.3},
		{Kind: chart.PolylineShape, Points: []chart.Point{{X: 5, Y: 5}, {X: 50, Y: 30}, {X: 90, Y: 20}}, Stroke: "E69F00", StrokeWidth: 0.6, Dash: true},
		{Kind: chart.PolygonShape, Points: []chart.Point{{X: 100, Y: 10}, {X: 140, Y: 10}, {X: 120, Y: 40}}, Fill: "009E73", Stroke: "333333"},
		{Kind: chart.TextShape, X: 80, Y: 70, Text: "凡例：令和8年度", Size: 9, Anchor: chart.AnchorMiddle, Bold: true},
	}
	d := &docgen.Document{Meta: docgen.Meta{Date: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}, Sections: []docgen.Section{{Blocks: []docgen.Block{
		docgen.Image{Data: buf.Bytes(), Width: 60, Caption: "図A 画像"},
		docgen.Image{Data: []byte("not an image")},
		docgen.Chart{Chart: chart.Chart{Title: "見本"}, Width: 160, Height: 80, Caption: "図B 手描きの図形"},
		docgen.Table{}, docgen.List{}, docgen.Paragraph{},
	}}}}
	var out bytes.Buffer
	if err := RenderWith(&out, d, Options{DrawChart: func(chart.Chart, float64, float64) []chart.Shape { return shapes }}); err != nil {
		t.Fatal(err)
	}
	text := tool(t, out.Bytes(), "pdftotext", "-layout")
	inOrder(t, text, "図A 画像", "画像を表示できません", "凡例：令和8年度", "図B 手描きの図形")
	if n := bytes.Count(out.Bytes(), []byte("/Subtype /Image")); n != 1 {
		t.Errorf("%d images in the PDF, want 1", n)
	}
}

func BenchmarkReport100(b *testing.B) {
	needFonts(b)
	d := sample.Report(100)
	pages := 0
	for b.Loop() {
		var buf bytes.Buffer
		if err := RenderWith(&buf, d, DefaultOptions); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
		pages = bytes.Count(buf.Bytes(), []byte("/Type /Page\n"))
	}
	b.ReportMetric(float64(pages), "pages")
}

// TestBodyStartsUnderItsHeading: paragraphs and lists start at their
// heading's indent — never left of an indented （1） or ア heading — the
// same way under every heading; a first-line indent adds one character to
// that; centred and right-aligned lines keep the full width.
func TestBodyStartsUnderItsHeading(t *testing.T) {
	needFonts(t)
	d := &docgen.Document{Meta: docgen.Meta{PageNumbers: docgen.PageNone}, Sections: []docgen.Section{{Blocks: []docgen.Block{
		docgen.Heading{Level: 1, Text: "章", Numbered: true},
		docgen.Heading{Level: 2, Text: "節", Numbered: true},
		docgen.P("甲本文"),
		docgen.Heading{Level: 3, Text: "項", Numbered: true},
		docgen.P("乙本文"),
		docgen.Paragraph{FirstIndent: true, Runs: []docgen.Run{docgen.T("丙本文")}},
		docgen.Paragraph{Align: docgen.AlignRight, Runs: []docgen.Run{docgen.T("丁日付")}},
		docgen.Heading{Level: 4, Text: "目", Numbered: true},
		docgen.P("戊本文"),
		docgen.List{Items: []docgen.ListItem{{Runs: []docgen.Run{docgen.T("己箇条")}}}},
		docgen.Heading{Level: 2, Text: "次の節", Numbered: true},
		docgen.P("庚本文"),
		docgen.List{Items: []docgen.ListItem{{Runs: []docgen.Run{docgen.T("辛箇条")}}}},
	}}}}
	l, err := layOut(d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := map[string]float64{}
	for _, p := range l.pages {
		for _, o := range p.ops {
			if o.kind == opText && o.text != "" {
				if r := []rune(o.text); len(r) > 0 {
					if _, ok := x[string(r[0])]; !ok {
						x[string(r[0])] = o.x
					}
				}
			}
		}
	}
	left := l.g.left
	_, _, _, h3 := headingStyle(3)
	_, _, _, h4 := headingStyle(4)
	want := map[string]float64{"甲": left, "乙": left + h3, "丙": left + h3 + bodyPt, "戊": left + h4, "庚": left}
	for k, w := range want {
		if math.Abs(x[k]-w) > 0.01 {
			t.Errorf("%s本文 starts at %.1f, want %.1f", k, x[k], w)
		}
	}
	if x["己"]-x["辛"] < h4-0.01 {
		t.Errorf("a list under ア starts at %.1f, under 1 at %.1f: not under its heading", x["己"], x["辛"])
	}
	if x["丁"] < left+l.textWidth()/2 {
		t.Errorf("the right-aligned line starts at %.1f", x["丁"])
	}
}

// TestHeaderNotOrphaned: a table whose first row is tall never leaves its
// header alone at the foot of a page, wherever the table starts.
func TestHeaderNotOrphaned(t *testing.T) {
	needFonts(t)
	tall := strings.Repeat("課題の本文を一行ずつ書く。\n", 10) + "一行目の終わり"
	for fill := 20; fill < 50; fill++ {
		var blocks []docgen.Block
		for i := range fill {
			blocks = append(blocks, docgen.P(fmt.Sprintf("埋め草%d", i)))
		}
		blocks = append(blocks, docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 1}, {Width: 3}},
			Rows: []docgen.Row{{Cells: []docgen.Cell{docgen.C("表の見出し"), docgen.C("内容")}}, {Cells: []docgen.Cell{docgen.C("O1"), docgen.C(tall)}}}})
		d := &docgen.Document{Meta: docgen.Meta{PageNumbers: docgen.PageNone}, Sections: []docgen.Section{{Blocks: blocks}}}
		text := tool(t, render(t, d), "pdftotext", "-layout")
		for i, p := range strings.Split(strings.TrimRight(text, "\f"), "\f") {
			if strings.Contains(p, "表の見出し") && !strings.Contains(p, "O1") {
				t.Errorf("fill %d: page %d holds the header without the first row", fill, i+1)
			}
		}
	}
}

// TestSubheadingRowKeptWithNext: a row that is one cell across the whole
// table (a checklist's 分類) never ends a page: it moves with the row
// under it, wherever the page break falls.
func TestSubheadingRowKeptWithNext(t *testing.T) {
	needFonts(t)
	body := strings.Repeat("確認する内容を一行ずつ書く。\n", 5)
	for fill := range 12 {
		var blocks []docgen.Block
		for i := range fill * 3 {
			blocks = append(blocks, docgen.P(fmt.Sprintf("埋め草%d", i)))
		}
		tb := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 1}, {Width: 4}},
			Rows: []docgen.Row{docgen.HeadRow("番号", "内容")}}
		for i := range 12 {
			tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T(fmt.Sprintf("■分類%d", i))}, ColSpan: 2, Bold: true}}},
				docgen.Row{Cells: []docgen.Cell{docgen.C(fmt.Sprintf("項目%d", i)), docgen.C(body)}})
		}
		blocks = append(blocks, tb)
		d := &docgen.Document{Meta: docgen.Meta{PageNumbers: docgen.PageNone}, Sections: []docgen.Section{{Blocks: blocks}}}
		l, err := layOut(d, Options{})
		if err != nil {
			t.Fatal(err)
		}
		pageOf := map[string]int{}
		for pi, p := range l.pages {
			for _, o := range p.ops {
				if o.kind == opText && (strings.HasPrefix(o.text, "■分類") || strings.HasPrefix(o.text, "項目")) {
					pageOf[o.text] = pi
				}
			}
		}
		for i := range 12 {
			h, r := fmt.Sprintf("■分類%d", i), fmt.Sprintf("項目%d", i)
			if pageOf[h] != pageOf[r] {
				t.Errorf("fill %d: %s is on page %d, its row on page %d", fill, h, pageOf[h]+1, pageOf[r]+1)
			}
		}
	}
}
