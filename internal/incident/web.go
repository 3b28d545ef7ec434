package incident

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/web"
)

func (m *Module) routes(rt *web.Router) {
	manage := Managers.Rule()
	obj := web.Object{Kind: "incident.incident", Allow: m.mayRead}
	mobj := web.Object{Kind: "incident.incident", Allow: func(ctx context.Context, _ *web.User, _ web.Scope, id int64) (bool, error) {
		_, err := m.store.Get(ctx, id)
		return err == nil, err
	}}
	report := web.Object{Kind: "incident.report", Allow: func(ctx context.Context, _ *web.User, _ web.Scope, id int64) (bool, error) {
		_, err := m.store.Report(ctx, id)
		return err == nil, err
	}}
	rt.Handle("GET /incident", web.SignedIn(), m.home)
	rt.Handle("GET /incident/report", web.SignedIn(), m.reportForm)
	rt.Handle("POST /incident/report", web.SignedIn(), m.reportSubmit)
	rt.Handle("GET /incident-reports", manage, m.reportList)
	rt.Handle("GET /incident-reports/{id}", manage.On(report), m.reportShow)
	rt.Handle("POST /incident-reports/{id}", manage.On(report), m.reportTriage)
	rt.Handle("GET /incident/new", manage, m.newForm)
	rt.Handle("POST /incident", manage, m.create)
	rt.Handle("GET /incident/{id}", watch.On(obj), m.show)
	rt.Handle("GET /incident/{id}/edit", manage.On(mobj), m.editForm)
	rt.Handle("POST /incident/{id}", manage.On(mobj), m.update)
	rt.Handle("POST /incident/{id}/parties", manage.On(mobj), m.addParty)
	rt.Handle("POST /incident/{id}/events", manage.On(mobj), m.addEvent)
	rt.Handle("POST /incident/{id}/notices", manage.On(mobj), m.markNotice)
	rt.Handle("POST /incident/{id}/reopen", web.Allow(web.RoleAdmin).On(mobj), m.reopen)
	m.analysisRoutes(rt, mobj, obj)
	m.docRoutes(rt, mobj, obj)
}

// mayRead: managers and the viewer read every incident; a 所属長 one
// their sub-tree is involved in (lead or party).
func (m *Module) mayRead(ctx context.Context, u *web.User, scope web.Scope, id int64) (bool, error) {
	i, err := m.store.Get(ctx, id)
	if err != nil {
		return false, err
	}
	if scope != web.ScopeOwnDepartment {
		return true, nil
	}
	return m.store.Involves(ctx, i, u.DepartmentID)
}

// watch is who reads the register: the ward for managers and the viewer,
// the incidents their sub-tree is involved in for a 所属長.
var watch = web.Allow(web.RoleAdmin, web.RoleConsultant, web.RoleViewer).Scoped(web.RoleAuditee)

var listSpec = &web.ListSpec{
	Path: "/incident", DefaultSort: "aware", DefaultDesc: true,
	Sorts: []web.ListSort{{Key: "aware", Label: "認知日時"}, {Key: "code", Label: "番号"}},
	Filters: []web.ListFilter{web.FiscalYearFilter("year"), {Key: "category", Label: "種類"}, {Key: "state", Label: "状態"},
		{Key: "open", Label: "完了したものを除く", Kind: web.FilterCheck}},
	Search: "件名・番号", Noun: "インシデント", Label: "インシデントの絞り込み",
	Empty: "インシデントはまだ記録されていません。職員からの報告を受け付けるか、「インシデントを登録」から登録してください。",
}

// row is one line of the register with its nearest deadline.
type row struct {
	I       Incident
	Next    *Deadline
	Overdue int
}

type homeView struct {
	L        *web.List
	Rows     []row
	Watcher  bool
	Manager  bool
	Fresh    int
	Mine     []Report
	Now      time.Time
	Reported *Report
	Ward     bool // reads the whole ward (the annual summary)
}

