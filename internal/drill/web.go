package drill

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/web"
)

func (m *Module) routes(rt *web.Router) {
	manage := Managers.Rule()
	obj := web.Object{Kind: "drill.drill", Allow: m.mayRead}
	mobj := web.Object{Kind: "drill.drill", Allow: func(ctx context.Context, _ *web.User, _ web.Scope, id int64) (bool, error) {
		_, err := m.store.Get(ctx, id)
		return err == nil, err
	}}
	rt.Handle("GET /drill", watch, m.home)
	rt.Handle("GET /drill/plan", watch, m.planPage)
	rt.Handle("POST /drill/plan", manage, m.planSave)
	rt.Handle("POST /drill/plan/cells", manage, m.planCell)
	rt.Handle("GET /drill/services", watch, m.servicesPage)
	rt.Handle("POST /drill/services", manage, m.serviceSave)
	rt.Handle("GET /drill/scenarios", manage, m.scenariosPage)
	rt.Handle("GET /drill/scenarios/new", manage, m.scenarioNew)
	rt.Handle("POST /drill/scenarios", manage, m.scenarioCreate)
	scen := web.Object{Kind: "drill.scenario", Allow: func(ctx context.Context, _ *web.User, _ web.Scope, id int64) (bool, error) {
		_, err := m.store.ScenarioByID(ctx, id)
		return err == nil, err
	}}
	rt.Handle("GET /drill/scenarios/{id}", manage.On(scen), m.scenarioShow)
	rt.Handle("GET /drill/scenarios/{id}/edit", manage.On(scen), m.scenarioEdit)
	rt.Handle("POST /drill/scenarios/{id}", manage.On(scen), m.scenarioUpdate)
	rt.Handle("GET /drill/new", manage, m.newForm)
	rt.Handle("POST /drill", manage, m.create)
	rt.Handle("GET /drills/{id}", watch.On(obj), m.show)
	rt.Handle("POST /drills/{id}", manage.On(mobj), m.update)
	rt.Handle("POST /drills/{id}/teams", manage.On(mobj), m.setTeam)
	rt.Handle("POST /drills/{id}/participants", manage.On(mobj), m.addParticipant)
	rt.Handle("POST /drills/{id}/links", manage.On(mobj), m.issueLinks)
	m.liveRoutes(rt, manage, mobj)
	m.playRoutes(rt)
	m.docRoutes(rt, manage, mobj, obj)
}

// mayRead: managers and the viewer read every drill; a 所属長 the drills
// their sub-tree takes part in.
func (m *Module) mayRead(ctx context.Context, u *web.User, scope web.Scope, id int64) (bool, error) {
	d, err := m.store.Get(ctx, id)
	if err != nil {
		return false, err
	}
	if scope != web.ScopeOwnDepartment {
		return true, nil
	}
	return m.store.Involves(ctx, d, u.DepartmentID)
}

func (m *Module) drillOf(r *http.Request) (Drill, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return Drill{}, err
	}
	return m.store.Get(r.Context(), id)
}

func (m *Module) yearOf(r *http.Request) (int, error) {
	fy := m.d.Org.CurrentFiscalYear(r.Context())
	if y := r.URL.Query().Get("year"); y != "" {
		v, err := jp.ParseFiscalYear(y)
		if err != nil || v < 2000 || v > 2100 {
			return 0, web.Invalid("年度の指定が正しくありません（例: 2026、令和8年度）。")
		}
		fy = v
	}
	return fy, nil
}

func (m *Module) deptOptions(ctx context.Context, sections bool) ([]web.ListOption, error) {
	t, err := m.d.Org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	var out []web.ListOption
	for _, d := range t.Flat() {
		if d.Active && (sections || d.Depth <= 1) {
			out = append(out, web.ListOption{Value: strconv.FormatInt(d.ID, 10), Label: d.Path})
		}
	}
	return out, nil
}

func formID(r *http.Request, name string) int64 {
	v, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue(name)), 10, 64)
	return v
}

var listSpec = &web.ListSpec{
	Path: "/drill", DefaultSort: "planned",
	Sorts:   []web.ListSort{{Key: "planned", Label: "実施日時"}, {Key: "code", Label: "番号"}},
	Filters: []web.ListFilter{web.FiscalYearFilter("year"), {Key: "state", Label: "状態"}},
	Search:  "訓練名・番号・所属", Noun: "訓練", Label: "訓練の絞り込み",
	Empty: "この条件の訓練はありません。「訓練を計画」から計画してください。",
}

