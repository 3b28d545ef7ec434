// Package html writes a docgen.Document as HTML: a complete printable
// page (Render) for previews and "print to PDF" in the browser, and the
// body content alone (Fragment) for embedding in Mamori's layout.
//
// The output carries no script and, in Fragment, no style attributes, so
// it works under a strict Content-Security-Policy: every look comes from
// class names whose rules Stylesheet returns.
package html

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"image"
	_ "image/jpeg" // register JPEG for DecodeConfig
	_ "image/png"  // register PNG for DecodeConfig
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/docgen"
	"mamori/internal/jp"
)

// Render writes d as a standalone HTML page: lang="ja", its stylesheet in
// a <style> element (A4 pages, page headers and footers, landscape
// sections as named pages), and no external resources.
func Render(w io.Writer, d *docgen.Document) error {
	if d == nil {
		return fmt.Errorf("html render: nil document")
	}
	if err := docgen.Validate(d); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	r := newRenderer(d, bw)
	r.s(`<!DOCTYPE html>` + "\n" + `<html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>`)
	r.text(d.Meta.Title)
	r.s(`</title>`)
	if d.Meta.Author != "" {
		r.s(`<meta name="author" content="`)
		r.text(d.Meta.Author)
		r.s(`">`)
	}
	r.s("<style>\n")
	// Stylesheet escapes '<' inside CSS strings, so it cannot close the
	// <style> element early.
	r.s(Stylesheet(d))
	r.s("</style></head><body>\n")
	r.document()
	r.s("</body></html>\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("html render: %w", err)
	}
	return nil
}

// Fragment writes only the document's content (a <div class="mdoc">),
// with class names but no <style> and no style attributes; the page that
// embeds it serves Stylesheet(d) (or at least BaseCSS).
func Fragment(w io.Writer, d *docgen.Document) error {
	if d == nil {
		return fmt.Errorf("html fragment: nil document")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	r := newRenderer(d, bw)
	r.document()
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("html fragment: %w", err)
	}
	return nil
}

type heading struct {
	level int
	text  string
	id    string
	inTOC bool
}

type renderer struct {
	d        *docgen.Document
	w        *bufio.Writer
	headings []heading
	next     int
	// landscape is the orientation of the section being written.
	landscape bool
}

func newRenderer(d *docgen.Document, w *bufio.Writer) *renderer {
	r := &renderer{d: d, w: w}
	for _, h := range docgen.Headings(d) {
		r.headings = append(r.headings, heading{level: clamp(h.Level, 1, 4), text: h.Printed,
			id: fmt.Sprintf("mdoc-h%d", len(r.headings)+1), inTOC: !h.NoTOC && h.Level <= 3})
	}
	return r
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

func (r *renderer) s(s string) { r.w.WriteString(s) }

// text writes s escaped for HTML text and attribute values; characters
// that are not allowed in HTML (controls, noncharacters, invalid UTF-8)
// are dropped or replaced.
func (r *renderer) text(s string) { escape(r.w, s, false) }

// textBR is text with line feeds as <br>.
func (r *renderer) textBR(s string) { escape(r.w, s, true) }

func escape(w *bufio.Writer, s string, br bool) {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '&' && c != '<' && c != '>' && c != '"' && c != '\'' && c != 0x7f {
			i++
			continue
		}
		rn, size := utf8.DecodeRuneInString(s[i:])
		var rep string
		switch {
		case rn == '&':
			rep = "&amp;"
		case rn == '<':
			rep = "&lt;"
		case rn == '>':
			rep = "&gt;"
		case rn == '"':
			rep = "&#34;"
		case rn == '\'':
			rep = "&#39;"
		case rn == '\n' && br:
			rep = "<br>"
		case rn == '\t' || rn == '\n':
			rep = string(rn)
		case rn == utf8.RuneError && size == 1:
			rep = "\uFFFD"
		case rn < 0x20 || (rn >= 0x7f && rn < 0xa0) || (rn >= 0xfdd0 && rn <= 0xfdef) || rn&0xfffe == 0xfffe:
			rep = ""
		default:
			i += size
			continue
		}
		w.WriteString(s[start:i])
		w.WriteString(rep)
		i += size
		start = i
	}
	w.WriteString(s[start:])
}

func (r *renderer) document() {
	r.s(`<div class="mdoc">` + "\n")
	if r.d.Cover {
		r.cover()
	}
	for i, s := range r.d.Sections {
		cls := "mdoc-section mdoc-portrait"
		if s.Orientation == docgen.Landscape {
			cls = "mdoc-section mdoc-landscape"
		}
		r.landscape = s.Orientation == docgen.Landscape
		fmt.Fprintf(r.w, `<section class="%s mdoc-s%d">`+"\n", cls, i+1)
		if i == 0 && r.d.TOC {
			r.toc()
		}
		for _, bl := range s.Blocks {
			r.block(bl)
		}
		r.s("</section>\n")
	}
	r.s("</div>\n")
}

