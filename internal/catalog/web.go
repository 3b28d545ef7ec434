package catalog

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net/http"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/blob"
	"mamori/internal/jp"
	"mamori/internal/web"
)

//go:embed templates
var templateFS embed.FS

// Who uses the catalogue: the office, the consultant, internal auditors
// and viewers read it; the office and the consultant change it; only the
// office freezes a version for the year's audits.
var (
	readers = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleAuditor, web.RoleViewer)
	editors = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant)
	admins  = web.NewRoleSet(web.RoleAdmin)
)

// WardNamer gives the ward's name that documents print (org.Reader and
// module.OrgReader both do).
type WardNamer interface {
	WardName(ctx context.Context) string
}

// Web is the catalogue's screens.
type Web struct {
	store *Store
	log   *auditlog.Log
	now   func() time.Time
	ward  WardNamer
	blobs *blob.Store // uploaded workbooks (XLSX import)
}

// NewWeb returns the catalogue screens; now is the clock (nil: time.Now).
func NewWeb(s *Store, log *auditlog.Log, now func() time.Time, ward WardNamer) *Web {
	if now == nil {
		now = time.Now
	}
	return &Web{store: s, log: log, now: now, ward: ward}
}

// Routes registers the catalogue pages.
func (w *Web) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("catalog", templateFS, "templates"); err != nil {
		return err
	}
	read, edit := readers.Rule(), editors.Rule()
	rt.Handle("GET /catalog", read, w.overview)
	rt.Handle("GET /catalog/frameworks/{id}", read.On(w.frameworkObject()), w.framework)
	rt.Handle("GET /catalog/clauses/{id}", read.On(w.clauseObject()), w.clause)
	rt.Handle("GET /catalog/templates/{id}", read.On(w.templateObject()), w.template)
	rt.Handle("GET /catalog/templates/{id}/export", read.On(w.templateObject()), w.export)
	rt.Handle("GET /catalog/items/{id}", read.On(w.itemObject()), w.item)
	rt.Handle("GET /catalog/templates/{id}/diff", read.On(w.templateObject()), w.diff)
	rt.Handle("POST /catalog/templates/{id}/copy", edit.On(w.templateObject()), w.copy)
	rt.Handle("POST /catalog/templates/{id}/freeze", admins.Rule().On(w.templateObject()), w.freeze)
	rt.Handle("POST /catalog/clauses/{id}/mappings", edit.On(w.clauseObject()), w.addMapping)
	rt.Handle("POST /catalog/mappings/{id}/delete", edit.On(w.mappingObject()), w.removeMapping)
	rt.Handle("GET /catalog/frameworks/{id}/mappings", read.On(w.frameworkObject()), w.pairPage)
	rt.Handle("GET /catalog/frameworks/{id}/mappings/export", read.On(w.frameworkObject()), w.pairExport)
	rt.Handle("GET /catalog/items/{id}/edit", edit.On(w.itemObject()), w.itemEdit)
	rt.Handle("POST /catalog/items/{id}", edit.On(w.itemObject()), w.itemUpdate)
	rt.Handle("POST /catalog/items/{id}/delete", edit.On(w.itemObject()), w.itemDelete)
	rt.Handle("POST /catalog/items/{id}/move", edit.On(w.itemObject()), w.itemMove)
	rt.Handle("GET /catalog/templates/{id}/items/new", edit.On(w.templateObject()), w.itemNew)
	rt.Handle("POST /catalog/templates/{id}/items", edit.On(w.templateObject()), w.itemCreate)
	rt.Handle("GET /catalog/templates/{id}/import", edit.On(w.templateObject()), w.importForm)
	rt.Handle("POST /catalog/templates/{id}/import", edit.WithUpload().On(w.templateObject()), w.importUpload)
	rt.Handle("GET /catalog/templates/{id}/import/{file}/preview", edit.On(w.templateObject()).On(w.uploadObject()), w.importPreview)
	rt.Handle("POST /catalog/templates/{id}/import/{file}/apply", edit.On(w.templateObject()).On(w.uploadObject()), w.importApply)
	return nil
}

// labels are the Japanese names the pages show.
var labels = map[string]map[string]string{"kind": Kinds, "technique": Techniques, "priority": Priorities, "applicability": Applicability, "threat": Threats}

func (w *Web) overview(rw http.ResponseWriter, r *http.Request) error {
	fws, err := w.store.Frameworks(r.Context())
	if err != nil {
		return err
	}
	ts, err := w.store.Templates(r.Context())
	if err != nil {
		return err
	}
	return web.Render(rw, r, http.StatusOK, "catalog/overview", "監査項目カタログ", map[string]any{"Frameworks": fws, "Templates": ts})
}

func (w *Web) framework(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	f, err := w.store.Framework(r.Context(), id)
	if err != nil {
		return err
	}
	cs, err := w.store.ClauseTree(r.Context(), id)
	if err != nil {
		return err
	}
	return web.Render(rw, r, http.StatusOK, "catalog/framework", f.Title, map[string]any{"F": f, "Clauses": cs})
}

func (w *Web) clause(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	return w.renderClause(rw, r, http.StatusOK, id, mappingFormFromQuery(r))
}

