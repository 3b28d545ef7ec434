// Package module is the contract between the app and each feature. A feature
// (a workstream such as audits or drills, or a shared area such as the
// catalogue) is one package that returns a Module; the app lists the modules
// once (internal/app/modules.go) and asks each for what it offers through the
// optional interfaces below: routes, navigation, demo data, backup tables,
// sub-commands, and what it contributes to the year (deliverables, progress,
// dashboard tiles).
//
// Features never import each other. What crosses features goes through the
// improvement register (internal/improve) or through these interfaces.
package module

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/blob"
	"mamori/internal/config"
	"mamori/internal/database"
	"mamori/internal/docgen"
	"mamori/internal/jobs"
	"mamori/internal/mail"
	"mamori/internal/org"
	"mamori/internal/web"
)

// Deps are the shared services every module is built from. Other shared
// services (the catalogue, the improvement register) are built from these
// by the module itself: they are cheap wrappers over the database.
type Deps struct {
	Config config.Config
	DB     *database.DB
	Log    *auditlog.Log
	Blobs  *blob.Store
	Jobs   *jobs.Runner
	Mail   *mail.Outbox // reminders, links and notices by mail (queues nothing when mail is not configured)
	Now    func() time.Time
	Logger *slog.Logger
	Org    org.Reader // the organisation read API: departments, staff, ward name, fiscal year, department scope
	Names  *Names     // where a module registers how the audit log names its objects
	// Hints asks every module that implements Hinter what trainings of
	// fiscal year fy's records should stress (set by the app; nil in a
	// module built alone).
	Hints func(ctx context.Context, fy int) ([]Hint, error)
	// CitizenServices lists the citizen services of the module that keeps
	// their registry (ServiceRegistry: the drill module), for features that
	// record a service stopping (incidents). Nil in a module built alone;
	// it returns nothing when no module keeps a registry.
	CitizenServices func(ctx context.Context) ([]CitizenService, error)
	// Engagements is the module that keeps the audit engagements
	// (EngagementKeeper: the audit module), or nil (a module built alone,
	// or no such module).
	Engagements func() EngagementKeeper
	// EngagementSections gathers the sections other modules add to an
	// engagement's audit report (EngagementReporter). Nil in a module
	// built alone.
	EngagementSections func(ctx context.Context, engagementID int64) ([]ReportSection, error)
	// EngagementTabs gathers the pages other modules keep on an engagement
	// (EngagementTabber). Nil in a module built alone.
	EngagementTabs func(ctx context.Context, e AuditEngagement) []EngagementTab
	// YearProgress gathers every module's tasks of fiscal year fy
	// (module.Year), for programme management. Nil in a module built alone.
	YearProgress func(ctx context.Context, fy int) ([]YearTask, error)
	// YearDeliverables gathers every module's deliverables of fiscal year
	// fy (module.Year), for the deliverables register. Nil in a module
	// built alone.
	YearDeliverables func(ctx context.Context, fy int) ([]YearDeliverable, error)
	// Shredders are the modules keeping encrypted files (Shredder), for
	// destruction at contract end. Nil in a module built alone.
	Shredders func() []NamedShredder
}

// YearDeliverable is one module's deliverable of the year.
type YearDeliverable struct {
	Module    string // the module's label
	ModuleKey string
	Deliverable
}

// ServiceRegistry is a module that keeps the registry of citizen services
// and the systems they depend on (区民サービス影響モデル).
type ServiceRegistry interface {
	CitizenServices(ctx context.Context) ([]CitizenService, error)
}

// CitizenService is one service of the registry as other modules see it.
type CitizenService struct {
	Code     string
	Name     string
	Systems  []string // the systems it needs, by name
	Counters []string // where it is given, e.g. 戸籍住民課（本庁舎1階 2番窓口）
	Daily    int      // requests on a weekday, roughly
	Fallback string   // the fallback when it stops
}

// Hinter is a module whose records show what a training should stress:
// the audit module's witness records (the points the ward's auditors
// needed help on). The e-learning module reads them through Deps.Hints.
type Hinter interface {
	Hints(ctx context.Context, fy int) ([]Hint, error)
}

// Hint is one point a training should stress.
type Hint struct {
	Audience string // who is trained: AudienceAuditor
	Title    string // the point, e.g. 監査証拠の入手と十分性
	Detail   string // why, from the records (counts, the advice given)
	Source   string // e.g. 令和8年度 内部監査の立会い
	Weight   int    // how strongly (higher first)
}

// AudienceAuditor is the ward's internal auditors (the auditor training).
const AudienceAuditor = "auditor"

// Group is the navigation heading a module is listed under.
type Group string

// The navigation groups, in display order.
const (
	GroupWork      Group = "業務" // the programme's workstreams
	GroupRegister  Group = "台帳" // registers shared by the workstreams
	GroupStandards Group = "基準" // standards and checklists
	GroupOrg       Group = "組織" // the organisation and administration
)

// Groups lists the navigation groups in display order.
var Groups = []Group{GroupWork, GroupRegister, GroupStandards, GroupOrg}

