package audit

// This file fills the demo programme's engagements with what their phases
// imply (content/demo/audit/*.json): plans, document requests and
// submitted files, pre-audit answers, fieldwork results, interviews,
// witness records, findings (through the findings store, so that they
// enter the improvement register), reports and follow-ups. The other
// demo_*.go files hold each part.

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"time"

	"mamori/content"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/org"
	"mamori/internal/web"
)

// The demo contents' files (content/demo/audit).
const (
	demoDetailsFile   = "demo/audit/engagements.json"
	demoPhrasesFile   = "demo/audit/phrases.json"
	demoRequestsFile  = "demo/audit/requests.json"
	demoDocumentsFile = "demo/audit/documents.json"
)

// demoDetail is one engagement's contents; see the file's _about.
type demoDetail struct {
	Plan []struct {
		Field  string `json:"field"`
		Append string `json:"append"`
		Note   string `json:"note"`
		At     int    `json:"at"`
	} `json:"plan"`
	Add []struct {
		Code   string `json:"code"`
		Reason string `json:"reason"`
	} `json:"add"`
	Presurvey struct {
		State    string  `json:"state"`
		Answered float64 `json:"answered"`
	} `json:"presurvey"`
	Answers    map[string][2]string        `json:"answers"`
	Focus      []string                    `json:"focus"`
	PrevAudit  bool                        `json:"prev_audit"`
	Submitted  []string                    `json:"submitted"`
	Blank      map[string]map[string][]int `json:"blank"`
	Formats    map[string]string           `json:"formats"`
	Prev       map[string][2]string        `json:"prev"`
	Judged     float64                     `json:"judged"`
	Results    map[string]demoResult       `json:"results"`
	NA         []string                    `json:"na"`
	Interviews []demoInterview             `json:"interviews"`
	Witness    map[string][3]string        `json:"witness"`
	Findings   []demoFinding               `json:"findings"`
	Report     *demoReport                 `json:"report"`
}

// demoResult is one item's fieldwork result written by hand.
type demoResult struct {
	J       string `json:"j"`
	N       string `json:"n"`
	T       string `json:"t"`
	Recheck bool   `json:"recheck"`
	Status  string `json:"status"`
}

// demoInterview is one interview or inspection round.
type demoInterview struct {
	Kind     string          `json:"kind"`
	Title    string          `json:"title"`
	Unit     string          `json:"unit"`
	Dept     string          `json:"dept"`
	Person   string          `json:"person"`
	Position string          `json:"position"`
	Place    string          `json:"place"`
	At       string          `json:"at"`
	Items    json.RawMessage `json:"items"` // a list of codes, or "site"
	Notes    string          `json:"notes"`
}

// demoFinding is one finding with its follow-up.
type demoFinding struct {
	Type           string   `json:"type"`
	Title          string   `json:"title"`
	Dept           string   `json:"dept"`
	Items          []string `json:"items"`
	Risk           string   `json:"risk"`
	Due            int      `json:"due"`
	Condition      string   `json:"condition"`
	Criteria       string   `json:"criteria"`
	Cause          string   `json:"cause"`
	Effect         string   `json:"effect"`
	Recommendation string   `json:"recommendation"`
	Comment        string   `json:"comment"`
	Plan           *struct {
		Action string `json:"action"`
		Owner  string `json:"owner"`
		Due    int    `json:"due"`
	} `json:"plan"`
	Followup *struct {
		Verdict string `json:"verdict"`
		Method  string `json:"method"`
		Comment string `json:"comment"`
	} `json:"followup"`
}

// demoReport is an engagement's report texts, state and review comments.
type demoReport struct {
	State        string               `json:"state"`
	Summary      string               `json:"summary"`
	Opinion      string               `json:"opinion"`
	Perspectives map[string][2]string `json:"perspectives"`
	Comments     []struct {
		By       string `json:"by"` // witness, admin or lead
		Section  string `json:"section"`
		Body     string `json:"body"`
		Resolved bool   `json:"resolved"`
		Reply    string `json:"reply"`
	} `json:"comments"`
}

