package audit

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/web"
)

// The interview (聞き取り) and site-inspection (視察) records of fieldwork:
// a list with forms to start one, and one record per screen, saved as it
// is typed like an item.

func (m *Module) interviewRoutes(rt *web.Router, eng web.Rule) {
	iv := eng.On(m.childObject("audit.interview", "iv", "audit_interviews"))
	rt.Handle("GET /audit/{id}/interviews", eng, m.interviewList)
	rt.Handle("POST /audit/{id}/interviews", eng, m.interviewCreate)
	rt.Handle("GET /audit/{id}/interviews/{iv}", iv, m.interviewShow)
	rt.Handle("POST /audit/{id}/interviews/{iv}", iv, m.interviewSave)
	rt.Handle("POST /audit/{id}/interviews/{iv}/delete", iv, m.interviewDelete)
}

// deptChoice is a department the interviewee may belong to: an audited
// department or one below it.
type deptChoice struct {
	ID   int64
	Path string
}

func (m *Module) auditedDepts(r *http.Request, e Engagement) ([]deptChoice, error) {
	tree, err := m.org.Departments(r.Context())
	if err != nil {
		return nil, err
	}
	var out []deptChoice
	seen := map[int64]bool{}
	for _, t := range e.Targets {
		for _, id := range tree.Subtree(t.DepartmentID) {
			if d := tree.ByID[id]; d != nil && d.Active && !seen[id] {
				seen[id] = true
				out = append(out, deptChoice{ID: id, Path: d.Path})
			}
		}
	}
	return out, nil
}

type interviewListView struct {
	V          engagementView
	Head       fieldworkHead
	Interviews []Interview
	Depts      []deptChoice
	Form       InterviewInput // the new record's form (kind chosen by its button)
	Errors     FieldErrors
	Closed     bool
	SiteItems  int
	User       int64
	// DefaultHeld proposes the first visit day for a new record.
	DefaultHeld string
}

// interviewList lists the interviews and inspection rounds, with the form
// to start one (?item=CODE prefills the item concerned).
func (m *Module) interviewList(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.loadAudit(r)
	if err != nil {
		return err
	}
	in := InterviewInput{Kind: InterviewPerson, ItemCodes: strings.TrimSpace(r.URL.Query().Get("item")), HeldAt: defaultHeld(e)}
	v, err := m.interviewListView(r, e, a, in)
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "audit/interview_list", "聞き取り・視察の記録", v)
}

// defaultHeld proposes the first visit day for a new record.
func defaultHeld(e Engagement) string {
	if d := e.FirstVisit(); !d.IsZero() {
		return jp.DateKey(d) + "T10:00"
	}
	return ""
}

func (m *Module) interviewListView(r *http.Request, e Engagement, a Access, in InterviewInput) (*interviewListView, error) {
	ctx := r.Context()
	ivs, err := m.store.Interviews(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	depts, err := m.auditedDepts(r, e)
	if err != nil {
		return nil, err
	}
	closed, err := m.store.FieldworkClosed(ctx, e)
	if err != nil {
		return nil, err
	}
	v := &interviewListView{V: engagementView{E: e, A: a, Tab: "fieldwork"}, Head: fwHead, Interviews: ivs, Depts: depts, Form: in, Closed: closed,
		User: web.UserFrom(ctx).ID, DefaultHeld: defaultHeld(e)}
	items, err := m.store.Items(ctx, e.ID, ItemFilter{})
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if it.SiteInspection {
			v.SiteItems++
		}
	}
	return v, nil
}

// interviewInputOf reads an interview form: the item codes typed, and on
// an inspection round the 視察 items ticked.
func interviewInputOf(r *http.Request) InterviewInput {
	in := InterviewInput{Kind: r.PostFormValue("kind"), Person: r.PostFormValue("person"), Position: r.PostFormValue("position"),
		Place: r.PostFormValue("place"), HeldAt: r.PostFormValue("held_at"), Notes: r.PostFormValue("notes")}
	if s := strings.TrimSpace(r.PostFormValue("department")); s != "" {
		in.DepartmentID, _ = strconv.ParseInt(s, 10, 64)
		if in.DepartmentID <= 0 {
			in.DepartmentID = -1 // refused by the check as not audited
		}
	}
	codes := append(slices.Clone(r.PostForm["item"]), r.PostFormValue("items"))
	in.ItemCodes = strings.Join(slices.DeleteFunc(codes, func(s string) bool { return strings.TrimSpace(s) == "" }), ", ")
	return in
}

