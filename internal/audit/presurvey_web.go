package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"mamori/internal/docgen/formats"
	"mamori/internal/jp"
	"mamori/internal/web"
)

// The screens of the pre-audit questionnaire (事前調査票): the auditee
// answers it (drafts, submit) or fills in its Excel file and imports it
// after a preview; the auditors read the answers beside the items, see
// what is missing, return it with a comment or close it, set its due date
// and mark items to look at closely in the visit. The requested documents
// are requests_web.go, the evidence files evidence_web.go.

// presurveyRoutes registers the questionnaire's screens, the requested
// documents' and the evidence downloads.
func (m *Module) presurveyRoutes(rt *web.Router) {
	eng := m.engagementObject()
	engaged, auditing := Engaged.Rule().On(eng), Auditing.Rule().On(eng)
	rt.Handle("GET /audit/{id}/presurvey", engaged, m.presurveyShow)
	// The whole questionnaire is one form: hundreds of answers of up to
	// 2,000 characters each may exceed a form's limit.
	rt.Handle("POST /audit/{id}/presurvey", Engaged.Rule().WithBodyLimit(web.DocumentMaxBody).On(eng), m.presurveySave)
	rt.Handle("POST /audit/{id}/presurvey/state", auditing, m.presurveyState)
	rt.Handle("POST /audit/{id}/presurvey/due", auditing, m.presurveyDue)
	rt.Handle("POST /audit/{id}/presurvey/focus", auditing, m.presurveyFocus)
	rt.Handle("GET /audit/{id}/presurvey/export.xlsx", engaged, m.presurveyExport)
	rt.Handle("POST /audit/{id}/presurvey/import", Engaged.Rule().WithUpload().On(eng), m.presurveyImport)
	// The preview carries the changes it showed (every answer of a large
	// questionnaire can be long), so its form may exceed a form's limit.
	rt.Handle("POST /audit/{id}/presurvey/import/apply", Engaged.Rule().WithBodyLimit(web.DocumentMaxBody).On(eng), m.presurveyApply)
	rt.Handle("GET /audit/{id}/presurvey/document.pdf", engaged, m.presurveyDocument(formats.PDF))
	rt.Handle("GET /audit/{id}/presurvey/document.docx", engaged, m.presurveyDocument(formats.DOCX))
	m.requestRoutes(rt)
	m.evidenceRoutes(rt)
}

// presurveyRow is one item of the questionnaire as a page shows it: the
// answer in the form (as stored, or as typed when a save was refused), the
// token the form read, and what went wrong with it.
type presurveyRow struct {
	Item
	Choice string
	Text   string
	Base   string
	Err    string
	// Theirs is the stored answer when somebody else changed it after the
	// form was read: shown beside the text the user typed, which is kept.
	Theirs *Item
}

// presurveyGroup is the rows of one category.
type presurveyGroup struct {
	Category string
	Rows     []presurveyRow
}

// LastID is the id of the group's last item (where its save button
// brings the page back to).
func (g presurveyGroup) LastID() int64 {
	if len(g.Rows) == 0 {
		return 0
	}
	return g.Rows[len(g.Rows)-1].ID
}

// presurveyView is the questionnaire page.
type presurveyView struct {
	V        engagementView
	P        Presurvey
	Text     PresurveyText
	Groups   []presurveyGroup
	Gaps     PresurveyGaps
	Editable bool // the auditee may change the answers
	Errors   FieldErrors
	Message  string // why the form was refused
	Choices  []struct{ Code, Label string }
	Overdue  bool
	// Requests are the requested documents; for an auditee, Files of each
	// hold only their department's.
	Requests []DocRequest
	MaxMB    int
	// Kept are the values typed into the auditors' forms (comment, due)
	// when one was refused.
	Kept map[string]string
}

// Err returns the message for a field ("" when none).
func (v presurveyView) Err(field string) string { return v.Errors[field] }

// Lines splits a multi-line text for display.
func (presurveyView) Lines(s string) []string { return lines(s) }

// ChoiceLabel names an answer choice.
func (presurveyView) ChoiceLabel(code string) string { return AnswerChoiceLabel(code) }

// StateClass is the badge class of the questionnaire's state.
func (v presurveyView) StateClass() string {
	switch v.P.State {
	case PresurveySubmitted, PresurveyClosed:
		return "badge-ok"
	case PresurveyChangesRequested:
		return "badge-ng"
	}
	return ""
}

