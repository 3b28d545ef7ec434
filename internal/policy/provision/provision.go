// Package provision models a Japanese regulation (例規) as a tree of
// numbered provisions — 章, 節, 条, 項, 号, 号の細分 — and reads one from
// plain text, Markdown or DOCX by recognising the drafting numbering.
//
// The tree is the shared currency of the policy workstream: the comparison
// (新旧対照表, 見え消し) aligns trees, the store saves them, the editor
// renumbers them.
package provision

import "strings"

// Kind is the level of a provision in Japanese drafting style.
type Kind int

// Kinds, outermost first. Text is an unnumbered paragraph (preamble, a note
// between chapters, the body of a 附則 without articles).
const (
	Part          Kind = iota // 第1編
	Chapter                   // 第1章
	Section                   // 第1節
	Subsection                // 第1款
	Article                   // 第1条 (第1条の2)
	Paragraph                 // 項: first paragraph unnumbered, then ２, ３ …
	Item                      // 号: （1）, (1), 一
	SubItem                   // 号の細分: ア, イ …
	SubSubItem                // (ア), （ア）
	Supplementary             // 附則
	Text                      // unnumbered text
)

var kindNames = [...]string{"編", "章", "節", "款", "条", "項", "号", "号の細分", "号の細分の細分", "附則", "本文"}

// String is the Japanese name of the level (条, 項, 号 …).
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "?"
	}
	return kindNames[k]
}

// Node is one provision.
type Node struct {
	Kind Kind
	// Label is the number as printed in the source: "第十二条", "２", "（1）", "ア".
	// Empty for a first paragraph (第1項 is not printed) and for Text.
	Label string
	// Num is the ordinal value of the number (第十二条 → 12, ２ → 2, ア → 1, ① → 1);
	// for a first paragraph 1; 0 for Text.
	Num int
	// Branch is the 枝番号: 第3条の2 → 2; 0 when there is none.
	Branch int
	// Caption is the 見出し without brackets: 第1条（目的） → "目的"; a chapter's title.
	Caption string
	// Text is the provision's own sentence(s), without the number and caption;
	// children carry their own text.
	Text     string
	Children []*Node
	// Line is the 1-based source line (or DOCX paragraph) the provision starts at.
	Line int
}

// Document is a whole regulation: title, the lines before the first
// provision (制定・改正の記録 and the like), and the top-level provisions.
type Document struct {
	Title    string
	Preamble []string
	Nodes    []*Node
}

// Walk calls f for every provision depth-first in document order with its
// ancestors (outermost first). Returning false skips the node's children.
func (d *Document) Walk(f func(n *Node, ancestors []*Node) bool) {
	var walk func(ns []*Node, anc []*Node)
	walk = func(ns []*Node, anc []*Node) {
		for _, n := range ns {
			if f(n, anc) {
				walk(n.Children, append(anc[:len(anc):len(anc)], n))
			}
		}
	}
	walk(d.Nodes, nil)
}

// Heading is the provision's number and caption as a reader cites it:
// "第12条（目的）", "第3章　物理的セキュリティ", "２", "（1）".
func (n *Node) Heading() string {
	switch n.Kind {
	case Part, Chapter, Section, Subsection:
		if n.Caption == "" {
			return n.Label
		}
		return n.Label + "　" + n.Caption
	case Article:
		if n.Caption == "" {
			return n.Label
		}
		return n.Label + "（" + n.Caption + "）"
	case Supplementary:
		if n.Label == "" {
			return "附　則"
		}
		return n.Label
	}
	return n.Label
}

// Lines renders the provision and its descendants as drafting-style text
// lines, one per provision: the heading line of an article or chapter, then
// "２　…", "（1）　…" and so on. A first paragraph is printed without a number.
func (n *Node) Lines() []string {
	var out []string
	var rec func(n *Node)
	rec = func(n *Node) {
		switch n.Kind {
		case Part, Chapter, Section, Subsection, Article, Supplementary:
			out = append(out, n.Heading())
			if n.Text != "" {
				out = append(out, n.Text)
			}
		case Text:
			out = append(out, n.Text)
		default:
			if n.Label == "" {
				out = append(out, n.Text)
			} else {
				out = append(out, n.Label+"　"+n.Text)
			}
		}
		for _, c := range n.Children {
			rec(c)
		}
	}
	rec(n)
	return out
}

// Plain is the provision's text with all descendants, one provision per line.
func (n *Node) Plain() string { return strings.Join(n.Lines(), "\n") }

// Plain renders the whole document back to drafting-style plain text: title,
// preamble, then every provision, with a blank line before chapters and
// articles. Parse(Plain(d)) gives back the same tree.
func (d *Document) Plain() string {
	var b strings.Builder
	if d.Title != "" {
		b.WriteString(d.Title + "\n")
	}
	for _, p := range d.Preamble {
		b.WriteString(p + "\n")
	}
	d.Walk(func(n *Node, _ []*Node) bool {
		switch n.Kind {
		case Part, Chapter, Section, Subsection, Article, Supplementary:
			b.WriteString("\n" + n.Heading() + "\n")
			if n.Text != "" {
				b.WriteString(n.Text + "\n")
			}
		case Text:
			b.WriteString(n.Text + "\n")
		default:
			if n.Label == "" {
				b.WriteString(n.Text + "\n")
			} else {
				b.WriteString(n.Label + "　" + n.Text + "\n")
			}
		}
		return true
	})
	return b.String()
}
