package catalog

// The item screens: edit, add at a position, preview as it will print,
// delete and move (the changes themselves are in edit.go).

import (
	"context"
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"mamori/internal/docgen"
	"mamori/internal/web"
)

// editOption is one checkbox, radio button or select entry.
type editOption struct {
	Value, Label string
	Checked      bool
}

func editOptions(labels map[string]string, order []string, selected []string) []editOption {
	on := map[string]bool{}
	for _, s := range selected {
		on[s] = true
	}
	seen := map[string]bool{}
	var out []editOption
	add := func(k string) {
		if l, ok := labels[k]; ok && !seen[k] {
			seen[k] = true
			out = append(out, editOption{Value: k, Label: l, Checked: on[k]})
		}
	}
	for _, k := range order {
		add(k)
	}
	var rest []string
	for k := range labels {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		add(k)
	}
	return out
}

// itemForm is what the item form shows: the values (kept as typed after an
// error), the errors by field, the choices, and the preview.
type itemForm struct {
	Values  url.Values
	Errors  ItemErrors
	Item    Item
	Preview *docgen.Row
	Head    []string
	Group   string // the printed checklist's group the previewed item goes in
	Sub     string // and the sub-heading (分類) it prints under
}

// Get returns a field's value as typed.
func (f itemForm) Get(k string) string { return f.Values.Get(k) }

// Err returns the messages for a field, joined.
func (f itemForm) Err(k string) string { return strings.Join(f.Errors[k], "。") }

// Options returns the checkbox choices of a list field.
func (f itemForm) Options(field string) []editOption {
	switch field {
	case "techniques":
		return editOptions(Techniques, TechniqueOrder, f.Item.Techniques)
	case "priority":
		return editOptions(Priorities, PriorityOrder, []string{f.Item.Priority})
	case "applicability":
		return editOptions(Applicability, ApplicabilityOrder, f.Item.Applicability)
	case "threats":
		return editOptions(Threats, ThreatOrder, f.Item.Threats)
	case "audience":
		return editOptions(Audiences, AudienceOrder, f.Item.Audience)
	}
	return nil
}

// PreviewHTML prints a preview cell as the document does: its runs, bold
// where the document is bold, line breaks kept.
func (f itemForm) PreviewHTML(c docgen.Cell) template.HTML {
	var b strings.Builder
	for _, r := range c.Runs {
		for i, line := range strings.Split(r.Text, "\n") {
			if i > 0 {
				b.WriteString("<br>")
			}
			if r.Bold && line != "" {
				b.WriteString("<strong>" + html.EscapeString(line) + "</strong>")
			} else {
				b.WriteString(html.EscapeString(line))
			}
		}
	}
	return template.HTML(b.String())
}

// splitLines reads a one-per-line text area; clauses may also be separated
// by commas.
func formLines(s string, commas bool) []string {
	f := func(r rune) bool { return r == '\n' || r == '\r' || (commas && (r == ',' || r == '、' || r == '，')) }
	return strings.FieldsFunc(s, f)
}

// itemFromForm reads the item form.
func itemFromForm(r *http.Request) Item {
	v := r.PostForm
	return Item{Code: v.Get("code"), Category: v.Get("category"), Clauses: formLines(v.Get("clauses"), true), Question: v.Get("question"),
		Criteria: Criteria{Conform: v.Get("conform"), Partial: v.Get("partial"), Nonconform: v.Get("nonconform")},
		Evidence: formLines(v.Get("evidence"), false), Methods: formLines(v.Get("methods"), false),
		Techniques: v["techniques"], Priority: v.Get("priority"), SiteInspection: v.Get("site_inspection") != "",
		Applicability: v["applicability"], Threats: v["threats"], PreSurvey: v.Get("pre_survey") != "", Audience: v["audience"], Notes: v.Get("notes")}
}

// formValues fills the form from an item.
func formValues(it Item) url.Values {
	v := url.Values{}
	v.Set("code", it.Code)
	v.Set("category", it.Category)
	refs := make([]string, len(it.Clauses))
	for i, c := range it.Clauses {
		refs[i] = RefLabel(c)
	}
	v.Set("clauses", strings.Join(refs, "\n"))
	v.Set("question", it.Question)
	v.Set("conform", it.Criteria.Conform)
	v.Set("partial", it.Criteria.Partial)
	v.Set("nonconform", it.Criteria.Nonconform)
	v.Set("evidence", strings.Join(it.Evidence, "\n"))
	v.Set("methods", strings.Join(it.Methods, "\n"))
	v.Set("notes", it.Notes)
	if it.SiteInspection {
		v.Set("site_inspection", "1")
	}
	if it.PreSurvey {
		v.Set("pre_survey", "1")
	}
	return v
}

