package policy

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/jp"
	"mamori/internal/policy/compare"
	"mamori/internal/policy/provision"
	"mamori/internal/textsim"
)

// Loaded is a version with everything the outputs need.
type Loaded struct {
	Doc     Document
	Version Version
	Tree    *provision.Document
	// Base and BaseTree are the version a draft revises (nil when none).
	Base     *Version
	BaseTree *provision.Document
	Ward     string
}

// Load reads a version, its document and tree, and its base.
func (s *Store) Load(ctx context.Context, versionID int64) (*Loaded, error) {
	v, err := s.Version(ctx, versionID)
	if err != nil {
		return nil, err
	}
	d, err := s.Document(ctx, v.DocumentID)
	if err != nil {
		return nil, err
	}
	t, err := s.Tree(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	l := &Loaded{Doc: d, Version: v, Tree: t, Ward: s.org.WardName(ctx)}
	if v.BaseVersionID != 0 {
		b, err := s.Version(ctx, v.BaseVersionID)
		if err != nil {
			return nil, err
		}
		bt, err := s.Tree(ctx, b.ID)
		if err != nil {
			return nil, err
		}
		l.Base, l.BaseTree = &b, bt
	}
	return l, nil
}

// Title is the document title a version prints: the title recognised in
// the text, or the document's name.
func (l *Loaded) Title() string {
	if l.Tree.Title != "" {
		return l.Tree.Title
	}
	return l.Doc.Title
}

func (l *Loaded) classification() string {
	if l.Doc.Kind.Public() {
		return ""
	}
	return "庁内限り"
}

func (l *Loaded) meta(d *docgen.Document, subtitle string, date time.Time) {
	if d.Meta.Ward == "" {
		d.Meta.Ward = l.Ward
	}
	if d.Meta.Classification == "" {
		d.Meta.Classification = l.classification()
	}
	if d.Meta.Subtitle == "" {
		d.Meta.Subtitle = subtitle
	}
	if d.Meta.Date.IsZero() {
		d.Meta.Date = date
	}
	if d.Meta.Version == "" {
		d.Meta.Version = l.Version.Name()
	}
}

// CleanDocument is the version as a clean document (溶け込み版): what the
// DOCX/PDF/HTML export of a version renders.
func (l *Loaded) CleanDocument() *docgen.Document {
	d := compare.Clean(l.Tree, l.Title())
	date := l.Version.EffectiveDate
	if date.IsZero() {
		date = l.Version.UpdatedAt
	}
	l.meta(d, l.Version.Name(), date)
	return d
}

// CompareOptions are the options of the 新旧対照表 form.
type CompareOptions struct {
	OmitSame    bool
	Remarks     bool
	IgnoreSpace bool
	IgnoreWidth bool
}

// ErrNoBase refuses outputs that need a base version.
var ErrNoBase = &InputError{Msg: "この版には比較の基になる版（改正前の版）がありません。"}

// Compare compares the draft with its base.
func (l *Loaded) Compare(o CompareOptions) (*compare.Result, error) {
	if l.BaseTree == nil {
		return nil, ErrNoBase
	}
	return compare.Compare(l.BaseTree, l.Tree, compare.Options{IgnoreSpace: o.IgnoreSpace, IgnoreWidth: o.IgnoreWidth}), nil
}

// TableDocument is the 新旧対照表 of the draft against its base.
func (l *Loaded) TableDocument(o CompareOptions, now time.Time) (*docgen.Document, error) {
	r, err := l.Compare(o)
	if err != nil {
		return nil, err
	}
	return l.TableOf(r, o, now), nil
}

// TableOf lays out a comparison already made as the 新旧対照表.
func (l *Loaded) TableOf(r *compare.Result, o CompareOptions, now time.Time) *docgen.Document {
	d := compare.Table(r, compare.TableOptions{Title: l.Title() + "　新旧対照表", OmitSame: o.OmitSame, Remarks: o.Remarks, Date: now})
	l.meta(d, l.Version.Name(), now)
	return d
}

// RedlineDocument is the 見え消し版 of the draft against its base; author
// names the tracked changes in Word.
func (l *Loaded) RedlineDocument(author string, now time.Time) (*docgen.Document, error) {
	r, err := l.Compare(CompareOptions{})
	if err != nil {
		return nil, err
	}
	d := compare.Redline(r, l.Title()+"（見え消し版）", author, now)
	l.meta(d, l.Version.Name(), now)
	return d, nil
}

// changeView is a change with what changed, ready for the briefing and
// the quiz: the changed sentences before and after as marked segments.
type changeView struct {
	Change
	Pairs  []pair   // changed sentences before and after (insertions: New only; deletions: Old only)
	Kept   []string // sentences of the article that stay as they were
	Status string
}

// explain pairs every change with the comparison of its article, so that
// "what changed" is the careful comparison's, not a guess.
func explain(l *Loaded, cs []Change) []changeView {
	var res *compare.Result
	if l.BaseTree != nil {
		res = compare.Compare(l.BaseTree, l.Tree, compare.Options{IgnoreSpace: true, IgnoreWidth: true})
	}
	used := map[int]bool{}
	var out []changeView
	for _, c := range cs {
		cv := changeView{Change: c}
		row := -1
		if res != nil {
			for i, r := range res.Rows {
				if used[i] && c.Kind == ChangeDelete {
					continue
				}
				if c.Kind == ChangeDelete {
					if r.Status == compare.Deleted && len(r.Old) > 0 && r.Old[0].Caption == c.Caption {
						row = i
						break
					}
					continue
				}
				for _, n := range r.New {
					if headingKey(n) == c.ArticleKey {
						row = i
					}
				}
				if row >= 0 {
					break
				}
			}
		}
		switch {
		case c.Kind == ChangeInsert || (row >= 0 && res.Rows[row].Status == compare.Added):
			for _, s := range plainSentences(current(l.Tree, c.ArticleKey, c.NewText)) {
				cv.Pairs = append(cv.Pairs, pair{New: s})
			}
			cv.Status = "新設"
		case c.Kind == ChangeDelete:
			for _, s := range plainSentences(c.OldText) {
				cv.Pairs = append(cv.Pairs, pair{Old: s})
			}
			cv.Status = "削除"
			if row >= 0 {
				used[row] = true
			}
		case row >= 0:
			r := res.Rows[row]
			cv.Pairs = pairSentences(r.OldLines, r.NewLines)
			cv.Kept = keptSentences(r.NewLines)
			cv.Status = r.Status.String()
		default:
			o, n := compare.DiffText(c.OldText, c.NewText, compare.Options{IgnoreSpace: true, IgnoreWidth: true})
			cv.Pairs = pairSentences(splitLines(o), splitLines(n))
			cv.Kept = keptSentences(splitLines(n))
			cv.Status = c.Kind.Label()
		}
		cv.Pairs = dropRenumbered(cv.Pairs)
		out = append(out, cv)
	}
	return out
}

var articleRefRe = regexp.MustCompile(`第[0-9０-９一二三四五六七八九十百]+条`)

// dropRenumbered leaves out sentences whose only change is the number of a
// cited article (第28条 → 第29条 after an insertion): true, but nothing
// staff need to learn.
func dropRenumbered(ps []pair) []pair {
	var out []pair
	for _, p := range ps {
		if p.Old != nil && p.New != nil && articleRefRe.ReplaceAllString(segText(p.Old), "第#条") == articleRefRe.ReplaceAllString(segText(p.New), "第#条") {
			continue
		}
		out = append(out, p)
	}
	return out
}

// current is the unit's text in the draft now (later renumbering may have
// rewritten it), or the text the change recorded.
func current(d *provision.Document, key, recorded string) string {
	for _, u := range Units(d) {
		if headingKey(u.Node) == key {
			return u.Node.Plain()
		}
	}
	return recorded
}

// plainSentences splits a unit's text (without its heading line) into
// sentences, each one unmarked segment.
func plainSentences(text string) [][]compare.Segment {
	lines := strings.Split(text, "\n")
	if len(lines) > 1 {
		lines = lines[1:] // the heading line
	}
	var out [][]compare.Segment
	for _, ln := range lines {
		for _, s := range splitSentences(stripLabel(ln)) {
			out = append(out, []compare.Segment{{Text: s}})
		}
	}
	return out
}

// sentence is one sentence of a compared unit, with its changed marks.
type sentence struct {
	Segs    []compare.Segment
	Changed bool
}

// sentencesOf splits compared lines into sentences; a heading line whose
// only change is its number is left out.
func sentencesOf(lines [][]compare.Segment) []sentence {
	var out []sentence
	for li, ln := range lines {
		if li == 0 && isHeadingLine(ln) {
			continue
		}
		ln = stripLabelSegs(ln)
		var cur sentence
		depth := 0
		flush := func() {
			if strings.TrimSpace(segText(cur.Segs)) != "" {
				out = append(out, cur)
			}
			cur = sentence{}
		}
		for _, s := range ln {
			rest := s.Text
			for rest != "" {
				i := sentenceEnd(rest, &depth)
				part := rest
				if i >= 0 {
					part = rest[:i]
				}
				cur.Segs = append(cur.Segs, compare.Segment{Text: part, Changed: s.Changed})
				cur.Changed = cur.Changed || (s.Changed && strings.TrimSpace(part) != "")
				rest = rest[len(part):]
				if i >= 0 {
					flush()
				}
			}
		}
		flush()
	}
	return out
}

// pair is a changed sentence before and after (either may be nil).
type pair struct{ Old, New []compare.Segment }

// pairSentences pairs each changed sentence with its most similar
// counterpart on the other side, so that a pure deletion still shows the
// sentence as it now reads.
func pairSentences(oldLines, newLines [][]compare.Segment) []pair {
	olds, news := sentencesOf(oldLines), sentencesOf(newLines)
	// Only changed sentences pair up: an unchanged sentence that merely
	// looks alike is still in force and must not pass for the old wording.
	best := func(s sentence, in []sentence, used map[int]bool) int {
		bi, bv := -1, 0.3
		for i, c := range in {
			if !c.Changed || used[i] {
				continue
			}
			if v := textsim.Similarity(segText(s.Segs), segText(c.Segs)); v > bv {
				bi, bv = i, v
			}
		}
		return bi
	}
	usedOld, usedNew := map[int]bool{}, map[int]bool{}
	var out []pair
	for j, n := range news {
		if !n.Changed {
			continue
		}
		p := pair{New: n.Segs}
		usedNew[j] = true
		if i := best(n, olds, usedOld); i >= 0 {
			p.Old = olds[i].Segs
			usedOld[i] = true
		}
		out = append(out, p)
	}
	for i, o := range olds {
		if o.Changed && !usedOld[i] {
			out = append(out, pair{Old: o.Segs})
		}
	}
	return out
}

// keptSentences are the sentences of compared lines that did not change.
func keptSentences(lines [][]compare.Segment) []string {
	var out []string
	for _, s := range sentencesOf(lines) {
		if !s.Changed {
			out = append(out, strings.TrimSpace(segText(s.Segs)))
		}
	}
	return out
}

func isHeadingLine(ln []compare.Segment) bool {
	var b strings.Builder
	for _, s := range ln {
		b.WriteString(s.Text)
	}
	t := strings.TrimSpace(b.String())
	return strings.HasPrefix(t, "第") && !strings.Contains(t, "。")
}

// stripLabel removes a paragraph or item number ("２　", "（1）　") from a line.
func stripLabel(s string) string {
	if i := strings.Index(s, "　"); i > 0 && i <= len("（10）") {
		head := s[:i]
		if strings.IndexFunc(head, func(r rune) bool { return r == '。' || r == '、' }) < 0 {
			return s[i+len("　"):]
		}
	}
	return s
}

func stripLabelSegs(ln []compare.Segment) []compare.Segment {
	full := segText(ln)
	drop := len(full) - len(stripLabel(full))
	var out []compare.Segment
	for _, sg := range ln {
		if drop >= len(sg.Text) {
			drop -= len(sg.Text)
			continue
		}
		sg.Text = sg.Text[drop:]
		drop = 0
		out = append(out, sg)
	}
	return out
}

// splitSentences cuts text after each 「。」 outside brackets (a
// definition such as （…をいう。以下同じ。） stays inside its sentence).
func splitSentences(s string) []string {
	var out []string
	depth := 0
	for s != "" {
		i := sentenceEnd(s, &depth)
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out
}

// sentenceEnd returns the byte offset just after the first 「。」 of s at
// bracket depth 0 (depth carries over between pieces of one line), or -1.
func sentenceEnd(s string, depth *int) int {
	for i, r := range s {
		switch r {
		case '（', '(', '「', '『', '【', '〔':
			*depth++
		case '）', ')', '」', '』', '】', '〕':
			if *depth > 0 {
				*depth--
			}
		case '。':
			if *depth == 0 {
				return i + len("。")
			}
		}
	}
	return -1
}

// splitLines cuts a diffed text into printed lines at newlines.
func splitLines(segs []compare.Segment) [][]compare.Segment {
	out := [][]compare.Segment{nil}
	for _, s := range segs {
		parts := strings.Split(s.Text, "\n")
		for i, p := range parts {
			if i > 0 {
				out = append(out, nil)
			}
			if p != "" {
				out[len(out)-1] = append(out[len(out)-1], compare.Segment{Text: p, Changed: s.Changed})
			}
		}
	}
	return out
}

func segText(segs []compare.Segment) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteString(s.Text)
	}
	return b.String()
}

