package audit

// This file is the report's screens: the report page (the team writes and
// reviews the draft; the auditee and the viewer read the final version
// only), its changes and its downloads.

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
	"mamori/internal/web"
)

// reportRoutes registers the report screens. Every route is on one
// engagement (engagementObject); the handlers check what the user's
// Access allows: the team (Audit) reads and edits drafts, the lead or a
// manager (Lead) finalises and reopens, the auditee and the viewer read
// final versions only.
func (m *Module) reportRoutes(rt *web.Router) {
	read := Readers.Rule().On(m.engagementObject())
	write := Auditing.Rule().On(m.engagementObject())
	rt.Handle("GET /audit/{id}/report", read, m.reportPage)
	rt.Handle("POST /audit/{id}/report", write, m.reportSave)
	rt.Handle("POST /audit/{id}/report/comments", write, m.reportComment)
	rt.Handle("POST /audit/{id}/report/comments/{c}/resolve", write.On(m.childObject("audit.comment", "c", "audit_report_comments")), m.reportResolve)
	rt.Handle("POST /audit/{id}/report/state", write, m.reportState)
	rt.Handle("GET /audit/{id}/report/document.pdf", read, m.reportDownload("document", formats.PDF))
	rt.Handle("GET /audit/{id}/report/document.docx", read, m.reportDownload("document", formats.DOCX))
	rt.Handle("GET /audit/{id}/report/findings.xlsx", read, m.reportDownload("findings", formats.XLSX))
	rt.Handle("GET /audit/{id}/report/meeting.pdf", read, m.reportDownload("meeting", formats.PDF))
}

// reportView is the report page's data.
type reportView struct {
	V        engagementView
	R        Report
	C        ReportContent // what the page shows
	Chart    template.HTML // the results by chapter (SVG drawn by the server)
	Shown    int           // the final version shown (0: the working draft)
	Editable bool          // the team's working draft (not final)
	Ratings  []ReportRating
	Sections []struct{ Code, Label string }
	Issues   []QualityIssue // quality checks, shown before finalising
	Values   url.Values     // what the user typed (after a refusal)
	Errors   FieldErrors
	Form     string // the form the errors belong to: text, comment, state
	Message  string // a refusal explained above the form
	Saved    *Report
}

// Get is the submitted value of a field, or the stored one.
func (v reportView) Get(k string) string {
	if v.Values != nil {
		return v.Values.Get(k)
	}
	switch k {
	case "summary":
		return v.R.Summary
	case "opinion":
		return v.R.Opinion
	}
	for _, p := range v.R.Perspectives {
		switch k {
		case "p_" + p.Key + "_rating":
			return p.Rating
		case "p_" + p.Key + "_text":
			return p.Text
		}
	}
	return ""
}

// Err is the message for field k of form.
func (v reportView) Err(form, k string) string {
	if v.Form != form {
		return ""
	}
	return v.Errors[k]
}

// Lines splits a text into its non-empty lines.
func (v reportView) Lines(s string) []string { return lines(s) }

// Rev is the rev the forms send: the one read, or (after a conflict) the
// stored one, so that saving again replaces it knowingly.
func (v reportView) Rev() int64 {
	if v.Saved != nil {
		return v.Saved.Rev
	}
	return v.R.Rev
}

// IssueCounts counts the quality issues by kind, in the checks' order.
func (v reportView) IssueCounts() []struct {
	Label string
	N     int
} {
	var out []struct {
		Label string
		N     int
	}
	for _, k := range QualityKinds {
		n := 0
		for _, is := range v.Issues {
			if is.Kind == k.Code {
				n++
			}
		}
		if n > 0 {
			out = append(out, struct {
				Label string
				N     int
			}{k.Label, n})
		}
	}
	return out
}

// DownloadQuery is the query naming the version shown ("" for the draft
// or the latest final).
func (v reportView) DownloadQuery() string {
	if v.Shown == 0 || v.Shown == v.R.Version && v.R.Final() {
		return ""
	}
	return "?version=" + strconv.Itoa(v.Shown)
}

// reportPage shows the report: to the team the working draft (with its
// review) or the final version; to the auditee and the viewer the latest
// final version (or the one asked for), and nothing before the first.
func (m *Module) reportPage(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	return m.renderReport(w, r, e, a, http.StatusOK, reportView{})
}

