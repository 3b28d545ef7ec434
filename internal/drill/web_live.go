package drill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"mamori/internal/database"
	"mamori/internal/web"
)

// The live console (controllers and evaluators with an account) and the
// evaluation.

func (m *Module) liveRoutes(rt *web.Router, manage web.Rule, mobj web.Object) {
	rt.Handle("GET /drills/{id}/console", manage.On(mobj), m.console)
	rt.Handle("GET /drills/{id}/pulse", manage.On(mobj), m.pulse)
	rt.Handle("POST /drills/{id}/start", manage.On(mobj), m.control(func(s *Store) func(*http.Request, Drill, string) error {
		return func(r *http.Request, d Drill, by string) error { return s.Start(r.Context(), d, by) }
	}, "訓練を開始しました。状況付与は予定の時刻に自動で付与されます。"))
	rt.Handle("POST /drills/{id}/pause", manage.On(mobj), m.control(func(s *Store) func(*http.Request, Drill, string) error {
		return func(r *http.Request, d Drill, by string) error { return s.Pause(r.Context(), d, by) }
	}, "訓練を一時停止しました。時計が止まり、状況付与も止まります。"))
	rt.Handle("POST /drills/{id}/resume", manage.On(mobj), m.control(func(s *Store) func(*http.Request, Drill, string) error {
		return func(r *http.Request, d Drill, by string) error { return s.Resume(r.Context(), d, by) }
	}, "訓練を再開しました。"))
	rt.Handle("POST /drills/{id}/end", manage.On(mobj), m.control(func(s *Store) func(*http.Request, Drill, string) error {
		return func(r *http.Request, d Drill, by string) error { return s.End(r.Context(), d, by) }
	}, "訓練を終了しました。振り返りと評価を記録してください。"))
	// The inject is checked to exist; that it is the drill's is the store's check (answered 404).
	inject := web.Object{Kind: "drill.inject", Param: "inject", Allow: func(ctx context.Context, _ *web.User, _ web.Scope, id int64) (bool, error) {
		var n int
		err := m.d.DB.QueryRow(ctx, "SELECT COUNT(*) FROM drill_injects WHERE id = ?", id).Scan(&n)
		if err == nil && n == 0 {
			err = database.ErrNotFound
		}
		return err == nil, err
	}}
	rt.Handle("POST /drills/{id}/injects/{inject}/release", manage.On(mobj).On(inject), m.release)
	rt.Handle("POST /drills/{id}/observations", manage.On(mobj), m.observe)
	rt.Handle("GET /drills/{id}/evaluation", manage.On(mobj), m.evaluation)
	rt.Handle("POST /drills/{id}/ratings", manage.On(mobj), m.rate)
	rt.Handle("POST /drills/{id}/summary", manage.On(mobj), m.summary)
	rt.Handle("POST /drills/{id}/improvements", manage.On(mobj), m.addImprovement)
}

// consoleView is what the console and the evaluator's link page show.
type consoleView struct {
	D            Drill
	S            *Scenario
	Teams        []DrillTeam
	Participants []Participant
	Injects      []Inject
	Responses    map[int64][]Response
	Obs          []Observation
	Now          time.Time
	Elapsed      string
	ElapsedSecs  int64
	Key          string // the observation form's replay key
	Errors       FieldErrors
	Post         string // where the observation form posts
	Kinds        []struct{ Key, Label string }
	Evaluator    *Participant // the evaluator of a link page
	Checked      int
}

// Clock is the wall-clock time of an inject.
func (v consoleView) Clock(i Inject) time.Time {
	if i.Released() {
		return i.ReleasedAt
	}
	return v.D.ClockAt(i.Offset, v.Now)
}

// ObjectiveTitle is an objective's title.
func (v consoleView) ObjectiveTitle(key string) string {
	if o, ok := v.S.Objective(key); ok {
		return o.Title
	}
	return ""
}

// TeamName is a team's name.
func (v consoleView) TeamName(key string) string {
	for _, t := range v.Teams {
		if t.Key == key {
			return t.Name()
		}
	}
	return key
}

// InjectRef is the number of an inject by id.
func (v consoleView) InjectRef(id int64) string {
	for _, i := range v.Injects {
		if i.ID == id {
			return i.Ref()
		}
	}
	return ""
}

// Module is a scenario module's title by its number.
func (v consoleView) ModuleTitle(n int) string {
	if n >= 1 && n <= len(v.S.Modules) {
		return v.S.Modules[n-1].Title
	}
	return ""
}

func clockLabel(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}

