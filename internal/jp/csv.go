package jp

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
)

// ReadCSV decodes b with DecodeText and parses it as CSV, returning the
// records and the detected encoding. Fields may be separated by commas or,
// when the first line contains tabs and no commas, by tabs. Quotes are
// parsed leniently, records may differ in length, and trailing records whose
// fields are all blank (such as ",,," lines spreadsheets leave) are dropped.
// Errors are *TextError values in Japanese naming the line.
func ReadCSV(b []byte) ([][]string, Encoding, error) {
	text, enc, err := DecodeText(b)
	if err != nil {
		return nil, 0, err
	}
	r := csv.NewReader(strings.NewReader(text))
	first, _, _ := strings.Cut(text, "\n")
	if strings.Contains(first, "\t") && !strings.Contains(first, ",") {
		r.Comma = '\t'
	}
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	r.ReuseRecord = false

	records, err := r.ReadAll()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			line := pe.StartLine
			if line == 0 {
				line = pe.Line
			}
			if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
				return nil, enc, &TextError{Line: line, Msg: fmt.Sprintf("%d行目: CSV の引用符（\"）の対応が取れていません", line)}
			}
			return nil, enc, &TextError{Line: line, Msg: fmt.Sprintf("%d行目: CSV の形式が正しくありません", line)}
		}
		return nil, enc, &TextError{Msg: "CSV を読み込めませんでした"}
	}
	// With LazyQuotes the reader never reports an unclosed quote: it
	// silently swallows the rest of the file into one cell. Catch that.
	if line := unclosedQuote(text, r.Comma); line > 0 {
		return nil, enc, &TextError{Line: line, Msg: fmt.Sprintf("%d行目: CSV の引用符（\"）の対応が取れていません", line)}
	}
	for len(records) > 0 && blankRecord(records[len(records)-1]) {
		records = records[:len(records)-1]
	}
	return records, enc, nil
}

// unclosedQuote scans text the way encoding/csv does with LazyQuotes and
// returns the 1-based line on which the record holding a quoted field that
// is still open at the end of the input starts, or 0 if every quoted field
// is closed. A quote inside a quoted field that is neither doubled nor
// followed by the separator or a line end is literal, as in LazyQuotes.
func unclosedQuote(text string, comma rune) int {
	sep := byte(comma)
	line, recLine := 1, 1
	fieldStart, quoted := true, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		if quoted {
			switch c {
			case '\n':
				line++
			case '"':
				rest := text[i+1:]
				switch {
				case strings.HasPrefix(rest, `"`):
					i++ // escaped quote
				case rest == "", rest[0] == sep, rest[0] == '\n', rest == "\r", strings.HasPrefix(rest, "\r\n"):
					quoted, fieldStart = false, false
				}
			}
			continue
		}
		switch {
		case c == '\n':
			line++
			recLine, fieldStart = line, true
		case c == sep:
			fieldStart = true
		case c == '"' && fieldStart:
			quoted, fieldStart = true, false
		default:
			fieldStart = false
		}
	}
	if quoted {
		return recLine
	}
	return 0
}

// blankRecord reports whether every field of rec is empty or white space.
func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// SafeCell neutralises spreadsheet formula injection: if s begins with
// '=', '+', '-', '@', a tab or a carriage return, it returns "'" + s so that
// Excel shows it as text; otherwise s unchanged. The rule is deliberately
// simple (OWASP's): numbers such as "-5" or "+81" are prefixed too, and
// leading white space is not skipped.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// sjisLookalikes maps characters CP932 lacks to the CP932 characters that
// look the same (the usual JIS-vs-Microsoft mapping differences).
var sjisLookalikes = map[rune]rune{
	'\u301C': '\uFF5E', // 〜 WAVE DASH → ～ FULLWIDTH TILDE
	'\u2212': '\uFF0D', // − MINUS SIGN → － FULLWIDTH HYPHEN-MINUS
	'\u2016': '\u2225', // ‖ DOUBLE VERTICAL LINE → ∥ PARALLEL TO
	'\u00A2': '\uFFE0', // ¢ → ￠
	'\u00A3': '\uFFE1', // £ → ￡
	'\u00AC': '\uFFE2', // ¬ → ￢
	'\u2014': '\u2015', // — EM DASH → ― HORIZONTAL BAR
	'\u00A5': '\uFFE5', // ¥ → ￥ (amounts keep their yen sign)
	'\u203E': '\uFFE3', // ‾ OVERLINE → ￣
	'\u00A0': ' ',      // NO-BREAK SPACE → space
}

