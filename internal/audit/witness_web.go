package audit

// The witness screens: the consultant's record of one internal audit
// (/audit/{id}/witness), its report (立会い報告書) and the year's aggregate
// (/audit/witness).

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/docgen/chart"
	"mamori/internal/docgen/formats"
	"mamori/internal/jp"
	"mamori/internal/web"
)

// witnessRoutes registers the witness screens. The record of one audit is
// written by the witness (Access.Witness: the consultant, or the office);
// the audit team's auditors read it once the report is final (the advice
// is theirs to learn from, after the audit no longer depends on it);
// auditees and viewers never see it.
func (m *Module) witnessRoutes(rt *web.Router) {
	obj := m.engagementObject()
	rt.Handle("GET /audit/{id}/witness", Auditing.Rule().On(obj), m.witnessShow)
	rt.Handle("POST /audit/{id}/witness", Managers.Rule().On(obj), m.witnessSave)
	rt.Handle("GET /audit/{id}/witness/document", Auditing.Rule().On(obj), m.witnessDownload)
	rt.Handle("GET /audit/witness", Managers.Rule(), m.witnessSummaryPage)
	rt.Handle("GET /audit/witness/document", Managers.Rule(), m.witnessSummaryDownload)
}

// witnessRow is one point of the witness page.
type witnessRow struct {
	WitnessRecord
	Errors map[string]string // rating, comment, advice
	// Stored is what someone else saved meanwhile (a conflict): shown
	// beside the typed text, whose form now carries the stored rev.
	Stored *WitnessRecord
}

type witnessView struct {
	textLines
	V        engagementView
	Rows     []witnessRow
	CanEdit  bool
	Final    bool
	Problem  string // a message above the form (conflict, errors)
	Ratings  []struct{ Code, Label string }
	Recorded int // points with something recorded
}

// witnessAccess loads the engagement and decides what the user may do
// with its witness record: edit (the witness), read (the team once the
// report is final), or nothing (404).
func (m *Module) witnessAccess(r *http.Request) (Engagement, Access, bool, error) {
	e, a, err := m.load(r)
	if err != nil {
		return e, a, false, err
	}
	if e.Kind != KindInternal {
		return e, a, false, web.NotFound()
	}
	if a.Witness {
		return e, a, true, nil
	}
	if !a.Audit {
		return e, a, false, web.NotFound()
	}
	st, err := m.store.reportStage(r.Context(), e.ID)
	if err != nil {
		return e, a, false, err
	}
	if st != ReportFinal {
		return e, a, false, web.NotFound()
	}
	return e, a, false, nil
}

func (m *Module) witnessShow(w http.ResponseWriter, r *http.Request) error {
	e, a, edit, err := m.witnessAccess(r)
	if err != nil {
		return err
	}
	recs, err := m.store.Witness(r.Context(), e.ID)
	if err != nil {
		return err
	}
	return m.witnessRender(w, r, http.StatusOK, e, a, edit, recs, nil, "")
}

func (m *Module) witnessRender(w http.ResponseWriter, r *http.Request, status int, e Engagement, a Access, edit bool,
	recs []WitnessRecord, fe FieldErrors, problem string, stored ...WitnessRecord) error {
	st, err := m.store.reportStage(r.Context(), e.ID)
	if err != nil {
		return err
	}
	v := witnessView{V: engagementView{E: e, A: a, Tab: "witness"}, CanEdit: edit, Final: st == ReportFinal, Problem: problem, Ratings: WitnessRatings}
	for _, rec := range recs {
		row := witnessRow{WitnessRecord: rec, Errors: map[string]string{}}
		for _, cur := range stored {
			if cur.Point.Code == rec.Point.Code && cur.Rev != rec.Rev {
				c := cur
				row.Stored, row.Rev = &c, cur.Rev
			}
		}
		for _, k := range []string{"rating", "comment", "advice"} {
			if msg, ok := fe[rec.Point.Code+"."+k]; ok {
				row.Errors[k] = msg
			}
		}
		if !rec.Empty() {
			v.Recorded++
		}
		v.Rows = append(v.Rows, row)
	}
	if msg, ok := fe["witness"]; ok && v.Problem == "" {
		v.Problem = msg
	}
	if len(fe) > 0 && v.Problem == "" {
		v.Problem = "入力内容を確認してください。保存していません。"
	}
	return web.Render(w, r, status, "audit/witness_edit", "立会いの記録 "+e.Code, v)
}