func (m *Module) consoleOf(r *http.Request, d Drill) (consoleView, error) {
	ctx := r.Context()
	v := consoleView{D: d, Now: m.store.now(), Responses: map[int64][]Response{}, Key: web.NewToken(16), Kinds: ObservationKinds,
		Post: fmt.Sprintf("/drills/%d/observations", d.ID)}
	var err error
	if v.S, err = m.store.ScenarioOf(ctx, d); err != nil {
		return v, err
	}
	if v.Teams, err = m.store.Teams(ctx, d.ID); err != nil {
		return v, err
	}
	if v.Participants, err = m.store.Participants(ctx, d.ID); err != nil {
		return v, err
	}
	for _, p := range v.Participants {
		if !p.CheckedInAt.IsZero() {
			v.Checked++
		}
	}
	if v.Injects, err = m.store.Injects(ctx, d); err != nil {
		return v, err
	}
	rs, err := m.store.Responses(ctx, d.ID)
	if err != nil {
		return v, err
	}
	for _, x := range rs {
		v.Responses[x.InjectID] = append(v.Responses[x.InjectID], x)
	}
	if v.Obs, err = m.store.Observations(ctx, d.ID); err != nil {
		return v, err
	}
	el := d.Elapsed(v.Now)
	v.Elapsed, v.ElapsedSecs = clockLabel(el), int64(el/time.Second)
	return v, nil
}

func (m *Module) console(w http.ResponseWriter, r *http.Request) error {
	d, err := m.drillOf(r)
	if err != nil {
		return err
	}
	v, err := m.consoleOf(r, d)
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "drill/drill_console", d.Code+" 訓練の進行", withTyped(v, ObservationInput{}))
}

// pulseOf is what changes on the day, for the pages' polling: the page
// offers to reload when it differs from what it shows.
func (m *Module) pulseOf(r *http.Request, d Drill, team string) (map[string]any, error) {
	ctx := r.Context()
	ins, err := m.store.Injects(ctx, d)
	if err != nil {
		return nil, err
	}
	released := 0
	for _, i := range ins {
		if i.Released() && (team == "" || i.Team == team) {
			released++
		}
	}
	out := map[string]any{"state": string(d.State), "released": released, "elapsed": int64(d.Elapsed(m.store.now()) / time.Second)}
	if team == "" {
		rs, err := m.store.Responses(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		os, err := m.store.Observations(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		out["responses"], out["observations"] = len(rs), len(os)
	}
	return out, nil
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(v)
}

func (m *Module) pulse(w http.ResponseWriter, r *http.Request) error {
	d, err := m.drillOf(r)
	if err != nil {
		return err
	}
	p, err := m.pulseOf(r, d, "")
	if err != nil {
		return err
	}
	return writeJSON(w, p)
}

// control runs a state change of the drill and returns to the console.
func (m *Module) control(op func(*Store) func(*http.Request, Drill, string) error, done string) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		d, err := m.drillOf(r)
		if err != nil {
			return err
		}
		err = op(m.store)(r, d, web.UserFrom(r.Context()).DisplayName)
		var fe FieldErrors
		if errors.As(err, &fe) {
			return web.Redirect(w, r, fmt.Sprintf("/drills/%d/console", d.ID), fe.Error(), false)
		} else if err != nil {
			return err
		}
		return web.Redirect(w, r, fmt.Sprintf("/drills/%d/console", d.ID), done, true)
	}
}

