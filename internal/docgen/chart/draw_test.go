package chart

import (
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var allKinds = []Kind{Bar, StackedBar, HBar, Line, Radar, Heatmap, Pie, Donut}

func kindName(k Kind) string {
	return [...]string{"Bar", "StackedBar", "HBar", "Line", "Radar", "Heatmap", "Pie", "Donut"}[k]
}

var depts = []string{"戸籍住民課", "税務課", "国保年金課", "福祉管理課", "介護保険課", "子育て支援課", "保育課", "情報政策課", "人事課", "会計管理室"}

// sampleCharts are the charts looked at in Chromium and drawn in tests.
func sampleCharts() map[string]Chart {
	cats30 := make([]string, 30)
	v30a, v30b := make([]float64, 30), make([]float64, 30)
	for i := range cats30 {
		cats30[i] = depts[i%len(depts)] + fmt.Sprint(i+1)
		v30a[i] = float64((i*7)%23 + 1)
		v30b[i] = float64((i*5)%17 + 2)
	}
	two := []Series{{Name: "令和7年度", Values: []float64{5, 3, 4, 2, 1, 6}}, {Name: "令和8年度", Values: []float64{3, 2, 4, 1, 0, 5}}}
	return map[string]Chart{
		"bar":      {Kind: Bar, Title: "所属別の指摘件数", Unit: "件", ValueLabel: true, Legend: true, Categories: depts[:6], Series: two},
		"stacked":  {Kind: StackedBar, Title: "判定の内訳（所属別）", Unit: "件", ValueLabel: true, Legend: true, Categories: depts[:5], Series: []Series{{Name: "適合", Values: []float64{20, 18, 25, 22, 17}}, {Name: "一部不適合", Values: []float64{4, 6, 2, 3, 5}}, {Name: "不適合", Values: []float64{1, 2, 0, 1, 3}}}},
		"hbar":     {Kind: HBar, Title: "分野別の平均点", Unit: "点", ValueLabel: true, Legend: true, Categories: []string{"パスワード管理", "電子メールの取扱い", "情報の持出し", "廃棄", "情報セキュリティ事故の報告", "SNS の利用"}, Series: two},
		"line":     {Kind: Line, Title: "月別の進捗率", Unit: "%", Max: 100, Legend: true, ValueLabel: true, Categories: []string{"4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月", "1月", "2月", "3月"}, Series: []Series{{Name: "計画", Values: []float64{5, 12, 20, 30, 38, 47, 58, 67, 75, 84, 93, 100}}, {Name: "実績", Values: []float64{4, 10, 19, 27, 35, 44, 52, 63}}}},
		"radar":    {Kind: Radar, Title: "分野別の理解度", Unit: "%", Max: 100, Legend: true, Categories: []string{"パスワード", "メール", "持出し", "廃棄", "事故報告", "SNS"}, Series: []Series{{Name: "一般職員", Values: []float64{82, 74, 65, 70, 58, 77}}, {Name: "管理職", Values: []float64{88, 80, 72, 79, 71, 69}}}},
		"heatmap":  {Kind: Heatmap, Title: "所属×分野の不適合件数", Unit: "件", Categories: []string{"組織体制", "人的対策", "物理的対策", "技術的対策", "運用", "外部委託"}, Series: []Series{{Name: "戸籍住民課", Values: []float64{0, 2, 1, 4, 3, 0}}, {Name: "税務課", Values: []float64{1, 0, 5, 2, 8, 1}}, {Name: "福祉管理課", Values: []float64{2, 3, 0, 1, 1, 6}}, {Name: "情報政策課", Values: []float64{0, 1, 2, 10, 0, 2}}}},
		"pie":      {Kind: Pie, Title: "判定の内訳", ValueLabel: true, Unit: "項目", Categories: []string{"適合", "一部不適合", "不適合", "該当なし", "未回答"}, Series: []Series{{Name: "項目数", Values: []float64{182, 24, 6, 11, 2}}}},
		"donut":    {Kind: Donut, Title: "判定の内訳", ValueLabel: true, Legend: true, Unit: "項目", Categories: []string{"適合", "一部不適合", "不適合", "該当なし"}, Series: []Series{{Name: "項目数", Values: []float64{182, 24, 6, 11}}}},
		"bar30":    {Kind: Bar, Title: "30所属の指摘件数（長い名前の所属を含む）", Unit: "件", ValueLabel: true, Legend: true, Categories: cats30, Series: []Series{{Name: "前年度", Values: v30a}, {Name: "本年度", Values: v30b}}},
		"barneg":   {Kind: Bar, Title: "前年度からの増減", Unit: "件", ValueLabel: true, Categories: []string{"戸籍住民課", "税務課", "国保年金課", "福祉管理課"}, Series: []Series{{Name: "増減", Values: []float64{3, -2, 0, -5}}}},
		"longlab":  {Kind: Bar, Title: "長いラベル", ValueLabel: true, Legend: true, Categories: []string{"情報セキュリティ管理者による定期的な点検の実施状況", "外部委託事業者の管理（再委託を含む）", "USB メモリ等の外部記録媒体の管理", "サーバ室の入退室管理"}, Series: []Series{{Name: "適合率", Values: []float64{82.5, 60, 91.25, 70}}}},
		"hbar30":   {Kind: HBar, Title: "30所属", Unit: "件", ValueLabel: true, Categories: cats30, Series: []Series{{Name: "本年度", Values: v30b}}},
		"heatmap8": {Kind: Heatmap, Title: "月×所属", Categories: []string{"4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月", "1月", "2月", "3月"}, Series: []Series{{Name: "戸籍住民課", Values: v30a[:12]}, {Name: "税務課", Values: v30b[:12]}, {Name: "人事課", Values: v30a[10:22]}, {Name: "会計管理室", Values: v30b[5:17]}, {Name: "保育課", Values: v30a[3:10]}}},
	}
}

// edgeCharts returns awkward data for kind k.
func edgeCharts(k Kind) map[string]Chart {
	long := strings.Repeat("情報セキュリティ対策", 8)
	cats30 := make([]string, 30)
	vals30 := make([]float64, 30)
	for i := range cats30 {
		cats30[i] = fmt.Sprintf("%s%d", long, i)
		vals30[i] = float64(i*i) - 100
	}
	return map[string]Chart{
		"empty":        {Kind: k, Title: "空"},
		"no series":    {Kind: k, Title: "系列なし", Categories: []string{"A", "B"}},
		"empty values": {Kind: k, Categories: []string{"A", "B"}, Series: []Series{{Name: "x"}}},
		"zeros":        {Kind: k, Title: "ゼロ", Categories: []string{"A", "B", "C"}, Series: []Series{{Name: "x", Values: []float64{0, 0, 0}}}, ValueLabel: true, Legend: true},
		"negatives":    {Kind: k, Title: "負の値", Unit: "件", Categories: []string{"増", "減", "同"}, Series: []Series{{Name: "a", Values: []float64{5, -3, 0}}, {Name: "b", Values: []float64{-1, -7, 2}}}, ValueLabel: true, Legend: true},
		"one":          {Kind: k, Title: "一つ", Categories: []string{"唯一の区分"}, Series: []Series{{Name: "x", Values: []float64{42}}}, ValueLabel: true, Legend: true},
		"thirty":       {Kind: k, Title: long, Categories: cats30, Series: []Series{{Name: long, Values: vals30}, {Name: "b", Values: vals30[5:]}}, ValueLabel: true, Legend: true},
		"nan":          {Kind: k, Categories: []string{"A", "B", "C"}, Series: []Series{{Name: "x", Values: []float64{math.NaN(), math.Inf(1), 3}}}, ValueLabel: true},
		"huge":         {Kind: k, Unit: "円", Categories: []string{"A", "B"}, Series: []Series{{Name: "x", Values: []float64{1.5e9, 2.25e9}}}, ValueLabel: true, Legend: true},
		"tiny":         {Kind: k, Categories: []string{"A", "B"}, Series: []Series{{Name: "x", Values: []float64{0.0012, 0.003}}}, ValueLabel: true},
		"no labels":    {Kind: k, Series: []Series{{Name: "x", Values: []float64{1, 2, 3}}}},
		"many series":  {Kind: k, Legend: true, Categories: []string{"A", "B", "C"}, Series: manySeries(12)},
		"max below":    {Kind: k, Max: 10, Categories: []string{"A", "B"}, Series: []Series{{Name: "x", Values: []float64{50, 5}}}},
		"html":         {Kind: k, Title: `<script>&"'`, Categories: []string{"<b>", "a&b"}, Series: []Series{{Name: "]]>", Values: []float64{1, 2}}}, Legend: true},
	}
}

func manySeries(n int) []Series {
	var s []Series
	for i := range n {
		s = append(s, Series{Name: fmt.Sprintf("系列%d", i+1), Values: []float64{float64(i), float64(n - i), 3}})
	}
	return s
}

var boxes = [][2]float64{{160, 96}, {80, 50}, {257, 120}, {30, 20}, {60, 120}}

// TestDrawEdgeData draws every kind with awkward data in several boxes
// and checks that nothing panics, every coordinate is finite and inside
// the box, and text stays inside by its estimated width.
func TestDrawEdgeData(t *testing.T) {
	for _, k := range allKinds {
		cases := edgeCharts(k)
		for name, c := range sampleCharts() {
			c.Kind = k
			cases["sample "+name] = c
		}
		for name, c := range cases {
			for _, box := range boxes {
				w, h := box[0], box[1]
				t.Run(fmt.Sprintf("%s/%s/%gx%g", kindName(k), name, w, h), func(t *testing.T) {
					shapes := Draw(c, w, h)
					if len(shapes) == 0 {
						t.Fatal("no shapes")
					}
					checkInside(t, shapes, w, h)
				})
			}
		}
	}
}

func checkInside(t *testing.T, shapes []Shape, w, h float64) {
	t.Helper()
	const eps = 1e-6
	in := func(x, y float64) bool {
		return finite(x) && finite(y) && x >= -eps && x <= w+eps && y >= -eps && y <= h+eps
	}
	for i, s := range shapes {
		switch s.Kind {
		case RectShape:
			if !in(s.X, s.Y) || !in(s.X+s.W, s.Y+s.H) || s.W < 0 || s.H < 0 {
				t.Errorf("shape %d rect outside: %+v", i, s)
			}
		case TextShape:
			tw := textWidth(s.Text, s.Size)
			x := s.X
			switch s.Anchor {
			case AnchorMiddle:
				x -= tw / 2
			case AnchorEnd:
				x -= tw
			}
			if !in(x, s.Y-em(s.Size)*0.88) || !in(x+tw, s.Y) || s.Size <= 0 {
				t.Errorf("shape %d text outside: %q at %.2f,%.2f size %.2f width %.2f", i, s.Text, s.X, s.Y, s.Size, tw)
			}
		default:
			if len(s.Points) < 2 {
				t.Errorf("shape %d has %d points", i, len(s.Points))
			}
			for _, p := range s.Points {
				if !in(p.X, p.Y) {
					t.Errorf("shape %d point outside: %+v", i, p)
					break
				}
			}
		}
	}
}

func TestDrawZeroBox(t *testing.T) {
	c := sampleCharts()["bar"]
	for _, box := range [][2]float64{{0, 10}, {10, 0}, {-1, 5}, {math.NaN(), 5}, {math.Inf(1), 5}} {
		if s := Draw(c, box[0], box[1]); s != nil {
			t.Errorf("Draw(%v) = %d shapes, want none", box, len(s))
		}
	}
}

// TestSVG checks that every kind's SVG parses as XML, carries its
// accessibility attributes, and contains the Japanese labels.
func TestSVG(t *testing.T) {
	dump := os.Getenv("CHART_DUMP") // directory: write an HTML page per chart to look at
	for name, c := range sampleCharts() {
		t.Run(name, func(t *testing.T) {
			svg := SVG(c, 160, 96)
			parseSVG(t, svg)
			for _, want := range []string{`role="img"`, `viewBox="0 0 160 96"`, `width="160mm"`, `height="96mm"`, "<title>" + c.Title + "</title>", `aria-label="` + c.Title + `"`, "BIZ UDPGothic"} {
				if !strings.Contains(svg, want) {
					t.Errorf("SVG lacks %q", want)
				}
			}
			if strings.Contains(svg, "href") || strings.Contains(svg, "url(") {
				t.Error("SVG has an external reference")
			}
			texts := svgTexts(t, svg)
			wantLabels := []string{c.Title}
			switch c.Kind {
			case Pie, Donut:
				if c.Legend {
					wantLabels = append(wantLabels, c.Categories...)
				}
			case Heatmap:
				for _, s := range c.Series {
					wantLabels = append(wantLabels, s.Name)
				}
			default:
				if c.Legend {
					for _, s := range c.Series {
						wantLabels = append(wantLabels, s.Name)
					}
				}
			}
			if name != "bar30" && name != "hbar30" && name != "longlab" {
				wantLabels = append(wantLabels, c.Categories...)
			}
			for _, l := range wantLabels {
				if !texts[l] && !strings.Contains(strings.Join(keys(texts), "\n"), l) {
					t.Errorf("no text %q in SVG", l)
				}
			}
			if dump != "" {
				page := `<!doctype html><meta charset="utf-8"><body style="margin:8px;background:#fff">` + svg +
					`<div style="filter:grayscale(1);display:inline-block">` + svg + `</div></body>`
				if err := os.WriteFile(filepath.Join(dump, name+".html"), []byte(page), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func keys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func parseSVG(t *testing.T, svg string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := dec.Token()
		if err != nil {
			if err.Error() == "EOF" {
				return
			}
			t.Fatalf("SVG does not parse: %v\n%s", err, svg)
		}
	}
}

// svgTexts collects the content of every <text> element, and the title.
func svgTexts(t *testing.T, svg string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	dec := xml.NewDecoder(strings.NewReader(svg))
	in := false
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch v := tok.(type) {
		case xml.StartElement:
			in = v.Name.Local == "text" || v.Name.Local == "title"
		case xml.CharData:
			if in {
				out[string(v)] = true
			}
		case xml.EndElement:
			in = false
		}
	}
	return out
}

func TestSVGEscapes(t *testing.T) {
	for _, k := range allKinds {
		c := edgeCharts(k)["html"]
		svg := SVG(c, 120, 80)
		parseSVG(t, svg)
		if strings.Contains(svg, "<script>") || strings.Contains(svg, "<b>") {
			t.Errorf("%s: unescaped text in SVG", kindName(k))
		}
		if !svgTexts(t, svg)[`<script>&"'`] {
			t.Errorf("%s: title not round-tripped", kindName(k))
		}
	}
}

func TestPaletteStable(t *testing.T) {
	want := []string{"0072B2", "E69F00", "000000", "009E73", "CC79A7", "56B4E9", "D55E00", "F0E442"}
	for i, c := range want {
		if SeriesColor(i) != c || SeriesColor(i+8) != c {
			t.Errorf("SeriesColor(%d) = %s, want %s", i, SeriesColor(i), c)
		}
	}
	// the first three series must differ in greyscale
	for i := range 3 {
		for j := i + 1; j < 3; j++ {
			if d := math.Abs(Lightness(Palette[i]) - Lightness(Palette[j])); d < 10 {
				t.Errorf("L* of %s and %s differ by only %.1f", Palette[i], Palette[j], d)
			}
		}
	}
	// bars take series colours in order
	c := sampleCharts()["stacked"]
	var fills []string
	seen := map[string]bool{}
	for _, s := range Draw(c, 160, 96) {
		if s.Kind == RectShape && s.Stroke == colOutine && s.Fill != "" && !seen[s.Fill] {
			seen[s.Fill] = true
			fills = append(fills, s.Fill)
		}
	}
	if strings.Join(fills, ",") != "0072B2,E69F00,000000" {
		t.Errorf("bar fills in order %v", fills)
	}
	// lines: distinct markers and dashes for neighbouring series
	if SeriesMarker(0) == SeriesMarker(1) || SeriesDashed(0) == SeriesDashed(1) {
		t.Error("neighbouring line series look alike")
	}
}

func TestNiceTicks(t *testing.T) {
	cases := []struct {
		lo, hi float64
		n      int
		want   string
	}{
		{0, 6, 5, "0 1 2 3 4 5 6"},
		{0, 100, 5, "0 20 40 60 80 100"},
		{-7, 5, 5, "-8 -6 -4 -2 0 2 4 6"},
		{0, 0.003, 4, "0 0.001 0.002 0.003"},
		{0, 2.25e9, 5, "0 5e+08 1e+09 1.5e+09 2e+09 2.5e+09"},
		{0, 1, 5, "0 0.2 0.4 0.6 0.8 1"},
		{0, 23, 5, "0 5 10 15 20 25"},
	}
	for _, c := range cases {
		var got []string
		for _, v := range niceTicks(c.lo, c.hi, c.n) {
			got = append(got, fmt.Sprint(v))
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("niceTicks(%g, %g, %d) = %s, want %s", c.lo, c.hi, c.n, g, c.want)
		}
	}
}

func TestWrapText(t *testing.T) {
	lines, cut := wrapText("情報セキュリティ事故の報告", textWidth("情報セキュリティ", 10), 10, 2)
	if cut || len(lines) != 2 || lines[0] != "情報セキュリティ" {
		t.Errorf("wrap = %q cut %v", lines, cut)
	}
	// 行頭禁則: 、 stays on the first line
	lines, _ = wrapText("あいう、えお", textWidth("あいう", 10), 10, 2)
	if lines[0] != "あいう、" {
		t.Errorf("kinsoku wrap = %q", lines)
	}
	lines, cut = wrapText(strings.Repeat("あ", 30), textWidth("ああああ", 10), 10, 2)
	if !cut || len(lines) != 2 || !strings.HasSuffix(lines[1], "…") {
		t.Errorf("cut wrap = %q cut %v", lines, cut)
	}
	lines, _ = wrapText("SNS utilisation policy", textWidth("SNS utilisation", 10)+0.1, 10, 2)
	if lines[0] != "SNS utilisation" {
		t.Errorf("word wrap = %q", lines)
	}
}

func TestFormat(t *testing.T) {
	for v, want := range map[float64]string{1234567: "1,234,567", -1234.5: "-1,234.5", 0.126: "0.13", 82.5: "82.5", 0: "0"} {
		if got := formatValue(v); got != want {
			t.Errorf("formatValue(%g) = %s, want %s", v, got, want)
		}
	}
}

func TestDescribe(t *testing.T) {
	got := Describe(sampleCharts()["bar"])
	if !strings.Contains(got, "令和7年度：戸籍住民課 5件") {
		t.Errorf("Describe = %s", got)
	}
}

func BenchmarkDrawSVG(b *testing.B) {
	cs := sampleCharts()
	for b.Loop() {
		for _, c := range cs {
			_ = SVG(c, 160, 96)
		}
	}
}

// TestDumpSmall writes every sample chart at 80×50 mm on one page when
// CHART_DUMP is set, to look at small layouts.
func TestDumpSmall(t *testing.T) {
	dump := os.Getenv("CHART_DUMP")
	if dump == "" {
		t.Skip("CHART_DUMP not set")
	}
	var b strings.Builder
	b.WriteString(`<!doctype html><meta charset="utf-8"><body style="margin:4px">`)
	for _, name := range []string{"bar", "stacked", "hbar", "line", "radar", "heatmap", "pie", "donut"} {
		b.WriteString(`<span style="display:inline-block;border:1px solid #ccc;margin:2px">` + SVG(sampleCharts()[name], 80, 50) + `</span>`)
	}
	if err := os.WriteFile(filepath.Join(dump, "small.html"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTinyBoxes draws every kind in boxes too small to hold anything: no
// chart may panic, however little room it has.
func TestTinyBoxes(t *testing.T) {
	for k := Bar; k <= Donut; k++ {
		for _, size := range [][2]float64{{5, 3}, {1, 1}, {12, 4}, {20, 12}, {24, 14}, {30, 12}, {20, 40}} {
			for _, labels := range [][]string{{"a"}, {"x"}, {"あい"}, {"Information"}, {"0"}} {
				c := Chart{Kind: k, Title: "t", Categories: labels, Series: []Series{{Name: "s", Values: []float64{0}}}, ValueLabel: true, Legend: true}
				_ = Draw(c, size[0], size[1])
			}
		}
	}
}
