package program

// Dependencies between the year's own tasks: a task cannot start before
// the tasks it depends on end. A circular dependency is refused, naming
// the circle; the schedule flags a task whose predecessor is planned to
// end after the task starts, or is late while the task has begun.

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"mamori/internal/jp"
)

// DepsOf is fiscal year fy's dependencies: each task's predecessors.
func (s *Store) DepsOf(ctx context.Context, fy int) (map[int64][]int64, error) {
	rows, err := s.db.Query(ctx, `SELECT d.task_id, d.depends_on FROM program_task_deps d JOIN program_tasks t ON t.id = d.task_id
		WHERE t.fiscal_year = ? ORDER BY d.task_id, d.depends_on`, fy)
	if err != nil {
		return nil, fmt.Errorf("program.DepsOf: %w", err)
	}
	defer rows.Close()
	out := map[int64][]int64{}
	for rows.Next() {
		var t, d int64
		if err := rows.Scan(&t, &d); err != nil {
			return nil, err
		}
		out[t] = append(out[t], d)
	}
	return out, rows.Err()
}

// cycleFrom finds a path of dependencies from start back to start in
// deps, or nil.
func cycleFrom(start int64, deps map[int64][]int64) []int64 {
	seen := map[int64]bool{}
	var walk func(id int64, path []int64) []int64
	walk = func(id int64, path []int64) []int64 {
		for _, d := range deps[id] {
			if d == start {
				return append(path, d)
			}
			if seen[d] {
				continue
			}
			seen[d] = true
			if c := walk(d, append(path, d)); c != nil {
				return c
			}
		}
		return nil
	}
	return walk(start, []int64{start})
}

// SetDeps replaces task t's predecessors with ids (tasks of the same year,
// not t itself), refusing a circular dependency with the circle named.
func (s *Store) SetDeps(ctx context.Context, t Task, ids []int64, by string) error {
	tasks, err := s.Tasks(ctx, t.FiscalYear)
	if err != nil {
		return err
	}
	byID := map[int64]Task{}
	for _, x := range tasks {
		byID[x.ID] = x
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var names []string
	for _, id := range ids {
		x, ok := byID[id]
		switch {
		case id == t.ID:
			return FieldErrors{"deps": "作業を自分自身の前提にはできません。"}
		case !ok:
			return FieldErrors{"deps": fmt.Sprintf("前提の作業（番号 %d）は%sの作業にありません。", id, jp.FiscalYearLabel(t.FiscalYear))}
		}
		names = append(names, "「"+x.Title+"」")
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		// The year's dependencies are read and replaced under the year's
		// lock: two changes at once (PostgreSQL) would each pass the
		// circle check without the other's links, or insert the same link
		// twice.
		if err := s.lockYear(ctx, t.FiscalYear); err != nil {
			return err
		}
		deps, err := s.DepsOf(ctx, t.FiscalYear)
		if err != nil {
			return err
		}
		deps[t.ID] = ids
		if c := cycleFrom(t.ID, deps); c != nil {
			var path []string
			for _, id := range c {
				path = append(path, "「"+byID[id].Title+"」")
			}
			return FieldErrors{"deps": "前提の作業が循環しています（" + strings.Join(path, " → ") + "）。どれかの前提を外してください。"}
		}
		if _, err := s.db.Exec(ctx, "DELETE FROM program_task_deps WHERE task_id = ?", t.ID); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := s.db.Exec(ctx, "INSERT INTO program_task_deps (task_id, depends_on) VALUES (?, ?)", t.ID, id); err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("作業「%s」の前提をなしにした", t.Title)
		if len(names) > 0 {
			detail = fmt.Sprintf("作業「%s」の前提を %s にした", t.Title, strings.Join(names, "・"))
		}
		return s.log.Record(ctx, "program.task_deps", fmt.Sprintf("program_task:%d", t.ID), detail)
	})
}

// lockYear locks fiscal year fy's schedule until the transaction ends: the
// row of the year's first task stands for the year (tasks are never
// deleted). A year without tasks has nothing to lock.
func (s *Store) lockYear(ctx context.Context, fy int) error {
	var first sql.NullInt64
	if err := s.db.QueryRow(ctx, "SELECT MIN(id) FROM program_tasks WHERE fiscal_year = ?", fy).Scan(&first); err != nil || !first.Valid {
		return err
	}
	return s.db.LockRow(ctx, "program_tasks", first.Int64)
}

// judgeDeps flags the own tasks whose predecessors do not fit: one planned
// to end after the task starts, or one late while the task should have
// begun. It runs after each row's own judgement.
func (sc *Schedule) judgeDeps(deps map[int64][]int64) {
	byID := map[int64]*Row{}
	for i := range sc.Rows {
		if sc.Rows[i].TaskID != 0 {
			byID[sc.Rows[i].TaskID] = &sc.Rows[i]
		}
	}
	for i := range sc.Rows {
		r := &sc.Rows[i]
		if r.TaskID == 0 || r.Completed {
			continue
		}
		for _, d := range deps[r.TaskID] {
			p, ok := byID[d]
			if !ok {
				continue
			}
			r.After = append(r.After, p.Title)
			var why string
			switch {
			case p.Completed:
			case p.End.After(r.Start):
				why = fmt.Sprintf("前提の作業「%s」の終了予定（%s）が、この作業の開始日（%s）より後です", p.Title, jp.FormatWareki(p.End), jp.FormatWareki(r.Start))
			case p.Status == StatusLate && !sc.Now.Before(r.Start):
				why = fmt.Sprintf("前提の作業「%s」が遅れています", p.Title)
			}
			if why == "" {
				continue
			}
			if r.Status != StatusLate {
				r.Status = StatusRisk
			}
			if r.Why != "" {
				r.Why += "。"
			}
			r.Why += why
		}
	}
}
