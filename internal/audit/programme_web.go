package audit

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/tabular"
	"mamori/internal/web"
)

// The year's audit programme: the list of engagements (/audit), its
// export, the calendar, the form that creates and edits an engagement,
// the overview of one engagement with its phase control, and
// 「前年度の計画を複写」.

// programmeCSS lays out the programme's pages (progress bars, phase
// badges, the calendar, the form's repeated rows); pages link it from
// their "head" block under a URL that changes with its content.
//
//go:embed static/programme.css
var programmeCSS []byte

var programmeCSSHash = func() string {
	sum := sha256.Sum256(programmeCSS)
	return hex.EncodeToString(sum[:6])
}()

// programmeAssets is what the programme's pages load in their "head"
// block; every page view embeds it.
type programmeAssets struct{ CSS string }

var progAssets = programmeAssets{CSS: "/audit/programme.css?v=" + programmeCSSHash}

func (m *Module) programmeRoutes(rt *web.Router) {
	read, manage := Readers.Rule(), Managers.Rule()
	obj := m.engagementObject()
	rt.Handle("GET /audit", read, m.programmeList)
	rt.Handle("GET /audit/export", read, m.programmeExport)
	rt.Handle("GET /audit/calendar", read, m.programmeCalendar)
	rt.Handle("GET /audit/programme.css", read, m.programmeStyle)
	rt.Handle("GET /audit/new", manage, m.engagementNew)
	rt.Handle("POST /audit", manage, m.engagementCreate)
	rt.Handle("GET /audit/copy-year", manage, m.copyYearForm)
	rt.Handle("POST /audit/copy-year", manage, m.copyYear)
	rt.Handle("GET /audit/{id}", read.On(obj), m.engagementShow)
	rt.Handle("GET /audit/{id}/edit", manage.On(obj), m.engagementEdit)
	rt.Handle("POST /audit/{id}", manage.On(obj), m.engagementUpdate)
	// The lead auditor moves their engagement on; the handler checks Lead.
	rt.Handle("POST /audit/{id}/phase", Auditing.Rule().On(obj), m.engagementPhase)
}

// Nav adds the calendar beside the module's own entry; the app shows it to
// the roles its route admits.
func (m *Module) Nav() []web.NavItem {
	return []web.NavItem{{Label: "監査カレンダー", Path: "/audit/calendar", Group: string(module.GroupWork)},
		{Label: "監査ダッシュボード", Path: "/audit/dashboard", Group: string(module.GroupWork)},
		{Label: "対応事例集", Path: "/audit/examples", Group: string(module.GroupWork)}}
}

