package compare

import (
	"regexp"
	"strings"

	"mamori/internal/policy/provision"
)

// readDrafting reads the line-per-provision drafting text of the demo
// ward's policy (content/policy, see its README): 第N章, 第N条（見出し）, an
// unnumbered first paragraph, ２　…, （1）　…, ア　…, 附　則. It is the
// small, strict reader the benchmark generator and the tests need; the
// full import (DOCX, Markdown, every numbering style, warnings) is
// provision.ReadFile.
func readDrafting(text string) *provision.Document {
	d := &provision.Document{}
	var (
		heads   [4]*provision.Node // 編, 章, 節, 款
		suppl   *provision.Node
		article *provision.Node
		para    *provision.Node
		item    *provision.Node
		seen    bool // a provision has started
	)
	appendTo := func(parent *provision.Node, n *provision.Node) {
		if parent == nil {
			d.Nodes = append(d.Nodes, n)
		} else {
			parent.Children = append(parent.Children, n)
		}
	}
	container := func() *provision.Node {
		if suppl != nil {
			return suppl
		}
		for k := 3; k >= 0; k-- {
			if heads[k] != nil {
				return heads[k]
			}
		}
		return nil
	}
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		ln := i + 1
		line = strings.TrimRight(line, " \t")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if m := reHeading.FindStringSubmatch(line); m != nil {
			k := strings.Index("編章節款", m[2]) / len("章")
			n := &provision.Node{Kind: provision.Part + provision.Kind(k), Label: "第" + m[1] + m[2], Num: number(m[1]), Caption: strings.TrimSpace(m[3]), Line: ln}
			var parent *provision.Node
			for p := k - 1; p >= 0; p-- {
				if heads[p] != nil {
					parent = heads[p]
					break
				}
			}
			appendTo(parent, n)
			heads[k] = n
			for p := k + 1; p < 4; p++ {
				heads[p] = nil
			}
			suppl, article, para, item, seen = nil, nil, nil, nil, true
			continue
		}
		if m := reSuppl.FindStringSubmatch(line); m != nil {
			n := &provision.Node{Kind: provision.Supplementary, Label: strings.TrimSpace(line), Line: ln}
			if strings.TrimSpace(m[1]) == "" {
				n.Label = ""
			}
			d.Nodes = append(d.Nodes, n)
			heads = [4]*provision.Node{}
			suppl, article, para, item, seen = n, nil, nil, nil, true
			continue
		}
		if m := reArticle.FindStringSubmatch(line); m != nil && articleRest(m[4]) {
			n := &provision.Node{Kind: provision.Article, Label: m[1], Num: number(m[2]), Line: ln}
			if m[3] != "" {
				n.Branch = number(m[3])
			}
			rest := m[4]
			if strings.HasPrefix(rest, "（") && strings.HasSuffix(rest, "）") {
				n.Caption, rest = strings.TrimSuffix(strings.TrimPrefix(rest, "（"), "）"), ""
			}
			appendTo(container(), n)
			article, para, item, seen = n, nil, nil, true
			if body := strings.TrimSpace(rest); body != "" {
				para = &provision.Node{Kind: provision.Paragraph, Num: 1, Text: body, Line: ln}
				n.Children = append(n.Children, para)
			}
			continue
		}
		if !seen {
			if d.Title == "" {
				d.Title = strings.TrimSpace(line)
			} else {
				d.Preamble = append(d.Preamble, strings.TrimSpace(line))
			}
			continue
		}
		parent := article
		if parent == nil {
			parent = container()
		}
		if m := reParagraph.FindStringSubmatch(line); m != nil {
			para = &provision.Node{Kind: provision.Paragraph, Label: m[1], Num: number(m[1]), Text: m[2], Line: ln}
			appendTo(parent, para)
			item = nil
			continue
		}
		if m := reItem.FindStringSubmatch(line); m != nil {
			n := &provision.Node{Kind: provision.Item, Label: m[1], Num: number(m[2]), Text: m[3], Line: ln}
			if para != nil {
				appendTo(para, n)
			} else {
				appendTo(parent, n)
			}
			item = n
			continue
		}
		if m := reSubItem.FindStringSubmatch(line); m != nil && item != nil {
			n := &provision.Node{Kind: provision.SubItem, Label: m[1], Num: strings.Index(iroha, m[1])/len("ア") + 1, Text: m[2], Line: ln}
			appendTo(item, n)
			continue
		}
		// An unnumbered line: the first paragraph of an article or a 附則,
		// else running text.
		if parent != nil && para == nil {
			para = &provision.Node{Kind: provision.Paragraph, Num: 1, Text: strings.TrimSpace(line), Line: ln}
			appendTo(parent, para)
			continue
		}
		appendTo(parent, &provision.Node{Kind: provision.Text, Text: strings.TrimSpace(line), Line: ln})
	}
	return d
}

const iroha = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン"

const numChars = `[0-9０-９〇一二三四五六七八九十百千]+`

var (
	reHeading   = regexp.MustCompile(`^第(` + numChars + `)(編|章|節|款)(?:[　 ]+(.*))?$`)
	reSuppl     = regexp.MustCompile(`^附[　 ]*則(.*)$`)
	reArticle   = regexp.MustCompile(`^(第(` + numChars + `)条(?:の(` + numChars + `))?)(.*)$`)
	reParagraph = regexp.MustCompile(`^([0-9０-９]+)[　 ]+(.*)$`)
	reItem      = regexp.MustCompile(`^([（(](` + numChars + `)[）)])[　 ]*(.*)$`)
	reSubItem   = regexp.MustCompile(`^([` + iroha + `])[　 ]+(.*)$`)
)

// articleRest reports whether what follows an article number makes the
// line an article heading: nothing, a caption in brackets (which may
// itself contain brackets), or a space and the first paragraph — not
// "第28条の規定により…", a sentence that merely starts with a citation.
func articleRest(rest string) bool {
	return rest == "" || (strings.HasPrefix(rest, "（") && strings.HasSuffix(rest, "）")) ||
		strings.HasPrefix(rest, "　") || strings.HasPrefix(rest, " ")
}

// number reads half-width, full-width and kanji numerals (十二 → 12).
func number(s string) int {
	n, digits := 0, false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			n, digits = n*10+int(r-'0'), true
		case r >= '０' && r <= '９':
			n, digits = n*10+int(r-'０'), true
		}
	}
	if digits {
		return n
	}
	total, cur := 0, 0
	for _, r := range s {
		if v := strings.IndexRune("〇一二三四五六七八九", r); v >= 0 {
			cur = v / len("一")
			continue
		}
		unit := map[rune]int{'十': 10, '百': 100, '千': 1000}[r]
		if unit == 0 {
			continue
		}
		if cur == 0 {
			cur = 1
		}
		total += cur * unit
		cur = 0
	}
	return total + cur
}
