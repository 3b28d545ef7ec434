package survey

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/org"
	"mamori/internal/tabular"
	"mamori/internal/web"
)

// The screens that run a campaign: the list, the form, the overview with
// the response rate by department, audience and day, the non-respondents
// with reminders and personal links, and (import_web.go) the import of
// answers given on paper.

// noMail is what every screen that reaches respondents says until SMTP
// exists (issue 20).
const noMail = "メール送信の設定がないため、画面上の催促のみです（回答者が自己点検の画面を開いたときに表示されます）。"

// watchRule lets managers see every campaign and a 所属長 (the auditee
// role) the campaigns of their own sub-tree.
func watchRule() web.Rule {
	return web.Allow(web.RoleAdmin, web.RoleConsultant).Scoped(web.RoleAuditee)
}

func (m *Module) campaignRoutes(rt *web.Router) {
	watch, manage := watchRule(), Managers.Rule()
	obj := web.Object{Kind: "survey.campaign", Allow: m.mayWatch}
	rt.Handle("GET /selfcheck/campaigns", watch, m.campaignList)
	rt.Handle("GET /selfcheck/campaigns/export", watch, m.campaignExport)
	rt.Handle("GET /selfcheck/campaigns/new", manage, m.campaignNew)
	rt.Handle("POST /selfcheck/campaigns", manage, m.campaignCreate)
	rt.Handle("GET /selfcheck/campaigns/{id}", watch.On(obj), m.campaignShow)
	rt.Handle("GET /selfcheck/campaigns/{id}/edit", manage.On(obj), m.campaignEdit)
	rt.Handle("POST /selfcheck/campaigns/{id}", manage.On(obj), m.campaignUpdate)
	rt.Handle("POST /selfcheck/campaigns/{id}/open", manage.On(obj), m.campaignOpen)
	rt.Handle("POST /selfcheck/campaigns/{id}/close", manage.On(obj), m.campaignClose)
	rt.Handle("GET /selfcheck/campaigns/{id}/pending", manage.On(obj), m.campaignPending)
	rt.Handle("POST /selfcheck/campaigns/{id}/remind", manage.On(obj), m.campaignRemind)
	rt.Handle("POST /selfcheck/campaigns/{id}/links", manage.On(obj), m.campaignLinks)
	m.importRoutes(rt, manage.On(obj))
}

// mayWatch is the object check of a campaign: managers reach every one;
// a 所属長 one that is sent to their department or part of its sub-tree
// and has started.
func (m *Module) mayWatch(ctx context.Context, u *web.User, scope web.Scope, id int64) (bool, error) {
	c, err := m.store.Campaign(ctx, id)
	if err != nil {
		return false, err
	}
	if scope != web.ScopeOwnDepartment {
		return true, nil
	}
	if c.State == StateDraft || u.DepartmentID == 0 {
		return false, nil
	}
	tree, err := m.d.Org.Departments(ctx)
	if err != nil {
		return false, err
	}
	return Covers(c, tree, u.DepartmentID), nil
}

// watchRoot is the department whose sub-tree a reader's figures cover: 0
// for the whole ward, the 所属長's own department; ok is false for a
// scoped reader without a department, who sees nothing.
func watchRoot(r *http.Request) (root int64, ok bool) {
	if web.ScopeFrom(r.Context()) != web.ScopeOwnDepartment {
		return 0, true
	}
	u := web.UserFrom(r.Context())
	return u.DepartmentID, u.DepartmentID != 0
}

// campaignOf reads the campaign of the path's {id} (the object check has
// already allowed it).
func (m *Module) campaignOf(r *http.Request) (Campaign, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return Campaign{}, err
	}
	return m.store.Campaign(r.Context(), id)
}

func campaignPath(id int64) string { return fmt.Sprintf("/selfcheck/campaigns/%d", id) }

// ---- the list ----

