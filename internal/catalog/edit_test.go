package catalog_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
)

func itemIDs(t *testing.T, db *database.DB, tid int64) (ids []int64, codes []string) {
	t.Helper()
	rows, err := db.Query(context.Background(), "SELECT id, code FROM checklist_items WHERE template_id = ? ORDER BY sort_order", tid)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var c string
		if err := rows.Scan(&id, &c); err != nil {
			t.Fatal(err)
		}
		ids, codes = append(ids, id), append(codes, c)
	}
	return ids, codes
}

func templateID(t *testing.T, db *database.DB) int64 {
	t.Helper()
	var id int64
	if err := db.QueryRow(context.Background(), "SELECT id FROM checklist_templates WHERE kind = 'internal'").Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// validItem is an item that passes every rule.
func validItem() catalog.Item {
	return catalog.Item{Code: "IN-4.2-01", Category: "物理的セキュリティ／管理区域の管理", Clauses: []string{"g:4.2", "w:第20条"},
		Question: "管理区域の入退室は記録されているか。", Criteria: catalog.Criteria{Conform: "全員の入退室が記録されている", Nonconform: "記録がない"},
		Evidence: []string{"入退室記録簿"}, Methods: []string{"直近一か月の記録を見る"}, Techniques: []string{"document", "inspection"}, Priority: "required"}
}

func TestItemEditing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		log, _ := loadMapped(t, db)
		st := catalog.NewStore(db)
		tid := templateID(t, db)
		ids, _ := itemIDs(t, db, tid)

		// Add at the front, then at the end.
		nid, err := catalog.CreateItem(ctx, db, log, tid, validItem(), 1, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		it := validItem()
		it.Code = "IN-9-01"
		if _, err := catalog.CreateItem(ctx, db, log, tid, it, 0, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, codes := itemIDs(t, db, tid); strings.Join(codes, ",") != "IN-4.2-01,IN-4.1-01,IN-4.1-02,IN-4.3-01,IN-9-01" {
			t.Fatalf("order after inserts: %v", codes)
		}
		got, err := st.Item(ctx, nid)
		if err != nil || len(got.Clauses) != 2 || got.Techniques[1] != "inspection" || got.Evidence[0] != "入退室記録簿" {
			t.Fatalf("stored item: %+v %v", got, err)
		}

		// Every rule of the content loader applies, nothing is written.
		bad := []struct {
			name  string
			edit  func(*catalog.Item)
			field string
			want  string
		}{
			{"empty question", func(i *catalog.Item) { i.Question = "  " }, "question", "監査項目（質問）がありません"},
			{"no criteria", func(i *catalog.Item) { i.Criteria.Nonconform = "" }, "criteria", "判定基準"},
			{"unknown clause", func(i *catalog.Item) { i.Clauses = []string{"g:9.9"} }, "clauses", "条項 g:9.9 は登録されていません"},
			{"malformed clause", func(i *catalog.Item) { i.Clauses = []string{"g4.1"} }, "clauses", "書き方になっていません"},
			{"no clause", func(i *catalog.Item) { i.Clauses = nil }, "clauses", "根拠となる条項がありません"},
			{"no technique", func(i *catalog.Item) { i.Techniques = nil }, "techniques", "確認の技法がありません"},
			{"bad technique", func(i *catalog.Item) { i.Techniques = []string{"telepathy"} }, "techniques", `技法 "telepathy"`},
			{"bad priority", func(i *catalog.Item) { i.Priority = "" }, "priority", "重要度"},
			{"duplicate code", func(i *catalog.Item) { i.Code = "IN-4.1-02" }, "code", "別の項目"},
			{"code with space", func(i *catalog.Item) { i.Code = "IN 1" }, "code", "空白"},
			{"too long", func(i *catalog.Item) { i.Question = strings.Repeat("あ", 1001) }, "question", "1000 字以内"},
		}
		before := auditCount(t, db, "catalog.item_update")
		for _, tc := range bad {
			in := validItem()
			tc.edit(&in)
			_, err := catalog.UpdateItem(ctx, db, log, nid, in, time.Now())
			var ie catalog.ItemErrors
			if !errors.As(err, &ie) || !strings.Contains(strings.Join(ie[tc.field], " "), tc.want) {
				t.Errorf("%s: %v, want %s: %q", tc.name, err, tc.field, tc.want)
			}
		}
		if after, _ := st.Item(ctx, nid); after.Question != validItem().Question || auditCount(t, db, "catalog.item_update") != before {
			t.Fatal("a refused edit changed the item or was audited")
		}

		// Saving unchanged values (checkboxes in another order) is no change.
		same := validItem()
		same.Techniques = []string{"inspection", "document"}
		if fields, err := catalog.UpdateItem(ctx, db, log, nid, same, time.Now()); err != nil || len(fields) != 0 {
			t.Fatalf("unchanged save: %v %v", fields, err)
		}
		// A real change is saved and audited with the fields.
		ch := validItem()
		ch.Question = "管理区域の入退室は、外部の者を含めて記録されているか。"
		ch.Clauses = []string{"g:4.2"}
		ch.Notes = "外部の保守員に注意"
		fields, err := catalog.UpdateItem(ctx, db, log, nid, ch, time.Now())
		if err != nil || strings.Join(fields, "、") != "監査項目、根拠規定、備考" {
			t.Fatalf("fields %v %v", fields, err)
		}
		var detail string
		_ = db.QueryRow(ctx, "SELECT detail FROM audit_log WHERE action = 'catalog.item_update' ORDER BY id DESC LIMIT 1").Scan(&detail)
		if !strings.Contains(detail, "IN-4.2-01") || !strings.Contains(detail, "監査項目、根拠規定、備考") {
			t.Fatalf("audit detail %q", detail)
		}
		if got, _ := st.Item(ctx, nid); len(got.Clauses) != 1 || got.Notes != "外部の保守員に注意" {
			t.Fatalf("after update: %+v", got)
		}

		// Move: up from the top changes nothing; down swaps.
		if _, err := catalog.MoveItem(ctx, db, log, nid, -1, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := catalog.MoveItem(ctx, db, log, nid, 1, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, codes := itemIDs(t, db, tid); codes[0] != "IN-4.1-01" || codes[1] != "IN-4.2-01" {
			t.Fatalf("after move: %v", codes)
		}
		if auditCount(t, db, "catalog.item_move") != 1 {
			t.Fatal("move not audited once")
		}

		// Delete closes the gap.
		if _, err := catalog.DeleteItem(ctx, db, log, ids[0], time.Now()); err != nil {
			t.Fatal(err)
		}
		var orders []int
		rows, _ := db.Query(ctx, "SELECT sort_order FROM checklist_items WHERE template_id = ? ORDER BY sort_order", tid)
		for rows.Next() {
			var o int
			_ = rows.Scan(&o)
			orders = append(orders, o)
		}
		rows.Close()
		if len(orders) != 4 || orders[0] != 1 || orders[3] != 4 {
			t.Fatalf("orders after delete: %v", orders)
		}
		var links int
		_ = db.QueryRow(ctx, "SELECT COUNT(*) FROM checklist_item_clauses WHERE item_id = ?", ids[0]).Scan(&links)
		if links != 0 || auditCount(t, db, "catalog.item_delete") != 1 {
			t.Fatalf("delete left %d links or was not audited", links)
		}

		// Self-assessment items need an audience (rule depends on the kind).
		if _, err := db.Exec(ctx, "UPDATE checklist_templates SET kind = 'self_assessment' WHERE id = ?", tid); err != nil {
			t.Fatal(err)
		}
		_, err = catalog.UpdateItem(ctx, db, log, nid, ch, time.Now())
		var ie catalog.ItemErrors
		if !errors.As(err, &ie) || len(ie["audience"]) == 0 {
			t.Fatalf("self-assessment item without audience: %v", err)
		}

		// A frozen version refuses every change.
		if err := catalog.Freeze(ctx, db, log, tid, time.Now()); err != nil {
			t.Fatal(err)
		}
		ch.Audience = []string{"general"}
		if _, err := catalog.UpdateItem(ctx, db, log, nid, ch, time.Now()); !errors.Is(err, catalog.ErrFrozen) {
			t.Fatalf("update of frozen: %v", err)
		}
		if _, err := catalog.CreateItem(ctx, db, log, tid, validItem(), 0, time.Now()); !errors.Is(err, catalog.ErrFrozen) {
			t.Fatalf("create in frozen: %v", err)
		}
		if _, err := catalog.DeleteItem(ctx, db, log, nid, time.Now()); !errors.Is(err, catalog.ErrFrozen) {
			t.Fatalf("delete in frozen: %v", err)
		}
		if _, err := catalog.MoveItem(ctx, db, log, nid, 1, time.Now()); !errors.Is(err, catalog.ErrFrozen) {
			t.Fatalf("move in frozen: %v", err)
		}
	})
}

// TestEditKeepsEdition: saving an item linked to an older edition keeps
// it on that edition.
func TestEditKeepsEdition(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		log, _ := loadMapped(t, db)
		st := catalog.NewStore(db)
		var oldID int64
		if err := db.QueryRow(ctx, "SELECT c.id FROM clauses c JOIN frameworks f ON f.id = c.framework_id WHERE f.code = 'g' AND f.version = 'v1' AND c.number = '4.1'").Scan(&oldID); err != nil {
			t.Fatal(err)
		}
		ids, _ := itemIDs(t, db, templateID(t, db))
		if _, err := db.Exec(ctx, "UPDATE checklist_item_clauses SET clause_id = ? WHERE item_id = ?", oldID, ids[0]); err != nil {
			t.Fatal(err)
		}
		it, _ := st.Item(ctx, ids[0])
		in := catalog.ItemOf(it)
		in.Question += "（改）"
		if _, err := catalog.UpdateItem(ctx, db, log, ids[0], in, time.Now()); err != nil {
			t.Fatal(err)
		}
		var cid int64
		_ = db.QueryRow(ctx, "SELECT clause_id FROM checklist_item_clauses WHERE item_id = ?", ids[0]).Scan(&cid)
		if cid != oldID {
			t.Fatalf("item moved to clause %d, want the older edition's %d", cid, oldID)
		}
	})
}
