package compare

import (
	"slices"
	"strings"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/jp"
	"mamori/internal/policy/provision"
)

// piece is a stretch of the redline: unchanged text (as the new document
// has it), deleted old text, or inserted new text.
type piece struct {
	text   string
	change docgen.Change
}

// pieces interleaves the two texts of a diff in reading order for a
// redline. A change that adds or removes a line break must not leave text
// of the other version split or joined once every change is accepted or
// rejected (docgen cannot track a paragraph mark itself): the common
// shapes — whole lines added or removed, a heading line inserted above a
// paragraph (a split), a heading line removed (a merge) — keep their
// precise marking by ordering the deletion and insertion; any other
// change across a line break is widened to whole lines.
func (d *pairDiff) pieces() []piece {
	var out []piece
	pn := 0
	for _, h := range d.redlineHunks() {
		del := piece{text: string(d.old[h.oa:h.ob]), change: docgen.Deleted}
		ins := piece{text: string(d.new[h.na:h.nb]), change: docgen.Inserted}
		out = append(out, piece{text: string(d.new[pn:h.na])})
		if h.insFirst {
			out = append(out, ins, del)
		} else {
			out = append(out, del, ins)
		}
		pn = h.nb
	}
	return append(out, piece{text: string(d.new[pn:])})
}

type rhunk struct {
	hunk
	insFirst bool
}

func lineStart(t []rune, p int) int {
	for p > 0 && t[p-1] != '\n' {
		p--
	}
	return p
}

func lineEnd(t []rune, p int) int {
	for p < len(t) && t[p] != '\n' {
		p++
	}
	return p
}

func (d *pairDiff) redlineHunks() []rhunk {
	var out []rhunk
	for _, h := range d.hunks {
		D, I := d.old[h.oa:h.ob], d.new[h.na:h.nb]
		dN, iN := slices.Contains(D, '\n'), slices.Contains(I, '\n')
		atStart := lineStart(d.old, h.oa) == h.oa && lineStart(d.new, h.na) == h.na
		atEnd := lineEnd(d.old, h.ob) == h.ob && lineEnd(d.new, h.nb) == h.nb
		wholeD := len(D) == 0 || D[len(D)-1] == '\n'
		wholeI := len(I) == 0 || I[len(I)-1] == '\n'
		leadD := len(D) == 0 || D[0] == '\n'
		leadI := len(I) == 0 || I[0] == '\n'
		r := rhunk{hunk: h}
		switch {
		case !dN && !iN:
		case atStart && wholeD && (wholeI || !iN):
		case atStart && wholeI && !dN:
			r.insFirst = true
		case atEnd && leadD && !iN:
			r.insFirst = true
		case atEnd && leadI && !dN:
		default:
			// Widen to whole lines on both sides.
			r.oa, r.ob = lineStart(d.old, h.oa), lineEnd(d.old, h.ob)
			r.na, r.nb = lineStart(d.new, h.na), lineEnd(d.new, h.nb)
		}
		// A widened change swallows the changes on its lines.
		for len(out) > 0 && out[len(out)-1].ob > r.oa {
			last := out[len(out)-1]
			out = out[:len(out)-1]
			r.oa, r.na = min(r.oa, last.oa), min(r.na, last.na)
			r.ob, r.nb = max(r.ob, last.ob), max(r.nb, last.nb)
			r.insFirst = false
		}
		out = append(out, r)
	}
	return out
}

// rowDiff is the row's diff; rows built by hand (without one) are
// compared again from their printed lines.
func rowDiff(row *Row) *pairDiff {
	if row.diff != nil {
		return row.diff
	}
	join := func(lines [][]Segment) string {
		var b strings.Builder
		for i, l := range lines {
			if i > 0 {
				b.WriteByte('\n')
			}
			for _, s := range l {
				b.WriteString(s.Text)
			}
		}
		return b.String()
	}
	return diffRunes([]rune(join(row.OldLines)), []rune(join(row.NewLines)), Options{})
}

// redliner turns pieces into drafting-style paragraphs with tracked
// changes.
type redliner struct {
	author string
	date   time.Time
	blocks []docgen.Block
}

func (rl *redliner) add(ps []piece, oldInfo, newInfo []lineInfo) {
	oi, ni := 0, 0 // line index on each side
	var runs []docgen.Run
	startO, startN := 0, 0
	hasNew := false
	flush := func() {
		if len(runs) > 0 {
			var li lineInfo
			switch {
			case hasNew && startN < len(newInfo):
				li = newInfo[startN]
			case !hasNew && startO < len(oldInfo):
				li = oldInfo[startO]
			default:
				li = lineInfo{kind: provision.Text}
			}
			rl.blocks = append(rl.blocks, li.paragraph(runs))
		}
		runs, hasNew = nil, false
		startO, startN = oi, ni
	}
	for _, p := range ps {
		parts := strings.Split(p.text, "\n")
		for k, part := range parts {
			if k > 0 {
				switch p.change {
				case docgen.NoChange:
					oi++
					ni++
				case docgen.Deleted:
					oi++
				case docgen.Inserted:
					ni++
				}
				flush()
			}
			if part == "" {
				continue
			}
			run := docgen.Run{Text: part, Change: p.change}
			if p.change != docgen.NoChange {
				run.Author, run.Date = rl.author, rl.date
			}
			if p.change != docgen.Deleted {
				hasNew = true
			}
			runs = append(runs, run)
		}
	}
	flush()
}

