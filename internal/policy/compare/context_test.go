package compare

import (
	"strings"
	"testing"

	"mamori/content"
	"mamori/internal/docgen"
	"mamori/internal/policy/provision"
)

// demoPolicy parses the demo ward's 情報セキュリティ対策基準.
func demoPolicy(t testing.TB) *provision.Document {
	t.Helper()
	data, err := content.FS.ReadFile("policy/hinode-taisaku-kijun.md")
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := provision.Parse(string(data))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func chapter(t testing.TB, d *provision.Document, num int) *provision.Node {
	t.Helper()
	for _, n := range d.Nodes {
		if n.Kind == provision.Chapter && n.Num == num {
			return n
		}
	}
	t.Fatalf("no chapter %d", num)
	return nil
}

// articleIndex is the index of article num among the chapter's children.
func articleIndex(t testing.TB, ch *provision.Node, num int) int {
	t.Helper()
	for i, c := range ch.Children {
		if c.Kind == provision.Article && c.Num == num {
			return i
		}
	}
	t.Fatalf("no article %d in %s", num, ch.Heading())
	return -1
}

func insertAt(ns []*provision.Node, i int, n *provision.Node) []*provision.Node {
	return append(ns[:i:i], append([]*provision.Node{n}, ns[i:]...)...)
}

// genAI is a new article for the demo policy, inserted by an editor
// (Num 0: Renumber gives it its number).
func genAI() *provision.Node {
	return &provision.Node{Kind: provision.Article, Caption: "生成AIの利用", Children: []*provision.Node{
		{Kind: provision.Paragraph, Num: 1, Text: "職員等は、生成AIを用いたサービスを業務に利用する場合は、統括情報セキュリティ責任者が利用を認めたものに限り、機密性2以上の情報を入力してはならない。"},
		{Kind: provision.Paragraph, Label: "２", Num: 2, Text: "情報セキュリティ管理者は、生成AIにより作成した文書を区の文書として用いる場合は、その内容の正確性を職員等に確認させなければならない。"},
	}}
}

// demoInserted is the demo policy with a new article after 第24条 in
// 第5章 (the later articles renumbered, references rewritten).
func demoInserted(t testing.TB) (old, new *provision.Document) {
	old, new = demoPolicy(t), demoPolicy(t)
	ch := chapter(t, new, 5)
	ch.Children = insertAt(ch.Children, articleIndex(t, ch, 24)+1, genAI())
	provision.Renumber(new)
	return old, new
}

const (
	chapter1 = "第1章　組織体制"
	chapter5 = "第5章　人的セキュリティ"
	chapter6 = "第6章　技術的セキュリティ"
)

// cellText is the text of a docgen table cell.
func cellText(c docgen.Cell) string {
	var b strings.Builder
	for _, r := range c.Runs {
		b.WriteString(r.Text)
	}
	return b.String()
}

// tableRow finds the 新旧対照表 row whose new (or, when new is "", old)
// cell contains s, and returns its new and old cell texts.
func tableRow(t *testing.T, d *docgen.Document, s string) (newCell, oldCell string) {
	t.Helper()
	blocks := d.Sections[0].Blocks
	tb, ok := blocks[len(blocks)-1].(docgen.Table)
	if !ok {
		t.Fatalf("last block is %T, not the table", blocks[len(blocks)-1])
	}
	for _, row := range tb.Rows[tb.HeaderRows:] {
		n, o := cellText(row.Cells[0]), cellText(row.Cells[1])
		if strings.Contains(n, s) || strings.Contains(o, s) {
			return n, o
		}
	}
	t.Fatalf("no table row with %q", s)
	return "", ""
}

// contextAt is the context headings in effect at the 新旧対照表 row whose
// new (or old) cell contains s, each side's: the ones at the top of that
// row, or else of the nearest row above that prints any (a （略） row of
// the same chapter carries the chapter's heading when it comes first).
func contextAt(t *testing.T, d *docgen.Document, s string) (newCtx, oldCtx []string) {
	t.Helper()
	blocks := d.Sections[0].Blocks
	tb := blocks[len(blocks)-1].(docgen.Table)
	for _, row := range tb.Rows[tb.HeaderRows:] {
		n, o := cellText(row.Cells[0]), cellText(row.Cells[1])
		if c := contextOf(n); len(c) > 0 {
			newCtx = c
		}
		if c := contextOf(o); len(c) > 0 {
			oldCtx = c
		}
		if strings.Contains(n, s) || strings.Contains(o, s) {
			return newCtx, oldCtx
		}
	}
	t.Fatalf("no table row with %q", s)
	return nil, nil
}

// contextOf is the context heading lines at the top of a cell.
func contextOf(cell string) []string {
	var out []string
	for _, l := range strings.Split(cell, "\n") {
		if !strings.HasPrefix(l, headingPad(0)) || strings.HasPrefix(strings.TrimLeft(l, "　"), "（") {
			break
		}
		out = append(out, strings.TrimLeft(l, "　"))
	}
	return out
}

func wantContext(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%s: context headings %q, want %q", what, got, want)
	}
}