func (m *Module) home(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := web.UserFrom(ctx)
	v := homeView{Watcher: Watchers.HasUser(u), Manager: Managers.HasUser(u), Now: m.store.now()}
	var err error
	if v.Mine, err = m.store.Reports(ctx, u.ID); err != nil {
		return err
	}
	if !v.Watcher {
		return web.Render(w, r, http.StatusOK, "incident/incident_home", "インシデント", v)
	}
	l := listSpec.Parse(r)
	var cats, states []web.ListOption
	for _, c := range Categories {
		cats = append(cats, web.ListOption{Value: c, Label: c})
	}
	for _, s := range States {
		states = append(states, web.ListOption{Value: string(s), Label: s.Label()})
	}
	l.SetOptions("category", cats)
	l.SetOptions("state", states)
	all, err := m.store.List(ctx, 0)
	if err != nil {
		return err
	}
	years := map[int]bool{m.d.Org.CurrentFiscalYear(ctx): true}
	for _, i := range all {
		years[i.FiscalYear] = true
	}
	var ys []int
	for y := range years {
		ys = append(ys, y)
	}
	l.SetOptions("year", web.FiscalYearOptions(ys))
	scope, _ := watch.Permits(u.Role)
	scoped := scope == web.ScopeOwnDepartment
	v.Ward = !scoped
	var rows []row
	for _, i := range all {
		if y := l.Value("year"); y != "" && strconv.Itoa(i.FiscalYear) != y {
			continue
		}
		if c := l.Value("category"); c != "" && i.Category != c {
			continue
		}
		if s := l.Value("state"); s != "" && string(i.State) != s {
			continue
		}
		if l.Value("open") != "" && i.Closed() {
			continue
		}
		if !jp.MatchWords(jp.SearchText(i.Code, i.Title, i.Category), l.Words()) {
			continue
		}
		if scoped {
			if ok, err := m.store.Involves(ctx, i, u.DepartmentID); err != nil || !ok {
				if err != nil {
					return err
				}
				continue
			}
		}
		rw := row{I: i}
		ds, err := m.store.Deadlines(ctx, i)
		if err != nil {
			return err
		}
		for k := range ds {
			d := ds[k]
			if d.Done() || d.Due.IsZero() || d.Pending {
				continue
			}
			if d.Overdue(v.Now) {
				rw.Overdue++
			}
			// the nearest real deadline; a guide (速やかに) only when none
			if rw.Next == nil || rw.Next.Guide && !d.Guide || rw.Next.Guide == d.Guide && d.Due.Before(rw.Next.Due) {
				rw.Next = &d
			}
		}
		rows = append(rows, rw)
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		c := a.I.AwareAt.Compare(b.I.AwareAt)
		if l.Sort == "code" {
			c = strings.Compare(a.I.Code, b.I.Code)
		}
		if l.Desc {
			return -c
		}
		return c
	})
	l.SetTotal(len(rows))
	end := min(l.Offset()+l.Limit(), len(rows))
	if l.Offset() < len(rows) {
		v.Rows = rows[l.Offset():end]
	}
	v.L = l
	if v.Manager {
		rs, err := m.store.Reports(ctx, 0)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.Status == "new" {
				v.Fresh++
			}
		}
	}
	return web.Render(w, r, http.StatusOK, "incident/incident_home", "インシデント", v)
}

// ---- staff reports ----

type reportView struct {
	In     ReportInput
	Errors FieldErrors
}

func (m *Module) reportForm(w http.ResponseWriter, r *http.Request) error {
	return web.Render(w, r, http.StatusOK, "incident/incident_report", "インシデントを報告する", reportView{})
}

func (m *Module) reportSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := web.UserFrom(ctx)
	in := ReportInput{What: r.PostFormValue("what"), Happened: r.PostFormValue("happened"), Persons: r.PostFormValue("persons"), Contact: r.PostFormValue("contact")}
	rep, err := m.store.Submit(ctx, u.ID, u.DisplayName, u.DepartmentID, in)
	var fe FieldErrors
	if errors.As(err, &fe) {
		return web.Render(w, r, http.StatusUnprocessableEntity, "incident/incident_report", "インシデントを報告する", reportView{In: in, Errors: fe})
	} else if err != nil {
		return err
	}
	return web.Redirect(w, r, "/incident", fmt.Sprintf("報告を受け付けました（受付番号 %d）。CSIRT窓口から連絡することがあります。緊急のときは、所属の情報セキュリティ管理者と CSIRT窓口にも電話で伝えてください。", rep.ID), true)
}

func (m *Module) reportList(w http.ResponseWriter, r *http.Request) error {
	rs, err := m.store.Reports(r.Context(), 0)
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "incident/incident_reports", "職員からの報告", rs)
}

type triageView struct {
	R         Report
	Form      formView
	Incidents []Incident
	Errors    FieldErrors
	Note      string
}