var campaignSpec = &web.ListSpec{
	Path: "/selfcheck/campaigns", ExportPath: "/selfcheck/campaigns/export",
	Sorts: []web.ListSort{{Key: "code", Label: "コード"}, {Key: "title", Label: "件名"}, {Key: "period", Label: "期間"},
		{Key: "rate", Label: "回答率"}},
	DefaultSort: "code", DefaultDesc: true,
	Filters: []web.ListFilter{web.FiscalYearFilter("year"), {Key: "state", Label: "状態", Options: []web.ListOption{
		{Value: StateDraft, Label: StateLabel(StateDraft)}, {Value: StateOpen, Label: StateLabel(StateOpen)}, {Value: StateClosed, Label: StateLabel(StateClosed)}}}},
	Search: "件名・コード", SearchHint: "全角・半角、ひらがな・カタカナを区別しません",
	Noun: "自己点検", Label: "自己点検の絞り込み",
	Empty: "自己点検の実施はまだありません。",
}

// campaignQuery is one request of the list or its export.
type campaignQuery struct {
	List   *web.List
	Filter CampaignFilter
	Scope  string // the 所属長's sub-tree the counts cover ("" for the ward)
	None   bool   // a scoped reader without a department: nothing to show
}

func (m *Module) campaignQueryOf(r *http.Request) (*campaignQuery, error) {
	ctx := r.Context()
	l := campaignSpec.Parse(r)
	all, err := m.store.Campaigns(ctx, 0)
	if err != nil {
		return nil, err
	}
	years := []int{m.d.Org.CurrentFiscalYear(ctx)}
	for _, c := range all {
		if !slices.Contains(years, c.FiscalYear) {
			years = append(years, c.FiscalYear)
		}
	}
	slices.Sort(years)
	slices.Reverse(years)
	l.SetOptions("year", web.FiscalYearOptions(years))
	fy, _ := strconv.Atoi(l.Value("year"))
	q := &campaignQuery{List: l, Filter: CampaignFilter{FiscalYear: fy, State: l.Value("state"), Words: l.Words(), Sort: l.Sort, Desc: l.Desc}}
	root, ok := watchRoot(r)
	if !ok {
		q.None = true
		return q, nil
	}
	if root != 0 {
		q.Filter.Root = root
		d, err := m.d.Org.Department(ctx, root)
		if err != nil {
			return nil, err
		}
		q.Scope = d.Name
	}
	return q, nil
}

type campaignListView struct {
	Q       *campaignQuery
	List    *web.List
	Rows    []CampaignRow
	Manager bool
}

func (m *Module) campaignList(w http.ResponseWriter, r *http.Request) error {
	q, err := m.campaignQueryOf(r)
	if err != nil {
		return err
	}
	l := q.List
	var rows []CampaignRow
	if !q.None {
		if rows, err = m.store.ListCampaigns(r.Context(), q.Filter); err != nil {
			return err
		}
	}
	l.SetTotal(len(rows))
	rows = rows[min(l.Offset(), len(rows)):min(l.Offset()+l.Limit(), len(rows))]
	v := campaignListView{Q: q, List: l, Rows: rows, Manager: Managers.Allows(r)}
	switch {
	case v.Manager:
		l.Empty = "自己点検の実施はまだありません。「新しい自己点検」から作成してください。"
	case q.None:
		l.Empty = "このアカウントには所属が登録されていないため、表示できる自己点検はありません。管理者に所属の登録を依頼してください。"
	default:
		l.Empty = "あなたの所属を対象とする自己点検はまだ始まっていません。"
	}
	return web.Render(w, r, http.StatusOK, "survey/survey_campaign_list", "自己点検の実施", v)
}

var campaignHeaders = []string{"コード", "年度", "件名", "対象者", "記名・匿名", "回答開始日", "締切日", "状態", "対象人数", "回答数", "回答率（%）"}