// Info describes a module to the app: its navigation entry and its place
// among DESIGN.md's workstreams.
type Info struct {
	Key        string // stable identifier (lower-case ASCII), unique across modules
	Label      string // Japanese name shown in the navigation
	Path       string // landing page, e.g. "/policy"; empty: no navigation entry
	Group      Group
	Workstream int    // DESIGN.md workstream number 1–10; 0 for shared modules
	Summary    string // one sentence for the home page
	Built      bool   // false: the landing page says plainly it is not built yet
	// RoleLabels names the navigation entry differently for roles that use
	// only part of the module: the policy module is 「基本方針」 to staff,
	// who read the adopted basic policy and nothing else there.
	RoleLabels map[web.Role]string
	// Vendors lists the module in the menu of 委託事業者 accounts. An outside
	// company's menu holds only what was built for it (its questionnaires),
	// even where a page is open to every signed-in role.
	Vendors bool
}

// LabelFor is the module's navigation label as role sees it.
func (i Info) LabelFor(role web.Role) string {
	if l := i.RoleLabels[role]; l != "" {
		return l
	}
	return i.Label
}

// Module is a feature of Mamori. Info is the only required method; a module
// implements whichever of the optional interfaces below it needs.
type Module interface {
	Info() Info
}

// Router is a module with web pages. Every route is registered with a rule
// (web.Rule) and, for routes on one object, an object check (web.Object).
type Router interface {
	Routes(rt *web.Router) error
}

// Navigator is a module with navigation entries beyond its landing page.
type Navigator interface {
	Nav() []web.NavItem
}

// DemoMaker is a module that adds its part of the demo ward. Modules run in
// the app's list order, so a module may rely on those listed before it.
type DemoMaker interface {
	CreateDemo(ctx context.Context, d Demo) error
}

// Demo carries what demo data needs.
type Demo struct {
	Password string            // the demo accounts' password
	Progress func(step string) // reports a step to the user (never nil)
}

// Tabler is a module that owns database tables: they are backed up and
// restored in the order given (parents before children).
type Tabler interface {
	Tables() []string
}

// Commander is a module with sub-commands of the mamori CLI.
type Commander interface {
	Commands() []Command
}

// Command is one sub-command: `mamori NAME …`.
type Command struct {
	Name  string // first word after mamori
	Usage string // lines for `mamori --help` (Japanese), without the leading "  "
	Run   func(ctx context.Context, cli *CLI, args []string) error
}

// CLI is what a sub-command gets from the app.
type CLI struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Data parses the storage flags (--db, --data) with the command's own,
	// opens the deployment and runs dc.Run with its services.
	Data func(ctx context.Context, args []string, dc DataCommand) error
	// Flags returns a flag set whose --help prints usage in Japanese.
	Flags func(name, usage string) *flag.FlagSet
}

// DataCommand is a sub-command that works on a deployment's data.
type DataCommand struct {
	Name, Synopsis string
	Flags          func(fs *flag.FlagSet)  // extra flags (optional)
	Args           func(pos []string) bool // positional arguments are right (optional)
	Run            func(d Deps, pos []string) error
}

// ParseArgs parses a sub-command's flags, allowing them after positional
// arguments too (mamori policy diff OLD NEW -o FILE), and returns the
// positional arguments.
func ParseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// ExitCode is an error that ends mamori with that exit status: a
// sub-command returns ExitCode(2) after printing its usage for wrong
// arguments.
type ExitCode int

func (e ExitCode) Error() string { return fmt.Sprintf("終了コード %d", int(e)) }

// Year is a module's contribution to the fiscal year (年度, starting in April
// of fy): the deliverables it generates and the progress of its tasks. The
// programme-management module and the bound set (製本) read them.
type Year interface {
	Deliverables(ctx context.Context, fy int) ([]Deliverable, error)
	Progress(ctx context.Context, fy int) ([]Progress, error)
}

// Deliverable is one document the ward receives.
type Deliverable struct {
	Key     string   // stable within the module
	Title   string   // as printed on the document
	Formats []string // "pdf", "docx", "xlsx", "html"
	Build   func(ctx context.Context) (*docgen.Document, error)
}

// Progress is one task of the year as a module knows it.
type Progress struct {
	Task      string
	Owner     string // 区 or 支援事業者, or a department
	Start     time.Time
	End       time.Time
	Done      float64 // 0–1
	Completed bool
	Overdue   int    // items past their due date (follow-ups, reminders)
	Link      string // page to open
	// Workstream places the task under another DESIGN.md workstream than
	// the module's own (an external or system audit of the audit module);
	// 0: the module's.
	Workstream int
}

// YearTask is one module's task of the year, as programme management
// reads it through Deps.YearProgress.
type YearTask struct {
	Module     string // the module's label, e.g. 自己点検
	Path       string // the module's landing page (who may open it may follow the task's link)
	Workstream int    // DESIGN.md workstream number
	Progress
}

// Tiler is a module with dashboard tiles for the home page.
type Tiler interface {
	Tiles(ctx context.Context, u *web.User) ([]Tile, error)
}

// Tile is one figure on the home page.
type Tile struct {
	Label string
	Value string
	Note  string
	Link  string
	Alert bool // needs attention (overdue, below target)
	// Task: the person's own task (a questionnaire to answer, a course
	// to take), listed under あなたのタスク instead of the module's figures.
	Task bool
}

// Scheduled is a module with recurring tasks (reminders, expiry warnings),
// run by the app's scheduler once across all instances.
type Scheduled interface {
	Schedules() []jobs.Schedule
}
