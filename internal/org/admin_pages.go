package org

import (
	"io"
	"net/http"
	"net/url"
	"strconv"

	"mamori/internal/jp"
	"mamori/internal/tabular"
	"mamori/internal/web"
)

// ---- departments ----

type deptListView struct {
	Tree    *Tree
	Roots   []*Department
	CanEdit bool
	Count   int
	Formats []tabular.Format
}

func (s *Service) deptList(w http.ResponseWriter, r *http.Request) error {
	tree, err := s.DepartmentsWithCounts(r.Context())
	if err != nil {
		return err
	}
	v := deptListView{Tree: tree, Roots: tree.Roots, CanEdit: web.UserFrom(r.Context()).Role == web.RoleAdmin, Count: len(tree.ByID), Formats: tabular.Formats}
	if web.ScopeFrom(r.Context()) != web.ScopeAll {
		u := web.UserFrom(r.Context())
		v.Roots = nil
		if d := tree.ByID[u.DepartmentID]; d != nil {
			v.Roots = []*Department{d}
		}
	}
	return web.Render(w, r, http.StatusOK, "org/dept_list", "所属（組織）", v)
}

func (s *Service) deptExport(w http.ResponseWriter, r *http.Request) error {
	format, err := tabular.ParseFormat(r.URL.Query().Get("format"))
	if err != nil {
		return web.Invalid("%s", err.Error())
	}
	tree, err := s.DepartmentsWithCounts(r.Context())
	if err != nil {
		return err
	}
	visible, err := s.VisibleDepartments(r.Context(), web.UserFrom(r.Context()), web.ScopeFrom(r.Context()))
	if err != nil {
		return err
	}
	t := departmentTable(tree, visible)
	name := tabular.FileName("所属一覧", stamp(s.now()), format)
	return web.Send(w, r, s.log, web.Download{Name: name, ContentType: format.ContentType, Target: "departments.export", Detail: name},
		func(out io.Writer) error { return tabular.Write(out, format, t) })
}

type deptFormView struct {
	ID     int64
	Form   formView
	Depts  []*Department
	Levels []string
}

func (s *Service) renderDeptForm(w http.ResponseWriter, r *http.Request, status int, id int64, f formView) error {
	tree, err := s.Departments(r.Context())
	if err != nil {
		return err
	}
	var parents []*Department
	for _, d := range tree.Flat() {
		if d.Level != "係" && d.ID != id {
			parents = append(parents, d)
		}
	}
	title := "所属の追加"
	if id != 0 {
		title = "所属の編集"
	}
	return web.Render(w, r, status, "org/dept_form", title, deptFormView{ID: id, Form: f, Depts: parents, Levels: Levels})
}

func (s *Service) deptNew(w http.ResponseWriter, r *http.Request) error {
	v := url.Values{"level": {"課"}, "active": {"1"}, "parent_id": {r.URL.Query().Get("parent")}}
	return s.renderDeptForm(w, r, http.StatusOK, 0, formView{Values: v})
}

func (s *Service) deptEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.Department(r.Context(), id)
	if err != nil {
		return err
	}
	v := url.Values{"code": {d.Code}, "name": {d.Name}, "level": {d.Level}, "parent_id": {strconv.FormatInt(d.ParentID, 10)},
		"sort_order": {strconv.Itoa(d.SortOrder)}, "active": {boolValue(d.Active)}, "has_counter": {boolValue(d.HasCounter)}}
	return s.renderDeptForm(w, r, http.StatusOK, id, formView{Values: v})
}

func (s *Service) deptCreate(w http.ResponseWriter, r *http.Request) error {
	return s.deptSave(w, r, 0)
}

func (s *Service) deptUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.Department(r.Context(), id); err != nil {
		return err
	}
	return s.deptSave(w, r, id)
}

func (s *Service) deptSave(w http.ResponseWriter, r *http.Request, id int64) error {
	in := DepartmentInput{Code: r.FormValue("code"), Name: r.FormValue("name"), Level: r.FormValue("level"), ParentID: formInt(r, "parent_id"),
		SortOrder: int(formInt(r, "sort_order")), Active: formBool(r, "active"), HasCounter: formBool(r, "has_counter")}
	_, err := s.SaveDepartment(r.Context(), id, in)
	if fe, ok := asFieldErrors(err); ok {
		return s.renderDeptForm(w, r, http.StatusBadRequest, id, formView{Values: r.PostForm, Errors: fe})
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, "/admin/departments", "所属「"+in.Name+"」を保存しました。", true)
}

// ---- fiscal years ----

type yearView struct {
	Years   []FiscalYear
	Form    formView
	Suggest int
}

func (s *Service) yearList(w http.ResponseWriter, r *http.Request) error {
	return s.renderYears(w, r, http.StatusOK, formView{})
}

func (s *Service) renderYears(w http.ResponseWriter, r *http.Request, status int, f formView) error {
	ys, err := s.FiscalYears(r.Context())
	if err != nil {
		return err
	}
	next := jp.FiscalYearOf(s.now())
	if len(ys) > 0 {
		next = ys[0].Year + 1
	}
	return web.Render(w, r, status, "org/years", "年度", yearView{Years: ys, Form: f, Suggest: next})
}

func (s *Service) yearCreate(w http.ResponseWriter, r *http.Request) error {
	y, err := jp.ParseFiscalYear(r.FormValue("year"))
	if err != nil {
		return s.renderYears(w, r, http.StatusBadRequest, formView{Values: r.PostForm, Errors: FieldErrors{"year": err.Error()}})
	}
	if err := s.AddFiscalYear(r.Context(), y, formBool(r, "current"), r.FormValue("note")); err != nil {
		if fe, ok := asFieldErrors(err); ok {
			return s.renderYears(w, r, http.StatusBadRequest, formView{Values: r.PostForm, Errors: fe})
		}
		return err
	}
	return web.Redirect(w, r, "/admin/years", jp.FiscalYearLabel(y)+"を登録しました。", true)
}