func (m *Module) campaignExport(w http.ResponseWriter, r *http.Request) error {
	format, err := tabular.ParseFormat(r.URL.Query().Get("format"))
	if err != nil {
		return web.Invalid("%s", err.Error())
	}
	q, err := m.campaignQueryOf(r)
	if err != nil {
		return err
	}
	if err := q.List.Err(); err != nil {
		return err
	}
	var rows []CampaignRow
	if !q.None {
		if rows, err = m.store.ListCampaigns(r.Context(), q.Filter); err != nil {
			return err
		}
	}
	t := tabular.Table{Sheet: "自己点検の実施", Headers: campaignHeaders}
	for _, c := range rows {
		mode := "記名"
		if c.Anonymous {
			mode = "匿名"
		}
		rate := ""
		if c.Counts.Invited > 0 {
			rate = strconv.FormatFloat(100*c.Counts.Rate(), 'f', 1, 64)
		}
		t.Rows = append(t.Rows, []string{c.Code, jp.FiscalYearLabel(c.FiscalYear), c.Title, c.AudienceLabels(), mode,
			jp.DateKey(c.OpensOn), jp.DateKey(c.ClosesOn), c.StateLabel(), strconv.Itoa(c.Counts.Invited), strconv.Itoa(c.Counts.Answered), rate})
	}
	stem := "自己点検の実施"
	if q.Scope != "" {
		stem += "_" + q.Scope
	}
	name := tabular.FileName(stem, m.store.now().In(jp.JST).Format("20060102"), format)
	year := "all"
	if q.Filter.FiscalYear != 0 {
		year = strconv.Itoa(q.Filter.FiscalYear)
	}
	d := web.Download{Name: name, ContentType: format.ContentType, Target: "fiscal_year:" + year, Detail: fmt.Sprintf("%s（%d 件）", name, len(rows))}
	return web.Send(w, r, m.d.Log, d, func(out io.Writer) error { return tabular.Write(out, format, t) })
}

// ---- the form ----

// campChoice is one check box or option of a form.
type campChoice struct {
	Value, Label string
	Checked      bool
}

type campaignFormView struct {
	C         *Campaign // nil when creating
	V         url.Values
	Errors    FieldErrors
	Conflict  string
	Years     []campChoice
	Audiences []campChoice
	Depts     []campChoice
	Locked    bool   // answering has started: audiences, anonymity and targets are fixed
	Fixed     string // the fixed settings, as text
}

// Get is a field's value as typed (or stored).
func (v campaignFormView) Get(k string) string { return v.V.Get(k) }

// Err is the message beside a field.
func (v campaignFormView) Err(k string) string { return v.Errors[k] }

// Action is where the form posts.
func (v campaignFormView) Action() string {
	if v.C != nil {
		return campaignPath(v.C.ID)
	}
	return "/selfcheck/campaigns"
}

func (m *Module) campaignForm(ctx context.Context, c *Campaign, v url.Values, fe FieldErrors) (campaignFormView, error) {
	view := campaignFormView{C: c, V: v, Errors: fe}
	fy := m.d.Org.CurrentFiscalYear(ctx)
	years := []int{fy - 1, fy, fy + 1}
	if y, err := strconv.Atoi(v.Get("fiscal_year")); err == nil && !slices.Contains(years, y) && y >= 2000 && y <= 2100 {
		years = append(years, y)
		slices.Sort(years)
	}
	for _, y := range years {
		view.Years = append(view.Years, campChoice{Value: strconv.Itoa(y), Label: jp.FiscalYearLabel(y), Checked: v.Get("fiscal_year") == strconv.Itoa(y)})
	}
	for _, a := range AudienceOrder {
		view.Audiences = append(view.Audiences, campChoice{Value: a, Label: AudienceLabel(a), Checked: slices.Contains(v["audiences"], a)})
	}
	tree, err := m.d.Org.Departments(ctx)
	if err != nil {
		return view, err
	}
	for _, d := range tree.Flat() {
		id := strconv.FormatInt(d.ID, 10)
		sel := slices.Contains(v["departments"], id)
		if !d.Active && !sel {
			continue
		}
		view.Depts = append(view.Depts, campChoice{Value: id, Label: strings.Repeat("　", d.Depth) + d.Name + "（" + d.Code + "）", Checked: sel})
	}
	if c != nil && c.State != StateDraft {
		view.Locked = true
		mode := "記名"
		if c.Anonymous {
			mode = "匿名"
		}
		view.Fixed = fmt.Sprintf("対象者: %s ／ %s ／ 対象所属: %s", c.AudienceLabels(), mode, targetLabel(tree, *c))
	}
	return view, nil
}

