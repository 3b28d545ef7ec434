package learning

// The e-learning's contribution to the fiscal year (module.Year): each
// course's text (研修資料, the printed version of the lessons and the test,
// in the general staff's variant) for the bound set and the deliverables
// register; each campaign as a task of the year, from its opening to its
// closing, done as its assignees complete it.

import (
	"context"
	"fmt"

	"mamori/internal/docgen"
	"mamori/internal/module"
)

// Deliverables implements module.Year: the text of each of the year's own
// courses (a vendor's SCORM package has no text of ours).
func (m *Module) Deliverables(ctx context.Context, fy int) ([]module.Deliverable, error) {
	cs, err := m.store.Courses(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("learning.Deliverables: %w", err)
	}
	var out []module.Deliverable
	for _, c := range cs {
		if c.SCORM() || len(c.Variants) == 0 {
			continue
		}
		v := c.Variants[0].Key
		for _, x := range c.Variants {
			if x.Key == "general" {
				v = x.Key
			}
		}
		out = append(out, module.Deliverable{Key: c.Code + "/text", Title: "研修資料（" + c.Code + " " + c.Title + "）", Formats: []string{"pdf", "docx"},
			Build: func(ctx context.Context) (*docgen.Document, error) {
				ls, err := m.store.Lessons(ctx, c.ID)
				if err != nil {
					return nil, err
				}
				qs, err := m.store.Questions(ctx, c.ID)
				if err != nil {
					return nil, err
				}
				return TextDocument(c, ls, qs, v, m.d.Org.WardName(ctx), m.store.now()), nil
			}})
	}
	return out, nil
}

// Progress implements module.Year: each campaign from its opening to its
// closing; done when everyone assigned has completed it, and past its
// closing the people not finished are its overdue items.
func (m *Module) Progress(ctx context.Context, fy int) ([]module.Progress, error) {
	cs, err := m.store.Campaigns(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("learning.Progress: %w", err)
	}
	now := m.store.now()
	var out []module.Progress
	for i := len(cs) - 1; i >= 0; i-- { // oldest first
		c := cs[i]
		p := module.Progress{Task: "研修「" + c.Title + "」（" + c.Code + "）", Owner: "区（全職員）", Start: c.Opens, End: c.Closes.AddDate(0, 0, 1).Add(-1),
			Link: fmt.Sprintf("/learning/campaigns/%d", c.ID)}
		if c.Assigned > 0 {
			p.Done = float64(c.Completed) / float64(c.Assigned)
		}
		p.Completed = c.Assigned > 0 && c.Completed == c.Assigned
		if !p.Completed && now.After(p.End) {
			p.Overdue = c.Assigned - c.Completed
		}
		out = append(out, p)
	}
	return out, nil
}
