package vendor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"mamori/internal/jp"
	"mamori/internal/web"
)

func (m *Module) routes(rt *web.Router) {
	manage := Managers.Rule()
	obj := web.Object{Kind: "vendor.request", Allow: m.mayRead}
	mobj := web.Object{Kind: "vendor.request", Allow: func(ctx context.Context, _ *web.User, _ web.Scope, id int64) (bool, error) {
		_, err := m.store.Get(ctx, id)
		return err == nil, err
	}}
	ev := web.Object{Kind: "vendor.evidence", Param: "evidence", Allow: func(ctx context.Context, _ *web.User, _ web.Scope, id int64) (bool, error) {
		var n int
		err := m.d.DB.QueryRow(ctx, "SELECT COUNT(*) FROM vendor_evidence WHERE id = ?", id).Scan(&n)
		return err == nil && n == 1, err
	}}
	rt.Handle("GET /vendor", watch, m.list)
	rt.Handle("GET /vendor/new", requesters, m.newForm)
	rt.Handle("POST /vendor", requesters, m.create)
	rt.Handle("GET /vendor/{id}", watch.On(obj), m.show)
	rt.Handle("POST /vendor/{id}/build", manage.On(mobj), m.build)
	rt.Handle("POST /vendor/{id}/links", manage.On(mobj), m.issueLink)
	rt.Handle("POST /vendor/{id}/links/revoke", manage.On(mobj), m.revoke)
	rt.Handle("POST /vendor/{id}/review", manage.On(mobj), m.review)
	rt.Handle("POST /vendor/{id}/return", manage.On(mobj), m.returnToVendor)
	rt.Handle("POST /vendor/{id}/decide", manage.On(mobj), m.decide)
	rt.Handle("GET /vendor/{id}/evidence/{evidence}", watch.On(obj).On(ev), m.evidence)
	rt.Handle("POST /vendor/{id}/conditions", manage.On(mobj), m.meetCondition)
	rt.Handle("POST /vendor/{id}/rereview", manage.On(mobj), m.rereview)
	rt.Handle("GET /vendor/{id}/workbook", manage.On(mobj), m.workbook)
	rt.Handle("POST /vendor/{id}/import", manage.WithUpload().On(mobj), m.importPreview)
	rt.Handle("POST /vendor/{id}/import/apply", manage.WithBodyLimit(web.DocumentMaxBody).On(mobj), m.importApply)
	m.answerRoutes(rt)
	m.docRoutes(rt, obj)
}

// mayRead: managers and the viewer read every request; a 所属長 those of
// their sub-tree.
func (m *Module) mayRead(ctx context.Context, u *web.User, scope web.Scope, id int64) (bool, error) {
	r, err := m.store.Get(ctx, id)
	if err != nil {
		return false, err
	}
	if scope != web.ScopeOwnDepartment {
		return true, nil
	}
	return m.d.Org.Within(ctx, r.DepartmentID, u.DepartmentID)
}

func (m *Module) requestOf(r *http.Request) (Request, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return Request{}, err
	}
	return m.store.Get(r.Context(), id)
}

var listSpec = &web.ListSpec{
	Path: "/vendor", DefaultSort: "code", DefaultDesc: true,
	Sorts:   []web.ListSort{{Key: "code", Label: "番号"}, {Key: "review", Label: "次回の再審査"}},
	Filters: []web.ListFilter{web.FiscalYearFilter("year"), {Key: "state", Label: "状況"}, {Key: "kind", Label: "種類"}},
	Search:  "サービス・事業者・所属・番号", Noun: "審査", Label: "審査の絞り込み",
	Empty: "委託・クラウドの審査はまだありません。「審査を依頼」から依頼してください。",
}

type listView struct {
	L       *web.List
	Rows    []Request
	Manager bool
	Ask     bool
	Now     time.Time
}

