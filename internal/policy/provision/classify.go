package provision

import (
	"strings"
	"unicode/utf8"
)

// lineClass is what the start of one source line says it is.
type lineClass struct {
	kind   Kind // Part … Subsection, Article, Supplementary, Paragraph, Item (any 号 level) or Text
	label  string
	num    int
	branch int
	form   numForm
	// caption is the 見出し (articles, chapters); hasCaption tells an empty
	// caption from none.
	caption    string
	hasCaption bool
	rest       string // the text after the number and caption
	item       itemLabel
	paraSuffix string // "." or "．" after a paragraph number, else ""
}

// itemLabel is a 号 (or 号の細分) number as printed.
type itemLabel struct {
	open, close string // brackets: "（" "）", "(" ")", "" ")" (1)), "" "" (一, ア, ①, ⑴)
	form        numForm
	num         int  // value, except for katakana
	kana        rune // the letter, for katakana (its value depends on the order)
}

// itemClass groups forms that can stand for the same level.
type itemClass int

const (
	classArabic itemClass = iota
	classKanji
	classCircled
	classKana
)

func (l itemLabel) class() itemClass {
	switch l.form {
	case formKanji:
		return classKanji
	case formCircled:
		return classCircled
	case formAiueo, formIroha:
		return classKana
	}
	return classArabic
}

func (l itemLabel) bracketed() bool { return l.open != "" || l.close != "" || l.form == formParen }

// family is the (class, bracketed) pair: labels of one family written in
// different ways ((1), （1）, ⑴) are taken as one level written
// inconsistently.
func (l itemLabel) family() int {
	f := int(l.class()) * 2
	if l.bracketed() {
		f++
	}
	return f
}

// style identifies the exact way of writing: brackets and digit form.
func (l itemLabel) style() string {
	form := l.form
	if form == formIroha {
		form = formAiueo // the order is decided per level
	}
	return l.open + "|" + l.close + "|" + string(rune('0'+int(form)))
}

// valueIn is the label's number in the order of form (for katakana).
func (l itemLabel) valueIn(form numForm) int {
	if l.form != formAiueo && l.form != formIroha {
		return l.num
	}
	if form == formIroha {
		return kanaIndex(iroha, l.kana)
	}
	return kanaIndex(aiueo, l.kana)
}

// text prints the label with the number n in form.
func (l itemLabel) text(n int, form numForm) string {
	return l.open + formatNumber(n, form) + l.close
}

var structKinds = map[rune]Kind{'編': Part, '章': Chapter, '節': Section, '款': Subsection}

// particles that follow a reference such as 第2章 in running text.
var particles = []string{"の", "に", "を", "は", "が", "で", "と", "も", "から", "まで", "より", "へ", "や", "及び", "又は", "並びに", "若しくは", "において", "中"}

