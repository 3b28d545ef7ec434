package compare

import (
	"strings"
	"time"
	"unicode"

	"github.com/sergi/go-diff/diffmatchpatch"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"

	"mamori/internal/textsim"
)

// Segment is a piece of printed text; Changed marks the parts a 新旧対照表
// underlines (or a 見え消し strikes / underlines).
type Segment struct {
	Text    string
	Changed bool
}

// DiffText compares two texts the way a drafter marks a 新旧対照表: a
// character diff (with a line pass first, for speed) whose changed spans
// are widened to whole morphemes — a changed particle marks the particle,
// 30日 → 15日 marks 30日 and 15日 — while changes of punctuation alone stay
// exactly on the punctuation, and changes only one or two characters apart
// are joined into one phrase. With IgnoreSpace, white space (other than
// line breaks) is not compared; with IgnoreWidth, full- and half-width
// forms of the same character are equal. The returned segments carry each
// text exactly as given; concatenated, they give old and new back.
func DiffText(old, new string, opt Options) (oldSegs, newSegs []Segment) {
	d := diffRunes([]rune(old), []rune(new), opt)
	return d.segments()
}

// hunk is one change: rune ranges [oa, ob) of the old text and [na, nb)
// of the new text (either may be empty). Between two hunks the texts are
// equal (as compared under the options).
type hunk struct{ oa, ob, na, nb int }

// pairDiff is the outcome of comparing two texts: the texts and their
// hunks in original rune positions, in order.
type pairDiff struct {
	old, new []rune
	hunks    []hunk
}

// keyed is a text prepared for comparison: cmp[i] is the comparison key
// of the original runes text[from[i]:to[i]]; ignored white space has no
// key.
type keyed struct {
	text     []rune
	cmp      []rune
	from, to []int
}

func isHalfKana(r rune) bool { return r >= 0xFF61 && r <= 0xFF9F }

// isIgnoredSpace reports whether r is white space that IgnoreSpace skips;
// line breaks separate provisions and are always compared.
func isIgnoredSpace(r rune) bool { return r != '\n' && unicode.IsSpace(r) }

func prepare(text []rune, opt Options) *keyed {
	k := &keyed{text: text, cmp: make([]rune, 0, len(text)), from: make([]int, 0, len(text)), to: make([]int, 0, len(text))}
	for i := 0; i < len(text); {
		r := text[i]
		if opt.IgnoreSpace && isIgnoredSpace(r) {
			i++
			continue
		}
		j := i + 1
		key := r
		if opt.IgnoreWidth {
			if isHalfKana(r) && j < len(text) && (text[j] == 0xFF9E || text[j] == 0xFF9F) {
				// ｶﾞ is one character: fold and compose the pair.
				if s := []rune(norm.NFC.String(width.Fold.String(string(text[i : j+1])))); len(s) == 1 {
					key = s[0]
					j++
				}
			}
			if j == i+1 {
				if f := width.LookupRune(r).Folded(); f != 0 {
					key = f
				}
			}
		}
		k.cmp = append(k.cmp, key)
		k.from = append(k.from, i)
		k.to = append(k.to, j)
		i = j
	}
	return k
}

// cmpBoundary reports whether comparison position p is a morpheme-unit
// boundary of the original text (any position among ignored white space
// between the neighbouring keys counts).
func (k *keyed) boundary(b *boundaries, p int) bool {
	if p <= 0 || p >= len(k.cmp) {
		return true
	}
	for x := k.to[p-1]; x <= k.from[p]; x++ {
		if b.is(x) {
			return true
		}
	}
	return false
}

// diffTimeout bounds the character diff of two very different long lines;
// provisions are far below it.
const diffTimeout = 2 * time.Second

