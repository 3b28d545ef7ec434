package provision

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// How the parser builds the tree (the model every consumer relies on):
//
//   - 編/章/節/款 nest by level; an article belongs to the innermost open
//     one. 附則 closes them all and holds its own articles or text.
//   - An article's paragraphs are Paragraph children. The first paragraph,
//     unnumbered in the source, is a Paragraph with Label "" and Num 1; text
//     written on the article line (第一条　この法律は…) is that paragraph.
//     Article.Text stays empty.
//   - 号 and their subdivisions are children of the paragraph they follow.
//     Their level comes from the order in which numbering styles appear
//     under the paragraph, so （1）→ア→（ア） and 一→イ→(1) both give
//     Item → SubItem → SubSubItem.
//   - The unnumbered body of a 附則 is Text children of the Supplementary.
//   - Text after 第N条 (or 附則) on the same line is read as if it were the
//     next line, which is how Document.Plain prints it.
//   - An unnumbered line continues the previous provision's text when that
//     text stops mid-sentence (hard-wrapped text); otherwise it is a Text
//     node under the innermost open provision. Table rows (unnumbered lines
//     with tabs, Markdown | a | b |) are Text nodes kept verbatim.
//   - These rules depend only on the lines and the tree built so far, so
//     Parse(d.Plain()) rebuilds d.

// srcLine is one line handed to the parser, with where it came from.
type srcLine struct {
	text    string
	line    int  // 1-based line or DOCX paragraph
	heading bool // a Markdown heading: never joined; after 第N条 the rest is the caption
}

// Parse reads drafting-style plain text: the first line is the title when
// it is not a provision, lines before the first provision are the
// preamble, and the numbering at the start of each line gives the tree.
// Doubtful spots (numbers that jump or repeat, mixed numbering styles, an
// article outside the chapters) are returned as warnings. A text with no
// recognisable 条・項・号 numbering is an error.
func Parse(text string) (*Document, []Warning, error) {
	if err := checkText(text); err != nil {
		return nil, nil, err
	}
	return parseLines(splitLines(text), "行目")
}

// splitLines splits text at LF, CRLF or CR and numbers the lines.
func splitLines(text string) []srcLine {
	text = strings.TrimPrefix(text, "\ufeff")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	raw := strings.Split(text, "\n")
	out := make([]srcLine, len(raw))
	for i, s := range raw {
		out[i] = srcLine{text: s, line: i + 1}
	}
	return out
}

// Error messages for documents that cannot be read as provisions.
const (
	msgNoNumbering = "条・項・号の番号を認識できませんでした。「第1条」「２　」「（1）」のような番号で始まる行があるか、ファイルの内容を確認してください。"
	msgNoText      = "文書に本文がありません。"
)

// itemLevel is one open level of 号 numbering under a paragraph.
type itemLevel struct {
	style  string
	family int
	form   numForm // for katakana: aiueo or iroha order
	node   *Node
}

type parser struct {
	unit  string // "行目" or "段落目", for messages
	doc   *Document
	warns []Warning

	started bool // a provision has been seen
	toc     int  // 0 no 目次, 1 inside the 目次, 2 after it
	tocHead string

	structs [4]*Node // open 編, 章, 節, 款
	supp    *Node
	article *Node
	para    *Node
	items   []*itemLevel
	last    *Node // the provision a wrapped line would continue

	pendingCaption string

	// sequence state
	structPrev [4]*Node
	artPrev    *Node // previous article in the same body (main or one 附則)
	suppCount  int
	paraPrev   *Node
	numbered   int // articles, numbered paragraphs and items seen
	artForm    *numForm
	paraForm   string
	deepWarned bool
	count      int // provisions added, against MaxProvisions
}

func (p *parser) warn(line int, format string, args ...any) {
	p.warns = append(p.warns, Warning{Line: line, Msg: fmt.Sprintf("%d%s：", line, p.unit) + fmt.Sprintf(format, args...)})
}

