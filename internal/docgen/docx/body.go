package docx

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // register JPEG for DecodeConfig
	_ "image/png"  // register PNG for DecodeConfig
	"strconv"
	"strings"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/jp"
)

// body writes the cover, the TOC and every section into r.b.
func (r *renderer) body() {
	b := r.b
	b.Grow(64 << 10)
	if r.d.Cover {
		r.width = textWidth(docgen.Portrait)
		r.cover()
		// The cover is its own section with empty header and footer, so
		// that page numbering of the body starts at 1.
		hdr := r.addPart("header", hdrFtrXML("hdr", ""))
		ftr := r.addPart("footer", hdrFtrXML("ftr", ""))
		b.WriteString(`<w:p><w:pPr>`)
		r.sectPr(docgen.Portrait, hdr, ftr, false)
		b.WriteString(`</w:pPr></w:p>`)
	}
	if r.hasTOC() {
		// The contents are their own section, as in the PDF: its pages
		// carry the running header but no page number, so the body's
		// pages are numbered from 1 exactly as the PDF numbers them.
		r.width = textWidth(docgen.Portrait)
		r.toc()
		hdr := r.addPart("header", r.headerXML(docgen.Section{}))
		ftr := r.addPart("footer", hdrFtrXML("ftr", ""))
		b.WriteString(`<w:p><w:pPr>`)
		r.sectPr(docgen.Portrait, hdr, ftr, false)
		b.WriteString(`</w:pPr></w:p>`)
	}
	if len(r.d.Sections) == 0 {
		r.d = &docgen.Document{Meta: r.d.Meta, Cover: r.d.Cover, TOC: r.d.TOC, Sections: []docgen.Section{{}}}
	}
	for i, s := range r.d.Sections {
		r.width = textWidth(s.Orientation)
		for _, bl := range s.Blocks {
			r.block(bl)
		}
		hdr := r.addPart("header", r.headerXML(s))
		ftr := r.addPart("footer", r.footerXML())
		if i < len(r.d.Sections)-1 {
			// A section ends with a paragraph carrying its w:sectPr.
			b.WriteString(`<w:p><w:pPr>`)
			r.sectPr(s.Orientation, hdr, ftr, i == 0)
			b.WriteString(`</w:pPr></w:p>`)
		} else {
			r.sectPr(s.Orientation, hdr, ftr, i == 0)
		}
	}
}

// pageMargins are the margins of a page in twips.
func pageMargins(o docgen.Orientation) (top, right, bottom, left int) {
	if o == docgen.Landscape {
		return marginTop, landSide, landBot, landSide
	}
	return marginTop, marginRight, marginBot, marginLeft
}

func textWidth(o docgen.Orientation) int {
	_, right, _, left := pageMargins(o)
	if o == docgen.Landscape {
		return a4Long - left - right
	}
	return a4Short - left - right
}

func textHeight(o docgen.Orientation) int {
	top, _, bottom, _ := pageMargins(o)
	if o == docgen.Landscape {
		return a4Short - top - bottom
	}
	return a4Long - top - bottom
}

func (r *renderer) sectPr(o docgen.Orientation, hdr, ftr string, restart bool) {
	b := r.b
	b.WriteString(`<w:sectPr>`)
	fmt.Fprintf(b, `<w:headerReference w:type="default" r:id="%s"/><w:footerReference w:type="default" r:id="%s"/>`, hdr, ftr)
	b.WriteString(`<w:type w:val="nextPage"/>`)
	if o == docgen.Landscape {
		fmt.Fprintf(b, `<w:pgSz w:w="%d" w:h="%d" w:orient="landscape"/>`, a4Long, a4Short)
	} else {
		fmt.Fprintf(b, `<w:pgSz w:w="%d" w:h="%d"/>`, a4Short, a4Long)
	}
	top, right, bottom, left := pageMargins(o)
	fmt.Fprintf(b, `<w:pgMar w:top="%d" w:right="%d" w:bottom="%d" w:left="%d" w:header="%d" w:footer="%d" w:gutter="0"/>`,
		top, right, bottom, left, headerDist, footerDist)
	if restart {
		b.WriteString(`<w:pgNumType w:start="1"/>`)
	}
	// No line grid: body lines keep the exact pitch of the Body style
	// (the PDF's), which a grid of type "lines" would round up.
	fmt.Fprintf(b, `<w:cols w:space="425"/><w:docGrid w:linePitch="%d"/></w:sectPr>`, bodyPitch)
}