// lineHunks diffs two texts line by line first (fast on long texts, and
// it keeps each change within its paragraph), then pairs the lines of
// each replaced block by similarity and diffs each pair by character.
func lineHunks(a, b []rune) []hunk {
	// Both texts get a final line break so every line ends with one.
	A := append(a[:len(a):len(a)], '\n')
	B := append(b[:len(b):len(b)], '\n')
	la, lb := lineSpans(A), lineSpans(B)
	ids := map[string]rune{}
	encode := func(text []rune, spans [][2]int) []rune {
		out := make([]rune, len(spans))
		for i, sp := range spans {
			key := string(text[sp[0]:sp[1]])
			id, ok := ids[key]
			if !ok {
				id = rune(0x10000 + len(ids)) // valid code points, one per distinct line
				ids[key] = id
			}
			out[i] = id
		}
		return out
	}
	ea, eb := encode(A, la), encode(B, lb)
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = diffTimeout
	var hs []hunk
	i, j := 0, 0   // line indices
	bi, bj := 0, 0 // start of the pending replaced block
	flush := func() {
		if i > bi || j > bj {
			hs = append(hs, blockHunks(A, B, la[bi:i], lb[bj:j], spanStart(la, bi, len(A)), spanStart(lb, bj, len(B)), dmp)...)
		}
	}
	for _, df := range dmp.DiffMainRunes(ea, eb, false) {
		n := len([]rune(df.Text))
		switch df.Type {
		case diffmatchpatch.DiffEqual:
			flush()
			i += n
			j += n
			bi, bj = i, j
		case diffmatchpatch.DiffDelete:
			i += n
		case diffmatchpatch.DiffInsert:
			j += n
		}
	}
	flush()
	// Take the added final line break away again: a change reaching the
	// end moves back over the line break before it (both sides have one
	// there), or, at the very start, loses the added break.
	if n := len(hs); n > 0 {
		h := &hs[n-1]
		if h.ob == len(A) && h.nb == len(B) {
			if h.oa > 0 && h.na > 0 && A[h.oa-1] == '\n' && B[h.na-1] == '\n' {
				h.oa, h.ob, h.na, h.nb = h.oa-1, h.ob-1, h.na-1, h.nb-1
			} else {
				h.ob, h.nb = h.ob-1, h.nb-1
				h.oa, h.na = min(h.oa, h.ob), min(h.na, h.nb)
				if h.oa == h.ob && h.na == h.nb {
					hs = hs[:n-1]
				}
			}
		}
	}
	return hs
}

// lineSpans cuts text (ending with a line break) into lines, each with
// its line break.
func lineSpans(text []rune) [][2]int {
	var out [][2]int
	s := 0
	for i, r := range text {
		if r == '\n' {
			out = append(out, [2]int{s, i + 1})
			s = i + 1
		}
	}
	return out
}

func spanStart(spans [][2]int, k, end int) int {
	if k < len(spans) {
		return spans[k][0]
	}
	return end
}

// pairMinSim is the least similarity for two lines of a replaced block to
// be compared as old and new wording of one paragraph.
const pairMinSim = 0.3

// blockHunks compares a replaced block: old lines ol against new lines
// nl (starting at text offsets oStart, nStart). Lines are paired in order
// by similarity; paired lines are diffed by character, the others are
// whole-line deletions and insertions.
func blockHunks(A, B []rune, ol, nl [][2]int, oStart, nStart int, dmp *diffmatchpatch.DiffMatchPatch) []hunk {
	oEnd, nEnd := oStart, nStart
	if len(ol) > 0 {
		oEnd = ol[len(ol)-1][1]
	}
	if len(nl) > 0 {
		nEnd = nl[len(nl)-1][1]
	}
	if len(ol) == 0 || len(nl) == 0 {
		return []hunk{{oStart, oEnd, nStart, nEnd}}
	}
	if len(ol)*len(nl) > 40000 {
		return charHunks(A[oStart:oEnd], B[nStart:nEnd], oStart, nStart, dmp)
	}
	// Order-keeping pairing that maximises the summed similarity.
	og := make([]textsim.Grams, len(ol))
	for x, sp := range ol {
		og[x] = textsim.Of(A[sp[0]:sp[1]])
	}
	ng := make([]textsim.Grams, len(nl))
	for y, sp := range nl {
		ng[y] = textsim.Of(B[sp[0]:sp[1]])
	}
	w := len(nl) + 1
	best := make([]float64, (len(ol)+1)*w)
	sim := make([]float64, len(ol)*len(nl))
	for x := range ol {
		for y := range nl {
			s := 0.0
			if len(og[x])+len(ng[y]) > 0 {
				s = textsim.Dice(og[x], ng[y])
			} else if string(A[ol[x][0]:ol[x][1]]) == string(B[nl[y][0]:nl[y][1]]) {
				s = 1
			}
			sim[x*len(nl)+y] = s
			v := max(best[x*w+y+1], best[(x+1)*w+y])
			if s >= pairMinSim {
				v = max(v, best[x*w+y]+s)
			}
			best[(x+1)*w+y+1] = v
		}
	}
	var pairs [][2]int
	for x, y := len(ol), len(nl); x > 0 && y > 0; {
		s := sim[(x-1)*len(nl)+y-1]
		switch {
		case s >= pairMinSim && best[x*w+y] == best[(x-1)*w+y-1]+s:
			pairs = append(pairs, [2]int{x - 1, y - 1})
			x, y = x-1, y-1
		case best[x*w+y] == best[(x-1)*w+y]:
			x--
		default:
			y--
		}
	}
	var out []hunk
	px, py := 0, 0 // next unpaired line on each side
	gap := func(x, y int) {
		if x > px || y > py {
			oa, na := spanStart(ol, px, oEnd), spanStart(nl, py, nEnd)
			out = append(out, hunk{oa, spanStart(ol, x, oEnd), na, spanStart(nl, y, nEnd)})
		}
	}
	for k := len(pairs) - 1; k >= 0; k-- {
		x, y := pairs[k][0], pairs[k][1]
		gap(x, y)
		out = append(out, charHunks(A[ol[x][0]:ol[x][1]], B[nl[y][0]:nl[y][1]], ol[x][0], nl[y][0], dmp)...)
		px, py = x+1, y+1
	}
	gap(len(ol), len(nl))
	return out
}