// row is a drill of the list with what the list shows.
type row struct {
	D      Drill
	Threat string
}

type homeView struct {
	L       *web.List
	Rows    []row
	Manager bool
	Ward    bool
	Year    int
	Now     time.Time
}

func (m *Module) home(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := web.UserFrom(ctx)
	scope, _ := watch.Permits(u.Role)
	v := homeView{Manager: Managers.HasUser(u), Ward: scope != web.ScopeOwnDepartment, Now: m.store.now(), Year: m.d.Org.CurrentFiscalYear(ctx)}
	l := listSpec.Parse(r)
	all, err := m.store.Drills(ctx, 0)
	if err != nil {
		return err
	}
	years := []int{v.Year}
	for _, d := range all {
		if !slices.Contains(years, d.FiscalYear) {
			years = append(years, d.FiscalYear)
		}
	}
	l.SetOptions("year", web.FiscalYearOptions(years))
	var states []web.ListOption
	for _, st := range []State{StatePlanned, StateRunning, StatePaused, StateEnded} {
		states = append(states, web.ListOption{Value: string(st), Label: st.Label()})
	}
	l.SetOptions("state", states)
	scs, err := m.store.Scenarios(ctx)
	if err != nil {
		return err
	}
	var rows []row
	for _, d := range all {
		if y := l.Value("year"); y != "" && strconv.Itoa(d.FiscalYear) != y {
			continue
		}
		if st := l.Value("state"); st != "" && string(d.State) != st {
			continue
		}
		if !jp.MatchWords(jp.SearchText(d.Code, d.Title, d.Department), l.Words()) {
			continue
		}
		if !v.Ward {
			if in, err := m.store.Involves(ctx, d, u.DepartmentID); err != nil || !in {
				if err != nil {
					return err
				}
				continue
			}
		}
		rw := row{D: d, Threat: d.ScenarioCode}
		for _, s := range scs {
			if s.Code == d.ScenarioCode {
				rw.Threat = s.Threat
			}
		}
		rows = append(rows, rw)
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		c := a.D.PlannedAt.Compare(b.D.PlannedAt)
		if l.Sort == "code" {
			c = strings.Compare(a.D.Code, b.D.Code)
		}
		if l.Desc {
			return -c
		}
		return c
	})
	l.SetTotal(len(rows))
	if l.Offset() < len(rows) {
		v.Rows = rows[l.Offset():min(l.Offset()+l.Limit(), len(rows))]
	}
	v.L = l
	return web.Render(w, r, http.StatusOK, "drill/drill_home", "事故対応訓練", v)
}

// The annual plan.

type planView struct {
	Plan       *Plan
	Year       int
	Manager    bool
	Months     []int
	Grid       []planRow
	Depts      []web.ListOption
	Scenarios  []ScenarioRow
	Priorities []Priority
	Errors     FieldErrors
}

type planRow struct {
	C     Cell
	Cells [12]bool
	Label string
	Open  bool // the reader may open the cell's drill
}

func (m *Module) planPage(w http.ResponseWriter, r *http.Request) error {
	fy, err := m.yearOf(r)
	if err != nil {
		return err
	}
	return m.renderPlan(w, r, fy, nil, http.StatusOK)
}

