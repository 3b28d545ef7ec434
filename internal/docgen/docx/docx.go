// Package docx writes a docgen.Document as a Word (OOXML) package. It is
// written by hand with archive/zip because no Go library writes tracked
// changes (w:ins / w:del), which 見え消し drafts of regulations need so
// that a ward can accept or reject each change in Word or LibreOffice.
package docx

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/docgen/pdf"
)

// Page geometry in twips (1/1440 inch): A4 with the PDF's margins
// (internal/docgen/pdf geometryOf), so that a page holds the same text in
// both formats: portrait 27 mm top, 20 mm bottom, 25 mm at the binding
// (left) and 20 mm right; landscape 27 mm top, 17 mm bottom, 20 mm at
// either side.
const (
	a4Short     = 11906
	a4Long      = 16838
	marginTop   = 1531
	marginBot   = 1134
	marginLeft  = 1417
	marginRight = 1134
	landBot     = 964
	landSide    = 1134
	headerDist  = 794 // the PDF's header line sits 13–18 mm from the top
	footerDist  = 454 // and its page number 10 mm from the bottom
	// charTwips is one full-width character of 10.5 pt body text, the
	// unit of 字下げ.
	charTwips = 210
)

// Fonts. Word falls back to the w:altName in fontTable.xml (ＭＳ 明朝 /
// ＭＳ ゴシック) where 游明朝 / 游ゴシック are missing; LibreOffice
// substitutes a Japanese serif or sans font through fontconfig.
const (
	fontMincho = "游明朝"
	fontGothic = "游ゴシック"
)

// Render writes d to w as a .docx package.
func Render(w io.Writer, d *docgen.Document) error {
	if d == nil {
		return fmt.Errorf("docx render: nil document")
	}
	if err := docgen.Validate(d); err != nil {
		return err
	}
	r := newRenderer(d)
	if r.hasTOC() {
		// The contents' cached page numbers are the PDF's: Word shows
		// them until it updates the fields (it offers to on opening, see
		// settings.xml), LibreOffice and viewers show them as they are.
		// Without fonts there is no PDF layout and the numbers stay
		// empty until Word updates them.
		if pages, err := pdf.TOCPages(d); err == nil && len(pages) == r.tocEntries() {
			r.tocPages = pages
		}
	}
	r.body()

	zw := zip.NewWriter(w)
	// The body of a long report is megabytes of repetitive XML; the
	// fastest deflate level keeps a 100-page report well under a second
	// and costs little size.
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	mod := d.Meta.Date
	if mod.IsZero() || mod.Year() < 1980 {
		mod = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	add := func(name string, data []byte) error {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: mod})
		if err != nil {
			return fmt.Errorf("docx render: %s: %w", name, err)
		}
		if _, err := f.Write(data); err != nil {
			return fmt.Errorf("docx render: %s: %w", name, err)
		}
		return nil
	}
	// [Content_Types].xml must come first for some readers.
	parts := []struct {
		name string
		data []byte
	}{
		{"[Content_Types].xml", r.contentTypes()},
		{"_rels/.rels", []byte(rootRels)},
		{"docProps/core.xml", r.coreProps()},
		{"docProps/app.xml", []byte(appProps)},
		{"word/document.xml", r.document()},
		{"word/styles.xml", []byte(stylesXML)},
		{"word/settings.xml", []byte(settingsXML)},
		{"word/fontTable.xml", []byte(fontTableXML)},
		{"word/numbering.xml", r.numbering()},
		{"word/_rels/document.xml.rels", r.documentRels()},
	}
	for _, p := range parts {
		if err := add(p.name, p.data); err != nil {
			return err
		}
	}
	for _, hf := range r.hdrftr {
		if err := add("word/"+hf.file, hf.data); err != nil {
			return err
		}
	}
	for _, m := range r.media {
		if err := add("word/media/"+m.file, m.data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("docx render: close zip: %w", err)
	}
	return nil
}

// rel is one relationship of word/document.xml.
type rel struct{ id, typ, target string }

// media is an image stored under word/media.
type media struct {
	file string
	data []byte
}

// part is a header or footer part.
type part struct {
	file, kind string // kind: "header" or "footer"
	data       []byte
}

// headingRef is a heading as numbered in document order, for the TOC.
type headingRef struct {
	level    int
	text     string // as printed, with its number
	bookmark string
	inTOC    bool
}

type renderer struct {
	d        *docgen.Document
	b        *bytes.Buffer
	id       int  // w:id for changes and bookmarks, unique in the document
	docPr    int  // wp:docPr ids
	cellTop  bool // the table row being written aligns cells to the top
	rels     []rel
	media    []media
	charts   int // charts drawn as pictures (word/media/chartN.png)
	hdrftr   []part
	lists    int // ordered list instances (each restarts at 1)
	headings []headingRef
	tocPages []int // printed page of each TOC entry, from the PDF layout
	nextHead int
	width    int // text width of the current section in twips
	// under is where body text starts under the last heading (twips):
	// at the heading's own indent, as the PDF sets it (0 under 第1章 and
	// 1, one character under （1）, two under ア).
	under int
}