// charHunks diffs two stretches by character (semantic clean-up on, so
// chance one-character matches inside rewritten phrases are dropped).
func charHunks(x, y []rune, offX, offY int, dmp *diffmatchpatch.DiffMatchPatch) []hunk {
	diffs := dmp.DiffMainRunes(x, y, false)
	diffs = dmp.DiffCleanupSemantic(diffs)
	var hs []hunk
	i, j := offX, offY
	open := false
	for _, df := range diffs {
		n := len([]rune(df.Text))
		switch df.Type {
		case diffmatchpatch.DiffEqual:
			i += n
			j += n
			open = false
			continue
		case diffmatchpatch.DiffDelete:
			if !open {
				hs = append(hs, hunk{i, i, j, j})
				open = true
			}
			i += n
		case diffmatchpatch.DiffInsert:
			if !open {
				hs = append(hs, hunk{i, i, j, j})
				open = true
			}
			j += n
		}
		h := &hs[len(hs)-1]
		h.ob, h.nb = i, j
	}
	return hs
}

func diffRunes(old, new []rune, opt Options) *pairDiff {
	a, b := prepare(old, opt), prepare(new, opt)
	d := &pairDiff{old: old, new: new}
	if string(a.cmp) == string(b.cmp) {
		return d
	}
	hs := lineHunks(a.cmp, b.cmp)
	hs = widen(hs, a, b)
	// Back to original rune positions.
	for _, h := range hs {
		d.hunks = append(d.hunks, hunk{
			oa: a.origStart(h.oa, h.ob), ob: a.origEnd(h.oa, h.ob),
			na: b.origStart(h.na, h.nb), nb: b.origEnd(h.na, h.nb),
		})
	}
	return d
}

// origStart and origEnd map a comparison range to the original text; an
// empty range sits right after the previous key.
func (k *keyed) origStart(a, b int) int {
	if a < b {
		return k.from[a]
	}
	return k.origEnd(a, b)
}

func (k *keyed) origEnd(a, b int) int {
	if a < b {
		return k.to[b-1]
	}
	if a > 0 {
		return k.to[a-1]
	}
	return 0
}

// quiet reports whether every changed key of the hunk is punctuation or
// white space: such changes are marked exactly, not widened to words.
func quiet(h hunk, a, b *keyed) bool {
	for _, r := range a.cmp[h.oa:h.ob] {
		if !isQuiet(r) {
			return false
		}
	}
	for _, r := range b.cmp[h.na:h.nb] {
		if !isQuiet(r) {
			return false
		}
	}
	return true
}

func isQuiet(r rune) bool {
	return r != '\n' && (unicode.IsPunct(r) || unicode.IsSpace(r) || unicode.IsSymbol(r))
}

// onlyBreaks reports whether the hunk changes nothing but line breaks.
func onlyBreaks(h hunk, a, b *keyed) bool {
	for _, r := range a.cmp[h.oa:h.ob] {
		if r != '\n' {
			return false
		}
	}
	for _, r := range b.cmp[h.na:h.nb] {
		if r != '\n' {
			return false
		}
	}
	return true
}

// joinGap is the most unchanged characters between two changes that are
// still marked as one phrase.
const joinGap = 2

