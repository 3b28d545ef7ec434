package provision

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Renumber relabels every 編・章・節・款, article, paragraph, 号 and 号の細分
// from its position, in the numbering style the document already uses
// (half- or full-width digits, 漢数字, the brackets of each 号 level, the
// katakana order), and rewrites the references in the document's own text
// that point at renumbered provisions: 第28条 → 第29条, 第28条第3項 →
// 第29条第4項, 第3章 → 第4章, and a bare 第3項 inside an article. References
// to other laws (法第9条, 番号法第19条, 附則第2条, (平成25年法律第27号)第19条)
// and relative ones (前条, 次条, 同条, 前項) are left alone.
//
// Numbering rules: chapters and articles run through the main body;
// sections restart in each chapter, 款 in each section; each 附則 numbers
// its own articles from 1. An article with Branch > 0 stays a 枝番号 of
// the article before it (第3条の2, 第3条の3), so a drafter can insert
// without renumbering. The first paragraph of an article stays unnumbered
// when the document leaves first paragraphs unnumbered.
//
// A provision inserted by an editor should carry Num 0 (its Label may be
// empty): references are resolved by the numbers the provisions carried
// before the call, and a 0 is not a reference target. References to a
// provision that was deleted are left as they are, and so is the preamble
// (a 目次 there is not rebuilt). It returns the label changes in document
// order; rewritten references are not listed.
func Renumber(d *Document) []Rename {
	if d == nil {
		return nil
	}
	r := &renumberer{doc: d, st: analyseStyles(d), old: map[*Node][2]int{}}
	d.Walk(func(n *Node, _ []*Node) bool {
		r.old[n] = [2]int{n.Num, n.Branch}
		return true
	})
	r.numberContainer(d.Nodes, nil, false)
	r.rewriteReferences()
	return r.renames
}

type renumberer struct {
	doc     *Document
	st      docStyles
	old     map[*Node][2]int
	renames []Rename

	structNum [4]int // running numbers of 編, 章, 節, 款
	structBr  [4]int
	artNum    int // main body
	artBr     int
}

// docStyles is how the document writes each kind of number.
type docStyles struct {
	structForm     numForm
	articleForm    numForm
	paraForm       numForm
	paraSuffix     string
	firstUnlabeled bool
	items          [3]*itemLabel // document-wide style per 号 level, nil if none
	kanaFit        [3][2]int     // document-wide アイウ / イロハ scores per 号 level
}

func majority[K comparable](counts map[K]int, order []K, def K) K {
	best, bestN := def, 0
	for _, k := range order {
		if counts[k] > bestN {
			best, bestN = k, counts[k]
		}
	}
	return best
}

func analyseStyles(d *Document) docStyles {
	st := docStyles{structForm: formHalf, articleForm: formHalf, paraForm: formFull, firstUnlabeled: true}
	forms := []numForm{formHalf, formFull, formKanji}
	structForms, artForms := map[numForm]int{}, map[numForm]int{}
	paraStyles := map[string]int{}
	var paraOrder []string
	firstLabeled, firstUnlabeled := 0, 0
	itemCounts := [3]map[string]int{{}, {}, {}}
	itemOrder := [3][]string{}
	itemByStyle := map[string]itemLabel{}
	d.Walk(func(n *Node, anc []*Node) bool {
		switch n.Kind {
		case Part, Chapter, Section, Subsection, Article:
			if c, ok := classifyHeading(n.Label, false); ok {
				if n.Kind == Article {
					artForms[c.form]++
				} else {
					structForms[c.form]++
				}
			}
		case Paragraph:
			if n.Label != "" {
				if c, ok := classifyParagraph(n.Label); ok {
					k := string(rune('0'+int(c.form))) + c.paraSuffix
					if paraStyles[k] == 0 {
						paraOrder = append(paraOrder, k)
					}
					paraStyles[k]++
				}
			}
			if len(anc) > 0 && anc[len(anc)-1].Kind == Article && firstParagraph(anc[len(anc)-1]) == n {
				if n.Label == "" {
					firstUnlabeled++
				} else {
					firstLabeled++
				}
			}
		case Item, SubItem, SubSubItem:
			if n == firstOfKind(anc, n) {
				a, i := kanaFit(siblingsOfKind(anc, n, d))
				st.kanaFit[n.Kind-Item][0] += a
				st.kanaFit[n.Kind-Item][1] += i
			}
			if l, rest, ok := parseItemLabel(n.Label); ok && rest == "" {
				lv := int(n.Kind - Item)
				k := l.style()
				if itemCounts[lv][k] == 0 {
					itemOrder[lv] = append(itemOrder[lv], k)
				}
				itemCounts[lv][k]++
				itemByStyle[k] = l
			}
		}
		return true
	})
	st.structForm = majority(structForms, forms, formHalf)
	st.articleForm = majority(artForms, forms, formHalf)
	if p := majority(paraStyles, paraOrder, ""); p != "" {
		st.paraForm = numForm(p[0] - '0')
		st.paraSuffix = p[1:]
	}
	st.firstUnlabeled = firstLabeled <= firstUnlabeled
	for lv := range 3 {
		if k := majority(itemCounts[lv], itemOrder[lv], ""); k != "" {
			l := itemByStyle[k]
			st.items[lv] = &l
		}
	}
	return st
}

