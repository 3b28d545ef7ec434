package parse

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/net/html/charset"
)

// Errors raised by xmlGuard and turned into *Error by xmlReader.fail.
var (
	errXMLEntity = errors.New("parse: XML entity declaration or external reference")
	errXMLDepth  = errors.New("parse: XML nesting too deep")
)

// xmlGuard sits between the raw tokenizer and the decoder the parsers use,
// so that every token, including those DecodeElement and Skip read, is
// checked: DOCTYPEs declaring entities or naming external resources are
// refused and element nesting is capped.
type xmlGuard struct {
	raw   *xml.Decoder
	depth int
}

// Token returns the next raw token after checking it.
func (g *xmlGuard) Token() (xml.Token, error) {
	t, err := g.raw.RawToken()
	if err != nil {
		return nil, err
	}
	switch v := t.(type) {
	case xml.StartElement:
		g.depth++
		if g.depth > maxDepth {
			return nil, errXMLDepth
		}
	case xml.EndElement:
		g.depth--
	case xml.Directive:
		if unsafeDirective(v) {
			return nil, errXMLEntity
		}
	}
	return t, nil
}

// unsafeDirective reports whether a <!…> directive declares entities or
// refers to anything outside the file (SYSTEM or PUBLIC identifiers).
// Nmap's plain <!DOCTYPE nmaprun> passes.
func unsafeDirective(d xml.Directive) bool {
	u := bytes.ToUpper(d)
	return bytes.Contains(u, []byte("ENTITY")) || bytes.Contains(u, []byte("SYSTEM")) || bytes.Contains(u, []byte("PUBLIC"))
}

// xmlReader is a guarded, strict XML decoder for one format.
type xmlReader struct {
	g      *xmlGuard
	d      *xml.Decoder
	format Format
}

// notXML checks the first byte that is not white space (looking ahead,
// consuming nothing): an XML file starts with '<'.
func notXML(br *bufio.Reader, f Format) error {
	for n := 512; n <= br.Size(); n *= 2 {
		b, _ := br.Peek(n)
		t := bytes.TrimLeft(b, " \t\r\n")
		if len(t) == 0 {
			if len(b) < n {
				return nil // empty: the decoder reports it
			}
			continue
		}
		switch t[0] {
		case '<':
			return nil
		case '{', '[':
			return &Error{Format: f, Line: 1, Msg: f.Label() + " ではありません（JSON のファイルです）"}
		}
		return &Error{Format: f, Line: 1, Msg: f.Label() + " ではありません（XML ファイルではありません）"}
	}
	return nil
}

func newXMLReader(r io.Reader, f Format) *xmlReader {
	raw := xml.NewDecoder(r)
	raw.Strict = true
	raw.CharsetReader = charset.NewReaderLabel
	g := &xmlGuard{raw: raw}
	d := xml.NewTokenDecoder(g)
	d.Strict = true
	return &xmlReader{g: g, d: d, format: f}
}

// line is the current line of the input.
func (x *xmlReader) line() int {
	l, _ := x.g.raw.InputPos()
	return l
}

// fail turns a decoding error into a *Error naming the line (errTooLarge
// and *Error pass through).
func (x *xmlReader) fail(err error) error {
	var pe *Error
	if errors.As(err, &pe) || errors.Is(err, errTooLarge) {
		return err
	}
	e := &Error{Format: x.format, Line: x.line()}
	var se *xml.SyntaxError
	switch {
	case errors.Is(err, errXMLEntity):
		e.Msg = msgEntity
	case errors.Is(err, errXMLDepth):
		e.Msg = fmt.Sprintf(msgDepth, maxDepth)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		e.Msg = msgTruncated
	case errors.As(err, &se):
		switch {
		case se.Msg == "unexpected EOF":
			e.Msg = msgTruncated
		case strings.HasPrefix(se.Msg, "invalid character entity"):
			e.Msg = "定義されていない実体参照があります（" + strings.TrimPrefix(se.Msg, "invalid character entity ") + "）。" + msgEntity
		default:
			e.Msg = "XML の形式が正しくありません（" + se.Msg + "）"
		}
	default:
		msg := err.Error()
		if strings.Contains(msg, "charset") || strings.Contains(msg, "encoding") {
			e.Msg = "XML の文字コードに対応していません（" + msg + "）。UTF-8 で保存してください"
		} else {
			e.Msg = "XML を読み込めません（" + msg + "）"
		}
	}
	return e
}

// root reads up to the root element and returns it. An input without
// any element is reported as empty (only white space) or as not XML.
func (x *xmlReader) root() (xml.StartElement, error) {
	sawText := false
	for {
		t, err := x.d.Token()
		if err == io.EOF {
			if sawText {
				return xml.StartElement{}, &Error{Format: x.format, Msg: x.format.Label() + " ではありません（XML の要素がありません）"}
			}
			return xml.StartElement{}, &Error{Format: x.format, Msg: msgEmpty}
		}
		if err != nil {
			var se *xml.SyntaxError
			if !sawText && errors.As(err, &se) && x.line() <= 1 && !strings.Contains(se.Msg, "EOF") {
				return xml.StartElement{}, &Error{Format: x.format, Line: x.line(), Msg: x.format.Label() + " ではありません（XML ファイルではありません）"}
			}
			return xml.StartElement{}, x.fail(err)
		}
		switch v := t.(type) {
		case xml.StartElement:
			return v, nil
		case xml.CharData:
			if len(bytes.TrimSpace(v)) > 0 {
				sawText = true
			}
		}
	}
}

// notFormat is the error for a file whose root element belongs to
// another format.
func (x *xmlReader) notFormat(root xml.StartElement) error {
	return &Error{Format: x.format, Line: x.line(), Msg: fmt.Sprintf("%s ではありません（ルート要素が <%s> です）", x.format.Label(), root.Name.Local)}
}

// attr returns the value of the attribute named local.
func attr(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