func (m *Module) programmeStyle(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	if r.URL.Query().Get("v") == programmeCSSHash {
		w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	_, err := w.Write(programmeCSS)
	return err
}

// allYears is the year filter's value for every fiscal year.
const allYears = "all"

// programmeFilters are the filters of the list and the calendar. The year
// has no "すべて": an empty value is the working year (the default), and
// 「全年度」 is a choice of its own.
func programmeFilters() []web.ListFilter {
	return []web.ListFilter{
		{Key: "year", Label: "年度", Canon: func(v string) (string, string) {
			if v == allYears {
				return v, ""
			}
			fy, err := jp.ParseFiscalYear(v)
			if err != nil {
				return "", "年度の指定が正しくありません（例: 令和8年度、2026）。"
			}
			return strconv.Itoa(fy), ""
		}},
		{Key: "kind", Label: "種類", Options: kindOptions()},
		{Key: "phase", Label: "工程", Options: phaseOptions()},
		{Key: "department", Label: "監査対象の所属（配下を含む）"},
		{Key: "overdue", Label: "期限超過のみ", Kind: web.FilterCheck},
	}
}

// programmeSpec is the programme list; the export parses with it too, so
// a file holds exactly the rows on screen.
var programmeSpec = &web.ListSpec{
	Path: "/audit", ExportPath: "/audit/export",
	Sorts:   []web.ListSort{{Key: "code", Label: "コード"}, {Key: "phase", Label: "工程"}, {Key: "visit", Label: "実地監査日"}, {Key: "title", Label: "名称・監査対象"}},
	Filters: programmeFilters(),
	Search:  "キーワード", SearchHint: "コード・名称・システム名・事務名・所属名から探します（全角・半角、ひらがな・カタカナを区別しません）",
	Noun: "監査", Label: "監査計画の絞り込み",
	Empty: "この年度の監査はまだ登録されていません。",
}

// calendarSpec is the calendar: the list's filters, no order or pages.
var calendarSpec = &web.ListSpec{
	Path: "/audit/calendar", Filters: programmeFilters(),
	Search: "キーワード", Noun: "監査", Label: "監査カレンダーの絞り込み",
}

func kindOptions() []web.ListOption {
	var out []web.ListOption
	for _, k := range Kinds {
		out = append(out, web.ListOption{Value: string(k), Label: k.Label()})
	}
	return out
}

func phaseOptions() []web.ListOption {
	var out []web.ListOption
	for _, p := range Phases {
		out = append(out, web.ListOption{Value: string(p), Label: p.Label()})
	}
	return out
}

// programmeQuery is one request of the list, the export or the calendar:
// the parsed list, the store's filter with the user's scope, and the year
// shown (0: every year).
type programmeQuery struct {
	List        *web.List
	Filter      ProgrammeFilter
	Year        int
	WorkingYear int
	Scoped      string // what an auditor's or auditee's list is limited to ("" for the whole programme)
}

// YearLabel names the year shown: 令和8年度 or 全年度.
func (q *programmeQuery) YearLabel() string {
	if q.Year == 0 {
		return "全年度"
	}
	return jp.FiscalYearLabel(q.Year)
}

// programmeQueryOf parses a programme request with spec.
func (m *Module) programmeQueryOf(r *http.Request, spec *web.ListSpec) (*programmeQuery, error) {
	ctx := r.Context()
	u := web.UserFrom(ctx)
	fy := m.org.CurrentFiscalYear(ctx)
	q := url.Values{}
	for k, vs := range r.URL.Query() {
		q[k] = vs
	}
	// The working year is the default: written out, it is the same list.
	if v := strings.TrimSpace(q.Get("year")); v != "" && v != allYears {
		if y, err := jp.ParseFiscalYear(v); err == nil && y == fy {
			q.Del("year")
		}
	}
	l := spec.ParseValues(q)
	years, err := m.store.Years(ctx)
	if err != nil {
		return nil, err
	}
	set := map[int]bool{fy + 1: true}
	for _, y := range years {
		set[y] = true
	}
	delete(set, fy)
	var others []int
	for y := range set {
		others = append(others, y)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(others)))
	l.SetOptions("year", append([]web.ListOption{{Value: allYears, Label: "全年度"}}, web.FiscalYearOptions(others)...))
	for i := range l.Filters {
		if l.Filters[i].Key == "year" {
			l.Filters[i].Any = jp.FiscalYearLabel(fy) + "（今年度）"
		}
	}
	depts, err := m.store.Departments(ctx, "")
	if err != nil {
		return nil, err
	}
	pq := &programmeQuery{List: l, WorkingYear: fy, Year: fy}
	var dopts []web.ListOption
	for _, d := range depts {
		if u.Role == web.RoleAuditee {
			if in, err := m.org.Within(ctx, d.ID, u.DepartmentID); err != nil || !in {
				continue
			}
		}
		dopts = append(dopts, web.ListOption{Value: strconv.FormatInt(d.ID, 10), Label: d.Path})
	}
	l.SetOptions("department", dopts)
	switch v := l.Value("year"); v {
	case "":
	case allYears:
		pq.Year = 0
	default:
		pq.Year, _ = strconv.Atoi(v)
	}
	switch u.Role {
	case web.RoleAuditor:
		pq.Scoped = "担当する監査（自所属を対象とするものを除く）だけを表示しています。"
	case web.RoleAuditee:
		pq.Scoped = "自所属を対象とする監査だけを表示しています。"
	}
	pq.Filter = ProgrammeFilter{User: u, EngagementFilter: EngagementFilter{FiscalYear: pq.Year, Kind: Kind(l.Value("kind")),
		Phase: Phase(l.Value("phase")), DepartmentID: l.Int64("department"), Words: l.Words(), Sort: l.Sort, Desc: l.Desc}}
	if l.Value("overdue") != "" {
		pq.Filter.OverdueAt = m.now()
	}
	return pq, nil
}