// DueInput is the due date for the date input (only one set on the
// questionnaire itself; the step's due date is the placeholder).
func (v presurveyView) DueInput() string {
	if !v.P.OwnDue {
		return ""
	}
	return jp.DateKey(v.P.Due)
}

// unansweredShown is how many unanswered items the auditors' summary
// names (the table below shows them all).
const unansweredShown = 15

// FirstUnanswered are the unanswered items the summary names.
func (v presurveyView) FirstUnanswered() []Item {
	return v.Gaps.Unanswered[:min(len(v.Gaps.Unanswered), unansweredShown)]
}

// MoreUnanswered is how many more are unanswered.
func (v presurveyView) MoreUnanswered() int { return max(len(v.Gaps.Unanswered)-unansweredShown, 0) }

// DocsFor lists the requested documents that serve an item.
func (v presurveyView) DocsFor(code string) []DocRequest {
	var out []DocRequest
	for _, r := range v.Requests {
		if r.Serves(code) {
			out = append(out, r)
		}
	}
	return out
}

// Answered is the number of answered rows (as the form shows them).
func (v presurveyView) Answered() int {
	n := 0
	for _, g := range v.Groups {
		for _, r := range g.Rows {
			if r.Choice != "" {
				n++
			}
		}
	}
	return n
}

// Total is the number of questionnaire items.
func (v presurveyView) Total() int {
	n := 0
	for _, g := range v.Groups {
		n += len(g.Rows)
	}
	return n
}

// Missing counts the requests without a file (for an auditee, without a
// file of their department).
func (v presurveyView) Missing() int {
	n := 0
	for _, r := range v.Requests {
		if len(r.Files) == 0 {
			n++
		}
	}
	return n
}

// presurveyPage reads what the questionnaire page shows; typed (when not
// nil) holds the answers of a refused form by item id, kept on the page.
func (m *Module) presurveyPage(r *http.Request, e Engagement, a Access, typed map[int64]AnswerInput, fe FieldErrors, conflict []int64) (presurveyView, error) {
	ctx := r.Context()
	v := presurveyView{V: engagementView{E: e, A: a, Tab: "presurvey"}, Errors: fe, Choices: AnswerChoices, MaxMB: MaxPresurveyXLSX >> 20}
	text, err := presurveyText()
	if err != nil {
		return v, err
	}
	if v.P, err = m.store.Presurvey(ctx, e.ID); err != nil {
		return v, err
	}
	v.Text = text.Fill(e, v.P)
	v.Overdue = v.P.Overdue(m.now())
	v.Editable = a.Auditee && !v.P.Locked()
	items, err := m.store.PresurveyItems(ctx, e.ID)
	if err != nil {
		return v, err
	}
	clash := map[int64]bool{}
	for _, id := range conflict {
		clash[id] = true
	}
	for _, it := range items {
		row := presurveyRow{Item: it, Choice: it.AnswerChoice, Text: it.Answer, Base: AnswerToken(it), Err: fe[AnswerField(it.ID)]}
		if t, ok := typed[it.ID]; ok {
			row.Choice, row.Text = t.Choice, t.Text
			if !clash[it.ID] {
				// the form's own base, so a later save still sees
				// changes made by others in between
				row.Base = t.Base
			} else {
				theirs := it
				row.Theirs = &theirs
			}
		}
		if n := len(v.Groups); n == 0 || v.Groups[n-1].Category != it.Category {
			v.Groups = append(v.Groups, presurveyGroup{Category: it.Category})
		}
		g := &v.Groups[len(v.Groups)-1]
		g.Rows = append(g.Rows, row)
	}
	if v.Requests, err = m.visibleRequests(r, e, a); err != nil {
		return v, err
	}
	if a.Audit {
		if v.Gaps, err = m.store.MissingBeforeVisit(ctx, e.ID); err != nil {
			return v, err
		}
	}
	return v, nil
}

func (m *Module) renderPresurvey(w http.ResponseWriter, r *http.Request, status int, v presurveyView) error {
	return web.Render(w, r, status, "audit/presurvey_show", v.V.E.Title+"（事前調査票）", v)
}

func (m *Module) presurveyShow(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit && !a.Auditee {
		return web.NotFound()
	}
	v, err := m.presurveyPage(r, e, a, nil, nil, nil)
	if err != nil {
		return err
	}
	return m.renderPresurvey(w, r, http.StatusOK, v)
}

