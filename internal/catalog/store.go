package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
)

// ImportResult says what Import wrote.
type ImportResult struct {
	Frameworks, Clauses    int // newly stored
	Templates, Items       int // stored or replaced
	SkippedFrameworks      int // editions already stored
	SkippedFrozenTemplates int
	Mappings               int // clause mappings stored
}

// Import stores validated content in one transaction. A framework edition
// already stored is left as it is (a new edition is a new version); a
// checklist template version is replaced unless it is frozen (a year's
// audits use a frozen version).
func Import(ctx context.Context, db *database.DB, log *auditlog.Log, c *Content, now time.Time) (*ImportResult, error) {
	res := &ImportResult{}
	err := db.WithTx(ctx, func(ctx context.Context) error {
		clauseIDs := map[string]int64{} // "<code>:<number>" of the newest stored edition
		var fresh []*Framework          // editions stored by this import
		for _, f := range c.Frameworks {
			var fid int64
			err := db.QueryRow(ctx, "SELECT id FROM frameworks WHERE code = ? AND version = ?", f.Code, f.Version).Scan(&fid)
			if err == nil {
				res.SkippedFrameworks++
			} else {
				fid, err = db.InsertID(ctx, "INSERT INTO frameworks (code, version, title, publisher, imported_at) VALUES (?, ?, ?, ?, ?)",
					f.Code, f.Version, f.Title, f.Publisher, database.T(now))
				if err != nil {
					return fmt.Errorf("%s: %w", f.File, err)
				}
				res.Frameworks++
				fresh = append(fresh, f)
				order := 0
				var insert func(cs []Clause, parent int64) error
				insert = func(cs []Clause, parent int64) error {
					for _, cl := range cs {
						order++
						var p any
						if parent != 0 {
							p = parent
						}
						id, err := db.InsertID(ctx, `INSERT INTO clauses (framework_id, number, parent_id, title, summary, required, threat, note, sort_order)
							VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, fid, cl.Number, p, cl.Title, cl.Summary, cl.IsRequired(), cl.Threat, cl.Note, order)
						if err != nil {
							return fmt.Errorf("%s 条項 %s: %w", f.File, cl.Number, err)
						}
						res.Clauses++
						if err := insert(cl.Children, id); err != nil {
							return err
						}
					}
					return nil
				}
				if err := insert(f.Clauses, 0); err != nil {
					return err
				}
				if err := log.Record(ctx, "catalog.framework_import", fmt.Sprintf("framework:%d", fid), f.Code+" "+f.Version); err != nil {
					return err
				}
			}
			rows, err := db.Query(ctx, "SELECT number, id FROM clauses WHERE framework_id = ?", fid)
			if err != nil {
				return err
			}
			for rows.Next() {
				var n string
				var id int64
				if err := rows.Scan(&n, &id); err != nil {
					rows.Close()
					return err
				}
				clauseIDs[f.Code+":"+n] = id
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		// Mappings of newly stored editions point at the newest edition of
		// the other framework; mappings edited in the UI are not re-added
		// by a later import of the same edition.
		for _, f := range fresh {
			var err error
			f.Walk(func(cl Clause, _ int) {
				for _, m := range cl.MapsTo {
					if err != nil {
						return
					}
					from, to := clauseIDs[f.Code+":"+cl.Number], clauseIDs[m]
					if from == 0 || to == 0 {
						err = fmt.Errorf("%s 条項 %s: 対応先 %s は登録されていません", f.File, cl.Number, m)
						return
					}
					_, err = db.Exec(ctx, "INSERT INTO clause_mappings (from_clause_id, to_clause_id, note, created_at) VALUES (?, ?, '', ?) ON CONFLICT DO NOTHING",
						from, to, database.T(now))
					if err == nil {
						res.Mappings++
					}
				}
			})
			if err != nil {
				return err
			}
		}
		for _, cl := range c.Checklists {
			var tid int64
			var frozen bool
			err := db.QueryRow(ctx, "SELECT id, frozen FROM checklist_templates WHERE kind = ? AND version = ?", cl.Kind, cl.Version).Scan(&tid, &frozen)
			switch {
			case err == nil && frozen:
				res.SkippedFrozenTemplates++
				continue
			case err == nil:
				if _, err := db.Exec(ctx, "DELETE FROM checklist_item_clauses WHERE item_id IN (SELECT id FROM checklist_items WHERE template_id = ?)", tid); err != nil {
					return err
				}
				if _, err := db.Exec(ctx, "DELETE FROM checklist_items WHERE template_id = ?", tid); err != nil {
					return err
				}
				if _, err := db.Exec(ctx, "UPDATE checklist_templates SET title = ?, updated_at = ? WHERE id = ?", cl.Title, database.T(now), tid); err != nil {
					return err
				}
			default:
				tid, err = db.InsertID(ctx, "INSERT INTO checklist_templates (kind, version, title, frozen, created_at, updated_at) VALUES (?, ?, ?, FALSE, ?, ?)",
					cl.Kind, cl.Version, cl.Title, database.T(now), database.T(now))
				if err != nil {
					return fmt.Errorf("%s: %w", cl.File, err)
				}
			}
			res.Templates++
			for i, it := range cl.Items {
				id, err := db.InsertID(ctx, `INSERT INTO checklist_items (template_id, code, category, question, criteria_conform, criteria_partial, criteria_nonconform,
					evidence, methods, techniques, priority, site_inspection, applicability, threats, pre_survey, notes, sort_order, audience)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tid, it.Code, it.Category, it.Question, it.Criteria.Conform, it.Criteria.Partial,
					it.Criteria.Nonconform, strings.Join(it.Evidence, "\n"), strings.Join(it.Methods, "\n"), strings.Join(it.Techniques, ","), it.Priority,
					it.SiteInspection, strings.Join(it.Applicability, ","), strings.Join(it.Threats, ","), it.PreSurvey, it.Notes, i+1, strings.Join(it.Audience, ","))
				if err != nil {
					return fmt.Errorf("%s %d行目 %s: %w", cl.File, it.Line, it.Code, err)
				}
				for _, r := range it.Clauses {
					cid, ok := clauseIDs[r]
					if !ok {
						return fmt.Errorf("%s %d行目 %s: 条項 %s は登録されていません", cl.File, it.Line, it.Code, r)
					}
					if _, err := db.Exec(ctx, "INSERT INTO checklist_item_clauses (item_id, clause_id) VALUES (?, ?) ON CONFLICT DO NOTHING", id, cid); err != nil {
						return err
					}
				}
				res.Items++
			}
			if err := log.Record(ctx, "catalog.template_import", fmt.Sprintf("checklist_template:%d", tid),
				fmt.Sprintf("%s %d年度版 %d 項目", Kinds[cl.Kind], cl.Version, len(cl.Items))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("catalog.Import: %w", err)
	}
	return res, nil
}

// ---- item rows: the writes the item editor (edit.go) and the XLSX
// import (import.go) share ----

// itemFields are the columns an item write sets, in the order of itemArgs.
const itemFields = `code = ?, category = ?, question = ?, criteria_conform = ?, criteria_partial = ?, criteria_nonconform = ?,
	evidence = ?, methods = ?, techniques = ?, priority = ?, site_inspection = ?, applicability = ?, threats = ?, pre_survey = ?, notes = ?, audience = ?`

func itemArgs(it Item) []any {
	return []any{it.Code, it.Category, it.Question, it.Criteria.Conform, it.Criteria.Partial, it.Criteria.Nonconform,
		strings.Join(it.Evidence, "\n"), strings.Join(it.Methods, "\n"), strings.Join(it.Techniques, ","), it.Priority, it.SiteInspection,
		strings.Join(it.Applicability, ","), strings.Join(it.Threats, ","), it.PreSurvey, it.Notes, strings.Join(it.Audience, ",")}
}

// insertItem adds an item to template tid at sortOrder, linked to the
// clauses, and returns its id.
func insertItem(ctx context.Context, db *database.DB, tid int64, it Item, sortOrder int, clauses []int64) (int64, error) {
	args := append(append([]any{tid}, itemArgs(it)...), sortOrder)
	id, err := db.InsertID(ctx, `INSERT INTO checklist_items (template_id, code, category, question, criteria_conform, criteria_partial, criteria_nonconform,
		evidence, methods, techniques, priority, site_inspection, applicability, threats, pre_survey, notes, audience, sort_order)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if err != nil {
		return 0, err
	}
	return id, linkClauses(ctx, db, id, clauses)
}

// updateItem rewrites every field of item id of template tid and
// replaces its clause links.
func updateItem(ctx context.Context, db *database.DB, tid, id int64, it Item, clauses []int64) error {
	if _, err := db.Exec(ctx, "UPDATE checklist_items SET "+itemFields+" WHERE id = ? AND template_id = ?", append(itemArgs(it), id, tid)...); err != nil {
		return err
	}
	return linkClauses(ctx, db, id, clauses)
}

// deleteItem removes an item and its clause links.
func deleteItem(ctx context.Context, db *database.DB, id int64) error {
	if _, err := db.Exec(ctx, "DELETE FROM checklist_item_clauses WHERE item_id = ?", id); err != nil {
		return err
	}
	_, err := db.Exec(ctx, "DELETE FROM checklist_items WHERE id = ?", id)
	return err
}

// linkClauses replaces the clauses an item checks.
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

// touchTemplate records that a template's items changed.
func touchTemplate(ctx context.Context, db *database.DB, tid int64, now time.Time) error {
	_, err := db.Exec(ctx, "UPDATE checklist_templates SET updated_at = ? WHERE id = ?", database.T(now), tid)
	return err
}

// itemCodes returns a template's item ids and codes in their order.
func itemCodes(ctx context.Context, db *database.DB, tid int64) (ids []int64, codes []string, err error) {
	rows, err := db.Query(ctx, "SELECT id, code FROM checklist_items WHERE template_id = ? ORDER BY sort_order, id", tid)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			return nil, nil, err
		}
		ids, codes = append(ids, id), append(codes, code)
	}
	return ids, codes, rows.Err()
}

// itemOrder returns a template's item ids in their order.
func itemOrder(ctx context.Context, db *database.DB, tid int64) ([]int64, error) {
	ids, _, err := itemCodes(ctx, db, tid)
	return ids, err
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
