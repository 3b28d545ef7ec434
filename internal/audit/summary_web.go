package audit

// This file is the year's summary page (/audit/summary?year=): the
// figures of the 内部監査全体報告書 with their charts and tables, the
// parts a manager writes (総括所見, 内部監査の運営に関する所見, 来年度に向けた
// 助言, the countermeasures of the 課題一覧) and the downloads. Managers
// (admin, consultant) edit; the viewer reads.

import (
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"

	"mamori/internal/docgen/chart"
	"mamori/internal/jp"
	"mamori/internal/web"
)

// summaryReaders may read the year's summary and download its documents.
var summaryReaders = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleViewer)

// summaryRoutes registers the summary page, its save and its downloads
// (no object: the page is per fiscal year).
func (m *Module) summaryRoutes(rt *web.Router) {
	rt.Handle("GET /audit/summary", summaryReaders.Rule(), m.summaryPage)
	rt.Handle("POST /audit/summary", Managers.Rule(), m.summarySave)
	rt.Handle("GET /audit/summary/document", summaryReaders.Rule(), m.summaryDownload)
	rt.Handle("GET /audit/summary/issues", summaryReaders.Rule(), m.issueListDownload)
}

// summaryView is the summary page's data.
type summaryView struct {
	textLines
	R        SummaryReport
	Year     int
	Years    []int
	CanEdit  bool
	Values   map[string]string // what was typed, after a refusal
	Errors   FieldErrors
	Message  string
	Saved    bool
	Ward     template.HTML // the ward's rate by chapter
	Ranking  template.HTML
	Heatmap  template.HTML
	Witness  template.HTML
	Drafted  bool // section 6 shows the draft from the witness records
	Previous *YearResult
}

// Get is the submitted value of a field, or the stored one.
func (v summaryView) Get(k string) string {
	if x, ok := v.Values[k]; ok {
		return x
	}
	switch k {
	case "overall":
		return v.R.Edits.Overall
	case "operations":
		return v.R.Operations
	case "advice":
		return v.R.Edits.Advice
	}
	if key, ok := strings.CutPrefix(k, "cm_"); ok {
		for _, p := range v.R.Sum.Problems {
			if p.Key == key {
				return p.Countermeasure
			}
		}
	}
	return ""
}

// Err is the error of field k.
func (v summaryView) Err(k string) string { return v.Errors[k] }

// heatmapChart is the departments × chapters rates as a heatmap.
func heatmapChart(sum Summary) chart.Chart {
	c := chart.Chart{Kind: chart.Heatmap, Title: "所属別・章別の適合率", Unit: "%", Max: 100, ValueLabel: true}
	for _, ch := range sum.Chapters {
		c.Categories = append(c.Categories, shortChapter(ch))
	}
	for _, d := range sum.Departments {
		sr := chart.Series{Name: d.Department}
		for _, r := range d.ByChapter {
			v := r.Rate()
			if v < 0 {
				v = math.NaN() // nothing judged in the chapter: drawn blank with 「－」
			}
			sr.Values = append(sr.Values, v)
		}
		c.Series = append(c.Series, sr)
	}
	return c
}

func (m *Module) summaryView(r *http.Request, fy int) (summaryView, error) {
	rep, err := m.store.SummaryReportOf(r.Context(), fy)
	if err != nil {
		return summaryView{}, err
	}
	years, err := m.store.Years(r.Context())
	if err != nil {
		return summaryView{}, err
	}
	u := web.UserFrom(r.Context())
	v := summaryView{R: rep, Year: fy, Years: withYear(years, fy), CanEdit: u != nil && Managers.Has(u.Role),
		Drafted: rep.Edits.Operations == "" && rep.Operations != ""}
	// chart.SVG escapes all text; the documents draw the same charts.
	if rep.Sum.Total.Items > 0 {
		v.Ward = template.HTML(chart.SVG(rep.Sum.WardChart(), 170, 80))
		v.Ranking = template.HTML(chart.SVG(rep.Sum.RankingChart(), 170, float64(20+8*len(rep.Sum.Departments))))
		v.Heatmap = template.HTML(chart.SVG(heatmapChart(rep.Sum), 170, float64(30+7*len(rep.Sum.Departments))))
	}
	if rep.Witness.Recorded > 0 {
		v.Witness = template.HTML(chart.SVG(rep.Witness.Chart(), 170, 80))
	}
	if n := len(rep.Sum.Years); n >= 2 {
		v.Previous = &rep.Sum.Years[n-2]
	}
	return v, nil
}

