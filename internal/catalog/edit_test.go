package catalog_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/web"
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

// ---- HTTP: the screens on a real router and server ----

// fakeAuth signs in one user per session token; the CSRF token is derived
// from the session token.
type fakeAuth map[string]*web.User

func (a fakeAuth) Session(_ context.Context, tok string) (*web.User, string, error) {
	if u := a[tok]; u != nil {
		return u, "csrf-" + tok, nil
	}
	return nil, "", nil
}
func (a fakeAuth) Denied(context.Context, *web.User, string, string) {}

// wardName is the organisation's read API as far as the catalogue uses it.
type wardName string

func (w wardName) WardName(context.Context) string { return string(w) }

type site struct {
	srv *httptest.Server
	db  *database.DB
	t   *testing.T
}

func newSite(t *testing.T, db *database.DB) (*site, *auditlog.Log, func(string) int64) {
	t.Helper()
	log, id := loadMapped(t, db)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	rd, err := web.NewRenderer(logger)
	if err != nil {
		t.Fatal(err)
	}
	auth := fakeAuth{}
	for i, role := range web.AllRoles {
		auth[string(role)] = &web.User{ID: int64(i + 1), Login: string(role), DisplayName: role.Label(), Role: role}
	}
	rt := web.NewRouter(auth, rd, logger)
	if err := catalog.NewWeb(catalog.NewStore(db), log, nil, wardName("ひので区")).Routes(rt); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return &site{srv: srv, db: db, t: t}, log, id
}

type browser struct {
	*http.Client
	s    *site
	role string
}

func (s *site) as(role string) *browser {
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(s.srv.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: web.SessionCookie, Value: role, Path: "/"}})
	return &browser{Client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, s: s, role: role}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.s.t.Helper()
	resp, err := b.Get(b.s.srv.URL + path)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.s.t.Helper()
	form.Set("csrf_token", "csrf-"+b.role)
	resp, err := b.PostForm(b.s.srv.URL+path, form)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func itemForm(it catalog.Item, action string) url.Values {
	v := url.Values{"code": {it.Code}, "category": {it.Category}, "clauses": {strings.Join(it.Clauses, "\n")}, "question": {it.Question},
		"conform": {it.Criteria.Conform}, "partial": {it.Criteria.Partial}, "nonconform": {it.Criteria.Nonconform},
		"evidence": {strings.Join(it.Evidence, "\n")}, "methods": {strings.Join(it.Methods, "\n")}, "techniques": it.Techniques,
		"priority": {it.Priority}, "applicability": it.Applicability, "threats": it.Threats, "audience": it.Audience, "notes": {it.Notes}, "action": {action}}
	if it.SiteInspection {
		v.Set("site_inspection", "1")
	}
	return v
}

