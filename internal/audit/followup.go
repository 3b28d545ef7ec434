package audit

// This file is the follow-up (フォローアップ) of 指摘事項 and 改善提言 once the
// report is issued (final, or reopened with its final version kept): the
// auditee's improvement plan, the auditor's verdict by document review or
// review, both carried into the improvement register, the lists across
// engagements and the follow-up status reports.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/database"
	"mamori/internal/docgen"
	"mamori/internal/improve"
	"mamori/internal/jp"
)

// `mamori export followup --engagement CODE`.
func init() {
	registerExport("followup", "フォローアップ状況報告書", func(ctx context.Context, s *Store, e Engagement) (*docgen.Document, error) {
		return s.FollowupDocument(ctx, e)
	})
}

// ImprovementPlan is the auditee's improvement plan for one finding.
type ImprovementPlan struct {
	Action string    // what will be done
	Owner  string    // who in the department does it (a post or a name)
	Due    time.Time // when it will be done
}

// followupClosed refuses follow-up work on a finding that is not followed
// up, or before the report is issued (final, or a final version kept while
// the next version is drafted).
func followupClosed(rs reportStatus, f Finding) error {
	switch {
	case !f.Registered():
		return FieldErrors{"finding": f.TypeLabel() + "はフォローアップの対象ではありません（対象は指摘事項と改善提言です）。"}
	case !rs.Issued():
		return FieldErrors{"finding": "フォローアップは監査報告書が確定してから行います。"}
	}
	return nil
}

// SaveImprovementPlan stores the auditee's improvement plan for a 指摘事項 or 改善提言
// of a final report, if rev is still the stored one; the register action
// moves to 対応中 with the plan as its note. A follow-up already confirmed
// 改善済 takes no new plan. Audited.
func (s *Store) SaveImprovementPlan(ctx context.Context, e Engagement, id, rev int64, in ImprovementPlan, by Actor) error {
	in.Action, in.Owner = cleanMultiline(in.Action), cleanText(in.Owner)
	fe := FieldErrors{}
	switch n := utf8.RuneCountInString(in.Action); {
	case n == 0:
		fe["plan_action"] = "改善の内容を入力してください。"
	case n > maxFindingText:
		fe["plan_action"] = fmt.Sprintf("改善の内容は%d文字以内で入力してください（%d文字あります）。", maxFindingText, n)
	}
	switch n := utf8.RuneCountInString(in.Owner); {
	case n == 0:
		fe["plan_owner"] = "改善を担当する人（職名か氏名）を入力してください。"
	case n > 100:
		fe["plan_owner"] = "担当は100文字以内で入力してください。"
	}
	if in.Due.IsZero() {
		fe["plan_due"] = "完了予定日を入力してください。"
	} else if in.Due.Year() < 2000 || in.Due.Year() > 2100 {
		fe["plan_due"] = "完了予定日の日付が正しくありません。"
	}
	if len(fe) > 0 {
		return fe
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		f, err := s.Finding(ctx, e.ID, id)
		if err != nil {
			return err
		}
		rs, err := s.reportStatusOf(ctx, e.ID)
		if err != nil {
			return err
		}
		if err := followupClosed(rs, f); err != nil {
			return err
		}
		if f.Verdict == VerdictImproved {
			return FieldErrors{"plan_action": "この指摘は改善済と確認されているため、改善計画は変更できません。"}
		}
		if f.Rev != rev {
			return ErrConflict
		}
		if f.PlanAction == in.Action && f.PlanOwner == in.Owner && jp.DateKey(f.PlanDue) == jp.DateKey(in.Due) {
			return nil
		}
		res, err := s.db.Exec(ctx, `UPDATE audit_findings SET plan_action = ?, plan_owner = ?, plan_due = ?, plan_at = ?, plan_by_name = ?, rev = rev + 1,
			updated_by_name = ?, updated_at = ? WHERE id = ? AND engagement_id = ? AND rev = ?`,
			in.Action, in.Owner, jp.DateKey(in.Due), stampText(s.now()), by.Name, by.Name, database.T(s.now()), id, e.ID, rev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		if s.reg != nil {
			note := fmt.Sprintf("改善計画：%s（担当 %s、完了予定 %s）", in.Action, in.Owner, jp.FormatWareki(in.Due))
			if err := s.reg.ProgressFromSource(ctx, "audit", f.Ref(), cutRunes(note, 4000), by); err != nil && !errors.Is(err, database.ErrNotFound) {
				return err
			}
		}
		verb := "提出"
		if f.HasPlan() {
			verb = "更新"
		}
		return s.log.Record(ctx, "audit.followup_plan", fmt.Sprintf("audit_finding:%d", id),
			fmt.Sprintf("%s の%sの改善計画を%s（完了予定 %s）", e.Code, f.Label(), verb, jp.FormatWareki(in.Due)))
	})
	if err != nil {
		return findingErr("audit.SaveImprovementPlan", err)
	}
	return nil
}