// programmeRow is one engagement of the list, with what this user may see
// of it.
type programmeRow struct {
	E       Engagement
	Overdue []Phase
	// Progress: the judged share (not for auditees, who see no judgement);
	// Findings: the counts of findings and open follow-ups (the team
	// always, others once the report is final).
	Progress, Findings bool
}

// OverdueLabels names the overdue phases: 説明会・実施.
func (r programmeRow) OverdueLabels() string { return phaseNames(r.Overdue) }

func phaseNames(ps []Phase) string {
	var ns []string
	for _, p := range ps {
		ns = append(ns, p.Label())
	}
	return strings.Join(ns, "・")
}

// programmeRows turns engagements into rows for user u.
func (m *Module) programmeRows(r *http.Request, es []Engagement) ([]programmeRow, error) {
	u := web.UserFrom(r.Context())
	ids := make([]int64, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	final, err := m.store.FinalReports(r.Context(), ids)
	if err != nil {
		return nil, err
	}
	team := Auditing.HasUser(u)
	now := m.now()
	rows := make([]programmeRow, 0, len(es))
	for _, e := range es {
		rows = append(rows, programmeRow{E: e, Overdue: e.Overdue(now), Progress: u.Role != web.RoleAuditee, Findings: team || final[e.ID]})
	}
	return rows, nil
}

// phaseCount is one phase's count of the summary above the list.
type phaseCount struct {
	Label string
	N     int
	Link  string
}

type programmeListView struct {
	programmeAssets
	Q         *programmeQuery
	List      *web.List
	Rows      []programmeRow
	Summary   []phaseCount
	Overdue   phaseCount
	CanManage bool
	// HidesFindings: some rows hide their findings (report not final).
	HidesFindings bool
	// YearEmpty: the year has no engagement at all (only the year chosen).
	YearEmpty bool
	// ShowProgress: the judged share's column (not for auditees).
	ShowProgress bool
	Copy         *CopyPlan // the previous year's programme, when some of it is not yet copied into the year shown
}

// CalendarLink is the calendar of the same filters.
func (v programmeListView) CalendarLink() string {
	return v.List.At("/audit/calendar", "sort", "", "dir", "", "page", "")
}

func (m *Module) programmeList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	pq, err := m.programmeQueryOf(r, programmeSpec)
	if err != nil {
		return err
	}
	l := pq.List
	f := pq.Filter
	f.Limit, f.Offset = l.Limit(), l.Offset()
	es, total, err := m.store.Programme(ctx, f)
	if err != nil {
		return err
	}
	l.SetTotal(total)
	v := programmeListView{programmeAssets: progAssets, Q: pq, List: l, CanManage: Managers.Allows(r), ShowProgress: web.UserFrom(ctx).Role != web.RoleAuditee}
	if v.Rows, err = m.programmeRows(r, es); err != nil {
		return err
	}
	for _, row := range v.Rows {
		v.HidesFindings = v.HidesFindings || !row.Findings
	}
	// Where the year stands: the counts by phase under the other filters.
	sf := pq.Filter
	sf.Phase, sf.OverdueAt, sf.Sort = "", time.Time{}, ""
	all, _, err := m.store.Programme(ctx, sf)
	if err != nil {
		return err
	}
	now := m.now()
	by := map[Phase]int{}
	for _, e := range all {
		by[e.Phase]++
		if len(e.Overdue(now)) > 0 {
			v.Overdue.N++
		}
	}
	for _, p := range Phases {
		v.Summary = append(v.Summary, phaseCount{Label: p.Label(), N: by[p], Link: l.Link("phase", string(p), "overdue", "")})
	}
	v.Overdue.Label, v.Overdue.Link = "期限超過", l.Link("phase", "", "overdue", "1")
	if v.CanManage && pq.Year != 0 {
		plan, err := m.store.PlanCopy(ctx, pq.Year-1, pq.Year)
		if err != nil {
			return err
		}
		if plan.ToCopy() > 0 {
			v.Copy = &plan
		}
	}
	v.YearEmpty = total == 0 && l.Asked == 0 && l.Q == ""
	for _, k := range []string{"kind", "phase", "department", "overdue"} {
		v.YearEmpty = v.YearEmpty && l.Value(k) == ""
	}
	l.Empty = pq.YearLabel() + "の監査はまだ登録されていません。"
	if v.CanManage {
		l.Empty += "「監査を登録」から追加するか、前年度の計画があれば「前年度の計画を複写」で引き継いでください。"
	}
	return web.Render(w, r, http.StatusOK, "audit/programme_list", "監査計画", v)
}

