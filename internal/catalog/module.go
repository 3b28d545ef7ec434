package catalog

import (
	"context"
	"io/fs"
	"sort"

	"mamori/content"
	"mamori/internal/docgen"
	"mamori/internal/module"
	"mamori/internal/web"
)

// Module is the catalogue as a module of the app: the national standards and
// the ward policy as clause trees, and the checklist templates keyed to them.
type Module struct{ d module.Deps }

// NewModule returns the catalogue module.
func NewModule(d module.Deps) *Module { return &Module{d: d} }

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{Key: "catalog", Label: "監査項目カタログ", Path: "/catalog", Group: module.GroupStandards, Built: true,
		Summary: "国の基準と区のポリシーの条項、条項間の対応、条項に紐づくチェックリスト。"}
}

// Routes implements module.Router.
func (m *Module) Routes(rt *web.Router) error {
	w := NewWeb(NewStore(m.d.DB), m.d.Log, m.d.Now, m.d.Org)
	w.SetBlobs(m.d.Blobs)
	return w.Routes(rt)
}

// Tables implements module.Tabler.
func (m *Module) Tables() []string {
	return []string{"frameworks", "clauses", "clause_mappings", "checklist_templates", "checklist_items", "checklist_item_clauses"}
}

// CreateDemo implements module.DemoMaker: the shipped catalogue.
func (m *Module) CreateDemo(ctx context.Context, d module.Demo) error {
	d.Progress("監査項目カタログを取り込んでいます")
	sub, err := fs.Sub(content.FS, "catalog")
	if err != nil {
		return err
	}
	cat, err := Load(sub)
	if err != nil {
		return err
	}
	_, err = Import(ctx, m.d.DB, m.d.Log, cat, m.d.Now())
	return err
}

// kindOrder is the order the year's checklists are bound in: the
// programme's order (internal audit, external audits, system audit,
// vendors and cloud, self-assessment).
var kindOrder = []string{"internal", "external_assets", "external_mynumber", "system", "outsourcing", "cloud", "self_assessment"}

func kindRank(kind string) int {
	for i, k := range kindOrder {
		if k == kind {
			return i
		}
	}
	return len(kindOrder)
}

// Deliverables implements module.Year: the checklist templates of fiscal
// year fy (their version is the year) as the printed checklists.
func (m *Module) Deliverables(ctx context.Context, fy int) ([]module.Deliverable, error) {
	st := NewStore(m.d.DB)
	all, err := st.Templates(ctx)
	if err != nil {
		return nil, err
	}
	var ts []StoredTemplate
	for _, t := range all {
		if t.Version == fy {
			ts = append(ts, t)
		}
	}
	sort.SliceStable(ts, func(i, j int) bool { return kindRank(ts[i].Kind) < kindRank(ts[j].Kind) })
	var out []module.Deliverable
	for _, t := range ts {
		out = append(out, module.Deliverable{Key: "checklist:" + t.Kind, Title: t.Title, Formats: []string{"pdf", "docx"},
			Build: func(ctx context.Context) (*docgen.Document, error) {
				items, err := st.Items(ctx, ItemFilter{TemplateID: t.ID})
				if err != nil {
					return nil, err
				}
				return TemplateDocument(t, items, m.d.Org.WardName(ctx), m.d.Now(), false), nil
			}})
	}
	return out, nil
}

// Progress implements module.Year: the catalogue has no tasks of its own
// in the year (the audits that use its checklists report theirs).
func (m *Module) Progress(context.Context, int) ([]module.Progress, error) { return nil, nil }
