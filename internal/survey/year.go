package survey

// This file is the self-assessment's contribution to the fiscal year
// (module.Year): each campaign's 調査結果報告書 for the bound set and
// programme management, and where each campaign stands.

import (
	"context"
	"fmt"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/jp"
	"mamori/internal/module"
)

// Deliverables implements module.Year: the 調査結果報告書 of every
// campaign of fiscal year fy that has responses, in PDF and DOCX.
func (m *Module) Deliverables(ctx context.Context, fy int) ([]module.Deliverable, error) {
	cs, err := m.store.Campaigns(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("survey.Deliverables: %w", err)
	}
	var out []module.Deliverable
	for i := len(cs) - 1; i >= 0; i-- { // oldest first
		c := cs[i]
		if c.State == StateDraft || c.Answered == 0 {
			continue
		}
		out = append(out, module.Deliverable{Key: c.Code + "/report", Title: ReportTitle + "（" + c.Title + "）", Formats: []string{"pdf", "docx"},
			Build: func(ctx context.Context) (*docgen.Document, error) {
				a, err := m.store.Analyze(ctx, c.ID)
				if err != nil {
					return nil, err
				}
				return ReportDocument(a), nil
			}})
	}
	return out, nil
}

// Progress implements module.Year: one task per campaign of fiscal year fy,
// from its opening to its closing day, done by its response rate while it
// is open and wholly once closed. An open campaign past its closing day
// counts as overdue (it should be closed).
func (m *Module) Progress(ctx context.Context, fy int) ([]module.Progress, error) {
	cs, err := m.store.Campaigns(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("survey.Progress: %w", err)
	}
	today := m.store.today()
	var out []module.Progress
	for i := len(cs) - 1; i >= 0; i-- {
		c := cs[i]
		p := module.Progress{Task: "自己点検（" + c.Title + "）", Owner: "区", Start: wardDay(c.OpensOn), End: wardDay(c.ClosesOn), Link: "/selfcheck"}
		switch c.State {
		case StateOpen:
			p.Done, p.Link = c.Rate(), resultsPath(c.ID)
			if today.After(c.ClosesOn) {
				p.Overdue = 1
			}
		case StateClosed:
			p.Done, p.Completed, p.Link = 1, true, resultsPath(c.ID)
		}
		out = append(out, p)
	}
	return out, nil
}

// wardDay is a campaign's calendar date (UTC midnight) as the start of
// that day in Japan.
func wardDay(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, jp.JST)
}

var _ module.Year = (*Module)(nil)
