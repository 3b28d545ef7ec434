package roster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/jp"
)

var (
	// ErrPlanHasErrors is returned by Apply for a plan that is not OK.
	ErrPlanHasErrors = errors.New("取り込めない行があるため、取り込みを中止しました。エラーを直したファイルで読み込み直してください")
	// ErrStale is returned by Apply when staff or departments changed
	// after the plan was built; the user should preview again.
	ErrStale = errors.New("確認の後に職員または所属の登録が変わりました。もう一度ファイルを読み込んで確認してください")
	// ErrNeedsConsent is returned by Apply for a plan that retires more
	// than the limit without the user's consent (Options.RetireMissing).
	ErrNeedsConsent = errors.New("在籍職員のうち多くの人が退職扱いになるため、取り込みを中止しました。退職扱いにすることを確認してから取り込んでください")
	// ErrAlreadyImported is returned by Apply when Options.Source was
	// imported before (a confirmation sent twice).
	ErrAlreadyImported = errors.New("このファイルは既に取り込まれています。同じ取り込みは 2 回行いません")
)

// AuditAction is the audit-log action of an import.
const AuditAction = "staff.import"

// Imported returns the audit-log entry of the import of source (an upload,
// Options.Source), if there was one.
func Imported(ctx context.Context, log *auditlog.Log, source string) (auditlog.Entry, bool, error) {
	if source == "" {
		return auditlog.Entry{}, false, nil
	}
	es, _, err := log.List(ctx, auditlog.Filter{Action: AuditAction, Text: source})
	if err != nil {
		return auditlog.Entry{}, false, fmt.Errorf("roster.Imported: %w", err)
	}
	for _, e := range es {
		if e.Action == AuditAction && e.Target == source {
			return e, true, nil
		}
	}
	return auditlog.Entry{}, false, nil
}

// ScopeLabel describes the plan's scope in Japanese for messages and the
// audit log: 「全庁」, 「一部の所属（3 所属）」 or 「一部の所属（不在者の退職なし）」.
func (p *Plan) ScopeLabel() string {
	switch {
	case p.Scope == ScopeWard:
		return "全庁"
	case len(p.ScopeDepts) == 0:
		return "一部の所属（ファイルにいない職員は退職扱いにしない）"
	}
	return fmt.Sprintf("一部の所属（%d 所属）", len(p.ScopeDepts))
}

// batchSize is how many people one multi-row statement writes; progress
// is reported after each batch.
const batchSize = 200

// Result is what Apply wrote.
type Result struct {
	Counts             Counts
	DepartmentIDs      []int64 // created departments, in Plan.NewDepts order
	StaffWritten       int     // staff rows inserted or updated
	AssignmentsWritten int     // staff_assignments rows inserted or updated
}

