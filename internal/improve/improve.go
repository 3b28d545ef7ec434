// Package improve is the improvement register (改善措置台帳): one list of
// the actions the ward takes after an audit finding, a drill evaluation, an
// incident, a self-assessment weak point or a policy gap, each with its
// source, owner department, due date, progress, evidence and verification.
//
// It sits below the workstream features: they write their actions through
// Store.Upsert, keyed by their own stable reference, and the summary report
// and programme management read them through List and Summarize. It imports
// no feature.
package improve

import (
	"sort"
	"strings"
	"time"

	"mamori/internal/jp"
)

// Source is where an action comes from.
type Source string

// The sources of actions.
const (
	SourceAuditFinding    Source = "audit_finding"
	SourceDrillEvaluation Source = "drill_evaluation"
	SourceIncidentMeasure Source = "incident_measure"
	SourceSurveyWeakness  Source = "survey_weakness"
	SourcePolicyGap       Source = "policy_gap"
	SourceOther           Source = "other"
)

// Sources lists the sources in display order.
var Sources = []Source{SourceAuditFinding, SourceDrillEvaluation, SourceIncidentMeasure, SourceSurveyWeakness, SourcePolicyGap, SourceOther}

var sourceLabels = map[Source]string{
	SourceAuditFinding:    "監査の指摘事項",
	SourceDrillEvaluation: "訓練の評価",
	SourceIncidentMeasure: "インシデントの再発防止策",
	SourceSurveyWeakness:  "自己点検の弱点",
	SourcePolicyGap:       "ポリシーの相違点",
	SourceOther:           "その他",
}

// Label is the source's Japanese name.
func (s Source) Label() string {
	if l, ok := sourceLabels[s]; ok {
		return l
	}
	return string(s)
}

// Valid reports whether s is a known source.
func (s Source) Valid() bool { _, ok := sourceLabels[s]; return ok }

// Status is how far an action has come.
type Status string

// The statuses, in the order an action moves through them.
const (
	StatusOpen       Status = "open"
	StatusInProgress Status = "in_progress"
	StatusDone       Status = "done"
	StatusVerified   Status = "verified"
)

// Statuses lists the statuses in order.
var Statuses = []Status{StatusOpen, StatusInProgress, StatusDone, StatusVerified}

var statusLabels = map[Status]string{StatusOpen: "未着手", StatusInProgress: "対応中", StatusDone: "完了", StatusVerified: "確認済"}

