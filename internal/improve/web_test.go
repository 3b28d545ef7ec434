package improve_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"mamori/internal/docgen/pdf"
	"mamori/internal/improve"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// The register offers what the app asks of a module.
var (
	_ module.Router    = (*improve.Module)(nil)
	_ module.Tabler    = (*improve.Module)(nil)
	_ module.DemoMaker = (*improve.Module)(nil)
	_ module.Tiler     = (*improve.Module)(nil)
	_ module.Year      = (*improve.Module)(nil)
)

// demo starts the demo ward; the demo auditee works in 戸籍住民課.
func demo(t *testing.T) *webtest.Server {
	t.Helper()
	return webtest.Start(t, webtest.Options{Demo: true})
}

func ref(s *webtest.Server, r string) int64 {
	return s.ID("SELECT id FROM improvement_actions WHERE source_ref = ?", r)
}

func TestDemoRegister(t *testing.T) {
	testkit.NoRace(t)
	s := demo(t)
	// The register's own demo actions (the audit module's demo adds its
	// findings' actions besides).
	n := s.Count("SELECT COUNT(*) FROM improvement_actions WHERE source_ref NOT LIKE 'finding:%' AND source_module NOT IN ('selfcheck', 'incident')")
	if n < 15 || n > 25 {
		t.Fatalf("%d demo actions, want 15–25", n)
	}
	for _, src := range improve.Sources {
		if s.Count("SELECT COUNT(*) FROM improvement_actions WHERE source = ?", string(src)) == 0 {
			t.Errorf("no demo action from %s", src.Label())
		}
	}
	for _, st := range improve.Statuses {
		if s.Count("SELECT COUNT(*) FROM improvement_actions WHERE status = ?", string(st)) == 0 {
			t.Errorf("no demo action %s", st.Label())
		}
	}
	// The self-assessment's weak domains enter the register unassigned (the
	// security office decides who carries them out); the rest have owners.
	if s.Count("SELECT COUNT(*) FROM improvement_actions WHERE owner_department_id IS NULL AND source_module <> 'selfcheck'") != 0 {
		t.Error("demo actions without an owner")
	}
	// The list shows overdue ones; a verified one has its whole history.
	s.As("admin").Get("/improve?overdue=1").Want(http.StatusOK, "期限超過", "人事異動・退職者の業務システム利用者IDの棚卸し").
		Lacks("証明書交付窓口の端末における自動画面ロックの設定")
	id := ref(s, "demo-audit-prev-01")
	s.As("viewer").Get(fmt.Sprintf("/improve/%d", id)).Want(http.StatusOK, "確認済", "対策基準 第23条", "状況の変更", "証跡の追加", "確認",
		"窓口端末3台を抽出し").Lacks("状況を変更</button>", "確認済にする")
}