func (m *Module) triageOf(r *http.Request) (triageView, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return triageView{}, err
	}
	rep, err := m.store.Report(r.Context(), id)
	if err != nil {
		return triageView{}, err
	}
	v := triageView{R: rep}
	if v.Incidents, err = m.store.List(r.Context(), 0); err != nil {
		return v, err
	}
	f, err := m.formOf(r.Context(), Input{Title: firstLine(rep.What), Summary: rep.What, Category: "その他", Severity: 1,
		Occurred: dtInput(rep.HappenedAt), Aware: dtInput(rep.SubmittedAt), Persons: strconv.Itoa(rep.Persons), LeadDepartmentID: rep.DepartmentID})
	v.Form = f
	return v, err
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return jp.TruncateWidth(s, 80)
}

func dtInput(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(jp.JST).Format("2006-01-02T15:04")
}

func (m *Module) reportShow(w http.ResponseWriter, r *http.Request) error {
	v, err := m.triageOf(r)
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "incident/incident_triage", "報告の受付", v)
}

func (m *Module) reportTriage(w http.ResponseWriter, r *http.Request) error {
	v, err := m.triageOf(r)
	if err != nil {
		return err
	}
	in := inputOf(r)
	inc, _ := strconv.ParseInt(r.PostFormValue("incident"), 10, 64)
	action := r.PostFormValue("action")
	v.Note = r.PostFormValue("note")
	id, err := m.store.Triage(r.Context(), v.R.ID, action, inc, in, v.Note, web.UserFrom(r.Context()).DisplayName)
	var fe FieldErrors
	if errors.As(err, &fe) {
		v.Errors = fe
		if action == "create" {
			if v.Form, err = m.formOf(r.Context(), in); err != nil {
				return err
			}
			v.Form.Errors = fe
		}
		return web.Render(w, r, http.StatusUnprocessableEntity, "incident/incident_triage", "報告の受付", v)
	} else if err != nil {
		return err
	}
	if action == "dismiss" {
		return web.Redirect(w, r, "/incident-reports", "インシデントに当たらないと判断し、理由を記録しました。", true)
	}
	return web.Redirect(w, r, fmt.Sprintf("/incident/%d", id), "報告を受け付けました。認知日時と事実を確かめ、報告期限を確認してください。", true)
}

// ---- the incident form ----

type formView struct {
	In     Input
	I      *Incident // nil: new
	Depts  []web.ListOption
	Errors FieldErrors
}

// Err is field k's message.
func (f formView) Err(k string) string { return f.Errors[k] }

// Checked reports whether flag k is set in the form.
func (f formView) Checked(k string) bool {
	for _, x := range f.In.Flags {
		if x == k {
			return true
		}
	}
	return false
}

// Categories, States, Flags are the form's choices.
func (formView) Categories() []string { return Categories }
func (formView) States() []State      { return States }
func (formView) Flags() []Flag        { return Flags }

func (m *Module) formOf(ctx context.Context, in Input) (formView, error) {
	t, err := m.d.Org.Departments(ctx)
	if err != nil {
		return formView{}, err
	}
	f := formView{In: in}
	for _, d := range t.Flat() {
		if d.Active {
			f.Depts = append(f.Depts, web.ListOption{Value: strconv.FormatInt(d.ID, 10), Label: d.Path})
		}
	}
	return f, nil
}

func inputOf(r *http.Request) Input {
	sev, _ := strconv.Atoi(r.PostFormValue("severity"))
	lead, _ := strconv.ParseInt(r.PostFormValue("lead"), 10, 64)
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	return Input{Title: r.PostFormValue("title"), Summary: r.PostFormValue("summary"), Category: r.PostFormValue("category"), Severity: sev,
		State: State(r.PostFormValue("state")), Occurred: r.PostFormValue("occurred"), Aware: r.PostFormValue("aware"), Closed: r.PostFormValue("closed"),
		LeadDepartmentID: lead, DataItems: r.PostFormValue("data_items"), Persons: r.PostFormValue("persons"), Sent: r.PostFormValue("sent"),
		Recovered: r.PostFormValue("recovered"), Unopened: r.PostFormValue("unopened"), Flags: r.PostForm["flag"], Outcome: r.PostFormValue("outcome"), Rev: rev}
}

func (m *Module) newForm(w http.ResponseWriter, r *http.Request) error {
	f, err := m.formOf(r.Context(), Input{Category: "誤送付", Severity: 1, State: "received", Aware: dtInput(m.store.now())})
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "incident/incident_form", "インシデントを登録", f)
}

