package audit_test

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"mamori/internal/catalog"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// engagementOf is the demo's internal audit of a department.
func engagementOf(t *testing.T, s *webtest.Server, dept string) int64 {
	t.Helper()
	return s.ID(`SELECT e.id FROM audit_engagements e JOIN audit_engagement_departments t ON t.engagement_id = e.id
		JOIN departments d ON d.id = t.department_id WHERE e.kind = 'internal' AND d.name = ?
		AND e.fiscal_year = (SELECT MAX(fiscal_year) FROM audit_engagements)`, dept)
}

// itemRow is what a test reads back of an item.
type itemRow struct {
	ID, Rev                 int64
	Dropped, Added          bool
	Reason, DroppedReason   string
	Question, Judgement, Nt string
}

func readItem(t *testing.T, s *webtest.Server, engagement int64, code string) itemRow {
	t.Helper()
	var r itemRow
	err := s.DB.QueryRow(t.Context(), `SELECT id, rev, dropped, added, reason, dropped_reason, question, judgement, notes FROM audit_items
		WHERE engagement_id = ? AND code = ?`, engagement, code).Scan(&r.ID, &r.Rev, &r.Dropped, &r.Added, &r.Reason, &r.DroppedReason, &r.Question, &r.Judgement, &r.Nt)
	if err != nil {
		t.Fatalf("item %s: %v", code, err)
	}
	return r
}