func newRenderer(d *docgen.Document) *renderer {
	r := &renderer{d: d, b: &bytes.Buffer{}}
	r.rels = []rel{
		{"rIdStyles", relStyles, "styles.xml"},
		{"rIdSettings", relSettings, "settings.xml"},
		{"rIdFonts", relFontTable, "fontTable.xml"},
		{"rIdNumbering", relNumbering, "numbering.xml"},
	}
	for _, h := range docgen.Headings(d) {
		r.headings = append(r.headings, headingRef{
			level:    clamp(h.Level, 1, 4),
			text:     h.Printed,
			bookmark: fmt.Sprintf("_TocMamori%d", len(r.headings)+1),
			// Every heading the PDF lists: levels 1–4 (deeper ones
			// count as 4).
			inTOC: !h.NoTOC,
		})
	}
	return r
}

// tocEntries is the number of headings the contents lists.
func (r *renderer) tocEntries() int {
	n := 0
	for _, h := range r.headings {
		if h.inTOC {
			n++
		}
	}
	return n
}

// hasTOC reports whether the document prints contents: as in the PDF,
// only when asked for and when some heading goes in them.
func (r *renderer) hasTOC() bool { return r.d.TOC && r.tocEntries() > 0 }

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

func (r *renderer) newID() int {
	r.id++
	return r.id
}

func (r *renderer) addRel(typ, target string) string {
	id := fmt.Sprintf("rId%d", len(r.rels)+1)
	r.rels = append(r.rels, rel{id, typ, target})
	return id
}

// addPart adds a header or footer part and returns its relationship id.
func (r *renderer) addPart(kind string, data []byte) string {
	file := fmt.Sprintf("%s%d.xml", kind, len(r.hdrftr)+1)
	r.hdrftr = append(r.hdrftr, part{file: file, kind: kind, data: data})
	typ := relHeader
	if kind == "footer" {
		typ = relFooter
	}
	return r.addRel(typ, file)
}

func (r *renderer) document() []byte {
	var out bytes.Buffer
	out.Grow(r.b.Len() + 1024)
	out.WriteString(xmlHeader)
	out.WriteString(`<w:document ` + nsDoc + `><w:body>`)
	out.Write(r.b.Bytes())
	out.WriteString(`</w:body></w:document>`)
	return out.Bytes()
}

func (r *renderer) documentRels() []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
	for _, rl := range r.rels {
		fmt.Fprintf(&b, `<Relationship Id="%s" Type="%s" Target="%s"/>`, rl.id, rl.typ, rl.target)
	}
	b.WriteString(`</Relationships>`)
	return b.Bytes()
}

func (r *renderer) contentTypes() []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString(`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`)
	b.WriteString(`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>`)
	b.WriteString(`<Default Extension="xml" ContentType="application/xml"/>`)
	b.WriteString(`<Default Extension="png" ContentType="image/png"/>`)
	b.WriteString(`<Default Extension="jpeg" ContentType="image/jpeg"/>`)
	ov := func(part, ct string) {
		fmt.Fprintf(&b, `<Override PartName="%s" ContentType="%s"/>`, part, ct)
	}
	const wml = "application/vnd.openxmlformats-officedocument.wordprocessingml."
	ov("/word/document.xml", wml+"document.main+xml")
	ov("/word/styles.xml", wml+"styles+xml")
	ov("/word/settings.xml", wml+"settings+xml")
	ov("/word/fontTable.xml", wml+"fontTable+xml")
	ov("/word/numbering.xml", wml+"numbering+xml")
	for _, p := range r.hdrftr {
		ov("/word/"+p.file, wml+p.kind+"+xml")
	}
	ov("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml")
	ov("/docProps/app.xml", "application/vnd.openxmlformats-officedocument.extended-properties+xml")
	b.WriteString(`</Types>`)
	return b.Bytes()
}

func (r *renderer) coreProps() []byte {
	m := r.d.Meta
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString(`<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`)
	el := func(name, v string) {
		if v == "" {
			return
		}
		b.WriteString("<" + name + ">")
		escape(&b, v)
		b.WriteString("</" + name + ">")
	}
	el("dc:title", m.Title)
	el("dc:subject", m.Subtitle)
	el("dc:creator", m.Author)
	el("cp:lastModifiedBy", m.Author)
	el("cp:category", m.Classification)
	el("cp:version", m.Version)
	if !m.Date.IsZero() {
		ts := m.Date.UTC().Format("2006-01-02T15:04:05Z")
		b.WriteString(`<dcterms:created xsi:type="dcterms:W3CDTF">` + ts + `</dcterms:created>`)
		b.WriteString(`<dcterms:modified xsi:type="dcterms:W3CDTF">` + ts + `</dcterms:modified>`)
	}
	b.WriteString(`</cp:coreProperties>`)
	return b.Bytes()
}
