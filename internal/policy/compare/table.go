package compare

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/docgen"
	"mamori/internal/jp"
	"mamori/internal/policy/provision"
)

// TableOptions shape the 新旧対照表.
type TableOptions struct {
	Title    string    // e.g. ひので区情報セキュリティ対策基準 新旧対照表
	OmitSame bool      // unchanged provisions as （略）
	Remarks  bool      // 備考 column
	Date     time.Time // printed in 和暦
}

const (
	omitted    = "（略）"
	addedMark  = "（新設）"
	deleteMark = "（削除）"
	headFill   = "E8E8E8"
)

// Table builds the 新旧対照表: A4 landscape, 改正後 on the left and 改正前 on
// the right, changed parts underlined on both sides, one table row per
// aligned provision (so a provision only breaks across pages when it is
// taller than a page, and then continues under the repeated header).
// When the documents do not differ, the document says so instead of
// printing an empty table.
func Table(r *Result, opt TableOptions) *docgen.Document {
	title := opt.Title
	if title == "" {
		title = "新旧対照表"
	}
	d := &docgen.Document{Meta: docgen.Meta{Title: title, Date: opt.Date, PageNumbers: docgen.PageDash, TitleInBody: true}}
	blocks := []docgen.Block{
		docgen.Paragraph{Align: docgen.AlignCenter, Runs: []docgen.Run{{Text: title, Bold: true}}},
	}
	if !opt.Date.IsZero() {
		blocks = append(blocks, docgen.Paragraph{Align: docgen.AlignRight, Runs: []docgen.Run{docgen.T(jp.FormatWareki(opt.Date))}})
	}
	if r == nil || r.Identical() {
		n := 0
		if r != nil {
			n = len(r.Rows)
		}
		blocks = append(blocks,
			docgen.Paragraph{FirstIndent: true, Runs: []docgen.Run{docgen.T("改正前と改正後の規定を比較した結果、相違する部分はありません。")}},
			docgen.Paragraph{FirstIndent: true, Runs: []docgen.Run{docgen.T(fmt.Sprintf(
				"比較した章・条等は%d件で、条項の追加、削除、移動、番号の変更及び字句の改正のいずれもないため、新旧対照表は作成していません。", n))}})
		d.Sections = []docgen.Section{{Orientation: docgen.Landscape, Tab: "新旧対照表", Blocks: blocks}}
		return d
	}
	blocks = append(blocks, docgen.Paragraph{Align: docgen.AlignRight, Runs: []docgen.Run{docgen.T("（傍線部分は改正部分）")}})
	blocks = append(blocks, tableBlock(r, opt))
	d.Sections = []docgen.Section{{Orientation: docgen.Landscape, Tab: "新旧対照表", Blocks: blocks}}
	return d
}

func tableBlock(r *Result, opt TableOptions) docgen.Table {
	t := docgen.Table{HeaderRows: 1, FontSize: 10, TopAlign: true, Columns: []docgen.Column{{Width: 1}, {Width: 1}}}
	head := []string{"改正後", "改正前"}
	if opt.Remarks {
		t.Columns = append(t.Columns, docgen.Column{Width: 0.3, Align: docgen.AlignCenter})
		head = append(head, "備考")
	}
	var hr docgen.Row
	for _, h := range head {
		hr.Cells = append(hr.Cells, docgen.Cell{Runs: []docgen.Run{docgen.T(h)}, Bold: true, Fill: headFill, Align: docgen.AlignCenter})
	}
	t.Rows = append(t.Rows, hr)

	tb := &tableBuilder{opt: opt, t: &t}
	for i := range r.Rows {
		tb.add(&r.Rows[i])
	}
	tb.flushOmitted()
	if opt.Remarks {
		t.Columns[2].Width = remarkWidth(t.Rows[1:])
	}
	return t
}

// remarkFitEm is how many full-width characters of 10 pt a line of the
// 備考 column holds at its usual width (0.3 beside the sides' 1 each).
const remarkFitEm = 8

