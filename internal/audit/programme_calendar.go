package audit

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"mamori/internal/jp"
	"mamori/internal/web"
)

// The calendar: where the year's engagements stand, month by month from
// April to March — each visit and each phase's due date, finished or
// overdue — as a table of engagements × months and, below it, the same
// dates as a list by month (what a tablet reader scrolls and a printer
// prints).

// calEvent is one dated entry of an engagement: a visit or a phase's due
// date.
type calEvent struct {
	Date    time.Time
	Visit   bool
	Phase   Phase  // the step; a visit is the fieldwork step's
	Where   string // the department visited
	Time    string // the visit's time of day
	Done    time.Time
	Overdue bool
	E       *Engagement
}

// Short is the entry's mark in a cell: 訪 (the visit) or the phase in one
// character.
func (ev calEvent) Short() string {
	if ev.Visit {
		return "訪"
	}
	return phaseShort(ev.Phase)
}

// Day is the day of the month.
func (ev calEvent) Day() int { return ev.Date.In(jp.JST).Day() }

// What says what the entry is.
func (ev calEvent) What() string {
	if ev.Visit {
		s := "実地監査（" + ev.Where
		if ev.Time != "" {
			s += "　" + ev.Time
		}
		return s + "）"
	}
	return "「" + ev.Phase.Label() + "」の期限"
}

// State is 期限超過, 完了 or "" (to come).
func (ev calEvent) State() string {
	switch {
	case ev.Overdue:
		return "期限超過"
	case !ev.Done.IsZero():
		return "完了"
	}
	return "予定"
}

// Class is the entry's style: overdue, done or to come.
func (ev calEvent) Class() string {
	c := "cal-ev"
	if ev.Visit {
		c += " cal-visit"
	}
	switch {
	case ev.Overdue:
		c += " cal-overdue"
	case !ev.Done.IsZero():
		c += " cal-done"
	}
	return c
}

// DateLabel is the date in 和暦 with the day of the week.
func (ev calEvent) DateLabel() string { return dateWithWeekday(ev.Date) }

// DoneLabel is when the step was finished ("" when not).
func (ev calEvent) DoneLabel() string { return wareki(ev.Done) }

// warekiYear is t's calendar year in 和暦: 令和8年.
func warekiYear(t time.Time) string {
	y, _, _ := strings.Cut(jp.FormatWareki(t), "年")
	return y + "年"
}

var weekdays = []string{"日", "月", "火", "水", "木", "金", "土"}

func dateWithWeekday(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return jp.FormatWareki(t) + "（" + weekdays[t.In(jp.JST).Weekday()] + "）"
}

// calendarEvents lists an engagement's dated entries: each visit, and each
// phase's due date (the fieldwork step's only when it is not a visit day,
// where the visit stands for it).
func calendarEvents(e *Engagement, now time.Time) []calEvent {
	overdue := map[Phase]bool{}
	for _, p := range e.Overdue(now) {
		overdue[p] = true
	}
	today := jp.DateKey(now)
	field := e.Step(PhaseFieldwork)
	visits := map[string]bool{}
	var out []calEvent
	for _, t := range e.Targets {
		if t.VisitDate.IsZero() {
			continue
		}
		visits[jp.DateKey(t.VisitDate)] = true
		out = append(out, calEvent{Date: t.VisitDate, Visit: true, Phase: PhaseFieldwork, Where: t.Name, Time: t.VisitTime, Done: field.Done,
			Overdue: overdue[PhaseFieldwork] && jp.DateKey(t.VisitDate) < today, E: e})
	}
	for _, s := range e.Steps {
		if s.Due.IsZero() || s.Phase == PhaseFieldwork && visits[jp.DateKey(s.Due)] {
			continue
		}
		out = append(out, calEvent{Date: s.Due, Phase: s.Phase, Done: s.Done, Overdue: overdue[s.Phase], E: e})
	}
	sort.SliceStable(out, func(i, j int) bool { return jp.DateKey(out[i].Date) < jp.DateKey(out[j].Date) })
	return out
}

// calColumn is one column of the table: a month of the year, or the
// dates before or after it.
type calColumn struct {
	Label   string
	Era     string // the calendar year in 和暦 on April and January: 令和8年
	Current bool   // this month
	from    string // first day (YYYY-MM-DD), inclusive; "" for the dates before the year
	to      string // exclusive; "" for the dates after the year
}

// Outside reports whether the column holds the dates before or after the
// year rather than a month.
func (c calColumn) Outside() bool { return c.from == "" || c.to == "" }

