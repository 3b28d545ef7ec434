package audit

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/web"
)

// Evidence files are read one at a time: downloaded (web.Send, attached)
// or, for an image or a PDF, shown in the browser (?view=1). Either is
// written to the audit log as audit.evidence_download before a byte
// leaves. Who may read one: the auditors of its engagement, and an auditee
// for the documents their own department submitted (never the auditors'
// photos and files of the visit).

// evidenceRoutes registers the evidence download. The evidence is checked
// first, then the engagement of the path.
func (m *Module) evidenceRoutes(rt *web.Router) {
	rt.Handle("GET /audit/{id}/evidence/{ev}", Engaged.Rule().On(m.evidenceObject()).On(m.engagementObject()), m.evidenceDownload)
}

// evidenceObject is the object check of an evidence file ({ev}): like
// childObject, and for an auditee only the documents of their department.
func (m *Module) evidenceObject() web.Object {
	return web.Object{Kind: "audit.evidence", Param: "ev", Allow: func(ctx context.Context, u *web.User, _ web.Scope, id int64) (bool, error) {
		ok, err := m.mayReadEvidence(ctx, u, id)
		if errors.Is(err, database.ErrNotFound) {
			return false, web.NotFound()
		}
		return ok, err
	}}
}

// mayReadEvidence decides whether u may read evidence id (of any
// engagement; the handler checks it is the path's).
func (m *Module) mayReadEvidence(ctx context.Context, u *web.User, id int64) (bool, error) {
	var eid, uploaderDept int64
	var kind string
	err := m.store.db.QueryRow(ctx, `SELECT v.engagement_id, v.kind, COALESCE(u.department_id, 0)
		FROM audit_evidence v LEFT JOIN users u ON u.id = v.uploaded_by WHERE v.id = ?`, id).Scan(&eid, &kind, &uploaderDept)
	if errors.Is(err, sql.ErrNoRows) {
		return false, database.ErrNotFound
	}
	if err != nil {
		return false, err
	}
	e, err := m.store.Engagement(ctx, eid)
	if err != nil {
		return false, err
	}
	a, err := m.store.AccessOf(ctx, u, e)
	if err != nil {
		return false, err
	}
	switch {
	case a.Audit:
		return true, nil
	case a.Auditee && kind == EvidenceDocument:
		return m.ownUpload(ctx, u, uploaderDept)
	}
	return false, nil
}

// evidenceRecorder writes a download of evidence under its own action
// (web.Send's entry is otherwise "download").
type evidenceRecorder struct{ log *auditlog.Log }

// Record implements web.Recorder.
func (r evidenceRecorder) Record(ctx context.Context, _, target, detail string) error {
	return r.log.Record(ctx, "audit.evidence_download", target, detail)
}

func (m *Module) evidenceDownload(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	id, err := web.PathID(r, "ev")
	if err != nil {
		return err
	}
	ok, err := m.mayReadEvidence(r.Context(), web.UserFrom(r.Context()), id)
	if err != nil || !ok || !a.Audit && !a.Auditee {
		if err != nil && !errors.Is(err, database.ErrNotFound) {
			return err
		}
		return web.NotFound()
	}
	ev, data, err := m.store.EvidenceFile(r.Context(), e.ID, id) // another engagement's evidence is not found
	switch {
	case errors.Is(err, ErrKeyDestroyed):
		return &web.Error{Status: http.StatusGone, Msg: ErrKeyDestroyed.Error()}
	case err != nil:
		return err
	}
	target := fmt.Sprintf("audit_evidence:%d", ev.ID)
	if r.URL.Query().Get("view") == "1" && viewableType(ev.ContentType) {
		return m.evidenceView(w, r, ev, data, target)
	}
	return web.Send(w, r, evidenceRecorder{m.log}, web.Download{Name: ev.Filename, ContentType: ev.ContentType, Target: target,
		Detail: fmt.Sprintf("%s の証跡「%s」をダウンロード（%d バイト、SHA-256 %s）", e.Code, ev.Filename, len(data), ev.SHA256[:16])},
		func(out io.Writer) error { _, err := out.Write(data); return err })
}

// evidenceView shows an image or a PDF in the browser (inline), recorded
// in the audit log first, as web.Send does for downloads.
func (m *Module) evidenceView(w http.ResponseWriter, r *http.Request, ev Evidence, data []byte, target string) error {
	err := m.store.db.WithTx(r.Context(), func(ctx context.Context) error {
		return m.log.Record(ctx, "audit.evidence_download", target,
			fmt.Sprintf("証跡「%s」を画面で表示（%d バイト、SHA-256 %s）", ev.Filename, len(data), ev.SHA256[:16]))
	})
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", ev.ContentType)
	h.Set("Content-Disposition", strings.Replace(web.ContentDisposition(web.FileName(ev.Filename)), "attachment", "inline", 1))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	_, err = io.Copy(w, bytes.NewReader(data))
	return err
}
