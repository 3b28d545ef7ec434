package improve

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"mamori/internal/jp"
	"mamori/internal/org"
	"mamori/internal/web"
)

// detailView is the action page's data.
type detailView struct {
	A         Action
	Overdue   bool
	Events    []Event
	Evidence  []Evidence
	Next      []Status
	CanUpdate bool
	CanEdit   bool
	CanVerify bool
	CanReopen bool
	CanAdd    bool // may add evidence
	Accept    string
	Types     string
	MaxMB     int
	Values    url.Values
	Errors    FieldErrors
	Form      string // which form the errors belong to: status, verify, evidence
}

// Lines splits text into its non-empty lines for display.
func (v detailView) Lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimRight(l, " \t\r"); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Get is a submitted form value.
func (v detailView) Get(k string) string { return v.Values.Get(k) }

// Err is the message for a field of the form that was sent.
func (v detailView) Err(form, k string) string {
	if v.Form != form {
		return ""
	}
	return v.Errors[k]
}

func (w *Web) detailPage(rw http.ResponseWriter, r *http.Request, status int, id int64, form string, vals url.Values, fe FieldErrors) error {
	ctx := r.Context()
	a, err := w.store.Get(ctx, id)
	if err != nil {
		return err
	}
	by := ActorOf(web.UserFrom(ctx))
	v := detailView{A: a, Overdue: a.OverdueAt(w.now()), CanEdit: by.editor(), MaxMB: MaxEvidence >> 20, Values: vals, Errors: fe, Form: form}
	if v.Events, err = w.store.Events(ctx, id); err != nil {
		return err
	}
	if v.Evidence, err = w.store.EvidenceOf(ctx, id); err != nil {
		return err
	}
	if v.CanUpdate, err = w.store.CanUpdate(ctx, a, by); err != nil {
		return err
	}
	if v.Next, err = w.store.Next(ctx, a, by); err != nil {
		return err
	}
	// Verification has its own form; the status form offers the rest.
	v.CanVerify = by.editor() && a.Status == StatusDone
	v.CanReopen = by.editor() && a.Status == StatusVerified
	v.CanAdd = v.CanUpdate && a.Status != StatusVerified
	var exts, labels []string
	for _, t := range EvidenceTypes {
		exts = append(exts, t.Exts...)
		labels = append(labels, t.Label)
	}
	v.Accept, v.Types = strings.Join(exts, ","), strings.Join(labels, "・")
	if vals == nil {
		v.Values = url.Values{}
	}
	return web.Render(rw, r, status, "improve/detail", fmt.Sprintf("No.%d %s", a.ID, a.Title), v)
}

func (w *Web) detail(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	return w.detailPage(rw, r, http.StatusOK, id, "", nil, nil)
}

// changeFailed answers a refused change: a form error re-renders the
// action page with the message next to the field (400), anything else is
// the error itself.
func (w *Web) changeFailed(rw http.ResponseWriter, r *http.Request, id int64, form string, err error) error {
	var fe FieldErrors
	if errors.As(err, &fe) {
		return w.detailPage(rw, r, http.StatusBadRequest, id, form, r.PostForm, fe)
	}
	var we *web.Error
	if errors.As(err, &we) && we.Status < 500 && we.Status != http.StatusForbidden && we.Status != http.StatusNotFound {
		return w.detailPage(rw, r, we.Status, id, form, r.PostForm, FieldErrors{"file": we.Msg})
	}
	return err
}

func (w *Web) setStatus(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	to := Status(r.FormValue("status"))
	by := ActorOf(web.UserFrom(r.Context()))
	if err := w.store.SetStatus(r.Context(), id, to, r.FormValue("note"), by); err != nil {
		return w.changeFailed(rw, r, id, "status", err)
	}
	return web.Redirect(rw, r, fmt.Sprintf("/improve/%d", id), "状況を「"+to.Label()+"」にしました。", true)
}

