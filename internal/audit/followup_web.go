package audit

// The follow-up screens: one engagement's follow-up (the auditee's
// improvement plans, the auditor's verdicts), the year's follow-up list
// for the office and the viewer, their documents, and the home-page tiles
// that remind who has to act.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/web"
)

// followupReaders read the year's follow-up list: the office, the
// contractor and the viewer (CISO, executives).
var followupReaders = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleViewer)

func (m *Module) followupRoutes(rt *web.Router) {
	obj, fobj := m.engagementObject(), m.findingObject()
	rt.Handle("GET /audit/{id}/followup", Readers.Rule().On(obj), m.followupShow)
	rt.Handle("GET /audit/{id}/followup/document", Readers.Rule().On(obj), m.followupDownload)
	rt.Handle("POST /audit/{id}/findings/{f}/plan", auditeeSide.Rule().On(obj).On(fobj), m.followupPlan)
	rt.Handle("POST /audit/{id}/findings/{f}/followup", Auditing.Rule().On(obj).On(fobj), m.followupVerdict)
	rt.Handle("GET /audit/followup", followupReaders.Rule(), m.followupYear)
	rt.Handle("GET /audit/followup/document", followupReaders.Rule(), m.followupYearDownload)
}

// followupCard is one finding of the follow-up page with what the user
// may do on it.
type followupCard struct {
	Finding
	Overdue  bool
	Soon     bool // due within 30 days
	CanPlan  bool
	CanCheck bool
	// The form sent, when it came back with errors.
	Form   string // plan, followup
	Values url.Values
	Errors FieldErrors
	Flash  string
}

// Get is a value of the form sent for this card ("" when none).
func (c followupCard) Get(form, k string) string {
	if c.Form != form {
		return ""
	}
	return c.Values.Get(k)
}

// Err is the message of a field of the form sent.
func (c followupCard) Err(form, k string) string {
	if c.Form != form {
		return ""
	}
	return c.Errors[k]
}

// Sent reports whether the card shows a form that came back.
func (c followupCard) Sent(form string) bool { return c.Form == form }

type followupView struct {
	textLines
	V        engagementView
	Final    bool
	Cards    []followupCard
	Counts   FollowupCounts
	Problem  string
	Verdicts []struct{ Code, Label string }
	Methods  []struct{ Code, Label string }
}

// followupAccess loads the engagement for its follow-up page: the team,
// the audited department, and the viewer (once the report is issued).
func (m *Module) followupAccess(r *http.Request) (Engagement, Access, reportStatus, error) {
	var rs reportStatus
	e, a, err := m.load(r)
	if err != nil {
		return e, a, rs, err
	}
	if rs, err = m.store.reportStatusOf(r.Context(), e.ID); err != nil {
		return e, a, rs, err
	}
	if a.Viewer && !rs.Issued() {
		return e, a, rs, web.NotFound()
	}
	if !a.Audit && !a.Auditee && !a.Viewer {
		return e, a, rs, web.NotFound()
	}
	return e, a, rs, nil
}

