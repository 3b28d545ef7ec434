package audit

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"mamori/internal/catalog"
	"mamori/internal/docgen/formats"
	"mamori/internal/web"
)

// The build screens: choose a template and the department or system
// audited, tick its characteristics and the priority threats, see the
// items with the reason for each, save, list and export.

// choice is one checkbox of the build form.
type choice struct {
	Code, Label string
	Checked     bool
}

type buildFormView struct {
	Templates   []catalog.StoredTemplate
	Departments []DeptOption
	Systems     []SystemOwner
	Q           string
	Req         BuildRequest
	Dept        *DeptOption
	Profile     Profile
	Scope       []choice
	Threats     []choice
	Problems    map[string][]string
	SaveProfile bool
	Note        string
	History     string
}

// requestFrom reads a build request from form or query values.
func requestFrom(v url.Values) (BuildRequest, []BuildProblem) {
	var req BuildRequest
	var ps []BuildProblem
	if s := strings.TrimSpace(v.Get("template")); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			ps = append(ps, BuildProblem{"template", "元にするチェックリストの指定が正しくありません"})
		}
		req.TemplateID = id
	}
	if s := strings.TrimSpace(v.Get("department")); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			ps = append(ps, BuildProblem{"department", "所属の指定が正しくありません"})
		}
		req.DepartmentID = id
	}
	req.System = cleanText(v.Get("system"))
	req.Scope = v["scope"]
	req.Threats = v["threat"]
	switch v.Get("mode") {
	case "", "all":
		req.IncludeRecommended = true
	case "required":
	default:
		ps = append(ps, BuildProblem{"mode", "「必須のみ」か「推奨も含める」を選んでください"})
	}
	return req, ps
}

func problemMap(ps []BuildProblem) map[string][]string {
	m := map[string][]string{}
	for _, p := range ps {
		m[p.Field] = append(m[p.Field], p.Msg)
	}
	return m
}

// buildView fills the form: the target's saved profile prefills the
// characteristics unless the user already chose them (set=1).
func (m *Module) buildView(r *http.Request, v url.Values, req BuildRequest, ps []BuildProblem) (buildFormView, error) {
	ctx := r.Context()
	view := buildFormView{Q: strings.TrimSpace(v.Get("q")), Req: req, Problems: problemMap(ps), History: HistoryNote,
		SaveProfile: v.Get("set") == "" || v.Get("save_profile") != ""}
	ts, err := m.store.cat.Templates(ctx)
	if err != nil {
		return view, err
	}
	for _, t := range ts {
		if t.Items > 0 {
			view.Templates = append(view.Templates, t)
		}
	}
	if view.Systems, err = m.store.SystemOwners(ctx); err != nil {
		return view, err
	}
	// A system named without a department: its owner, when one
	// department's profile names it.
	if req.DepartmentID == 0 && req.System != "" {
		var owners []SystemOwner
		for _, s := range view.Systems {
			if s.Name == req.System {
				owners = append(owners, s)
			}
		}
		if len(owners) == 1 {
			view.Req.DepartmentID = owners[0].DepartmentID
			view.Note = fmt.Sprintf("「%s」は%sの所管システムとして登録されているため、%sの監査範囲を読み込みました。", req.System, owners[0].Department, owners[0].Department)
		}
	}
	all, err := m.store.Departments(ctx, "")
	if err != nil {
		return view, err
	}
	if view.Q != "" {
		if view.Departments, err = m.store.Departments(ctx, view.Q); err != nil {
			return view, err
		}
	} else {
		view.Departments = all
	}
	for i := range all {
		if all[i].ID == view.Req.DepartmentID {
			d := all[i]
			view.Dept = &d
		}
	}
	checked := map[string]bool{}
	if view.Dept != nil {
		if view.Profile, err = m.store.ProfileOf(ctx, view.Dept.ID); err != nil {
			return view, err
		}
	}
	if v.Get("set") != "" {
		for _, c := range req.Scope {
			checked[c] = true
		}
	} else {
		if view.Dept != nil {
			for _, c := range view.Profile.Codes(view.Dept.HasCounter) {
				checked[c] = true
			}
		}
		if view.Req.System != "" {
			checked["system_owner"] = true
		}
	}
	for _, c := range ScopeCodes {
		view.Scope = append(view.Scope, choice{Code: c, Label: catalog.Applicability[c], Checked: checked[c]})
	}
	tsel := map[string]bool{}
	for _, t := range req.Threats {
		tsel[t] = true
	}
	for _, t := range catalog.ThreatOrder {
		view.Threats = append(view.Threats, choice{Code: t, Label: catalog.Threats[t], Checked: tsel[t]})
	}
	return view, nil
}

func (m *Module) buildForm(rw http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	req, ps := requestFrom(v)
	view, err := m.buildView(r, v, req, ps)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if len(ps) > 0 {
		status = http.StatusBadRequest
	}
	return web.Render(rw, r, status, "audit/build_form", "監査用チェックリストの作成", view)
}

type buildResultView struct {
	R         *BuildResult
	Scope     []string
	Threats   []string
	Title     string
	Back      string
	History   string
	Saved     string // profile saved message
	Hidden    url.Values
	MoreItems int
}

