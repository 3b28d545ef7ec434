package audit

import (
	"strings"
	"time"

	"mamori/internal/jp"
)

// Kind is what sort of audit an engagement is.
type Kind string

// The kinds of engagement (DESIGN.md workstreams 1, 3 and 4).
const (
	KindInternal         Kind = "internal"
	KindExternalMyNumber Kind = "external_mynumber"
	KindExternalAssets   Kind = "external_assets"
	KindSystem           Kind = "system"
)

// Kinds lists the kinds in display order.
var Kinds = []Kind{KindInternal, KindExternalMyNumber, KindExternalAssets, KindSystem}

var kindLabels = map[Kind]string{
	KindInternal:         "内部監査",
	KindExternalMyNumber: "外部監査（特定個人情報）",
	KindExternalAssets:   "外部監査（情報資産）",
	KindSystem:           "情報システム監査",
}

// Label is the kind's Japanese name.
func (k Kind) Label() string {
	if l, ok := kindLabels[k]; ok {
		return l
	}
	return string(k)
}

// Short is the kind's name in one or two characters, for codes and the
// calendar.
func (k Kind) Short() string {
	switch k {
	case KindInternal:
		return "内部"
	case KindSystem:
		return "システム"
	}
	return "外部"
}

// Workstream is the DESIGN.md workstream the kind belongs to: 1 internal
// audits, 3 external audits (information assets, My Number), 4 system
// audits.
func (k Kind) Workstream() int {
	switch k {
	case KindInternal:
		return 1
	case KindSystem:
		return 4
	}
	return 3
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { _, ok := kindLabels[k]; return ok }

// External reports whether the contractor audits (external and system
// audits) rather than the ward's internal auditors.
func (k Kind) External() bool { return k != KindInternal }

// Template is the catalogue template kind an engagement's checklist is
// built from.
func (k Kind) Template() string { return string(k) }

// Phase is where an engagement stands.
type Phase string

// The phases in the order an engagement moves through them.
const (
	PhasePlan      Phase = "plan"
	PhasePresurvey Phase = "presurvey"
	PhaseBriefing  Phase = "briefing"
	PhaseFieldwork Phase = "fieldwork"
	PhaseReport    Phase = "report"
	PhaseFollowup  Phase = "followup"
	PhaseDone      Phase = "done"
)

// Phases lists the phases in order.
var Phases = []Phase{PhasePlan, PhasePresurvey, PhaseBriefing, PhaseFieldwork, PhaseReport, PhaseFollowup, PhaseDone}

var phaseLabels = map[Phase]string{
	PhasePlan: "計画", PhasePresurvey: "事前調査", PhaseBriefing: "説明会", PhaseFieldwork: "実施",
	PhaseReport: "報告", PhaseFollowup: "フォローアップ", PhaseDone: "完了",
}

// Label is the phase's Japanese name.
func (p Phase) Label() string {
	if l, ok := phaseLabels[p]; ok {
		return l
	}
	return string(p)
}

// Valid reports whether p is a known phase.
func (p Phase) Valid() bool { _, ok := phaseLabels[p]; return ok }

// Index is the phase's place in Phases (-1: unknown).
func (p Phase) Index() int {
	for i, x := range Phases {
		if x == p {
			return i
		}
	}
	return -1
}

// Next is the phase after p ("" after 完了).
func (p Phase) Next() Phase {
	if i := p.Index(); i >= 0 && i+1 < len(Phases) {
		return Phases[i+1]
	}
	return ""
}

// Hosting is where an audited system runs.
var Hostings = []struct{ Code, Label string }{
	{"onprem", "庁内設置（オンプレミス）"}, {"datacenter", "データセンター"}, {"cloud", "クラウドサービス"},
}

// HostingLabel names a hosting code ("" for none).
func HostingLabel(code string) string {
	for _, h := range Hostings {
		if h.Code == code {
			return h.Label
		}
	}
	return ""
}

// Team roles.
const (
	MemberLead    = "lead"
	MemberAuditor = "member"
	MemberWitness = "witness"
)

// MemberRoles names the team roles in order.
var MemberRoles = []struct{ Code, Label string }{
	{MemberLead, "監査責任者"}, {MemberAuditor, "監査人"}, {MemberWitness, "立会い（支援事業者）"},
}

// MemberRoleLabel names a team role.
func MemberRoleLabel(code string) string {
	for _, r := range MemberRoles {
		if r.Code == code {
			return r.Label
		}
	}
	return code
}

// Member is one person of an engagement's team.
type Member struct {
	UserID int64
	Name   string
	Role   string // lead, member, witness
	// DepartmentID is the member's own department (an internal auditor
	// never audits it).
	DepartmentID int64
}

// RoleLabel is the member's team role in Japanese.
func (m Member) RoleLabel() string { return MemberRoleLabel(m.Role) }

// Target is one audited department, with its visit.
type Target struct {
	DepartmentID int64
	Name         string // the department's name
	Path         string // its path, e.g. 区民部 戸籍住民課
	VisitDate    time.Time
	VisitTime    string // e.g. 10:00–11:30
}

// VisitWareki is the visit date in 和暦 ("" when none).
func (t Target) VisitWareki() string { return wareki(t.VisitDate) }

// Step is a phase's due date and when it was finished.
type Step struct {
	Phase Phase
	Due   time.Time
	Done  time.Time
}

// Engagement is one audit of the year's programme.
type Engagement struct {
	ID              int64
	Code            string // e.g. R8-内部-01
	FiscalYear      int
	Kind            Kind
	Title           string
	System          string // the audited system (system audits)
	Hosting         string // onprem, datacenter, cloud
	Vendors         string // maintenance vendors and providers, one per line
	Business        string // the My Number business (external My Number audits)
	Phase           Phase
	TemplateID      int64
	TemplateTitle   string
	TemplateVersion int
	Scope           []string // applicability codes the checklist was built with
	Threats         []string // priority threats
	MyNumber        bool     // the target handles 特定個人情報
	CopiedFrom      int64
	Rev             int64
	Targets         []Target
	Members         []Member
	Steps           []Step
	CreatedAt       time.Time
	UpdatedAt       time.Time

	// Counts, filled by lists and Get.
	Items, Judged, Findings, OpenFollowups int
}

// PhaseLabel is the engagement's phase in Japanese.
func (e Engagement) PhaseLabel() string { return e.Phase.Label() }

// KindLabel is the engagement's kind in Japanese.
func (e Engagement) KindLabel() string { return e.Kind.Label() }

// HostingLabel is the audited system's hosting in Japanese.
func (e Engagement) HostingLabel() string { return HostingLabel(e.Hosting) }

// YearLabel is the engagement's 年度, e.g. 令和8年度.
func (e Engagement) YearLabel() string { return jp.FiscalYearLabel(e.FiscalYear) }

// TargetNames is the audited departments' names joined with 「・」.
func (e Engagement) TargetNames() string {
	var ns []string
	for _, t := range e.Targets {
		ns = append(ns, t.Name)
	}
	return strings.Join(ns, "・")
}

// Subject is what is audited, as titles and lists print it: the system
// (with its owner) or the business or the departments.
func (e Engagement) Subject() string {
	switch {
	case e.System != "" && len(e.Targets) > 0:
		return e.System + "（" + e.TargetNames() + "）"
	case e.System != "":
		return e.System
	case e.Business != "" && len(e.Targets) > 0:
		return e.Business + "（" + e.TargetNames() + "）"
	}
	return e.TargetNames()
}

// HasDepartment reports whether dept is one of the audited departments.
func (e Engagement) HasDepartment(dept int64) bool {
	for _, t := range e.Targets {
		if t.DepartmentID == dept {
			return true
		}
	}
	return false
}

// Member returns the team member with the user id, if any.
func (e Engagement) Member(userID int64) (Member, bool) {
	for _, m := range e.Members {
		if m.UserID == userID {
			return m, true
		}
	}
	return Member{}, false
}

// Lead is the lead auditor's name ("" when none).
func (e Engagement) Lead() string {
	for _, m := range e.Members {
		if m.Role == MemberLead {
			return m.Name
		}
	}
	return ""
}

// Step returns the engagement's step for a phase.
func (e Engagement) Step(p Phase) Step {
	for _, s := range e.Steps {
		if s.Phase == p {
			return s
		}
	}
	return Step{Phase: p}
}

// FirstVisit is the earliest visit date (zero when none).
func (e Engagement) FirstVisit() time.Time {
	var first time.Time
	for _, t := range e.Targets {
		if !t.VisitDate.IsZero() && (first.IsZero() || t.VisitDate.Before(first)) {
			first = t.VisitDate
		}
	}
	return first
}

// Overdue lists the phases not finished after their due date, as of the
// calendar day of now in Japan: the current phase and any earlier one.
func (e Engagement) Overdue(now time.Time) []Phase {
	var out []Phase
	cur := e.Phase.Index()
	today := jp.DateKey(now)
	for _, s := range e.Steps {
		i := s.Phase.Index()
		if i < 0 || i < cur && !s.Done.IsZero() || s.Due.IsZero() || !s.Done.IsZero() {
			continue
		}
		if i <= cur && jp.DateKey(s.Due) < today {
			out = append(out, s.Phase)
		}
	}
	return out
}

// Progress is the share of the checklist judged, in whole percent.
func (e Engagement) Progress() int {
	if e.Items == 0 {
		return 0
	}
	return e.Judged * 100 / e.Items
}

func wareki(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return jp.FormatWareki(t)
}

// Judgement values of an item.
const (
	JudgeNone       = ""
	JudgeConform    = "conform"
	JudgePartial    = "partial"
	JudgeNonconform = "nonconform"
	JudgeNA         = "na"
	JudgeUnverified = "unverified"
)

// Judgements lists the judgements a fieldwork form offers, with their
// labels and the ○/△/× marks documents print.
var Judgements = []struct{ Code, Label, Mark string }{
	{JudgeConform, "適合", "○"}, {JudgePartial, "一部不適合", "△"}, {JudgeNonconform, "不適合", "×"},
	{JudgeNA, "該当なし", "－"}, {JudgeUnverified, "未確認", "？"},
}

// JudgementLabel names a judgement ("未判定" for none).
func JudgementLabel(code string) string {
	for _, j := range Judgements {
		if j.Code == code {
			return j.Label
		}
	}
	return "未判定"
}

// JudgementMark is a judgement's mark (○ △ × － ？; "" for none).
func JudgementMark(code string) string {
	for _, j := range Judgements {
		if j.Code == code {
			return j.Mark
		}
	}
	return ""
}

// ValidJudgement reports whether code is a judgement (or none).
func ValidJudgement(code string) bool {
	return code == JudgeNone || JudgementLabel(code) != "未判定"
}

// Assessed is the one definition of an item that counts as assessed, for
// lists, progress bars and reports alike: it has a judgement other than
// 未確認 (an item judged 該当なし is assessed: someone decided it).
func Assessed(judgement string) bool {
	return judgement != JudgeNone && judgement != JudgeUnverified
}

// Item statuses.
var ItemStatuses = []struct{ Code, Label string }{
	{"todo", "未着手"}, {"doing", "実施中"}, {"review", "レビュー待ち"}, {"done", "完了"},
}

// ItemStatusLabel names an item status.
func ItemStatusLabel(code string) string {
	for _, s := range ItemStatuses {
		if s.Code == code {
			return s.Label
		}
	}
	return code
}

// Item is one checklist item of an engagement, with its fieldwork result
// and the auditee's pre-audit answer.
type Item struct {
	ID             int64
	EngagementID   int64
	Code           string
	Order          int
	Category       string
	Question       string
	Conform        string // judgement criteria
	Partial        string
	Nonconform     string
	Evidence       []string // what evidence to look at
	Techniques     []string // planned techniques (catalogue codes)
	Clauses        []string // policy and standard clauses, as printed
	Threats        []string
	Priority       string
	SiteInspection bool
	Presurvey      bool
	Reason         string // why the item is in the checklist
	Added          bool   // added by hand after the checklist was built
	Dropped        bool
	DroppedReason  string
	Judgement      string
	Status         string
	Technique      []string // techniques actually used
	Notes          string
	Focus          bool // marked to focus on in the visit
	Recheck        bool // 要再確認
	PrevJudgement  string
	PrevNotes      string
	AnswerChoice   string // yes, partly, no, na
	Answer         string
	AnsweredBy     string
	AnsweredAt     time.Time
	Rev            int64
	UpdatedBy      string
	UpdatedAt      time.Time
	EvidenceCount  int // evidence files linked to the item
}

// JudgementLabel is the item's judgement in Japanese.
func (it Item) JudgementLabel() string { return JudgementLabel(it.Judgement) }

// JudgementMark is the item's judgement as ○/△/×.
func (it Item) JudgementMark() string { return JudgementMark(it.Judgement) }

// StatusLabel is the item's status in Japanese.
func (it Item) StatusLabel() string { return ItemStatusLabel(it.Status) }

// Assessed reports whether the item counts as assessed (see Assessed).
func (it Item) Assessed() bool { return Assessed(it.Judgement) }

// Changed reports whether the judgement differs from last year's.
func (it Item) Changed() bool { return it.PrevJudgement != "" && it.PrevJudgement != it.Judgement }

// Answer choices of the pre-audit questionnaire.
var AnswerChoices = []struct{ Code, Label string }{
	{"yes", "実施している"}, {"partly", "一部実施している"}, {"no", "実施していない"}, {"na", "該当しない"},
}

// AnswerChoiceLabel names an answer choice ("未回答" for none).
func AnswerChoiceLabel(code string) string {
	for _, a := range AnswerChoices {
		if a.Code == code {
			return a.Label
		}
	}
	return "未回答"
}
