package provision

import (
	"testing"
	"unicode/utf8"

	"mamori/content"
)

// generatedPolicy returns a drafting-style policy of at least chars
// characters: the demo 対策基準's chapters repeated and renumbered, so that
// it has the demo's mix of articles, paragraphs, items and sub-items.
func generatedPolicy(chars int) string {
	b, err := content.FS.ReadFile("policy/hinode-taisaku-kijun.md")
	if err != nil {
		panic(err)
	}
	base, _, err := Parse(string(b))
	if err != nil {
		panic(err)
	}
	var chapters []*Node
	for _, n := range base.Nodes {
		if n.Kind == Chapter {
			chapters = append(chapters, n)
		}
	}
	d := &Document{Title: base.Title, Preamble: base.Preamble}
	for size := 0; size < chars; {
		for _, c := range chapters {
			c = c.Clone()
			d.Nodes = append(d.Nodes, c)
			size += utf8.RuneCountInString(c.Plain())
		}
	}
	Renumber(d)
	return d.Plain()
}

func TestGeneratedPolicy(t *testing.T) {
	text := generatedPolicy(300_000)
	if n := utf8.RuneCountInString(text); n < 300_000 || n > 400_000 {
		t.Fatalf("generated %d characters", n)
	}
	d, warns, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Fatalf("warnings on the generated policy: %s", warns[0].Msg)
	}
	if c := countKinds(d); c[Article] < 500 || c[Chapter] < 90 {
		t.Fatalf("generated policy has %d chapters, %d articles", c[Chapter], c[Article])
	}
}

// BenchmarkParse300K parses a 300,000-character policy. Target: well under
// 100 ms per parse.
func BenchmarkParse300K(b *testing.B) {
	text := generatedPolicy(300_000)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := Parse(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenumber300K renumbers a 300,000-character policy after an
// article is inserted near the start, references included.
func BenchmarkRenumber300K(b *testing.B) {
	d, _, err := Parse(generatedPolicy(300_000))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		c := d.Clone()
		ch := c.Nodes[0]
		ch.Children = append([]*Node{{Kind: Article, Caption: "新設", Children: []*Node{{Kind: Paragraph, Text: "新しい条。"}}}}, ch.Children...)
		b.StartTimer()
		if len(Renumber(c)) == 0 {
			b.Fatal("nothing renumbered")
		}
	}
}
