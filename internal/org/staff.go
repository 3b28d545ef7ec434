package org

import (
	"context"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"

	"mamori/internal/database"
	"mamori/internal/jp"
)

// Job classes.
const (
	JobGeneral = "一般職員"
	JobManager = "管理職"
)

// Staff is one employee.
type Staff struct {
	ID           int64
	EmployeeNo   string
	Name         string
	Kana         string
	DepartmentID int64
	Department   string // path, for lists
	DeptCode     string
	JobClass     string
	JobTitle     string
	IsSystem     bool
	IsProtection bool
	IsMyNumber   bool
	Email        string
	Active       bool
	UpdatedAt    database.Time
}

// StaffFilter selects staff for lists and exports.
type StaffFilter struct {
	// Q is a search: every word of it (jp.SearchWords) must be in the
	// person's employee number, name, kana or mail (search_text), so
	// 「田中 亮」, 「田中亮」 and 「たなか」 all find 田中　亮.
	Q             string
	DepartmentIDs []int64 // nil: any; empty: none
	JobClass      string
	Flag          string // system | protection | mynumber
	Status        string // "" active only, "all", "inactive"
	Sort          string // a key of staffSorts; "" = roster order (department, managers first, kana)
	Desc          bool
	Limit, Offset int
}

// staffSorts are the orders of the staff list: the leading columns, then
// ties broken by department, managers first, kana and employee number.
var staffSorts = map[string]string{
	"dept":  "COALESCE(d.code, '')",
	"no":    "s.employee_no",
	"kana":  "s.kana",
	"class": "s.job_class",
}

func (f StaffFilter) orderBy() string {
	lead, ok := staffSorts[f.Sort]
	if !ok {
		lead = staffSorts["dept"]
	}
	if f.Desc {
		parts := strings.Split(lead, ", ")
		for i := range parts {
			parts[i] += " DESC"
		}
		lead = strings.Join(parts, ", ")
	}
	return " ORDER BY " + lead + ", COALESCE(d.code, ''), s.job_class DESC, s.kana, s.employee_no"
}

