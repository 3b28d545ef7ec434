package audit

// The checklist tab of an engagement: its frozen checklist with each
// item's reason, clauses, techniques and pre-survey and site-inspection
// marks, the dropped items apart with their reasons, adding an item of the
// catalogue with a reason, dropping and restoring with a reason, and
// moving to the kind's newest template version after a preview. Only the
// team (and the managers) see it; it is locked from 報告 on.

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"mamori/internal/catalog"
	"mamori/internal/jp"
	"mamori/internal/web"
)

// checklistRoutes registers the checklist tab (called by planRoutes).
func (m *Module) checklistRoutes(rt *web.Router) {
	rule := Auditing.Rule().On(m.engagementObject())
	item := rule.On(m.childObject("audit.item", "item", "audit_items"))
	rt.Handle("GET /audit/{id}/checklist", rule, m.checklistShow)
	rt.Handle("POST /audit/{id}/checklist/add", rule, m.checklistAdd)
	rt.Handle("GET /audit/{id}/checklist/{item}/drop", item, m.checklistDropForm)
	rt.Handle("POST /audit/{id}/checklist/{item}/drop", item, m.checklistDrop)
	rt.Handle("GET /audit/{id}/checklist/{item}/restore", item, m.checklistRestoreForm)
	rt.Handle("POST /audit/{id}/checklist/{item}/restore", item, m.checklistRestore)
	rt.Handle("GET /audit/{id}/checklist/upgrade", rule, m.checklistUpgradeShow)
	rt.Handle("POST /audit/{id}/checklist/upgrade", rule, m.checklistUpgradeApply)
}

// checklistForm is a refused add form, shown again with what the user
// typed and the messages.
type checklistForm struct {
	Action string // "add" when the add form was refused
	Code   string
	Newest bool
	Reason string
	Errors FieldErrors
	Msg    string
}

type checklistView struct {
	V          engagementView
	Items      []Item
	Dropped    []Item
	Locked     bool
	Newest     catalog.StoredTemplate
	HasNewer   bool
	Candidates []ChecklistCandidate
	Form       checklistForm
	Site, Pre  int
	Techniques map[string]string
}

// Lines splits a stored multi-line text (an item's reasons) into lines.
func (v checklistView) Lines(s string) []string { return lines(s) }

// Technique names a technique code in Japanese.
func (v checklistView) Technique(code string) string {
	if l := v.Techniques[code]; l != "" {
		return l
	}
	return code
}

func (m *Module) checklistLoad(r *http.Request) (Engagement, Access, error) {
	e, a, err := m.load(r)
	if err != nil {
		return e, a, err
	}
	if !a.Audit {
		return e, a, web.NotFound()
	}
	return e, a, nil
}

func (m *Module) renderChecklist(w http.ResponseWriter, r *http.Request, status int, e Engagement, a Access, form checklistForm) error {
	ctx := r.Context()
	all, err := m.store.Items(ctx, e.ID, ItemFilter{WithDropped: true})
	if err != nil {
		return err
	}
	v := checklistView{V: engagementView{E: e, A: a, Tab: "checklist"}, Locked: ChecklistLocked(e), Form: form, Techniques: catalog.Techniques}
	for _, it := range all {
		if it.Dropped {
			v.Dropped = append(v.Dropped, it)
			continue
		}
		v.Items = append(v.Items, it)
		if it.SiteInspection {
			v.Site++
		}
		if it.Presurvey {
			v.Pre++
		}
	}
	if t, ok, err := m.store.checklistNewest(ctx, e.Kind); err != nil {
		return err
	} else if ok {
		v.Newest, v.HasNewer = t, t.ID != e.TemplateID && t.Version > e.TemplateVersion
	}
	if !v.Locked {
		if v.Candidates, err = m.store.ChecklistCandidates(ctx, e); err != nil {
			return err
		}
	}
	return web.Render(w, r, status, "audit/checklist_show", "チェックリスト – "+e.Title, v)
}

func (m *Module) checklistShow(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.checklistLoad(r)
	if err != nil {
		return err
	}
	return m.renderChecklist(w, r, http.StatusOK, e, a, checklistForm{})
}