// campaignValues are a stored campaign's settings as the form's values.
func campaignValues(c Campaign) url.Values {
	v := url.Values{"title": {c.Title}, "fiscal_year": {strconv.Itoa(c.FiscalYear)}, "opens_on": {dateKey(c.OpensOn)},
		"closes_on": {dateKey(c.ClosesOn)}, "note": {c.Note}, "rev": {strconv.FormatInt(c.Rev, 10)}}
	v["audiences"] = slices.Clone(c.Audiences)
	for _, d := range c.Departments {
		v.Add("departments", strconv.FormatInt(d, 10))
	}
	if c.Anonymous {
		v.Set("anonymous", "1")
	}
	return v
}

// readCampaignForm turns the posted form into the store's input; what
// cannot be read (a date, a department that is no number) is reported by
// field.
func readCampaignForm(v url.Values) (CampaignInput, FieldErrors) {
	fe := FieldErrors{}
	in := CampaignInput{Title: v.Get("title"), Audiences: v["audiences"], Anonymous: v.Get("anonymous") != "", Note: strings.TrimSpace(v.Get("note"))}
	in.Note = strings.ReplaceAll(in.Note, "\r\n", "\n")
	if s := strings.TrimSpace(v.Get("fiscal_year")); s != "" {
		fy, err := jp.ParseFiscalYear(s)
		if err != nil {
			fe["fiscal_year"] = "年度を選んでください。"
		}
		in.FiscalYear = fy
	}
	for _, f := range []struct {
		key, label string
		to         *time.Time
	}{{"opens_on", "回答開始日", &in.OpensOn}, {"closes_on", "締切日", &in.ClosesOn}} {
		s := strings.TrimSpace(v.Get(f.key))
		if s == "" {
			continue
		}
		t, err := jp.ParseDate(s)
		if err != nil {
			fe[f.key] = f.label + "「" + s + "」は日付として読めません。2026-06-01 や 令和8年6月1日 の形で入れてください。"
			continue
		}
		*f.to = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	for _, s := range v["departments"] {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			fe["departments"] = "対象の所属を一覧から選んでください。"
			continue
		}
		in.Departments = append(in.Departments, id)
	}
	return in, fe
}

// mergeFieldErrors adds the store's messages to the form's own (the form's, about
// what it could not read, come first).
func mergeFieldErrors(own, store FieldErrors) FieldErrors {
	out := FieldErrors{}
	for k, v := range store {
		out[k] = v
	}
	for k, v := range own {
		out[k] = v
	}
	return out.orNil()
}

func (m *Module) renderCampaignForm(w http.ResponseWriter, r *http.Request, status int, c *Campaign, v url.Values, fe FieldErrors, conflict string) error {
	view, err := m.campaignForm(r.Context(), c, v, fe)
	if err != nil {
		return err
	}
	view.Conflict = conflict
	title := "新しい自己点検"
	if c != nil {
		title = c.Title + "（設定の変更）"
	}
	return web.Render(w, r, status, "survey/survey_campaign_form", title, view)
}

func (m *Module) campaignNew(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	fy := m.d.Org.CurrentFiscalYear(ctx)
	today := m.store.today()
	v := url.Values{"fiscal_year": {strconv.Itoa(fy)}, "audiences": slices.Clone(AudienceOrder),
		"title":    {jp.FiscalYearLabel(fy) + " 情報セキュリティ自己点検"},
		"opens_on": {dateKey(today.AddDate(0, 0, 7))}, "closes_on": {dateKey(today.AddDate(0, 0, 21))}}
	return m.renderCampaignForm(w, r, http.StatusOK, nil, v, nil, "")
}

func (m *Module) campaignCreate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	in, fe := readCampaignForm(r.PostForm)
	if len(fe) > 0 {
		check := in
		return m.renderCampaignForm(w, r, http.StatusUnprocessableEntity, nil, r.PostForm, mergeFieldErrors(fe, m.store.checkCampaign(ctx, &check)), "")
	}
	id, err := m.store.CreateCampaign(ctx, in, web.UserFrom(ctx).DisplayName)
	var sfe FieldErrors
	if errors.As(err, &sfe) {
		return m.renderCampaignForm(w, r, http.StatusUnprocessableEntity, nil, r.PostForm, sfe, "")
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, campaignPath(id), "自己点検を作成しました。設定を確かめてから「回答受付を開始」を押してください。", true)
}

