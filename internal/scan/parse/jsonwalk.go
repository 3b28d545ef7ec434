package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// lineCounter counts the lines read and keeps the last few chunks, so
// that a byte offset the JSON decoder reports can be turned into a line.
type lineCounter struct {
	r     io.Reader
	off   int64 // bytes read so far
	lines int   // newlines among them
	ring  [8]chunk
	next  int
}

type chunk struct {
	start int64
	lines int
	data  []byte
}

// maxChunk caps one read, so the kept history stays small.
const maxChunk = 64 << 10

func (c *lineCounter) Read(p []byte) (int, error) {
	if len(p) > maxChunk {
		p = p[:maxChunk]
	}
	n, err := c.r.Read(p)
	if n > 0 {
		ch := &c.ring[c.next]
		c.next = (c.next + 1) % len(c.ring)
		ch.start, ch.lines = c.off, c.lines
		ch.data = append(ch.data[:0], p[:n]...)
		c.off += int64(n)
		c.lines += bytes.Count(p[:n], []byte{'\n'})
	}
	return n, err
}

// lineAt returns the 1-based line of byte offset off, or 0 when it is
// no longer in the kept history.
func (c *lineCounter) lineAt(off int64) int {
	for i := range c.ring {
		ch := &c.ring[i]
		if ch.data == nil || off < ch.start || off > ch.start+int64(len(ch.data)) {
			continue
		}
		return ch.lines + bytes.Count(ch.data[:off-ch.start], []byte{'\n'}) + 1
	}
	return 0
}

// jsonReader walks a JSON document with json.Decoder's token API and
// decodes the interesting elements one at a time.
type jsonReader struct {
	lc     *lineCounter
	dec    *json.Decoder
	format Format
}

func newJSONReader(r io.Reader, f Format) *jsonReader {
	lc := &lineCounter{r: r}
	return &jsonReader{lc: lc, dec: json.NewDecoder(lc), format: f}
}

// first reads the first token of the document: an empty file and a file
// that is not JSON at all get their own errors.
func (j *jsonReader) first() (json.Token, error) {
	t, err := j.dec.Token()
	if err == io.EOF {
		return nil, &Error{Format: j.format, Msg: msgEmpty}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return nil, &Error{Format: j.format, Line: j.lc.lineAt(max(se.Offset-1, 0)), Msg: j.format.Label() + " ではありません（JSON ファイルではありません）"}
	}
	if err != nil {
		return nil, j.fail(err, -1)
	}
	return t, nil
}

// notFormat is the error for JSON of another kind.
func (j *jsonReader) notFormat(why string) error {
	return &Error{Format: j.format, Msg: fmt.Sprintf("%s ではありません（%s）", j.format.Label(), why)}
}

// tok returns the next token.
func (j *jsonReader) tok() (json.Token, error) {
	t, err := j.dec.Token()
	if err != nil {
		return nil, j.fail(err, -1)
	}
	return t, nil
}

// decode decodes the next value into v.
func (j *jsonReader) decode(v any) error {
	base := j.dec.InputOffset()
	if err := j.dec.Decode(v); err != nil {
		return j.fail(err, base)
	}
	return nil
}

// line is the line the decoder has reached.
func (j *jsonReader) line() int { return j.lc.lineAt(j.dec.InputOffset()) }