// siblingsOfKind lists n's siblings (n included) of n's kind.
func siblingsOfKind(anc []*Node, n *Node, d *Document) []*Node {
	list := d.Nodes
	if len(anc) > 0 {
		list = anc[len(anc)-1].Children
	}
	var out []*Node
	for _, c := range list {
		if c.Kind == n.Kind {
			out = append(out, c)
		}
	}
	return out
}

// firstOfKind is the first of n's siblings of n's kind.
func firstOfKind(anc []*Node, n *Node) *Node {
	if len(anc) == 0 {
		return n
	}
	for _, c := range anc[len(anc)-1].Children {
		if c.Kind == n.Kind {
			return c
		}
	}
	return n
}

// kanaFit scores how well the katakana labels of a sibling group follow
// the アイウ order and the イロハ order: one point for each label at its
// position in the order and one for each label that follows its
// predecessor in the order.
func kanaFit(group []*Node) (aiueoFit, irohaFit int) {
	prevA, prevI := -1, -1
	for i, n := range group {
		l, rest, ok := parseItemLabel(n.Label)
		if !ok || rest != "" || (l.form != formAiueo && l.form != formIroha) {
			prevA, prevI = -1, -1
			continue
		}
		a, ir := kanaIndex(aiueo, l.kana), kanaIndex(iroha, l.kana)
		if a == i+1 {
			aiueoFit++
		}
		if ir == i+1 {
			irohaFit++
		}
		if prevA > 0 && a == prevA+1 {
			aiueoFit++
		}
		if prevI > 0 && ir == prevI+1 {
			irohaFit++
		}
		prevA, prevI = a, ir
	}
	return aiueoFit, irohaFit
}

// firstParagraph is the first Paragraph child of n, or nil.
func firstParagraph(n *Node) *Node {
	for _, c := range n.Children {
		if c.Kind == Paragraph {
			return c
		}
	}
	return nil
}

var structUnits = [...]string{"編", "章", "節", "款"}

// relabel sets n's label and records the change.
func (r *renumberer) relabel(n *Node, label string) {
	if n.Label != label {
		r.renames = append(r.renames, Rename{Kind: n.Kind, Old: n.Label, New: label, Line: n.Line})
		n.Label = label
	}
}

