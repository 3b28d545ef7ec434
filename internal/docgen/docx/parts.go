package docx

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"mamori/internal/docgen"
)

const xmlHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

const nsW = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`

const nsDoc = nsW + ` xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"`

const (
	relBase      = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	relStyles    = relBase + "styles"
	relSettings  = relBase + "settings"
	relFontTable = relBase + "fontTable"
	relNumbering = relBase + "numbering"
	relHeader    = relBase + "header"
	relFooter    = relBase + "footer"
	relImage     = relBase + "image"
)

const rootRels = xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>` +
	`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
	`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>` +
	`</Relationships>`

const appProps = xmlHeader + `<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">` +
	`<Application>Mamori</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop><LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged><AppVersion>1.0000</AppVersion></Properties>`

// settingsXML: Japanese punctuation compression, the 10.5 pt grid's
// default tab stop, and Word 2013+ compatibility mode so Word does not
// open the file in compatibility mode.
const settingsXML = xmlHeader + `<w:settings ` + nsW + `>` +
	`<w:zoom w:percent="100"/><w:defaultTabStop w:val="840"/><w:evenAndOddHeaders w:val="false"/>` +
	`<w:characterSpacingControl w:val="compressPunctuation"/>` +
	// Word refreshes the table of contents' page numbers when it opens the file.
	`<w:updateFields w:val="true"/>` +
	`<w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat>` +
	`<w:themeFontLang w:val="en-US" w:eastAsia="ja-JP"/>` +
	`</w:settings>`

const fontTableXML = xmlHeader + `<w:fonts ` + nsW + `>` +
	`<w:font w:name="` + fontMincho + `"><w:altName w:val="ＭＳ 明朝"/><w:charset w:val="80"/><w:family w:val="roman"/><w:pitch w:val="variable"/></w:font>` +
	`<w:font w:name="` + fontGothic + `"><w:altName w:val="ＭＳ ゴシック"/><w:charset w:val="80"/><w:family w:val="modern"/><w:pitch w:val="variable"/></w:font>` +
	`<w:font w:name="ＭＳ 明朝"><w:charset w:val="80"/><w:family w:val="roman"/><w:pitch w:val="fixed"/></w:font>` +
	`<w:font w:name="ＭＳ ゴシック"><w:charset w:val="80"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>` +
	`</w:fonts>`

func fonts(face string) string {
	return `<w:rFonts w:ascii="` + face + `" w:eastAsia="` + face + `" w:hAnsi="` + face + `" w:cs="Times New Roman"/>`
}

var gothic = fonts(fontGothic)

// heading style: built-in "heading N" (Word shows 見出し N in a Japanese
// UI and its TOC \o switch and navigation pane use it) with the Japanese
// alias 見出しN and an explicit outline level for LibreOffice.
// Levels 3 and 4 (（1）, ア) are set in as the PDF sets them
// (headingIndent), and the body text under them with them.
func headingStyle(n int, halfPts int) string {
	return fmt.Sprintf(`<w:style w:type="paragraph" w:styleId="Heading%d"><w:name w:val="heading %d"/><w:aliases w:val="見出し%d"/><w:basedOn w:val="Normal"/><w:next w:val="Body"/><w:uiPriority w:val="9"/><w:qFormat/>`+
		`<w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="%d" w:after="120"/><w:ind w:left="%d"/><w:outlineLvl w:val="%d"/></w:pPr>`+
		`<w:rPr>%s<w:b/><w:bCs/><w:sz w:val="%d"/><w:szCs w:val="%d"/></w:rPr></w:style>`+
		// The same look for headings kept out of the TOC: outline level 9
		// (body text) and not a built-in heading style, so neither TOC \o
		// nor \u collects them.
		`<w:style w:type="paragraph" w:customStyle="1" w:styleId="Heading%dNoTOC"><w:name w:val="見出し%d（目次外）"/><w:basedOn w:val="Heading%d"/><w:next w:val="Body"/><w:pPr><w:outlineLvl w:val="9"/></w:pPr></w:style>`,
		n, n, n, 360-40*n, headingIndent(n), n-1, gothic, halfPts, halfPts, n, n, n)
}

// headingIndent is a heading level's indent in twips, the PDF's
// (internal/docgen/pdf headingStyle): one character of the 11.5 pt
// （1） heading, two of 10.5 pt body text for ア.
func headingIndent(level int) int {
	switch level {
	case 3:
		return 230
	case 4:
		return 2 * charTwips
	}
	return 0
}