// widen moves hunk edges out to morpheme-unit boundaries on both sides
// (the equal text between hunks is the same on both sides, so an edge
// moves by the same count on each), then joins hunks that are at most
// joinGap characters apart on one line.
func widen(hs []hunk, a, b *keyed) []hunk {
	if len(hs) == 0 {
		return hs
	}
	ba, bb := newBoundaries(a.text), newBoundaries(b.text)
	prevO := 0
	for x := range hs {
		h := &hs[x]
		nextO := len(a.cmp)
		if x+1 < len(hs) {
			nextO = hs[x+1].oa
		}
		left := h.oa - prevO
		right := nextO - h.ob
		switch {
		case onlyBreaks(*h, a, b):
			// A paragraph split or joined: mark the word before the break
			// so the change is visible.
			if left > 0 && a.cmp[h.oa-1] != '\n' {
				k := 1
				for k < left && !(a.boundary(ba, h.oa-k) && b.boundary(bb, h.na-k)) {
					k++
				}
				h.oa -= k
				h.na -= k
			}
		case quiet(*h, a, b):
			// Punctuation only: mark exactly.
		default:
			k := 0
			for k < left && !(a.boundary(ba, h.oa-k) && b.boundary(bb, h.na-k)) {
				k++
			}
			h.oa -= k
			h.na -= k
			k = 0
			for k < right && !(a.boundary(ba, h.ob+k) && b.boundary(bb, h.nb+k)) {
				k++
			}
			h.ob += k
			h.nb += k
		}
		prevO = h.ob
	}
	out := hs[:1]
	for _, h := range hs[1:] {
		last := &out[len(out)-1]
		gap := h.oa - last.ob
		if gap <= joinGap && !strings.ContainsRune(string(a.cmp[last.ob:h.oa]), '\n') {
			last.ob, last.nb = h.ob, h.nb
			continue
		}
		out = append(out, h)
	}
	return out
}

// segments splits both texts into unchanged and changed segments.
func (d *pairDiff) segments() (oldSegs, newSegs []Segment) {
	po, pn := 0, 0
	for _, h := range d.hunks {
		oldSegs = addSeg(oldSegs, string(d.old[po:h.oa]), false)
		oldSegs = addSeg(oldSegs, string(d.old[h.oa:h.ob]), true)
		newSegs = addSeg(newSegs, string(d.new[pn:h.na]), false)
		newSegs = addSeg(newSegs, string(d.new[h.na:h.nb]), true)
		po, pn = h.ob, h.nb
	}
	oldSegs = addSeg(oldSegs, string(d.old[po:]), false)
	newSegs = addSeg(newSegs, string(d.new[pn:]), false)
	return oldSegs, newSegs
}

// addSeg appends a segment, merging it with the last one of the same kind.
func addSeg(segs []Segment, text string, changed bool) []Segment {
	if text == "" {
		return segs
	}
	if n := len(segs); n > 0 && segs[n-1].Changed == changed {
		segs[n-1].Text += text
		return segs
	}
	return append(segs, Segment{Text: text, Changed: changed})
}

// splitLines cuts segments at line breaks: one slice per printed line
// (the breaks themselves are not kept).
func splitLines(segs []Segment) [][]Segment {
	lines := [][]Segment{nil}
	for _, s := range segs {
		parts := strings.Split(s.Text, "\n")
		for i, p := range parts {
			if i > 0 {
				lines = append(lines, nil)
			}
			if p != "" {
				n := len(lines) - 1
				lines[n] = addSeg(lines[n], p, s.Changed)
			}
		}
	}
	return lines
}

func normNFC(s string) string { return norm.NFC.String(s) }

// untouched reports, for every line of each side, whether no change
// touches it: the line lies within one stretch of equal text, so the
// other side has the same line (a 新旧対照表 may print it as （略）).
func (d *pairDiff) untouched() (oldOK, newOK []bool) {
	return d.sideUntouched(d.old, func(h hunk) (int, int) { return h.oa, h.ob }),
		d.sideUntouched(d.new, func(h hunk) (int, int) { return h.na, h.nb })
}

func (d *pairDiff) sideUntouched(text []rune, span func(hunk) (int, int)) []bool {
	nh := len(d.hunks)
	// Region of each line break: k for the equal stretch before hunk k
	// (nh after the last hunk), -1 inside a hunk.
	var breaks []int
	k := 0
	for x, r := range text {
		for k < nh {
			if _, b := span(d.hunks[k]); b <= x {
				k++
				continue
			}
			break
		}
		if r != '\n' {
			continue
		}
		if k < nh {
			if a, _ := span(d.hunks[k]); x >= a {
				breaks = append(breaks, -1)
				continue
			}
		}
		breaks = append(breaks, k)
	}
	startRegion, endRegion := 0, nh
	if nh > 0 {
		if h := d.hunks[0]; h.oa == 0 && h.na == 0 {
			startRegion = -1
		}
		if h := d.hunks[nh-1]; h.ob == len(d.old) && h.nb == len(d.new) {
			endRegion = -1
		}
	}
	ok := make([]bool, len(breaks)+1)
	for i := range ok {
		s, e := startRegion, endRegion
		if i > 0 {
			s = breaks[i-1]
		}
		if i < len(breaks) {
			e = breaks[i]
		}
		ok[i] = s >= 0 && s == e
	}
	return ok
}
