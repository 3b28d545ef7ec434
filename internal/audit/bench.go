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