// presurveySave saves the auditee's answers (「一時保存」) or saves and
// submits them (「提出する」). A refused form comes back with everything
// typed still in it.
func (m *Module) presurveySave(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Auditee {
		return web.NotFound()
	}
	var in []AnswerInput
	typed := map[int64]AnswerInput{}
	for _, s := range r.PostForm["item"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return web.Invalid("送信された項目の指定が正しくありません。画面を読み込み直してください。")
		}
		k := strconv.FormatInt(id, 10)
		ai := AnswerInput{ItemID: id, Choice: r.PostFormValue("choice_" + k), Text: r.PostFormValue("text_" + k), Base: r.PostFormValue("base_" + k)}
		in = append(in, ai)
		typed[id] = ai
	}
	action := r.PostFormValue("action")
	submit := action == "submit"
	// 「ここまでを一時保存」 comes back to where it was pressed.
	back := fmt.Sprintf("/audit/%d/presurvey", e.ID)
	if at, ok := strings.CutPrefix(action, "save#item-"); ok {
		if id, err := strconv.ParseInt(at, 10, 64); err == nil && id > 0 {
			back += "#item-" + strconv.FormatInt(id, 10)
		}
	}
	n, err := m.store.SaveAnswers(r.Context(), e.ID, in, submit, actor(r))
	var fe FieldErrors
	var ac *AnswerConflict
	var status int
	msg := ""
	switch {
	case err == nil:
		switch {
		case submit:
			return web.Redirect(w, r, fmt.Sprintf("/audit/%d/presurvey", e.ID), "事前調査票を提出しました。監査人が内容を確認します。", true)
		case n == 0:
			return web.Redirect(w, r, back, "変更された回答はありませんでした。", true)
		}
		return web.Redirect(w, r, back, fmt.Sprintf("%d 項目の回答を一時保存しました。", n), true)
	case errors.As(err, &fe):
		status, msg = http.StatusBadRequest, "入力に誤りがあるため、保存していません。赤字の項目を直してから、もう一度保存してください。"
		if s := fe["submit"]; s != "" {
			msg = s + "（回答は保存していません）"
		}
		if s := fe["form"]; s != "" {
			msg = s
		}
	case errors.As(err, &ac):
		status, msg = http.StatusConflict, ac.Error()+"（どの回答も保存していません）"
		for _, id := range ac.Items {
			if fe == nil {
				fe = FieldErrors{}
			}
			fe[AnswerField(id)] = "この項目は、画面を開いた後に他の人が回答を保存しています。下の「保存されている回答」と見比べ、残す内容にしてから保存してください。"
		}
	case errors.Is(err, ErrPresurveyLocked):
		status, msg = http.StatusConflict, ErrPresurveyLocked.Error()+"入力した内容は保存していません（この画面に残しています）。"
	case errors.Is(err, ErrConflict):
		status, msg = http.StatusConflict, ErrConflict.Error()
	default:
		return err
	}
	var clash []int64
	if ac != nil {
		clash = ac.Items
	}
	locked := errors.Is(err, ErrPresurveyLocked)
	v, err := m.presurveyPage(r, e, a, typed, fe, clash)
	if err != nil {
		return err
	}
	v.Message = msg
	if locked {
		v.Editable = false
	}
	return m.renderPresurvey(w, r, status, v)
}

// presurveyState is the auditors' control of the questionnaire: return it
// to the auditee with a comment, or close it.
func (m *Module) presurveyState(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit {
		return web.NotFound()
	}
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	by := actor(r)
	var ok string
	switch r.PostFormValue("action") {
	case "request_changes":
		err, ok = m.store.RequestPresurveyChanges(r.Context(), e.ID, rev, r.PostFormValue("comment"), by), "事前調査票を修正の依頼とともに差し戻しました。"
	case "close":
		err, ok = m.store.ClosePresurvey(r.Context(), e.ID, rev, by), "事前調査票を確認済みにしました。"
	default:
		return web.Invalid("操作を選んでください。")
	}
	var fe FieldErrors
	switch {
	case err == nil:
		return web.Redirect(w, r, fmt.Sprintf("/audit/%d/presurvey", e.ID), ok, true)
	case errors.As(err, &fe), errors.Is(err, ErrConflict):
		status := http.StatusBadRequest
		if errors.Is(err, ErrConflict) {
			status, fe = http.StatusConflict, FieldErrors{"state": "画面を開いた後に、回答または状態が更新されています。内容を確かめてから、もう一度操作してください。"}
		}
		v, err := m.presurveyPage(r, e, a, nil, fe, nil)
		if err != nil {
			return err
		}
		v.Message = fe.Error()
		v.Kept = map[string]string{"comment": r.PostFormValue("comment")}
		return m.renderPresurvey(w, r, status, v)
	}
	return err
}