// numberContainer numbers the children of a container (the document, a
// 編/章/節/款 or a 附則). inSupp is set inside a 附則, whose articles count
// from 1 in the local counter.
func (r *renumberer) numberContainer(nodes []*Node, parent *Node, inSupp bool) {
	suppArt, suppBr := 0, 0
	paraIdx := 0
	itemsDone := false
	for _, n := range nodes {
		switch n.Kind {
		case Part, Chapter, Section, Subsection:
			lv := int(n.Kind - Part)
			if n.Branch > 0 && r.structNum[lv] > 0 {
				r.structBr[lv] = max(r.structBr[lv], 1) + 1
			} else {
				r.structNum[lv]++
				r.structBr[lv] = 0
			}
			for i := lv + 1; i < len(r.structNum); i++ {
				if i != int(Chapter-Part) { // chapters run through the parts
					r.structNum[i], r.structBr[i] = 0, 0
				}
			}
			n.Num, n.Branch = r.structNum[lv], r.structBr[lv]
			r.relabel(n, "第"+formatNumber(n.Num, r.st.structForm)+structUnits[lv]+branchSuffix(n.Branch, r.st.structForm))
			r.numberContainer(n.Children, n, inSupp)
		case Supplementary:
			r.numberContainer(n.Children, n, true)
		case Article:
			num, br := &r.artNum, &r.artBr
			if inSupp {
				num, br = &suppArt, &suppBr
			}
			if n.Branch > 0 && *num > 0 {
				*br = max(*br, 1) + 1
			} else {
				*num++
				*br = 0
			}
			n.Num, n.Branch = *num, *br
			r.relabel(n, "第"+formatNumber(n.Num, r.st.articleForm)+"条"+branchSuffix(n.Branch, r.st.articleForm))
			r.numberParagraphs(n)
		case Paragraph:
			paraIdx++
			r.numberParagraph(n, paraIdx, parent, false)
		case Item, SubItem, SubSubItem:
			if !itemsDone {
				r.numberItems(nodes, parent)
				itemsDone = true
			}
		}
	}
}

func branchSuffix(b int, form numForm) string {
	if b <= 0 {
		return ""
	}
	return "の" + formatNumber(b, form)
}

// numberParagraphs numbers the paragraphs of an article.
func (r *renumberer) numberParagraphs(a *Node) {
	i := 0
	for _, c := range a.Children {
		if c.Kind == Paragraph {
			i++
			r.numberParagraph(c, i, a, true)
		}
	}
	r.numberItems(a.Children, a)
}

// numberParagraph relabels the i-th paragraph of its container.
func (r *renumberer) numberParagraph(p *Node, i int, container *Node, inArticle bool) {
	p.Num = i
	label := formatNumber(i, r.st.paraForm) + r.st.paraSuffix
	if i == 1 && ((inArticle && r.st.firstUnlabeled) || (!inArticle && p.Label == "")) {
		label = ""
	}
	r.relabel(p, label)
	r.numberItems(p.Children, p)
}

// numberItems numbers the 号 (or 号の細分) among nodes, recursing into them.
func (r *renumberer) numberItems(nodes []*Node, parent *Node) {
	for _, kind := range []Kind{Item, SubItem, SubSubItem} {
		var group []*Node
		for _, n := range nodes {
			if n.Kind == kind {
				group = append(group, n)
			}
		}
		if len(group) == 0 {
			continue
		}
		style := r.groupStyle(group, kind)
		for i, n := range group {
			n.Num = i + 1
			r.relabel(n, style.text(i+1, style.form))
			r.numberItems(n.Children, n)
		}
	}
}

// groupStyle is the style a group of sibling 号 is written in: the most
// common among them, else the document's for that level, else the demo
// ward's (（1）, ア, （ア）). For katakana the order (アイウ or イロハ)
// that fits the existing labels best is kept.
func (r *renumberer) groupStyle(group []*Node, kind Kind) itemLabel {
	counts := map[string]int{}
	var order []string
	byStyle := map[string]itemLabel{}
	for _, n := range group {
		l, rest, ok := parseItemLabel(n.Label)
		if !ok || rest != "" {
			continue
		}
		k := l.style()
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
		byStyle[k] = l
	}
	aiueoFit, irohaFit := kanaFit(group)
	if aiueoFit == irohaFit {
		aiueoFit, irohaFit = r.st.kanaFit[kind-Item][0], r.st.kanaFit[kind-Item][1]
	}
	lv := int(kind - Item)
	var style itemLabel
	if k := majority(counts, order, ""); k != "" {
		style = byStyle[k]
	} else if s := r.st.items[lv]; s != nil {
		style = *s
	} else {
		style = [3]itemLabel{
			{open: "（", close: "）", form: formHalf},
			{form: formAiueo},
			{open: "（", close: "）", form: formAiueo},
		}[lv]
	}
	if style.form == formAiueo || style.form == formIroha {
		style.form = formAiueo
		if irohaFit > aiueoFit {
			style.form = formIroha
		}
	}
	return style
}

