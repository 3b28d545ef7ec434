package program

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"

	"mamori/internal/database"
	"mamori/internal/improve"
	"mamori/internal/jp"
	"mamori/internal/web"
)

func (m *Module) routes(rt *web.Router) {
	read, manage := readers.Rule(), Managers.Rule()
	task := web.AnyObject("program.task", func(ctx context.Context, id int64) error {
		_, err := m.store.Task(ctx, id)
		return err
	})
	rt.Handle("GET /program", read, m.schedule)
	rt.Handle("GET /program/work-plan", read, m.workPlan)
	rt.Handle("POST /program/tasks", manage, m.create)
	rt.Handle("GET /program/tasks/{id}", read.On(task), m.show)
	rt.Handle("POST /program/tasks/{id}", manage.On(task), m.update)
	rt.Handle("POST /program/tasks/{id}/deps", manage.On(task), m.depsSave)
	rt.Handle("GET /program/month", read, m.month)
	m.meetingRoutes(rt)
	m.nextPlanRoutes(rt)
	m.loanRoutes(rt)
	m.deliverableRoutes(rt)
}

func userName(r *http.Request) string { return improve.ActorOf(web.UserFrom(r.Context())).Name }

// yearOf is the fiscal year of the query (?year=2026), or the current one.
func (m *Module) yearOf(r *http.Request) int {
	if y, err := jp.ParseFiscalYear(r.URL.Query().Get("year")); err == nil && y > 2000 && y < 2100 {
		return y
	}
	return m.d.Org.CurrentFiscalYear(r.Context())
}

type scheduleView struct {
	S           Schedule
	Gantt       template.HTML
	Years       []int
	Manage      bool
	In          TaskInput
	Errors      FieldErrors
	Workstreams []string
	Owners      []string
}

func (m *Module) schedule(w http.ResponseWriter, r *http.Request) error {
	return m.renderSchedule(w, r, m.yearOf(r), nil, nil, http.StatusOK)
}

func (m *Module) renderSchedule(w http.ResponseWriter, r *http.Request, fy int, in *TaskInput, fe FieldErrors, status int) error {
	sc, err := m.store.ScheduleOf(r.Context(), fy, m.d.YearProgress)
	if err != nil {
		return err
	}
	if u := web.UserFrom(r.Context()); u != nil && m.rt != nil {
		sc.LinksFor(func(path string) bool { return m.rt.Allowed(u.Role, path) })
	}
	v := scheduleView{S: sc, Gantt: template.HTML(Gantt(sc)), Years: []int{fy + 1, fy, fy - 1}, Manage: Managers.HasUser(web.UserFrom(r.Context())),
		Errors: fe, Workstreams: Workstreams, Owners: Owners}
	if in != nil {
		v.In = *in
	} else {
		v.In = TaskInput{Workstream: 10, Owner: Owners[0]}
	}
	return web.Render(w, r, status, "program/program_schedule", jp.FiscalYearLabel(fy)+"の工程", v)
}

func taskInput(r *http.Request) TaskInput {
	ws, _ := strconv.Atoi(r.PostFormValue("workstream"))
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	return TaskInput{Title: r.PostFormValue("title"), Owner: r.PostFormValue("owner"), Start: r.PostFormValue("start"), End: r.PostFormValue("end"),
		Progress: r.PostFormValue("progress"), ActualStart: r.PostFormValue("actual_start"), ActualEnd: r.PostFormValue("actual_end"),
		Note: r.PostFormValue("note"), Reason: r.PostFormValue("reason"), Workstream: ws, Milestone: r.PostFormValue("milestone") == "1", Rev: rev}
}

