package catalog

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
	"mamori/internal/database"
	"mamori/internal/docgen"
	"mamori/internal/jp"
)

// This file builds the checklist for one audit from a template: the items
// that apply to the department (or system) audited, each with the reason
// it was included, items on the chosen priority threats first. A
// department's audit scope (what it does that makes items apply) is kept
// as its profile so the next audit starts from it.

// ScopeCodes are the characteristics an audit target can have, in the
// order the screens show them (the applicability codes except "all").
var ScopeCodes = []string{"counter", "mynumber", "system_owner", "server_room", "cloud_user", "outsourcer"}

// scopeReasons say why an item applies, per characteristic.
var scopeReasons = map[string]string{
	"counter":      "窓口のある所属のため",
	"mynumber":     "個人番号を扱う事務があるため",
	"system_owner": "情報システムを所管する所属のため",
	"server_room":  "サーバ室のある所属のため",
	"cloud_user":   "クラウドサービスを利用しているため",
	"outsourcer":   "業務を委託しているため",
}

// HistoryNote says plainly that past findings and incidents do not weigh
// the selection yet.
const HistoryNote = "過去の監査の指摘事項とインシデントによる重み付けは、監査とインシデントの機能に記録がたまってから使います。現在の選定には使っていません。"

// DeptOption is a department offered on the build screen.
type DeptOption struct {
	ID         int64
	Code, Name string
	Path       string // 「総務部 情報政策課」
	Depth      int
	HasCounter bool
}

// BuildDepartments lists active departments in tree order; q (if any)
// keeps those whose name, path or code contains it.
func (s *Store) BuildDepartments(ctx context.Context, q string) ([]DeptOption, error) {
	rows, err := s.db.Query(ctx, "SELECT id, code, name, COALESCE(parent_id, 0), active, has_counter FROM departments ORDER BY sort_order, code")
	if err != nil {
		return nil, fmt.Errorf("catalog.BuildDepartments: %w", err)
	}
	defer rows.Close()
	type node struct {
		d        DeptOption
		parent   int64
		active   bool
		children []*node
	}
	byID := map[int64]*node{}
	var all []*node
	for rows.Next() {
		n := &node{}
		if err := rows.Scan(&n.d.ID, &n.d.Code, &n.d.Name, &n.parent, &n.active, &n.d.HasCounter); err != nil {
			return nil, err
		}
		byID[n.d.ID] = n
		all = append(all, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var roots []*node
	for _, n := range all {
		if p := byID[n.parent]; p != nil && p != n {
			p.children = append(p.children, n)
		} else {
			roots = append(roots, n)
		}
	}
	var out []DeptOption
	key := jp.Key(q)
	var walk func([]*node, string, int)
	walk = func(ns []*node, prefix string, depth int) {
		for _, n := range ns {
			n.d.Path = strings.TrimSpace(prefix + " " + n.d.Name)
			n.d.Depth = depth
			if n.active && (key == "" || strings.Contains(jp.Key(n.d.Path), key) || strings.Contains(jp.Key(n.d.Code), key)) {
				out = append(out, n.d)
			}
			walk(n.children, n.d.Path, depth+1)
		}
	}
	walk(roots, "", 0)
	return out, nil
}

// Profile is a department's audit scope.
type Profile struct {
	DepartmentID                                             int64
	MyNumber, SystemOwner, ServerRoom, CloudUser, Outsourcer bool
	Systems                                                  []string // names of the systems it owns
	UpdatedAt                                                time.Time
	Saved                                                    bool // false: never saved, all no
}

// Codes are the profile's characteristics as applicability codes, with
// the counter taken from the department.
func (p Profile) Codes(hasCounter bool) []string {
	var out []string
	for _, kv := range []struct {
		code string
		on   bool
	}{{"counter", hasCounter}, {"mynumber", p.MyNumber}, {"system_owner", p.SystemOwner}, {"server_room", p.ServerRoom},
		{"cloud_user", p.CloudUser}, {"outsourcer", p.Outsourcer}} {
		if kv.on {
			out = append(out, kv.code)
		}
	}
	return out
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
		return p, fmt.Errorf("catalog.ProfileOf: %w", err)
	}
	p.Saved, p.UpdatedAt, p.Systems = true, at.Time, SystemLines(systems)
	return p, nil
}

// SystemLines reads the systems textarea: one name per line, trimmed,
// blanks and repeats dropped.
func SystemLines(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		l = cleanText(l)
		if l != "" && !seen[l] {
			out = append(out, l)
			seen[l] = true
		}
	}
	return out
}

