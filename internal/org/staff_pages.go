package org

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"mamori/internal/jp"
	"mamori/internal/tabular"
	"mamori/internal/web"
)

// staffSpec is the roster list; the export parses with it too, so a file
// holds exactly the rows on screen.
var staffSpec = &web.ListSpec{
	Path: "/staff", ExportPath: "/staff/export",
	Sorts: []web.ListSort{{Key: "dept", Label: "所属"}, {Key: "no", Label: "職員番号"}, {Key: "kana", Label: "氏名（カナ順）"},
		{Key: "class", Label: "職層"}},
	Filters: []web.ListFilter{
		{Key: "department", Label: "所属（配下を含む）"},
		{Key: "job_class", Label: "職層", Options: []web.ListOption{{Value: JobGeneral, Label: JobGeneral}, {Value: JobManager, Label: JobManager}}},
		{Key: "flag", Label: "担当", Options: []web.ListOption{{Value: "system", Label: "システム担当者"},
			{Value: "protection", Label: "保護担当者"}, {Value: "mynumber", Label: "個人番号事務取扱担当者"}}},
		{Key: "status", Label: "在籍区分", Any: "在籍者", Options: []web.ListOption{{Value: "inactive", Label: "退職者"},
			{Value: "all", Label: "在籍者と退職者"}}},
	},
	Search: "氏名・フリガナ・職員番号・メール", SearchHint: "「田中 亮」「たなか」「ﾀﾅｶ」のどれでも探せます（全角・半角、ひらがな・カタカナ、空白の有無を区別しません）",
	Noun: "職員", Label: "職員の絞り込み",
	Empty: "職員名簿がまだありません。「名簿の取り込み」から CSV または Excel ファイルを取り込むか、「職員を登録」から登録してください。",
}

// readerEmpty is the empty state for those who cannot fill the roster: it
// names who can.
const readerEmpty = "職員名簿がまだありません。名簿は情報セキュリティ担当（管理者）が取り込みます。"

type staffListView struct {
	List    *web.List
	Staff   []Staff
	CanEdit bool
	Scoped  bool
}

// staffFilter parses the request as the roster list and turns it into the
// store's filter with the user's scope applied: a department-scoped user
// chooses among, and sees, their own department sub-tree only.
func (s *Service) staffFilter(r *http.Request, tree *Tree) (*web.List, StaffFilter, error) {
	ctx := r.Context()
	u := web.UserFrom(ctx)
	l := staffSpec.Parse(r)
	if u == nil || u.Role != web.RoleAdmin {
		l.Empty = readerEmpty
	}
	visible, err := s.VisibleDepartments(ctx, u, web.ScopeFrom(ctx))
	if err != nil {
		return nil, StaffFilter{}, err
	}
	var opts []web.ListOption
	for _, d := range tree.Flat() {
		if visible == nil || contains(visible, d.ID) {
			opts = append(opts, web.ListOption{Value: strconv.FormatInt(d.ID, 10), Label: deptOptionLabel(d)})
		}
	}
	l.SetOptions("department", opts)
	f := StaffFilter{Q: l.Q, JobClass: l.Value("job_class"), Flag: l.Value("flag"), Status: l.Value("status"), Sort: l.Sort, Desc: l.Desc}
	if id := l.Int64("department"); id > 0 {
		f.DepartmentIDs = tree.Subtree(id)
		if f.DepartmentIDs == nil {
			f.DepartmentIDs = []int64{}
		}
	}
	if visible != nil {
		f.DepartmentIDs = intersect(f.DepartmentIDs, visible)
	}
	return l, f, nil
}

// deptOptionLabel is a department in a select: its path (a closed select
// then still says which 庶務係 it is), with 廃止 marked.
func deptOptionLabel(d *Department) string {
	if !d.Active {
		return d.Path + "（廃止）"
	}
	return d.Path
}

// intersect narrows a (nil = everything) to the ids in b.
func intersect(a, b []int64) []int64 {
	if a == nil {
		return b
	}
	in := map[int64]bool{}
	for _, id := range b {
		in[id] = true
	}
	out := []int64{}
	for _, id := range a {
		if in[id] {
			out = append(out, id)
		}
	}
	return out
}

func (s *Service) staffList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	tree, err := s.Departments(ctx)
	if err != nil {
		return err
	}
	l, f, err := s.staffFilter(r, tree)
	if err != nil {
		return err
	}
	f.Limit, f.Offset = l.Limit(), l.Offset()
	list, total, err := s.StaffList(ctx, f, tree)
	if err != nil {
		return err
	}
	l.SetTotal(total)
	if l.Asked > 0 {
		list = nil
	}
	u := web.UserFrom(ctx)
	v := staffListView{List: l, Staff: list, CanEdit: u.Role == web.RoleAdmin, Scoped: web.ScopeFrom(ctx) != web.ScopeAll}
	return web.Render(w, r, http.StatusOK, "org/staff_list", "職員名簿", v)
}

func contains(xs []int64, x int64) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func flagMark(b bool) string {
	if b {
		return "○"
	}
	return ""
}

