package improve

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"mamori/internal/database"
	"mamori/internal/jp"
)

// Filter selects actions for a list, a summary or an export.
type Filter struct {
	FiscalYear int    // 0: every year
	Source     Source // "": every source
	// Status is a Status, StatusUnfinished (未着手 and 対応中) or "" (all).
	Status string
	// DepartmentID selects the actions of a department and of the
	// departments below it (0: every department).
	DepartmentID int64
	// Within limits the list to these owner departments (a department-scoped
	// user's sub-tree); nil places no limit, an empty slice allows nothing.
	Within []int64
	// OverdueAt, when set, keeps the unfinished actions whose due date is
	// before that day.
	OverdueAt time.Time
	// Q is free text; every word must appear in the title, detail, source
	// label, clause or notes, full- and half-width alike.
	Q      string
	Sort   string // see SortKeys; "" is "due"
	Desc   bool
	Limit  int // 0: no limit
	Offset int
}

// SortKeys are the list's sort orders with their column names.
var SortKeys = []struct{ Key, Label string }{
	{"no", "No"}, {"due", "期限"}, {"risk", "リスク"}, {"status", "状況"}, {"updated", "更新日時"},
}

// sortSQL is each sort order: the leading part keeps actions without a due
// date last in either direction, the keys are reversed for Desc.
var sortSQL = map[string]struct {
	lead string
	keys []string
}{
	"no":      {keys: []string{"id"}},
	"due":     {lead: "CASE WHEN due_date = '' THEN 1 ELSE 0 END", keys: []string{"due_date", "id"}},
	"risk":    {keys: []string{"CASE risk WHEN '高' THEN 1 WHEN '中' THEN 2 ELSE 3 END", "due_date", "id"}},
	"status":  {keys: []string{"CASE status WHEN 'open' THEN 1 WHEN 'in_progress' THEN 2 WHEN 'done' THEN 3 ELSE 4 END", "due_date", "id"}},
	"updated": {keys: []string{"updated_at", "id"}},
}

// check validates the filter's enumerations, naming the field.
func (f Filter) check() error {
	fe := FieldErrors{}
	if f.Source != "" && !f.Source.Valid() {
		fe["source"] = "出典の区分の指定が正しくありません。"
	}
	if f.Status != "" && f.Status != StatusUnfinished && !Status(f.Status).Valid() {
		fe["status"] = "状況の指定が正しくありません。"
	}
	if _, ok := sortSQL[f.Sort]; f.Sort != "" && !ok {
		fe["sort"] = "並べ替えの指定が正しくありません。"
	}
	if len(fe) > 0 {
		return fe
	}
	return nil
}

