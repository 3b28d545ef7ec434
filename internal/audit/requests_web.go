package audit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"mamori/internal/jp"
	"mamori/internal/web"
)

// The screens of the requested documents (提出資料一覧): the auditors add,
// change and remove requests or take the checklist's proposal; the
// audited department uploads its files for each request (size and type
// checked, SHA-256 recorded, encrypted with the engagement's key) and
// sees which ones are still missing.

// requestRoutes registers the requested documents' screens. A route on
// one request checks the request first, then the engagement of the path.
func (m *Module) requestRoutes(rt *web.Router) {
	eng := m.engagementObject()
	req := m.childObject("audit.request", "req", "audit_doc_requests")
	rt.Handle("GET /audit/{id}/requests", Engaged.Rule().On(eng), m.requestList)
	rt.Handle("POST /audit/{id}/requests", Auditing.Rule().On(eng), m.requestAdd)
	rt.Handle("GET /audit/{id}/requests/propose", Auditing.Rule().On(eng), m.requestPropose)
	rt.Handle("POST /audit/{id}/requests/propose", Auditing.Rule().On(eng), m.requestProposeAdd)
	rt.Handle("GET /audit/{id}/requests/{req}/edit", Auditing.Rule().On(req).On(eng), m.requestEdit)
	rt.Handle("POST /audit/{id}/requests/{req}", Auditing.Rule().On(req).On(eng), m.requestUpdate)
	rt.Handle("POST /audit/{id}/requests/{req}/delete", Auditing.Rule().On(req).On(eng), m.requestDelete)
	rt.Handle("POST /audit/{id}/requests/{req}/files", Engaged.Rule().WithUpload().On(req).On(eng), m.requestUpload)
}

// evidenceUpload is what a requested document may be: the evidence types
// up to the evidence size limit.
var evidenceUpload = web.Upload{MaxBytes: MaxEvidence, Types: EvidenceTypes, Fallback: "提出資料"}

// evidenceAccept is the file input's accept list and the types in words.
func evidenceAccept() (string, string) {
	var exts, labels []string
	for _, t := range EvidenceTypes {
		exts = append(exts, t.Exts...)
		labels = append(labels, t.Label)
	}
	return strings.Join(exts, ","), strings.Join(labels, "・")
}