// buildResult saves the department's profile when asked and shows the
// checklist the choices give (nothing is saved until 保存).
func (m *Module) buildResult(rw http.ResponseWriter, r *http.Request) error {
	v := r.PostForm
	req, ps := requestFrom(v)
	if len(ps) == 0 {
		ps = req.Check()
	}
	var res *BuildResult
	if len(ps) == 0 {
		var err error
		if res, ps, err = m.store.Build(r.Context(), req); err != nil {
			return err
		}
	}
	var prof *Profile
	if len(ps) == 0 && req.DepartmentID > 0 && v.Get("save_profile") != "" {
		p := Profile{DepartmentID: req.DepartmentID, Systems: SystemLines(v.Get("systems"))}
		for _, c := range req.Scope {
			switch c {
			case "mynumber":
				p.MyNumber = true
			case "system_owner":
				p.SystemOwner = true
			case "server_room":
				p.ServerRoom = true
			case "cloud_user":
				p.CloudUser = true
			case "outsourcer":
				p.Outsourcer = true
			}
		}
		if msg := CheckProfile(p); msg != "" {
			ps = append(ps, BuildProblem{"systems", msg})
		} else {
			prof = &p
		}
	}
	if len(ps) > 0 {
		v.Set("set", "1")
		view, err := m.buildView(r, v, req, ps)
		if err != nil {
			return err
		}
		view.Req.System = req.System
		view.Profile.Systems = SystemLines(v.Get("systems"))
		return web.Render(rw, r, http.StatusBadRequest, "audit/build_form", "監査用チェックリストの作成", view)
	}
	view := buildResultView{R: res, Title: res.DefaultTitle(), History: HistoryNote}
	if prof != nil {
		if err := m.store.SaveProfile(r.Context(), *prof); err != nil {
			return err
		}
		view.Saved = res.Department + "の監査範囲（特性と所管システム）を保存しました。次回はこの内容から始まります。"
	}
	for _, c := range req.Scope {
		view.Scope = append(view.Scope, catalog.Applicability[c])
	}
	for _, t := range req.Threats {
		view.Threats = append(view.Threats, catalog.Threats[t])
	}
	q := url.Values{"template": {strconv.FormatInt(req.TemplateID, 10)}, "set": {"1"}, "scope": req.Scope, "threat": req.Threats}
	if req.DepartmentID > 0 {
		q.Set("department", strconv.FormatInt(req.DepartmentID, 10))
	}
	if req.System != "" {
		q.Set("system", req.System)
	}
	if !req.IncludeRecommended {
		q.Set("mode", "required")
	}
	view.Hidden = q
	view.Back = "/catalog/build?" + q.Encode()
	return web.Render(rw, r, http.StatusOK, "audit/build_result", "監査用チェックリスト（確認）", view)
}

func (m *Module) buildSave(rw http.ResponseWriter, r *http.Request) error {
	req, ps := requestFrom(r.PostForm)
	if len(ps) > 0 {
		return web.Invalid("%s", ps[0].Msg)
	}
	res, ps, err := m.store.Build(r.Context(), req)
	if err != nil {
		return err
	}
	if len(ps) > 0 {
		return web.Invalid("%s", ps[0].Msg)
	}
	u := web.UserFrom(r.Context())
	id, err := m.store.SaveBuilt(r.Context(), res, r.PostFormValue("title"), u.ID)
	if errors.Is(err, errTitleTooLong) {
		return web.Invalid("名称: %s", errTitleTooLong.Error())
	}
	if err != nil {
		return err
	}
	return web.Redirect(rw, r, fmt.Sprintf("/catalog/built/%d", id), fmt.Sprintf("チェックリストを保存しました（%d 項目）。", len(res.Included)), true)
}

func (m *Module) builtList(rw http.ResponseWriter, r *http.Request) error {
	bs, err := m.store.BuiltChecklists(r.Context())
	if err != nil {
		return err
	}
	return web.Render(rw, r, http.StatusOK, "audit/build_list", "作成した監査用チェックリスト", map[string]any{"List": bs, "CanBuild": builders.Allows(r)})
}

// builtInPath loads the saved checklist named in the path.
func (m *Module) builtInPath(r *http.Request) (BuiltChecklist, []BuiltItem, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return BuiltChecklist{}, nil, err
	}
	return m.store.Built(r.Context(), id)
}

func (m *Module) builtShow(rw http.ResponseWriter, r *http.Request) error {
	b, items, err := m.builtInPath(r)
	if err != nil {
		return err
	}
	var scope, threats []string
	for _, c := range b.Scope {
		scope = append(scope, catalog.Applicability[c])
	}
	for _, t := range b.Threats {
		threats = append(threats, catalog.Threats[t])
	}
	return web.Render(rw, r, http.StatusOK, "audit/build_show", b.Title, map[string]any{"B": b, "Items": items, "Scope": scope, "Threats": threats,
		"History": HistoryNote})
}

func (m *Module) builtExport(rw http.ResponseWriter, r *http.Request) error {
	b, items, err := m.builtInPath(r)
	if err != nil {
		return err
	}
	name := b.Title + ".xlsx"
	d := web.Download{Name: name, ContentType: formats.XLSX.ContentType, Target: fmt.Sprintf("built_checklist:%d", b.ID),
		Detail: fmt.Sprintf("%s（%d 項目）", name, len(items))}
	return web.Send(rw, r, m.log, d, func(out io.Writer) error {
		return catalog.WriteChecklistXLSX(out, BuiltDocument(b, items, ""))
	})
}