// itemPage is the data of the item form page.
type itemPage struct {
	T         StoredTemplate
	ID        int64 // 0: new item
	Code      string
	Form      itemForm
	Frozen    bool
	Positions []editOption
	Action    string
}

func (w *Web) renderItemForm(rw http.ResponseWriter, r *http.Request, status int, p itemPage) error {
	title := "新しい項目"
	p.Action = fmt.Sprintf("/catalog/templates/%d/items", p.T.ID)
	if p.ID != 0 {
		title = p.Code + " の編集"
		p.Action = fmt.Sprintf("/catalog/items/%d", p.ID)
	}
	if p.Form.Head == nil {
		p.Form.Head = PrintHeader()
	}
	return web.Render(rw, r, status, "catalog/item_form", title, p)
}

// positions lists where a new item can go: before each existing item, or last.
func (w *Web) positions(ctx context.Context, tid int64, chosen string) ([]editOption, error) {
	items, err := w.store.Items(ctx, ItemFilter{TemplateID: tid})
	if err != nil {
		return nil, err
	}
	out := []editOption{{Value: "", Label: fmt.Sprintf("末尾（%d 番目）", len(items)+1), Checked: chosen == ""}}
	for i, it := range items {
		v := strconv.Itoa(i + 1)
		out = append(out, editOption{Value: v, Label: fmt.Sprintf("%d 番目（%s %s の前）", i+1, it.Code, shortText(it.Question, 24)), Checked: chosen == v})
	}
	return out, nil
}

// itemInPath loads the item named in the path and its template.
func (w *Web) itemInPath(r *http.Request) (StoredItem, StoredTemplate, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return StoredItem{}, StoredTemplate{}, err
	}
	st, err := w.store.Item(r.Context(), id)
	if err != nil {
		return st, StoredTemplate{}, err
	}
	t, err := w.store.Template(r.Context(), st.TemplateID)
	return st, t, err
}

func (w *Web) itemEdit(rw http.ResponseWriter, r *http.Request) error {
	st, t, err := w.itemInPath(r)
	if err != nil {
		return err
	}
	it := ItemOf(st)
	return w.renderItemForm(rw, r, http.StatusOK, itemPage{T: t, ID: st.ID, Code: st.Code, Frozen: t.Frozen, Form: itemForm{Values: formValues(it), Item: it}})
}

func (w *Web) itemNew(rw http.ResponseWriter, r *http.Request) error {
	t, err := w.templateInPath(r)
	if err != nil {
		return err
	}
	id := t.ID
	if t.Frozen {
		return w.renderItemForm(rw, r, http.StatusOK, itemPage{T: t, Frozen: true})
	}
	pos, err := w.positions(r.Context(), id, r.URL.Query().Get("pos"))
	if err != nil {
		return err
	}
	it := Item{Priority: "recommended"}
	return w.renderItemForm(rw, r, http.StatusOK, itemPage{T: t, Positions: pos, Form: itemForm{Values: formValues(it), Item: it}})
}

// previewOrSave handles the form's two buttons: preview re-renders the
// form with the item as it will print (and any problems); save stores it.
func (w *Web) itemUpdate(rw http.ResponseWriter, r *http.Request) error {
	st, t, err := w.itemInPath(r)
	if err != nil {
		return err
	}
	id := st.ID
	it := itemFromForm(r)
	page := itemPage{T: t, ID: id, Code: st.Code, Form: itemForm{Values: r.PostForm, Item: it}}
	if t.Frozen {
		page.Frozen = true
		return w.renderItemForm(rw, r, http.StatusConflict, page)
	}
	if r.PostForm.Get("action") == "preview" {
		return w.preview(rw, r, page, preferOf(st))
	}
	fields, err := UpdateItem(r.Context(), w.store.db, w.log, id, it, w.now())
	if refused, err := w.refusedItem(rw, r, page, err); refused || err != nil {
		return err
	}
	if len(fields) == 0 {
		return web.Redirect(rw, r, fmt.Sprintf("/catalog/items/%d", id), "変更はありませんでした。", true)
	}
	return web.Redirect(rw, r, fmt.Sprintf("/catalog/items/%d", id), "保存しました（変更: "+strings.Join(fields, "、")+"）。", true)
}