func segRuns(segs []compare.Segment) []docgen.Run {
	var rs []docgen.Run
	for _, s := range segs {
		rs = append(rs, docgen.Run{Text: s.Text, Underline: s.Changed, Bold: s.Changed})
	}
	return rs
}

// briefingLimit is how many changed sentences the briefing quotes per side.
const briefingLimit = 4

// BriefingDocument is the staff briefing (職員向け説明資料): an
// introduction, then per audience each change in plain words — what
// changes, why, what staff must now do — and the changes that do not
// concern staff listed at the end.
func (l *Loaded) BriefingDocument(cs []Change, now time.Time) (*docgen.Document, error) {
	if len(cs) == 0 {
		return nil, &InputError{Msg: "この改正案には変更がまだ記録されていません。条を編集してから出力してください。"}
	}
	views := explain(l, cs)
	title := l.Title() + "の改正について"
	d := &docgen.Document{Meta: docgen.Meta{Title: title, Subtitle: "職員向け説明資料", Ward: l.Ward, Date: now, FiscalYear: jp.FiscalYearOf(now),
		Classification: "庁内限り", PageNumbers: docgen.PageDash, Version: l.Version.Name()}}
	withAction := 0
	for _, v := range views {
		if v.StaffAction != "" {
			withAction++
		}
	}
	who := l.Ward
	if who == "" {
		who = "区"
	}
	var b []docgen.Block
	b = append(b, docgen.Heading{Level: 1, Text: title}, docgen.Paragraph{Align: docgen.AlignCenter, Runs: []docgen.Run{docgen.T("（職員向け説明資料）")}},
		docgen.Paragraph{Align: docgen.AlignRight, Runs: []docgen.Run{docgen.T(jp.FormatWareki(now))}})
	b = append(b, docgen.Heading{Level: 2, Text: "はじめに"})
	intro := fmt.Sprintf("%sは、%sを改正する準備を進めています（%s）。この資料は、改正の内容のうち、職員の皆さんの日々の業務に関係するものを、対象となる職員ごとにまとめたものです。",
		who, l.Title(), l.Version.Name())
	b = append(b, docgen.Paragraph{FirstIndent: true, Runs: []docgen.Run{docgen.T(intro)}})
	count := fmt.Sprintf("今回の改正は %d か所で、そのうち職員が新たに行うことがあるものは %d か所です。自分が対象となる項目を読み、「職員が行うこと」を確認してください。", len(views), withAction)
	if l.Base != nil {
		count += fmt.Sprintf("比較の基準は、現在の%s（%s）です。", l.Doc.Kind.Label(), l.Base.Name())
	}
	b = append(b, docgen.Paragraph{FirstIndent: true, Runs: []docgen.Run{docgen.T(count)}})
	b = append(b, docgen.Paragraph{FirstIndent: true, Runs: []docgen.Run{docgen.T("改正案の条文のうち、変わる部分には下線を引いています。")}})
	// Overview table.
	tb := docgen.Table{Caption: "改正の一覧", HeaderRows: 1, Columns: []docgen.Column{{Width: 1, Align: docgen.AlignCenter}, {Width: 5}, {Width: 3}, {Width: 7}}}
	head := docgen.Row{}
	for _, h := range []string{"No", "改正箇所", "対象者", "改正の理由"} {
		head.Cells = append(head.Cells, docgen.Cell{Runs: []docgen.Run{docgen.T(h)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter})
	}
	tb.Rows = append(tb.Rows, head)
	for i, v := range views {
		aud := AudienceLabels(v.Audiences)
		if aud == "" {
			aud = "—"
		}
		tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(fmt.Sprint(i + 1)), docgen.C(v.Title()), docgen.C(aud), docgen.C(trimRunes(v.Reason, 120))}})
	}
	b = append(b, tb)
	shown := map[int64]string{} // change → the audience section it was explained in
	for _, a := range Audiences {
		var group []changeView
		for _, v := range views {
			for _, va := range v.Audiences {
				if va == a {
					group = append(group, v)
				}
			}
		}
		if len(group) == 0 {
			continue
		}
		section := a.Label() + "に関係する改正"
		b = append(b, docgen.Heading{Level: 2, Text: section})
		for _, v := range group {
			if first, ok := shown[v.ID]; ok {
				b = append(b, briefingRepeat(v, first)...)
				continue
			}
			shown[v.ID] = section
			b = append(b, briefingChange(v)...)
		}
	}
	var rest []changeView
	for _, v := range views {
		if len(v.Audiences) == 0 {
			rest = append(rest, v)
		}
	}
	if len(rest) > 0 {
		b = append(b, docgen.Heading{Level: 2, Text: "その他の改正（職員の業務の進め方に直接は関係しないもの）"})
		for _, v := range rest {
			b = append(b, briefingChange(v)...)
		}
	}
	d.Sections = []docgen.Section{{Tab: "説明資料", Blocks: b}}
	return d, nil
}