func (m *Module) campaignEdit(w http.ResponseWriter, r *http.Request) error {
	c, err := m.campaignOf(r)
	if err != nil {
		return err
	}
	return m.renderCampaignForm(w, r, http.StatusOK, &c, campaignValues(c), nil, "")
}

func (m *Module) campaignUpdate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := m.campaignOf(r)
	if err != nil {
		return err
	}
	in, fe := readCampaignForm(r.PostForm)
	v := r.PostForm
	if c.State != StateDraft {
		// Fixed once answering started; the form shows them as text.
		in.Audiences, in.Anonymous, in.Departments = c.Audiences, c.Anonymous, c.Departments
		fixed := campaignValues(c)
		for _, k := range []string{"audiences", "anonymous", "departments"} {
			v[k] = fixed[k]
		}
	}
	rev, perr := strconv.ParseInt(v.Get("rev"), 10, 64)
	if perr != nil {
		return web.Invalid("フォームの版がありません。画面を読み込み直してください。")
	}
	if len(fe) > 0 {
		check := in
		return m.renderCampaignForm(w, r, http.StatusUnprocessableEntity, &c, v, mergeFieldErrors(fe, m.store.checkCampaign(ctx, &check)), "")
	}
	err = m.store.UpdateCampaign(ctx, c.ID, rev, in, web.UserFrom(ctx).DisplayName)
	var sfe FieldErrors
	switch {
	case errors.As(err, &sfe):
		return m.renderCampaignForm(w, r, http.StatusUnprocessableEntity, &c, v, sfe, "")
	case errors.Is(err, ErrConflict):
		// Keep what was typed; the next save goes over the current version.
		cur, err := m.store.Campaign(ctx, c.ID)
		if err != nil {
			return err
		}
		v.Set("rev", strconv.FormatInt(cur.Rev, 10))
		return m.renderCampaignForm(w, r, http.StatusConflict, &cur, v, nil,
			"ほかの人が先にこの自己点検を更新しました（回答受付の開始や締切を含みます）。入力した内容は残っています。現在の設定を確かめてから、もう一度保存してください。")
	case err != nil:
		return err
	}
	return web.Redirect(w, r, campaignPath(c.ID), "設定を保存しました。", true)
}

// campaignOpen starts answering. A second press (double click, a replayed
// request) finds it open and says so: the invitations are made once.
func (m *Module) campaignOpen(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := m.campaignOf(r)
	if err != nil {
		return err
	}
	back := campaignPath(c.ID)
	switch c.State {
	case StateOpen:
		return web.Redirect(w, r, back, fmt.Sprintf("この自己点検はすでに回答を受け付けています（対象 %d 人）。", c.Invited), true)
	case StateClosed:
		return web.Redirect(w, r, back, "この自己点検は締め切っています。回答の受付は再開できません。", false)
	}
	n, err := m.store.OpenCampaign(ctx, c.ID, web.UserFrom(ctx).DisplayName)
	var fe FieldErrors
	if errors.As(err, &fe) {
		return web.Redirect(w, r, back, fe.Error(), false)
	}
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("回答の受付を始めました。対象 %d 人に回答を依頼しました（各自の自己点検の画面に表示されます。メール送信の設定がないため、メールは送っていません）。", n)
	if n == 0 {
		msg = "回答の受付を始めましたが、対象の所属に対象者（在籍中で、選んだ対象者に当たる職員）がいません。対象所属と職員名簿を確かめてください。"
	}
	return web.Redirect(w, r, back, msg, n > 0)
}

