package audit

// The finding screens: the findings of one engagement, the form the audit
// team writes them with (also prefilled from a checklist item), and the
// page an audited department reads and comments them on.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"mamori/internal/jp"
	"mamori/internal/web"
)

// auditeeSide writes what the audited department says: its comment on a
// finding and its improvement plan (the office and the contractor may
// write them on the department's behalf).
var auditeeSide = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleAuditee)

// textLines gives a page's view the method that splits typed text into
// its lines, so that pages show line breaks without inline styles.
type textLines struct{}

// Lines splits s into its lines (empty ones dropped).
func (textLines) Lines(s string) []string { return lines(s) }

// findingObject is the object check of a route on one finding ({f}).
func (m *Module) findingObject() web.Object {
	return m.childObject("audit.finding", "f", "audit_findings")
}

// findingRoutes registers the finding screens and the follow-up screens.
// The audit team (Access.Audit) writes findings until the report is
// final; an auditee sees their own department's findings once the report
// is in review (and comments on them then) or issued; the viewer reads
// every finding of an issued report, without changing anything.
func (m *Module) findingRoutes(rt *web.Router) {
	obj, fobj := m.engagementObject(), m.findingObject()
	team, read := Auditing.Rule(), Readers.Rule()
	rt.Handle("GET /audit/{id}/findings", read.On(obj), m.findingList)
	rt.Handle("GET /audit/{id}/findings/new", team.On(obj), m.findingNew)
	rt.Handle("POST /audit/{id}/findings", team.On(obj), m.findingCreate)
	rt.Handle("GET /audit/{id}/findings/{f}", read.On(obj).On(fobj), m.findingShow)
	rt.Handle("POST /audit/{id}/findings/{f}", team.On(obj).On(fobj), m.findingUpdate)
	rt.Handle("POST /audit/{id}/findings/{f}/delete", team.On(obj).On(fobj), m.findingDelete)
	rt.Handle("POST /audit/{id}/findings/{f}/comment", auditeeSide.Rule().On(obj).On(fobj), m.findingComment)
	m.followupRoutes(rt)
}

// findingsOpen reports whether the findings of a report in status rs are
// open to the user at all: the team always; an auditee once the report is
// in review or issued; the viewer once it is issued. Issued, not final: a
// final report reopened for its next version is a draft again, but what it
// issued stays readable.
func findingsOpen(a Access, rs reportStatus) bool {
	switch {
	case a.Audit:
		return true
	case a.Auditee:
		return rs.State == ReportReview || rs.Issued()
	case a.Viewer:
		return rs.Issued()
	}
	return false
}

// findingVisible reports whether the user may see finding f of an
// engagement whose report stands at rs (findingsOpen): the team and the
// viewer every finding, an auditee their department's.
func (m *Module) findingVisible(ctx context.Context, a Access, f Finding, rs reportStatus) (bool, error) {
	if !findingsOpen(a, rs) {
		return false, nil
	}
	if a.Audit || a.Viewer {
		return true, nil
	}
	u := web.UserFrom(ctx)
	if u == nil {
		return false, nil
	}
	return deptRelated(ctx, m.org, f.DepartmentID, u.DepartmentID)
}

// visibleFindings keeps the findings the user may see.
func (m *Module) visibleFindings(ctx context.Context, a Access, fs []Finding, rs reportStatus) ([]Finding, error) {
	var out []Finding
	for _, f := range fs {
		ok, err := m.findingVisible(ctx, a, f, rs)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, f)
		}
	}
	return out, nil
}

type findingListView struct {
	V         engagementView
	Findings  []Finding
	State     string
	StateName string
	Version   int  // the report's latest final version (0: never final)
	Issued    bool // final, or a final version kept (reportStatus.Issued)
	CanEdit   bool
	Waiting   bool   // an auditee before the report is in review, the viewer before it is issued
	Without   []Item // items judged 不適合・一部不適合 without a finding (team)
	Counts    []struct {
		Label string
		N     int
	}
}