// presurveyDue sets the answers' due date.
func (m *Module) presurveyDue(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit {
		return web.NotFound()
	}
	var due time.Time
	if s := strings.TrimSpace(r.PostFormValue("due")); s != "" {
		if due, err = jp.ParseDate(s); err != nil {
			v, err := m.presurveyPage(r, e, a, nil, FieldErrors{"due": fmt.Sprintf("回答期限「%s」を日付として読めません（例：2026-06-01、令和8年6月1日）。", s)}, nil)
			if err != nil {
				return err
			}
			v.Message, v.Kept = v.Errors["due"], map[string]string{"due": s}
			return m.renderPresurvey(w, r, http.StatusBadRequest, v)
		}
	}
	if err := m.store.SetPresurveyDue(r.Context(), e.ID, due, actor(r)); err != nil {
		return err
	}
	msg := "回答期限を" + jp.FormatWareki(due) + "にしました。"
	if due.IsZero() {
		msg = "回答期限の指定を取り消しました（事前調査の工程の期限を使います）。"
	}
	return web.Redirect(w, r, fmt.Sprintf("/audit/%d/presurvey", e.ID), msg, true)
}

// presurveyFocus marks an item 重点確認 or clears the mark.
func (m *Module) presurveyFocus(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit {
		return web.NotFound()
	}
	item, err := strconv.ParseInt(r.PostFormValue("item"), 10, 64)
	if err != nil || item <= 0 {
		return web.NotFound()
	}
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	on := r.PostFormValue("focus") == "1"
	back := fmt.Sprintf("/audit/%d/presurvey#item-%d", e.ID, item)
	err = m.store.SetFocus(r.Context(), e.ID, item, rev, on, actor(r))
	var fe FieldErrors
	switch {
	case err == nil:
		msg := "重点確認に指定しました。"
		if !on {
			msg = "重点確認を解除しました。"
		}
		return web.Redirect(w, r, back, msg, true)
	case errors.Is(err, ErrConflict):
		return web.Redirect(w, r, back, "この項目は画面を開いた後に更新されています。内容を確かめてから、もう一度操作してください。", false)
	case errors.As(err, &fe):
		return web.Redirect(w, r, back, fe.Error(), false)
	}
	return err
}

// presurveyExport downloads the questionnaire as Excel for the auditee to
// fill in (or the auditors to read), audited.
func (m *Module) presurveyExport(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit && !a.Auditee {
		return web.NotFound()
	}
	d, err := m.store.PresurveyWorkbook(r.Context(), e)
	if err != nil {
		return err
	}
	name := web.JoinFileName("xlsx", e.Code, "事前調査票")
	p, err := m.store.Presurvey(r.Context(), e.ID)
	if err != nil {
		return err
	}
	return web.Send(w, r, m.log, web.Download{Name: name, ContentType: formats.XLSX.ContentType, Target: fmt.Sprintf("audit_engagement:%d", e.ID),
		Detail: fmt.Sprintf("%s（事前調査票の Excel、版 %d）", name, p.Rev)}, func(out io.Writer) error { return WritePresurveyXLSX(out, d) })
}

// presurveyDocument downloads the printed questionnaire (with the answers
// when ?answers=1), audited.
func (m *Module) presurveyDocument(f formats.Format) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		e, a, err := m.load(r)
		if err != nil {
			return err
		}
		if !a.Audit && !a.Auditee {
			return web.NotFound()
		}
		with := r.URL.Query().Get("answers") == "1"
		d, err := m.store.PresurveyDocument(r.Context(), e, with)
		if err != nil {
			return err
		}
		what := "事前調査票"
		if with {
			what = "事前調査票（回答入り）"
		}
		name := web.JoinFileName(strings.TrimPrefix(f.Ext, "."), e.Code, what)
		return web.Send(w, r, m.log, web.Download{Name: name, ContentType: f.ContentType, Target: fmt.Sprintf("audit_engagement:%d", e.ID)},
			func(out io.Writer) error { return f.Render(out, d) })
	}
}

// presurveyUpload is what the import accepts: one workbook.
var presurveyUpload = web.Upload{MaxBytes: MaxPresurveyXLSX, Types: []web.FileType{web.XLSX}, Fallback: "事前調査票.xlsx"}

