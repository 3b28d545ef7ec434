package survey

// This file is the results screens: the campaigns with results
// (/selfcheck/results), one campaign's analysis with charts drawn by the
// server (/selfcheck/results/{id}), its documents and raw answers, and
// 「弱点を改善措置台帳へ登録」. Reporters (managers and the viewer) read;
// managers download the raw answers and write to the register.

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"

	"mamori/internal/docgen"
	"mamori/internal/docgen/chart"
	"mamori/internal/docgen/formats"
	"mamori/internal/improve"
	"mamori/internal/jp"
	"mamori/internal/tabular"
	"mamori/internal/web"
)

// resultsRoutes registers the results screens.
func (m *Module) resultsRoutes(rt *web.Router) {
	read, manage := Reporters.Rule(), Managers.Rule()
	obj := web.Object{Kind: "survey.results", Allow: m.hasResults}
	rt.Handle("GET /selfcheck/results", read, m.resultsList)
	rt.Handle("GET /selfcheck/results/{id}", read.On(obj), m.resultsShow)
	rt.Handle("GET /selfcheck/results/{id}/report.pdf", read.On(obj), m.resultsDocument("report", formats.PDF))
	rt.Handle("GET /selfcheck/results/{id}/report.docx", read.On(obj), m.resultsDocument("report", formats.DOCX))
	rt.Handle("GET /selfcheck/results/{id}/briefing.pdf", read.On(obj), m.resultsDocument("briefing", formats.PDF))
	rt.Handle("GET /selfcheck/results/{id}/answers.xlsx", manage.On(obj), m.resultsAnswers("xlsx"))
	rt.Handle("GET /selfcheck/results/{id}/answers.csv", manage.On(obj), m.resultsAnswers("csv"))
	rt.Handle("POST /selfcheck/results/{id}/register", manage.On(obj), m.resultsRegister)
}

// hasResults is the results screens' object check: the campaign exists
// and has started (a campaign in preparation has no results). Results are
// ward-wide, so every role the rule allows reads every campaign.
func (m *Module) hasResults(ctx context.Context, _ *web.User, _ web.Scope, id int64) (bool, error) {
	c, err := m.store.Campaign(ctx, id)
	if err != nil {
		return false, err
	}
	return c.State != StateDraft, nil
}

func resultsPath(id int64) string { return fmt.Sprintf("/selfcheck/results/%d", id) }

// ---- the list ----

var resultsSpec = &web.ListSpec{
	Path:        "/selfcheck/results",
	Sorts:       []web.ListSort{{Key: "code", Label: "コード"}, {Key: "title", Label: "件名"}, {Key: "period", Label: "回答期間"}, {Key: "rate", Label: "回答率"}},
	DefaultSort: "code", DefaultDesc: true,
	Filters: []web.ListFilter{web.FiscalYearFilter("year"), {Key: "state", Label: "状態", Options: []web.ListOption{
		{Value: StateOpen, Label: StateLabel(StateOpen)}, {Value: StateClosed, Label: StateLabel(StateClosed)}}}},
	Search: "件名・コード", SearchHint: "全角・半角、ひらがな・カタカナを区別しません",
	Noun: "自己点検の結果", Label: "自己点検の結果の絞り込み",
	Empty: "結果のある自己点検はまだありません。回答の受付を始めた自己点検がここに並びます。",
}

type resultsListView struct {
	List *web.List
	Rows []CampaignRow
}

func (m *Module) resultsList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	l := resultsSpec.Parse(r)
	all, err := m.store.Campaigns(ctx, 0)
	if err != nil {
		return err
	}
	years := []int{m.d.Org.CurrentFiscalYear(ctx)}
	for _, c := range all {
		if c.State != StateDraft && !slices.Contains(years, c.FiscalYear) {
			years = append(years, c.FiscalYear)
		}
	}
	slices.Sort(years)
	slices.Reverse(years)
	l.SetOptions("year", web.FiscalYearOptions(years))
	fy, _ := strconv.Atoi(l.Value("year"))
	rows, err := m.store.ListCampaigns(ctx, CampaignFilter{FiscalYear: fy, State: l.Value("state"), Words: l.Words(), Sort: l.Sort, Desc: l.Desc})
	if err != nil {
		return err
	}
	started := rows[:0]
	for _, row := range rows {
		if row.State != StateDraft {
			started = append(started, row)
		}
	}
	l.SetTotal(len(started))
	started = started[min(l.Offset(), len(started)):min(l.Offset()+l.Limit(), len(started))]
	return web.Render(w, r, http.StatusOK, "survey/survey_results_list", "自己点検の結果", resultsListView{List: l, Rows: started})
}

// ---- one campaign's results ----

// resultsView is the results page.
type resultsView struct {
	A        *Analysis
	Manager  bool
	Charts   resultsCharts
	Actions  map[string]improve.Action // the register's actions by domain
	Weak     []DomainResult
	Practice []QuestionResult
	Likert   []QuestionResult
	Choice   []QuestionResult
	Recs     []string
}

