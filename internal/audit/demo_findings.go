package audit

// The demo after the visit: findings (through the findings store, so that
// every 指摘事項 and 改善提言 enters the improvement register), the report
// with its review, the auditee's comments and its finalisation, and the
// follow-up of the findings (improvement plans and verdicts).

import (
	"context"
	"fmt"
	"time"
)

// findingsAndReport writes the findings and the report of an engagement
// in 報告 or later, and the follow-up of one in フォローアップ.
func (b *demoBuilder) findingsAndReport(ctx context.Context, e Engagement, det *demoDetail, visit time.Time) error {
	lead := b.lead(e)
	var ids []int64
	for n, f := range det.Findings {
		dept := e.Targets[0].DepartmentID
		if f.Dept != "" {
			dept = 0
			for _, t := range e.Targets {
				if t.Name == f.Dept {
					dept = t.DepartmentID
				}
			}
			if dept == 0 {
				return fmt.Errorf("指摘 %d の所属「%s」がこの監査の対象にありません", n+1, f.Dept)
			}
		}
		in := FindingInput{Type: f.Type, Title: f.Title, DepartmentID: dept, ItemCodes: f.Items, Condition: f.Condition, Criteria: f.Criteria,
			Cause: f.Cause, Effect: f.Effect, Recommendation: f.Recommendation, Risk: f.Risk}
		if FindingRegistered(f.Type) {
			in.Due = day(visit, f.Due, 0, 0)
		}
		id, err := b.at(day(visit, 6+n, 10, 0)).CreateFinding(ctx, e, in, lead)
		if err != nil {
			return fmt.Errorf("指摘 %d「%s」: %w", n+1, f.Title, err)
		}
		ids = append(ids, id)
	}
	if det.Report == nil {
		return nil
	}
	return b.report(ctx, e, det, ids, visit)
}

// report writes the report's texts and moves it through its review: the
// comments of the review, the auditee's comments on the findings while
// it is in review, and the finalisation; then the follow-up.
func (b *demoBuilder) report(ctx context.Context, e Engagement, det *demoDetail, ids []int64, visit time.Time) error {
	lead := b.lead(e)
	rd := det.Report
	r, err := b.s.Report(ctx, e.ID)
	if err != nil {
		return err
	}
	in := ReportInput{Summary: rd.Summary, Opinion: rd.Opinion, Perspectives: map[string]ReportPerspectiveInput{}}
	for k, p := range rd.Perspectives {
		in.Perspectives[k] = ReportPerspectiveInput{Rating: p[0], Text: p[1]}
	}
	if err := b.at(day(visit, 14, 16, 0)).SaveReport(ctx, e.ID, r.Rev, in, lead); err != nil {
		return fmt.Errorf("報告書の保存: %w", err)
	}
	if rd.State == ReportDraft || rd.State == "" {
		return nil
	}
	if err := b.reportState(ctx, e, ReportToReview, lead, day(visit, 18, 9, 30)); err != nil {
		return err
	}
	for n, c := range rd.Comments {
		by := b.witness(e)
		switch c.By {
		case "admin":
			if a, ok := b.byLogin["admin"]; ok {
				by = b.actorOf(a.ID)
			}
		case "lead":
			by = lead
		}
		cid, err := b.at(day(visit, 20, 10+n, 0)).AddReportComment(ctx, e.ID, 0, c.Section, c.Body, by)
		if err != nil {
			return fmt.Errorf("レビューコメント %d: %w", n+1, err)
		}
		if c.Reply != "" {
			if _, err := b.at(day(visit, 22, 11+n, 0)).AddReportComment(ctx, e.ID, cid, c.Section, c.Reply, lead); err != nil {
				return fmt.Errorf("レビューコメント %d の返信: %w", n+1, err)
			}
		}
		if c.Resolved {
			if err := b.at(day(visit, 23, 9+n, 30)).ResolveReportComment(ctx, e.ID, cid, lead); err != nil {
				return fmt.Errorf("レビューコメント %d の解決: %w", n+1, err)
			}
		}
	}
	p, err := b.people(ctx, e.Targets[0].DepartmentID)
	if err != nil {
		return err
	}
	auditee := b.answerer(p)
	for n, f := range det.Findings {
		if f.Comment == "" {
			continue
		}
		cur, err := b.s.Finding(ctx, e.ID, ids[n])
		if err != nil {
			return err
		}
		if err := b.at(day(visit, 21, 14, n*5)).SetAuditeeComment(ctx, e, ids[n], cur.Rev, f.Comment, auditee); err != nil {
			return fmt.Errorf("指摘 %d への被監査所属のコメント: %w", n+1, err)
		}
	}
	if rd.State == ReportReview {
		return nil
	}
	if err := b.reportState(ctx, e, ReportToFinal, lead, day(visit, 28, 15, 0)); err != nil {
		return err
	}
	if e.Phase.Index() < PhaseFollowup.Index() {
		return nil
	}
	return b.followup(ctx, e, det, ids, auditee, visit)
}

// reportState moves the report to another state through the store (the
// quality checks that remain are confirmed, as the lead does on the page).
func (b *demoBuilder) reportState(ctx context.Context, e Engagement, to string, by Actor, at time.Time) error {
	r, err := b.s.Report(ctx, e.ID)
	if err != nil {
		return err
	}
	if err := b.at(at).SetReportState(ctx, e.ID, r.Rev, to, true, by); err != nil {
		return fmt.Errorf("報告書を「%s」へ: %w", to, err)
	}
	return nil
}

// followup writes the auditee's improvement plans and the auditor's
// verdicts of the findings that have them.
func (b *demoBuilder) followup(ctx context.Context, e Engagement, det *demoDetail, ids []int64, auditee Actor, visit time.Time) error {
	lead := b.lead(e)
	for n, f := range det.Findings {
		if f.Plan != nil {
			cur, err := b.s.Finding(ctx, e.ID, ids[n])
			if err != nil {
				return err
			}
			in := ImprovementPlan{Action: f.Plan.Action, Owner: f.Plan.Owner, Due: day(visit, f.Plan.Due, 0, 0)}
			if err := b.at(day(visit, 35+n, 10, 0)).SaveImprovementPlan(ctx, e, ids[n], cur.Rev, in, auditee); err != nil {
				return fmt.Errorf("指摘 %d の改善計画: %w", n+1, err)
			}
		}
		if f.Followup != nil {
			cur, err := b.s.Finding(ctx, e.ID, ids[n])
			if err != nil {
				return err
			}
			in := FollowupInput{Verdict: f.Followup.Verdict, Method: f.Followup.Method, Comment: f.Followup.Comment}
			at := day(visit, f.Due+3, 14, 0)
			if f.Plan != nil {
				at = day(visit, f.Plan.Due+5, 14, 0)
			}
			if err := b.at(at).SetFollowup(ctx, e, ids[n], cur.Rev, in, lead); err != nil {
				return fmt.Errorf("指摘 %d のフォローアップ: %w", n+1, err)
			}
		}
	}
	return nil
}