// parseLines builds the document from lines; unit names the line unit in
// messages.
func parseLines(lines []srcLine, unit string) (*Document, []Warning, error) {
	p := &parser{unit: unit, doc: &Document{}}
	titled := false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		s := trimSpace(l.text)
		if s == "" {
			continue
		}
		c, table := classifyLine(s, l)
		if p.toc == 1 && p.tocLine(c, s) {
			continue
		}
		if c.kind == Text && !table && !l.heading {
			// 例規 style: the caption on its own line before the article.
			if caption, ok := isCaptionLine(s); ok && i+1 < len(lines) {
				next := trimSpace(lines[i+1].text)
				if nc := classify(next, lines[i+1].heading); nc.kind == Article && !nc.hasCaption {
					p.pendingCaption = caption
					continue
				}
			}
		}
		if c.kind == Text && !p.started {
			if !titled && !table {
				p.doc.Title = s
				titled = true
				continue
			}
			titled = true
			if p.toc == 0 && strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), "\u3000", "") == "目次" {
				p.toc = 1
			}
			if table {
				p.doc.Preamble = append(p.doc.Preamble, c.rest)
			} else {
				p.doc.Preamble = append(p.doc.Preamble, s)
			}
			continue
		}
		titled = true
		if p.count > MaxProvisions {
			return nil, nil, p.tooMany(lines[i:])
		}
		// Text after 第N条 or 附則 on the same line is read as if it were
		// the next line, which is how Plain prints it.
		for {
			rest := ""
			if c.kind == Article || c.kind == Supplementary {
				rest, c.rest = c.rest, ""
			}
			p.line(c, l, table)
			if rest == "" {
				break
			}
			l = srcLine{text: rest, line: l.line}
			c, table = classifyLine(rest, l)
		}
	}
	p.finish()
	if p.count > MaxProvisions {
		return nil, nil, p.tooMany(nil)
	}
	if len(p.doc.Nodes) == 0 && p.doc.Title == "" && len(p.doc.Preamble) == 0 {
		return nil, nil, &InputError{Msg: msgNoText}
	}
	if p.numbered == 0 {
		return nil, nil, &InputError{Msg: msgNoNumbering}
	}
	return p.doc, p.warns, nil
}

// tooMany is the error for a document with more than MaxProvisions
// provisions, found before the lines rest: it names the limit and a lower
// bound of the document's count (the numbered lines not yet read are
// classified, not built).
func (p *parser) tooMany(rest []srcLine) error {
	n := p.count
	for _, l := range rest {
		if s := trimSpace(l.text); s != "" {
			if c, _ := classifyLine(s, l); c.kind != Text {
				n++
			}
		}
	}
	line := 0
	if len(rest) > 0 {
		line = rest[0].line
	}
	return &InputError{Line: line, Msg: fmt.Sprintf(msgProvisions, comma(n), comma(MaxProvisions))}
}

// classifyLine classifies the trimmed line s of l, and reports whether it
// is a table row: a Markdown row (| a | b |) or an unnumbered line with tabs.
func classifyLine(s string, l srcLine) (lineClass, bool) {
	if strings.HasPrefix(s, "|") {
		return lineClass{kind: Text, rest: s}, true
	}
	c := classify(s, l.heading)
	if c.kind == Text && strings.Contains(s, "\t") {
		return lineClass{kind: Text, rest: strings.Trim(l.text, " \u3000\r")}, true
	}
	return c, false
}

// tocLine handles a line inside a 目次: chapter lines and 附則 are kept in
// the preamble until the first chapter heading comes round again (the body
// starts). It reports whether the line was consumed.
func (p *parser) tocLine(c lineClass, s string) bool {
	switch c.kind {
	case Part, Chapter, Section, Subsection, Supplementary:
		key := c.label
		if c.kind == Supplementary {
			key = "附則"
		}
		if p.tocHead == "" {
			p.tocHead = key
		} else if key == p.tocHead {
			p.toc = 2
			return false
		}
		p.doc.Preamble = append(p.doc.Preamble, s)
		return true
	case Text:
		p.doc.Preamble = append(p.doc.Preamble, s)
		return true
	}
	p.toc = 2
	return false
}

