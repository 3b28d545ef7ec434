package provision

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mamori/content"
)

// demoPolicy returns one of the demo ward's policy files.
func demoPolicy(t testing.TB, name string) []byte {
	t.Helper()
	b, err := content.FS.ReadFile("policy/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustParse parses text and fails the test on error.
func mustParse(t testing.TB, text string) (*Document, []Warning) {
	t.Helper()
	d, w, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, text)
	}
	return d, w
}

// countKinds counts the nodes of each kind.
func countKinds(d *Document) map[Kind]int {
	c := map[Kind]int{}
	d.Walk(func(n *Node, _ []*Node) bool {
		c[n.Kind]++
		return true
	})
	return c
}

// find returns the node at the given Path, or nil.
func find(d *Document, path string) *Node {
	var found *Node
	d.Walk(func(n *Node, anc []*Node) bool {
		if found == nil && n.Path(anc) == path {
			found = n
		}
		return found == nil
	})
	return found
}

// dump prints the tree without line numbers, for comparing documents.
func dump(d *Document) string {
	var b strings.Builder
	fmt.Fprintf(&b, "title=%q\n", d.Title)
	for _, p := range d.Preamble {
		fmt.Fprintf(&b, "pre=%q\n", p)
	}
	d.Walk(func(n *Node, anc []*Node) bool {
		fmt.Fprintf(&b, "%s%s label=%q num=%d br=%d cap=%q text=%q\n",
			strings.Repeat("  ", len(anc)), n.Kind, n.Label, n.Num, n.Branch, n.Caption, n.Text)
		return true
	})
	return b.String()
}

// sameTree fails the test when a and b differ (line numbers aside).
func sameTree(t testing.TB, what string, a, b *Document) {
	t.Helper()
	da, db := dump(a), dump(b)
	if da == db {
		return
	}
	la, lb := strings.Split(da, "\n"), strings.Split(db, "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			t.Fatalf("%s: trees differ at line %d:\n  %s\n  %s", what, i+1, x, y)
		}
	}
}

func warningsText(ws []Warning) string {
	var s []string
	for _, w := range ws {
		s = append(s, w.Msg)
	}
	return strings.Join(s, "\n")
}

// fixtureFiles lists the hand-made documents in testdata (not the fuzz
// corpus below it).
func fixtureFiles(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			out = append(out, filepath.Join("testdata", e.Name()))
		}
	}
	return out
}