func (m *Module) create(w http.ResponseWriter, r *http.Request) error {
	in := inputOf(r)
	i, err := m.store.Create(r.Context(), in, web.UserFrom(r.Context()).DisplayName)
	var fe FieldErrors
	if errors.As(err, &fe) {
		f, err := m.formOf(r.Context(), in)
		if err != nil {
			return err
		}
		f.Errors = fe
		return web.Render(w, r, http.StatusUnprocessableEntity, "incident/incident_form", "インシデントを登録", f)
	} else if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/incident/%d", i.ID), fmt.Sprintf("インシデント %s を登録しました。", i.Code), true)
}

func (m *Module) incidentOf(r *http.Request) (Incident, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return Incident{}, err
	}
	return m.store.Get(r.Context(), id)
}

func inputFrom(i Incident) Input {
	return Input{Title: i.Title, Summary: i.Summary, Category: i.Category, Severity: i.Severity, State: i.State, Occurred: dtInput(i.OccurredAt),
		Aware: dtInput(i.AwareAt), Closed: dtInput(i.ClosedAt), LeadDepartmentID: i.LeadDepartmentID, DataItems: i.DataItems,
		Persons: strconv.Itoa(i.Persons), Sent: strconv.Itoa(i.Sent), Recovered: strconv.Itoa(i.Recovered), Unopened: strconv.Itoa(i.Unopened),
		Flags: i.Flags, Outcome: i.Outcome, Rev: i.Rev}
}

func (m *Module) editForm(w http.ResponseWriter, r *http.Request) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	f, err := m.formOf(r.Context(), inputFrom(i))
	if err != nil {
		return err
	}
	f.I = &i
	return web.Render(w, r, http.StatusOK, "incident/incident_form", i.Code+" の変更", f)
}

func (m *Module) update(w http.ResponseWriter, r *http.Request) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	in := inputOf(r)
	err = m.store.Update(r.Context(), i.ID, in, web.UserFrom(r.Context()).DisplayName)
	var fe FieldErrors
	status := http.StatusUnprocessableEntity
	if errors.Is(err, ErrStale) {
		fe, status = FieldErrors{"rev": "このインシデントは、画面を開いた後に別の人が変更しました。画面を開き直して、変更を確かめてから入力し直してください。"}, http.StatusConflict
	}
	if fe != nil || errors.As(err, &fe) {
		f, err := m.formOf(r.Context(), in)
		if err != nil {
			return err
		}
		f.I, f.Errors = &i, fe
		return web.Render(w, r, status, "incident/incident_form", i.Code+" の変更", f)
	} else if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/incident/%d", i.ID), fmt.Sprintf("インシデント %s を更新しました。", i.Code), true)
}

// ---- the incident page ----

type showView struct {
	I Incident
	// Registry is the citizen-service registry (the drill module's, through
	// the module interface): the service form offers its services.
	Registry  []module.CitizenService
	Deadlines []Deadline
	Parties   []Party
	Events    []Event
	Manager   bool
	Admin     bool
	Now       time.Time
	Depts     []web.ListOption
	Errors    FieldErrors
	Rules     string // the rule file's version
	Whys      []*Why // the なぜなぜ tree in order, with depths
	Measures  []Measure
	Visits    []Visit
	Evidence  []Evidence
	Services  []Service
	Tasks     []Task
}

// ServiceHours is a stopped service's outage as text.
func (v showView) ServiceHours(s Service) string { return hours(s.Hours(v.Now)) }

// Viewpoints and Domains are the analysis forms' choices.
func (showView) Viewpoints() []Viewpoint                { return Viewpoints }
func (showView) Domains() []struct{ Key, Label string } { return Domains }

// DefaultDomain is the measure form's preset: the category's domain.
func (v showView) DefaultDomain() string { return domainOf(v.I.Category) }

// Indent is a なぜなぜ node's indentation class.
func (showView) Indent(w *Why) string { return fmt.Sprintf("why-d%d", min(w.Depth, 6)) }

// Roles, EventCategories are the page's form choices.
func (showView) Roles() []string           { return Roles }
func (showView) EventCategories() []string { return EventCategories }

// FlagLabels are the incident's facts in Japanese.
func (v showView) FlagLabels() []string {
	var out []string
	for _, f := range Flags {
		if v.I.Has(f.Key) {
			out = append(out, f.Label)
		}
	}
	return out
}

