package html

import (
	"fmt"
	"strings"

	"mamori/internal/docgen"
)

// Page margins in millimetres (top 30, sides and bottom 25), as the
// DOCX and PDF renderers use.
const (
	marginTopMM  = 30
	marginSideMM = 25
	marginBotMM  = 25
)

const mincho = `"游明朝","Yu Mincho",YuMincho,"Hiragino Mincho ProN","BIZ UDPMincho","Noto Serif JP","Noto Serif CJK JP",serif`
const gothic = `"游ゴシック","Yu Gothic",YuGothic,"Hiragino Sans","BIZ UDPGothic","Noto Sans JP","Noto Sans CJK JP",sans-serif`

// BaseCSS is the part of the stylesheet that is the same for every
// document: page size, fonts, headings, tables, tracked changes, column
// width classes (w1…w100) and the approval box. Mamori's layout can
// serve it as a static asset and add Stylesheet's per-document rules.
var BaseCSS = buildBase()

func buildBase() string {
	var b strings.Builder
	fmt.Fprintf(&b, `@page{size:A4;margin:%dmm %dmm %dmm %dmm}
@page mdoc-land{size:A4 landscape}
.mdoc{font-family:%s;font-size:10.5pt;line-height:1.7;color:#000;line-break:strict;overflow-wrap:anywhere;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.mdoc h1,.mdoc h2,.mdoc h3,.mdoc h4,.mdoc h5,.mdoc caption,.mdoc figcaption,.mdoc table{font-family:%s}
.mdoc h2,.mdoc h3,.mdoc h4,.mdoc h5{break-after:avoid;page-break-after:avoid;margin:1.2em 0 .5em;line-height:1.4}
.mdoc .mdoc-h1{font-size:16pt}.mdoc .mdoc-h2{font-size:14pt}.mdoc .mdoc-h3{font-size:12pt}.mdoc .mdoc-h4{font-size:10.5pt}
.mdoc-p{margin:0 0 .3em}
.mdoc .fi{text-indent:1em}
.mdoc .al-j{text-align:justify}.mdoc .al-c{text-align:center}.mdoc .al-r{text-align:right}
.mdoc .b{font-weight:bold}
.mdoc .u{text-decoration:underline}.mdoc .u2{text-decoration:underline double}
.mdoc .s{text-decoration:line-through}.mdoc .s2{text-decoration:line-through double}
.mdoc ins.mdoc-chg{text-decoration:underline;color:#1F4E9F}
.mdoc del.mdoc-chg{text-decoration:line-through;color:#B00000}
.mdoc-cover{page:mdoc-cover;break-after:page;page-break-after:always;text-align:center;padding-top:40mm}
.mdoc-cover p{font-size:14pt;margin:0 0 .6em}
.mdoc-cover .mdoc-cover-class{text-align:right;margin-bottom:30mm}
.mdoc-cover h1{font-size:22pt;margin:10mm 0}
.mdoc-cover .mdoc-cover-date{margin-top:60mm}
.mdoc-toc{break-after:page;page-break-after:always}
.mdoc-toc-title{text-align:center;font-size:16pt}
.mdoc-toc ul{list-style:none;padding:0}
.mdoc-toc a{color:inherit;text-decoration:none}
.mdoc-toc2{padding-left:2em}.mdoc-toc3{padding-left:4em}
.mdoc-section+.mdoc-section{break-before:page;page-break-before:always}
.mdoc-landscape{page:mdoc-land}
.mdoc-pagebreak{break-after:page;page-break-after:always}
.mdoc-list{margin:.3em 0;padding-left:2em}
.mdoc ol ol>li::marker{content:"(" counter(list-item) ") "}
.mdoc ol ol ol{list-style-type:katakana}
.mdoc-table{border-collapse:collapse;table-layout:fixed;width:100%%;margin:.5em 0 1em;font-size:9pt;line-height:1.45}
.mdoc-table caption{font-weight:bold;padding:.3em;caption-side:top}
.mdoc-table th,.mdoc-table td{border:.5pt solid #000;padding:1mm 1.5mm;vertical-align:middle;text-align:left}
.mdoc-table.top td{vertical-align:top}
.mdoc-table th.al-c,.mdoc-table td.al-c{text-align:center}.mdoc-table th.al-r,.mdoc-table td.al-r{text-align:right}.mdoc-table th.al-j,.mdoc-table td.al-j{text-align:justify}
.mdoc-table thead{display:table-header-group}
.mdoc-table thead tr,.mdoc-approval tr{break-inside:avoid;page-break-inside:avoid}
.mdoc-figure{margin:1em 0;text-align:center;break-inside:avoid;page-break-inside:avoid}
.mdoc-figure svg,.mdoc-figure img{max-width:100%%;height:auto}
.mdoc-figure figcaption{font-weight:bold;font-size:10pt;margin-top:.3em}
.mdoc-approval{border-collapse:collapse;margin:.5em 0 1em auto;font-size:9pt}
.mdoc-approval th,.mdoc-approval td{border:.5pt solid #000;width:20mm;text-align:center;font-weight:normal;padding:.5mm}
.mdoc-approval td{height:20mm}
@media screen{.mdoc-cover,.mdoc-section{max-width:%dmm;margin-left:auto;margin-right:auto}.mdoc-landscape{max-width:%dmm}}
`, marginTopMM, marginSideMM, marginBotMM, marginSideMM, mincho, gothic, portraitWidthMM, landscapeWidthMM)
	for i := 6; i <= 14; i++ {
		fmt.Fprintf(&b, ".mdoc-table.fs%d{font-size:%dpt}", i, i)
	}
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, ".mdoc .ind%d{margin-left:%dem}", i, i)
	}
	b.WriteString("\n")
	for i := 1; i <= 100; i++ {
		fmt.Fprintf(&b, ".mdoc col.w%d{width:%d%%}", i, i)
	}
	b.WriteString("\n")
	return b.String()
}