// --- references ---

type articleRef struct {
	node  *Node
	paras map[int]*Node // old paragraph number → paragraph
}

// rewriteReferences rewrites 第N条 / 第N章 / 第M項 references in the text
// of every provision to the new numbers.
func (r *renumberer) rewriteReferences() {
	articles := map[[2]int]*articleRef{}
	chapters := map[[2]int]*Node{}
	refs := map[*Node]*articleRef{}
	var walk func(ns []*Node, inSupp bool)
	walk = func(ns []*Node, inSupp bool) {
		for _, n := range ns {
			old := r.old[n]
			switch n.Kind {
			case Chapter:
				if _, dup := chapters[old]; !dup && old[0] > 0 {
					chapters[old] = n
				}
			case Article:
				ar := &articleRef{node: n, paras: map[int]*Node{}}
				for _, c := range n.Children {
					if c.Kind == Paragraph {
						if k := r.old[c][0]; k > 0 && ar.paras[k] == nil {
							ar.paras[k] = c
						}
					}
				}
				refs[n] = ar
				if _, dup := articles[old]; !dup && !inSupp && old[0] > 0 {
					articles[old] = ar
				}
			}
			walk(n.Children, inSupp || n.Kind == Supplementary)
		}
	}
	walk(r.doc.Nodes, false)
	rw := &refWriter{old: r.old, articles: articles, chapters: chapters}
	r.doc.Walk(func(n *Node, anc []*Node) bool {
		var ctx *articleRef
		for i := len(anc) - 1; i >= 0; i-- {
			if anc[i].Kind == Article {
				ctx = refs[anc[i]]
				break
			}
		}
		if n.Kind == Article {
			ctx = refs[n]
		}
		n.Text = rw.rewrite(n.Text, ctx)
		n.Caption = rw.rewrite(n.Caption, ctx)
		return true
	})
}

type refWriter struct {
	old      map[*Node][2]int
	articles map[[2]int]*articleRef
	chapters map[[2]int]*Node
}

// internalBefore reports whether a 第 after prefix starts a reference to
// this document: not after a law's name (法第9条, 規則第2条, 附則第1条) nor
// after a bracketed enactment number (（平成25年法律第27号）第19条).
func internalBefore(prefix string) bool {
	r, _ := utf8.DecodeLastRuneInString(prefix)
	if r == utf8.RuneError {
		return true
	}
	if unicode.Is(unicode.Han, r) || unicode.Is(unicode.Katakana, r) || r == 'ー' || isASCIIWord(r) || isFullDigit(r) ||
		(r >= 'Ａ' && r <= 'Ｚ') || (r >= 'ａ' && r <= 'ｚ') {
		return false
	}
	if r == '）' || r == ')' {
		// find the opening bracket
		depth := 0
		for i := len(prefix); i > 0; {
			c, w := utf8.DecodeLastRuneInString(prefix[:i])
			i -= w
			switch c {
			case '）', ')':
				depth++
			case '（', '(':
				depth--
				if depth == 0 {
					inner := prefix[i:]
					return !(strings.Contains(inner, "号") || strings.Contains(inner, "法律") || strings.Contains(inner, "条例"))
				}
			}
		}
	}
	return true
}