// Label is the status's Japanese name.
func (s Status) Label() string {
	if l, ok := statusLabels[s]; ok {
		return l
	}
	return string(s)
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { _, ok := statusLabels[s]; return ok }

// Unfinished reports whether the owner still has work to do (未着手・対応中).
func (s Status) Unfinished() bool { return s == StatusOpen || s == StatusInProgress }

// Class is the badge class the pages show the status with.
func (s Status) Class() string {
	switch s {
	case StatusVerified:
		return "badge badge-ok"
	case StatusOpen:
		return "badge badge-ng"
	}
	return "badge"
}

// StatusUnfinished is the list filter for 未着手 and 対応中 together.
const StatusUnfinished = "unfinished"

// Risks are the risk levels of an action, highest first.
var Risks = []string{"高", "中", "低"}

func validRisk(r string) bool {
	for _, x := range Risks {
		if r == x {
			return true
		}
	}
	return false
}

// Action is one row of the register.
type Action struct {
	ID           int64
	FiscalYear   int
	Source       Source
	SourceModule string // module key of the writer, e.g. "audit"; "improve" for actions entered on the register
	SourceRef    string // the writer's stable id of the finding, gap, measure …
	SourceLabel  string // e.g. 令和7年度 内部監査 戸籍住民課 指摘事項3
	Clause       string // the ward policy's clause, e.g. 対策基準 第23条
	Title        string
	Detail       string
	Risk         string
	// OwnerDepartmentID is the department that carries the action out (0:
	// not assigned yet); Owner is its path, e.g. 区民部 戸籍住民課.
	OwnerDepartmentID int64
	Owner             string
	Due               time.Time // 00:00 JST of the due date; zero: none
	Status            Status
	ProgressNote      string
	CompletedAt       time.Time
	VerifiedBy        int64
	VerifiedByName    string
	VerifiedAt        time.Time
	VerificationNote  string
	CreatedBy         int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// OverdueAt reports whether the action is unfinished after its due date,
// as of the calendar day of now in Japan.
func (a Action) OverdueAt(now time.Time) bool {
	return a.Status.Unfinished() && !a.Due.IsZero() && dateKey(a.Due) < dateKey(now)
}

// DueWareki is the due date in 和暦, or "" when none.
func (a Action) DueWareki() string {
	if a.Due.IsZero() {
		return ""
	}
	return jp.FormatWareki(a.Due)
}

// Entered reports whether the action was entered on the register itself
// rather than written by a feature.
func (a Action) Entered() bool { return a.SourceModule == ModuleKey }

// Event is one entry of an action's history.
type Event struct {
	ID         int64
	ActionID   int64
	Kind       string // created, source_update, edited, status, evidence, verified, reopened
	FromStatus Status
	ToStatus   Status
	Note       string
	UserID     int64
	UserName   string
	At         time.Time
}

var eventLabels = map[string]string{
	"created": "登録", "source_update": "出典からの更新", "edited": "編集", "status": "状況の変更",
	"evidence": "証跡の追加", "verified": "確認", "reopened": "確認の取消し",
}

// Label is the event kind's Japanese name.
func (e Event) Label() string {
	if l, ok := eventLabels[e.Kind]; ok {
		return l
	}
	return e.Kind
}

// Evidence is a file or a text note that shows an action was carried out.
type Evidence struct {
	ID          int64
	ActionID    int64
	BlobID      int64 // 0: a text note
	Filename    string
	ContentType string
	Size        int64
	Note        string
	UserID      int64
	UserName    string
	At          time.Time
}

// IsFile reports whether the evidence is a file.
func (e Evidence) IsFile() bool { return e.BlobID != 0 }

// SizeLabel is the file size for people, e.g. 1.2 MB.
func (e Evidence) SizeLabel() string { return jp.FormatSize(e.Size) }

// Input is what a writer (a feature, or the register's own form) says about
// an action. Upsert keeps the owner's progress: status, notes, evidence and
// verification are never in Input.
type Input struct {
	FiscalYear        int
	Source            Source
	SourceModule      string
	SourceRef         string
	SourceLabel       string
	Clause            string
	Title             string
	Detail            string
	Risk              string // 高, 中 or 低; "" is 中
	OwnerDepartmentID int64  // 0: not assigned yet
	Due               time.Time
}

// FieldErrors are validation messages in Japanese by form field.
type FieldErrors map[string]string

// fieldOrder is the order messages are joined in.
var fieldOrder = []string{"fiscal_year", "source", "source_module", "source_ref", "source_label", "clause", "title", "detail", "risk",
	"owner", "due", "status", "note", "file", "evidence_note"}

func (fe FieldErrors) Error() string {
	var parts []string
	seen := map[string]bool{}
	for _, f := range fieldOrder {
		if m, ok := fe[f]; ok {
			parts = append(parts, m)
			seen[f] = true
		}
	}
	var rest []string
	for f := range fe {
		if !seen[f] {
			rest = append(rest, f)
		}
	}
	sort.Strings(rest)
	for _, f := range rest {
		parts = append(parts, fe[f])
	}
	return strings.Join(parts, " ")
}

// dateKey is t's calendar date in Japan as stored: 2026-04-01.
func dateKey(t time.Time) string { return t.In(jp.JST).Format("2006-01-02") }

// parseDateKey reads a stored date; "" is the zero time.
func parseDateKey(s string) time.Time { return jp.ParseDateKey(s) }
