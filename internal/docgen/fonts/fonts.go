// Package fonts holds the Japanese TrueType fonts that Mamori embeds in
// its binary for the PDF renderer, with their glyph advance widths, so
// that documents are laid out and measured without a font installed on
// the server. The TTF files are fetched from npm by scripts/fonts.sh at
// build time and embedded from files/; they are never committed.
package fonts

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"unicode/utf8"

	"github.com/signintech/gopdf/fontmaker/core"
)

//go:embed files
var files embed.FS

// ErrMissing is returned by Load when the binary was built without the
// font files (scripts/fonts.sh was not run before go build).
var ErrMissing = errors.New("PDF 用フォントが組み込まれていません。make fonts を実行してからビルドしてください")

// Face is one embedded font: its TrueType bytes (to hand to the PDF
// writer) and its metrics (to measure text while laying out pages).
type Face struct {
	Name string // file name without .ttf, e.g. "serif-regular"
	Data []byte

	// Ascender and Descender are the typographic ascent (positive) and
	// descent (negative) in thousandths of an em.
	Ascender, Descender float64

	bmp   []uint16 // advance per BMP rune in 1/1000 em; missing = fallback
	has   []bool
	extra map[rune]uint16
	space uint16 // width used for glyphs the font lacks (the PDF writer draws a space)
}

// Set is the four faces Mamori prints with: a 明朝-style serif for body
// text and a ゴシック for headings and tables, each with a real bold.
type Set struct {
	SerifRegular, SerifBold, GothicRegular, GothicBold *Face
}

var (
	once   sync.Once
	loaded *Set
	errLd  error
)

// Load returns the embedded fonts, read and parsed once per process.
func Load() (*Set, error) {
	once.Do(func() { loaded, errLd = load(files) })
	return loaded, errLd
}

func load(fsys fs.FS) (*Set, error) {
	var s Set
	for _, f := range []struct {
		name string
		dst  **Face
	}{
		{"serif-regular", &s.SerifRegular}, {"serif-bold", &s.SerifBold},
		{"gothic-regular", &s.GothicRegular}, {"gothic-bold", &s.GothicBold},
	} {
		data, err := fs.ReadFile(fsys, "files/"+f.name+".ttf")
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrMissing
		}
		if err != nil {
			return nil, fmt.Errorf("fonts: read %s: %w", f.name, err)
		}
		face, err := parse(f.name, data)
		if err != nil {
			return nil, err
		}
		*f.dst = face
	}
	return &s, nil
}

// parse reads the advance widths the same way the PDF writer (gopdf)
// computes its /W array, so measured and printed widths agree exactly.
func parse(name string, data []byte) (*Face, error) {
	var p core.TTFParser
	if err := p.ParseFontData(data); err != nil {
		return nil, fmt.Errorf("fonts: parse %s: %w", name, err)
	}
	upem := p.UnitsPerEm()
	widths := p.Widths()
	nh := p.NumberOfHMetrics()
	if upem == 0 || nh == 0 || len(widths) == 0 {
		return nil, fmt.Errorf("fonts: parse %s: no horizontal metrics", name)
	}
	adv := func(gid uint) uint16 {
		if gid >= nh {
			gid = nh - 1
		}
		w := widths[gid]
		if upem != 1000 {
			w = w * 1000 / upem
		}
		return uint16(w)
	}
	f := &Face{Name: name, Data: data, bmp: make([]uint16, 0x10000), has: make([]bool, 0x10000), extra: map[rune]uint16{},
		Ascender:  float64(p.TypoAscender()) * 1000 / float64(upem),
		Descender: float64(p.TypoDescender()) * 1000 / float64(upem)}
	for c, gid := range p.Chars() {
		if c >= 0 && c < 0x10000 {
			f.bmp[c] = adv(gid)
			f.has[c] = true
		}
	}
	for _, g := range p.GroupingTables() {
		for c := g.StartCharCode; c <= g.EndCharCode && c-g.StartCharCode < 1<<16; c++ {
			if c >= 0x10000 && c <= utf8.MaxRune {
				f.extra[rune(c)] = adv(c - g.StartCharCode + g.GlyphID)
			}
		}
	}
	f.space = f.bmp[' ']
	return f, nil
}

// Has reports whether the face has a glyph for r.
func (f *Face) Has(r rune) bool {
	if r >= 0 && r < 0x10000 {
		return f.has[r]
	}
	_, ok := f.extra[r]
	return ok
}

// Advance is r's advance width in thousandths of an em (a glyph the
// face lacks measures as the space the PDF writer substitutes).
func (f *Face) Advance(r rune) float64 {
	if r >= 0 && r < 0x10000 {
		if f.has[r] {
			return float64(f.bmp[r])
		}
		return float64(f.space)
	}
	if w, ok := f.extra[r]; ok {
		return float64(w)
	}
	return float64(f.space)
}

// Width is the printed width of s at size points, in points.
func (f *Face) Width(s string, size float64) float64 {
	var w float64
	for _, r := range s {
		w += f.Advance(r)
	}
	return w * size / 1000
}
