package audit_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"mamori/internal/audit"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// The demo auditee works in 戸籍住民課; the demo auditor is on the team of
// its internal audit (and of others), never of the audit of 総務課.

// presurveyEngagement is the internal audit of the auditee's department,
// with its questionnaire reset to a fresh, unanswered one (whatever the
// demo's phase put in it) and no requested documents.
func presurveyEngagement(t *testing.T, s *webtest.Server) int64 {
	t.Helper()
	eid := s.ID(`SELECT MIN(e.id) FROM audit_engagements e JOIN audit_engagement_departments t ON t.engagement_id = e.id
		JOIN users u ON u.department_id = t.department_id JOIN audit_engagement_members m ON m.engagement_id = e.id
		JOIN users a ON a.id = m.user_id AND a.login = 'auditor' WHERE u.login = 'auditee' AND e.kind = 'internal'`)
	for _, q := range []string{
		"UPDATE audit_presurveys SET state = 'draft', comment = '', due_date = '', submitted_by_name = '', submitted_at = '', rev = 0 WHERE engagement_id = ?",
		"UPDATE audit_items SET answer_choice = '', answer = '', answered_by_name = '', answered_at = '' WHERE engagement_id = ?",
		"DELETE FROM audit_evidence WHERE engagement_id = ? AND request_id IS NOT NULL",
		"DELETE FROM audit_doc_requests WHERE engagement_id = ?",
	} {
		if _, err := s.DB.Exec(context.Background(), q, eid); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return eid
}

// otherEngagement is an audit of another department that the auditor is
// not on.
func otherEngagement(t *testing.T, s *webtest.Server) int64 {
	t.Helper()
	return s.ID(`SELECT MIN(e.id) FROM audit_engagements e WHERE NOT EXISTS (SELECT 1 FROM audit_engagement_departments t
		JOIN users u ON u.department_id = t.department_id AND u.login = 'auditee' WHERE t.engagement_id = e.id)
		AND NOT EXISTS (SELECT 1 FROM audit_engagement_members m JOIN users u ON u.id = m.user_id AND u.login = 'auditor' WHERE m.engagement_id = e.id)`)
}

type psItem struct {
	ID   int64
	Code string
}

func presurveyItems(t *testing.T, s *webtest.Server, eid int64) []psItem {
	t.Helper()
	rows, err := s.DB.Query(context.Background(), "SELECT id, code FROM audit_items WHERE engagement_id = ? AND presurvey AND NOT dropped ORDER BY sort_order, id", eid)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []psItem
	for rows.Next() {
		var it psItem
		if err := rows.Scan(&it.ID, &it.Code); err != nil {
			t.Fatal(err)
		}
		out = append(out, it)
	}
	if len(out) < 4 {
		t.Fatalf("engagement %d has %d questionnaire items", eid, len(out))
	}
	return out
}

var baseRe = regexp.MustCompile(`name="base_(\d+)" value="([^"]*)"`)

// bases reads the answer tokens of the auditee's form.
func bases(t *testing.T, body string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range baseRe.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	if len(out) == 0 {
		t.Fatal("the questionnaire form has no items")
	}
	return out
}

// answerForm is a form answering items (id → choice, text) with the tokens read.
func answerForm(base map[string]string, action string, answers map[int64][2]string) url.Values {
	f := url.Values{"action": {action}}
	for id, a := range answers {
		k := fmt.Sprint(id)
		f.Add("item", k)
		f.Set("choice_"+k, a[0])
		f.Set("text_"+k, a[1])
		f.Set("base_"+k, base[k])
	}
	return f
}

func state(t *testing.T, s *webtest.Server, eid int64) string {
	t.Helper()
	var st string
	if err := s.DB.QueryRow(context.Background(), "SELECT state FROM audit_presurveys WHERE engagement_id = ?", eid).Scan(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func answer(t *testing.T, s *webtest.Server, id int64) (string, string, string) {
	t.Helper()
	var c, a, by string
	if err := s.DB.QueryRow(context.Background(), "SELECT answer_choice, answer, answered_by_name FROM audit_items WHERE id = ?", id).Scan(&c, &a, &by); err != nil {
		t.Fatal(err)
	}
	return c, a, by
}

// TestPresurveyAnswerSubmitReview: the auditee answers in drafts and
// submits; bad answers and stale forms are refused with the typed text
// kept; the auditor returns it (a comment required) and closes it; a
// replayed save after submitting changes nothing; other departments and
// auditors not on the team see nothing.
func TestPresurveyAnswerSubmitReview(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
		ctx := context.Background()
		eid := presurveyEngagement(t, s)
		items := presurveyItems(t, s, eid)
		path := fmt.Sprintf("/audit/%d/presurvey", eid)
		// An auditor's note and judgement never reach the auditee.
		if _, err := s.DB.Exec(ctx, "UPDATE audit_items SET notes = '監査人メモ：秘匿', focus = TRUE WHERE id = ?", items[0].ID); err != nil {
			t.Fatal(err)
		}
		ae := s.As("auditee")
		page := ae.Get(path).Want(http.StatusOK, "調査項目", items[0].Code, "一時保存", "提出する", "回答の方法").Lacks("監査人メモ：秘匿", "重点確認")
		base := bases(t, page.Body)

		// A draft of one item, saved with 「ここまでを一時保存」: back where it was.
		at := fmt.Sprintf("#item-%d", items[0].ID)
		ae.Post(path, answerForm(base, "save"+at, map[int64][2]string{items[0].ID: {"yes", "USBメモリ管理簿で貸出と返却を記録している。"}})).Redirects(path + at)
		if c, a, by := answer(t, s, items[0].ID); c != "yes" || !strings.Contains(a, "USBメモリ管理簿") || by == "" {
			t.Fatalf("saved answer %q %q %q", c, a, by)
		}
		if st := state(t, s, eid); st != "in_progress" {
			t.Fatalf("state after the first answer: %s", st)
		}

		// A choice that is none of the four, and a text too long: 400,
		// nothing saved, what was typed still on the page.
		page = ae.Get(path)
		base = bases(t, page.Body)
		bad := answerForm(base, "save", map[int64][2]string{items[1].ID: {"maybe", "途中まで入力した回答"}, items[2].ID: {"no", strings.Repeat("長", 2001)}})
		ae.Post(path, bad).Want(http.StatusBadRequest, "回答を「実施している・一部実施している・実施していない・該当しない」から選んでください",
			"2000文字以内", "途中まで入力した回答")
		if c, a, _ := answer(t, s, items[1].ID); c != "" || a != "" {
			t.Fatalf("a refused form saved %q %q", c, a)
		}

		// Somebody else saved items[0] after this form was read: conflict,
		// both texts on the page, nothing saved.
		stale := base
		ae.Post(path, answerForm(base, "save", map[int64][2]string{items[0].ID: {"partly", "別の端末で直した回答"}})).Redirects(path)
		ae.Post(path, answerForm(stale, "save", map[int64][2]string{items[0].ID: {"no", "古い画面からの回答"}, items[1].ID: {"yes", "一緒に送った回答"}})).
			Want(http.StatusConflict, "他の人が先に回答を更新した項目があります", "古い画面からの回答", "保存されている回答", "別の端末で直した回答")
		if c, _, _ := answer(t, s, items[1].ID); c != "" {
			t.Fatal("a form with a conflict saved another item")
		}

		// Submitting with items unanswered is refused and saves nothing.
		base = bases(t, ae.Get(path).Body)
		ae.Post(path, answerForm(base, "submit", map[int64][2]string{items[1].ID: {"yes", "提出時に入力"}})).
			Want(http.StatusBadRequest, "まだ回答を選んでいない項目が", "提出時に入力")
		if c, _, _ := answer(t, s, items[1].ID); c != "" {
			t.Fatal("a refused submit saved an answer")
		}

		// Everything answered and submitted at once.
		all := map[int64][2]string{}
		for i, it := range items {
			all[it.ID] = [2]string{[]string{"yes", "partly", "no", "na"}[i%4], "回答" + it.Code}
		}
		ae.Post(path, answerForm(base, "submit", all)).Redirects(path)
		if st := state(t, s, eid); st != "submitted" {
			t.Fatalf("state after submit: %s", st)
		}
		// A save after submitting (a form of another tab, with the current
		// tokens): locked, nothing changed, the typed text still shown.
		it3, err := auditStore(t, s).Item(ctx, eid, items[3].ID)
		if err != nil {
			t.Fatal(err)
		}
		replay := answerForm(map[string]string{fmt.Sprint(items[3].ID): audit.AnswerToken(it3)}, "save", map[int64][2]string{items[3].ID: {"no", "提出後に送った回答"}})
		ae.Post(path, replay).Want(http.StatusConflict, "提出済み（または確認済み）のため、回答を変更できません", "提出後に送った回答")
		if _, a, _ := answer(t, s, items[3].ID); a != "回答"+items[3].Code {
			t.Fatalf("a replayed save changed a submitted answer: %q", a)
		}
		page = ae.Get(path).Want(http.StatusOK, "提出済み").Lacks(`name="base_`)

		// The auditor reads the answers beside the items and marks one.
		au := s.As("auditor")
		page = au.Get(path).Want(http.StatusOK, "回答"+items[2].Code, "事前調査票の管理", "修正を依頼して差し戻す", "未回答の項目：0 件", "重点確認にする")
		var rev int64
		if err := s.DB.QueryRow(ctx, "SELECT rev FROM audit_items WHERE id = ?", items[2].ID).Scan(&rev); err != nil {
			t.Fatal(err)
		}
		au.Post(path+"/focus", url.Values{"item": {fmt.Sprint(items[2].ID)}, "rev": {fmt.Sprint(rev)}, "focus": {"1"}}).Redirects(path)
		au.Post(path+"/focus", url.Values{"item": {fmt.Sprint(items[3].ID)}, "rev": {"999"}, "focus": {"1"}}).Redirects(path)
		if n := s.Count("SELECT COUNT(*) FROM audit_items WHERE id IN (?, ?) AND focus", items[2].ID, items[3].ID); n != 1 {
			t.Fatalf("focus marks: %d, want 1 (the stale one refused)", n)
		}
		other := otherEngagement(t, s)
		otherItem := s.ID("SELECT MIN(id) FROM audit_items WHERE engagement_id = ?", other)
		s.As("admin").Post(path+"/focus", url.Values{"item": {fmt.Sprint(otherItem)}, "rev": {"0"}, "focus": {"1"}}).Want(http.StatusNotFound)

		// Returning it needs a comment.
		var psRev int64
		if err := s.DB.QueryRow(ctx, "SELECT rev FROM audit_presurveys WHERE engagement_id = ?", eid).Scan(&psRev); err != nil {
			t.Fatal(err)
		}
		au.Post(path+"/state", url.Values{"action": {"request_changes"}, "rev": {fmt.Sprint(psRev)}, "comment": {"  "}}).
			Want(http.StatusBadRequest, "修正を依頼する内容")
		au.Post(path+"/state", url.Values{"action": {"request_changes"}, "rev": {fmt.Sprint(psRev)}, "comment": {items[0].Code + " の管理簿の保存場所を書いてください。"}}).Redirects(path)
		if st := state(t, s, eid); st != "changes_requested" {
			t.Fatalf("state after the request: %s", st)
		}
		page = ae.Get(path).Want(http.StatusOK, "監査人からの修正の依頼", "管理簿の保存場所を書いてください")
		base = bases(t, page.Body)
		ae.Post(path, answerForm(base, "submit", map[int64][2]string{items[0].ID: {"yes", "管理簿は課長席の書庫に保管している。"}})).Redirects(path)
		if st := state(t, s, eid); st != "submitted" {
			t.Fatalf("state after resubmitting: %s", st)
		}
		// Closing with the rev read; the same form again is stale.
		if err := s.DB.QueryRow(ctx, "SELECT rev FROM audit_presurveys WHERE engagement_id = ?", eid).Scan(&psRev); err != nil {
			t.Fatal(err)
		}
		closeForm := url.Values{"action": {"close"}, "rev": {fmt.Sprint(psRev)}}
		au.Post(path+"/state", closeForm).Redirects(path)
		au.Post(path+"/state", closeForm).Want(http.StatusConflict)
		if st := state(t, s, eid); st != "closed" {
			t.Fatalf("state after closing: %s", st)
		}
		ae.Get(path).Want(http.StatusOK, "確認済み")

		// The due date: 和暦 is read, nonsense refused.
		au.Post(path+"/due", url.Values{"due": {"令和8年6月1日"}}).Redirects(path)
		if n := s.Count("SELECT COUNT(*) FROM audit_presurveys WHERE engagement_id = ? AND due_date = '2026-06-01'", eid); n != 1 {
			t.Fatal("due date not stored")
		}
		au.Post(path+"/due", url.Values{"due": {"来週"}}).Want(http.StatusBadRequest, "回答期限「来週」を日付として読めません")

		// Who may not: the auditee of another department's audit, an auditor
		// not on the team, anyone answering for the auditee.
		ae.Get(fmt.Sprintf("/audit/%d/presurvey", other)).Want(http.StatusNotFound)
		au.Get(fmt.Sprintf("/audit/%d/presurvey", other)).Want(http.StatusNotFound)
		au.Post(path, answerForm(base, "save", map[int64][2]string{items[0].ID: {"no", "監査人が書いた回答"}})).Want(http.StatusNotFound)
		s.As("viewer").Get(path).Want(http.StatusForbidden)

		for _, action := range []string{"audit.presurvey_answer", "audit.presurvey_submit", "audit.presurvey_state", "audit.presurvey_due", "audit.item_focus"} {
			if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = ?", action) == 0 {
				t.Errorf("no %s in the audit log", action)
			}
		}
	})
}

