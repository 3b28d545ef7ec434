package audit

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/web"
)

// The CISO dashboard (issue 13): the year's programme, the open findings
// by risk and age, the overdue follow-ups and the department × chapter
// heatmap. Every figure links to the list that holds exactly what it
// counts; every chart has its table.

//go:embed static/dashboard.css
var dashboardCSS []byte

// dashboardReaders are the office, the contractor and the viewer (CISO,
// executives): the year across every engagement, never one department's.
var dashboardReaders = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleViewer)

// dashboardRoutes registers the dashboard and the list of open findings
// its risk × age figures link to.
func (m *Module) dashboardRoutes(rt *web.Router) {
	rt.Renderer().Static().Add("audit/dashboard.css", dashboardCSS)
	read := dashboardReaders.Rule()
	rt.Handle("GET /audit/dashboard", read, m.dashboardPage)
	rt.Handle("GET /audit/dashboard/findings", read, m.dashboardFindings)
}

// AgeBand is a range of days since a finding was written.
type AgeBand struct {
	Key, Label string
	Min, Max   int // days, inclusive; Max < 0: no upper end
}

// AgeBands are the dashboard's ages of open findings.
var AgeBands = []AgeBand{
	{"0-30", "30日以内", 0, 30},
	{"31-90", "31〜90日", 31, 90},
	{"91-180", "91〜180日", 91, 180},
	{"181-", "180日超", 181, -1},
}

// ageBandOf is the index of the band of a finding written on day at, as
// of now (calendar days in Japan).
func ageBandOf(at, now time.Time) int {
	d := findingAge(at, now)
	for i, b := range AgeBands {
		if d >= b.Min && (b.Max < 0 || d <= b.Max) {
			return i
		}
	}
	return 0
}

// findingAge is the number of calendar days (Japan) from at to now.
func findingAge(at, now time.Time) int {
	a, _ := time.Parse("2006-01-02", jp.DateKey(at))
	b, _ := time.Parse("2006-01-02", jp.DateKey(now))
	return max(0, int(b.Sub(a).Hours()/24))
}

// riskRows are the risks the dashboard counts, and the row of findings
// without one.
var riskRows = []string{"高", "中", "低", ""}

func riskLabel(r string) string {
	if r == "" {
		return "未設定"
	}
	return r
}

// Dashboard is the figures of one fiscal year.
type Dashboard struct {
	FiscalYear int
	Now        time.Time

	// The programme: engagements of the year by phase, and those with a
	// step past its due date.
	Engagements int
	Phases      []PhaseCount
	Late        []LateEngagement

	// The open follow-ups of the year's issued reports (指摘事項・改善提言
	// not yet confirmed improved), by risk and age.
	Open      int
	RiskAge   []RiskAgeRow
	AgeTotals []DashCell
	Overdue   int // open follow-ups past their due date

	Heat Heatmap
}

// PhaseCount is the number of engagements in one phase.
type PhaseCount struct {
	Phase Phase
	Label string
	N     int
}

// LateEngagement is an engagement with steps past their due date.
type LateEngagement struct {
	ID      int64
	Code    string
	Subject string
	Phases  []string // the late steps' labels
}

// RiskAgeRow is the open findings of one risk, by age band.
type RiskAgeRow struct {
	Risk  string // "" for none
	Label string
	Cells []DashCell // aligned with AgeBands
	Total DashCell
}

// DashCell is one counted figure and the list it counts.
type DashCell struct {
	N    int
	Link string
}