func (r *renderer) cover() {
	m := r.d.Meta
	r.s(`<header class="mdoc-cover">`)
	line := func(cls, s string) {
		if s == "" {
			return
		}
		r.s(`<p class="` + cls + `">`)
		r.text(s)
		r.s(`</p>`)
	}
	line("mdoc-cover-class", m.Classification)
	fy := ""
	if m.FiscalYear > 0 {
		fy = jp.FiscalYearLabel(m.FiscalYear)
	}
	line("mdoc-cover-fy", strings.TrimSpace(m.Ward+" "+fy))
	if m.Title != "" {
		r.s(`<h1 class="mdoc-cover-title">`)
		r.text(m.Title)
		r.s(`</h1>`)
	}
	line("mdoc-cover-sub", m.Subtitle)
	line("mdoc-cover-version", m.Version)
	if !m.Date.IsZero() {
		r.s(`<p class="mdoc-cover-date"><time datetime="` + m.Date.Format("2006-01-02") + `">`)
		r.text(jp.FormatWareki(m.Date))
		r.s(`</time></p>`)
	}
	line("mdoc-cover-author", m.Author)
	r.s("</header>\n")
}

func (r *renderer) toc() {
	r.s(`<nav class="mdoc-toc" aria-labelledby="mdoc-toc-title"><h2 id="mdoc-toc-title" class="mdoc-toc-title">目次</h2><ul>`)
	for _, h := range r.headings {
		if !h.inTOC {
			continue
		}
		fmt.Fprintf(r.w, `<li class="mdoc-toc%d"><a href="#%s">`, h.level, h.id)
		r.text(h.text)
		r.s(`</a></li>`)
	}
	r.s("</ul></nav>\n")
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
		r.s(`<div class="mdoc-pagebreak"></div>` + "\n")
	case docgen.ApprovalBox:
		r.approval(v)
	}
}

// heading: level 1–4 become h2–h5 (h1 is the document title).
func (r *renderer) heading(h docgen.Heading) {
	ref := r.headings[r.next]
	r.next++
	fmt.Fprintf(r.w, `<h%d id="%s" class="mdoc-h%d">`, ref.level+1, ref.id, ref.level)
	r.text(ref.text)
	fmt.Fprintf(r.w, "</h%d>\n", ref.level+1)
}

func alignClass(a docgen.Align) string {
	switch a {
	case docgen.AlignJustify:
		return "al-j"
	case docgen.AlignCenter:
		return "al-c"
	case docgen.AlignRight:
		return "al-r"
	}
	return ""
}

func (r *renderer) paragraph(p docgen.Paragraph) {
	cls := []string{"mdoc-p"}
	if a := alignClass(p.Align); a != "" {
		cls = append(cls, a)
	}
	if p.FirstIndent {
		cls = append(cls, "fi")
	}
	if p.Indent > 0 {
		cls = append(cls, "ind"+strconv.Itoa(clamp(p.Indent, 1, 10)))
	}
	r.s(`<p class="` + strings.Join(cls, " ") + `">`)
	r.runs(p.Runs)
	r.s("</p>\n")
}

func (r *renderer) runs(runs []docgen.Run) {
	for _, run := range runs {
		r.run(run)
	}
}

// run writes one run. Decorations nest (<span class="u2"><span
// class="s">…) because CSS draws an ancestor's decoration across its
// descendants, so underline and strike combine.
func (r *renderer) run(run docgen.Run) {
	if run.Text == "" {
		return
	}
	var open []string
	var closeTags []string
	push := func(tag, cls string) {
		if cls != "" {
			open = append(open, `<`+tag+` class="`+cls+`">`)
		} else {
			open = append(open, `<`+tag+`>`)
		}
		closeTags = append(closeTags, `</`+tag+`>`)
	}
	switch run.Change {
	case docgen.Inserted, docgen.Deleted:
		tag, what := "ins", "挿入"
		if run.Change == docgen.Deleted {
			tag, what = "del", "削除"
		}
		var b strings.Builder
		b.WriteString(`<` + tag + ` class="mdoc-chg"`)
		title := what
		if run.Author != "" {
			title += " " + run.Author
		}
		if !run.Date.IsZero() {
			title += " " + jp.FormatWareki(run.Date)
			b.WriteString(` datetime="` + run.Date.UTC().Format(time.RFC3339) + `"`)
		}
		b.WriteString(` title="` + attr(title) + `">`)
		open = append(open, b.String())
		closeTags = append(closeTags, `</`+tag+`>`)
	}
	if run.Bold {
		push("strong", "")
	}
	if run.DoubleUnderline {
		push("span", "u2")
	} else if run.Underline {
		push("span", "u")
	}
	if run.DoubleStrike {
		push("span", "s2")
	} else if run.Strike {
		push("span", "s")
	}
	if c := cleanColor(run.Color); c != "" {
		push("span", "c-"+c)
	}
	for _, o := range open {
		r.s(o)
	}
	r.textBR(run.Text)
	for i := len(closeTags) - 1; i >= 0; i-- {
		r.s(closeTags[i])
	}
}

