package catalog

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/blob"
	"mamori/internal/docgen"
	"mamori/internal/jp"
	"mamori/internal/web"
)

//go:embed templates
var templateFS embed.FS

// Web is the catalogue's screens.
type Web struct {
	store *Store
	log   *auditlog.Log
	rd    *web.Renderer // for the ward's name on documents
	blobs *blob.Store   // uploaded workbooks (XLSX import)
}

// NewWeb returns the catalogue screens.
func NewWeb(s *Store, log *auditlog.Log) *Web { return &Web{store: s, log: log} }

// Routes registers the catalogue pages: readable by the office, the
// consultant, internal auditors and viewers.
func (w *Web) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("catalog", templateFS, "templates"); err != nil {
		return err
	}
	w.rd = rt.Renderer()
	read := web.Allow(web.RoleAdmin, web.RoleConsultant, web.RoleAuditor, web.RoleViewer)
	rt.Handle("GET /catalog", read, w.overview)
	rt.Handle("GET /catalog/frameworks/{id}", read, w.framework)
	rt.Handle("GET /catalog/clauses/{id}", read, w.clause)
	rt.Handle("GET /catalog/templates/{id}", read, w.template)
	rt.Handle("GET /catalog/templates/{id}/export", read, w.export)
	rt.Handle("GET /catalog/items/{id}", read, w.item)
	rt.Handle("GET /catalog/templates/{id}/diff", read, w.diff)
	rt.Handle("POST /catalog/templates/{id}/copy", web.Allow(web.RoleAdmin, web.RoleConsultant), w.copy)
	rt.Handle("POST /catalog/templates/{id}/freeze", web.Allow(web.RoleAdmin), w.freeze)
	w.mappingRoutes(rt, read)
	w.editRoutes(rt)
	w.importRoutes(rt)
	w.buildRoutes(rt)
	return nil
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, web.NotFound()
	}
	return id, nil
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
	id, err := pathID(r)
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
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return w.renderClause(rw, r, http.StatusOK, id, mappingFormFromQuery(r))
}

func itemFilter(r *http.Request, tid int64) ItemFilter {
	q := r.URL.Query()
	return ItemFilter{TemplateID: tid, Q: q.Get("q"), Priority: q.Get("priority"), Technique: q.Get("technique"), Threat: q.Get("threat"),
		Applicability: q.Get("applicability"), SiteInspection: q.Get("site") != ""}
}

// templateItems loads the template named in the path and its items as
// the query filters them.
func (w *Web) templateItems(r *http.Request) (StoredTemplate, []StoredItem, error) {
	id, err := pathID(r)
	if err != nil {
		return StoredTemplate{}, nil, err
	}
	t, err := w.store.Template(r.Context(), id)
	if err != nil {
		return t, nil, err
	}
	items, err := w.store.Items(r.Context(), itemFilter(r, id))
	return t, items, err
}

func (w *Web) template(rw http.ResponseWriter, r *http.Request) error {
	t, items, err := w.templateItems(r)
	if err != nil {
		return err
	}
	u := web.UserFrom(r.Context())
	return web.Render(rw, r, http.StatusOK, "catalog/template", t.Title, map[string]any{"T": t, "Items": items, "Query": r.URL.Query(), "L": labels,
		"RawQuery": r.URL.RawQuery, "CanCopy": u.Role == web.RoleAdmin || u.Role == web.RoleConsultant, "CanFreeze": u.Role == web.RoleAdmin, "Next": t.Version + 1})
}

func (w *Web) item(rw http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	it, err := w.store.Item(r.Context(), id)
	if err != nil {
		return err
	}
	t, err := w.store.Template(r.Context(), it.TemplateID)
	if err != nil {
		return err
	}
	return web.Render(rw, r, http.StatusOK, "catalog/item", it.Code, map[string]any{"I": it, "T": t, "L": labels})
}

// ChecklistDocument lays a template out in the column layout wards use:
// No / 分類 / 監査項目 / 判定基準 / 監査資料の例 / 確認方法 / 判定 / 所見 / 根拠規定,
// then the columns that make the file importable again without loss
// (see importxlsx.go) and a 取込情報 sheet naming the template.
func ChecklistDocument(t StoredTemplate, items []StoredItem, ward string) *docgen.Document {
	return checklistWorkbook(t, items, ward, nil)
}

func joinLines(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += "\n"
		}
		out += "・" + s
	}
	return out
}

func (w *Web) export(rw http.ResponseWriter, r *http.Request) error {
	if f := r.URL.Query().Get("format"); f != "" && f != "xlsx" {
		return w.exportDocument(rw, r, f)
	}
	t, items, err := w.templateItems(r)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%s_%s.xlsx", t.Title, jp.FiscalYearLabel(t.Version))
	var buf bytes.Buffer
	if err := WriteChecklistXLSX(&buf, ChecklistDocument(t, items, "")); err != nil {
		return err
	}
	if err := w.log.Record(r.Context(), "download", fmt.Sprintf("checklist_template:%d", t.ID), fmt.Sprintf("%s（%d 項目）", name, len(items))); err != nil {
		return err
	}
	rw.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	rw.Header().Set("Content-Disposition", "attachment; filename=\"checklist.xlsx\"; filename*=UTF-8''"+urlPathEscape(name))
	_, err = buf.WriteTo(rw)
	return err
}

func urlPathEscape(s string) string { return url.PathEscape(s) }

func (w *Web) diff(rw http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := w.store.Template(r.Context(), id)
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
	id, err := pathID(r)
	if err != nil {
		return err
	}
	version, err := jp.ParseFiscalYear(r.FormValue("version"))
	if err != nil {
		return web.Invalid("年度: %s", err.Error())
	}
	nid, err := CopyTemplate(r.Context(), w.store.db, w.log, id, version, time.Now())
	if errors.Is(err, ErrVersionExists) {
		return web.Conflict("%s", err.Error())
	}
	if err != nil {
		return err
	}
	return web.Redirect(rw, r, fmt.Sprintf("/catalog/templates/%d", nid), jp.FiscalYearLabel(version)+"版を作成しました。", true)
}

func (w *Web) freeze(rw http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := Freeze(r.Context(), w.store.db, w.log, id, time.Now()); err != nil {
		return err
	}
	return web.Redirect(rw, r, fmt.Sprintf("/catalog/templates/%d", id), "この版を凍結しました。今年度の監査はこの版を使います。", true)
}