func (s *Service) yearCurrent(w http.ResponseWriter, r *http.Request) error {
	y, err := strconv.Atoi(r.PathValue("year"))
	if err != nil {
		return web.NotFound()
	}
	if err := s.SetCurrentFiscalYear(r.Context(), y); err != nil {
		return err
	}
	return web.Redirect(w, r, "/admin/years", jp.FiscalYearLabel(y)+"を現在の年度にしました。", true)
}

// ---- users ----

type userListView struct {
	Accounts     []Account
	TOTPRequired bool
}

func (s *Service) userList(w http.ResponseWriter, r *http.Request) error {
	as, err := s.Accounts(r.Context())
	if err != nil {
		return err
	}
	req, err := s.auth.TOTPRequired(r.Context())
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "org/users", "利用者と役割", userListView{Accounts: as, TOTPRequired: req})
}

type userFormView struct {
	ID    int64
	Login string
	Form  formView
	Roles []web.Role
	Depts []*Department
}

func (s *Service) renderUserForm(w http.ResponseWriter, r *http.Request, status int, id int64, login string, f formView) error {
	tree, err := s.Departments(r.Context())
	if err != nil {
		return err
	}
	title := "利用者の追加"
	if id != 0 {
		title = "利用者の編集"
	}
	return web.Render(w, r, status, "org/user_form", title, userFormView{ID: id, Login: login, Form: f, Roles: web.AllRoles, Depts: tree.Flat()})
}

func (s *Service) userNew(w http.ResponseWriter, r *http.Request) error {
	return s.renderUserForm(w, r, http.StatusOK, 0, "", formView{Values: url.Values{"role": {string(web.RoleStaff)}}})
}

func (s *Service) userEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.Account(r.Context(), id)
	if err != nil {
		return err
	}
	v := url.Values{"display_name": {a.DisplayName}, "role": {string(a.Role)}, "department_id": {strconv.FormatInt(a.DepartmentID, 10)}}
	return s.renderUserForm(w, r, http.StatusOK, id, a.Login, formView{Values: v, Extra: a})
}

func userInput(r *http.Request) AccountInput {
	return AccountInput{Login: r.FormValue("login"), DisplayName: r.FormValue("display_name"), Role: web.Role(r.FormValue("role")),
		DepartmentID: formInt(r, "department_id"), Password: r.FormValue("password")}
}

func (s *Service) userCreate(w http.ResponseWriter, r *http.Request) error {
	_, err := s.CreateAccount(r.Context(), userInput(r))
	if fe, ok := asFieldErrors(err); ok {
		return s.renderUserForm(w, r, http.StatusBadRequest, 0, "", formView{Values: r.PostForm, Errors: fe})
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, "/admin/users", "利用者を追加しました。", true)
}

func (s *Service) userUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.Account(r.Context(), id)
	if err != nil {
		return err
	}
	in := userInput(r)
	if id == web.UserFrom(r.Context()).ID && in.Role != web.RoleAdmin {
		return s.renderUserForm(w, r, http.StatusBadRequest, id, a.Login, formView{Values: r.PostForm, Errors: FieldErrors{"role": "自分自身の管理者権限は外せません。"}})
	}
	err = s.UpdateAccount(r.Context(), id, in)
	if fe, ok := asFieldErrors(err); ok {
		return s.renderUserForm(w, r, http.StatusBadRequest, id, a.Login, formView{Values: r.PostForm, Errors: fe})
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, "/admin/users", "利用者「"+a.Login+"」を更新しました。", true)
}

func (s *Service) userDisable(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if id == web.UserFrom(r.Context()).ID {
		return web.Invalid("自分自身は無効にできません。")
	}
	if err := s.SetDisabled(r.Context(), id, true); err != nil {
		return err
	}
	return web.Redirect(w, r, "/admin/users", "利用者を無効にしました（ログイン中のセッションも終了しました）。", true)
}

func (s *Service) userEnable(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.SetDisabled(r.Context(), id, false); err != nil {
		return err
	}
	return web.Redirect(w, r, "/admin/users", "利用者を有効にしました。", true)
}

func (s *Service) userTOTPReset(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.Account(r.Context(), id); err != nil {
		return err
	}
	if err := s.auth.DisableTOTP(r.Context(), id); err != nil {
		return err
	}
	return web.Redirect(w, r, "/admin/users", "二要素認証をリセットしました。本人が再設定する必要があります。", true)
}

// DepartmentTable lays out the whole tree for export.
func DepartmentTable(tree *Tree) tabular.Table { return departmentTable(tree, nil) }

func departmentTable(tree *Tree, visible []int64) tabular.Table {
	t := tabular.Table{Sheet: "所属一覧", Headers: []string{"所属コード", "所属名", "階層", "上位所属コード", "所属パス", "在籍者数", "窓口", "状態"}}
	for _, d := range tree.Flat() {
		if visible != nil && !contains(visible, d.ID) {
			continue
		}
		parent := ""
		if p := tree.ByID[d.ParentID]; p != nil {
			parent = p.Code
		}
		state := "有効"
		if !d.Active {
			state = "廃止"
		}
		t.Rows = append(t.Rows, []string{d.Code, d.Name, d.Level, parent, d.Path, strconv.Itoa(d.StaffCount), flagMark(d.HasCounter), state})
	}
	return t
}