func (m *Module) findingList(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit && !a.Auditee && !a.Viewer {
		return web.NotFound()
	}
	ctx := r.Context()
	rs, err := m.store.reportStatusOf(ctx, e.ID)
	if err != nil {
		return err
	}
	all, err := m.store.Findings(ctx, e.ID)
	if err != nil {
		return err
	}
	fs, err := m.visibleFindings(ctx, a, all, rs)
	if err != nil {
		return err
	}
	v := findingListView{V: engagementView{E: e, A: a, Tab: "findings"}, Findings: fs, State: rs.State, StateName: ReportStateLabel(rs.State),
		Version: rs.Version, Issued: rs.Issued(), CanEdit: a.Audit && rs.State != ReportFinal, Waiting: !findingsOpen(a, rs)}
	for _, t := range FindingTypes {
		n := 0
		for _, f := range fs {
			if f.Type == t.Code {
				n++
			}
		}
		v.Counts = append(v.Counts, struct {
			Label string
			N     int
		}{t.Label, n})
	}
	if a.Audit {
		items, err := m.store.Items(ctx, e.ID, ItemFilter{})
		if err != nil {
			return err
		}
		v.Without = FindingsWithout(items, all)
	}
	return web.Render(w, r, http.StatusOK, "audit/finding_list", "指摘事項 "+e.Code, v)
}

// findingFormView is the form of a new or an existing finding.
type findingFormView struct {
	V       engagementView
	F       Finding // the finding edited (ID 0: a new one)
	Values  url.Values
	Errors  FieldErrors
	Problem string
	Types   []struct{ Code, Label string }
	Risks   []string
	From    string // the item code a new finding was drawn from
}

// Get is a form value.
func (v findingFormView) Get(k string) string { return v.Values.Get(k) }

// Err is the message of a field.
func (v findingFormView) Err(k string) string { return v.Errors[k] }

// Conflict reports whether the form is shown after a conflict (the stored
// finding is F).
func (v findingFormView) Conflict() bool { return v.Errors["conflict"] != "" }

// Registered reports whether the type chosen enters the register.
func (v findingFormView) Registered() bool { return FindingRegistered(v.Get("type")) }

// findingValues are a finding's form values.
func findingValues(in FindingInput, rev int64) url.Values {
	v := url.Values{"type": {in.Type}, "title": {in.Title}, "item_codes": {strings.Join(in.ItemCodes, ", ")}, "condition": {in.Condition},
		"criteria": {in.Criteria}, "cause": {in.Cause}, "effect": {in.Effect}, "recommendation": {in.Recommendation}, "risk": {in.Risk},
		"rev": {strconv.FormatInt(rev, 10)}}
	if in.DepartmentID != 0 {
		v.Set("department", strconv.FormatInt(in.DepartmentID, 10))
	}
	if !in.Due.IsZero() {
		v.Set("due", jp.FormatWareki(in.Due))
	}
	return v
}

func inputOf(f Finding) FindingInput {
	return FindingInput{Type: f.Type, Title: f.Title, DepartmentID: f.DepartmentID, ItemCodes: f.ItemCodes, Condition: f.Condition,
		Criteria: f.Criteria, Cause: f.Cause, Effect: f.Effect, Recommendation: f.Recommendation, Risk: f.Risk, Due: f.Due}
}

// readFinding reads the finding form, with the messages of the fields
// that could not be read.
func readFinding(r *http.Request) (FindingInput, FieldErrors) {
	fe := FieldErrors{}
	in := FindingInput{Type: r.PostFormValue("type"), Title: r.PostFormValue("title"), Condition: r.PostFormValue("condition"),
		Criteria: r.PostFormValue("criteria"), Cause: r.PostFormValue("cause"), Effect: r.PostFormValue("effect"),
		Recommendation: r.PostFormValue("recommendation"), Risk: r.PostFormValue("risk")}
	if d := strings.TrimSpace(r.PostFormValue("department")); d != "" {
		id, err := strconv.ParseInt(d, 10, 64)
		if err != nil || id <= 0 {
			fe["department"] = "対象の所属を一覧から選んでください。"
		}
		in.DepartmentID = id
	}
	in.ItemCodes = splitItemCodes(r.PostFormValue("item_codes"))
	if d := strings.TrimSpace(r.PostFormValue("due")); d != "" {
		t, err := jp.ParseDate(d)
		if err != nil {
			fe["due"] = "期限は 令和8年12月25日 か 2026-12-25 の形で入力してください。"
		}
		in.Due = t
	}
	return in, fe
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// splitItemCodes reads item codes separated by commas, 「、」 or spaces.
func splitItemCodes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '、' || r == '，' || r == ' ' || r == '　' || r == '\n' || r == '\r' || r == '\t'
	})
}