func TestAuditeeSeesOnlyOwnDepartment(t *testing.T) {
	s := demo(t)
	own := ref(s, "demo-audit-prev-02")   // 戸籍住民課 住民記録係: below the auditee's 戸籍住民課
	ownTop := ref(s, "demo-drill-02")     // 戸籍住民課 itself
	other := ref(s, "demo-audit-prev-03") // 税務課
	c := s.As("auditee")

	list := c.Get("/improve").Want(http.StatusOK, "外部記録媒体の管理台帳と現物の照合", "住民記録システム停止時の窓口業務の代替手順の整備",
		"自所属と配下の所属")
	list.Lacks("人事異動・退職者の業務システム利用者IDの棚卸し", "生成AIの業務利用に関する規定の新設")
	// The department filter offers the sub-tree only.
	list.Lacks("税務課</option>")
	want := s.Count(`SELECT COUNT(*) FROM improvement_actions WHERE owner_department_id IN
		(SELECT id FROM departments WHERE name = '戸籍住民課' OR parent_id = (SELECT id FROM departments WHERE name = '戸籍住民課'))`)
	if want < 3 || !strings.Contains(list.Body, fmt.Sprintf("%d 件中 1–%d 件を表示", want, want)) {
		t.Errorf("auditee list does not say %d 件", want)
	}
	// Asking for another department's actions is refused beside the field
	// and shows none of them.
	taxDept := s.ID("SELECT id FROM departments WHERE name = '税務課'")
	c.Get(fmt.Sprintf("/improve?department=%d", taxDept)).Want(http.StatusOK, "所属（配下を含む）の指定が正しくありません").
		Lacks("人事異動・退職者の業務システム利用者IDの棚卸し")
	c.Get(fmt.Sprintf("/improve/export?format=csv-utf8&department=%d", taxDept)).Want(http.StatusBadRequest, "所属（配下を含む）の指定が正しくありません")

	c.Get(fmt.Sprintf("/improve/%d", own)).Want(http.StatusOK, "外部記録媒体の管理台帳と現物の照合")
	c.Get(fmt.Sprintf("/improve/%d", other)).Want(http.StatusNotFound)
	c.Get(fmt.Sprintf("/improve/%d", 999999)).Want(http.StatusNotFound)

	// Updates on another department's action are answered 404 and change nothing.
	before := s.Count("SELECT COUNT(*) FROM improvement_action_events WHERE action_id = ?", other)
	c.Post(fmt.Sprintf("/improve/%d/status", other), url.Values{"status": {"done"}, "note": {"対応した"}}).Want(http.StatusNotFound)
	c.Upload(fmt.Sprintf("/improve/%d/evidence", other), url.Values{"evidence_note": {"記録"}}, "file", "a.txt", []byte("記録\n")).
		Want(http.StatusNotFound)
	c.Get(fmt.Sprintf("/improve/%d/evidence/1", other)).Want(http.StatusNotFound)
	if after := s.Count("SELECT COUNT(*) FROM improvement_action_events WHERE action_id = ?", other); after != before {
		t.Errorf("another department's action got %d events", after-before)
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'access.denied' AND detail LIKE '%improve.action%'") == 0 {
		t.Error("object denials are not in the audit log")
	}
	// Editing and verifying are not the auditee's.
	c.Get(fmt.Sprintf("/improve/%d/edit", own)).Want(http.StatusForbidden)
	c.Post(fmt.Sprintf("/improve/%d/verify", own), url.Values{"verification_note": {"確認"}}).Want(http.StatusForbidden)

	// Their own action: the owner starts it with a note.
	c.Post(fmt.Sprintf("/improve/%d/status", ownTop), url.Values{"status": {"in_progress"}}).Want(http.StatusBadRequest, "メモに入力してください")
	c.Post(fmt.Sprintf("/improve/%d/status", ownTop), url.Values{"status": {"in_progress"}, "note": {"代替手順の素案を作成中"}}).
		Redirects(fmt.Sprintf("/improve/%d", ownTop))
	c.Get(fmt.Sprintf("/improve/%d", ownTop)).Want(http.StatusOK, "対応中", "代替手順の素案を作成中", "戸籍住民課 庶務担当")

	// Their exports hold their actions only.
	csv := c.Download("/improve/export?format=csv-utf8", "text/csv")
	if !bytes.Contains(csv, []byte("外部記録媒体の管理台帳と現物の照合")) || bytes.Contains(csv, []byte("利用者IDの棚卸し")) {
		t.Errorf("auditee CSV holds other departments' actions or misses their own:\n%s", csv)
	}
	// Staff and vendors have no access at all.
	s.As("staff").Get("/improve").Want(http.StatusForbidden)
	s.As("vendor").Get(fmt.Sprintf("/improve/%d", own)).Want(http.StatusForbidden)
}