// hidden reads a hidden field of a page.
func hidden(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no hidden field %s\n%s", name, webtest.Excerpt(body))
	}
	return html.UnescapeString(m[1])
}

// sheetRows finds the questionnaire's header row and the row of each key.
func sheetRows(t *testing.T, f *excelize.File) (sheet string, cols map[string]int, byKey map[string]int) {
	t.Helper()
	sheet = "事前調査票"
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	byKey = map[string]int{}
	for i, r := range rows {
		if cols == nil {
			if slices.Contains(r, "キー") {
				cols = map[string]int{}
				for k, h := range r {
					cols[h] = k + 1
				}
			}
			continue
		}
		if k := cols["キー"] - 1; k < len(r) && r[k] != "" {
			byKey[r[k]] = i + 1
		}
	}
	if cols == nil {
		t.Fatal("no header row with キー")
	}
	return sheet, cols, byKey
}

func setCell(t *testing.T, f *excelize.File, sheet string, col, row int, v string) {
	t.Helper()
	c, _ := excelize.CoordinatesToCellName(col, row)
	if err := f.SetCellStr(sheet, c, v); err != nil {
		t.Fatal(err)
	}
}

func xlsxBytes(t *testing.T, f *excelize.File) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPresurveyExcelRoundTrip: the questionnaire goes out as Excel with
// hidden keys and the drop-down, comes back with a preview of every
// change, and is applied; stale, foreign, broken and bomb files are
// refused with nothing changed and the refusal audited.
func TestPresurveyExcelRoundTrip(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	eid := presurveyEngagement(t, s)
	items := presurveyItems(t, s, eid)
	path := fmt.Sprintf("/audit/%d/presurvey", eid)
	ae := s.As("auditee")
	// One answer already there: a blank cell must not clear it.
	ae.Post(path, answerForm(bases(t, ae.Get(path).Body), "save", map[int64][2]string{items[2].ID: {"na", "窓口がないため該当しない。"}})).Redirects(path)

	export := func(c *webtest.Client, p string) *excelize.File {
		t.Helper()
		f, err := excelize.OpenReader(bytes.NewReader(c.Download(p+"/export.xlsx", "application/vnd.openxmlformats")))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	f := export(ae, path)
	sheet, cols, byKey := sheetRows(t, f)
	if len(byKey) != len(items) {
		t.Fatalf("%d rows with a key, want %d", len(byKey), len(items))
	}
	keyCol, _ := excelize.ColumnNumberToName(cols["キー"])
	if vis, _ := f.GetColVisible(sheet, keyCol); vis {
		t.Error("the key column is visible")
	}
	if vis, _ := f.GetSheetVisible("取込情報"); vis {
		t.Error("the 取込情報 sheet is visible")
	}
	dvs, _ := f.GetDataValidations(sheet)
	if len(dvs) == 0 || !strings.Contains(dvs[0].Formula1, "一部実施している") {
		t.Errorf("no answer drop-down: %+v", dvs)
	}
	if v, _ := f.GetCellValue(sheet, fmt.Sprintf("%s%d", mustCol(cols["回答"]), byKey[items[2].Code])); v != "該当しない" {
		t.Errorf("the stored answer is not in the file: %q", v)
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = ? AND detail LIKE '%事前調査票の Excel%'", fmt.Sprintf("audit_engagement:%d", eid)) == 0 {
		t.Error("the export is not audited")
	}

	// Two answers filled in, one text only; item 2's cells left blank.
	setCell(t, f, sheet, cols["回答"], byKey[items[0].Code], "一部実施している")
	setCell(t, f, sheet, cols["回答内容・補足"], byKey[items[0].Code], "貸出簿はあるが返却欄の記入漏れがある。\n月末に係長が点検する。")
	setCell(t, f, sheet, cols["回答"], byKey[items[1].Code], "実施している")
	setCell(t, f, sheet, cols["回答内容・補足"], byKey[items[3].Code], "補足のみ記入")
	setCell(t, f, sheet, cols["回答内容・補足"], byKey[items[2].Code], "")
	good := xlsxBytes(t, f)
	preview := ae.Upload(path+"/import", nil, "file", "事前調査票（回答）.xlsx", good).
		Want(http.StatusOK, "回答が変わる項目は <strong>3 件</strong>", items[0].Code, "一部実施している", "返却欄の記入漏れ", "補足のみ記入", "取り込む（3 件）")
	if c, _, _ := answer(t, s, items[0].ID); c != "" {
		t.Fatal("the preview saved an answer")
	}
	apply := url.Values{"rev": {hidden(t, preview.Body, "rev")}, "file": {hidden(t, preview.Body, "file")}, "changes": {hidden(t, preview.Body, "changes")}}
	ae.Post(path+"/import/apply", apply).Redirects(path)
	if c, a, _ := answer(t, s, items[0].ID); c != "partly" || a != "貸出簿はあるが返却欄の記入漏れがある。\n月末に係長が点検する。" {
		t.Fatalf("imported answer %q %q", c, a)
	}
	if c, a, _ := answer(t, s, items[2].ID); c != "na" || a != "窓口がないため該当しない。" {
		t.Fatalf("blank cells changed an answer: %q %q", c, a)
	}
	if c, a, _ := answer(t, s, items[3].ID); c != "" || a != "補足のみ記入" {
		t.Fatalf("text-only row: %q %q", c, a)
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.presurvey_answer' AND detail LIKE '%Excel%'") != 1 {
		t.Error("the import is not audited")
	}

	count := func() int {
		return s.Count("SELECT COUNT(*) FROM audit_items WHERE engagement_id = ? AND (answer_choice <> '' OR answer <> '')", eid)
	}
	refusals := func() int {
		return s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.presurvey_import_refused'")
	}
	before, refused := count(), refusals()
	refuse := func(name string, data []byte, status int, texts ...string) {
		t.Helper()
		ae.Upload(path+"/import", nil, "file", name, data).Want(status, texts...)
		if count() != before {
			t.Fatalf("%s: a refused file changed answers", name)
		}
		if refusals() != refused+1 {
			t.Fatalf("%s: the refusal is not audited", name)
		}
		refused++
	}
	// The same file again: the questionnaire changed since its export.
	refuse("古い.xlsx", good, http.StatusBadRequest, "出力した後に", "取り込めません")
	// The apply form replayed: stale too.
	ae.Post(path+"/import/apply", apply).Want(http.StatusConflict, "出力した後に")
	refused++
	// Another engagement's questionnaire.
	other := otherEngagement(t, s)
	refuse("別の監査.xlsx", xlsxBytes(t, export(s.As("admin"), fmt.Sprintf("/audit/%d/presurvey", other))), http.StatusBadRequest, "別の監査")
	// Unknown and duplicated keys, a choice that is none of the four.
	f = export(ae, path)
	sheet, cols, byKey = sheetRows(t, f)
	setCell(t, f, sheet, cols["キー"], byKey[items[0].Code], "ZZ-9.9-99")
	setCell(t, f, sheet, cols["キー"], byKey[items[3].Code], items[1].Code)
	setCell(t, f, sheet, cols["回答"], byKey[items[2].Code], "はい")
	refuse("誤り.xlsx", xlsxBytes(t, f), http.StatusBadRequest, fmt.Sprintf("%d行目 ［キー］ キー「ZZ-9.9-99」はこの事前調査票の項目ではありません", byKey[items[0].Code]),
		fmt.Sprintf("%d行目 ［キー］ キー「%s」の行が %d 行目にもあります", byKey[items[3].Code], items[1].Code, byKey[items[1].Code]),
		fmt.Sprintf("%d行目 ［回答］ %s の回答「はい」は選べません", byKey[items[2].Code], items[2].Code))
	// A zip bomb: small, but 40 MB and more once unpacked.
	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	for _, name := range []string{"[Content_Types].xml", "xl/workbook.xml"} {
		w, _ := zw.Create(name)
		_, _ = w.Write([]byte("<x/>"))
	}
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	zeros := make([]byte, 1<<20)
	for range 41 {
		_, _ = w.Write(zeros)
	}
	_ = zw.Close()
	if bomb.Len() > 1<<20 {
		t.Fatalf("the bomb is %d bytes", bomb.Len())
	}
	refuse("爆弾.xlsx", bomb.Bytes(), http.StatusBadRequest, "展開すると 40 MB を超える")
	// Not a workbook at all.
	refuse("偽物.xlsx", []byte("%PDF-1.4 not a workbook"), http.StatusBadRequest, "Excel（.xlsx）")
	// A locked questionnaire takes no file.
	if _, err := s.DB.Exec(context.Background(), "UPDATE audit_presurveys SET state = 'submitted' WHERE engagement_id = ?", eid); err != nil {
		t.Fatal(err)
	}
	refuse("提出後.xlsx", xlsxBytes(t, export(ae, path)), http.StatusBadRequest, "提出済み")
	// Only the auditee imports.
	s.As("admin").Upload(path+"/import", nil, "file", "x.xlsx", good).Want(http.StatusNotFound)
}

func mustCol(n int) string {
	c, _ := excelize.ColumnNumberToName(n)
	return c
}

// TestPresurveyDocument: the printed questionnaire (PDF, DOCX) has the
// wording, the items by category, the answers when asked, and the list of
// documents to submit; downloads are audited.
func TestPresurveyDocument(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	eid := presurveyEngagement(t, s)
	items := presurveyItems(t, s, eid)
	path := fmt.Sprintf("/audit/%d/presurvey", eid)
	downloads := func() int {
		return s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = ?", fmt.Sprintf("audit_engagement:%d", eid))
	}
	before := downloads()
	ae := s.As("auditee")
	ae.Post(path, answerForm(bases(t, ae.Get(path).Body), "save", map[int64][2]string{items[0].ID: {"partly", "記入漏れの点検を月1回に増やす予定。"}})).Redirects(path)
	s.As("auditor").Post(fmt.Sprintf("/audit/%d/requests", eid), url.Values{"name": {"電磁的記録媒体管理簿"}, "purpose": {"媒体の管理状況の確認"},
		"items": {items[0].Code}, "due": {"2026-06-01"}}).Redirects(fmt.Sprintf("/audit/%d/requests", eid))

	blank := testkit.PDFBytesText(t, ae.Download(path+"/document.pdf", "application/pdf"))
	for _, want := range []string{"事前調査票", "調査の目的", "回答の方法", items[0].Code, "□ 実施している", "提出資料一覧", "電磁的記録媒体管理簿", "令和8年6月1日"} {
		if !strings.Contains(strings.ReplaceAll(blank, "\n", ""), want) {
			t.Errorf("blank PDF lacks %q", want)
		}
	}
	if strings.Contains(blank, "記入漏れの点検") {
		t.Error("the blank form has the answers")
	}
	full := strings.ReplaceAll(testkit.PDFBytesText(t, ae.Download(path+"/document.pdf?answers=1", "application/pdf")), "\n", "")
	for _, want := range []string{"■ 一部実施している", "記入漏れの点検を月1回に増やす予定。", "未提出"} {
		if !strings.Contains(full, want) {
			t.Errorf("PDF with answers lacks %q", want)
		}
	}
	docx := ae.Download(path+"/document.docx?answers=1", "application/vnd.openxmlformats-officedocument.wordprocessingml")
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		t.Fatal(err)
	}
	var body string
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			rc, _ := f.Open()
			var b bytes.Buffer
			_, _ = b.ReadFrom(rc)
			rc.Close()
			body = b.String()
		}
	}
	for _, want := range []string{"事前調査票", items[0].Code, "記入漏れの点検を月1回に増やす予定。", "電磁的記録媒体管理簿"} {
		if !strings.Contains(body, want) {
			t.Errorf("DOCX lacks %q", want)
		}
	}
	if n := downloads() - before; n != 3 {
		t.Errorf("%d downloads audited, want 3", n)
	}
	s.As("auditee").Get(fmt.Sprintf("/audit/%d/presurvey/document.pdf", otherEngagement(t, s))).Want(http.StatusNotFound)
}