var stylesXML = xmlHeader + `<w:styles ` + nsW + `>` +
	`<w:docDefaults><w:rPrDefault><w:rPr>` + fonts(fontMincho) + `<w:kern w:val="2"/><w:sz w:val="21"/><w:szCs w:val="21"/><w:lang w:val="en-US" w:eastAsia="ja-JP" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>` +
	// No extra space between Japanese and latin text or digits (the PDF
	// adds none, and it would make lines wrap differently).
	`<w:pPrDefault><w:pPr><w:widowControl w:val="0"/><w:autoSpaceDE w:val="0"/><w:autoSpaceDN w:val="0"/><w:jc w:val="both"/></w:pPr></w:pPrDefault></w:docDefaults>` +
	// (LibreOffice reads autoSpaceDE/DN from a style, not from pPrDefault.)
	`<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:aliases w:val="標準"/><w:qFormat/><w:pPr><w:autoSpaceDE w:val="0"/><w:autoSpaceDN w:val="0"/></w:pPr></w:style>` +
	`<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont"><w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/></w:style>` +
	`<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:semiHidden/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="99" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="99" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>` +
	`<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/><w:semiHidden/></w:style>` +
	`<w:style w:type="paragraph" w:customStyle="1" w:styleId="Body"><w:name w:val="本文"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr>` + bodySpacing + `</w:pPr></w:style>` +
	headingStyle(1, 32) + headingStyle(2, 28) + headingStyle(3, 24) + headingStyle(4, 21) +
	`<w:style w:type="paragraph" w:customStyle="1" w:styleId="TableText"><w:name w:val="表"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr><w:snapToGrid w:val="0"/>` + tableSpacing + `<w:jc w:val="left"/></w:pPr><w:rPr>` + gothic + `<w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Caption"><w:name w:val="caption"/><w:aliases w:val="図表番号"/><w:basedOn w:val="Normal"/><w:next w:val="Body"/><w:qFormat/><w:pPr><w:spacing w:before="120" w:after="60"/><w:jc w:val="center"/></w:pPr><w:rPr>` + gothic + `<w:b/><w:sz w:val="20"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="ListParagraph"><w:name w:val="List Paragraph"/><w:aliases w:val="箇条書き"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr>` + listSpacing + `</w:pPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Header"><w:name w:val="header"/><w:basedOn w:val="Normal"/><w:pPr><w:tabs><w:tab w:val="center" w:pos="4536"/><w:tab w:val="right" w:pos="9072"/></w:tabs><w:snapToGrid w:val="0"/></w:pPr><w:rPr>` + gothic + `<w:sz w:val="18"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Footer"><w:name w:val="footer"/><w:basedOn w:val="Normal"/><w:pPr><w:snapToGrid w:val="0"/><w:jc w:val="center"/></w:pPr><w:rPr><w:sz w:val="18"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="TOCHeading"><w:name w:val="TOC Heading"/><w:aliases w:val="目次の見出し"/><w:basedOn w:val="Heading1"/><w:next w:val="Normal"/><w:pPr><w:jc w:val="center"/><w:outlineLvl w:val="9"/></w:pPr></w:style>` +
	tocStyle(1) + tocStyle(2) + tocStyle(3) + tocStyle(4) +
	`<w:style w:type="paragraph" w:customStyle="1" w:styleId="CoverTitle"><w:name w:val="表紙表題"/><w:basedOn w:val="Normal"/><w:pPr><w:spacing w:before="240" w:after="240"/><w:jc w:val="center"/></w:pPr><w:rPr>` + gothic + `<w:b/><w:sz w:val="44"/><w:szCs w:val="44"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:customStyle="1" w:styleId="CoverText"><w:name w:val="表紙本文"/><w:basedOn w:val="Normal"/><w:pPr><w:spacing w:after="120"/><w:jc w:val="center"/></w:pPr><w:rPr><w:sz w:val="28"/><w:szCs w:val="28"/></w:rPr></w:style>` +
	`<w:style w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/><w:basedOn w:val="DefaultParagraphFont"/></w:style>` +
	`</w:styles>`

// Line pitch as the PDF sets it (internal/docgen/pdf: body 10.5 pt ×
// 1.75 = 18.375 pt with half a line's size after a paragraph; tables
// 9 pt × 1.4 = 12.6 pt with 1.1 mm above and below the text of a cell),
// in twips and with an exact rule, so a page of DOCX holds what a page
// of the PDF holds. Word's "auto" spacing multiplies the font's own line
// height (about 1.7 em for 游明朝) and read as double spacing.
const (
	bodyPitch  = 368 // 18.4 pt
	tablePitch = 252 // 12.6 pt
)