func startsWithParticle(s string) bool {
	for _, p := range particles {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// scanBranch reads "の2" after a number, returning the branch and the bytes
// read, or 0, 0.
func scanBranch(s string) (int, int) {
	if !strings.HasPrefix(s, "の") {
		return 0, 0
	}
	n, _, w := scanNumber(s[len("の"):])
	if w == 0 {
		return 0, 0
	}
	return n, len("の") + w
}

// bracketGroup returns the length in bytes of the balanced bracket group
// （…） or (…) at the start of s, or 0.
func bracketGroup(s string) int {
	r, _ := utf8.DecodeRuneInString(s)
	if r != '（' && r != '(' {
		return 0
	}
	depth := 0
	for i, r := range s {
		switch r {
		case '（', '(':
			depth++
		case '）', ')':
			depth--
			if depth == 0 {
				return i + utf8.RuneLen(r)
			}
		}
	}
	return 0
}

// bracketInner is the trimmed text inside a bracket group （…）.
func bracketInner(group string) string {
	_, ow := utf8.DecodeRuneInString(group)
	_, cw := utf8.DecodeLastRuneInString(group)
	if ow+cw > len(group) {
		return ""
	}
	return trimSpace(group[ow : len(group)-cw])
}

// classify reads the numbering at the start of the trimmed line s.
// heading is set for a Markdown heading, whose text after an article
// number is its caption even without brackets.
func classify(s string, heading bool) lineClass {
	if c, ok := classifyHeading(s, heading); ok {
		return c
	}
	if c, ok := classifySupplementary(s); ok {
		return c
	}
	if c, ok := classifyParagraph(s); ok {
		return c
	}
	if l, rest, ok := parseItemLabel(s); ok {
		return lineClass{kind: Item, label: s[:len(s)-len(rest)], item: l, rest: trimSpace(rest)}
	}
	return lineClass{kind: Text, rest: s}
}

// classifyHeading recognises 第N編/章/節/款 and 第N条 (with 枝番号).
func classifyHeading(s string, heading bool) (lineClass, bool) {
	if !strings.HasPrefix(s, "第") {
		return lineClass{}, false
	}
	p := len("第")
	n, form, w := scanNumber(s[p:])
	if w == 0 {
		return lineClass{}, false
	}
	p += w
	unit, uw := utf8.DecodeRuneInString(s[p:])
	kind, structural := structKinds[unit]
	if unit == '条' {
		kind = Article
	} else if !structural {
		return lineClass{}, false
	}
	p += uw
	br, bw := scanBranch(s[p:])
	p += bw
	c := lineClass{kind: kind, label: s[:p], num: n, branch: br, form: form}
	rest := s[p:]
	next, _ := utf8.DecodeRuneInString(rest)
	if structural {
		caption := trimSpace(rest)
		if rest != "" && !isSpace(next) {
			// 第1章総則 is a heading; 第2章に定める… is running text.
			if startsWithParticle(rest) || strings.ContainsAny(rest, "。、") || runeLen(rest) > 30 {
				return lineClass{}, false
			}
		}
		c.caption, c.hasCaption = caption, caption != ""
		return c, true
	}
	switch {
	case rest == "", isSpace(next), next == '（', next == '(':
	default:
		return lineClass{}, false // 第5条の規定により… / 第5条第2項 …
	}
	body := trimSpace(rest)
	if g := bracketGroup(body); g > 0 {
		after := body[g:]
		a, _ := utf8.DecodeRuneInString(after)
		// The caption sits right after the number (第1条（目的）), or is set
		// off by a space and followed by nothing or a space.
		if !isSpace(next) || after == "" || isSpace(a) {
			c.caption, c.hasCaption = bracketInner(body[:g]), true
			body = trimSpace(after)
		}
	}
	if heading && !c.hasCaption && body != "" {
		c.caption, c.hasCaption, body = body, true, ""
	}
	c.rest = body
	return c, true
}

// classifySupplementary recognises 附則, 附　則, 附則（令和6年…決定）, 附則抄.
// A body written on the same line after a space is returned as rest.
func classifySupplementary(s string) (lineClass, bool) {
	if !strings.HasPrefix(s, "附") {
		return lineClass{}, false
	}
	p := len("附")
	for p < len(s) {
		r, w := utf8.DecodeRuneInString(s[p:])
		if !isSpace(r) {
			break
		}
		p += w
	}
	if !strings.HasPrefix(s[p:], "則") {
		return lineClass{}, false
	}
	p += len("則")
	q := p
	for q < len(s) {
		r, w := utf8.DecodeRuneInString(s[q:])
		if !isSpace(r) {
			break
		}
		q += w
	}
	if g := bracketGroup(s[q:]); g > 0 {
		p = q + g
	} else if strings.HasPrefix(s[q:], "抄") {
		p = q + len("抄")
	}
	rest := s[p:]
	if rest != "" {
		r, _ := utf8.DecodeRuneInString(rest)
		if !isSpace(r) {
			return lineClass{}, false // 附則第2条の規定により…
		}
	}
	return lineClass{kind: Supplementary, label: trimSpace(s[:p]), rest: trimSpace(rest)}, true
}

// classifyParagraph recognises a 項 number: "２　", "2 ", "１０　", and "2." / "２．".
func classifyParagraph(s string) (lineClass, bool) {
	n, form, w := scanNumber(s)
	if w == 0 || form == formKanji || runeLen(s[:w]) > 3 {
		return lineClass{}, false
	}
	p := w
	suffix := ""
	if strings.HasPrefix(s[p:], ".") || strings.HasPrefix(s[p:], "．") {
		r, sw := utf8.DecodeRuneInString(s[p:])
		suffix = string(r)
		p += sw
	}
	rest := s[p:]
	if rest != "" {
		r, _ := utf8.DecodeRuneInString(rest)
		if !isSpace(r) {
			return lineClass{}, false
		}
	}
	return lineClass{kind: Paragraph, label: s[:p], num: n, form: form, paraSuffix: suffix, rest: trimSpace(rest)}, true
}

// parseItemLabel recognises a 号 or 号の細分 number at the start of s:
// （1） (1) 1) ⑴ ① 一 ア （ア） (ア). Bare kanji and katakana need a space
// (or the end of the line) after them, so that 一部 or アクセス is not a number.
func parseItemLabel(s string) (itemLabel, string, bool) {
	r, w := utf8.DecodeRuneInString(s)
	switch {
	case r == '（' || r == '(':
		inner := s[w:]
		var l itemLabel
		l.open = string(r)
		var iw int
		if n, form, nw := scanNumber(inner); nw > 0 {
			l.num, l.form, iw = n, form, nw
			if form == formKanji && runeLen(inner[:nw]) > 4 {
				return itemLabel{}, "", false
			}
			if form != formKanji && runeLen(inner[:nw]) > 3 {
				return itemLabel{}, "", false
			}
		} else if k, kw := utf8.DecodeRuneInString(inner); kanaIndex(aiueo, k) > 0 || kanaIndex(iroha, k) > 0 {
			l.kana, l.form, iw = k, formAiueo, kw
		} else {
			return itemLabel{}, "", false
		}
		c, cw := utf8.DecodeRuneInString(inner[iw:])
		if c != '）' && c != ')' {
			return itemLabel{}, "", false
		}
		l.close = string(c)
		return l, inner[iw+cw:], true
	case isCircled(r):
		return itemLabel{form: formCircled, num: circledValue(r)}, s[w:], true
	case isParenChar(r):
		return itemLabel{form: formParen, num: int(r-'⑴') + 1}, s[w:], true
	case isHalfDigit(r) || isFullDigit(r):
		n, form, nw := scanNumber(s)
		if runeLen(s[:nw]) > 3 {
			return itemLabel{}, "", false
		}
		c, cw := utf8.DecodeRuneInString(s[nw:])
		if c != ')' && c != '）' {
			return itemLabel{}, "", false
		}
		return itemLabel{close: string(c), form: form, num: n}, s[nw+cw:], true
	case isKanjiNumeral(r):
		n, form, nw := scanNumber(s)
		if nw == 0 || form != formKanji || runeLen(s[:nw]) > 4 || !spaceOrEnd(s[nw:]) {
			return itemLabel{}, "", false
		}
		return itemLabel{form: formKanji, num: n}, s[nw:], true
	case kanaIndex(aiueo, r) > 0 || kanaIndex(iroha, r) > 0:
		if !spaceOrEnd(s[w:]) {
			return itemLabel{}, "", false
		}
		return itemLabel{form: formAiueo, kana: r}, s[w:], true
	}
	return itemLabel{}, "", false
}

func spaceOrEnd(s string) bool {
	if s == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s)
	return isSpace(r)
}

// isCaptionLine reports whether s is a whole bracketed caption such as
// （目的）, the 例規 style of putting an article's caption on the line
// before it. Numbers such as （1） and enactment records such as
// （令和4年3月25日区長決定） are not captions.
func isCaptionLine(s string) (string, bool) {
	g := bracketGroup(s)
	if g == 0 || g != len(s) || runeLen(s) > 42 {
		return "", false
	}
	if _, rest, ok := parseItemLabel(s); ok && trimSpace(rest) == "" {
		return "", false
	}
	inner := bracketInner(s)
	if inner == "" {
		return "", false
	}
	if strings.Contains(inner, "年") && strings.Contains(inner, "日") &&
		strings.ContainsAny(inner, "決定制定公布施行改正訓令告示規則") {
		return "", false
	}
	return inner, true
}
