// Package pdf renders a docgen.Document as an A4 PDF in pure Go: its own
// layout layer (Japanese line breaking with kinsoku, paragraphs, lists,
// tables with merged cells and repeated headers, charts as vectors) on top
// of gopdf, which writes the file and subsets the embedded fonts.
package pdf

import (
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/signintech/gopdf"

	"mamori/internal/docgen"
	"mamori/internal/docgen/chart"
	"mamori/internal/docgen/fonts"
)

// Options adjusts rendering; the zero value is what deliverables use.
type Options struct {
	// DrawChart draws a chart as shapes in a w×h mm box; nil is
	// chart.Draw, the painter web pages share.
	DrawChart func(c chart.Chart, w, h float64) []chart.Shape
	// OnMissing, when set, is told which characters the embedded fonts
	// lack; they print as 〓 (the customary mark for a missing glyph).
	OnMissing func(missing []rune)
	// OnSplit, when set, is told of every number or latin word the
	// breaker had to cut between two lines because it was wider than its
	// line (a column too narrow for 845 or ISMAP): the print check fails
	// on it.
	OnSplit func(word string)
}

// Substitute is what prints in place of a character the fonts lack.
const Substitute = '〓'

// substitute replaces the characters the fonts lack with Substitute and
// returns the document to lay out and the characters replaced.
func substitute(d *docgen.Document, fs *fonts.Set) (*docgen.Document, []rune) {
	seen := map[rune]bool{}
	var missing []rune
	out := docgen.MapText(d, func(s string) string {
		ok := true
		for _, r := range s {
			if r < 0x20 || r == ' ' || r == '\u3000' || (fs.SerifRegular.Has(r) && fs.GothicRegular.Has(r)) {
				continue
			}
			ok = false
			break
		}
		if ok {
			return s
		}
		b := []rune(s)
		for i, r := range b {
			if r < 0x20 || r == ' ' || r == '\u3000' || (fs.SerifRegular.Has(r) && fs.GothicRegular.Has(r)) {
				continue
			}
			if !seen[r] {
				seen[r] = true
				missing = append(missing, r)
			}
			b[i] = Substitute
		}
		return string(b)
	})
	return out, missing
}

// DefaultOptions is what Render uses.
var DefaultOptions = Options{}

// Render writes d as a PDF to w.
func Render(w io.Writer, d *docgen.Document) error {
	return RenderWith(w, d, DefaultOptions)
}

// RenderWith writes d as a PDF to w with options.
func RenderWith(w io.Writer, d *docgen.Document, opt Options) error {
	l, err := layOut(d, opt)
	if err != nil {
		return err
	}
	if err := l.write(w); err != nil {
		return fmt.Errorf("pdf: %w", err)
	}
	return nil
}

// layOut validates d and lays it out into pages.
func layOut(d *docgen.Document, opt Options) (*layouter, error) {
	if err := docgen.Validate(d); err != nil {
		return nil, err
	}
	fs, err := fonts.Load()
	if err != nil {
		return nil, fmt.Errorf("pdf: %w", err)
	}
	d, missing := substitute(d, fs)
	if len(missing) > 0 && opt.OnMissing != nil {
		opt.OnMissing(missing)
	}
	l := &layouter{fs: fs, faces: [4]*fonts.Face{fs.SerifRegular, fs.SerifBold, fs.GothicRegular, fs.GothicBold}, opt: opt, doc: d}
	l.layout()
	return l, nil
}

// TOCPages lays d out as Render does, without writing a file, and returns
// the printed page number of each entry of its table of contents: the
// headings of docgen.Headings(d) that are not NoTOC, in order. It is nil
// when the PDF prints no contents. The DOCX writer fills its contents'
// page numbers from it, so both formats print the same numbers.
func TOCPages(d *docgen.Document) ([]int, error) {
	l, err := layOut(d, Options{})
	if err != nil {
		return nil, err
	}
	if !l.doc.TOC || len(l.toc) == 0 {
		return nil, nil
	}
	out := make([]int, len(l.toc))
	for i, e := range l.toc {
		out[i] = e.page
	}
	return out, nil
}

