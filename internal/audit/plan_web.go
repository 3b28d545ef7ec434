package audit

// The plan screens: the plan of one engagement (fields ア–コ, revised as a
// new version on every save), its history with what changed field by
// field, and the engagement's documents (監査計画書, 監査実施通知書,
// 説明会資料, 監査チェックリスト) as downloads.

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
	"mamori/internal/web"
)

// planReaders may open a plan: the auditing roles and the viewer, who
// reads the programme (what each may do is Access).
var planReaders = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleAuditor, web.RoleViewer)

// planRoutes registers the plan screens, the documents and the checklist
// tab.
func (m *Module) planRoutes(rt *web.Router) {
	obj := m.engagementObject()
	rt.Handle("GET /audit/{id}/plan", planReaders.Rule().On(obj), m.planShow)
	rt.Handle("POST /audit/{id}/plan", Auditing.Rule().On(obj), m.planSave)
	rt.Handle("GET /audit/{id}/plan/history", planReaders.Rule().On(obj), m.planHistory)
	rt.Handle("GET /audit/{id}/documents/{name...}", Readers.Rule().On(obj), m.planDocument)
	m.checklistRoutes(rt)
}

// planFieldView is one field of the plan form or page.
type planFieldView struct {
	PlanField
	Value string
	Lines []string
	Error string
	Rows  int
}

// planDocLink is a download offered on the plan page.
type planDocLink struct {
	Label string
	Links []struct{ Href, Label string }
}

type planView struct {
	V        engagementView
	Version  PlanVersion
	Has      bool // a version exists
	Latest   int  // the newest version's number
	Old      bool // an older version is shown
	Editable bool
	Locked   bool
	Fields   []planFieldView
	Note     string
	NoteErr  string
	Problem  string // a message above the form (conflict, lock)
	Docs     []planDocLink
}

func planFieldViews(text PlanText, errs FieldErrors) []planFieldView {
	out := make([]planFieldView, len(PlanFields))
	for i, f := range PlanFields {
		v := text[f.Key]
		// Rows enough for the text at about 22 full-width characters a
		// line (the box's width), and one more for typing.
		rows := 1
		for _, l := range strings.Split(v, "\n") {
			rows += max((utf8.RuneCountInString(l)+21)/22, 1)
		}
		rows = min(max(rows, 4), 24)
		out[i] = planFieldView{PlanField: f, Value: v, Lines: text.Lines(f.Key), Error: errs[f.Key], Rows: rows}
	}
	return out
}

func (m *Module) planDocs(e Engagement, a Access) []planDocLink {
	link := func(label string, names ...string) planDocLink {
		l := planDocLink{Label: label}
		for _, n := range names {
			f, _ := formats.Get(strings.TrimPrefix(path.Ext(n), "."))
			l.Links = append(l.Links, struct{ Href, Label string }{fmt.Sprintf("/audit/%d/documents/%s", e.ID, n), f.Label})
		}
		return l
	}
	out := []planDocLink{link("監査計画書", "plan.pdf", "plan.docx")}
	if a.Audit {
		out = append(out, link("監査実施通知書（対象所属ごと）", "notice.pdf", "notice.docx"), link("説明会資料", "briefing.pdf", "briefing.docx"))
	}
	return out
}

// renderPlan renders the plan page (the form for the team, the text for
// the viewer).
func (m *Module) renderPlan(w http.ResponseWriter, r *http.Request, status int, v planView) error {
	return web.Render(w, r, status, "audit/plan_show", "監査計画 – "+v.V.E.Title, v)
}

func (m *Module) planShow(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit && !a.Viewer {
		return web.NotFound()
	}
	ctx := r.Context()
	v := planView{V: engagementView{E: e, A: a, Tab: "plan"}, Locked: e.Phase == PhaseDone, Docs: m.planDocs(e, a)}
	var cur PlanVersion
	if a.Audit {
		// The team's first visit creates the first version from the
		// standard wording.
		if cur, err = m.store.EnsurePlan(ctx, e.ID, actor(r)); err != nil {
			return err
		}
		v.Has = true
	} else if cur, v.Has, err = m.store.LatestPlan(ctx, e.ID); err != nil {
		return err
	}
	v.Version, v.Latest = cur, cur.Version
	if q := r.URL.Query().Get("v"); q != "" && v.Has {
		n, err := strconv.Atoi(q)
		if err != nil || n <= 0 {
			return web.NotFound()
		}
		if v.Version, err = m.store.PlanVersionOf(ctx, e.ID, n); err != nil {
			return err
		}
		v.Old = n != cur.Version
	}
	v.Editable = a.Audit && !v.Locked && !v.Old
	v.Fields = planFieldViews(v.Version.Text, nil)
	return m.renderPlan(w, r, http.StatusOK, v)
}

