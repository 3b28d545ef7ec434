package audit

// This file is the screens of the response examples library (対応例):
// the list (the one list view), a new example, editing one (with the rev
// it was read at) and deactivating it. The consultant and the office
// (Managers) keep the library; the material of each external audit picks
// from it (material_web.go).

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"mamori/internal/web"
)

// examplesRoutes registers the library's screens and the results
// material of external audits.
func (m *Module) examplesRoutes(rt *web.Router) {
	manage := Managers.Rule()
	example := web.AnyObject("audit.example", func(ctx context.Context, id int64) error {
		_, err := m.store.Example(ctx, id)
		return err
	})
	example.Param = "ex"
	// Paths keep a literal segment after /audit/examples so that they never
	// overlap the engagement routes (/audit/{id}/…).
	rt.Handle("GET /audit/examples", manage, m.examplesList)
	rt.Handle("GET /audit/examples/new", manage, m.exampleNew)
	rt.Handle("POST /audit/examples/new", manage, m.exampleCreate)
	rt.Handle("GET /audit/examples/edit/{ex}", manage.On(example), m.exampleEdit)
	rt.Handle("POST /audit/examples/edit/{ex}", manage.On(example), m.exampleUpdate)
	rt.Handle("POST /audit/examples/active/{ex}", manage.On(example), m.exampleActive)
	m.materialRoutes(rt)
}

// examplesSpec is the library's list.
var examplesSpec = &web.ListSpec{
	Path:  "/audit/examples",
	Sorts: []web.ListSort{{Key: "order", Label: "表示順"}, {Key: "code", Label: "番号"}, {Key: "category", Label: "区分"}, {Key: "title", Label: "件名"}},
	Filters: []web.ListFilter{{Key: "category", Label: "区分"},
		{Key: "inactive", Label: "使用を中止した対応例も表示", Kind: web.FilterCheck}},
	Search: "番号・件名・本文", SearchHint: "全角・半角、ひらがな・カタカナを区別しません",
	Noun: "対応例", Label: "対応例の絞り込み",
	Empty: "対応例がありません。「対応例を追加」から登録してください。",
}

type examplesListView struct {
	List *web.List
	Rows []Example
}

func (m *Module) examplesList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if _, err := m.store.EnsureExamples(ctx); err != nil {
		return err
	}
	l := examplesSpec.Parse(r)
	cats, err := ExampleCategories()
	if err != nil {
		return err
	}
	var opts []web.ListOption
	for _, c := range cats {
		opts = append(opts, web.ListOption{Value: c.Code, Label: c.Label})
	}
	l.SetOptions("category", opts)
	var rows []Example
	if l.Err() == nil {
		if rows, err = m.store.Examples(ctx, ExampleFilter{Category: l.Value("category"), Inactive: l.Value("inactive") != "", Words: l.Words()}); err != nil {
			return err
		}
	}
	key := func(x Example) string {
		switch l.Sort {
		case "code":
			return x.Code
		case "category":
			return fmt.Sprintf("%s\x00%08d", x.CategoryLabel(), x.Order)
		case "title":
			return x.Title
		}
		return fmt.Sprintf("%08d\x00%s", x.Order, x.Code)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if l.Desc {
			return key(rows[i]) > key(rows[j])
		}
		return key(rows[i]) < key(rows[j])
	})
	l.SetTotal(len(rows))
	from, to := min(l.Offset(), len(rows)), min(l.Offset()+l.Limit(), len(rows))
	return web.Render(w, r, http.StatusOK, "audit/examples_list", "対応例ライブラリ", examplesListView{List: l, Rows: rows[from:to]})
}

// exampleFormView is the new/edit page.
type exampleFormView struct {
	X          Example // the stored example (ID 0: new)
	Categories []struct{ Code, Label string }
	Values     url.Values // what was typed (after a refusal)
	Errors     FieldErrors
	Saved      *Example // the stored example after a conflict
	Message    string
}

// Get is the typed value of field k, or the stored one.
func (v exampleFormView) Get(k string) string {
	if v.Values != nil {
		return v.Values.Get(k)
	}
	switch k {
	case "code":
		return v.X.Code
	case "category":
		return v.X.Category
	case "title":
		return v.X.Title
	case "problem":
		return v.X.Problem
	case "practice":
		return v.X.Practice
	case "order":
		if v.X.ID == 0 {
			return ""
		}
		return strconv.Itoa(v.X.Order)
	}
	return ""
}

// Rev is the rev the form sends (after a conflict: the stored one).
func (v exampleFormView) Rev() int64 {
	if v.Saved != nil {
		return v.Saved.Rev
	}
	return v.X.Rev
}