func TestItemScreens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s, log, _ := newSite(t, db)
		ctx := context.Background()
		tid := templateID(t, db)
		ids, _ := itemIDs(t, db, tid)
		item := "/catalog/items/" + itoa(ids[0])
		c := s.as("consultant")

		resp, body := c.get(item + "/edit")
		if resp.StatusCode != 200 || !strings.Contains(body, "サーバは施錠できる場所に置かれているか。") || !strings.Contains(body, `value="inspection" checked`) {
			t.Fatalf("edit form: %d", resp.StatusCode)
		}

		// Errors are shown next to their fields, the input is kept, nothing is saved.
		in := validItem()
		in.Code = "IN-4.1-01"
		in.Question = ""
		in.Clauses = []string{"g:4.1", "g:77"}
		in.Notes = "入力を残す<確認>"
		resp, body = c.post(item, itemForm(in, "save"))
		if resp.StatusCode != 400 {
			t.Fatalf("invalid save: %d", resp.StatusCode)
		}
		for _, want := range []string{"監査項目（質問）がありません", "条項 g:77 は登録されていません", "入力を残す&lt;確認&gt;", "g:77", `aria-invalid="true"`} {
			if !strings.Contains(body, want) {
				t.Errorf("error page lacks %q", want)
			}
		}
		if got, _ := catalog.NewStore(db).Item(ctx, ids[0]); got.Question != "サーバは施錠できる場所に置かれているか。" {
			t.Fatal("invalid form changed the item")
		}

		// Preview renders the printed row without saving.
		in = validItem()
		in.Code = "IN-4.1-01"
		in.Question = "サーバ室の鍵は管理簿で管理されているか。"
		in.SiteInspection = true
		resp, body = c.post(item, itemForm(in, "preview"))
		if resp.StatusCode != 200 || !strings.Contains(body, "プレビュー") || !strings.Contains(body, "サーバ室の鍵は管理簿で管理されているか。（視察）") ||
			!strings.Contains(body, "<strong>適合（○）：</strong>") || !strings.Contains(body, "管理区域の管理") {
			t.Fatalf("preview: %d", resp.StatusCode)
		}
		if got, _ := catalog.NewStore(db).Item(ctx, ids[0]); got.Question != "サーバは施錠できる場所に置かれているか。" {
			t.Fatal("preview saved the item")
		}

		// Save.
		resp, _ = c.post(item, itemForm(in, "save"))
		if resp.StatusCode != 303 {
			t.Fatalf("save: %d", resp.StatusCode)
		}
		if got, _ := catalog.NewStore(db).Item(ctx, ids[0]); got.Question != in.Question {
			t.Fatal("not saved")
		}

		// New item at a position, with the same validation.
		resp, body = c.get("/catalog/templates/" + itoa(tid) + "/items/new")
		if resp.StatusCode != 200 || !strings.Contains(body, "末尾（4 番目）") {
			t.Fatalf("new form: %d", resp.StatusCode)
		}
		nf := itemForm(validItem(), "save")
		nf.Set("position", "2")
		resp, _ = c.post("/catalog/templates/"+itoa(tid)+"/items", nf)
		if resp.StatusCode != 303 {
			t.Fatalf("create: %d", resp.StatusCode)
		}
		if _, codes := itemIDs(t, db, tid); codes[1] != "IN-4.2-01" {
			t.Fatalf("inserted at %v", codes)
		}
		resp, body = c.post("/catalog/templates/"+itoa(tid)+"/items", nf)
		if resp.StatusCode != 400 || !strings.Contains(body, "項目コード IN-4.2-01 は、このチェックリストの別の項目") {
			t.Fatalf("duplicate create: %d", resp.StatusCode)
		}
		nf.Set("position", "99")
		if resp, body = c.post("/catalog/templates/"+itoa(tid)+"/items", nf); resp.StatusCode != 400 || !strings.Contains(body, "追加する位置") {
			t.Fatalf("bad position: %d", resp.StatusCode)
		}

		// Move and delete.
		if resp, _ = c.post(item+"/move", url.Values{"dir": {"down"}}); resp.StatusCode != 303 {
			t.Fatalf("move: %d", resp.StatusCode)
		}
		if resp, _ = c.post(item+"/move", url.Values{"dir": {"sideways"}}); resp.StatusCode != 400 {
			t.Fatalf("bad move: %d", resp.StatusCode)
		}
		if resp, _ = c.post("/catalog/items/"+itoa(ids[2])+"/delete", url.Values{}); resp.StatusCode != 303 {
			t.Fatalf("delete: %d", resp.StatusCode)
		}

		// Readers read; they cannot edit.
		for _, role := range []string{"auditor", "viewer"} {
			b := s.as(role)
			if resp, _ := b.get(item); resp.StatusCode != 200 {
				t.Errorf("%s reading item: %d", role, resp.StatusCode)
			}
			if resp, _ := b.get(item + "/edit"); resp.StatusCode != 403 {
				t.Errorf("%s edit form: %d", role, resp.StatusCode)
			}
			if resp, _ := b.post(item, itemForm(in, "save")); resp.StatusCode != 403 {
				t.Errorf("%s save: %d", role, resp.StatusCode)
			}
			if resp, _ := b.post(item+"/delete", url.Values{}); resp.StatusCode != 403 {
				t.Errorf("%s delete: %d", role, resp.StatusCode)
			}
		}
		// The item page shows edit buttons to editors only.
		if _, body := c.get(item); !strings.Contains(body, item+"/edit") {
			t.Error("consultant sees no edit button")
		}
		if _, body := s.as("viewer").get(item); strings.Contains(body, item+"/edit") {
			t.Error("viewer sees an edit button")
		}

		// Frozen: read-only with a message, changes refused.
		if err := catalog.Freeze(ctx, db, log, tid, time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, body = c.get(item + "/edit")
		if resp.StatusCode != 200 || !strings.Contains(body, "凍結されているため") || strings.Contains(body, `name="question"`) {
			t.Fatalf("frozen edit form: %d", resp.StatusCode)
		}
		if resp, body = c.post(item, itemForm(in, "save")); resp.StatusCode != 409 || !strings.Contains(body, "凍結されているため") {
			t.Fatalf("frozen save: %d", resp.StatusCode)
		}
		if resp, body = c.post(item+"/delete", url.Values{}); resp.StatusCode != 409 || !strings.Contains(body, "凍結されているため") {
			t.Fatalf("frozen delete: %d", resp.StatusCode)
		}
	})
}