func (m *Module) witnessSave(w http.ResponseWriter, r *http.Request) error {
	e, a, edit, err := m.witnessAccess(r)
	if err != nil {
		return err
	}
	if !edit {
		return web.NotFound()
	}
	points, err := WitnessPoints()
	if err != nil {
		return err
	}
	var in []WitnessInput
	typed := make([]WitnessRecord, len(points))
	for i, p := range points {
		rev, _ := strconv.ParseInt(r.PostFormValue("rev_"+p.Code), 10, 64)
		wi := WitnessInput{Point: p.Code, Rating: r.PostFormValue("rating_" + p.Code), Comment: r.PostFormValue("comment_" + p.Code),
			Advice: r.PostFormValue("advice_" + p.Code), Rev: rev}
		in = append(in, wi)
		typed[i] = WitnessRecord{Point: p, Rating: wi.Rating, Comment: wi.Comment, Advice: wi.Advice, Rev: rev}
	}
	n, err := m.store.SaveWitness(r.Context(), e, in, actor(r))
	var fe FieldErrors
	var wc *WitnessConflict
	switch {
	case errors.As(err, &fe):
		return m.witnessRender(w, r, http.StatusBadRequest, e, a, true, typed, fe, "")
	case errors.As(err, &wc):
		// Keep the typed text and show what is stored now beside each
		// point someone else changed; saving again overwrites it
		// knowingly (the form now carries the stored rev).
		cur, err := m.store.Witness(r.Context(), e.ID)
		if err != nil {
			return err
		}
		return m.witnessRender(w, r, http.StatusConflict, e, a, true, typed, nil, wc.Error(), cur...)
	case err != nil:
		return err
	}
	msg := "立会いの記録を保存しました。"
	if n == 0 {
		msg = "変更はありませんでした。"
	}
	return web.Redirect(w, r, fmt.Sprintf("/audit/%d/witness", e.ID), msg, true)
}

// documentFormat reads ?format= among the allowed formats (the first is
// the default).
func documentFormat(r *http.Request, allowed ...string) (formats.Format, error) {
	name := r.URL.Query().Get("format")
	if name == "" {
		name = allowed[0]
	}
	f, err := formats.Parse(name, allowed...)
	if err != nil {
		return f, web.Invalid("%s", err.Error())
	}
	return f, nil
}

// fileStamp is a date for file names: 20261001.
func fileStamp(t time.Time) string { return t.In(jp.JST).Format("20060102") }

func (m *Module) witnessDownload(w http.ResponseWriter, r *http.Request) error {
	e, _, _, err := m.witnessAccess(r)
	if err != nil {
		return err
	}
	f, err := documentFormat(r, "pdf", "docx")
	if err != nil {
		return err
	}
	d, err := m.store.WitnessDocument(r.Context(), e)
	if err != nil {
		return err
	}
	return sendDocument(w, r, m, f, d, fmt.Sprintf("audit_engagement:%d", e.ID), "立会い報告書", e.Code, e.TargetNames())
}

// sendDocument sends a docgen document as a download, audited.
func sendDocument(w http.ResponseWriter, r *http.Request, m *Module, f formats.Format, d *docgen.Document, target string, parts ...string) error {
	name := web.JoinFileName(f.Ext, append(parts, fileStamp(m.now()))...)
	dl := web.Download{Name: name, ContentType: f.ContentType, Target: target, Detail: name}
	return web.Send(w, r, m.log, dl, func(out io.Writer) error { return f.Render(out, d) })
}

type witnessSummaryView struct {
	textLines
	Sum   WitnessSummary
	Year  int
	Years []int
	Chart template.HTML
	Help  []WitnessPointSummary
}

// witnessYear reads ?year= (default: the working year).
func (m *Module) witnessYear(r *http.Request) (int, error) {
	fy := m.org.CurrentFiscalYear(r.Context())
	if fy == 0 {
		fy = jp.FiscalYearOf(m.now())
	}
	if v := r.URL.Query().Get("year"); v != "" {
		y, err := jp.ParseFiscalYear(v)
		if err != nil {
			return 0, web.Invalid("年度の指定が正しくありません（例: 令和8年度、2026）。")
		}
		fy = y
	}
	return fy, nil
}

func (m *Module) witnessSummaryPage(w http.ResponseWriter, r *http.Request) error {
	fy, err := m.witnessYear(r)
	if err != nil {
		return err
	}
	sum, err := m.store.WitnessSummary(r.Context(), fy)
	if err != nil {
		return err
	}
	years, err := m.store.Years(r.Context())
	if err != nil {
		return err
	}
	v := witnessSummaryView{Sum: sum, Year: fy, Years: withYear(years, fy), Help: sum.NeedsHelp()}
	if sum.Recorded > 0 {
		c := sum.Chart()
		// chart.SVG escapes all text; the document draws the same chart.
		v.Chart = template.HTML(chart.SVG(c, 170, 90))
	}
	return web.Render(w, r, http.StatusOK, "audit/witness_summary", jp.FiscalYearLabel(fy)+" 立会い結果の集計", v)
}

// withYear is years with fy added (newest first) when missing.
func withYear(years []int, fy int) []int {
	for _, y := range years {
		if y == fy {
			return years
		}
	}
	out := append([]int{fy}, years...)
	for i := 1; i < len(out) && out[i] > out[i-1]; i++ {
		out[i], out[i-1] = out[i-1], out[i]
	}
	return out
}

func (m *Module) witnessSummaryDownload(w http.ResponseWriter, r *http.Request) error {
	fy, err := m.witnessYear(r)
	if err != nil {
		return err
	}
	f, err := documentFormat(r, "pdf", "xlsx")
	if err != nil {
		return err
	}
	d, err := m.store.WitnessSummaryDocument(r.Context(), fy)
	if err != nil {
		return err
	}
	return sendDocument(w, r, m, f, d, fmt.Sprintf("fiscal_year:%d", fy), "立会い結果の集計", jp.FiscalYearLabel(fy))
}
