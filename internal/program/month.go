package program

// The month view of the schedule: a calendar of one month with what
// starts, ends or falls due each day (milestones and meetings among them),
// and the list of the tasks running in the month with their state.

import (
	"fmt"
	"net/http"
	"time"

	"mamori/internal/jp"
	"mamori/internal/web"
)

// DayMark is one thing on a day of the month view.
type DayMark struct {
	Kind  string // start, end, milestone
	Label string // 開始, 終了予定, 節目
	Row   Row
}

// Day is one cell of the month's calendar.
type Day struct {
	Date    time.Time
	InMonth bool
	Today   bool
	Holiday string // the holiday's name, or 閉庁日 (年末年始)
	Closed  bool   // the office is closed (土日・祝日・年末年始)
	Marks   []DayMark
}

// Month is the month view of a schedule.
type Month struct {
	First      time.Time
	Prev, Next time.Time
	Weeks      [][]Day
	Running    []Row // tasks that overlap the month
}

// Key is the month as the page's query has it (2026-12).
func monthKey(t time.Time) string { return t.Format("2006-01") }

// MonthOf lays out schedule sc for the month starting at first.
func MonthOf(sc Schedule, first time.Time) Month {
	first = time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, jp.JST)
	next := first.AddDate(0, 1, 0)
	mo := Month{First: first, Prev: first.AddDate(0, -1, 0), Next: next}
	marks := map[string][]DayMark{}
	for _, r := range sc.Rows {
		if r.Start.IsZero() || r.End.IsZero() {
			continue
		}
		if r.Start.Before(next) && !r.End.Before(first) {
			mo.Running = append(mo.Running, r)
		}
		if r.Milestone || jp.DateKey(r.Start) == jp.DateKey(r.End) {
			marks[jp.DateKey(r.Start)] = append(marks[jp.DateKey(r.Start)], DayMark{Kind: "milestone", Label: "節目", Row: r})
			continue
		}
		marks[jp.DateKey(r.Start)] = append(marks[jp.DateKey(r.Start)], DayMark{Kind: "start", Label: "開始", Row: r})
		marks[jp.DateKey(r.End)] = append(marks[jp.DateKey(r.End)], DayMark{Kind: "end", Label: "終了予定", Row: r})
	}
	// weeks from Monday
	day := first.AddDate(0, 0, -((int(first.Weekday()) + 6) % 7))
	today := jp.DateKey(sc.Now)
	for day.Before(next) {
		var week []Day
		for i := 0; i < 7; i++ {
			d := Day{Date: day, InMonth: day.Month() == first.Month(), Today: jp.DateKey(day) == today, Marks: marks[jp.DateKey(day)]}
			if name, ok := jp.Holiday(day); ok {
				d.Holiday = name
			} else if jp.OfficeClosed(day) && day.Weekday() != time.Saturday && day.Weekday() != time.Sunday {
				d.Holiday = "閉庁日"
			}
			d.Closed = jp.OfficeClosed(day)
			week = append(week, d)
			day = day.AddDate(0, 0, 1)
		}
		mo.Weeks = append(mo.Weeks, week)
	}
	return mo
}

// Title is the month in Japanese (令和8年12月).
func (mo Month) Title() string {
	w := jp.FormatWareki(mo.First)
	for i, r := range []rune(w) {
		if r == '月' {
			return string([]rune(w)[:i+1])
		}
	}
	return w
}

type monthView struct {
	S     Schedule
	M     Month
	Years []int
}

// month shows one month of the year's schedule (?month=2026-12; default:
// this month when it falls in the year, else the year's first month).
func (m *Module) month(w http.ResponseWriter, r *http.Request) error {
	first, err := time.ParseInLocation("2006-01", r.URL.Query().Get("month"), jp.JST)
	if err != nil || first.Year() < 2000 || first.Year() > 2100 {
		first = m.store.now().In(jp.JST)
		if q := r.URL.Query().Get("year"); q != "" {
			fy := m.yearOf(r)
			if jp.FiscalYearOf(first) != fy {
				first = jp.FiscalYearStart(fy)
			}
		}
	}
	fy := jp.FiscalYearOf(first)
	sc, err := m.store.ScheduleOf(r.Context(), fy, m.d.YearProgress)
	if err != nil {
		return err
	}
	if u := web.UserFrom(r.Context()); u != nil && m.rt != nil {
		sc.LinksFor(func(path string) bool { return m.rt.Allowed(u.Role, path) })
	}
	mo := MonthOf(sc, first)
	return web.Render(w, r, http.StatusOK, "program/program_month", fmt.Sprintf("%sの予定", mo.Title()), monthView{S: sc, M: mo, Years: []int{fy + 1, fy, fy - 1}})
}
