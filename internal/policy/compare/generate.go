package compare

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"mamori/content"
	"mamori/internal/policy/provision"
)

// corpus is drafting material taken from the demo ward's 対策基準.
type corpus struct {
	title     string
	chapters  []string
	captions  []string
	sentences []string
	items     []string
}

var (
	corpusOnce sync.Once
	theCorpus  corpus
)

func loadCorpus() *corpus {
	corpusOnce.Do(func() {
		c := &theCorpus
		data, err := content.FS.ReadFile("policy/hinode-taisaku-kijun.md")
		if err != nil {
			panic("compare: embedded policy content missing: " + err.Error())
		}
		d := readDrafting(string(data))
		c.title = d.Title
		d.Walk(func(n *provision.Node, _ []*provision.Node) bool {
			switch n.Kind {
			case provision.Chapter:
				c.chapters = append(c.chapters, n.Caption)
			case provision.Article:
				if n.Caption != "" {
					c.captions = append(c.captions, n.Caption)
				}
			case provision.Paragraph:
				for _, s := range sentences(n.Text) {
					c.sentences = append(c.sentences, s)
				}
			case provision.Item, provision.SubItem:
				c.items = append(c.items, n.Text)
			}
			return true
		})
	})
	return &theCorpus
}

// sentences splits text after each 。 outside brackets (（…。以下同じ。）
// stays within its sentence).
func sentences(text string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range text {
		switch r {
		case '（', '「', '『':
			depth++
		case '）', '」', '』':
			depth = max(depth-1, 0)
		case '。':
			if depth == 0 {
				out = append(out, text[start:i+len("。")])
				start = i + len("。")
			}
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

// GeneratePair builds a deterministic pair of regulations for speed
// measurements: an old one of about chars characters made of the demo
// ward's 対策基準 sentences (re-combined, so provisions do not repeat), and
// a new one with the given number of scattered changes — words, particles,
// numbers and punctuation changed, sentences and paragraphs added and
// removed, articles inserted, deleted, moved and retitled, the articles
// renumbered afterwards. The texts are the documents in drafting-style
// plain text.
func GeneratePair(chars, changes int, seed int64) (old, new *provision.Document, oldText, newText string) {
	c := loadCorpus()
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6d616d6f7269))
	g := &generator{c: c, rng: rng}
	old = g.document(chars)
	new = cloneDocument(old)
	for k := 0; k < changes; k++ {
		g.change(new)
	}
	relabel(new)
	return old, new, old.Plain(), new.Plain()
}

type generator struct {
	c   *corpus
	rng *rand.Rand
}

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// paragraphText is one or two sentences of the corpus.
func (g *generator) paragraphText() string {
	s := g.pick(g.c.sentences)
	if g.rng.IntN(3) == 0 {
		s += g.pick(g.c.sentences)
	}
	return s
}

func (g *generator) article() *provision.Node {
	a := &provision.Node{Kind: provision.Article, Caption: g.pick(g.c.captions)}
	np := 1 + g.rng.IntN(5)
	for p := 0; p < np; p++ {
		para := &provision.Node{Kind: provision.Paragraph, Text: g.paragraphText()}
		if p > 0 && g.rng.IntN(4) == 0 {
			para.Text = strings.TrimSuffix(para.Text, "。") + "。この場合において、次に掲げる事項を定めるものとする。"
			ni := 2 + g.rng.IntN(4)
			for i := 0; i < ni; i++ {
				para.Children = append(para.Children, &provision.Node{Kind: provision.Item, Text: g.pick(g.c.items)})
			}
		}
		a.Children = append(a.Children, para)
	}
	return a
}

func (g *generator) document(chars int) *provision.Document {
	d := &provision.Document{Title: g.c.title + "（性能測定用）", Preamble: []string{"（令和8年3月25日ひので区情報セキュリティ委員会決定）"}}
	size := 0
	round := 0
	for size < chars {
		ch := g.c.chapters[len(d.Nodes)%len(g.c.chapters)]
		if round = len(d.Nodes) / len(g.c.chapters); round > 0 {
			ch += "（その" + strconv.Itoa(round+1) + "）"
		}
		chapter := &provision.Node{Kind: provision.Chapter, Caption: ch}
		na := 6 + g.rng.IntN(7)
		for k := 0; k < na && size < chars; k++ {
			a := g.article()
			chapter.Children = append(chapter.Children, a)
			size += utf8.RuneCountInString(a.Plain()) + 2
		}
		d.Nodes = append(d.Nodes, chapter)
	}
	d.Nodes = append(d.Nodes, &provision.Node{Kind: provision.Supplementary, Children: []*provision.Node{
		{Kind: provision.Paragraph, Num: 1, Text: "この対策基準は、令和8年4月1日から施行する。"}}})
	relabel(d)
	return d
}

// substitutions are edits a revision typically makes to wording.
var substitutions = [][2]string{
	{"速やかに", "直ちに"}, {"しなければならない", "するものとする"}, {"者が", "者は"}, {"毎年度", "定期的に"},
	{"及び", "並びに"}, {"又は", "若しくは"}, {"必要に応じて", "適宜"}, {"報告し", "連絡し"}, {"を行う", "を実施する"},
	{"管理者", "責任者"}, {"定め", "規定し"}, {"ことができる", "ものとする"}, {"適切に", "確実に"}, {"職員等", "職員"},
	{"情報システム", "情報処理システム"}, {"確認し", "点検し"}, {"のため", "のために"},
}

var reNumber = regexp.MustCompile(`[0-9０-９]+`)

// texts lists pointers to the provision texts inside an article.
func texts(a *provision.Node) []*string {
	var out []*string
	var rec func(n *provision.Node)
	rec = func(n *provision.Node) {
		if n.Kind != provision.Article && n.Text != "" {
			out = append(out, &n.Text)
		}
		for _, c := range n.Children {
			rec(c)
		}
	}
	rec(a)
	return out
}

// articles lists the articles of the main body with their chapters.
func articles(d *provision.Document) (arts []*provision.Node, parents []*provision.Node) {
	for _, ch := range d.Nodes {
		if ch.Kind != provision.Chapter {
			continue
		}
		for _, a := range ch.Children {
			arts = append(arts, a)
			parents = append(parents, ch)
		}
	}
	return arts, parents
}

func indexOf(ns []*provision.Node, n *provision.Node) int {
	for i, x := range ns {
		if x == n {
			return i
		}
	}
	return -1
}

func remove(ns []*provision.Node, i int) []*provision.Node {
	return append(ns[:i:i], ns[i+1:]...)
}

func insert(ns []*provision.Node, i int, n *provision.Node) []*provision.Node {
	out := append(ns[:i:i], n)
	return append(out, ns[i:]...)
}

// change makes one random change to d.
func (g *generator) change(d *provision.Document) {
	arts, parents := articles(d)
	k := g.rng.IntN(len(arts))
	a, ch := arts[k], parents[k]
	switch x := g.rng.IntN(100); {
	case x < 36:
		g.reword(a)
	case x < 46:
		g.punctuate(a)
	case x < 58: // add a sentence
		ts := texts(a)
		t := ts[g.rng.IntN(len(ts))]
		*t += g.pick(g.c.sentences)
	case x < 66: // remove a sentence or a paragraph
		t := texts(a)
		p := t[g.rng.IntN(len(t))]
		if ss := sentences(*p); len(ss) >= 2 {
			i := g.rng.IntN(len(ss))
			*p = strings.Join(remove2(ss, i), "")
		} else if len(a.Children) >= 2 {
			a.Children = remove(a.Children, 1+g.rng.IntN(len(a.Children)-1))
		} else {
			g.reword(a)
		}
	case x < 74: // add a paragraph
		i := 1 + g.rng.IntN(len(a.Children))
		a.Children = insert(a.Children, i, &provision.Node{Kind: provision.Paragraph, Text: g.paragraphText()})
	case x < 84: // insert an article
		i := indexOf(ch.Children, a)
		ch.Children = insert(ch.Children, i+1, g.article())
	case x < 91: // delete an article
		if len(ch.Children) > 1 {
			ch.Children = remove(ch.Children, indexOf(ch.Children, a))
		} else {
			g.reword(a)
		}
	case x < 96: // move an article up to 15 places
		if len(ch.Children) < 2 {
			g.reword(a)
			return
		}
		ch.Children = remove(ch.Children, indexOf(ch.Children, a))
		to := min(max(k+g.rng.IntN(31)-15, 0), len(arts)-2)
		arts2, parents2 := articles(d)
		dest := parents2[to]
		dest.Children = insert(dest.Children, indexOf(dest.Children, arts2[to])+1, a)
	default: // retitle
		if strings.HasSuffix(a.Caption, "等") {
			a.Caption = g.pick(g.c.captions)
		} else {
			a.Caption += "等"
		}
	}
}

func remove2(ss []string, i int) []string { return append(ss[:i:i], ss[i+1:]...) }

// reword changes a word, a particle or a number in one provision of a.
func (g *generator) reword(a *provision.Node) {
	ts := texts(a)
	p := ts[g.rng.IntN(len(ts))]
	if g.rng.IntN(5) == 0 {
		if locs := reNumber.FindAllStringIndex(*p, -1); len(locs) > 0 {
			l := locs[g.rng.IntN(len(locs))]
			n, _ := strconv.Atoi(toHalf((*p)[l[0]:l[1]]))
			*p = (*p)[:l[0]] + strconv.Itoa(n+1+g.rng.IntN(9)) + (*p)[l[1]:]
			return
		}
	}
	start := g.rng.IntN(len(substitutions))
	for k := range substitutions {
		s := substitutions[(start+k)%len(substitutions)]
		if locs := indexAll(*p, s[0]); len(locs) > 0 {
			i := locs[g.rng.IntN(len(locs))]
			*p = (*p)[:i] + s[1] + (*p)[i+len(s[0]):]
			return
		}
	}
	*p = "原則として、" + *p
}

// punctuate adds a 読点 after a は, or removes one.
func (g *generator) punctuate(a *provision.Node) {
	ts := texts(a)
	p := ts[g.rng.IntN(len(ts))]
	if locs := indexAll(*p, "、"); len(locs) > 0 && g.rng.IntN(2) == 0 {
		i := locs[g.rng.IntN(len(locs))]
		*p = (*p)[:i] + (*p)[i+len("、"):]
		return
	}
	var cands []int
	for _, i := range indexAll(*p, "は") {
		if !strings.HasPrefix((*p)[i+len("は"):], "、") {
			cands = append(cands, i+len("は"))
		}
	}
	if len(cands) == 0 {
		*p = strings.Replace(*p, "、", "", 1)
		return
	}
	i := cands[g.rng.IntN(len(cands))]
	*p = (*p)[:i] + "、" + (*p)[i:]
}

func indexAll(s, sub string) []int {
	var out []int
	for off := 0; ; {
		i := strings.Index(s[off:], sub)
		if i < 0 {
			return out
		}
		out = append(out, off+i)
		off += i + len(sub)
	}
}

func toHalf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, s)
}

