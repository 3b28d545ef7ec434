package audit

import (
	"context"
	"fmt"
	"time"

	"mamori/internal/catalog"
	"mamori/internal/database"
)

// BenchEngagement makes, for `mamori bench audit`, an engagement of the
// working year with items checklist items (the largest internal-audit
// template's items, repeated under new codes when it has fewer) and files
// evidence files of size bytes each, spread over the items; every item is
// judged except one in five. It returns the engagement's id.
func (s *Store) BenchEngagement(ctx context.Context, deptID int64, items, files, size int, by Actor) (int64, error) {
	fy := s.org.CurrentFiscalYear(ctx)
	id, err := s.CreateEngagement(ctx, EngagementInput{FiscalYear: fy, Kind: KindInternal, Title: "性能測定用の監査（400項目）",
		Targets: []TargetInput{{DepartmentID: deptID, VisitDate: s.now()}}, Scope: catalog.ApplicabilityOrder[1:]}, by)
	if err != nil {
		return 0, err
	}
	e, err := s.Engagement(ctx, id)
	if err != nil {
		return 0, err
	}
	all, err := s.cat.Items(ctx, catalog.ItemFilter{TemplateID: e.TemplateID})
	if err != nil {
		return 0, err
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		for n := e.Items; n < items; n++ {
			it := all[n%len(all)]
			it.Code = fmt.Sprintf("%s-R%d", it.Code, n/len(all))
			if err := s.insertItem(ctx, id, n+1, it, "性能測定のための追加", true); err != nil {
				return err
			}
		}
		marks := []string{JudgeConform, JudgeConform, JudgeConform, JudgePartial, ""}
		_, err := s.db.Exec(ctx, `UPDATE audit_items SET judgement = CASE sort_order % 5 WHEN 0 THEN ? WHEN 1 THEN ? WHEN 2 THEN ? WHEN 3 THEN ? ELSE ? END,
			status = 'done', notes = '関係資料を閲覧し、担当者に聞き取りを行った。', updated_at = ? WHERE engagement_id = ?`,
			marks[0], marks[1], marks[2], marks[3], marks[4], database.T(s.now()), id)
		return err
	})
	if err != nil {
		return 0, err
	}
	list, err := s.Items(ctx, id, ItemFilter{})
	if err != nil {
		return 0, err
	}
	// A finding for each 一部不適合 item, up to 30: the report prints them.
	n := 0
	for _, it := range list {
		if it.Judgement != JudgePartial || n == 30 {
			continue
		}
		n++
		if _, err := s.CreateFinding(ctx, e, FindingInput{Type: FindingFinding, Title: fmt.Sprintf("性能測定用の指摘 %d（%s）", n, it.Code),
			DepartmentID: deptID, ItemCodes: []string{it.Code}, Condition: "規定された手順の一部が実施されていなかった。",
			Criteria: "対策基準に定める手順", Recommendation: "手順を見直し、実施状況を記録すること。", Risk: "中",
			Due: s.now().AddDate(0, 3, 0)}, by); err != nil {
			return 0, err
		}
	}
	data := make([]byte, size)
	copy(data, "%PDF-1.4\n")
	for i := 0; i < files; i++ {
		// Each file differs (the blob store keeps one copy of equal files).
		copy(data[16:], fmt.Sprintf("%08d %s", i, time.Now().Format(time.RFC3339Nano)))
		if _, err := s.AddEvidence(ctx, id, EvidenceInput{ItemID: list[i%len(list)].ID, Kind: EvidenceFile,
			Filename: fmt.Sprintf("資料%03d.pdf", i+1), ContentType: "application/pdf", Data: data}, by); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// BenchSetup is BenchEngagement for `mamori bench audit` on the demo ward:
// the engagement audits the first department below the ward (the office
// of its first staff list) and is made by the system. It returns the
// engagement's id and its items' ids in checklist order.
func (m *Module) BenchSetup(ctx context.Context, items, files, size int) (int64, []int64, error) {
	tree, err := m.org.Departments(ctx)
	if err != nil {
		return 0, nil, err
	}
	var dept int64
	for _, d := range tree.Flat() {
		if d.ParentID != 0 {
			dept = d.ID
			break
		}
	}
	if dept == 0 {
		return 0, nil, fmt.Errorf("bench audit: 課がありません")
	}
	id, err := m.store.BenchEngagement(ctx, dept, items, files, size, Actor{Name: "システム"})
	if err != nil {
		return 0, nil, err
	}
	list, err := m.store.Items(ctx, id, ItemFilter{})
	if err != nil {
		return 0, nil, err
	}
	ids := make([]int64, len(list))
	for i, it := range list {
		ids[i] = it.ID
	}
	return id, ids, nil
}
