package docx

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"math"
	"strconv"
	"strings"
	"testing"

	"mamori/internal/docgen"
	"mamori/internal/docgen/chart"
	docfonts "mamori/internal/docgen/fonts"
	"mamori/internal/docgen/sample"
	"mamori/internal/testkit"
)

func needFonts(t testing.TB) {
	t.Helper()
	if _, err := docfonts.Load(); errors.Is(err, docfonts.ErrMissing) {
		testkit.Missing(t, "日本語フォント（internal/docgen/fonts）", "make fonts（scripts/fonts.sh）を実行してからビルド")
	} else if err != nil {
		t.Fatal(err)
	}
}

// TestChartsArePictures: the sample's four charts are PNG parts under
// word/media, each referenced by an image relationship from an inline
// drawing, with the chart's data as alternative text, and no data table.
func TestChartsArePictures(t *testing.T) {
	needFonts(t)
	_, p := render(t, sample.Sample())
	doc := p.doc(t)
	if strings.Contains(doc.text(), "グラフのデータ") {
		t.Error("a chart was written as a data table")
	}
	rels := map[string]string{}
	for _, r := range p.xml["word/_rels/document.xml.rels"].all("Relationship") {
		id, _ := r.attr("Id")
		typ, _ := r.attr("Type")
		target, _ := r.attr("Target")
		if typ == relImage {
			rels[id] = target
		}
	}
	var charts []string
	for _, in := range doc.all("inline") {
		blip, ext, pr := in.first("blip"), in.first("extent"), in.first("docPr")
		target := rels[attrOr(blip, "embed")]
		if target == "" {
			t.Errorf("a:blip r:embed=%q has no image relationship", attrOr(blip, "embed"))
			continue
		}
		if !strings.HasPrefix(target, "media/chart") {
			continue
		}
		charts = append(charts, target)
		if want := fmt.Sprintf("media/chart%d.png", len(charts)); target != want {
			t.Errorf("chart %d is %s, want %s", len(charts), target, want)
		}
		data := p.files["word/"+target]
		if data == nil {
			t.Errorf("%s: no part", target)
			continue
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Errorf("%s: %v", target, err)
			continue
		}
		// The picture is the extent at 200 dpi; the first chart is the
		// portrait text width (165 mm, as in the PDF) by 0.6 of it.
		cx, _ := strconv.ParseFloat(attrOr(ext, "cx"), 64)
		cy, _ := strconv.ParseFloat(attrOr(ext, "cy"), 64)
		wmm, hmm := cx/36000, cy/36000
		if b := img.Bounds(); math.Abs(float64(b.Dx())-wmm/25.4*200) > 1 || math.Abs(float64(b.Dy())-hmm/25.4*200) > 1 {
			t.Errorf("%s: %d×%d px for %.1f×%.1f mm", target, b.Dx(), b.Dy(), wmm, hmm)
		}
		if len(charts) == 1 && (math.Abs(wmm-165) > 0.1 || math.Abs(hmm-99) > 0.1) {
			t.Errorf("%s: %.1f×%.1f mm, want 165×99", target, wmm, hmm)
		}
		// The alternative text is the chart's data.
		if len(charts) == 1 && !strings.Contains(attrOr(pr, "descr"), "所属別の指摘件数。") {
			t.Errorf("alt text %q", attrOr(pr, "descr"))
		}
	}
	if len(charts) != 4 {
		t.Fatalf("%d chart pictures referenced (%v), want 4", len(charts), charts)
	}
	// The captions stay, under the pictures.
	for _, c := range []string{"図1 所属別の指摘件数", "図2 判定の内訳", "図3 自己点検の理解度", "図4 月別の進捗"} {
		if !strings.Contains(doc.text(), c) {
			t.Errorf("caption %q missing", c)
		}
	}
	var ct bool
	for _, d := range p.xml["[Content_Types].xml"].all("Default") {
		if attrOr(d, "Extension") == "png" && attrOr(d, "ContentType") == "image/png" {
			ct = true
		}
	}
	if !ct {
		t.Error("png content type not registered")
	}
}

func TestChartSize(t *testing.T) {
	needFonts(t)
	for _, tc := range []struct {
		land         bool
		w, h         float64
		wantW, wantH float64
		name         string
	}{
		{false, 0, 0, 165, 99, "defaults"},
		{false, 100, 0, 100, 60, "height from width"},
		{false, 300, 50, 165, 50, "clamped to text width"},
		{false, 80, 40, 80, 40, "as given"},
		{true, 0, 0, 0, 0, "landscape"},
	} {
		o := docgen.Portrait
		if tc.land {
			o = docgen.Landscape
		}
		r := newRenderer(&docgen.Document{})
		r.width = textWidth(o)
		w, h := r.chartSize(docgen.Chart{Width: tc.w, Height: tc.h})
		if tc.land {
			// 247 mm × 0.6 = 148 mm is taller than the landscape text
			// height less the caption's room: scaled down to fit.
			if maxH := twipsToMM(textHeight(docgen.Landscape)) - 25; math.Abs(h-maxH) > 0.01 || math.Abs(w/h-1/0.6) > 0.01 {
				t.Errorf("%s: %.1f×%.1f mm", tc.name, w, h)
			}
			continue
		}
		if math.Abs(w-tc.wantW) > 0.1 || math.Abs(h-tc.wantH) > 0.1 {
			t.Errorf("%s: %.1f×%.1f mm, want %.1f×%.1f", tc.name, w, h, tc.wantW, tc.wantH)
		}
	}
}

// TestChartWithoutFonts: a binary built without fonts still writes the
// chart, as its data table.
func TestChartWithoutFonts(t *testing.T) {
	saved := loadFonts
	loadFonts = func() (*docfonts.Set, error) { return nil, docfonts.ErrMissing }
	defer func() { loadFonts = saved }()
	d := &docgen.Document{Sections: []docgen.Section{{Blocks: []docgen.Block{
		docgen.Chart{Caption: "図1 件数", Chart: chart.Chart{Kind: chart.Bar, Categories: []string{"税務課", "保育課"}, Series: []chart.Series{{Name: "件数", Values: []float64{3, 5}}}}},
	}}}}
	_, p := render(t, d)
	text := p.doc(t).text()
	for _, want := range []string{"図1 件数（グラフのデータ）", "税務課", "5"} {
		if !strings.Contains(text, want) {
			t.Errorf("fallback table lacks %q", want)
		}
	}
	for name := range p.files {
		if strings.HasPrefix(name, "word/media/") {
			t.Errorf("unexpected %s", name)
		}
	}
}
