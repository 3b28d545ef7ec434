package audit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"mamori/internal/catalog"
	"mamori/internal/jp"
	"mamori/internal/org"
	"mamori/internal/web"
)

// The form that adds an engagement to the programme (GET /audit/new, POST
// /audit) and changes one (GET /audit/{id}/edit, POST /audit/{id}): kind,
// title, the system or the business, the audited departments with their
// visits, the team, a due date per phase and, when creating, the
// checklist template and the priority threats.

// formRow is one row of the repeated parts of the form.
type targetRow struct{ Dept, Date, Time string }
type memberRow struct{ User, Role string }
type dueRow struct {
	Phase Phase
	Key   string
	Value string
}

// Label is the phase's name.
func (d dueRow) Label() string { return d.Phase.Label() }

type engagementFormView struct {
	programmeAssets
	E         *Engagement // nil when creating
	V         url.Values  // the values as typed (or as stored, when editing)
	Errors    FieldErrors
	Conflict  string
	Years     []web.ListOption
	Kinds     []Kind
	Hostings  []struct{ Code, Label string }
	Depts     []DeptOption
	Accounts  []accountOption
	Roles     []struct{ Code, Label string }
	Templates []catalog.StoredTemplate
	Threats   []choice
	Targets   []targetRow
	Members   []memberRow
	Dues      []dueRow
}

// Get is a field's value.
func (v engagementFormView) Get(key string) string { return v.V.Get(key) }

// Err is the message beside a field.
func (v engagementFormView) Err(key string) string { return v.Errors[key] }

// Action is where the form posts.
func (v engagementFormView) Action() string {
	if v.E != nil {
		return fmt.Sprintf("/audit/%d", v.E.ID)
	}
	return "/audit"
}

// accountOption is one choice of the team's rows: an account that may
// audit, named with its role and department.
type accountOption struct {
	ID    int64
	Label string
}

func accountLabel(a org.Account) string {
	s := a.DisplayName + "（" + a.Role.Label()
	if a.Department != "" {
		s += "・" + a.Department
	}
	return s + "）"
}

// rowCount is how many rows of a repeated part the form shows: the ones
// typed and two empty ones, at least three.
func rowCount(filled int) int { return max(filled+2, 3) }

// engagementForm fills the form's choices around the values v.
func (m *Module) engagementForm(ctx context.Context, e *Engagement, v url.Values, fe FieldErrors) (engagementFormView, error) {
	view := engagementFormView{programmeAssets: progAssets, E: e, V: v, Errors: fe, Kinds: Kinds, Hostings: Hostings, Roles: MemberRoles}
	fy := m.org.CurrentFiscalYear(ctx)
	for _, y := range []int{fy - 1, fy, fy + 1} {
		view.Years = append(view.Years, web.ListOption{Value: strconv.Itoa(y), Label: jp.FiscalYearLabel(y)})
	}
	var err error
	if view.Depts, err = m.store.Departments(ctx, ""); err != nil {
		return view, err
	}
	accounts, err := m.org.Accounts(ctx)
	if err != nil {
		return view, err
	}
	for _, a := range accounts {
		switch a.Role {
		case web.RoleAdmin, web.RoleConsultant, web.RoleAuditor:
			if !a.Disabled {
				view.Accounts = append(view.Accounts, accountOption{ID: a.ID, Label: accountLabel(a)})
			}
		}
	}
	if e == nil {
		ts, err := m.store.cat.Templates(ctx)
		if err != nil {
			return view, err
		}
		for _, t := range ts {
			if t.Items > 0 && Kind(t.Kind).Valid() {
				view.Templates = append(view.Templates, t)
			}
		}
		chosen := map[string]bool{}
		for _, t := range v["threat"] {
			chosen[t] = true
		}
		for _, t := range catalog.ThreatOrder {
			view.Threats = append(view.Threats, choice{Code: t, Label: catalog.Threats[t], Checked: chosen[t]})
		}
	}
	depts, dates, times := v["target_department"], v["target_date"], v["target_time"]
	n := max(len(depts), len(dates), len(times))
	for i := range n {
		r := targetRow{Dept: at(depts, i), Date: at(dates, i), Time: at(times, i)}
		if r != (targetRow{}) {
			view.Targets = append(view.Targets, r)
		}
	}
	for filled := len(view.Targets); len(view.Targets) < rowCount(filled); {
		view.Targets = append(view.Targets, targetRow{})
	}
	users, roles := v["member_user"], v["member_role"]
	n = max(len(users), len(roles))
	for i := range n {
		if r := (memberRow{User: at(users, i), Role: at(roles, i)}); r.User != "" {
			view.Members = append(view.Members, r)
		}
	}
	for filled := len(view.Members); len(view.Members) < rowCount(filled); {
		view.Members = append(view.Members, memberRow{Role: MemberAuditor})
	}
	for _, p := range Phases {
		view.Dues = append(view.Dues, dueRow{Phase: p, Key: "due_" + string(p), Value: v.Get("due_" + string(p))})
	}
	return view, nil
}