// followupRows are the findings of the engagement the user follows up,
// once the report is issued (final, or reopened with a final version
// kept): every 指摘事項 and 改善提言 for the team and the viewer, the
// department's own for an auditee.
func (m *Module) followupRows(ctx context.Context, e Engagement, a Access, rs reportStatus) ([]Finding, error) {
	if !rs.Issued() {
		return nil, nil
	}
	all, err := m.store.Findings(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, f := range all {
		if !f.Registered() {
			continue
		}
		if !a.Viewer {
			ok, err := m.findingVisible(ctx, a, f, rs)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		out = append(out, f)
	}
	return out, nil
}

func (m *Module) followupShow(w http.ResponseWriter, r *http.Request) error {
	e, a, rs, err := m.followupAccess(r)
	if err != nil {
		return err
	}
	return m.followupRender(w, r, http.StatusOK, e, a, rs, 0, "", nil, nil, "")
}

func (m *Module) followupRender(w http.ResponseWriter, r *http.Request, status int, e Engagement, a Access, rs reportStatus, fid int64, form string,
	vals url.Values, fe FieldErrors, problem string) error {
	ctx := r.Context()
	fs, err := m.followupRows(ctx, e, a, rs)
	if err != nil {
		return err
	}
	now := m.now()
	v := followupView{V: engagementView{E: e, A: a, Tab: "findings"}, Final: rs.Issued(), Problem: problem, Verdicts: FollowupVerdicts,
		Methods: FollowupMethods}
	var rows []FollowupRow
	for _, f := range fs {
		c := followupCard{Finding: f, Overdue: f.OverdueAt(now), Soon: f.Open() && dueSoon(f.Due, now, 30),
			CanPlan:  (a.Auditee || a.Manage) && f.Verdict != VerdictImproved,
			CanCheck: a.Audit, Values: url.Values{}, Errors: FieldErrors{}}
		if f.ID == fid {
			c.Form, c.Values, c.Errors = form, vals, fe
		}
		v.Cards = append(v.Cards, c)
		rows = append(rows, FollowupRow{Finding: f, E: e})
	}
	v.Counts = CountFollowups(rows, now)
	return web.Render(w, r, status, "audit/followup_show", "フォローアップ "+e.Code, v)
}

func (m *Module) followupPlan(w http.ResponseWriter, r *http.Request) error {
	e, a, f, rs, err := m.loadFinding(r)
	if err != nil {
		return err
	}
	if !a.Auditee && !a.Manage {
		return web.NotFound()
	}
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	in := ImprovementPlan{Action: r.PostFormValue("plan_action"), Owner: r.PostFormValue("plan_owner")}
	fe := FieldErrors{}
	if d := strings.TrimSpace(r.PostFormValue("plan_due")); d != "" {
		t, err := jp.ParseDate(d)
		if err != nil {
			fe["plan_due"] = "完了予定日は 令和8年12月25日 か 2026-12-25 の形で入力してください。"
		}
		in.Due = t
	}
	if len(fe) == 0 {
		err = m.store.SaveImprovementPlan(r.Context(), e, f.ID, rev, in, actor(r))
	} else {
		err = fe
	}
	return m.followupDone(w, r, e, a, rs, f, "plan", err, "改善計画を保存しました。改善の進み具合と証跡は改善措置台帳で報告してください。")
}

// followupDone answers a follow-up form: back to the page on success, the
// page with the form kept and its messages on a refusal.
func (m *Module) followupDone(w http.ResponseWriter, r *http.Request, e Engagement, a Access, rs reportStatus, f Finding, form string, err error, ok string) error {
	var fe FieldErrors
	switch {
	case err == nil:
		return web.Redirect(w, r, fmt.Sprintf("/audit/%d/followup#f%d", e.ID, f.ID), f.Label()+"："+ok, true)
	case errors.Is(err, ErrConflict):
		vals := cloneValues(r.PostForm)
		if cur, err := m.store.Finding(r.Context(), e.ID, f.ID); err == nil {
			vals.Set("rev", strconv.FormatInt(cur.Rev, 10))
		}
		return m.followupRender(w, r, http.StatusConflict, e, a, rs, f.ID, form, vals, FieldErrors{}, f.Label()+"："+ErrConflict.Error())
	case errors.As(err, &fe):
		return m.followupRender(w, r, http.StatusBadRequest, e, a, rs, f.ID, form, r.PostForm, fe, f.Label()+"："+fe.Error())
	}
	return err
}

func (m *Module) followupVerdict(w http.ResponseWriter, r *http.Request) error {
	e, a, f, rs, err := m.loadFinding(r)
	if err != nil {
		return err
	}
	if !a.Audit {
		return web.NotFound()
	}
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	in := FollowupInput{Verdict: r.PostFormValue("verdict"), Method: r.PostFormValue("method"), Comment: r.PostFormValue("followup_comment")}
	err = m.store.SetFollowup(r.Context(), e, f.ID, rev, in, actor(r))
	msg := "確認結果を記録しました（" + FollowupVerdictLabel(in.Verdict) + "）。改善措置台帳にも反映しました。"
	return m.followupDone(w, r, e, a, rs, f, "followup", err, msg)
}

func (m *Module) followupDownload(w http.ResponseWriter, r *http.Request) error {
	e, a, rs, err := m.followupAccess(r)
	if err != nil {
		return err
	}
	f, err := documentFormat(r, "pdf", "xlsx")
	if err != nil {
		return err
	}
	fs, err := m.followupRows(r.Context(), e, a, rs)
	if err != nil {
		return err
	}
	rows := make([]FollowupRow, len(fs))
	for i, x := range fs {
		rows[i] = FollowupRow{Finding: x, E: e}
	}
	d := m.store.followupDoc(r.Context(), e.FiscalYear, e.Title, rows, false)
	return sendDocument(w, r, m, f, d, fmt.Sprintf("audit_engagement:%d", e.ID), "フォローアップ状況報告書", e.Code, e.TargetNames())
}

// followupSpec is the year's follow-up list.
var followupSpec = &web.ListSpec{
	Path:  "/audit/followup",
	Sorts: []web.ListSort{{Key: "due", Label: "期限"}, {Key: "code", Label: "監査"}, {Key: "risk", Label: "リスク"}},
	Filters: []web.ListFilter{web.FiscalYearFilter("year"),
		{Key: "status", Label: "状況", Any: "すべて", Options: []web.ListOption{{Value: "open", Label: "改善の確認待ち（改善済以外）"},
			{Value: "overdue", Label: "期限超過"}, {Value: "noplan", Label: "改善計画が未提出"}, {Value: "awaiting", Label: "監査人の確認待ち"},
			{Value: "improved", Label: "改善済"}}},
		{Key: "department", Label: "所属"}},
	Search: "件名・所属・監査", SearchHint: "全角・半角、ひらがな・カタカナを区別しません",
	Noun: "フォローアップ", Label: "フォローアップの絞り込み",
	Empty: "この年度には、確定した監査報告書の指摘事項・改善提言がまだありません。",
}

type followupYearView struct {
	textLines
	List   *web.List
	Rows   []followupYearRow
	Counts FollowupCounts
	Year   int
}

type followupYearRow struct {
	FollowupRow
	Overdue bool
}

// followupYearRows parses the list request and returns the matching rows
// (all of them; the page cuts its page out).
func (m *Module) followupYearRows(r *http.Request) (*web.List, []FollowupRow, int, error) {
	ctx := r.Context()
	l := followupSpec.Parse(r)
	years, err := m.store.Years(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	fy := m.org.CurrentFiscalYear(ctx)
	if fy == 0 {
		fy = jp.FiscalYearOf(m.now())
	}
	l.SetOptions("year", web.FiscalYearOptions(withYear(years, fy)))
	if y := l.Int64("year"); y != 0 {
		fy = int(y)
	}
	all, err := m.store.Followups(ctx, FollowupFilter{FiscalYear: fy})
	if err != nil {
		return nil, nil, 0, err
	}
	var opts []web.ListOption
	seen := map[int64]bool{}
	for _, x := range all {
		if !seen[x.DepartmentID] {
			seen[x.DepartmentID] = true
			opts = append(opts, web.ListOption{Value: strconv.FormatInt(x.DepartmentID, 10), Label: x.Department})
		}
	}
	l.SetOptions("department", opts)
	now := m.now()
	words := l.Words()
	var out []FollowupRow
	for _, x := range all {
		switch l.Value("status") {
		case "open":
			if !x.Open() {
				continue
			}
		case "overdue":
			if !x.OverdueAt(now) {
				continue
			}
		case "noplan":
			if !x.Open() || x.HasPlan() {
				continue
			}
		case "awaiting":
			if !x.AwaitingCheck() {
				continue
			}
		case "improved":
			if x.Open() {
				continue
			}
		}
		if d := l.Int64("department"); d != 0 && x.DepartmentID != d {
			continue
		}
		if len(words) > 0 && !jp.MatchWords(jp.SearchText(x.Title, x.Department, x.E.Code, x.E.Title, x.Label()), words) {
			continue
		}
		out = append(out, x)
	}
	sortFollowups(out, l.Sort, l.Desc)
	return l, out, fy, nil
}

// sortFollowups orders the rows by the list's sort key.
func sortFollowups(rows []FollowupRow, key string, desc bool) {
	riskRank := map[string]int{"高": 0, "中": 1, "低": 2}
	less := func(a, b FollowupRow) bool {
		switch key {
		case "code":
			if a.E.Code != b.E.Code {
				return a.E.Code < b.E.Code
			}
			return a.Seq < b.Seq
		case "risk":
			if riskRank[a.Risk] != riskRank[b.Risk] {
				return riskRank[a.Risk] < riskRank[b.Risk]
			}
		}
		ad, bd := jp.DateKey(a.Due), jp.DateKey(b.Due)
		if ad != bd {
			return ad < bd
		}
		if a.E.Code != b.E.Code {
			return a.E.Code < b.E.Code
		}
		return a.Seq < b.Seq
	}
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0; j-- {
			x, y := rows[j-1], rows[j]
			swap := less(y, x)
			if desc {
				swap = less(x, y)
			}
			if !swap {
				break
			}
			rows[j-1], rows[j] = y, x
		}
	}
}

func (m *Module) followupYear(w http.ResponseWriter, r *http.Request) error {
	l, rows, fy, err := m.followupYearRows(r)
	if err != nil {
		return err
	}
	now := m.now()
	l.SetTotal(len(rows))
	v := followupYearView{List: l, Counts: CountFollowups(rows, now), Year: fy}
	for i, x := range rows {
		if i >= l.Offset() && i < l.Offset()+l.Limit() {
			v.Rows = append(v.Rows, followupYearRow{FollowupRow: x, Overdue: x.OverdueAt(now)})
		}
	}
	return web.Render(w, r, http.StatusOK, "audit/followup_year", jp.FiscalYearLabel(fy)+" 監査のフォローアップ", v)
}

func (m *Module) followupYearDownload(w http.ResponseWriter, r *http.Request) error {
	l, rows, fy, err := m.followupYearRows(r)
	if err != nil {
		return err
	}
	if err := l.Err(); err != nil {
		return err
	}
	f, err := documentFormat(r, "pdf", "xlsx")
	if err != nil {
		return err
	}
	scope := jp.FiscalYearLabel(fy) + " 監査全体"
	if l.Filtered() {
		scope += "（絞り込み：" + strings.Join(followupScope(l), "・") + "）"
	}
	d := m.store.FollowupDocumentOf(r.Context(), fy, scope, rows)
	return sendDocument(w, r, m, f, d, fmt.Sprintf("fiscal_year:%d", fy), "フォローアップ状況報告書", jp.FiscalYearLabel(fy))
}

// followupScope names the list's filters for the document's subtitle.
func followupScope(l *web.List) []string {
	var out []string
	for _, f := range l.Filters {
		v := l.Value(f.Key)
		if v == "" || f.Key == "year" {
			continue
		}
		label := v
		for _, o := range f.Options {
			if o.Value == v {
				label = o.Label
			}
		}
		out = append(out, f.Label+" "+label)
	}
	if l.Q != "" {
		out = append(out, "「"+l.Q+"」")
	}
	return out
}

// Tiles implements module.Tiler: reminders of the audits' follow-up on
// the home page — overdue follow-ups and plans awaited for the office,
// the contractor and the viewer; the follow-ups awaiting an internal
// auditor's check on their engagements; an auditee's department's plans
// to write and overdue items.
func (m *Module) Tiles(ctx context.Context, u *web.User) ([]module.Tile, error) {
	if u == nil {
		return nil, nil
	}
	now := m.now()
	switch u.Role {
	case web.RoleAdmin, web.RoleConsultant, web.RoleViewer:
		rows, err := m.store.Followups(ctx, FollowupFilter{Now: now})
		if err != nil {
			return nil, err
		}
		c := CountFollowups(rows, now)
		fy := m.org.CurrentFiscalYear(ctx)
		link := "/audit/followup?year=" + strconv.Itoa(fy)
		awaiting := 0
		for _, x := range rows {
			if x.AwaitingCheck() {
				awaiting++
			}
		}
		return append(dashboardTiles(u, fy, rows, now), []module.Tile{
			{Label: "期限を過ぎた監査のフォローアップ", Value: strconv.Itoa(c.Overdue) + " 件", Alert: c.Overdue > 0, Link: link + "&status=overdue",
				Note: "指摘事項・改善提言のうち、期限を過ぎて改善が確認されていないもの（全年度）"},
			{Label: "監査の改善計画が未提出", Value: strconv.Itoa(c.NoPlan) + " 件", Link: link + "&status=noplan",
				Note: "確定した監査報告書の指摘事項・改善提言のうち、被監査所属が改善計画を出していないもの"},
			{Label: "フォローアップの確認待ち", Value: strconv.Itoa(awaiting) + " 件", Link: link + "&status=awaiting",
				Note: "改善計画の提出や対応の完了があり、監査人の確認（書類調査・レビュー）を待つもの"},
		}...), nil
	case web.RoleAuditor:
		rows, err := m.store.Followups(ctx, FollowupFilter{Members: u.ID, Now: now})
		if err != nil {
			return nil, err
		}
		n, link := 0, ""
		for _, x := range rows {
			if x.AwaitingCheck() {
				n++
				if link == "" {
					link = fmt.Sprintf("/audit/%d/followup#f%d", x.EngagementID, x.ID)
				}
			}
		}
		if n == 0 {
			return nil, nil
		}
		return []module.Tile{{Label: "フォローアップの確認待ち", Value: strconv.Itoa(n) + " 件", Link: link, Alert: true,
			Note: "担当する監査の指摘事項で、改善計画の提出や対応の完了があったもの。書類調査かレビューで確認してください。"}}, nil
	case web.RoleAuditee:
		if u.DepartmentID == 0 {
			return nil, nil
		}
		tree, err := m.org.Departments(ctx)
		if err != nil {
			return nil, err
		}
		within := tree.Subtree(u.DepartmentID)
		if within == nil {
			within = []int64{u.DepartmentID}
		}
		// The department's own findings and those of the division above it
		// that the engagement audited as a whole.
		for id := tree.ByID[u.DepartmentID]; id != nil && id.ParentID != 0; id = tree.ByID[id.ParentID] {
			within = append(within, id.ParentID)
		}
		rows, err := m.store.Followups(ctx, FollowupFilter{Departments: within, Now: now})
		if err != nil {
			return nil, err
		}
		noPlan, overdue, soon := 0, 0, 0
		link := ""
		for _, x := range rows {
			switch {
			case x.Open() && !x.HasPlan():
				noPlan++
			case x.OverdueAt(now):
				overdue++
			case x.Open() && dueSoon(x.Due, now, 30):
				soon++
			default:
				continue
			}
			if link == "" {
				link = fmt.Sprintf("/audit/%d/followup#f%d", x.EngagementID, x.ID)
			}
		}
		if noPlan+overdue+soon == 0 {
			return nil, nil
		}
		return []module.Tile{{Label: "監査の指摘への対応", Value: fmt.Sprintf("%d 件", noPlan+overdue+soon), Link: link, Alert: noPlan+overdue > 0,
			Note: fmt.Sprintf("改善計画の提出が必要 %d 件・期限超過 %d 件・30日以内に期限 %d 件", noPlan, overdue, soon)}}, nil
	}
	return nil, nil
}

// FollowupReminders are the follow-ups of an engagement that need the
// user's action now (for the engagement's overview): an auditee's plans
// to write and overdue or soon-due items, an auditor's follow-ups to
// check.
func (m *Module) FollowupReminders(ctx context.Context, e Engagement, a Access) ([]Finding, error) {
	rs, err := m.store.reportStatusOf(ctx, e.ID)
	if err != nil || !rs.Issued() {
		return nil, err
	}
	fs, err := m.followupRows(ctx, e, a, rs)
	if err != nil {
		return nil, err
	}
	now := m.now()
	var out []Finding
	for _, f := range fs {
		switch {
		case a.Auditee && f.Open() && (!f.HasPlan() || f.OverdueAt(now) || dueSoon(f.Due, now, 30)):
			out = append(out, f)
		case a.Audit && f.AwaitingCheck():
			out = append(out, f)
		}
	}
	return out, nil
}
