package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// Recorder writes audit-log entries (auditlog.Log is one).
type Recorder interface {
	Record(ctx context.Context, action, target, detail string) error
}

// Download is a generated file to send: the name the browser saves it
// under and what the audit log records about it.
type Download struct {
	Name        string // may be Japanese; made safe by Send
	ContentType string
	Target      string // audit-log target, e.g. "policy_version:12"
	Detail      string // audit-log detail; empty: the name and the size
}

// DownloadAction is the audit-log action of every download.
const DownloadAction = "download"

// Send renders a download into memory, records it in the audit log and
// only then sends it, so that a file that cannot be made leaves an error
// page and no entry, and no file leaves without one. The response is
// never cached, and the name is given both as RFC 5987 filename* (UTF-8,
// for Japanese names) and as an ASCII fallback for old clients.
func Send(w http.ResponseWriter, r *http.Request, log Recorder, d Download, render func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return fmt.Errorf("download %s: %w", d.Name, err)
	}
	name := FileName(d.Name)
	detail := d.Detail
	if detail == "" {
		detail = fmt.Sprintf("%s（%d バイト）", name, buf.Len())
	}
	if err := log.Record(r.Context(), DownloadAction, d.Target, detail); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", d.ContentType)
	h.Set("Content-Disposition", ContentDisposition(name))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	_, err := buf.WriteTo(w)
	return err
}

// ContentDisposition is the attachment header for name: an ASCII
// filename= for clients that know nothing else and filename*= with the
// name in UTF-8.
func ContentDisposition(name string) string {
	return `attachment; filename="` + asciiName(name) + `"; filename*=UTF-8''` + encode5987(name)
}

// asciiName keeps the ASCII letters, digits and -_. of the name's stem
// ("条項対応表_mic-policy.xlsx" → "mic-policy.xlsx"), or "download" with
// the extension when no letter is left (a lone "8" of 令和8年度 says
// nothing).
func asciiName(name string) string {
	ext := path.Ext(name)
	if !isASCIIWord(strings.TrimPrefix(ext, ".")) {
		ext = ""
	}
	stem := strings.Map(func(r rune) rune {
		if r < 0x80 && (r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return r
		}
		return -1
	}, strings.TrimSuffix(name, ext))
	stem = strings.Trim(stem, "-_.")
	if !strings.ContainsFunc(stem, func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }) {
		stem = "download"
	}
	return stem + ext
}

func isASCIIWord(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return false
		}
	}
	return true
}

// encode5987 percent-encodes everything but RFC 5987's attr-chars.
func encode5987(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && (c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// fileUnsafe are the characters Windows refuses in a file name, replaced
// by their full-width forms so the name still reads the same.
var fileUnsafe = strings.NewReplacer("/", "／", `\`, "＼", ":", "：", "*", "＊", "?", "？", `"`, "”", "<", "＜", ">", "＞", "|", "｜")

// FileName makes a name safe to save on any system: control characters
// dropped, the characters Windows refuses replaced by their full-width
// forms, and the stem cut to 120 characters (the extension kept).
func FileName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	ext := path.Ext(name)
	if !isASCIIWord(strings.TrimPrefix(ext, ".")) {
		ext = ""
	}
	stem := fileUnsafe.Replace(strings.TrimSpace(strings.TrimSuffix(name, ext)))
	if rs := []rune(stem); len(rs) > 120 {
		stem = string(rs[:120])
	}
	if stem == "" {
		stem = "download"
	}
	return stem + ext
}

// JoinFileName joins the non-empty parts of a name with "_" and adds the
// extension: JoinFileName("pdf", "対策基準", "新旧対照表") is
// "対策基準_新旧対照表.pdf".
func JoinFileName(ext string, parts ...string) string {
	var ps []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			ps = append(ps, p)
		}
	}
	return FileName(strings.Join(ps, "_") + "." + strings.TrimPrefix(ext, "."))
}