// splitRemark breaks a remark longer than the 備考 column usually holds
// into two lines at the break that leaves the longer line shortest: after 「を」, before 「から」 or 「とする」, after 「・」
// (「（第4条を」「第5条とする）」, 「（第12条・」「第13条から移動）」). A
// remark with no such break stays whole.
func splitRemark(line string) []string {
	em := func(s string) float64 { return float64(jp.DisplayWidth(s)) / 2 }
	if em(line) <= remarkFitEm {
		return []string{line}
	}
	best, bestW := -1, em(line)
	for i := range line {
		rest := line[i:]
		after := i > 0 && (strings.HasSuffix(line[:i], "を") || strings.HasSuffix(line[:i], "・"))
		before := i > 0 && (strings.HasPrefix(rest, "から") || strings.HasPrefix(rest, "とする"))
		if !after && !before {
			continue
		}
		if w := max(em(line[:i]), em(rest)); w < bestW {
			best, bestW = i, w
		}
	}
	if best < 0 {
		return []string{line}
	}
	return []string{line[:best], line[best:]}
}

// remarkWidth is the 備考 column's width beside the two sides' 1 each: as
// wide as its longest line (after splitRemark; full-width characters 1 em,
// others half) needs at 10 pt on an A4 landscape page, with the cell's
// margins, so that no closing 「）」 wraps onto a line of its own in any
// format; at least 0.3, and at most 0.8 (a side keeps most of the width).
func remarkWidth(rows []docgen.Row) float64 {
	em := 0.0
	for _, r := range rows {
		if len(r.Cells) < 3 {
			continue
		}
		var text strings.Builder
		for _, run := range r.Cells[2].Runs {
			text.WriteString(run.Text)
		}
		for _, line := range strings.Split(text.String(), "\n") {
			em = max(em, float64(jp.DisplayWidth(strings.TrimSpace(line)))/2)
		}
	}
	const textPt = docgen.TextWidthLandscape * 72 / 25.4
	frac := (em*10 + 14) / textPt // 10 pt characters and the cell's margins
	return min(0.8, max(0.3, 2*frac/(1-frac)))
}

type tableBuilder struct {
	opt            TableOptions
	t              *docgen.Table
	newCtx, oldCtx string // context headings already printed
	// omitNew, omitOld: the unchanged provisions waiting to be printed as
	// one named （略） row (「第1条・第2条　（略）」); pendingOmit is set
	// even when they have no names.
	pendingOmit      bool
	omitNew, omitOld []*provision.Node
	// omitNewCtx, omitOldCtx: the chapter and section (context headings)
	// of the waiting provisions; a run of （略） never runs on into
	// another chapter or section, whose heading would otherwise first
	// show above a later row (附則, under no heading, may join it).
	omitNewCtx, omitOldCtx string
}

// cellLine is a line of a cell: its runs, and how many of its first
// characters hang (the indent and the number with its space: wrapped
// lines align with the text after 「２　」).
type cellLine struct {
	runs []docgen.Run
	hang int
}

// cellLines is a cell being built.
type cellLines []cellLine

func (c cellLines) cell() docgen.Cell {
	var out docgen.Cell
	for i, l := range c {
		if i > 0 {
			out.Runs = append(out.Runs, docgen.T("\n"))
		}
		out.Runs = append(out.Runs, l.runs...)
		out.Hang = append(out.Hang, l.hang)
	}
	return out
}

func plainLine(s string) cellLine { return cellLine{runs: []docgen.Run{docgen.T(s)}} }

// numberedLine is a line whose first hang characters (indent, number,
// space) hang.
func numberedLine(runs []docgen.Run, hang int) cellLine { return cellLine{runs: runs, hang: hang} }

// labelHang is how many characters of a line hang: its indent and, when
// the text starts with the label and a space (「２　」, 「（1）　」), those.
func labelHang(pad, label string, segs []Segment) int {
	n := utf8.RuneCountInString(pad)
	if label == "" {
		return n
	}
	var b strings.Builder
	for _, s := range segs {
		b.WriteString(s.Text)
		if b.Len() > len(label)+len("　") {
			break
		}
	}
	if strings.HasPrefix(b.String(), label+"　") {
		n += utf8.RuneCountInString(label) + 1
	}
	return n
}