// interviewCreate starts an interview or inspection round and opens it.
func (m *Module) interviewCreate(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.loadAudit(r)
	if err != nil {
		return err
	}
	in := interviewInputOf(r)
	id, err := m.store.CreateInterview(r.Context(), e, in, actor(r))
	if err == nil {
		iv := Interview{Kind: in.Kind}
		return web.Redirect(w, r, fmt.Sprintf("/audit/%d/interviews/%d", e.ID, id), iv.KindLabel()+"の記録を作成しました。続けて入力してください（入力は自動で保存されます）。", true)
	}
	status, msg, ok := fieldworkFailure(err)
	if !ok {
		return err
	}
	v, verr := m.interviewListView(r, e, a, in)
	if verr != nil {
		return verr
	}
	errors.As(err, &v.Errors)
	if v.Errors == nil {
		v.Errors = FieldErrors{"": msg}
	}
	return web.Render(w, r, status, "audit/interview_list", "聞き取り・視察の記録", v)
}

// siteItem is a 視察 item of an inspection round, ticked or not.
type siteItem struct {
	It      Item
	Checked bool
}

type interviewView struct {
	V         engagementView
	Head      fieldworkHead
	Iv        Interview
	Form      InterviewInput
	Rev       int64
	Depts     []deptChoice
	Errors    FieldErrors
	Message   string
	Conflict  *conflictView
	Closed    bool
	SiteItems []siteItem // a round's 視察 items
	Other     string     // codes named besides the 視察 items
	Named     []Item     // the items the record names
	User      int64
	SaveURL   string
}

func (m *Module) loadInterview(r *http.Request, e Engagement) (Interview, error) {
	id, err := web.PathID(r, "iv")
	if err != nil {
		return Interview{}, err
	}
	iv, err := m.store.Interview(r.Context(), e.ID, id)
	if errors.Is(err, database.ErrNotFound) {
		return iv, web.NotFound()
	}
	return iv, err
}

func (m *Module) interviewView(r *http.Request, e Engagement, a Access, iv Interview, in InterviewInput, rev int64) (*interviewView, error) {
	ctx := r.Context()
	depts, err := m.auditedDepts(r, e)
	if err != nil {
		return nil, err
	}
	closed, err := m.store.FieldworkClosed(ctx, e)
	if err != nil {
		return nil, err
	}
	v := &interviewView{V: engagementView{E: e, A: a, Tab: "fieldwork"}, Head: fwHead, Iv: iv, Form: in, Rev: rev, Depts: depts, Closed: closed,
		User: web.UserFrom(ctx).ID, SaveURL: fmt.Sprintf("/audit/%d/interviews/%d", e.ID, iv.ID)}
	items, err := m.store.Items(ctx, e.ID, ItemFilter{})
	if err != nil {
		return nil, err
	}
	named := fwSplitCodes(in.ItemCodes)
	var other []string
	site := map[string]bool{}
	for _, it := range items {
		if slices.Contains(named, it.Code) {
			v.Named = append(v.Named, it)
		}
		if iv.Inspection() && it.SiteInspection {
			site[it.Code] = true
			v.SiteItems = append(v.SiteItems, siteItem{It: it, Checked: slices.Contains(named, it.Code)})
		}
	}
	for _, c := range named {
		if !site[c] {
			other = append(other, c)
		}
	}
	v.Other = strings.Join(other, ", ")
	return v, nil
}

func interviewTitle(iv Interview) string { return iv.Title() }

// interviewShow is one interview or inspection round, its form saved as
// typed.
func (m *Module) interviewShow(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.loadAudit(r)
	if err != nil {
		return err
	}
	iv, err := m.loadInterview(r, e)
	if err != nil {
		return err
	}
	v, err := m.interviewView(r, e, a, iv, InputOf(iv), iv.Rev)
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "audit/interview_show", interviewTitle(iv), v)
}

// interviewValues is a record as form values (for the script to load the
// other person's version).
func interviewValues(iv Interview) map[string][]string {
	in := InputOf(iv)
	dept := ""
	if iv.DepartmentID != 0 {
		dept = strconv.FormatInt(iv.DepartmentID, 10)
	}
	return map[string][]string{"person": {in.Person}, "position": {in.Position}, "place": {in.Place}, "department": {dept},
		"held_at": {in.HeldAt}, "items": {in.ItemCodes}, "item": append([]string{}, iv.ItemCodes...), "notes": {in.Notes}}
}

