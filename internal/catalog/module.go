package catalog

import (
	"context"
	"io/fs"

	"mamori/content"
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