func segRuns(pad string, segs []Segment) []docgen.Run {
	var out []docgen.Run
	if pad != "" {
		out = append(out, docgen.T(pad))
	}
	for _, s := range segs {
		out = append(out, docgen.Run{Text: s.Text, Underline: s.Changed})
	}
	if len(segs) == 0 && pad == "" {
		out = append(out, docgen.T(""))
	}
	return out
}

func (tb *tableBuilder) flushOmitted() {
	if !tb.pendingOmit {
		return
	}
	tb.pendingOmit = false
	newCell, oldCell := tb.contextCells(tb.omitNewCtx, tb.omitOldCtx, true, true)
	newCell = append(newCell, plainLine(omitName(tb.omitNew)+omitted))
	oldCell = append(oldCell, plainLine(omitName(tb.omitOld)+omitted))
	tb.emit(newCell, oldCell, "")
	tb.omitNew, tb.omitOld = nil, nil
}

// contextCells starts a row's cells with the context headings (章, 節)
// when they differ from what was printed last, both sides together so
// the columns stay level (a side without units, hasNew or hasOld false,
// shows none), and records them as printed.
func (tb *tableBuilder) contextCells(newCtx, oldCtx string, hasNew, hasOld bool) (newCell, oldCell cellLines) {
	nc, oc := contextLines(newCtx, tb.newCtx), contextLines(oldCtx, tb.oldCtx)
	if len(nc) > 0 || len(oc) > 0 {
		nc, oc = contextLines(newCtx, ""), contextLines(oldCtx, "")
		if !hasNew {
			nc = nil
		}
		if !hasOld {
			oc = nil
		}
		for i, h := range nc {
			newCell = append(newCell, cellLine{runs: plainLine(headingPad(i) + h).runs, hang: 3 + i})
		}
		for i, h := range oc {
			oldCell = append(oldCell, cellLine{runs: plainLine(headingPad(i) + h).runs, hang: 3 + i})
		}
	}
	tb.newCtx, tb.oldCtx = newCtx, oldCtx
	return newCell, oldCell
}

// omitName names a run of omitted provisions the way a 新旧対照表 does,
// followed by the space before （略）: 「第1条　」, 「第1条・第2条　」,
// 「第5条～第8条　」 (three or more articles in a row), 「第9条・附　則　」.
// Nodes without a name (text outside articles) give "" when nothing
// else is named.
func omitName(nodes []*provision.Node) string {
	var names []string
	var run []string // articles in a row
	flush := func() {
		switch {
		case len(run) >= 3:
			names = append(names, run[0]+"～"+run[len(run)-1])
		default:
			names = append(names, run...)
		}
		run = nil
	}
	for _, n := range nodes {
		if n == nil {
			continue
		}
		switch n.Kind {
		case provision.Article:
			if n.Label != "" {
				run = append(run, n.Label)
			}
		case provision.Supplementary:
			// 附則 by their kind alone (their labels carry dates):
			// 「第13条～第51条・附　則」.
			flush()
			if len(names) == 0 || names[len(names)-1] != "附　則" {
				names = append(names, "附　則")
			}
		case provision.Part, provision.Chapter, provision.Section, provision.Subsection:
			flush()
			names = append(names, n.Heading())
		default:
			flush()
			if n.Label != "" {
				names = append(names, n.Label)
			}
		}
	}
	flush()
	if len(names) == 0 {
		return ""
	}
	return strings.Join(names, "・") + "　"
}