// ownUpload reports whether a file uploaded by someone of department
// uploader is the signed-in auditee's department's: the same department,
// one below it or the one above it (as AccessOf decides what an engagement
// audits).
func (m *Module) ownUpload(ctx context.Context, u *web.User, uploader int64) (bool, error) {
	if u == nil || u.DepartmentID == 0 || uploader == 0 {
		return false, nil
	}
	for _, pair := range [][2]int64{{uploader, u.DepartmentID}, {u.DepartmentID, uploader}} {
		ok, err := m.org.Within(ctx, pair[0], pair[1])
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// visibleRequests lists the engagement's requested documents with the
// files the user may see: every file for the auditors, their own
// department's for an auditee.
func (m *Module) visibleRequests(r *http.Request, e Engagement, a Access) ([]DocRequest, error) {
	reqs, err := m.store.Requests(r.Context(), e.ID)
	if err != nil || a.Audit {
		return reqs, err
	}
	u := web.UserFrom(r.Context())
	mine := map[int64]bool{}
	for i := range reqs {
		var keep []RequestFile
		for _, f := range reqs[i].Files {
			ok, seen := mine[f.DepartmentID]
			if !seen {
				if ok, err = m.ownUpload(r.Context(), u, f.DepartmentID); err != nil {
					return nil, err
				}
				mine[f.DepartmentID] = ok
			}
			if ok {
				keep = append(keep, f)
			}
		}
		reqs[i].Files = keep
	}
	return reqs, nil
}

// requestsView is the list of requested documents.
type requestsView struct {
	V        engagementView
	Requests []DocRequest
	Errors   FieldErrors
	Form     RequestInput // the add form as typed
	// UploadFor is the request whose upload was refused (its note kept).
	UploadFor int64
	Note      string
	Message   string
	Accept    string
	Types     string
	MaxMB     int
	Multi     bool // several departments are audited: files name theirs
	P         Presurvey
	Now       time.Time
}

// Err returns the message for a field ("" when none).
func (v requestsView) Err(field string) string { return v.Errors[field] }

// Missing counts the requests without a (visible) file.
func (v requestsView) Missing() int {
	n := 0
	for _, r := range v.Requests {
		if len(r.Files) == 0 {
			n++
		}
	}
	return n
}

func (m *Module) requestsPage(r *http.Request, e Engagement, a Access) (requestsView, error) {
	v := requestsView{V: engagementView{E: e, A: a, Tab: "presurvey"}, MaxMB: MaxEvidence >> 20, Multi: len(e.Targets) > 1, Now: m.now()}
	v.Accept, v.Types = evidenceAccept()
	var err error
	if v.Requests, err = m.visibleRequests(r, e, a); err != nil {
		return v, err
	}
	if v.P, err = m.store.Presurvey(r.Context(), e.ID); err != nil {
		return v, err
	}
	v.Form.Due = jp.DateKey(v.P.Due)
	return v, nil
}

func (m *Module) renderRequests(w http.ResponseWriter, r *http.Request, status int, v requestsView) error {
	return web.Render(w, r, status, "audit/requests_list", v.V.E.Title+"（提出資料一覧）", v)
}

func (m *Module) requestList(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit && !a.Auditee {
		return web.NotFound()
	}
	v, err := m.requestsPage(r, e, a)
	if err != nil {
		return err
	}
	return m.renderRequests(w, r, http.StatusOK, v)
}

func requestForm(r *http.Request) RequestInput {
	return RequestInput{Name: r.PostFormValue("name"), Purpose: r.PostFormValue("purpose"), Items: r.PostFormValue("items"), Due: r.PostFormValue("due")}
}

func (m *Module) requestAdd(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit {
		return web.NotFound()
	}
	in := requestForm(r)
	_, err = m.store.AddRequest(r.Context(), e.ID, in, actor(r))
	var fe FieldErrors
	if errors.As(err, &fe) {
		v, err := m.requestsPage(r, e, a)
		if err != nil {
			return err
		}
		v.Errors, v.Form, v.Message = fe, in, "入力に誤りがあるため、追加していません。"
		return m.renderRequests(w, r, http.StatusBadRequest, v)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/audit/%d/requests", e.ID), "提出資料「"+cleanText(in.Name)+"」を一覧に追加しました。", true)
}

// proposeView is the proposal of requests made from the checklist.
type proposeView struct {
	V         engagementView
	Proposals []RequestProposal
	Due       string
	Errors    FieldErrors
	Picked    map[int]bool // the proposals checked (as sent, when refused)
}

func (m *Module) requestPropose(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit {
		return web.NotFound()
	}
	ps, err := m.store.ProposeRequests(r.Context(), e.ID)
	if err != nil {
		return err
	}
	p, err := m.store.Presurvey(r.Context(), e.ID)
	if err != nil {
		return err
	}
	v := proposeView{V: engagementView{E: e, A: a, Tab: "presurvey"}, Proposals: ps, Due: jp.DateKey(p.Due), Picked: map[int]bool{}}
	for i, p := range ps {
		v.Picked[i] = p.Suggested
	}
	return web.Render(w, r, http.StatusOK, "audit/requests_propose", e.Title+"（提出資料の提案）", v)
}

// requestProposeAdd adds the proposals checked: the proposal is made
// again from the checklist (what the page showed, unless the checklist
// changed meanwhile), each chosen by its name.
func (m *Module) requestProposeAdd(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit {
		return web.NotFound()
	}
	ps, err := m.store.ProposeRequests(r.Context(), e.ID)
	if err != nil {
		return err
	}
	picked := map[string]bool{}
	for _, n := range r.PostForm["pick"] {
		picked[n] = true
	}
	due := r.PostFormValue("due")
	var ins []RequestInput
	chosen := map[int]bool{}
	for i, p := range ps {
		if picked[p.Name] {
			chosen[i] = true
			ins = append(ins, RequestInput{Name: p.Name, Purpose: p.Purpose, Items: strings.Join(p.ItemCodes, ","), Due: due})
		}
	}
	ids, err := m.store.AddRequests(r.Context(), e.ID, ins, actor(r))
	var fe FieldErrors
	if errors.As(err, &fe) {
		// the date is one field for every row: one message for it
		shown := FieldErrors{}
		for k, msg := range fe {
			if k == "due" || strings.HasSuffix(k, ":due") {
				k, msg = "due", fmt.Sprintf("提出期限「%s」を日付として読めません（例：2026-06-01、令和8年6月1日）。", strings.TrimSpace(due))
			}
			shown[k] = msg
		}
		v := proposeView{V: engagementView{E: e, A: a, Tab: "presurvey"}, Proposals: ps, Due: due, Errors: shown, Picked: chosen}
		return web.Render(w, r, http.StatusBadRequest, "audit/requests_propose", e.Title+"（提出資料の提案）", v)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/audit/%d/requests", e.ID), fmt.Sprintf("提出資料を %d 件、一覧に追加しました。名称・目的・期限は各行の「編集」で直せます。", len(ids)), true)
}

// requestInPath reads the request of the path and checks that it belongs
// to the engagement of the path.
func (m *Module) requestInPath(r *http.Request, e Engagement) (DocRequest, error) {
	id, err := web.PathID(r, "req")
	if err != nil {
		return DocRequest{}, err
	}
	return m.store.Request(r.Context(), e.ID, id)
}

// requestEditView is the form of one request.
type requestEditView struct {
	V       engagementView
	R       DocRequest
	Form    RequestInput
	Rev     int64 // the rev the form carries
	Errors  FieldErrors
	Message string
	// Conflict: somebody else changed the request since the form was
	// read; the stored request is shown beside the typed one.
	Conflict bool
}

// Err returns the message for a field ("" when none).
func (v requestEditView) Err(field string) string { return v.Errors[field] }

func (m *Module) requestEdit(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit {
		return web.NotFound()
	}
	req, err := m.requestInPath(r, e)
	if err != nil {
		return err
	}
	v := requestEditView{V: engagementView{E: e, A: a, Tab: "presurvey"}, R: req, Rev: req.Rev,
		Form: RequestInput{Name: req.Name, Purpose: req.Purpose, Items: strings.Join(req.ItemCodes, "、"), Due: jp.DateKey(req.Due)}}
	return web.Render(w, r, http.StatusOK, "audit/requests_edit", e.Title+"（提出資料の編集）", v)
}

func (m *Module) requestUpdate(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit {
		return web.NotFound()
	}
	req, err := m.requestInPath(r, e)
	if err != nil {
		return err
	}
	in := requestForm(r)
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	err = m.store.UpdateRequest(r.Context(), e.ID, req.ID, rev, in, actor(r))
	var fe FieldErrors
	switch {
	case err == nil:
		return web.Redirect(w, r, fmt.Sprintf("/audit/%d/requests#request-%d", e.ID, req.ID), "提出資料「"+cleanText(in.Name)+"」を変更しました。", true)
	case errors.As(err, &fe):
		v := requestEditView{V: engagementView{E: e, A: a, Tab: "presurvey"}, R: req, Form: in, Rev: rev, Errors: fe, Message: "入力に誤りがあるため、保存していません。"}
		return web.Render(w, r, http.StatusBadRequest, "audit/requests_edit", e.Title+"（提出資料の編集）", v)
	case errors.Is(err, ErrConflict):
		v := requestEditView{V: engagementView{E: e, A: a, Tab: "presurvey"}, R: req, Form: in, Rev: req.Rev, Conflict: true,
			Message: "この資料の依頼は、画面を開いた後に他の人が変更しています（今の内容は下の「保存されている内容」のとおりです）。入力した内容は残しています。確かめてから、もう一度保存してください。"}
		return web.Render(w, r, http.StatusConflict, "audit/requests_edit", e.Title+"（提出資料の編集）", v)
	}
	return err
}

func (m *Module) requestDelete(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit {
		return web.NotFound()
	}
	req, err := m.requestInPath(r, e)
	if err != nil {
		return err
	}
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	err = m.store.RemoveRequest(r.Context(), e.ID, req.ID, rev, actor(r))
	var fe FieldErrors
	switch {
	case err == nil:
		return web.Redirect(w, r, fmt.Sprintf("/audit/%d/requests", e.ID), "提出資料「"+req.Name+"」を一覧から削除しました。", true)
	case errors.As(err, &fe):
		return web.Redirect(w, r, fmt.Sprintf("/audit/%d/requests#request-%d", e.ID, req.ID), fe.Error(), false)
	case errors.Is(err, ErrConflict):
		return web.Redirect(w, r, fmt.Sprintf("/audit/%d/requests#request-%d", e.ID, req.ID),
			"この資料の依頼は、画面を開いた後に変更されています。内容を確かめてから、もう一度操作してください。", false)
	}
	return err
}

// requestUpload keeps a file submitted for a request as evidence
// (encrypted with the engagement's key). A refused file leaves the page
// with its message and the typed note.
func (m *Module) requestUpload(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	up, uerr := evidenceUpload.Read(r) // first, so that its temporary file goes whatever follows
	if !a.Audit && !a.Auditee {
		return web.NotFound()
	}
	req, err := m.requestInPath(r, e)
	if err != nil {
		return err
	}
	note := r.PostFormValue("note")
	refuse := func(status int, msg string) error {
		v, err := m.requestsPage(r, e, a)
		if err != nil {
			return err
		}
		v.UploadFor, v.Note, v.Message = req.ID, note, "「"+req.Name+"」: "+msg
		v.Errors = FieldErrors{"file": msg}
		return m.renderRequests(w, r, status, v)
	}
	var we *web.Error
	if errors.As(uerr, &we) {
		return refuse(we.Status, we.Msg)
	}
	if uerr != nil {
		return uerr
	}
	_, err = m.store.AddEvidence(r.Context(), e.ID, EvidenceInput{RequestID: req.ID, Kind: EvidenceDocument, Filename: up.Name,
		ContentType: up.ContentType, Data: up.Data, Note: note}, actor(r))
	var fe FieldErrors
	switch {
	case errors.As(err, &fe):
		return refuse(http.StatusBadRequest, fe.Error())
	case errors.Is(err, ErrKeyDestroyed):
		return refuse(http.StatusGone, ErrKeyDestroyed.Error())
	case err != nil:
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/audit/%d/requests#request-%d", e.ID, req.ID),
		fmt.Sprintf("「%s」に %s（%s）を提出しました。", req.Name, up.Name, sizeLabel(int64(len(up.Data)))), true)
}