// programmeHeaders are the export's columns.
var programmeHeaders = []string{"コード", "年度", "種類", "名称", "監査対象", "所属", "実地監査日", "時間帯", "監査責任者", "監査チーム",
	"工程", "期限超過の工程", "次の期限", "チェック項目数", "判定済み", "進捗（%）", "指摘事項等", "未完了のフォローアップ"}

// programmeTable is the rows as a table for CSV and XLSX: dates as
// YYYY-MM-DD so that a spreadsheet sorts them.
func programmeTable(rows []programmeRow, now time.Time) tabular.Table {
	t := tabular.Table{Sheet: "監査計画", Headers: programmeHeaders}
	for _, r := range rows {
		e := r.E
		var depts, dates, times, team []string
		for _, tg := range e.Targets {
			depts = append(depts, tg.Path)
			dates = append(dates, jp.DateKey(tg.VisitDate))
			times = append(times, tg.VisitTime)
		}
		for _, mb := range e.Members {
			team = append(team, mb.Name+"（"+mb.RoleLabel()+"）")
		}
		next := ""
		if s := nextDue(e); !s.Due.IsZero() {
			next = s.Phase.Label() + " " + jp.DateKey(s.Due)
		}
		items, judged, pct, findings, open := "", "", "", "", ""
		if r.Progress {
			items, judged, pct = strconv.Itoa(e.Items), strconv.Itoa(e.Judged), strconv.Itoa(e.Progress())
		}
		if r.Findings {
			findings, open = strconv.Itoa(e.Findings), strconv.Itoa(e.OpenFollowups)
		}
		t.Rows = append(t.Rows, []string{e.Code, e.YearLabel(), e.KindLabel(), e.Title, e.Subject(), strings.Join(depts, "\n"),
			strings.Join(dates, "\n"), strings.Join(times, "\n"), e.Lead(), strings.Join(team, "\n"), e.PhaseLabel(), r.OverdueLabels(), next,
			items, judged, pct, findings, open})
	}
	return t
}

// nextDue is the first unfinished step with a due date (zero when none).
func nextDue(e Engagement) Step {
	for _, s := range e.Steps {
		if s.Done.IsZero() && !s.Due.IsZero() && s.Phase.Index() >= e.Phase.Index() {
			return s
		}
	}
	return Step{}
}

func (m *Module) programmeExport(w http.ResponseWriter, r *http.Request) error {
	format, err := tabular.ParseFormat(r.URL.Query().Get("format"))
	if err != nil {
		return web.Invalid("%s", err.Error())
	}
	pq, err := m.programmeQueryOf(r, programmeSpec)
	if err != nil {
		return err
	}
	if err := pq.List.Err(); err != nil {
		return err
	}
	es, _, err := m.store.Programme(r.Context(), pq.Filter)
	if err != nil {
		return err
	}
	rows, err := m.programmeRows(r, es)
	if err != nil {
		return err
	}
	now := m.now()
	name := tabular.FileName("監査計画_"+pq.YearLabel(), now.In(jp.JST).Format("20060102"), format)
	year := allYears
	if pq.Year != 0 {
		year = strconv.Itoa(pq.Year)
	}
	d := web.Download{Name: name, ContentType: format.ContentType, Target: fmt.Sprintf("fiscal_year:%s", year),
		Detail: fmt.Sprintf("%s（%d 件）", name, len(rows))}
	return web.Send(w, r, m.log, d, func(out io.Writer) error { return tabular.Write(out, format, programmeTable(rows, now)) })
}

// prevPhase is the phase before p ("" before 計画).
func prevPhase(p Phase) Phase {
	if i := p.Index(); i > 0 {
		return Phases[i-1]
	}
	return ""
}

// phaseShort is a phase in one character, for the calendar's cells.
func phaseShort(p Phase) string {
	switch p {
	case PhasePlan:
		return "計"
	case PhasePresurvey:
		return "調"
	case PhaseBriefing:
		return "説"
	case PhaseFieldwork:
		return "実"
	case PhaseReport:
		return "報"
	case PhaseFollowup:
		return "フ"
	case PhaseDone:
		return "完"
	}
	return string(p)
}
