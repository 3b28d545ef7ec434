package catalog

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"mamori/internal/blob"
	"mamori/internal/jp"
	"mamori/internal/web"
)

// The screens of the XLSX import (import.go reads the file): upload on
// the template's page, a preview of every change and error, and
// confirmation. The uploaded file is kept in the blob store between the
// steps (as the roster import does).

// SetBlobs gives the screens the store for uploaded workbooks.
func (w *Web) SetBlobs(b *blob.Store) { w.blobs = b }

type importFormView struct {
	T     StoredTemplate
	Error string
	MaxMB int
}

func (w *Web) renderImportForm(rw http.ResponseWriter, r *http.Request, status int, t StoredTemplate, msg string) error {
	return web.Render(rw, r, status, "catalog/import_form", t.Title+"（Excel から取り込む）",
		importFormView{T: t, Error: msg, MaxMB: MaxXLSXSize >> 20})
}

func (w *Web) importForm(rw http.ResponseWriter, r *http.Request) error {
	t, err := w.templateInPath(r)
	if err != nil {
		return err
	}
	return w.renderImportForm(rw, r, http.StatusOK, t, "")
}

func (w *Web) importUpload(rw http.ResponseWriter, r *http.Request) error {
	t, err := w.templateInPath(r)
	if err != nil {
		return err
	}
	up, err := xlsxUpload.Read(r) // first, so that its temporary file goes whatever follows
	var we *web.Error
	if errors.As(err, &we) {
		return w.renderImportForm(rw, r, we.Status, t, we.Msg)
	}
	if err != nil {
		return err
	}
	if t.Frozen {
		return w.renderImportForm(rw, r, http.StatusConflict, t, jp.FiscalYearLabel(t.Version)+"版は凍結されているため、取り込めません。")
	}
	name, data := up.Name, up.Data
	if w.blobs == nil {
		return fmt.Errorf("catalog.importUpload: no blob store")
	}
	u := web.UserFrom(r.Context())
	var b blob.Blob
	err = w.store.db.WithTx(r.Context(), func(ctx context.Context) error {
		var err error
		if b, err = w.blobs.Put(ctx, name, up.ContentType, data, u.ID); err != nil {
			return err
		}
		return w.log.Record(ctx, "upload", fmt.Sprintf("blob:%d", b.ID), fmt.Sprintf("チェックリストの取り込み用 %s（%d バイト, SHA-256 %s）", name, len(data), b.SHA256))
	})
	if err != nil {
		return err
	}
	http.Redirect(rw, r, fmt.Sprintf("/catalog/templates/%d/import/%d/preview", t.ID, b.ID), http.StatusSeeOther)
	return nil
}

// xlsxUpload is what the import accepts: one workbook.
var xlsxUpload = web.Upload{MaxBytes: MaxXLSXSize, Types: []web.FileType{web.XLSX}, Fallback: "checklist.xlsx"}

// uploaded returns the template and the uploaded file named in the path
// (only its uploader, or an administrator, passes the route's object check).
func (w *Web) uploaded(r *http.Request) (StoredTemplate, blob.Blob, []byte, error) {
	t, err := w.templateInPath(r)
	if err != nil {
		return t, blob.Blob{}, nil, err
	}
	bid, err := web.PathID(r, "file") // the route's object check admitted the uploader
	if err != nil {
		return t, blob.Blob{}, nil, err
	}
	b, data, err := w.blobs.Get(r.Context(), bid)
	return t, b, data, err
}

// previewLimit caps the rows of each list the preview shows.
const xlsxPreviewLimit = 500

type importPreviewView struct {
	T          StoredTemplate
	BlobID     int64
	Plan       *XLSXPlan
	Errors     []XLSXIssue
	MoreErrors int
	Changed    []XLSXItem
	More       int
	Stale      bool
	Delete     map[string]bool
}

func (w *Web) renderImportPreview(rw http.ResponseWriter, r *http.Request, status int, t StoredTemplate, b blob.Blob, p *XLSXPlan, stale bool, del []string) error {
	v := importPreviewView{T: t, BlobID: b.ID, Plan: p, Errors: p.Errors, Changed: p.Changed, Stale: stale, Delete: map[string]bool{}}
	if len(v.Errors) > xlsxPreviewLimit {
		v.Errors, v.MoreErrors = v.Errors[:xlsxPreviewLimit], len(v.Errors)-xlsxPreviewLimit
	}
	if len(v.Changed) > xlsxPreviewLimit {
		v.Changed, v.More = v.Changed[:xlsxPreviewLimit], len(v.Changed)-xlsxPreviewLimit
	}
	for _, c := range del {
		v.Delete[c] = true
	}
	return web.Render(rw, r, status, "catalog/import_preview", "取り込み内容の確認", v)
}

func (w *Web) importPreview(rw http.ResponseWriter, r *http.Request) error {
	t, b, data, err := w.uploaded(r)
	if err != nil {
		return err
	}
	p, err := PlanXLSX(r.Context(), w.store.db, t.ID, b.Filename, data)
	if err != nil {
		return err
	}
	return w.renderImportPreview(rw, r, http.StatusOK, t, b, p, false, nil)
}

func (w *Web) importApply(rw http.ResponseWriter, r *http.Request) error {
	t, b, data, err := w.uploaded(r)
	if err != nil {
		return err
	}
	del := r.PostForm["delete"]
	p, res, err := ImportXLSX(r.Context(), w.store.db, w.log, t.ID, b.Filename, data, XLSXOptions{Delete: del, Fingerprint: r.PostFormValue("fp")}, w.now())
	switch {
	case errors.Is(err, ErrXLSXHasErrors):
		return w.renderImportPreview(rw, r, http.StatusBadRequest, t, b, p, false, del)
	case errors.Is(err, ErrXLSXStale):
		return w.renderImportPreview(rw, r, http.StatusConflict, t, b, p, true, del)
	case err != nil:
		return err
	}
	msg := fmt.Sprintf("%s を取り込みました。変更 %d 項目、追加 %d 項目、削除 %d 項目、変更なし %d 項目。", b.Filename, res.Changed, res.Added, res.Deleted, res.Unchanged)
	if res.Changed+res.Added+res.Deleted == 0 && !p.Reordered {
		msg = b.Filename + " の内容は登録済みの内容と同じでした（変更なし）。"
	}
	return web.Redirect(rw, r, fmt.Sprintf("/catalog/templates/%d", t.ID), msg, true)
}