// Stylesheet is the CSS for d: BaseCSS plus the rules only this document
// needs — page headers (classification, each section's tab label) and
// footers (page numbers) as @page margin boxes, one named page per
// section, and a class for each text and fill colour used.
func Stylesheet(d *docgen.Document) string {
	var b strings.Builder
	b.WriteString(BaseCSS)
	m := d.Meta
	b.WriteString("@page{")
	if m.Classification != "" {
		b.WriteString("@top-left{content:" + cssString(m.Classification) + ";font-size:9pt;font-weight:bold}")
	}
	switch m.PageNumbers {
	case docgen.PageDash:
		b.WriteString(`@bottom-center{content:"- " counter(page) " -";font-size:9pt}`)
	case docgen.PageOfTotal:
		b.WriteString(`@bottom-center{content:counter(page) " / " counter(pages);font-size:9pt}`)
	}
	b.WriteString("}\n@page mdoc-cover{@top-left{content:none}@top-right{content:none}@bottom-center{content:none}}\n")
	for i, s := range d.Sections {
		name := fmt.Sprintf("mdoc-s%d", i+1)
		b.WriteString("@page " + name + "{")
		if s.Orientation == docgen.Landscape {
			b.WriteString("size:A4 landscape;")
		}
		if s.Tab != "" {
			b.WriteString("@top-right{content:" + cssString(s.Tab) + ";font-size:9pt}")
		}
		b.WriteString("}." + name + "{page:" + name + "}\n")
	}
	text, fill := colours(d)
	for _, c := range text {
		b.WriteString(".mdoc .c-" + c + "{color:#" + c + "}")
	}
	for _, c := range fill {
		b.WriteString(".mdoc .bg-" + c + "{background-color:#" + c + "}")
	}
	b.WriteString("\n")
	return b.String()
}

// cssString quotes s as a CSS string. Anything but plain letters, digits,
// spaces and non-ASCII text is written as a hex escape, so s cannot end
// the string, the rule or the <style> element.
func cssString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\%x `, r)
		case r >= 0x80 || r == ' ' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z'):
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, `\%x `, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