// checklistRefused shows the page again after a refused change: a field
// error (400), a stale item (409) or the lock (409).
func (m *Module) checklistRefused(w http.ResponseWriter, r *http.Request, e Engagement, a Access, form checklistForm, err error) error {
	var fe FieldErrors
	switch {
	case errors.As(err, &fe):
		form.Errors = fe
		form.Msg = fe.Error()
		return m.renderChecklist(w, r, http.StatusBadRequest, e, a, form)
	case errors.Is(err, ErrConflict):
		form.Msg = "この項目は、画面を開いた後に他の人が変更しています。最新の内容を表示しました。確かめてから、もう一度操作してください。"
		return m.renderChecklist(w, r, http.StatusConflict, e, a, form)
	case errors.Is(err, ErrChecklistLocked):
		form.Msg = ErrChecklistLocked.Error()
		return m.renderChecklist(w, r, http.StatusConflict, e, a, form)
	}
	return err
}

func (m *Module) checklistAdd(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.checklistLoad(r)
	if err != nil {
		return err
	}
	form := checklistForm{Action: "add", Code: r.PostFormValue("code"), Newest: r.PostFormValue("source") == "newest", Reason: r.PostFormValue("reason")}
	id, err := m.store.AddItem(r.Context(), e.ID, AddItemInput{Code: form.Code, Newest: form.Newest, Reason: form.Reason}, actor(r))
	if err != nil {
		return m.checklistRefused(w, r, e, a, form, err)
	}
	it, err := m.store.Item(r.Context(), e.ID, id)
	if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/audit/%d/checklist#item-%d", e.ID, id), fmt.Sprintf("項目「%s」をチェックリストに追加しました。", it.Code), true)
}

// checklistItemView is the page that drops or restores one item.
type checklistItemView struct {
	V      engagementView
	Item   Item
	Drop   bool
	Reason string
	Err    string
	Msg    string
	Locked bool
}

// Lines splits a stored multi-line text into lines.
func (v checklistItemView) Lines(s string) []string { return lines(s) }

// checklistItemPage renders the drop or restore form of an item.
func (m *Module) checklistItemPage(w http.ResponseWriter, r *http.Request, status int, v checklistItemView) error {
	title := "項目の除外"
	if !v.Drop {
		title = "項目をチェックリストに戻す"
	}
	return web.Render(w, r, status, "audit/checklist_item", title+" – "+v.Item.Code, v)
}

// checklistItemOf reads the engagement and the item of the path (which
// must belong to it).
func (m *Module) checklistItemOf(r *http.Request) (Engagement, Access, Item, error) {
	e, a, err := m.checklistLoad(r)
	if err != nil {
		return e, a, Item{}, err
	}
	itemID, err := web.PathID(r, "item")
	if err != nil {
		return e, a, Item{}, err
	}
	it, err := m.store.Item(r.Context(), e.ID, itemID)
	return e, a, it, err
}

func (m *Module) checklistDropForm(w http.ResponseWriter, r *http.Request) error {
	return m.checklistItemForm(w, r, true)
}

func (m *Module) checklistRestoreForm(w http.ResponseWriter, r *http.Request) error {
	return m.checklistItemForm(w, r, false)
}

func (m *Module) checklistItemForm(w http.ResponseWriter, r *http.Request, drop bool) error {
	e, a, it, err := m.checklistItemOf(r)
	if err != nil {
		return err
	}
	v := checklistItemView{V: engagementView{E: e, A: a, Tab: "checklist"}, Item: it, Drop: drop, Locked: ChecklistLocked(e)}
	switch {
	case v.Locked:
		v.Msg = ErrChecklistLocked.Error()
	case it.Dropped == drop && drop:
		v.Msg = fmt.Sprintf("項目「%s」はすでに除外されています。", it.Code)
	case it.Dropped == drop:
		v.Msg = fmt.Sprintf("項目「%s」はチェックリストに入っています。", it.Code)
	}
	return m.checklistItemPage(w, r, http.StatusOK, v)
}

func (m *Module) checklistDrop(w http.ResponseWriter, r *http.Request) error {
	return m.checklistSetDropped(w, r, true)
}

func (m *Module) checklistRestore(w http.ResponseWriter, r *http.Request) error {
	return m.checklistSetDropped(w, r, false)
}

