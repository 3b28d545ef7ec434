// Package compare compares two versions of a regulation the way a careful
// drafter does: provisions are aligned by content (so renumbered, moved,
// split and merged articles find their old selves), and within aligned
// provisions the changed words are marked at morpheme boundaries. From the
// comparison it builds the 新旧対照表 (Table) and the 見え消し版 (Redline)
// as docgen documents, and the 溶け込み版 of a version (Clean).
package compare

import (
	"slices"
	"sort"
	"strings"

	"golang.org/x/text/width"

	"mamori/internal/policy/provision"
	"mamori/internal/textsim"
)

// Options are what the comparison disregards.
type Options struct {
	// IgnoreSpace: differences in white space (spaces, full-width spaces,
	// tabs) are not changes. Line breaks still are.
	IgnoreSpace bool
	// IgnoreWidth: full- and half-width forms of a character (Ａ/A, １/1,
	// （/(, ｶ/カ) are not changes.
	IgnoreWidth bool
}

// Status is how an aligned unit changed.
type Status int

// Statuses.
const (
	Same    Status = iota // unchanged (possibly renumbered)
	Changed               // text changed in place
	Added                 // 新設
	Deleted               // 削除
	Moved                 // moved out of order (and possibly changed)
	Split                 // one old unit became several new ones
	Merged                // several old units became one new one
)

var statusNames = [...]string{"同一", "変更", "新設", "削除", "移動", "分割", "統合"}

// String is the Japanese word for the status (変更, 新設 …).
func (s Status) String() string {
	if s < 0 || int(s) >= len(statusNames) {
		return "?"
	}
	return statusNames[s]
}

// Row is one aligned unit: usually one article on each side; several on
// one side for a split or a merge; none on one side for 新設 or 削除.
type Row struct {
	Status Status
	// Old and New are the aligned units; a nil side means none.
	Old, New []*provision.Node
	// OldContext and NewContext are the enclosing chapter/section
	// headings, outermost first, one per line ("第2章　組織体制"). For a
	// side without units (the old side of 新設, the new side of 削除) they
	// are that document's headings at the row's position when that
	// position lies certainly within the headings corresponding to the
	// other side's (the chapter the article was inserted into), else "".
	OldContext, NewContext string
	// OldLines and NewLines are the units' printed text, one slice per
	// line, with the changed segments marked.
	OldLines, NewLines [][]Segment
	// Remark is the 備考: （新設）（削除）（変更）（第5条から移動）（第7条を分割）
	// （第12条を第13条とする）….
	Remark string

	diff *pairDiff // the joined texts and their hunks, for the redline
	// oldPos and newPos are the first unit's position in the old and new
	// unit sequences (-1 when the side is empty).
	oldPos, newPos int
}

// Renumbered reports whether the row's number changed (第12条 → 第13条)
// although its text did not.
func (r *Row) Renumbered() bool {
	return r.Status == Same && hasChange(r.NewLines)
}

func hasChange(lines [][]Segment) bool {
	for _, l := range lines {
		for _, s := range l {
			if s.Changed {
				return true
			}
		}
	}
	return false
}

// Result is a whole comparison: the rows in new-document order, with
// deleted units placed where they stood.
type Result struct {
	Rows []Row
}

// Identical reports whether the documents have the same provisions with
// the same numbers and text (under the options).
func (r *Result) Identical() bool {
	for i := range r.Rows {
		row := &r.Rows[i]
		if row.Status != Same || hasChange(row.OldLines) || hasChange(row.NewLines) {
			return false
		}
	}
	return true
}

// Changed returns the rows whose status is not Same.
func (r *Result) Changed() []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.Status != Same {
			out = append(out, row)
		}
	}
	return out
}