// TestChecklistAddDropRestore: the tab shows the frozen checklist with
// reasons; an item of the template is added with a reason, dropped and
// restored with a reason; bad input, stale versions and an item of another
// engagement are refused with nothing changed; every change is audited.
func TestChecklistAddDropRestore(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	id := engagementOf(t, s, "生活福祉課") // 事前調査, led by the auditor
	path := fmt.Sprintf("/audit/%d/checklist", id)
	c := s.As("auditor")
	c.Get(path).Want(200, "元にしたチェックリスト", "含めた理由：", "全所属に適用", "除外した項目", "項目の追加", "総務省ガイドライン")

	count := func() int { return s.Count("SELECT COUNT(*) FROM audit_items WHERE engagement_id = ?", id) }
	before := count()
	var code string
	if err := s.DB.QueryRow(t.Context(), `SELECT MIN(ci.code) FROM checklist_items ci WHERE ci.template_id = (SELECT template_id FROM audit_engagements WHERE id = ?)
		AND ci.code NOT IN (SELECT code FROM audit_items WHERE engagement_id = ?)`, id, id).Scan(&code); err != nil || code == "" {
		t.Fatalf("no candidate item: %v", err)
	}
	// Add: the reason is required, the code must exist and be new.
	c.Post(path+"/add", url.Values{"code": {code}, "reason": {""}}).Want(400, "追加の理由を入力してください", code)
	c.Post(path+"/add", url.Values{"code": {"NO-SUCH-01"}, "reason": {"念のため"}}).Want(400, "コード「NO-SUCH-01」の項目は", "念のため")
	if count() != before {
		t.Fatal("a refused add changed the checklist")
	}
	c.Post(path+"/add", url.Values{"code": {code}, "reason": {"昨年度の事故を踏まえて確認する"}}).Redirects(path)
	added := readItem(t, s, id, code)
	if !added.Added || !strings.Contains(added.Reason, "昨年度の事故を踏まえて確認する") || count() != before+1 {
		t.Fatalf("added item: %+v (%d items)", added, count())
	}
	c.Post(path+"/add", url.Values{"code": {code}, "reason": {"もう一度"}}).Want(400, "すでにチェックリストにあります")

	// Drop: the reason is required; a stale rev is a conflict.
	drop := fmt.Sprintf("%s/%d/drop", path, added.ID)
	c.Get(drop).Want(200, "除外の理由（必須）", code)
	c.Post(drop, url.Values{"rev": {fmt.Sprint(added.Rev)}, "reason": {"  "}}).Want(400, "除外の理由を入力してください")
	c.Post(drop, url.Values{"rev": {fmt.Sprint(added.Rev + 5)}, "reason": {"対象外"}}).Want(409, "他の人が変更しています")
	if readItem(t, s, id, code).Dropped {
		t.Fatal("a refused drop dropped the item")
	}
	c.Post(drop, url.Values{"rev": {fmt.Sprint(added.Rev)}, "reason": {"所属に該当する事務がないため"}}).Redirects(path)
	dropped := readItem(t, s, id, code)
	if !dropped.Dropped || dropped.DroppedReason != "所属に該当する事務がないため" || dropped.Rev != added.Rev+1 {
		t.Fatalf("dropped item: %+v", dropped)
	}
	c.Get(path).Want(200, "所属に該当する事務がないため", fmt.Sprintf("/checklist/%d/restore\"", added.ID))
	c.Post(path+"/add", url.Values{"code": {code}, "reason": {"再追加"}}).Want(400, "除外されています")

	// Restore, with its reason kept among the item's reasons.
	restore := fmt.Sprintf("%s/%d/restore", path, added.ID)
	c.Post(restore, url.Values{"rev": {fmt.Sprint(dropped.Rev)}, "reason": {""}}).Want(400, "戻す理由を入力してください")
	c.Post(restore, url.Values{"rev": {fmt.Sprint(dropped.Rev)}, "reason": {"窓口の業務分担が変わったため"}}).Redirects(path)
	back := readItem(t, s, id, code)
	if back.Dropped || back.DroppedReason != "" || !strings.Contains(back.Reason, "再び含める") || !strings.Contains(back.Reason, "窓口の業務分担が変わったため") {
		t.Fatalf("restored item: %+v", back)
	}
	for action, n := range map[string]int{"audit.checklist_add": 1, "audit.checklist_drop": 1, "audit.checklist_restore": 1} {
		if got := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = ? AND target = ?", action, fmt.Sprintf("audit_item:%d", added.ID)); got != n {
			t.Errorf("%s audited %d times, want %d", action, got, n)
		}
	}

	// An item of another engagement in the path of this one: not found.
	other := engagementOf(t, s, "障害者福祉課")
	var foreign int64
	if err := s.DB.QueryRow(t.Context(), "SELECT MIN(id) FROM audit_items WHERE engagement_id = ?", other).Scan(&foreign); err != nil {
		t.Fatal(err)
	}
	c.Post(fmt.Sprintf("%s/%d/drop", path, foreign), url.Values{"rev": {"0"}, "reason": {"x"}}).Want(404)
	// Roles: the auditee and the viewer have no checklist tab; an auditor
	// not on the team gets nothing.
	s.As("auditee").Get(path).Want(403)
	s.As("viewer").Get(path).Want(403)
	notMine := engagementOf(t, s, "人事課") // led by admin
	c.Get(fmt.Sprintf("/audit/%d/checklist", notMine)).Want(404)
}

// TestChecklistLockedAfterReport: from 報告 on, the checklist shows no
// forms and every change is refused with a message.
func TestChecklistLockedAfterReport(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	id := engagementOf(t, s, "国保年金課") // 報告, led by the auditor
	path := fmt.Sprintf("/audit/%d/checklist", id)
	c := s.As("auditor")
	c.Get(path).Want(200, "チェックリストは変更できません").Lacks(`/checklist/add"`, `/drop"`)
	var itemID, rev int64
	if err := s.DB.QueryRow(t.Context(), "SELECT MIN(id) FROM audit_items WHERE engagement_id = ? AND NOT dropped", id).Scan(&itemID); err != nil {
		t.Fatal(err)
	}
	if err := s.DB.QueryRow(t.Context(), "SELECT rev FROM audit_items WHERE id = ?", itemID).Scan(&rev); err != nil {
		t.Fatal(err)
	}
	c.Get(fmt.Sprintf("%s/%d/drop", path, itemID)).Want(200, "変更できません").Lacks(`name="reason"`)
	c.Post(fmt.Sprintf("%s/%d/drop", path, itemID), url.Values{"rev": {fmt.Sprint(rev)}, "reason": {"不要"}}).Want(409, "報告の工程に入った監査のチェックリストは変更できません")
	c.Post(path+"/add", url.Values{"code": {"IN-B1-01"}, "reason": {"追加"}}).Want(409, "変更できません")
	c.Post(path+"/upgrade", url.Values{"from": {"1"}, "to": {"2"}, "confirm": {"1"}}).Want(409, "変更できません")
	if n := s.Count("SELECT COUNT(*) FROM audit_items WHERE id = ? AND dropped", itemID); n != 0 {
		t.Fatal("a locked checklist changed")
	}
}

