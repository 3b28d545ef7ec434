package gap

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/docgen/formats"
	"mamori/internal/jp"
	"mamori/internal/org"
	"mamori/internal/web"
)

//go:embed templates
var templateFS embed.FS

// Web is the gap-table screens under /policy/gap.
type Web struct {
	db    *database.DB
	store *Store
	cat   *catalog.Store
	org   org.Reader // the ward's name and the working year
	log   *auditlog.Log
	now   func() time.Time
}

// NewWeb returns the gap-table screens; now is the clock (nil: time.Now)
// and o the organisation read API (nil: a reader of its own).
func NewWeb(db *database.DB, log *auditlog.Log, now func() time.Time, o org.Reader) *Web {
	if now == nil {
		now = time.Now
	}
	if o == nil {
		o = org.NewReader(db, now)
	}
	return &Web{db: db, store: NewStore(db, log), cat: catalog.NewStore(db), org: o, log: log, now: now}
}

// Who uses gap tables: the security office and the consultant edit;
// internal auditors and viewers read and download.
var (
	readers = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleAuditor, web.RoleViewer)
	editors = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant)
)

// Routes registers the pages.
func (w *Web) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("gap", templateFS, "templates"); err != nil {
		return err
	}
	read, edit := readers.Rule(), editors.Rule()
	rt.Handle("GET /policy/gap", read, w.list)
	rt.Handle("GET /policy/gap/new", edit, w.newForm)
	rt.Handle("POST /policy/gap", edit, w.create)
	// Gap tables are ward-wide: every role a route admits may use every
	// table and row that exists.
	table := web.AnyObject("gap.table", func(ctx context.Context, id int64) error {
		_, err := w.store.Table(ctx, id)
		return err
	})
	row := web.AnyObject("gap.row", func(ctx context.Context, id int64) error {
		_, err := w.store.Row(ctx, id)
		return err
	})
	rt.Handle("GET /policy/gap/{id}", read.On(table), w.table)
	rt.Handle("GET /policy/gap/{id}/xlsx", read.On(table), w.exportXLSX)
	rt.Handle("GET /policy/gap/{id}/pdf", read.On(table), w.exportPDF)
	rt.Handle("POST /policy/gap/{id}/bulk", edit.On(table), w.bulk)
	rt.Handle("GET /policy/gap/{id}/import", edit.On(table), w.importForm)
	rt.Handle("POST /policy/gap/{id}/import", edit.WithUpload().On(table), w.importFile)
	rt.Handle("GET /policy/gap/rows/{id}/view", read.On(row), w.rowDetail)
	rt.Handle("GET /policy/gap/rows/{id}/edit", edit.On(row), w.rowForm)
	rt.Handle("POST /policy/gap/rows/{id}/edit", edit.On(row), w.saveRow)
	return nil
}

func userID(r *http.Request) int64 {
	if u := web.UserFrom(r.Context()); u != nil {
		return u.ID
	}
	return 0
}

func (w *Web) list(rw http.ResponseWriter, r *http.Request) error {
	ts, err := w.store.Tables(r.Context())
	if err != nil {
		return err
	}
	return web.Render(rw, r, http.StatusOK, "gap/list", "相違点整合表", map[string]any{"Tables": ts, "CanEdit": editors.Allows(r)})
}

// newView is the create form's data.
type newView struct {
	Frameworks []catalog.StoredFramework
	Values     url.Values
	Errors     FieldErrors
}

func (v newView) Get(k string) string { return v.Values.Get(k) }
func (v newView) Err(k string) string { return v.Errors[k] }
func (v newView) Is(k string, id int64) bool {
	return v.Values.Get(k) == strconv.FormatInt(id, 10)
}