func at(xs []string, i int) string {
	if i < len(xs) {
		return strings.TrimSpace(xs[i])
	}
	return ""
}

// readEngagementForm turns the posted form into the store's input; what
// cannot be read (a date, a choice that is no number) is reported by field
// with the row named.
func (m *Module) readEngagementForm(ctx context.Context, v url.Values, create bool) (EngagementInput, FieldErrors) {
	fe := FieldErrors{}
	in := EngagementInput{Title: v.Get("title"), System: v.Get("system"), Hosting: strings.TrimSpace(v.Get("hosting")),
		Vendors: v.Get("vendors"), Business: v.Get("business"), MyNumber: v.Get("mynumber") != "", Dues: map[Phase]time.Time{}}
	if create {
		if fy, err := jp.ParseFiscalYear(strings.TrimSpace(v.Get("fiscal_year"))); err != nil {
			fe["fiscal_year"] = "年度を選んでください。"
		} else {
			in.FiscalYear = fy
		}
		in.Kind = Kind(strings.TrimSpace(v.Get("kind")))
		if s := strings.TrimSpace(v.Get("template")); s != "" {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id <= 0 {
				fe["template"] = "チェックリストの指定が正しくありません。一覧から選んでください。"
			}
			in.TemplateID = id
		}
		in.Threats = v["threat"]
	}
	depts, dates, times := v["target_department"], v["target_date"], v["target_time"]
	var targetErrs []string
	for i := range max(len(depts), len(dates), len(times)) {
		d, date, tm := at(depts, i), at(dates, i), at(times, i)
		if d == "" && date == "" && tm == "" {
			continue
		}
		row := fmt.Sprintf("監査対象の%d行目", i+1)
		id, err := strconv.ParseInt(d, 10, 64)
		switch {
		case d == "":
			targetErrs = append(targetErrs, row+"：所属を選んでください。")
			continue
		case err != nil || id <= 0:
			targetErrs = append(targetErrs, row+"：所属の指定が正しくありません。一覧から選んでください。")
			continue
		}
		t := TargetInput{DepartmentID: id, VisitTime: tm}
		if date != "" {
			vd, err := jp.ParseDate(date)
			if err != nil {
				targetErrs = append(targetErrs, fmt.Sprintf("%s：実地監査日「%s」は日付として読めません。2026-09-08 や 令和8年9月8日 の形で入力してください。", row, date))
				continue
			}
			t.VisitDate = vd
		}
		in.Targets = append(in.Targets, t)
	}
	if len(targetErrs) > 0 {
		fe["targets"] = strings.Join(targetErrs, " ")
	}
	users, roles := v["member_user"], v["member_role"]
	var memberErrs []string
	for i := range max(len(users), len(roles)) {
		u, role := at(users, i), at(roles, i)
		if u == "" {
			continue
		}
		id, err := strconv.ParseInt(u, 10, 64)
		if err != nil || id <= 0 {
			memberErrs = append(memberErrs, fmt.Sprintf("監査チームの%d行目：担当者の指定が正しくありません。一覧から選んでください。", i+1))
			continue
		}
		in.Members = append(in.Members, MemberInput{UserID: id, Role: role})
	}
	if len(memberErrs) > 0 {
		fe["members"] = strings.Join(memberErrs, " ")
	}
	for _, p := range Phases {
		s := strings.TrimSpace(v.Get("due_" + string(p)))
		if s == "" {
			in.Dues[p] = time.Time{} // cleared
			continue
		}
		d, err := jp.ParseDate(s)
		if err != nil {
			fe["due_"+string(p)] = fmt.Sprintf("「%s」の期限「%s」は日付として読めません。2026-09-08 や 令和8年9月8日 の形で入力してください。", p.Label(), s)
			continue
		}
		in.Dues[p] = d
	}
	if len(fe) > 0 {
		// The store's own checks too, so that one submission lists every
		// problem (the form's own message stays where both have one).
		cp := in
		cp.Targets = append([]TargetInput(nil), in.Targets...)
		if more, err := m.store.check(ctx, &cp); err == nil {
			for k, msg := range more {
				if _, ok := fe[k]; !ok {
					fe[k] = msg
				}
			}
		}
	}
	return in, fe
}