func (m *Module) summaryPage(w http.ResponseWriter, r *http.Request) error {
	fy, err := m.witnessYear(r)
	if err != nil {
		return err
	}
	v, err := m.summaryView(r, fy)
	if err != nil {
		return err
	}
	v.Saved = r.URL.Query().Get("saved") == "1"
	return web.Render(w, r, http.StatusOK, "audit/summary_show", jp.FiscalYearLabel(fy)+" "+summaryTitle, v)
}

func (m *Module) summarySave(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return web.Invalid("送信された内容を読み取れませんでした。")
	}
	fy, err := jp.ParseFiscalYear(r.PostForm.Get("year"))
	if err != nil {
		return web.Invalid("年度の指定が正しくありません（例: 令和8年度、2026）。")
	}
	rev, err := strconv.ParseInt(r.PostForm.Get("rev"), 10, 64)
	if err != nil || rev < 0 {
		return web.Invalid("画面を読み込み直してから保存してください（版の番号がありません）。")
	}
	ctx := r.Context()
	sum, err := m.store.Summarize(ctx, fy)
	if err != nil {
		return err
	}
	in := SummaryInput{Overall: r.PostForm.Get("overall"), Operations: r.PostForm.Get("operations"), Advice: r.PostForm.Get("advice"),
		Countermeasures: map[string]string{}}
	values := map[string]string{"overall": in.Overall, "operations": in.Operations, "advice": in.Advice}
	for k, vs := range r.PostForm {
		if key, ok := strings.CutPrefix(k, "cm_"); ok && len(vs) > 0 {
			in.Countermeasures[key] = vs[0]
			values[k] = vs[0]
		}
	}
	// The operations text drafted from the witness records is stored
	// only when the manager changed it.
	if ws, err := m.store.WitnessSummary(ctx, fy); err == nil && reportText(in.Operations) == reportText(WitnessDraft(ws)) {
		in.Operations = ""
	}
	err = m.store.SaveSummaryEdits(ctx, fy, rev, in, sum.Problems, actor(r))
	if err == nil {
		http.Redirect(w, r, fmt.Sprintf("/audit/summary?year=%d&saved=1", fy), http.StatusSeeOther)
		return nil
	}
	var fe FieldErrors
	status, msg := http.StatusUnprocessableEntity, "入力内容を確認してください。"
	switch {
	case errors.As(err, &fe):
	case errors.Is(err, ErrConflict):
		status, msg = http.StatusConflict, ErrConflict.Error()
	default:
		return err
	}
	v, verr := m.summaryView(r, fy)
	if verr != nil {
		return verr
	}
	v.Values, v.Errors, v.Message = values, fe, msg
	return web.Render(w, r, status, "audit/summary_show", jp.FiscalYearLabel(fy)+" "+summaryTitle, v)
}

func (m *Module) summaryDownload(w http.ResponseWriter, r *http.Request) error {
	fy, err := m.witnessYear(r)
	if err != nil {
		return err
	}
	f, err := documentFormat(r, "pdf", "docx")
	if err != nil {
		return err
	}
	d, err := m.store.SummaryDocument(r.Context(), fy)
	if err != nil {
		return err
	}
	return sendDocument(w, r, m, f, d, fmt.Sprintf("fiscal_year:%d", fy), summaryTitle, jp.FiscalYearLabel(fy))
}

func (m *Module) issueListDownload(w http.ResponseWriter, r *http.Request) error {
	fy, err := m.witnessYear(r)
	if err != nil {
		return err
	}
	f, err := documentFormat(r, "xlsx", "pdf")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var build = m.store.IssueListDocument
	if f.Name == "pdf" {
		build = m.store.IssueMatrixDocument
	}
	d, err := build(ctx, fy)
	if err != nil {
		return err
	}
	return sendDocument(w, r, m, f, d, fmt.Sprintf("fiscal_year:%d", fy), issueListTitle, jp.FiscalYearLabel(fy))
}