// demoPhrases are the patterns for items without a written result.
type demoPhrases struct {
	Techniques  map[string][2]string           `json:"techniques"`
	Who         []string                       `json:"who"`
	ExternalWho []string                       `json:"external_who"`
	SystemWho   []string                       `json:"system_who"`
	Places      []struct{ Word, Place string } `json:"places"`
	Short       []string                       `json:"short"`
	Answers     map[string][]string            `json:"answers"`
	NA          map[string]string              `json:"na"`
}

// demoRequest is one requested document of a standard list.
type demoRequest struct {
	Name      string   `json:"name"`
	Purpose   string   `json:"purpose"`
	Items     []string `json:"items"`
	Due       int      `json:"due"`
	Documents []string `json:"documents"`
}

// demoDocument is a submitted file's content (documents.json).
type demoDocument struct {
	File      string `json:"file"`
	Format    string `json:"format"`
	Title     string `json:"title"`
	Subtitle  string `json:"subtitle"`
	Author    string `json:"author"`
	Intro     string `json:"intro"`
	Landscape bool   `json:"landscape"`
	Tables    []struct {
		Caption string   `json:"caption"`
		Columns [][2]any `json:"columns"` // label, relative width
		Repeat  *struct {
			Count int `json:"count"`
			Start int `json:"start"`
			Step  int `json:"step"`
		} `json:"repeat"`
		Rows [][]string `json:"rows"`
	} `json:"tables"`
}

// demoContent is the whole of content/demo/audit.
type demoContent struct {
	details   map[string]*demoDetail
	phrases   demoPhrases
	requests  map[string][]demoRequest
	documents map[string]*demoDocument
}

