package vendor

// The vendor reviews' contribution to the fiscal year (module.Year): the
// register of services and contracts as it stood in the year, and each
// decided review's result (審査結果), for the bound set and the
// deliverables register; each review as a task of the year, from its
// request to the contract's start, with its conditions past their due
// date as overdue items.

import (
	"context"
	"fmt"

	"mamori/internal/docgen"
	"mamori/internal/module"
)

// Deliverables implements module.Year.
func (m *Module) Deliverables(ctx context.Context, fy int) ([]module.Deliverable, error) {
	rs, err := m.store.Requests(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("vendor.Deliverables: %w", err)
	}
	if len(rs) == 0 {
		return nil, nil
	}
	var out []module.Deliverable
	for _, x := range rs {
		if x.State != StateDecided {
			continue
		}
		out = append(out, module.Deliverable{Key: x.Code + "/result", Title: "審査結果（" + x.Code + " " + x.ServiceName + "）", Formats: []string{"pdf", "docx", "xlsx"},
			Build: func(ctx context.Context) (*docgen.Document, error) {
				rec, err := m.store.RecordOf(ctx, x)
				if err != nil {
					return nil, err
				}
				return rec.ReviewDocument(m.d.Org.WardName(ctx), m.store.now()), nil
			}})
	}
	return append(out, module.Deliverable{Key: "register", Title: "外部委託・クラウドサービス台帳", Formats: []string{"pdf", "xlsx"},
		Build: func(ctx context.Context) (*docgen.Document, error) {
			all, err := m.store.Requests(ctx, 0)
			if err != nil {
				return nil, err
			}
			var held []Request // as the register stood in the year: no later year's requests
			for _, x := range all {
				if x.FiscalYear <= fy {
					held = append(held, x)
				}
			}
			return RegisterDocument(held, m.d.Org.WardName(ctx), m.store.now()), nil
		}}), nil
}

// stateDone is how far a request in each state has come.
var stateDone = map[State]float64{StateRequested: 0.1, StateAnswering: 0.3, StateReturned: 0.5, StateReview: 0.7, StateDecided: 1}

// Progress implements module.Year: each review from its request to the
// contract's start (30 days when the contract starts sooner or is not
// known); a review still open after that is late; the conditions of a
// conditional approval past their due date are its overdue items.
func (m *Module) Progress(ctx context.Context, fy int) ([]module.Progress, error) {
	rs, err := m.store.Requests(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("vendor.Progress: %w", err)
	}
	now := m.store.now()
	var out []module.Progress
	for i := len(rs) - 1; i >= 0; i-- {
		x := rs[i]
		end := x.ContractFrom
		if end.Before(x.CreatedAt.AddDate(0, 0, 30)) {
			end = x.CreatedAt.AddDate(0, 0, 30)
		}
		p := module.Progress{Task: "委託先の審査（" + x.Code + " " + x.ServiceName + "）", Owner: x.Department, Start: x.CreatedAt, End: end,
			Done: stateDone[x.State], Completed: x.State == StateDecided, Link: fmt.Sprintf("/vendor/%d", x.ID)}
		if p.Completed && !x.DecidedAt.IsZero() {
			p.End = x.DecidedAt
		}
		cs, err := m.store.Conditions(ctx, x.ID)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if c.Overdue(now) {
				p.Overdue++
			}
		}
		out = append(out, p)
	}
	return out, nil
}
