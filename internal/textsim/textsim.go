// Package textsim measures how alike two texts are: the Dice coefficient
// of their sets of character bigrams. It suits Japanese, which has no
// spaces to split words on: 「サーバ等の管理」 and 「サーバの管理」 share
// most of their two-character pieces. The catalogue pairs renamed clauses
// with it, the policy outputs pair changed sentences, and the policy
// comparison aligns provisions.
package textsim

import (
	"slices"
	"sort"
)

// Grams is the sorted set of a text's character bigrams, each pair of
// runes packed into one uint64. Computing it once lets a caller compare
// one text with many.
type Grams []uint64

// Of returns the bigram set of rs (empty, never nil, for fewer than two runes).
func Of(rs []rune) Grams {
	g := make(Grams, 0, len(rs))
	for i := 0; i+1 < len(rs); i++ {
		g = append(g, uint64(rs[i])<<32|uint64(rs[i+1]))
	}
	slices.Sort(g)
	return slices.Compact(g)
}

// OfString returns the bigram set of s.
func OfString(s string) Grams { return Of([]rune(s)) }

// Common counts the bigrams two sets share.
func Common(a, b Grams) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			n++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return n
}

// Has reports whether the set holds bigram v.
func (g Grams) Has(v uint64) bool {
	i := sort.Search(len(g), func(i int) bool { return g[i] >= v })
	return i < len(g) && g[i] == v
}

// Dice is 2·|a∩b| / (|a|+|b|): 1 for the same set, 0 for sets sharing
// nothing or both empty.
func Dice(a, b Grams) float64 {
	if len(a)+len(b) == 0 {
		return 0
	}
	return 2 * float64(Common(a, b)) / float64(len(a)+len(b))
}

// DiceBound is the most Dice can be for sets of sizes la and lb, so that
// a caller can skip pairs that cannot reach a threshold.
func DiceBound(la, lb int) float64 {
	if la+lb == 0 {
		return 0
	}
	return 2 * float64(min(la, lb)) / float64(la+lb)
}

// Similarity is the Dice coefficient of the bigram sets of a and b.
func Similarity(a, b string) float64 { return Dice(OfString(a), OfString(b)) }
