package audit_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mamori/internal/audit"
	"mamori/internal/webtest"
)

// fieldworkFixture is the demo's internal audit of 障害者福祉課, in 実施,
// led by the demo auditor, with its fieldwork cleared so that each test
// starts from an empty record.
type fieldworkFixture struct {
	s   *webtest.Server
	eid int64
}

func newFieldwork(t *testing.T) fieldworkFixture {
	t.Helper()
	s := webtest.Start(t, webtest.Options{Demo: true})
	eid := s.ID("SELECT id FROM audit_engagements WHERE title LIKE '%（障害者福祉課）' AND phase = 'fieldwork'")
	for _, q := range []string{
		"UPDATE audit_items SET judgement = '', status = 'todo', technique = '', notes = '', focus = FALSE, recheck = FALSE, prev_judgement = '', prev_notes = '', rev = 0 WHERE engagement_id = ?",
		"DELETE FROM audit_interviews WHERE engagement_id = ?",
		"DELETE FROM audit_evidence WHERE engagement_id = ?",
		"DELETE FROM audit_doc_requests WHERE engagement_id = ?",
		"DELETE FROM audit_findings WHERE engagement_id = ?",
		"UPDATE audit_reports SET state = 'draft' WHERE engagement_id = ?",
	} {
		if _, err := s.DB.Exec(t.Context(), q, eid); err != nil {
			t.Fatal(err)
		}
	}
	return fieldworkFixture{s: s, eid: eid}
}

// item returns the id of the engagement's n-th item (checklist order).
func (f fieldworkFixture) item(n int) int64 {
	return f.s.ID(fmt.Sprintf("SELECT id FROM audit_items WHERE engagement_id = ? AND NOT dropped ORDER BY sort_order, id LIMIT 1 OFFSET %d", n), f.eid)
}

func (f fieldworkFixture) path(format string, args ...any) string {
	return fmt.Sprintf("/audit/%d", f.eid) + fmt.Sprintf(format, args...)
}

// row reads an item's fieldwork as stored.
func (f fieldworkFixture) row(t *testing.T, id int64) (judgement, status, technique, notes string, rev int64) {
	t.Helper()
	if err := f.s.DB.QueryRow(t.Context(), "SELECT judgement, status, technique, notes, rev FROM audit_items WHERE id = ?", id).
		Scan(&judgement, &status, &technique, &notes, &rev); err != nil {
		t.Fatal(err)
	}
	return
}

// postJSON posts a form as the page's script does and decodes the answer.
func postJSON(t *testing.T, c *webtest.Client, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	form.Set("csrf_token", c.CSRF())
	req, err := http.NewRequest(http.MethodPost, c.Base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	r := c.Do(req)
	var out map[string]any
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
		t.Fatalf("POST %s: %d, not JSON: %s", path, r.StatusCode, webtest.Excerpt(r.Body))
	}
	return r.StatusCode, out
}

func itemForm(rev int64, judgement, status, notes string, techniques ...string) url.Values {
	return url.Values{"rev": {fmt.Sprint(rev)}, "judgement": {judgement}, "status": {status}, "notes": {notes}, "technique": techniques}
}

