package policy

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/blob"
	"mamori/internal/docgen"
	"mamori/internal/docgen/docx"
	"mamori/internal/docgen/html"
	"mamori/internal/docgen/pdf"
	"mamori/internal/docgen/xlsx"
	"mamori/internal/org"
	"mamori/internal/web"
)

//go:embed templates
var templateFS embed.FS

// Web is the policy screens under /policy.
type Web struct {
	store *Store
	blobs *blob.Store
	org   *org.Service
	log   *auditlog.Log
	now   func() time.Time
}

// NewWeb returns the policy screens.
func NewWeb(s *Store, blobs *blob.Store, o *org.Service) *Web {
	return &Web{store: s, blobs: blobs, org: o, log: s.log, now: s.now}
}

// Roles: the office and the consultant edit; internal auditors and viewers
// read everything; everyone else signed in (auditee, staff, vendor) reads
// the adopted 基本方針 only: it is published anyway.
var (
	editRoles   = []web.Role{web.RoleAdmin, web.RoleConsultant}
	readRoles   = []web.Role{web.RoleAdmin, web.RoleConsultant, web.RoleAuditor, web.RoleViewer}
	publicRoles = web.AllRoles
)

// Routes registers the policy pages.
func (w *Web) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("policy", templateFS, "templates"); err != nil {
		return err
	}
	edit, read, public := web.Allow(editRoles...), web.Allow(readRoles...), web.Allow(publicRoles...)

	rt.Handle("GET /policy", public, w.index)
	rt.Handle("GET /policy/style.css", public, w.style)
	rt.Handle("GET /policy/documents/new", edit, w.documentNew)
	rt.Handle("POST /policy/documents", edit, w.documentCreate)
	rt.Handle("GET /policy/documents/{id}", read, w.document)
	rt.Handle("GET /policy/documents/{id}/edit", edit, w.documentEdit)
	rt.Handle("POST /policy/documents/{id}", edit, w.documentUpdate)
	rt.Handle("POST /policy/documents/{id}/revision", edit, w.startRevision)

	rt.Handle("GET /policy/documents/{id}/import", edit, w.importForm)
	rt.Handle("POST /policy/documents/{id}/import", edit, w.importUpload)
	rt.Handle("GET /policy/imports/{id}/preview", edit, w.importPreview)
	rt.Handle("POST /policy/imports/{id}/preview", edit, w.importReparse)
	rt.Handle("POST /policy/imports/{id}/save", edit, w.importSave)

	rt.Handle("GET /policy/versions/{id}", public, w.version)
	rt.Handle("GET /policy/versions/{id}/export", public, w.export)
	rt.Handle("POST /policy/versions/{id}/adopt", edit, w.adopt)
	rt.Handle("POST /policy/versions/{id}/discard", edit, w.discard)

	rt.Handle("GET /policy/versions/{id}/draft", read, w.draft)
	rt.Handle("GET /policy/versions/{id}/table.css", read, w.tableCSS)
	rt.Handle("GET /policy/versions/{id}/change", edit, w.changeForm)
	rt.Handle("POST /policy/versions/{id}/change", edit, w.changeSubmit)
	rt.Handle("GET /policy/changes/{id}/edit", edit, w.changeMetaForm)
	rt.Handle("POST /policy/changes/{id}", edit, w.changeMetaSubmit)
	rt.Handle("GET /policy/versions/{id}/redline", read, w.redline)
	rt.Handle("GET /policy/versions/{id}/table", read, w.table)
	rt.Handle("GET /policy/versions/{id}/briefing", read, w.briefing)

	rt.Handle("GET /policy/versions/{id}/quiz", read, w.quiz)
	rt.Handle("POST /policy/versions/{id}/quiz/generate", edit, w.quizGenerate)
	rt.Handle("GET /policy/versions/{id}/quiz/export", read, w.quizExport)
	rt.Handle("POST /policy/quiz/{id}", edit, w.quizUpdate)
	rt.Handle("POST /policy/quiz/{id}/delete", edit, w.quizDelete)
	return nil
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, web.NotFound()
	}
	return id, nil
}

func hasRole(u *web.User, roles []web.Role) bool {
	if u == nil {
		return false
	}
	for _, r := range roles {
		if u.Role == r {
			return true
		}
	}
	return false
}

func canEdit(r *http.Request) bool { return hasRole(web.UserFrom(r.Context()), editRoles) }
func canRead(r *http.Request) bool { return hasRole(web.UserFrom(r.Context()), readRoles) }

// mayRead decides per document: readers see every version; other staff
// see the adopted and earlier versions of a public document.
func mayRead(r *http.Request, d Document, v Version) bool {
	if canRead(r) {
		return true
	}
	return d.Kind.Public() && v.Status != StatusDraft
}

func author(r *http.Request) Author {
	u := web.UserFrom(r.Context())
	if u == nil {
		return Author{}
	}
	return Author{ID: u.ID, Name: u.DisplayName}
}

// userError turns a store's input error into a 400 with its message.
func userError(err error) error {
	var ie *InputError
	if errors.As(err, &ie) {
		return web.Invalid("%s", ie.Msg)
	}
	return err
}