// rewrite returns s with its references renumbered.
func (w *refWriter) rewrite(s string, ctx *articleRef) string {
	if !strings.Contains(s, "第") {
		return s
	}
	var b strings.Builder
	i := 0
	for {
		j := strings.Index(s[i:], "第")
		if j < 0 {
			break
		}
		j += i
		b.WriteString(s[i:j])
		if internalBefore(s[:j]) {
			if out, n := w.reference(s[j:], ctx); n > 0 {
				b.WriteString(out)
				i = j + n
				continue
			}
		}
		b.WriteString("第")
		i = j + len("第")
	}
	b.WriteString(s[i:])
	return b.String()
}

// numTok is one number in a reference as written.
type numTok struct {
	n    int
	form numForm
	size int
}

// refNumber reads 第N<unit> at the start of s.
func refNumber(s string, unit string) (numTok, bool) {
	if !strings.HasPrefix(s, "第") {
		return numTok{}, false
	}
	n, form, w := scanNumber(s[len("第"):])
	if w == 0 || !strings.HasPrefix(s[len("第")+w:], unit) {
		return numTok{}, false
	}
	return numTok{n: n, form: form, size: len("第") + w + len(unit)}, true
}

func (t numTok) write(n int, unit string) string { return "第" + formatNumber(n, t.form) + unit }

// reference rewrites the reference at the start of s, returning the new
// text and the bytes consumed, or 0 when s does not start with one this
// document resolves.
func (w *refWriter) reference(s string, ctx *articleRef) (string, int) {
	if t, ok := refNumber(s, "章"); ok {
		p := t.size
		br, bform, bw := 0, t.form, 0
		if strings.HasPrefix(s[p:], "の") {
			if n, f, nw := scanNumber(s[p+len("の"):]); nw > 0 {
				br, bform, bw = n, f, len("の")+nw
			}
		}
		ch := w.chapters[[2]int{t.n, br}]
		if ch == nil {
			return "", 0
		}
		out := t.write(ch.Num, "章")
		if ch.Branch > 0 {
			out += "の" + formatNumber(ch.Branch, bform)
		}
		return out, p + bw
	}
	if t, ok := refNumber(s, "条"); ok {
		p := t.size
		br, bform, bw := 0, t.form, 0
		if strings.HasPrefix(s[p:], "の") {
			if n, f, nw := scanNumber(s[p+len("の"):]); nw > 0 {
				br, bform, bw = n, f, len("の")+nw
			}
		}
		ar := w.articles[[2]int{t.n, br}]
		if ar == nil {
			return "", 0
		}
		out := t.write(ar.node.Num, "条")
		if ar.node.Branch > 0 {
			out += "の" + formatNumber(ar.node.Branch, bform)
		}
		p += bw
		rest, n := w.paragraphRef(s[p:], ar, true)
		return out + rest, p + n
	}
	if ctx != nil {
		if _, ok := refNumber(s, "項"); ok {
			rest, n := w.paragraphRef(s, ctx, false)
			if n > 0 {
				return rest, n
			}
		}
	}
	return "", 0
}

// paragraphRef rewrites 第M項 (and a following 第K号) right after an
// article reference, or a bare one inside article ar. After an article,
// a 第K号 without 項 is an item of the first paragraph.
func (w *refWriter) paragraphRef(s string, ar *articleRef, afterArticle bool) (string, int) {
	pt, ok := refNumber(s, "項")
	if !ok {
		if afterArticle {
			return w.itemRef(s, ar.paras[1])
		}
		return "", 0
	}
	para := ar.paras[pt.n]
	if para == nil {
		return s[:pt.size], pt.size
	}
	out := pt.write(para.Num, "項")
	rest, n := w.itemRef(s[pt.size:], para)
	return out + rest, pt.size + n
}

// itemRef rewrites 第K号 referring to an item of para.
func (w *refWriter) itemRef(s string, para *Node) (string, int) {
	it, ok := refNumber(s, "号")
	if !ok || para == nil {
		return "", 0
	}
	for _, c := range para.Children {
		if c.Kind == Item && w.old[c][0] == it.n {
			return it.write(c.Num, "号"), it.size
		}
	}
	return s[:it.size], it.size
}
