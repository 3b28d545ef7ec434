package policy

import (
	"context"

	"mamori/internal/module"
	"mamori/internal/policy/gap"
	"mamori/internal/web"
)

// Module is policy revision (DESIGN.md workstream 9) as a module of the app:
// policy documents and their revisions, and the gap tables (相違点整合表).
type Module struct{ d module.Deps }

// NewModule returns the policy-revision module.
func NewModule(d module.Deps) *Module { return &Module{d: d} }

// store is the policy store on the app's services.
func (m *Module) store() *Store { return NewStore(m.d.DB, m.d.Log, m.d.Now).withOrg(m.d.Org) }

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{Key: "policy", Label: "ポリシー改訂", Path: "/policy", Group: module.GroupWork, Workstream: 9, Built: true,
		Summary:    "国のガイドラインと区のポリシーの相違点整合表、改訂案、見え消し版、新旧対照表、職員向け教材、実施手順とハンドブックの改訂。",
		RoleLabels: publicLabels()}
}

// publicLabels names the module 「基本方針」 for the roles that read the
// adopted basic policy only.
func publicLabels() map[web.Role]string {
	out := map[web.Role]string{}
	for _, r := range web.AllRoles {
		if !readers.Has(r) {
			out[r] = "基本方針"
		}
	}
	return out
}

// Routes implements module.Router.
func (m *Module) Routes(rt *web.Router) error {
	if err := gap.NewWeb(m.d.DB, m.d.Log, m.d.Now, m.d.Org).Routes(rt); err != nil {
		return err
	}
	return NewWeb(m.store(), m.d.Blobs).Routes(rt)
}

// Tables implements module.Tabler.
func (m *Module) Tables() []string {
	return []string{"policy_gap_tables", "policy_gap_rows", "policy_documents", "policy_versions", "policy_version_trees", "policy_changes",
		"policy_change_gaps", "policy_quiz_questions"}
}

// CreateDemo implements module.DemoMaker: a gap table between the current
// guideline and the ward policy, and the ward's policy texts with a draft.
func (m *Module) CreateDemo(ctx context.Context, d module.Demo) error {
	d.Progress("相違点整合表を作成しています")
	if _, err := gap.CreateDemo(ctx, m.d.DB, m.d.Log, m.d.Now()); err != nil {
		return err
	}
	d.Progress("区の情報セキュリティポリシーと改正案を登録しています")
	return CreateDemo(ctx, m.store())
}