// importView is the preview of an imported workbook.
type importView struct {
	V       engagementView
	Plan    *PresurveyImport
	Message string
	// Payload is the changes as the apply form carries them back.
	Payload string
}

// Lines splits a multi-line text for display.
func (importView) Lines(s string) []string { return strings.Split(s, "\n") }

// importPayload is one change as the preview's form carries it.
type importPayload struct {
	Code   string `json:"code"`
	Choice string `json:"choice,omitempty"`
	Text   string `json:"text,omitempty"`
}

func (m *Module) renderImport(w http.ResponseWriter, r *http.Request, status int, v importView) error {
	return web.Render(w, r, status, "audit/presurvey_import", v.V.E.Title+"（事前調査票の取込み）", v)
}

// presurveyImport reads an uploaded workbook and shows every change it
// would make, or why it is refused (refusals are audited).
func (m *Module) presurveyImport(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	sent := ""
	if mf := r.MultipartForm; mf != nil && len(mf.File["file"]) > 0 {
		sent = web.UploadName(mf.File["file"][0].Filename, "")
	}
	up, uerr := presurveyUpload.Read(r) // first, so that its temporary file goes whatever follows
	if !a.Auditee {
		return web.NotFound()
	}
	v := importView{V: engagementView{E: e, A: a, Tab: "presurvey"}}
	var we *web.Error
	if errors.As(uerr, &we) {
		if err := m.store.recordImportRefusal(r.Context(), e.ID, sent, []string{we.Msg}); err != nil {
			return err
		}
		v.Plan = &PresurveyImport{File: sent, Errors: []string{we.Msg}}
		return m.renderImport(w, r, we.Status, v)
	}
	if uerr != nil {
		return uerr
	}
	plan, err := m.store.PlanPresurveyImport(r.Context(), e, up.Name, up.Data)
	if err != nil {
		return err
	}
	v.Plan = plan
	if !plan.OK() {
		if err := m.store.recordImportRefusal(r.Context(), e.ID, up.Name, plan.Errors); err != nil {
			return err
		}
		return m.renderImport(w, r, http.StatusBadRequest, v)
	}
	var pl []importPayload
	for _, c := range plan.Changes {
		pl = append(pl, importPayload{Code: c.Code, Choice: c.NewChoice, Text: c.NewText})
	}
	b, err := json.Marshal(pl)
	if err != nil {
		return err
	}
	v.Payload = string(b)
	return m.renderImport(w, r, http.StatusOK, v)
}

// presurveyApply applies the previewed changes, if the questionnaire has
// not changed since the preview.
func (m *Module) presurveyApply(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Auditee {
		return web.NotFound()
	}
	rev, err := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	if err != nil {
		return web.Invalid("取り込む内容の指定が正しくありません。もう一度ファイルを選んで取り込んでください。")
	}
	var pl []importPayload
	if err := json.Unmarshal([]byte(r.PostFormValue("changes")), &pl); err != nil {
		return web.Invalid("取り込む内容の指定が正しくありません。もう一度ファイルを選んで取り込んでください。")
	}
	changes := make([]AnswerChange, 0, len(pl))
	for _, p := range pl {
		changes = append(changes, AnswerChange{Code: p.Code, NewChoice: p.Choice, NewText: p.Text})
	}
	file := web.UploadName(r.PostFormValue("file"), "事前調査票.xlsx")
	n, err := m.store.ApplyPresurveyImport(r.Context(), e, rev, changes, file, actor(r))
	var fe FieldErrors
	var st *StaleImportError
	var ac *AnswerConflict
	switch {
	case err == nil:
		msg := fmt.Sprintf("%s から %d 項目の回答を取り込みました。", file, n)
		if n == 0 {
			msg = file + " の回答は登録済みの回答と同じでした（変更なし）。"
		}
		return web.Redirect(w, r, fmt.Sprintf("/audit/%d/presurvey", e.ID), msg, true)
	case errors.As(err, &fe), errors.As(err, &st), errors.As(err, &ac), errors.Is(err, ErrPresurveyLocked), errors.Is(err, ErrConflict):
		if err := m.store.recordImportRefusal(r.Context(), e.ID, file, []string{err.Error()}); err != nil {
			return err
		}
		status := http.StatusConflict
		if fe != nil {
			status = http.StatusBadRequest
		}
		return m.renderImport(w, r, status, importView{V: engagementView{E: e, A: a, Tab: "presurvey"}, Plan: &PresurveyImport{File: file, Errors: []string{err.Error()}}})
	}
	return err
}