// geta (〓) replaces characters Shift_JIS cannot represent.
const geta = '\u3013'

// CSVWriter writes CSV that Excel opens correctly: CRLF line endings, in the
// chosen encoding (UTF8BOM starts with a BOM; ShiftJIS is CP932, with
// look-alike substitutions and 〓 for characters it lacks), and every cell
// passed through SafeCell.
type CSVWriter struct {
	w        *bufio.Writer
	enc      Encoding
	buf      bytes.Buffer // one record as UTF-8 CSV (ShiftJIS only)
	cw       *csv.Writer
	sjis     *encoding.Encoder
	ok       map[rune]bool // CP932 encodability cache
	replaced int
	started  bool
	err      error
}

// NewCSVWriter returns a CSVWriter writing to w in enc. Output is buffered;
// call Flush when done.
func NewCSVWriter(w io.Writer, enc Encoding) *CSVWriter {
	c := &CSVWriter{w: bufio.NewWriter(w), enc: enc}
	if enc == ShiftJIS {
		c.cw = csv.NewWriter(&c.buf)
		c.sjis = japanese.ShiftJIS.NewEncoder()
		c.ok = make(map[rune]bool)
	} else {
		c.cw = csv.NewWriter(c.w)
	}
	c.cw.UseCRLF = true
	return c
}

// start writes the BOM for UTF8BOM, once.
func (c *CSVWriter) start() {
	if c.started {
		return
	}
	c.started = true
	if c.enc == UTF8BOM {
		if _, err := c.w.Write(bomUTF8); err != nil && c.err == nil {
			c.err = err
		}
	}
}

// Write writes one record.
func (c *CSVWriter) Write(record []string) error {
	if c.err != nil {
		return c.err
	}
	c.start()
	cells := make([]string, len(record))
	for i, s := range record {
		if c.enc == ShiftJIS {
			s = c.toCP932Repertoire(s)
		}
		cells[i] = SafeCell(s)
	}
	if err := c.cw.Write(cells); err != nil {
		c.err = err
		return err
	}
	if c.enc != ShiftJIS {
		return nil
	}
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		c.err = err
		return err
	}
	out, err := c.sjis.Bytes(c.buf.Bytes())
	c.buf.Reset()
	if err != nil {
		c.err = fmt.Errorf("Shift_JIS への変換に失敗しました: %w", err)
		return c.err
	}
	if _, err := c.w.Write(out); err != nil {
		c.err = err
		return err
	}
	return nil
}

// toCP932Repertoire rewrites s so that CP932 can encode every rune:
// look-alikes are substituted and anything else unencodable (including
// invalid UTF-8) becomes 〓, counted in c.replaced.
func (c *CSVWriter) toCP932Repertoire(s string) string {
	clean := true
	for _, r := range s {
		if r >= utf8.RuneSelf && !c.encodable(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				c.replaced++
				b.WriteRune(geta)
				continue
			}
		}
		if r >= utf8.RuneSelf && !c.encodable(r) {
			if m, ok := sjisLookalikes[r]; ok {
				r = m
			} else {
				c.replaced++
				r = geta
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// encodable reports whether CP932 has a code for r (r >= 0x80).
func (c *CSVWriter) encodable(r rune) bool {
	if r == utf8.RuneError {
		return false
	}
	ok, seen := c.ok[r]
	if !seen {
		var tmp [utf8.UTFMax]byte
		_, err := c.sjis.Bytes(tmp[:utf8.EncodeRune(tmp[:], r)])
		ok = err == nil
		c.ok[r] = ok
	}
	return ok
}

// Flush writes any buffered data to the underlying writer and returns the
// first error that occurred while writing, if any.
func (c *CSVWriter) Flush() error {
	if c.err != nil {
		return c.err
	}
	c.start()
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		c.err = err
		return err
	}
	if err := c.w.Flush(); err != nil {
		c.err = err
		return err
	}
	return c.err
}

// Replaced returns how many runes were written as 〓 because Shift_JIS
// cannot represent them (always 0 for the UTF-8 encodings).
func (c *CSVWriter) Replaced() int { return c.replaced }