// Apply writes an OK plan in one transaction: it creates the proposed
// departments, inserts and updates staff, marks leavers inactive (never
// deleting them), records every listed person's and leaver's department
// for the fiscal year in staff_assignments, and writes the audit log.
// Only rows that change are written. Any failure rolls everything back.
// progress, if not nil, is called as people are written.
func Apply(ctx context.Context, db *database.DB, log *auditlog.Log, p *Plan, opt Options, now time.Time,
	progress func(done, total int)) (*Result, error) {
	const op = "roster.Apply"
	switch {
	case p == nil:
		return nil, fmt.Errorf("%s: no plan", op)
	case !p.OK():
		return nil, fmt.Errorf("%s: %w", op, ErrPlanHasErrors)
	case opt.FiscalYear != p.FiscalYear || opt.Scope != p.Scope || opt.CreateDepartments != p.CreateDepartments:
		return nil, fmt.Errorf("%s: options differ from the plan's (fiscal year %d/%d, scope %v/%v, create departments %v/%v)",
			op, opt.FiscalYear, p.FiscalYear, opt.Scope, p.Scope, opt.CreateDepartments, p.CreateDepartments)
	case p.NeedsConsent() && !opt.RetireMissing:
		return nil, fmt.Errorf("%s: %w", op, ErrNeedsConsent)
	}
	if progress == nil {
		progress = func(int, int) {}
	}
	a := &applier{db: db, log: log, p: p, ts: database.T(now), res: &Result{Counts: p.Counts()}}
	err := db.WithTx(ctx, func(ctx context.Context) error {
		// The import's audit entry goes first: on PostgreSQL it locks the
		// audit head, so a concurrent import waits here and then sees
		// this one's changes in the check below.
		c := a.res.Counts
		detail := fmt.Sprintf("%s（%s、%s）: 新規 %d 件, 異動 %d 件, 変更 %d 件, 退職 %d 件, 変更なし %d 件, 所属新設 %d 件",
			p.Filename, jp.FiscalYearLabel(p.FiscalYear), p.ScopeLabel(), c.New, c.Moved, c.Changed, c.Leavers, c.Unchanged, c.NewDepts)
		if c.Reactivated > 0 {
			detail += fmt.Sprintf(", 再登録 %d 件", c.Reactivated)
		}
		if p.NeedsConsent() {
			detail += fmt.Sprintf("（在籍職員 %d 人の %s%% の退職扱いを確認済み）", p.Active, p.RetireShare())
		}
		target := opt.Source
		if target == "" {
			target = "roster"
		}
		if err := log.Record(ctx, AuditAction, target, detail); err != nil {
			return err
		}
		// After the entry, which serialises imports: an earlier import of
		// the same upload is now visible.
		if opt.Source != "" {
			es, _, err := log.List(ctx, auditlog.Filter{Action: AuditAction, Text: opt.Source})
			if err != nil {
				return err
			}
			n := 0
			for _, e := range es {
				if e.Action == AuditAction && e.Target == opt.Source {
					n++
				}
			}
			if n > 1 {
				return ErrAlreadyImported
			}
		}
		if p.stamp != "" {
			cur, err := loadStamp(ctx, db)
			if err != nil {
				return err
			}
			if cur != p.stamp {
				return ErrStale
			}
		}
		if err := a.departments(ctx); err != nil {
			return err
		}
		return a.people(ctx, progress)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return a.res, nil
}

// applier carries the state of one Apply.
type applier struct {
	db    *database.DB
	log   *auditlog.Log
	p     *Plan
	ts    database.Time
	res   *Result
	depts []int64 // ids of created departments, by NewDepts index
}

// departments creates the proposed departments, parents first, each at
// the end of its siblings.
func (a *applier) departments(ctx context.Context) error {
	for _, nd := range a.p.NewDepts {
		parent := nd.ParentID
		if nd.Parent >= 0 {
			parent = a.depts[nd.Parent]
		}
		var order int64
		q, args := "SELECT COALESCE(MAX(sort_order), 0) FROM departments WHERE parent_id IS NULL", []any{}
		if parent != 0 {
			q, args = "SELECT COALESCE(MAX(sort_order), 0) FROM departments WHERE parent_id = ?", []any{parent}
		}
		if err := a.db.QueryRowWrite(ctx, q, args...).Scan(&order); err != nil {
			return fmt.Errorf("department %s: %w", nd.Code, err)
		}
		id, err := a.db.InsertID(ctx, `INSERT INTO departments (code, name, level, parent_id, sort_order, active, has_counter, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, TRUE, FALSE, ?, ?)`, nd.Code, nd.Name, nd.Level, nullID(parent), order+10, a.ts, a.ts)
		if database.IsUniqueViolation(err) {
			return ErrStale
		}
		if err != nil {
			return fmt.Errorf("department %s: %w", nd.Code, err)
		}
		a.depts = append(a.depts, id)
		if err := a.log.Record(ctx, "department.create", fmt.Sprintf("department:%d", id),
			fmt.Sprintf("%s %s（%s）名簿の取り込みで作成", nd.Code, nd.Path, nd.Level)); err != nil {
			return err
		}
	}
	a.res.DepartmentIDs = a.depts
	return nil
}

// assignment is a staff_assignments row's content.
type assignment struct {
	staffID int64
	dept    int64
	class   string
	title   string
	active  bool
}

// people writes staff and their assignments in batches.
func (a *applier) people(ctx context.Context, progress func(done, total int)) error {
	have, err := a.assignments(ctx)
	if err != nil {
		return err
	}
	total := len(a.p.Changes)
	progress(0, total)
	for start := 0; start < total; start += batchSize {
		batch := a.p.Changes[start:min(start+batchSize, total)]
		ids, err := a.upsertStaff(ctx, batch)
		if err != nil {
			return err
		}
		if err := a.retire(ctx, batch); err != nil {
			return err
		}
		var rows []assignment
		for _, ch := range batch {
			id := ch.ID
			if id == 0 {
				id = ids[ch.EmployeeNo]
			}
			if id == 0 {
				return fmt.Errorf("staff %s: no id after insert", ch.EmployeeNo)
			}
			as := assignment{dept: a.deptID(ch), class: ch.JobClass, title: ch.JobTitle, active: ch.Kind != KindLeaver, staffID: id}
			if old, ok := have[id]; ok && old.dept == as.dept && old.class == as.class && old.title == as.title && old.active == as.active {
				continue
			}
			rows = append(rows, as)
		}
		if err := a.upsertAssignments(ctx, rows); err != nil {
			return err
		}
		progress(start+len(batch), total)
	}
	return nil
}

// deptID is the department id a change ends up in.
func (a *applier) deptID(ch Change) int64 {
	if ch.NewDept >= 0 {
		return a.depts[ch.NewDept]
	}
	return ch.DepartmentID
}

// assignments loads the fiscal year's existing assignment rows by staff id.
func (a *applier) assignments(ctx context.Context) (map[int64]assignment, error) {
	rows, err := a.db.Query(ctx, `SELECT staff_id, COALESCE(department_id, 0), job_class, job_title, active
		FROM staff_assignments WHERE fiscal_year = ?`, a.p.FiscalYear)
	if err != nil {
		return nil, fmt.Errorf("assignments: %w", err)
	}
	defer rows.Close()
	out := map[int64]assignment{}
	for rows.Next() {
		var as assignment
		if err := rows.Scan(&as.staffID, &as.dept, &as.class, &as.title, &as.active); err != nil {
			return nil, fmt.Errorf("assignments: %w", err)
		}
		out[as.staffID] = as
	}
	return out, rows.Err()
}

// staffCols are written by upsertStaff, in order.
// search_text folds the same fields as org.StaffSearchText, in the same order.
const staffCols = "employee_no, name, kana, department_id, job_class, job_title, is_system, is_protection, is_mynumber, email, active, search_text, created_at, updated_at"

// upsertStaff inserts new staff and updates changed ones with one
// statement, returning the ids of the rows written by employee number.
func (a *applier) upsertStaff(ctx context.Context, batch []Change) (map[string]int64, error) {
	var args []any
	n := 0
	for _, ch := range batch {
		switch ch.Kind {
		case KindNew, KindMoved, KindChanged, KindReactivated:
		default:
			continue
		}
		args = append(args, ch.EmployeeNo, ch.Name, ch.Kana, nullID(a.deptID(ch)), ch.JobClass, ch.JobTitle,
			ch.IsSystem, ch.IsProtection, ch.IsMyNumber, ch.Email, true, jp.SearchText(ch.EmployeeNo, ch.Name, ch.Kana, ch.Email), a.ts, a.ts)
		n++
	}
	ids := map[string]int64{}
	if n == 0 {
		return ids, nil
	}
	q := "INSERT INTO staff (" + staffCols + ") VALUES " + valueRows(n, 14) + ` ON CONFLICT (employee_no) DO UPDATE SET
		name = excluded.name, kana = excluded.kana, department_id = excluded.department_id, job_class = excluded.job_class,
		job_title = excluded.job_title, is_system = excluded.is_system, is_protection = excluded.is_protection,
		is_mynumber = excluded.is_mynumber, email = excluded.email, active = excluded.active, search_text = excluded.search_text,
		updated_at = excluded.updated_at
		RETURNING id, employee_no`
	rows, err := a.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("staff: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var no string
		if err := rows.Scan(&id, &no); err != nil {
			return nil, fmt.Errorf("staff: %w", err)
		}
		ids[no] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("staff: %w", err)
	}
	a.res.StaffWritten += n
	return ids, nil
}

// retire marks the batch's leavers inactive; their rows are kept.
func (a *applier) retire(ctx context.Context, batch []Change) error {
	args := []any{a.ts}
	for _, ch := range batch {
		if ch.Kind == KindLeaver {
			args = append(args, ch.ID)
		}
	}
	n := len(args) - 1
	if n == 0 {
		return nil
	}
	if _, err := a.db.Exec(ctx, "UPDATE staff SET active = FALSE, updated_at = ? WHERE id IN ("+database.Placeholders(n)+")", args...); err != nil {
		return fmt.Errorf("retire: %w", err)
	}
	a.res.StaffWritten += n
	return nil
}

// upsertAssignments writes the fiscal year's assignment rows.
func (a *applier) upsertAssignments(ctx context.Context, rows []assignment) error {
	if len(rows) == 0 {
		return nil
	}
	args := make([]any, 0, len(rows)*7)
	for _, r := range rows {
		args = append(args, r.staffID, a.p.FiscalYear, nullID(r.dept), r.class, r.title, r.active, a.ts)
	}
	q := "INSERT INTO staff_assignments (staff_id, fiscal_year, department_id, job_class, job_title, active, updated_at) VALUES " +
		valueRows(len(rows), 7) + ` ON CONFLICT (staff_id, fiscal_year) DO UPDATE SET department_id = excluded.department_id,
		job_class = excluded.job_class, job_title = excluded.job_title, active = excluded.active, updated_at = excluded.updated_at`
	if _, err := a.db.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("assignments: %w", err)
	}
	a.res.AssignmentsWritten += len(rows)
	return nil
}

// valueRows is "(?, ?), (?, ?)" for a multi-row INSERT.
func valueRows(rows, cols int) string {
	one := "(" + database.Placeholders(cols) + ")"
	return strings.Repeat(one+", ", rows-1) + one
}

// nullID passes 0 as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
