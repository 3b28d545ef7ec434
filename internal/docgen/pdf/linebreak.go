package pdf

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// noStart are the characters a Japanese line must not start with (行頭禁則):
// closing brackets, punctuation, the prolonged sound mark, iteration marks
// and small kana, plus their ASCII counterparts.
const noStart = "、。，．）」』】〕〉》’”ー・：；？！ゝゞヽヾ々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ" +
	"］｝〙〗〟゠‐–〜～…‥" + ",.:;?!)]}%％"

// noEnd are the characters a line must not end with (行末禁則): opening brackets.
const noEnd = "（「『【〔〈《‘“［｛〘〖〝" + "([{"

func isNoStart(r rune) bool { return strings.ContainsRune(noStart, r) }
func isNoEnd(r rune) bool   { return strings.ContainsRune(noEnd, r) }

// span is a line's byte range in the text being broken.
type span struct{ start, end int }

// unit is the smallest piece the breaker keeps on one line: a UAX #14
// segment (a CJK character, or a latin word with its trailing spaces),
// joined with its neighbours where kinsoku forbids a break between them.
type unit struct {
	start, end int  // byte range, trailing spaces included
	trim       int  // end without trailing spaces
	hard       bool // a mandatory break follows
}

// breakText breaks text into lines no wider than width(lineIndex), using
// adv (the advance of the rune at a byte offset) to measure. Lines break
// at UAX #14 opportunities, never against the kinsoku rules unless a single
// piece is wider than the line, and latin words stay whole unless one
// word alone is wider than the line. Returned spans exclude trailing
// spaces and newline characters.
func breakText(text string, adv func(i int) float64, width func(line int) float64) []span {
	if text == "" {
		return []span{{0, 0}}
	}
	units := segment(text)
	var lines []span
	lineStart, lineW := -1, 0.0
	lineEnd := 0 // end (trimmed) of the last unit on the line
	flush := func() {
		if lineStart < 0 {
			lines = append(lines, span{lineEnd, lineEnd})
		} else {
			lines = append(lines, span{lineStart, lineEnd})
		}
		lineStart, lineW = -1, 0
	}
	measure := func(a, b int) float64 {
		var w float64
		for i := a; i < b; {
			_, n := utf8.DecodeRuneInString(text[i:])
			w += adv(i)
			i += n
		}
		return w
	}
	const eps = 1e-6
	for k := 0; k < len(units); k++ {
		u := units[k]
		avail := width(len(lines))
		w := measure(u.start, u.trim)
		switch {
		case lineStart >= 0 && lineW+w <= avail+eps:
			lineW += w + measure(u.trim, u.end)
			lineEnd = u.trim
		case lineStart >= 0:
			flush()
			k-- // retry on the next line
			continue
		case w <= avail+eps:
			lineStart, lineW, lineEnd = u.start, w+measure(u.trim, u.end), u.trim
		default:
			// One piece wider than the line: cut it between characters,
			// keeping kinsoku where a cut allows it.
			cut := cutPoint(text, u.start, u.trim, avail, adv)
			lineStart, lineEnd = u.start, cut
			flush()
			if cut < u.trim || cut < u.end {
				rest := u
				rest.start = cut
				for rest.start < rest.trim && text[rest.start] == ' ' {
					rest.start++
				}
				if rest.start < rest.trim {
					units[k] = rest
					k--
					continue
				}
			}
			if u.hard {
				lineEnd = u.end
				continue
			}
			continue
		}
		if u.hard {
			flush()
			lineEnd = u.end
		}
	}
	if lineStart >= 0 || len(lines) == 0 || units[len(units)-1].hard {
		flush()
	}
	// Strip newline characters left at line ends.
	for i := range lines {
		for lines[i].end > lines[i].start {
			r, n := utf8.DecodeLastRuneInString(text[lines[i].start:lines[i].end])
			if r != '\n' && r != '\r' && !unicode.IsSpace(r) {
				break
			}
			lines[i].end -= n
		}
	}
	return lines
}

// segment splits text into units: UAX #14 segments merged where kinsoku
// forbids a break.
func segment(text string) []unit {
	var units []unit
	state := -1
	rest := text
	pos := 0
	for len(rest) > 0 {
		var seg string
		var must bool
		seg, rest, must, state = uniseg.FirstLineSegmentInString(rest, state)
		u := unit{start: pos, end: pos + len(seg), hard: must && len(rest) > 0}
		if must && len(rest) == 0 {
			// The end of text is always a mandatory break; a real newline
			// at the very end still counts.
			r, _ := utf8.DecodeLastRuneInString(seg)
			u.hard = r == '\n' || r == '\r'
		}
		pos += len(seg)
		trimmed := strings.TrimRightFunc(seg, unicode.IsSpace)
		u.trim = u.start + len(trimmed)
		if n := len(units); n > 0 && !units[n-1].hard && joins(text, units[n-1], u) {
			units[n-1].end, units[n-1].trim, units[n-1].hard = u.end, u.trim, u.hard
			continue
		}
		units = append(units, u)
	}
	return units
}

// joins reports whether kinsoku forbids a break between units a and b.
func joins(text string, a, b unit) bool {
	if b.start == b.trim {
		return true // whitespace only
	}
	first, _ := utf8.DecodeRuneInString(text[b.start:])
	if isNoStart(first) {
		return true
	}
	if a.trim > a.start && a.trim == a.end { // no space between them
		last, _ := utf8.DecodeLastRuneInString(text[a.start:a.trim])
		if isNoEnd(last) {
			return true
		}
	}
	return false
}

// cutPoint is where to cut text[a:b] (wider than avail) so that the first
// part fits: the last grapheme boundary that fits and keeps kinsoku, else
// the last one that fits, and always after at least one grapheme.
func cutPoint(text string, a, b int, avail float64, adv func(i int) float64) int {
	var bounds []int // grapheme boundaries after a that fit
	w := 0.0
	state := -1
	rest := text[a:b]
	pos := a
	for len(rest) > 0 {
		var cl string
		cl, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		cw := 0.0
		for i := range len(cl) {
			if utf8.RuneStart(cl[i]) {
				cw += adv(pos + i)
			}
		}
		if w+cw > avail+1e-6 && len(bounds) > 0 {
			break
		}
		w += cw
		pos += len(cl)
		bounds = append(bounds, pos)
	}
	for i := len(bounds) - 1; i >= 0; i-- {
		p := bounds[i]
		if p >= b {
			continue
		}
		next, _ := utf8.DecodeRuneInString(text[p:])
		prev, _ := utf8.DecodeLastRuneInString(text[a:p])
		if !isNoStart(next) && !isNoEnd(prev) {
			return p
		}
	}
	return bounds[len(bounds)-1]
}

// BreakLines breaks text into lines no wider than width as measured by
// measure, with Japanese line-breaking rules (kinsoku): no line starts
// with closing brackets, punctuation, ー or small kana, none ends with an
// opening bracket, and latin words and numbers are not split unless one
// word alone is wider than the line. Trailing spaces and newlines are
// dropped; "\n" forces a break. Exposed so tests (and other renderers)
// can check every line.
func BreakLines(text string, width float64, measure func(string) float64) []string {
	cache := map[rune]float64{}
	adv := func(i int) float64 {
		r, _ := utf8.DecodeRuneInString(text[i:])
		w, ok := cache[r]
		if !ok {
			w = measure(string(r))
			cache[r] = w
		}
		return w
	}
	spans := breakText(text, adv, func(int) float64 { return width })
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = text[s.start:s.end]
	}
	return out
}