// TestChecklistUpgrade: a newer catalogue version leaves the engagement
// alone until the move is previewed and confirmed; the move keeps the
// judgement of an item whose code stays, takes its new text, drops (not
// deletes) an item the new version lacks and adds the new one.
func TestChecklistUpgrade(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	ctx := t.Context()
	id := engagementOf(t, s, "障害者福祉課") // 実施, led by the auditor
	path := fmt.Sprintf("/audit/%d/checklist", id)
	c := s.As("auditor")
	var tid int64
	var oldVersion int
	if err := s.DB.QueryRow(ctx, "SELECT template_id, template_version FROM audit_engagements WHERE id = ?", id).Scan(&tid, &oldVersion); err != nil {
		t.Fatal(err)
	}
	c.Get(path+"/upgrade").Want(200, "最新の版です")

	newID, err := catalog.CopyTemplate(ctx, s.DB, s.Log, tid, oldVersion+1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var changed, gone string
	if err := s.DB.QueryRow(ctx, "SELECT MIN(code), MAX(code) FROM audit_items WHERE engagement_id = ? AND NOT dropped AND NOT added", id).Scan(&changed, &gone); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"UPDATE checklist_items SET question = question || '（令和9年度改訂）' WHERE template_id = ? AND code = '" + changed + "'",
		"DELETE FROM checklist_item_clauses WHERE item_id IN (SELECT id FROM checklist_items WHERE template_id = ? AND code = '" + gone + "')",
		"DELETE FROM checklist_items WHERE template_id = ? AND code = '" + gone + "'",
		`INSERT INTO checklist_items (template_id, code, category, question, criteria_conform, criteria_nonconform, techniques, priority, applicability, sort_order)
			VALUES (?, 'IN-NEW-01', '運用／生成AIの利用', '生成AIサービスの業務利用について、所属で利用の可否と入力してよい情報を定めているか。', '定めている。', '定めていない。', 'interview', 'required', 'all', 9999)`,
	} {
		if _, err := s.DB.Exec(ctx, q, newID); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := s.DB.Exec(ctx, "UPDATE audit_items SET judgement = 'conform', notes = '管理簿を閲覧し確認した。' WHERE engagement_id = ? AND code = ?", id, changed); err != nil {
		t.Fatal(err)
	}
	before := readItem(t, s, id, changed)
	// The catalogue's new version changes nothing by itself.
	c.Get(path).Want(200, fmt.Sprintf("新しい版（%s版）があります", fiscalLabel(oldVersion+1)))
	if n := s.Count("SELECT COUNT(*) FROM audit_engagements WHERE id = ? AND template_id = ?", id, tid); n != 1 {
		t.Fatal("a new template version altered the engagement")
	}
	judged := s.Count("SELECT COUNT(*) FROM audit_items WHERE engagement_id = ? AND judgement <> '' AND NOT dropped", id)
	c.Get(path+"/upgrade").Want(200, "IN-NEW-01", changed, gone, "監査項目", fmt.Sprintf("実地監査の判定が %d 項目で記録されています", judged), "新しい版にこの項目がない")
	form := url.Values{"from": {fmt.Sprint(tid)}, "to": {fmt.Sprint(newID)}}
	c.Post(path+"/upgrade", form).Want(400, "判定が", "確認しました")
	stale := url.Values{"from": {fmt.Sprint(tid)}, "to": {fmt.Sprint(tid)}, "confirm": {"1"}}
	c.Post(path+"/upgrade", stale).Want(409, "最新の内容で確認し直してください")
	if n := s.Count("SELECT COUNT(*) FROM audit_engagements WHERE id = ? AND template_id = ?", id, tid); n != 1 {
		t.Fatal("a refused move changed the engagement")
	}
	form.Set("confirm", "1")
	c.Post(path+"/upgrade", form).Redirects(path)

	if n := s.Count("SELECT COUNT(*) FROM audit_engagements WHERE id = ? AND template_id = ? AND template_version = ?", id, newID, oldVersion+1); n != 1 {
		t.Fatal("the engagement did not move to the new version")
	}
	after := readItem(t, s, id, changed)
	if after.ID != before.ID || after.Judgement != "conform" || after.Nt != "管理簿を閲覧し確認した。" || !strings.HasSuffix(after.Question, "（令和9年度改訂）") {
		t.Fatalf("changed item after the move: %+v", after)
	}
	g := readItem(t, s, id, gone)
	if !g.Dropped || !strings.Contains(g.DroppedReason, "新しい版にこの項目がない") {
		t.Fatalf("removed item after the move: %+v", g)
	}
	if n := readItem(t, s, id, "IN-NEW-01"); n.Dropped || n.Added {
		t.Fatalf("new item after the move: %+v", n)
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.checklist_upgrade' AND target = ?", fmt.Sprintf("audit_engagement:%d", id)); n != 1 {
		t.Fatalf("move audited %d times", n)
	}
	c.Get(path+"/upgrade").Want(200, "最新の版です")
}

func fiscalLabel(fy int) string { return fmt.Sprintf("令和%d年度", fy-2018) }

// TestChecklistExport: the printed checklist (PDF) and the workbook (XLSX)
// hold every item with its criteria and evidence, an empty judgement
// column with the ○/△/× drop-down and a notes column.
func TestChecklistExport(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	id := engagementOf(t, s, "生活福祉課")
	c := s.As("auditor")
	n := s.Count("SELECT COUNT(*) FROM audit_items WHERE engagement_id = ? AND NOT dropped", id)
	var first string
	if err := s.DB.QueryRow(t.Context(), "SELECT code FROM audit_items WHERE engagement_id = ? AND NOT dropped ORDER BY sort_order LIMIT 1", id).Scan(&first); err != nil {
		t.Fatal(err)
	}
	b := c.Download(fmt.Sprintf("/audit/%d/documents/checklist.xlsx", id), "application/vnd.openxmlformats-officedocument.spreadsheetml")
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetName(0)
	rows, _ := f.GetRows(sheet)
	head, items := -1, 0
	for i, r := range rows {
		if len(r) >= 9 && r[0] == "No" && strings.HasPrefix(r[6], "判定") && r[7] == "所見・メモ" {
			head = i
			continue
		}
		if head >= 0 && len(r) > 0 && r[0] != "" {
			items++
			if len(r) > 6 && r[6] != "" {
				t.Errorf("row %d: judgement %q printed, want empty", i+1, r[6])
			}
		}
	}
	if head < 0 || items != n {
		t.Fatalf("XLSX: header at %d, %d item rows, want %d", head, items, n)
	}
	if !strings.HasPrefix(rows[head+1][0], first) || !strings.Contains(rows[head+1][3], "適合（○）") {
		t.Errorf("first item row: %q", rows[head+1])
	}
	dvs, err := f.GetDataValidations(sheet)
	if err != nil || len(dvs) == 0 || !strings.Contains(fmt.Sprint(dvs[0].Formula1), "△") {
		t.Errorf("judgement drop-down: %v %v", dvs, err)
	}
	pdf := testkit.PDFBytesText(t, c.Download(fmt.Sprintf("/audit/%d/documents/checklist.pdf", id), "application/pdf"))
	for _, want := range []string{"監査チェックリスト", "実施の記録", first, "判定基準", "所見・メモ", "生活福祉課"} {
		if !strings.Contains(pdf, want) {
			t.Errorf("checklist PDF lacks %q", want)
		}
	}
}