func TestCSVIsShiftJISWithTheColumns(t *testing.T) {
	s := demo(t)
	b := s.As("auditor").Download("/improve/export?format=csv&source=audit_finding", "text/csv; charset=Shift_JIS")
	if utf8.Valid(b) {
		t.Fatal("CSV is valid UTF-8; want Shift_JIS")
	}
	recs, enc, err := jp.ReadCSV(b)
	if err != nil || enc != jp.ShiftJIS {
		t.Fatalf("ReadCSV: %v %v", enc, err)
	}
	if strings.Join(recs[0], ",") != strings.Join(improve.TableHeaders, ",") {
		t.Fatalf("header %v, want %v", recs[0], improve.TableHeaders)
	}
	want := s.Count("SELECT COUNT(*) FROM improvement_actions WHERE source = 'audit_finding'")
	if len(recs)-1 != want {
		t.Fatalf("%d rows, want %d", len(recs)-1, want)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	found := false
	for _, r := range recs[1:] {
		if r[col["出典の区分"]] != "監査の指摘事項" {
			t.Errorf("row %s: 出典の区分 %q", r[0], r[col["出典の区分"]])
		}
		if r[col["件名"]] == "人事異動・退職者の業務システム利用者IDの棚卸し" {
			found = true
			if r[col["担当所属"]] != "区民部 税務課" || r[col["状況"]] != "対応中" || r[col["期限超過"]] != "期限超過" || r[col["リスク"]] != "高" {
				t.Errorf("tax row: %v", r)
			}
		}
	}
	if !found {
		t.Error("the tax department's finding is missing from the CSV")
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = 'improvement_actions.export'") != 1 {
		t.Error("the CSV download is not audited")
	}

	x := s.As("viewer").Download("/improve/export?format=xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	f, err := excelize.OpenReader(bytes.NewReader(x))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows(improve.Title)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(improve.TableHeaders, ",") || len(rows)-1 != s.Count("SELECT COUNT(*) FROM improvement_actions") {
		t.Errorf("xlsx: header %v, %d rows", rows[0], len(rows)-1)
	}
	s.As("viewer").Get("/improve/export?format=pdf").Want(http.StatusBadRequest, "出力形式")
}

func TestRegisterDocumentPDF(t *testing.T) {
	s := demo(t)
	b := s.As("consultant").Download("/improve/document?format=pdf", "application/pdf")
	text := testkit.PDFBytesText(t, b)
	for _, want := range []string{"改善措置台帳", "ひので区", "令和", "期限超過", "外部記録媒体の管理台帳と現物の照合", "監査の指摘事項"} {
		if !strings.Contains(strings.ReplaceAll(text, " ", ""), want) {
			t.Errorf("PDF lacks %q", want)
		}
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = 'improvement_actions.document'") != 1 {
		t.Error("the PDF download is not audited")
	}
	// The year's deliverable is the same register.
	var m *improve.Module
	for _, mod := range s.Modules {
		if im, ok := mod.(*improve.Module); ok {
			m = im
		}
	}
	if m == nil {
		t.Fatal("the improve module is not in the app's list")
	}
	ds, err := m.Deliverables(context.Background(), 2026)
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliverables: %v %v", ds, err)
	}
	doc, err := ds[0].Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := pdf.Render(&buf, doc); err != nil {
		t.Fatal(err)
	}
	if text := testkit.PDFBytesText(t, buf.Bytes()); !strings.Contains(text, "令和8年度") || !strings.Contains(text, "改善措置台帳") {
		t.Errorf("deliverable PDF lacks the year or the title")
	}
	ps, err := m.Progress(context.Background(), 2026)
	if err != nil || len(ps) != 2 || ps[0].Overdue == 0 || ps[0].Done <= 0 || ps[0].Done >= 1 {
		t.Errorf("progress: %+v %v", ps, err)
	}
}