var (
	bodySpacing  = fmt.Sprintf(`<w:spacing w:after="105" w:line="%d" w:lineRule="exact"/>`, bodyPitch)
	listSpacing  = fmt.Sprintf(`<w:spacing w:after="0" w:line="%d" w:lineRule="exact"/>`, bodyPitch)
	tableSpacing = fmt.Sprintf(`<w:spacing w:before="62" w:after="62" w:line="%d" w:lineRule="exact"/>`, tablePitch)
)

// tocStyle is a contents level as the PDF sets it: ゴシック 10.5 pt on a
// 19.95 pt pitch, 4 pt more above a chapter, 1.5 em indent per level, the
// page number right-aligned after a dotted leader.
func tocStyle(n int) string {
	before := 0
	if n == 1 {
		before = 80
	}
	return fmt.Sprintf(`<w:style w:type="paragraph" w:styleId="TOC%d"><w:name w:val="toc %d"/><w:aliases w:val="目次%d"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:tabs><w:tab w:val="right" w:leader="dot" w:pos="%d"/></w:tabs><w:spacing w:before="%d" w:after="0" w:line="399" w:lineRule="exact"/><w:ind w:left="%d"/></w:pPr><w:rPr>%s</w:rPr></w:style>`,
		n, n, n, textWidth(docgen.Portrait)-10, before, (n-1)*315, gothic)
}

// bullets per list level (・ then ○ then ■, repeating).
var bulletMarks = []string{"・", "○", "■"}

// numbering: abstractNum 0 is the bullet list, 1 the numbered list
// (1. / (1) / ア); w:num 1 is bullets, 2… one per ordered list so each
// restarts at 1.
func (r *renderer) numbering() []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString(`<w:numbering ` + nsW + `>`)
	b.WriteString(`<w:abstractNum w:abstractNumId="0"><w:multiLevelType w:val="hybridMultilevel"/>`)
	for l := 0; l < 9; l++ {
		fmt.Fprintf(&b, `<w:lvl w:ilvl="%d"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="%s"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="%d" w:hanging="%d"/></w:pPr><w:rPr>%s</w:rPr></w:lvl>`,
			l, bulletMarks[l%len(bulletMarks)], (l+1)*charTwips*2, charTwips*2, fonts(fontMincho))
	}
	b.WriteString(`</w:abstractNum>`)
	b.WriteString(`<w:abstractNum w:abstractNumId="1"><w:multiLevelType w:val="hybridMultilevel"/>`)
	for l := 0; l < 9; l++ {
		fmtv, text := "decimal", fmt.Sprintf("%%%d.", l+1)
		switch l % 3 {
		case 1:
			text = fmt.Sprintf("(%%%d)", l+1)
		case 2:
			fmtv, text = "aiueoFullWidth", fmt.Sprintf("%%%d", l+1)
		}
		fmt.Fprintf(&b, `<w:lvl w:ilvl="%d"><w:start w:val="1"/><w:numFmt w:val="%s"/><w:lvlText w:val="%s"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="%d" w:hanging="%d"/></w:pPr></w:lvl>`,
			l, fmtv, text, (l+1)*charTwips*2, charTwips*2)
	}
	b.WriteString(`</w:abstractNum>`)
	b.WriteString(`<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>`)
	for i := 0; i < r.lists; i++ {
		fmt.Fprintf(&b, `<w:num w:numId="%d"><w:abstractNumId w:val="1"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>`, i+2)
	}
	b.WriteString(`</w:numbering>`)
	return b.Bytes()
}

// legal reports whether r may appear in an XML 1.0 document.
func legal(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// escape writes s as XML character data or attribute value: markup
// characters escaped, characters illegal in XML 1.0 dropped, invalid
// UTF-8 replaced by U+FFFD.
func escape(b *bytes.Buffer, s string) {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '&' && c != '<' && c != '>' && c != '"' {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		var rep string
		switch {
		case r == '&':
			rep = "&amp;"
		case r == '<':
			rep = "&lt;"
		case r == '>':
			rep = "&gt;"
		case r == '"':
			rep = "&quot;"
		case r == '\t' || r == '\n':
			rep = string(r)
		case r == utf8.RuneError && size == 1:
			rep = "\uFFFD"
		case !legal(r):
			rep = ""
		default:
			i += size
			continue
		}
		b.WriteString(s[start:i])
		b.WriteString(rep)
		i += size
		start = i
	}
	b.WriteString(s[start:])
}

// escString is escape returning a string (for small attribute values).
func escString(s string) string {
	var b bytes.Buffer
	escape(&b, s)
	return b.String()
}

// cleanColor returns c as 6 upper-case hex digits, or "" if it is not one.
func cleanColor(c string) string {
	c = strings.TrimPrefix(c, "#")
	if len(c) != 6 {
		return ""
	}
	for _, r := range c {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return ""
		}
	}
	return strings.ToUpper(c)
}