func (m *Module) release(w http.ResponseWriter, r *http.Request) error {
	d, err := m.drillOf(r)
	if err != nil {
		return err
	}
	iid, err := web.PathID(r, "inject")
	if err != nil {
		return err
	}
	in, err := m.store.Release(r.Context(), d, iid, web.UserFrom(r.Context()).DisplayName)
	switch {
	case errors.Is(err, ErrEnded), errors.Is(err, ErrNotLive):
		return &web.Error{Status: http.StatusConflict, Msg: err.Error()}
	case errors.Is(err, ErrNotOurs):
		return &web.Error{Status: http.StatusNotFound, Msg: err.Error()}
	case err != nil:
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/drills/%d/console#inject-%d", d.ID, in.ID), fmt.Sprintf("状況付与 %s を付与しました。", in.Ref()), true)
}

func observationInput(r *http.Request) ObservationInput {
	iid, _ := strconv.ParseInt(r.PostFormValue("inject"), 10, 64)
	return ObservationInput{InjectID: iid, Objective: r.PostFormValue("objective"), Kind: r.PostFormValue("kind"), Key: r.PostFormValue("key"),
		Body: r.PostFormValue("body")}
}

func (m *Module) observe(w http.ResponseWriter, r *http.Request) error {
	d, err := m.drillOf(r)
	if err != nil {
		return err
	}
	in := observationInput(r)
	err = m.store.Observe(r.Context(), d, in, web.UserFrom(r.Context()).DisplayName, 0)
	var fe FieldErrors
	switch {
	case errors.As(err, &fe):
		v, err := m.consoleOf(r, d)
		if err != nil {
			return err
		}
		v.Errors = fe
		return web.Render(w, r, http.StatusUnprocessableEntity, "drill/drill_console", d.Code+" 訓練の進行", withTyped(v, in))
	case errors.Is(err, ErrNotLive):
		return &web.Error{Status: http.StatusConflict, Msg: err.Error()}
	case err != nil && !IsReplay(err):
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/drills/%d/console#observe", d.ID), "記録しました。", true)
}

// typedView carries what was typed back into a refused form.
type typedView struct {
	consoleView
	Typed ObservationInput
}

func withTyped(v consoleView, in ObservationInput) typedView {
	return typedView{consoleView: v, Typed: in}
}

// The evaluation.

type evalView struct {
	D            Drill
	S            *Scenario
	Ratings      map[string]Rating
	Ratingset    []struct{ Key, Label string }
	Obs          []Observation
	Improvements []Improvement
	Feedback     []Feedback
	Depts        []web.ListOption
	Errors       FieldErrors
	Strengths    string
	DueDefault   string
	Injects      []Inject
}

// ObsFor are the observations of one objective.
func (v evalView) ObsFor(key string) []Observation {
	var out []Observation
	for _, o := range v.Obs {
		if o.Objective == key {
			out = append(out, o)
		}
	}
	return out
}

func (m *Module) evaluation(w http.ResponseWriter, r *http.Request) error {
	d, err := m.drillOf(r)
	if err != nil {
		return err
	}
	return m.renderEval(w, r, d, nil, http.StatusOK)
}

func (m *Module) renderEval(w http.ResponseWriter, r *http.Request, d Drill, fe FieldErrors, status int) error {
	ctx := r.Context()
	v := evalView{D: d, Ratingset: Ratings, Errors: fe, Strengths: strings.Join(d.Strengths, "\n"),
		DueDefault: m.store.now().AddDate(0, 3, 0).Format("2006-01-02")}
	var err error
	if v.S, err = m.store.ScenarioOf(ctx, d); err != nil {
		return err
	}
	if v.Ratings, err = m.store.RatingsOf(ctx, d.ID); err != nil {
		return err
	}
	if v.Obs, err = m.store.Observations(ctx, d.ID); err != nil {
		return err
	}
	if v.Improvements, err = m.store.Improvements(ctx, d); err != nil {
		return err
	}
	if v.Feedback, err = m.store.FeedbackOf(ctx, d.ID); err != nil {
		return err
	}
	if v.Depts, err = m.deptOptions(ctx, false); err != nil {
		return err
	}
	return web.Render(w, r, status, "drill/drill_evaluation", d.Code+" 訓練の評価", v)
}

func (m *Module) rate(w http.ResponseWriter, r *http.Request) error {
	d, err := m.drillOf(r)
	if err != nil {
		return err
	}
	err = m.store.Rate(r.Context(), d, r.PostFormValue("objective"), r.PostFormValue("rating"), r.PostFormValue("reason"), web.UserFrom(r.Context()).DisplayName)
	return m.afterEval(w, r, d, err, "評価を記録しました。", "#ratings")
}

func (m *Module) summary(w http.ResponseWriter, r *http.Request) error {
	d, err := m.drillOf(r)
	if err != nil {
		return err
	}
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	err = m.store.SaveSummary(r.Context(), d, r.PostFormValue("strengths"), r.PostFormValue("hotwash"), rev, web.UserFrom(r.Context()).DisplayName)
	if errors.Is(err, ErrStale) {
		err = FieldErrors{"rev": ErrStale.Error()}
	}
	return m.afterEval(w, r, d, err, "良かった点と振り返りを保存しました。", "#summary")
}

func (m *Module) addImprovement(w http.ResponseWriter, r *http.Request) error {
	d, err := m.drillOf(r)
	if err != nil {
		return err
	}
	in := ImprovementInput{Objective: r.PostFormValue("objective"), Title: r.PostFormValue("title"), Observation: r.PostFormValue("observation"),
		Reference: r.PostFormValue("reference"), Analysis: r.PostFormValue("analysis"), Recommendation: r.PostFormValue("recommendation"),
		Due: r.PostFormValue("due"), Retest: r.PostFormValue("retest"), OwnerID: formID(r, "owner")}
	err = m.store.AddImprovement(r.Context(), d, in, web.UserFrom(r.Context()).DisplayName)
	return m.afterEval(w, r, d, err, "改善すべき点を登録し、改善措置台帳に載せました。", "#improvements")
}

func (m *Module) afterEval(w http.ResponseWriter, r *http.Request, d Drill, err error, done, anchor string) error {
	var fe FieldErrors
	if errors.As(err, &fe) {
		return m.renderEval(w, r, d, fe, http.StatusUnprocessableEntity)
	} else if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/drills/%d/evaluation%s", d.ID, anchor), done, true)
}