func (m *Module) renderExampleForm(w http.ResponseWriter, r *http.Request, status int, v exampleFormView) error {
	cats, err := ExampleCategories()
	if err != nil {
		return err
	}
	v.Categories = cats
	title := "対応例の追加"
	if v.X.ID != 0 {
		title = "対応例の編集　" + v.X.Code
	}
	return web.Render(w, r, status, "audit/examples_form", title, v)
}

func (m *Module) exampleNew(w http.ResponseWriter, r *http.Request) error {
	return m.renderExampleForm(w, r, http.StatusOK, exampleFormView{})
}

// exampleInput reads the form; a wrong order is a field error.
func exampleInput(r *http.Request) (ExampleInput, FieldErrors) {
	in := ExampleInput{Code: r.FormValue("code"), Category: r.FormValue("category"), Title: r.FormValue("title"),
		Problem: r.FormValue("problem"), Practice: r.FormValue("practice")}
	if s := strings.TrimSpace(r.FormValue("order")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return in, FieldErrors{"order": "表示順は0以上の数字で入力してください。"}
		}
		in.Order = n
	}
	return in, nil
}

// exampleFailed re-renders the form after a refusal.
func (m *Module) exampleFailed(w http.ResponseWriter, r *http.Request, x Example, err error) error {
	v := exampleFormView{X: x, Values: r.PostForm}
	var fe FieldErrors
	switch {
	case errors.As(err, &fe):
		v.Errors = fe
		return m.renderExampleForm(w, r, http.StatusBadRequest, v)
	case errors.Is(err, ErrConflict):
		saved, serr := m.store.Example(r.Context(), x.ID)
		if serr != nil {
			return serr
		}
		v.Saved, v.Message = &saved, ErrConflict.Error()
		return m.renderExampleForm(w, r, http.StatusConflict, v)
	}
	return err
}

func (m *Module) exampleCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := m.store.EnsureExamples(r.Context()); err != nil {
		return err
	}
	in, fe := exampleInput(r)
	if fe != nil {
		return m.exampleFailed(w, r, Example{}, fe)
	}
	id, err := m.store.CreateExample(r.Context(), in, actor(r))
	if err != nil {
		return m.exampleFailed(w, r, Example{}, err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/audit/examples/edit/%d", id), "対応例を追加しました。", true)
}

func (m *Module) exampleOf(r *http.Request) (Example, error) {
	id, err := web.PathID(r, "ex")
	if err != nil {
		return Example{}, err
	}
	return m.store.Example(r.Context(), id)
}

func (m *Module) exampleEdit(w http.ResponseWriter, r *http.Request) error {
	x, err := m.exampleOf(r)
	if err != nil {
		return err
	}
	return m.renderExampleForm(w, r, http.StatusOK, exampleFormView{X: x})
}

// formRev reads the rev a form was rendered with.
func formRev(r *http.Request) (int64, error) {
	rev, err := strconv.ParseInt(r.FormValue("rev"), 10, 64)
	if err != nil || rev < 1 {
		return 0, web.Invalid("画面を読み込み直してから、もう一度操作してください（版の情報がありません）。")
	}
	return rev, nil
}

func (m *Module) exampleUpdate(w http.ResponseWriter, r *http.Request) error {
	x, err := m.exampleOf(r)
	if err != nil {
		return err
	}
	rev, err := formRev(r)
	if err != nil {
		return err
	}
	in, fe := exampleInput(r)
	if fe != nil {
		return m.exampleFailed(w, r, x, fe)
	}
	if err := m.store.UpdateExample(r.Context(), x.ID, rev, in, actor(r)); err != nil {
		return m.exampleFailed(w, r, x, err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/audit/examples/edit/%d", x.ID), "対応例を保存しました。", true)
}

func (m *Module) exampleActive(w http.ResponseWriter, r *http.Request) error {
	x, err := m.exampleOf(r)
	if err != nil {
		return err
	}
	rev, err := formRev(r)
	if err != nil {
		return err
	}
	var active bool
	switch r.FormValue("active") {
	case "1":
		active = true
	case "0":
	default:
		return web.Invalid("使用の中止か再開かを選び直してください。")
	}
	back := fmt.Sprintf("/audit/examples/edit/%d", x.ID)
	if err := m.store.SetExampleActive(r.Context(), x.ID, rev, active, actor(r)); errors.Is(err, ErrConflict) {
		return web.Redirect(w, r, back, ErrConflict.Error(), false)
	} else if err != nil {
		return err
	}
	msg := "対応例の使用を中止しました。一覧と提案には表示されません（既に資料で選んだものはそのまま残ります）。"
	if active {
		msg = "対応例の使用を再開しました。"
	}
	return web.Redirect(w, r, back, msg, true)
}