func (m *Module) renderPlan(w http.ResponseWriter, r *http.Request, fy int, fe FieldErrors, status int) error {
	ctx := r.Context()
	p, err := m.store.PlanOf(ctx, fy)
	if err != nil {
		return err
	}
	v := planView{Plan: p, Year: fy, Manager: Managers.Allows(r), Months: FiscalMonths, Errors: fe}
	scs, err := m.store.Scenarios(ctx)
	if err != nil {
		return err
	}
	v.Scenarios = scs
	u := web.UserFrom(ctx)
	scope, _ := watch.Permits(u.Role)
	for _, c := range p.Cells {
		pr := planRow{C: c, Label: c.Scenario, Open: c.DrillID != 0 && scope != web.ScopeOwnDepartment}
		if c.DrillID != 0 && scope == web.ScopeOwnDepartment {
			d, err := m.store.Get(ctx, c.DrillID)
			if err != nil {
				return err
			}
			if pr.Open, err = m.store.Involves(ctx, d, u.DepartmentID); err != nil {
				return err
			}
		}
		for _, s := range scs {
			if s.Code == c.Scenario {
				pr.Label = s.Threat
			}
		}
		pr.Cells[MonthIndex(c.Month)] = true
		v.Grid = append(v.Grid, pr)
	}
	slices.SortStableFunc(v.Grid, func(a, b planRow) int { return MonthIndex(a.C.Month) - MonthIndex(b.C.Month) })
	if v.Manager {
		if v.Depts, err = m.deptOptions(ctx, false); err != nil {
			return err
		}
		if v.Priorities, err = m.store.Priorities(ctx, fy); err != nil {
			return err
		}
	}
	return web.Render(w, r, status, "drill/drill_plan", jp.FiscalYearLabel(fy)+" 年間訓練計画", v)
}

func (m *Module) planSave(w http.ResponseWriter, r *http.Request) error {
	fy, err := jp.ParseFiscalYear(r.PostFormValue("year"))
	if err != nil || fy < 2000 || fy > 2100 {
		return web.Invalid("年度の指定が正しくありません。")
	}
	err = m.store.SavePlanText(r.Context(), fy, r.PostFormValue("goals"), r.PostFormValue("priorities"), web.UserFrom(r.Context()).DisplayName)
	var fe FieldErrors
	if errors.As(err, &fe) {
		return m.renderPlan(w, r, fy, fe, http.StatusUnprocessableEntity)
	} else if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/drill/plan?year=%d", fy), "年間訓練計画の目標と重点を保存しました。", true)
}

func (m *Module) planCell(w http.ResponseWriter, r *http.Request) error {
	fy, err := jp.ParseFiscalYear(r.PostFormValue("year"))
	if err != nil || fy < 2000 || fy > 2100 {
		return web.Invalid("年度の指定が正しくありません。")
	}
	in := CellInput{DepartmentID: formID(r, "department"), Month: r.PostFormValue("month"), Scenario: r.PostFormValue("scenario"),
		Format: r.PostFormValue("format"), Note: r.PostFormValue("note")}
	err = m.store.SetCell(r.Context(), fy, in, web.UserFrom(r.Context()).DisplayName)
	var fe FieldErrors
	if errors.As(err, &fe) {
		return m.renderPlan(w, r, fy, fe, http.StatusUnprocessableEntity)
	} else if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/drill/plan?year=%d#grid", fy), "年間訓練計画を更新しました。", true)
}

// The citizen-service registry and the impact of stopped systems.

type servicesView struct {
	Reg      *Registry
	Down     []string
	Impacts  []Impact
	Daily    int
	Manager  bool
	Edit     *Service
	In       ServiceInput
	Errors   FieldErrors
	Counters string
}

func (v servicesView) IsDown(code string) bool { return slices.Contains(v.Down, code) }

// SystemName is a system's name by code.
func (v servicesView) SystemName(code string) string {
	if s, ok := v.Reg.System(code); ok {
		return s.Name
	}
	return code
}

func (m *Module) servicesPage(w http.ResponseWriter, r *http.Request) error {
	reg, err := m.store.Registry(r.Context())
	if err != nil {
		return err
	}
	v := servicesView{Reg: reg, Manager: Managers.Allows(r)}
	for _, c := range r.URL.Query()["system"] {
		if _, ok := reg.System(c); !ok {
			return web.Invalid("システム「%s」は区民サービス影響モデルに登録されていません。", c)
		}
		v.Down = append(v.Down, c)
	}
	v.Impacts = reg.Impacts(v.Down)
	for _, i := range v.Impacts {
		v.Daily += i.Service.Daily
	}
	if code := r.URL.Query().Get("edit"); code != "" && v.Manager {
		for _, s := range reg.Services {
			if s.Code == code {
				v.In = inputOfService(s)
			}
		}
	}
	return web.Render(w, r, http.StatusOK, "drill/drill_services", "区民サービス影響モデル", v)
}

