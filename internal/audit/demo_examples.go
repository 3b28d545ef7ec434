package audit

// The demo's response examples: the shipped library loaded, and the
// results material of the demo's external audits given the examples the
// suggestions put first, as the consultant would pick them.

import (
	"context"
	"fmt"

	"mamori/internal/module"
	"mamori/internal/web"
)

// demoMaterialExamples is how many suggested examples the demo picks.
const demoMaterialExamples = 4

// demoMaterialNotes are the consultant's notes on some examples (by code).
var demoMaterialNotes = map[string]string{
	"EX-01": "異動の内示の一覧を人事課から税務システムの管理者へ渡す手順を、次の定期異動から試行することを勧めます。",
	"EX-03": "本人確認書類の写しは、賦課の事務が終わる時期に合わせて一斉に点検・廃棄する日を決めるとよいでしょう。",
}

// demoExamples loads the library and picks examples for the external
// audits among ids.
func (m *Module) demoExamples(ctx context.Context, d module.Demo, ids []int64) error {
	d.Progress("対応例ライブラリを読み込んでいます")
	if _, err := m.store.EnsureExamples(ctx); err != nil {
		return err
	}
	var by Actor
	accounts, err := m.org.Accounts(ctx)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		if a.Login == "consultant" {
			by = Actor{UserID: a.ID, Role: web.RoleConsultant, Name: a.DisplayName}
		}
	}
	for _, id := range ids {
		e, err := m.store.Engagement(ctx, id)
		if err != nil {
			return err
		}
		if !materialKind(e.Kind) {
			continue
		}
		sugg, err := m.store.SuggestExamples(ctx, e)
		if err != nil {
			return err
		}
		var choices []MaterialChoice
		for i, g := range sugg {
			if i == demoMaterialExamples {
				break
			}
			choices = append(choices, MaterialChoice{ExampleID: g.ID, Note: demoMaterialNotes[g.Code]})
		}
		if err := m.store.SetMaterialExamples(ctx, e, choices, by); err != nil {
			return fmt.Errorf("%s の報告会資料の対応例: %w", e.Code, err)
		}
	}
	return nil
}
