package compare

import (
	"fmt"
	"strings"
	"time"

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
	d := &docgen.Document{Meta: docgen.Meta{Title: title, Date: opt.Date, PageNumbers: docgen.PageDash}}
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
	return t
}

type tableBuilder struct {
	opt            TableOptions
	t              *docgen.Table
	newCtx, oldCtx string // context headings already printed
	pendingOmit    bool   // unchanged provisions waiting to be printed as one （略）
}

// cellLines is a cell being built: lines of runs.
type cellLines [][]docgen.Run

func (c cellLines) runs() []docgen.Run {
	var out []docgen.Run
	for i, l := range c {
		if i > 0 {
			out = append(out, docgen.T("\n"))
		}
		out = append(out, l...)
	}
	return out
}

func plainLine(s string) []docgen.Run { return []docgen.Run{docgen.T(s)} }

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
	tb.emit(cellLines{plainLine(omitted)}, cellLines{plainLine(omitted)}, "")
}

func (tb *tableBuilder) emit(newCell, oldCell cellLines, remark string) {
	row := docgen.Row{Cells: []docgen.Cell{{Runs: newCell.runs()}, {Runs: oldCell.runs()}}}
	if tb.opt.Remarks {
		// One parenthesis per line: （変更） / （第4条を第5条とする）.
		remark = strings.ReplaceAll(remark, "）（", "）\n（")
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
		tb.pendingOmit = true
		return
	}
	tb.flushOmitted()

	var newCell, oldCell cellLines
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
	nc, oc := contextLines(newCtx, tb.newCtx), contextLines(oldCtx, tb.oldCtx)
	if len(nc) > 0 || len(oc) > 0 {
		// Print both sides' context together so the columns stay level.
		nc, oc = contextLines(newCtx, ""), contextLines(oldCtx, "")
		if len(row.New) == 0 && row.NewContext == "" {
			nc = nil
		}
		if len(row.Old) == 0 && row.OldContext == "" {
			oc = nil
		}
		for i, h := range nc {
			newCell = append(newCell, plainLine(headingPad(i)+h))
		}
		for i, h := range oc {
			oldCell = append(oldCell, plainLine(headingPad(i)+h))
		}
	}
	tb.newCtx, tb.oldCtx = newCtx, oldCtx

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

// side renders one side of a row: every line, or with OmitSame the lines
// no change touches as （略） (keeping their numbers: 「２　（略）」), the
// heading line always kept. A renumbered but unchanged provision prints its
// heading and （略）.
func (tb *tableBuilder) side(lines [][]Segment, li []lineInfo, ok []bool, bodySame bool) cellLines {
	var out cellLines
	aligned := len(li) == len(lines)
	info := func(i int) lineInfo {
		if aligned {
			return li[i]
		}
		return lineInfo{heading: true} // unknown shape: no indent, no omission
	}
	lastOmit := false
	for i, l := range lines {
		inf := info(i)
		omit := tb.opt.OmitSame && i > 0 && aligned && (bodySame || (i < len(ok) && ok[i]))
		if !omit {
			out = append(out, segRuns(inf.pad(), l))
			lastOmit = false
			continue
		}
		if inf.label != "" && !bodySame {
			out = append(out, plainLine(inf.pad()+inf.label+"　"+omitted))
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
