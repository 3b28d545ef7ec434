package drill

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"mamori/internal/database"
	"mamori/internal/improve"
	"mamori/internal/jp"
)

// After the drill: ratings per objective, strengths, areas for improvement
// (each an action of the improvement register), participants' feedback
// and the hot wash; and the year's plan.

// Ratings of an objective (HSEEP's P/S/M/U).
var Ratings = []struct{ Key, Label string }{
	{"P", "問題なく実施"}, {"S", "一部課題"}, {"M", "重大な課題"}, {"U", "未達成"},
}

// RatingLabel is a rating in Japanese.
func RatingLabel(k string) string {
	for _, r := range Ratings {
		if r.Key == k {
			return r.Label
		}
	}
	return ""
}

// Rating is an objective's rating with its reason.
type Rating struct {
	Objective string
	Rating    string
	Reason    string
	By        string
	At        time.Time
}

// Label is the rating in Japanese.
func (r Rating) Label() string { return RatingLabel(r.Rating) }

// RatingsOf are a drill's ratings by objective key.
func (s *Store) RatingsOf(ctx context.Context, id int64) (map[string]Rating, error) {
	rows, err := s.db.Query(ctx, "SELECT objective_key, rating, reason, by_name, at FROM drill_ratings WHERE drill_id = ?", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Rating{}
	for rows.Next() {
		var r Rating
		var at string
		if err := rows.Scan(&r.Objective, &r.Rating, &r.Reason, &r.By, &at); err != nil {
			return nil, err
		}
		r.At = stamp(at)
		out[r.Objective] = r
	}
	return out, rows.Err()
}

// Rate records an objective's rating. A rating needs its reason; no clock
// ever rates a human action by itself.
func (s *Store) Rate(ctx context.Context, d Drill, objective, rating, reason, by string) error {
	reason = strings.TrimSpace(reason)
	fe := FieldErrors{}
	if d.State == StatePlanned {
		fe["rating"] = "評価は訓練が始まってから記録できます。"
	}
	sc, err := s.ScenarioOf(ctx, d)
	if err != nil {
		return err
	}
	o, ok := sc.Objective(objective)
	if !ok {
		fe["objective"] = "訓練目標を選び直してください。"
	}
	if RatingLabel(rating) == "" {
		fe["rating"] = "評価（P・S・M・U）を選んでください。"
	}
	if reason == "" || runes(reason) > 2000 {
		fe["reason"] = "評価の理由を2,000文字以内で入力してください。"
	}
	if len(fe) > 0 {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Exec(ctx, `INSERT INTO drill_ratings (drill_id, objective_key, rating, reason, by_name, at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (drill_id, objective_key) DO UPDATE SET rating = excluded.rating, reason = excluded.reason, by_name = excluded.by_name, at = excluded.at`,
			d.ID, objective, rating, reason, by, stampOf(s.now())); err != nil {
			return err
		}
		return s.log.Record(ctx, "drill.rate", fmt.Sprintf("drill:%d", d.ID), fmt.Sprintf("訓練 %s の目標 %s「%s」を %s と評価", d.Code, o.Key, o.Title, rating))
	})
}

// SaveSummary keeps the strengths (one a line) and the hot wash.
func (s *Store) SaveSummary(ctx context.Context, d Drill, strengths, hotwash string, rev int64, by string) error {
	var ss []string
	for _, l := range strings.Split(strings.ReplaceAll(strengths, "\r", ""), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			ss = append(ss, l)
		}
	}
	hotwash = strings.TrimSpace(hotwash)
	if runes(strings.Join(ss, "\n")) > 4000 || runes(hotwash) > 8000 {
		return FieldErrors{"summary": "良かった点は4,000文字、振り返りは8,000文字までです。"}
	}
	if d.State == StatePlanned {
		return FieldErrors{"summary": "訓練が始まってから記録できます。"}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, "UPDATE drills SET strengths = ?, hotwash = ?, rev = rev + 1 WHERE id = ? AND rev = ?", strings.Join(ss, "\n"), hotwash, d.ID, rev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrStale
		}
		return s.log.Record(ctx, "drill.summary", fmt.Sprintf("drill:%d", d.ID), fmt.Sprintf("訓練 %s の良かった点・振り返りを保存", d.Code))
	})
}

// Improvement is an area for improvement: what was seen, against what,
// why, and what to do; an action of the improvement register.
type Improvement struct {
	ID             int64
	Seq            int
	Objective      string
	Title          string
	Observation    string
	Reference      string
	Analysis       string
	Recommendation string
	OwnerID        int64
	Owner          string
	Due            time.Time
	Retest         string
	Action         *improve.Action
}