func (m *Module) findingFormRender(w http.ResponseWriter, r *http.Request, status int, e Engagement, a Access, f Finding, vals url.Values,
	fe FieldErrors, problem string) error {
	v := findingFormView{V: engagementView{E: e, A: a, Tab: "findings"}, F: f, Values: vals, Errors: fe, Problem: problem, Types: FindingTypes,
		Risks: FindingRisks, From: r.URL.Query().Get("item")}
	if v.Errors == nil {
		v.Errors = FieldErrors{}
	}
	if len(fe) > 0 && problem == "" {
		v.Problem = "入力内容を確認してください。保存していません。"
		if msg, ok := fe["finding"]; ok {
			v.Problem = msg
		}
		if msg, ok := fe["register"]; ok {
			v.Problem = msg
		}
	}
	title := "指摘事項等の登録"
	if f.ID != 0 {
		title = f.Label() + "の編集"
	}
	return web.Render(w, r, status, "audit/finding_form", title+" "+e.Code, v)
}

// teamEditable loads the engagement for a change to its findings: the
// team, before the report is final.
func (m *Module) teamEditable(r *http.Request) (Engagement, Access, error) {
	e, a, err := m.load(r)
	if err != nil {
		return e, a, err
	}
	if !a.Audit {
		return e, a, web.NotFound()
	}
	return e, a, nil
}

func (m *Module) findingNew(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.teamEditable(r)
	if err != nil {
		return err
	}
	in := FindingInput{Type: FindingFinding, Risk: "中"}
	if len(e.Targets) > 0 {
		in.DepartmentID = e.Targets[0].DepartmentID
	}
	if code := strings.TrimSpace(r.URL.Query().Get("item")); code != "" {
		items, err := m.store.Items(r.Context(), e.ID, ItemFilter{})
		if err != nil {
			return err
		}
		found := false
		for _, it := range items {
			if it.Code == code {
				in, found = PrefillFromItem(e, it), true
			}
		}
		if !found {
			return web.Invalid("項目「%s」はこの監査のチェックリストにありません。", code)
		}
	}
	problem := ""
	if st, err := m.store.reportStage(r.Context(), e.ID); err != nil {
		return err
	} else if st == ReportFinal {
		problem = errReportFinal["finding"]
	}
	return m.findingFormRender(w, r, http.StatusOK, e, a, Finding{}, findingValues(in, 0), nil, problem)
}

func (m *Module) findingCreate(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.teamEditable(r)
	if err != nil {
		return err
	}
	in, fe := readFinding(r)
	if len(fe) == 0 {
		var id int64
		id, err = m.store.CreateFinding(r.Context(), e, in, actor(r))
		if err == nil {
			return web.Redirect(w, r, fmt.Sprintf("/audit/%d/findings/%d", e.ID, id), "指摘事項等を登録しました。", true)
		}
		if errors.Is(err, ErrConflict) {
			// Another finding took the same number at the same moment.
			return m.findingFormRender(w, r, http.StatusConflict, e, a, Finding{}, r.PostForm, nil,
				"同時に別の指摘事項等が登録されたため、番号を付けられませんでした。もう一度「登録」を押してください。")
		}
		if !errors.As(err, &fe) {
			return err
		}
	}
	return m.findingFormRender(w, r, http.StatusBadRequest, e, a, Finding{}, r.PostForm, fe, "")
}

// loadFinding reads the finding of the path ({f}) of the engagement of the
// path; a finding of another engagement, or one the user may not see, is
// not found.
func (m *Module) loadFinding(r *http.Request) (Engagement, Access, Finding, reportStatus, error) {
	var rs reportStatus
	e, a, err := m.load(r)
	if err != nil {
		return e, a, Finding{}, rs, err
	}
	fid, err := web.PathID(r, "f")
	if err != nil {
		return e, a, Finding{}, rs, err
	}
	f, err := m.store.Finding(r.Context(), e.ID, fid)
	if err != nil {
		return e, a, f, rs, err
	}
	if rs, err = m.store.reportStatusOf(r.Context(), e.ID); err != nil {
		return e, a, f, rs, err
	}
	ok, err := m.findingVisible(r.Context(), a, f, rs)
	if err != nil {
		return e, a, f, rs, err
	}
	if !ok {
		return e, a, f, rs, web.NotFound()
	}
	return e, a, f, rs, nil
}

// findingShowView is the page of one finding for those who read it (and
// the auditee's comment form).
type findingShowView struct {
	textLines
	V          engagementView
	F          Finding
	State      string
	Issued     bool // final, or a final version kept: the follow-up is on
	CanComment bool
	Comment    string
	Error      string
	Problem    string
}

func (m *Module) findingShow(w http.ResponseWriter, r *http.Request) error {
	e, a, f, rs, err := m.loadFinding(r)
	if err != nil {
		return err
	}
	if a.Audit && rs.State != ReportFinal {
		return m.findingFormRender(w, r, http.StatusOK, e, a, f, findingValues(inputOf(f), f.Rev), nil, "")
	}
	return m.findingShowRender(w, r, http.StatusOK, e, a, f, rs, f.AuditeeComment, "", "")
}