func inputOfService(s Service) ServiceInput {
	var cs []string
	for _, c := range s.Counters {
		cs = append(cs, c.Department+"："+c.Place)
	}
	return ServiceInput{Code: s.Code, Name: s.Name, Residents: s.Residents, Daily: strconv.Itoa(s.Daily), Fallback: s.Fallback,
		Steps: strings.Join(s.Steps, "\n"), Notice: s.Notice, Counters: strings.Join(cs, "\n"), Systems: s.Systems}
}

func (m *Module) serviceSave(w http.ResponseWriter, r *http.Request) error {
	in := ServiceInput{Code: r.PostFormValue("code"), Name: r.PostFormValue("name"), Residents: r.PostFormValue("residents"), Daily: r.PostFormValue("daily"),
		Fallback: r.PostFormValue("fallback"), Steps: r.PostFormValue("steps"), Notice: r.PostFormValue("notice"), Counters: r.PostFormValue("counters"),
		Systems: r.PostForm["systems"]}
	x, err := m.store.SaveService(r.Context(), in, web.UserFrom(r.Context()).DisplayName)
	var fe FieldErrors
	if errors.As(err, &fe) {
		reg, err := m.store.Registry(r.Context())
		if err != nil {
			return err
		}
		return web.Render(w, r, http.StatusUnprocessableEntity, "drill/drill_services", "区民サービス影響モデル",
			servicesView{Reg: reg, Manager: true, In: in, Errors: fe})
	} else if err != nil {
		return err
	}
	return web.Redirect(w, r, "/drill/services#services", fmt.Sprintf("区民サービス「%s」を保存しました。", x.Name), true)
}

// Scenario templates.

type scenarioView struct {
	Row    ScenarioRow
	S      *Scenario
	Reg    *Registry
	Impact []Impact
	Text   string
	New    bool
	Errors []string
	Used   []Drill
}

func (m *Module) scenariosPage(w http.ResponseWriter, r *http.Request) error {
	scs, err := m.store.Scenarios(r.Context())
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "drill/drill_scenarios", "訓練シナリオ", scs)
}

func (m *Module) scenarioOf(r *http.Request) (ScenarioRow, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return ScenarioRow{}, err
	}
	return m.store.ScenarioByID(r.Context(), id)
}

func (m *Module) scenarioShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	row, err := m.scenarioOf(r)
	if err != nil {
		return err
	}
	reg, err := m.store.Registry(ctx)
	if err != nil {
		return err
	}
	ds, err := m.store.Drills(ctx, 0)
	if err != nil {
		return err
	}
	v := scenarioView{Row: row, S: row.S, Reg: reg, Impact: reg.Impacts(row.S.Systems)}
	for _, d := range ds {
		if d.ScenarioCode == row.Code {
			v.Used = append(v.Used, d)
		}
	}
	return web.Render(w, r, http.StatusOK, "drill/drill_scenario", row.Title, v)
}

// scenarioSkeleton is the text a new scenario starts from.
const scenarioSkeleton = `code: NEW-SCENARIO
title: 
threat: 標的型メール
severity: 中
format: 机上訓練
minutes: 90
summary: 
systems: []
clauses: ["5.3", "7.3"]
teams:
  - key: lead
    label: 所管課
    default: ""
  - key: csirt
    label: 情報政策課（CSIRT）
    default: 情報政策課
objectives:
  - key: O1
    title: 
    clause: "5.3"
    tasks:
      - 
modules:
  - title: 発見と初動
    narrative: 
    questions:
      - 
    injects:
      - offset: 0
        persona: 職員
        from: 
        team: lead
        channel: 電話
        subject: 
        body: 
        expected: 
        objective: O1
controller_notes: 
`

func (m *Module) scenarioNew(w http.ResponseWriter, r *http.Request) error {
	return web.Render(w, r, http.StatusOK, "drill/drill_scenario_form", "訓練シナリオを追加", scenarioView{Text: scenarioSkeleton, New: true})
}

func (m *Module) scenarioEdit(w http.ResponseWriter, r *http.Request) error {
	row, err := m.scenarioOf(r)
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "drill/drill_scenario_form", row.Title+" を編集", scenarioView{Row: row, Text: row.Body})
}

func (m *Module) scenarioCreate(w http.ResponseWriter, r *http.Request) error {
	return m.saveScenario(w, r, ScenarioRow{})
}

