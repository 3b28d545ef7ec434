package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	"mamori/internal/jp"
)

// FileType is a kind of file an upload may hold. A file is of the type
// when its content looks so (its first bytes) and its name ends in one of
// the type's extensions: neither the name nor the browser's Content-Type
// is trusted alone.
type FileType struct {
	Label string   // as messages name it: 「Excel（.xlsx）」
	Exts  []string // lower-case, with the dot
	MIME  string   // the content type a file of the type is stored with
	// content reports whether the file's opening bytes fit the type.
	content func(head []byte) bool
}

// The file types the importers accept.
var (
	XLSX = FileType{Label: "Excel（.xlsx）", Exts: []string{".xlsx"}, content: isZip,
		MIME: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
	DOCX = FileType{Label: "Word（.docx）", Exts: []string{".docx"}, content: isZip,
		MIME: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
	CSV  = FileType{Label: "CSV", Exts: []string{".csv", ".tsv", ".txt"}, content: isText, MIME: "text/csv"}
	Text = FileType{Label: "テキスト（.txt・.md）", Exts: []string{".txt", ".md", ".markdown"}, content: isText, MIME: "text/plain"}
	// XML and JSON are scanners' reports (Nmap, OpenVAS; Trivy, SARIF):
	// text, whose format the importer checks itself.
	XML  = FileType{Label: "XML（.xml）", Exts: []string{".xml"}, content: isText, MIME: "application/xml"}
	JSON = FileType{Label: "JSON・SARIF（.json・.sarif）", Exts: []string{".json", ".sarif"}, content: isText, MIME: "application/json"}
	PDF  = FileType{Label: "PDF（.pdf）", Exts: []string{".pdf"}, MIME: "application/pdf",
		content: func(h []byte) bool { return bytes.HasPrefix(h, []byte("%PDF-")) }}
	PNG = FileType{Label: "PNG 画像（.png）", Exts: []string{".png"}, MIME: "image/png",
		content: func(h []byte) bool { return bytes.HasPrefix(h, []byte("\x89PNG\r\n\x1a\n")) }}
	JPEG = FileType{Label: "JPEG 画像（.jpg・.jpeg）", Exts: []string{".jpg", ".jpeg"}, MIME: "image/jpeg",
		content: func(h []byte) bool { return bytes.HasPrefix(h, []byte{0xFF, 0xD8, 0xFF}) }}
	// ZIP is a package of files (a SCORM course).
	ZIP = FileType{Label: "ZIP（.zip）", Exts: []string{".zip"}, content: isZip, MIME: "application/zip"}
	// MP4 is an ISO base media file: its first box is ftyp.
	MP4 = FileType{Label: "MP4 動画（.mp4）", Exts: []string{".mp4", ".m4v"}, MIME: "video/mp4",
		content: func(h []byte) bool { return len(h) >= 12 && string(h[4:8]) == "ftyp" }}
)

var (
	magicZip = []byte("PK\x03\x04")
	magicOLE = []byte{0xD0, 0xCF, 0x11, 0xE0} // .xls, .doc and password-protected Office files
)

// isZip: xlsx and docx are ZIP packages.
func isZip(head []byte) bool { return bytes.HasPrefix(head, magicZip) }

// isText: what http.DetectContentType takes for text (UTF-8, Shift_JIS and
// UTF-16 with a BOM all are: it looks for bytes no text holds).
func isText(head []byte) bool {
	return strings.HasPrefix(http.DetectContentType(head), "text/")
}

func (t FileType) hasExt(ext string) bool {
	for _, e := range t.Exts {
		if e == ext {
			return true
		}
	}
	return false
}

// Upload says what one file field of a form accepts.
type Upload struct {
	Field    string // form field; "file" when empty
	MaxBytes int64
	Types    []FileType
	Fallback string // the file's name when the browser sends none
}

// UploadedFile is an accepted upload, read into memory.
type UploadedFile struct {
	Name        string // sanitised base name, safe to show and to store
	ContentType string // the type's, not what the browser said
	Type        FileType
	Data        []byte
}

// Read reads the upload of r and checks it: present, not empty, within
// the size limit, of one of the accepted types by content and name. The
// multipart temporary files are removed before Read returns, whatever
// happens. A file the user must change comes back as *Error (400, or 413
// for a file too large) whose message names the file and the limit.
func (u Upload) Read(r *http.Request) (*UploadedFile, error) {
	field := u.Field
	if field == "" {
		field = "file"
	}
	limitMB := max(u.MaxBytes>>20, 1)
	f, hdr, err := r.FormFile(field)
	if mf := r.MultipartForm; mf != nil {
		defer func() { _ = mf.RemoveAll() }()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("ファイルが大きすぎます（上限 %d MB）。", limitMB), Err: err}
		}
		return nil, &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf("取り込むファイル（%s）を選んでください。", u.labels()), Err: err}
	}
	defer f.Close()
	name := UploadName(hdr.Filename, u.Fallback)
	tooLarge := func(size int64) error {
		return &Error{Status: http.StatusRequestEntityTooLarge,
			Msg: fmt.Sprintf("%s: ファイルが大きすぎます（%.1f MB。上限 %d MB）。", name, float64(size)/(1<<20), limitMB)}
	}
	if hdr.Size > u.MaxBytes {
		return nil, tooLarge(hdr.Size)
	}
	data, err := io.ReadAll(io.LimitReader(f, u.MaxBytes+1))
	if err != nil {
		return nil, &Error{Status: http.StatusBadRequest, Msg: "ファイルを受け取れませんでした。もう一度お試しください。", Err: err}
	}
	if int64(len(data)) > u.MaxBytes {
		return nil, tooLarge(int64(len(data)))
	}
	if len(data) == 0 {
		return nil, &Error{Status: http.StatusBadRequest, Msg: name + ": ファイルが空です。"}
	}
	t, msg := u.typeOf(name, data)
	if msg != "" {
		return nil, &Error{Status: http.StatusBadRequest, Msg: name + ": " + msg}
	}
	return &UploadedFile{Name: name, ContentType: t.MIME, Type: t, Data: data}, nil
}