// defaults picks the newest edition of the national policy guideline,
// the edition before it and the ward policy, when the catalogue has them.
func defaults(fws []catalog.StoredFramework, fy int) url.Values {
	v := url.Values{}
	var guides []catalog.StoredFramework
	for _, f := range fws {
		switch f.Code {
		case "mic-policy":
			guides = append(guides, f)
		case "hinode-policy":
			v.Set("ward", strconv.FormatInt(f.ID, 10))
		}
	}
	if g, p, ok := newestTwo(guides); ok {
		v.Set("guideline", strconv.FormatInt(g.ID, 10))
		if p.ID != 0 {
			v.Set("previous", strconv.FormatInt(p.ID, 10))
		}
		v.Set("title", "情報セキュリティポリシー相違点整合表（"+g.Version+"版ガイドライン）")
	}
	v.Set("fiscal_year", jp.FiscalYearLabel(fy))
	return v
}

// newestTwo returns the newest and the second newest editions by their
// 和暦 version (令和7年3月 > 令和6年10月), or by import order when the
// versions are not dates.
func newestTwo(fs []catalog.StoredFramework) (newest, prev catalog.StoredFramework, ok bool) {
	if len(fs) == 0 {
		return newest, prev, false
	}
	key := func(f catalog.StoredFramework) string {
		if t, err := jp.ParseDate(f.Version + "1日"); err == nil {
			return t.Format("2006-01-02")
		}
		return fmt.Sprintf("~%012d", f.ID)
	}
	for _, f := range fs {
		switch {
		case newest.ID == 0 || key(f) > key(newest):
			prev, newest = newest, f
		case prev.ID == 0 || key(f) > key(prev):
			prev = f
		}
	}
	return newest, prev, true
}

func (w *Web) newForm(rw http.ResponseWriter, r *http.Request) error {
	fws, err := w.cat.Frameworks(r.Context())
	if err != nil {
		return err
	}
	return web.Render(rw, r, http.StatusOK, "gap/new", "相違点整合表の作成", newView{Frameworks: fws, Values: defaults(fws, w.org.CurrentFiscalYear(r.Context()))})
}

func formID(r *http.Request, k string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(r.FormValue(k)), 10, 64)
	return n
}

func (w *Web) create(rw http.ResponseWriter, r *http.Request) error {
	nt := NewTable{Title: r.FormValue("title"), GuidelineID: formID(r, "guideline"), WardID: formID(r, "ward"), PreviousID: formID(r, "previous"), Note: r.FormValue("note")}
	var fe FieldErrors
	fy, err := jp.ParseFiscalYear(r.FormValue("fiscal_year"))
	if err != nil {
		fe = FieldErrors{"fiscal_year": "年度は 令和8年度 か 2026 の形で入力してください。"}
	}
	nt.FiscalYear = fy
	var id int64
	if fe == nil {
		id, err = Create(r.Context(), w.db, w.log, nt, userID(r), w.now())
		if err != nil && !errors.As(err, &fe) {
			return err
		}
	}
	if fe != nil {
		fws, err := w.cat.Frameworks(r.Context())
		if err != nil {
			return err
		}
		return web.Render(rw, r, http.StatusBadRequest, "gap/new", "相違点整合表の作成", newView{Frameworks: fws, Values: r.PostForm, Errors: fe})
	}
	return web.Redirect(rw, r, fmt.Sprintf("/policy/gap/%d", id), "相違点整合表を作成しました。フラグの付いた行から確認してください。", true)
}

// rowSpec is the list of a gap table's rows. Its paths name the table, so
// rowList completes a copy per request; the page and both downloads parse
// every request with it, so a file holds exactly the rows the page lists.
var rowSpec = web.ListSpec{
	// a table has some 60–150 rows: most tables fit one page
	Sizes: []int{100, 200},
	Sorts: []web.ListSort{{Key: "seq", Label: "No"}, {Key: "status", Label: "状況"}, {Key: "decision", Label: "対応方針"}},
	Filters: []web.ListFilter{
		{Key: "status", Label: "状況", Options: textOptions(StatusColumns())},
		{Key: "decision", Label: "対応方針", Options: textOptions(append(append([]string(nil), Decisions...), Unset))},
		{Key: "flag", Label: "フラグ", Options: flagOptions()},
		{Key: "chapter", Label: "章"},
	},
	Search:     "キーワード",
	SearchHint: "条項・要旨・区の規定・相違点・課題・理由・改正予定から探します（全角・半角、ひらがな・カタカナを区別しません）",
	Noun:       "行", Label: "行の絞り込み",
	Empty: "この整合表には行がありません。",
}