// resultsCharts are the page's charts as inline SVG (chart.SVG escapes
// every text).
type resultsCharts struct {
	Domains, Audiences, Departments, Persons, Clauses, Likert template.HTML
}

// Action is the register's action of domain code, if any.
func (v resultsView) Action(code string) *improve.Action {
	if a, ok := v.Actions[code]; ok {
		return &a
	}
	return nil
}

// svgSize matches the fixed size chart.SVG writes, which the page
// replaces so that a chart fills its box on any screen.
var svgSize = regexp.MustCompile(`^(<svg [^>]*?) width="[0-9.]+mm" height="[0-9.]+mm"`)

// pageChart draws c for the page, w×h millimetres scaled to the width of
// its box.
func pageChart(c chart.Chart, w, h float64) template.HTML {
	svg := chart.SVG(c, w, h)
	return template.HTML(svgSize.ReplaceAllString(svg, `$1 width="100%"`)) // drawn by chart.SVG, which escapes all text
}

func (m *Module) resultsShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	a, err := m.store.Analyze(ctx, id)
	if err != nil {
		return err
	}
	v := resultsView{A: a, Manager: Managers.Allows(r), Weak: a.WeakDomains(), Practice: a.OfKind(KindPractice), Likert: a.OfKind(KindLikert),
		Recs: a.Recommendations()}
	v.Choice = append(a.OfKind(KindSingle), a.OfKind(KindMultiple)...)
	if v.Actions, err = m.WeaknessActions(ctx, a.Campaign); err != nil {
		return err
	}
	if a.Shown {
		dc := DomainChart(a)
		v.Charts.Domains = pageChart(dc, 170, hbarHeight(len(a.Domains)+1, len(dc.Series)))
		if ac := AudienceChart(a); len(ac.Series) > 0 {
			v.Charts.Audiences = pageChart(ac, 170, hbarHeight(len(a.Domains), len(ac.Series)))
		}
		if a.DeptDist.N > 0 {
			v.Charts.Departments = pageChart(DepartmentChart(a), 170, 70)
		}
		if a.PersonDist.N > 0 {
			v.Charts.Persons = pageChart(PersonChart(a), 170, 70)
		}
		if len(a.Clauses) > 0 {
			v.Charts.Clauses = pageChart(ClauseChart(a), 170, hbarHeight(len(a.Clauses), 1))
		}
		if len(v.Likert) > 0 {
			v.Charts.Likert = pageChart(LikertChart(a), 170, 80)
		}
	}
	return web.Render(w, r, http.StatusOK, "survey/survey_results_show", a.Campaign.Title+"（結果）", v)
}

// fileStem names a campaign's files: 令和8年度_自己点検_調査結果報告書_2026-SC-01.
func fileStem(c Campaign, what string) []string {
	return []string{jp.FiscalYearLabel(c.FiscalYear), what, c.Code}
}

// resultsDocument sends the report or the briefing in format f.
func (m *Module) resultsDocument(kind string, f formats.Format) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		a, err := m.store.Analyze(r.Context(), id)
		if err != nil {
			return err
		}
		doc, title := resultsDoc(kind, a)
		c := a.Campaign
		dl := web.Download{Name: web.JoinFileName(f.Name, fileStem(c, title)...), ContentType: f.ContentType,
			Target: fmt.Sprintf("survey_campaign:%d", c.ID), Detail: fmt.Sprintf("%s %s（%s）", c.Code, title, f.Label)}
		return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return f.Render(out, doc) })
	}
}

// resultsDoc is document kind ("report" or "briefing") of analysis a, with
// its title.
func resultsDoc(kind string, a *Analysis) (*docgen.Document, string) {
	if kind == "briefing" {
		return BriefingDocument(a), BriefingTitle
	}
	return ReportDocument(a), ReportTitle
}

// resultsAnswers sends the raw answers as XLSX or Shift_JIS CSV.
func (m *Module) resultsAnswers(format string) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		a, err := m.store.Analyze(r.Context(), id)
		if err != nil {
			return err
		}
		f, err := tabular.ParseFormat(format)
		if err != nil {
			return err
		}
		t, err := m.store.AnswersTable(r.Context(), a)
		if err != nil {
			return err
		}
		c := a.Campaign
		ext := "xlsx"
		if format == "csv" {
			ext = "csv"
		}
		dl := web.Download{Name: web.JoinFileName(ext, fileStem(c, AnswersTitle)...), ContentType: f.ContentType,
			Target: fmt.Sprintf("survey_campaign:%d", c.ID), Detail: fmt.Sprintf("%s %s（%s、%d 件）", c.Code, AnswersTitle, f.Label, len(t.Rows))}
		return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return tabular.Write(out, f, t) })
	}
}

// resultsRegister is 「弱点を改善措置台帳へ登録」.
func (m *Module) resultsRegister(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	res, err := m.RegisterWeaknesses(r.Context(), id)
	var fe FieldErrors
	if errors.As(err, &fe) {
		return web.Redirect(w, r, resultsPath(id), fe.Error(), false)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, resultsPath(id)+"#register", res.Message(), true)
}
