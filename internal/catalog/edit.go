package catalog

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/jp"
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
		q, taken, err := s.codeTaken(ctx, t.ID, it.Code, id)
		switch {
		case err != nil:
			return nil, err
		case taken:
			errs.add("code", fmt.Sprintf("項目コード %s は、このチェックリストの別の項目（%s）で使われています", it.Code, shortText(q, 30)))
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
			st.Clauses = append(st.Clauses, StoredClause{ID: mc.ID, FrameworkID: mc.FrameworkID, Framework: mc.FrameworkCode, FrameworkTitle: mc.FrameworkTitle, Number: mc.Number, Title: mc.Title})
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
	// Edits of a template one after another: each reads the items' order
	// (and the frozen flag) and writes it back whole, so two at once
	// (PostgreSQL) would renumber from the same old order.
	if database.InTx(ctx) {
		if err := s.db.LockRow(ctx, "checklist_templates", tid); err != nil {
			return StoredTemplate{}, err
		}
	}
	t, err := s.Template(ctx, tid)
	if err != nil {
		return t, err
	}
	if t.Frozen {
		return t, fmt.Errorf("%s %s版: %w", t.Title, jp.FiscalYearLabel(t.Version), ErrFrozen)
	}
	return t, nil
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
		if old, err = s.Item(ctx, id); err != nil { // as it is now that the template is locked
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
		if err := updateItem(ctx, db, t.ID, id, p.Item, p.ClauseIDs); err != nil {
			return err
		}
		if err := touchTemplate(ctx, db, t.ID, now); err != nil {
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
		if id, err = insertItem(ctx, db, tid, p.Item, len(order)+1, p.ClauseIDs); err != nil {
			return err
		}
		order = append(order[:pos-1], append([]int64{id}, order[pos-1:]...)...)
		if err := renumberItems(ctx, db, order); err != nil {
			return err
		}
		if err := touchTemplate(ctx, db, tid, now); err != nil {
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
		if err := deleteItem(ctx, db, id); err != nil {
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
		if err := touchTemplate(ctx, db, tid, now); err != nil {
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
		if err := touchTemplate(ctx, db, tid, now); err != nil {
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
