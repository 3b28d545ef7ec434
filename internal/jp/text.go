package jp

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Normalize prepares s for matching headers and names: NFKC (full-width
// ASCII becomes ASCII, half-width katakana becomes full-width, ㈱ becomes
// (株)), zero-width characters (U+200B–U+200D, U+2060, U+FEFF) removed,
// leading and trailing white space trimmed, and every run of white space
// (including U+3000) collapsed to one ASCII space.
func Normalize(s string) string {
	s = norm.NFKC.String(s)
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff':
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// Key turns s into a lookup key for header synonyms: Normalize, then drop
// spaces, ASCII '-' and '_', the hyphen U+2010, the middle dot ・, and the
// brackets and colons ()（）「」[]【】:：, then lower-case ASCII letters.
// The katakana prolonged sound mark ー is kept, since it is part of words
// (so "氏名（カナ）", "氏名 カナ" and "氏名カナ" share a key, and "メール" keeps
// its ー).
func Key(s string) string {
	s = Normalize(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch r {
		case ' ', '-', '_', '\u2010', '・', '(', ')', '「', '」', '[', ']', '【', '】', ':':
			continue
		}
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isHalfKana reports whether r is in the half-width katakana block
// (U+FF61–U+FF9F, including ｡｢｣､･ and the voicing marks ﾞﾟ).
func isHalfKana(r rune) bool { return r >= 0xFF61 && r <= 0xFF9F }

// ToKatakana converts hiragana to katakana and half-width katakana to
// full-width katakana (ｶﾞ becomes ガ). Everything else, spaces included, is
// left as it is.
func ToKatakana(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case isHalfKana(r):
			j := i
			for j < len(s) {
				r2, n := utf8.DecodeRuneInString(s[j:])
				if !isHalfKana(r2) {
					break
				}
				j += n
			}
			b.WriteString(norm.NFKC.String(s[i:j]))
			i = j
			continue
		case r >= 'ぁ' && r <= 'ゖ', r == 'ゝ', r == 'ゞ':
			r += 'ァ' - 'ぁ'
		}
		if r == utf8.RuneError && size == 1 {
			b.WriteString(s[i : i+1])
		} else {
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// IsKana reports whether s consists only of hiragana, katakana (full- or
// half-width), the prolonged sound mark ー, the middle dot ・, and spaces
// (ASCII or U+3000), with at least one kana. The empty string is not kana.
func IsKana(s string) bool {
	kana := false
	for _, r := range s {
		switch {
		case r == ' ' || r == '\u3000' || r == '・' || r == '･':
		case r >= 'ぁ' && r <= 'ゖ', r >= '\u3099' && r <= 'ゟ', // hiragana, voicing marks, ゝゞゟ
			r >= 'ァ' && r <= 'ヺ', r >= 'ー' && r <= 'ヿ', // katakana, ー ヽヾヿ
			r >= 'ㇰ' && r <= 'ㇿ', // small katakana extension
			r >= 'ｦ' && r <= 'ﾟ': // half-width katakana incl. ｰ ﾞ ﾟ
			kana = true
		default:
			return false
		}
	}
	return kana
}

// runeWidth is the display width of one rune: 2 for East Asian Wide and
// Fullwidth characters, 0 for combining marks and invisible format
// characters (such as U+200B and the dakuten U+3099), 1 otherwise.
func runeWidth(r rune) int {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		if unicode.In(r, unicode.Mn, unicode.Me) { // U+3099/U+309A are W but combine
			return 0
		}
		return 2
	}
	if unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) {
		return 0
	}
	return 1
}

// DisplayWidth returns the number of terminal/monospace columns s occupies
// by East Asian Width: wide and full-width runes count 2, combining marks
// and zero-width format characters 0, everything else (ambiguous-width
// characters included) 1.
func DisplayWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// ellipsis is appended by TruncateWidth; it is counted as 2 columns.
const ellipsis = "…"

// TruncateWidth returns s unchanged if it fits in w columns; otherwise it
// cuts s so that the kept part plus "…" (counted as 2 columns) fits in w.
// When w is less than 2 there is no room for "…" and s is just cut to w
// columns; w <= 0 gives "".
func TruncateWidth(s string, w int) string {
	if DisplayWidth(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	budget, tail := w-2, ellipsis
	if w < 2 {
		budget, tail = w, ""
	}
	cur := 0
	for i, r := range s {
		rw := runeWidth(r)
		if cur+rw > budget {
			return s[:i] + tail
		}
		cur += rw
	}
	return s + tail // not reached: s did not fit
}

// HasControl reports whether s contains a C0 or C1 control character other
// than tab, line feed and carriage return (DEL included), or U+FFFD (which
// is also what invalid UTF-8 decodes as).
func HasControl(s string) bool {
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
		case r < 0x20, r >= 0x7F && r <= 0x9F, r == utf8.RuneError:
			return true
		}
	}
	return false
}

// CleanName tidies a person's name without changing its characters: it
// removes zero-width characters, widens half-width katakana, trims, and
// makes every run of white space one full-width space. Unlike Normalize it
// leaves compatibility ideographs and circled or enclosed characters alone,
// since those are how some people's names are registered (異体字).
func CleanName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\u2060' || r == '\ufeff':
			return -1
		}
		return r
	}, s)
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r >= 0xFF61 && r <= 0xFF9F {
			seg := string(r)
			// A half-width voiced mark joins the kana before it (ｶﾞ → ガ).
			if i+1 < len(rs) && (rs[i+1] == 0xFF9E || rs[i+1] == 0xFF9F) {
				seg += string(rs[i+1])
				i++
			}
			b.WriteString(norm.NFKC.String(seg))
			continue
		}
		b.WriteRune(r)
	}
	return strings.Join(strings.Fields(b.String()), "\u3000")
}

// FormatSize is a file's size as people read it: 1.2 MB, 8.4 KB, 512 バイト.
func FormatSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d バイト", n)
}