// NowInput is now for a datetime-local field.
func (v showView) NowInput() string { return dtInput(v.Now) }

func (m *Module) showOf(r *http.Request, i Incident) (showView, error) {
	ctx := r.Context()
	u := web.UserFrom(ctx)
	v := showView{I: i, Manager: Managers.HasUser(u), Admin: u.Role == web.RoleAdmin, Now: m.store.now()}
	var err error
	if v.Deadlines, err = m.store.Deadlines(ctx, i); err != nil {
		return v, err
	}
	if v.Parties, err = m.store.Parties(ctx, i.ID); err != nil {
		return v, err
	}
	if v.Events, err = m.store.Events(ctx, i.ID); err != nil {
		return v, err
	}
	rules, err := LoadRules()
	if err != nil {
		return v, err
	}
	v.Rules = rules.Version
	if _, v.Whys, err = m.store.Whys(ctx, i.ID); err != nil {
		return v, err
	}
	if v.Measures, err = m.store.Measures(ctx, i); err != nil {
		return v, err
	}
	if v.Visits, err = m.store.Visits(ctx, i.ID); err != nil {
		return v, err
	}
	if v.Evidence, err = m.store.EvidenceList(ctx, i.ID); err != nil {
		return v, err
	}
	if v.Services, err = m.store.Services(ctx, i.ID); err != nil {
		return v, err
	}
	if v.Tasks, err = m.store.Tasks(ctx, i.ID); err != nil {
		return v, err
	}
	if v.Manager {
		f, err := m.formOf(ctx, Input{})
		if err != nil {
			return v, err
		}
		v.Depts = f.Depts
		if m.d.CitizenServices != nil {
			if v.Registry, err = m.d.CitizenServices(ctx); err != nil {
				return v, err
			}
		}
	}
	return v, nil
}

func (m *Module) show(w http.ResponseWriter, r *http.Request) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	v, err := m.showOf(r, i)
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "incident/incident_show", i.Code+" "+i.Title, v)
}

// fail re-renders the incident page with a sub-form's problems.
func (m *Module) fail(w http.ResponseWriter, r *http.Request, i Incident, err error) error {
	var fe FieldErrors
	if !errors.As(err, &fe) {
		return err
	}
	v, err := m.showOf(r, i)
	if err != nil {
		return err
	}
	v.Errors = fe
	return web.Render(w, r, http.StatusUnprocessableEntity, "incident/incident_show", i.Code+" "+i.Title, v)
}

func (m *Module) addParty(w http.ResponseWriter, r *http.Request) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	dept, _ := strconv.ParseInt(r.PostFormValue("department"), 10, 64)
	p := Party{DepartmentID: dept, Contractor: r.PostFormValue("contractor"), Role: r.PostFormValue("role"), Actions: r.PostFormValue("actions")}
	if err := m.store.AddParty(r.Context(), i, p, web.UserFrom(r.Context()).DisplayName); err != nil {
		return m.fail(w, r, i, err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/incident/%d#parties", i.ID), "関係先を追加しました。", true)
}

func (m *Module) addEvent(w http.ResponseWriter, r *http.Request) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	e := Event{Actor: r.PostFormValue("actor"), Category: r.PostFormValue("category"), Body: r.PostFormValue("body"), InReport: r.PostFormValue("in_report") != ""}
	if err := m.store.AddEvent(r.Context(), i, r.PostFormValue("at"), e, web.UserFrom(r.Context()).DisplayName); err != nil {
		return m.fail(w, r, i, err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/incident/%d#timeline", i.ID), "経過を記録しました。", true)
}

func (m *Module) markNotice(w http.ResponseWriter, r *http.Request) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	if err := m.store.MarkNotice(r.Context(), i, r.PostFormValue("rule"), r.PostFormValue("at"), r.PostFormValue("note"), web.UserFrom(r.Context()).DisplayName); err != nil {
		return m.fail(w, r, i, err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/incident/%d#clock", i.ID), "報告・通知を行ったことを記録しました。", true)
}

func (m *Module) reopen(w http.ResponseWriter, r *http.Request) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	if err := m.store.Reopen(r.Context(), i.ID, r.PostFormValue("reason"), web.UserFrom(r.Context()).DisplayName); err != nil {
		return m.fail(w, r, i, err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/incident/%d", i.ID), "インシデントを再開しました（状態：効果確認）。", true)
}