func findAdded(t *testing.T, r *Result, caption string) *Row {
	t.Helper()
	for i := range r.Rows {
		row := &r.Rows[i]
		if row.Status == Added && len(row.New) == 1 && row.New[0].Caption == caption {
			return row
		}
	}
	t.Fatalf("no added row for %s in:\n%s", caption, statuses(r))
	return nil
}

// An article inserted into 第5章: the old side of its row is in 第5章 of
// the old document too, never in the chapter printed last.
func TestContextAdded(t *testing.T) {
	old, new := demoInserted(t)
	r := Compare(old, new, Options{})
	add := findAdded(t, r, "生成AIの利用")
	if add.New[0].Label != "第25条" || add.Old != nil {
		t.Fatalf("added row: %s, old %v", add.New[0].Label, add.Old)
	}
	if add.NewContext != chapter5 || add.OldContext != chapter5 {
		t.Errorf("added row contexts new %q old %q, want %q on both", add.NewContext, add.OldContext, chapter5)
	}
	for _, opt := range []TableOptions{{}, {OmitSame: true, Remarks: true}, {OmitSame: true}} {
		d := Table(r, opt)
		_, o := tableRow(t, d, "（生成AIの利用）\n第25条")
		if strings.Contains(o, chapter1) || strings.Contains(o, "第4章") || strings.Contains(o, chapter6) {
			t.Errorf("%+v: old cell of the new article shows another chapter: %q", opt, o)
		}
		if opt.OmitSame {
			// Only changed rows are printed in full: the chapter is printed
			// on both sides, level, here or on the （略） row of the same
			// chapter above, and not repeated on the next row.
			nc, oc := contextAt(t, d, "（生成AIの利用）\n第25条")
			wantContext(t, "new", nc, chapter5)
			wantContext(t, "old", oc, chapter5)
			n2, o2 := tableRow(t, d, "庁舎外での作業）\n第26条")
			wantContext(t, "next new", contextOf(n2))
			wantContext(t, "next old", contextOf(o2))
			if !strings.Contains(o2, "庁舎外での作業）\n第25条") {
				t.Errorf("renumbered row old cell %q", o2)
			}
		}
		if !opt.Remarks && !strings.HasSuffix(o, addedMark) {
			t.Errorf("%+v: old cell %q lacks %s", opt, o, addedMark)
		}
	}
	// Appended after the chapter's last article, just before 第6章.
	old, new = demoPolicy(t), demoPolicy(t)
	ch := chapter(t, new, 5)
	ch.Children = append(ch.Children, genAI())
	provision.Renumber(new)
	r = Compare(old, new, Options{})
	if add := findAdded(t, r, "生成AIの利用"); add.New[0].Label != "第30条" || add.OldContext != chapter5 || add.NewContext != chapter5 {
		t.Errorf("appended: %s contexts new %q old %q", add.New[0].Label, add.NewContext, add.OldContext)
	}
}

