package jp

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

// Encoding is a text encoding Mamori reads and writes.
type Encoding int

// The encodings Mamori supports.
const (
	// UTF8 is UTF-8 without a byte order mark.
	UTF8 Encoding = iota
	// UTF8BOM is UTF-8 with a byte order mark, which Excel needs to open
	// a UTF-8 CSV correctly.
	UTF8BOM
	// ShiftJIS is Shift_JIS as Windows uses it: CP932 (Windows-31J),
	// including NEC and IBM extensions such as ① ㈱ 髙 﨑.
	ShiftJIS
)

// String returns the name shown to users: "UTF-8", "UTF-8 (BOM付き)" or
// "Shift_JIS".
func (e Encoding) String() string {
	switch e {
	case UTF8:
		return "UTF-8"
	case UTF8BOM:
		return "UTF-8 (BOM付き)"
	case ShiftJIS:
		return "Shift_JIS"
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

// ParseEncoding parses an encoding name, case-insensitively: "utf8",
// "utf-8", "utf8bom", "utf-8-bom", "sjis", "shift_jis", "cp932" (also
// "shift-jis", "windows-31j", "ms932", and the names String returns).
func ParseEncoding(s string) (Encoding, error) {
	k := strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', ' ', '(', ')', '（', '）':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
	switch k {
	case "utf8":
		return UTF8, nil
	case "utf8bom", "utf8bom付き", "utf8withbom", "utf8sig":
		return UTF8BOM, nil
	case "sjis", "shiftjis", "cp932", "windows31j", "ms932", "mskanji":
		return ShiftJIS, nil
	}
	return 0, fmt.Errorf("文字コード「%s」には対応していません。UTF-8、UTF-8 (BOM付き)、Shift_JIS のいずれかを指定してください。", strings.TrimSpace(s))
}

// TextError reports why a file could not be read as text. Msg is the
// complete Japanese message and already names the line where that applies.
type TextError struct {
	Line int    // 1-based line the problem was found on; 0 if it concerns the whole file
	Msg  string // message for the user, in Japanese
}

// Error returns Msg.
func (e *TextError) Error() string { return e.Msg }

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

const (
	msgUTF16  = "UTF-16 のファイルには対応していません。UTF-8 か Shift_JIS で保存してください。"
	msgBinary = "バイナリファイルのようです。CSV または XLSX を指定してください。"
)

// lineKind classifies one line of a file that is not valid UTF-8 as a whole.
type lineKind int

const (
	lineASCII   lineKind = iota // plain ASCII: fits either encoding
	lineUTF8                    // valid UTF-8 with multibyte characters
	lineSJIS                    // valid only as CP932
	lineGaiji                   // CP932 user-defined characters (外字)
	lineInvalid                 // neither
)

// DecodeText detects the encoding of b and returns its text as UTF-8, with
// a BOM removed and line endings kept as they are. Detection: a UTF-8 BOM
// gives UTF8BOM, otherwise valid UTF-8 gives UTF8, otherwise the bytes are
// decoded strictly as CP932 (ShiftJIS). An empty input is UTF8.
//
// It refuses, with a *TextError in Japanese: UTF-16 files; binary content
// (a NUL byte); bytes that are neither UTF-8 nor CP932, naming the line;
// CP932 user-defined characters (外字), naming the line; and files that mix
// UTF-8 and Shift_JIS lines, naming one line of each.
func DecodeText(b []byte) (string, Encoding, error) {
	if bytes.HasPrefix(b, bomUTF16LE) || bytes.HasPrefix(b, bomUTF16BE) {
		return "", 0, &TextError{Line: 1, Msg: msgUTF16}
	}
	enc := UTF8
	if bytes.HasPrefix(b, bomUTF8) {
		b, enc = b[len(bomUTF8):], UTF8BOM
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		if enc == UTF8 && looksUTF16(b) {
			return "", 0, &TextError{Line: 1, Msg: msgUTF16}
		}
		return "", 0, &TextError{Line: 1 + bytes.Count(b[:i], []byte{'\n'}), Msg: msgBinary}
	}
	if utf8.Valid(b) {
		return string(b), enc, nil
	}

	// Not UTF-8 as a whole: look at every line to tell a Shift_JIS file
	// from a damaged or mixed one.
	firstUTF8, firstSJIS := 0, 0
	if enc == UTF8BOM {
		firstUTF8 = 1 // the BOM declares UTF-8
	}
	for n, line := range bytes.SplitAfter(b, []byte{'\n'}) {
		no := n + 1
		switch classifyLine(line) {
		case lineInvalid:
			return "", 0, &TextError{Line: no, Msg: fmt.Sprintf("%d行目: Shift_JIS としても UTF-8 としても読めない文字があります", no)}
		case lineGaiji:
			return "", 0, &TextError{Line: no, Msg: fmt.Sprintf("%d行目: 外字（利用者定義文字）が含まれているため読み込めません。通常の文字に置き換えてください。", no)}
		case lineUTF8:
			if firstUTF8 == 0 {
				firstUTF8 = no
			}
		case lineSJIS:
			if firstSJIS == 0 {
				firstSJIS = no
			}
		}
	}
	if firstUTF8 != 0 && firstSJIS != 0 {
		a, aEnc, z, zEnc := firstUTF8, "UTF-8", firstSJIS, "Shift_JIS"
		if z < a {
			a, aEnc, z, zEnc = z, zEnc, a, aEnc
		}
		return "", 0, &TextError{Line: z, Msg: fmt.Sprintf("文字コードが混在しています（%d行目は %s、%d行目は %s）。どちらかに揃えて保存し直してください。", a, aEnc, z, zEnc)}
	}
	s, ok := decodeCP932(b)
	if !ok { // cannot happen: every line decoded on its own
		return "", 0, &TextError{Line: 0, Msg: "Shift_JIS として読めない文字があります"}
	}
	return s, ShiftJIS, nil
}

// looksUTF16 reports whether b looks like BOM-less UTF-16 text: within the
// first bytes, NULs sit (almost) only at even or only at odd offsets.
func looksUTF16(b []byte) bool {
	if len(b) > 512 {
		b = b[:512]
	}
	if len(b) < 4 {
		return false
	}
	var even, odd int
	for i, c := range b {
		if c == 0 {
			if i%2 == 0 {
				even++
			} else {
				odd++
			}
		}
	}
	pairs := len(b) / 2
	return (even*2 >= pairs && odd == 0) || (odd*2 >= pairs && even == 0)
}

// classifyLine decides which encoding a single line is written in. Many
// lines are valid in both encodings (UTF-8 Japanese usually decodes as
// CP932 mojibake, and short CP932 lines such as the half-width ﾃｲ = C3 B2 can
// be valid UTF-8); such a line counts as UTF-8 only if its UTF-8 reading
// looks like Japanese text.
func classifyLine(line []byte) lineKind {
	ascii := true
	for _, c := range line {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return lineASCII
	}
	isUTF8 := utf8.Valid(line)
	_, isSJIS := decodeCP932(line)
	switch {
	case isUTF8 && isSJIS:
		if plausibleUTF8(line) {
			return lineUTF8
		}
		return lineSJIS
	case isUTF8:
		return lineUTF8
	case isSJIS:
		return lineSJIS
	case hasGaiji(line):
		return lineGaiji
	}
	return lineInvalid
}

// plausibleUTF8 reports whether the valid UTF-8 line reads as Japanese
// text: every rune is from the blocks Japanese text draws on (ASCII,
// Latin-1, punctuation and symbols, CJK, kana, full-/half-width forms,
// emoji, variation selectors) and at least one is beyond Latin-1. CP932
// bytes misread as UTF-8 mostly land in Hangul, the private use area or rare
// scripts, or give only Latin-1 letters (ﾃｲ = C3 B2 = "ò").
func plausibleUTF8(line []byte) bool {
	wide := false
	for _, r := range string(line) {
		switch {
		case r <= 0xFF:
		case r >= 0x2010 && r <= 0x27BF, // punctuation, letterlike, arrows, maths, enclosed, box drawing, shapes
			r >= 0x3000 && r <= 0x30FF,                             // CJK punctuation, hiragana, katakana
			r >= 0x31F0 && r <= 0x33FF,                             // small kana, enclosed CJK, CJK compatibility (㈱ ㍻)
			r >= 0x4E00 && r <= 0x9FFF, r >= 0xF900 && r <= 0xFAFF, // CJK ideographs
			r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF, // variation selectors
			r >= 0xFF01 && r <= 0xFFEF,   // full-/half-width forms
			r >= 0x1F000 && r <= 0x1FAFF, // emoji
			r >= 0x20000 && r <= 0x3FFFF: // CJK extensions (𠮷)
			wide = true
		default:
			return false
		}
	}
	return wide
}

// hasGaiji reports whether the CP932 line contains a user-defined character
// (lead bytes F0–F9), walking it character by character.
func hasGaiji(line []byte) bool {
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c >= 0xF0 && c <= 0xF9:
			if i+1 < len(line) && line[i+1] >= 0x40 && line[i+1] <= 0xFC && line[i+1] != 0x7F {
				return true
			}
			return false
		case (c >= 0x81 && c <= 0x9F) || (c >= 0xE0 && c <= 0xFC):
			i++ // skip the trail byte
		}
	}
	return false
}

// decodeCP932 decodes b as CP932 and reports whether every byte sequence
// was valid: the x/text decoder turns invalid sequences into U+FFFD (which
// CP932 cannot encode, so it never appears legitimately) and the undefined
// single byte 0x80 into U+0080.
func decodeCP932(b []byte) (string, bool) {
	out, err := japanese.ShiftJIS.NewDecoder().Bytes(b)
	if err != nil {
		return "", false
	}
	if bytes.Contains(out, []byte("\uFFFD")) || bytes.Contains(out, []byte("\u0080")) {
		return "", false
	}
	return string(out), true
}