func (m *Module) findingShowRender(w http.ResponseWriter, r *http.Request, status int, e Engagement, a Access, f Finding, rs reportStatus,
	comment, fieldErr, problem string) error {
	v := findingShowView{V: engagementView{E: e, A: a, Tab: "findings"}, F: f, State: rs.State, Issued: rs.Issued(), Comment: comment, Error: fieldErr,
		Problem: problem, CanComment: (a.Auditee || a.Manage) && rs.State == ReportReview}
	return web.Render(w, r, status, "audit/finding_show", f.Label()+" "+e.Code, v)
}

func (m *Module) findingUpdate(w http.ResponseWriter, r *http.Request) error {
	e, a, f, _, err := m.loadFinding(r)
	if err != nil {
		return err
	}
	if !a.Audit {
		return web.NotFound()
	}
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	in, fe := readFinding(r)
	if len(fe) == 0 {
		err = m.store.UpdateFinding(r.Context(), e, f.ID, rev, in, actor(r))
		switch {
		case err == nil:
			return web.Redirect(w, r, fmt.Sprintf("/audit/%d/findings/%d", e.ID, f.ID), f.Label()+"を保存しました。", true)
		case errors.Is(err, ErrConflict):
			// Keep the typed text, show the stored finding beside it, and
			// carry the stored rev: saving again overwrites it knowingly.
			cur, err := m.store.Finding(r.Context(), e.ID, f.ID)
			if err != nil {
				return err
			}
			vals := cloneValues(r.PostForm)
			vals.Set("rev", strconv.FormatInt(cur.Rev, 10))
			return m.findingFormRender(w, r, http.StatusConflict, e, a, cur, vals, FieldErrors{"conflict": "1"}, ErrConflict.Error())
		case !errors.As(err, &fe):
			return err
		}
	}
	return m.findingFormRender(w, r, http.StatusBadRequest, e, a, f, r.PostForm, fe, "")
}

func (m *Module) findingDelete(w http.ResponseWriter, r *http.Request) error {
	e, a, f, _, err := m.loadFinding(r)
	if err != nil {
		return err
	}
	if !a.Audit {
		return web.NotFound()
	}
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	if r.PostFormValue("confirm") != "1" {
		return m.findingFormRender(w, r, http.StatusBadRequest, e, a, f, findingValues(inputOf(f), f.Rev),
			FieldErrors{"confirm": "削除するときは「削除することを確認しました」に印を付けてください。"}, "削除していません。")
	}
	err = m.store.DeleteFinding(r.Context(), e, f.ID, rev, actor(r))
	var fe FieldErrors
	switch {
	case err == nil:
		return web.Redirect(w, r, fmt.Sprintf("/audit/%d/findings", e.ID), f.Label()+"「"+cutRunes(f.Title, 40)+"」を削除しました。", true)
	case errors.Is(err, ErrConflict):
		return m.findingFormRender(w, r, http.StatusConflict, e, a, f, findingValues(inputOf(f), f.Rev), nil, ErrConflict.Error())
	case errors.As(err, &fe):
		return m.findingFormRender(w, r, http.StatusBadRequest, e, a, f, findingValues(inputOf(f), f.Rev), fe, fe.Error())
	}
	return err
}

func (m *Module) findingComment(w http.ResponseWriter, r *http.Request) error {
	e, a, f, rs, err := m.loadFinding(r)
	if err != nil {
		return err
	}
	if !a.Auditee && !a.Manage {
		return web.NotFound()
	}
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	comment := r.PostFormValue("auditee_comment")
	err = m.store.SetAuditeeComment(r.Context(), e, f.ID, rev, comment, actor(r))
	var fe FieldErrors
	switch {
	case err == nil:
		return web.Redirect(w, r, fmt.Sprintf("/audit/%d/findings/%d", e.ID, f.ID), "コメントを保存しました。", true)
	case errors.Is(err, ErrConflict):
		return m.findingShowRender(w, r, http.StatusConflict, e, a, f, rs, comment, "", ErrConflict.Error())
	case errors.As(err, &fe):
		return m.findingShowRender(w, r, http.StatusBadRequest, e, a, f, rs, comment, fe["auditee_comment"], fe.Error())
	}
	return err
}

// dueSoon reports whether t is within days of now (and not past).
func dueSoon(t, now time.Time, days int) bool {
	if t.IsZero() {
		return false
	}
	k := jp.DateKey(t)
	return k >= jp.DateKey(now) && k <= jp.DateKey(now.AddDate(0, 0, days))
}
