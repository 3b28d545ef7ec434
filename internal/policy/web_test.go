package policy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"mamori/internal/policy"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// start is the app on the demo ward with the policy store beside it.
func start(t *testing.T) (*webtest.Server, *policy.Store) {
	t.Helper()
	s := webtest.Start(t, webtest.Options{Demo: true})
	return s, policy.NewStore(s.DB, s.Log, s.Now)
}

// upload posts a file to a policy import form.
func upload(c *webtest.Client, path, name string, data []byte) *webtest.Response {
	return c.Upload(path, nil, "file", name, data)
}

func TestJourney(t *testing.T) {
	s, store := start(t)
	admin := s.As("admin")
	versions := s.Count("SELECT COUNT(*) FROM policy_versions")

	// A document, then its text uploaded and previewed.
	r := admin.Post("/policy/documents", url.Values{"kind": {"standard"}, "title": {"テスト区情報セキュリティ対策基準"}}).Want(http.StatusSeeOther)
	docPath := strings.TrimSuffix(r.Header.Get("Location"), "/import")
	r = upload(admin, docPath+"/import", "kijun.txt", []byte(policy.SampleText)).Want(http.StatusSeeOther)
	preview := r.Header.Get("Location")
	admin.Get(preview).Want(http.StatusOK, "読み取った構造", "第3条", "報告", "条 4", "令和4年3月25日", "テスト区情報セキュリティ委員会決定")
	blobPath := strings.SplitN(preview, "?", 2)[0]
	blobPath = strings.TrimSuffix(blobPath, "/preview")
	docID := strings.TrimPrefix(docPath, "/policy/documents/")

	// The user corrects the text and re-parses; saving the unchecked text only previews again.
	edited := strings.Replace(policy.SampleText, "30日以内", "15日以内", 1)
	admin.Post(blobPath+"/save", url.Values{"doc": {docID}, "text": {edited}, "checked": {"stale"}, "status": {"adopted"}}).
		Want(http.StatusOK, "解析し直した結果を確認してから")
	r = admin.Post(blobPath+"/preview", url.Values{"doc": {docID}, "text": {edited}}).Want(http.StatusOK, "修正した本文を解析し直しました", "15日以内")
	checked := regexp.MustCompile(`name="checked" value="([0-9a-f]+)"`).FindStringSubmatch(r.Body)[1]
	// Missing dates for an adopted version: refused, nothing saved.
	admin.Post(blobPath+"/save", url.Values{"doc": {docID}, "text": {edited}, "checked": {checked}, "status": {"adopted"}}).Want(http.StatusBadRequest, "施行日")
	if s.Count("SELECT COUNT(*) FROM policy_versions") != versions {
		t.Fatal("a refused save stored a version")
	}
	r = admin.Post(blobPath+"/save", url.Values{"doc": {docID}, "text": {edited}, "checked": {checked}, "status": {"adopted"},
		"effective_date": {"令和6年4月1日"}, "decided_by": {"テスト区情報セキュリティ委員会決定"}, "decided_date": {"2024-03-22"}}).Want(http.StatusSeeOther)
	version := r.Header.Get("Location")
	admin.Get(version).Want(http.StatusOK, "令和6年4月1日", `id="a3"`, "15日以内", "目次", "施行中")

	// Revision draft, per-article edits with renumbering shown.
	r = admin.Post(docPath+"/revision", url.Values{"label": {"令和8年度改正案"}}).Want(http.StatusSeeOther)
	draft := r.Header.Get("Location")
	admin.Get(draft).Want(http.StatusOK, "令和8年度改正案", "変更の記録", "この後に新設")
	vid := strings.TrimSuffix(strings.TrimPrefix(draft, "/policy/versions/"), "/draft")
	tree, _ := store.Tree(context.Background(), mustInt(t, vid))
	at3, at1 := policy.UnitPath(t, tree, "第3条"), policy.UnitPath(t, tree, "第1条")
	r = admin.Get(fmt.Sprintf("/policy/versions/%s/change?kind=edit&at=%s", vid, at3)).Want(http.StatusOK, "第3条（報告）", "速やかに")
	rev := regexp.MustCompile(`name="rev" value="(\d+)"`).FindStringSubmatch(r.Body)[1]
	// A broken edit keeps the user's text and changes nothing.
	admin.Post("/policy/versions/"+vid+"/change", url.Values{"kind": {"edit"}, "at": {at3}, "rev": {rev}, "text": {"番号のない文だけを書いた。"},
		"reason": {"報告を早めるため。"}}).Want(http.StatusBadRequest, "番号のない文だけを書いた。", "まだ何も変更していません")
	admin.Post("/policy/versions/"+vid+"/change", url.Values{"kind": {"edit"}, "at": {at3}, "rev": {rev},
		"text":   {"第3条（報告）\n職員等は、事故を知ったときは、直ちに管理者に報告しなければならない。\n２　管理者は、前項の報告を受けたときは、第2条に定める職員等に周知する。"},
		"reason": {"報告を早めるため。"}, "audience": {"all"}, "staff_action": {"事故を知ったら直ちに管理者に報告する。"}}).Want(http.StatusSeeOther)
	r = admin.Post("/policy/versions/"+vid+"/change", url.Values{"kind": {"insert"}, "after": {at1}, "rev": {fmt.Sprint(mustInt(t, rev) + 1)},
		"text":   {"第2条（適用範囲）\nこの基準は、区のすべての所属に適用する。"},
		"reason": {"適用範囲を明らかにするため。"}, "audience": {"manager"}, "staff_action": {"所属の業務がこの基準の対象であることを課内に周知する。"}}).Want(http.StatusSeeOther)
	if !strings.Contains(r.Header.Get("Location"), "changed=") {
		t.Fatalf("redirect %s", r.Header.Get("Location"))
	}
	admin.Get(r.Header.Get("Location")).Want(http.StatusOK, "第2条 → 第3条", "第3条 → 第4条", "第4条（報告）を改正", "第2条（適用範囲）を新設", "新旧対照表（画面表示）", "直ちに")
	admin.Get("/policy/versions/"+vid+"/table.css?opt=1&omit=1").Want(http.StatusOK, ".mdoc")

	// Downloads: valid files, each audited.
	before := s.Count("SELECT COUNT(*) FROM audit_log")
	for _, d := range []struct{ path, kind string }{
		{"/redline?format=pdf", "pdf"}, {"/redline?format=docx", "docx"},
		{"/table?format=pdf&opt=1&omit=1&remarks=1", "pdf"}, {"/table?format=docx&opt=1", "docx"}, {"/table?format=xlsx&opt=1&remarks=1&space=1&width=1", "xlsx"},
		{"/briefing?format=pdf", "pdf"}, {"/briefing?format=docx", "docx"},
		{"/export?format=pdf", "pdf"}, {"/export?format=docx", "docx"}, {"/export?format=html", "html"},
	} {
		body := admin.Get("/policy/versions/" + vid + d.path).Want(http.StatusOK).Body
		checkFile(t, d.path, d.kind, []byte(body))
		if d.path == "/redline?format=docx" {
			xml := docxXML(t, []byte(body))
			if !strings.Contains(xml, "<w:ins ") || !strings.Contains(xml, "<w:del ") || !strings.Contains(xml, "速やかに") {
				t.Fatalf("redline DOCX has no tracked changes")
			}
		}
		if d.path == "/briefing?format=docx" {
			xml := docxXML(t, []byte(body))
			for _, s := range []string{"職員向け説明資料", "報告を早めるため。", "事故を知ったら直ちに管理者に報告する。", "全職員に関係する改正", "管理職に関係する改正"} {
				if !strings.Contains(xml, s) {
					t.Fatalf("briefing DOCX lacks %q", s)
				}
			}
		}
	}
	if got := s.Count("SELECT COUNT(*) FROM audit_log") - before; got != 10 {
		t.Fatalf("%d audit entries for 10 downloads", got)
	}

	// Quiz: generated from the changes, edited, exported.
	admin.Post("/policy/versions/"+vid+"/quiz/generate", nil).Want(http.StatusSeeOther)
	r = admin.Get("/policy/versions/"+vid+"/quiz").Want(http.StatusOK, "問1", "直ちに", "事故を知ったら直ちに管理者に報告する。")
	qid := regexp.MustCompile(`action="/policy/quiz/(\d+)"`).FindStringSubmatch(r.Body)[1]
	admin.Post("/policy/quiz/"+qid, url.Values{"question": {"改正後、事故の報告はいつ行いますか。"}, "choices": {"直ちに\n速やかに\n翌日まで"}, "answer": {"1"},
		"audience": {"all"}, "explanation": {"改正で「直ちに」となりました。"}}).Want(http.StatusSeeOther)
	admin.Post("/policy/quiz/"+qid, url.Values{"question": {"x"}, "choices": {"一つだけ"}, "answer": {"1"}}).Want(http.StatusBadRequest, "選択肢")
	r = admin.Get("/policy/versions/"+vid+"/quiz/export?format=yaml").Want(http.StatusOK, "format: mamori-quiz/1", "改正後、事故の報告はいつ行いますか。")
	if _, err := policy.ParseQuiz([]byte(r.Body)); err != nil {
		t.Fatal(err)
	}
	admin.Get("/policy/versions/"+vid+"/quiz/export?format=json").Want(http.StatusOK, `"answer": 0`)
	r = admin.Get("/policy/versions/" + vid + "/quiz/export?format=docx").Want(http.StatusOK)
	checkFile(t, "quiz", "docx", []byte(r.Body))

	// Adopting the draft supersedes the first version.
	admin.Post("/policy/versions/"+vid+"/adopt", url.Values{"effective_date": {"令和8年4月1日"}, "decided_by": {"委員会決定"}, "decided_date": {"令和8年3月24日"}}).
		Want(http.StatusSeeOther)
	admin.Get(docPath).Want(http.StatusOK, "旧版", "令和8年4月1日")

	// The exported DOCX imports back with the same structure.
	r = admin.Get("/policy/versions/" + vid + "/export?format=docx").Want(http.StatusOK)
	r = upload(admin, docPath+"/import", "export.docx", []byte(r.Body)).Want(http.StatusSeeOther)
	admin.Get(r.Header.Get("Location")).Want(http.StatusOK, "条 5", "適用範囲", "直ちに")

	// Roles: staff and vendors read the public 基本方針 only.
	staff := s.As("staff")
	staff.Get("/policy/versions/" + vid).Want(http.StatusForbidden)
	staff.Get("/policy").Want(http.StatusOK).Lacks("テスト区情報セキュリティ対策基準")
	viewer := s.As("viewer")
	viewer.Post("/policy/versions/"+vid+"/discard", nil).Want(http.StatusForbidden)
	s.As("vendor").Get("/policy/versions/" + vid).Want(http.StatusForbidden)
	viewer.Get("/policy/versions/"+vid+"/draft").Want(http.StatusOK, "新旧対照表").Lacks("この後に新設")
}