// TestFieldworkSaveItem: a save names the rev it read; a stale rev is a
// 409 with both versions and changes nothing; bad codes are 400; an item
// of another engagement and the auditee get 404; after the report is
// final nothing is saved.
func TestFieldworkSaveItem(t *testing.T) {
	f := newFieldwork(t)
	s, c := f.s, f.s.As("auditor")
	id := f.item(0)
	page := f.path("/items/%d", id)
	c.Get(page).Want(200, "判定の基準", "1 適合", `name="rev" value="0"`, `capture="environment"`)
	c.Get(f.path("/fieldwork")).Want(200, "0 / ", "判定済み")

	// A plain form: saved, back to the item with a message.
	c.Post(page, itemForm(0, "conform", "doing", "USBメモリ管理簿を閲覧した。", "document", "interview")).Redirects(page)
	j, st, tech, notes, rev := f.row(t, id)
	if j != "conform" || st != "doing" || tech != "interview,document" || notes != "USBメモリ管理簿を閲覧した。" || rev != 1 {
		t.Fatalf("saved %q %q %q %q rev %d", j, st, tech, notes, rev)
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.item_save' AND target = ? AND detail LIKE '%判定 未判定→適合%'", fmt.Sprintf("audit_item:%d", id)); n != 1 {
		t.Fatalf("item_save logged %d times", n)
	}

	// The script: JSON with the new rev.
	code, out := postJSON(t, c, page, itemForm(1, "partial", "done", "USBメモリ管理簿を閲覧した。返却欄の記入漏れ3件。", "document"))
	if code != 200 || out["ok"] != true || out["rev"] != float64(2) {
		t.Fatalf("json save: %d %v", code, out)
	}

	// A second auditor still holding rev 1: refused with both versions.
	other := s.As("consultant")
	code, out = postJSON(t, other, page, itemForm(1, "nonconform", "done", "別の所見", "inspection"))
	if code != http.StatusConflict || out["conflict"] == nil {
		t.Fatalf("stale json save: %d %v", code, out)
	}
	cf := out["conflict"].(map[string]any)
	if cf["rev"] != float64(2) || !strings.Contains(fmt.Sprint(cf["values"]), "返却欄の記入漏れ3件") || !strings.Contains(fmt.Sprint(cf["fields"]), "別の所見") {
		t.Fatalf("conflict answer lacks both versions: %v", cf)
	}
	if j, _, _, notes, rev := f.row(t, id); j != "partial" || rev != 2 || !strings.Contains(notes, "記入漏れ") {
		t.Fatalf("stale save changed the item: %q %q rev %d", j, notes, rev)
	}
	// Without the script: the page again, 409, both texts, the stored rev.
	other.Post(page, itemForm(1, "nonconform", "done", "別の所見", "inspection")).
		Want(http.StatusConflict, "他の人が先に保存しました", "返却欄の記入漏れ3件", "別の所見", `name="rev" value="2"`)
	// The same content sent again (its answer lost) is no conflict.
	code, out = postJSON(t, c, page, itemForm(1, "partial", "done", "USBメモリ管理簿を閲覧した。返却欄の記入漏れ3件。", "document"))
	if code != 200 || out["rev"] != float64(2) {
		t.Fatalf("resent save: %d %v", code, out)
	}

	// Bad input: 400, named, nothing changed, the typed text kept.
	code, out = postJSON(t, c, page, itemForm(2, "excellent", "done", "x"))
	if code != 400 || !strings.Contains(fmt.Sprint(out["errors"]), "判定は") {
		t.Fatalf("bad judgement: %d %v", code, out)
	}
	c.Post(page, itemForm(2, "conform", "finished", "途中まで書いた所見")).Want(400, "状況は", "途中まで書いた所見")
	c.Post(page, itemForm(2, "conform", "done", "x", "telepathy")).Want(400, "監査技法「telepathy」")
	c.Post(page, itemForm(2, "conform", "done", strings.Repeat("あ", audit.MaxNotes+1))).Want(400, "4000文字以内")
	if j, _, _, _, rev := f.row(t, id); j != "partial" || rev != 2 {
		t.Fatalf("bad input changed the item: %q rev %d", j, rev)
	}

	// An item dropped from the checklist is read only.
	dropped := f.item(30)
	if _, err := s.DB.Exec(t.Context(), "UPDATE audit_items SET dropped = TRUE, dropped_reason = '当課に窓口がないため' WHERE id = ?", dropped); err != nil {
		t.Fatal(err)
	}
	c.Post(f.path("/items/%d", dropped), itemForm(0, "conform", "done", "")).Want(400, "除外されている")
	c.Get(f.path("/items/%d", dropped)).Want(200, "チェックリスト外の項目", "当課に窓口がないため", "data-closed")

	// An item of another engagement through this engagement's path: 404.
	foreign := s.ID("SELECT MIN(id) FROM audit_items WHERE engagement_id <> ?", f.eid)
	c.Post(f.path("/items/%d", foreign), itemForm(0, "conform", "done", "")).Want(404)
	admin := s.As("admin")
	admin.Post(f.path("/items/%d", foreign), itemForm(0, "conform", "done", "")).Want(404)
	if n := s.Count("SELECT COUNT(*) FROM audit_items WHERE id = ? AND judgement = 'conform' AND rev = 0", foreign); n > 0 {
		t.Fatal("an item of another engagement was judged")
	}

	// The auditee of an engagement of their own department: 404, unchanged.
	own := s.ID("SELECT id FROM audit_engagements WHERE kind = 'system' AND system_name = '住民記録システム'")
	ownItem := s.ID("SELECT MIN(id) FROM audit_items WHERE engagement_id = ?", own)
	var before int64
	_ = s.DB.QueryRow(t.Context(), "SELECT rev FROM audit_items WHERE id = ?", ownItem).Scan(&before)
	auditee := s.As("auditee")
	auditee.Get(fmt.Sprintf("/audit/%d/fieldwork", own)).Want(404)
	auditee.Get(fmt.Sprintf("/audit/%d/items/%d", own, ownItem)).Want(404)
	auditee.Post(fmt.Sprintf("/audit/%d/items/%d", own, ownItem), itemForm(before, "nonconform", "done", "")).Want(404)
	if n := s.Count("SELECT COUNT(*) FROM audit_items WHERE id = ? AND rev = ?", ownItem, before); n != 1 {
		t.Fatal("the auditee changed an item")
	}
	auditee.Post(page, itemForm(2, "conform", "done", "")).Want(404) // another department's engagement
	s.As("viewer").Get(page).Want(403)

	// Once the report is final, fieldwork is read only.
	if _, err := s.DB.Exec(t.Context(), "UPDATE audit_reports SET state = 'final' WHERE engagement_id = ?", f.eid); err != nil {
		t.Fatal(err)
	}
	code, out = postJSON(t, c, page, itemForm(2, "conform", "done", "確定後"))
	if code != http.StatusConflict || out["closed"] != true {
		t.Fatalf("save after final: %d %v", code, out)
	}
	c.Get(page).Want(200, "閲覧のみ", "data-closed")
	if j, _, _, _, _ := f.row(t, id); j != "partial" {
		t.Fatal("saved after the report was final")
	}
}

