package provision

import (
	"strconv"
	"strings"
)

// Clone returns a deep copy of the document: changing the copy's nodes,
// children or preamble leaves d as it was.
func (d *Document) Clone() *Document {
	if d == nil {
		return nil
	}
	c := &Document{Title: d.Title}
	if d.Preamble != nil {
		c.Preamble = append([]string(nil), d.Preamble...)
	}
	c.Nodes = cloneNodes(d.Nodes)
	return c
}

// Clone returns a deep copy of the provision and its descendants.
func (n *Node) Clone() *Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Children = cloneNodes(n.Children)
	return &c
}

func cloneNodes(ns []*Node) []*Node {
	if ns == nil {
		return nil
	}
	out := make([]*Node, len(ns))
	for i, n := range ns {
		out[i] = n.Clone()
	}
	return out
}

// Path is the provision's position as a reader cites it, the components
// separated by a space: "第3章 第12条 第2項 第1号 ア". ancestors are the
// enclosing provisions, outermost first, as Walk passes them. Paragraphs
// and 号 are named by their number (第2項, 第1号) whatever the source
// printed; chapters, articles and 号の細分 by their label; 附則 by its
// heading without spaces; unnumbered text as 本文 (本文2, 本文3 … for the
// later ones under the same parent when the parent is given).
func (n *Node) Path(ancestors []*Node) string {
	parts := make([]string, 0, len(ancestors)+1)
	for i, a := range ancestors {
		var parent *Node
		if i > 0 {
			parent = ancestors[i-1]
		}
		parts = append(parts, a.pathPart(parent))
	}
	var parent *Node
	if len(ancestors) > 0 {
		parent = ancestors[len(ancestors)-1]
	}
	parts = append(parts, n.pathPart(parent))
	return strings.Join(parts, " ")
}

func (n *Node) pathPart(parent *Node) string {
	switch n.Kind {
	case Paragraph:
		return "第" + strconv.Itoa(max(n.Num, 1)) + "項"
	case Item:
		return "第" + strconv.Itoa(n.Num) + "号"
	case Supplementary:
		return strings.Map(func(r rune) rune {
			if isSpace(r) {
				return -1
			}
			return r
		}, n.Heading())
	case Text:
		if parent != nil {
			k := 0
			for _, c := range parent.Children {
				if c.Kind == Text {
					k++
				}
				if c == n {
					break
				}
			}
			if k > 1 {
				return "本文" + strconv.Itoa(k)
			}
		}
		return "本文"
	}
	if n.Label == "" {
		return n.Kind.String() + strconv.Itoa(n.Num)
	}
	return n.Label
}