func interviewConflict(cur Interview, mine InterviewInput, deptName string) *conflictView {
	c := &conflictView{Message: ErrConflict.Error(), By: whoOr(cur.UpdatedBy), Rev: cur.Rev}
	if !cur.UpdatedAt.IsZero() {
		c.At = jp.FormatWarekiDateTime(cur.UpdatedAt)
	}
	theirs := InputOf(cur)
	add := func(label, a, b string, long bool) {
		c.Fields = append(c.Fields, conflictField{Label: label, Theirs: a, Mine: b, Long: long, Differs: a != b})
	}
	if cur.Inspection() {
		add("場所", theirs.Place, strings.TrimSpace(mine.Place), false)
		add("案内者", theirs.Person, strings.TrimSpace(mine.Person), false)
	} else {
		add("氏名", theirs.Person, strings.TrimSpace(mine.Person), false)
		add("職名", theirs.Position, strings.TrimSpace(mine.Position), false)
	}
	add("所属", cur.Department, deptName, false)
	add("日時", cur.HeldLabel(), strings.Replace(mine.HeldAt, "T", " ", 1), false)
	add("関係する項目", theirs.ItemCodes, strings.Join(fwSplitCodes(mine.ItemCodes), ", "), false)
	add("記録", theirs.Notes, cleanNotes(mine.Notes), true)
	return c
}

// interviewSave saves an interview form (script or plain form), like
// itemSave.
func (m *Module) interviewSave(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.loadAudit(r)
	if err != nil {
		return err
	}
	iv, err := m.loadInterview(r, e)
	if err != nil {
		return err
	}
	rev, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("rev")), 10, 64)
	if err != nil || rev < 0 {
		return web.Invalid("画面の版が読み取れません。画面を読み込み直してから入力してください。")
	}
	in := interviewInputOf(r)
	in.Kind = iv.Kind // the kind is chosen once, when the record is made
	saved, err := m.store.SaveInterview(r.Context(), e, iv.ID, rev, in, actor(r))
	js := wantsJSON(r)
	if err == nil {
		if js {
			at := ""
			if !saved.UpdatedAt.IsZero() {
				at = jp.FormatWarekiDateTime(saved.UpdatedAt)
			}
			return writeJSON(w, http.StatusOK, saveReply{OK: true, Rev: saved.Rev, Message: "保存しました。", SavedAt: at})
		}
		return web.Redirect(w, r, fmt.Sprintf("/audit/%d/interviews/%d", e.ID, iv.ID), "保存しました。", true)
	}
	if errors.Is(err, database.ErrNotFound) {
		return web.NotFound()
	}
	status, msg, ok := fieldworkFailure(err)
	if !ok {
		return err
	}
	var fe FieldErrors
	errors.As(err, &fe)
	var conflict *conflictView
	if errors.Is(err, ErrConflict) {
		cur, cerr := m.store.Interview(r.Context(), e.ID, iv.ID)
		if cerr != nil {
			return cerr
		}
		iv, conflict = cur, interviewConflict(cur, in, m.store.departmentName(r.Context(), in.DepartmentID))
	}
	if js {
		reply := saveReply{Message: msg, Errors: fe, Closed: errors.Is(err, ErrFieldworkClosed)}
		if conflict != nil {
			reply.Conflict = &conflictReply{Rev: conflict.Rev, By: conflict.By, At: conflict.At, Values: interviewValues(iv), Fields: conflict.Fields}
		}
		return writeJSON(w, status, reply)
	}
	useRev := rev
	if conflict != nil {
		useRev = conflict.Rev
	}
	v, verr := m.interviewView(r, e, a, iv, in, useRev)
	if verr != nil {
		return verr
	}
	v.Errors, v.Conflict = fe, conflict
	if fe == nil && conflict == nil {
		v.Message = msg
	}
	return web.Render(w, r, status, "audit/interview_show", interviewTitle(iv), v)
}

// interviewDelete removes a record made by mistake.
func (m *Module) interviewDelete(w http.ResponseWriter, r *http.Request) error {
	e, _, err := m.loadAudit(r)
	if err != nil {
		return err
	}
	iv, err := m.loadInterview(r, e)
	if err != nil {
		return err
	}
	rev, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("rev")), 10, 64)
	if err != nil {
		return web.Invalid("画面の版が読み取れません。画面を読み込み直してから操作してください。")
	}
	err = m.store.DeleteInterview(r.Context(), e.ID, iv.ID, rev, actor(r))
	if err == nil {
		return web.Redirect(w, r, fmt.Sprintf("/audit/%d/interviews", e.ID), iv.Title()+"の記録を削除しました。", true)
	}
	if errors.Is(err, database.ErrNotFound) {
		return web.NotFound()
	}
	if _, msg, ok := fieldworkFailure(err); ok {
		return web.Redirect(w, r, fmt.Sprintf("/audit/%d/interviews/%d", e.ID, iv.ID), msg, false)
	}
	return err
}