func (m *Module) create(w http.ResponseWriter, r *http.Request) error {
	fy, err := jp.ParseFiscalYear(r.PostFormValue("year"))
	if err != nil || fy < 2000 || fy > 2100 {
		fy = m.d.Org.CurrentFiscalYear(r.Context())
	}
	in := taskInput(r)
	id, err := m.store.Create(r.Context(), fy, in, userName(r))
	var fe FieldErrors
	if errors.As(err, &fe) {
		return m.renderSchedule(w, r, fy, &in, fe, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/program/tasks/%d", id), "作業を登録しました。", true)
}

type taskView struct {
	T           Task
	In          TaskInput
	Errors      FieldErrors
	Manage      bool
	Workstreams []string
	Owners      []string
	Others      []Task         // the year's other own tasks, as possible predecessors
	Deps        map[int64]bool // the task's predecessors
	DepErrors   FieldErrors
}

func (m *Module) taskOf(r *http.Request) (Task, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return Task{}, err
	}
	return m.store.Task(r.Context(), id)
}

func (m *Module) show(w http.ResponseWriter, r *http.Request) error {
	t, err := m.taskOf(r)
	if err != nil {
		return err
	}
	return m.renderTask(w, r, t, nil, nil, http.StatusOK)
}

func (m *Module) renderTask(w http.ResponseWriter, r *http.Request, t Task, in *TaskInput, fe FieldErrors, status int) error {
	v := taskView{T: t, Errors: fe, Manage: Managers.HasUser(web.UserFrom(r.Context())), Workstreams: Workstreams, Owners: Owners}
	if in != nil {
		v.In = *in
	} else {
		v.In = TaskInput{Title: t.Title, Owner: t.Owner, Start: jp.DateKey(t.Start), End: jp.DateKey(t.End), Progress: strconv.Itoa(t.Progress),
			ActualStart: jp.DateKey(t.ActualStart), ActualEnd: jp.DateKey(t.ActualEnd), Note: t.Note, Workstream: t.Workstream, Milestone: t.Milestone, Rev: t.Rev}
	}
	others, err := m.store.Tasks(r.Context(), t.FiscalYear)
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.ID != t.ID {
			v.Others = append(v.Others, o)
		}
	}
	deps, err := m.store.DepsOf(r.Context(), t.FiscalYear)
	if err != nil {
		return err
	}
	v.Deps = map[int64]bool{}
	for _, d := range deps[t.ID] {
		v.Deps[d] = true
	}
	if fe != nil && fe["deps"] != "" {
		v.Errors, v.DepErrors = nil, fe
	}
	return web.Render(w, r, status, "program/program_task", t.Title, v)
}

// depsSave replaces a task's predecessors (a circular dependency is
// refused, nothing changed).
func (m *Module) depsSave(w http.ResponseWriter, r *http.Request) error {
	t, err := m.taskOf(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return web.Invalid("送信内容を読めません。")
	}
	var ids []int64
	for _, v := range r.PostForm["dep"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return m.renderTask(w, r, t, nil, FieldErrors{"deps": "前提の作業を一覧から選んでください。"}, http.StatusUnprocessableEntity)
		}
		ids = append(ids, id)
	}
	err = m.store.SetDeps(r.Context(), t, ids, userName(r))
	var fe FieldErrors
	if errors.As(err, &fe) {
		return m.renderTask(w, r, t, nil, fe, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/program/tasks/%d", t.ID), "前提の作業を保存しました。", true)
}

func (m *Module) update(w http.ResponseWriter, r *http.Request) error {
	t, err := m.taskOf(r)
	if err != nil {
		return err
	}
	in := taskInput(r)
	err = m.store.Update(r.Context(), t, in, userName(r))
	var fe FieldErrors
	switch {
	case errors.As(err, &fe):
		return m.renderTask(w, r, t, &in, fe, http.StatusUnprocessableEntity)
	case errors.Is(err, ErrStale):
		return m.renderTask(w, r, t, &in, FieldErrors{"title": ErrStale.Error()}, http.StatusConflict)
	case errors.Is(err, database.ErrNotFound):
		return web.NotFound()
	case err != nil:
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/program/tasks/%d", t.ID), "作業を更新しました。", true)
}
