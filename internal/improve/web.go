package improve

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/docgen/formats"
	"mamori/internal/jp"
	"mamori/internal/org"
	"mamori/internal/tabular"
	"mamori/internal/web"
)

//go:embed templates
var templateFS embed.FS

// MaxEvidence is the largest evidence file accepted.
const MaxEvidence = 20 << 20

// EvidenceTypes are the kinds of evidence files accepted.
var EvidenceTypes = []web.FileType{web.PDF, web.XLSX, web.DOCX, web.PNG, web.JPEG, web.Text}

// Who may do what on the register's pages.
var (
	// Editors enter, edit and verify actions and see every department's.
	Editors = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant)
	// readRule: editors, internal auditors and viewers read the whole
	// register; an auditee reads their own department sub-tree's actions.
	readRule = web.Allow(web.RoleAdmin, web.RoleConsultant, web.RoleAuditor, web.RoleViewer).Scoped(web.RoleAuditee)
	// updateRule: progress and evidence come from the owner department
	// (auditee, in their sub-tree) and from the editors.
	updateRule = web.Allow(web.RoleAdmin, web.RoleConsultant).Scoped(web.RoleAuditee)
)

// Web is the register's pages under /improve.
type Web struct {
	store *Store
	org   org.Reader
	log   *auditlog.Log
	now   func() time.Time
}

// NewWeb returns the register's pages on store.
func NewWeb(store *Store, log *auditlog.Log) *Web {
	return &Web{store: store, org: store.org, log: log, now: store.now}
}

// Routes registers the pages; every route on one action checks the
// action's department against the user's scope.
func (w *Web) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("improve", templateFS, "templates"); err != nil {
		return err
	}
	obj := web.Object{Kind: "improve.action", Allow: w.allow}
	edit := Editors.Rule()
	rt.Handle("GET /improve", readRule, w.list)
	rt.Handle("GET /improve/export", readRule, w.export)
	rt.Handle("GET /improve/document", readRule, w.document)
	rt.Handle("GET /improve/new", edit, w.newForm)
	rt.Handle("POST /improve", edit, w.create)
	rt.Handle("GET /improve/{id}", readRule.On(obj), w.detail)
	rt.Handle("GET /improve/{id}/edit", edit.On(obj), w.editForm)
	rt.Handle("POST /improve/{id}", edit.On(obj), w.save)
	rt.Handle("POST /improve/{id}/status", updateRule.On(obj), w.setStatus)
	rt.Handle("POST /improve/{id}/verify", edit.On(obj), w.verify)
	rt.Handle("POST /improve/{id}/evidence", updateRule.WithUpload().WithBodyLimit(MaxEvidence+(1<<20)).On(obj), w.addEvidence)
	// Evidence is reached through its action: whoever may see the action.
	evidence := web.Object{Kind: "improve.evidence", Param: "file", Allow: func(ctx context.Context, u *web.User, sc web.Scope, id int64) (bool, error) {
		aid, err := w.store.EvidenceAction(ctx, id)
		if err != nil {
			return false, err
		}
		return w.allow(ctx, u, sc, aid)
	}}
	rt.Handle("GET /improve/{id}/evidence/{file}", readRule.On(obj).On(evidence), w.evidenceFile)
	return nil
}

// allow is the object check: every action exists for the whole-ward
// roles; a department-scoped user reaches only the actions owned by their
// department or one below it.
func (w *Web) allow(ctx context.Context, u *web.User, scope web.Scope, id int64) (bool, error) {
	a, err := w.store.Get(ctx, id)
	if errors.Is(err, database.ErrNotFound) {
		return false, web.NotFound()
	}
	if err != nil {
		return false, err
	}
	if scope == web.ScopeAll {
		return true, nil
	}
	if a.OwnerDepartmentID == 0 || u.DepartmentID == 0 {
		return false, nil
	}
	return w.org.Within(ctx, a.OwnerDepartmentID, u.DepartmentID)
}