// hdrFtrXML is a header (kind "hdr") or footer ("ftr") part around the
// given paragraph XML (an empty paragraph when inner is "").
func hdrFtrXML(kind, inner string) []byte {
	if inner == "" {
		inner = `<w:p/>`
	}
	return []byte(xmlHeader + `<w:` + kind + ` ` + nsW + `>` + inner + `</w:` + kind + `>`)
}

// headerXML is the running header as the PDF prints it: the section's
// tab label (shaded) and the document title at the left, the
// classification (boxed, red) at the right, a rule below.
func (r *renderer) headerXML(s docgen.Section) []byte {
	var b bytes.Buffer
	w := textWidth(s.Orientation)
	fmt.Fprintf(&b, `<w:p><w:pPr><w:pStyle w:val="Header"/><w:pBdr><w:bottom w:val="single" w:sz="4" w:space="1" w:color="595959"/></w:pBdr><w:tabs><w:tab w:val="clear" w:pos="4536"/><w:tab w:val="clear" w:pos="9072"/><w:tab w:val="right" w:pos="%d"/></w:tabs></w:pPr>`, w)
	if s.Tab != "" {
		b.WriteString(`<w:r><w:rPr><w:b/><w:color w:val="1F3A5F"/><w:shd w:val="clear" w:color="auto" w:fill="E4E9F0"/></w:rPr><w:t xml:space="preserve">`)
		escape(&b, s.Tab)
		b.WriteString(`</w:t></w:r><w:r><w:t xml:space="preserve">　</w:t></w:r>`)
	}
	if t := r.d.Meta.Title; t != "" && !r.d.Meta.TitleInBody {
		b.WriteString(`<w:r><w:rPr><w:color w:val="595959"/><w:sz w:val="16"/></w:rPr><w:t xml:space="preserve">`)
		escape(&b, t)
		b.WriteString(`</w:t></w:r>`)
	}
	if c := r.d.Meta.Classification; c != "" {
		b.WriteString(`<w:r><w:tab/></w:r><w:r><w:rPr><w:b/><w:color w:val="C00000"/><w:sz w:val="20"/><w:bdr w:val="single" w:sz="6" w:space="0" w:color="C00000"/></w:rPr><w:t xml:space="preserve">`)
		escape(&b, c)
		b.WriteString(`</w:t></w:r>`)
	}
	b.WriteString(`</w:p>`)
	return hdrFtrXML("hdr", b.String())
}

// footerXML: 「- PAGE -」 or 「PAGE / NUMPAGES」 centred.
func (r *renderer) footerXML() []byte {
	field := func(instr string) string {
		return `<w:fldSimple w:instr=" ` + instr + ` "><w:r><w:t>1</w:t></w:r></w:fldSimple>`
	}
	text := func(s string) string { return `<w:r><w:t xml:space="preserve">` + s + `</w:t></w:r>` }
	var inner string
	switch r.d.Meta.PageNumbers {
	case docgen.PageNone:
		return hdrFtrXML("ftr", "")
	case docgen.PageOfTotal:
		inner = field("PAGE") + text(" / ") + field("NUMPAGES")
	default:
		inner = text("- ") + field("PAGE") + text(" -")
	}
	return hdrFtrXML("ftr", `<w:p><w:pPr><w:pStyle w:val="Footer"/></w:pPr>`+inner+`</w:p>`)
}

func (r *renderer) cover() {
	m := r.d.Meta
	b := r.b
	para := func(style, jc, text string, before int) {
		if text == "" {
			return
		}
		b.WriteString(`<w:p><w:pPr><w:pStyle w:val="` + style + `"/>`)
		if before > 0 {
			fmt.Fprintf(b, `<w:spacing w:before="%d"/>`, before)
		}
		if jc != "" {
			b.WriteString(`<w:jc w:val="` + jc + `"/>`)
		}
		b.WriteString(`</w:pPr>`)
		r.textRun(text, "")
		b.WriteString(`</w:p>`)
	}
	para("CoverText", "right", m.Classification, 0)
	fy := ""
	if m.FiscalYear > 0 {
		fy = jp.FiscalYearLabel(m.FiscalYear)
	}
	para("CoverText", "", strings.TrimSpace(m.Ward+" "+fy), 2400)
	para("CoverTitle", "", m.Title, 600)
	para("CoverText", "", m.Subtitle, 0)
	para("CoverText", "", m.Version, 0)
	if !m.Date.IsZero() {
		para("CoverText", "", jp.FormatWareki(m.Date), 4200)
	}
	para("CoverText", "", m.Author, 0)
}

