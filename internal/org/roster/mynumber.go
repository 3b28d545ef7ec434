package roster

import (
	"fmt"
	"strings"

	"mamori/internal/jp"
)

// refuseMyNumber refuses a table that carries 個人番号 (My Number): a column
// headed as such, or any column whose values are all twelve-digit numbers
// with a valid My Number check digit (at least three of them, so that a
// stray number does not trip it). Such data must not enter Mamori, so the
// whole file is refused rather than the column ignored.
func refuseMyNumber(t *Table) error {
	for i, f := range Recognise(t.Headers) {
		if f == FieldMyNumber {
			return &InputError{Line: t.HeaderLine, Msg: fmt.Sprintf(
				"「%s」の列があります。個人番号（マイナンバー）はこのシステムに取り込めません。列を削除したファイルで取り込み直してください。", t.Headers[i])}
		}
	}
	width := len(t.Headers)
	for _, r := range t.Rows {
		width = max(width, len(r.Cells))
	}
	for c := 0; c < width; c++ {
		n := 0
		for _, r := range t.Rows {
			v := r.Cell(c)
			if strings.TrimSpace(v) == "" {
				continue
			}
			if !isMyNumber(v) {
				n = -1
				break
			}
			n++
		}
		if n >= 3 {
			return &InputError{Line: t.HeaderLine, Msg: fmt.Sprintf(
				"「%s」の列に個人番号（マイナンバー）と思われる12桁の番号があります。個人番号はこのシステムに取り込めません。列を削除したファイルで取り込み直してください。", columnName(t.Headers, c))}
		}
	}
	return nil
}

// isMyNumber reports whether s (spaces and hyphens ignored) is twelve
// digits whose last is the My Number check digit (番号法施行令 第8条).
func isMyNumber(s string) bool {
	s = strings.NewReplacer(" ", "", "-", "").Replace(jp.Normalize(s))
	if len(s) != 12 {
		return false
	}
	sum := 0
	for n := 1; n <= 11; n++ {
		c := s[11-n]
		if c < '0' || c > '9' {
			return false
		}
		q := n + 1
		if n > 6 {
			q = n - 5
		}
		sum += int(c-'0') * q
	}
	check := 0
	if r := sum % 11; r > 1 {
		check = 11 - r
	}
	return s[11] == byte('0'+check)
}

// columnName is the header text of column i, or its letter (「F列」) when
// the header is blank.
func columnName(headers []string, i int) string {
	if i < len(headers) && headers[i] != "" {
		return headers[i]
	}
	return columnLetter(i) + "列"
}

// columnLetter is the spreadsheet letter of column i (0 → A, 26 → AA).
func columnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}