// add appends n under parent, or at the top level when parent is nil.
func (p *parser) add(parent, n *Node) {
	p.count++
	if parent == nil {
		p.doc.Nodes = append(p.doc.Nodes, n)
	} else {
		parent.Children = append(parent.Children, n)
	}
}

// innerStruct is the innermost open 編/章/節/款, or nil.
func (p *parser) innerStruct() *Node {
	for i := len(p.structs) - 1; i >= 0; i-- {
		if p.structs[i] != nil {
			return p.structs[i]
		}
	}
	return nil
}

// container is where an article or a paragraph outside articles goes.
func (p *parser) container() *Node {
	if p.supp != nil {
		return p.supp
	}
	return p.innerStruct()
}

// deepest is the innermost open provision, which unnumbered text joins.
func (p *parser) deepest() *Node {
	switch {
	case len(p.items) > 0:
		return p.items[len(p.items)-1].node
	case p.para != nil:
		return p.para
	case p.article != nil:
		return p.article
	}
	return p.container()
}

func (p *parser) line(c lineClass, l srcLine, table bool) {
	if c.kind != Article && p.pendingCaption != "" {
		p.pendingCaption = ""
	}
	switch c.kind {
	case Part, Chapter, Section, Subsection:
		p.structural(c, l.line)
	case Article:
		p.articleLine(c, l.line)
	case Supplementary:
		p.supplementary(c, l.line)
	case Paragraph:
		p.paragraph(c, l.line)
	case Item:
		p.item(c, l.line)
	default:
		p.text(c.rest, l, table)
	}
	if c.kind != Text {
		p.started = true
	}
}

func (p *parser) structural(c lineClass, line int) {
	lv := int(c.kind - Part)
	n := &Node{Kind: c.kind, Label: c.label, Num: c.num, Branch: c.branch, Caption: c.caption, Line: line}
	p.supp = nil
	for i := lv; i < len(p.structs); i++ {
		p.structs[i] = nil
	}
	var parent *Node
	for i := lv - 1; i >= 0; i-- {
		if p.structs[i] != nil {
			parent = p.structs[i]
			break
		}
	}
	p.add(parent, n)
	p.structs[lv] = n
	p.sequence(p.structPrev[lv], n, line, "")
	p.structPrev[lv] = n
	for i := lv + 1; i < len(p.structs); i++ {
		if i != int(Chapter-Part) { // chapters run through the parts
			p.structPrev[i] = nil // 節 restart in each 章, 款 in each 節
		}
	}
	p.article, p.para, p.items, p.last = nil, nil, nil, nil
}

func (p *parser) articleLine(c lineClass, line int) {
	n := &Node{Kind: Article, Label: c.label, Num: c.num, Branch: c.branch, Caption: c.caption, Line: line}
	if !c.hasCaption && p.pendingCaption != "" {
		n.Caption = p.pendingCaption
	}
	p.pendingCaption = ""
	p.add(p.container(), n)
	p.sequence(p.artPrev, n, line, "")
	if p.artForm == nil {
		f := c.form
		p.artForm = &f
	} else if *p.artForm != c.form {
		p.warn(line, "%sの数字の書き方（全角・半角・漢数字）が前の条と異なります。", c.label)
		f := c.form
		p.artForm = &f
	}
	p.artPrev = n
	p.numbered++
	p.article, p.para, p.items, p.last = n, nil, nil, nil
	p.paraPrev = nil
}

// firstParagraph starts the unnumbered first paragraph of the open article.
func (p *parser) firstParagraph(text string, line int) {
	n := &Node{Kind: Paragraph, Num: 1, Text: text, Line: line}
	p.add(p.article, n)
	p.para, p.items, p.last, p.paraPrev = n, nil, n, n
}