// textRun writes a plain run with optional extra rPr XML.
func (r *renderer) textRun(s, rpr string) {
	b := r.b
	b.WriteString(`<w:r>`)
	if rpr != "" {
		b.WriteString(`<w:rPr>` + rpr + `</w:rPr>`)
	}
	r.runText(s, false)
	b.WriteString(`</w:r>`)
}

// runText writes the content of a run: text in w:t (w:delText inside a
// deletion), line feeds as w:br and tabs as w:tab.
func (r *renderer) runText(s string, deleted bool) {
	b := r.b
	tag := "w:t"
	if deleted {
		tag = "w:delText"
	}
	for len(s) > 0 {
		i := strings.IndexAny(s, "\t\n\r")
		seg := s
		if i >= 0 {
			seg = s[:i]
		}
		if seg != "" {
			b.WriteString(`<` + tag + ` xml:space="preserve">`)
			escape(b, seg)
			b.WriteString(`</` + tag + `>`)
		}
		if i < 0 {
			break
		}
		switch s[i] {
		case '\t':
			b.WriteString(`<w:tab/>`)
		case '\n':
			b.WriteString(`<w:br/>`)
		}
		s = s[i+1:]
	}
}

// runOpts are formatting a container imposes on its runs.
type runOpts struct {
	bold bool
	size int // half-points; 0 = style default
}

func (r *renderer) runs(runs []docgen.Run, o runOpts) {
	for _, run := range runs {
		r.run(run, o)
	}
}

func (r *renderer) run(run docgen.Run, o runOpts) {
	if run.Text == "" {
		return
	}
	b := r.b
	switch run.Change {
	case docgen.Inserted:
		b.WriteString(`<w:ins` + r.changeAttrs(run) + `>`)
	case docgen.Deleted:
		b.WriteString(`<w:del` + r.changeAttrs(run) + `>`)
	}
	b.WriteString(`<w:r>`)
	// rPr children in schema order: b, strike, dstrike, color, sz, u.
	var p strings.Builder
	if run.Bold || o.bold {
		p.WriteString(`<w:b/><w:bCs/>`)
	}
	if run.DoubleStrike {
		p.WriteString(`<w:dstrike/>`)
	} else if run.Strike {
		p.WriteString(`<w:strike/>`)
	}
	if c := cleanColor(run.Color); c != "" {
		p.WriteString(`<w:color w:val="` + c + `"/>`)
	}
	if o.size > 0 {
		fmt.Fprintf(&p, `<w:sz w:val="%d"/><w:szCs w:val="%d"/>`, o.size, o.size)
	}
	if run.DoubleUnderline {
		p.WriteString(`<w:u w:val="double"/>`)
	} else if run.Underline {
		p.WriteString(`<w:u w:val="single"/>`)
	}
	if p.Len() > 0 {
		b.WriteString(`<w:rPr>` + p.String() + `</w:rPr>`)
	}
	r.runText(run.Text, run.Change == docgen.Deleted)
	b.WriteString(`</w:r>`)
	switch run.Change {
	case docgen.Inserted:
		b.WriteString(`</w:ins>`)
	case docgen.Deleted:
		b.WriteString(`</w:del>`)
	}
}

// changeAttrs is w:id, w:author and w:date of a tracked change. The
// author is the run's (the user or department the caller names), else
// the document's author, else "Mamori", because Word requires one.
func (r *renderer) changeAttrs(run docgen.Run) string {
	author := run.Author
	if author == "" {
		author = r.d.Meta.Author
	}
	if author == "" {
		author = "Mamori"
	}
	s := fmt.Sprintf(` w:id="%d" w:author="%s"`, r.newID(), escString(author))
	if !run.Date.IsZero() {
		s += ` w:date="` + run.Date.UTC().Format(time.RFC3339) + `"`
	}
	return s
}

// markChange is the w:rPr of the paragraph mark (last in w:pPr) of a
// paragraph whose text is all inserted or all deleted: the mark is
// inserted or deleted with it, so that rejecting (or accepting) every
// change removes the paragraph instead of leaving it empty. Otherwise "".
func (r *renderer) markChange(runs []docgen.Run) string {
	var first *docgen.Run
	for i := range runs {
		if runs[i].Text == "" {
			continue
		}
		if first == nil {
			first = &runs[i]
		}
		if runs[i].Change != first.Change {
			return ""
		}
	}
	if first == nil {
		return ""
	}
	switch first.Change {
	case docgen.Inserted:
		return `<w:rPr><w:ins` + r.changeAttrs(*first) + `/></w:rPr>`
	case docgen.Deleted:
		return `<w:rPr><w:del` + r.changeAttrs(*first) + `/></w:rPr>`
	}
	return ""
}