func TestMappingScreens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s, _, id := newSite(t, db)
		c := s.as("admin")
		ward := "/catalog/clauses/" + itoa(id("w:第22条"))

		resp, body := c.get(ward)
		if resp.StatusCode != 200 || !strings.Contains(body, "対応する条項（0）") || !strings.Contains(body, "対応を追加") {
			t.Fatalf("clause page: %d", resp.StatusCode)
		}
		// Choosing the framework lists its clauses.
		g, _ := catalog.NewStore(db).MappedClauseByID(context.Background(), id("g:4.3"))
		if _, body = c.get(ward + "?fw=" + itoa(g.FrameworkID)); !strings.Contains(body, `<option value="`+itoa(g.ID)+`">4.3 通信回線の管理</option>`) {
			t.Fatal("clause choices of the chosen framework missing")
		}

		for _, tc := range []struct {
			name string
			form url.Values
			want string
		}{
			{"nothing chosen", url.Values{}, "対応づける条項を一覧から選ぶか"},
			{"same framework", url.Values{"ref": {"w:第19条"}}, "同じ枠組み"},
			{"unknown", url.Values{"ref": {"g:8.8"}}, "条項 g:8.8 は登録されていません"},
			{"malformed", url.Values{"ref": {"g8"}}, "書き方になっていません"},
			{"same clause", url.Values{"clause": {itoa(id("w:第22条"))}}, "同じ条項どうし"},
		} {
			tc.form.Set("note", "残す備考")
			resp, body := c.post(ward+"/mappings", tc.form)
			if resp.StatusCode != 400 || !strings.Contains(body, tc.want) || !strings.Contains(body, "残す備考") {
				t.Errorf("%s: %d, want %q", tc.name, resp.StatusCode, tc.want)
			}
		}
		resp, _ = c.post(ward+"/mappings", url.Values{"fw": {itoa(g.FrameworkID)}, "clause": {itoa(g.ID)}, "note": {"回線全般"}})
		if resp.StatusCode != 303 {
			t.Fatalf("add: %d", resp.StatusCode)
		}
		if resp, body = c.post(ward+"/mappings", url.Values{"ref": {"g:4.3"}}); resp.StatusCode != 400 || !strings.Contains(body, "既に登録されています") {
			t.Fatalf("duplicate: %d", resp.StatusCode)
		}
		// Shown on both clauses, in both directions.
		if _, body = c.get(ward); !strings.Contains(body, "→ 対応先") || !strings.Contains(body, "通信回線の管理") || !strings.Contains(body, "回線全般") {
			t.Fatal("outgoing mapping not shown")
		}
		_, body = c.get("/catalog/clauses/" + itoa(g.ID))
		if !strings.Contains(body, "← 対応元") || !strings.Contains(body, "第22条") || !strings.Contains(body, "区のポリシー") {
			t.Fatal("incoming mapping not shown")
		}

		// Readers see mappings but cannot change them.
		v := s.as("viewer")
		if _, body := v.get(ward); !strings.Contains(body, "通信回線の管理") || strings.Contains(body, "対応を追加") {
			t.Fatal("viewer's clause page")
		}
		var mid int64
		_ = db.QueryRow(context.Background(), "SELECT id FROM clause_mappings WHERE to_clause_id = ?", g.ID).Scan(&mid)
		if resp, _ := v.post("/catalog/mappings/"+itoa(mid)+"/delete", url.Values{}); resp.StatusCode != 403 {
			t.Fatalf("viewer removed a mapping: %d", resp.StatusCode)
		}
		if resp, _ := s.as("auditor").post(ward+"/mappings", url.Values{"ref": {"g:4.2"}}); resp.StatusCode != 403 {
			t.Fatalf("auditor added a mapping: %d", resp.StatusCode)
		}
		if resp, _ := s.as("staff").get(ward); resp.StatusCode != 403 {
			t.Fatalf("staff read the catalogue: %d", resp.StatusCode)
		}
		resp, _ = c.post("/catalog/mappings/"+itoa(mid)+"/delete", url.Values{"back": {itoa(g.ID)}})
		if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/catalog/clauses/"+itoa(g.ID)) {
			t.Fatalf("remove: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}

		// The framework pair page and its spreadsheet.
		w, _ := catalog.NewStore(db).MappedClauseByID(context.Background(), id("w:第19条"))
		pair := "/catalog/frameworks/" + itoa(w.FrameworkID) + "/mappings"
		resp, body = v.get(pair)
		if resp.StatusCode != 200 || !strings.Contains(body, "対応なし") || !strings.Contains(body, "第22条") || !strings.Contains(body, "通信回線の管理") {
			t.Fatalf("pair page: %d", resp.StatusCode)
		}
		if resp, _ := v.get(pair + "?to=" + itoa(w.FrameworkID)); resp.StatusCode != 400 {
			t.Fatalf("pair with itself: %d", resp.StatusCode)
		}
		if resp, _ := v.get(pair + "/export"); resp.StatusCode != 400 {
			t.Fatalf("export without a partner: %d", resp.StatusCode)
		}
		resp, x := v.get(pair + "/export?to=" + itoa(g.FrameworkID))
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "filename*=") {
			t.Fatalf("pair export: %d", resp.StatusCode)
		}
		rows := xlsxRows(t, []byte(x))
		found := false
		for _, r := range rows {
			if len(r) >= 4 && r[0] == "第19条" && r[2] == "4.1" {
				found = true
			}
		}
		if !found {
			t.Fatalf("mapping row missing in %q", rows)
		}
		if auditCount(t, db, "download") != 1 {
			t.Fatal("pair export not audited")
		}
	})
}