func TestPublicBasicPolicy(t *testing.T) {
	s, store := start(t)
	ctx := context.Background()
	id, err := store.CreateDocument(ctx, policy.DocumentInput{Kind: policy.KindBasic, Title: "テスト区情報セキュリティ基本方針"}, policy.Author{})
	if err != nil {
		t.Fatal(err)
	}
	tree := policy.ParseSample(t)
	vid, err := store.CreateVersion(ctx, policy.NewVersion{DocumentID: id, Status: policy.StatusAdopted, Tree: tree,
		Adoption: policy.Adoption{EffectiveDate: policy.FixedNow, DecidedBy: "決定", DecidedDate: policy.FixedNow}}, policy.Author{})
	if err != nil {
		t.Fatal(err)
	}
	draft, err := store.StartRevision(ctx, id, "", policy.Author{})
	if err != nil {
		t.Fatal(err)
	}
	staff := s.As("staff")
	staff.Get("/policy").Want(http.StatusOK, "テスト区情報セキュリティ基本方針", fmt.Sprintf("/policy/versions/%d", vid)).Lacks("改正案")
	staff.Get(fmt.Sprintf("/policy/versions/%d", vid)).Want(http.StatusOK, "第1条（目的）")
	staff.Get(fmt.Sprintf("/policy/versions/%d/export?format=pdf", vid)).Want(http.StatusOK)
	staff.Get(fmt.Sprintf("/policy/versions/%d", draft)).Want(http.StatusForbidden)
	staff.Get(fmt.Sprintf("/policy/documents/%d", id)).Want(http.StatusForbidden)
}