func (s *Store) where(ctx context.Context, f Filter) (string, []any, error) {
	if err := f.check(); err != nil {
		return "", nil, err
	}
	var conds []string
	var args []any
	in := func(col string, ids []int64) {
		if len(ids) == 0 {
			conds = append(conds, "1 = 0")
			return
		}
		conds = append(conds, col+" IN ("+database.Placeholders(len(ids))+")")
		for _, id := range ids {
			args = append(args, id)
		}
	}
	if f.FiscalYear != 0 {
		conds, args = append(conds, "fiscal_year = ?"), append(args, f.FiscalYear)
	}
	if f.Source != "" {
		conds, args = append(conds, "source = ?"), append(args, string(f.Source))
	}
	switch f.Status {
	case "":
	case StatusUnfinished:
		conds = append(conds, "status IN ('open', 'in_progress')")
	default:
		conds, args = append(conds, "status = ?"), append(args, f.Status)
	}
	if f.DepartmentID != 0 {
		tree, err := s.org.Departments(ctx)
		if err != nil {
			return "", nil, fmt.Errorf("improve: departments: %w", err)
		}
		in("owner_department_id", tree.Subtree(f.DepartmentID))
	}
	if f.Within != nil {
		in("owner_department_id", f.Within)
	}
	if !f.OverdueAt.IsZero() {
		conds = append(conds, "status IN ('open', 'in_progress') AND due_date <> '' AND due_date < ?")
		args = append(args, dateKey(f.OverdueAt))
	}
	for _, w := range jp.SearchWords(f.Q) {
		conds, args = append(conds, "search_text LIKE ?"), append(args, "%"+w+"%")
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

func orderBy(f Filter) string {
	spec, ok := sortSQL[f.Sort]
	if !ok {
		spec = sortSQL["due"]
	}
	var parts []string
	if spec.lead != "" {
		parts = append(parts, spec.lead)
	}
	for _, k := range spec.keys {
		if f.Desc {
			k += " DESC"
		}
		parts = append(parts, k)
	}
	return " ORDER BY " + strings.Join(parts, ", ")
}

// List returns the actions matching f, one page of them when f.Limit is
// set, with the number of all matching actions.
func (s *Store) List(ctx context.Context, f Filter) ([]Action, int, error) {
	where, args, err := s.where(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM improvement_actions"+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("improve.List: %w", err)
	}
	q := "SELECT " + actionCols + " FROM improvement_actions" + where + orderBy(f)
	if f.Limit > 0 {
		q += " LIMIT ? OFFSET ?"
		args = append(args, f.Limit, max(f.Offset, 0))
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("improve.List: %w", err)
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("improve.List: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("improve.List: %w", err)
	}
	if err := s.nameOwners(ctx, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// Count is one figure of a summary.
type Count struct {
	Key   string
	Label string
	N     int
}

// DepartmentCount is one owner department's figures.
type DepartmentCount struct {
	DepartmentID int64 // 0: not assigned
	Name         string
	Total        int
	Unfinished   int
	Overdue      int
}

// Summary is the register's figures: counts by status, source and owner
// department, and how many are unfinished and overdue.
type Summary struct {
	Total        int
	Unfinished   int
	Overdue      int
	ByStatus     []Count // every status, in order
	BySource     []Count // every source, in order
	ByDepartment []DepartmentCount
}

// Status returns the count of one status.
func (s Summary) Status(st Status) int {
	for _, c := range s.ByStatus {
		if c.Key == string(st) {
			return c.N
		}
	}
	return 0
}

// Summary counts the actions of fiscal year fy (0: every year) as of now.
func (s *Store) Summary(ctx context.Context, fy int, now time.Time) (Summary, error) {
	return s.Summarize(ctx, Filter{FiscalYear: fy}, now)
}

// Summarize counts the actions matching f (its sort and paging aside), as
// of now for the overdue ones. Departments are listed in the order of the
// department tree, unassigned actions last.
func (s *Store) Summarize(ctx context.Context, f Filter, now time.Time) (Summary, error) {
	where, args, err := s.where(ctx, f)
	if err != nil {
		return Summary{}, err
	}
	rows, err := s.db.Query(ctx, "SELECT status, source, owner_department_id, due_date FROM improvement_actions"+where, args...)
	if err != nil {
		return Summary{}, fmt.Errorf("improve.Summarize: %w", err)
	}
	defer rows.Close()
	byStatus, bySource := map[string]int{}, map[string]int{}
	byDept := map[int64]*DepartmentCount{}
	var sum Summary
	today := dateKey(now)
	for rows.Next() {
		var st, src, due string
		var owner sql.NullInt64
		if err := rows.Scan(&st, &src, &owner, &due); err != nil {
			return Summary{}, fmt.Errorf("improve.Summarize: %w", err)
		}
		dept := owner.Int64
		dc := byDept[dept]
		if dc == nil {
			dc = &DepartmentCount{DepartmentID: dept}
			byDept[dept] = dc
		}
		sum.Total++
		dc.Total++
		byStatus[st]++
		bySource[src]++
		if Status(st).Unfinished() {
			sum.Unfinished++
			dc.Unfinished++
			if due != "" && due < today {
				sum.Overdue++
				dc.Overdue++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return Summary{}, fmt.Errorf("improve.Summarize: %w", err)
	}
	for _, st := range Statuses {
		sum.ByStatus = append(sum.ByStatus, Count{Key: string(st), Label: st.Label(), N: byStatus[string(st)]})
	}
	for _, src := range Sources {
		sum.BySource = append(sum.BySource, Count{Key: string(src), Label: src.Label(), N: bySource[string(src)]})
	}
	if len(byDept) > 0 {
		tree, err := s.org.Departments(ctx)
		if err != nil {
			return Summary{}, fmt.Errorf("improve.Summarize: %w", err)
		}
		ds := tree.Flat()
		for _, d := range ds {
			if dc := byDept[d.ID]; dc != nil {
				dc.Name = d.Path
				sum.ByDepartment = append(sum.ByDepartment, *dc)
				delete(byDept, d.ID)
			}
		}
		var rest []int64
		for id := range byDept {
			if id != 0 {
				rest = append(rest, id)
			}
		}
		slices.Sort(rest)
		for _, id := range rest {
			dc := byDept[id]
			dc.Name = fmt.Sprintf("所属 %d", id)
			sum.ByDepartment = append(sum.ByDepartment, *dc)
		}
		if dc := byDept[0]; dc != nil {
			dc.Name = "（未割当）"
			sum.ByDepartment = append(sum.ByDepartment, *dc)
		}
	}
	return sum, nil
}
