package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/auditlog"
	"mamori/internal/blob"
	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/improve"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/org"
)

// Store keeps the departments' audit scopes (department_profiles) and the
// checklists built for audits (built_checklists, built_checklist_items).
// It reads the catalogue through catalog.Store and the organisation
// through org.Reader; every change is written with its audit-log entry in
// one transaction.
type Store struct {
	db    *database.DB
	log   *auditlog.Log
	cat   *catalog.Store
	org   org.Reader
	now   func() time.Time
	blobs *blob.Store    // evidence files (encrypted); nil in stores without files
	reg   *improve.Store // the improvement register, for findings
	// sections gathers what other modules add to a report (nil: nothing).
	sections func(ctx context.Context, engagementID int64) ([]module.ReportSection, error)
}

// NewStore returns a store on db; now is the clock (nil: time.Now).
func NewStore(db *database.DB, log *auditlog.Log, o org.Reader, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, log: log, cat: catalog.NewStore(db), org: o, now: now}
}

// NewStoreFrom returns the store with the app's shared services: the blob
// store for evidence and the improvement register for findings.
func NewStoreFrom(d module.Deps) *Store {
	s := NewStore(d.DB, d.Log, d.Org, d.Now)
	s.blobs, s.reg, s.sections = d.Blobs, improve.NewStore(d), d.EngagementSections
	return s
}

// Departments lists active departments in tree order; q (if any) keeps
// those whose name, path or code contains it.
func (s *Store) Departments(ctx context.Context, q string) ([]DeptOption, error) {
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit.Departments: %w", err)
	}
	key := jp.Key(q)
	var out []DeptOption
	for _, d := range tree.Flat() {
		if d.Active && (key == "" || strings.Contains(jp.Key(d.Path), key) || strings.Contains(jp.Key(d.Code), key)) {
			out = append(out, DeptOption{ID: d.ID, Code: d.Code, Name: d.Name, Path: d.Path, Depth: d.Depth, HasCounter: d.HasCounter})
		}
	}
	return out, nil
}

// ProfileOf returns a department's saved profile (all no when none).
func (s *Store) ProfileOf(ctx context.Context, deptID int64) (Profile, error) {
	p := Profile{DepartmentID: deptID}
	var systems string
	var at database.Time
	err := s.db.QueryRow(ctx, `SELECT mynumber, system_owner, server_room, cloud_user, outsourcer, systems, updated_at
		FROM department_profiles WHERE department_id = ?`, deptID).Scan(&p.MyNumber, &p.SystemOwner, &p.ServerRoom, &p.CloudUser, &p.Outsourcer, &systems, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("audit.ProfileOf: %w", err)
	}
	p.Saved, p.UpdatedAt, p.Systems = true, at.Time, SystemLines(systems)
	return p, nil
}

// SaveProfile stores a department's audit scope, audited. A department
// that does not exist is database.ErrNotFound.
func (s *Store) SaveProfile(ctx context.Context, p Profile) error {
	if msg := CheckProfile(p); msg != "" {
		return fmt.Errorf("audit.SaveProfile: %s", msg)
	}
	d, err := s.org.Department(ctx, p.DepartmentID)
	if err != nil {
		return fmt.Errorf("audit.SaveProfile: %w", err)
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		_, err := s.db.Exec(ctx, `INSERT INTO department_profiles (department_id, mynumber, system_owner, server_room, cloud_user, outsourcer, systems, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (department_id) DO UPDATE SET mynumber = excluded.mynumber, system_owner = excluded.system_owner, server_room = excluded.server_room,
			cloud_user = excluded.cloud_user, outsourcer = excluded.outsourcer, systems = excluded.systems, updated_at = excluded.updated_at`,
			p.DepartmentID, p.MyNumber, p.SystemOwner, p.ServerRoom, p.CloudUser, p.Outsourcer, strings.Join(p.Systems, "\n"), database.T(s.now()))
		if err != nil {
			return fmt.Errorf("audit.SaveProfile: %w", err)
		}
		var on []string
		for _, c := range p.Codes(false) {
			on = append(on, catalog.Applicability[c])
		}
		detail := fmt.Sprintf("%sの監査範囲: %s／所管システム %d 件", d.Name, orNone(strings.Join(on, "、")), len(p.Systems))
		return s.log.Record(ctx, "catalog.department_profile", fmt.Sprintf("department:%d", p.DepartmentID), detail)
	})
}

