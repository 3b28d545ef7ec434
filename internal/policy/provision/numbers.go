package provision

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// numForm is how a number is written: 2, ２, 二, ②, ⑵, イ (あいうえお順)
// or ロ (いろは順).
type numForm int

const (
	formHalf    numForm = iota // 1 2 3
	formFull                   // １ ２ ３
	formKanji                  // 一 二 三 … 十二 百二
	formCircled                // ① ② ③
	formParen                  // ⑴ ⑵ ⑶ (one character with its brackets)
	formAiueo                  // ア イ ウ
	formIroha                  // イ ロ ハ
)

// aiueo is the katakana order Japanese drafting uses for 号の細分.
var aiueo = []rune("アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン")

// iroha is the older order, used for 号の細分 in national laws.
var iroha = []rune("イロハニホヘトチリヌルヲワカヨタレソツネナラムウヰノオクヤマケフコエテアサキユメミシヱヒモセス")

var kanjiDigits = []rune("〇一二三四五六七八九")

// kanaIndex returns the 1-based position of r in order, or 0.
func kanaIndex(order []rune, r rune) int {
	for i, k := range order {
		if k == r {
			return i + 1
		}
	}
	return 0
}

func isHalfDigit(r rune) bool { return r >= '0' && r <= '9' }
func isFullDigit(r rune) bool { return r >= '０' && r <= '９' }

// isKanjiNumeral reports whether r can be part of a number written in 漢数字.
func isKanjiNumeral(r rune) bool {
	return strings.ContainsRune("〇一二三四五六七八九十百千", r)
}

func isCircled(r rune) bool {
	return (r >= '①' && r <= '⑳') || (r >= '㉑' && r <= '㉟') || (r >= '㊱' && r <= '㊿')
}

func circledValue(r rune) int {
	switch {
	case r >= '①' && r <= '⑳':
		return int(r-'①') + 1
	case r >= '㉑' && r <= '㉟':
		return int(r-'㉑') + 21
	case r >= '㊱' && r <= '㊿':
		return int(r-'㊱') + 36
	}
	return 0
}

func isParenChar(r rune) bool { return r >= '⑴' && r <= '⒇' }

// scanNumber reads a number written in half-width, full-width or kanji
// digits at the start of s. It returns the value, the form, and the
// number of bytes read (0 when s does not start with a number). Forms are
// not mixed within one number.
func scanNumber(s string) (n int, form numForm, size int) {
	r, _ := utf8.DecodeRuneInString(s)
	switch {
	case isHalfDigit(r):
		form = formHalf
	case isFullDigit(r):
		form = formFull
	case isKanjiNumeral(r):
		form = formKanji
	default:
		return 0, 0, 0
	}
	end := 0
	for end < len(s) {
		r, w := utf8.DecodeRuneInString(s[end:])
		ok := false
		switch form {
		case formHalf:
			ok = isHalfDigit(r)
		case formFull:
			ok = isFullDigit(r)
		case formKanji:
			ok = isKanjiNumeral(r)
		}
		if !ok {
			break
		}
		end += w
		if end > 24 { // no provision number is this long
			return 0, 0, 0
		}
	}
	tok := s[:end]
	switch form {
	case formHalf:
		n, _ = strconv.Atoi(tok)
	case formFull:
		for _, r := range tok {
			n = n*10 + int(r-'０')
		}
	case formKanji:
		var ok bool
		if n, ok = kanjiValue(tok); !ok {
			return 0, 0, 0
		}
	}
	if n <= 0 {
		return 0, 0, 0
	}
	return n, form, end
}

// kanjiValue converts 漢数字 to a number: 十二 → 12, 百二 → 102,
// 二十 → 20, 千百十一 → 1111, and the digit-by-digit 一〇 → 10.
func kanjiValue(s string) (int, bool) {
	if !strings.ContainsAny(s, "十百千") {
		n := 0
		for _, r := range s {
			d := -1
			for i, k := range kanjiDigits {
				if k == r {
					d = i
				}
			}
			if d < 0 {
				return 0, false
			}
			n = n*10 + d
		}
		return n, true
	}
	total, digit := 0, -1
	last := 10000 // the previous multiplier, to refuse 十百
	for _, r := range s {
		switch r {
		case '十', '百', '千':
			m := map[rune]int{'十': 10, '百': 100, '千': 1000}[r]
			if m >= last {
				return 0, false
			}
			last = m
			if digit < 0 {
				digit = 1
			}
			total += digit * m
			digit = -1
		default:
			if digit >= 0 {
				return 0, false // two digits in a row with multipliers around
			}
			digit = 0
			for i, k := range kanjiDigits {
				if k == r {
					digit = i
				}
			}
		}
	}
	if digit > 0 {
		total += digit
	}
	return total, total > 0
}

// kanjiString writes n in 漢数字 the way statutes do: 12 → 十二, 102 → 百二.
func kanjiString(n int) string {
	if n <= 0 {
		return strconv.Itoa(n)
	}
	if n >= 10000 {
		return strconv.Itoa(n)
	}
	var b strings.Builder
	for _, u := range []struct {
		v int
		c string
	}{{1000, "千"}, {100, "百"}, {10, "十"}} {
		d := n / u.v
		n %= u.v
		if d == 0 {
			continue
		}
		if d > 1 {
			b.WriteRune(kanjiDigits[d])
		}
		b.WriteString(u.c)
	}
	if n > 0 {
		b.WriteRune(kanjiDigits[n])
	}
	return b.String()
}

// formatNumber writes n in the given form. Forms with a limited repertoire
// (circled numbers, katakana orders) fall back to half-width digits past
// their end.
func formatNumber(n int, form numForm) string {
	switch form {
	case formFull:
		var b strings.Builder
		for _, r := range strconv.Itoa(n) {
			b.WriteRune(r - '0' + '０')
		}
		return b.String()
	case formKanji:
		return kanjiString(n)
	case formCircled:
		switch {
		case n >= 1 && n <= 20:
			return string(rune('①' + n - 1))
		case n >= 21 && n <= 35:
			return string(rune('㉑' + n - 21))
		case n >= 36 && n <= 50:
			return string(rune('㊱' + n - 36))
		}
	case formParen:
		if n >= 1 && n <= 20 {
			return string(rune('⑴' + n - 1))
		}
		return "(" + strconv.Itoa(n) + ")"
	case formAiueo:
		if n >= 1 && n <= len(aiueo) {
			return string(aiueo[n-1])
		}
	case formIroha:
		if n >= 1 && n <= len(iroha) {
			return string(iroha[n-1])
		}
	}
	return strconv.Itoa(n)
}

// isSpace reports whether r is white space as drafting text uses it,
// including the ideographic space U+3000.
func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\u3000' || r == '\u00a0'
}

// trimSpace trims ASCII and ideographic white space (and stray CR).
func trimSpace(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return isSpace(r) || r == '\r' || r == '\ufeff' })
}

// runeLen counts the characters of s.
func runeLen(s string) int { return utf8.RuneCountInString(s) }