func (w *Web) verify(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	by := ActorOf(web.UserFrom(r.Context()))
	if err := w.store.Verify(r.Context(), id, r.FormValue("verification_note"), by); err != nil {
		var fe FieldErrors
		if errors.As(err, &fe) {
			if m, ok := fe["note"]; ok {
				fe["verification_note"] = m
			}
		}
		return w.changeFailed(rw, r, id, "verify", err)
	}
	return web.Redirect(rw, r, fmt.Sprintf("/improve/%d", id), "改善措置を確認済にしました。", true)
}

// hasFile reports whether the multipart form carries a chosen file.
func hasFile(r *http.Request, field string) bool {
	if r.MultipartForm == nil {
		return false
	}
	for _, fh := range r.MultipartForm.File[field] {
		if fh.Filename != "" || fh.Size > 0 {
			return true
		}
	}
	return false
}

func (w *Web) addEvidence(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	in := EvidenceInput{Note: r.FormValue("evidence_note")}
	if hasFile(r, "file") {
		f, err := (web.Upload{Field: "file", MaxBytes: MaxEvidence, Types: EvidenceTypes, Fallback: "証跡"}).Read(r)
		if err != nil {
			return w.changeFailed(rw, r, id, "evidence", err)
		}
		in.Filename, in.ContentType, in.Data = f.Name, f.ContentType, f.Data
	}
	by := ActorOf(web.UserFrom(r.Context()))
	if _, err := w.store.AddEvidence(r.Context(), id, in, by); err != nil {
		return w.changeFailed(rw, r, id, "evidence", err)
	}
	return web.Redirect(rw, r, fmt.Sprintf("/improve/%d#evidence", id), "証跡を登録しました。", true)
}

func (w *Web) evidenceFile(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	eid, err := web.PathID(r, "file")
	if err != nil {
		return err
	}
	e, data, err := w.store.EvidenceFile(r.Context(), id, eid)
	if err != nil {
		return err
	}
	ct := e.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	d := web.Download{Name: e.Filename, ContentType: ct, Target: fmt.Sprintf("improvement_evidence:%d", e.ID),
		Detail: fmt.Sprintf("改善措置 No.%d の証跡 %s（%d バイト）", id, e.Filename, len(data))}
	return web.Send(rw, r, w.log, d, func(out io.Writer) error { _, err := out.Write(data); return err })
}

// formView is the create and edit form's data.
type formView struct {
	ID      int64
	A       Action
	Values  url.Values
	Errors  FieldErrors
	Sources []Source
	Risks   []string
	Depts   []*org.Department
}

// Get is a form value.
func (v formView) Get(k string) string { return v.Values.Get(k) }

// Err is a field's message.
func (v formView) Err(k string) string { return v.Errors[k] }

func (w *Web) formPage(rw http.ResponseWriter, r *http.Request, status int, v formView) error {
	tree, err := w.org.Departments(r.Context())
	if err != nil {
		return err
	}
	ds := tree.Flat()
	for _, d := range ds {
		if d.Active || strconv.FormatInt(d.ID, 10) == v.Values.Get("owner") {
			v.Depts = append(v.Depts, d)
		}
	}
	v.Sources, v.Risks = Sources, Risks
	title := "改善措置の登録"
	if v.ID != 0 {
		title = fmt.Sprintf("No.%d の編集", v.ID)
	}
	return web.Render(rw, r, status, "improve/form", title, v)
}

// formValues fills the form from an action.
func formValues(a Action) url.Values {
	v := url.Values{"fiscal_year": {jp.FiscalYearLabel(a.FiscalYear)}, "source": {string(a.Source)}, "source_label": {a.SourceLabel},
		"clause": {a.Clause}, "title": {a.Title}, "detail": {a.Detail}, "risk": {a.Risk}, "due": {a.DueWareki()}}
	if a.OwnerDepartmentID != 0 {
		v.Set("owner", strconv.FormatInt(a.OwnerDepartmentID, 10))
	}
	return v
}

