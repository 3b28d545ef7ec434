package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"mamori/internal/database"
	"mamori/internal/jp"
)

// StoredFramework is a framework edition in the database.
type StoredFramework struct {
	ID               int64
	Code, Version    string
	Title, Publisher string
	Clauses, Covered int
	// ViaMapping counts clauses no item checks directly but that are
	// mapped (either direction) to a clause an item checks.
	ViaMapping int
}

// StoredClause is a clause in the database, with how many items check it.
type StoredClause struct {
	ID             int64
	FrameworkID    int64
	Framework      string // code
	FrameworkTitle string // for the short name of a framework without one (see names.go)
	Number, Title  string
	Summary, Note  string
	Required       bool
	ParentID       int64
	Depth          int
	Items          int
}

// StoredTemplate is a checklist template version.
type StoredTemplate struct {
	ID      int64
	Kind    string
	Version int
	Title   string
	Frozen  bool
	Items   int
}

// KindLabel is the template kind's Japanese name.
func (t StoredTemplate) KindLabel() string { return Kinds[t.Kind] }

// StoredItem is a checklist item as stored.
type StoredItem struct {
	ID             int64
	TemplateID     int64
	Code           string
	Category       string
	Question       string
	Criteria       Criteria
	Evidence       []string
	Methods        []string
	Techniques     []string
	Priority       string
	SiteInspection bool
	Applicability  []string
	Threats        []string
	PreSurvey      bool
	Notes          string
	Audience       []string
	Clauses        []StoredClause
	Pos            int // place in its template's order (1-based; set when listing one template)
}

// Store reads the catalogue from the database.
type Store struct{ db *database.DB }

// NewStore returns a store on db.
func NewStore(db *database.DB) *Store { return &Store{db: db} }