func jc(a docgen.Align) string {
	switch a {
	case docgen.AlignJustify:
		return "both"
	case docgen.AlignCenter:
		return "center"
	case docgen.AlignRight:
		return "right"
	}
	return "left"
}

func (r *renderer) block(bl docgen.Block) {
	switch v := docgen.Value(bl).(type) {
	case docgen.Heading:
		r.heading(v)
	case docgen.Paragraph:
		r.paragraph(v)
	case docgen.List:
		r.list(v)
	case docgen.Table:
		r.table(v)
	case docgen.Chart:
		r.chart(v)
	case docgen.Image:
		r.image(v)
	case docgen.PageBreak:
		r.b.WriteString(`<w:p><w:r><w:br w:type="page"/></w:r></w:p>`)
	case docgen.ApprovalBox:
		r.approval(v)
	}
}

func (r *renderer) heading(h docgen.Heading) {
	ref := r.headings[r.nextHead]
	r.nextHead++
	style := "Heading" + strconv.Itoa(ref.level)
	if h.NoTOC {
		style += "NoTOC"
	}
	b := r.b
	id := r.newID()
	fmt.Fprintf(b, `<w:p><w:pPr><w:pStyle w:val="%s"/></w:pPr><w:bookmarkStart w:id="%d" w:name="%s"/>`, style, id, ref.bookmark)
	r.textRun(ref.text, "")
	fmt.Fprintf(b, `<w:bookmarkEnd w:id="%d"/></w:p>`, id)
	r.under = headingIndent(ref.level)
}

// toc writes 目次, then a TOC field whose cached result is the list of
// headings, each a link to its heading with a PAGEREF field whose cached
// result is the page the PDF prints the heading on (r.tocPages). Word
// shows these numbers until it updates the fields; LibreOffice and
// viewers show them as they are. The caller ends the contents' section.
func (r *renderer) toc() {
	b := r.b
	b.WriteString(`<w:p><w:pPr><w:pStyle w:val="TOCHeading"/></w:pPr><w:r><w:t>目次</w:t></w:r></w:p>`)
	begin := `<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> TOC \o "1-4" \h \z \u </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>`
	end := `<w:r><w:fldChar w:fldCharType="end"/></w:r>`
	var entries []headingRef
	for _, h := range r.headings {
		if h.inTOC {
			entries = append(entries, h)
		}
	}
	for i, e := range entries {
		fmt.Fprintf(b, `<w:p><w:pPr><w:pStyle w:val="TOC%d"/></w:pPr>`, e.level)
		if i == 0 {
			b.WriteString(begin)
		}
		page := ""
		if i < len(r.tocPages) && r.tocPages[i] > 0 {
			page = strconv.Itoa(r.tocPages[i])
		}
		b.WriteString(`<w:hyperlink w:anchor="` + e.bookmark + `" w:history="1">`)
		rpr := ""
		if e.level == 1 {
			rpr = `<w:b/><w:bCs/>`
		}
		r.textRun(e.text, rpr)
		b.WriteString(`<w:r><w:tab/></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGEREF ` + e.bookmark + ` \h </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>`)
		r.textRun(page, rpr)
		b.WriteString(`<w:r><w:fldChar w:fldCharType="end"/></w:r>`)
		b.WriteString(`</w:hyperlink>`)
		if i == len(entries)-1 {
			b.WriteString(end)
		}
		b.WriteString(`</w:p>`)
	}
}