// itemSpec is the list of a checklist version's items. Its paths name the
// template, so itemList completes a copy per request; the page and the
// export parse every request with it, so a file holds exactly the items
// the page lists.
var itemSpec = web.ListSpec{
	Sorts: []web.ListSort{{Key: ItemSortOrder, Label: "No"}, {Key: ItemSortCode, Label: "コード"}, {Key: ItemSortCategory, Label: "分類"},
		{Key: ItemSortPriority, Label: "重要度"}},
	Filters: []web.ListFilter{
		{Key: "group", Label: "大分類"},
		{Key: "priority", Label: "重要度", Options: labelOptions(Priorities, PriorityOrder)},
		{Key: "technique", Label: "技法", Options: labelOptions(Techniques, TechniqueOrder)},
		{Key: "threat", Label: "脅威", Options: labelOptions(Threats, ThreatOrder)},
		{Key: "applicability", Label: "対象", Options: labelOptions(Applicability, ApplicabilityOrder)},
		{Key: "site", Label: "視察項目のみ", Kind: web.FilterCheck},
	},
	Search:     "キーワード",
	SearchHint: "コード・分類・監査項目・判定基準・監査資料・確認方法・備考から探します（全角・半角、ひらがな・カタカナを区別しません）",
	Noun:       "項目", Label: "項目の絞り込み",
	Empty: "このチェックリストにはまだ項目がありません。編集できる版なら「項目を追加」か「Excel から取り込む」で追加できます。",
}

// labelOptions are a label map's choices in order (then any others by key).
func labelOptions(labels map[string]string, order []string) []web.ListOption {
	var out []web.ListOption
	for _, o := range editOptions(labels, order, nil) {
		out = append(out, web.ListOption{Value: o.Value, Label: o.Label})
	}
	return out
}

// itemList parses a request for the items of template t (the page or its
// export) and turns it into the store's filter.
func (w *Web) itemList(r *http.Request, t StoredTemplate) (*web.List, ItemFilter, error) {
	spec := itemSpec
	spec.Path = fmt.Sprintf("/catalog/templates/%d", t.ID)
	spec.ExportPath = spec.Path + "/export"
	l := spec.Parse(r)
	groups, err := w.store.ItemGroups(r.Context(), t.ID)
	if err != nil {
		return nil, ItemFilter{}, err
	}
	opts := make([]web.ListOption, len(groups))
	for i, g := range groups {
		opts[i] = web.ListOption{Value: g, Label: g}
	}
	l.SetOptions("group", opts)
	f := ItemFilter{TemplateID: t.ID, Q: l.Q, Group: l.Value("group"), Priority: l.Value("priority"), Technique: l.Value("technique"),
		Threat: l.Value("threat"), Applicability: l.Value("applicability"), SiteInspection: l.Value("site") != ""}
	return l, f, nil
}

// templateInPath loads the template named in the path.
func (w *Web) templateInPath(r *http.Request) (StoredTemplate, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return StoredTemplate{}, err
	}
	return w.store.Template(r.Context(), id)
}

// templatePage is a checklist version's page: its items as a list.
type templatePage struct {
	T         StoredTemplate
	List      *web.List
	Items     []StoredItem
	L         map[string]map[string]string
	CanCopy   bool
	CanFreeze bool
	// CanOrder: the move buttons, on the editable version's unfiltered
	// list in its own order.
	CanOrder bool
	Next     int
}

// DocumentLink is the printed checklist (pdf, docx) of the listed items.
func (p templatePage) DocumentLink(format string) string { return p.List.ExportLink(format) }

func (w *Web) template(rw http.ResponseWriter, r *http.Request) error {
	t, err := w.templateInPath(r)
	if err != nil {
		return err
	}
	l, f, err := w.itemList(r, t)
	if err != nil {
		return err
	}
	items, total, err := w.store.ItemPage(r.Context(), f, l.Sort, l.Desc, l.Limit(), l.Offset())
	if err != nil {
		return err
	}
	l.SetTotal(total)
	p := templatePage{T: t, List: l, Items: items, L: labels, CanCopy: editors.Allows(r), CanFreeze: admins.Allows(r), Next: t.Version + 1}
	p.CanOrder = p.CanCopy && !t.Frozen && !l.Filtered() && l.Sort == ItemSortOrder && !l.Desc
	return web.Render(rw, r, http.StatusOK, "catalog/template", t.Title, p)
}

func (w *Web) item(rw http.ResponseWriter, r *http.Request) error {
	it, t, err := w.itemInPath(r)
	if err != nil {
		return err
	}
	return web.Render(rw, r, http.StatusOK, "catalog/item", it.Code, map[string]any{"I": it, "T": t, "L": labels})
}

func (w *Web) diff(rw http.ResponseWriter, r *http.Request) error {
	t, err := w.templateInPath(r)
	if err != nil {
		return err
	}
	prev, ok, err := w.store.Previous(r.Context(), t)
	if err != nil {
		return err
	}
	data := map[string]any{"T": t, "HasPrev": ok, "Prev": prev}
	if ok {
		olds, err := w.store.Items(r.Context(), ItemFilter{TemplateID: prev.ID})
		if err != nil {
			return err
		}
		news, err := w.store.Items(r.Context(), ItemFilter{TemplateID: t.ID})
		if err != nil {
			return err
		}
		data["Changes"] = DiffItems(olds, news)
	}
	return web.Render(rw, r, http.StatusOK, "catalog/diff", t.Title+"（版の比較）", data)
}

func (w *Web) copy(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	version, err := jp.ParseFiscalYear(r.FormValue("version"))
	if err != nil {
		return web.Invalid("年度: %s", err.Error())
	}
	nid, err := CopyTemplate(r.Context(), w.store.db, w.log, id, version, w.now())
	if errors.Is(err, ErrVersionExists) {
		return web.Conflict("%s", err.Error())
	}
	if err != nil {
		return err
	}
	return web.Redirect(rw, r, fmt.Sprintf("/catalog/templates/%d", nid), jp.FiscalYearLabel(version)+"版を作成しました。", true)
}

func (w *Web) freeze(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := Freeze(r.Context(), w.store.db, w.log, id, w.now()); err != nil {
		return err
	}
	return web.Redirect(rw, r, fmt.Sprintf("/catalog/templates/%d", id), "この版を凍結しました。今年度の監査はこの版を使います。", true)
}