func (m *Module) list(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := web.UserFrom(ctx)
	scope, _ := watch.Permits(u.Role)
	_, ask := requesters.Permits(u.Role)
	v := listView{Manager: Managers.HasUser(u), Ask: ask, Now: m.store.now()}
	l := listSpec.Parse(r)
	all, err := m.store.Requests(ctx, 0)
	if err != nil {
		return err
	}
	years := []int{m.d.Org.CurrentFiscalYear(ctx)}
	for _, x := range all {
		if !slices.Contains(years, x.FiscalYear) {
			years = append(years, x.FiscalYear)
		}
	}
	l.SetOptions("year", web.FiscalYearOptions(years))
	var states, kinds []web.ListOption
	for _, s := range []State{StateRequested, StateAnswering, StateReview, StateReturned, StateDecided} {
		states = append(states, web.ListOption{Value: string(s), Label: s.Label()})
	}
	for _, k := range Kinds {
		kinds = append(kinds, web.ListOption{Value: k.Key, Label: k.Label})
	}
	l.SetOptions("state", states)
	l.SetOptions("kind", kinds)
	var rows []Request
	for _, x := range all {
		if y := l.Value("year"); y != "" && strconv.Itoa(x.FiscalYear) != y {
			continue
		}
		if s := l.Value("state"); s != "" && string(x.State) != s {
			continue
		}
		if k := l.Value("kind"); k != "" && x.Kind != k {
			continue
		}
		if !jp.MatchWords(jp.SearchText(x.Code, x.ServiceName, x.VendorName, x.Department), l.Words()) {
			continue
		}
		if scope == web.ScopeOwnDepartment {
			if ok, err := m.d.Org.Within(ctx, x.DepartmentID, u.DepartmentID); err != nil || !ok {
				if err != nil {
					return err
				}
				continue
			}
		}
		rows = append(rows, x)
	}
	slices.SortStableFunc(rows, func(a, b Request) int {
		c := strings.Compare(a.Code, b.Code)
		if l.Sort == "review" {
			c = a.NextReviewOn.Compare(b.NextReviewOn)
		}
		if l.Desc {
			return -c
		}
		return c
	})
	l.SetTotal(len(rows))
	if l.Offset() < len(rows) {
		v.Rows = rows[l.Offset():min(l.Offset()+l.Limit(), len(rows))]
	}
	v.L = l
	return web.Render(w, r, http.StatusOK, "vendor/vendor_list", "委託・クラウドの審査", v)
}

type formView struct {
	In      RequestInput
	Depts   []web.ListOption
	Errors  FieldErrors
	Classes []string
}

func (m *Module) newForm(w http.ResponseWriter, r *http.Request) error {
	u := web.UserFrom(r.Context())
	return m.renderForm(w, r, RequestInput{Kind: "cloud", DataClass: "機密性2", DepartmentID: u.DepartmentID}, nil, http.StatusOK)
}

func (m *Module) renderForm(w http.ResponseWriter, r *http.Request, in RequestInput, fe FieldErrors, status int) error {
	ctx := r.Context()
	u := web.UserFrom(ctx)
	scope, _ := requesters.Permits(u.Role)
	t, err := m.d.Org.Departments(ctx)
	if err != nil {
		return err
	}
	f := formView{In: in, Errors: fe, Classes: DataClasses}
	for _, d := range t.Flat() {
		if !d.Active || d.Depth > 1 {
			continue
		}
		if scope == web.ScopeOwnDepartment {
			if ok, err := m.d.Org.Within(ctx, d.ID, u.DepartmentID); err != nil || !ok {
				continue
			}
		}
		f.Depts = append(f.Depts, web.ListOption{Value: strconv.FormatInt(d.ID, 10), Label: d.Path})
	}
	return web.Render(w, r, status, "vendor/vendor_form", "委託・クラウドの審査を依頼", f)
}