// An article in a new chapter has no old chapter: its old side shows no
// heading at all.
func TestContextAddedChapter(t *testing.T) {
	old, new := demoPolicy(t), demoPolicy(t)
	k := -1
	for i, n := range new.Nodes {
		if n == chapter(t, new, 6) {
			k = i
		}
	}
	ch := &provision.Node{Kind: provision.Chapter, Caption: "新たな技術の利用", Children: []*provision.Node{genAI()}}
	new.Nodes = insertAt(new.Nodes, k, ch)
	provision.Renumber(new)
	r := Compare(old, new, Options{})
	add := findAdded(t, r, "生成AIの利用")
	if add.NewContext != "第6章　新たな技術の利用" || add.OldContext != "" {
		t.Errorf("contexts new %q old %q, want the new chapter and none", add.NewContext, add.OldContext)
	}
	for _, opt := range []TableOptions{{}, {OmitSame: true, Remarks: true}} {
		d := Table(r, opt)
		_, o := tableRow(t, d, "（生成AIの利用）\n第30条")
		wantContext(t, "old", contextOf(o))
		if strings.Contains(o, "章") {
			t.Errorf("%+v: old cell of an article in a new chapter shows a chapter: %q", opt, o)
		}
		// The renumbered chapter that follows is printed on both sides as
		// its own row, the context of the articles under it.
		n2, o2 := tableRow(t, d, "第7章　技術的セキュリティ")
		if strings.TrimLeft(o2, "　") != chapter6 || strings.Contains(n2, "条") {
			t.Errorf("%+v: renumbered chapter row new %q old %q", opt, n2, o2)
		}
		n3, o3 := tableRow(t, d, "（文書サーバ等の管理）\n第31条")
		wantContext(t, "old 第30条", contextOf(o3))
		wantContext(t, "new 第31条", contextOf(n3))
	}
}

// A deleted article: its new side is in the new document's chapter at
// that place, or shows none.
func TestContextDeleted(t *testing.T) {
	for _, c := range []struct {
		chapter, article int
		caption, want    string
	}{
		{5, 25, "情報資産等の庁舎外への持出し及び庁舎外での作業", chapter5}, // in the middle
		{6, 30, "文書サーバ等の管理", chapter6},               // first after the chapter heading
		{5, 29, "ID及びパスワード等の管理", chapter5},           // last before the next chapter
	} {
		old, new := demoPolicy(t), demoPolicy(t)
		ch := chapter(t, new, c.chapter)
		i := articleIndex(t, ch, c.article)
		ch.Children = append(ch.Children[:i:i], ch.Children[i+1:]...)
		provision.Renumber(new)
		r := Compare(old, new, Options{})
		del := findRow(t, r, Deleted)
		if del.Old[0].Caption != c.caption || del.OldContext != c.want || del.NewContext != c.want {
			t.Errorf("deleted 第%d条: %s contexts new %q old %q, want %q", c.article, del.Old[0].Caption, del.NewContext, del.OldContext, c.want)
		}
		d := Table(r, TableOptions{OmitSame: true, Remarks: true})
		n, _ := tableRow(t, d, c.caption)
		if strings.Contains(n, chapter1) {
			t.Errorf("deleted 第%d条: new cell shows another chapter: %q", c.article, n)
		}
		nc, oc := contextAt(t, d, c.caption)
		wantContext(t, "deleted old", oc, c.want)
		wantContext(t, "deleted new", nc, c.want)
	}
}

// A moved article keeps each side's own chapter.
func TestContextMoved(t *testing.T) {
	old, new := demoPolicy(t), demoPolicy(t)
	c5, c1 := chapter(t, new, 5), chapter(t, new, 1)
	i := articleIndex(t, c5, 27)
	moved := c5.Children[i]
	c5.Children = append(c5.Children[:i:i], c5.Children[i+1:]...)
	c1.Children = append(c1.Children, moved)
	provision.Renumber(new)
	r := Compare(old, new, Options{})
	mv := findRow(t, r, Moved)
	if mv.New[0].Caption != "研修及び訓練" || mv.NewContext != chapter1 || mv.OldContext != chapter5 {
		t.Fatalf("moved row %s: contexts new %q old %q", mv.New[0].Caption, mv.NewContext, mv.OldContext)
	}
	for _, opt := range []TableOptions{{}, {OmitSame: true, Remarks: true}} {
		d := Table(r, opt)
		n, o := tableRow(t, d, "（研修及び訓練）")
		if !strings.Contains(n, chapter1) || !strings.Contains(o, chapter5) || strings.Contains(o, chapter1) {
			t.Errorf("%+v: moved row new %q old %q", opt, firstLines(n), firstLines(o))
		}
	}
}

func firstLines(s string) string {
	l := strings.SplitN(s, "\n", 4)
	return strings.Join(l[:min(3, len(l))], "⏎")
}
