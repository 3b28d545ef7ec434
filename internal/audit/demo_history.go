package audit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/org"
	"mamori/internal/web"
)

// demoHistoryYears is how many fiscal years before the working one the
// demo's internal-audit results go back.
const demoHistoryYears = 2

// demoHistory gives the demo ward the internal audits of the two years
// before the working one, as a ward that starts with Mamori brings in
// its earlier results: the engagements finished (完了), their checklists
// judged, without findings or reports (the register holds last year's
// audit actions, content/demo/improvement_actions.json). The departments
// the working year re-audits (prev_audit in the demo file) have last
// year's judgements as their items' 前年度の判定 say; the others follow a
// pattern that is a little worse the further back it goes, so that the
// summary's comparison of years has something true to show.
func (m *Module) demoHistory(ctx context.Context, d module.Demo, ids []int64) error {
	d.Progress("前年度までの内部監査の結果を作成しています")
	s := m.store
	tree, err := m.org.Departments(ctx)
	if err != nil {
		return err
	}
	var current []Engagement
	items := map[int64][]Item{}
	audited := map[int64]bool{}
	for _, id := range ids {
		e, err := s.Engagement(ctx, id)
		if err != nil {
			return err
		}
		if e.Kind != KindInternal || len(e.Targets) == 0 {
			continue
		}
		list, err := s.Items(ctx, id, ItemFilter{})
		if err != nil {
			return err
		}
		if len(list) == 0 {
			continue
		}
		current = append(current, e)
		items[id] = list
		audited[e.Targets[0].DepartmentID] = true
	}
	if len(current) == 0 {
		return nil
	}
	// The sections (課) no audit of the working year visits, in the
	// organisation's order: the rotation of the years before.
	// Taken one 部 after another, so that each year visits several.
	var parents []int64
	byParent := map[int64][]*org.Department{}
	for _, dep := range tree.Flat() {
		if dep.Active && dep.Level == "課" && !audited[dep.ID] {
			if byParent[dep.ParentID] == nil {
				parents = append(parents, dep.ParentID)
			}
			byParent[dep.ParentID] = append(byParent[dep.ParentID], dep)
		}
	}
	var others []*org.Department
	for k := 0; len(others) < countDepts(byParent); k++ {
		for _, p := range parents {
			if k < len(byParent[p]) {
				others = append(others, byParent[p][k])
			}
		}
	}
	by := Actor{Role: web.RoleAdmin, Name: "情報政策課 情報セキュリティ係"}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		for age := 1; age <= demoHistoryYears; age++ {
			n := 0
			for i, e := range current {
				list := items[e.ID]
				hasPrev := false
				for _, it := range list {
					hasPrev = hasPrev || it.PrevJudgement != ""
				}
				// Last year: the re-audited departments as they were then,
				// and as many others as the working year has audits. Two
				// years ago: every other department of this year's, and others.
				dep := e.Targets[0]
				switch {
				case age == 1 && hasPrev, age == 2 && i%2 == 0:
				default:
					o := demoOther(others, e.Members, &n, age*len(current))
					if o == nil {
						continue
					}
					dep = Target{DepartmentID: o.ID, Name: o.Name, VisitDate: dep.VisitDate}
				}
				if err := s.demoPastEngagement(ctx, e, list, dep, age, hasPrev && dep.DepartmentID == e.Targets[0].DepartmentID, by); err != nil {
					return fmt.Errorf("%s（%d年前・%s）: %w", e.Code, age, dep.Name, err)
				}
			}
		}
		return nil
	})
}

// demoOther is the next department of others in the rotation (from
// offset, *n counting the ones taken) that none of the team belongs to:
// an internal auditor never audits their own department.
func demoOther(others []*org.Department, team []Member, n *int, offset int) *org.Department {
	for range others {
		o := others[(*n+offset)%len(others)]
		*n++
		own := false
		for _, m := range team {
			own = own || m.DepartmentID == o.ID
		}
		if !own {
			return o
		}
	}
	return nil
}

