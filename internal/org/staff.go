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
	Q             string  // substring of number, name or kana
	DepartmentIDs []int64 // nil: any; empty: none
	JobClass      string
	Flag          string // system | protection | mynumber
	Status        string // "" active only, "all", "inactive"
	Limit, Offset int
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
	if f.Q != "" {
		q := "%" + strings.NewReplacer("%", "", "_", "").Replace(jp.Normalize(f.Q)) + "%"
		conds = append(conds, "(s.employee_no LIKE ? OR s.name LIKE ? OR s.kana LIKE ? OR s.email LIKE ?)")
		args = append(args, q, q, "%"+strings.Trim(jp.ToKatakana(strings.Trim(q, "%")), " ")+"%", q)
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

const staffCols = `s.id, s.employee_no, s.name, s.kana, COALESCE(s.department_id, 0), COALESCE(d.code, ''), s.job_class, s.job_title,
	s.is_system, s.is_protection, s.is_mynumber, s.email, s.active, s.updated_at`

func scanStaff(sc interface{ Scan(...any) error }) (Staff, error) {
	var p Staff
	err := sc.Scan(&p.ID, &p.EmployeeNo, &p.Name, &p.Kana, &p.DepartmentID, &p.DeptCode, &p.JobClass, &p.JobTitle,
		&p.IsSystem, &p.IsProtection, &p.IsMyNumber, &p.Email, &p.Active, &p.UpdatedAt)
	return p, err
}

// StaffList returns the staff matching f (department paths filled from
// tree when given) and the total count.
func (s *Service) StaffList(ctx context.Context, f StaffFilter, tree *Tree) ([]Staff, int, error) {
	where, args := f.where()
	var total int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM staff s"+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("org.StaffList: %w", err)
	}
	q := "SELECT " + staffCols + " FROM staff s LEFT JOIN departments d ON d.id = s.department_id" + where + " ORDER BY d.code, s.job_class DESC, s.kana, s.employee_no"
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
		var err error
		action := "staff.update"
		if id == 0 {
			action = "staff.create"
			id, err = s.db.InsertID(ctx, `INSERT INTO staff (employee_no, name, kana, department_id, job_class, job_title, is_system, is_protection, is_mynumber, email, active, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, in.EmployeeNo, in.Name, in.Kana, in.DepartmentID, in.JobClass, in.JobTitle,
				in.IsSystem, in.IsProtection, in.IsMyNumber, in.Email, in.Active, now, now)
		} else {
			var res interface{ RowsAffected() (int64, error) }
			res, err = s.db.Exec(ctx, `UPDATE staff SET employee_no = ?, name = ?, kana = ?, department_id = ?, job_class = ?, job_title = ?,
				is_system = ?, is_protection = ?, is_mynumber = ?, email = ?, active = ?, updated_at = ? WHERE id = ?`,
				in.EmployeeNo, in.Name, in.Kana, in.DepartmentID, in.JobClass, in.JobTitle, in.IsSystem, in.IsProtection, in.IsMyNumber, in.Email, in.Active, now, id)
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
