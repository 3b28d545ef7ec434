package chart

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"mamori/internal/docgen/fonts"
	"mamori/internal/testkit"
)

// testFonts returns the embedded ゴシック faces; a binary built without
// them skips the test, or fails it in CI.
func testFonts(t testing.TB) (regular, bold []byte) {
	t.Helper()
	set, err := fonts.Load()
	if errors.Is(err, fonts.ErrMissing) {
		testkit.Missing(t, "日本語フォント（internal/docgen/fonts）", "make fonts（scripts/fonts.sh）を実行してからビルド")
	}
	if err != nil {
		t.Fatal(err)
	}
	return set.GothicRegular.Data, set.GothicBold.Data
}

// inked counts pixels that are not (near) white and reports whether the
// image holds any colour other than grey.
func inked(img image.Image) (n int, coloured bool) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				n++
			}
			if max(r, g, bl)-min(r, g, bl) > 0x2000 {
				coloured = true
			}
		}
	}
	return n, coloured
}

func TestPNGEveryKind(t *testing.T) {
	reg, bold := testFonts(t)
	out := os.Getenv("MAMORI_CHART_OUT")
	charts := sampleCharts()
	names := make([]string, 0, len(charts))
	for n := range charts {
		names = append(names, n)
	}
	sort.Strings(names)
	seen := map[Kind]bool{}
	for _, name := range names {
		c := charts[name]
		seen[c.Kind] = true
		const w, h, dpi = 160.0, 96.0, 200
		data, err := PNG(c, w, h, dpi, reg, bold)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: decode: %v", name, err)
		}
		wantW, wantH := int(math.Round(w/25.4*dpi)), int(math.Round(h/25.4*dpi))
		if b := img.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
			t.Errorf("%s: %d×%d px, want %d×%d", name, b.Dx(), b.Dy(), wantW, wantH)
		}
		// The corner is the white background.
		if r, g, b, _ := img.At(0, 0).RGBA(); r != 0xffff || g != 0xffff || b != 0xffff {
			t.Errorf("%s: background is not white", name)
		}
		n, coloured := inked(img)
		if total := wantW * wantH; n < total/100 {
			t.Errorf("%s: only %d of %d pixels are inked", name, n, total)
		}
		if !coloured {
			t.Errorf("%s: no series colour drawn", name)
		}
		if out != "" {
			if err := os.WriteFile(filepath.Join(out, name+".png"), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, k := range allKinds {
		if !seen[k] {
			t.Errorf("kind %s not drawn", kindName(k))
		}
	}
}

// TestPNGEdgeCases draws awkward data of every kind at small and odd
// sizes without failing, and text alone (「データがありません」) still inks.
func TestPNGEdgeCases(t *testing.T) {
	testkit.NoRace(t)
	reg, bold := testFonts(t)
	for _, k := range allKinds {
		for name, c := range edgeCharts(k) {
			for _, sz := range boxes {
				data, err := PNG(c, sz[0], sz[1], 96, reg, bold)
				if err != nil {
					t.Fatalf("%s/%s %v: %v", kindName(k), name, sz, err)
				}
				img, err := png.Decode(bytes.NewReader(data))
				if err != nil {
					t.Fatalf("%s/%s: decode: %v", kindName(k), name, err)
				}
				if sz[0] == 160 {
					if n, _ := inked(img); n < 50 {
						t.Errorf("%s/%s: blank (%d inked pixels)", kindName(k), name, n)
					}
				}
			}
		}
	}
}

func TestPNGArguments(t *testing.T) {
	reg, _ := testFonts(t)
	c := sampleCharts()["bar"]
	if _, err := PNG(c, 0, 10, 200, reg, nil); err == nil {
		t.Error("zero width accepted")
	}
	if _, err := PNG(c, 100, 60, 200, nil, nil); err == nil {
		t.Error("missing font accepted")
	}
	if _, err := PNG(c, 100, 60, 200, []byte("not a font"), nil); err == nil {
		t.Error("bad font accepted")
	}
	// Tiny boxes either draw or report an error; they never panic.
	for k, c := range edgeCharts(Bar) {
		if _, err := PNG(c, 5, 3, 200, reg, nil); err != nil {
			t.Logf("5×3 mm %s: %v", k, err)
		}
	}
	// dpi ≤ 0 is DocumentDPI; bold nil falls back to regular.
	data, err := PNG(c, 25.4, 25.4, 0, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != DocumentDPI || cfg.Height != DocumentDPI {
		t.Errorf("default dpi: %d×%d px", cfg.Width, cfg.Height)
	}
}

// TestPNGDash checks a dashed line leaves gaps and a solid one none.
func TestPNGDash(t *testing.T) {
	p := &painter{scale: 10, dpi: 254}
	for _, dash := range []bool{false, true} {
		p.img = image.NewRGBA(image.Rect(0, 0, 400, 20))
		for i := range p.img.Pix {
			p.img.Pix[i] = 0xff
		}
		p.shape(Shape{Kind: LineShape, Points: []Point{{1, 1}, {39, 1}}, Stroke: "000000", StrokeWidth: 0.4, Dash: dash})
		gaps := 0
		for x := 10; x < 390; x++ {
			if p.img.RGBAAt(x, 10).R == 0xff {
				gaps++
			}
		}
		if dash != (gaps > 50) {
			t.Errorf("dash=%v: %d empty pixels along the line", dash, gaps)
		}
	}
}

func BenchmarkPNG(b *testing.B) {
	reg, bold := testFonts(b)
	c := sampleCharts()["line"]
	for b.Loop() {
		if _, err := PNG(c, 160, 96, DocumentDPI, reg, bold); err != nil {
			b.Fatal(err)
		}
	}
}