func (m *Module) scenarioUpdate(w http.ResponseWriter, r *http.Request) error {
	row, err := m.scenarioOf(r)
	if err != nil {
		return err
	}
	return m.saveScenario(w, r, row)
}

func (m *Module) saveScenario(w http.ResponseWriter, r *http.Request, old ScenarioRow) error {
	text := strings.ReplaceAll(r.PostFormValue("body"), "\r\n", "\n")
	sc, err := m.store.SaveScenario(r.Context(), old.Code, text, web.UserFrom(r.Context()).DisplayName)
	var se ScenarioErrors
	if errors.As(err, &se) {
		v := scenarioView{Text: text, New: old.Code == "", Errors: se, Row: old}
		return web.Render(w, r, http.StatusUnprocessableEntity, "drill/drill_scenario_form", "訓練シナリオ", v)
	} else if err != nil {
		return err
	}
	row, err := m.store.Scenario(r.Context(), sc.Code)
	if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/drill/scenarios/%d", row.ID), fmt.Sprintf("シナリオ %s を保存しました。", sc.Code), true)
}

// Planning a drill.

type formView struct {
	In        DrillInput
	Depts     []web.ListOption
	Scenarios []ScenarioRow
	Errors    FieldErrors
}

func (m *Module) newForm(w http.ResponseWriter, r *http.Request) error {
	in := DrillInput{Scenario: r.URL.Query().Get("scenario")}
	if id, err := strconv.ParseInt(r.URL.Query().Get("department"), 10, 64); err == nil {
		in.DepartmentID = id
	}
	return m.renderForm(w, r, in, nil, http.StatusOK)
}

func (m *Module) renderForm(w http.ResponseWriter, r *http.Request, in DrillInput, fe FieldErrors, status int) error {
	ctx := r.Context()
	f := formView{In: in, Errors: fe}
	var err error
	if f.Depts, err = m.deptOptions(ctx, false); err != nil {
		return err
	}
	if f.Scenarios, err = m.store.Scenarios(ctx); err != nil {
		return err
	}
	return web.Render(w, r, status, "drill/drill_form", "訓練を計画", f)
}

func drillInputOf(r *http.Request) DrillInput {
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	return DrillInput{Title: r.PostFormValue("title"), Scenario: r.PostFormValue("scenario"), Planned: r.PostFormValue("planned"),
		Location: r.PostFormValue("location"), DepartmentID: formID(r, "department"), Rev: rev}
}

func (m *Module) create(w http.ResponseWriter, r *http.Request) error {
	in := drillInputOf(r)
	d, err := m.store.Create(r.Context(), in, web.UserFrom(r.Context()).DisplayName)
	var fe FieldErrors
	if errors.As(err, &fe) {
		return m.renderForm(w, r, in, fe, http.StatusUnprocessableEntity)
	} else if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/drills/%d", d.ID), fmt.Sprintf("訓練 %s を計画しました。参加者を登録し、リンクを発行してください。", d.Code), true)
}

// The drill's page: the day plan, teams, participants, the services the
// scenario stops, and the documents.

type showView struct {
	D            Drill
	S            *Scenario
	Teams        []DrillTeam
	Participants []Participant
	Impacts      []Impact
	Daily        int
	Manager      bool
	Depts        []web.ListOption
	Sections     []web.ListOption
	Roles        []Role
	Errors       FieldErrors
	Links        []IssuedLink
	Base         string
	Now          time.Time
	Planned      string
}

func (m *Module) show(w http.ResponseWriter, r *http.Request) error {
	d, err := m.drillOf(r)
	if err != nil {
		return err
	}
	return m.renderShow(w, r, d, nil, nil, http.StatusOK)
}