// readForm reads the create/edit form into an Input, with the messages of
// the fields that could not be read.
func readForm(r *http.Request) (Input, FieldErrors) {
	fe := FieldErrors{}
	in := Input{Source: Source(r.FormValue("source")), SourceLabel: r.FormValue("source_label"), Clause: r.FormValue("clause"),
		Title: r.FormValue("title"), Detail: r.FormValue("detail"), Risk: r.FormValue("risk")}
	fy, err := jp.ParseFiscalYear(r.FormValue("fiscal_year"))
	if err != nil {
		fe["fiscal_year"] = "年度を 令和8年度 か 2026 の形で入力してください。"
	}
	in.FiscalYear = fy
	if o := strings.TrimSpace(r.FormValue("owner")); o != "" {
		id, err := strconv.ParseInt(o, 10, 64)
		if err != nil || id <= 0 {
			fe["owner"] = "担当所属を一覧から選んでください。"
		}
		in.OwnerDepartmentID = id
	}
	if d := strings.TrimSpace(r.FormValue("due")); d != "" {
		t, err := jp.ParseDate(d)
		if err != nil {
			fe["due"] = "期限は 令和8年12月25日 か 2026-12-25 の形で入力してください。"
		}
		in.Due = t
	}
	return in, fe
}

func (w *Web) newForm(rw http.ResponseWriter, r *http.Request) error {
	v := url.Values{"fiscal_year": {jp.FiscalYearLabel(w.org.CurrentFiscalYear(r.Context()))}, "source": {string(SourceOther)}, "risk": {"中"}}
	return w.formPage(rw, r, http.StatusOK, formView{Values: v})
}

func (w *Web) create(rw http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	in, fe := readForm(r)
	by := ActorOf(web.UserFrom(ctx))
	var id int64
	if len(fe) == 0 {
		var err error
		id, err = w.store.Create(ctx, in, by)
		if err != nil && !errors.As(err, &fe) {
			return err
		}
	} else {
		// Report the other fields' problems too, without writing anything.
		in.SourceModule, in.SourceRef = ModuleKey, "check"
		for k, m := range w.store.clean(ctx, &in) {
			if _, ok := fe[k]; !ok {
				fe[k] = m
			}
		}
	}
	if len(fe) > 0 {
		return w.formPage(rw, r, http.StatusBadRequest, formView{Values: r.PostForm, Errors: fe})
	}
	return web.Redirect(rw, r, fmt.Sprintf("/improve/%d", id), "改善措置を登録しました。", true)
}

func (w *Web) editForm(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	a, err := w.store.Get(r.Context(), id)
	if err != nil {
		return err
	}
	return w.formPage(rw, r, http.StatusOK, formView{ID: id, A: a, Values: formValues(a)})
}

func (w *Web) save(rw http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	a, err := w.store.Get(ctx, id)
	if err != nil {
		return err
	}
	in, fe := readForm(r)
	changed := false
	if len(fe) == 0 {
		changed, err = w.store.Update(ctx, id, in, ActorOf(web.UserFrom(ctx)))
		if err != nil && !errors.As(err, &fe) {
			return err
		}
	} else {
		in.SourceModule, in.SourceRef = a.SourceModule, a.SourceRef
		for k, m := range w.store.clean(ctx, &in) {
			if _, ok := fe[k]; !ok {
				fe[k] = m
			}
		}
	}
	if len(fe) > 0 {
		return w.formPage(rw, r, http.StatusBadRequest, formView{ID: id, A: a, Values: r.PostForm, Errors: fe})
	}
	msg := "改善措置を保存しました。"
	if !changed {
		msg = "変更はありませんでした。"
	}
	return web.Redirect(rw, r, fmt.Sprintf("/improve/%d", id), msg, true)
}