// skip reads and discards the next value, token by token (so that large
// values such as Trivy's package lists are never held whole).
func (j *jsonReader) skip() error {
	depth := 0
	for {
		t, err := j.tok()
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
				if depth > maxDepth {
					return &Error{Format: j.format, Line: j.line(), Msg: fmt.Sprintf(msgDepth, maxDepth)}
				}
			default:
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// object calls fn for every member of the object whose '{' has just been
// read; fn must consume the member's value. It reads the closing '}'.
func (j *jsonReader) object(fn func(key string) error) error {
	for j.dec.More() {
		t, err := j.tok()
		if err != nil {
			return err
		}
		key, ok := t.(string)
		if !ok {
			return &Error{Format: j.format, Line: j.line(), Msg: "JSON の形式が正しくありません"}
		}
		if err := fn(key); err != nil {
			return err
		}
	}
	t, err := j.tok()
	if err != nil {
		return err
	}
	if t != json.Delim('}') {
		return &Error{Format: j.format, Line: j.line(), Msg: "JSON の形式が正しくありません"}
	}
	return nil
}

// array reads an array (or null) named name and calls fn before each
// element; fn must consume the element.
func (j *jsonReader) array(name string, fn func() error) error {
	t, err := j.tok()
	if err != nil {
		return err
	}
	if t == nil {
		return nil
	}
	if t != json.Delim('[') {
		return &Error{Format: j.format, Line: j.line(), Msg: fmt.Sprintf("「%s」が配列ではありません", name)}
	}
	for j.dec.More() {
		if err := fn(); err != nil {
			return err
		}
	}
	_, err = j.tok() // ']'
	return err
}

// openObject reads the '{' of an object, or null (ok false).
func (j *jsonReader) openObject(name string) (ok bool, err error) {
	t, err := j.tok()
	if err != nil {
		return false, err
	}
	if t == nil {
		return false, nil
	}
	if t != json.Delim('{') {
		return false, &Error{Format: j.format, Line: j.line(), Msg: fmt.Sprintf("「%s」がオブジェクトではありません", name)}
	}
	return true, nil
}

// fail turns a decoding error into a *Error naming the line. base is the
// input offset where Decode started (its offsets are relative), or -1.
func (j *jsonReader) fail(err error, base int64) error {
	var pe *Error
	if errors.As(err, &pe) || errors.Is(err, errTooLarge) {
		return err
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Format: j.format, Line: j.lc.lines + 1, Msg: msgTruncated}
	case errors.As(err, &se):
		msg := se.Error()
		if strings.Contains(msg, "unexpected end of JSON input") {
			return &Error{Format: j.format, Line: j.lc.lines + 1, Msg: msgTruncated}
		}
		line := 0
		if base < 0 {
			line = j.lc.lineAt(max(se.Offset-1, 0))
		} else {
			line = j.relocate(base)
		}
		if strings.Contains(msg, "exceeded max depth") {
			return &Error{Format: j.format, Line: line, Msg: fmt.Sprintf(msgDepth, maxDepth)}
		}
		return &Error{Format: j.format, Line: line, Msg: "JSON の構文が正しくありません（" + msg + "）"}
	case errors.As(err, &te):
		off := te.Offset
		if base >= 0 {
			off += base + int64(j.leading(base))
		}
		field := te.Field
		if field == "" {
			field = "（値）"
		}
		return &Error{Format: j.format, Line: j.lc.lineAt(off), Msg: fmt.Sprintf("項目「%s」の値の型が正しくありません（%s ではなく %s です）", field, jsonTypeName(te.Type.Kind().String()), te.Value)}
	}
	return &Error{Format: j.format, Line: j.line(), Msg: "JSON を読み込めません（" + err.Error() + "）"}
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "文字列"
	case "int", "int64", "float64":
		return "数値"
	case "slice":
		return "配列"
	case "struct", "map":
		return "オブジェクト"
	case "bool":
		return "真偽値"
	}
	return kind
}

// history returns the bytes read from offset from on, if they are all
// still kept.
func (c *lineCounter) history(from int64) []byte {
	var out []byte
	pos := from
	for range c.ring {
		found := false
		for i := range c.ring {
			ch := &c.ring[i]
			if ch.data != nil && pos >= ch.start && pos < ch.start+int64(len(ch.data)) {
				out = append(out, ch.data[pos-ch.start:]...)
				pos = ch.start + int64(len(ch.data))
				found = true
				break
			}
		}
		if !found || pos >= c.off {
			break
		}
	}
	if pos != c.off {
		return nil
	}
	return out
}

// leading counts the white space and separators (',' ':') before the
// value Decode started at base.
func (j *jsonReader) leading(base int64) int {
	h := j.lc.history(base)
	n := 0
	for n < len(h) && (h[n] == ' ' || h[n] == '\t' || h[n] == '\r' || h[n] == '\n' || h[n] == ',' || h[n] == ':') {
		n++
	}
	return n
}

// relocate finds the line of a syntax error inside the value Decode
// started at base: json.Decoder's offsets there count only the bytes
// Decode itself scanned, so the value is scanned again from the kept
// history. It returns 0 when that is no longer possible.
func (j *jsonReader) relocate(base int64) int {
	h := j.lc.history(base)
	if h == nil {
		return 0
	}
	n := j.leading(base)
	var raw json.RawMessage
	err := json.NewDecoder(bytes.NewReader(h[n:])).Decode(&raw)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return j.lc.lineAt(base + int64(n) + max(se.Offset-1, 0))
	}
	return j.lc.lineAt(j.lc.off)
}