func (m *Module) create(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := web.UserFrom(ctx)
	dept, _ := strconv.ParseInt(r.PostFormValue("department"), 10, 64)
	in := RequestInput{DepartmentID: dept, Kind: r.PostFormValue("kind"), ServiceName: r.PostFormValue("service_name"), VendorName: r.PostFormValue("vendor_name"),
		Purpose: r.PostFormValue("purpose"), DataClass: r.PostFormValue("data_class"), StorageLocation: r.PostFormValue("storage_location"),
		Subcontractors: r.PostFormValue("subcontractors"), ContractFrom: r.PostFormValue("contract_from"), ContractTo: r.PostFormValue("contract_to"),
		ISMAPNumber: r.PostFormValue("ismap_number"), ISMAPExpires: r.PostFormValue("ismap_expires"), SLA: r.PostFormValue("sla"),
		MyNumber: r.PostFormValue("mynumber") != "", SystemWork: r.PostFormValue("system_work") != ""}
	if scope, _ := requesters.Permits(u.Role); scope == web.ScopeOwnDepartment {
		if ok, err := m.d.Org.Within(ctx, in.DepartmentID, u.DepartmentID); err != nil || !ok {
			return m.renderForm(w, r, in, FieldErrors{"department": "依頼できるのは自分の所属の審査だけです。"}, http.StatusUnprocessableEntity)
		}
	}
	x, err := m.store.Create(ctx, in, u.DisplayName)
	var fe FieldErrors
	if errors.As(err, &fe) {
		return m.renderForm(w, r, in, fe, http.StatusUnprocessableEntity)
	} else if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/vendor/%d", x.ID), fmt.Sprintf("審査 %s を依頼しました。情報政策課が調査票を作成し、事業者に送ります。", x.Code), true)
}

type showView struct {
	R           Request
	Items       []Item
	Evidence    map[string][]Evidence
	Links       []Link
	Subs        []Submission
	Conds       []Condition
	Manager     bool
	Errors      FieldErrors
	NewLink     string
	NewExpires  time.Time
	Now         time.Time
	Proposed    string
	Counts      map[string]int
	Changed     map[string]bool // items whose answer changed since the previous submission
	DecisionSet []struct{ Key, Label string }
	ReviewSet   []struct{ Key, Label string }
}

// LiveLinks counts the links that still open.
func (v showView) LiveLinks() int {
	n := 0
	for _, l := range v.Links {
		if l.Live(v.Now) {
			n++
		}
	}
	return n
}

func (m *Module) show(w http.ResponseWriter, r *http.Request) error {
	x, err := m.requestOf(r)
	if err != nil {
		return err
	}
	return m.renderShow(w, r, x, nil, http.StatusOK, "", time.Time{})
}

func (m *Module) renderShow(w http.ResponseWriter, r *http.Request, x Request, fe FieldErrors, status int, link string, exp time.Time) error {
	ctx := r.Context()
	v := showView{R: x, Manager: Managers.Allows(r), Errors: fe, NewLink: link, NewExpires: exp, Now: m.store.now(), Counts: map[string]int{},
		Changed: map[string]bool{}, DecisionSet: Decisions, ReviewSet: Reviews}
	var err error
	if v.Items, err = m.store.Items(ctx, x.ID); err != nil {
		return err
	}
	if v.Evidence, err = m.store.EvidenceOf(ctx, x.ID); err != nil {
		return err
	}
	if v.Links, err = m.store.Links(ctx, x.ID); err != nil {
		return err
	}
	if v.Subs, err = m.store.Submissions(ctx, x.ID); err != nil {
		return err
	}
	if v.Conds, err = m.store.Conditions(ctx, x.ID); err != nil {
		return err
	}
	for _, i := range v.Items {
		v.Counts[or(i.Answer, "未回答")]++
		if i.Review != "" {
			v.Counts["review:"+i.Review]++
		}
	}
	if n := len(v.Subs); n >= 2 {
		prev, last := v.Subs[n-2].Answers, v.Subs[n-1].Answers
		for code, a := range last {
			if prev[code] != a {
				v.Changed[code] = true
			}
		}
	}
	v.Proposed = strings.Join(ProposedConditions(v.Items, v.Now), "\n")
	return web.Render(w, r, status, "vendor/vendor_show", x.Code+" "+x.ServiceName, v)
}