// unit is one aligned element: an article (or a top-level provision of a
// document without articles) with its descendants, or a heading (章, 節 …).
type unit struct {
	node    *provision.Node
	heading bool
	pos     int
	ctx     string
	parents []int // positions of the enclosing heading units, outermost first
	lines   []string
	text    string // lines joined with "\n"
	label   string // the node's own number as printed
	key     string // what identity is judged on: class + normalised text without the own number
	grams   textsim.Grams
	partner int // 1:1 partner on the other side, -1 when none
	group   int // index into the groups, -1 when none
}

func isHeadingKind(k provision.Kind) bool {
	switch k {
	case provision.Part, provision.Chapter, provision.Section, provision.Subsection:
		return true
	}
	return false
}

func containsArticle(n *provision.Node) bool {
	for _, c := range n.Children {
		if c.Kind == provision.Article || containsArticle(c) {
			return true
		}
	}
	return false
}

// headingLines are the printed lines of a heading unit (without its
// descendants).
func headingLines(n *provision.Node) []string {
	lines := []string{n.Heading()}
	if n.Text != "" {
		lines = append(lines, n.Text)
	}
	return lines
}

// units flattens a document into its aligned units in document order.
func units(d *provision.Document, opt Options) []*unit {
	var out []*unit
	if d == nil {
		return nil
	}
	var rec func(ns []*provision.Node, ctx []string, parents []int)
	rec = func(ns []*provision.Node, ctx []string, parents []int) {
		for _, n := range ns {
			if n == nil {
				continue
			}
			u := &unit{node: n, pos: len(out), ctx: strings.Join(ctx, "\n"), parents: parents, label: n.Label, partner: -1, group: -1}
			heading := isHeadingKind(n.Kind) || (n.Kind == provision.Supplementary && containsArticle(n))
			if heading {
				u.heading = true
				u.lines = headingLines(n)
			} else {
				u.lines = n.Lines()
			}
			u.text = strings.Join(u.lines, "\n")
			u.key = unitKey(u, opt)
			out = append(out, u)
			if heading {
				rec(n.Children, append(ctx[:len(ctx):len(ctx)], n.Heading()), append(parents[:len(parents):len(parents)], u.pos))
			}
		}
	}
	rec(d.Nodes, nil, nil)
	return out
}

// unitKey is the unit's identity: its class and its text without its own
// number (so a renumbered article is the same article), normalised as the
// options say.
func unitKey(u *unit, opt Options) string {
	n := u.node
	body := u.text
	switch n.Kind {
	case provision.Part, provision.Chapter, provision.Section, provision.Subsection,
		provision.Article, provision.Paragraph, provision.Item, provision.SubItem, provision.SubSubItem:
		body = strings.TrimPrefix(body, n.Label)
	}
	class := "C:"
	if u.heading {
		class = "H" + string(rune('0'+int(n.Kind))) + ":"
	}
	return class + normalize(body, opt)
}

// normalize applies the options to text for identity and similarity.
func normalize(s string, opt Options) string {
	if !opt.IgnoreSpace && !opt.IgnoreWidth {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if opt.IgnoreSpace && isIgnoredSpace(r) {
			continue
		}
		if opt.IgnoreWidth {
			if f := width.LookupRune(r).Folded(); f != 0 {
				r = f
			}
		}
		b.WriteRune(r)
	}
	s = b.String()
	if opt.IgnoreWidth {
		s = composeKana(s)
	}
	return s
}

// composeKana joins a folded kana and a following voicing mark (カ゛ from
// ｶﾞ) into one character.
func composeKana(s string) string {
	if !strings.ContainsAny(s, "\u309b\u309c\u3099\u309a") {
		return s
	}
	s = strings.NewReplacer("\u309b", "\u3099", "\u309c", "\u309a").Replace(s)
	return normNFC(s)
}

// bigrams is the sorted set of character bigrams of the unit's key,
// computed on demand (identical units never need it).
func (u *unit) bigrams() textsim.Grams {
	if u.grams == nil {
		u.grams = textsim.OfString(u.key)
	}
	return u.grams
}

