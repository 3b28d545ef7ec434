package policy

import (
	"fmt"
	"strconv"
	"strings"

	"mamori/internal/policy/provision"
)

// Unit is a provision a revision edits as a whole: an article, or — in a
// document without articles — a top-level provision (under chapters, if
// any). Path locates it in the tree ("2.11": child indices from the root).
type Unit struct {
	Path      string
	Node      *provision.Node
	Ancestors []*provision.Node
	// Context is the enclosing chapter/section heading(s).
	Context string
}

// Anchor is the HTML id of a unit on the read view.
func (u Unit) Anchor() string { return anchorOf(u.Node, u.Path) }

// Heading is the unit's heading line.
func (u Unit) Heading() string { return u.Node.Heading() }

// Plain is the unit's drafting text (heading, paragraphs, items).
func (u Unit) Plain() string { return u.Node.Plain() }

func anchorOf(n *provision.Node, path string) string {
	if n.Kind == provision.Article && n.Num > 0 {
		if n.Branch > 0 {
			return fmt.Sprintf("a%d-%d", n.Num, n.Branch)
		}
		return fmt.Sprintf("a%d", n.Num)
	}
	return "p" + strings.ReplaceAll(path, ".", "-")
}

func structural(k provision.Kind) bool {
	return k == provision.Part || k == provision.Chapter || k == provision.Section || k == provision.Subsection || k == provision.Supplementary
}

func hasArticles(d *provision.Document) bool {
	found := false
	d.Walk(func(n *provision.Node, _ []*provision.Node) bool {
		if n.Kind == provision.Article {
			found = true
		}
		return !found
	})
	return found
}

func pathString(p []int) string {
	ss := make([]string, len(p))
	for i, v := range p {
		ss[i] = strconv.Itoa(v)
	}
	return strings.Join(ss, ".")
}