// TestFieldworkBulk: a category's unjudged items to 該当なし with a reason,
// 「前年どおり確認済」 on chosen items, and the checklist's filters.
func TestFieldworkBulk(t *testing.T) {
	f := newFieldwork(t)
	s, c := f.s, f.s.As("auditor")
	ctx := t.Context()
	var cat string
	if err := s.DB.QueryRow(ctx, `SELECT category FROM audit_items WHERE engagement_id = ? AND NOT dropped GROUP BY category
		HAVING COUNT(*) >= 2 ORDER BY MIN(sort_order) LIMIT 1`, f.eid).Scan(&cat); err != nil {
		t.Fatal(err)
	}
	judged := s.ID("SELECT MIN(id) FROM audit_items WHERE engagement_id = ? AND category = ?", f.eid, cat)
	c.Post(f.path("/items/%d", judged), itemForm(0, "nonconform", "done", "不備あり")).Redirects(f.path("/items/%d", judged))

	// No reason: refused beside the category's form, nothing changed.
	c.Post(f.path("/fieldwork/na"), url.Values{"category": {cat}, "reason": {"  "}}).Want(400, "理由を入力してください")
	if n := s.Count("SELECT COUNT(*) FROM audit_items WHERE engagement_id = ? AND judgement = 'na'", f.eid); n != 0 {
		t.Fatalf("%d items marked without a reason", n)
	}
	c.Post(f.path("/fieldwork/na"), url.Values{"category": {"存在しない分類"}, "reason": {"対象外"}}).Want(400, "チェックリストにない分類")
	c.Post(f.path("/fieldwork/na"), url.Values{"category": {cat}, "reason": {"当課では該当する事務を行っていないため"}}).Redirects(f.path("/fieldwork"))
	total := s.Count("SELECT COUNT(*) FROM audit_items WHERE engagement_id = ? AND category = ? AND NOT dropped", f.eid, cat)
	if n := s.Count("SELECT COUNT(*) FROM audit_items WHERE engagement_id = ? AND category = ? AND judgement = 'na' AND status = 'done' AND notes LIKE '%当課では該当する事務%'", f.eid, cat); n != total-1 {
		t.Fatalf("na: %d of %d", n, total-1)
	}
	if j, _, _, notes, _ := f.row(t, judged); j != "nonconform" || notes != "不備あり" {
		t.Fatalf("a judged item was changed by the bulk: %q %q", j, notes)
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.item_na' AND detail LIKE ?", "%"+cat+"%"); n != 1 {
		t.Fatalf("bulk na logged %d times", n)
	}
	c.Post(f.path("/fieldwork/na"), url.Values{"category": {cat}, "reason": {"再度"}}).Want(400, "未判定の項目がありません")

	// Last year's results on two items; 「前年どおり確認済」.
	a, b, none := f.item(10), f.item(11), f.item(12)
	for _, q := range []struct {
		id         int64
		prev, note string
	}{{a, "conform", "前年：管理簿を閲覧し、記入に漏れがないことを確認した。"}, {b, "partial", "前年：施錠の記録に漏れがあった。"}} {
		if _, err := s.DB.Exec(ctx, "UPDATE audit_items SET prev_judgement = ?, prev_notes = ? WHERE id = ?", q.prev, q.note, q.id); err != nil {
			t.Fatal(err)
		}
	}
	// b already has this year's notes: they are kept.
	c.Post(f.path("/items/%d", b), itemForm(0, "", "doing", "今年の所見")).Redirects(f.path("/items/%d", b))
	c.Get(f.path("/fieldwork")).Want(200, fmt.Sprintf(`value="%d:0" form="prev-form"`, a), fmt.Sprintf(`value="%d:1" form="prev-form"`, b))
	// A stale rev refuses the whole action.
	c.Post(f.path("/fieldwork/prev"), url.Values{"item": {fmt.Sprintf("%d:0", a), fmt.Sprintf("%d:0", b)}}).Want(409, "他の人が先に更新しました")
	if n := s.Count("SELECT COUNT(*) FROM audit_items WHERE id = ? AND judgement <> ''", a); n != 0 {
		t.Fatal("a refused bulk action changed an item")
	}
	c.Post(f.path("/fieldwork/prev"), url.Values{"item": {fmt.Sprintf("%d:0", none)}}).Want(400, "前年の結果がありません")
	c.Post(f.path("/fieldwork/prev"), url.Values{"item": {fmt.Sprintf("%d:0", a), fmt.Sprintf("%d:1", b)}}).Redirects(f.path("/fieldwork"))
	if j, st, _, notes, _ := f.row(t, a); j != "conform" || st != "done" || !strings.HasPrefix(notes, "前年：管理簿") {
		t.Fatalf("prev a: %q %q %q", j, st, notes)
	}
	if j, st, _, notes, _ := f.row(t, b); j != "partial" || st != "done" || notes != "今年の所見" {
		t.Fatalf("prev b: %q %q %q", j, st, notes)
	}

	// Filters: 未判定, 要再確認, 前年から変化, the category, the status.
	c.Post(f.path("/items/%d", a), itemForm(1, "partial", "done", "今年は一部不適合", "document")).Redirects(f.path("/items/%d", a))
	rc := f.item(20)
	if _, err := s.DB.Exec(ctx, "UPDATE audit_items SET recheck = TRUE, focus = TRUE WHERE id = ?", rc); err != nil {
		t.Fatal(err)
	}
	codeOf := func(id int64) string {
		var code string
		_ = s.DB.QueryRow(ctx, "SELECT code FROM audit_items WHERE id = ?", id).Scan(&code)
		return ">" + code + "</a>"
	}
	c.Get(f.path("/fieldwork?changed=1")).Want(200, codeOf(a), "1 件").Lacks(codeOf(b), codeOf(rc))
	c.Get(f.path("/fieldwork?recheck=1")).Want(200, codeOf(rc)).Lacks(codeOf(a))
	c.Get(f.path("/fieldwork?focus=1")).Want(200, codeOf(rc)).Lacks(codeOf(a))
	c.Get(f.path("/fieldwork?unjudged=1")).Want(200, codeOf(rc)).Lacks(codeOf(a), codeOf(judged))
	c.Get(f.path("/fieldwork?status=done&category=")+url.QueryEscape(cat)).Want(200, codeOf(judged)).Lacks(codeOf(rc))
	c.Get(f.path("/fieldwork?status=bogus")).Want(200, "状況の指定が正しくありません")
	// The item screen walks the filtered items.
	r := c.Get(f.path("/items/%d?recheck=1", rc)).Want(200, "1 / 1 項目", "（絞り込み中）")
	if strings.Contains(r.Body, `data-nav="next"`) {
		t.Fatal("a filtered walk of one item offers a next item")
	}
}