func TestBadFormNamesTheFieldAndChangesNothing(t *testing.T) {
	s := demo(t)
	c := s.As("consultant")
	actions := s.Count("SELECT COUNT(*) FROM improvement_actions")
	audits := s.Count("SELECT COUNT(*) FROM audit_log")
	c.Post("/improve", url.Values{"fiscal_year": {"令和8年度"}, "source": {"other"}, "title": {" "}, "due": {"来月末"}, "risk": {"特大"}}).
		Want(http.StatusBadRequest, "件名を入力してください", "期限は 令和8年12月25日 か 2026-12-25 の形で入力してください", "リスクは 高・中・低", "保存していません")
	id := ref(s, "demo-gap-03")
	c.Post(fmt.Sprintf("/improve/%d", id), url.Values{"fiscal_year": {"来年度"}, "source": {"policy_gap"}, "title": {"生成AIの規定"}, "risk": {"高"}}).
		Want(http.StatusBadRequest, "年度を 令和8年度 か 2026 の形で入力してください")
	if s.Count("SELECT COUNT(*) FROM improvement_actions") != actions || s.Count("SELECT COUNT(*) FROM audit_log") != audits {
		t.Fatal("a rejected form changed data")
	}
	if s.ID("SELECT COUNT(*) FROM improvement_actions WHERE id = ? AND title = '生成AIの業務利用に関する規定の新設'", id) != 1 {
		t.Fatal("a rejected edit changed the title")
	}

	// A good form creates the action with its history and audit entry.
	owner := s.ID("SELECT id FROM departments WHERE name = '施設課'")
	r := c.Post("/improve", url.Values{"fiscal_year": {"２０２６"}, "source": {"other"}, "source_label": {"定例会での助言"}, "title": {"サーバ室の空調監視の記録"},
		"risk": {"低"}, "owner": {fmt.Sprint(owner)}, "due": {"令和9年1月29日"}})
	r.Redirects("/improve/")
	loc := r.Header.Get("Location")
	c.Get(loc).Want(http.StatusOK, "サーバ室の空調監視の記録", "令和9年1月29日", "施設課", "未着手", "登録")
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'improve.create'") != 1 {
		t.Error("creation is not audited")
	}
	// Edit: the change is listed in the history.
	newID := strings.TrimPrefix(loc, "/improve/")
	c.Post("/improve/"+newID, url.Values{"fiscal_year": {"令和8年度"}, "source": {"other"}, "source_label": {"定例会での助言"}, "title": {"サーバ室の空調監視の記録"},
		"risk": {"中"}, "owner": {fmt.Sprint(owner)}, "due": {"2027-02-26"}}).Redirects("/improve/" + newID)
	c.Get("/improve/"+newID).Want(http.StatusOK, "編集: リスク、期限", "令和9年2月26日")
}