// CheckProfile returns what is wrong with a profile's systems, if anything.
func CheckProfile(p Profile) string {
	if len(p.Systems) > 50 {
		return "所管システムは 50 件までにしてください"
	}
	for _, s := range p.Systems {
		if utf8.RuneCountInString(s) > 100 {
			return fmt.Sprintf("システム名「%s…」が長すぎます（100 文字まで）", string([]rune(s)[:20]))
		}
	}
	return ""
}

// SaveProfile stores a department's audit scope, audited.
func SaveProfile(ctx context.Context, db *database.DB, log *auditlog.Log, p Profile, now time.Time) error {
	if msg := CheckProfile(p); msg != "" {
		return fmt.Errorf("catalog.SaveProfile: %s", msg)
	}
	return db.WithTx(ctx, func(ctx context.Context) error {
		var name string
		if err := db.QueryRow(ctx, "SELECT name FROM departments WHERE id = ?", p.DepartmentID).Scan(&name); err != nil {
			return database.NotFound("catalog.SaveProfile", err)
		}
		_, err := db.Exec(ctx, `INSERT INTO department_profiles (department_id, mynumber, system_owner, server_room, cloud_user, outsourcer, systems, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (department_id) DO UPDATE SET mynumber = excluded.mynumber, system_owner = excluded.system_owner, server_room = excluded.server_room,
			cloud_user = excluded.cloud_user, outsourcer = excluded.outsourcer, systems = excluded.systems, updated_at = excluded.updated_at`,
			p.DepartmentID, p.MyNumber, p.SystemOwner, p.ServerRoom, p.CloudUser, p.Outsourcer, strings.Join(p.Systems, "\n"), database.T(now))
		if err != nil {
			return fmt.Errorf("catalog.SaveProfile: %w", err)
		}
		var on []string
		for _, c := range p.Codes(false) {
			on = append(on, Applicability[c])
		}
		detail := fmt.Sprintf("%sの監査範囲: %s／所管システム %d 件", name, orNone(strings.Join(on, "、")), len(p.Systems))
		return log.Record(ctx, "catalog.department_profile", fmt.Sprintf("department:%d", p.DepartmentID), detail)
	})
}

func orNone(s string) string {
	if s == "" {
		return "該当なし"
	}
	return s
}

// SystemOwner is a system named in a department's profile.
type SystemOwner struct {
	Name         string
	DepartmentID int64
	Department   string
}