// FollowupInput is the auditor's follow-up of one finding.
type FollowupInput struct {
	Verdict string // improved, partly, not
	Method  string // document (書類調査), review (レビュー)
	Comment string
}

// SetFollowup records the auditor's verdict on a 指摘事項 or 改善提言 of a
// final report, if rev is still the stored one: 改善済 marks the register
// action 確認済; 一部改善 and 未改善 send it back to 対応中 with the
// comment. The caller has checked that the actor audits the engagement.
// Audited.
func (s *Store) SetFollowup(ctx context.Context, e Engagement, id, rev int64, in FollowupInput, by Actor) error {
	in.Comment = cleanMultiline(in.Comment)
	fe := FieldErrors{}
	if FollowupVerdictLabel(in.Verdict) == "未確認" {
		fe["verdict"] = "確認の結果（改善済・一部改善・未改善）を選んでください。"
	}
	if FollowupMethodLabel(in.Method) == "" {
		fe["method"] = "確認の方法（書類調査・レビュー）を選んでください。"
	}
	switch n := utf8.RuneCountInString(in.Comment); {
	case n > maxFindingText:
		fe["followup_comment"] = fmt.Sprintf("コメントは%d文字以内で入力してください（%d文字あります）。", maxFindingText, n)
	case n == 0 && (in.Verdict == VerdictPartly || in.Verdict == VerdictNot):
		fe["followup_comment"] = "一部改善・未改善のときは、残っている課題をコメントに入力してください（担当所属に伝わります）。"
	}
	if len(fe) > 0 {
		return fe
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		f, err := s.Finding(ctx, e.ID, id)
		if err != nil {
			return err
		}
		rs, err := s.reportStatusOf(ctx, e.ID)
		if err != nil {
			return err
		}
		if err := followupClosed(rs, f); err != nil {
			return err
		}
		if f.Rev != rev {
			return ErrConflict
		}
		if f.Verdict == in.Verdict && f.FollowupMethod == in.Method && f.FollowupComment == in.Comment {
			return nil
		}
		res, err := s.db.Exec(ctx, `UPDATE audit_findings SET followup_verdict = ?, followup_method = ?, followup_comment = ?, followup_by_name = ?,
			followup_at = ?, rev = rev + 1, updated_by_name = ?, updated_at = ? WHERE id = ? AND engagement_id = ? AND rev = ?`,
			in.Verdict, in.Method, in.Comment, by.Name, stampText(s.now()), by.Name, database.T(s.now()), id, e.ID, rev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		if s.reg != nil {
			to, note := improve.StatusVerified, fmt.Sprintf("フォローアップ（%s）：改善済", FollowupMethodLabel(in.Method))
			if in.Verdict != VerdictImproved {
				to, note = improve.StatusInProgress, fmt.Sprintf("フォローアップ（%s）：%s", FollowupMethodLabel(in.Method), FollowupVerdictLabel(in.Verdict))
			}
			if in.Comment != "" {
				note += "。" + in.Comment
			}
			err := s.reg.VerifyFromSource(ctx, "audit", f.Ref(), to, cutRunes(note, 4000), by)
			if errors.Is(err, database.ErrNotFound) {
				// The action is gone (removed on the register): write it
				// again from the finding, then record the verdict.
				if err := s.syncAction(ctx, e, f, by); err != nil {
					return err
				}
				err = s.reg.VerifyFromSource(ctx, "audit", f.Ref(), to, cutRunes(note, 4000), by)
			}
			if err != nil {
				return err
			}
		}
		return s.log.Record(ctx, "audit.followup_verdict", fmt.Sprintf("audit_finding:%d", id),
			fmt.Sprintf("%s の%sを%sで確認：%s", e.Code, f.Label(), FollowupMethodLabel(in.Method), FollowupVerdictLabel(in.Verdict)))
	})
	if err != nil {
		return findingErr("audit.SetFollowup", err)
	}
	return nil
}

// FollowupRow is one followed-up finding with its engagement.
type FollowupRow struct {
	Finding
	E Engagement
}

// FollowupFilter selects follow-ups across engagements.
type FollowupFilter struct {
	FiscalYear   int     // 0: every year
	EngagementID int64   // 0: every engagement
	Departments  []int64 // the findings' departments (nil: all)
	Members      int64   // engagements this user is on the team of (0: any)
	Open         bool    // only open follow-ups
	Overdue      bool    // only overdue ones
	NoPlan       bool    // only those without an improvement plan
	Awaiting     bool    // only those with a plan or a completed action and no verdict yet
	Now          time.Time
}