// briefingRepeat refers back to a change already explained for another
// audience, repeating only what staff must do.
func briefingRepeat(v changeView, first string) []docgen.Block {
	b := []docgen.Block{docgen.Heading{Level: 3, Text: v.Title()},
		docgen.Paragraph{Indent: 1, Runs: []docgen.Run{docgen.T("改正の内容と理由は、「" + first + "」の同じ項目を参照してください。")}}}
	if v.StaffAction != "" {
		b = append(b, docgen.Paragraph{Runs: []docgen.Run{{Text: "■ 職員が行うこと（" + AudienceLabels(v.Audiences) + "）", Bold: true}}},
			docgen.Paragraph{Indent: 1, Runs: []docgen.Run{docgen.T(v.StaffAction)}})
	}
	return b
}

func briefingChange(v changeView) []docgen.Block {
	var b []docgen.Block
	b = append(b, docgen.Heading{Level: 3, Text: v.Title()})
	label := func(s string) docgen.Paragraph {
		return docgen.Paragraph{Runs: []docgen.Run{{Text: "■ " + s, Bold: true}}}
	}
	b = append(b, label("何が変わるか"))
	quote := func(segs []compare.Segment) {
		b = append(b, docgen.Paragraph{Indent: 2, Runs: append([]docgen.Run{docgen.T("・")}, segRuns(segs)...)})
	}
	pairs := v.Pairs
	more := 0
	if len(pairs) > briefingLimit {
		pairs, more = pairs[:briefingLimit], len(pairs)-briefingLimit
	}
	switch v.Kind {
	case ChangeInsert:
		b = append(b, docgen.Paragraph{Indent: 1, Runs: []docgen.Run{docgen.T("次の規定を新しく設けます。")}})
		for _, p := range pairs {
			quote(p.New)
		}
	case ChangeDelete:
		b = append(b, docgen.Paragraph{Indent: 1, Runs: []docgen.Run{docgen.T("次の規定を削除します。")}})
		for _, p := range pairs {
			quote(p.Old)
		}
	default:
		if len(pairs) == 0 {
			b = append(b, docgen.Paragraph{Indent: 1, Runs: []docgen.Run{docgen.T("規定の位置と番号が変わります。内容は変わりません。")}})
		}
		for _, p := range pairs {
			if p.Old != nil {
				b = append(b, docgen.Paragraph{Indent: 1, Runs: []docgen.Run{{Text: "改正前", Bold: true}}})
				quote(p.Old)
			}
			if p.New != nil {
				head := "改正後"
				if p.Old == nil {
					head = "改正後（新たに加わる文）"
				}
				b = append(b, docgen.Paragraph{Indent: 1, Runs: []docgen.Run{{Text: head, Bold: true}}})
				quote(p.New)
			} else {
				b = append(b, docgen.Paragraph{Indent: 1, Runs: []docgen.Run{{Text: "改正後", Bold: true}, docgen.T("　この文は削除されます。")}})
			}
		}
	}
	if more > 0 {
		msg := fmt.Sprintf("（ほか %d か所の変更があります。新旧対照表で確認してください。）", more)
		if v.Kind == ChangeInsert || v.Kind == ChangeDelete {
			msg = fmt.Sprintf("（ほか %d 文があります。全文は新旧対照表で確認してください。）", more)
		}
		b = append(b, docgen.Paragraph{Indent: 1, Runs: []docgen.Run{docgen.T(msg)}})
	}
	b = append(b, label("なぜ変わるか"), docgen.Paragraph{Indent: 1, Runs: []docgen.Run{docgen.T(v.Reason)}})
	if v.StaffAction != "" {
		aud := AudienceLabels(v.Audiences)
		b = append(b, label("職員が行うこと（"+aud+"）"), docgen.Paragraph{Indent: 1, Runs: []docgen.Run{docgen.T(v.StaffAction)}})
	}
	return b
}