// demoPastEngagement makes one finished internal audit of department t,
// age years before engagement e, with e's checklist judged: as e's items'
// 前年度の判定 when fromPrev (age 1), otherwise in the demo's pattern.
func (s *Store) demoPastEngagement(ctx context.Context, e Engagement, list []Item, t Target, age int, fromPrev bool, by Actor) error {
	fy := e.FiscalYear - age
	title := fmt.Sprintf("%s 情報セキュリティ内部監査（%s）", jp.FiscalYearLabel(fy), t.Name)
	in := EngagementInput{FiscalYear: fy, Kind: KindInternal, Title: title, Threats: e.Threats, Dues: map[Phase]time.Time{},
		Targets: []TargetInput{{DepartmentID: t.DepartmentID, VisitDate: t.VisitDate.AddDate(-age, 0, 0), VisitTime: e.Targets[0].VisitTime}}}
	for _, m := range e.Members {
		in.Members = append(in.Members, MemberInput{UserID: m.UserID, Role: m.Role})
	}
	for _, st := range e.Steps {
		if !st.Due.IsZero() {
			in.Dues[st.Phase] = st.Due.AddDate(-age, 0, 0)
		}
	}
	id, err := s.CreateEngagement(ctx, in, by)
	if err != nil {
		return err
	}
	if _, err := s.db.Exec(ctx, "DELETE FROM audit_items WHERE engagement_id = ?", id); err != nil {
		return err
	}
	visit := in.Targets[0].VisitDate
	at := database.T(day(visit, 1, 17, 0))
	ins, err := s.db.Prepare(ctx, `INSERT INTO audit_items (engagement_id, code, sort_order, category, question, criteria_conform, criteria_partial,
		criteria_nonconform, evidence, techniques, clauses, threats, priority, site_inspection, presurvey, judgement, status, technique, notes,
		rev, updated_by_name, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'done', ?, ?, 1, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	lead := by.Name
	for _, m := range e.Members {
		if m.Role == "lead" && m.Name != "" {
			lead = m.Name
		}
	}
	for _, it := range list {
		if it.Dropped || it.Added {
			continue
		}
		j := demoPastJudgement(it, t.DepartmentID, age, fromPrev)
		if j == "" {
			continue
		}
		if _, err := ins.ExecContext(ctx, id, it.Code, it.Order, it.Category, it.Question, it.Conform, it.Partial, it.Nonconform,
			strings.Join(it.Evidence, "\n"), strings.Join(it.Techniques, ","), strings.Join(it.Clauses, "\n"), strings.Join(it.Threats, ","),
			it.Priority, it.SiteInspection, it.Presurvey, j, strings.Join(it.Techniques, ","), demoPastNote(it, j, fromPrev), lead, at); err != nil {
			return err
		}
	}
	for _, p := range Phases {
		due := in.Dues[p]
		if due.IsZero() {
			due = visit
		}
		if _, err := s.db.Exec(ctx, "UPDATE audit_engagement_steps SET done_at = ? WHERE engagement_id = ? AND phase = ?",
			jp.DateKey(due), id, string(p)); err != nil {
			return err
		}
	}
	_, err = s.db.Exec(ctx, "UPDATE audit_engagements SET phase = ? WHERE id = ?", string(PhaseDone), id)
	return err
}

// demoPastJudgement is item it's judgement in department dept age years
// before the working year. Last year's of a re-audited department is its
// 前年度の判定; otherwise about one item in eight (one in seven two years
// back) was 一部不適合 or 不適合, and the working year's failures mostly
// failed before too.
func demoPastJudgement(it Item, dept int64, age int, fromPrev bool) string {
	if fromPrev {
		return it.PrevJudgement
	}
	if it.Judgement == JudgeNA || it.PrevJudgement == JudgeNA {
		return JudgeNA
	}
	h := demoHash(it.Code, fmt.Sprint(dept), fmt.Sprint(age)) % 100
	if failed(it.Judgement) && h < 70 {
		return it.Judgement
	}
	switch {
	case h < 2+age*2:
		return JudgePartial
	case h < 3+age*2:
		return JudgeNonconform
	}
	return JudgeConform
}

// demoPastNote is the auditor's note of a past judgement: last year's
// note where the working year's item keeps it, else the state the
// criteria describe.
func demoPastNote(it Item, j string, fromPrev bool) string {
	if fromPrev && it.PrevNotes != "" {
		return it.PrevNotes
	}
	switch j {
	case JudgePartial:
		return firstSentence(it.Partial)
	case JudgeNonconform:
		return firstSentence(it.Nonconform)
	case JudgeNA:
		return "所属の業務に該当する事務がないことを聞き取りで確認した。"
	}
	if c := strings.TrimPrefix(firstSentence(it.Conform), "視察で、"); c != "" {
		return observed(c)
	}
	return "関係資料を閲覧し、担当者への聞き取りで確認した。"
}

func countDepts(m map[int64][]*org.Department) int {
	n := 0
	for _, l := range m {
		n += len(l)
	}
	return n
}