// dice is the Dice coefficient of the units' bigram sets.
func dice(a, b *unit) float64 { return textsim.Dice(a.bigrams(), b.bigrams()) }

// diceBound is an upper bound of dice from the set sizes alone.
func diceBound(a, b *unit) float64 { return textsim.DiceBound(len(a.bigrams()), len(b.bigrams())) }

func compatible(a, b *unit) bool {
	if a.heading != b.heading {
		return false
	}
	return !a.heading || a.node.Kind == b.node.Kind
}

// Thresholds of the similarity pass.
const (
	gapThreshold    = 0.4  // a pair between the same anchors (changed in place)
	labelBonus      = 0.15 // added when both carry the same number
	globalThreshold = 0.6  // a pair anywhere (moved and changed)
	containMin      = 0.6  // share of a split part's bigrams found in its source
	containExtra    = 0.3  // … and not found in the source's main successor
)

// group is a split or merge: several units on one side aligned with one
// (or several) on the other.
type group struct {
	old, new []int
	status   Status
}

type aligner struct {
	old, new []*unit
	groups   []group
}

// Compare aligns the provisions of two documents and marks what changed.
// Either document may be nil (compared as empty).
func Compare(old, new *provision.Document, opt Options) *Result {
	al := &aligner{old: units(old, opt), new: units(new, opt)}
	al.exact()
	al.similar(al.anchors(), true)
	al.similar(nil, false)
	al.splits()
	return al.result(opt)
}

func (al *aligner) pair(i, j int) {
	al.old[i].partner = j
	al.new[j].partner = i
}

// exact pairs units with the same key, in order of appearance.
func (al *aligner) exact() {
	byKey := map[string][]int{}
	for _, u := range al.old {
		byKey[u.key] = append(byKey[u.key], u.pos)
	}
	for _, u := range al.new {
		if q := byKey[u.key]; len(q) > 0 {
			al.pair(q[0], u.pos)
			byKey[u.key] = q[1:]
		}
	}
}

// lis returns the longest increasing subsequence of vals (indices into vals).
func lis(vals []int) []int {
	var tails []int // index into vals of the smallest tail of each length
	prev := make([]int, len(vals))
	for i, v := range vals {
		k := sort.Search(len(tails), func(k int) bool { return vals[tails[k]] >= v })
		if k > 0 {
			prev[i] = tails[k-1]
		} else {
			prev[i] = -1
		}
		if k == len(tails) {
			tails = append(tails, i)
		} else {
			tails[k] = i
		}
	}
	out := make([]int, len(tails))
	if len(tails) == 0 {
		return out
	}
	for i, k := len(tails)-1, tails[len(tails)-1]; i >= 0; i, k = i-1, prev[k] {
		out[i] = k
	}
	return out
}

// anchors are the 1:1 pairs that keep their order: the longest chain of
// pairs increasing on both sides. Returned as new positions, ascending.
func (al *aligner) anchors() []int {
	var js, olds []int
	for _, u := range al.new {
		if u.partner >= 0 {
			js = append(js, u.pos)
			olds = append(olds, u.partner)
		}
	}
	var out []int
	for _, k := range lis(olds) {
		out = append(out, js[k])
	}
	return out
}

type cand struct {
	i, j  int
	score float64
}

