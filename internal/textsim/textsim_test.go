package textsim

import (
	"math"
	"testing"
)

func TestSimilarity(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want float64
	}{
		{"サーバ等の管理", "サーバ等の管理", 1},
		// サー ーバ バ等 等の の管 管理 / サー ーバ バの の管 管理: 4 shared of 6+5.
		{"サーバ等の管理", "サーバの管理", 8.0 / 11},
		{"情報資産の分類", "物理的セキュリティ", 0},
		{"", "", 0},
		{"あ", "あ", 0}, // one character has no bigram
		// Repeated bigrams count once: ああああ is the set {ああ}.
		{"ああああ", "ああ", 1},
		{"abcd", "abce", 2.0 * 2 / 6},
	} {
		if got := Similarity(c.a, c.b); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("Similarity(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
		if got := Similarity(c.b, c.a); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("not symmetric: Similarity(%q, %q) = %v", c.b, c.a, got)
		}
	}
}

func TestGrams(t *testing.T) {
	g := OfString("ababa")
	if len(g) != 2 || g == nil || OfString("") == nil {
		t.Fatalf("set %v", g)
	}
	ab := uint64('a')<<32 | uint64('b')
	if !g.Has(ab) || g.Has(uint64('b')<<32|uint64('b')) {
		t.Fatal("Has")
	}
	if Common(g, OfString("xab")) != 1 {
		t.Fatal("Common")
	}
	if DiceBound(2, 6) != 0.5 || DiceBound(0, 0) != 0 {
		t.Fatal("DiceBound")
	}
	for _, c := range [][2]string{{"サーバ等の管理", "サーバの管理"}, {"abc", "xyz"}, {"条例", "条例施行規則"}} {
		a, b := OfString(c[0]), OfString(c[1])
		if Dice(a, b) > DiceBound(len(a), len(b)) {
			t.Errorf("bound below the value for %v", c)
		}
	}
}
