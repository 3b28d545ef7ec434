package jp

import "strings"

// Fold prepares text for matching: Normalize (NFKC: full- and half-width
// alike), hiragana and half-width katakana as katakana, ASCII lower case.
// Spaces are kept as single ASCII spaces.
func Fold(s string) string { return strings.ToLower(ToKatakana(Normalize(s))) }

// SearchText is the stored side of a search: each field folded with its
// spaces removed (so 「田中 亮」 matches 「田中亮」 and 「田中　亮」),
// the fields joined by a line break so that a word never spans two fields.
func SearchText(fields ...string) string {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strings.ReplaceAll(Fold(f), " ", ""))
	}
	return b.String()
}

// SearchWords splits a query into folded words, each of which must appear
// in a SearchText; the LIKE wildcards % and _ and the escape \ are dropped
// (over-matching a filter is harmless). A query of 「田中 亮」 gives two
// words, both found in 「田中亮」.
func SearchWords(q string) []string {
	var out []string
	for _, w := range strings.Fields(Fold(q)) {
		w = strings.NewReplacer("%", "", "_", "", `\`, "").Replace(w)
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

// MatchWords reports whether every word is in text (a SearchText): the
// in-memory twin of the SQL condition, for lists filtered in Go.
func MatchWords(text string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}