func (m *Module) planSave(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit {
		return web.NotFound()
	}
	ctx := r.Context()
	text := PlanText{}
	for _, f := range PlanFields {
		text[f.Key] = r.PostFormValue(f.Key)
	}
	note := r.PostFormValue("note")
	read, err := strconv.Atoi(r.PostFormValue("version"))
	if err != nil || read < 0 {
		return web.Invalid("保存する計画の版が指定されていません。画面を読み込み直してください。")
	}
	saved, err := m.store.SavePlan(ctx, e.ID, read, text, note, actor(r))
	if err == nil {
		return web.Redirect(w, r, fmt.Sprintf("/audit/%d/plan", e.ID), fmt.Sprintf("監査計画を%sとして保存しました。", saved.Label()), true)
	}
	// Refused: the page again with what the user typed.
	cur, has, lerr := m.store.LatestPlan(ctx, e.ID)
	if lerr != nil {
		return lerr
	}
	v := planView{V: engagementView{E: e, A: a, Tab: "plan"}, Version: cur, Has: has, Latest: cur.Version, Locked: e.Phase == PhaseDone,
		Docs: m.planDocs(e, a), Note: note}
	v.Version.Version = read // the form keeps the version the user read
	var fe FieldErrors
	status := http.StatusBadRequest
	switch {
	case errors.As(err, &fe):
		v.NoteErr = fe["note"]
		v.Fields = planFieldViews(text, fe)
		v.Problem = "保存できませんでした。" + fe.Error()
	case errors.Is(err, ErrConflict):
		status = http.StatusConflict
		v.Fields = planFieldViews(text, nil)
		v.Problem = fmt.Sprintf("保存できませんでした。この画面を開いた後に、%sさんが計画を第%d版として保存しています。入力した内容は下に残してあります。"+
			"「変更履歴」で第%d版の内容を確かめ、必要な変更を反映してから保存し直してください。", cur.CreatedName, cur.Version, cur.Version)
		v.Version.Version = cur.Version
	case errors.Is(err, ErrPlanLocked):
		status = http.StatusConflict
		v.Fields = planFieldViews(text, nil)
		v.Problem = ErrPlanLocked.Error()
	default:
		return err
	}
	v.Editable = !v.Locked
	return m.renderPlan(w, r, status, v)
}

// planHistoryEntry is one version with what changed from the one before.
type planHistoryEntry struct {
	PlanVersion
	Diffs   []PlanFieldDiff
	Current bool
	First   bool // the first version: nothing to compare with
}

func (m *Module) planHistory(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit && !a.Viewer {
		return web.NotFound()
	}
	vs, err := m.store.PlanVersions(r.Context(), e.ID)
	if err != nil {
		return err
	}
	entries := make([]planHistoryEntry, len(vs))
	for i, v := range vs {
		entries[i] = planHistoryEntry{PlanVersion: v, Current: i == 0, First: i+1 == len(vs)}
		if i+1 < len(vs) {
			entries[i].Diffs = DiffPlans(vs[i+1].Text, v.Text)
		}
	}
	return web.Render(w, r, http.StatusOK, "audit/plan_history", "監査計画の変更履歴 – "+e.Title, struct {
		V       engagementView
		Entries []planHistoryEntry
	}{engagementView{E: e, A: a, Tab: "plan"}, entries})
}

// noticeSent reports whether the audited departments have been sent the
// notice (監査実施通知書) and may read it and the briefing material: once
// the engagement is past 計画, the phase that ends with the notice.
func noticeSent(e Engagement) bool { return e.Phase.Index() > PhasePlan.Index() }

// planDocuments are the documents of an engagement served under
// /audit/{id}/documents/{stem}.{ext}: their Japanese name, the formats
// they come in, and who may have them.
var planDocuments = map[string]struct {
	Label   string
	Formats []string
	May     func(Engagement, Access) bool
}{
	"plan":      {"監査計画書", []string{"pdf", "docx"}, func(_ Engagement, a Access) bool { return a.Audit || a.Viewer }},
	"notice":    {"監査実施通知書", []string{"pdf", "docx"}, func(e Engagement, a Access) bool { return a.Audit || a.Auditee && noticeSent(e) }},
	"briefing":  {"説明会資料", []string{"pdf", "docx"}, func(e Engagement, a Access) bool { return a.Audit || a.Auditee && noticeSent(e) }},
	"checklist": {"監査チェックリスト", []string{"pdf", "xlsx"}, func(_ Engagement, a Access) bool { return a.Audit }},
}

// planDocument serves one document of the engagement, audited: the file
// is named in Japanese with the engagement's code (監査計画書_2026-IA-01.pdf).
// An auditee receives the notices of their own department only, and the
// notice and the briefing material only once they were sent (noticeSent).
func (m *Module) planDocument(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	stem, ext, _ := strings.Cut(name, ".")
	spec, ok := planDocuments[stem]
	if !ok || !spec.May(e, a) {
		return web.NotFound()
	}
	f, err := formats.Parse(ext, spec.Formats...)
	if err != nil {
		return web.Invalid("%sの%s", spec.Label, err.Error())
	}
	ctx := r.Context()
	var doc *docgen.Document
	note := ""
	switch stem {
	case "plan":
		doc, err = m.store.PlanDocument(ctx, e)
		if err == nil {
			note = doc.Meta.Version
		}
	case "notice":
		targets := e.Targets
		if !a.Audit {
			targets = nil
			u := web.UserFrom(ctx)
			for _, t := range e.Targets {
				own, err := m.store.audits(ctx, Engagement{Targets: []Target{t}}, u.DepartmentID)
				if err != nil {
					return err
				}
				if own {
					targets = append(targets, t)
				}
			}
		}
		doc, err = m.store.NoticeDocumentFor(ctx, e, targets)
		note = fmt.Sprintf("%d通", len(targets))
	case "briefing":
		doc, err = m.store.BriefingDocument(ctx, e)
	case "checklist":
		doc, err = m.store.ChecklistDocument(ctx, e)
	}
	if err != nil {
		return err
	}
	file := web.JoinFileName(f.Name, spec.Label, e.Code)
	detail := e.Code + " " + spec.Label + "（"
	if note != "" {
		detail += note + "、"
	}
	detail += strings.ToUpper(f.Name) + "）"
	d := web.Download{Name: file, ContentType: f.ContentType, Target: fmt.Sprintf("audit_engagement:%d", e.ID), Detail: detail}
	return web.Send(w, r, m.log, d, func(out io.Writer) error {
		if stem == "checklist" && f.Name == "xlsx" {
			return WriteChecklistXLSX(out, doc)
		}
		return f.Render(out, doc)
	})
}
