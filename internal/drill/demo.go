package drill

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"mamori/content"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/org"
)

// The demo ward's drills: the 令和8年度 annual plan for 23 departments
// (content/demo/drill_plan.yaml) and three drills (content/demo/drills.yaml):
// two conducted — with their injects released, the players' responses, the
// evaluators' observations, ratings, improvement actions and feedback,
// replayed through the store on a moving clock as they happened — and one
// planned. Dates are relative to the day the demo is made.

type demoPlan struct {
	Goals      []string `yaml:"goals"`
	Priorities []string `yaml:"priorities"`
	Cells      []struct {
		Department string `yaml:"department"`
		Month      int    `yaml:"month"`
		Scenario   string `yaml:"scenario"`
		Format     string `yaml:"format"`
		Note       string `yaml:"note"`
	} `yaml:"cells"`
}

type demoDrill struct {
	Code         string            `yaml:"code"`
	Scenario     string            `yaml:"scenario"`
	Title        string            `yaml:"title"`
	Department   string            `yaml:"department"`
	Teams        map[string]string `yaml:"teams"`
	State        string            `yaml:"state"`
	Days         int               `yaml:"days"`
	Start        string            `yaml:"start"`
	Location     string            `yaml:"location"`
	Participants []struct {
		Name       string `yaml:"name"`
		Department string `yaml:"department"`
		Role       string `yaml:"role"`
		Team       string `yaml:"team"`
	} `yaml:"participants"`
	Releases  map[string]int `yaml:"releases"`
	Responses []struct {
		Inject string `yaml:"inject"`
		After  int    `yaml:"after"`
		By     string `yaml:"by"`
		Body   string `yaml:"body"`
	} `yaml:"responses"`
	Observations []struct {
		Inject    string `yaml:"inject"`
		Objective string `yaml:"objective"`
		After     int    `yaml:"after"`
		By        string `yaml:"by"`
		Kind      string `yaml:"kind"`
		Body      string `yaml:"body"`
	} `yaml:"observations"`
	Ratings map[string]struct {
		Rating string `yaml:"rating"`
		Reason string `yaml:"reason"`
	} `yaml:"ratings"`
	Strengths    []string `yaml:"strengths"`
	Improvements []struct {
		Objective      string `yaml:"objective"`
		Title          string `yaml:"title"`
		Observation    string `yaml:"observation"`
		Reference      string `yaml:"reference"`
		Analysis       string `yaml:"analysis"`
		Recommendation string `yaml:"recommendation"`
		Owner          string `yaml:"owner"`
		DueDays        int    `yaml:"due_days"`
	} `yaml:"improvements"`
	Feedback []struct {
		By   string `yaml:"by"`
		Body string `yaml:"body"`
	} `yaml:"feedback"`
	Hotwash string `yaml:"hotwash"`
}

func readDemo(name string, v any) error {
	b, err := fs.ReadFile(content.FS, "demo/"+name)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// CreateDemo implements module.DemoMaker.
func (m *Module) CreateDemo(ctx context.Context, demo module.Demo) error {
	demo.Progress("事故対応訓練（年間計画・区民サービス影響モデル・訓練3件）")
	s := m.store
	if err := s.seedNow(ctx); err != nil {
		return err
	}
	tree, err := m.d.Org.Departments(ctx)
	if err != nil {
		return err
	}
	dept := func(name string) (int64, error) {
		if d := findDept(tree, name); d != nil {
			return d.ID, nil
		}
		return 0, fmt.Errorf("デモの所属「%s」がありません", name)
	}
	now := s.now()
	fy := m.d.Org.CurrentFiscalYear(ctx)
	var p demoPlan
	if err := readDemo("drill_plan.yaml", &p); err != nil {
		return err
	}
	const by = "デモデータ"
	if err := s.SavePlanText(ctx, fy, strings.Join(p.Goals, "\n"), strings.Join(p.Priorities, "\n"), by); err != nil {
		return err
	}
	for _, c := range p.Cells {
		id, err := dept(c.Department)
		if err != nil {
			return err
		}
		if err := s.SetCell(ctx, fy, CellInput{DepartmentID: id, Month: fmt.Sprint(c.Month), Scenario: c.Scenario, Format: c.Format, Note: c.Note}, by); err != nil {
			return fmt.Errorf("年間計画 %s: %w", c.Department, err)
		}
	}
	var ds struct {
		Drills []demoDrill `yaml:"drills"`
	}
	if err := readDemo("drills.yaml", &ds); err != nil {
		return err
	}
	for _, x := range ds.Drills {
		if err := m.demoDrill(ctx, x, now, tree); err != nil {
			return fmt.Errorf("訓練 %s: %w", x.Code, err)
		}
	}
	return nil
}

// demoDay is the drill's day: days from now, moved to an open weekday
// (a Monday for a scenario that says so).
func demoDay(now time.Time, days int, monday bool, hhmm string) time.Time {
	t := now.In(jp.JST).AddDate(0, 0, days)
	t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, jp.JST)
	if monday {
		for t.Weekday() != time.Monday {
			t = t.AddDate(0, 0, -1)
		}
	}
	for jp.OfficeClosed(t) {
		t = t.AddDate(0, 0, 1)
	}
	var h, mi int
	fmt.Sscanf(hhmm, "%d:%d", &h, &mi)
	return t.Add(time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute)
}