// similar pairs the remaining units by bigram similarity. With gaps, only
// units between the same two anchors are tried (provisions changed in
// place); without, any remaining pair (provisions moved and changed).
func (al *aligner) similar(anchors []int, gaps bool) {
	var cands []cand
	try := func(oi, nj []int, threshold float64, inGap bool) {
		for _, j := range nj {
			b := al.new[j]
			for _, i := range oi {
				a := al.old[i]
				if !compatible(a, b) {
					continue
				}
				bonus := 0.0
				if a.label != "" && a.label == b.label {
					bonus = labelBonus
				}
				if inGap && a.heading && a.label != "" && a.label == b.label {
					cands = append(cands, cand{i, j, 1})
					continue
				}
				if diceBound(a, b)+bonus < threshold {
					continue
				}
				if s := dice(a, b) + bonus; s >= threshold {
					cands = append(cands, cand{i, j, s})
				}
			}
		}
	}
	if gaps {
		lo, ln := -1, -1
		for k := 0; k <= len(anchors); k++ {
			ho, hn := len(al.old), len(al.new)
			if k < len(anchors) {
				hn = anchors[k]
				ho = al.new[hn].partner
			}
			var oi, nj []int
			for i := lo + 1; i < ho; i++ {
				if al.old[i].partner < 0 {
					oi = append(oi, i)
				}
			}
			for j := ln + 1; j < hn; j++ {
				if al.new[j].partner < 0 {
					nj = append(nj, j)
				}
			}
			if len(oi) > 0 && len(nj) > 0 {
				try(oi, nj, gapThreshold, true)
			}
			lo, ln = ho, hn
		}
	} else {
		var oi, nj []int
		for _, u := range al.old {
			if u.partner < 0 {
				oi = append(oi, u.pos)
			}
		}
		for _, u := range al.new {
			if u.partner < 0 {
				nj = append(nj, u.pos)
			}
		}
		try(oi, nj, globalThreshold, false)
	}
	sort.SliceStable(cands, func(a, b int) bool {
		if cands[a].score != cands[b].score {
			return cands[a].score > cands[b].score
		}
		if cands[a].j != cands[b].j {
			return cands[a].j < cands[b].j
		}
		return cands[a].i < cands[b].i
	})
	for _, c := range cands {
		if al.old[c.i].partner < 0 && al.new[c.j].partner < 0 {
			al.pair(c.i, c.j)
		}
	}
}

// containment is the share of x's bigrams found in src but not in
// except (nil: none excluded).
func containment(x, src, except *unit) float64 {
	gx := x.bigrams()
	if len(gx) == 0 {
		return 0
	}
	gs := src.bigrams()
	var ge textsim.Grams
	if except != nil {
		ge = except.bigrams()
	}
	n := 0
	for _, g := range gx {
		if gs.Has(g) && (ge == nil || !ge.Has(g)) {
			n++
		}
	}
	return float64(n) / float64(len(gx))
}

// minSplitGrams is the smallest unit (in bigrams) considered as a split
// or merged part; shorter ones are too common to attribute.
const minSplitGrams = 8