func (f StaffFilter) where() (string, []any) {
	conds := []string{}
	var args []any
	switch f.Status {
	case "all":
	case "inactive":
		conds = append(conds, "s.active = FALSE")
	default:
		conds = append(conds, "s.active = TRUE")
	}
	for _, w := range jp.SearchWords(f.Q) {
		conds, args = append(conds, "s.search_text LIKE ?"), append(args, "%"+w+"%")
	}
	if f.DepartmentIDs != nil {
		if len(f.DepartmentIDs) == 0 {
			conds = append(conds, "1 = 0")
		} else {
			conds = append(conds, "s.department_id IN ("+database.Placeholders(len(f.DepartmentIDs))+")")
			for _, id := range f.DepartmentIDs {
				args = append(args, id)
			}
		}
	}
	if f.JobClass != "" {
		conds = append(conds, "s.job_class = ?")
		args = append(args, f.JobClass)
	}
	switch f.Flag {
	case "system":
		conds = append(conds, "s.is_system = TRUE")
	case "protection":
		conds = append(conds, "s.is_protection = TRUE")
	case "mynumber":
		conds = append(conds, "s.is_mynumber = TRUE")
	}
	if len(conds) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// StaffSearchText is what a staff row stores in search_text: its employee
// number, name, kana and mail folded for matching (jp.SearchText). Every
// writer of staff sets it; the roster import (package roster, which cannot
// import org) folds the same four fields in the same order.
func StaffSearchText(employeeNo, name, kana, email string) string {
	return jp.SearchText(employeeNo, name, kana, email)
}

// indexStaff fills search_text where it is still empty: rows that existed
// before migration 0010 or were written by an older program (a search_text
// is never empty otherwise, since the employee number is required). The
// partial index staff_search_pending makes the check one index probe, so
// every search runs it and no row is ever missed, whatever wrote it. A row
// changed meanwhile by a writer that set search_text is left alone.
func (s *Service) indexStaff(ctx context.Context) error {
	type pending struct {
		id   int64
		text string
	}
	rows, err := s.db.Query(ctx, "SELECT id, employee_no, name, kana, email FROM staff WHERE search_text = ''")
	if err != nil {
		return fmt.Errorf("org.indexStaff: %w", err)
	}
	var todo []pending
	for rows.Next() {
		var p pending
		var no, name, kana, email string
		if err := rows.Scan(&p.id, &no, &name, &kana, &email); err != nil {
			rows.Close()
			return fmt.Errorf("org.indexStaff: %w", err)
		}
		p.text = StaffSearchText(no, name, kana, email)
		todo = append(todo, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("org.indexStaff: %w", err)
	}
	if len(todo) == 0 {
		return nil
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		for _, p := range todo {
			if _, err := s.db.Exec(ctx, "UPDATE staff SET search_text = ? WHERE id = ? AND search_text = ''", p.text, p.id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("org.indexStaff: %w", err)
	}
	s.slog.InfoContext(ctx, "staff search index filled", "rows", len(todo))
	return nil
}

const staffCols = `s.id, s.employee_no, s.name, s.kana, COALESCE(s.department_id, 0), COALESCE(d.code, ''), s.job_class, s.job_title,
	s.is_system, s.is_protection, s.is_mynumber, s.email, s.active, s.updated_at`

func scanStaff(sc interface{ Scan(...any) error }) (Staff, error) {
	var p Staff
	err := sc.Scan(&p.ID, &p.EmployeeNo, &p.Name, &p.Kana, &p.DepartmentID, &p.DeptCode, &p.JobClass, &p.JobTitle,
		&p.IsSystem, &p.IsProtection, &p.IsMyNumber, &p.Email, &p.Active, &p.UpdatedAt)
	return p, err
}

// StaffList returns the staff matching f, in its order (department paths
// filled from tree when given), and the total count.
func (s *Service) StaffList(ctx context.Context, f StaffFilter, tree *Tree) ([]Staff, int, error) {
	if len(jp.SearchWords(f.Q)) > 0 {
		if err := s.indexStaff(ctx); err != nil {
			return nil, 0, err
		}
	}
	where, args := f.where()
	var total int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM staff s"+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("org.StaffList: %w", err)
	}
	q := "SELECT " + staffCols + " FROM staff s LEFT JOIN departments d ON d.id = s.department_id" + where + f.orderBy()
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit) + " OFFSET " + strconv.Itoa(f.Offset)
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("org.StaffList: %w", err)
	}
	defer rows.Close()
	var out []Staff
	for rows.Next() {
		p, err := scanStaff(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("org.StaffList: %w", err)
		}
		if tree != nil {
			if d := tree.ByID[p.DepartmentID]; d != nil {
				p.Department = d.Path
			}
		}
		out = append(out, p)
	}
	return out, total, rows.Err()
}

// StaffMember returns one person.
func (s *Service) StaffMember(ctx context.Context, id int64) (Staff, error) {
	p, err := scanStaff(s.db.QueryRow(ctx, "SELECT "+staffCols+" FROM staff s LEFT JOIN departments d ON d.id = s.department_id WHERE s.id = ?", id))
	if err != nil {
		return p, database.NotFound("org.StaffMember", err)
	}
	return p, nil
}

// Assignment is where a person was in one fiscal year.
type Assignment struct {
	FiscalYear   int
	DepartmentID int64
	Department   string
	JobClass     string
	JobTitle     string
	Active       bool
}

// History returns a person's department per fiscal year, newest first.
func (s *Service) History(ctx context.Context, staffID int64, tree *Tree) ([]Assignment, error) {
	rows, err := s.db.Query(ctx, "SELECT fiscal_year, COALESCE(department_id, 0), job_class, job_title, active FROM staff_assignments WHERE staff_id = ? ORDER BY fiscal_year DESC", staffID)
	if err != nil {
		return nil, fmt.Errorf("org.History: %w", err)
	}
	defer rows.Close()
	var out []Assignment
	for rows.Next() {
		var a Assignment
		if err := rows.Scan(&a.FiscalYear, &a.DepartmentID, &a.JobClass, &a.JobTitle, &a.Active); err != nil {
			return nil, err
		}
		if d := tree.ByID[a.DepartmentID]; d != nil {
			a.Department = d.Path
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// StaffInput is a staff form's content.
type StaffInput struct {
	EmployeeNo   string
	Name         string
	Kana         string
	DepartmentID int64
	JobClass     string
	JobTitle     string
	IsSystem     bool
	IsProtection bool
	IsMyNumber   bool
	Email        string
	Active       bool
}

func (s *Service) validateStaff(ctx context.Context, in *StaffInput) FieldErrors {
	fe := FieldErrors{}
	in.EmployeeNo = jp.Normalize(in.EmployeeNo)
	in.Name = jp.CleanName(in.Name)
	in.Kana = jp.ToKatakana(jp.Normalize(in.Kana))
	in.JobTitle = jp.Normalize(in.JobTitle)
	in.Email = strings.TrimSpace(in.Email)
	check := func(field, label, v string, max int, required bool) {
		switch {
		case required && v == "":
			fe[field] = label + "を入力してください。"
		case utf8.RuneCountInString(v) > max:
			fe[field] = fmt.Sprintf("%sは %d 文字以内にしてください。", label, max)
		case jp.HasControl(v):
			fe[field] = label + "に使えない制御文字が含まれています。"
		}
	}
	check("employee_no", "職員番号", in.EmployeeNo, 20, true)
	check("name", "氏名", in.Name, 60, true)
	check("kana", "フリガナ", in.Kana, 120, false)
	check("job_title", "職名", in.JobTitle, 60, false)
	if in.Kana != "" && fe["kana"] == "" && !jp.IsKana(in.Kana) {
		fe["kana"] = "フリガナはカタカナで入力してください。"
	}
	if in.JobClass != JobGeneral && in.JobClass != JobManager {
		fe["job_class"] = "職層は「一般職員」か「管理職」を選んでください。"
	}
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || len(in.Email) > 254 {
			fe["email"] = "メールアドレスの形式が正しくありません。"
		}
	}
	if in.DepartmentID == 0 {
		fe["department_id"] = "所属を選んでください。"
	} else if _, err := s.Department(ctx, in.DepartmentID); err != nil {
		fe["department_id"] = "指定された所属が見つかりません。"
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// SaveStaff creates (id 0) or updates a person and records this fiscal
// year's assignment.
func (s *Service) SaveStaff(ctx context.Context, id int64, in StaffInput) (int64, error) {
	if fe := s.validateStaff(ctx, &in); fe != nil {
		return 0, fe
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		now := database.T(s.now())
		search := StaffSearchText(in.EmployeeNo, in.Name, in.Kana, in.Email)
		var err error
		action := "staff.update"
		if id == 0 {
			action = "staff.create"
			id, err = s.db.InsertID(ctx, `INSERT INTO staff (employee_no, name, kana, department_id, job_class, job_title, is_system, is_protection, is_mynumber, email, active, search_text, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, in.EmployeeNo, in.Name, in.Kana, in.DepartmentID, in.JobClass, in.JobTitle,
				in.IsSystem, in.IsProtection, in.IsMyNumber, in.Email, in.Active, search, now, now)
		} else {
			var res interface{ RowsAffected() (int64, error) }
			res, err = s.db.Exec(ctx, `UPDATE staff SET employee_no = ?, name = ?, kana = ?, department_id = ?, job_class = ?, job_title = ?,
				is_system = ?, is_protection = ?, is_mynumber = ?, email = ?, active = ?, search_text = ?, updated_at = ? WHERE id = ?`,
				in.EmployeeNo, in.Name, in.Kana, in.DepartmentID, in.JobClass, in.JobTitle, in.IsSystem, in.IsProtection, in.IsMyNumber, in.Email, in.Active, search, now, id)
			if err == nil {
				if n, _ := res.RowsAffected(); n == 0 {
					return fmt.Errorf("staff %d: %w", id, database.ErrNotFound)
				}
			}
		}
		if database.IsUniqueViolation(err) {
			return FieldErrors{"employee_no": "この職員番号は既に登録されています。"}
		}
		if err != nil {
			return err
		}
		fy := s.CurrentFiscalYear(ctx)
		if _, err := s.db.Exec(ctx, `INSERT INTO staff_assignments (staff_id, fiscal_year, department_id, job_class, job_title, active, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (staff_id, fiscal_year) DO UPDATE SET department_id = excluded.department_id,
			job_class = excluded.job_class, job_title = excluded.job_title, active = excluded.active, updated_at = excluded.updated_at`,
			id, fy, in.DepartmentID, in.JobClass, in.JobTitle, in.Active, now); err != nil {
			return err
		}
		return s.log.Record(ctx, action, fmt.Sprintf("staff:%d", id), fmt.Sprintf("%s %s", in.EmployeeNo, in.Name))
	})
	if err != nil {
		return 0, fmt.Errorf("org.SaveStaff: %w", err)
	}
	return id, nil
}
