package xlsx

import (
	"math"
	"strings"
	"unicode/utf8"

	"mamori/internal/jp"
)

// Row heights. A spreadsheet program does not grow a row whose height
// the file sets, so each row's height is estimated here from its text,
// the column widths and the font size, for the two ways a ward's file is
// printed: with BIZ UDPゴシック installed (Excel on Windows, or LibreOffice
// with the face: a column unit is then about 8.3 pt, lines 1.0 em; taken
// narrower here, for Excel's pixel rounding), and LibreOffice without it,
// which measures the unit in DejaVu Sans (7.0 pt) and sets the lines in
// Noto Sans CJK (1.448 em) — measured in LibreOffice's PDFs. The taller
// of the two is the row's height: no printed row cuts its text, and a row
// is little taller than the program that needs most room needs.
type printer struct {
	unitPt float64 // a column unit in points
	padPt  float64 // the cell's inner margins, left and right together
	halfEm float64 // a half-width character (full-width ones are 1 em)
	lineEm float64 // line pitch ÷ font size
}

var printers = [...]printer{
	{unitPt: 7.0, padPt: 4, halfEm: 0.76, lineEm: 1.15}, // BIZ UDPゴシック (digits 0.76 em)
	{unitPt: 7.0, padPt: 4, halfEm: 0.65, lineEm: 1.45}, // LibreOffice with DejaVu Sans and Noto Sans CJK
}

// rowPadPt is the room above and below a cell's lines.
const rowPadPt = 3.0

// maxRowPt is the tallest row a sheet may have (Excel's limit).
const maxRowPt = 409.0

// textHeight is the height (points) a cell of text needs in a column
// units wide (the spanned columns' widths added) at size points.
func textHeight(text string, units, size float64) float64 {
	h := 0.0
	for _, p := range printers {
		avail := math.Max(size, units*p.unitPt-p.padPt)
		h = math.Max(h, float64(lineCount(text, avail, size, p.halfEm))*size*p.lineEm)
	}
	return h + rowPadPt
}

// rowHeight is the height of a row whose tallest cell needs need points
// (textHeight): an ordinary one-line row keeps the sheet's default height.
func rowHeight(need float64) float64 {
	if need <= defaultRowPt {
		return defaultRowPt
	}
	return math.Min(maxRowPt, math.Ceil(need))
}

// lineCount is how many lines text takes broken greedily into lines at
// most avail points wide at size points: full-width characters 1 em,
// half-width ones halfEm; a latin word or number stays whole (unless it
// is longer than a line), a character that may not start a line (、。）」
// and the like) stays with the one before it and one that may not end a
// line (（「) with the one after it, as both programs break Japanese text.
func lineCount(text string, avail, size, halfEm float64) int {
	n := 0
	for _, line := range strings.Split(text, "\n") {
		n += breakCount(line, avail, size, halfEm)
	}
	return n
}

func breakCount(line string, avail, size, halfEm float64) int {
	width := func(r rune) float64 {
		if jp.DisplayWidth(string(r)) >= 2 {
			return size
		}
		return size * halfEm
	}
	lines, x := 1, 0.0
	place := func(w float64) {
		if x > 0 && x+w > avail+0.01 {
			lines++
			x = 0
		}
		for w > avail+0.01 { // a piece longer than a line breaks anywhere
			lines++
			w -= avail
		}
		x += w
	}
	rs := []rune(line)
	for i := 0; i < len(rs); {
		j, w := i, 0.0
		switch {
		case isWordRune(rs[i]):
			for j < len(rs) && (isWordRune(rs[j]) || (j > i && strings.ContainsRune(",.:/%-", rs[j]))) {
				w += width(rs[j])
				j++
			}
		default:
			for j < len(rs) && strings.ContainsRune(noLineEnd, rs[j]) {
				w += width(rs[j])
				j++
			}
			if j < len(rs) {
				w += width(rs[j])
				j++
			}
		}
		for j < len(rs) && strings.ContainsRune(noLineStart, rs[j]) {
			w += width(rs[j])
			j++
		}
		place(w)
		i = j
	}
	return lines
}

func isWordRune(r rune) bool {
	return r < utf8.RuneSelf && (r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z')
}

// The characters Japanese line breaking keeps off the start of a line
// (closing brackets, punctuation, small kana, the prolonged sound mark)
// and off its end (opening brackets).
const (
	noLineStart = "、。，．・）」』】〕〉》ーゝゞヽヾ々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ！？：；,.)]:;!?%"
	noLineEnd   = "（「『【〔〈《([“‘"
)
