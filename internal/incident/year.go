package incident

// The incidents' contribution to the fiscal year (module.Year): the
// annual summary (年間総括) and each closed incident's recurrence-
// prevention report (再発防止レポート) for the bound set and the
// deliverables register; each incident as a task of the year, from its
// awareness to its closing, with its missed reports and notices as overdue
// items.

import (
	"context"
	"fmt"
	"slices"

	"mamori/internal/docgen"
	"mamori/internal/module"
)

// Deliverables implements module.Year.
func (m *Module) Deliverables(ctx context.Context, fy int) ([]module.Deliverable, error) {
	is, err := m.store.List(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("incident.Deliverables: %w", err)
	}
	if len(is) == 0 {
		return nil, nil
	}
	var out []module.Deliverable
	for _, i := range is {
		if !i.Closed() {
			continue
		}
		out = append(out, module.Deliverable{Key: i.Code + "/report", Title: "再発防止レポート（" + i.Code + " " + i.Title + "）", Formats: []string{"pdf", "docx"},
			Build: func(ctx context.Context) (*docgen.Document, error) {
				rec, err := m.store.RecordOf(ctx, i)
				if err != nil {
					return nil, err
				}
				return rec.ReportDocument(m.d.Org.WardName(ctx), m.store.now()), nil
			}})
	}
	return append(out, module.Deliverable{Key: "annual", Title: "インシデント対応の年間総括", Formats: []string{"pdf", "docx"},
		Build: func(ctx context.Context) (*docgen.Document, error) {
			now := m.store.now()
			a, err := m.store.AnnualOf(ctx, fy, now)
			if err != nil {
				return nil, err
			}
			return a.Document(m.d.Org.WardName(ctx), now), nil
		}}), nil
}

// Progress implements module.Year: each incident from its awareness to its
// closing (or, while open, to 90 days after awareness: three months for
// the analysis, the reports and the check of the measures' effect), its progress by the state it has reached, its
// reports and notices past their deadline as overdue items.
func (m *Module) Progress(ctx context.Context, fy int) ([]module.Progress, error) {
	is, err := m.store.List(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("incident.Progress: %w", err)
	}
	now := m.store.now()
	var out []module.Progress
	for _, i := range is {
		p := module.Progress{Task: "インシデント対応（" + i.Code + " " + i.Title + "）", Owner: i.LeadDepartment, Start: i.AwareAt,
			End: i.AwareAt.AddDate(0, 0, 90), Link: fmt.Sprintf("/incident/%d", i.ID)}
		if i.Closed() {
			p.Done, p.Completed, p.End = 1, true, i.ClosedAt
		} else {
			p.Done = float64(slices.Index(States, i.State)) / float64(len(States)-1)
			ds, err := m.store.Deadlines(ctx, i)
			if err != nil {
				return nil, err
			}
			for _, d := range ds {
				if d.Overdue(now) {
					p.Overdue++
				}
			}
		}
		out = append(out, p)
	}
	return out, nil
}