func (m *Module) checklistSetDropped(w http.ResponseWriter, r *http.Request, drop bool) error {
	e, a, it, err := m.checklistItemOf(r)
	if err != nil {
		return err
	}
	reason := r.PostFormValue("reason")
	rev, err := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	if err != nil {
		return web.Invalid("項目の版（rev）が指定されていません。画面を読み込み直してください。")
	}
	if drop {
		err = m.store.DropItem(r.Context(), e.ID, it.ID, rev, reason, actor(r))
	} else {
		err = m.store.RestoreItem(r.Context(), e.ID, it.ID, rev, reason, actor(r))
	}
	if err != nil {
		// Refused: the form again with the reason typed.
		v := checklistItemView{V: engagementView{E: e, A: a, Tab: "checklist"}, Item: it, Drop: drop, Reason: reason, Locked: ChecklistLocked(e)}
		var fe FieldErrors
		switch {
		case errors.As(err, &fe):
			v.Err = fe["reason"]
			return m.checklistItemPage(w, r, http.StatusBadRequest, v)
		case errors.Is(err, ErrConflict):
			if v.Item, err = m.store.Item(r.Context(), e.ID, it.ID); err != nil {
				return err
			}
			v.Msg = "この項目は、画面を開いた後に他の人が変更しています。最新の内容を表示しました。確かめてから、もう一度操作してください。"
			return m.checklistItemPage(w, r, http.StatusConflict, v)
		case errors.Is(err, ErrChecklistLocked):
			v.Msg = ErrChecklistLocked.Error()
			return m.checklistItemPage(w, r, http.StatusConflict, v)
		}
		return err
	}
	msg := fmt.Sprintf("項目「%s」をチェックリストから除外しました。", it.Code)
	if !drop {
		msg = fmt.Sprintf("項目「%s」をチェックリストに戻しました。", it.Code)
	}
	return web.Redirect(w, r, fmt.Sprintf("/audit/%d/checklist#item-%d", e.ID, it.ID), msg, true)
}

type checklistUpgradeView struct {
	V       engagementView
	U       *ChecklistUpgrade
	Locked  bool
	Confirm bool
	Msg     string
	Err     string
	FromLbl string
	ToLbl   string
}

func (m *Module) checklistRenderUpgrade(w http.ResponseWriter, r *http.Request, status int, e Engagement, a Access, confirm bool, msg, fieldErr string) error {
	u, err := m.store.ChecklistUpgradePreview(r.Context(), e)
	if err != nil {
		return err
	}
	v := checklistUpgradeView{V: engagementView{E: e, A: a, Tab: "checklist"}, U: u, Locked: ChecklistLocked(e), Confirm: confirm, Msg: msg, Err: fieldErr,
		FromLbl: jp.FiscalYearLabel(u.From.Version) + "版", ToLbl: jp.FiscalYearLabel(u.To.Version) + "版"}
	return web.Render(w, r, status, "audit/checklist_upgrade", "チェックリストの版の移行 – "+e.Title, v)
}

func (m *Module) checklistUpgradeShow(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.checklistLoad(r)
	if err != nil {
		return err
	}
	return m.checklistRenderUpgrade(w, r, http.StatusOK, e, a, false, "", "")
}

func (m *Module) checklistUpgradeApply(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.checklistLoad(r)
	if err != nil {
		return err
	}
	from, err1 := strconv.ParseInt(r.PostFormValue("from"), 10, 64)
	to, err2 := strconv.ParseInt(r.PostFormValue("to"), 10, 64)
	if err1 != nil || err2 != nil {
		return web.Invalid("移行する版が指定されていません。移行の確認画面を開き直してください。")
	}
	confirm := r.PostFormValue("confirm") == "1"
	u, err := m.store.UpgradeChecklist(r.Context(), e.ID, from, to, confirm, actor(r))
	if err != nil {
		var fe FieldErrors
		switch {
		case errors.As(err, &fe):
			return m.checklistRenderUpgrade(w, r, http.StatusBadRequest, e, a, confirm, "移行できませんでした。", fe["confirm"])
		case errors.Is(err, ErrConflict):
			return m.checklistRenderUpgrade(w, r, http.StatusConflict, e, a, false,
				"確認画面を開いた後に、チェックリストの版又はカタログの最新の版が変わりました。最新の内容で確認し直してください。", "")
		case errors.Is(err, ErrChecklistLocked):
			return m.checklistRenderUpgrade(w, r, http.StatusConflict, e, a, false, ErrChecklistLocked.Error(), "")
		}
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/audit/%d/checklist", e.ID),
		fmt.Sprintf("チェックリストを%s版へ移行しました（追加 %d 項目、内容の更新 %d 項目、除外 %d 項目）。", jp.FiscalYearLabel(u.To.Version),
			len(u.Added), len(u.Changed), len(u.Removed)), true)
}
