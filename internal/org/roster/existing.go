package roster

import (
	"context"
	"fmt"
	"strings"

	"mamori/internal/database"
	"mamori/internal/jp"
)

// Department is a registered department as the importer sees it.
type Department struct {
	ID       int64
	Code     string
	Name     string
	Level    string // 部, 課 or 係
	ParentID int64  // 0 at the top
	Active   bool
}

// Staff is a registered person as the importer sees it.
type Staff struct {
	ID           int64
	EmployeeNo   string
	Name         string
	Kana         string
	DepartmentID int64 // 0 if none
	JobClass     string
	JobTitle     string
	IsSystem     bool
	IsProtection bool
	IsMyNumber   bool
	Email        string
	Active       bool
}

// Existing is what is registered now, the baseline a plan is computed
// against.
type Existing struct {
	Departments []Department
	Staff       map[string]Staff // by employee_no

	// stamp fingerprints the staff and departments tables when loaded, so
	// that Apply can refuse a plan made before someone else changed them.
	stamp string
}

// LoadExisting reads every department and staff member.
func LoadExisting(ctx context.Context, db *database.DB) (*Existing, error) {
	const op = "roster.LoadExisting"
	ex := &Existing{Staff: map[string]Staff{}}
	// The stamp is taken first: a change made while the rows are read
	// then makes Apply refuse the plan rather than miss the change.
	stamp, err := loadStamp(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	ex.stamp = stamp
	rows, err := db.Query(ctx, "SELECT id, code, name, level, COALESCE(parent_id, 0), active FROM departments ORDER BY sort_order, code")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var d Department
		if err := rows.Scan(&d.ID, &d.Code, &d.Name, &d.Level, &d.ParentID, &d.Active); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		ex.Departments = append(ex.Departments, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	rows.Close()

	rows, err = db.Query(ctx, `SELECT id, employee_no, name, kana, COALESCE(department_id, 0), job_class, job_title,
		is_system, is_protection, is_mynumber, email, active FROM staff`)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var s Staff
		if err := rows.Scan(&s.ID, &s.EmployeeNo, &s.Name, &s.Kana, &s.DepartmentID, &s.JobClass, &s.JobTitle,
			&s.IsSystem, &s.IsProtection, &s.IsMyNumber, &s.Email, &s.Active); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		ex.Staff[s.EmployeeNo] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return ex, nil
}

// loadStamp fingerprints the staff and departments tables: row count, sum
// of ids and latest updated_at of each.
func loadStamp(ctx context.Context, db *database.DB) (string, error) {
	var parts []string
	for _, table := range []string{"departments", "staff"} {
		var n, ids int64
		var last string
		if err := db.QueryRow(ctx, "SELECT COUNT(*), COALESCE(SUM(id), 0), COALESCE(MAX(updated_at), '') FROM "+table).Scan(&n, &ids, &last); err != nil {
			return "", err
		}
		parts = append(parts, fmt.Sprintf("%s:%d:%d:%s", table, n, ids, last))
	}
	return strings.Join(parts, "|"), nil
}

// deptIndex is the department tree with lookups by code and name.
type deptIndex struct {
	byID   map[int64]*Department
	byCode map[string]*Department
	byName map[string][]*Department // by nameKey
}

func newDeptIndex(ds []Department) *deptIndex {
	ix := &deptIndex{byID: map[int64]*Department{}, byCode: map[string]*Department{}, byName: map[string][]*Department{}}
	for i := range ds {
		d := &ds[i]
		ix.byID[d.ID] = d
		ix.byCode[d.Code] = d
		k := nameKey(d.Name)
		ix.byName[k] = append(ix.byName[k], d)
	}
	return ix
}

// path is a department's names from the top, joined by spaces as the
// department screens show them.
func (ix *deptIndex) path(id int64) string {
	var names []string
	for d, n := ix.byID[id], 0; d != nil && n < 16; d, n = ix.byID[d.ParentID], n+1 {
		names = append([]string{d.Name}, names...)
	}
	return strings.Join(names, " ")
}

// nameKey is how department names are compared: normalised, without spaces.
func nameKey(s string) string { return strings.ReplaceAll(jp.Normalize(s), " ", "") }