func textOptions(vs []string) []web.ListOption {
	out := make([]web.ListOption, len(vs))
	for i, v := range vs {
		out[i] = web.ListOption{Value: v, Label: v}
	}
	return out
}

func flagOptions() []web.ListOption {
	out := make([]web.ListOption, len(flagFilters))
	for i, f := range flagFilters {
		out[i] = web.ListOption{Value: f.Key, Label: f.Label}
	}
	return out
}

// rowList parses a request for the rows of table t (the page or a
// download): the list, the store's filter, and every row of the table
// (for the chapters and the summary).
func (w *Web) rowList(r *http.Request, t Table) (*web.List, Filter, []Row, error) {
	spec := rowSpec
	spec.Path = fmt.Sprintf("/policy/gap/%d", t.ID)
	l := spec.Parse(r)
	all, err := w.store.Rows(r.Context(), t.ID, Filter{})
	if err != nil {
		return nil, Filter{}, nil, err
	}
	var chapters []web.ListOption
	for _, c := range Summarize(all).Chapters {
		chapters = append(chapters, web.ListOption{Value: c.Title, Label: c.Chapter})
	}
	l.SetOptions("chapter", chapters)
	f := Filter{Status: l.Value("status"), Decision: l.Value("decision"), Flag: l.Value("flag"), Chapter: l.Value("chapter"), Q: l.Q}
	return l, f, all, nil
}

// sortRows orders rows (in table order) by status or decision, in their
// display order with 未設定 last, stably; "seq" keeps the table order.
func sortRows(rows []Row, key string, desc bool) {
	rank := func(list []string, v string) int {
		if i := slices.Index(list, v); i >= 0 {
			return i
		}
		return len(list)
	}
	var by func(Row) int
	switch key {
	case "status":
		by = func(r Row) int { return rank(Statuses, r.Status) }
	case "decision":
		by = func(r Row) int { return rank(Decisions, r.Decision) }
	default:
		if desc {
			slices.Reverse(rows)
		}
		return
	}
	slices.SortStableFunc(rows, func(a, b Row) int {
		if desc {
			return by(b) - by(a)
		}
		return by(a) - by(b)
	})
}

// condition describes the list's filters for a document: 状況: 未反映、章: 第4章　物理的セキュリティ.
func condition(l *web.List) string {
	var parts []string
	for _, f := range l.Filters {
		v := l.Value(f.Key)
		if v == "" {
			continue
		}
		for _, o := range f.Options {
			if o.Value == v {
				v = o.Label
			}
		}
		parts = append(parts, f.Label+": "+v)
	}
	if l.Q != "" {
		parts = append(parts, "キーワード: "+l.Q)
	}
	return strings.Join(parts, "、")
}

// tableView is the table page's data.
type tableView struct {
	T       Table
	List    *web.List
	Rows    []Row // this page's rows
	Matched []Row // every row the filters select (the bulk change's 「絞り込んだすべての行」)
	Summary Summary
	CanEdit bool
	// Chapters: the rows are in table order, so chapter headings go
	// between them.
	Chapters  bool
	Statuses  []string
	Decisions []string
	Columns   []string
}

// ClauseOf is a row's guideline clause as pages show it, its number in
// the guideline's own words (基本方針1 rather than B1).
func (v tableView) ClauseOf(r Row) string { return clauseOf(v.T, r) }

// NumberOf is a guideline clause number in the guideline's own words.
func (v tableView) NumberOf(n string) string { return catalog.ClauseNumberLabel(v.T.Guideline.Code, n) }

// NeedsDecision reports whether a row without a decision lacks one: its
// status is not set, or the ward policy does not (fully) reflect the clause.
func (v tableView) NeedsDecision(r Row) bool {
	return r.Status == "" || r.Status == StatusPartial || r.Status == StatusNotReflected
}

func clauseOf(t Table, r Row) string {
	if r.Kind == KindWard {
		return r.Clause()
	}
	return strings.TrimSpace(catalog.ClauseNumberLabel(t.Guideline.Code, r.Number) + " " + r.Title)
}