func fullDigits(n int) string {
	return strings.Map(func(r rune) rune { return r - '0' + '０' }, strconv.Itoa(n))
}

// relabel numbers chapters, articles, paragraphs and items from their
// positions in the style of the demo ward's policy.
func relabel(d *provision.Document) {
	art := 0
	for ci, ch := range d.Nodes {
		if ch.Kind == provision.Chapter {
			ch.Num, ch.Label = ci+1, fmt.Sprintf("第%d章", ci+1)
		}
		for _, a := range ch.Children {
			if a.Kind == provision.Article {
				art++
				a.Num, a.Label = art, fmt.Sprintf("第%d条", art)
			}
			for pi, p := range a.Children {
				if p.Kind != provision.Paragraph {
					continue
				}
				p.Num, p.Label = pi+1, ""
				if pi > 0 {
					p.Label = fullDigits(pi + 1)
				}
				for ii, it := range p.Children {
					it.Num, it.Label = ii+1, fmt.Sprintf("（%d）", ii+1)
				}
			}
		}
	}
}

// cloneDocument deep-copies a document.
func cloneDocument(d *provision.Document) *provision.Document {
	c := &provision.Document{Title: d.Title, Preamble: append([]string(nil), d.Preamble...)}
	var clone func(n *provision.Node) *provision.Node
	clone = func(n *provision.Node) *provision.Node {
		m := *n
		m.Children = nil
		for _, ch := range n.Children {
			m.Children = append(m.Children, clone(ch))
		}
		return &m
	}
	for _, n := range d.Nodes {
		c.Nodes = append(c.Nodes, clone(n))
	}
	return c
}
