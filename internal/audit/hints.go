package audit

import (
	"context"
	"fmt"
	"strings"

	"mamori/internal/jp"
	"mamori/internal/module"
)

// Hints implements module.Hinter: the witness points fiscal year fy's
// internal audits needed help on (要改善 counts twice, 概ね良好 once), with
// the advice the witness gave, for the internal-auditor training.
func (m *Module) Hints(ctx context.Context, fy int) ([]module.Hint, error) {
	sum, err := m.store.WitnessSummary(ctx, fy)
	if err != nil {
		return nil, err
	}
	var out []module.Hint
	for _, p := range sum.Points {
		if p.Help() == 0 {
			continue
		}
		detail := fmt.Sprintf("立会い %d 件のうち 要改善 %d 件・概ね良好 %d 件。", p.Rated(), p.Poor, p.Fair)
		for _, n := range p.Notes {
			if a := strings.TrimSpace(n.Advice); a != "" && (n.Rating == RatingPoor || n.Rating == RatingFair) {
				detail += "助言：" + jp.TruncateWidth(a, 120)
				break
			}
		}
		out = append(out, module.Hint{Audience: module.AudienceAuditor, Title: p.Point.Label, Detail: detail,
			Source: jp.FiscalYearLabel(fy) + " 内部監査の立会い", Weight: p.Help()})
	}
	return out, nil
}
