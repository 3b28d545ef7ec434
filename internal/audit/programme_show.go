package audit

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"mamori/content"
	"mamori/internal/catalog"
	"mamori/internal/jp"
	"mamori/internal/web"
)

// The overview of one engagement (GET /audit/{id}), its phase control
// (POST /audit/{id}/phase) and 「前年度の計画を複写」 (GET and POST
// /audit/copy-year).

// guidanceFile is what the overview tells each user to do next
// (content/audit).
const guidanceFile = "audit/programme_next.yaml"

// Guidance is the 「次に行うこと」 of one audience in one phase.
type Guidance struct {
	Text  string         `yaml:"text"`
	Links []GuidanceLink `yaml:"links"`
}

// GuidanceLink is a link to one of the engagement's pages.
type GuidanceLink struct {
	Tab       string `yaml:"tab"`
	Label     string `yaml:"label"`
	FinalOnly bool   `yaml:"final_only"`
}

// guidanceTabs are the pages a guidance link may name.
var guidanceTabs = map[string]bool{"plan": true, "checklist": true, "presurvey": true, "fieldwork": true, "witness": true, "findings": true, "report": true}

var guidance struct {
	once sync.Once
	by   map[string]map[Phase]Guidance
	err  error
}

// LoadGuidance reads and checks the guidance file: audiences auditee,
// team, witness and viewer; known phases and tabs; no empty text.
func LoadGuidance() (map[string]map[Phase]Guidance, error) {
	guidance.once.Do(func() {
		b, err := content.FS.ReadFile(guidanceFile)
		if err != nil {
			guidance.err = err
			return
		}
		var raw map[string]map[string]Guidance
		if err := yaml.Unmarshal(b, &raw); err != nil {
			guidance.err = fmt.Errorf("%s: %w", guidanceFile, err)
			return
		}
		out := map[string]map[Phase]Guidance{}
		for aud, phases := range raw {
			switch aud {
			case "auditee", "team", "witness", "viewer":
			default:
				guidance.err = fmt.Errorf("%s: 立場「%s」は定義されていません", guidanceFile, aud)
				return
			}
			out[aud] = map[Phase]Guidance{}
			for p, g := range phases {
				if !Phase(p).Valid() {
					guidance.err = fmt.Errorf("%s: %s の工程「%s」は定義されていません", guidanceFile, aud, p)
					return
				}
				if strings.TrimSpace(g.Text) == "" {
					guidance.err = fmt.Errorf("%s: %s・%s の text が空です", guidanceFile, aud, p)
					return
				}
				for _, l := range g.Links {
					if !guidanceTabs[l.Tab] || l.Label == "" {
						guidance.err = fmt.Errorf("%s: %s・%s のリンク「%s」（%s）が正しくありません", guidanceFile, aud, p, l.Label, l.Tab)
						return
					}
				}
				out[aud][Phase(p)] = g
			}
		}
		for _, aud := range []string{"auditee", "team", "viewer"} {
			for _, p := range Phases {
				if _, ok := out[aud][p]; !ok {
					guidance.err = fmt.Errorf("%s: %s に工程「%s」の記述がありません", guidanceFile, aud, p.Label())
					return
				}
			}
		}
		guidance.by = out
	})
	return guidance.by, guidance.err
}

// nextStep is the guidance shown to one user: the text and the links
// they may follow.
type nextStep struct {
	Text  string
	Links []struct{ Path, Label string }
}

// stepRow is one phase of the overview's table of steps.
type stepRow struct {
	Step
	Current, Overdue bool
}

// Label is the phase's name.
func (s stepRow) Label() string { return s.Phase.Label() }

// DueLabel and DoneLabel are the dates in 和暦.
func (s stepRow) DueLabel() string  { return wareki(s.Due) }
func (s stepRow) DoneLabel() string { return wareki(s.Done) }

// State says where the phase stands.
func (s stepRow) State() string {
	switch {
	case !s.Done.IsZero():
		return "完了"
	case s.Overdue:
		return "期限超過"
	case s.Current:
		return "実施中"
	}
	return "未着手"
}

type engagementShowView struct {
	programmeAssets
	V          engagementView
	Steps      []stepRow
	Overdue    []stepRow
	Next       []nextStep
	Final      bool
	Progress   bool // the judged share (not for auditees)
	Findings   bool // counts of findings (the team, or once the report is final)
	PhaseNext  Phase
	PhasePrev  Phase
	Threats    []string
	Scope      []string
	CopiedFrom string
}

