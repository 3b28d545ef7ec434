package program

import (
	"context"
	"fmt"
	"sort"
	"time"

	"mamori/internal/jp"
	"mamori/internal/module"
)

// Statuses of a row of the schedule.
const (
	StatusDone     = "done"     // 完了
	StatusLate     = "late"     // 遅延: past its end, not finished
	StatusRisk     = "risk"     // 要注意: progress behind the time elapsed, or overdue items
	StatusRunning  = "running"  // 進行中
	StatusUpcoming = "upcoming" // 未着手
)

var statusLabels = map[string]string{StatusDone: "完了", StatusLate: "遅延", StatusRisk: "要注意", StatusRunning: "進行中", StatusUpcoming: "未着手"}

// Row is one task of the year's schedule: the programme's own, or one a
// module knows (an audit, a campaign, a drill), read live from it.
type Row struct {
	Workstream int
	Module     string // the module that knows it ("" for the programme's own)
	ModulePath string // that module's landing page
	TaskID     int64  // the programme's own task
	Title      string
	Owner      string
	Milestone  bool
	Start, End time.Time
	BaseStart  time.Time // the baseline (own tasks re-planned)
	BaseEnd    time.Time
	Done       float64 // 0–1
	Completed  bool
	Overdue    int // the module's items past due
	Link       string
	Status     string
	Why        string   // what the delay detection saw
	After      []string // the titles of the tasks it depends on (own tasks)
	DaysLate   int
}

// StatusLabel is the row's status in Japanese.
func (r Row) StatusLabel() string { return statusLabels[r.Status] }

// Percent is the progress in percent.
func (r Row) Percent() int { return int(r.Done*100 + 0.5) }

// WorkstreamLabel names the row's workstream.
func (r Row) WorkstreamLabel() string { return WorkstreamLabel(r.Workstream) }

// Replanned reports whether the row moved from its baseline.
func (r Row) Replanned() bool {
	return !r.BaseStart.IsZero() && (!r.BaseStart.Equal(r.Start) || !r.BaseEnd.Equal(r.End))
}

// Delayed reports whether the row needs attention (late or at risk).
func (r Row) Delayed() bool { return r.Status == StatusLate || r.Status == StatusRisk }

// riskMargin is how far progress may lag the time elapsed before a task
// is 要注意.
const riskMargin = 0.25

// judge sets the row's status from its dates and progress at now.
func (r *Row) judge(now time.Time) {
	today := jp.ParseDateKey(jp.DateKey(now))
	switch {
	case r.Completed || r.Done >= 1:
		r.Status, r.Done = StatusDone, 1
	case !r.End.IsZero() && today.After(r.End):
		r.Status = StatusLate
		r.DaysLate = int(today.Sub(r.End).Hours() / 24)
		r.Why = fmt.Sprintf("終了予定（%s）を %d 日過ぎています（進捗 %d%%）", jp.FormatWareki(r.End), r.DaysLate, r.Percent())
	case !r.Start.IsZero() && today.Before(r.Start):
		r.Status = StatusUpcoming
	default:
		r.Status = StatusRunning
		span := r.End.Sub(r.Start).Hours() + 24
		elapsed := (today.Sub(r.Start).Hours() + 24) / span
		if !r.Milestone && span > 0 && r.Done+riskMargin < elapsed {
			r.Status = StatusRisk
			r.Why = fmt.Sprintf("期間の %d%% が過ぎましたが、進捗は %d%% です", int(elapsed*100), r.Percent())
		}
	}
	if r.Overdue > 0 && r.Status != StatusDone {
		if r.Status != StatusLate {
			r.Status = StatusRisk
		}
		if r.Why != "" {
			r.Why += "。"
		}
		r.Why += fmt.Sprintf("期限を過ぎた項目（フォローアップ・督促など）が %d 件あります", r.Overdue)
	}
}

// Schedule is the year's schedule with its delays.
type Schedule struct {
	FiscalYear int
	Now        time.Time
	Rows       []Row
	Delayed    []Row
	Groups     []Group
}

// Group is one workstream's rows.
type Group struct {
	Workstream int
	Label      string
	Rows       []Row
}

// ScheduleOf builds fiscal year fy's schedule from the programme's own
// tasks and every module's tasks, judged at the store's clock.
func (s *Store) ScheduleOf(ctx context.Context, fy int, progress func(ctx context.Context, fy int) ([]module.YearTask, error)) (Schedule, error) {
	sc := Schedule{FiscalYear: fy, Now: s.now()}
	own, err := s.Tasks(ctx, fy)
	if err != nil {
		return sc, err
	}
	for _, t := range own {
		sc.Rows = append(sc.Rows, Row{Workstream: t.Workstream, TaskID: t.ID, Title: t.Title, Owner: t.Owner, Milestone: t.Milestone, Start: t.Start, End: t.End,
			BaseStart: t.BaseStart, BaseEnd: t.BaseEnd, Done: float64(t.Progress) / 100, Completed: !t.ActualEnd.IsZero(), Link: fmt.Sprintf("/program/tasks/%d", t.ID)})
	}
	if progress != nil {
		ts, err := progress(ctx, fy)
		if err != nil {
			return sc, err
		}
		for _, t := range ts {
			sc.Rows = append(sc.Rows, Row{Workstream: t.Workstream, Module: t.Module, ModulePath: t.Path, Title: t.Task, Owner: t.Owner, Start: dateOf(t.Start), End: dateOf(t.End),
				Done: t.Done, Completed: t.Completed, Overdue: t.Overdue, Link: t.Link})
		}
	}
	for i := range sc.Rows {
		sc.Rows[i].judge(sc.Now)
	}
	deps, err := s.DepsOf(ctx, fy)
	if err != nil {
		return sc, err
	}
	sc.judgeDeps(deps)
	sort.SliceStable(sc.Rows, func(i, j int) bool {
		a, b := sc.Rows[i], sc.Rows[j]
		if a.Workstream != b.Workstream {
			return a.Workstream < b.Workstream
		}
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		return a.Title < b.Title
	})
	for _, r := range sc.Rows {
		if r.Delayed() {
			sc.Delayed = append(sc.Delayed, r)
		}
		if n := len(sc.Groups); n == 0 || sc.Groups[n-1].Workstream != r.Workstream {
			sc.Groups = append(sc.Groups, Group{Workstream: r.Workstream, Label: WorkstreamLabel(r.Workstream)})
		}
		g := &sc.Groups[len(sc.Groups)-1]
		g.Rows = append(g.Rows, r)
	}
	sort.SliceStable(sc.Delayed, func(i, j int) bool {
		if (sc.Delayed[i].Status == StatusLate) != (sc.Delayed[j].Status == StatusLate) {
			return sc.Delayed[i].Status == StatusLate
		}
		return sc.Delayed[i].DaysLate > sc.Delayed[j].DaysLate
	})
	return sc, nil
}

// dateOf is t's day in Japan.
func dateOf(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return jp.ParseDateKey(jp.DateKey(t))
}

// LinksFor keeps the links of the rows a role may follow: a module's task
// links into that module, which the role may not open (the viewer reads
// the schedule but not the technical findings).
func (sc *Schedule) LinksFor(may func(path string) bool) {
	fix := func(rs []Row) {
		for i := range rs {
			if rs[i].ModulePath != "" && !may(rs[i].ModulePath) {
				rs[i].Link = ""
			}
		}
	}
	fix(sc.Rows)
	fix(sc.Delayed)
	for g := range sc.Groups {
		fix(sc.Groups[g].Rows)
	}
}