// renderReport renders the report page with v's form state.
func (m *Module) renderReport(w http.ResponseWriter, r *http.Request, e Engagement, a Access, status int, v reportView) error {
	ctx := r.Context()
	rep, err := m.store.reportOf(ctx, e)
	if err != nil {
		return err
	}
	version, err := m.reportVersionParam(r, a, rep)
	if err != nil {
		return err
	}
	v.V, v.R, v.Shown = engagementView{E: e, A: a, Tab: "report"}, rep, version
	if v.Shown == 0 && rep.Final() {
		v.Shown = rep.Version
	}
	v.Editable = a.Audit && v.Shown == 0
	if v.C, err = m.store.ReportContent(ctx, e, version); err != nil {
		return err
	}
	v.Chart = template.HTML(ReportChartSVG(v.C, 170, 95)) // drawn by chart.SVG, which escapes all text
	v.Ratings = ReportRatings()
	v.Sections = ReportSections
	if v.Editable && rep.State == ReportReview && v.Issues == nil {
		if v.Issues, err = m.store.ReportQuality(ctx, e.ID); err != nil {
			return err
		}
	}
	return web.Render(w, r, status, "audit/report_show", reportTitle+"　"+e.Title, v)
}

// reportVersionParam is the final version the request asks for (0: the
// working draft for the team, the latest final for readers). Readers who
// are not on the team see final versions only: with none yet, the report
// does not exist for them.
func (m *Module) reportVersionParam(r *http.Request, a Access, rep Report) (int, error) {
	version := 0
	if q := r.URL.Query().Get("version"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 {
			return 0, web.Invalid("版の指定（version）が正しくありません。1以上の数字で指定してください。")
		}
		if n > rep.Version {
			return 0, web.NotFound()
		}
		version = n
	}
	if a.Audit {
		return version, nil
	}
	if !a.Auditee && !a.Viewer {
		return 0, web.NotFound()
	}
	if version == 0 {
		version = rep.Version
	}
	if version == 0 {
		return 0, web.NotFound()
	}
	return version, nil
}

// reportFailed answers a refused change: a form error or a conflict
// re-renders the page with what was typed; a change to a final report is
// a 409 with the lock's message.
func (m *Module) reportFailed(w http.ResponseWriter, r *http.Request, e Engagement, a Access, form string, err error) error {
	var fe FieldErrors
	var le ReportLockedError
	var qe ReportQualityError
	v := reportView{Values: r.PostForm, Form: form}
	switch {
	case errors.As(err, &le):
		return web.Conflict("%s", le.Error())
	case errors.As(err, &fe):
		v.Errors = fe
		return m.renderReport(w, r, e, a, http.StatusBadRequest, v)
	case errors.As(err, &qe):
		v.Issues, v.Message = qe.Issues, qe.Error()
		return m.renderReport(w, r, e, a, http.StatusConflict, v)
	case errors.Is(err, ErrConflict):
		saved, rerr := m.store.reportOf(r.Context(), e)
		if rerr != nil {
			return rerr
		}
		v.Saved, v.Message = &saved, ErrConflict.Error()
		return m.renderReport(w, r, e, a, http.StatusConflict, v)
	}
	return err
}

// reportFormRev reads the rev a form was rendered with.
func reportFormRev(r *http.Request) (int64, error) {
	rev, err := strconv.ParseInt(r.FormValue("rev"), 10, 64)
	if err != nil || rev < 0 {
		return 0, web.Invalid("画面を読み込み直してから、もう一度操作してください（版の情報がありません）。")
	}
	return rev, nil
}

