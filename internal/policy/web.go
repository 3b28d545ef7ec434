package policy

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/blob"
	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
	"mamori/internal/docgen/html"
	"mamori/internal/org"
	"mamori/internal/web"
)

//go:embed templates
var templateFS embed.FS

// Web is the policy screens under /policy.
type Web struct {
	store *Store
	blobs *blob.Store
	org   org.Reader
	log   *auditlog.Log
	now   func() time.Time
}

// NewWeb returns the policy screens; they read the organisation through
// the store's reader.
func NewWeb(s *Store, blobs *blob.Store) *Web {
	return &Web{store: s, blobs: blobs, org: s.org, log: s.log, now: s.now}
}

// Roles: the office and the consultant edit; internal auditors and viewers
// read everything; everyone else signed in (auditee, staff, vendor) reads
// the adopted 基本方針 only: it is published anyway.
var (
	editors  = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant)
	readers  = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleAuditor, web.RoleViewer)
	everyone = web.NewRoleSet(web.AllRoles...)
)

// Routes registers the policy pages.
func (w *Web) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("policy", templateFS, "templates"); err != nil {
		return err
	}
	edit, read, public := editors.Rule(), readers.Rule(), everyone.Rule()

	rt.Handle("GET /policy", public, w.index)
	rt.Handle("GET /policy/style.css", public, w.style)
	rt.Handle("GET /policy/documents/new", edit, w.documentNew)
	rt.Handle("POST /policy/documents", edit, w.documentCreate)
	rt.Handle("GET /policy/documents/{id}", read.On(w.documentObject()), w.document)
	rt.Handle("GET /policy/documents/{id}/edit", edit.On(w.documentObject()), w.documentEdit)
	rt.Handle("POST /policy/documents/{id}", edit.On(w.documentObject()), w.documentUpdate)
	rt.Handle("POST /policy/documents/{id}/revision", edit.On(w.documentObject()), w.startRevision)

	rt.Handle("GET /policy/documents/{id}/import", edit.On(w.documentObject()), w.importForm)
	rt.Handle("POST /policy/documents/{id}/import", edit.WithUpload().On(w.documentObject()), w.importUpload)
	rt.Handle("GET /policy/imports/{id}/preview", edit.On(w.uploadObject()), w.importPreview)
	rt.Handle("POST /policy/imports/{id}/preview", edit.WithBodyLimit(web.DocumentMaxBody).On(w.uploadObject()), w.importReparse)
	rt.Handle("POST /policy/imports/{id}/save", edit.WithBodyLimit(web.DocumentMaxBody).On(w.uploadObject()), w.importSave)

	rt.Handle("GET /policy/versions/{id}", public.On(w.versionObject()), w.version)
	rt.Handle("GET /policy/versions/{id}/export", public.On(w.versionObject()), w.export)
	rt.Handle("POST /policy/versions/{id}/adopt", edit.On(w.versionObject()), w.adopt)
	rt.Handle("POST /policy/versions/{id}/discard", edit.On(w.versionObject()), w.discard)

	rt.Handle("GET /policy/versions/{id}/draft", read.On(w.versionObject()), w.draft)
	rt.Handle("GET /policy/versions/{id}/table.css", read.On(w.versionObject()), w.tableCSS)
	rt.Handle("GET /policy/versions/{id}/change", edit.On(w.versionObject()), w.changeForm)
	rt.Handle("POST /policy/versions/{id}/change", edit.On(w.versionObject()), w.changeSubmit)
	rt.Handle("GET /policy/changes/{id}/edit", edit.On(w.changeObject()), w.changeMetaForm)
	rt.Handle("POST /policy/changes/{id}", edit.On(w.changeObject()), w.changeMetaSubmit)
	rt.Handle("GET /policy/versions/{id}/redline", read.On(w.versionObject()), w.redline)
	rt.Handle("GET /policy/versions/{id}/table", read.On(w.versionObject()), w.table)
	rt.Handle("GET /policy/versions/{id}/briefing", read.On(w.versionObject()), w.briefing)

	rt.Handle("GET /policy/versions/{id}/quiz", read.On(w.versionObject()), w.quiz)
	rt.Handle("POST /policy/versions/{id}/quiz/generate", edit.On(w.versionObject()), w.quizGenerate)
	rt.Handle("GET /policy/versions/{id}/quiz/export", read.On(w.versionObject()), w.quizExport)
	rt.Handle("POST /policy/quiz/{id}", edit.On(w.quizObject()), w.quizUpdate)
	rt.Handle("POST /policy/quiz/{id}/delete", edit.On(w.quizObject()), w.quizDelete)
	return nil
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

// versionTarget is the audit-log target of a version's downloads.
func versionTarget(l *Loaded) string { return fmt.Sprintf("policy_version:%d", l.Version.ID) }

// sendDocument sends a version's document in format f, named from the
// document's title, what the file is (見え消し版…) and the version, and
// recorded in the audit log.
func (w *Web) sendDocument(rw http.ResponseWriter, r *http.Request, l *Loaded, f formats.Format, d *docgen.Document, what string) error {
	name := web.JoinFileName(f.Name, l.Title(), what, l.Version.Name())
	return web.Send(rw, r, w.log, web.Download{Name: name, ContentType: f.ContentType, Target: versionTarget(l)},
		func(out io.Writer) error { return f.Render(out, d) })
}

// formatOf reads ?format= as one of the allowed formats.
func formatOf(r *http.Request, allowed ...string) (formats.Format, error) {
	f, err := formats.Parse(r.URL.Query().Get("format"), allowed...)
	if err != nil {
		return f, web.Invalid("%s", err.Error())
	}
	return f, nil
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
