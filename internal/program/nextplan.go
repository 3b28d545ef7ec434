package program

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/database"
	"mamori/internal/docgen"
	"mamori/internal/improve"
	"mamori/internal/jp"
)

// The next-year plan (次期支援計画書（案）): for each workstream, what the
// year did (its tasks in the schedule), what is left (the improvement
// register's unfinished actions of the sources that concern it), and the
// proposals for next year — drafted from those facts, edited in place.

// registerSources are the register's sources that concern each workstream.
// The register does not tell an internal audit's findings from an
// external one's: all audit findings are counted once, under 内部監査.
var registerSources = map[int][]improve.Source{
	1: {improve.SourceAuditFinding}, 2: {improve.SourceSurveyWeakness},
	6: {improve.SourceDrillEvaluation}, 7: {improve.SourceIncidentMeasure}, 9: {improve.SourcePolicyGap},
}

// PlanPart is one workstream of the next-year plan.
type PlanPart struct {
	Workstream int
	Label      string
	Tasks      int      // the year's tasks
	Done       int      // finished
	Delayed    []string // late or at risk, by title
	Open       int      // the register's unfinished actions of its sources
	OpenTitles []string // the first of them
	Proposal   string   // as saved, or the draft
	Saved      bool
	UpdatedBy  string
}

// NextPlan is the draft of the next year's plan.
type NextPlan struct {
	FiscalYear int
	Now        time.Time
	Parts      []PlanPart
	Register   improve.Summary
	NextTasks  int // tasks already in next year's schedule
}

// NextPlanOf gathers fiscal year fy's facts and the saved proposals.
func (s *Store) NextPlanOf(ctx context.Context, fy int, sc Schedule, reg *improve.Store) (NextPlan, error) {
	np := NextPlan{FiscalYear: fy, Now: s.now()}
	saved := map[int][2]string{}
	rows, err := s.db.Query(ctx, "SELECT workstream, text, updated_by_name FROM program_proposals WHERE fiscal_year = ?", fy)
	if err != nil {
		return np, fmt.Errorf("program.NextPlanOf: %w", err)
	}
	for rows.Next() {
		var ws int
		var text, by string
		if err := rows.Scan(&ws, &text, &by); err != nil {
			rows.Close()
			return np, err
		}
		saved[ws] = [2]string{text, by}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return np, err
	}
	if reg != nil {
		if np.Register, err = reg.Summary(ctx, fy, np.Now); err != nil {
			return np, err
		}
	}
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM program_tasks WHERE fiscal_year = ?", fy+1).Scan(&np.NextTasks); err != nil {
		return np, err
	}
	for ws := 1; ws < len(Workstreams); ws++ {
		p := PlanPart{Workstream: ws, Label: Workstreams[ws]}
		for _, r := range sc.Rows {
			if r.Workstream != ws {
				continue
			}
			p.Tasks++
			if r.Status == StatusDone {
				p.Done++
			}
			if r.Delayed() {
				p.Delayed = append(p.Delayed, r.Title)
			}
		}
		if reg != nil {
			for _, src := range registerSources[ws] {
				as, n, err := reg.List(ctx, improve.Filter{FiscalYear: fy, Source: src, Status: improve.StatusUnfinished, Limit: 3, Sort: "due"})
				if err != nil {
					return np, err
				}
				p.Open += n
				for _, a := range as {
					p.OpenTitles = append(p.OpenTitles, a.Title)
				}
			}
		}
		if sv, ok := saved[ws]; ok {
			p.Proposal, p.UpdatedBy, p.Saved = sv[0], sv[1], true
		} else {
			p.Proposal = draftProposal(p)
		}
		np.Parts = append(np.Parts, p)
	}
	return np, nil
}

// draftProposal is a first proposal from the year's facts, for the
// consultant to rewrite.
func draftProposal(p PlanPart) string {
	var out []string
	if len(p.Delayed) > 0 {
		out = append(out, fmt.Sprintf("今年度に遅れた作業（%s）の原因を振り返り、次年度は着手を早め、定例会で月ごとに確認する。", strings.Join(firstN(p.Delayed, 3), "、")))
	}
	if p.Open > 0 {
		out = append(out, fmt.Sprintf("未完了の改善措置 %d 件のフォローアップを次年度の最初の四半期に行い、完了を確認する。", p.Open))
	}
	if p.Tasks > 0 && len(p.Delayed) == 0 && p.Open == 0 {
		out = append(out, "今年度の進め方を継続し、対象と重点を見直して実施する。")
	}
	if p.Tasks == 0 {
		out = append(out, "今年度は作業がなかった。次年度に実施するかどうかを区と協議する。")
	}
	return strings.Join(out, "\n")
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(append([]string{}, s[:n]...), fmt.Sprintf("ほか %d 件", len(s)-n))
	}
	return s
}

// SaveProposals stores the proposals of fiscal year fy by workstream.
func (s *Store) SaveProposals(ctx context.Context, fy int, texts map[int]string, by string) error {
	fe := FieldErrors{}
	for ws, t := range texts {
		if ws < 1 || ws >= len(Workstreams) {
			fe["workstream"] = "業務の番号が正しくありません。"
		}
		if n := utf8.RuneCountInString(t); n > 4000 {
			fe["note"] = fmt.Sprintf("%sの提案は4,000文字以内で入力してください（%d文字あります）。", WorkstreamLabel(ws), n)
		}
	}
	if len(fe) > 0 {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		now := database.T(s.now())
		for ws := 1; ws < len(Workstreams); ws++ {
			t, ok := texts[ws]
			if !ok {
				continue
			}
			t = strings.TrimSpace(strings.ReplaceAll(t, "\r\n", "\n"))
			// One upsert: a delete and an insert of two saves at once
			// (PostgreSQL) broke the primary key with an SQL error.
			if _, err := s.db.Exec(ctx, `INSERT INTO program_proposals (fiscal_year, workstream, text, updated_by_name, updated_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (fiscal_year, workstream) DO UPDATE SET text = excluded.text, updated_by_name = excluded.updated_by_name, updated_at = excluded.updated_at`,
				fy, ws, t, by, now); err != nil {
				return err
			}
		}
		return s.log.Record(ctx, "program.next_plan", fmt.Sprintf("program_year:%d", fy), jp.FiscalYearLabel(fy)+"の次期支援計画書（案）の提案を保存")
	})
}