// Dashboard computes the year's programme and follow-up figures as of now
// (the heatmap comes from the Summary: see HeatmapOf).
func (s *Store) Dashboard(ctx context.Context, fy int, now time.Time) (Dashboard, error) {
	d := Dashboard{FiscalYear: fy, Now: now}
	list, _, err := s.Engagements(ctx, EngagementFilter{FiscalYear: fy})
	if err != nil {
		return d, fmt.Errorf("audit.Dashboard: %w", err)
	}
	byPhase := map[Phase]int{}
	for _, e := range list {
		byPhase[e.Phase]++
		if late := e.Overdue(now); len(late) > 0 {
			le := LateEngagement{ID: e.ID, Code: e.Code, Subject: e.Subject()}
			for _, p := range late {
				le.Phases = append(le.Phases, p.Label())
			}
			d.Late = append(d.Late, le)
		}
	}
	d.Engagements = len(list)
	for _, p := range Phases {
		d.Phases = append(d.Phases, PhaseCount{Phase: p, Label: p.Label(), N: byPhase[p]})
	}
	rows, err := s.Followups(ctx, FollowupFilter{FiscalYear: fy, Now: now})
	if err != nil {
		return d, fmt.Errorf("audit.Dashboard: %w", err)
	}
	counts := map[string][]int{}
	for _, r := range riskRows {
		counts[r] = make([]int, len(AgeBands))
	}
	for _, x := range rows {
		if !x.Open() {
			continue
		}
		d.Open++
		if x.OverdueAt(now) {
			d.Overdue++
		}
		r := x.Risk
		if _, ok := counts[r]; !ok {
			r = ""
		}
		counts[r][ageBandOf(x.CreatedAt, now)]++
	}
	d.AgeTotals = make([]DashCell, len(AgeBands))
	for i, b := range AgeBands {
		d.AgeTotals[i].Link = dashboardFindingsLink(fy, "", b.Key)
	}
	for _, r := range riskRows {
		row := RiskAgeRow{Risk: r, Label: riskLabel(r), Total: DashCell{Link: dashboardFindingsLink(fy, riskKey(r), "")}}
		for i, b := range AgeBands {
			n := counts[r][i]
			row.Cells = append(row.Cells, DashCell{N: n, Link: dashboardFindingsLink(fy, riskKey(r), b.Key)})
			row.Total.N += n
			d.AgeTotals[i].N += n
		}
		if r == "" && row.Total.N == 0 {
			continue // no row for findings without a risk when there are none
		}
		d.RiskAge = append(d.RiskAge, row)
	}
	return d, nil
}

// riskKey is the findings list's risk filter value ("none" for no risk).
func riskKey(r string) string {
	if r == "" {
		return "none"
	}
	return r
}

func dashboardFindingsLink(fy int, risk, age string) string {
	q := url.Values{"year": {strconv.Itoa(fy)}}
	if risk != "" {
		q.Set("risk", risk)
	}
	if age != "" {
		q.Set("age", age)
	}
	return "/audit/dashboard/findings?" + q.Encode()
}

// PhaseLink is the programme list narrowed to the year and one phase.
func (d Dashboard) PhaseLink(p Phase) string {
	return "/audit?" + url.Values{"year": {strconv.Itoa(d.FiscalYear)}, "phase": {string(p)}}.Encode()
}

// ProgrammeLink is the year's programme list.
func (d Dashboard) ProgrammeLink() string {
	return "/audit?year=" + strconv.Itoa(d.FiscalYear)
}

// LateLink is the programme list of engagements with an overdue step.
func (d Dashboard) LateLink() string {
	return "/audit?" + url.Values{"year": {strconv.Itoa(d.FiscalYear)}, "overdue": {"1"}}.Encode()
}

// FollowupLink is the year's follow-up list with one status filter.
func (d Dashboard) FollowupLink(status string) string {
	return "/audit/followup?" + url.Values{"year": {strconv.Itoa(d.FiscalYear)}, "status": {status}}.Encode()
}

// PhaseBar is one bar of the phase chart (SVG units).
type PhaseBar struct {
	PhaseCount
	Y, W, TextX int
	Link        string
}

// PhaseBars lays the phase chart out: one bar a phase, the longest 300
// units wide.
func (d Dashboard) PhaseBars() []PhaseBar {
	most := 1
	for _, p := range d.Phases {
		most = max(most, p.N)
	}
	var out []PhaseBar
	for i, p := range d.Phases {
		w := p.N * 300 / most
		out = append(out, PhaseBar{PhaseCount: p, Y: 8 + i*28, W: w, TextX: 130 + w + 6, Link: d.PhaseLink(p.Phase)})
	}
	return out
}

// ChartHeight is the phase chart's height (SVG units).
func (d Dashboard) ChartHeight() int { return 16 + len(d.Phases)*28 }

// Heatmap is the department × chapter conformity table of the year.
type Heatmap struct {
	Chapters []string
	Rows     []HeatRow
	Ward     HeatRow
}

// HeatRow is one audited department (or the ward) across the chapters.
type HeatRow struct {
	Label string
	Cells []HeatCell // aligned with Heatmap.Chapters
	Total HeatCell
}

// HeatCell is one conformity rate: its shade, its number and its link.
type HeatCell struct {
	Rate     float64 // -1: nothing assessed
	Label    string  // 「87.5%」 or 「－」
	Class    string  // heat-0 … heat-4, heat-none
	Assessed int     // items assessed other than 該当なし
	Link     string
}

// HeatBands are the shades of the heatmap, worst first; a cell carries
// its number too, so the table reads in greyscale.
var HeatBands = []struct {
	Class, Label string
	Below        float64
}{
	{"heat-0", "60%未満", 60}, {"heat-1", "60〜75%未満", 75}, {"heat-2", "75〜85%未満", 85},
	{"heat-3", "85〜95%未満", 95}, {"heat-4", "95%以上", 101},
}