// after renders the page again with the form's problems, or goes back to it.
func (m *Module) after(w http.ResponseWriter, r *http.Request, x Request, err error, done, anchor string) error {
	var fe FieldErrors
	switch {
	case errors.As(err, &fe):
		return m.renderShow(w, r, x, fe, http.StatusUnprocessableEntity, "", time.Time{})
	case errors.Is(err, ErrStale), errors.Is(err, ErrLocked):
		return m.renderShow(w, r, x, FieldErrors{"state": err.Error()}, http.StatusConflict, "", time.Time{})
	case err != nil:
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/vendor/%d%s", x.ID, anchor), done, true)
}

func (m *Module) build(w http.ResponseWriter, r *http.Request) error {
	x, err := m.requestOf(r)
	if err != nil {
		return err
	}
	n, err := m.store.Build(r.Context(), x, web.UserFrom(r.Context()).DisplayName)
	return m.after(w, r, x, err, fmt.Sprintf("調査票を作成しました（%d 項目）。回答用リンクを発行して事業者に送ってください。", n), "#links")
}

func (m *Module) issueLink(w http.ResponseWriter, r *http.Request) error {
	x, err := m.requestOf(r)
	if err != nil {
		return err
	}
	days, _ := strconv.Atoi(r.PostFormValue("days"))
	tok, exp, err := m.store.IssueLink(r.Context(), x, days, web.UserFrom(r.Context()).DisplayName)
	if err != nil {
		return m.after(w, r, x, err, "", "")
	}
	return m.renderShow(w, r, x, nil, http.StatusOK, siteBase(r)+"/vendor-answer/"+tok, exp)
}

// siteBase is the address links start with.
func siteBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (m *Module) revoke(w http.ResponseWriter, r *http.Request) error {
	x, err := m.requestOf(r)
	if err != nil {
		return err
	}
	return m.after(w, r, x, m.store.RevokeLinks(r.Context(), x, web.UserFrom(r.Context()).DisplayName), "回答用リンクを取り消しました。", "#links")
}

func (m *Module) review(w http.ResponseWriter, r *http.Request) error {
	x, err := m.requestOf(r)
	if err != nil {
		return err
	}
	item := r.PostFormValue("item")
	err = m.store.ReviewItem(r.Context(), x, item, ReviewInput{Review: r.PostFormValue("review"), ToVendor: r.PostFormValue("to_vendor"),
		Internal: r.PostFormValue("internal")}, web.UserFrom(r.Context()).DisplayName)
	return m.after(w, r, x, err, "審査を記録しました。", "#item-"+item)
}

func (m *Module) returnToVendor(w http.ResponseWriter, r *http.Request) error {
	x, err := m.requestOf(r)
	if err != nil {
		return err
	}
	return m.after(w, r, x, m.store.Return(r.Context(), x, web.UserFrom(r.Context()).DisplayName),
		"要修正の項目を事業者に戻しました。同じリンク（有効期限内）か新しいリンクで修正を依頼してください。", "#links")
}

func (m *Module) decide(w http.ResponseWriter, r *http.Request) error {
	x, err := m.requestOf(r)
	if err != nil {
		return err
	}
	err = m.store.Decide(r.Context(), x, DecisionInput{Decision: r.PostFormValue("decision"), Reason: r.PostFormValue("reason"),
		Conditions: r.PostFormValue("conditions"), NextReview: r.PostFormValue("next_review")}, web.UserFrom(r.Context()).DisplayName)
	return m.after(w, r, x, err, "決定を記録しました。審査結果を出力できます。", "#decision")
}

func (m *Module) meetCondition(w http.ResponseWriter, r *http.Request) error {
	x, err := m.requestOf(r)
	if err != nil {
		return err
	}
	seq, _ := strconv.Atoi(r.PostFormValue("seq"))
	return m.after(w, r, x, m.store.MeetCondition(r.Context(), x, seq, web.UserFrom(r.Context()).DisplayName), "条件を満たしたと記録しました。", "#conditions")
}

func (m *Module) rereview(w http.ResponseWriter, r *http.Request) error {
	x, err := m.requestOf(r)
	if err != nil {
		return err
	}
	n, err := m.store.Rereview(r.Context(), x, web.UserFrom(r.Context()).DisplayName)
	if err != nil {
		return m.after(w, r, x, err, "", "")
	}
	return web.Redirect(w, r, fmt.Sprintf("/vendor/%d", n.ID), fmt.Sprintf("%s の再審査として %s を作成しました。内容を確かめて調査票を作成してください。", x.Code, n.Code), true)
}

func (m *Module) evidence(w http.ResponseWriter, r *http.Request) error {
	x, err := m.requestOf(r)
	if err != nil {
		return err
	}
	eid, err := web.PathID(r, "evidence")
	if err != nil {
		return err
	}
	evs, err := m.store.EvidenceOf(r.Context(), x.ID)
	if err != nil {
		return err
	}
	for _, list := range evs {
		for _, e := range list {
			if e.ID != eid {
				continue
			}
			_, data, err := m.d.Blobs.Get(r.Context(), e.BlobID)
			if err != nil {
				return err
			}
			dl := web.Download{Name: e.Filename, ContentType: e.ContentType, Target: fmt.Sprintf("vendor_request:%d", x.ID),
				Detail: fmt.Sprintf("%s の項目 %s の資料「%s」", x.Code, e.Item, e.Filename)}
			return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { _, err := out.Write(data); return err })
		}
	}
	return web.NotFound()
}

