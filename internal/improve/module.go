package improve

import (
	"context"
	"strconv"

	"mamori/internal/docgen"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/web"
)

// Module is the improvement register as a module of the app.
type Module struct {
	d     module.Deps
	store *Store
}

// New returns the register's module.
func New(d module.Deps) *Module { return &Module{d: d, store: NewStore(d)} }

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{Key: ModuleKey, Label: "改善措置台帳", Path: "/improve", Group: module.GroupRegister, Built: true,
		Summary: "監査の指摘事項、訓練の評価、インシデントの再発防止策、自己点検の弱点、ポリシーの相違点から生じた改善措置を、担当所属・期限・証跡・確認まで一つの台帳で管理。"}
}

// Routes implements module.Router.
func (m *Module) Routes(rt *web.Router) error { return NewWeb(m.store, m.d.Log).Routes(rt) }

// Tables implements module.Tabler.
func (m *Module) Tables() []string {
	return []string{"improvement_actions", "improvement_action_events", "improvement_action_evidence"}
}

// Tiles implements module.Tiler: the unfinished and overdue actions for
// those who run and oversee the programme, and an auditee's own
// department's.
func (m *Module) Tiles(ctx context.Context, u *web.User) ([]module.Tile, error) {
	f := Filter{}
	prefix := ""
	switch {
	case u == nil:
		return nil, nil
	case u.Role == web.RoleAdmin || u.Role == web.RoleConsultant || u.Role == web.RoleViewer:
	case u.Role == web.RoleAuditee:
		tree, err := m.d.Org.Departments(ctx)
		if err != nil {
			return nil, err
		}
		f.Within = tree.Subtree(u.DepartmentID)
		if f.Within == nil {
			f.Within = []int64{}
		}
		prefix = "自所属の"
	default:
		return nil, nil
	}
	now := m.store.now()
	sum, err := m.store.Summarize(ctx, f, now)
	if err != nil {
		return nil, err
	}
	tiles := []module.Tile{
		{Label: prefix + "未完了の改善措置", Value: strconv.Itoa(sum.Unfinished) + " 件", Link: "/improve?status=unfinished",
			Note: "未着手 " + strconv.Itoa(sum.Status(StatusOpen)) + " 件・対応中 " + strconv.Itoa(sum.Status(StatusInProgress)) + " 件（前年度からの繰越しを含む）"},
		{Label: prefix + "期限超過の改善措置", Value: strconv.Itoa(sum.Overdue) + " 件", Link: "/improve?overdue=1", Alert: sum.Overdue > 0},
	}
	if u.Role != web.RoleAuditee {
		tiles = append(tiles, module.Tile{Label: "確認待ちの改善措置", Value: strconv.Itoa(sum.Status(StatusDone)) + " 件",
			Note: "所属が完了とし、確認済になっていないもの", Link: "/improve?status=done"})
	}
	return tiles, nil
}

// Deliverables implements module.Year: the register of the year as a
// document (none when the year has no actions).
func (m *Module) Deliverables(ctx context.Context, fy int) ([]module.Deliverable, error) {
	if sum, err := m.store.Summary(ctx, fy, m.store.now()); err != nil || sum.Total == 0 {
		return nil, err
	}
	return []module.Deliverable{{Key: "register", Title: jp.FiscalYearLabel(fy) + " " + Title, Formats: []string{"pdf", "docx"},
		Build: func(ctx context.Context) (*docgen.Document, error) { return m.Document(ctx, fy) }}}, nil
}

// Document is the register of fiscal year fy (0: every year) as a
// document.
func (m *Module) Document(ctx context.Context, fy int) (*docgen.Document, error) {
	f := Filter{FiscalYear: fy}
	as, _, err := m.store.List(ctx, f)
	if err != nil {
		return nil, err
	}
	now := m.store.now()
	sum, err := m.store.Summarize(ctx, f, now)
	if err != nil {
		return nil, err
	}
	return Document(as, sum, DocumentInfo{Ward: m.d.Org.WardName(ctx), FiscalYear: fy, Now: now}), nil
}

// Progress implements module.Year: how far the year's actions have come,
// by the owner departments and by the verification.
func (m *Module) Progress(ctx context.Context, fy int) ([]module.Progress, error) {
	sum, err := m.store.Summary(ctx, fy, m.store.now())
	if err != nil {
		return nil, err
	}
	if sum.Total == 0 {
		return nil, nil
	}
	done, verified := sum.Status(StatusDone), sum.Status(StatusVerified)
	link := "/improve?year=" + strconv.Itoa(fy)
	return []module.Progress{
		{Task: "改善措置の実施", Owner: "各所属", Start: jp.FiscalYearStart(fy), End: jp.FiscalYearEnd(fy),
			Done: float64(done+verified) / float64(sum.Total), Completed: sum.Unfinished == 0, Overdue: sum.Overdue, Link: link + "&status=unfinished"},
		{Task: "改善措置の確認", Owner: "区・支援事業者", Start: jp.FiscalYearStart(fy), End: jp.FiscalYearEnd(fy),
			Done: float64(verified) / float64(sum.Total), Completed: verified == sum.Total, Link: link + "&status=done"},
	}, nil
}