// TestFieldworkQualityChecks: the checks before 報告 name the right items.
func TestFieldworkQualityChecks(t *testing.T) {
	f := newFieldwork(t)
	s, c := f.s, f.s.As("auditor")
	ctx := t.Context()
	st := audit.NewStoreFrom(s.Deps())
	bare, noted, photo, nc, nc2, rc := f.item(0), f.item(1), f.item(2), f.item(3), f.item(4), f.item(5)
	save := func(id int64, j, notes string) {
		t.Helper()
		var rev int64
		_ = s.DB.QueryRow(ctx, "SELECT rev FROM audit_items WHERE id = ?", id).Scan(&rev)
		c.Post(f.path("/items/%d", id), itemForm(rev, j, "done", notes)).Redirects(f.path("/items/%d", id))
	}
	save(bare, "conform", "")
	save(noted, "conform", "規程を閲覧し、承認欄の押印を確認した。")
	save(photo, "conform", "")
	c.Upload(f.path("/items/%d/evidence", photo), url.Values{"kind": {"photo"}}, "file", "施錠.png", pngBytes()).Redirects(f.path("/items/%d", photo))
	save(nc, "nonconform", "")
	save(nc2, "partial", "")
	if _, err := s.DB.Exec(ctx, "UPDATE audit_items SET recheck = TRUE WHERE id = ?", rc); err != nil {
		t.Fatal(err)
	}
	var nc2Code string
	_ = s.DB.QueryRow(ctx, "SELECT code FROM audit_items WHERE id = ?", nc2).Scan(&nc2Code)
	if _, err := s.DB.Exec(ctx, `INSERT INTO audit_findings (engagement_id, seq, type, title, item_codes, created_at, updated_at)
		VALUES (?, 99, 'recommendation', '施錠の徹底', ?, '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z')`, f.eid, "X-1, "+nc2Code); err != nil {
		t.Fatal(err)
	}
	// Evidence whose file record is gone.
	if _, err := s.DB.Exec(ctx, `INSERT INTO audit_evidence (engagement_id, item_id, kind, filename, content_type, size, sha256, created_at)
		VALUES (?, ?, 'file', '消えた資料.pdf', 'application/pdf', 10, 'x', '2026-12-01T00:00:00Z')`, f.eid, noted); err != nil {
		t.Fatal(err)
	}
	issues, err := st.QualityChecks(ctx, f.eid)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]int64{}
	for _, q := range issues {
		got[q.Kind] = append(got[q.Kind], q.ItemID)
	}
	items := s.Count("SELECT COUNT(*) FROM audit_items WHERE engagement_id = ? AND NOT dropped", f.eid)
	if fmt.Sprint(got[audit.QualityConformNoEvidence]) != fmt.Sprint([]int64{bare}) {
		t.Errorf("conform without evidence: %v, want [%d]", got[audit.QualityConformNoEvidence], bare)
	}
	if fmt.Sprint(got[audit.QualityNoFinding]) != fmt.Sprint([]int64{nc}) {
		t.Errorf("without a finding: %v, want [%d]", got[audit.QualityNoFinding], nc)
	}
	if fmt.Sprint(got[audit.QualityRecheck]) != fmt.Sprint([]int64{rc}) {
		t.Errorf("recheck: %v, want [%d]", got[audit.QualityRecheck], rc)
	}
	if fmt.Sprint(got[audit.QualityEvidenceNoFile]) != fmt.Sprint([]int64{noted}) {
		t.Errorf("evidence without a file: %v, want [%d]", got[audit.QualityEvidenceNoFile], noted)
	}
	if len(got[audit.QualityUnjudged]) != items-5 {
		t.Errorf("unjudged: %d, want %d", len(got[audit.QualityUnjudged]), items-5)
	}
	c.Get(f.path("/quality")).Want(200, "証跡のない「適合」（1 件）", "指摘のない「不適合」「一部不適合」（1 件）", "消えた資料.pdf",
		fmt.Sprintf(`href="/audit/%d/items/%d"`, f.eid, bare))
	// An interview naming the bare item is evidence too.
	var bareCode string
	_ = s.DB.QueryRow(ctx, "SELECT code FROM audit_items WHERE id = ?", bare).Scan(&bareCode)
	c.Post(f.path("/interviews"), url.Values{"kind": {"interview"}, "person": {"山田"}, "position": {"係長"}, "items": {bareCode}}).Redirects(f.path("/interviews/"))
	issues, _ = st.QualityChecks(ctx, f.eid)
	for _, q := range issues {
		if q.Kind == audit.QualityConformNoEvidence {
			t.Errorf("after an interview naming it: %v", q)
		}
	}
	// A destroyed key makes every file unreadable: one issue says so.
	if err := st.DestroyKey(ctx, f.eid, audit.Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	issues, _ = st.QualityChecks(ctx, f.eid)
	n := 0
	for _, q := range issues {
		if q.Kind == audit.QualityEvidenceNoFile {
			n++
			if !strings.Contains(q.Message, "暗号鍵") {
				t.Errorf("key destroyed: %q", q.Message)
			}
		}
	}
	if n != 1 {
		t.Errorf("key destroyed: %d issues, want 1", n)
	}
}

