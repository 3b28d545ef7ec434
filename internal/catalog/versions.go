package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
)

// ErrVersionExists refuses a copy onto a version that already exists.
var ErrVersionExists = errors.New("その年度の版は既にあります")

// CopyTemplate makes the next version of a template ("copy last year's
// checklist"): every item and its clauses, unfrozen, for fiscal year
// version. It returns the new template's id.
func CopyTemplate(ctx context.Context, db *database.DB, log *auditlog.Log, id int64, version int, now time.Time) (int64, error) {
	src, err := NewStore(db).Template(ctx, id)
	if err != nil {
		return 0, err
	}
	var nid int64
	err = db.WithTx(ctx, func(ctx context.Context) error {
		var n int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM checklist_templates WHERE kind = ? AND version = ?", src.Kind, version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%s %d年度版: %w", Kinds[src.Kind], version, ErrVersionExists)
		}
		var err error
		nid, err = db.InsertID(ctx, "INSERT INTO checklist_templates (kind, version, title, frozen, created_at, updated_at) VALUES (?, ?, ?, FALSE, ?, ?)",
			src.Kind, version, src.Title, database.T(now), database.T(now))
		if err != nil {
			return err
		}
		rows, err := db.Query(ctx, "SELECT id FROM checklist_items WHERE template_id = ? ORDER BY sort_order", id)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var iid int64
			if err := rows.Scan(&iid); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, iid)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, iid := range ids {
			newID, err := db.InsertID(ctx, `INSERT INTO checklist_items (template_id, code, category, question, criteria_conform, criteria_partial, criteria_nonconform,
				evidence, methods, techniques, priority, site_inspection, applicability, threats, pre_survey, notes, sort_order, audience)
				SELECT ?, code, category, question, criteria_conform, criteria_partial, criteria_nonconform, evidence, methods, techniques, priority,
				site_inspection, applicability, threats, pre_survey, notes, sort_order, audience FROM checklist_items WHERE id = ?`, nid, iid)
			if err != nil {
				return err
			}
			if _, err := db.Exec(ctx, "INSERT INTO checklist_item_clauses (item_id, clause_id) SELECT ?, clause_id FROM checklist_item_clauses WHERE item_id = ?", newID, iid); err != nil {
				return err
			}
		}
		return log.Record(ctx, "catalog.template_copy", fmt.Sprintf("checklist_template:%d", nid),
			fmt.Sprintf("%s %d年度版から %d年度版を作成（%d 項目）", Kinds[src.Kind], src.Version, version, len(ids)))
	})
	if database.IsUniqueViolation(err) {
		// The same version made by someone else after the check above.
		err = fmt.Errorf("%s %d年度版: %w", Kinds[src.Kind], version, ErrVersionExists)
	}
	if err != nil {
		return 0, fmt.Errorf("catalog.CopyTemplate: %w", err)
	}
	return nid, nil
}

// Freeze fixes a template version: the year's audits use it and imports
// leave it alone.
func Freeze(ctx context.Context, db *database.DB, log *auditlog.Log, id int64, now time.Time) error {
	return db.WithTx(ctx, func(ctx context.Context) error {
		res, err := db.Exec(ctx, "UPDATE checklist_templates SET frozen = TRUE, updated_at = ? WHERE id = ?", database.T(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("catalog.Freeze %d: %w", id, database.ErrNotFound)
		}
		return log.Record(ctx, "catalog.template_freeze", fmt.Sprintf("checklist_template:%d", id), "凍結")
	})
}

// ItemChange is how an item differs between two template versions.
type ItemChange struct {
	Code   string
	Kind   string   // 追加, 削除, 変更
	Fields []string // changed fields, in Japanese
	Old    *StoredItem
	New    *StoredItem
}

// DiffItems compares two versions' items by code.
func DiffItems(old, new []StoredItem) []ItemChange {
	byCode := map[string]*StoredItem{}
	for i := range old {
		byCode[old[i].Code] = &old[i]
	}
	seen := map[string]bool{}
	var out []ItemChange
	for i := range new {
		n := &new[i]
		seen[n.Code] = true
		o, ok := byCode[n.Code]
		if !ok {
			out = append(out, ItemChange{Code: n.Code, Kind: "追加", New: n})
			continue
		}
		var fields []string
		cmp := func(label string, a, b string) {
			if a != b {
				fields = append(fields, label)
			}
		}
		cmp("分類", o.Category, n.Category)
		cmp("監査項目", o.Question, n.Question)
		cmp("判定基準", o.Criteria.Conform+o.Criteria.Partial+o.Criteria.Nonconform, n.Criteria.Conform+n.Criteria.Partial+n.Criteria.Nonconform)
		cmp("監査資料の例", strings.Join(o.Evidence, "\n"), strings.Join(n.Evidence, "\n"))
		cmp("確認方法", strings.Join(o.Methods, "\n"), strings.Join(n.Methods, "\n"))
		cmp("技法", strings.Join(o.Techniques, ","), strings.Join(n.Techniques, ","))
		cmp("重要度", o.Priority, n.Priority)
		cmp("視察項目", fmt.Sprint(o.SiteInspection), fmt.Sprint(n.SiteInspection))
		cmp("対象", strings.Join(o.Applicability, ","), strings.Join(n.Applicability, ","))
		cmp("脅威", strings.Join(o.Threats, ","), strings.Join(n.Threats, ","))
		cmp("回答者", strings.Join(o.Audience, ","), strings.Join(n.Audience, ","))
		cmp("根拠規定", clauseKeys(o.Clauses), clauseKeys(n.Clauses))
		if len(fields) > 0 {
			out = append(out, ItemChange{Code: n.Code, Kind: "変更", Fields: fields, Old: o, New: n})
		}
	}
	for i := range old {
		if !seen[old[i].Code] {
			out = append(out, ItemChange{Code: old[i].Code, Kind: "削除", Old: &old[i]})
		}
	}
	return out
}

func clauseKeys(cs []StoredClause) string {
	var ks []string
	for _, c := range cs {
		ks = append(ks, c.Framework+":"+c.Number)
	}
	return strings.Join(ks, ",")
}

// Previous returns the version of the same kind just before t, if any.
func (s *Store) Previous(ctx context.Context, t StoredTemplate) (StoredTemplate, bool, error) {
	var p StoredTemplate
	err := s.db.QueryRow(ctx, "SELECT id, kind, version, title, frozen FROM checklist_templates WHERE kind = ? AND version < ? ORDER BY version DESC LIMIT 1",
		t.Kind, t.Version).Scan(&p.ID, &p.Kind, &p.Version, &p.Title, &p.Frozen)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("catalog.Previous: %w", err)
	}
	return p, true, nil
}