func (m *Module) engagementShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	now := m.now()
	final, err := m.store.FinalReports(ctx, []int64{e.ID})
	if err != nil {
		return err
	}
	v := engagementShowView{programmeAssets: progAssets, V: engagementView{E: e, A: a, Tab: "overview"}, Final: final[e.ID], Progress: a.Audit || a.Viewer}
	v.Findings = a.Audit || v.Final
	overdue := map[Phase]bool{}
	for _, p := range e.Overdue(now) {
		overdue[p] = true
	}
	for _, p := range Phases {
		row := stepRow{Step: e.Step(p), Current: p == e.Phase, Overdue: overdue[p]}
		v.Steps = append(v.Steps, row)
		if row.Overdue {
			v.Overdue = append(v.Overdue, row)
		}
	}
	if a.Lead {
		v.PhaseNext, v.PhasePrev = e.Phase.Next(), prevPhase(e.Phase)
	}
	for _, t := range e.Threats {
		v.Threats = append(v.Threats, catalog.Threats[t])
	}
	for _, c := range e.Scope {
		v.Scope = append(v.Scope, catalog.Applicability[c])
	}
	if e.CopiedFrom != 0 {
		if prev, err := m.store.Engagement(ctx, e.CopiedFrom); err == nil {
			v.CopiedFrom = prev.Code
		}
	}
	by, err := LoadGuidance()
	if err != nil {
		return err
	}
	var auds []string
	u := web.UserFrom(ctx)
	switch {
	case a.Auditee:
		auds = []string{"auditee"}
	case a.Viewer:
		auds = []string{"viewer"}
	case a.Audit:
		if mb, ok := e.Member(u.ID); ok && mb.Role == MemberWitness {
			auds = append(auds, "witness")
		}
		auds = append(auds, "team")
	}
	for _, aud := range auds {
		g, ok := by[aud][e.Phase]
		if !ok {
			continue
		}
		ns := nextStep{Text: g.Text}
		for _, l := range g.Links {
			if l.FinalOnly && !v.Final || l.Tab == "witness" && e.Kind != KindInternal {
				continue
			}
			ns.Links = append(ns.Links, struct{ Path, Label string }{fmt.Sprintf("/audit/%d/%s", e.ID, l.Tab), l.Label})
		}
		v.Next = append(v.Next, ns)
		if aud == "witness" {
			break // the witness's own work; the team's is theirs
		}
	}
	return web.Render(w, r, http.StatusOK, "audit/programme_show", e.Title, v)
}

// engagementPhase moves an engagement one phase on or back: the managers
// and the lead auditor. The form names the phase it was shown (from), so
// that a second click or a colleague's change in between is refused
// rather than applied twice.
func (m *Module) engagementPhase(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e, a, err := m.load(r)
	if err != nil {
		return err
	}
	if !a.Audit {
		return web.NotFound()
	}
	if !a.Lead {
		return &web.Error{Status: http.StatusForbidden, Msg: "工程を変更できるのは、管理者・支援事業者とこの監査の監査責任者です。"}
	}
	from, to := Phase(r.PostFormValue("from")), Phase(r.PostFormValue("to"))
	back := fmt.Sprintf("/audit/%d", e.ID)
	if from != e.Phase {
		return web.Redirect(w, r, back, fmt.Sprintf("工程は変更していません。この監査の工程はすでに「%s」になっています（他の人が先に変更しました）。内容を確かめてから操作してください。", e.Phase.Label()), false)
	}
	if to == "" || to != e.Phase.Next() && to != prevPhase(e.Phase) {
		return web.Invalid("移す工程の指定が正しくありません。工程は一つずつ、次の工程へ進めるか前の工程へ戻してください。")
	}
	err = m.store.SetPhase(ctx, e.ID, to, actor(r))
	var fe FieldErrors
	if errors.As(err, &fe) {
		return web.Redirect(w, r, back, fe.Error(), false)
	}
	if err != nil {
		return err
	}
	verb := "へ進めました"
	if to.Index() < from.Index() {
		verb = "へ戻しました（「" + to.Label() + "」より後の工程の完了日は取り消しました）"
	}
	return web.Redirect(w, r, back, fmt.Sprintf("工程を「%s」から「%s」%s。", from.Label(), to.Label(), verb), true)
}

// copyYearView is the confirmation of 「前年度の計画を複写」.
type copyYearView struct {
	programmeAssets
	Plan      CopyPlan
	FromLabel string
	ToLabel   string
	Changed   string // the count changed since the confirmation was shown
}

// copyTarget reads the year copied into (default: the working year).
func (m *Module) copyTarget(r *http.Request, raw string) (int, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return m.org.CurrentFiscalYear(r.Context()), nil
	}
	to, err := jp.ParseFiscalYear(raw)
	if err != nil {
		return 0, web.Invalid("複写先の年度「%s」が読めません（例: 令和9年度、2027）。", raw)
	}
	return to, nil
}

func (m *Module) renderCopyYear(w http.ResponseWriter, r *http.Request, status, to int, changed string) error {
	plan, err := m.store.PlanCopy(r.Context(), to-1, to)
	if err != nil {
		return err
	}
	v := copyYearView{programmeAssets: progAssets, Plan: plan, FromLabel: jp.FiscalYearLabel(to - 1), ToLabel: jp.FiscalYearLabel(to), Changed: changed}
	return web.Render(w, r, status, "audit/programme_copy", "前年度の計画を複写", v)
}

func (m *Module) copyYearForm(w http.ResponseWriter, r *http.Request) error {
	to, err := m.copyTarget(r, r.URL.Query().Get("to"))
	if err != nil {
		return err
	}
	return m.renderCopyYear(w, r, http.StatusOK, to, "")
}

func (m *Module) copyYear(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	to, err := m.copyTarget(r, r.PostFormValue("to"))
	if err != nil {
		return err
	}
	plan, err := m.store.PlanCopy(ctx, to-1, to)
	if err != nil {
		return err
	}
	want, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("count")))
	if err != nil || want != plan.ToCopy() {
		return m.renderCopyYear(w, r, http.StatusConflict, to,
			fmt.Sprintf("複写していません。確認画面を表示した後に、複写する監査の件数が変わりました（現在 %d 件）。内容を確かめてから、もう一度実行してください。", plan.ToCopy()))
	}
	n, err := m.store.CopyYear(ctx, to-1, to, actor(r))
	var fe FieldErrors
	if errors.As(err, &fe) {
		return m.renderCopyYear(w, r, http.StatusBadRequest, to, "複写していません。"+fe.Error())
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, "/audit?year="+strconv.Itoa(to),
		fmt.Sprintf("%sの監査計画から %d 件を%sへ複写しました。工程はすべて「計画」から始まります。実地監査の日時と監査チームを確かめてください。",
			jp.FiscalYearLabel(to-1), n, jp.FiscalYearLabel(to)), true)
}