func heatCell(c ChapterResult, link string) HeatCell {
	r := c.Rate()
	h := HeatCell{Rate: r, Label: c.RateLabel(), Class: "heat-none", Assessed: max(0, c.Assessed-c.NA), Link: link}
	if r < 0 {
		return h
	}
	for _, b := range HeatBands {
		if r < b.Below {
			h.Class = b.Class
			break
		}
	}
	return h
}

// HeatmapOf lays the summary's compliance out as the heatmap: a row per
// audited department linking to its engagement's report (issued) or page,
// and the ward's row.
func HeatmapOf(s Summary) Heatmap {
	h := Heatmap{Chapters: s.Chapters}
	links := map[string]string{}
	for _, e := range s.Engagements {
		if e.Final {
			links[e.Code] = fmt.Sprintf("/audit/%d/report", e.ID)
		} else {
			links[e.Code] = fmt.Sprintf("/audit/%d", e.ID)
		}
	}
	for _, d := range s.Departments {
		link := links[d.Engagement]
		row := HeatRow{Label: d.Department, Total: heatCell(d.Total, link)}
		for i := range s.Chapters {
			var c ChapterResult
			if i < len(d.ByChapter) {
				c = d.ByChapter[i]
			}
			row.Cells = append(row.Cells, heatCell(c, link))
		}
		h.Rows = append(h.Rows, row)
	}
	h.Ward = HeatRow{Label: "全体", Total: heatCell(s.Total, "")}
	for i := range s.Chapters {
		var c ChapterResult
		if i < len(s.WardTotal) {
			c = s.WardTotal[i]
		}
		h.Ward.Cells = append(h.Ward.Cells, heatCell(c, ""))
	}
	return h
}

// dashboardYear is the year a dashboard request asks for (the working
// year by default) and the years to choose from.
func (m *Module) dashboardYear(ctx context.Context, l *web.List) (int, error) {
	years, err := m.store.Years(ctx)
	if err != nil {
		return 0, err
	}
	fy := m.org.CurrentFiscalYear(ctx)
	if fy == 0 {
		fy = jp.FiscalYearOf(m.now())
	}
	l.SetOptions("year", web.FiscalYearOptions(withYear(years, fy)))
	if y := l.Int64("year"); y != 0 && l.Err() == nil {
		fy = int(y)
	}
	return fy, nil
}

var dashboardSpec = &web.ListSpec{
	Path:    "/audit/dashboard",
	Filters: []web.ListFilter{dashboardYearFilter()},
	Noun:    "監査", Label: "年度の切替え",
}

type dashboardView struct {
	List      *web.List
	D         Dashboard
	Bands     []AgeBand
	HeatBands []struct {
		Class, Label string
		Below        float64
	}
}

// AgeClass is the shade of the age band with index i.
func (dashboardView) AgeClass(i int) string { return "age-" + strconv.Itoa(i) }

func (m *Module) dashboardPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	l := dashboardSpec.Parse(r)
	fy, err := m.dashboardYear(ctx, l)
	if err != nil {
		return err
	}
	d, err := m.store.Dashboard(ctx, fy, m.now())
	if err != nil {
		return err
	}
	if err := m.dashboardHeat(ctx, &d); err != nil {
		return err
	}
	v := dashboardView{List: l, D: d, Bands: AgeBands, HeatBands: HeatBands}
	return web.Render(w, r, http.StatusOK, "audit/dashboard_show", jp.FiscalYearLabel(fy)+" 監査ダッシュボード", v)
}

// dashboardFindingsSpec is the list of open follow-ups the risk × age
// figures count.
var dashboardFindingsSpec = &web.ListSpec{
	Path:  "/audit/dashboard/findings",
	Sorts: []web.ListSort{{Key: "age", Label: "経過日数"}, {Key: "risk", Label: "リスク"}, {Key: "code", Label: "監査"}},
	Filters: []web.ListFilter{dashboardYearFilter(),
		{Key: "risk", Label: "リスク", Options: []web.ListOption{{Value: "高", Label: "高"}, {Value: "中", Label: "中"}, {Value: "低", Label: "低"}, {Value: "none", Label: "未設定"}}},
		{Key: "age", Label: "経過日数", Options: ageOptions()}},
	Search: "件名・所属・監査", SearchHint: "全角・半角、ひらがな・カタカナを区別しません",
	Noun: "未完了の指摘", Label: "未完了の指摘の絞り込み",
	Empty: "条件に合う未完了の指摘事項・改善提言はありません。",
}