func TestBadUploadsLeaveNothing(t *testing.T) {
	s, _ := start(t)
	admin := s.As("admin")
	admin.Post("/policy/documents", url.Values{"kind": {"procedure"}, "title": {"手順"}}).Want(http.StatusBadRequest, "所管所属") // a procedure needs its department
	r := admin.Post("/policy/documents", url.Values{"kind": {"handbook"}, "title": {"インシデント対応ハンドブック"}}).Want(http.StatusSeeOther)
	imp := r.Header.Get("Location")
	count := func() [3]int {
		return [3]int{s.Count("SELECT COUNT(*) FROM blobs"), s.Count("SELECT COUNT(*) FROM audit_log"), s.Count("SELECT COUNT(*) FROM policy_versions")}
	}
	before := count()
	var docx bytes.Buffer
	zw := zip.NewWriter(&docx)
	f, _ := zw.Create("word/document.xml")
	_, _ = f.Write([]byte("<w:document><w:body><w:p><w:r><w:t>壊れ"))
	_ = zw.Close()
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 1024)...)
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"plain.txt", []byte("この文書には番号がありません。\nただの文章です。\n"), "番号"},
		{"broken.docx", []byte("PK\x03\x04 not really a zip"), "broken.docx"},
		{"cut.docx", docx.Bytes()[:docx.Len()/2], "cut.docx"},
		{"old.docx", ole, ".doc"},
		{"empty.txt", nil, "空"},
		{"huge.txt", bytes.Repeat([]byte("第1条（目的）\nあ\n"), (11<<20)/20), "大きすぎます"},
	} {
		upload(admin, imp, c.name, c.data).Want(http.StatusBadRequest, c.want, "何も登録していません")
	}
	if after := count(); after != before {
		t.Fatalf("a refused upload left something behind: blobs, audit entries, versions %v → %v", before, after)
	}
	// Doubtful numbering is shown in the preview (the upload itself is fine).
	jump := strings.Replace(policy.SampleText, "第4条（記録）", "第7条（記録）", 1)
	r = upload(admin, imp, "jump.txt", []byte(jump)).Want(http.StatusSeeOther)
	r = admin.Get(r.Header.Get("Location")).Want(http.StatusOK, "確認が必要な箇所")
	if !regexp.MustCompile(`第7条</td><td>記録</td><td>[^<]*</td><td class="warn">[^<]+</td>`).MatchString(r.Body) {
		t.Fatal("the warning is not shown next to 第7条")
	}
	// Another user cannot continue someone else's pending import: to
	// them it does not exist (the platform answers a refused object 404).
	r = upload(admin, imp, "ok.txt", []byte(policy.SampleText)).Want(http.StatusSeeOther)
	s.As("consultant").Get(r.Header.Get("Location")).Want(http.StatusNotFound).Lacks("読み取った構造")
}

func mustInt(t *testing.T, s string) int64 {
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}

func docxXML(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			rc, _ := f.Open()
			x, _ := io.ReadAll(rc)
			rc.Close()
			return string(x)
		}
	}
	t.Fatal("no word/document.xml")
	return ""
}

// checkFile checks a downloaded file is what it says: a PDF poppler can
// read, a DOCX/XLSX package with its main part, an HTML page.
func checkFile(t *testing.T, what, kind string, b []byte) {
	t.Helper()
	switch kind {
	case "pdf":
		if !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Fatalf("%s: not a PDF", what)
		}
		if len(strings.TrimSpace(testkit.PDFBytesText(t, b))) == 0 {
			t.Fatalf("%s: pdftotext found no text", what)
		}
	case "docx", "xlsx":
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		want := map[string]string{"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}[kind]
		for _, f := range zr.File {
			if f.Name == want {
				return
			}
		}
		t.Fatalf("%s: no %s", what, want)
	case "html":
		if !bytes.Contains(b, []byte("<html")) {
			t.Fatalf("%s: not HTML", what)
		}
	}
}
