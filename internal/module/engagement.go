package module

import (
	"context"

	"mamori/internal/web"
)

// EngagementKeeper is the module that keeps the audit engagements (the
// audit module). Other modules attach their work to an engagement through
// it — the technical verification of a system audit — without importing
// the audit module.
type EngagementKeeper interface {
	// AuditEngagements lists fiscal year fy's engagements (0: every year).
	AuditEngagements(ctx context.Context, fy int) ([]AuditEngagement, error)
	// AuditEngagement is one engagement with its checklist items; a
	// missing one is database.ErrNotFound.
	AuditEngagement(ctx context.Context, id int64) (AuditEngagement, error)
	// AuditEngagementByCode finds an engagement by its code (R8-SA-01).
	AuditEngagementByCode(ctx context.Context, code string) (AuditEngagement, error)
	// EngagementAccess is what u may do with engagement id (membership
	// and independence included).
	EngagementAccess(ctx context.Context, u *web.User, id int64) (EngagementAccess, error)
	// ProposeFinding records a finding of engagement id from another
	// module's result; it returns the finding's label (指摘事項3) and its
	// page. A refusal (the report is final, a field is wrong) is an error
	// whose message says why in Japanese.
	ProposeFinding(ctx context.Context, u *web.User, id int64, f ProposedFinding) (label, link string, err error)
}

// AuditEngagement is an engagement as other modules see it.
type AuditEngagement struct {
	ID          int64
	Code        string // e.g. 2026-SA-01
	FiscalYear  int
	Kind        string // internal, external_mynumber, external_assets, system
	KindLabel   string
	System      bool // an information-system audit (the kind technical verification belongs to)
	Title       string
	SystemName  string // the audited system
	Hosting     string // label: オンプレミス, クラウド …
	Vendors     string // one per line
	Departments []string
	Phase       string // label
	ReportFinal bool   // the report is final: no more findings
	Finished    bool   // the report has been issued: follow-up or done
	Link        string // the engagement's page
	Items       []AuditItem
}

// AuditItem is one checklist item of an engagement.
type AuditItem struct {
	Code     string
	Category string
	Question string
	Clauses  []string
}

// EngagementAccess is what one user may do with one engagement.
type EngagementAccess struct {
	Read   bool // open it
	Audit  bool // on the team (or a manager): record results and findings
	Manage bool // the security office or the contractor
}

// Finding types a proposed finding may take.
const (
	ProposedFindingFinding        = "finding"
	ProposedFindingRecommendation = "recommendation"
	ProposedFindingObservation    = "observation"
)

// ProposedFinding is a finding another module proposes to an engagement.
type ProposedFinding struct {
	Type           string // one of the ProposedFinding constants
	Title          string
	ItemCodes      []string
	Condition      string // 事実
	Criteria       string // 基準
	Effect         string // 影響
	Recommendation string
	Risk           string // 高, 中, 低
}

// EngagementReporter is a module that adds a section to an engagement's
// audit report (the technical-verification chapter).
type EngagementReporter interface {
	EngagementSections(ctx context.Context, engagementID int64) ([]ReportSection, error)
}

// ReportSection is a chapter another module adds to an audit report:
// plain data, so that a final report keeps it as it was.
type ReportSection struct {
	Title      string        `json:"title"`
	Paragraphs []string      `json:"paragraphs,omitempty"`
	Tables     []ReportTable `json:"tables,omitempty"`
	Note       string        `json:"note,omitempty"`
}

// ReportTable is a table of a report section; Widths are relative.
type ReportTable struct {
	Caption string     `json:"caption,omitempty"`
	Head    []string   `json:"head"`
	Rows    [][]string `json:"rows"`
	Widths  []float64  `json:"widths,omitempty"`
	Numeric []bool     `json:"numeric,omitempty"` // right-aligned columns
}

// EngagementTabber is a module with a page of its own on an engagement
// (the technical verification of a system audit): the audit's pages link
// to it among their tabs.
type EngagementTabber interface {
	EngagementTabs(ctx context.Context, e AuditEngagement) []EngagementTab
}

// EngagementTab is a link among an engagement's tabs, shown to the
// engagement's team.
type EngagementTab struct {
	Label string
	Link  string
}