func (s *Service) staffExport(w http.ResponseWriter, r *http.Request) error {
	format, err := tabular.ParseFormat(r.URL.Query().Get("format"))
	if err != nil {
		return web.Invalid("%s", err.Error())
	}
	tree, err := s.Departments(r.Context())
	if err != nil {
		return err
	}
	l, f, err := s.staffFilter(r, tree)
	if err != nil {
		return err
	}
	if err := l.Err(); err != nil {
		return err
	}
	list, _, err := s.StaffList(r.Context(), f, tree)
	if err != nil {
		return err
	}
	t := StaffTable(list)
	name := tabular.FileName("職員名簿", stamp(s.now()), format)
	return web.Send(w, r, s.log, web.Download{Name: name, ContentType: format.ContentType, Target: "staff.export", Detail: fmt.Sprintf("%s（%d 件）", name, len(list))},
		func(out io.Writer) error { return tabular.Write(out, format, t) })
}

// StaffTable is the roster in the column layout the importer reads back.
func StaffTable(list []Staff) tabular.Table {
	t := tabular.Table{Sheet: "職員名簿", Headers: []string{"職員番号", "氏名", "フリガナ", "所属コード", "所属名", "職名", "職層", "メールアドレス",
		"システム担当者", "保護担当者", "個人番号事務取扱担当者", "在籍区分"}}
	for _, p := range list {
		status := "在籍"
		if !p.Active {
			status = "退職"
		}
		t.Rows = append(t.Rows, []string{p.EmployeeNo, p.Name, p.Kana, p.DeptCode, p.Department, p.JobTitle, p.JobClass, p.Email,
			flagMark(p.IsSystem), flagMark(p.IsProtection), flagMark(p.IsMyNumber), status})
	}
	return t
}

type staffShowView struct {
	Staff   Staff
	History []Assignment
	CanEdit bool
}

func (s *Service) staffShow(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.StaffMember(r.Context(), id)
	if err != nil {
		return err
	}
	if err := s.checkStaffScope(r, p); err != nil {
		return err
	}
	tree, err := s.Departments(r.Context())
	if err != nil {
		return err
	}
	if d := tree.ByID[p.DepartmentID]; d != nil {
		p.Department = d.Path
	}
	hist, err := s.History(r.Context(), id, tree)
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "org/staff_show", p.Name, staffShowView{Staff: p, History: hist, CanEdit: web.UserFrom(r.Context()).Role == web.RoleAdmin})
}

// checkStaffScope refuses a person outside the user's department scope.
func (s *Service) checkStaffScope(r *http.Request, p Staff) error {
	visible, err := s.VisibleDepartments(r.Context(), web.UserFrom(r.Context()), web.ScopeFrom(r.Context()))
	if err != nil {
		return err
	}
	if visible != nil && !contains(visible, p.DepartmentID) {
		s.auth.Denied(r.Context(), web.UserFrom(r.Context()), r.Method, r.URL.Path)
		return web.Forbidden()
	}
	return nil
}

func staffValues(p Staff) url.Values {
	return url.Values{"employee_no": {p.EmployeeNo}, "name": {p.Name}, "kana": {p.Kana}, "department_id": {strconv.FormatInt(p.DepartmentID, 10)},
		"job_class": {p.JobClass}, "job_title": {p.JobTitle}, "is_system": {boolValue(p.IsSystem)}, "is_protection": {boolValue(p.IsProtection)},
		"is_mynumber": {boolValue(p.IsMyNumber)}, "email": {p.Email}, "active": {boolValue(p.Active)}}
}

func staffInput(r *http.Request) StaffInput {
	return StaffInput{EmployeeNo: r.FormValue("employee_no"), Name: r.FormValue("name"), Kana: r.FormValue("kana"),
		DepartmentID: formInt(r, "department_id"), JobClass: r.FormValue("job_class"), JobTitle: r.FormValue("job_title"),
		IsSystem: formBool(r, "is_system"), IsProtection: formBool(r, "is_protection"), IsMyNumber: formBool(r, "is_mynumber"),
		Email: r.FormValue("email"), Active: formBool(r, "active")}
}

type staffFormView struct {
	ID    int64
	Form  formView
	Depts []*Department
}

func (s *Service) renderStaffForm(w http.ResponseWriter, r *http.Request, status int, id int64, f formView) error {
	tree, err := s.Departments(r.Context())
	if err != nil {
		return err
	}
	title := "職員の登録"
	if id != 0 {
		title = "職員情報の編集"
	}
	return web.Render(w, r, status, "org/staff_form", title, staffFormView{ID: id, Form: f, Depts: tree.Flat()})
}

func (s *Service) staffNew(w http.ResponseWriter, r *http.Request) error {
	return s.renderStaffForm(w, r, http.StatusOK, 0, formView{Values: url.Values{"job_class": {JobGeneral}, "active": {"1"}}})
}

func (s *Service) staffEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.StaffMember(r.Context(), id)
	if err != nil {
		return err
	}
	return s.renderStaffForm(w, r, http.StatusOK, id, formView{Values: staffValues(p)})
}

func (s *Service) staffCreate(w http.ResponseWriter, r *http.Request) error {
	return s.staffSave(w, r, 0)
}

func (s *Service) staffUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	return s.staffSave(w, r, id)
}

func (s *Service) staffSave(w http.ResponseWriter, r *http.Request, id int64) error {
	newID, err := s.SaveStaff(r.Context(), id, staffInput(r))
	if fe, ok := asFieldErrors(err); ok {
		return s.renderStaffForm(w, r, http.StatusBadRequest, id, formView{Values: r.PostForm, Errors: fe})
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/staff/%d", newID), "保存しました。", true)
}

// stamp is the date part of download names.
func stamp(t time.Time) string { return t.In(jp.JST).Format("20060102") }