func (tb *tableBuilder) emit(newCell, oldCell cellLines, remark string) {
	row := docgen.Row{Cells: []docgen.Cell{newCell.cell(), oldCell.cell()}}
	if tb.opt.Remarks {
		// One parenthesis per line: （変更） / （第4条を第5条とする）, a
		// long one broken where it reads well (（第4条を / 第5条とする）).
		var lines []string
		for _, l := range strings.Split(strings.ReplaceAll(remark, "）（", "）\n（"), "\n") {
			lines = append(lines, splitRemark(l)...)
		}
		remark = strings.Join(lines, "\n")
		row.Cells = append(row.Cells, docgen.Cell{Runs: []docgen.Run{docgen.T(remark)}, Align: docgen.AlignCenter})
	}
	tb.t.Rows = append(tb.t.Rows, row)
}

// context returns the context heading lines not printed yet (from the
// first level that differs from what was printed last).
func contextLines(ctx, printed string) []string {
	if ctx == "" || ctx == printed {
		return nil
	}
	cur := strings.Split(ctx, "\n")
	prev := strings.Split(printed, "\n")
	if printed == "" {
		prev = nil
	}
	k := 0
	for k < len(cur) && k < len(prev) && cur[k] == prev[k] {
		k++
	}
	return cur[k:]
}

func headingPad(level int) string { return strings.Repeat("　", 3+level) }

// isHeadingRow reports whether the row aligns chapter-like headings.
func isHeadingRow(row *Row) bool {
	for _, n := range append(append([]*provision.Node(nil), row.New...), row.Old...) {
		if n != nil && (isHeadingKind(n.Kind) || (n.Kind == provision.Supplementary && containsArticle(n))) {
			return true
		}
	}
	return false
}

func (tb *tableBuilder) add(row *Row) {
	heading := isHeadingRow(row)
	unchanged := row.Status == Same && !hasChange(row.NewLines) && !hasChange(row.OldLines)
	if unchanged && heading {
		return // printed as the context of the provisions under it
	}
	if unchanged && tb.opt.OmitSame {
		if tb.pendingOmit && (len(contextLines(row.NewContext, tb.omitNewCtx)) > 0 || len(contextLines(row.OldContext, tb.omitOldCtx)) > 0) {
			tb.flushOmitted() // a chapter or section starting ends the run
		}
		if !tb.pendingOmit {
			tb.omitNewCtx, tb.omitOldCtx = row.NewContext, row.OldContext
		}
		tb.pendingOmit = true
		tb.omitNew = append(tb.omitNew, row.New...)
		tb.omitOld = append(tb.omitOld, row.Old...)
		return
	}
	tb.flushOmitted()

	// Context headings (章, 節) when they change. A side without units
	// (新設, 削除) shows its document's headings at that place only when
	// the comparison knows them; otherwise it shows none and keeps what
	// was printed before (which may be another chapter's).
	newCtx, oldCtx := row.NewContext, row.OldContext
	if len(row.New) == 0 && newCtx == "" {
		newCtx = tb.newCtx
	}
	if len(row.Old) == 0 && oldCtx == "" {
		oldCtx = tb.oldCtx
	}
	newCell, oldCell := tb.contextCells(newCtx, oldCtx, len(row.New) > 0 || row.NewContext != "", len(row.Old) > 0 || row.OldContext != "")

	var oldOK, newOK []bool
	if row.diff != nil && tb.opt.OmitSame {
		oldOK, newOK = row.diff.untouched()
	}
	bodySame := row.Status == Same // printed here only when renumbered
	newCell = append(newCell, tb.side(row.NewLines, infos(row.New), newOK, bodySame)...)
	oldCell = append(oldCell, tb.side(row.OldLines, infos(row.Old), oldOK, bodySame)...)
	switch row.Status {
	case Added:
		if !tb.opt.Remarks {
			oldCell = append(oldCell, plainLine(addedMark))
		}
	case Deleted:
		newCell = append(newCell, plainLine(deleteMark))
	}
	tb.emit(newCell, oldCell, row.Remark)

	// A heading row printed in full becomes the context of what follows.
	if heading {
		if len(row.New) > 0 {
			tb.newCtx = joinCtx(row.NewContext, row.New[0].Heading())
		}
		if len(row.Old) > 0 {
			tb.oldCtx = joinCtx(row.OldContext, row.Old[0].Heading())
		}
	}
}

