package audit

import (
	"context"
	"fmt"

	"mamori/internal/catalog"
	"mamori/internal/database"
)

// BenchSummarySetup makes, for `mamori bench summary`, the year's picture
// at scale: engagements internal audits of items checklist items each in
// the working year and in each of the years-1 years before it, every one
// of another department, judged in a pattern that differs by department,
// chapter and year (about 1 in 10 一部不適合, 1 in 20 不適合, some 該当なし and
// unjudged), with up to 10 findings each. The years before have issued
// reports and follow-up verdicts; the working year's reports are issued
// for every other engagement. It returns the working fiscal year.
func (m *Module) BenchSummarySetup(ctx context.Context, engagements, items, years int) (int, error) {
	s := m.store
	tree, err := m.org.Departments(ctx)
	if err != nil {
		return 0, err
	}
	var depts []int64
	for _, d := range tree.Flat() {
		if d.ParentID != 0 {
			depts = append(depts, d.ID)
		}
	}
	if len(depts) == 0 {
		return 0, fmt.Errorf("bench summary: 課がありません")
	}
	fy := s.org.CurrentFiscalYear(ctx)
	by := Actor{Name: "システム"}
	for y := fy - years + 1; y <= fy; y++ {
		for n := range engagements {
			dept := depts[n%len(depts)]
			issued := y < fy || n%2 == 0
			if err := s.benchSummaryEngagement(ctx, y, fy-y, n, dept, items, issued, by); err != nil {
				return 0, fmt.Errorf("bench summary: %d年度 %d件目: %w", y, n+1, err)
			}
		}
	}
	return fy, nil
}

// benchSummaryEngagement makes one judged engagement of fiscal year fy
// (age years before the working year) for department dept.
func (s *Store) benchSummaryEngagement(ctx context.Context, fy, age, n int, dept int64, items int, issued bool, by Actor) error {
	visit := s.now().AddDate(-age, 0, 0)
	id, err := s.CreateEngagement(ctx, EngagementInput{FiscalYear: fy, Kind: KindInternal, Title: fmt.Sprintf("性能測定用の内部監査 %d", n+1),
		Targets: []TargetInput{{DepartmentID: dept, VisitDate: visit}}, Scope: catalog.ApplicabilityOrder[1:]}, by)
	if err != nil {
		return err
	}
	e, err := s.Engagement(ctx, id)
	if err != nil {
		return err
	}
	all, err := s.cat.Items(ctx, catalog.ItemFilter{TemplateID: e.TemplateID})
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return fmt.Errorf("チェックリストの雛形に項目がありません")
	}
	// Twenty marks in a cycle whose start moves with the department and the
	// year, so that the heatmap and the years differ.
	marks := []string{JudgeConform, JudgeConform, JudgeConform, JudgePartial, JudgeConform, JudgeConform, JudgeConform, JudgeNA,
		JudgeConform, JudgeConform, JudgeConform, JudgeNonconform, JudgeConform, JudgeConform, JudgePartial, JudgeConform,
		JudgeConform, JudgeConform, JudgeConform, JudgeNone}
	shift := n*3 + age*7
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		for k := e.Items; k < items; k++ {
			it := all[k%len(all)]
			it.Code = fmt.Sprintf("%s-R%d", it.Code, k/len(all))
			if err := s.insertItem(ctx, id, k+1, it, "性能測定のための追加", true); err != nil {
				return err
			}
		}
		rows, err := s.db.Query(ctx, `SELECT id, sort_order FROM audit_items WHERE engagement_id = ?`, id)
		if err != nil {
			return err
		}
		type mark struct {
			id    int64
			order int
		}
		var list []mark
		for rows.Next() {
			var x mark
			if err := rows.Scan(&x.id, &x.order); err != nil {
				rows.Close()
				return err
			}
			list = append(list, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		now := database.T(s.now())
		for _, x := range list {
			j := marks[(x.order*7+shift)%len(marks)]
			st := "done"
			if j == JudgeNone {
				st = "todo"
			}
			if _, err := s.db.Exec(ctx, `UPDATE audit_items SET judgement = ?, status = ?, notes = '関係資料を閲覧し、担当者に聞き取りを行った。', updated_at = ? WHERE id = ?`,
				j, st, now, x.id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	list, err := s.Items(ctx, id, ItemFilter{})
	if err != nil {
		return err
	}
	var fids []int64
	risks := []string{"高", "中", "低"}
	for _, it := range list {
		if it.Judgement != JudgePartial && it.Judgement != JudgeNonconform || len(fids) == 10 {
			continue
		}
		fid, err := s.CreateFinding(ctx, e, FindingInput{Type: FindingFinding, Title: fmt.Sprintf("性能測定用の指摘 %d（%s）", len(fids)+1, it.Code),
			DepartmentID: dept, ItemCodes: []string{it.Code}, Condition: "規定された手順の一部が実施されていなかった。",
			Criteria: "対策基準に定める手順", Recommendation: "手順を見直し、実施状況を記録すること。", Risk: risks[len(fids)%3],
			Due: visit.AddDate(0, 3, 0)}, by)
		if err != nil {
			return err
		}
		fids = append(fids, fid)
	}
	if !issued {
		return nil
	}
	phase := PhaseFollowup
	if age > 0 {
		phase = PhaseDone
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		now := database.T(s.now())
		if _, err := s.db.Exec(ctx, `INSERT INTO audit_reports (engagement_id, state, version, rev, updated_by_name, updated_at) VALUES (?, 'final', 1, 1, ?, ?)
			ON CONFLICT (engagement_id) DO UPDATE SET state = 'final', version = 1`, id, by.Name, now); err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, `UPDATE audit_engagements SET phase = ? WHERE id = ?`, string(phase), id); err != nil {
			return err
		}
		// The years before: two in three findings improved, the rest partly.
		for i, fid := range fids {
			if age == 0 {
				break
			}
			v := VerdictImproved
			if i%3 == 2 {
				v = VerdictPartly
			}
			if _, err := s.db.Exec(ctx, `UPDATE audit_findings SET followup_verdict = ?, followup_method = 'document', followup_by_name = ?, followup_at = ? WHERE id = ?`,
				v, by.Name, now, fid); err != nil {
				return err
			}
		}
		return nil
	})
}

// BenchSummarize computes the year's summary once, for `mamori bench
// summary` to time the calculation on its own.
func (m *Module) BenchSummarize(ctx context.Context, fy int) error {
	_, err := m.store.Summarize(ctx, fy)
	return err
}