// SystemOwners lists the systems active departments own, by name.
func (s *Store) SystemOwners(ctx context.Context) ([]SystemOwner, error) {
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit.SystemOwners: %w", err)
	}
	rows, err := s.db.Query(ctx, "SELECT department_id, systems FROM department_profiles WHERE systems <> ''")
	if err != nil {
		return nil, fmt.Errorf("audit.SystemOwners: %w", err)
	}
	defer rows.Close()
	type profile struct {
		dept    *org.Department
		systems string
	}
	var ps []profile
	for rows.Next() {
		var id int64
		var systems string
		if err := rows.Scan(&id, &systems); err != nil {
			return nil, err
		}
		if d := tree.ByID[id]; d != nil && d.Active {
			ps = append(ps, profile{d, systems})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(ps, func(i, j int) bool {
		a, b := ps[i].dept, ps[j].dept
		if a.SortOrder != b.SortOrder {
			return a.SortOrder < b.SortOrder
		}
		return a.Code < b.Code
	})
	var out []SystemOwner
	for _, p := range ps {
		for _, sys := range SystemLines(p.systems) {
			out = append(out, SystemOwner{Name: sys, DepartmentID: p.dept.ID, Department: p.dept.Name})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Build loads the template and the department and selects the items.
// Invalid choices come back as problems, with nothing built.
func (s *Store) Build(ctx context.Context, req BuildRequest) (*BuildResult, []BuildProblem, error) {
	ps := req.Check()
	if len(ps) > 0 {
		return nil, ps, nil
	}
	t, err := s.cat.Template(ctx, req.TemplateID)
	if errors.Is(err, database.ErrNotFound) {
		return nil, []BuildProblem{{"template", "選んだチェックリストは登録されていません"}}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	items, err := s.cat.Items(ctx, catalog.ItemFilter{TemplateID: t.ID})
	if err != nil {
		return nil, nil, err
	}
	if len(items) == 0 {
		return nil, []BuildProblem{{"template", "選んだチェックリストには項目がありません"}}, nil
	}
	res := &BuildResult{Request: req, Template: t}
	if req.DepartmentID > 0 {
		ds, err := s.Departments(ctx, "")
		if err != nil {
			return nil, nil, err
		}
		for _, d := range ds {
			if d.ID == req.DepartmentID {
				res.Department = d.Path
			}
		}
		if res.Department == "" {
			return nil, []BuildProblem{{"department", "選んだ所属は登録されていないか、廃止されています"}}, nil
		}
	}
	switch {
	case req.System != "" && res.Department != "":
		res.Target = req.System + "（" + res.Department + "）"
	case req.System != "":
		res.Target = req.System
	default:
		res.Target = res.Department
	}
	res.Included, res.Excluded = SelectItems(items, req)
	return res, nil, nil
}

var errTitleTooLong = errors.New("名称は 200 文字までにしてください")

// SaveBuilt stores a built checklist with each item's reason, audited,
// and returns its id.
func (s *Store) SaveBuilt(ctx context.Context, res *BuildResult, title string, userID int64) (int64, error) {
	title = cleanText(title)
	if title == "" {
		title = res.DefaultTitle()
	}
	if utf8.RuneCountInString(title) > 200 {
		return 0, fmt.Errorf("audit.SaveBuilt: %w", errTitleTooLong)
	}
	var id int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var dept, by any
		if res.Request.DepartmentID > 0 {
			dept = res.Request.DepartmentID
		}
		if userID > 0 {
			by = userID
		}
		var err error
		id, err = s.db.InsertID(ctx, `INSERT INTO built_checklists (template_id, title, department_id, system_name, characteristics, threats,
			include_recommended, excluded_count, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			res.Template.ID, title, dept, res.Request.System, strings.Join(res.Request.Scope, ","), strings.Join(res.Request.Threats, ","),
			res.Request.IncludeRecommended, len(res.Excluded), by, database.T(s.now()))
		if err != nil {
			return err
		}
		for i, it := range res.Included {
			if _, err := s.db.Exec(ctx, "INSERT INTO built_checklist_items (built_id, item_code, sort_order, reason, threat_match) VALUES (?, ?, ?, ?, ?)",
				id, it.Item.Code, i+1, it.Reason(), len(it.ThreatMatch) > 0); err != nil {
				return err
			}
		}
		return s.log.Record(ctx, "catalog.checklist_build", fmt.Sprintf("built_checklist:%d", id),
			fmt.Sprintf("「%s」を %s %s版から作成（%d 項目、対象外 %d）", title, catalog.Kinds[res.Template.Kind], jp.FiscalYearLabel(res.Template.Version),
				len(res.Included), len(res.Excluded)))
	})
	if err != nil {
		return 0, fmt.Errorf("audit.SaveBuilt: %w", err)
	}
	return id, nil
}

const builtCols = `b.id, b.template_id, t.title, t.kind, t.version, b.title, COALESCE(b.department_id, 0), b.system_name,
	b.characteristics, b.threats, b.include_recommended, b.excluded_count, COALESCE(u.display_name, ''), b.created_at,
	(SELECT COUNT(*) FROM built_checklist_items bi WHERE bi.built_id = b.id)`

const builtFrom = ` FROM built_checklists b JOIN checklist_templates t ON t.id = b.template_id LEFT JOIN users u ON u.id = b.created_by`

func scanBuilt(sc interface{ Scan(...any) error }) (BuiltChecklist, error) {
	var b BuiltChecklist
	var scope, threats string
	var at database.Time
	err := sc.Scan(&b.ID, &b.TemplateID, &b.TemplateTitle, &b.Kind, &b.Version, &b.Title, &b.DepartmentID, &b.System,
		&scope, &threats, &b.IncludeRecommended, &b.Excluded, &b.CreatedBy, &at, &b.Items)
	b.Scope, b.Threats, b.CreatedAt = splitList(scope), splitList(threats), at.Time
	return b, err
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// departmentNames fills the department names of saved checklists.
func (s *Store) departmentNames(ctx context.Context, bs []BuiltChecklist) error {
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return err
	}
	for i := range bs {
		if d := tree.ByID[bs[i].DepartmentID]; d != nil {
			bs[i].Department = d.Name
		}
	}
	return nil
}

// BuiltChecklists lists the saved checklists, newest first.
func (s *Store) BuiltChecklists(ctx context.Context) ([]BuiltChecklist, error) {
	rows, err := s.db.Query(ctx, "SELECT "+builtCols+builtFrom+" ORDER BY b.id DESC")
	if err != nil {
		return nil, fmt.Errorf("audit.BuiltChecklists: %w", err)
	}
	defer rows.Close()
	var out []BuiltChecklist
	for rows.Next() {
		b, err := scanBuilt(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, s.departmentNames(ctx, out)
}

// Built returns a saved checklist and its items in order, with reasons.
// Items are found by code in the template, so that re-importing an
// unfrozen template keeps them; an item since removed shows as such.
func (s *Store) Built(ctx context.Context, id int64) (BuiltChecklist, []BuiltItem, error) {
	b, err := scanBuilt(s.db.QueryRow(ctx, "SELECT "+builtCols+builtFrom+" WHERE b.id = ?", id))
	if err != nil {
		return b, nil, database.NotFound("audit.Built", err)
	}
	one := []BuiltChecklist{b}
	if err := s.departmentNames(ctx, one); err != nil {
		return b, nil, err
	}
	b = one[0]
	rows, err := s.db.Query(ctx, "SELECT bi.item_code, bi.reason, bi.threat_match FROM built_checklist_items bi WHERE bi.built_id = ? ORDER BY bi.sort_order", id)
	if err != nil {
		return b, nil, fmt.Errorf("audit.Built: %w", err)
	}
	type entry struct {
		code   string
		reason string
		threat bool
	}
	var es []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.code, &e.reason, &e.threat); err != nil {
			rows.Close()
			return b, nil, err
		}
		es = append(es, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return b, nil, err
	}
	items, err := s.cat.Items(ctx, catalog.ItemFilter{TemplateID: b.TemplateID})
	if err != nil {
		return b, nil, err
	}
	byCode := map[string]catalog.StoredItem{}
	for _, it := range items {
		byCode[it.Code] = it
	}
	threats := map[string]bool{}
	for _, t := range b.Threats {
		threats[t] = true
	}
	out := make([]BuiltItem, 0, len(es))
	for _, e := range es {
		it, ok := byCode[e.code]
		if !ok {
			it = catalog.StoredItem{Code: e.code, Question: "（この項目はテンプレートから削除されています）"}
			b.Removed++
		}
		bi := BuiltItem{Item: it, Reasons: strings.Split(e.reason, "\n")}
		if e.threat {
			for _, t := range it.Threats {
				if threats[t] {
					bi.ThreatMatch = append(bi.ThreatMatch, catalog.Threats[t])
				}
			}
		}
		out = append(out, bi)
	}
	return b, out, nil
}

// builtItemUse tells the catalogue which items of a template saved
// checklists use (catalog.ItemUse), so that an import cannot delete them.
func builtItemUse(ctx context.Context, db *database.DB, templateID int64) (map[string][]string, error) {
	rows, err := db.Query(ctx, `SELECT bi.item_code, b.title FROM built_checklist_items bi JOIN built_checklists b ON b.id = bi.built_id
		WHERE b.template_id = ? ORDER BY b.id`, templateID)
	if err != nil {
		return nil, fmt.Errorf("audit: items in use: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var code, title string
		if err := rows.Scan(&code, &title); err != nil {
			return nil, err
		}
		out[code] = append(out[code], title)
	}
	return out, rows.Err()
}
