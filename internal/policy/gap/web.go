package gap

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

func filterOf(r *http.Request) Filter {
	q := r.URL.Query()
	return Filter{Status: q.Get("status"), Decision: q.Get("decision"), Flag: q.Get("flag"), Chapter: q.Get("chapter"), Q: strings.TrimSpace(q.Get("q"))}
}

// tableView is the table page's data.
type tableView struct {
	T         Table
	Rows      []Row
	All       int
	Summary   Summary
	Filter    Filter
	Chapters  []ChapterCounts
	CanEdit   bool
	Statuses  []string
	Decisions []string
	Columns   []string
	Flags     []struct{ Key, Label string }
	RawQuery  string
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
	all, err := w.store.Rows(r.Context(), id, Filter{})
	if err != nil {
		return err
	}
	f := filterOf(r)
	rows := all
	if !f.Empty() {
		if rows, err = w.store.Rows(r.Context(), id, f); err != nil {
			return err
		}
	}
	sum := Summarize(all)
	return web.Render(rw, r, http.StatusOK, "gap/table", t.Title, tableView{T: t, Rows: rows, All: len(all), Summary: sum, Filter: f, Chapters: sum.Chapters,
		CanEdit: editors.Allows(r), Statuses: Statuses, Decisions: Decisions, Columns: StatusColumns(), Flags: flagFilters, RawQuery: r.URL.RawQuery})
}

func (w *Web) output(r *http.Request) Output {
	return Output{Ward: w.org.WardName(r.Context()), Date: w.now()}
}

// download sends the whole table in format f, named from its title and
// year, and recorded in the audit log with its row count.
func (w *Web) download(rw http.ResponseWriter, r *http.Request, f formats.Format, render func(io.Writer, Table, []Row) error) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	t, err := w.store.Table(r.Context(), id)
	if err != nil {
		return err
	}
	rows, err := w.store.Rows(r.Context(), id, Filter{})
	if err != nil {
		return err
	}
	name := web.JoinFileName(f.Name, t.Title, jp.FiscalYearLabel(t.FiscalYear))
	d := web.Download{Name: name, ContentType: f.ContentType, Target: fmt.Sprintf("policy_gap_table:%d", t.ID), Detail: fmt.Sprintf("%s（%d 行）", name, len(rows))}
	return web.Send(rw, r, w.log, d, func(out io.Writer) error { return render(out, t, rows) })
}

func (w *Web) exportXLSX(rw http.ResponseWriter, r *http.Request) error {
	return w.download(rw, r, formats.XLSX, func(out io.Writer, t Table, rows []Row) error {
		return RenderXLSX(out, Document(t, rows, w.output(r), true))
	})
}

func (w *Web) exportPDF(rw http.ResponseWriter, r *http.Request) error {
	return w.download(rw, r, formats.PDF, func(out io.Writer, t Table, rows []Row) error {
		return formats.PDF.Render(out, Document(t, rows, w.output(r), false))
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

// rowView is the row edit page's data.
type rowView struct {
	T          Table
	R          Row
	Values     url.Values
	Errors     FieldErrors
	Prev, Next int64
	Statuses   []string
	Decisions  []string
}

func (v rowView) Get(k string) string { return v.Values.Get(k) }
func (v rowView) Err(k string) string { return v.Errors[k] }

// editValues fills the row form; the decision date is shown in 和暦.
func editValues(e Edit) url.Values {
	return url.Values{"provisions": {e.Provisions}, "status": {e.Status}, "difference": {e.Difference}, "issue": {e.Issue},
		"decision": {e.Decision}, "reason": {e.Reason}, "decision_date": {Row{DecisionDate: e.DecisionDate}.DecisionWareki()}, "planned": {e.Planned}}
}

func (w *Web) rowPage(rw http.ResponseWriter, r *http.Request, status int, row Row, vals url.Values, fe FieldErrors) error {
	t, err := w.store.Table(r.Context(), row.TableID)
	if err != nil {
		return err
	}
	v := rowView{T: t, R: row, Values: vals, Errors: fe, Statuses: Statuses, Decisions: Decisions}
	if v.Prev, v.Next, err = w.store.Neighbours(r.Context(), row.TableID, row.Seq); err != nil {
		return err
	}
	return web.Render(rw, r, status, "gap/row", fmt.Sprintf("No.%d %s", row.Seq, row.Clause()), v)
}

func (w *Web) rowForm(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	row, err := w.store.Row(r.Context(), id)
	if err != nil {
		return err
	}
	return w.rowPage(rw, r, http.StatusOK, row, editValues(EditOf(row)), nil)
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
		return w.rowPage(rw, r, http.StatusBadRequest, row, r.PostForm, fe)
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
	return web.Redirect(rw, r, fmt.Sprintf("/policy/gap/%d#row-%d", row.TableID, row.ID), msg, true)
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
