package org

import (
	"context"
	"fmt"
	"time"

	"mamori/internal/database"
)

// Reader is the organisation as the features read it: the department
// tree, who works where and with which duties, the ward's name and the
// working fiscal year. Features use it instead of querying the
// organisation's tables, which org alone writes. *Service implements it.
type Reader interface {
	// Departments is the whole tree (closed departments included), each
	// node with its parent id, path and depth.
	Departments(ctx context.Context) (*Tree, error)
	// Department is one department; a missing one is database.ErrNotFound.
	Department(ctx context.Context, id int64) (*Department, error)
	// StaffInDepartment lists the active staff of one department.
	StaffInDepartment(ctx context.Context, departmentID int64) ([]Staff, error)
	// Flags are one person's duties.
	Flags(ctx context.Context, staffID int64) (Flags, error)
	// WardName is the deployment's ward as documents print it ("" when
	// unset or unreadable: a document without the name is still useful).
	WardName(ctx context.Context) string
	// CurrentFiscalYear is the working 年度 (its start year).
	CurrentFiscalYear(ctx context.Context) int
	// Within reports whether department dept is root or below it.
	Within(ctx context.Context, dept, root int64) (bool, error)
	// Accounts lists the sign-in accounts (disabled ones included), for
	// features that assign people to their objects (an audit team).
	Accounts(ctx context.Context) ([]Account, error)
	// Account is one account; a missing one is database.ErrNotFound.
	Account(ctx context.Context, id int64) (Account, error)
	// Heads are whom a notice to department dept goes to by mail (its
	// 所属長), each with an address.
	Heads(ctx context.Context, dept int64) ([]Contact, error)
	// SecurityOffice is the security office's contact for notices by
	// mail (the CSIRT contact of the settings screen); ok is false when
	// it has no address.
	SecurityOffice(ctx context.Context) (c Contact, ok bool, err error)
}

var _ Reader = (*Service)(nil)

// NewReader returns the read API on db for code that has no Service at
// hand (stores built from a database alone).
func NewReader(db *database.DB, now func() time.Time) Reader {
	return New(db, nil, Config{}, now, nil)
}

// Flags are the duties DESIGN.md names: システム担当者, 保護担当者 and
// 個人番号事務取扱担当者, with the job class (一般職員 / 管理職).
type Flags struct {
	System     bool
	Protection bool
	MyNumber   bool
	JobClass   string
}

// Labels names the duties that are on, in Japanese.
func (f Flags) Labels() []string {
	var out []string
	if f.System {
		out = append(out, "システム担当者")
	}
	if f.Protection {
		out = append(out, "保護担当者")
	}
	if f.MyNumber {
		out = append(out, "個人番号事務取扱担当者")
	}
	return out
}

// wardNameKey is the setting holding the ward's name.
const wardNameKey = "ward_name"

// WardName returns the ward's name from the settings ("" when unset or
// unreadable).
func (s *Service) WardName(ctx context.Context) string {
	v, err := s.Setting(ctx, wardNameKey)
	if err != nil {
		s.slog.WarnContext(ctx, "ward name unreadable", "err", err)
		return ""
	}
	return v
}

// StaffInDepartment lists the active staff of one department (not of its
// sub-departments), in roster order.
func (s *Service) StaffInDepartment(ctx context.Context, departmentID int64) ([]Staff, error) {
	list, _, err := s.StaffList(ctx, StaffFilter{DepartmentIDs: []int64{departmentID}}, nil)
	if err != nil {
		return nil, fmt.Errorf("org.StaffInDepartment: %w", err)
	}
	return list, nil
}

// Flags returns one person's duties.
func (s *Service) Flags(ctx context.Context, staffID int64) (Flags, error) {
	p, err := s.StaffMember(ctx, staffID)
	if err != nil {
		return Flags{}, err
	}
	return Flags{System: p.IsSystem, Protection: p.IsProtection, MyNumber: p.IsMyNumber, JobClass: p.JobClass}, nil
}

// Within reports whether department dept is root or below it: the test of
// a department-scoped user (root = the user's department).
func (s *Service) Within(ctx context.Context, dept, root int64) (bool, error) {
	if dept == 0 || root == 0 {
		return false, nil
	}
	if dept == root {
		return true, nil
	}
	t, err := s.Departments(ctx)
	if err != nil {
		return false, err
	}
	for d := t.ByID[dept]; d != nil && d.ParentID != 0; d = t.ByID[d.ParentID] {
		if d.ParentID == root {
			return true, nil
		}
	}
	return false, nil
}

// Counts are the organisation's size: active departments and staff, and
// enabled user accounts.
type Counts struct{ Departments, Staff, Users int }

// Counts returns the organisation's size.
func (s *Service) Counts(ctx context.Context) (Counts, error) {
	var c Counts
	err := s.db.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM departments WHERE active = TRUE), (SELECT COUNT(*) FROM staff WHERE active = TRUE),
			(SELECT COUNT(*) FROM users WHERE disabled = FALSE)`).Scan(&c.Departments, &c.Staff, &c.Users)
	return c, err
}
