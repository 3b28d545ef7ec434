package audit

// This file is the results material page of an external audit
// (/audit/{id}/material): the team and the managers pick the response
// examples for the results meeting (suggested from the findings) and
// download 報告会資料（外部監査結果）; the auditee and the viewer read and
// download it once the report was issued, like the report itself.

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"mamori/internal/docgen/formats"
	"mamori/internal/web"
)

// materialRoutes registers the material page (called by examplesRoutes).
func (m *Module) materialRoutes(rt *web.Router) {
	read := Readers.Rule().On(m.engagementObject())
	write := Auditing.Rule().On(m.engagementObject())
	rt.Handle("GET /audit/{id}/material", read, m.materialPage)
	rt.Handle("POST /audit/{id}/material", write, m.materialSave)
	rt.Handle("GET /audit/{id}/material/document.pdf", read, m.materialDownload(formats.PDF))
	rt.Handle("GET /audit/{id}/material/document.docx", read, m.materialDownload(formats.DOCX))
}

// materialLoad reads the engagement and the user's access: only external
// audits have material; the team edits it, the auditee and the viewer
// read it once the report was issued; anyone else finds nothing.
func (m *Module) materialLoad(r *http.Request) (Engagement, Access, error) {
	e, a, err := m.load(r)
	if err != nil {
		return e, a, err
	}
	if !materialKind(e.Kind) {
		return e, a, web.NotFound()
	}
	if a.Audit || (a.Issued && (a.Auditee || a.Viewer)) {
		return e, a, nil
	}
	return e, a, web.NotFound()
}

// materialRow is one example offered on the page.
type materialRow struct {
	Example
	Chosen    bool
	Note      string
	Suggested *Suggestion
}

type materialView struct {
	V        engagementView
	Chosen   []MaterialExample
	Rows     []materialRow // the team's choices: suggested first, then the rest
	Suggests int
	Version  string // the report version the material prints
	Query    string // the download query naming the version ("" for the default)
	Errors   FieldErrors
}

func (m *Module) materialPage(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.materialLoad(r)
	if err != nil {
		return err
	}
	return m.renderMaterial(w, r, e, a, http.StatusOK, nil)
}

func (m *Module) renderMaterial(w http.ResponseWriter, r *http.Request, e Engagement, a Access, status int, fe FieldErrors) error {
	ctx := r.Context()
	if _, err := m.store.EnsureExamples(ctx); err != nil {
		return err
	}
	rep, err := m.store.reportOf(ctx, e)
	if err != nil {
		return err
	}
	version, err := m.reportVersionParam(r, a, rep)
	if err != nil {
		return err
	}
	v := materialView{V: engagementView{E: e, A: a, Tab: "material"}, Errors: fe}
	if version == 0 && rep.Final() {
		version = rep.Version
	}
	if version > 0 {
		v.Version = fmt.Sprintf("第%d版（確定）", version)
		if q := r.URL.Query().Get("version"); q != "" {
			v.Query = "?version=" + strconv.Itoa(version)
		}
	} else {
		v.Version = fmt.Sprintf("第%d版（案）", rep.Drafting())
	}
	if v.Chosen, err = m.store.MaterialExamples(ctx, e.ID); err != nil {
		return err
	}
	if a.Audit {
		sugg, err := m.store.SuggestExamples(ctx, e)
		if err != nil {
			return err
		}
		all, err := m.store.Examples(ctx, ExampleFilter{})
		if err != nil {
			return err
		}
		chosen := map[int64]MaterialExample{}
		for _, c := range v.Chosen {
			chosen[c.ID] = c
		}
		row := func(x Example) materialRow {
			c, ok := chosen[x.ID]
			return materialRow{Example: x, Chosen: ok, Note: c.Note}
		}
		seen := map[int64]bool{}
		for i := range sugg {
			rw := row(sugg[i].Example)
			rw.Suggested = &sugg[i]
			v.Rows = append(v.Rows, rw)
			seen[rw.ID] = true
		}
		v.Suggests = len(v.Rows)
		// A chosen example since deactivated stays on offer, so saving keeps it.
		for _, c := range v.Chosen {
			if !c.Active && !seen[c.ID] {
				v.Rows = append(v.Rows, row(c.Example))
				seen[c.ID] = true
			}
		}
		for _, x := range all {
			if !seen[x.ID] {
				v.Rows = append(v.Rows, row(x))
			}
		}
		if fe != nil {
			// Keep what was typed.
			for i := range v.Rows {
				id := strconv.FormatInt(v.Rows[i].ID, 10)
				v.Rows[i].Chosen = false
				for _, s := range r.PostForm["ex"] {
					v.Rows[i].Chosen = v.Rows[i].Chosen || s == id
				}
				v.Rows[i].Note = r.PostForm.Get("note_" + id)
			}
		}
	}
	return web.Render(w, r, status, "audit/material_show", materialTitle+"　"+e.Title, v)
}

func (m *Module) materialSave(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.materialLoad(r)
	if err != nil {
		return err
	}
	if !a.Audit {
		return web.NotFound()
	}
	if err := r.ParseForm(); err != nil {
		return web.Invalid("送信内容を読み取れませんでした。")
	}
	var choices []MaterialChoice
	for _, s := range r.PostForm["ex"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id < 1 {
			return web.Invalid("対応例の指定（%s）が正しくありません。画面を読み込み直してください。", s)
		}
		choices = append(choices, MaterialChoice{ExampleID: id, Note: r.PostForm.Get("note_" + s)})
	}
	err = m.store.SetMaterialExamples(r.Context(), e, choices, actor(r))
	var fe FieldErrors
	if errors.As(err, &fe) {
		return m.renderMaterial(w, r, e, a, http.StatusBadRequest, fe)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/audit/%d/material", e.ID), fmt.Sprintf("報告会資料で取り上げる対応例を %d 件にしました。", len(choices)), true)
}

// materialDownload sends the material in format f (the report's draft
// for the team, its latest final version for readers; ?version= picks
// one), through web.Send (audited).
func (m *Module) materialDownload(f formats.Format) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		e, a, err := m.materialLoad(r)
		if err != nil {
			return err
		}
		ctx := r.Context()
		rep, err := m.store.reportOf(ctx, e)
		if err != nil {
			return err
		}
		version, err := m.reportVersionParam(r, a, rep)
		if err != nil {
			return err
		}
		doc, err := m.store.MaterialDocument(ctx, e, version)
		if err != nil {
			return err
		}
		name := web.JoinFileName(f.Name, "報告会資料（外部監査結果）", e.Code, doc.Meta.Version)
		dl := web.Download{Name: name, ContentType: f.ContentType, Target: fmt.Sprintf("audit_engagement:%d", e.ID),
			Detail: fmt.Sprintf("%s %s（%s、%s）", e.Code, materialTitle, doc.Meta.Version, strings.ToUpper(f.Name))}
		return web.Send(w, r, m.log, dl, func(out io.Writer) error { return f.Render(out, doc) })
	}
}