func TestEvidenceUploadAndDownload(t *testing.T) {
	s := demo(t)
	id := ref(s, "demo-drill-02") // 戸籍住民課, open
	c := s.As("auditee")
	path := fmt.Sprintf("/improve/%d/evidence", id)
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)
	c.Upload(path, url.Values{"evidence_note": {"窓口の掲示の写真"}}, "file", "掲示.png", png).Redirects(fmt.Sprintf("/improve/%d", id))
	// Content that does not fit the name, an unaccepted type, nothing at all.
	c.Upload(path, nil, "file", "報告.pdf", []byte("これはテキストです\n")).Want(http.StatusBadRequest, "報告.pdf")
	c.Upload(path, nil, "file", "tool.exe", []byte("MZ\x90\x00\x03\x00\x00\x00")).Want(http.StatusBadRequest, "PDF（.pdf）")
	c.Upload(path, url.Values{"evidence_note": {" "}}, "file", "", nil).Want(http.StatusBadRequest, "証跡のファイルを選ぶか")
	if n := s.Count("SELECT COUNT(*) FROM improvement_action_evidence WHERE action_id = ?", id); n != 1 {
		t.Fatalf("%d evidence rows, want 1", n)
	}
	eid := s.ID("SELECT id FROM improvement_action_evidence WHERE action_id = ?", id)
	page := c.Get(fmt.Sprintf("/improve/%d", id)).Want(http.StatusOK, "掲示.png", "窓口の掲示の写真")
	if !strings.Contains(page.Body, fmt.Sprintf("/improve/%d/evidence/%d", id, eid)) {
		t.Error("no download link for the evidence")
	}
	got := s.As("viewer").Download(fmt.Sprintf("/improve/%d/evidence/%d", id, eid), "image/png")
	if !bytes.Equal(got, png) {
		t.Error("downloaded evidence differs from the upload")
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = ?", fmt.Sprintf("improvement_evidence:%d", eid)) != 1 {
		t.Error("the evidence download is not audited")
	}
	// Evidence of one action is not reachable under another's id.
	other := ref(s, "demo-drill-03")
	s.As("admin").Get(fmt.Sprintf("/improve/%d/evidence/%d", other, eid)).Want(http.StatusNotFound)

	// With evidence, the owner may finish without a note; the admin verifies.
	c.Post(fmt.Sprintf("/improve/%d/status", id), url.Values{"status": {"in_progress"}, "note": {"掲示物を作成した"}}).Redirects("/improve/")
	c.Post(fmt.Sprintf("/improve/%d/status", id), url.Values{"status": {"done"}}).Redirects("/improve/")
	s.As("admin").Get(fmt.Sprintf("/improve/%d", id)).Want(http.StatusOK, "確認済にする")
	s.As("admin").Post(fmt.Sprintf("/improve/%d/verify", id), url.Values{"verification_note": {"掲示を実地で確認した"}}).Redirects("/improve/")
	c.Get(fmt.Sprintf("/improve/%d", id)).Want(http.StatusOK, "確認済", "掲示を実地で確認した").Lacks("証跡を登録</button>")
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'improve.verify' AND target = ?", fmt.Sprintf("improvement_action:%d", id)) != 1 {
		t.Error("verification is not audited")
	}
}

func TestListFiltersOnThePage(t *testing.T) {
	s := demo(t)
	c := s.As("admin")
	c.Get("/improve?q="+url.QueryEscape("ＵＳＢメモリ")).Want(http.StatusOK, "外部記録媒体の管理台帳と現物の照合", "件中 1–")
	c.Get("/improve?source=policy_gap&status=open").Want(http.StatusOK, "LGWAN接続系からのクラウドサービス利用").
		Lacks("生成AIの業務利用に関する規定の新設", "外部記録媒体の管理台帳と現物の照合")
	// A wrong value is shown beside its field with the input kept; the
	// list is not narrowed by it.
	c.Get("/improve?status=closed").Want(http.StatusOK, "状況の指定が正しくありません", `aria-invalid="true"`)
	c.Get("/improve/export?status=closed").Want(http.StatusBadRequest, "状況の指定が正しくありません")
	c.Get("/improve?year="+url.QueryEscape("令和7年度")).Want(http.StatusOK, "保育課").Lacks("生成AIの業務利用に関する規定の新設")
	// Both on one page: the demo holds more than one page of actions (size=200).
	r := c.Get("/improve?sort=due&dir=desc&size=200").Want(http.StatusOK, `aria-sort="descending"`)
	if i, j := strings.Index(r.Body, "情報システムの早期復旧とICT-BCP"), strings.Index(r.Body, "インターネット接続系で受信したメール"); i < 0 || j < 0 || i > j {
		t.Error("descending due date: the latest due is not listed before the earliest")
	}
	c.Get("/").Want(http.StatusOK, "未完了の改善措置", "期限超過の改善措置", "確認待ちの改善措置")
	s.As("auditee").Get("/").Want(http.StatusOK, "自所属の未完了の改善措置").Lacks("確認待ちの改善措置")
	s.As("staff").Get("/").Want(http.StatusOK).Lacks("未完了の改善措置")
}