func joinCtx(ctx, h string) string {
	if ctx == "" {
		return h
	}
	return ctx + "\n" + h
}

// side renders one side of a row in the drafting style of Japanese
// legislation: an article's 見出し on its own line, set in by one
// character, above 「第1条　本文」; with OmitSame the lines no change
// touches as （略） (keeping their numbers: 「２　（略）」, 「第3条　（略）」),
// the article's number always kept. A renumbered but unchanged provision
// prints its 見出し and 「第N条　（略）」.
func (tb *tableBuilder) side(lines [][]Segment, li []lineInfo, ok []bool, bodySame bool) cellLines {
	var out cellLines
	aligned := len(li) == len(lines)
	info := func(i int) lineInfo {
		if aligned {
			return li[i]
		}
		return lineInfo{heading: true} // unknown shape: no indent, no omission
	}
	omits := func(i int) bool {
		return tb.opt.OmitSame && i > 0 && aligned && (bodySame || (i < len(ok) && ok[i]))
	}
	lastOmit := false
	for i := 0; i < len(lines); i++ {
		l, inf := lines[i], info(i)
		if aligned && inf.heading && inf.kind == provision.Article {
			label, caption, split := splitSegments(l, inf.label)
			if split {
				if len(caption) > 0 {
					out = append(out, numberedLine(segRuns(captionPad, caption), utf8.RuneCountInString(captionPad)))
				}
				line := segRuns("", label)
				hang := utf8.RuneCountInString(inf.label) + 1
				lastOmit = false
				if i+1 < len(lines) && !li[i+1].heading && li[i+1].label == "" && li[i+1].kind == provision.Paragraph {
					i++
					if omits(i) {
						line = append(line, docgen.T("　"+omitted))
						lastOmit = true
					} else {
						line = append(line, docgen.T("　"))
						line = append(line, segRuns("", lines[i])...)
					}
				}
				out = append(out, numberedLine(line, hang))
				continue
			}
		}
		if !omits(i) {
			out = append(out, numberedLine(segRuns(inf.pad(), l), labelHang(inf.pad(), inf.label, l)))
			lastOmit = false
			continue
		}
		if inf.label != "" && !bodySame {
			// Omitted provisions of one kind in a row are named together:
			// 「（1）～（3）　（略）」, 「２・３　（略）」.
			labels := []string{inf.label}
			for i+1 < len(lines) && omits(i+1) && li[i+1].kind == inf.kind && li[i+1].label != "" && !li[i+1].heading {
				i++
				labels = append(labels, li[i].label)
			}
			name := strings.Join(labels, "・")
			if len(labels) >= 3 {
				name = labels[0] + "～" + labels[len(labels)-1]
			}
			out = append(out, plainLine(inf.pad()+name+"　"+omitted))
			lastOmit = false
			continue
		}
		if !lastOmit {
			out = append(out, plainLine(inf.pad()+omitted))
		}
		lastOmit = true
	}
	return out
}

// captionPad sets an article's 見出し in by one character.
const captionPad = "　"

// splitSegments splits an article's heading line 「第1条（目的）」 into
// its number and its 見出し, keeping the change marks of both; ok is
// false when the line does not start with the label.
func splitSegments(line []Segment, label string) (number, caption []Segment, ok bool) {
	if label == "" {
		return nil, nil, false
	}
	rest := len(label)
	for _, s := range line {
		switch {
		case rest <= 0:
			caption = append(caption, s)
		case len(s.Text) <= rest:
			number = append(number, s)
			rest -= len(s.Text)
		default:
			number = append(number, Segment{Text: s.Text[:rest], Changed: s.Changed})
			caption = append(caption, Segment{Text: s.Text[rest:], Changed: s.Changed})
			rest = 0
		}
	}
	var b strings.Builder
	for _, s := range number {
		b.WriteString(s.Text)
	}
	if rest > 0 || b.String() != label {
		return nil, nil, false
	}
	return number, caption, true
}