// attr escapes s for a double-quoted attribute value.
func attr(s string) string {
	var b strings.Builder
	bw := bufio.NewWriter(&b)
	escape(bw, s, false)
	bw.Flush()
	return b.String()
}

// list writes nested <ul>/<ol>; an item more than one level deeper than
// its predecessor is treated as one level deeper.
func (r *renderer) list(l docgen.List) {
	tag := "ul"
	if l.Ordered {
		tag = "ol"
	}
	if len(l.Items) == 0 {
		return
	}
	r.s(`<` + tag + ` class="mdoc-list">`)
	depth := 0
	for i, it := range l.Items {
		lv := clamp(it.Level, 0, depth+1)
		if i == 0 {
			lv = 0
		}
		switch {
		case i == 0:
		case lv > depth:
			r.s(`<` + tag + `>`) // inside the open <li>
		default:
			r.s(`</li>`)
			for ; depth > lv; depth-- {
				r.s(`</` + tag + `></li>`)
			}
		}
		depth = lv
		r.s(`<li>`)
		r.runs(it.Runs)
	}
	r.s(`</li>`)
	for ; depth > 0; depth-- {
		r.s(`</` + tag + `></li>`)
	}
	r.s(`</` + tag + ">\n")
}

// widthClass is a column width as a whole percentage class (w1…w100),
// which BaseCSS defines, so no style attribute is needed.
func widthClasses(cols []docgen.Column) []string {
	sum := 0.0
	for _, c := range cols {
		sum += colWeight(c)
	}
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = "w" + strconv.Itoa(clamp(int(math.Round(100*colWeight(c)/sum)), 1, 100))
	}
	return out
}

func colWeight(c docgen.Column) float64 {
	if c.Width > 0 {
		return c.Width
	}
	return 1
}

func (r *renderer) table(t docgen.Table) {
	r.s(`<table class="mdoc-table`)
	if t.TopAlign {
		r.s(" top")
	}
	if t.FontSize > 0 {
		r.s(" fs" + strconv.Itoa(clamp(int(math.Round(t.FontSize)), 6, 14)))
	}
	r.s(`">`)
	if t.Caption != "" {
		r.s(`<caption>`)
		r.text(t.Caption)
		r.s(`</caption>`)
	}
	if len(t.Columns) > 0 {
		r.s(`<colgroup>`)
		for _, wc := range widthClasses(t.Columns) {
			r.s(`<col class="` + wc + `">`)
		}
		r.s(`</colgroup>`)
	}
	head := clamp(t.HeaderRows, 0, len(t.Rows))
	// Column of each model cell, for the column's default alignment.
	if head > 0 {
		r.s(`<thead>`)
		r.rows(t, 0, head, true)
		r.s(`</thead>`)
	}
	if head < len(t.Rows) {
		r.s(`<tbody>`)
		r.rows(t, head, len(t.Rows), false)
		r.s(`</tbody>`)
	}
	r.s("</table>\n")
}

