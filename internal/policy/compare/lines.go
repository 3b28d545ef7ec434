package compare

import (
	"strings"

	"mamori/internal/docgen"
	"mamori/internal/policy/provision"
)

// lineInfo describes one printed line of a unit: the kind of provision it
// prints, its number (for （略） lines), and whether it is a heading line.
type lineInfo struct {
	kind    provision.Kind
	label   string
	heading bool
}

// infos mirrors the lines of a row side: Node.Lines() for a provision,
// the heading (and its text) for a chapter-like unit.
func infos(nodes []*provision.Node) []lineInfo { return lineInfos(nodes, false) }

// lineInfos describes the lines of nodes; with all, chapter-like nodes
// include their descendants (a whole document), otherwise only their
// heading (a row of the comparison).
func lineInfos(nodes []*provision.Node, all bool) []lineInfo {
	var out []lineInfo
	for _, n := range nodes {
		if n == nil {
			continue
		}
		heading := isHeadingKind(n.Kind) || (n.Kind == provision.Supplementary && containsArticle(n))
		var rec func(n *provision.Node, deep bool)
		rec = func(n *provision.Node, deep bool) {
			switch n.Kind {
			case provision.Part, provision.Chapter, provision.Section, provision.Subsection, provision.Article, provision.Supplementary:
				out = append(out, lineInfo{kind: n.Kind, label: n.Label, heading: true})
				if n.Text != "" {
					out = append(out, lineInfo{kind: provision.Paragraph})
				}
			case provision.Text:
				out = append(out, lineInfo{kind: provision.Text})
			default:
				out = append(out, lineInfo{kind: n.Kind, label: n.Label})
			}
			if deep {
				for _, c := range n.Children {
					rec(c, true)
				}
			}
		}
		rec(n, all || !heading)
	}
	return out
}

// indent is how many full-width spaces a line is set in by, in drafting
// style: chapters centred-ish (three), items one per level, an
// unnumbered paragraph one (its first line).
func (li lineInfo) indent() int {
	switch li.kind {
	case provision.Part, provision.Chapter, provision.Supplementary:
		if li.heading {
			return 3
		}
	case provision.Section:
		return 4
	case provision.Subsection:
		return 5
	case provision.Item:
		return 1
	case provision.SubItem:
		return 2
	case provision.SubSubItem:
		return 3
	}
	if !li.heading && li.label == "" {
		return 1 // first paragraph, text
	}
	return 0
}

// paragraph is the docgen paragraph for a line of a regulation.
func (li lineInfo) paragraph(runs []docgen.Run) docgen.Paragraph {
	p := docgen.Paragraph{Runs: runs}
	switch {
	case li.heading && li.kind == provision.Article:
		for i := range p.Runs {
			p.Runs[i].Bold = true
		}
	case li.heading:
		for i := range p.Runs {
			p.Runs[i].Bold = true
		}
		p.Indent = li.indent()
	case li.label == "" && (li.kind == provision.Paragraph || li.kind == provision.Text):
		p.FirstIndent = true
	default:
		p.Indent = li.indent()
	}
	return p
}

// pad is the indentation of a line inside a table cell (cells have no
// paragraph indents): full-width spaces.
func (li lineInfo) pad() string { return strings.Repeat("　", li.indent()) }
