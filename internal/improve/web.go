package improve

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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

// invalid turns filter and form errors into a 400 naming the field.
func invalid(err error) error {
	var fe FieldErrors
	if errors.As(err, &fe) {
		return web.Invalid("%s", fe.Error())
	}
	return err
}

// filterQuery reads the list filters from a query, in the canonical form
// the links are built from.
func filterQuery(q url.Values) (Filter, url.Values, error) {
	var f Filter
	out := url.Values{}
	if y := strings.TrimSpace(q.Get("year")); y != "" {
		fy, err := jp.ParseFiscalYear(y)
		if err != nil {
			return f, nil, web.Invalid("年度の指定が正しくありません: %s", y)
		}
		f.FiscalYear = fy
		out.Set("year", strconv.Itoa(fy))
	}
	if s := q.Get("source"); s != "" {
		f.Source = Source(s)
		out.Set("source", s)
	}
	if s := q.Get("status"); s != "" {
		f.Status = s
		out.Set("status", s)
	}
	if d := q.Get("department"); d != "" {
		id, err := strconv.ParseInt(d, 10, 64)
		if err != nil || id <= 0 {
			return f, nil, web.Invalid("所属の指定が正しくありません。")
		}
		f.DepartmentID = id
		out.Set("department", d)
	}
	if q.Get("overdue") != "" {
		out.Set("overdue", "1")
	}
	if s := strings.TrimSpace(q.Get("q")); s != "" {
		f.Q = s
		out.Set("q", s)
	}
	if s := q.Get("sort"); s != "" {
		f.Sort = s
		out.Set("sort", s)
	}
	if q.Get("dir") == "desc" {
		f.Desc = true
		out.Set("dir", "desc")
	}
	return f, out, f.check()
}

// listRow is one action on the list.
type listRow struct {
	Action
	Overdue bool
}

// listView is the list page's data.
type listView struct {
	Rows     []listRow
	Total    int
	Summary  Summary
	Filter   Filter
	Query    url.Values
	Years    []int
	Sources  []Source
	Statuses []Status
	Depts    []*org.Department
	Page     int
	Pages    int
	CanEdit  bool
	Scoped   bool
	Formats  []tabular.Format
	Today    time.Time
}

// Get is a filter's value as given.
func (v listView) Get(k string) string { return v.Query.Get(k) }

// link is the list with the filters and the given changes.
func (v listView) link(path string, kv ...string) string {
	q := url.Values{}
	for k, vs := range v.Query {
		q[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	if e := q.Encode(); e != "" {
		return path + "?" + e
	}
	return path
}

// PageLink is page n of the list.
func (v listView) PageLink(n int) string {
	if n <= 1 {
		return v.link("/improve")
	}
	return v.link("/improve", "page", strconv.Itoa(n))
}

// StatusLink is the list narrowed to one status (from the totals).
func (v listView) StatusLink(st string) string {
	return v.link("/improve", "status", st, "overdue", "")
}

// OverdueLink is the list of overdue actions.
func (v listView) OverdueLink() string { return v.link("/improve", "status", "", "overdue", "1") }

// SortLink sorts by key, reversing the order when the list is sorted by it.
func (v listView) SortLink(key string) string {
	cur := v.Filter.Sort
	if cur == "" {
		cur = "due"
	}
	dir := ""
	if cur == key && !v.Filter.Desc {
		dir = "desc"
	}
	return v.link("/improve", "sort", key, "dir", dir)
}

// SortState is the aria-sort value of a column.
func (v listView) SortState(key string) string {
	cur := v.Filter.Sort
	if cur == "" {
		cur = "due"
	}
	switch {
	case cur != key:
		return "none"
	case v.Filter.Desc:
		return "descending"
	}
	return "ascending"
}

// ExportLink is the list as a file of format (csv, csv-utf8, xlsx).
func (v listView) ExportLink(format string) string {
	return v.link("/improve/export", "format", format, "page", "")
}

// DocumentLink is the register document in format (pdf, docx).
func (v listView) DocumentLink(format string) string {
	return v.link("/improve/document", "format", format, "page", "")
}

// listFilter is the request's filter with the user's scope applied.
func (w *Web) listFilter(r *http.Request) (Filter, url.Values, []int64, error) {
	f, q, err := filterQuery(r.URL.Query())
	if err != nil {
		return f, q, nil, invalid(err)
	}
	if q.Get("overdue") != "" {
		f.OverdueAt = w.now()
	}
	within, err := w.within(r)
	if err != nil {
		return f, q, nil, err
	}
	f.Within = within
	return f, q, within, nil
}

const pageSize = 50

func (w *Web) list(rw http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, q, within, err := w.listFilter(r)
	if err != nil {
		return err
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	f.Limit, f.Offset = pageSize, (page-1)*pageSize
	now := w.now()
	as, total, err := w.store.List(ctx, f)
	if err != nil {
		return invalid(err)
	}
	// The totals by status cover the other filters, so that each status
	// can be picked from them.
	sf := f
	sf.Status, sf.OverdueAt = "", time.Time{}
	sum, err := w.store.Summarize(ctx, sf, now)
	if err != nil {
		return invalid(err)
	}
	years, err := w.store.Years(ctx)
	if err != nil {
		return err
	}
	if fy := w.org.CurrentFiscalYear(ctx); fy != 0 && !containsInt(years, fy) {
		years = append([]int{fy}, years...)
	}
	depts, err := w.visibleDepartments(ctx, within)
	if err != nil {
		return err
	}
	v := listView{Total: total, Summary: sum, Filter: f, Query: q, Years: years, Sources: Sources, Statuses: Statuses, Depts: depts,
		Page: page, Pages: max(1, (total+pageSize-1)/pageSize), CanEdit: Editors.Allows(r), Scoped: within != nil, Formats: tabular.Formats, Today: now}
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
	f, _, _, err := w.listFilter(r)
	if err != nil {
		return err
	}
	as, _, err := w.store.List(r.Context(), f)
	if err != nil {
		return invalid(err)
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
	f, _, within, err := w.listFilter(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	as, _, err := w.store.List(ctx, f)
	if err != nil {
		return invalid(err)
	}
	now := w.now()
	sf := f
	sf.Sort, sf.Desc = "", false
	sum, err := w.store.Summarize(ctx, sf, now)
	if err != nil {
		return invalid(err)
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
