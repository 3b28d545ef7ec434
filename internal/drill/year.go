package drill

// The drills' contribution to the fiscal year (module.Year): the annual
// plan and the business report, and each conducted drill's evaluation
// report, for the bound set and programme management; and each drill as a
// task of the year.

import (
	"context"
	"fmt"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/module"
)

// Deliverables implements module.Year.
func (m *Module) Deliverables(ctx context.Context, fy int) ([]module.Deliverable, error) {
	ds, err := m.store.Drills(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("drill.Deliverables: %w", err)
	}
	p, err := m.store.PlanOf(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("drill.Deliverables: %w", err)
	}
	if len(ds) == 0 && len(p.Cells) == 0 {
		return nil, nil
	}
	year := func(build func(*Year, string, time.Time) *docgen.Document) func(context.Context) (*docgen.Document, error) {
		return func(ctx context.Context) (*docgen.Document, error) {
			y, err := m.store.YearOf(ctx, fy)
			if err != nil {
				return nil, err
			}
			return build(y, m.d.Org.WardName(ctx), m.store.now()), nil
		}
	}
	out := []module.Deliverable{{Key: "plan", Title: "業務計画書（年間）事故対応訓練", Formats: []string{"pdf", "docx"}, Build: year((*Year).PlanDocument)}}
	for _, d := range ds {
		if !d.Ended() {
			continue
		}
		out = append(out, module.Deliverable{Key: d.Code + "/evaluation", Title: "訓練評価報告書（" + d.Code + " " + d.Title + "）", Formats: []string{"pdf", "docx"},
			Build: func(ctx context.Context) (*docgen.Document, error) {
				rec, err := m.store.RecordOf(ctx, d)
				if err != nil {
					return nil, err
				}
				return rec.Evaluation(m.d.Org.WardName(ctx), m.store.now()), nil
			}})
	}
	return append(out, module.Deliverable{Key: "annual", Title: "訓練結果報告書（業務報告書）", Formats: []string{"pdf", "docx"}, Build: year((*Year).BusinessReport)}), nil
}

// Progress implements module.Year: each drill from its planning to two
// weeks after its day (the evaluation report), done when it has ended and
// every objective is rated; a drill not ended, or not rated, two weeks
// after its day is overdue.
func (m *Module) Progress(ctx context.Context, fy int) ([]module.Progress, error) {
	ds, err := m.store.Drills(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("drill.Progress: %w", err)
	}
	now := m.store.now()
	var out []module.Progress
	for _, d := range ds {
		sc, err := m.store.ScenarioOf(ctx, d)
		if err != nil {
			return nil, err
		}
		rs, err := m.store.RatingsOf(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		p := module.Progress{Task: "事故対応訓練（" + d.Department + "・" + sc.Threat + "）", Owner: d.Department, Start: d.PlannedAt.AddDate(0, 0, -30),
			End: d.PlannedAt.AddDate(0, 0, 14), Link: fmt.Sprintf("/drills/%d", d.ID)}
		switch {
		case d.Ended() && len(rs) >= len(sc.Objectives):
			p.Done, p.Completed = 1, true
		case d.Ended():
			p.Done = 0.7 + 0.3*float64(len(rs))/float64(max(len(sc.Objectives), 1))
		case d.Live():
			p.Done = 0.5
		}
		if !p.Completed && now.After(p.End) {
			p.Overdue = 1
		}
		out = append(out, p)
	}
	return out, nil
}

var _ module.Year = (*Module)(nil)