// Frameworks lists every stored edition with clause and coverage counts.
func (s *Store) Frameworks(ctx context.Context) ([]StoredFramework, error) {
	rows, err := s.db.Query(ctx, `SELECT f.id, f.code, f.version, f.title, f.publisher,
		(SELECT COUNT(*) FROM clauses c WHERE c.framework_id = f.id),
		(SELECT COUNT(DISTINCT ic.clause_id) FROM checklist_item_clauses ic JOIN clauses c ON c.id = ic.clause_id WHERE c.framework_id = f.id),
		(SELECT COUNT(*) FROM clauses c WHERE c.framework_id = f.id `+viaMappingCond+`)
		FROM frameworks f ORDER BY f.code, f.version`)
	if err != nil {
		return nil, fmt.Errorf("catalog.Frameworks: %w", err)
	}
	defer rows.Close()
	var out []StoredFramework
	for rows.Next() {
		var f StoredFramework
		if err := rows.Scan(&f.ID, &f.Code, &f.Version, &f.Title, &f.Publisher, &f.Clauses, &f.Covered, &f.ViaMapping); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Framework returns one edition.
func (s *Store) Framework(ctx context.Context, id int64) (StoredFramework, error) {
	var f StoredFramework
	err := s.db.QueryRow(ctx, "SELECT id, code, version, title, publisher FROM frameworks WHERE id = ?", id).Scan(&f.ID, &f.Code, &f.Version, &f.Title, &f.Publisher)
	return f, database.NotFound("catalog.Framework", err)
}

// FrameworkByCode returns the edition version of the framework code, or
// with version "" the edition stored last.
func (s *Store) FrameworkByCode(ctx context.Context, code, version string) (StoredFramework, error) {
	q, args := "SELECT id, code, version, title, publisher FROM frameworks WHERE code = ? AND version = ?", []any{code, version}
	if version == "" {
		q, args = "SELECT id, code, version, title, publisher FROM frameworks WHERE code = ? ORDER BY id DESC LIMIT 1", []any{code}
	}
	var f StoredFramework
	err := s.db.QueryRow(ctx, q, args...).Scan(&f.ID, &f.Code, &f.Version, &f.Title, &f.Publisher)
	return f, database.NotFound("catalog.FrameworkByCode", err)
}

// ClauseTree returns a framework's clauses in document order with depth
// and the number of items that check each.
func (s *Store) ClauseTree(ctx context.Context, fid int64) ([]StoredClause, error) {
	rows, err := s.db.Query(ctx, `SELECT c.id, f.code, f.title, c.number, c.title, c.summary, c.note, c.required, COALESCE(c.parent_id, 0),
		(SELECT COUNT(*) FROM checklist_item_clauses ic WHERE ic.clause_id = c.id)
		FROM clauses c JOIN frameworks f ON f.id = c.framework_id WHERE c.framework_id = ? ORDER BY c.sort_order`, fid)
	if err != nil {
		return nil, fmt.Errorf("catalog.ClauseTree: %w", err)
	}
	defer rows.Close()
	depth := map[int64]int{}
	var out []StoredClause
	for rows.Next() {
		c := StoredClause{FrameworkID: fid}
		if err := rows.Scan(&c.ID, &c.Framework, &c.FrameworkTitle, &c.Number, &c.Title, &c.Summary, &c.Note, &c.Required, &c.ParentID, &c.Items); err != nil {
			return nil, err
		}
		if c.ParentID != 0 {
			c.Depth = depth[c.ParentID] + 1
		}
		depth[c.ID] = c.Depth
		out = append(out, c)
	}
	return out, rows.Err()
}

// Clause returns one clause with its framework code.
func (s *Store) Clause(ctx context.Context, id int64) (StoredClause, error) {
	var c StoredClause
	err := s.db.QueryRow(ctx, `SELECT c.id, c.framework_id, f.code, f.title, c.number, c.title, c.summary, c.note, c.required, COALESCE(c.parent_id, 0)
		FROM clauses c JOIN frameworks f ON f.id = c.framework_id WHERE c.id = ?`, id).
		Scan(&c.ID, &c.FrameworkID, &c.Framework, &c.FrameworkTitle, &c.Number, &c.Title, &c.Summary, &c.Note, &c.Required, &c.ParentID)
	return c, database.NotFound("catalog.Clause", err)
}

// Templates lists the checklist templates, newest version first per kind.
func (s *Store) Templates(ctx context.Context) ([]StoredTemplate, error) {
	rows, err := s.db.Query(ctx, `SELECT t.id, t.kind, t.version, t.title, t.frozen, (SELECT COUNT(*) FROM checklist_items i WHERE i.template_id = t.id)
		FROM checklist_templates t ORDER BY t.kind, t.version DESC`)
	if err != nil {
		return nil, fmt.Errorf("catalog.Templates: %w", err)
	}
	defer rows.Close()
	var out []StoredTemplate
	for rows.Next() {
		var t StoredTemplate
		if err := rows.Scan(&t.ID, &t.Kind, &t.Version, &t.Title, &t.Frozen, &t.Items); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Template returns one template.
func (s *Store) Template(ctx context.Context, id int64) (StoredTemplate, error) {
	var t StoredTemplate
	err := s.db.QueryRow(ctx, "SELECT id, kind, version, title, frozen FROM checklist_templates WHERE id = ?", id).Scan(&t.ID, &t.Kind, &t.Version, &t.Title, &t.Frozen)
	return t, database.NotFound("catalog.Template", err)
}

// ItemFilter selects items of a template.
type ItemFilter struct {
	TemplateID int64
	ClauseID   int64 // items that check this clause (any template when TemplateID is 0)
	// Q is free text: every word of it (folded by jp.SearchWords: width,
	// hiragana/katakana and case do not matter) must appear in the item's
	// code, category, question, criteria, evidence, methods or notes.
	Q              string
	Group          string // the category's group (物理的セキュリティ of 物理的セキュリティ／サーバ等の管理)
	Priority       string
	Technique      string
	Threat         string
	Applicability  string
	SiteInspection bool
}

// Item orders of ItemPage: the checklist's own order (the default), by
// code, by category or by priority (必須 first); each breaks ties by the
// checklist's order.
const (
	ItemSortOrder    = "order"
	ItemSortCode     = "code"
	ItemSortCategory = "category"
	ItemSortPriority = "priority"
)

const itemCols = `i.id, i.template_id, i.code, i.category, i.question, i.criteria_conform, i.criteria_partial, i.criteria_nonconform,
	i.evidence, i.methods, i.techniques, i.priority, i.site_inspection, i.applicability, i.threats, i.pre_survey, i.notes, i.audience`

func splitList(s, sep string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, sep)
}

// Items returns the items matching f, in template order, with their clauses.
func (s *Store) Items(ctx context.Context, f ItemFilter) ([]StoredItem, error) {
	out, err := s.matchItems(ctx, f)
	if err != nil {
		return nil, err
	}
	return out, s.attachClauses(ctx, out)
}

// ItemPage is one page of the items matching f in the order sort (one of
// the ItemSort constants; desc reverses it), with their clauses, and how
// many items match in all. limit 0 means every matching item.
func (s *Store) ItemPage(ctx context.Context, f ItemFilter, sort string, desc bool, limit, offset int) ([]StoredItem, int, error) {
	all, err := s.matchItems(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	SortItems(all, sort, desc)
	total := len(all)
	page := all
	if limit > 0 {
		page = all[min(offset, total):min(offset+limit, total)]
	}
	page = slices.Clip(page)
	return page, total, s.attachClauses(ctx, page)
}

// SortItems orders items (in template order already) by sort, stably.
func SortItems(items []StoredItem, sort string, desc bool) {
	var cmp func(a, b StoredItem) int
	switch sort {
	case ItemSortCode:
		cmp = func(a, b StoredItem) int { return naturalCompare(a.Code, b.Code) }
	case ItemSortCategory:
		cmp = func(a, b StoredItem) int { return strings.Compare(a.Category, b.Category) }
	case ItemSortPriority:
		rank := func(p string) int {
			if i := slices.Index(PriorityOrder, p); i >= 0 {
				return i
			}
			return len(PriorityOrder)
		}
		cmp = func(a, b StoredItem) int { return rank(a.Priority) - rank(b.Priority) }
	default:
		if desc {
			slices.Reverse(items)
		}
		return
	}
	slices.SortStableFunc(items, func(a, b StoredItem) int {
		if desc {
			return cmp(b, a)
		}
		return cmp(a, b)
	})
}

// naturalCompare compares codes with their numbers as numbers, so that
// IN-4.2-01 comes before IN-10.1-01.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := leadingDigits(a), leadingDigits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := len(na) - len(nb); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func leadingDigits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// SearchText is what a search looks through on an item (jp.SearchText of
// its code, category, question, criteria, evidence, methods and notes).
func (it StoredItem) SearchText() string {
	return jp.SearchText(it.Code, it.Category, it.Question, it.Criteria.Conform, it.Criteria.Partial, it.Criteria.Nonconform,
		strings.Join(it.Evidence, "\n"), strings.Join(it.Methods, "\n"), it.Notes)
}

// matchItems returns the items matching f, in template order, without
// their clauses. The free text is matched here rather than in SQL, so that
// it folds width and kana the same on SQLite and PostgreSQL.
func (s *Store) matchItems(ctx context.Context, f ItemFilter) ([]StoredItem, error) {
	var conds []string
	var args []any
	if f.TemplateID != 0 {
		conds, args = append(conds, "i.template_id = ?"), append(args, f.TemplateID)
	}
	if f.ClauseID != 0 {
		conds, args = append(conds, "i.id IN (SELECT item_id FROM checklist_item_clauses WHERE clause_id = ?)"), append(args, f.ClauseID)
	}
	for _, kv := range []struct{ col, v string }{{"i.techniques", f.Technique}, {"i.threats", f.Threat}, {"i.applicability", f.Applicability}} {
		if kv.v != "" {
			conds = append(conds, "(','||"+kv.col+"||',') LIKE ?")
			args = append(args, "%,"+kv.v+",%")
		}
	}
	if f.Priority != "" {
		conds, args = append(conds, "i.priority = ?"), append(args, f.Priority)
	}
	if f.SiteInspection {
		conds = append(conds, "i.site_inspection = TRUE")
	}
	q := "SELECT " + itemCols + " FROM checklist_items i"
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	q += " ORDER BY i.template_id, i.sort_order"
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog.Items: %w", err)
	}
	defer rows.Close()
	words := jp.SearchWords(f.Q)
	var out []StoredItem
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		if len(words) > 0 && !jp.MatchWords(it.SearchText(), words) {
			continue
		}
		if f.Group != "" {
			if g, _ := splitCategory(it.Category); g != f.Group {
				continue
			}
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if f.TemplateID != 0 && len(out) > 0 {
		pos, err := s.itemPositions(ctx, f.TemplateID)
		if err != nil {
			return nil, err
		}
		for i := range out {
			out[i].Pos = pos[out[i].ID]
		}
	}
	return out, nil
}

// itemPositions are the places (1-based) of a template's items in its order.
func (s *Store) itemPositions(ctx context.Context, tid int64) (map[int64]int, error) {
	rows, err := s.db.Query(ctx, "SELECT id FROM checklist_items WHERE template_id = ? ORDER BY sort_order", tid)
	if err != nil {
		return nil, fmt.Errorf("catalog.itemPositions: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = len(out) + 1
	}
	return out, rows.Err()
}

// ItemGroups are the category groups of a template's items, in order of
// first appearance (the printed checklist's sections).
func (s *Store) ItemGroups(ctx context.Context, tid int64) ([]string, error) {
	rows, err := s.db.Query(ctx, "SELECT category FROM checklist_items WHERE template_id = ? ORDER BY sort_order", tid)
	if err != nil {
		return nil, fmt.Errorf("catalog.ItemGroups: %w", err)
	}
	defer rows.Close()
	var out []string
	seen := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		if g, _ := splitCategory(c); !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out, rows.Err()
}

func scanItem(sc interface{ Scan(...any) error }) (StoredItem, error) {
	var it StoredItem
	var ev, me, te, ap, th, au string
	err := sc.Scan(&it.ID, &it.TemplateID, &it.Code, &it.Category, &it.Question, &it.Criteria.Conform, &it.Criteria.Partial, &it.Criteria.Nonconform,
		&ev, &me, &te, &it.Priority, &it.SiteInspection, &ap, &th, &it.PreSurvey, &it.Notes, &au)
	it.Audience = splitList(au, ",")
	it.Evidence, it.Methods, it.Techniques, it.Applicability, it.Threats = splitList(ev, "\n"), splitList(me, "\n"), splitList(te, ","), splitList(ap, ","), splitList(th, ",")
	return it, err
}

// codeTaken reports whether another item than except in template tid has
// the code, and that item's question.
func (s *Store) codeTaken(ctx context.Context, tid int64, code string, except int64) (question string, taken bool, err error) {
	err = s.db.QueryRow(ctx, "SELECT question FROM checklist_items WHERE template_id = ? AND code = ? AND id <> ?", tid, code, except).Scan(&question)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("catalog.codeTaken: %w", err)
	}
	return question, true, nil
}

// Item returns one item with its clauses.
func (s *Store) Item(ctx context.Context, id int64) (StoredItem, error) {
	it, err := scanItem(s.db.QueryRow(ctx, "SELECT "+itemCols+" FROM checklist_items i WHERE i.id = ?", id))
	if err != nil {
		return it, database.NotFound("catalog.Item", err)
	}
	items := []StoredItem{it}
	if err := s.attachClauses(ctx, items); err != nil {
		return it, err
	}
	return items[0], nil
}

func (s *Store) attachClauses(ctx context.Context, items []StoredItem) error {
	if len(items) == 0 {
		return nil
	}
	idx := map[int64]int{}
	for i, it := range items {
		idx[it.ID] = i
	}
	ids := make([]any, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	rows, err := s.db.Query(ctx, `SELECT ic.item_id, c.id, c.framework_id, f.code, f.title, c.number, c.title FROM checklist_item_clauses ic
		JOIN clauses c ON c.id = ic.clause_id JOIN frameworks f ON f.id = c.framework_id
		WHERE ic.item_id IN (`+database.Placeholders(len(ids))+`) ORDER BY f.code, c.sort_order`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var iid int64
		var c StoredClause
		if err := rows.Scan(&iid, &c.ID, &c.FrameworkID, &c.Framework, &c.FrameworkTitle, &c.Number, &c.Title); err != nil {
			return err
		}
		if i, ok := idx[iid]; ok {
			items[i].Clauses = append(items[i].Clauses, c)
		}
	}
	return rows.Err()
}

// ParseKind accepts a template kind's code ("internal") or its Japanese
// name ("内部監査").
func ParseKind(s string) (string, error) {
	s = strings.TrimSpace(s)
	if Kinds[s] != "" {
		return s, nil
	}
	for k, l := range Kinds {
		if l == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("チェックリストの種類「%s」はありません（%s）", s, keys(Kinds))
}

// TemplateByKind returns the template of kind in fiscal year version; when
// there is none, the error lists the versions that exist.
func (s *Store) TemplateByKind(ctx context.Context, kind string, version int) (StoredTemplate, error) {
	ts, err := s.Templates(ctx)
	if err != nil {
		return StoredTemplate{}, err
	}
	var have []string
	for _, t := range ts {
		if t.Kind != kind {
			continue
		}
		if t.Version == version {
			return t, nil
		}
		have = append(have, jp.FiscalYearLabel(t.Version))
	}
	if len(have) == 0 {
		return StoredTemplate{}, fmt.Errorf("%sのチェックリストは取り込まれていません（mamori catalog import で取り込めます）: %w", Kinds[kind], database.ErrNotFound)
	}
	return StoredTemplate{}, fmt.Errorf("%sのチェックリストに%s版はありません（ある版: %s）: %w", Kinds[kind], jp.FiscalYearLabel(version), strings.Join(have, "、"), database.ErrNotFound)
}

// clauseRef is a stored clause as references name it.
type clauseRef struct {
	id, frameworkID int64
	code, number    string
}

// clauseRefs lists every stored clause, oldest edition first, each in
// document order.
func (s *Store) clauseRefs(ctx context.Context) ([]clauseRef, error) {
	rows, err := s.db.Query(ctx, "SELECT c.id, f.id, f.code, c.number FROM clauses c JOIN frameworks f ON f.id = c.framework_id ORDER BY f.id, c.sort_order")
	if err != nil {
		return nil, fmt.Errorf("catalog.clauseRefs: %w", err)
	}
	defer rows.Close()
	var out []clauseRef
	for rows.Next() {
		var c clauseRef
		if err := rows.Scan(&c.id, &c.frameworkID, &c.code, &c.number); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// frameworkUses counts a template's clause links per framework edition.
func (s *Store) frameworkUses(ctx context.Context, tid int64) (map[int64]int, error) {
	rows, err := s.db.Query(ctx, `SELECT c.framework_id, COUNT(*) FROM checklist_item_clauses ic JOIN clauses c ON c.id = ic.clause_id
		JOIN checklist_items i ON i.id = ic.item_id WHERE i.template_id = ? GROUP BY c.framework_id`, tid)
	if err != nil {
		return nil, fmt.Errorf("catalog.frameworkUses: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var fid int64
		var n int
		if err := rows.Scan(&fid, &n); err != nil {
			return nil, err
		}
		out[fid] = n
	}
	return out, rows.Err()
}