func (m *Module) campaignClose(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := m.campaignOf(r)
	if err != nil {
		return err
	}
	back := campaignPath(c.ID)
	switch c.State {
	case StateClosed:
		return web.Redirect(w, r, back, "この自己点検はすでに締め切っています。", true)
	case StateDraft:
		return web.Redirect(w, r, back, "回答の受付を始める前の自己点検は締め切れません。", false)
	}
	err = m.store.CloseCampaign(ctx, c.ID, web.UserFrom(ctx).DisplayName)
	var fe FieldErrors
	if errors.As(err, &fe) {
		return web.Redirect(w, r, back, fe.Error(), false)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, back, fmt.Sprintf("締め切りました（回答 %d / %d 人）。", c.Answered, c.Invited), true)
}

// ---- the overview ----

type campaignShowView struct {
	C         Campaign
	Targets   string
	P         Progress
	Manager   bool
	Scope     string // the 所属長's sub-tree ("" for the ward)
	Accepting bool
	Today     time.Time
	NoMail    string
}

// Meter is a rate for a <meter> element's value.
func (campaignShowView) Meter(t Tally) string { return strconv.FormatFloat(t.Rate(), 'f', 3, 64) }

// DayMeter is a day's running rate for a <meter> element's value.
func (campaignShowView) DayMeter(d DayCount) string { return strconv.FormatFloat(d.Rate, 'f', 3, 64) }

// Depth is the indentation class of a department's row (at most 3).
func (campaignShowView) Depth(d DeptTally) string {
	if d.Depth == 0 {
		return ""
	}
	return "depth-" + strconv.Itoa(min(d.Depth, 3))
}

func (m *Module) campaignShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := m.campaignOf(r)
	if err != nil {
		return err
	}
	root, ok := watchRoot(r)
	if !ok {
		return web.NotFound()
	}
	tree, err := m.d.Org.Departments(ctx)
	if err != nil {
		return err
	}
	v := campaignShowView{C: c, Targets: targetLabel(tree, c), Manager: Managers.Allows(r),
		Today: m.store.today(), Accepting: c.AcceptsOn(m.store.today()), NoMail: noMail}
	if d := tree.ByID[root]; d != nil {
		v.Scope = d.Name
	}
	if v.P, err = m.store.Progress(ctx, c, root); err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "survey/survey_campaign_show", c.Title, v)
}

// ---- non-respondents, reminders and personal links ----

// pendingSpec is the list of non-respondents; each campaign's copy has its
// own path.
var pendingSpec = web.ListSpec{
	Sorts:   []web.ListSort{{Key: "dept", Label: "所属"}, {Key: "no", Label: "職員番号"}, {Key: "kana", Label: "氏名"}},
	Filters: []web.ListFilter{{Key: "department", Label: "所属（下位の所属を含む）"}, {Key: "noaccount", Label: "アカウントのない人だけ", Kind: web.FilterCheck}},
	Search:  "氏名・職員番号", SearchHint: "全角・半角、ひらがな・カタカナを区別しません",
	Noun: "未回答者", Label: "未回答者の絞り込み",
	Empty: "未回答の人はいません。",
}

type pendingView struct {
	C         Campaign
	List      *web.List
	Rows      []Unanswered
	Dept      *org.Department // the department chosen
	Selected  int             // the people of the selection (every page)
	NoAccount int             // of them, without an account
	NoLink    int             // of those, without a valid personal link
	Now       time.Time
	Accepting bool
	NoMail    string
}

// Reminded is when a person was last reminded, as the list shows it.
func (v pendingView) Reminded(u Unanswered) string {
	if u.RemindedAt.IsZero() {
		return ""
	}
	return jp.FormatWarekiDateTime(u.RemindedAt.In(jp.JST))
}

// LinkValid reports whether u holds a personal link still valid.
func (v pendingView) LinkValid(u Unanswered) bool { return u.LinkValid(v.Now) }

