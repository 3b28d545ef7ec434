package org

import (
	"cmp"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"mamori/internal/jp"
	"mamori/internal/tabular"
	"mamori/internal/web"
)

// ---- departments ----

// deptNode is a department on the tree page.
type deptNode struct {
	*Department
	Kids    []*deptNode
	Open    bool // its <details> starts open
	Match   bool // it matches the search
	Context bool // shown only as the way down to a match (not exported)
}

type deptListView struct {
	Roots     []*deptNode
	CanEdit   bool
	Scoped    bool
	Count     int // departments the user may see
	Staff     int // their active staff
	Q         string
	Error     string // the search refused, shown beside the box
	Searching bool
	Matched   int // departments matching the search
	Exported  int // what an export holds: the matches and their sub-departments
	AllOpen   bool
	Folded    bool // some department with sub-departments starts closed
	Formats   []tabular.Format
	tree      *Tree
}

// link is the tree page (or its export) with the search kept.
func (v deptListView) link(path string, kv ...string) string {
	q := url.Values{}
	if v.Searching {
		q.Set("q", v.Q)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	if e := q.Encode(); e != "" {
		return path + "?" + e
	}
	return path
}

// OpenLink opens every level; CloseLink goes back to the 部 level.
func (v deptListView) OpenLink() string  { return v.link("/admin/departments", "open", "all") }
func (v deptListView) CloseLink() string { return v.link("/admin/departments") }

// ExportLink is the export of the departments shown (the matches and their
// sub-departments when searching).
func (v deptListView) ExportLink(format string) string {
	return v.link("/admin/departments/export", "format", format)
}

// deptView reads the tree page's request: the departments the user may
// see (their own sub-tree for a department-scoped role), the search, and
// which levels start open. The export reads it the same way.
func (s *Service) deptView(r *http.Request) (deptListView, error) {
	ctx := r.Context()
	tree, err := s.DepartmentsWithCounts(ctx)
	if err != nil {
		return deptListView{}, err
	}
	u := web.UserFrom(ctx)
	q := r.URL.Query()
	v := deptListView{tree: tree, CanEdit: u.Role == web.RoleAdmin, Scoped: web.ScopeFrom(ctx) != web.ScopeAll, Formats: tabular.Formats,
		Q: strings.TrimSpace(q.Get("q")), AllOpen: q.Get("open") == "all"}
	roots := tree.Roots
	if v.Scoped {
		roots = nil
		if d := tree.ByID[u.DepartmentID]; d != nil {
			roots = []*Department{d}
		}
	}
	var words []string
	switch {
	case len(v.Q) > 200:
		v.Error = "検索語は 200 バイト以内で入力してください。"
	default:
		words = jp.SearchWords(v.Q)
	}
	v.Searching = len(words) > 0
	var build func(ds []*Department, depth int, underMatch bool) ([]*deptNode, bool)
	build = func(ds []*Department, depth int, underMatch bool) ([]*deptNode, bool) {
		var out []*deptNode
		found := false
		for _, d := range ds {
			v.Count++
			match := v.Searching && jp.MatchWords(jp.SearchText(d.Code, d.Name), words)
			kids, below := build(d.Children, depth+1, underMatch || match)
			if v.Searching && !match && !below && !underMatch {
				continue
			}
			n := &deptNode{Department: d, Kids: kids, Match: match, Context: v.Searching && !match && !underMatch,
				Open: v.AllOpen || below || (!v.Searching && depth == 0)}
			if match {
				v.Matched++
			}
			if len(kids) > 0 && !n.Open {
				v.Folded = true
			}
			if !n.Context {
				v.Exported++
			}
			out = append(out, n)
			found = found || match || below
		}
		return out, found
	}
	v.Roots, _ = build(roots, 0, false)
	for _, d := range roots {
		v.Staff += d.TotalCount
	}
	return v, nil
}

func (s *Service) deptList(w http.ResponseWriter, r *http.Request) error {
	v, err := s.deptView(r)
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "org/dept_list", "所属（組織）", v)
}