func (r *renderer) paragraph(p docgen.Paragraph) {
	b := r.b
	b.WriteString(`<w:p><w:pPr><w:pStyle w:val="Body"/>`)
	// running text starts under its heading; centred and right-aligned
	// lines (titles, dates) keep the full width
	under := 0
	if p.Align == docgen.AlignLeft || p.Align == docgen.AlignJustify {
		under = r.under
	}
	if p.Indent > 0 || p.FirstIndent || under > 0 {
		b.WriteString(`<w:ind`)
		switch {
		case under > 0:
			// in twips only: w:leftChars would override w:left
			fmt.Fprintf(b, ` w:left="%d"`, under+max(p.Indent, 0)*charTwips)
		case p.Indent > 0:
			fmt.Fprintf(b, ` w:leftChars="%d" w:left="%d"`, p.Indent*100, p.Indent*charTwips)
		}
		if p.FirstIndent {
			fmt.Fprintf(b, ` w:firstLineChars="100" w:firstLine="%d"`, charTwips)
		}
		b.WriteString(`/>`)
	}
	b.WriteString(`<w:jc w:val="` + jc(p.Align) + `"/>` + r.markChange(p.Runs) + `</w:pPr>`)
	r.runs(p.Runs, runOpts{})
	b.WriteString(`</w:p>`)
}

func (r *renderer) list(l docgen.List) {
	num := 1
	if l.Ordered {
		r.lists++
		num = r.lists + 1
	}
	for _, it := range l.Items {
		lv := clamp(it.Level, 0, 8)
		ind := ""
		if r.under > 0 {
			// the numbering's indent, moved under the heading
			ind = fmt.Sprintf(`<w:ind w:left="%d" w:hanging="%d"/>`, r.under+(lv+1)*charTwips*2, charTwips*2)
		}
		fmt.Fprintf(r.b, `<w:p><w:pPr><w:pStyle w:val="ListParagraph"/><w:numPr><w:ilvl w:val="%d"/><w:numId w:val="%d"/></w:numPr>%s%s</w:pPr>`,
			lv, num, ind, r.markChange(it.Runs))
		r.runs(it.Runs, runOpts{})
		r.b.WriteString(`</w:p>`)
	}
}

func (r *renderer) caption(text string, keepNext bool) {
	if text == "" {
		return
	}
	r.b.WriteString(`<w:p><w:pPr><w:pStyle w:val="Caption"/>`)
	if keepNext {
		r.b.WriteString(`<w:keepNext/>`)
	}
	r.b.WriteString(`</w:pPr>`)
	r.textRun(text, "")
	r.b.WriteString(`</w:p>`)
}

// image writes an inline picture; data that is neither PNG nor JPEG
// becomes a visible placeholder rather than a broken package.
func (r *renderer) image(im docgen.Image) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(im.Data))
	if err != nil || (format != "png" && format != "jpeg") || cfg.Width == 0 || cfg.Height == 0 {
		r.b.WriteString(`<w:p><w:pPr><w:pStyle w:val="Body"/><w:jc w:val="center"/></w:pPr>`)
		r.textRun("［画像を表示できません］", "")
		r.b.WriteString(`</w:p>`)
		r.caption(im.Caption, false)
		return
	}
	maxW := float64(r.width) / 1440 * 25.4 // mm
	wmm := im.Width
	if wmm <= 0 {
		wmm = float64(cfg.Width) * 25.4 / 96 // natural size at 96 dpi
	}
	if wmm > maxW {
		wmm = maxW
	}
	hmm := wmm * float64(cfg.Height) / float64(cfg.Width)
	ext := "png"
	if format == "jpeg" {
		ext = "jpeg"
	}
	file := fmt.Sprintf("image%d.%s", len(r.media)+1, ext)
	r.media = append(r.media, media{file: file, data: im.Data})
	rid := r.addRel(relImage, "media/"+file)
	// Single line spacing: the Body style's exact pitch would clip the picture.
	r.b.WriteString(`<w:p><w:pPr><w:pStyle w:val="Body"/><w:keepNext/><w:spacing w:line="240" w:lineRule="auto"/><w:jc w:val="center"/></w:pPr>`)
	r.drawing(rid, file, mmToEMU(wmm), mmToEMU(hmm), im.Caption)
	r.b.WriteString(`</w:p>`)
	r.caption(im.Caption, false)
}

func mmToEMU(mm float64) int64 { return int64(mm * 36000) }

func (r *renderer) drawing(rid, name string, cx, cy int64, descr string) {
	r.docPr++
	b := r.b
	fmt.Fprintf(b, `<w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="%d" cy="%d"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:docPr id="%d" name="図 %d" descr="%s"/>`,
		cx, cy, r.docPr, r.docPr, escString(descr))
	b.WriteString(`<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic>`)
	fmt.Fprintf(b, `<pic:nvPicPr><pic:cNvPr id="%d" name="%s"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:embed="%s"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>`, r.docPr, name, rid)
	fmt.Fprintf(b, `<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="%d" cy="%d"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>`, cx, cy)
}