// near lists candidate sources for an unpaired unit at position p of
// side us: the partners of its neighbours on the same side and the
// unpaired units of the other side between those partners.
func near(us, them []*unit, p int) []int {
	seen := map[int]bool{}
	var out []int
	add := func(i int) {
		if i >= 0 && !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	lo, hi := -1, len(them)
	for k := p - 1; k >= 0 && k >= p-3; k-- {
		if q := us[k].partner; q >= 0 {
			add(q)
			if lo < 0 {
				lo = q
			}
		}
	}
	for k := p + 1; k < len(us) && k <= p+3; k++ {
		if q := us[k].partner; q >= 0 {
			add(q)
			if hi == len(them) {
				hi = q
			}
		}
	}
	a, b := min(lo, hi), max(lo, hi)
	for i := max(a+1, 0); i < b && i < len(them) && len(out) < 64; i++ {
		if them[i].partner < 0 {
			add(i)
		}
	}
	return out
}

// attribute finds, for every unpaired unit of side us, the unit of the
// other side its text comes from (-1 when none): a unit containing most
// of its bigrams — and, when that unit is paired, bigrams its partner
// does not have.
func attribute(us, them []*unit) []int {
	src := make([]int, len(us))
	for p, x := range us {
		src[p] = -1
		if x.partner >= 0 || x.heading || len(x.bigrams()) < minSplitGrams {
			continue
		}
		best := 0.0
		for _, i := range near(us, them, p) {
			a := them[i]
			if a.heading {
				continue
			}
			c := containment(x, a, nil)
			if c < containMin {
				continue
			}
			score := c
			if a.partner >= 0 {
				extra := containment(x, a, us[a.partner])
				if extra < containExtra {
					continue
				}
				score = extra
			}
			if score > best {
				best, src[p] = score, i
			}
		}
	}
	return src
}

// splits finds split and merged provisions among the unpaired units.
func (al *aligner) splits() {
	// Split: new units whose text comes from one old unit.
	srcOld := attribute(al.new, al.old)
	parts := map[int][]int{}
	for j, i := range srcOld {
		if i >= 0 {
			parts[i] = append(parts[i], j)
		}
	}
	for _, i := range sortedKeys(parts) {
		js := parts[i]
		a := al.old[i]
		switch {
		case a.partner >= 0:
			al.addGroup([]int{i}, append([]int{a.partner}, js...), Split)
		case len(js) >= 2:
			al.addGroup([]int{i}, js, Split)
		default:
			al.pair(i, js[0]) // one part only: a provision cut down in place
		}
	}
	// Merged: old units whose text went into one new unit.
	srcNew := attribute(al.old, al.new)
	parts = map[int][]int{}
	for i, j := range srcNew {
		if j >= 0 && al.old[i].group < 0 && al.new[j].group < 0 {
			parts[j] = append(parts[j], i)
		}
	}
	for _, j := range sortedKeys(parts) {
		is := parts[j]
		b := al.new[j]
		switch {
		case b.partner >= 0 && al.old[b.partner].group < 0:
			al.addGroup(append([]int{b.partner}, is...), []int{j}, Merged)
		case b.partner < 0 && len(is) >= 2:
			al.addGroup(is, []int{j}, Merged)
		case b.partner < 0:
			al.pair(is[0], j)
		}
	}
}

func sortedKeys(m map[int][]int) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

func (al *aligner) addGroup(is, js []int, st Status) {
	sort.Ints(is)
	sort.Ints(js)
	g := len(al.groups)
	al.groups = append(al.groups, group{old: is, new: js, status: st})
	for _, i := range is {
		al.old[i].partner, al.old[i].group = -1, g
	}
	for _, j := range js {
		al.new[j].partner, al.new[j].group = -1, g
	}
}

// item is a row in the making: a 1:1 pair, a group, or a unit alone.
type item struct {
	old, new []int
	group    int
}

func (it item) firstOld() int {
	if len(it.old) == 0 {
		return -1
	}
	return it.old[0]
}

func (it item) firstNew() int {
	if len(it.new) == 0 {
		return -1
	}
	return it.new[0]
}

// result orders the rows (new-document order, deletions where they
// stood) and computes each row's marked text.
func (al *aligner) result(opt Options) *Result {
	// Items in new order; deleted units aside.
	var items []item
	done := map[int]bool{}
	for _, u := range al.new {
		switch {
		case u.group >= 0:
			if !done[u.group] {
				done[u.group] = true
				g := al.groups[u.group]
				items = append(items, item{old: g.old, new: g.new, group: u.group})
			}
		case u.partner >= 0:
			items = append(items, item{old: []int{u.partner}, new: []int{u.pos}, group: -1})
		default:
			items = append(items, item{new: []int{u.pos}, group: -1})
		}
	}
	var deleted []int
	for _, u := range al.old {
		if u.partner < 0 && u.group < 0 {
			deleted = append(deleted, u.pos)
		}
	}
	// Which items keep their order: the longest chain increasing in old
	// position among the items that have both sides.
	var withOld []int
	var olds []int
	for k, it := range items {
		if len(it.old) > 0 {
			withOld = append(withOld, k)
			olds = append(olds, it.firstOld())
		}
	}
	inOrder := map[int]bool{}
	for _, k := range lis(olds) {
		inOrder[withOld[k]] = true
	}
	// nextAnchor[k] is the old position of the first in-order item at or
	// after k (len(old) when none): deleted units before it are printed
	// before item k.
	nextAnchor := make([]int, len(items)+1)
	nextAnchor[len(items)] = len(al.old)
	for k := len(items) - 1; k >= 0; k-- {
		nextAnchor[k] = nextAnchor[k+1]
		if inOrder[k] {
			nextAnchor[k] = items[k].firstOld()
		}
	}
	res := &Result{}
	// lastOld and lastNew are the last positions printed in document order
	// on each side: a row with one side empty stands, on that side, after
	// them and before next (the next unit printed in order there).
	lastOld, lastNew := -1, -1
	emit := func(it item, st Status, ordered bool, next int) {
		r := al.row(it, st, opt)
		switch {
		case len(it.old) == 0:
			r.OldContext = placeContext(al.old, al.new, al.new[it.new[0]], lastOld, next)
		case len(it.new) == 0:
			r.NewContext = placeContext(al.new, al.old, al.old[it.old[0]], lastNew, next)
		}
		if ordered && len(it.old) > 0 {
			lastOld = max(lastOld, slices.Max(it.old))
		}
		if len(it.new) > 0 {
			lastNew = max(lastNew, slices.Max(it.new))
		}
		res.Rows = append(res.Rows, r)
	}
	d := 0
	for k, it := range items {
		for d < len(deleted) && deleted[d] < nextAnchor[k] {
			emit(item{old: []int{deleted[d]}, group: -1}, Deleted, true, it.firstNew())
			d++
		}
		var st Status
		switch {
		case it.group >= 0:
			st = al.groups[it.group].status
		case len(it.old) == 0:
			st = Added
		case !inOrder[k]:
			st = Moved
		case al.old[it.old[0]].key == al.new[it.new[0]].key:
			st = Same
		default:
			st = Changed
		}
		emit(it, st, inOrder[k], nextAnchor[k])
	}
	for ; d < len(deleted); d++ {
		emit(item{old: []int{deleted[d]}, group: -1}, Deleted, true, len(al.new))
	}
	return res
}

// placeContext is the context of side us at the place of a row that has
// no unit there: the headings of us corresponding (as 1:1 partners) to
// the headings enclosing x, the row's unit on the other side, provided
// the place — some boundary after unit lo and before unit next of us —
// certainly lies directly within them. The innermost heading that fits
// wins; "" when none does (the chapter is new too, or the place is
// ambiguous), so that nothing wrong is printed.
func placeContext(us, them []*unit, x *unit, lo, next int) string {
	// after is the heading chain in force just after unit b (b = -1: the
	// start of the document); before the one just before unit b.
	after := func(b int) []int {
		if b < 0 {
			return nil
		}
		if us[b].heading {
			return append(us[b].parents[:len(us[b].parents):len(us[b].parents)], b)
		}
		return us[b].parents
	}
	before := func(b int) []int {
		if b >= len(us) {
			return nil
		}
		return us[b].parents
	}
	for k := len(x.parents) - 1; k >= 0; k-- {
		p := them[x.parents[k]].partner
		if p < 0 || !us[p].heading {
			continue
		}
		chain := after(p)
		// Boundary b lies between units b and b+1; p's subtree runs on
		// from p without a break.
		for b := max(lo, p); b < next && b < len(us); b++ {
			a := after(b)
			if !hasPrefix(a, chain) {
				break
			}
			if hasPrefix(chain, before(b+1)) {
				return joinCtx(us[p].ctx, us[p].node.Heading())
			}
		}
	}
	return ""
}

// hasPrefix reports whether s starts with prefix.
func hasPrefix(s, prefix []int) bool {
	return len(s) >= len(prefix) && slices.Equal(s[:len(prefix)], prefix)
}

// row builds the Row of an item.
func (al *aligner) row(it item, st Status, opt Options) Row {
	r := Row{Status: st, oldPos: it.firstOld(), newPos: it.firstNew()}
	var olds, news []*unit
	for _, i := range it.old {
		olds = append(olds, al.old[i])
		r.Old = append(r.Old, al.old[i].node)
	}
	for _, j := range it.new {
		news = append(news, al.new[j])
		r.New = append(r.New, al.new[j].node)
	}
	if len(olds) > 0 {
		r.OldContext = olds[0].ctx
	}
	if len(news) > 0 {
		r.NewContext = news[0].ctx
	}
	oldText, newText := joinText(olds), joinText(news)
	ro, rn := []rune(oldText), []rune(newText)
	switch {
	case len(olds) == 0:
		r.diff = &pairDiff{old: ro, new: rn, hunks: []hunk{{0, 0, 0, len(rn)}}}
	case len(news) == 0:
		r.diff = &pairDiff{old: ro, new: rn, hunks: []hunk{{0, len(ro), 0, 0}}}
	case (st == Same || st == Moved) && olds[0].key == news[0].key && len(olds) == 1 && len(news) == 1:
		// Same text: only the number may differ.
		r.diff = &pairDiff{old: ro, new: rn}
		if ol, nl := olds[0].label, news[0].label; ol != nl && strings.HasPrefix(oldText, ol) && strings.HasPrefix(newText, nl) {
			r.diff.hunks = []hunk{{0, len([]rune(ol)), 0, len([]rune(nl))}}
		}
	default:
		r.diff = diffRunes(ro, rn, opt)
	}
	os, ns := r.diff.segments()
	if len(olds) > 0 {
		r.OldLines = splitLines(os)
	}
	if len(news) > 0 {
		r.NewLines = splitLines(ns)
	}
	r.Remark = remark(st, olds, news, r.diff)
	return r
}

func joinText(us []*unit) string {
	texts := make([]string, len(us))
	for i, u := range us {
		texts[i] = u.text
	}
	return strings.Join(texts, "\n")
}

// name is how the 備考 cites a unit: its number, or its heading.
func name(u *unit) string {
	n := u.node
	switch {
	case n.Kind == provision.Supplementary:
		return "附則"
	case n.Label != "":
		return n.Label
	case n.Kind == provision.Paragraph:
		return "第1項"
	}
	return ""
}

func names(us []*unit) string {
	var ns []string
	for _, u := range us {
		if s := name(u); s != "" {
			ns = append(ns, s)
		}
	}
	switch len(ns) {
	case 0:
		return ""
	case 1:
		return ns[0]
	}
	return strings.Join(ns[:len(ns)-1], "、") + "及び" + ns[len(ns)-1]
}

// remark writes the 備考 for a row.
func remark(st Status, olds, news []*unit, d *pairDiff) string {
	renum := ""
	if len(olds) == 1 && len(news) == 1 {
		if on, nn := name(olds[0]), name(news[0]); on != "" && nn != "" && on != nn {
			renum = "（" + on + "を" + nn + "とする）"
		}
	}
	textChanged := len(d.hunks) > 0 && !(len(d.hunks) == 1 && renum != "" && d.hunks[0].oa == 0 && d.hunks[0].na == 0 &&
		string(d.old[:d.hunks[0].ob]) == olds[0].label && string(d.new[:d.hunks[0].nb]) == news[0].label)
	switch st {
	case Same:
		return renum
	case Changed:
		return "（変更）" + renum
	case Added:
		return "（新設）"
	case Deleted:
		return "（削除）"
	case Moved:
		s := "（移動）"
		if on := names(olds); on != "" {
			s = "（" + on + "から移動）"
		}
		if textChanged {
			s += "（変更）"
		}
		return s
	case Split:
		if on := names(olds); on != "" {
			return "（" + on + "を分割）"
		}
		return "（分割）"
	case Merged:
		if on := names(olds); on != "" {
			return "（" + on + "を統合）"
		}
		return "（統合）"
	}
	return ""
}
