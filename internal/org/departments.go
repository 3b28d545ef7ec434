package org

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"mamori/internal/database"
	"mamori/internal/web"
)

// Levels of the department tree, top down.
var Levels = []string{"部", "課", "係"}

// Department is one node of the tree 部 → 課 → 係.
type Department struct {
	ID         int64
	Code       string
	Name       string
	Level      string
	ParentID   int64
	SortOrder  int
	Active     bool
	HasCounter bool // has a 窓口 (public counter)
	Path       string
	Depth      int
	Children   []*Department
	StaffCount int // active staff of this department itself (DepartmentsWithCounts)
	TotalCount int // active staff of this department and every one below it
}

const deptCols = "id, code, name, level, COALESCE(parent_id, 0), sort_order, active, has_counter"

func scanDept(sc interface{ Scan(...any) error }) (*Department, error) {
	d := &Department{}
	err := sc.Scan(&d.ID, &d.Code, &d.Name, &d.Level, &d.ParentID, &d.SortOrder, &d.Active, &d.HasCounter)
	return d, err
}

// Tree is the whole department tree with lookups.
type Tree struct {
	Roots []*Department
	ByID  map[int64]*Department
}

// Flat returns the tree in display order (depth first).
func (t *Tree) Flat() []*Department {
	var out []*Department
	var walk func([]*Department)
	walk = func(ds []*Department) {
		for _, d := range ds {
			out = append(out, d)
			walk(d.Children)
		}
	}
	walk(t.Roots)
	return out
}

// Subtree returns the ids of id and all its descendants.
func (t *Tree) Subtree(id int64) []int64 {
	d, ok := t.ByID[id]
	if !ok {
		return nil
	}
	var out []int64
	var walk func(*Department)
	walk = func(d *Department) {
		out = append(out, d.ID)
		for _, c := range d.Children {
			walk(c)
		}
	}
	walk(d)
	return out
}

// DepartmentsTTL is how long the department tree is served from memory. A
// change through this service is seen at once; one made by another instance
// (or a roster import from the command line) within this time.
const DepartmentsTTL = 30 * time.Second

// deptCache keeps the last department tree read outside a transaction.
type deptCache struct {
	mu   sync.Mutex
	tree *Tree
	at   time.Time
}

// Departments returns the tree (features read it through Reader on every
// page, so it is kept in memory for DepartmentsTTL). The tree is shared:
// callers read it and never change it (DepartmentsWithCounts gives a fresh
// one).
func (s *Service) Departments(ctx context.Context) (*Tree, error) {
	if database.InTx(ctx) {
		return s.departments(ctx, false)
	}
	now := s.now()
	s.dept.mu.Lock()
	t, at := s.dept.tree, s.dept.at
	s.dept.mu.Unlock()
	if t != nil && now.Sub(at) < DepartmentsTTL && !now.Before(at) {
		return t, nil
	}
	t, err := s.departments(ctx, false)
	if err != nil {
		return nil, err
	}
	s.dept.mu.Lock()
	s.dept.tree, s.dept.at = t, now
	s.dept.mu.Unlock()
	return t, nil
}

// forgetDepartments drops the cached tree after a change.
func (s *Service) forgetDepartments() {
	s.dept.mu.Lock()
	s.dept.tree = nil
	s.dept.mu.Unlock()
}

// DepartmentsWithCounts loads the tree with each department's count of
// active staff (the department screens and their export).
func (s *Service) DepartmentsWithCounts(ctx context.Context) (*Tree, error) {
	return s.departments(ctx, true)
}