func (m *Module) campaignPending(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := m.campaignOf(r)
	if err != nil {
		return err
	}
	spec := pendingSpec
	spec.Path = campaignPath(c.ID) + "/pending"
	l := spec.Parse(r)
	tree, err := m.d.Org.Departments(ctx)
	if err != nil {
		return err
	}
	all, err := m.store.UnansweredOf(ctx, c.ID, nil)
	if err != nil {
		return err
	}
	// The departments offered: those the campaign asked people in, and
	// the departments above them, in tree order.
	prog, err := m.store.Progress(ctx, c, 0)
	if err != nil {
		return err
	}
	var opts []web.ListOption
	for _, d := range prog.Depts {
		if d.ID != 0 {
			opts = append(opts, web.ListOption{Value: strconv.FormatInt(d.ID, 10), Label: strings.Repeat("　", d.Depth) + d.Name})
		}
	}
	l.SetOptions("department", opts)
	v := pendingView{C: c, List: l, Now: m.store.now(), Accepting: c.AcceptsOn(m.store.today()), NoMail: noMail}
	var in map[int64]bool
	if id := l.Int64("department"); id != 0 {
		v.Dept = tree.ByID[id]
		in = map[int64]bool{}
		for _, d := range tree.Subtree(id) {
			in[d] = true
		}
	}
	words := l.Words()
	var rows []Unanswered
	for _, u := range all {
		if in != nil && !in[u.DepartmentID] {
			continue
		}
		if len(words) > 0 && !jp.MatchWords(jp.SearchText(u.EmployeeNo, u.Name, u.Kana), words) {
			continue
		}
		if !u.HasAccount {
			v.NoAccount++
			if !u.LinkValid(v.Now) {
				v.NoLink++
			}
		}
		if l.Value("noaccount") != "" && u.HasAccount {
			continue
		}
		rows = append(rows, u)
	}
	v.Selected = len(rows)
	switch l.Sort {
	case "no":
		slices.SortStableFunc(rows, func(a, b Unanswered) int { return strings.Compare(a.EmployeeNo, b.EmployeeNo) })
	case "kana":
		slices.SortStableFunc(rows, func(a, b Unanswered) int { return strings.Compare(jp.Fold(a.Kana), jp.Fold(b.Kana)) })
	}
	if l.Desc {
		slices.Reverse(rows)
	}
	l.SetTotal(len(rows))
	v.Rows = rows[min(l.Offset(), len(rows)):min(l.Offset()+l.Limit(), len(rows))]
	if c.State == StateDraft {
		l.Empty = "回答の受付を始めると、対象者のうち未回答の人がここに並びます。"
	} else if c.Invited > 0 {
		l.Empty = fmt.Sprintf("未回答の人はいません（対象 %d 人全員が回答済み）。", c.Invited)
	}
	return web.Render(w, r, http.StatusOK, "survey/survey_campaign_pending", c.Title+"（未回答者）", v)
}

// formDept reads the optional department of a posted form (0: none).
func (m *Module) formDept(ctx context.Context, r *http.Request) (*org.Department, error) {
	s := strings.TrimSpace(r.PostFormValue("department"))
	if s == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return nil, web.Invalid("所属の指定が正しくありません。一覧から選んでください。")
	}
	tree, err := m.d.Org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	d := tree.ByID[id]
	if d == nil {
		return nil, web.Invalid("所属の指定が正しくありません。一覧から選んでください。")
	}
	return d, nil
}

func (m *Module) campaignRemind(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := m.campaignOf(r)
	if err != nil {
		return err
	}
	d, err := m.formDept(ctx, r)
	if err != nil {
		return err
	}
	back, where, dept := campaignPath(c.ID), "", int64(0)
	if d != nil {
		dept = d.ID
		back = fmt.Sprintf("%s/pending?department=%d", campaignPath(c.ID), d.ID)
		where = d.Name + "（下位の所属を含む）の"
	}
	n, err := m.store.Remind(ctx, c, dept)
	var fe FieldErrors
	if errors.As(err, &fe) {
		return web.Redirect(w, r, back, fe.Error(), false)
	}
	if err != nil {
		return err
	}
	if n == 0 {
		return web.Redirect(w, r, back, where+"未回答者はいません。催促していません。", true)
	}
	return web.Redirect(w, r, back, fmt.Sprintf("%s未回答の %d 人に催促しました。%s", where, n, noMail), true)
}