// CopyToNextYear creates next year's schedule skeleton from this year's
// own tasks and milestones (not the meetings' actions): the same work a
// year later, not started. Refused when next year already has tasks.
func (s *Store) CopyToNextYear(ctx context.Context, fy int, by string) (int, error) {
	n := 0
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// Two copies at once (PostgreSQL) would both find next year empty
		// and copy the schedule twice; the year's lock makes the second
		// one see the first's tasks.
		if err := s.lockYear(ctx, fy); err != nil {
			return err
		}
		var have int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM program_tasks WHERE fiscal_year = ?", fy+1).Scan(&have); err != nil {
			return err
		}
		if have > 0 {
			return FieldErrors{"title": fmt.Sprintf("%sの工程には既に %d 件の作業があります。複写は最初の一度だけ行えます（何も変更していません）。", jp.FiscalYearLabel(fy+1), have)}
		}
		ts, err := s.Tasks(ctx, fy)
		if err != nil {
			return err
		}
		now := database.T(s.now())
		for _, t := range ts {
			if strings.HasPrefix(t.Title, "宿題：") {
				continue
			}
			start, end := t.BaseStart.AddDate(1, 0, 0), t.BaseEnd.AddDate(1, 0, 0)
			if _, err := s.db.Exec(ctx, `INSERT INTO program_tasks (fiscal_year, workstream, title, owner, milestone, start_on, end_on, baseline_start, baseline_end,
				progress, note, rev, updated_by_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 1, ?, ?, ?)`,
				fy+1, t.Workstream, t.Title, t.Owner, t.Milestone, jp.DateKey(start), jp.DateKey(end), jp.DateKey(start), jp.DateKey(end),
				"前年度の工程から複写", by, now, now); err != nil {
				return err
			}
			n++
		}
		if n == 0 {
			return FieldErrors{"title": jp.FiscalYearLabel(fy) + "には複写する作業がありません。"}
		}
		return s.log.Record(ctx, "program.copy_year", fmt.Sprintf("program_year:%d", fy+1),
			fmt.Sprintf("%sの工程を%sへ複写（%d 件）", jp.FiscalYearLabel(fy), jp.FiscalYearLabel(fy+1), n))
	})
	return n, err
}

// NextPlanDocument is the 次期支援計画書（案）.
func NextPlanDocument(np NextPlan, ward string) *docgen.Document {
	next := jp.FiscalYearLabel(np.FiscalYear + 1)
	b := []docgen.Block{
		docgen.Heading{Level: 1, Text: "1 趣旨"},
		docgen.P(fmt.Sprintf("%sの情報セキュリティ対策支援業務の実施状況と残った課題を踏まえ、%sの支援の内容を提案する。", jp.FiscalYearLabel(np.FiscalYear), next)),
		docgen.Heading{Level: 1, Text: "2 改善措置の状況"},
		docgen.P(fmt.Sprintf("%s現在、改善措置台帳の%sの措置は %d 件で、うち未完了は %d 件（期限超過 %d 件）である。", jp.FormatWareki(np.Now),
			jp.FiscalYearLabel(np.FiscalYear), np.Register.Total, np.Register.Unfinished, np.Register.Overdue)),
	}
	if len(np.Register.BySource) > 0 {
		t := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 3}, {Width: 1, Align: docgen.AlignRight}}, Rows: []docgen.Row{docgen.HeadRow("出典", "件数")}}
		for _, c := range np.Register.BySource {
			if c.N > 0 {
				t.Rows = append(t.Rows, docgen.TextRow(improve.Source(c.Key).Label(), fmt.Sprint(c.N)))
			}
		}
		b = append(b, t)
	}
	b = append(b, docgen.Heading{Level: 1, Text: "3 業務ごとの実施状況と次年度の提案"})
	for _, p := range np.Parts {
		b = append(b, docgen.Heading{Level: 2, Text: fmt.Sprintf("（%d）%s", p.Workstream, p.Label)})
		facts := fmt.Sprintf("今年度の作業 %d 件のうち完了 %d 件。", p.Tasks, p.Done)
		if len(p.Delayed) > 0 {
			facts += "遅延・要注意：" + strings.Join(firstN(p.Delayed, 3), "、") + "。"
		}
		if p.Open > 0 {
			facts += fmt.Sprintf("未完了の改善措置 %d 件（%s など）。", p.Open, strings.Join(firstN(p.OpenTitles, 2), "、"))
		}
		b = append(b, docgen.FactsTable([2]string{"実施状況", facts}, [2]string{"次年度の提案", dash(p.Proposal)}))
	}
	return &docgen.Document{Meta: docgen.Meta{Title: "次期支援計画書（案）", Subtitle: next + " 情報セキュリティ対策支援業務", Ward: ward, FiscalYear: np.FiscalYear + 1,
		Date: np.Now, Author: "支援事業者", Classification: "取扱注意", PageNumbers: docgen.PageDash}, Sections: []docgen.Section{{Blocks: b}}}
}