func parsePath(s string) ([]int, bool) {
	if s == "" || len(s) > 64 {
		return nil, false
	}
	var out []int
	for _, p := range strings.Split(s, ".") {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

// Units lists the editable units of d in document order.
func Units(d *provision.Document) []Unit {
	arts := hasArticles(d)
	var out []Unit
	var walk func(ns []*provision.Node, anc []*provision.Node, path []int)
	walk = func(ns []*provision.Node, anc []*provision.Node, path []int) {
		for i, n := range ns {
			p := append(path[:len(path):len(path)], i)
			isUnit := false
			if arts {
				isUnit = n.Kind == provision.Article
			} else {
				isUnit = !structural(n.Kind) && n.Kind != provision.Text && allStructural(anc)
			}
			if isUnit {
				out = append(out, Unit{Path: pathString(p), Node: n, Ancestors: anc, Context: contextOf(anc)})
				continue
			}
			walk(n.Children, append(anc[:len(anc):len(anc)], n), p)
		}
	}
	walk(d.Nodes, nil, nil)
	return out
}

func allStructural(anc []*provision.Node) bool {
	for _, a := range anc {
		if !structural(a.Kind) {
			return false
		}
	}
	return true
}

func contextOf(anc []*provision.Node) string {
	var ss []string
	for _, a := range anc {
		if structural(a.Kind) {
			ss = append(ss, a.Heading())
		}
	}
	return strings.Join(ss, "　")
}

// Containers lists the chapters/sections (and the supplementary
// provisions) that directly hold units: places a new article can be put
// first in.
func Containers(d *provision.Document) []Unit {
	var out []Unit
	seen := map[string]bool{}
	for _, u := range Units(d) {
		if len(u.Ancestors) == 0 {
			continue
		}
		p, _ := parsePath(u.Path)
		pp := pathString(p[:len(p)-1])
		if seen[pp] {
			continue
		}
		seen[pp] = true
		parent := u.Ancestors[len(u.Ancestors)-1]
		if structural(parent.Kind) {
			out = append(out, Unit{Path: pp, Node: parent, Ancestors: u.Ancestors[:len(u.Ancestors)-1], Context: contextOf(u.Ancestors[:len(u.Ancestors)-1])})
		}
	}
	return out
}

// nodeAt returns the node at path.
func nodeAt(d *provision.Document, path string) (*provision.Node, bool) {
	p, ok := parsePath(path)
	if !ok {
		return nil, false
	}
	ns := d.Nodes
	var n *provision.Node
	for _, i := range p {
		if i >= len(ns) {
			return nil, false
		}
		n = ns[i]
		ns = n.Children
	}
	return n, n != nil
}

// unitAt returns the unit at path, refusing paths that name something else.
func unitAt(d *provision.Document, path string) (Unit, bool) {
	for _, u := range Units(d) {
		if u.Path == path {
			return u, true
		}
	}
	return Unit{}, false
}

// locate finds target's parent slice and index by identity.
func locate(d *provision.Document, target *provision.Node) (*[]*provision.Node, int) {
	var find func(ns *[]*provision.Node) (*[]*provision.Node, int)
	find = func(ns *[]*provision.Node) (*[]*provision.Node, int) {
		for i, n := range *ns {
			if n == target {
				return ns, i
			}
			if s, j := find(&n.Children); s != nil {
				return s, j
			}
		}
		return nil, -1
	}
	return find(&d.Nodes)
}

func removeAt(s *[]*provision.Node, i int) {
	*s = append((*s)[:i], (*s)[i+1:]...)
}

func insertAt(s *[]*provision.Node, i int, n *provision.Node) {
	*s = append(*s, nil)
	copy((*s)[i+1:], (*s)[i:])
	(*s)[i] = n
}

// articleLabels maps every unit node to its label (for tracking renames by
// identity across an edit).
func unitLabels(d *provision.Document) map[*provision.Node]string {
	m := map[*provision.Node]string{}
	for _, u := range Units(d) {
		m[u.Node] = u.Node.Label
	}
	return m
}

// headingKey is how a change names its unit: the article's label (第25条),
// or the number of a top-level provision.
func headingKey(n *provision.Node) string {
	if n.Label != "" {
		return n.Label
	}
	return n.Heading()
}

// parseUnit reads the drafting text of one unit typed by the user; like
// is the kind of unit expected (an article, or a top-level provision).
func parseUnit(text string, article bool) (*provision.Node, error) {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	if strings.TrimSpace(text) == "" {
		return nil, &InputError{Msg: "条文を入力してください。"}
	}
	if len(text) > 200_000 {
		return nil, &InputError{Msg: "条文が長すぎます（20万バイトまで）。"}
	}
	d, warns, err := provision.Parse(text)
	if err != nil {
		return nil, &InputError{Msg: "条文を読み取れません: " + err.Error()}
	}
	_ = warns
	if d.Title != "" || len(d.Preamble) > 0 {
		extra := d.Title
		if extra == "" {
			extra = d.Preamble[0]
		}
		return nil, &InputError{Msg: fmt.Sprintf("番号のない行「%s」があります。条の見出し行（例: 第25条（生成AIの利用））から書き始めてください。", trimRunes(extra, 40))}
	}
	if len(d.Nodes) != 1 {
		var hs []string
		for _, n := range d.Nodes {
			hs = append(hs, n.Heading())
		}
		return nil, &InputError{Msg: fmt.Sprintf("一度に編集できるのは一つの条です。入力には %d 個の規定（%s）があります。", len(d.Nodes), strings.Join(hs, "、"))}
	}
	n := d.Nodes[0]
	if article && n.Kind != provision.Article {
		return nil, &InputError{Msg: fmt.Sprintf("「%s」は条として読み取れません（%sと判断されました）。1行目に「第25条（見出し）」のように条番号を書いてください。", trimRunes(firstLine(text), 40), n.Kind)}
	}
	if !article && (structural(n.Kind) || n.Kind == provision.Article) {
		return nil, &InputError{Msg: fmt.Sprintf("この文書では%sは使えません。「1　…」のような番号で書いてください。", n.Kind)}
	}
	if strings.TrimSpace(n.Text) == "" && len(n.Children) == 0 {
		return nil, &InputError{Msg: "本文がありません。見出しの行の次に条文を書いてください。"}
	}
	return n, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func trimRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