func (u Upload) labels() string {
	var ls []string
	for _, t := range u.Types {
		ls = append(ls, t.Label)
	}
	return strings.Join(ls, "・")
}

// typeOf finds the accepted type of the file, or says why it has none.
func (u Upload) typeOf(name string, data []byte) (FileType, string) {
	head := data[:min(len(data), 512)]
	ext := strings.ToLower(path.Ext(name))
	var byContent []FileType
	for _, t := range u.Types {
		if t.content(head) {
			if t.hasExt(ext) {
				return t, ""
			}
			byContent = append(byContent, t)
		}
	}
	switch {
	case len(byContent) > 0:
		return FileType{}, fmt.Sprintf("ファイル名の拡張子（%s）が内容（%s）と合っていません。%sのファイルとして保存したものを選んでください。",
			orNone(ext), byContent[0].Label, u.labels())
	case bytes.HasPrefix(head, magicOLE):
		return FileType{}, fmt.Sprintf("古い形式（.xls・.doc）のファイルか、パスワード付きのファイルは読めません。パスワードを外し、%sの形式で保存し直してください。", u.labels())
	}
	return FileType{}, fmt.Sprintf("%sのファイルではありません。%sの形式で保存したファイルを選んでください。", u.labels(), u.labels())
}

func orNone(ext string) string {
	if ext == "" {
		return "なし"
	}
	return ext
}

// UploadName is the base name of an uploaded file as the browser sent it,
// made safe to show and to store: no folders, no control or
// direction-changing characters, at most 120 columns wide; fallback when
// nothing is left.
func UploadName(s, fallback string) string {
	s = s[strings.LastIndexAny(s, `/\`)+1:]
	s = strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || r == 0x7f:
			return -1
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f:
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if s == "" || s == "." || s == ".." {
		s = fallback
	}
	if s == "" {
		s = "upload"
	}
	return jp.TruncateWidth(s, 120)
}