// Followups lists the 指摘事項 and 改善提言 of issued reports (final, or
// reopened with a final version kept: the ones followed up), by engagement
// code and number.
func (s *Store) Followups(ctx context.Context, f FollowupFilter) ([]FollowupRow, error) {
	where := []string{"f.type IN ('finding', 'recommendation')", "(r.state = 'final' OR r.version > 0)"}
	var args []any
	if f.FiscalYear != 0 {
		where, args = append(where, "e.fiscal_year = ?"), append(args, f.FiscalYear)
	}
	if f.EngagementID != 0 {
		where, args = append(where, "e.id = ?"), append(args, f.EngagementID)
	}
	if f.Members != 0 {
		where, args = append(where, "EXISTS (SELECT 1 FROM audit_engagement_members m WHERE m.engagement_id = e.id AND m.user_id = ?)"), append(args, f.Members)
	}
	if f.Departments != nil {
		if len(f.Departments) == 0 {
			return nil, nil
		}
		where = append(where, "f.department_id IN ("+database.Placeholders(len(f.Departments))+")")
		for _, d := range f.Departments {
			args = append(args, d)
		}
	}
	q := "SELECT f.id FROM audit_findings f JOIN audit_engagements e ON e.id = f.engagement_id JOIN audit_reports r ON r.engagement_id = e.id WHERE " +
		strings.Join(where, " AND ") + " ORDER BY e.fiscal_year, e.code, f.seq"
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit.Followups: %w", err)
	}
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("audit.Followups: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit.Followups: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	// One query for the findings, one pass for their engagements.
	byID := map[int64]Finding{}
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		fs, err := s.queryFindings(ctx, "SELECT "+findingCols+" FROM audit_findings WHERE id IN ("+database.Placeholders(len(part))+")", part...)
		if err != nil {
			return nil, fmt.Errorf("audit.Followups: %w", err)
		}
		for _, x := range fs {
			byID[x.ID] = x
		}
	}
	ef := EngagementFilter{FiscalYear: f.FiscalYear}
	if f.EngagementID != 0 {
		e, err := s.Engagement(ctx, f.EngagementID)
		if err != nil {
			return nil, fmt.Errorf("audit.Followups: %w", err)
		}
		ef.FiscalYear = e.FiscalYear
	}
	list, _, err := s.Engagements(ctx, ef)
	if err != nil {
		return nil, fmt.Errorf("audit.Followups: %w", err)
	}
	es := map[int64]Engagement{}
	for _, e := range list {
		es[e.ID] = e
	}
	now := f.Now
	if now.IsZero() {
		now = s.now()
	}
	var out []FollowupRow
	for _, id := range ids {
		x, ok := byID[id.(int64)]
		if !ok {
			continue
		}
		switch {
		case f.Open && !x.Open():
			continue
		case f.Overdue && !x.OverdueAt(now):
			continue
		case f.NoPlan && (x.HasPlan() || !x.Open()):
			continue
		case f.Awaiting && !x.AwaitingCheck():
			continue
		}
		out = append(out, FollowupRow{Finding: x, E: es[x.EngagementID]})
	}
	return out, nil
}

// AwaitingCheck reports whether an open follow-up waits for the auditor:
// the auditee has written a plan or completed the action since the last
// verdict (or there is none yet).
func (f Finding) AwaitingCheck() bool {
	if !f.Open() {
		return false
	}
	done := f.Action.Status == improve.StatusDone
	switch {
	case f.Verdict == "":
		return f.HasPlan() || done
	case done:
		return f.Action.CompletedAt.After(f.FollowupAt)
	}
	return f.PlanAt.After(f.FollowupAt)
}

// FollowupCounts are the numbers of a set of follow-ups.
type FollowupCounts struct {
	Total, Improved, Partly, Not, Unchecked, Overdue, NoPlan int
}

// CountFollowups counts follow-ups by verdict, overdue and without a plan.
func CountFollowups(rows []FollowupRow, now time.Time) FollowupCounts {
	var c FollowupCounts
	for _, r := range rows {
		c.Total++
		switch r.Verdict {
		case VerdictImproved:
			c.Improved++
		case VerdictPartly:
			c.Partly++
		case VerdictNot:
			c.Not++
		default:
			c.Unchecked++
		}
		if r.OverdueAt(now) {
			c.Overdue++
		}
		if r.Open() && !r.HasPlan() {
			c.NoPlan++
		}
	}
	return c
}

// FollowupDocument is the follow-up status report of one engagement: its
// 指摘事項 and 改善提言 with the improvement plan, the register's status and
// the auditor's verdict.
func (s *Store) FollowupDocument(ctx context.Context, e Engagement) (*docgen.Document, error) {
	rows, err := s.Followups(ctx, FollowupFilter{EngagementID: e.ID})
	if err != nil {
		return nil, err
	}
	return s.followupDoc(ctx, e.FiscalYear, e.Title, rows, false), nil
}