// StatusLink, DecisionLink, FlagLink and ChapterLink are the rows a
// summary count counts: the list narrowed to that one value.
func (v tableView) StatusLink(s string) string   { return v.List.Only("status", s) + "#rows" }
func (v tableView) DecisionLink(d string) string { return v.List.Only("decision", d) + "#rows" }
func (v tableView) FlagLink(f string) string     { return v.List.Only("flag", f) + "#rows" }
func (v tableView) ChapterLink(c string) string  { return v.List.Only("chapter", c) + "#rows" }

// CellLink is the rows of one chapter with one status (the matrix's cell).
func (v tableView) CellLink(chapter, status string) string {
	return v.List.Only("chapter", chapter, "status", status) + "#rows"
}

// ExportLink is a download (xlsx, pdf) of the rows the list selects.
func (v tableView) ExportLink(format string) string {
	return v.List.At(fmt.Sprintf("/policy/gap/%d/%s", v.T.ID, format))
}

// Back is the list's query, for the bulk change to come back to.
func (v tableView) Back() string {
	_, q, _ := strings.Cut(v.List.PageLink(v.List.Page), "?")
	return q
}

func (w *Web) table(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	t, err := w.store.Table(r.Context(), id)
	if err != nil {
		return err
	}
	l, f, all, err := w.rowList(r, t)
	if err != nil {
		return err
	}
	matched := all
	if !f.Empty() {
		if matched, err = w.store.Rows(r.Context(), id, f); err != nil {
			return err
		}
	}
	sorted := slices.Clone(matched)
	sortRows(sorted, l.Sort, l.Desc)
	l.SetTotal(len(sorted))
	page := sorted[min(l.Offset(), len(sorted)):min(l.Offset()+l.Limit(), len(sorted))]
	return web.Render(rw, r, http.StatusOK, "gap/table", t.Title, tableView{T: t, List: l, Rows: page, Matched: matched, Summary: Summarize(all),
		CanEdit: editors.Allows(r), Chapters: l.Sort == "seq", Statuses: Statuses, Decisions: Decisions, Columns: StatusColumns()})
}

func (w *Web) output(r *http.Request) Output {
	return Output{Ward: w.org.WardName(r.Context()), Date: w.now()}
}

// download sends the table in format f — the rows its list's filters
// select, in table order — named from its title and year, and recorded in
// the audit log with its row count.
func (w *Web) download(rw http.ResponseWriter, r *http.Request, f formats.Format, render func(io.Writer, Table, []Row, Output) error) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	t, err := w.store.Table(r.Context(), id)
	if err != nil {
		return err
	}
	l, filter, rows, err := w.rowList(r, t)
	if err != nil {
		return err
	}
	if err := l.Err(); err != nil {
		return err
	}
	out := w.output(r)
	if !filter.Empty() {
		if rows, err = w.store.Rows(r.Context(), id, filter); err != nil {
			return err
		}
		out.Condition = condition(l)
	}
	name := web.JoinFileName(f.Name, t.Title, jp.FiscalYearLabel(t.FiscalYear))
	detail := fmt.Sprintf("%s（%d 行）", name, len(rows))
	if out.Condition != "" {
		detail = fmt.Sprintf("%s（%d 行、絞り込み %s）", name, len(rows), out.Condition)
	}
	d := web.Download{Name: name, ContentType: f.ContentType, Target: fmt.Sprintf("policy_gap_table:%d", t.ID), Detail: detail}
	return web.Send(rw, r, w.log, d, func(dst io.Writer) error { return render(dst, t, rows, out) })
}

func (w *Web) exportXLSX(rw http.ResponseWriter, r *http.Request) error {
	return w.download(rw, r, formats.XLSX, func(out io.Writer, t Table, rows []Row, o Output) error {
		return RenderXLSX(out, Document(t, rows, o, true))
	})
}

func (w *Web) exportPDF(rw http.ResponseWriter, r *http.Request) error {
	return w.download(rw, r, formats.PDF, func(out io.Writer, t Table, rows []Row, o Output) error {
		return formats.PDF.Render(out, Document(t, rows, o, false))
	})
}