func (m *Module) demoDrill(ctx context.Context, x demoDrill, now time.Time, tree *org.Tree) error {
	at := now
	clock := NewStore(module.Deps{DB: m.d.DB, Log: m.d.Log, Org: m.d.Org, Now: func() time.Time { return at }})
	leadDept := findDept(tree, x.Department)
	if leadDept == nil {
		return fmt.Errorf("所属「%s」がありません", x.Department)
	}
	day := demoDay(now, x.Days, x.Scenario == "RANSOM-JUKI", x.Start)
	if x.State == "ended" && !day.Before(now) {
		return fmt.Errorf("実施済みの訓練の日（%s）が今日より後です", jp.FormatWareki(day))
	}
	at = day.AddDate(0, 0, -30)
	if now.Before(at) {
		at = now
	}
	d, err := clock.Create(ctx, DrillInput{Title: x.Title, Scenario: x.Scenario, Planned: day.Format("2006-01-02T15:04"), Location: x.Location,
		DepartmentID: leadDept.ID}, "デモデータ")
	if err != nil {
		return err
	}
	if _, err := m.d.DB.Exec(ctx, "UPDATE drills SET code = ? WHERE id = ?", x.Code, d.ID); err != nil {
		return err
	}
	d.Code = x.Code
	for key, name := range x.Teams {
		if dd := findDept(tree, name); dd != nil {
			if err := clock.SetTeamDepartment(ctx, d, key, dd.ID); err != nil {
				return err
			}
		}
	}
	pid := map[string]Participant{}
	for _, p := range x.Participants {
		var did int64
		if dd := findDept(tree, p.Department); dd != nil {
			did = dd.ID
		}
		id, err := clock.AddParticipant(ctx, d, ParticipantInput{Name: p.Name, Role: p.Role, Team: p.Team, DepartmentID: did})
		if err != nil {
			return fmt.Errorf("参加者 %s: %w", p.Name, err)
		}
		pid[p.Name] = Participant{ID: id, DrillID: d.ID, Name: p.Name, Role: Role(p.Role), Team: p.Team}
	}
	if x.State != "ended" {
		return nil
	}
	// The day, replayed in time order.
	at = day
	if err := clock.Start(ctx, d, "統制役"); err != nil {
		return err
	}
	if d, err = clock.Get(ctx, d.ID); err != nil {
		return err
	}
	ins, err := clock.Injects(ctx, d)
	if err != nil {
		return err
	}
	byRef := map[string]Inject{}
	released := map[string]time.Time{}
	for _, in := range ins {
		byRef[in.Ref()] = in
		mins, ok := x.Releases[in.Ref()]
		if !ok {
			mins = in.Offset
		}
		released[in.Ref()] = day.Add(time.Duration(mins) * time.Minute)
	}
	type step struct {
		at time.Time
		do func() error
	}
	var steps []step
	last := day
	for ref, t := range released {
		in := byRef[ref]
		if t.Before(day.Add(time.Duration(in.Offset) * time.Minute)) {
			steps = append(steps, step{t, func() error { _, err := clock.Release(ctx, d, in.ID, "統制役"); return err }})
		}
		last = later(last, t)
	}
	for i, r := range x.Responses {
		in, ok := byRef[r.Inject]
		p, okp := pid[r.By]
		if !ok || !okp {
			return fmt.Errorf("対応 %d：状況付与 %s か参加者 %s がありません", i+1, r.Inject, r.By)
		}
		t := released[r.Inject].Add(time.Duration(r.After) * time.Minute)
		steps = append(steps, step{t, func() error {
			return clock.Respond(ctx, d, p, in.ID, r.Body, fmt.Sprintf("demo-%s-response-%03d", x.Code, i))
		}})
		last = later(last, t)
	}
	for i, o := range x.Observations {
		var iid int64
		t := day.Add(time.Duration(o.After) * time.Minute)
		if o.Inject != "" {
			in, ok := byRef[o.Inject]
			if !ok {
				return fmt.Errorf("観察 %d：状況付与 %s がありません", i+1, o.Inject)
			}
			iid, t = in.ID, released[o.Inject].Add(time.Duration(o.After)*time.Minute)
		}
		part := pid[o.By].ID
		steps = append(steps, step{t, func() error {
			return clock.Observe(ctx, d, ObservationInput{InjectID: iid, Objective: o.Objective, Kind: o.Kind, Body: o.Body,
				Key: fmt.Sprintf("demo-%s-observation-%03d", x.Code, i)}, o.By, part)
		}})
		last = later(last, t)
	}
	slices.SortStableFunc(steps, func(a, b step) int { return a.at.Compare(b.at) })
	for _, st := range steps {
		at = st.at
		if d, err = clock.Get(ctx, d.ID); err != nil {
			return err
		}
		if err := st.do(); err != nil {
			return err
		}
	}
	at = last.Add(5 * time.Minute)
	if d, err = clock.Get(ctx, d.ID); err != nil {
		return err
	}
	if err := clock.End(ctx, d, "統制役"); err != nil {
		return err
	}
	if d, err = clock.Get(ctx, d.ID); err != nil {
		return err
	}
	at = at.Add(10 * time.Minute)
	for i, f := range x.Feedback {
		p := pid[f.By]
		if p.ID == 0 {
			return fmt.Errorf("感想 %d：参加者 %s がいません", i+1, f.By)
		}
		if err := clock.GiveFeedback(ctx, d, p, f.Body, fmt.Sprintf("demo-%s-feedback-%03d", x.Code, i)); err != nil {
			return err
		}
	}
	at = at.Add(30 * time.Minute)
	if err := clock.SaveSummary(ctx, d, strings.Join(x.Strengths, "\n"), x.Hotwash, d.Rev, "統制役"); err != nil {
		return err
	}
	at = at.AddDate(0, 0, 2)
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range x.Ratings {
			if !yield(k) {
				return
			}
		}
	}) {
		r := x.Ratings[k]
		if err := clock.Rate(ctx, d, k, r.Rating, r.Reason, "評価者"); err != nil {
			return fmt.Errorf("評価 %s: %w", k, err)
		}
	}
	for _, im := range x.Improvements {
		owner := findDept(tree, im.Owner)
		if owner == nil {
			return fmt.Errorf("改善点「%s」：所属「%s」がありません", im.Title, im.Owner)
		}
		if err := clock.AddImprovement(ctx, d, ImprovementInput{Objective: im.Objective, Title: im.Title, Observation: im.Observation, Reference: im.Reference,
			Analysis: im.Analysis, Recommendation: im.Recommendation, OwnerID: owner.ID, Due: jp.DateKey(day.AddDate(0, 0, im.DueDays)),
			Retest: "次年度の同じ所属の訓練"}, "評価者"); err != nil {
			return fmt.Errorf("改善点「%s」: %w", im.Title, err)
		}
	}
	return nil
}

// later is the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