func (p *parser) supplementary(c lineClass, line int) {
	p.suppCount++
	n := &Node{Kind: Supplementary, Label: c.label, Num: p.suppCount, Line: line}
	p.structs = [4]*Node{}
	p.add(nil, n)
	p.supp = n
	p.article, p.para, p.items, p.last = nil, nil, nil, nil
	p.artPrev, p.paraPrev = nil, nil
}

func (p *parser) paragraph(c lineClass, line int) {
	n := &Node{Kind: Paragraph, Label: c.label, Num: c.num, Text: c.rest, Line: line}
	parent := p.article
	if parent == nil {
		parent = p.container()
	}
	p.add(parent, n)
	where := ""
	if p.article != nil {
		where = p.article.Label + "："
	}
	if p.paraPrev == nil && c.num != 1 {
		p.warn(line, "%s項番号が「%s」から始まっています（第1項がありません）。", where, c.label)
	} else if p.paraPrev != nil {
		p.sequence(p.paraPrev, n, line, where)
	}
	style := string(rune('0'+int(c.form))) + c.paraSuffix
	if p.paraForm != "" && p.paraForm != style {
		p.warn(line, "%s項番号「%s」の書き方（全角・半角、点の有無）がほかの項と異なります。", where, c.label)
	}
	p.paraForm = style
	p.numbered++
	p.para, p.items, p.last, p.paraPrev = n, nil, n, n
}

func (p *parser) item(c lineClass, line int) {
	if p.para == nil && p.article != nil {
		// 第2条（定義）followed directly by （1）: an empty first paragraph.
		n := &Node{Kind: Paragraph, Num: 1, Line: line}
		p.add(p.article, n)
		p.para, p.paraPrev = n, n
	}
	l := c.item
	where := ""
	if p.article != nil {
		where = p.article.Label + "："
	}
	n := &Node{Label: c.label, Text: c.rest, Line: line}
	at := -1
	mixed := false
	for i := len(p.items) - 1; i >= 0; i-- {
		if p.items[i].style == l.style() {
			at = i
			break
		}
	}
	if at < 0 {
		for i := len(p.items) - 1; i >= 0; i-- {
			lv := p.items[i]
			if lv.family == l.family() && l.valueIn(lv.form) != 1 {
				at, mixed = i, true
				break
			}
		}
	}
	var prev *Node
	if at >= 0 {
		lv := p.items[at]
		p.items = p.items[:at+1]
		prev = lv.node
		n.Num = l.valueIn(lv.form)
		lv.node = n
		if mixed {
			p.warn(line, "%s号の番号「%s」の書き方が、同じ階層の「%s」と異なります（括弧や全角・半角が混在しています）。",
				where, c.label, prev.Label)
		}
	} else {
		form := l.form
		if form == formAiueo && kanaIndex(aiueo, l.kana) != 1 && kanaIndex(iroha, l.kana) == 1 {
			form = formIroha // a level that starts with イ counts イロハ
		}
		n.Num = l.valueIn(form)
		p.items = append(p.items, &itemLevel{style: l.style(), family: l.family(), form: form, node: n})
		if n.Num != 1 {
			p.warn(line, "%s号の番号が「%s」から始まっています（1番目がありません）。", where, c.label)
		}
	}
	depth := len(p.items) - 1
	switch {
	case depth == 0:
		n.Kind = Item
	case depth == 1:
		n.Kind = SubItem
	default:
		n.Kind = SubSubItem
		if depth > 2 && !p.deepWarned {
			p.warn(line, "%s号の階層が深すぎるため、「%s」は号の細分の細分として扱いました。", where, c.label)
			p.deepWarned = true
		}
	}
	var parent *Node
	if depth > 0 {
		parent = p.items[depth-1].node
	} else if p.para != nil {
		parent = p.para
	} else {
		parent = p.container()
	}
	p.add(parent, n)
	if prev != nil {
		p.sequence(prev, n, line, where)
	}
	p.numbered++
	p.last = n
}