// backTo is the table page with the filters the user came from.
func backTo(id int64, raw string) string {
	q, err := url.ParseQuery(raw)
	path := fmt.Sprintf("/policy/gap/%d", id)
	if err != nil || len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

func (w *Web) bulk(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := w.store.Table(r.Context(), id); err != nil {
		return err
	}
	field := "row"
	if r.FormValue("scope") == "shown" {
		field = "shown"
	}
	var ids []int64
	for _, v := range r.PostForm[field] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return web.Invalid("行の指定が正しくありません。")
		}
		ids = append(ids, n)
	}
	status := r.FormValue("status")
	back := backTo(id, r.FormValue("back"))
	n, err := w.store.BulkStatus(r.Context(), id, ids, status, userID(r), w.now())
	var fe FieldErrors
	if errors.As(err, &fe) {
		return web.Redirect(rw, r, back, fe.Error(), false)
	}
	if err != nil {
		return err
	}
	label := status
	if status == "suggested" {
		label = "候補どおり"
	}
	return web.Redirect(rw, r, back, fmt.Sprintf("%d 行の状況を「%s」にしました（%d 行を選択）。", n, label, len(ids)), true)
}

// rowView is the row page's data: the row read-only (Edit false) or its
// edit form.
type rowView struct {
	T          Table
	R          Row
	Edit       bool
	CanEdit    bool
	Values     url.Values
	Errors     FieldErrors
	Prev, Next int64
	Statuses   []string
	Decisions  []string
	Back       string // the table's page that lists the row, at the row
}

// ClauseOf is the row's guideline clause as pages show it.
func (v rowView) ClauseOf(r Row) string { return clauseOf(v.T, r) }

// NumberOf is a guideline clause number in the guideline's own words.
func (v rowView) NumberOf(n string) string { return catalog.ClauseNumberLabel(v.T.Guideline.Code, n) }

// RowLink is another row's page, read-only or its form as this one.
func (v rowView) RowLink(id int64) string {
	if v.Edit {
		return fmt.Sprintf("/policy/gap/rows/%d/edit", id)
	}
	return fmt.Sprintf("/policy/gap/rows/%d/view", id)
}

func (v rowView) Get(k string) string { return v.Values.Get(k) }
func (v rowView) Err(k string) string { return v.Errors[k] }

// editValues fills the row form; the decision date is shown in 和暦.
func editValues(e Edit) url.Values {
	return url.Values{"provisions": {e.Provisions}, "status": {e.Status}, "difference": {e.Difference}, "issue": {e.Issue},
		"decision": {e.Decision}, "reason": {e.Reason}, "decision_date": {Row{DecisionDate: e.DecisionDate}.DecisionWareki()}, "planned": {e.Planned}}
}

// rowBack is the table's list page (unfiltered, in table order) that
// shows the row, at the row.
func (w *Web) rowBack(ctx context.Context, row Row) (string, error) {
	n, err := w.store.Before(ctx, row.TableID, row.Seq)
	if err != nil {
		return "", err
	}
	spec := rowSpec
	spec.Path = fmt.Sprintf("/policy/gap/%d", row.TableID)
	l := spec.ParseValues(url.Values{})
	return fmt.Sprintf("%s#row-%d", l.PageLink(n/l.Size+1), row.ID), nil
}

func (w *Web) rowPage(rw http.ResponseWriter, r *http.Request, status int, row Row, edit bool, vals url.Values, fe FieldErrors) error {
	t, err := w.store.Table(r.Context(), row.TableID)
	if err != nil {
		return err
	}
	v := rowView{T: t, R: row, Edit: edit, CanEdit: editors.Allows(r), Values: vals, Errors: fe, Statuses: Statuses, Decisions: Decisions}
	if v.Prev, v.Next, err = w.store.Neighbours(r.Context(), row.TableID, row.Seq); err != nil {
		return err
	}
	if v.Back, err = w.rowBack(r.Context(), row); err != nil {
		return err
	}
	return web.Render(rw, r, status, "gap/row", fmt.Sprintf("No.%d %s", row.Seq, clauseOf(t, row)), v)
}