// layout lays the whole document out into pages.
func (l *layouter) layout() {
	d := l.doc
	if d.Cover {
		l.cover()
	}
	if d.TOC {
		l.collectTOC()
		if len(l.toc) > 0 {
			l.tocPages()
		}
	}
	tocIndex := 0
	for _, s := range d.Sections {
		l.landscp, l.tab = s.Orientation == docgen.Landscape, s.Tab
		l.newPage(bodyPage)
		for i, b := range s.Blocks {
			switch b := docgen.Value(b).(type) {
			case docgen.Heading:
				// A heading stays with the start of what follows: a
				// table's caption, header and first row, not only two
				// lines of text.
				l.keepNext = 0
				if i+1 < len(s.Blocks) {
					if t, ok := docgen.Value(s.Blocks[i+1]).(docgen.Table); ok {
						rows := 1 + min(t.HeaderRows, 2)
						if t.Caption != "" {
							rows++
						}
						l.keepNext = float64(rows) * 2 * bodyPt * bodyLH
					}
				}
				if d.TOC && len(l.toc) > 0 {
					l.heading(b, &tocIndex)
				} else {
					b.NoTOC = true
					l.heading(b, &tocIndex)
				}
			case docgen.Paragraph:
				l.paragraph(b)
			case docgen.List:
				l.list(b)
			case docgen.Table:
				l.table(b)
			case docgen.Chart:
				l.chart(b)
			case docgen.Image:
				l.image(b)
			case docgen.PageBreak:
				if !l.atTop() {
					l.newPage(bodyPage)
				}
			case docgen.ApprovalBox:
				l.approval(b)
			}
		}
	}
	if len(l.pages) == 0 {
		l.newPage(bodyPage)
	}
}

// Font family names registered with gopdf, by face.
// They are PostScript names with a subset tag, as PDF readers expect of
// subset fonts (gopdf writes the family as the BaseFont name).
var families = [4]string{"MAMORA+NotoSerifJP-Regular", "MAMORB+NotoSerifJP-Bold", "MAMORC+BIZUDPGothic-Regular", "MAMORD+BIZUDPGothic-Bold"}

var (
	fcOnce sync.Once
	fc     *gopdf.FontContainer
	fcErr  error
)

// fontContainer parses the four TrueType fonts for gopdf once per process;
// each document then takes a copy with its own subset of glyphs.
func fontContainer(faces [4]*fonts.Face) (*gopdf.FontContainer, error) {
	fcOnce.Do(func() {
		c := &gopdf.FontContainer{}
		for i, f := range faces {
			if err := c.AddTTFFontData(families[i], f.Data); err != nil {
				fcErr = fmt.Errorf("font %s: %w", f.Name, err)
				return
			}
		}
		fc = c
	})
	return fc, fcErr
}

// write replays the pages through gopdf.
func (l *layouter) write(w io.Writer) error {
	var gp gopdf.GoPdf
	gp.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	m := l.doc.Meta
	info := gopdf.PdfInfo{Title: m.Title, Author: m.Author, Subject: m.Subtitle, Creator: "Mamori", Producer: "Mamori"}
	if !m.Date.IsZero() {
		info.CreationDate = m.Date
	}
	gp.SetInfo(info)
	fc, err := fontContainer(l.faces)
	if err != nil {
		return err
	}
	for i := range l.faces {
		if err := gp.AddTTFFontFromFontContainer(families[i], fc); err != nil {
			return fmt.Errorf("font %s: %w", families[i], err)
		}
	}
	wr := &writer{gp: &gp, l: l}
	for _, p := range l.pages {
		if p.w > p.h {
			gp.AddPageWithOption(gopdf.PageOption{PageSize: &gopdf.Rect{W: p.w, H: p.h}})
		} else {
			gp.AddPage()
		}
		wr.font = -1
		wr.pageFurniture(p)
		for i := range p.ops {
			if err := wr.op(p, &p.ops[i]); err != nil {
				return err
			}
		}
	}
	_, err = gp.WriteTo(w)
	return err
}

type writer struct {
	gp       *gopdf.GoPdf
	l        *layouter
	font     int
	fontSize float64
	stroke   rgb
	lw       float64
	dashed   bool
}

func (w *writer) setFont(f face, size float64) error {
	if int(f) != w.font || size != w.fontSize {
		if err := w.gp.SetFont(families[f], "", size); err != nil {
			return err
		}
		w.font, w.fontSize = int(f), size
	}
	return nil
}

func (w *writer) setStroke(c rgb, lw float64, dash []float64) {
	w.gp.SetStrokeColor(c.r, c.g, c.b)
	w.gp.SetLineWidth(lw)
	if len(dash) > 0 {
		w.gp.SetCustomLineType(append([]float64(nil), dash...), 0)
		w.dashed = true
	} else if w.dashed {
		w.gp.SetLineType("solid")
		w.dashed = false
	}
}

func (w *writer) text(f face, size float64, c rgb, x, y float64, s string) error {
	if err := w.setFont(f, size); err != nil {
		return err
	}
	// gopdf paints text with the fill colour: set it after any fill.
	w.gp.SetTextColor(c.r, c.g, c.b)
	w.gp.SetXY(x, y)
	return w.gp.Text(s)
}