func (s *Service) deptExport(w http.ResponseWriter, r *http.Request) error {
	format, err := tabular.ParseFormat(r.URL.Query().Get("format"))
	if err != nil {
		return web.Invalid("%s", err.Error())
	}
	v, err := s.deptView(r)
	if err != nil {
		return err
	}
	if v.Error != "" {
		return web.Invalid("%s", v.Error)
	}
	var ds []*Department
	var walk func([]*deptNode)
	walk = func(ns []*deptNode) {
		for _, n := range ns {
			if !n.Context {
				ds = append(ds, n.Department)
			}
			walk(n.Kids)
		}
	}
	walk(v.Roots)
	t := departmentTable(v.tree, ds)
	name := tabular.FileName("所属一覧", stamp(s.now()), format)
	return web.Send(w, r, s.log, web.Download{Name: name, ContentType: format.ContentType, Target: "departments.export",
		Detail: fmt.Sprintf("%s（%d 件）", name, len(ds))},
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

// userSpec is the list of accounts (a few hundred at most: filtered,
// sorted and paged in Go); the export parses with it too.
var userSpec = &web.ListSpec{
	Path: "/admin/users", ExportPath: "/admin/users/export",
	Sorts: []web.ListSort{{Key: "role", Label: "役割"}, {Key: "login", Label: "ログインID"}, {Key: "name", Label: "表示名"},
		{Key: "dept", Label: "所属"}, {Key: "last", Label: "最終ログイン"}},
	Filters: []web.ListFilter{
		{Key: "role", Label: "役割", Options: roleOptions()},
		{Key: "state", Label: "状態", Options: []web.ListOption{{Value: "active", Label: "有効"}, {Value: "disabled", Label: "無効"}}},
	},
	Search: "ログインID・表示名・所属", SearchHint: "全角・半角、ひらがな・カタカナを区別しません",
	Noun: "利用者", Label: "利用者の絞り込み",
	Empty: "利用者はまだ登録されていません。「利用者を追加」から登録してください。",
}

func roleOptions() []web.ListOption {
	var out []web.ListOption
	for _, r := range web.AllRoles {
		out = append(out, web.ListOption{Value: string(r), Label: r.Label()})
	}
	return out
}

type userListView struct {
	List         *web.List
	Accounts     []Account
	TOTPRequired bool
}

// listAccounts is the accounts the list l selects, in its order.
func (s *Service) listAccounts(r *http.Request, l *web.List) ([]Account, error) {
	as, err := s.Accounts(r.Context())
	if err != nil {
		return nil, err
	}
	words := l.Words()
	role, state := l.Value("role"), l.Value("state")
	var out []Account
	for _, a := range as {
		switch {
		case role != "" && string(a.Role) != role,
			state == "active" && a.Disabled, state == "disabled" && !a.Disabled,
			!jp.MatchWords(jp.SearchText(a.Login, a.DisplayName, a.Department), words):
			continue
		}
		out = append(out, a)
	}
	rank := map[web.Role]int{}
	for i, r := range web.AllRoles {
		rank[r] = i
	}
	cmpStr := func(a, b string) int { return strings.Compare(jp.Fold(a), jp.Fold(b)) }
	slices.SortStableFunc(out, func(a, b Account) int {
		c := 0
		switch l.Sort {
		case "login":
			c = strings.Compare(a.Login, b.Login)
		case "name":
			c = cmpStr(a.DisplayName, b.DisplayName)
		case "dept":
			c = cmpStr(a.Department, b.Department)
		case "last":
			c = a.LastLogin.Time.Compare(b.LastLogin.Time)
		default:
			c = cmp.Or(cmp.Compare(boolInt(a.Disabled), boolInt(b.Disabled)), cmp.Compare(rank[a.Role], rank[b.Role]))
		}
		if l.Desc {
			c = -c
		}
		return cmp.Or(c, strings.Compare(a.Login, b.Login))
	})
	return out, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Service) userList(w http.ResponseWriter, r *http.Request) error {
	l := userSpec.Parse(r)
	as, err := s.listAccounts(r, l)
	if err != nil {
		return err
	}
	l.SetTotal(len(as))
	if l.Asked > 0 {
		as = nil
	} else {
		as = as[l.Offset():min(l.Offset()+l.Limit(), len(as))]
	}
	req, err := s.auth.TOTPRequired(r.Context())
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "org/users", "利用者と役割", userListView{List: l, Accounts: as, TOTPRequired: req})
}

func (s *Service) userExport(w http.ResponseWriter, r *http.Request) error {
	format, err := tabular.ParseFormat(r.URL.Query().Get("format"))
	if err != nil {
		return web.Invalid("%s", err.Error())
	}
	l := userSpec.Parse(r)
	if err := l.Err(); err != nil {
		return err
	}
	as, err := s.listAccounts(r, l)
	if err != nil {
		return err
	}
	t := tabular.Table{Sheet: "利用者", Headers: []string{"ログインID", "表示名", "役割", "所属", "二要素認証", "最終ログイン", "状態", "デモ用"}}
	for _, a := range as {
		state := "有効"
		if a.Disabled {
			state = "無効"
		}
		last := "未ログイン"
		if !a.LastLogin.Time.IsZero() {
			last = jp.FormatWarekiDateTime(a.LastLogin.Time)
		}
		t.Rows = append(t.Rows, []string{a.Login, a.DisplayName, a.Role.Label(), a.Department, flagMark(a.TOTPEnabled), last, state, flagMark(a.IsDemo)})
	}
	name := tabular.FileName("利用者一覧", stamp(s.now()), format)
	return web.Send(w, r, s.log, web.Download{Name: name, ContentType: format.ContentType, Target: "users.export",
		Detail: fmt.Sprintf("%s（%d 件）", name, len(as))},
		func(out io.Writer) error { return tabular.Write(out, format, t) })
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

// DepartmentTable lays out the whole tree (DepartmentsWithCounts) for
// export.
func DepartmentTable(tree *Tree) tabular.Table { return departmentTable(tree, tree.Flat()) }

// departmentTable lays out departments ds, in tree order, with their
// parents' codes from tree.
func departmentTable(tree *Tree, ds []*Department) tabular.Table {
	t := tabular.Table{Sheet: "所属一覧", Headers: []string{"所属コード", "所属名", "階層", "上位所属コード", "所属パス", "在籍者数", "在籍者数（配下を含む）", "窓口", "状態"}}
	for _, d := range ds {
		parent := ""
		if p := tree.ByID[d.ParentID]; p != nil {
			parent = p.Code
		}
		state := "有効"
		if !d.Active {
			state = "廃止"
		}
		t.Rows = append(t.Rows, []string{d.Code, d.Name, d.Level, parent, d.Path, strconv.Itoa(d.StaffCount), strconv.Itoa(d.TotalCount), flagMark(d.HasCounter), state})
	}
	return t
}