func (r *renderer) rows(t docgen.Table, from, to int, header bool) {
	ncols := len(t.Columns)
	covered := make([]int, max(ncols, 1)) // rows still covered by a rowspan, per column
	// Rows above `from` may have row spans reaching into this group; an
	// HTML row group cannot span into the next, so spans are cut at the
	// thead/tbody boundary.
	for ri := from; ri < to; ri++ {
		r.s(`<tr>`)
		col := 0
		for _, c := range t.Rows[ri].Cells {
			for col < len(covered) && covered[col] > 0 {
				col++
			}
			tag := "td"
			if header {
				tag = "th"
			}
			var cls []string
			align := c.Align
			if align == docgen.AlignLeft && col < ncols {
				align = t.Columns[col].Align
			}
			if a := alignClass(align); a != "" {
				cls = append(cls, a)
			}
			if f := cleanColor(c.Fill); f != "" {
				cls = append(cls, "bg-"+f)
			}
			if c.Bold && !header {
				cls = append(cls, "b")
			}
			r.s(`<` + tag)
			if header {
				r.s(` scope="col"`)
			}
			if len(cls) > 0 {
				r.s(` class="` + strings.Join(cls, " ") + `"`)
			}
			span := max(1, c.ColSpan)
			if span > 1 {
				r.s(` colspan="` + strconv.Itoa(span) + `"`)
			}
			rs := min(max(1, c.RowSpan), to-ri)
			if rs > 1 {
				r.s(` rowspan="` + strconv.Itoa(rs) + `"`)
			}
			r.s(`>`)
			r.runs(c.Runs)
			r.s(`</` + tag + `>`)
			for k := col; k < col+span && k < len(covered); k++ {
				covered[k] = max(covered[k], rs)
			}
			col += span
		}
		r.s("</tr>\n")
		for k := range covered {
			if covered[k] > 0 {
				covered[k]--
			}
		}
	}
}

func (r *renderer) image(im docgen.Image) {
	cfg, format, err := image.DecodeConfig(strings.NewReader(string(im.Data)))
	r.s(`<figure class="mdoc-figure">`)
	if err != nil || (format != "png" && format != "jpeg") {
		r.s(`<p class="mdoc-missing">［画像を表示できません］</p>`)
	} else {
		r.s(`<img class="mdoc-img" src="data:image/` + format + `;base64,`)
		enc := base64.NewEncoder(base64.StdEncoding, r.w)
		enc.Write(im.Data)
		enc.Close()
		r.s(`" alt="`)
		r.text(im.Caption)
		r.s(`"`)
		wmm := im.Width
		if wmm <= 0 {
			wmm = float64(cfg.Width) * 25.4 / 96
		}
		// CSS px at 96 dpi; max-width in the stylesheet keeps it inside
		// the text width.
		px := int(math.Round(wmm * 96 / 25.4))
		if cfg.Width > 0 {
			fmt.Fprintf(r.w, ` width="%d" height="%d"`, px, int(math.Round(float64(px)*float64(cfg.Height)/float64(cfg.Width))))
		}
		r.s(`>`)
	}
	if im.Caption != "" {
		r.s(`<figcaption>`)
		r.text(im.Caption)
		r.s(`</figcaption>`)
	}
	r.s("</figure>\n")
}

// approval writes the 決裁欄: titles over empty stamp boxes, at the right.
func (r *renderer) approval(a docgen.ApprovalBox) {
	if len(a.Titles) == 0 {
		return
	}
	r.s(`<table class="mdoc-approval" aria-label="決裁欄"><tr>`)
	for _, t := range a.Titles {
		r.s(`<th scope="col">`)
		r.text(t)
		r.s(`</th>`)
	}
	r.s(`</tr><tr>`)
	for range a.Titles {
		r.s(`<td></td>`)
	}
	r.s("</tr></table>\n")
}

// cleanColor returns c as 6 upper-case hex digits, or "" if it is not one.
func cleanColor(c string) string {
	c = strings.TrimPrefix(c, "#")
	if len(c) != 6 {
		return ""
	}
	for _, ch := range c {
		if !strings.ContainsRune("0123456789abcdefABCDEF", ch) {
			return ""
		}
	}
	return strings.ToUpper(c)
}

// colours lists the text and fill colours d uses, for their classes.
func colours(d *docgen.Document) (text, fill []string) {
	ts, fs := map[string]bool{}, map[string]bool{}
	addRuns := func(runs []docgen.Run) {
		for _, r := range runs {
			if c := cleanColor(r.Color); c != "" {
				ts[c] = true
			}
		}
	}
	for _, s := range d.Sections {
		for _, bl := range s.Blocks {
			switch v := bl.(type) {
			case docgen.Paragraph:
				addRuns(v.Runs)
			case *docgen.Paragraph:
				addRuns(v.Runs)
			case docgen.List:
				for _, it := range v.Items {
					addRuns(it.Runs)
				}
			case *docgen.List:
				for _, it := range v.Items {
					addRuns(it.Runs)
				}
			case docgen.Table, *docgen.Table:
				t, ok := v.(docgen.Table)
				if !ok {
					t = *v.(*docgen.Table)
				}
				for _, row := range t.Rows {
					for _, c := range row.Cells {
						addRuns(c.Runs)
						if f := cleanColor(c.Fill); f != "" {
							fs[f] = true
						}
					}
				}
			}
		}
	}
	for c := range ts {
		text = append(text, c)
	}
	for c := range fs {
		fill = append(fill, c)
	}
	sort.Strings(text)
	sort.Strings(fill)
	return text, fill
}