// formValues are an engagement's stored values as the form's fields.
func formValues(e Engagement) url.Values {
	v := url.Values{"title": {e.Title}, "system": {e.System}, "hosting": {e.Hosting}, "vendors": {e.Vendors}, "business": {e.Business},
		"rev": {strconv.FormatInt(e.Rev, 10)}, "kind": {string(e.Kind)}, "fiscal_year": {strconv.Itoa(e.FiscalYear)}}
	if e.MyNumber {
		v.Set("mynumber", "1")
	}
	for _, t := range e.Targets {
		v.Add("target_department", strconv.FormatInt(t.DepartmentID, 10))
		v.Add("target_date", jp.DateKey(t.VisitDate))
		v.Add("target_time", t.VisitTime)
	}
	for _, mb := range e.Members {
		v.Add("member_user", strconv.FormatInt(mb.UserID, 10))
		v.Add("member_role", mb.Role)
	}
	for _, s := range e.Steps {
		if !s.Due.IsZero() {
			v.Set("due_"+string(s.Phase), jp.DateKey(s.Due))
		}
	}
	return v
}

func (m *Module) renderEngagementForm(w http.ResponseWriter, r *http.Request, status int, e *Engagement, v url.Values, fe FieldErrors, conflict string) error {
	view, err := m.engagementForm(r.Context(), e, v, fe)
	if err != nil {
		return err
	}
	view.Conflict = conflict
	title := "監査を登録"
	if e != nil {
		title = "監査の編集"
	}
	return web.Render(w, r, status, "audit/programme_form", title, view)
}

func (m *Module) engagementNew(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v := url.Values{"fiscal_year": {strconv.Itoa(m.org.CurrentFiscalYear(r.Context()))}, "kind": {string(KindInternal)}}
	if y, err := jp.ParseFiscalYear(q.Get("year")); err == nil {
		v.Set("fiscal_year", strconv.Itoa(y))
	}
	if k := Kind(q.Get("kind")); k.Valid() {
		v.Set("kind", string(k))
	}
	return m.renderEngagementForm(w, r, http.StatusOK, nil, v, nil, "")
}

func (m *Module) engagementCreate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	in, fe := m.readEngagementForm(ctx, r.PostForm, true)
	if len(fe) == 0 {
		id, err := m.store.CreateEngagement(ctx, in, actor(r))
		if errors.As(err, &fe) {
			return m.renderEngagementForm(w, r, http.StatusBadRequest, nil, r.PostForm, fe, "")
		}
		if err != nil {
			return err
		}
		e, err := m.store.Engagement(ctx, id)
		if err != nil {
			return err
		}
		return web.Redirect(w, r, fmt.Sprintf("/audit/%d", id),
			fmt.Sprintf("%s「%s」（%s）を登録しました。チェックリストは %d 項目です。", e.KindLabel(), e.Title, e.Code, e.Items), true)
	}
	return m.renderEngagementForm(w, r, http.StatusBadRequest, nil, r.PostForm, fe, "")
}

func (m *Module) engagementEdit(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Manage {
		return web.NotFound()
	}
	return m.renderEngagementForm(w, r, http.StatusOK, &e, formValues(e), nil, "")
}

func (m *Module) engagementUpdate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Manage {
		return web.NotFound()
	}
	v := r.PostForm
	rev, err := strconv.ParseInt(strings.TrimSpace(v.Get("rev")), 10, 64)
	if err != nil {
		return web.Invalid("フォームの版（rev）がありません。編集画面を開き直してから保存してください。")
	}
	in, fe := m.readEngagementForm(ctx, v, false)
	if len(fe) > 0 {
		return m.renderEngagementForm(w, r, http.StatusBadRequest, &e, v, fe, "")
	}
	err = m.store.UpdateEngagement(ctx, e.ID, rev, in, actor(r))
	switch {
	case errors.Is(err, ErrConflict):
		// What was typed stays; the form now names the stored version, so
		// that saving again (after checking) replaces it knowingly.
		cur, lerr := m.store.Engagement(ctx, e.ID)
		if lerr != nil {
			return lerr
		}
		kept := url.Values{}
		for k, vs := range v {
			kept[k] = vs
		}
		kept.Set("rev", strconv.FormatInt(cur.Rev, 10))
		return m.renderEngagementForm(w, r, http.StatusConflict, &cur, kept, nil,
			"保存していません。"+ErrConflict.Error()+"入力した内容は下に残してあります。")
	case errors.As(err, &fe):
		return m.renderEngagementForm(w, r, http.StatusBadRequest, &e, v, fe, "")
	case err != nil:
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/audit/%d", e.ID), fmt.Sprintf("「%s」（%s）の対象・体制・日程を保存しました。", strings.TrimSpace(in.Title), e.Code), true)
}