// TestFieldworkEvidenceAndInterviews: a photo from the tablet becomes the
// item's encrypted evidence; wrong types are refused; interviews and an
// inspection round save with rev like items.
func TestFieldworkEvidenceAndInterviews(t *testing.T) {
	f := newFieldwork(t)
	s, c := f.s, f.s.As("auditor")
	ctx := t.Context()
	id := f.item(0)
	page := f.path("/items/%d", id)
	c.Upload(page+"/evidence", url.Values{"kind": {"photo"}, "note": {"サーバ室の扉"}}, "file", "image.png", pngBytes()).Redirects(page)
	if n := s.Count("SELECT COUNT(*) FROM audit_evidence WHERE item_id = ? AND kind = 'photo' AND note = 'サーバ室の扉'", id); n != 1 {
		t.Fatalf("photo evidence: %d", n)
	}
	c.Get(page).Want(200, "image.png", "サーバ室の扉")
	c.Upload(page+"/evidence", url.Values{"kind": {"photo"}}, "file", "memo.txt", []byte("テキスト")).Want(400, "image")
	c.Upload(page+"/evidence", url.Values{"kind": {"file"}}, "file", "memo.txt", []byte("聞き取りメモ")).Redirects(page)
	c.Upload(page+"/evidence", url.Values{"kind": {"other"}}, "file", "memo.txt", []byte("x")).Want(400, "証跡の種類")
	ev, data, err := audit.NewStoreFrom(s.Deps()).EvidenceFile(ctx, f.eid, s.ID("SELECT MAX(id) FROM audit_evidence WHERE item_id = ?", id))
	if err != nil || string(data) != "聞き取りメモ" || ev.Kind != "file" {
		t.Fatalf("evidence file: %v %q %v", ev, data, err)
	}

	// An interview: made, then saved as typed with rev; stale rev: 409.
	var code1, code2 string
	_ = s.DB.QueryRow(ctx, "SELECT code FROM audit_items WHERE id = ?", id).Scan(&code1)
	_ = s.DB.QueryRow(ctx, "SELECT code FROM audit_items WHERE id = ?", f.item(1)).Scan(&code2)
	c.Post(f.path("/interviews"), url.Values{"kind": {"interview"}, "items": {"NO-SUCH-CODE"}}).Want(400, "聞き取りの相手", "NO-SUCH-CODE")
	r := c.Post(f.path("/interviews"), url.Values{"kind": {"interview"}, "person": {"佐藤 花子"}, "position": {"庶務担当係長"}, "held_at": {"2026-09-10T13:30"},
		"items": {code1 + "、" + code2}}).Redirects(f.path("/interviews/"))
	ivPath := r.Header.Get("Location")
	c.Get(ivPath).Want(200, "佐藤　花子", `value="2026-09-10T13:30"`)
	form := url.Values{"person": {"佐藤 花子"}, "position": {"庶務担当係長"}, "held_at": {"2026-09-10 13:30"}, "items": {code1}, "notes": {"USBメモリの貸出は係長が承認している。"}, "rev": {"1"}}
	code, out := postJSON(t, c, ivPath, form)
	if code != 200 || out["rev"] != float64(2) {
		t.Fatalf("interview save: %d %v", code, out)
	}
	form.Set("notes", "別の記録")
	code, out = postJSON(t, s.As("consultant"), ivPath, form)
	if code != 409 || !strings.Contains(fmt.Sprint(out["conflict"]), "USBメモリの貸出") {
		t.Fatalf("stale interview save: %d %v", code, out)
	}
	c.Get(page).Want(200, "聞き取り：庶務担当係長 佐藤　花子")
	s.As("auditee").Get(ivPath).Want(404)

	// An inspection round ticks the 視察 items.
	var site string
	if err := s.DB.QueryRow(ctx, "SELECT code FROM audit_items WHERE engagement_id = ? AND site_inspection ORDER BY sort_order LIMIT 1", f.eid).Scan(&site); err != nil {
		t.Fatal(err)
	}
	r = c.Post(f.path("/interviews"), url.Values{"kind": {"inspection"}, "place": {"執務室"}}).Redirects(f.path("/interviews/"))
	round := r.Header.Get("Location")
	c.Get(round).Want(200, "視察の対象の項目", `name="item" value="`+site+`"`)
	code, out = postJSON(t, c, round, url.Values{"place": {"執務室"}, "item": {site}, "notes": {"離席時の画面ロックを確認"}, "rev": {"1"}})
	if code != 200 {
		t.Fatalf("round save: %d %v", code, out)
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_interviews WHERE engagement_id = ? AND kind = 'inspection' AND item_codes = ?", f.eid, site); n != 1 {
		t.Fatal("the ticked 視察 item was not kept")
	}
	c.Post(round+"/delete", url.Values{"rev": {"1"}}).Redirects(round) // stale: told, not deleted
	c.Post(round+"/delete", url.Values{"rev": {"2"}}).Redirects(f.path("/interviews"))
	if n := s.Count("SELECT COUNT(*) FROM audit_interviews WHERE engagement_id = ? AND kind = 'inspection'", f.eid); n != 0 {
		t.Fatal("round not deleted")
	}
	for _, a := range []string{"audit.interview_create", "audit.interview_save", "audit.interview_delete", "audit.evidence_add"} {
		if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = ?", a) == 0 {
			t.Errorf("%s not logged", a)
		}
	}
}

// pngBytes is a 1×1 PNG.
func pngBytes() []byte {
	return []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")
}