func (w *Web) itemCreate(rw http.ResponseWriter, r *http.Request) error {
	t, err := w.templateInPath(r)
	if err != nil {
		return err
	}
	ctx, tid := r.Context(), t.ID
	it := itemFromForm(r)
	page := itemPage{T: t, Form: itemForm{Values: r.PostForm, Item: it}}
	if t.Frozen {
		page.Frozen = true
		return w.renderItemForm(rw, r, http.StatusConflict, page)
	}
	posText := strings.TrimSpace(r.PostForm.Get("position"))
	if page.Positions, err = w.positions(ctx, tid, posText); err != nil {
		return err
	}
	pos := 0
	if posText != "" {
		if pos, err = strconv.Atoi(posText); err != nil || pos < 1 || pos > len(page.Positions) {
			page.Form.Errors = ItemErrors{"position": {"追加する位置を一覧から選んでください"}}
			return w.renderItemForm(rw, r, http.StatusBadRequest, page)
		}
	}
	if r.PostForm.Get("action") == "preview" {
		return w.preview(rw, r, page, nil)
	}
	id, err := CreateItem(ctx, w.store.db, w.log, tid, it, pos, w.now())
	if refused, err := w.refusedItem(rw, r, page, err); refused || err != nil {
		return err
	}
	return web.Redirect(rw, r, fmt.Sprintf("/catalog/items/%d", id), "項目を追加しました。", true)
}

// refusedItem shows the form again when a save was refused: with the
// problems of the item, or saying the version is frozen. It reports
// whether it did so; other errors come back as they are.
func (w *Web) refusedItem(rw http.ResponseWriter, r *http.Request, page itemPage, err error) (bool, error) {
	var ie ItemErrors
	switch {
	case errors.As(err, &ie):
		page.Form.Errors = ie
		return true, w.renderItemForm(rw, r, http.StatusBadRequest, page)
	case errors.Is(err, ErrFrozen):
		page.Frozen = true
		return true, w.renderItemForm(rw, r, http.StatusConflict, page)
	}
	return false, err
}

// preview checks the item without saving and shows it as it will print.
func (w *Web) preview(rw http.ResponseWriter, r *http.Request, page itemPage, prefer map[string]int64) error {
	p, err := prepareItem(r.Context(), w.store, page.T, page.ID, page.Form.Item, prefer)
	var ie ItemErrors
	if errors.As(err, &ie) {
		page.Form.Errors = ie
	} else if err != nil {
		return err
	}
	row := PrintRow(p.Stored)
	page.Form.Preview = &row
	page.Form.Group, page.Form.Sub = splitCategory(p.Stored.Category)
	return w.renderItemForm(rw, r, http.StatusOK, page)
}

func (w *Web) itemDelete(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	tid, err := DeleteItem(r.Context(), w.store.db, w.log, id, w.now())
	if err != nil {
		return editError(err)
	}
	return web.Redirect(rw, r, fmt.Sprintf("/catalog/templates/%d", tid), "項目を削除しました。", true)
}

func (w *Web) itemMove(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	delta := 0
	switch r.FormValue("dir") {
	case "up":
		delta = -1
	case "down":
		delta = 1
	default:
		return web.Invalid("移動の向き（up または down）を指定してください。")
	}
	tid, err := MoveItem(r.Context(), w.store.db, w.log, id, delta, w.now())
	if err != nil {
		return editError(err)
	}
	// Back to the page of the list where the item now is, at the page
	// size the list was shown with.
	t, err := w.store.Template(r.Context(), tid)
	if err != nil {
		return err
	}
	spec := itemSpec
	spec.Path = fmt.Sprintf("/catalog/templates/%d", t.ID)
	l := spec.ParseValues(url.Values{"size": {r.FormValue("size")}})
	pos, err := w.store.itemPositions(r.Context(), tid)
	if err != nil {
		return err
	}
	back := l.PageLink((pos[id]-1)/l.Size + 1)
	return web.Redirect(rw, r, fmt.Sprintf("%s#item-%d", back, id), "", true)
}

// editError maps refusals of an edit to what the person is shown.
func editError(err error) error {
	switch {
	case errors.Is(err, ErrFrozen):
		return web.Conflict("%s", ErrFrozen.Error()+"。")
	case errors.Is(err, ErrItemInUse):
		return web.Conflict("%s", ErrItemInUse.Error()+"。")
	}
	return err
}