// terminal runes end a sentence or a phrase: a line after them is not a
// wrapped continuation.
const terminal = "。．.」』）)：:？！?!"

// text handles an unnumbered line: the first paragraph of an article, a
// continuation of a hard-wrapped provision, or a Text node.
func (p *parser) text(s string, l srcLine, table bool) {
	if p.article != nil && p.para == nil && !strings.HasPrefix(s, "|") {
		// Right after the article heading: the first paragraph, even with
		// tabs in it (text after 第1条 on its line would be the same).
		p.firstParagraph(trimSpace(s), l.line)
		return
	}
	if !table && !l.heading && p.joinable(s) {
		prev := p.last.Text
		last, _ := utf8.DecodeLastRuneInString(prev)
		first, _ := utf8.DecodeRuneInString(s)
		if isASCIIWord(last) && isASCIIWord(first) {
			prev += " "
		}
		p.last.Text = prev + s
		return
	}
	n := &Node{Kind: Text, Text: s, Line: l.line}
	p.add(p.deepest(), n)
	if table {
		p.last = nil
	} else {
		p.last = n
	}
}

// joinable reports whether s continues the last provision's text: that
// text ends mid-sentence (no 。 or closing bracket) and is long enough to
// have been wrapped, or ends with a comma or a particle.
func (p *parser) joinable(s string) bool {
	if p.last == nil || p.last.Text == "" {
		return false
	}
	if _, ok := isCaptionLine(s); ok {
		return false
	}
	prev := p.last.Text
	if strings.Contains(prev, "\t") || strings.HasPrefix(prev, "|") {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(prev)
	if strings.ContainsRune(terminal, r) {
		return false
	}
	return strings.ContainsRune(continuing, r) || runeLen(prev) >= 20
}

// continuing runes end a line that is certainly mid-sentence: a comma or
// a case particle (を, は, が, に, で …). の and と are left out, as items
// often end with …もの or …すること.
const continuing = "、，,をはがにてで"

func isASCIIWord(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
}

// sequence warns when n's number does not follow prev's: a jump, a repeat
// or a step back. 枝番号 may follow their main number (第3条の2 after 第3条).
func (p *parser) sequence(prev, n *Node, line int, where string) {
	if prev == nil {
		if n.Num != 1 {
			p.warn(line, "%s%sから始まっています（1番目がありません）。", where, n.Label)
		}
		return
	}
	pl, nl := quoteLabel(prev), quoteLabel(n)
	switch {
	case n.Num == prev.Num && n.Branch > 0 && n.Branch == max(prev.Branch, 1)+1:
	case n.Num == prev.Num+1 && n.Branch == 0:
	case n.Num > prev.Num+1 || (n.Num == prev.Num+1 && n.Branch > 0) || (n.Num == prev.Num && n.Branch > max(prev.Branch, 1)+1):
		p.warn(line, "%s%sの次が%sになっています（番号が飛んでいます）。", where, pl, nl)
	case n.Num == prev.Num && n.Branch == prev.Branch:
		p.warn(line, "%s%sが重複しています。", where, nl)
	default:
		p.warn(line, "%s%sの次が%sになっています（番号が前後しています）。", where, pl, nl)
	}
}

// quoteLabel names a provision in a message: 第5条, 「２」, 「（1）」.
func quoteLabel(n *Node) string {
	switch n.Kind {
	case Part, Chapter, Section, Subsection, Article:
		return n.Label
	}
	if n.Label == "" {
		return "第1項"
	}
	return "「" + n.Label + "」"
}

// finish runs the whole-document checks.
func (p *parser) finish() {
	chapters := false
	for _, n := range p.doc.Nodes {
		if n.Kind >= Part && n.Kind <= Subsection {
			chapters = true
		}
	}
	if !chapters {
		return
	}
	for _, n := range p.doc.Nodes {
		if n.Kind == Article {
			p.warn(n.Line, "%sはどの章にも属していません（ほかの条は章の中にあります）。", n.Label)
		}
	}
}
