package policy

import (
	"context"
	"fmt"
	"sort"

	"mamori/internal/docgen"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/policy/gap"
)

// Revisions lists the revisions (versions made from a base version: drafts,
// and drafts since adopted or superseded) started in fiscal year fy, in
// document order. A revision belongs to the year its draft was started in:
// that is when the revision work was done.
func (s *Store) Revisions(ctx context.Context, fy int) ([]Version, error) {
	vs, err := s.versions(ctx, "v.base_version_id IS NOT NULL")
	if err != nil {
		return nil, err
	}
	docs, err := s.Documents(ctx)
	if err != nil {
		return nil, err
	}
	rank := map[int64]int{}
	for i, d := range docs {
		rank[d.ID] = i
	}
	var out []Version
	for _, v := range vs {
		if jp.FiscalYearOf(v.CreatedAt) == fy {
			out = append(out, v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if rank[out[i].DocumentID] != rank[out[j].DocumentID] {
			return rank[out[i].DocumentID] < rank[out[j].DocumentID]
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Deliverables implements module.Year: for each revision started in fiscal
// year fy its 新旧対照表 and 見え消し版, then the gap tables (相違点整合表)
// of the year.
func (m *Module) Deliverables(ctx context.Context, fy int) ([]module.Deliverable, error) {
	st := m.store()
	revs, err := st.Revisions(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("policy.Deliverables: %w", err)
	}
	var out []module.Deliverable
	for _, v := range revs {
		l, err := st.Load(ctx, v.ID)
		if err != nil {
			return nil, fmt.Errorf("policy.Deliverables: %w", err)
		}
		out = append(out,
			module.Deliverable{Key: fmt.Sprintf("table:%d", v.ID), Title: l.Title() + "　新旧対照表", Formats: []string{"pdf", "docx", "xlsx"},
				Build: func(context.Context) (*docgen.Document, error) {
					return l.TableDocument(CompareOptions{OmitSame: true, Remarks: true}, m.d.Now())
				}},
			module.Deliverable{Key: fmt.Sprintf("redline:%d", v.ID), Title: l.Title() + "（見え消し版）", Formats: []string{"pdf", "docx"},
				Build: func(context.Context) (*docgen.Document, error) {
					by := l.Version.CreatedByName
					if by == "" {
						by = l.Ward
					}
					return l.RedlineDocument(by, l.Version.UpdatedAt)
				}})
	}
	gs := gap.NewStore(m.d.DB, m.d.Log)
	tables, err := gs.Tables(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy.Deliverables: %w", err)
	}
	sort.SliceStable(tables, func(i, j int) bool { return tables[i].ID < tables[j].ID })
	for _, t := range tables {
		if t.FiscalYear != fy {
			continue
		}
		out = append(out, module.Deliverable{Key: fmt.Sprintf("gap:%d", t.ID), Title: t.Title, Formats: []string{"pdf"},
			Build: func(ctx context.Context) (*docgen.Document, error) {
				rows, err := gs.Rows(ctx, t.ID, gap.Filter{})
				if err != nil {
					return nil, err
				}
				return gap.Document(t, rows, gap.Output{Ward: m.d.Org.WardName(ctx), Date: m.d.Now()}, false), nil
			}})
	}
	return out, nil
}

// Progress implements module.Year: the year's revisions, each done once
// adopted.
func (m *Module) Progress(ctx context.Context, fy int) ([]module.Progress, error) {
	st := m.store()
	revs, err := st.Revisions(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("policy.Progress: %w", err)
	}
	var out []module.Progress
	for _, v := range revs {
		d, err := st.Document(ctx, v.DocumentID)
		if err != nil {
			return nil, fmt.Errorf("policy.Progress: %w", err)
		}
		p := module.Progress{Task: d.Title + "の改正（" + v.Name() + "）", Owner: "区・支援事業者", Start: v.CreatedAt, End: jp.FiscalYearEnd(fy),
			Link: fmt.Sprintf("/policy/versions/%d/draft", v.ID)}
		if v.Status != StatusDraft {
			p.Done, p.Completed, p.Link = 1, true, fmt.Sprintf("/policy/versions/%d", v.ID)
		}
		out = append(out, p)
	}
	return out, nil
}