func readDemoJSON(name string, v any) error {
	b, err := content.FS.ReadFile(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// loadDemoContent reads content/demo/audit.
func loadDemoContent() (*demoContent, error) {
	c := &demoContent{}
	var det struct {
		Engagements map[string]*demoDetail `json:"engagements"`
	}
	if err := readDemoJSON(demoDetailsFile, &det); err != nil {
		return nil, err
	}
	c.details = det.Engagements
	if err := readDemoJSON(demoPhrasesFile, &c.phrases); err != nil {
		return nil, err
	}
	var req struct {
		Sets map[string][]demoRequest `json:"sets"`
	}
	if err := readDemoJSON(demoRequestsFile, &req); err != nil {
		return nil, err
	}
	c.requests = req.Sets
	var docs struct {
		Documents map[string]*demoDocument `json:"documents"`
	}
	if err := readDemoJSON(demoDocumentsFile, &docs); err != nil {
		return nil, err
	}
	c.documents = docs.Documents
	return c, nil
}

// demoKey is an engagement's key in the demo files: its code without the
// year (2026-IA-01 → IA-01), so that the files serve every working year.
func demoKey(code string) string {
	if i := strings.IndexByte(code, '-'); i >= 0 {
		return code[i+1:]
	}
	return code
}

// demoBuilder fills one demo run's engagements.
type demoBuilder struct {
	s        *Store
	c        *demoContent
	now      time.Time
	accounts map[int64]org.Account
	byLogin  map[string]org.Account
	tree     *org.Tree
}

// at is the store with its clock stopped at t (never after the
// builder's now), so that what the store writes is dated as it would
// have been.
func (b *demoBuilder) at(t time.Time) *Store {
	if t.After(b.now) {
		t = b.now
	}
	c := *b.s
	c.now = func() time.Time { return t }
	return &c
}

// day is a time of day in Japan on the date of visit plus n days.
func day(visit time.Time, n, hour, minute int) time.Time {
	y, m, d := visit.In(jp.JST).Date()
	return time.Date(y, m, d+n, hour, minute, 0, 0, jp.JST)
}

// demoHash is a stable small number for choosing among phrasings.
func demoHash(parts ...string) int {
	h := fnv.New32a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return int(h.Sum32() & 0x7fffffff)
}

// actorOf is a team member or another account as the store's Actor.
func (b *demoBuilder) actorOf(id int64) Actor {
	a := b.accounts[id]
	return Actor{UserID: a.ID, Name: a.DisplayName, Role: a.Role, DepartmentID: a.DepartmentID}
}

// lead is the engagement's lead (the first member when none).
func (b *demoBuilder) lead(e Engagement) Actor {
	for _, m := range e.Members {
		if m.Role == MemberLead {
			return b.actorOf(m.UserID)
		}
	}
	if len(e.Members) > 0 {
		return b.actorOf(e.Members[0].UserID)
	}
	return Actor{Role: web.RoleAdmin, Name: "情報政策課 情報セキュリティ係"}
}

// witness is the consultant who witnesses (the lead when none).
func (b *demoBuilder) witness(e Engagement) Actor {
	for _, m := range e.Members {
		if m.Role == MemberWitness {
			return b.actorOf(m.UserID)
		}
	}
	if a, ok := b.byLogin["consultant"]; ok {
		return b.actorOf(a.ID)
	}
	return b.lead(e)
}

// demoPeople are the staff of one audited department, for names on
// answers, documents and interviews.
type demoPeople struct {
	dept  *org.Department
	units []string    // the sections (係) in tree order
	staff []org.Staff // everyone but the managers (管理職), by section then id
	chief string      // 課長
	boss  string      // the first 係長
	title map[string]string
}

// people reads the staff of a department and the sections below it.
func (b *demoBuilder) people(ctx context.Context, deptID int64) (*demoPeople, error) {
	p := &demoPeople{dept: b.tree.ByID[deptID], title: map[string]string{}}
	if p.dept == nil {
		return nil, fmt.Errorf("所属 %d がありません", deptID)
	}
	for _, id := range b.tree.Subtree(deptID) {
		d := b.tree.ByID[id]
		if d == nil || !d.Active {
			continue
		}
		if id != deptID {
			p.units = append(p.units, d.Name)
		}
		st, err := b.s.org.StaffInDepartment(ctx, id)
		if err != nil {
			return nil, err
		}
		sort.Slice(st, func(i, j int) bool { return st[i].ID < st[j].ID })
		for _, s := range st {
			unit := d.Name
			key := s.JobTitle
			if id != deptID {
				key = unit + "/" + s.JobTitle
			}
			if _, ok := p.title[key]; !ok {
				p.title[key] = s.Name
			}
			switch {
			case s.JobTitle == "課長" && id == deptID && p.chief == "":
				p.chief = s.Name
			case s.JobTitle == "係長" && p.boss == "":
				p.boss = s.Name
				p.staff = append(p.staff, s)
			case s.JobClass == "管理職":
			default:
				p.staff = append(p.staff, s)
			}
		}
	}
	if p.chief == "" {
		p.chief = p.dept.Name + "長"
	}
	if p.boss == "" {
		p.boss = p.chief
	}
	if len(p.staff) == 0 {
		p.staff = []org.Staff{{Name: p.boss, JobTitle: "係長"}}
	}
	return p, nil
}

// person is the i-th of the department's staff (cycling).
func (p *demoPeople) person(i int) org.Staff {
	return p.staff[((i%len(p.staff))+len(p.staff))%len(p.staff)]
}

// byTitle finds the holder of a title in a section (or the division).
func (p *demoPeople) byTitle(unit, title string) string {
	key := title
	if unit != "" {
		key = unit + "/" + title
	}
	if n, ok := p.title[key]; ok {
		return n
	}
	if title == "課長" {
		return p.chief
	}
	return p.boss
}

// answerer is who answers the questionnaire and uploads the documents
// for an audited department: the auditee account of that department
// when there is one, or its first section's 係長.
func (b *demoBuilder) answerer(p *demoPeople) Actor {
	for _, a := range b.accounts {
		if a.Role == web.RoleAuditee && a.DepartmentID == p.dept.ID && !a.Disabled {
			return Actor{UserID: a.ID, Name: a.DisplayName, Role: a.Role, DepartmentID: a.DepartmentID}
		}
	}
	unit := p.dept.Name
	if len(p.units) > 0 {
		unit += " " + p.units[0]
	}
	return Actor{Role: web.RoleAuditee, Name: unit + " " + p.byTitle(firstOr(p.units, ""), "係長"), DepartmentID: p.dept.ID}
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

// demoDetails fills the demo engagements (ids, in the order of the demo
// file) with what their phases imply, in one transaction: plans, document
// requests and submitted files, answers, fieldwork, interviews, witness
// records, findings, reports and follow-ups (content/demo/audit).
func (m *Module) demoDetails(ctx context.Context, d module.Demo, ids []int64) error {
	d.Progress("監査の事前調査・実地監査・指摘事項・報告書を作成しています")
	c, err := loadDemoContent()
	if err != nil {
		return err
	}
	b := &demoBuilder{s: m.store, c: c, now: m.now(), accounts: map[int64]org.Account{}, byLogin: map[string]org.Account{}}
	accounts, err := m.org.Accounts(ctx)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		b.accounts[a.ID], b.byLogin[a.Login] = a, a
	}
	if b.tree, err = m.org.Departments(ctx); err != nil {
		return err
	}
	return m.store.db.WithTx(ctx, func(ctx context.Context) error {
		for _, id := range ids {
			e, err := m.store.Engagement(ctx, id)
			if err != nil {
				return err
			}
			if err := b.engagement(ctx, e, c.details[demoKey(e.Code)]); err != nil {
				return fmt.Errorf("%s（%s）: %w", demoDetailsFile, e.Code, err)
			}
		}
		return nil
	})
}

// engagement fills one engagement as far as its phase goes. The phase
// column follows the work as it was done at the time (計画 while items are
// added, at most 報告 while the visit and the report are written: the
// stores refuse those changes later), and the engagement is put back in
// its phase at the end.
func (b *demoBuilder) engagement(ctx context.Context, e Engagement, det *demoDetail) error {
	if err := b.fillEngagement(ctx, e, det); err != nil {
		return err
	}
	return b.holdPhase(ctx, e.ID, e.Phase)
}

func (b *demoBuilder) fillEngagement(ctx context.Context, e Engagement, det *demoDetail) error {
	visit := e.FirstVisit()
	lead := b.lead(e)
	if err := b.holdPhase(ctx, e.ID, PhasePlan); err != nil {
		return err
	}
	if _, err := b.at(day(visit, -50, 10, 0)).EnsurePlan(ctx, e.ID, lead); err != nil {
		return err
	}
	if det == nil {
		return nil
	}
	if err := b.addItems(ctx, e, det, lead, visit); err != nil {
		return err
	}
	for _, rev := range det.Plan {
		if _, ok := PlanFieldOf(rev.Field); !ok {
			return fmt.Errorf("監査計画の欄「%s」はありません", rev.Field)
		}
		v, _, err := b.s.LatestPlan(ctx, e.ID)
		if err != nil {
			return err
		}
		text := PlanText{}
		for k, t := range v.Text {
			text[k] = t
		}
		text[rev.Field] = strings.TrimSpace(text[rev.Field] + "\n" + rev.Append)
		if _, err := b.at(day(visit, rev.At, 11, 0)).SavePlan(ctx, e.ID, v.Version, text, rev.Note, lead); err != nil {
			return fmt.Errorf("監査計画の改訂: %w", err)
		}
	}
	phase := e.Phase.Index()
	if phase < PhasePresurvey.Index() {
		return nil
	}
	if err := b.holdPhase(ctx, e.ID, Phases[min(phase, PhaseReport.Index())]); err != nil {
		return err
	}
	items, err := b.s.Items(ctx, e.ID, ItemFilter{})
	if err != nil {
		return err
	}
	if err := b.presurvey(ctx, e, det, items, visit); err != nil {
		return err
	}
	if phase < PhaseFieldwork.Index() {
		return nil
	}
	if err := b.fieldwork(ctx, e, det, items, visit); err != nil {
		return err
	}
	if err := b.interviews(ctx, e, det, items, visit); err != nil {
		return err
	}
	if err := b.witnessRecord(ctx, e, det, visit); err != nil {
		return err
	}
	if phase < PhaseReport.Index() {
		return nil
	}
	return b.findingsAndReport(ctx, e, det, visit)
}

// holdPhase sets the phase column alone (the steps stay as demoPhase set
// them).
func (b *demoBuilder) holdPhase(ctx context.Context, id int64, p Phase) error {
	_, err := b.s.db.Exec(ctx, "UPDATE audit_engagements SET phase = ? WHERE id = ?", string(p), id)
	return err
}