// rowInPath loads the row named in the path.
func (w *Web) rowInPath(r *http.Request) (Row, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return Row{}, err
	}
	return w.store.Row(r.Context(), id)
}

// rowDetail shows a row in full, for every reader (the table clamps long
// cells and links here).
func (w *Web) rowDetail(rw http.ResponseWriter, r *http.Request) error {
	row, err := w.rowInPath(r)
	if err != nil {
		return err
	}
	return w.rowPage(rw, r, http.StatusOK, row, false, nil, nil)
}

func (w *Web) rowForm(rw http.ResponseWriter, r *http.Request) error {
	row, err := w.rowInPath(r)
	if err != nil {
		return err
	}
	return w.rowPage(rw, r, http.StatusOK, row, true, editValues(EditOf(row)), nil)
}

func (w *Web) saveRow(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	row, err := w.store.Row(r.Context(), id)
	if err != nil {
		return err
	}
	e := Edit{Provisions: r.FormValue("provisions"), Status: r.FormValue("status"), Difference: r.FormValue("difference"), Issue: r.FormValue("issue"),
		Decision: r.FormValue("decision"), Reason: r.FormValue("reason"), DecisionDate: r.FormValue("decision_date"), Planned: r.FormValue("planned")}
	changed, err := w.store.UpdateRow(r.Context(), id, e, userID(r), w.now())
	var fe FieldErrors
	if errors.As(err, &fe) {
		return w.rowPage(rw, r, http.StatusBadRequest, row, true, r.PostForm, fe)
	}
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("No.%d を保存しました。", row.Seq)
	if !changed {
		msg = fmt.Sprintf("No.%d は変更がありませんでした。", row.Seq)
	}
	if r.FormValue("next") != "" {
		_, next, err := w.store.Neighbours(r.Context(), row.TableID, row.Seq)
		if err != nil {
			return err
		}
		if next != 0 {
			return web.Redirect(rw, r, fmt.Sprintf("/policy/gap/rows/%d/edit", next), msg, true)
		}
	}
	back, err := w.rowBack(r.Context(), row)
	if err != nil {
		return err
	}
	return web.Redirect(rw, r, back, msg, true)
}

// importUpload is what the import accepts: one workbook.
var importUpload = web.Upload{MaxBytes: MaxImportSize, Types: []web.FileType{web.XLSX}, Fallback: "gap-table.xlsx"}

// importView is the import page's data.
type importView struct {
	T      Table
	Error  string
	Result *ImportResult
	DryRun bool
	MaxMB  int
}

func (w *Web) importForm(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	t, err := w.store.Table(r.Context(), id)
	if err != nil {
		return err
	}
	return web.Render(rw, r, http.StatusOK, "gap/import", "Excel からの取込み", importView{T: t, MaxMB: MaxImportSize >> 20, DryRun: true})
}

func (w *Web) importFile(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	t, err := w.store.Table(r.Context(), id)
	if err != nil {
		return err
	}
	v := importView{T: t, MaxMB: MaxImportSize >> 20, DryRun: r.FormValue("dry_run") != ""}
	fail := func(msg string) error {
		v.Error = msg
		return web.Render(rw, r, http.StatusBadRequest, "gap/import", "Excel からの取込み", v)
	}
	up, err := importUpload.Read(r)
	var we *web.Error
	if errors.As(err, &we) {
		return fail(we.Msg)
	}
	if err != nil {
		return err
	}
	res, err := w.store.Import(r.Context(), id, up.Data, !v.DryRun, userID(r), w.now())
	if msg, ok := ImportErrorOf(err); ok {
		return fail(msg)
	}
	var fe FieldErrors
	if errors.As(err, &fe) {
		return fail("取り込めませんでした（何も変更していません）: " + fe.Error())
	}
	if err != nil {
		return err
	}
	v.Result = res
	status := http.StatusOK
	if len(res.Errors) > 0 {
		status = http.StatusBadRequest
	}
	return web.Render(rw, r, status, "gap/import", "Excel からの取込み", v)
}