func (s *Service) departments(ctx context.Context, withCounts bool) (*Tree, error) {
	rows, err := s.db.Query(ctx, "SELECT "+deptCols+" FROM departments ORDER BY sort_order, code")
	if err != nil {
		return nil, fmt.Errorf("org.Departments: %w", err)
	}
	defer rows.Close()
	t := &Tree{ByID: map[int64]*Department{}}
	var all []*Department
	for rows.Next() {
		d, err := scanDept(rows)
		if err != nil {
			return nil, fmt.Errorf("org.Departments: %w", err)
		}
		t.ByID[d.ID] = d
		all = append(all, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if withCounts {
		if err := s.countStaff(ctx, t); err != nil {
			return nil, err
		}
	}
	for _, d := range all {
		if p := t.ByID[d.ParentID]; p != nil {
			p.Children = append(p.Children, d)
		} else {
			t.Roots = append(t.Roots, d)
		}
	}
	var fill func([]*Department, string, int)
	fill = func(ds []*Department, prefix string, depth int) {
		for _, d := range ds {
			d.Path = strings.TrimSpace(prefix + " " + d.Name)
			d.Depth = depth
			fill(d.Children, d.Path, depth+1)
		}
	}
	fill(t.Roots, "", 0)
	if withCounts {
		var total func(*Department) int
		total = func(d *Department) int {
			d.TotalCount = d.StaffCount
			for _, c := range d.Children {
				d.TotalCount += total(c)
			}
			return d.TotalCount
		}
		for _, r := range t.Roots {
			total(r)
		}
	}
	return t, nil
}

// Department returns one department.
func (s *Service) Department(ctx context.Context, id int64) (*Department, error) {
	d, err := scanDept(s.db.QueryRow(ctx, "SELECT "+deptCols+" FROM departments WHERE id = ?", id))
	if err != nil {
		return nil, database.NotFound("org.Department", err)
	}
	return d, nil
}

// DepartmentInput is a department form's content.
type DepartmentInput struct {
	Code       string
	Name       string
	Level      string
	ParentID   int64
	SortOrder  int
	Active     bool
	HasCounter bool
}

var codeRe = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z_-]{0,19}$`)

func (s *Service) validateDept(ctx context.Context, id int64, in *DepartmentInput) FieldErrors {
	fe := FieldErrors{}
	in.Code = strings.TrimSpace(in.Code)
	in.Name = strings.TrimSpace(in.Name)
	if !codeRe.MatchString(in.Code) {
		fe["code"] = "所属コードは半角英数字 1〜20 文字で入力してください。"
	}
	if in.Name == "" {
		fe["name"] = "所属名を入力してください。"
	} else if utf8.RuneCountInString(in.Name) > 60 {
		fe["name"] = "所属名は 60 文字以内にしてください。"
	}
	lvl := -1
	for i, l := range Levels {
		if in.Level == l {
			lvl = i
		}
	}
	if lvl < 0 {
		fe["level"] = "階層（部・課・係）を選んでください。"
	}
	if in.ParentID != 0 {
		p, err := s.Department(ctx, in.ParentID)
		switch {
		case err != nil:
			fe["parent_id"] = "上位の所属が見つかりません。"
		case p.ID == id:
			fe["parent_id"] = "自分自身を上位の所属にはできません。"
		case lvl >= 0 && indexOf(Levels, p.Level) >= lvl:
			fe["parent_id"] = fmt.Sprintf("%s の下に %s は置けません（部 → 課 → 係の順です）。", p.Level, in.Level)
		default:
			if id != 0 {
				t, err := s.Departments(ctx)
				if err == nil {
					for _, sub := range t.Subtree(id) {
						if sub == in.ParentID {
							fe["parent_id"] = "配下の所属を上位の所属にはできません。"
						}
					}
				}
			}
		}
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// SaveDepartment creates (id 0) or updates a department.
func (s *Service) SaveDepartment(ctx context.Context, id int64, in DepartmentInput) (int64, error) {
	if fe := s.validateDept(ctx, id, &in); fe != nil {
		return 0, fe
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		now := database.T(s.now())
		var err error
		if id == 0 {
			id, err = s.db.InsertID(ctx, `INSERT INTO departments (code, name, level, parent_id, sort_order, active, has_counter, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, in.Code, in.Name, in.Level, nullID(in.ParentID), in.SortOrder, in.Active, in.HasCounter, now, now)
		} else {
			_, err = s.db.Exec(ctx, `UPDATE departments SET code = ?, name = ?, level = ?, parent_id = ?, sort_order = ?, active = ?, has_counter = ?, updated_at = ? WHERE id = ?`,
				in.Code, in.Name, in.Level, nullID(in.ParentID), in.SortOrder, in.Active, in.HasCounter, now, id)
		}
		if database.IsUniqueViolation(err) {
			return FieldErrors{"code": "この所属コードは既に使われています。"}
		}
		if err != nil {
			return err
		}
		return s.log.Record(ctx, "department.save", fmt.Sprintf("department:%d", id), fmt.Sprintf("%s %s（%s）", in.Code, in.Name, in.Level))
	})
	s.forgetDepartments()
	if err != nil {
		return 0, fmt.Errorf("org.SaveDepartment: %w", err)
	}
	return id, nil
}

// VisibleDepartments returns the department ids a user may see on a route
// with the given scope, or nil for "all".
func (s *Service) VisibleDepartments(ctx context.Context, u *web.User, scope web.Scope) ([]int64, error) {
	if scope == web.ScopeAll {
		return nil, nil
	}
	if u == nil || u.DepartmentID == 0 {
		return []int64{}, nil
	}
	t, err := s.Departments(ctx)
	if err != nil {
		return nil, err
	}
	ids := t.Subtree(u.DepartmentID)
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if ids == nil {
		ids = []int64{}
	}
	return ids, nil
}

// countStaff fills each department's count of active staff.
func (s *Service) countStaff(ctx context.Context, t *Tree) error {
	counts, err := s.db.Query(ctx, "SELECT department_id, COUNT(*) FROM staff WHERE active = TRUE AND department_id IS NOT NULL GROUP BY department_id")
	if err != nil {
		return fmt.Errorf("org.Departments: %w", err)
	}
	defer counts.Close()
	for counts.Next() {
		var id int64
		var n int
		if err := counts.Scan(&id, &n); err != nil {
			return err
		}
		if d := t.ByID[id]; d != nil {
			d.StaffCount = n
		}
	}
	return counts.Err()
}