func (m *Module) renderShow(w http.ResponseWriter, r *http.Request, d Drill, fe FieldErrors, links []IssuedLink, status int) error {
	ctx := r.Context()
	v := showView{D: d, Manager: Managers.Allows(r), Roles: Roles, Errors: fe, Links: links, Now: m.store.now(),
		Planned: d.PlannedAt.In(jp.JST).Format("2006-01-02T15:04")}
	var err error
	if v.S, err = m.store.ScenarioOf(ctx, d); err != nil {
		return err
	}
	if v.Teams, err = m.store.Teams(ctx, d.ID); err != nil {
		return err
	}
	if v.Participants, err = m.store.Participants(ctx, d.ID); err != nil {
		return err
	}
	reg, err := m.store.Registry(ctx)
	if err != nil {
		return err
	}
	v.Impacts = reg.Impacts(v.S.Systems)
	for _, i := range v.Impacts {
		v.Daily += i.Service.Daily
	}
	if v.Manager {
		if v.Depts, err = m.deptOptions(ctx, false); err != nil {
			return err
		}
		if v.Sections, err = m.deptOptions(ctx, true); err != nil {
			return err
		}
	}
	v.Base = baseURL(r)
	return web.Render(w, r, status, "drill/drill_show", d.Code+" "+d.Title, v)
}

// TeamName is a team's name by key.
func (v showView) TeamName(key string) string {
	for _, t := range v.Teams {
		if t.Key == key {
			return t.Name()
		}
	}
	return key
}

// baseURL is the address participants' links start with.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (m *Module) update(w http.ResponseWriter, r *http.Request) error {
	d, err := m.drillOf(r)
	if err != nil {
		return err
	}
	err = m.store.Update(r.Context(), d, drillInputOf(r), web.UserFrom(r.Context()).DisplayName)
	var fe FieldErrors
	if errors.As(err, &fe) {
		return m.renderShow(w, r, d, fe, nil, http.StatusUnprocessableEntity)
	} else if errors.Is(err, ErrStale) {
		return m.renderShow(w, r, d, FieldErrors{"rev": ErrStale.Error()}, nil, http.StatusConflict)
	} else if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/drills/%d", d.ID), "訓練の名前・場所・日時を変更しました。", true)
}

func (m *Module) setTeam(w http.ResponseWriter, r *http.Request) error {
	d, err := m.drillOf(r)
	if err != nil {
		return err
	}
	err = m.store.SetTeamDepartment(r.Context(), d, r.PostFormValue("team"), formID(r, "department"))
	var fe FieldErrors
	if errors.As(err, &fe) {
		return m.renderShow(w, r, d, fe, nil, http.StatusUnprocessableEntity)
	} else if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/drills/%d#teams", d.ID), "チームの所属を変更しました。", true)
}

func (m *Module) addParticipant(w http.ResponseWriter, r *http.Request) error {
	d, err := m.drillOf(r)
	if err != nil {
		return err
	}
	_, err = m.store.AddParticipant(r.Context(), d, ParticipantInput{Name: r.PostFormValue("name"), Role: r.PostFormValue("role"),
		Team: r.PostFormValue("team"), DepartmentID: formID(r, "department")})
	var fe FieldErrors
	if errors.As(err, &fe) {
		return m.renderShow(w, r, d, fe, nil, http.StatusUnprocessableEntity)
	} else if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/drills/%d#participants", d.ID), "参加者を追加しました。", true)
}

// issueLinks makes links and shows them once, with their QR codes; only
// their hashes are kept.
func (m *Module) issueLinks(w http.ResponseWriter, r *http.Request) error {
	d, err := m.drillOf(r)
	if err != nil {
		return err
	}
	var ids []int64
	for _, s := range r.PostForm["participant"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return web.Invalid("参加者の指定が正しくありません。")
		}
		ids = append(ids, id)
	}
	links, err := m.store.IssueLinks(r.Context(), d, ids)
	var fe FieldErrors
	switch {
	case errors.As(err, &fe):
		return m.renderShow(w, r, d, fe, nil, http.StatusUnprocessableEntity)
	case errors.Is(err, ErrEnded):
		return m.renderShow(w, r, d, FieldErrors{"link": ErrEnded.Error()}, nil, http.StatusConflict)
	case err != nil:
		return err
	}
	if len(links) == 0 {
		return web.Redirect(w, r, fmt.Sprintf("/drills/%d#participants", d.ID), "リンクのない参加者はいません（作り直すときは参加者を選んでください）。", false)
	}
	return m.renderShow(w, r, d, nil, links, http.StatusOK)
}

// NotFoundOr maps a missing row to 404.
func notFoundOr(err error) error {
	if errors.Is(err, database.ErrNotFound) {
		return web.NotFound()
	}
	return err
}
