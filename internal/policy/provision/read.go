package provision

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"

	"mamori/internal/jp"
)

// Messages for files that cannot be read.
const (
	msgEmpty     = "ファイルが空です。"
	msgEncrypted = "パスワードが設定されている可能性があるため、この Word ファイルは読めません。Word でパスワード（暗号化）を解除して .docx で保存し直してから取り込んでください。"
	msgDOC       = "古い形式 .doc は読めません。Word で開き、「Word 文書（*.docx）」として保存し直してから取り込んでください。"
	msgPDF       = "PDF は取り込めません。元の Word 文書（.docx）か、テキスト（.txt）・Markdown（.md）を指定してください。"
	msgBinary    = "文書として読めないファイルです。Word 文書（.docx）、Markdown（.md）またはテキスト（.txt）を指定してください。"
	msgRTF       = "リッチテキスト（.rtf）は読めません。Word で「Word 文書（*.docx）」として保存し直してください。"
)

var (
	magicZip = []byte("PK\x03\x04")
	magicOLE = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	// Stream names (UTF-16LE, as in the OLE directory) an encrypted OOXML
	// package carries; a .doc has WordDocument instead.
	oleEncryptedPackage = utf16le("EncryptedPackage")
	oleEncryptionInfo   = utf16le("EncryptionInfo")
	binaryMagics        = [][]byte{
		[]byte("\x89PNG"), {0xFF, 0xD8, 0xFF}, []byte("GIF8"), []byte("II*\x00"), []byte("MM\x00*"),
		[]byte("RIFF"), {0x1F, 0x8B}, []byte("7z\xBC\xAF"), []byte("Rar!"), []byte("\x7fELF"), []byte("MZ"),
	}
)

func utf16le(s string) []byte {
	b := make([]byte, 0, 2*len(s))
	for _, c := range []byte(s) {
		b = append(b, c, 0)
	}
	return b
}

// ReadFile reads a policy document from the bytes of a file: a Word
// document (.docx, recognised by its ZIP signature whatever the name),
// Markdown (.md, .markdown) or plain text (anything else; UTF-8, UTF-8 with
// BOM or Shift_JIS/CP932, detected). Errors are *InputError values in
// Japanese naming the file and what is wrong.
func ReadFile(name string, data []byte) (*Document, []Warning, error) {
	doc, warns, err := readFile(name, data)
	if err != nil {
		var ie *InputError
		if errors.As(err, &ie) {
			return nil, nil, &InputError{Line: ie.Line, Msg: fileLabel(name) + ie.Msg, Err: ie.Err}
		}
		return nil, nil, err
	}
	return doc, warns, nil
}

// fileLabel is the file name as messages start with it: 「規程.docx」：
func fileLabel(name string) string {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "" || base == "." || base == "/" {
		return ""
	}
	return "「" + base + "」："
}

func readFile(name string, data []byte) (*Document, []Warning, error) {
	ext := strings.ToLower(path.Ext(strings.ReplaceAll(name, "\\", "/")))
	switch {
	case len(data) == 0:
		return nil, nil, &InputError{Msg: msgEmpty}
	case len(data) > MaxFileSize:
		return nil, nil, &InputError{Msg: fmt.Sprintf("ファイルが大きすぎます（%.1f MB）。取り込めるのは %d MB までです。", float64(len(data))/(1<<20), MaxFileSize>>20)}
	case bytes.HasPrefix(data, magicOLE):
		if bytes.Contains(data, oleEncryptedPackage) || bytes.Contains(data, oleEncryptionInfo) {
			return nil, nil, &InputError{Msg: msgEncrypted}
		}
		return nil, nil, &InputError{Msg: msgDOC}
	case bytes.HasPrefix(data, magicZip) || ext == ".docx" || ext == ".docm" || ext == ".dotx":
		return readDOCX(data)
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return nil, nil, &InputError{Msg: msgPDF}
	case bytes.HasPrefix(data, []byte("{\\rtf")):
		return nil, nil, &InputError{Msg: msgRTF}
	case ext == ".doc":
		return nil, nil, &InputError{Msg: msgDOC}
	}
	for _, m := range binaryMagics {
		if bytes.HasPrefix(data, m) {
			return nil, nil, &InputError{Msg: msgBinary}
		}
	}
	if looksBinary(data) {
		return nil, nil, &InputError{Msg: msgBinary}
	}
	text, _, err := jp.DecodeText(data)
	if err != nil {
		var te *jp.TextError
		if errors.As(err, &te) {
			return nil, nil, &InputError{Line: te.Line, Msg: te.Msg, Err: err}
		}
		return nil, nil, err
	}
	if err := checkText(text); err != nil {
		return nil, nil, err
	}
	if ext == ".md" || ext == ".markdown" {
		return parseLines(markdownLines(text), "行目")
	}
	return Parse(text)
}

// looksBinary reports whether data has NUL bytes that are not the regular
// pattern of UTF-16 text (which jp.DecodeText explains on its own).
func looksBinary(data []byte) bool {
	head := data[:min(len(data), 4096)]
	if bytes.IndexByte(head, 0) < 0 || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return false
	}
	even, odd := 0, 0
	for i, c := range head {
		if c == 0 {
			if i%2 == 0 {
				even++
			} else {
				odd++
			}
		}
	}
	pairs := len(head) / 2
	return !(odd > pairs/3 && even <= odd/20 || even > pairs/3 && odd <= even/20)
}