func ageOptions() []web.ListOption {
	var out []web.ListOption
	for _, b := range AgeBands {
		out = append(out, web.ListOption{Value: b.Key, Label: b.Label})
	}
	return out
}

type dashboardFindingRow struct {
	FollowupRow
	Age     int
	Overdue bool
}

type dashboardFindingsView struct {
	List *web.List
	Rows []dashboardFindingRow
	Year int
}

func (m *Module) dashboardFindings(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	l := dashboardFindingsSpec.Parse(r)
	fy, err := m.dashboardYear(ctx, l)
	if err != nil {
		return err
	}
	now := m.now()
	rows, err := m.store.Followups(ctx, FollowupFilter{FiscalYear: fy, Now: now})
	if err != nil {
		return err
	}
	words := l.Words()
	var out []dashboardFindingRow
	for _, x := range rows {
		if !x.Open() {
			continue
		}
		if risk := l.Value("risk"); risk != "" && riskKey(riskOf(x.Risk)) != risk {
			continue
		}
		if age := l.Value("age"); age != "" && AgeBands[ageBandOf(x.CreatedAt, now)].Key != age {
			continue
		}
		if len(words) > 0 && !jp.MatchWords(jp.SearchText(x.Title, x.Department, x.E.Code, x.E.Title, x.Label()), words) {
			continue
		}
		out = append(out, dashboardFindingRow{FollowupRow: x, Age: findingAge(x.CreatedAt, now), Overdue: x.OverdueAt(now)})
	}
	rank := map[string]int{"高": 0, "中": 1, "低": 2}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		less := func() bool {
			switch l.Sort {
			case "risk":
				ra, rb := rank[riskOf(a.Risk)], rank[riskOf(b.Risk)]
				if riskOf(a.Risk) == "" {
					ra = 3
				}
				if riskOf(b.Risk) == "" {
					rb = 3
				}
				if ra != rb {
					return ra < rb
				}
			case "code":
				if a.E.Code != b.E.Code {
					return a.E.Code < b.E.Code
				}
				return a.Seq < b.Seq
			}
			if a.Age != b.Age {
				return a.Age > b.Age // oldest first
			}
			if a.E.Code != b.E.Code {
				return a.E.Code < b.E.Code
			}
			return a.Seq < b.Seq
		}()
		if l.Desc {
			return !less
		}
		return less
	})
	l.SetTotal(len(out))
	v := dashboardFindingsView{List: l, Year: fy}
	for i, x := range out {
		if i >= l.Offset() && i < l.Offset()+l.Limit() {
			v.Rows = append(v.Rows, x)
		}
	}
	return web.Render(w, r, http.StatusOK, "audit/dashboard_findings", jp.FiscalYearLabel(fy)+" 未完了の指摘事項・改善提言", v)
}

// riskOf is a finding's risk as the dashboard counts it: 高・中・低, or ""
// for anything else.
func riskOf(r string) string {
	for _, x := range FindingRisks {
		if r == x {
			return r
		}
	}
	return ""
}

// dashboardTiles is the viewer's (CISO's) home tile: the dashboard, with
// the open follow-ups of the working year (rows: every year's follow-ups).
func dashboardTiles(u *web.User, fy int, rows []FollowupRow, now time.Time) []module.Tile {
	if u == nil || u.Role != web.RoleViewer {
		return nil
	}
	open, high := 0, 0
	for _, x := range rows {
		if x.E.FiscalYear == fy && x.Open() {
			open++
			if x.Risk == "高" {
				high++
			}
		}
	}
	return []module.Tile{{Label: "監査ダッシュボード", Value: fmt.Sprintf("未完了の指摘 %d 件", open), Link: "/audit/dashboard",
		Alert: high > 0, Note: fmt.Sprintf("%s の監査の進み具合、リスク別・経過日数別の未完了の指摘（うちリスク高 %d 件）、所属×章の遵守状況", jp.FiscalYearLabel(fy), high)}}
}

// dashboardHeat fills the heatmap from the year's summary.
func (m *Module) dashboardHeat(ctx context.Context, d *Dashboard) error {
	sum, err := m.store.Summarize(ctx, d.FiscalYear)
	if err != nil {
		return fmt.Errorf("audit.dashboard: %w", err)
	}
	d.Heat = HeatmapOf(sum)
	return nil
}

// dashboardYearFilter is the year of the dashboard's pages: empty is the
// working year.
func dashboardYearFilter() web.ListFilter {
	f := web.FiscalYearFilter("year")
	f.Any = "現在の年度"
	return f
}