// within is the owner departments the user may see on this request: nil
// for the whole ward, else their own sub-tree (empty: none).
func (w *Web) within(r *http.Request) ([]int64, error) {
	if web.ScopeFrom(r.Context()) == web.ScopeAll {
		return nil, nil
	}
	u := web.UserFrom(r.Context())
	if u == nil || u.DepartmentID == 0 {
		return []int64{}, nil
	}
	tree, err := w.org.Departments(r.Context())
	if err != nil {
		return nil, err
	}
	ids := tree.Subtree(u.DepartmentID)
	if ids == nil {
		ids = []int64{}
	}
	return ids, nil
}

// visibleDepartments are the departments the user may filter by.
func (w *Web) visibleDepartments(ctx context.Context, within []int64) ([]*org.Department, error) {
	tree, err := w.org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	ds := tree.Flat()
	if within == nil {
		return ds, nil
	}
	ok := map[int64]bool{}
	for _, id := range within {
		ok[id] = true
	}
	var out []*org.Department
	for _, d := range ds {
		if ok[d.ID] {
			out = append(out, d)
		}
	}
	return out, nil
}

// listSpec is the register's list; the export and the document use it
// too, so they hold exactly the rows on screen.
var listSpec = &web.ListSpec{
	Path: "/improve", ExportPath: "/improve/export",
	Sorts:       []web.ListSort{{Key: "no", Label: "No"}, {Key: "risk", Label: "リスク"}, {Key: "due", Label: "期限"}, {Key: "status", Label: "状況"}, {Key: "updated", Label: "更新日"}},
	DefaultSort: "due",
	Filters: []web.ListFilter{
		web.FiscalYearFilter("year"),
		{Key: "source", Label: "出典", Options: sourceOptions()},
		{Key: "status", Label: "状況", Options: statusOptions()},
		{Key: "department", Label: "所属（配下を含む）"},
		{Key: "overdue", Label: "期限超過のみ", Kind: web.FilterCheck},
	},
	Search: "キーワード", SearchHint: "件名・内容・出典・条項・メモから探します（全角・半角、ひらがな・カタカナを区別しません）",
	Noun: "改善措置", Label: "改善措置の絞り込み",
	Empty: "改善措置はまだ登録されていません。監査の指摘・訓練の評価・インシデントの再発防止策などから登録されるほか、「改善措置を登録」から追加できます。",
}

func sourceOptions() []web.ListOption {
	var out []web.ListOption
	for _, s := range Sources {
		out = append(out, web.ListOption{Value: string(s), Label: s.Label()})
	}
	return out
}

func statusOptions() []web.ListOption {
	out := []web.ListOption{{Value: StatusUnfinished, Label: "未完了（未着手・対応中）"}}
	for _, s := range Statuses {
		out = append(out, web.ListOption{Value: string(s), Label: s.Label()})
	}
	return out
}

// listRow is one action on the list.
type listRow struct {
	Action
	Overdue bool
}

// listView is the list page's data.
type listView struct {
	List    *web.List
	Rows    []listRow
	Summary Summary
	CanEdit bool
	Scoped  bool
}

// StatusLink is the list narrowed to one status (from the totals).
func (v listView) StatusLink(st string) string {
	return v.List.Link("status", st, "overdue", "")
}

// OverdueLink is the list of overdue actions.
func (v listView) OverdueLink() string { return v.List.Link("status", "", "overdue", "1") }

// DocumentLink is the register document in format (pdf, docx).
func (v listView) DocumentLink(format string) string {
	return v.List.At("/improve/document", "format", format)
}