// Redline builds the 見え消し版: the new document in full, deletions as
// tracked deletions (struck through, red) and insertions as tracked
// insertions (underlined) — real w:del / w:ins in DOCX, so they can be
// accepted or rejected one by one. A moved provision is deleted where it
// stood and inserted where it now stands.
func Redline(r *Result, title, author string, date time.Time) *docgen.Document {
	if title == "" {
		title = "見え消し版"
	}
	d := &docgen.Document{Meta: docgen.Meta{Title: title, Author: author, Date: date, PageNumbers: docgen.PageDash}}
	rl := &redliner{author: author, date: date}
	rl.blocks = append(rl.blocks, docgen.Paragraph{Align: docgen.AlignCenter, Runs: []docgen.Run{{Text: title, Bold: true}}})
	if !date.IsZero() {
		rl.blocks = append(rl.blocks, docgen.Paragraph{Align: docgen.AlignRight, Runs: []docgen.Run{docgen.T(jp.FormatWareki(date))}})
	}
	if r == nil || r.Identical() {
		rl.blocks = append(rl.blocks, docgen.Paragraph{FirstIndent: true, Runs: []docgen.Run{docgen.T("改正前と改正後の規定に相違はないため、見え消しの箇所はありません。以下は改正後の規定の全文です。")}})
	} else {
		rl.blocks = append(rl.blocks, docgen.Paragraph{Align: docgen.AlignRight, Runs: []docgen.Run{
			docgen.T("（"), {Text: "取消線", Strike: true}, docgen.T("は削除する部分、"), {Text: "下線", Underline: true}, docgen.T("は追加する部分）")}})
	}
	if r != nil {
		for _, e := range redlineOrder(r) {
			row := &r.Rows[e.row]
			oldInfo, newInfo := infos(row.Old), infos(row.New)
			switch e.part {
			case wholeRow:
				rl.add(rowDiff(row).pieces(), oldInfo, newInfo)
			case movedTo:
				dd := rowDiff(row)
				rl.add([]piece{{text: string(dd.new), change: docgen.Inserted}}, nil, newInfo)
			case movedFrom:
				dd := rowDiff(row)
				rl.add([]piece{{text: string(dd.old), change: docgen.Deleted}}, oldInfo, nil)
			}
		}
	}
	d.Sections = []docgen.Section{{Tab: "見え消し", Blocks: rl.blocks}}
	return d
}

const (
	wholeRow = iota
	movedTo
	movedFrom
)

type redlineEntry struct{ row, part int }

// redlineOrder lists what the redline prints, in order: the rows in
// new-document order, a moved row as an insertion there and a deletion
// after the row that preceded it in the old document.
func redlineOrder(r *Result) []redlineEntry {
	after := map[int][]int{} // row index → moved rows whose old place follows it
	var first []int          // moved rows that stood first
	for i := range r.Rows {
		m := &r.Rows[i]
		if m.Status != Moved || m.oldPos < 0 {
			continue
		}
		best, bestPos := -1, -1
		for k := range r.Rows {
			o := &r.Rows[k]
			if o.Status == Moved || o.oldPos < 0 {
				continue
			}
			if o.oldPos < m.oldPos && o.oldPos > bestPos {
				best, bestPos = k, o.oldPos
			}
		}
		if best < 0 {
			first = append(first, i)
		} else {
			after[best] = append(after[best], i)
		}
	}
	var out []redlineEntry
	for _, m := range first {
		out = append(out, redlineEntry{m, movedFrom})
	}
	for i := range r.Rows {
		if r.Rows[i].Status == Moved && r.Rows[i].oldPos >= 0 {
			out = append(out, redlineEntry{i, movedTo})
		} else {
			out = append(out, redlineEntry{i, wholeRow})
		}
		for _, m := range after[i] {
			out = append(out, redlineEntry{m, movedFrom})
		}
	}
	return out
}

// Clean renders a version as it reads after the revision (溶け込み版), or
// simply any version for export: title, the lines before the first
// provision, then every provision in drafting style.
func Clean(d *provision.Document, title string) *docgen.Document {
	if title == "" && d != nil {
		title = d.Title
	}
	doc := &docgen.Document{Meta: docgen.Meta{Title: title, PageNumbers: docgen.PageDash}}
	blocks := []docgen.Block{docgen.Paragraph{Align: docgen.AlignCenter, Runs: []docgen.Run{{Text: title, Bold: true}}}}
	if d != nil {
		for _, p := range d.Preamble {
			blocks = append(blocks, docgen.Paragraph{Align: docgen.AlignRight, Runs: []docgen.Run{docgen.T(p)}})
		}
		for _, n := range d.Nodes {
			lines := n.Lines()
			li := lineInfos([]*provision.Node{n}, true)
			for i, l := range lines {
				inf := lineInfo{kind: provision.Text}
				if len(li) == len(lines) {
					inf = li[i]
				}
				blocks = append(blocks, inf.paragraph([]docgen.Run{docgen.T(l)}))
			}
		}
	}
	doc.Sections = []docgen.Section{{Tab: "本文", Blocks: blocks}}
	return doc
}