func (c calColumn) holds(key string) bool {
	return (c.from == "" || key >= c.from) && (c.to == "" || key < c.to)
}

// calRow is one engagement of the table, its entries by column.
type calRow struct {
	E       *Engagement
	Cells   [][]calEvent
	Overdue []Phase
}

// OverdueLabels names the overdue phases.
func (r calRow) OverdueLabels() string { return phaseNames(r.Overdue) }

// calMonth is one month of the list below the table.
type calMonth struct {
	Label   string
	Current bool
	Events  []calEvent
}

type calendarView struct {
	programmeAssets
	Q       *programmeQuery
	List    *web.List
	Columns []calColumn
	Rows    []calRow
	Months  []calMonth
	Total   int
	Today   string
	Legend  []struct{ Short, Label string }
}

// ListLink is the programme list of the same filters.
func (v calendarView) ListLink() string { return v.List.At("/audit") }

func (m *Module) programmeCalendar(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	pq, err := m.programmeQueryOf(r, calendarSpec)
	if err != nil {
		return err
	}
	if pq.Year == 0 {
		pq.List.Refuse("year", "カレンダーは年度を一つ選んで表示します。")
		pq.Year, pq.Filter.FiscalYear = pq.WorkingYear, pq.WorkingYear
	}
	var years []web.ListOption
	for _, o := range pq.List.Options("year") {
		if o.Value != allYears {
			years = append(years, o)
		}
	}
	pq.List.SetOptions("year", years)
	f := pq.Filter
	f.Sort = "visit"
	es, total, err := m.store.Programme(ctx, f)
	if err != nil {
		return err
	}
	pq.List.SetTotal(total)
	now := m.now()
	v := calendarView{programmeAssets: progAssets, Q: pq, List: pq.List, Total: total, Today: dateWithWeekday(now)}
	for _, p := range Phases {
		v.Legend = append(v.Legend, struct{ Short, Label string }{phaseShort(p), p.Label()})
	}
	start := jp.FiscalYearStart(pq.Year)
	thisMonth := now.In(jp.JST).Format("2006-01")
	var months []calColumn
	for i := range 12 {
		t := start.AddDate(0, i, 0)
		c := calColumn{Label: t.Format("1") + "月", Current: t.Format("2006-01") == thisMonth,
			from: t.Format("2006-01-02"), to: t.AddDate(0, 1, 0).Format("2006-01-02")}
		if i == 0 || t.Month() == time.January {
			c.Era = warekiYear(t)
		}
		months = append(months, c)
	}
	first, last := months[0].from, months[11].to
	before := calColumn{Label: "前年度", Era: "以前", to: first}
	after := calColumn{Label: "翌年度", Era: "以降", from: last}
	var hasBefore, hasAfter bool
	events := make([][]calEvent, len(es))
	for i := range es {
		events[i] = calendarEvents(&es[i], now)
		for _, ev := range events[i] {
			k := jp.DateKey(ev.Date)
			hasBefore = hasBefore || k < first
			hasAfter = hasAfter || k >= last
		}
	}
	if hasBefore {
		v.Columns = append(v.Columns, before)
	}
	v.Columns = append(v.Columns, months...)
	if hasAfter {
		v.Columns = append(v.Columns, after)
	}
	// The list by month names the year on every month.
	v.Months = make([]calMonth, len(v.Columns))
	for ci, c := range v.Columns {
		v.Months[ci] = calMonth{Label: c.Label + c.Era, Current: c.Current}
		if !c.Outside() {
			v.Months[ci].Label = warekiYear(jp.ParseDateKey(c.from)) + c.Label
		}
	}
	for i := range es {
		row := calRow{E: &es[i], Cells: make([][]calEvent, len(v.Columns)), Overdue: es[i].Overdue(now)}
		for _, ev := range events[i] {
			k := jp.DateKey(ev.Date)
			for ci, c := range v.Columns {
				if c.holds(k) {
					row.Cells[ci] = append(row.Cells[ci], ev)
					v.Months[ci].Events = append(v.Months[ci].Events, ev)
					break
				}
			}
		}
		v.Rows = append(v.Rows, row)
	}
	for ci := range v.Months {
		evs := v.Months[ci].Events
		sort.SliceStable(evs, func(a, b int) bool {
			ka, kb := jp.DateKey(evs[a].Date), jp.DateKey(evs[b].Date)
			if ka != kb {
				return ka < kb
			}
			return evs[a].E.Code < evs[b].E.Code
		})
	}
	return web.Render(w, r, http.StatusOK, "audit/programme_calendar", "監査カレンダー", v)
}