// Ref is the improvement's key in the register.
func (i Improvement) Ref(code string) string { return fmt.Sprintf("%s/%d", code, i.Seq) }

// Improvements are a drill's areas for improvement, with their register rows.
func (s *Store) Improvements(ctx context.Context, d Drill) ([]Improvement, error) {
	rows, err := s.db.Query(ctx, `SELECT i.id, i.seq, i.objective_key, i.title, i.observation, i.reference, i.analysis, i.recommendation,
		COALESCE(i.owner_department_id, 0), COALESCE(dp.name, ''), i.due_on, i.retest FROM drill_improvements i
		LEFT JOIN departments dp ON dp.id = i.owner_department_id WHERE i.drill_id = ? ORDER BY i.seq`, d.ID)
	if err != nil {
		return nil, err
	}
	var out []Improvement
	for rows.Next() {
		var x Improvement
		var due string
		if err := rows.Scan(&x.ID, &x.Seq, &x.Objective, &x.Title, &x.Observation, &x.Reference, &x.Analysis, &x.Recommendation, &x.OwnerID, &x.Owner, &due, &x.Retest); err != nil {
			rows.Close()
			return nil, err
		}
		x.Due = jp.ParseDateKey(due)
		out = append(out, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if s.reg != nil && len(out) > 0 {
		acts, _, err := s.reg.List(ctx, improve.Filter{FiscalYear: d.FiscalYear, Source: improve.SourceDrillEvaluation})
		if err != nil {
			return nil, err
		}
		for i := range out {
			for k := range acts {
				if acts[k].SourceModule == ModuleKey && acts[k].SourceRef == out[i].Ref(d.Code) {
					a := acts[k]
					out[i].Action = &a
				}
			}
		}
	}
	return out, nil
}

// ImprovementInput is the form as typed.
type ImprovementInput struct {
	Objective, Title, Observation, Reference, Analysis, Recommendation, Due, Retest string
	OwnerID                                                                         int64
}

// AddImprovement records an area for improvement and puts it on the
// improvement register with its owner, due date and the drill that will
// re-test it.
func (s *Store) AddImprovement(ctx context.Context, d Drill, in ImprovementInput, by string) error {
	fe := FieldErrors{}
	trim := func(p *string) { *p = strings.TrimSpace(*p) }
	for _, p := range []*string{&in.Title, &in.Observation, &in.Reference, &in.Analysis, &in.Recommendation, &in.Retest} {
		trim(p)
	}
	if in.Title == "" || runes(in.Title) > 200 {
		fe["title"] = "改善すべき点を200文字以内で入力してください。"
	}
	if in.Observation == "" || in.Recommendation == "" {
		fe["observation"] = "観察した事実と、改善の提案を入力してください。"
	}
	for _, x := range []string{in.Observation, in.Reference, in.Analysis, in.Recommendation, in.Retest} {
		if runes(x) > 2000 {
			fe["length"] = "各欄は2,000文字以内で入力してください。"
		}
	}
	sc, err := s.ScenarioOf(ctx, d)
	if err != nil {
		return err
	}
	if in.Objective != "" {
		if _, ok := sc.Objective(in.Objective); !ok {
			fe["objective"] = "訓練目標を選び直してください。"
		}
	}
	if _, err := s.org.Department(ctx, in.OwnerID); err != nil {
		fe["owner"] = "改善を担当する所属を選んでください。"
	}
	due, err := jp.ParseDate(in.Due)
	if err != nil || due.IsZero() {
		fe["due"] = "期限を日付で入力してください（例：2027-03-31）。"
	}
	if d.State == StatePlanned {
		fe["state"] = "改善すべき点は訓練が始まってから記録できます。"
	}
	if len(fe) > 0 {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		// The drill's row is locked first: on PostgreSQL two improvements
		// added at once would read the same MAX(seq) and the later insert
		// would fail on (drill_id, seq).
		if err := s.db.LockRow(ctx, "drills", d.ID); err != nil {
			return err
		}
		var seq int
		if err := s.db.QueryRow(ctx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM drill_improvements WHERE drill_id = ?", d.ID).Scan(&seq); err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, `INSERT INTO drill_improvements (drill_id, seq, objective_key, title, observation, reference, analysis, recommendation,
			owner_department_id, due_on, retest, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, seq, in.Objective, in.Title, in.Observation,
			in.Reference, in.Analysis, in.Recommendation, in.OwnerID, jp.DateKey(due), in.Retest, database.T(s.now())); err != nil {
			return err
		}
		x := Improvement{Seq: seq}
		if s.reg != nil {
			detail := "観察：" + in.Observation + "\n提案：" + in.Recommendation
			if in.Retest != "" {
				detail += "\n再検証：" + in.Retest
			}
			clause := ""
			if o, ok := sc.Objective(in.Objective); ok {
				clause = o.Clause
			}
			if _, _, err := s.reg.Upsert(ctx, improve.Input{FiscalYear: d.FiscalYear, Source: improve.SourceDrillEvaluation, SourceModule: ModuleKey,
				SourceRef: x.Ref(d.Code), SourceLabel: fmt.Sprintf("%s 訓練 %s 改善点%d", jp.FiscalYearLabel(d.FiscalYear), d.Code, seq),
				Clause: clause, Title: in.Title, Detail: detail, Risk: "中", OwnerDepartmentID: in.OwnerID, Due: due}); err != nil {
				return err
			}
		}
		return s.log.Record(ctx, "drill.improvement", fmt.Sprintf("drill:%d", d.ID), fmt.Sprintf("訓練 %s の改善点%d「%s」を登録（改善措置台帳へ）", d.Code, seq, in.Title))
	})
}

// Feedback is a participant's comment on the drill.
type Feedback struct {
	ID   int64
	By   string
	Role Role
	Body string
	At   time.Time
}

// FeedbackOf is a drill's feedback in time order.
func (s *Store) FeedbackOf(ctx context.Context, id int64) ([]Feedback, error) {
	rows, err := s.db.Query(ctx, `SELECT f.id, f.by_name, COALESCE(p.role, ''), f.body, f.at FROM drill_feedback f
		LEFT JOIN drill_participants p ON p.id = f.participant_id WHERE f.drill_id = ? ORDER BY f.at, f.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Feedback
	for rows.Next() {
		var f Feedback
		var role, at string
		if err := rows.Scan(&f.ID, &f.By, &role, &f.Body, &at); err != nil {
			return nil, err
		}
		f.Role, f.At = Role(role), stamp(at)
		out = append(out, f)
	}
	return out, rows.Err()
}

// GiveFeedback records a participant's feedback (after the drill starts).
func (s *Store) GiveFeedback(ctx context.Context, d Drill, p Participant, body, key string) error {
	body = strings.TrimSpace(body)
	if body == "" || runes(body) > 4000 {
		return FieldErrors{"feedback": "感想・意見を4,000文字以内で入力してください。"}
	}
	if !validKey(key) {
		return FieldErrors{"feedback": "画面を読み込み直してから送ってください。"}
	}
	if d.State == StatePlanned {
		return ErrNotLive
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		_, err := s.db.Exec(ctx, "INSERT INTO drill_feedback (drill_id, participant_id, by_name, body, at, client_key) VALUES (?, ?, ?, ?, ?, ?)",
			d.ID, p.ID, p.Name, body, stampOf(s.now()), key)
		if database.IsUniqueViolation(err) {
			return errReplay
		}
		if err != nil {
			return err
		}
		return s.log.Record(ctx, "drill.feedback", fmt.Sprintf("drill:%d", d.ID), fmt.Sprintf("訓練 %s に %s が感想を送信", d.Code, p.Name))
	})
}

// Plan is a fiscal year's annual drill plan.
type Plan struct {
	FiscalYear int
	Goals      []string
	Priorities []string
	Cells      []Cell
	UpdatedAt  time.Time
}

// Cell is one department's drill slot in the plan.
type Cell struct {
	ID           int64
	DepartmentID int64
	Department   string
	Month        int // 1–12
	Scenario     string
	Format       string
	Note         string
	DrillID      int64
}

// MonthIndex is the month's place in the fiscal year (April 0 … March 11).
func MonthIndex(m int) int { return (m + 8) % 12 }

// FiscalMonths are the months of a fiscal year in order.
var FiscalMonths = []int{4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3}

// PlanOf is fiscal year fy's plan (empty when none was written).
func (s *Store) PlanOf(ctx context.Context, fy int) (*Plan, error) {
	p := &Plan{FiscalYear: fy}
	var goals, prios, at string
	err := s.db.QueryRow(ctx, "SELECT goals, priorities, updated_at FROM drill_plans WHERE fiscal_year = ?", fy).Scan(&goals, &prios, &at)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	p.Goals, p.Priorities, p.UpdatedAt = lines(goals), lines(prios), stamp(at)
	rows, err := s.db.Query(ctx, `SELECT c.id, c.department_id, d.name, c.month, c.scenario_code, c.format, c.note, COALESCE(c.drill_id, 0)
		FROM drill_plan_cells c JOIN departments d ON d.id = c.department_id WHERE c.fiscal_year = ? ORDER BY d.code`, fy)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c Cell
		if err := rows.Scan(&c.ID, &c.DepartmentID, &c.Department, &c.Month, &c.Scenario, &c.Format, &c.Note, &c.DrillID); err != nil {
			return nil, err
		}
		p.Cells = append(p.Cells, c)
	}
	return p, rows.Err()
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r", ""), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// SavePlanText keeps the plan's goals and priorities (one a line).
func (s *Store) SavePlanText(ctx context.Context, fy int, goals, priorities, by string) error {
	g, p := strings.Join(lines(goals), "\n"), strings.Join(lines(priorities), "\n")
	if runes(g) > 4000 || runes(p) > 4000 {
		return FieldErrors{"goals": "目標と重点は、それぞれ4,000文字以内で入力してください。"}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Exec(ctx, `INSERT INTO drill_plans (fiscal_year, goals, priorities, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (fiscal_year) DO UPDATE SET goals = excluded.goals, priorities = excluded.priorities, updated_at = excluded.updated_at`,
			fy, g, p, database.T(s.now())); err != nil {
			return err
		}
		return s.log.Record(ctx, "drill.plan", fmt.Sprintf("drill_plan:%d", fy), fmt.Sprintf("%s 年間訓練計画の目標・重点を保存", jp.FiscalYearLabel(fy)))
	})
}

// CellInput is the plan grid's form for one department.
type CellInput struct {
	DepartmentID           int64
	Month                  string
	Scenario, Format, Note string
}

// SetCell puts a department's drill into a month of the plan (month ""
// takes the department off the plan when no drill was made from it).
func (s *Store) SetCell(ctx context.Context, fy int, in CellInput, by string) error {
	fe := FieldErrors{}
	dept, err := s.org.Department(ctx, in.DepartmentID)
	if err != nil {
		fe["department"] = "所属を選んでください。"
	}
	month := 0
	if in.Month != "" {
		if _, err := fmt.Sscan(in.Month, &month); err != nil || month < 1 || month > 12 {
			fe["month"] = "月を選んでください。"
		}
	}
	if in.Scenario != "" {
		if _, err := s.Scenario(ctx, in.Scenario); err != nil {
			fe["scenario"] = "シナリオを選び直してください。"
		}
	}
	if in.Format != "" && in.Format != Formats[0] && in.Format != Formats[1] {
		fe["format"] = "形式を選んでください。"
	}
	if runes(in.Note) > 200 {
		fe["note"] = "メモは200文字以内で入力してください。"
	}
	if len(fe) > 0 {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if month == 0 {
			res, err := s.db.Exec(ctx, "DELETE FROM drill_plan_cells WHERE fiscal_year = ? AND department_id = ? AND drill_id IS NULL", fy, dept.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return FieldErrors{"month": "訓練を計画済みの所属は計画から外せません（訓練の画面で変更してください）。"}
			}
		} else if _, err := s.db.Exec(ctx, `INSERT INTO drill_plan_cells (fiscal_year, department_id, month, scenario_code, format, note) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (fiscal_year, department_id) DO UPDATE SET month = excluded.month, scenario_code = excluded.scenario_code, format = excluded.format, note = excluded.note`,
			fy, dept.ID, month, in.Scenario, in.Format, strings.TrimSpace(in.Note)); err != nil {
			return err
		}
		return s.log.Record(ctx, "drill.plan", fmt.Sprintf("drill_plan:%d", fy), fmt.Sprintf("%s 年間訓練計画：%s を %d 月に", jp.FiscalYearLabel(fy), dept.Name, month))
	})
}

// Priority is a candidate priority for the year: an unfinished action of
// last year's register (audit findings, incidents, drills).
type Priority struct {
	Source string
	Label  string
	Title  string
	Owner  string
}

// Priorities are last year's unfinished actions of the register, which
// the plan's priorities should draw on.
func (s *Store) Priorities(ctx context.Context, fy int) ([]Priority, error) {
	if s.reg == nil {
		return nil, nil
	}
	acts, _, err := s.reg.List(ctx, improve.Filter{FiscalYear: fy - 1, Status: improve.StatusUnfinished})
	if err != nil {
		return nil, err
	}
	var out []Priority
	for _, a := range acts {
		switch a.Source {
		case improve.SourceAuditFinding, improve.SourceIncidentMeasure, improve.SourceDrillEvaluation:
			out = append(out, Priority{Source: a.Source.Label(), Label: a.SourceLabel, Title: a.Title, Owner: a.Owner})
		}
	}
	return out, nil
}