type linksView struct {
	C       Campaign
	Links   []IssuedLink
	Base    string
	Ward    string
	Scope   string
	Expires time.Time
	Skipped int // people left out because they hold a valid link (re-issue not chosen)
	Mailed  int // links also sent by mail
}

// URL is a link's address.
func (v linksView) URL(l IssuedLink) string { return v.Base + "/selfcheck/r/" + l.Token }

// siteBase is the address of this site as the browser reached it.
func siteBase(r *http.Request) string {
	scheme := "http"
	if web.IsHTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// campaignLinks issues personal links — for one person (invitation), or
// for every unanswered person without an account in a department — and
// shows them once, as slips to print.
func (m *Module) campaignLinks(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := m.campaignOf(r)
	if err != nil {
		return err
	}
	if !c.AcceptsOn(m.store.today()) {
		// A link made after the closing day would be dead on arrival.
		return web.Redirect(w, r, campaignPath(c.ID), "回答期間中の自己点検だけ個人用リンクを発行できます。", false)
	}
	var people []Unanswered
	var scope, back string
	skipped := 0
	if s := strings.TrimSpace(r.PostFormValue("invitation")); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return web.Invalid("回答依頼の指定が正しくありません。")
		}
		v, err := m.store.Invitation(ctx, id)
		if errors.Is(err, database.ErrNotFound) || err == nil && v.CampaignID != c.ID {
			return web.NotFound()
		}
		if err != nil {
			return err
		}
		back = fmt.Sprintf("%s/pending?department=%d", campaignPath(c.ID), v.DepartmentID)
		if v.Submitted {
			return web.Redirect(w, r, back, "この人はすでに回答を提出しています。個人用リンクは発行していません。", false)
		}
		list, err := m.store.UnansweredOf(ctx, c.ID, []int64{v.DepartmentID})
		if err != nil {
			return err
		}
		for _, u := range list {
			if u.InvitationID == id {
				people = append(people, u)
				scope = u.Name + "（" + u.EmployeeNo + "）"
			}
		}
	} else {
		d, err := m.formDept(ctx, r)
		if err != nil {
			return err
		}
		if d == nil {
			return web.Invalid("個人用リンクをまとめて発行する所属を選んでください。")
		}
		back = fmt.Sprintf("%s/pending?department=%d", campaignPath(c.ID), d.ID)
		tree, err := m.d.Org.Departments(ctx)
		if err != nil {
			return err
		}
		list, err := m.store.UnansweredOf(ctx, c.ID, tree.Subtree(d.ID))
		if err != nil {
			return err
		}
		reissue := r.PostFormValue("reissue") != ""
		now := m.store.now()
		for _, u := range list {
			if u.HasAccount || !u.InRoster {
				continue
			}
			if !reissue && u.LinkValid(now) {
				skipped++
				continue
			}
			people = append(people, u)
		}
		scope = d.Path + "（下位の所属を含む）のアカウントのない未回答者"
		if len(people) == 0 {
			msg := "アカウントのない未回答者はいません。個人用リンクは発行していません。"
			if skipped > 0 {
				msg = fmt.Sprintf("アカウントのない未回答者 %d 人は、全員が有効な個人用リンクを持っています。発行し直すときは「発行済みの人の分も発行し直す」を選んでください（前のリンクは使えなくなります）。", skipped)
			}
			return web.Redirect(w, r, back, msg, false)
		}
	}
	links, err := m.store.IssueLinks(ctx, c, people, scope)
	var fe FieldErrors
	if errors.As(err, &fe) {
		return web.Redirect(w, r, back, fe.Error(), false)
	}
	if errors.Is(err, ErrClosed) {
		return web.Redirect(w, r, back, "回答受付中の自己点検だけ個人用リンクを発行できます。", false)
	}
	if err != nil {
		return err
	}
	v := linksView{C: c, Links: links, Base: siteBase(r), Ward: m.d.Org.WardName(ctx), Scope: scope,
		Expires: c.ClosesOn, Skipped: skipped}
	for _, l := range links {
		if l.Mailed {
			v.Mailed++
		}
	}
	return web.Render(w, r, http.StatusOK, "survey/survey_campaign_links", c.Title+"（個人用リンク）", v)
}
