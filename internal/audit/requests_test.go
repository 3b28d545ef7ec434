package audit_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mamori/internal/audit"
	"mamori/internal/webtest"
)

// pdfBytes is a small file that passes for a PDF (its content decides
// the type, not its name).
func pdfBytes(text string) []byte {
	return []byte("%PDF-1.4\n% " + text + "\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}

// auditStore is the audit module's store of the running app.
func auditStore(t *testing.T, s *webtest.Server) *audit.Store {
	t.Helper()
	for _, m := range s.Modules {
		if am, ok := m.(*audit.Module); ok {
			return am.Store()
		}
	}
	t.Fatal("no audit module")
	return nil
}

func requestID(t *testing.T, s *webtest.Server, eid int64, name string) int64 {
	t.Helper()
	return s.ID("SELECT id FROM audit_doc_requests WHERE engagement_id = ? AND name = ?", eid, name)
}

// TestRequestsAndEvidence: the auditors keep the list of documents to
// submit (bad input refused with what was typed kept, a stale edit
// refused, the checklist's proposal taken in one step); the auditee
// uploads files (type and size checked, the name made safe, SHA-256
// shown); each download is audited and gives back the same bytes, stored
// encrypted; an auditee reads only their department's documents.
func TestRequestsAndEvidence(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	ctx := context.Background()
	eid := presurveyEngagement(t, s)
	items := presurveyItems(t, s, eid)
	list := fmt.Sprintf("/audit/%d/requests", eid)
	au, ae := s.As("auditor"), s.As("auditee")

	// Bad input: every field named, nothing added, the typed text kept.
	au.Post(list, url.Values{"name": {""}, "purpose": {"台帳の更新状況の確認"}, "items": {items[0].Code + "、ZZ-1"}, "due": {"そのうち"}}).
		Want(http.StatusBadRequest, "資料の名称を入力してください", "項目「ZZ-1」はこの監査のチェックリストにありません", "提出期限「そのうち」を日付として読めません",
			"台帳の更新状況の確認")
	if n := s.Count("SELECT COUNT(*) FROM audit_doc_requests WHERE engagement_id = ?", eid); n != 0 {
		t.Fatalf("a refused request was added (%d)", n)
	}
	au.Post(list, url.Values{"name": {"情報資産台帳"}, "purpose": {"台帳の更新状況の確認"}, "items": {strings.ToLower(items[0].Code) + " " + items[1].Code},
		"due": {"令和8年6月1日"}}).Redirects(list)
	rid := requestID(t, s, eid, "情報資産台帳")
	if n := s.Count("SELECT COUNT(*) FROM audit_doc_requests WHERE id = ? AND item_codes = ? AND due_date = '2026-06-01'", rid, items[0].Code+","+items[1].Code); n != 1 {
		t.Fatal("request not stored as typed (codes matched regardless of case, 和暦 date read)")
	}

	// The proposal from the checklist's evidence lists, taken in one step.
	au.Get(list+"/propose").Want(http.StatusOK, "チェックリストから提出資料を提案", `name="pick"`).Lacks(`value="情報資産台帳"`)
	props, err := auditStore(t, s).ProposeRequests(ctx, eid)
	if err != nil || len(props) < 3 {
		t.Fatalf("proposals: %d %v", len(props), err)
	}
	au.Post(list+"/propose", url.Values{"pick": {props[0].Name, props[1].Name}, "due": {"いつか"}}).Want(http.StatusBadRequest, "提出期限「いつか」を日付として読めません")
	au.Post(list+"/propose", url.Values{"due": {"2026-06-10"}}).Want(http.StatusBadRequest, "追加する資料を選んでください")
	if n := s.Count("SELECT COUNT(*) FROM audit_doc_requests WHERE engagement_id = ?", eid); n != 1 {
		t.Fatalf("a refused proposal added requests (%d)", n)
	}
	au.Post(list+"/propose", url.Values{"pick": {props[0].Name, props[1].Name}, "due": {"2026-06-10"}}).Redirects(list)
	if n := s.Count("SELECT COUNT(*) FROM audit_doc_requests WHERE engagement_id = ? AND due_date = '2026-06-10' AND item_codes <> '' AND purpose <> ''", eid); n != 2 {
		t.Fatalf("%d proposals added, want 2", n)
	}

	// Editing with the rev read; the same form again is stale and keeps
	// what was typed.
	edit := au.Get(fmt.Sprintf("%s/%d/edit", list, rid)).Want(http.StatusOK, "情報資産台帳")
	form := url.Values{"rev": {hidden(t, edit.Body, "rev")}, "name": {"情報資産台帳（令和8年度）"}, "purpose": {"更新日と責任者の確認"}, "items": {items[0].Code}, "due": {"2026-06-01"}}
	au.Post(fmt.Sprintf("%s/%d", list, rid), form).Redirects(list)
	form.Set("purpose", "二度目に送った目的")
	au.Post(fmt.Sprintf("%s/%d", list, rid), form).Want(http.StatusConflict, "他の人が変更しています", "二度目に送った目的", "保存されている内容")
	if n := s.Count("SELECT COUNT(*) FROM audit_doc_requests WHERE id = ? AND purpose = '更新日と責任者の確認'", rid); n != 1 {
		t.Fatal("a stale edit changed the request")
	}

	// The auditee sees the list and uploads; the name loses its folders.
	ae.Get(list).Want(http.StatusOK, "情報資産台帳（令和8年度）", "未提出", "ファイルを提出").Lacks("チェックリストから提出資料を提案", "編集</a>")
	plain := pdfBytes("情報資産台帳 令和8年5月末現在")
	ae.Upload(fmt.Sprintf("%s/%d/files", list, rid), url.Values{"note": {"5月末時点の台帳"}}, "file", `..\..\共有\資産/情報資産台帳.pdf`, plain).Redirects(list)
	var evID int64
	var name, sum string
	if err := s.DB.QueryRow(ctx, "SELECT id, filename, sha256 FROM audit_evidence WHERE request_id = ?", rid).Scan(&evID, &name, &sum); err != nil {
		t.Fatal(err)
	}
	if name != "情報資産台帳.pdf" {
		t.Errorf("stored name %q: folders not removed", name)
	}
	ae.Get(list).Want(http.StatusOK, "情報資産台帳.pdf", sum[:12], "5月末時点の台帳", "バイト")
	// Encrypted at rest: the stored blob is not the file.
	if n := s.Count("SELECT COUNT(*) FROM blobs WHERE id = (SELECT blob_id FROM audit_evidence WHERE id = ?) AND sha256 <> ?", evID, sum); n != 1 {
		t.Error("the stored blob is the plain file")
	}

	// Wrong type (an executable named .pdf), too large, nothing at all:
	// refused, the note kept, nothing stored.
	files := func() int { return s.Count("SELECT COUNT(*) FROM audit_evidence WHERE engagement_id = ?", eid) }
	n := files()
	ae.Upload(fmt.Sprintf("%s/%d/files", list, rid), url.Values{"note": {"実行ファイル"}}, "file", "台帳.pdf", []byte("MZ\x90\x00\x03 this is a program")).
		Want(http.StatusBadRequest, "PDF（.pdf）", "実行ファイル")
	big := append(pdfBytes("big"), bytes.Repeat([]byte("0"), audit.MaxEvidence)...)
	ae.Upload(fmt.Sprintf("%s/%d/files", list, rid), nil, "file", "大きい.pdf", big).Want(http.StatusRequestEntityTooLarge, "大きすぎます")
	ae.Upload(fmt.Sprintf("%s/%d/files", list, rid), nil, "file", "空.pdf", nil).Want(http.StatusBadRequest)
	if files() != n {
		t.Fatal("a refused upload was stored")
	}

	// Download: the same bytes, the stored type, audited.
	ev := fmt.Sprintf("/audit/%d/evidence/%d", eid, evID)
	r := ae.Get(ev).Want(http.StatusOK)
	if !bytes.Equal([]byte(r.Body), plain) {
		t.Fatal("the download differs from the upload")
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("Content-Type %q", ct)
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("headers %v", r.Header)
	}
	if cd := au.Get(ev + "?view=1").Want(http.StatusOK).Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "inline") {
		t.Errorf("view: Content-Disposition %q", cd)
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.evidence_download' AND target = ?", fmt.Sprintf("audit_evidence:%d", evID)); n != 2 {
		t.Errorf("%d evidence reads audited, want 2", n)
	}

	// A photo of the visit is the team's, whoever took it; evidence of
	// another audit, or under another audit's path, is not found.
	photo, err := auditStore(t, s).AddEvidence(ctx, eid, audit.EvidenceInput{Kind: audit.EvidencePhoto, Filename: "サーバ室.jpg", ContentType: "image/jpeg",
		Data: []byte{0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3}}, audit.Actor{UserID: s.ID("SELECT id FROM users WHERE login = 'auditee'"), Name: "被監査所属の職員"})
	if err != nil {
		t.Fatal(err)
	}
	au.Get(fmt.Sprintf("/audit/%d/evidence/%d", eid, photo)).Want(http.StatusOK)
	ae.Get(fmt.Sprintf("/audit/%d/evidence/%d", eid, photo)).Want(http.StatusNotFound)
	other := otherEngagement(t, s)
	otherEv, err := auditStore(t, s).AddEvidence(ctx, other, audit.EvidenceInput{Kind: audit.EvidenceDocument, Filename: "他課.pdf", ContentType: "application/pdf",
		Data: pdfBytes("他課")}, audit.Actor{Name: "事務局"})
	if err != nil {
		t.Fatal(err)
	}
	ae.Get(fmt.Sprintf("/audit/%d/evidence/%d", other, otherEv)).Want(http.StatusNotFound)
	au.Get(fmt.Sprintf("/audit/%d/evidence/%d", other, otherEv)).Want(http.StatusNotFound)
	s.As("admin").Get(fmt.Sprintf("/audit/%d/evidence/%d", eid, otherEv)).Want(http.StatusNotFound)
	s.As("viewer").Get(ev).Want(http.StatusForbidden)

	// The questionnaire page says what is missing, beside the items.
	au.Get(fmt.Sprintf("/audit/%d/presurvey", eid)).Want(http.StatusOK, "未提出の資料：2 件", props[0].Name)

	// A request with files cannot be removed; an empty one can, with its rev.
	del := func(id int64) *webtest.Response {
		e := au.Get(fmt.Sprintf("%s/%d/edit", list, id))
		return au.Post(fmt.Sprintf("%s/%d/delete", list, id), url.Values{"rev": {hidden(t, e.Body, "rev")}})
	}
	del(rid).Redirects(list)
	if s.Count("SELECT COUNT(*) FROM audit_doc_requests WHERE id = ?", rid) != 1 {
		t.Fatal("a request with files was removed")
	}
	empty := requestID(t, s, eid, props[0].Name)
	del(empty).Redirects(list)
	if s.Count("SELECT COUNT(*) FROM audit_doc_requests WHERE id = ?", empty) != 0 {
		t.Fatal("an empty request was not removed")
	}
	// A request of another engagement under this path: not found.
	otherReq, err := auditStore(t, s).AddRequest(ctx, other, audit.RequestInput{Name: "他課の資料"}, audit.Actor{Name: "事務局"})
	if err != nil {
		t.Fatal(err)
	}
	s.As("admin").Get(fmt.Sprintf("%s/%d/edit", list, otherReq)).Want(http.StatusNotFound)
	ae.Upload(fmt.Sprintf("/audit/%d/requests/%d/files", other, otherReq), nil, "file", "x.pdf", pdfBytes("x")).Want(http.StatusNotFound)
	for _, action := range []string{"audit.request_add", "audit.request_update", "audit.request_remove", "audit.evidence_add"} {
		if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = ?", action) == 0 {
			t.Errorf("no %s in the audit log", action)
		}
	}
}
