package provision

import (
	"os"
	"path/filepath"
	"testing"
)

// roundTrip checks that Parse(d.Plain()) rebuilds d.
func roundTrip(t *testing.T, what string, d *Document) {
	t.Helper()
	again, _, err := Parse(d.Plain())
	if err != nil {
		t.Fatalf("%s: Parse(Plain()): %v", what, err)
	}
	sameTree(t, what, d, again)
	// and once more: Plain is stable
	if again.Plain() != d.Plain() {
		t.Errorf("%s: Plain() changed after a round trip", what)
	}
}

func TestRoundTrip(t *testing.T) {
	docs := map[string][]byte{
		"hinode-kihon-houshin.md": demoPolicy(t, "hinode-kihon-houshin.md"),
		"hinode-taisaku-kijun.md": demoPolicy(t, "hinode-taisaku-kijun.md"),
	}
	for _, f := range fixtureFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[filepath.Base(f)] = b
	}
	docs["built.docx"] = sampleDOCX(t)
	docs["generated.txt"] = []byte(generatedPolicy(20_000))
	if len(docs) < 9 {
		t.Fatalf("only %d documents", len(docs))
	}
	for name, b := range docs {
		t.Run(name, func(t *testing.T) {
			d, _, err := ReadFile(name, b)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, name, d)
			// Renumbering and cloning keep the property.
			c := d.Clone()
			Renumber(c)
			roundTrip(t, name+" renumbered", c)
		})
	}
}
