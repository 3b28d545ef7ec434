package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/docgen"
	"mamori/internal/jp"
	"mamori/internal/web"
)

// This file edits the items of a checklist template that is not frozen:
// change, add at a position, delete and reorder, each checked by the same
// rules as authored content (CheckItem) and recorded in the audit log.

// ErrFrozen refuses a change to a frozen template version.
var ErrFrozen = errors.New("この版は凍結されているため編集できません。変更が必要なときは、次の年度の版を作成して編集してください")

// ItemErrors are the problems of an edited item, by form field.
type ItemErrors map[string][]string

func (e ItemErrors) Error() string {
	fields := make([]string, 0, len(e))
	for f := range e {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	var parts []string
	for _, f := range fields {
		parts = append(parts, f+": "+strings.Join(e[f], "、"))
	}
	return "項目の内容に問題があります: " + strings.Join(parts, " / ")
}

func (e ItemErrors) add(field, msg string) { e[field] = append(e[field], msg) }

// Length limits of the edit form (characters), so that one field cannot
// swamp the printed checklist or the database.
var itemLimits = map[string]int{"code": 40, "category": 200, "question": 1000, "criteria": 1000, "evidence": 2000, "methods": 2000, "notes": 2000}

// preparedItem is an edited item checked and resolved: the stored form
// for printing and the clause ids to link.
type preparedItem struct {
	Item      Item
	Stored    StoredItem
	ClauseIDs []int64
}

// prepareItem checks it for template t (as item id; 0 for a new item) and
// resolves its clause references. Problems come back as ItemErrors; other
// errors are failures of the database.
func prepareItem(ctx context.Context, s *Store, t StoredTemplate, id int64, it Item, prefer map[string]int64) (*preparedItem, error) {
	errs := ItemErrors{}
	it = normaliseItem(it)
	lengths := map[string]string{"code": it.Code, "category": it.Category, "question": it.Question, "notes": it.Notes,
		"evidence": strings.Join(it.Evidence, "\n"), "methods": strings.Join(it.Methods, "\n")}
	for f, v := range lengths {
		if n := utf8.RuneCountInString(v); n > itemLimits[f] {
			errs.add(f, fmt.Sprintf("%d 字以内にしてください（%d 字あります）", itemLimits[f], n))
		}
	}
	for _, v := range []string{it.Criteria.Conform, it.Criteria.Partial, it.Criteria.Nonconform} {
		if n := utf8.RuneCountInString(v); n > itemLimits["criteria"] {
			errs.add("criteria", fmt.Sprintf("判定基準はそれぞれ %d 字以内にしてください（%d 字のものがあります）", itemLimits["criteria"], n))
		}
	}
	if strings.ContainsAny(it.Code, " \t\r\n　") {
		errs.add("code", "項目コードに空白は使えません")
	}
	// Clause references: malformed or unknown ones are reported once each.
	resolved := map[string]MappedClause{}
	reported := map[string]bool{}
	var refs []string
	for _, raw := range it.Clauses {
		mc, err := s.ResolveRef(ctx, raw, prefer)
		var re *RefError
		switch {
		case errors.As(err, &re):
			errs.add("clauses", re.Msg)
			reported[raw] = true
			refs = append(refs, raw)
		case err != nil:
			return nil, err
		default:
			ref := mc.Ref()
			if _, dup := resolved[ref]; dup {
				continue
			}
			resolved[ref] = mc
			refs = append(refs, ref)
		}
	}
	it.Clauses = refs
	known := func(r string) bool { _, ok := resolved[r]; return ok || reported[r] }
	for _, p := range CheckItem(t.Kind, it, known) {
		errs.add(p.Field, p.Msg)
	}
	if it.Code != "" {
		var other int64
		var q string
		err := s.db.QueryRow(ctx, "SELECT id, question FROM checklist_items WHERE template_id = ? AND code = ? AND id <> ?", t.ID, it.Code, id).Scan(&other, &q)
		switch {
		case err == nil:
			errs.add("code", fmt.Sprintf("項目コード %s は、このチェックリストの別の項目（%s）で使われています", it.Code, shortText(q, 30)))
		case !errors.Is(err, sql.ErrNoRows):
			return nil, err
		}
	}
	if len(errs) > 0 {
		return &preparedItem{Item: it, Stored: storedFrom(it, id, t.ID, resolved)}, errs
	}
	p := &preparedItem{Item: it, Stored: storedFrom(it, id, t.ID, resolved)}
	for _, r := range refs {
		p.ClauseIDs = append(p.ClauseIDs, resolved[r].ID)
	}
	return p, nil
}

func shortText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// normaliseItem trims the text fields, drops empty lines and repeated
// values from the lists.
func normaliseItem(it Item) Item {
	trim := strings.TrimSpace
	it.Code, it.Category, it.Question, it.Notes = trim(it.Code), trim(it.Category), trim(it.Question), trim(it.Notes)
	it.Criteria = Criteria{Conform: trim(it.Criteria.Conform), Partial: trim(it.Criteria.Partial), Nonconform: trim(it.Criteria.Nonconform)}
	clean := func(ss []string) []string {
		var out []string
		seen := map[string]bool{}
		for _, s := range ss {
			s = trim(strings.TrimPrefix(trim(s), "・"))
			if s != "" && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
		return out
	}
	it.Clauses, it.Evidence, it.Methods = clean(it.Clauses), clean(it.Evidence), clean(it.Methods)
	it.Techniques, it.Applicability, it.Threats, it.Audience = clean(it.Techniques), clean(it.Applicability), clean(it.Threats), clean(it.Audience)
	return it
}

// storedFrom is the item as it will be stored and printed.
func storedFrom(it Item, id, tid int64, resolved map[string]MappedClause) StoredItem {
	st := StoredItem{ID: id, TemplateID: tid, Code: it.Code, Category: it.Category, Question: it.Question, Criteria: it.Criteria,
		Evidence: it.Evidence, Methods: it.Methods, Techniques: it.Techniques, Priority: it.Priority, SiteInspection: it.SiteInspection,
		Applicability: it.Applicability, Threats: it.Threats, PreSurvey: it.PreSurvey, Notes: it.Notes, Audience: it.Audience}
	for _, r := range it.Clauses {
		if mc, ok := resolved[r]; ok {
			st.Clauses = append(st.Clauses, StoredClause{ID: mc.ID, FrameworkID: mc.FrameworkID, Framework: mc.FrameworkCode, Number: mc.Number, Title: mc.Title})
		}
	}
	return st
}

// ItemOf turns a stored item back into the authoring form (clauses as
// "<code>:<number>").
func ItemOf(st StoredItem) Item {
	it := Item{Code: st.Code, Category: st.Category, Question: st.Question, Criteria: st.Criteria, Evidence: st.Evidence, Methods: st.Methods,
		Techniques: st.Techniques, Priority: st.Priority, SiteInspection: st.SiteInspection, Applicability: st.Applicability, Threats: st.Threats,
		PreSurvey: st.PreSurvey, Audience: st.Audience, Notes: st.Notes}
	for _, c := range st.Clauses {
		it.Clauses = append(it.Clauses, c.Framework+":"+c.Number)
	}
	return it
}

// preferOf maps each framework code an item already uses to the edition
// its clauses are in, so that saving keeps the item on that edition.
func preferOf(st StoredItem) map[string]int64 {
	m := map[string]int64{}
	for _, c := range st.Clauses {
		m[c.Framework] = c.FrameworkID
	}
	return m
}

// editableTemplate loads a template for a change: frozen ones are refused.
func editableTemplate(ctx context.Context, s *Store, tid int64) (StoredTemplate, error) {
	t, err := s.Template(ctx, tid)
	if err != nil {
		return t, err
	}
	if t.Frozen {
		return t, fmt.Errorf("%s %s版: %w", t.Title, jp.FiscalYearLabel(t.Version), ErrFrozen)
	}
	return t, nil
}

// itemFields are the columns an edit writes, in the order of itemArgs.
const itemFields = `code = ?, category = ?, question = ?, criteria_conform = ?, criteria_partial = ?, criteria_nonconform = ?,
	evidence = ?, methods = ?, techniques = ?, priority = ?, site_inspection = ?, applicability = ?, threats = ?, pre_survey = ?, notes = ?, audience = ?`

func itemArgs(it Item) []any {
	return []any{it.Code, it.Category, it.Question, it.Criteria.Conform, it.Criteria.Partial, it.Criteria.Nonconform,
		strings.Join(it.Evidence, "\n"), strings.Join(it.Methods, "\n"), strings.Join(it.Techniques, ","), it.Priority, it.SiteInspection,
		strings.Join(it.Applicability, ","), strings.Join(it.Threats, ","), it.PreSurvey, it.Notes, strings.Join(it.Audience, ",")}
}

func linkClauses(ctx context.Context, db *database.DB, itemID int64, ids []int64) error {
	if _, err := db.Exec(ctx, "DELETE FROM checklist_item_clauses WHERE item_id = ?", itemID); err != nil {
		return err
	}
	for _, cid := range ids {
		if _, err := db.Exec(ctx, "INSERT INTO checklist_item_clauses (item_id, clause_id) VALUES (?, ?)", itemID, cid); err != nil {
			return err
		}
	}
	return nil
}

// changedFields names the fields that differ between two versions of an
// item, in Japanese (the audit log and the flash message show them).
func changedFields(old, new StoredItem) []string {
	n := new
	n.Code = old.Code
	// Clause links are a set: compare them in one order.
	o := old
	byRef := func(cs []StoredClause) []StoredClause {
		out := append([]StoredClause(nil), cs...)
		sort.Slice(out, func(i, j int) bool { return out[i].Framework+":"+out[i].Number < out[j].Framework+":"+out[j].Number })
		return out
	}
	o.Clauses, n.Clauses = byRef(old.Clauses), byRef(new.Clauses)
	var fields []string
	if old.Code != new.Code {
		fields = append(fields, fmt.Sprintf("コード（%s → %s）", old.Code, new.Code))
	}
	if ch := DiffItems([]StoredItem{o}, []StoredItem{n}); len(ch) == 1 {
		fields = append(fields, ch[0].Fields...)
	}
	if old.PreSurvey != new.PreSurvey {
		fields = append(fields, "事前調査票")
	}
	if old.Notes != new.Notes {
		fields = append(fields, "備考")
	}
	return fields
}

// keepOrder returns the values of now: those also in before in before's
// order, then the new ones in now's order.
func keepOrder(before, now []string) []string {
	in := map[string]bool{}
	for _, v := range now {
		in[v] = true
	}
	var out []string
	done := map[string]bool{}
	for _, v := range before {
		if in[v] && !done[v] {
			out, done[v] = append(out, v), true
		}
	}
	for _, v := range now {
		if !done[v] {
			out, done[v] = append(out, v), true
		}
	}
	return out
}

// UpdateItem validates and saves an edited item, replacing its clause
// links, and records the fields that changed. It returns the changed
// fields (none when nothing changed: then nothing is written).
func UpdateItem(ctx context.Context, db *database.DB, log *auditlog.Log, id int64, it Item, now time.Time) ([]string, error) {
	s := NewStore(db)
	var fields []string
	err := db.WithTx(ctx, func(ctx context.Context) error {
		old, err := s.Item(ctx, id)
		if err != nil {
			return err
		}
		t, err := editableTemplate(ctx, s, old.TemplateID)
		if err != nil {
			return err
		}
		// Checkboxes come back in display order: keep the stored order of
		// values that stay, so an untouched list is not a change.
		it.Techniques, it.Applicability = keepOrder(old.Techniques, it.Techniques), keepOrder(old.Applicability, it.Applicability)
		it.Threats, it.Audience = keepOrder(old.Threats, it.Threats), keepOrder(old.Audience, it.Audience)
		p, err := prepareItem(ctx, s, t, id, it, preferOf(old))
		if err != nil {
			return err
		}
		if fields = changedFields(old, p.Stored); len(fields) == 0 {
			return nil
		}
		args := append(itemArgs(p.Item), id)
		if _, err := db.Exec(ctx, "UPDATE checklist_items SET "+itemFields+" WHERE id = ?", args...); err != nil {
			return err
		}
		if err := linkClauses(ctx, db, id, p.ClauseIDs); err != nil {
			return err
		}
		if _, err := db.Exec(ctx, "UPDATE checklist_templates SET updated_at = ? WHERE id = ?", database.T(now), t.ID); err != nil {
			return err
		}
		return log.Record(ctx, "catalog.item_update", fmt.Sprintf("checklist_item:%d", id),
			fmt.Sprintf("%s（%s %s版）: %s を変更", p.Item.Code, Kinds[t.Kind], jp.FiscalYearLabel(t.Version), strings.Join(fields, "、")))
	})
	if err != nil {
		return nil, wrapEdit("catalog.UpdateItem", err)
	}
	return fields, nil
}

// wrapEdit keeps validation errors as they are (the form shows them) and
// names the operation on other errors.
func wrapEdit(op string, err error) error {
	var ie ItemErrors
	if errors.As(err, &ie) {
		return ie
	}
	return fmt.Errorf("%s: %w", op, err)
}

// itemOrder returns a template's item ids in their order.
func itemOrder(ctx context.Context, db *database.DB, tid int64) ([]int64, error) {
	rows, err := db.Query(ctx, "SELECT id FROM checklist_items WHERE template_id = ? ORDER BY sort_order, id", tid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// renumberItems stores ids' order as sort_order 1, 2, 3 …
func renumberItems(ctx context.Context, db *database.DB, ids []int64) error {
	for i, id := range ids {
		if _, err := db.Exec(ctx, "UPDATE checklist_items SET sort_order = ? WHERE id = ?", i+1, id); err != nil {
			return err
		}
	}
	return nil
}

// CreateItem validates and adds an item to template tid at position pos
// (1 = first; 0 or past the end = last) and returns its id.
func CreateItem(ctx context.Context, db *database.DB, log *auditlog.Log, tid int64, it Item, pos int, now time.Time) (int64, error) {
	s := NewStore(db)
	var id int64
	err := db.WithTx(ctx, func(ctx context.Context) error {
		t, err := editableTemplate(ctx, s, tid)
		if err != nil {
			return err
		}
		p, err := prepareItem(ctx, s, t, 0, it, nil)
		if err != nil {
			return err
		}
		order, err := itemOrder(ctx, db, tid)
		if err != nil {
			return err
		}
		if pos <= 0 || pos > len(order) {
			pos = len(order) + 1
		}
		args := append([]any{tid}, itemArgs(p.Item)...)
		args = append(args, len(order)+1)
		id, err = db.InsertID(ctx, `INSERT INTO checklist_items (template_id, code, category, question, criteria_conform, criteria_partial, criteria_nonconform,
			evidence, methods, techniques, priority, site_inspection, applicability, threats, pre_survey, notes, audience, sort_order)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
		if err != nil {
			return err
		}
		if err := linkClauses(ctx, db, id, p.ClauseIDs); err != nil {
			return err
		}
		order = append(order[:pos-1], append([]int64{id}, order[pos-1:]...)...)
		if err := renumberItems(ctx, db, order); err != nil {
			return err
		}
		if _, err := db.Exec(ctx, "UPDATE checklist_templates SET updated_at = ? WHERE id = ?", database.T(now), tid); err != nil {
			return err
		}
		return log.Record(ctx, "catalog.item_create", fmt.Sprintf("checklist_item:%d", id),
			fmt.Sprintf("%s（%s %s版）を %d 番目に追加: %s", p.Item.Code, Kinds[t.Kind], jp.FiscalYearLabel(t.Version), pos, shortText(p.Item.Question, 60)))
	})
	if err != nil {
		return 0, wrapEdit("catalog.CreateItem", err)
	}
	return id, nil
}

// ErrItemInUse refuses to delete an item another record refers to.
var ErrItemInUse = errors.New("この項目は保存済みのチェックリストなど他の記録から参照されているため削除できません")

// isForeignKeyViolation reports a refused delete of a referenced row on
// either database.
func isForeignKeyViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "FOREIGN KEY constraint failed") || strings.Contains(s, "SQLSTATE 23503") || strings.Contains(s, "violates foreign key constraint")
}

// DeleteItem removes an item of a template that is not frozen and closes
// the gap in the order. It returns the template id.
func DeleteItem(ctx context.Context, db *database.DB, log *auditlog.Log, id int64, now time.Time) (int64, error) {
	s := NewStore(db)
	var tid int64
	err := db.WithTx(ctx, func(ctx context.Context) error {
		it, err := s.Item(ctx, id)
		if err != nil {
			return err
		}
		tid = it.TemplateID
		t, err := editableTemplate(ctx, s, tid)
		if err != nil {
			return err
		}
		if _, err := db.Exec(ctx, "DELETE FROM checklist_item_clauses WHERE item_id = ?", id); err != nil {
			return err
		}
		if _, err := db.Exec(ctx, "DELETE FROM checklist_items WHERE id = ?", id); err != nil {
			if isForeignKeyViolation(err) {
				return fmt.Errorf("%s: %w", it.Code, ErrItemInUse)
			}
			return err
		}
		order, err := itemOrder(ctx, db, tid)
		if err != nil {
			return err
		}
		if err := renumberItems(ctx, db, order); err != nil {
			return err
		}
		if _, err := db.Exec(ctx, "UPDATE checklist_templates SET updated_at = ? WHERE id = ?", database.T(now), tid); err != nil {
			return err
		}
		return log.Record(ctx, "catalog.item_delete", fmt.Sprintf("checklist_item:%d", id),
			fmt.Sprintf("%s（%s %s版）を削除: %s", it.Code, Kinds[t.Kind], jp.FiscalYearLabel(t.Version), shortText(it.Question, 60)))
	})
	if err != nil {
		return tid, fmt.Errorf("catalog.DeleteItem: %w", err)
	}
	return tid, nil
}

// MoveItem moves an item one place up (delta -1) or down (+1) in its
// template. Moving the first item up or the last down changes nothing.
func MoveItem(ctx context.Context, db *database.DB, log *auditlog.Log, id int64, delta int, now time.Time) (int64, error) {
	if delta != -1 && delta != 1 {
		return 0, fmt.Errorf("catalog.MoveItem: delta %d", delta)
	}
	s := NewStore(db)
	var tid int64
	err := db.WithTx(ctx, func(ctx context.Context) error {
		it, err := s.Item(ctx, id)
		if err != nil {
			return err
		}
		tid = it.TemplateID
		t, err := editableTemplate(ctx, s, tid)
		if err != nil {
			return err
		}
		order, err := itemOrder(ctx, db, tid)
		if err != nil {
			return err
		}
		i := -1
		for k, v := range order {
			if v == id {
				i = k
			}
		}
		j := i + delta
		if i < 0 || j < 0 || j >= len(order) {
			return nil
		}
		order[i], order[j] = order[j], order[i]
		if err := renumberItems(ctx, db, order); err != nil {
			return err
		}
		if _, err := db.Exec(ctx, "UPDATE checklist_templates SET updated_at = ? WHERE id = ?", database.T(now), tid); err != nil {
			return err
		}
		return log.Record(ctx, "catalog.item_move", fmt.Sprintf("checklist_item:%d", id),
			fmt.Sprintf("%s（%s %s版）を %d 番目から %d 番目へ移動", it.Code, Kinds[t.Kind], jp.FiscalYearLabel(t.Version), i+1, j+1))
	})
	if err != nil {
		return tid, fmt.Errorf("catalog.MoveItem: %w", err)
	}
	return tid, nil
}

// ---- screens ----

func (w *Web) editRoutes(rt *web.Router) {
	edit := web.Allow(web.RoleAdmin, web.RoleConsultant)
	rt.Handle("GET /catalog/items/{id}/edit", edit, w.itemEdit)
	rt.Handle("POST /catalog/items/{id}", edit, w.itemUpdate)
	rt.Handle("POST /catalog/items/{id}/delete", edit, w.itemDelete)
	rt.Handle("POST /catalog/items/{id}/move", edit, w.itemMove)
	rt.Handle("GET /catalog/templates/{id}/items/new", edit, w.itemNew)
	rt.Handle("POST /catalog/templates/{id}/items", edit, w.itemCreate)
}

// editOption is one checkbox, radio button or select entry.
type editOption struct {
	Value, Label string
	Checked      bool
}

// Display orders of the label maps (maps have none).
var (
	techniqueOrder     = []string{"interview", "document", "inspection", "technical", "reperformance"}
	priorityOrder      = []string{"required", "recommended"}
	applicabilityOrder = []string{"all", "counter", "mynumber", "system_owner", "server_room", "cloud_user", "outsourcer"}
	threatOrder        = []string{"ransomware", "supply_chain", "ai_risk", "vulnerability", "targeted", "geopolitical", "insider", "remote_work", "ddos", "bec", "careless_leak", "physical_loss"}
	audienceOrder      = []string{"general", "system", "protection"}
)

func editOptions(labels map[string]string, order []string, selected []string) []editOption {
	on := map[string]bool{}
	for _, s := range selected {
		on[s] = true
	}
	seen := map[string]bool{}
	var out []editOption
	add := func(k string) {
		if l, ok := labels[k]; ok && !seen[k] {
			seen[k] = true
			out = append(out, editOption{Value: k, Label: l, Checked: on[k]})
		}
	}
	for _, k := range order {
		add(k)
	}
	var rest []string
	for k := range labels {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		add(k)
	}
	return out
}

// itemForm is what the item form shows: the values (kept as typed after an
// error), the errors by field, the choices, and the preview.
type itemForm struct {
	Values  url.Values
	Errors  ItemErrors
	Item    Item
	Preview *docgen.Row
	Head    []string
	Group   string // the printed checklist's group the previewed item goes in
}

// Get returns a field's value as typed.
func (f itemForm) Get(k string) string { return f.Values.Get(k) }

// Err returns the messages for a field, joined.
func (f itemForm) Err(k string) string { return strings.Join(f.Errors[k], "。") }

// Options returns the checkbox choices of a list field.
func (f itemForm) Options(field string) []editOption {
	switch field {
	case "techniques":
		return editOptions(Techniques, techniqueOrder, f.Item.Techniques)
	case "priority":
		return editOptions(Priorities, priorityOrder, []string{f.Item.Priority})
	case "applicability":
		return editOptions(Applicability, applicabilityOrder, f.Item.Applicability)
	case "threats":
		return editOptions(Threats, threatOrder, f.Item.Threats)
	case "audience":
		return editOptions(Audiences, audienceOrder, f.Item.Audience)
	}
	return nil
}

// PreviewHTML prints a preview cell as the document does: its runs, bold
// where the document is bold, line breaks kept.
func (f itemForm) PreviewHTML(c docgen.Cell) template.HTML {
	var b strings.Builder
	for _, r := range c.Runs {
		for i, line := range strings.Split(r.Text, "\n") {
			if i > 0 {
				b.WriteString("<br>")
			}
			if r.Bold && line != "" {
				b.WriteString("<strong>" + html.EscapeString(line) + "</strong>")
			} else {
				b.WriteString(html.EscapeString(line))
			}
		}
	}
	return template.HTML(b.String())
}

// splitLines reads a one-per-line text area; clauses may also be separated
// by commas.
func formLines(s string, commas bool) []string {
	f := func(r rune) bool { return r == '\n' || r == '\r' || (commas && (r == ',' || r == '、' || r == '，')) }
	return strings.FieldsFunc(s, f)
}

// itemFromForm reads the item form.
func itemFromForm(r *http.Request) Item {
	v := r.PostForm
	return Item{Code: v.Get("code"), Category: v.Get("category"), Clauses: formLines(v.Get("clauses"), true), Question: v.Get("question"),
		Criteria: Criteria{Conform: v.Get("conform"), Partial: v.Get("partial"), Nonconform: v.Get("nonconform")},
		Evidence: formLines(v.Get("evidence"), false), Methods: formLines(v.Get("methods"), false),
		Techniques: v["techniques"], Priority: v.Get("priority"), SiteInspection: v.Get("site_inspection") != "",
		Applicability: v["applicability"], Threats: v["threats"], PreSurvey: v.Get("pre_survey") != "", Audience: v["audience"], Notes: v.Get("notes")}
}

// formValues fills the form from an item.
func formValues(it Item) url.Values {
	v := url.Values{}
	v.Set("code", it.Code)
	v.Set("category", it.Category)
	v.Set("clauses", strings.Join(it.Clauses, "\n"))
	v.Set("question", it.Question)
	v.Set("conform", it.Criteria.Conform)
	v.Set("partial", it.Criteria.Partial)
	v.Set("nonconform", it.Criteria.Nonconform)
	v.Set("evidence", strings.Join(it.Evidence, "\n"))
	v.Set("methods", strings.Join(it.Methods, "\n"))
	v.Set("notes", it.Notes)
	if it.SiteInspection {
		v.Set("site_inspection", "1")
	}
	if it.PreSurvey {
		v.Set("pre_survey", "1")
	}
	return v
}

// itemPage is the data of the item form page.
type itemPage struct {
	T         StoredTemplate
	ID        int64 // 0: new item
	Code      string
	Form      itemForm
	Frozen    bool
	Positions []editOption
	Action    string
}

func (w *Web) renderItemForm(rw http.ResponseWriter, r *http.Request, status int, p itemPage) error {
	title := "新しい項目"
	p.Action = fmt.Sprintf("/catalog/templates/%d/items", p.T.ID)
	if p.ID != 0 {
		title = p.Code + " の編集"
		p.Action = fmt.Sprintf("/catalog/items/%d", p.ID)
	}
	if p.Form.Head == nil {
		p.Form.Head = PrintHeader()
	}
	return web.Render(rw, r, status, "catalog/item_form", title, p)
}

// positions lists where a new item can go: before each existing item, or last.
func (w *Web) positions(ctx context.Context, tid int64, chosen string) ([]editOption, error) {
	items, err := w.store.Items(ctx, ItemFilter{TemplateID: tid})
	if err != nil {
		return nil, err
	}
	out := []editOption{{Value: "", Label: fmt.Sprintf("末尾（%d 番目）", len(items)+1), Checked: chosen == ""}}
	for i, it := range items {
		v := strconv.Itoa(i + 1)
		out = append(out, editOption{Value: v, Label: fmt.Sprintf("%d 番目（%s %s の前）", i+1, it.Code, shortText(it.Question, 24)), Checked: chosen == v})
	}
	return out, nil
}

func (w *Web) itemEdit(rw http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	st, err := w.store.Item(r.Context(), id)
	if err != nil {
		return err
	}
	t, err := w.store.Template(r.Context(), st.TemplateID)
	if err != nil {
		return err
	}
	it := ItemOf(st)
	return w.renderItemForm(rw, r, http.StatusOK, itemPage{T: t, ID: id, Code: st.Code, Frozen: t.Frozen, Form: itemForm{Values: formValues(it), Item: it}})
}

func (w *Web) itemNew(rw http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := w.store.Template(r.Context(), id)
	if err != nil {
		return err
	}
	if t.Frozen {
		return w.renderItemForm(rw, r, http.StatusOK, itemPage{T: t, Frozen: true})
	}
	pos, err := w.positions(r.Context(), id, r.URL.Query().Get("pos"))
	if err != nil {
		return err
	}
	it := Item{Priority: "recommended"}
	return w.renderItemForm(rw, r, http.StatusOK, itemPage{T: t, Positions: pos, Form: itemForm{Values: formValues(it), Item: it}})
}

// previewOrSave handles the form's two buttons: preview re-renders the
// form with the item as it will print (and any problems); save stores it.
func (w *Web) itemUpdate(rw http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	st, err := w.store.Item(ctx, id)
	if err != nil {
		return err
	}
	t, err := w.store.Template(ctx, st.TemplateID)
	if err != nil {
		return err
	}
	it := itemFromForm(r)
	page := itemPage{T: t, ID: id, Code: st.Code, Form: itemForm{Values: r.PostForm, Item: it}}
	if t.Frozen {
		page.Frozen = true
		return w.renderItemForm(rw, r, http.StatusConflict, page)
	}
	if r.PostForm.Get("action") == "preview" {
		return w.preview(rw, r, page, preferOf(st))
	}
	fields, err := UpdateItem(ctx, w.store.db, w.log, id, it, time.Now())
	var ie ItemErrors
	switch {
	case errors.As(err, &ie):
		page.Form.Errors = ie
		return w.renderItemForm(rw, r, http.StatusBadRequest, page)
	case errors.Is(err, ErrFrozen):
		page.Frozen = true
		return w.renderItemForm(rw, r, http.StatusConflict, page)
	case err != nil:
		return err
	case len(fields) == 0:
		return web.Redirect(rw, r, fmt.Sprintf("/catalog/items/%d", id), "変更はありませんでした。", true)
	}
	return web.Redirect(rw, r, fmt.Sprintf("/catalog/items/%d", id), "保存しました（変更: "+strings.Join(fields, "、")+"）。", true)
}

func (w *Web) itemCreate(rw http.ResponseWriter, r *http.Request) error {
	tid, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	t, err := w.store.Template(ctx, tid)
	if err != nil {
		return err
	}
	it := itemFromForm(r)
	page := itemPage{T: t, Form: itemForm{Values: r.PostForm, Item: it}}
	if t.Frozen {
		page.Frozen = true
		return w.renderItemForm(rw, r, http.StatusConflict, page)
	}
	posText := strings.TrimSpace(r.PostForm.Get("position"))
	if page.Positions, err = w.positions(ctx, tid, posText); err != nil {
		return err
	}
	pos := 0
	if posText != "" {
		if pos, err = strconv.Atoi(posText); err != nil || pos < 1 || pos > len(page.Positions) {
			page.Form.Errors = ItemErrors{"position": {"追加する位置を一覧から選んでください"}}
			return w.renderItemForm(rw, r, http.StatusBadRequest, page)
		}
	}
	if r.PostForm.Get("action") == "preview" {
		return w.preview(rw, r, page, nil)
	}
	id, err := CreateItem(ctx, w.store.db, w.log, tid, it, pos, time.Now())
	var ie ItemErrors
	switch {
	case errors.As(err, &ie):
		page.Form.Errors = ie
		return w.renderItemForm(rw, r, http.StatusBadRequest, page)
	case errors.Is(err, ErrFrozen):
		page.Frozen = true
		return w.renderItemForm(rw, r, http.StatusConflict, page)
	case err != nil:
		return err
	}
	return web.Redirect(rw, r, fmt.Sprintf("/catalog/items/%d", id), "項目を追加しました。", true)
}

// preview checks the item without saving and shows it as it will print.
func (w *Web) preview(rw http.ResponseWriter, r *http.Request, page itemPage, prefer map[string]int64) error {
	p, err := prepareItem(r.Context(), w.store, page.T, page.ID, page.Form.Item, prefer)
	var ie ItemErrors
	if errors.As(err, &ie) {
		page.Form.Errors = ie
	} else if err != nil {
		return err
	}
	row := PrintRow(p.Stored)
	page.Form.Preview = &row
	page.Form.Group, _ = splitCategory(p.Stored.Category)
	return w.renderItemForm(rw, r, http.StatusOK, page)
}

func (w *Web) itemDelete(rw http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	tid, err := DeleteItem(r.Context(), w.store.db, w.log, id, time.Now())
	if err != nil {
		return editError(err)
	}
	return web.Redirect(rw, r, fmt.Sprintf("/catalog/templates/%d", tid), "項目を削除しました。", true)
}

func (w *Web) itemMove(rw http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	delta := 0
	switch r.FormValue("dir") {
	case "up":
		delta = -1
	case "down":
		delta = 1
	default:
		return web.Invalid("移動の向き（up または down）を指定してください。")
	}
	tid, err := MoveItem(r.Context(), w.store.db, w.log, id, delta, time.Now())
	if err != nil {
		return editError(err)
	}
	return web.Redirect(rw, r, fmt.Sprintf("/catalog/templates/%d#item-%d", tid, id), "", true)
}

// editError maps refusals of an edit to what the person is shown.
func editError(err error) error {
	switch {
	case errors.Is(err, ErrFrozen):
		return web.Conflict("%s", ErrFrozen.Error()+"。")
	case errors.Is(err, ErrItemInUse):
		return web.Conflict("%s", ErrItemInUse.Error()+"。")
	}
	return err
}