func (w *writer) op(p *page, o *op) error {
	gp := w.gp
	switch o.kind {
	case opText:
		return w.text(o.face, o.size, o.color, o.x, o.y, o.text)
	case opLine:
		w.setStroke(o.color, o.lw, o.dash)
		gp.Line(o.x, o.y, o.w, o.h)
	case opRect:
		style := ""
		if o.fill.ok {
			gp.SetFillColor(o.fill.r, o.fill.g, o.fill.b)
			style = "F"
		}
		if o.color.ok && o.lw > 0 {
			w.setStroke(o.color, o.lw, o.dash)
			style = "D" + style
		}
		if style == "DF" {
			style = "FD"
		}
		if style != "" {
			gp.RectFromUpperLeftWithStyle(o.x, o.y, o.w, o.h, style)
		}
	case opPoly:
		if o.closed {
			style := ""
			if o.fill.ok {
				gp.SetFillColor(o.fill.r, o.fill.g, o.fill.b)
				style = "F"
			}
			if o.color.ok {
				w.setStroke(o.color, o.lw, o.dash)
				style = "D" + style
			}
			if style == "" {
				return nil
			}
			pts := make([]gopdf.Point, len(o.pts))
			for i, q := range o.pts {
				pts[i] = gopdf.Point{X: q.X, Y: q.Y}
			}
			gp.Polygon(pts, style)
			return nil
		}
		if !o.color.ok {
			return nil
		}
		w.setStroke(o.color, o.lw, o.dash)
		for i := 1; i < len(o.pts); i++ {
			gp.Line(o.pts[i-1].X, o.pts[i-1].Y, o.pts[i].X, o.pts[i].Y)
		}
	case opImage:
		h, err := gopdf.ImageHolderByBytes(o.img)
		if err != nil {
			return fmt.Errorf("image: %w", err)
		}
		return gp.ImageByHolder(h, o.x, o.y, &gopdf.Rect{W: o.w, H: o.h})
	case opLink:
		gp.AddInternalLink(o.text, o.x, o.y, o.w, o.h)
	case opAnchor:
		gp.SetY(o.y)
		gp.SetAnchor(o.text)
		gp.AddOutlineWithPosition(w.l.toc[o.ref].text)
	case opPageNo:
		s := strconv.Itoa(w.l.toc[o.ref].page)
		x := o.x - w.l.width(o.face, s, o.size)
		return w.text(o.face, o.size, o.color, x, o.y, s)
	}
	return nil
}

// pageFurniture prints the header (section tab, classification at the
// top right) and the footer page number.
func (w *writer) pageFurniture(p *page) {
	l := w.l
	m := l.doc.Meta
	_, _, g := geometryOf(p.w > p.h)
	base := g.top - 9*mm
	if c := m.Classification; c != "" {
		size := 10.0
		cw := l.width(gothicBold, c, size)
		x := g.right - cw - 3*mm
		p0 := &page{}
		p0.rect(x, base-size-1.6*mm+size*0.12, cw+3*mm, size+2.6*mm, 0.9, red, rgb{})
		p0.text(x+1.5*mm, base, gothicBold, size, red, c)
		for i := range p0.ops {
			_ = w.op(p, &p0.ops[i])
		}
	}
	if p.kind == coverPage {
		return
	}
	p0 := &page{}
	x := g.left
	if p.tab != "" && p.kind == bodyPage {
		size := 8.5
		tw := l.width(gothicBold, p.tab, size)
		p0.rect(x, base-size-1.3*mm+size*0.12, tw+4*mm, size+2.2*mm, 0, rgb{}, tabFill)
		p0.text(x+2*mm, base, gothicBold, size, navy, p.tab)
		x += tw + 6*mm
	}
	if m.Title != "" && !m.TitleInBody {
		p0.text(x, base, gothic, 8, grey, m.Title)
	}
	p0.line(g.left, g.top-5*mm, g.right, g.top-5*mm, 0.4, grey)
	if p.kind == bodyPage && m.PageNumbers != docgen.PageNone {
		s := fmt.Sprintf("- %d -", p.number)
		if m.PageNumbers == docgen.PageOfTotal {
			s = fmt.Sprintf("%d / %d", p.number, l.bodyNo)
		}
		size := 9.0
		pw := l.width(gothic, s, size)
		p0.text((g.left+g.right-pw)/2, p.h-10*mm, gothic, size, black, s)
	}
	for i := range p0.ops {
		_ = w.op(p, &p0.ops[i])
	}
}
