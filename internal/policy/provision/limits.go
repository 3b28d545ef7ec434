package provision

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of one import. A 10 MB file can hold far more than a regulation:
// a DOCX of a few hundred KB can inflate to tens of MB of text, which would
// make a preview of hundreds of MB. Reading stops as soon as a limit is
// passed. The largest regulations (例規集 of a whole ward) fit well within
// them; longer material is imported in parts.
const (
	// MaxChars is the most characters of text one import may hold.
	MaxChars = 2_000_000
	// MaxLines is the most lines (DOCX paragraphs) one import may hold.
	MaxLines = 100_000
	// MaxProvisions is the most provisions (章・条・項・号 … and
	// unnumbered text) one import may hold.
	MaxProvisions = 20_000
)

// maxParaXML caps the XML of one DOCX paragraph, so that a single huge
// text run is not buffered whole before its characters are counted.
const maxParaXML = 8 << 20

const (
	msgTooManyChars = "本文が長すぎます（%s 文字）。一度に取り込めるのは %s 文字までです。文書を分けて取り込んでください。"
	msgTooManyLines = "行が多すぎます（%s 行）。一度に取り込めるのは %s 行までです。文書を分けて取り込んでください。"
	msgDOCXChars    = "本文が長すぎます（word/document.xml の %d段落目までで %s 文字を超えました%s）。一度に取り込めるのは %s 文字までです。文書を分けて取り込んでください。"
	msgDOCXParas    = "段落が多すぎます（word/document.xml の段落が %s を超えました%s）。一度に取り込めるのは %s 段落までです。文書を分けて取り込んでください。"
	msgDOCXParaXML  = "word/document.xml の %d段落目が大きすぎます（1 段落の XML が %d MB を超えます）。Word で開けるか確かめ、保存し直してから取り込んでください。"
	msgProvisions   = "規定（章・条・項・号など）が多すぎます（少なくとも %s 個）。一度に取り込めるのは %s 個までです。文書を分けて取り込んでください。"
)

// comma writes n with thousands separators: 2000000 → "2,000,000".
func comma(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// checkText refuses text over the character or line limit, naming both
// the limit and the text's size.
func checkText(text string) error {
	if len(text) > MaxChars { // a byte count bounds the rune count
		if n := utf8.RuneCountInString(text); n > MaxChars {
			return &InputError{Msg: fmt.Sprintf(msgTooManyChars, comma(n), comma(MaxChars))}
		}
	}
	// Lines as splitLines counts them: LF, CRLF or CR.
	if n := strings.Count(text, "\n") + strings.Count(text, "\r") - strings.Count(text, "\r\n") + 1; n > MaxLines {
		return &InputError{Msg: fmt.Sprintf(msgTooManyLines, comma(n), comma(MaxLines))}
	}
	return nil
}

// docxBudget counts what a DOCX body has produced so far and stops reading
// at the first limit passed.
type docxBudget struct {
	chars, paras int
	inflated     uint64 // document.xml's size as its ZIP header gives it
}

// about is the document.xml size for messages ("" when unknown).
func (b *docxBudget) about() string {
	if b.inflated == 0 {
		return ""
	}
	return fmt.Sprintf("。word/document.xml は展開すると %.1f MB あります", float64(b.inflated)/(1<<20))
}

// para adds one finished paragraph (idx is its number in the body).
func (b *docxBudget) para(idx int, text string) error {
	b.paras++
	b.chars += utf8.RuneCountInString(text) + 1 // the line break after it
	switch {
	case b.chars > MaxChars:
		return &InputError{Line: idx, Msg: fmt.Sprintf(msgDOCXChars, idx, comma(MaxChars), b.about(), comma(MaxChars))}
	case b.paras > MaxLines:
		return &InputError{Line: idx, Msg: fmt.Sprintf(msgDOCXParas, comma(MaxLines), b.about(), comma(MaxLines))}
	}
	return nil
}

// capReader reads a DOCX part, failing with err when the part is longer
// than the cap, and with a paragraph error once one paragraph (bytes since
// the last reset) passes maxParaXML: inflation stops at the cap rather than
// at the end of the part.
type capReader struct {
	r      io.Reader
	left   int64 // bytes still allowed
	err    error
	since  int64 // bytes since the last paragraph ended
	paraAt func() int
	// failed is the limit error returned, if any: the XML decoder may
	// report a cut-off text as bad XML instead of passing it on.
	failed error
}

func (c *capReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.left <= 0 {
		// At the cap: too big unless the part ends right here.
		var one [1]byte
		if n, err := c.r.Read(one[:]); n == 0 {
			return 0, err // io.EOF, a read error, or nothing yet
		}
		c.failed = c.err
		return 0, c.err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	c.since += int64(n)
	if c.since > maxParaXML {
		c.failed = &InputError{Msg: fmt.Sprintf(msgDOCXParaXML, c.paraAt(), maxParaXML>>20)}
		return n, c.failed
	}
	return n, err
}