// FollowupYearDocument is the follow-up status report of every engagement
// of fiscal year fy.
func (s *Store) FollowupYearDocument(ctx context.Context, fy int) (*docgen.Document, error) {
	rows, err := s.Followups(ctx, FollowupFilter{FiscalYear: fy})
	if err != nil {
		return nil, err
	}
	return s.followupDoc(ctx, fy, jp.FiscalYearLabel(fy)+" 監査全体", rows, true), nil
}

// FollowupDocumentOf is the follow-up report of the rows a list shows
// (filtered by the year page), titled with what the list holds.
func (s *Store) FollowupDocumentOf(ctx context.Context, fy int, scope string, rows []FollowupRow) *docgen.Document {
	return s.followupDoc(ctx, fy, scope, rows, true)
}

var verdictFill = map[string]string{VerdictImproved: "E5F4E8", VerdictPartly: "FFF5D6", VerdictNot: "FBE9E9"}

func (s *Store) followupDoc(ctx context.Context, fy int, subject string, rows []FollowupRow, many bool) *docgen.Document {
	now := s.now()
	ward := s.org.WardName(ctx)
	title := "フォローアップ状況報告書"
	d := &docgen.Document{Meta: docgen.Meta{Title: title, Subtitle: subject, Ward: ward, FiscalYear: fy, Date: now,
		Classification: "取扱注意", PageNumbers: docgen.PageDash}}
	c := CountFollowups(rows, now)
	blocks := []docgen.Block{
		docgen.Heading{Level: 1, Text: title, NoTOC: true},
		docgen.P(subject + "（" + jp.FormatWareki(now) + "現在）"),
		docgen.P(fmt.Sprintf("フォローアップの対象（指摘事項・改善提言）%d 件：改善済 %d 件、一部改善 %d 件、未改善 %d 件、未確認 %d 件。うち期限を過ぎて改善が確認されていないもの %d 件、改善計画が未提出のもの %d 件。",
			c.Total, c.Improved, c.Partly, c.Not, c.Unchecked, c.Overdue, c.NoPlan)),
	}
	cols := []docgen.Column{{Width: 1.9, Align: docgen.AlignCenter}, {Width: 5}, {Width: 1, Align: docgen.AlignCenter}, {Width: 2, Align: docgen.AlignCenter},
		{Width: 5}, {Width: 1.8, Align: docgen.AlignCenter}, {Width: 4.5}}
	head := []docgen.Cell{fuHead("番号"), fuHead("件名・所属"), fuHead("リスク"), fuHead("期限"), fuHead("改善計画"), fuHead("台帳の状況"), fuHead("確認結果")}
	if many {
		cols = append([]docgen.Column{{Width: 2.6}}, cols...)
		head = append([]docgen.Cell{fuHead("監査")}, head...)
	}
	tb := docgen.Table{HeaderRows: 1, FontSize: 9, TopAlign: true, Columns: cols, Rows: []docgen.Row{{Cells: head}}}
	for _, r := range rows {
		due := r.DueWareki()
		if r.OverdueAt(now) {
			due += "\n（期限超過）"
		}
		plan := "（未提出）"
		if r.HasPlan() {
			plan = fmt.Sprintf("%s\n担当：%s\n完了予定：%s", r.PlanAction, r.PlanOwner, r.PlanDueWareki())
		}
		status := "－"
		if r.Action.ID != 0 {
			status = fmt.Sprintf("%s\n（台帳No.%d）", r.Action.Status.Label(), r.Action.ID)
		}
		check := docgen.C("未確認")
		if r.Verdict != "" {
			txt := r.VerdictLabel() + "（" + r.MethodLabel() + "、" + wareki(r.FollowupAt) + "）"
			if r.FollowupComment != "" {
				txt += "\n" + r.FollowupComment
			}
			check = docgen.C(txt)
			check.Fill = verdictFill[r.Verdict]
		}
		cells := []docgen.Cell{docgen.C(r.Label()), {Runs: []docgen.Run{{Text: r.Title, Bold: true}, docgen.T("\n" + r.Department)}},
			docgen.C(r.Risk), docgen.C(due), docgen.C(plan), docgen.C(status), check}
		if many {
			cells = append([]docgen.Cell{docgen.C(r.E.Subject() + "\n" + r.E.Code)}, cells...)
		}
		tb.Rows = append(tb.Rows, docgen.Row{Cells: cells})
	}
	if len(rows) == 0 {
		tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("フォローアップの対象はありません。")}, ColSpan: len(cols)}}})
	}
	blocks = append(blocks, tb)
	d.Sections = []docgen.Section{{Orientation: docgen.Landscape, Tab: "フォローアップ", Blocks: blocks}}
	return d
}