// The Excel round trip's pages: the workbook, the upload's preview and
// its application.

func (m *Module) workbook(w http.ResponseWriter, r *http.Request) error {
	x, err := m.requestOf(r)
	if err != nil {
		return err
	}
	if !x.State.Open() {
		return m.after(w, r, x, FieldErrors{"xlsx": "回答を受け付けている審査（回答待ち・修正依頼中）だけを Excel で出力できます。"}, "", "")
	}
	rec, err := m.store.RecordOf(r.Context(), x)
	if err != nil {
		return err
	}
	doc := rec.Workbook(m.d.Org.WardName(r.Context()), m.store.now())
	dl := web.Download{Name: web.JoinFileName("xlsx", "確認事項（回答用）", x.Code), ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		Target: fmt.Sprintf("vendor_request:%d", x.ID), Detail: fmt.Sprintf("%s の確認事項（回答用 Excel、版 %d）", x.Code, x.Rev)}
	return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return WriteWorkbook(out, doc) })
}

var workbookUpload = web.Upload{Field: "file", MaxBytes: 5 << 20, Types: []web.FileType{web.XLSX}}

type importView struct {
	R    Request
	Plan *Import
}

func (m *Module) importPreview(w http.ResponseWriter, r *http.Request) error {
	x, err := m.requestOf(r)
	if err != nil {
		return err
	}
	up, err := workbookUpload.Read(r)
	if err != nil {
		return err
	}
	plan, err := m.store.PlanImport(r.Context(), x, up.Name, up.Data)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if !plan.OK() {
		status = http.StatusUnprocessableEntity
		_ = m.d.Log.Record(r.Context(), "vendor.import_refused", fmt.Sprintf("vendor_request:%d", x.ID),
			fmt.Sprintf("%s の Excel「%s」の取込みを拒否：%s", x.Code, up.Name, plan.Errors[0]))
	}
	return web.Render(w, r, status, "vendor/vendor_import", x.Code+"（Excel の取込み）", importView{R: x, Plan: plan})
}

func (m *Module) importApply(w http.ResponseWriter, r *http.Request) error {
	x, err := m.requestOf(r)
	if err != nil {
		return err
	}
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	codes, answers, notes := r.PostForm["code"], r.PostForm["answer"], r.PostForm["note"]
	if len(codes) != len(answers) || len(codes) != len(notes) || len(codes) > 3000 {
		return web.Invalid("取込みの内容が壊れています。もう一度ファイルを選んでください。")
	}
	var changes []Change
	for i := range codes {
		changes = append(changes, Change{Code: codes[i], NewAnswer: answers[i], NewNote: notes[i]})
	}
	file := web.UploadName(r.PostFormValue("file"), "確認事項.xlsx")
	n, err := m.store.ApplyImport(r.Context(), x, rev, changes, file, r.PostFormValue("submit") != "")
	if errors.Is(err, ErrStale) {
		return m.renderShow(w, r, x, FieldErrors{"xlsx": "プレビューの後に回答が変わりました。ファイルを選び直してください（何も変更していません）。"}, http.StatusConflict, "", time.Time{})
	}
	return m.after(w, r, x, err, fmt.Sprintf("Excel から %d 項目の回答を取り込みました。", n), "#items")
}