// SystemOwners lists the systems departments own, by name.
func (s *Store) SystemOwners(ctx context.Context) ([]SystemOwner, error) {
	rows, err := s.db.Query(ctx, `SELECT p.department_id, d.name, p.systems FROM department_profiles p JOIN departments d ON d.id = p.department_id
		WHERE p.systems <> '' AND d.active = TRUE ORDER BY d.sort_order, d.code`)
	if err != nil {
		return nil, fmt.Errorf("catalog.SystemOwners: %w", err)
	}
	defer rows.Close()
	var out []SystemOwner
	for rows.Next() {
		var id int64
		var name, systems string
		if err := rows.Scan(&id, &name, &systems); err != nil {
			return nil, err
		}
		for _, sys := range SystemLines(systems) {
			out = append(out, SystemOwner{Name: sys, DepartmentID: id, Department: name})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// BuildRequest is what the build screen asks for.
type BuildRequest struct {
	TemplateID         int64
	DepartmentID       int64
	System             string
	Scope              []string // characteristics (applicability codes)
	Threats            []string // priority threat tags
	IncludeRecommended bool
}

// BuildProblem is one invalid choice on the build screen.
type BuildProblem struct {
	Field string // form field
	Msg   string
}

// Check validates the request's own values (not the database's).
func (r *BuildRequest) Check() []BuildProblem {
	var ps []BuildProblem
	if r.TemplateID <= 0 {
		ps = append(ps, BuildProblem{"template", "元にするチェックリストを選んでください"})
	}
	r.System = cleanText(r.System)
	if r.DepartmentID <= 0 && r.System == "" {
		ps = append(ps, BuildProblem{"department", "監査する所属を選ぶか、システム名を入れてください"})
	}
	if utf8.RuneCountInString(r.System) > 100 {
		ps = append(ps, BuildProblem{"system", "システム名は 100 文字までにしてください"})
	}
	for _, c := range r.Scope {
		if scopeReasons[c] == "" {
			ps = append(ps, BuildProblem{"scope", fmt.Sprintf("特性「%s」は定義されていません", c)})
		}
	}
	for _, t := range r.Threats {
		if Threats[t] == "" {
			ps = append(ps, BuildProblem{"threats", fmt.Sprintf("脅威「%s」は定義されていません", t)})
		}
	}
	return ps
}

// BuiltItem is an item included in a built checklist, with why.
type BuiltItem struct {
	Item    StoredItem
	Reasons []string
	// ThreatMatch names the priority threats the item is about (labels);
	// such items come first.
	ThreatMatch []string
}

// Reason is the reasons one per line, as stored and exported.
func (b BuiltItem) Reason() string { return strings.Join(b.Reasons, "\n") }

// ExcludedItem is an item left out, with why.
type ExcludedItem struct {
	Item   StoredItem
	Reason string
}

// BuildResult is a checklist built for one audit (not saved yet).
type BuildResult struct {
	Request    BuildRequest
	Template   StoredTemplate
	Department string // name path, "" for a system without a known owner
	Target     string // what is audited, for titles
	Included   []BuiltItem
	Excluded   []ExcludedItem
}

// ThreatItems counts included items on a priority threat.
func (b *BuildResult) ThreatItems() int {
	n := 0
	for _, it := range b.Included {
		if len(it.ThreatMatch) > 0 {
			n++
		}
	}
	return n
}

// SelectItems decides, for each item of a template, whether it belongs in
// the checklist of an audit with the given characteristics and priority
// threats, and why. Items on a priority threat come first, each group in
// template order. With only required items, a recommended item is still
// included when it is on a priority threat.
func SelectItems(items []StoredItem, req BuildRequest) ([]BuiltItem, []ExcludedItem) {
	scope := map[string]bool{}
	for _, c := range req.Scope {
		scope[c] = true
	}
	threats := map[string]bool{}
	for _, t := range req.Threats {
		threats[t] = true
	}
	var first, rest []BuiltItem
	var excluded []ExcludedItem
	for _, it := range items {
		var reasons []string
		all := len(it.Applicability) == 0
		for _, a := range it.Applicability {
			if a == "all" {
				all = true
			}
		}
		if all {
			reasons = append(reasons, "全所属に適用")
		} else {
			for _, a := range it.Applicability {
				if !scope[a] {
					continue
				}
				r := scopeReasons[a]
				if a == "system_owner" && req.System != "" {
					r = "情報システム（" + req.System + "）を対象とするため"
				}
				reasons = append(reasons, r)
			}
		}
		if len(reasons) == 0 {
			var need []string
			for _, a := range it.Applicability {
				need = append(need, Applicability[a])
			}
			excluded = append(excluded, ExcludedItem{Item: it, Reason: "対象外：" + strings.Join(need, "・") + "が対象の項目で、この監査には当てはまらないため"})
			continue
		}
		var match []string
		for _, t := range it.Threats {
			if threats[t] {
				match = append(match, Threats[t])
			}
		}
		if it.Priority != "required" && !req.IncludeRecommended {
			if len(match) == 0 {
				excluded = append(excluded, ExcludedItem{Item: it, Reason: "推奨の項目のため（必須の項目だけで作成）"})
				continue
			}
			reasons = append(reasons, "推奨の項目だが重点脅威に関わるため含める")
		}
		for _, m := range match {
			reasons = append(reasons, "重点脅威："+m)
		}
		b := BuiltItem{Item: it, Reasons: reasons, ThreatMatch: match}
		if len(match) > 0 {
			first = append(first, b)
		} else {
			rest = append(rest, b)
		}
	}
	return append(first, rest...), excluded
}

// Build loads the template and the department and selects the items.
// Invalid choices come back as problems, with nothing built.
func (s *Store) Build(ctx context.Context, req BuildRequest) (*BuildResult, []BuildProblem, error) {
	ps := req.Check()
	if len(ps) > 0 {
		return nil, ps, nil
	}
	t, err := s.Template(ctx, req.TemplateID)
	if errors.Is(err, database.ErrNotFound) {
		return nil, []BuildProblem{{"template", "選んだチェックリストは登録されていません"}}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	items, err := s.Items(ctx, ItemFilter{TemplateID: t.ID})
	if err != nil {
		return nil, nil, err
	}
	if len(items) == 0 {
		return nil, []BuildProblem{{"template", "選んだチェックリストには項目がありません"}}, nil
	}
	res := &BuildResult{Request: req, Template: t}
	if req.DepartmentID > 0 {
		ds, err := s.BuildDepartments(ctx, "")
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

// DefaultTitle is the suggested name of a built checklist.
func (b *BuildResult) DefaultTitle() string {
	return fmt.Sprintf("%s %s（%s）", b.Target, Kinds[b.Template.Kind], jp.FiscalYearLabel(b.Template.Version))
}

// BuiltChecklist is a saved checklist for one audit.
type BuiltChecklist struct {
	ID                 int64
	TemplateID         int64
	TemplateTitle      string
	Kind               string
	Version            int
	Title              string
	DepartmentID       int64
	Department         string
	System             string
	Scope              []string
	Threats            []string
	IncludeRecommended bool
	Items, Excluded    int
	Removed            int // items since removed from the template
	CreatedBy          string
	CreatedAt          time.Time
}

// KindLabel is the template kind's Japanese name.
func (b BuiltChecklist) KindLabel() string { return Kinds[b.Kind] }

// SaveBuilt stores a built checklist with each item's reason, audited,
// and returns its id.
func SaveBuilt(ctx context.Context, db *database.DB, log *auditlog.Log, res *BuildResult, title string, userID int64, now time.Time) (int64, error) {
	title = cleanText(title)
	if title == "" {
		title = res.DefaultTitle()
	}
	if utf8.RuneCountInString(title) > 200 {
		return 0, fmt.Errorf("catalog.SaveBuilt: %w", errTitleTooLong)
	}
	var id int64
	err := db.WithTx(ctx, func(ctx context.Context) error {
		var dept, by any
		if res.Request.DepartmentID > 0 {
			dept = res.Request.DepartmentID
		}
		if userID > 0 {
			by = userID
		}
		var err error
		id, err = db.InsertID(ctx, `INSERT INTO built_checklists (template_id, title, department_id, system_name, characteristics, threats,
			include_recommended, excluded_count, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			res.Template.ID, title, dept, res.Request.System, strings.Join(res.Request.Scope, ","), strings.Join(res.Request.Threats, ","),
			res.Request.IncludeRecommended, len(res.Excluded), by, database.T(now))
		if err != nil {
			return err
		}
		for i, it := range res.Included {
			if _, err := db.Exec(ctx, "INSERT INTO built_checklist_items (built_id, item_code, sort_order, reason, threat_match) VALUES (?, ?, ?, ?, ?)",
				id, it.Item.Code, i+1, it.Reason(), len(it.ThreatMatch) > 0); err != nil {
				return err
			}
		}
		return log.Record(ctx, "catalog.checklist_build", fmt.Sprintf("built_checklist:%d", id),
			fmt.Sprintf("「%s」を %s %s版から作成（%d 項目、対象外 %d）", title, Kinds[res.Template.Kind], jp.FiscalYearLabel(res.Template.Version), len(res.Included), len(res.Excluded)))
	})
	if err != nil {
		return 0, fmt.Errorf("catalog.SaveBuilt: %w", err)
	}
	return id, nil
}

var errTitleTooLong = errors.New("名称は 200 文字までにしてください")

const builtCols = `b.id, b.template_id, t.title, t.kind, t.version, b.title, COALESCE(b.department_id, 0), COALESCE(d.name, ''), b.system_name,
	b.characteristics, b.threats, b.include_recommended, b.excluded_count, COALESCE(u.display_name, ''), b.created_at,
	(SELECT COUNT(*) FROM built_checklist_items bi WHERE bi.built_id = b.id)`

const builtFrom = ` FROM built_checklists b JOIN checklist_templates t ON t.id = b.template_id
	LEFT JOIN departments d ON d.id = b.department_id LEFT JOIN users u ON u.id = b.created_by`

func scanBuilt(sc interface{ Scan(...any) error }) (BuiltChecklist, error) {
	var b BuiltChecklist
	var scope, threats string
	var at database.Time
	err := sc.Scan(&b.ID, &b.TemplateID, &b.TemplateTitle, &b.Kind, &b.Version, &b.Title, &b.DepartmentID, &b.Department, &b.System,
		&scope, &threats, &b.IncludeRecommended, &b.Excluded, &b.CreatedBy, &at, &b.Items)
	b.Scope, b.Threats, b.CreatedAt = splitList(scope, ","), splitList(threats, ","), at.Time
	return b, err
}

// BuiltChecklists lists the saved checklists, newest first.
func (s *Store) BuiltChecklists(ctx context.Context) ([]BuiltChecklist, error) {
	rows, err := s.db.Query(ctx, "SELECT "+builtCols+builtFrom+" ORDER BY b.id DESC")
	if err != nil {
		return nil, fmt.Errorf("catalog.BuiltChecklists: %w", err)
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
	return out, rows.Err()
}

// Built returns a saved checklist and its items in order, with reasons.
func (s *Store) Built(ctx context.Context, id int64) (BuiltChecklist, []BuiltItem, error) {
	b, err := scanBuilt(s.db.QueryRow(ctx, "SELECT "+builtCols+builtFrom+" WHERE b.id = ?", id))
	if err != nil {
		return b, nil, database.NotFound("catalog.Built", err)
	}
	rows, err := s.db.Query(ctx, "SELECT bi.item_code, bi.reason, bi.threat_match FROM built_checklist_items bi WHERE bi.built_id = ? ORDER BY bi.sort_order", id)
	if err != nil {
		return b, nil, fmt.Errorf("catalog.Built: %w", err)
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
	items, err := s.Items(ctx, ItemFilter{TemplateID: b.TemplateID})
	if err != nil {
		return b, nil, err
	}
	byCode := map[string]StoredItem{}
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
			// Removed from the template after the checklist was saved.
			it = StoredItem{Code: e.code, Question: "（この項目はテンプレートから削除されています）"}
			b.Removed++
		}
		bi := BuiltItem{Item: it, Reasons: strings.Split(e.reason, "\n")}
		if e.threat {
			for _, t := range it.Threats {
				if threats[t] {
					bi.ThreatMatch = append(bi.ThreatMatch, Threats[t])
				}
			}
		}
		out = append(out, bi)
	}
	return b, out, nil
}

// BuiltDocument is a saved checklist in the ward's spreadsheet layout,
// with the reason for each item in a last column.
func BuiltDocument(b BuiltChecklist, items []BuiltItem, ward string) *docgen.Document {
	t := StoredTemplate{ID: b.TemplateID, Kind: b.Kind, Version: b.Version, Title: b.TemplateTitle}
	stored := make([]StoredItem, len(items))
	reasons := map[int64]string{}
	for i, it := range items {
		stored[i] = it.Item
		reasons[it.Item.ID] = it.Reason()
	}
	return checklistWorkbook(t, stored, ward, &workbookExtra{Built: &b, Reasons: reasons})
}

// cleanText trims a user's text, collapses its runs of white space
// (U+3000 included) to one space and drops control characters, keeping
// the other characters as typed.
func cleanText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