// listFilter parses the request as the list and turns it into the store's
// filter with the user's scope applied; the year and department choices
// depend on the request.
func (w *Web) listFilter(r *http.Request) (*web.List, Filter, []int64, error) {
	ctx := r.Context()
	l := listSpec.Parse(r)
	within, err := w.within(r)
	if err != nil {
		return nil, Filter{}, nil, err
	}
	years, err := w.store.Years(ctx)
	if err != nil {
		return nil, Filter{}, nil, err
	}
	if fy := w.org.CurrentFiscalYear(ctx); fy != 0 && !containsInt(years, fy) {
		years = append([]int{fy}, years...)
	}
	l.SetOptions("year", web.FiscalYearOptions(years))
	depts, err := w.visibleDepartments(ctx, within)
	if err != nil {
		return nil, Filter{}, nil, err
	}
	var dopts []web.ListOption
	for _, d := range depts {
		dopts = append(dopts, web.ListOption{Value: strconv.FormatInt(d.ID, 10), Label: d.Path})
	}
	l.SetOptions("department", dopts)
	f := Filter{FiscalYear: int(l.Int64("year")), Source: Source(l.Value("source")), Status: l.Value("status"),
		DepartmentID: l.Int64("department"), Within: within, Q: l.Q, Sort: l.Sort, Desc: l.Desc}
	if l.Value("overdue") != "" {
		f.OverdueAt = w.now()
	}
	return l, f, within, nil
}

func (w *Web) list(rw http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	l, f, within, err := w.listFilter(r)
	if err != nil {
		return err
	}
	f.Limit, f.Offset = l.Limit(), l.Offset()
	now := w.now()
	as, total, err := w.store.List(ctx, f)
	if err != nil {
		return err
	}
	l.SetTotal(total)
	// The totals by status cover the other filters, so that each status
	// can be picked from them.
	sf := f
	sf.Status, sf.OverdueAt = "", time.Time{}
	sum, err := w.store.Summarize(ctx, sf, now)
	if err != nil {
		return err
	}
	v := listView{List: l, Summary: sum, CanEdit: Editors.Allows(r), Scoped: within != nil}
	for _, a := range as {
		v.Rows = append(v.Rows, listRow{Action: a, Overdue: a.OverdueAt(now)})
	}
	return web.Render(rw, r, http.StatusOK, "improve/list", Title, v)
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func stamp(t time.Time) string { return t.In(jp.JST).Format("20060102") }

func (w *Web) export(rw http.ResponseWriter, r *http.Request) error {
	format, err := tabular.ParseFormat(r.URL.Query().Get("format"))
	if err != nil {
		return web.Invalid("%s", err.Error())
	}
	l, f, _, err := w.listFilter(r)
	if err != nil {
		return err
	}
	if err := l.Err(); err != nil {
		return err
	}
	as, _, err := w.store.List(r.Context(), f)
	if err != nil {
		return err
	}
	now := w.now()
	name := tabular.FileName(Title, stamp(now), format)
	d := web.Download{Name: name, ContentType: format.ContentType, Target: "improvement_actions.export",
		Detail: fmt.Sprintf("%s（%d 件）", name, len(as))}
	return web.Send(rw, r, w.log, d, func(out io.Writer) error { return tabular.Write(out, format, ListTable(as, now)) })
}

func (w *Web) document(rw http.ResponseWriter, r *http.Request) error {
	name := r.URL.Query().Get("format")
	if name == "" {
		name = "pdf"
	}
	format, err := formats.Parse(name, "pdf", "docx")
	if err != nil {
		return web.Invalid("%s", err.Error())
	}
	l, f, within, err := w.listFilter(r)
	if err != nil {
		return err
	}
	if err := l.Err(); err != nil {
		return err
	}
	ctx := r.Context()
	as, _, err := w.store.List(ctx, f)
	if err != nil {
		return err
	}
	now := w.now()
	sf := f
	sf.Sort, sf.Desc = "", false
	sum, err := w.store.Summarize(ctx, sf, now)
	if err != nil {
		return err
	}
	info := DocumentInfo{Ward: w.org.WardName(ctx), FiscalYear: f.FiscalYear, Now: now}
	if within != nil {
		if u := web.UserFrom(ctx); u != nil {
			if ds, err := w.store.departments(ctx); err == nil {
				info.Scope = ds[u.DepartmentID].Name + "の改善措置"
			}
		}
	}
	stem := Title
	if f.FiscalYear != 0 {
		stem += "_" + jp.FiscalYearLabel(f.FiscalYear)
	}
	d := web.Download{Name: format.FileName(stem + "_" + stamp(now)), ContentType: format.ContentType, Target: "improvement_actions.document"}
	return web.Send(rw, r, w.log, d, func(out io.Writer) error { return format.Render(out, Document(as, sum, info)) })
}