func inputMessage(err error) (string, bool) {
	var ie *InputError
	if errors.As(err, &ie) {
		return ie.Msg, true
	}
	return "", false
}

// download renders into memory, records the download in the audit log and
// sends the file, so a failed render sends an error page and no entry.
func (w *Web) download(rw http.ResponseWriter, r *http.Request, target, name, ctype string, render func(*bytes.Buffer) error) error {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return fmt.Errorf("policy download %s: %w", name, err)
	}
	if err := w.log.Record(r.Context(), "download", target, fmt.Sprintf("%s（%d バイト）", name, buf.Len())); err != nil {
		return err
	}
	rw.Header().Set("Content-Type", ctype)
	rw.Header().Set("Content-Disposition", "attachment; filename=\""+asciiName(name)+"\"; filename*=UTF-8''"+url.PathEscape(name))
	rw.Header().Set("Cache-Control", "no-store")
	rw.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, err := buf.WriteTo(rw)
	return err
}

// asciiName is the fallback file name for old clients: the extension
// with a fixed stem.
func asciiName(name string) string {
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		ext = name[i:]
	}
	return "policy" + ext
}

// fileName makes a safe file name from parts.
func fileName(ext string, parts ...string) string {
	var ps []string
	for _, p := range parts {
		p = strings.Map(func(r rune) rune {
			if r < 0x20 || strings.ContainsRune(`/\:*?"<>|`, r) {
				return '_'
			}
			return r
		}, strings.TrimSpace(p))
		if p != "" {
			ps = append(ps, p)
		}
	}
	return trimRunes(strings.Join(ps, "_"), 120) + "." + ext
}

// renderers write a document in each offered format.
var renderers = map[string]func(io.Writer, *docgen.Document) error{"pdf": pdf.Render, "docx": docx.Render, "xlsx": xlsx.Render, "html": html.Render}

// renderAs returns the writer of d in format, for w.download.
func renderAs(format string, d *docgen.Document) func(*bytes.Buffer) error {
	return func(b *bytes.Buffer) error { return renderers[format](b, d) }
}

var contentTypes = map[string]string{
	"pdf":  "application/pdf",
	"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"html": "text/html; charset=utf-8",
	"json": "application/json; charset=utf-8",
	"yaml": "application/yaml; charset=utf-8",
}

// style serves the policy pages' own rules and the document stylesheet
// the 新旧対照表 preview needs (no inline styles under the CSP).
func (w *Web) style(rw http.ResponseWriter, r *http.Request) error {
	rw.Header().Set("Content-Type", "text/css; charset=utf-8")
	rw.Header().Set("Cache-Control", "private, max-age=3600")
	_, err := rw.Write([]byte(pageCSS + html.BaseCSS))
	return err
}

// pageCSS lays out provisions in drafting style on the read view and the
// draft page.
const pageCSS = `.prov{font-family:"游明朝","Yu Mincho","Noto Serif JP",serif;line-height:1.9;max-width:52em}
.prov h2{font-size:1.15rem;margin:1.6em 0 .6em}
.prov .art{margin:0 0 1.1em}
.prov .art-h{font-weight:bold;margin:.9em 0 0}
.prov .prov-p{margin:0;padding-left:1em;text-indent:-1em}
.prov .d1{margin-left:1em}.prov .d2{margin-left:2em}.prov .d3{margin-left:3em}.prov .d4{margin-left:4em}
.prov .txt{margin:0;white-space:pre-wrap}
.prov-nav{columns:2 18em;margin:0 0 1em;padding-left:1.2em}
.prov-pre{margin:.4em 0 1em;color:#444}
.tree-preview td.lvl{white-space:nowrap}
.tree-preview td.warn{color:#9a3b00;font-weight:bold}
.tree-preview tr.d1 td.lbl{padding-left:1.2em}.tree-preview tr.d2 td.lbl{padding-left:2.4em}.tree-preview tr.d3 td.lbl{padding-left:3.6em}.tree-preview tr.d4 td.lbl{padding-left:4.8em}
textarea.drafting{width:100%;min-height:18em;font-family:"游明朝","Yu Mincho","Noto Serif JP",serif;line-height:1.7}
textarea.drafting-long{min-height:36em}
.renames{margin:.3em 0}
.renames li{display:inline-block;margin-right:1em}
.unit-list{list-style:none;padding-left:0}
.unit-list li{margin:.15em 0;display:flex;flex-wrap:wrap;gap:.2em 1.2em;align-items:baseline}
.unit-list li.ctx{margin-top:.8em}
.unit-list details{flex:1 1 24em}
.unit-list .unit-actions{white-space:nowrap;font-size:.9em}
td.change-col{min-width:13em}
.change-form textarea{width:100%}
.unit-list .ctx{color:#555;font-size:.9em}
.change-kind{white-space:nowrap}
.table-preview{overflow-x:auto;background:#fff;border:1px solid #ccc;padding:1em;margin:.5em 0 1em}
.table-preview .mdoc{max-width:none}
.quiz-q{margin:0 0 1.2em}
.quiz-q ol{margin:.3em 0}
.quiz-q .correct{font-weight:bold}
.quiz-q textarea{width:100%}
.quiz-q details{margin-top:.6em}
`