func (m *Module) reportSave(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit {
		return web.NotFound()
	}
	rev, err := reportFormRev(r)
	if err != nil {
		return err
	}
	in := ReportInput{Summary: r.FormValue("summary"), Opinion: r.FormValue("opinion"), Perspectives: map[string]ReportPerspectiveInput{}}
	d, err := loadReportDefaults()
	if err != nil {
		return err
	}
	for _, p := range reportPerspectives(d, e) {
		in.Perspectives[p.Key] = ReportPerspectiveInput{Rating: r.FormValue("p_" + p.Key + "_rating"), Text: r.FormValue("p_" + p.Key + "_text")}
	}
	if err := m.store.SaveReport(r.Context(), e.ID, rev, in, actor(r)); err != nil {
		return m.reportFailed(w, r, e, a, "text", err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/audit/%d/report", e.ID), "監査報告書の本文を保存しました。", true)
}

func (m *Module) reportComment(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit {
		return web.NotFound()
	}
	var parent int64
	if p := r.FormValue("parent"); p != "" {
		if parent, err = strconv.ParseInt(p, 10, 64); err != nil || parent < 1 {
			return web.Invalid("返信先のコメントの指定が正しくありません。")
		}
	}
	form := "comment"
	if parent != 0 {
		form = "reply-" + strconv.FormatInt(parent, 10)
	}
	if _, err := m.store.AddReportComment(r.Context(), e.ID, parent, r.FormValue("section"), r.FormValue("body"), actor(r)); err != nil {
		return m.reportFailed(w, r, e, a, form, err)
	}
	msg := "レビューコメントを追加しました。"
	if parent != 0 {
		msg = "コメントに返信しました。"
	}
	return web.Redirect(w, r, fmt.Sprintf("/audit/%d/report#comments", e.ID), msg, true)
}

func (m *Module) reportResolve(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit {
		return web.NotFound()
	}
	cid, err := web.PathID(r, "c")
	if err != nil {
		return err
	}
	err = m.store.ResolveReportComment(r.Context(), e.ID, cid, actor(r))
	var fe FieldErrors
	if errors.As(err, &fe) {
		return web.Redirect(w, r, fmt.Sprintf("/audit/%d/report#comments", e.ID), fe.Error(), false)
	}
	if err != nil {
		return m.reportFailed(w, r, e, a, "comment", err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/audit/%d/report#comments", e.ID), "コメントを解決済みにしました。", true)
}

// reportStateMessages are the messages after each state change.
var reportStateMessages = map[string]string{
	ReportToReview: "監査報告書をレビューに回しました。",
	ReportToDraft:  "監査報告書を作成中に戻しました。",
	ReportToFinal:  "監査報告書を確定しました。確定した版は変更できません。",
	ReportToReopen: "監査報告書を再開しました。改訂版（案）を作成できます。確定済みの版はそのまま保存されています。",
}

func (m *Module) reportState(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit {
		return web.NotFound()
	}
	to := r.FormValue("to")
	msg, ok := reportStateMessages[to]
	if !ok {
		return web.Invalid("報告書の状態の変更先を選び直してください。")
	}
	if (to == ReportToFinal || to == ReportToReopen) && !a.Lead {
		return &web.Error{Status: http.StatusForbidden, Msg: "監査報告書の確定と再開は、監査責任者または管理者が行います。"}
	}
	rev, err := reportFormRev(r)
	if err != nil {
		return err
	}
	if err := m.store.SetReportState(r.Context(), e.ID, rev, to, r.FormValue("confirm") == "1", actor(r)); err != nil {
		return m.reportFailed(w, r, e, a, "state", err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/audit/%d/report", e.ID), msg, true)
}

// reportDownload sends one of the report's documents in format f: the
// version asked for (the draft for the team by default; readers get final
// versions only), through web.Send (audited).
func (m *Module) reportDownload(which string, f formats.Format) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		e, a, err := m.load(r)
		if err != nil {
			return err
		}
		ctx := r.Context()
		rep, err := m.store.reportOf(ctx, e)
		if err != nil {
			return err
		}
		version, err := m.reportVersionParam(r, a, rep)
		if err != nil {
			return err
		}
		var doc *docgen.Document
		var label string
		switch which {
		case "findings":
			doc, err = m.store.FindingsDocument(ctx, e, version)
			label = reportFindingsTitle
		case "meeting":
			doc, err = m.store.MeetingDocument(ctx, e, version)
			label = "報告会資料"
		default:
			doc, err = m.store.ReportDocument(ctx, e, version)
			label = reportTitle
		}
		if err != nil {
			return err
		}
		vlabel := doc.Meta.Version
		if vlabel == "" {
			vlabel = strings.TrimPrefix(doc.Meta.Subtitle, e.Title+"　")
		}
		name := web.JoinFileName(f.Name, label, e.Code, vlabel)
		dl := web.Download{Name: name, ContentType: f.ContentType, Target: fmt.Sprintf("audit_engagement:%d", e.ID),
			Detail: fmt.Sprintf("%s %s（%s、%s）", e.Code, label, vlabel, strings.ToUpper(f.Name))}
		return web.Send(w, r, m.log, dl, func(out io.Writer) error { return f.Render(out, doc) })
	}
}
