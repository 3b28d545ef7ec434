package policy

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"mamori/internal/auditlog"
	"mamori/internal/blob"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/org"
	"mamori/internal/web"
)

type harness struct {
	t     *testing.T
	srv   *httptest.Server
	db    *database.DB
	store *Store
	org   *org.Service
	users map[web.Role]int64
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	db := dbtest.Open(t, dbtest.Backends(t)[0])
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("MAMORI_TEST_LOG") != "" {
		logger = slog.Default()
	}
	log := auditlog.New(db, nil)
	o := org.New(db, log, org.Config{Argon: org.ArgonParams{Memory: 8 * 1024, Time: 1, Threads: 1}}, nil, logger)
	rd, err := web.NewRenderer(logger)
	if err != nil {
		t.Fatal(err)
	}
	rd.Site = func(context.Context) web.Site { return web.Site{WardName: "ひので区", FiscalYear: 2026} }
	rd.Nav = func(r *http.Request, u *web.User) []web.NavItem {
		return []web.NavItem{{Label: "ポリシー改訂", Path: "/policy", Group: "業務", Active: strings.HasPrefix(r.URL.Path, "/policy")}}
	}
	rt := web.NewRouter(o, rd, logger)
	rt.HandleRaw("GET /static/{hash}/{name...}", web.PublicRule(), rd.Static())
	if err := o.Routes(rt); err != nil {
		t.Fatal(err)
	}
	s := NewStore(db, log, nil)
	if err := NewWeb(s, blob.New(db, t.TempDir(), "", nil), o).Routes(rt); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.Secure(rt, logger, rd))
	t.Cleanup(srv.Close)
	h := &harness{t: t, srv: srv, db: db, store: s, org: o, users: map[web.Role]int64{}}
	for _, r := range []web.Role{web.RoleAdmin, web.RoleConsultant, web.RoleAuditor, web.RoleViewer, web.RoleStaff, web.RoleVendor} {
		id, err := o.CreateAccount(context.Background(), org.AccountInput{Login: "u-" + string(r), DisplayName: r.Label() + "さん", Role: r, Password: "correct horse battery 9"})
		if err != nil {
			t.Fatal(err)
		}
		h.users[r] = id
	}
	return h
}

type client struct {
	*http.Client
	h    *harness
	csrf string
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (h *harness) as(r web.Role) *client {
	h.t.Helper()
	tok, err := h.org.StartSession(context.Background(), h.users[r], false, "127.0.0.1", "test")
	if err != nil {
		h.t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(h.srv.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: web.SessionCookie, Value: tok, Path: "/"}})
	c := &client{Client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, h: h}
	_, body := c.get("/account")
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		h.t.Fatal("no CSRF token on /account")
	}
	c.csrf = m[1]
	return c
}

func (c *client) do(req *http.Request) (*http.Response, string) {
	c.h.t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (c *client) get(path string) (*http.Response, string) {
	req, _ := http.NewRequest(http.MethodGet, c.h.srv.URL+path, nil)
	return c.do(req)
}

func (c *client) post(path string, form url.Values) (*http.Response, string) {
	form.Set("csrf_token", c.csrf)
	req, _ := http.NewRequest(http.MethodPost, c.h.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.h.srv.URL)
	return c.do(req)
}

func (c *client) upload(path, name string, data []byte) (*http.Response, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.WriteField("csrf_token", c.csrf)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.h.srv.URL+path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", c.h.srv.URL)
	return c.do(req)
}

func expect(t *testing.T, resp *http.Response, body string, status int, contains ...string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d\n%s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, excerpt(body))
	}
	for _, s := range contains {
		if !strings.Contains(body, s) {
			t.Fatalf("%s %s: no %q in\n%s", resp.Request.Method, resp.Request.URL.Path, s, excerpt(body))
		}
	}
}

func excerpt(s string) string {
	if i := strings.Index(s, `<main`); i >= 0 {
		s = s[i:]
	}
	if len(s) > 3000 {
		s = s[:3000]
	}
	return s
}

func (h *harness) count(table string) int {
	var n int
	if err := h.db.QueryRow(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func TestJourney(t *testing.T) {
	h := newHarness(t)
	admin := h.as(web.RoleAdmin)

	// A document, then its text uploaded and previewed.
	resp, body := admin.post("/policy/documents", url.Values{"kind": {"standard"}, "title": {"テスト区情報セキュリティ対策基準"}})
	expect(t, resp, body, http.StatusSeeOther)
	docPath := strings.TrimSuffix(resp.Header.Get("Location"), "/import")
	resp, body = admin.upload(docPath+"/import", "kijun.txt", []byte(sampleText))
	expect(t, resp, body, http.StatusSeeOther)
	preview := resp.Header.Get("Location")
	resp, body = admin.get(preview)
	expect(t, resp, body, http.StatusOK, "読み取った構造", "第3条", "報告", "条 4", "令和4年3月25日", "テスト区情報セキュリティ委員会決定")
	blobPath := strings.SplitN(preview, "?", 2)[0]
	blobPath = strings.TrimSuffix(blobPath, "/preview")
	docID := strings.TrimPrefix(docPath, "/policy/documents/")

	// The user corrects the text and re-parses; saving the unchecked text only previews again.
	edited := strings.Replace(sampleText, "30日以内", "15日以内", 1)
	resp, body = admin.post(blobPath+"/save", url.Values{"doc": {docID}, "text": {edited}, "checked": {"stale"}, "status": {"adopted"}})
	expect(t, resp, body, http.StatusOK, "解析し直した結果を確認してから")
	resp, body = admin.post(blobPath+"/preview", url.Values{"doc": {docID}, "text": {edited}})
	expect(t, resp, body, http.StatusOK, "修正した本文を解析し直しました", "15日以内")
	checked := regexp.MustCompile(`name="checked" value="([0-9a-f]+)"`).FindStringSubmatch(body)[1]
	// Missing dates for an adopted version: refused, nothing saved.
	resp, body = admin.post(blobPath+"/save", url.Values{"doc": {docID}, "text": {edited}, "checked": {checked}, "status": {"adopted"}})
	expect(t, resp, body, http.StatusBadRequest, "施行日")
	if h.count("policy_versions") != 0 {
		t.Fatal("a refused save stored a version")
	}
	resp, body = admin.post(blobPath+"/save", url.Values{"doc": {docID}, "text": {edited}, "checked": {checked}, "status": {"adopted"},
		"effective_date": {"令和6年4月1日"}, "decided_by": {"テスト区情報セキュリティ委員会決定"}, "decided_date": {"2024-03-22"}})
	expect(t, resp, body, http.StatusSeeOther)
	version := resp.Header.Get("Location")
	resp, body = admin.get(version)
	expect(t, resp, body, http.StatusOK, "令和6年4月1日", `id="a3"`, "15日以内", "目次", "施行中")

	// Revision draft, per-article edits with renumbering shown.
	resp, body = admin.post(docPath+"/revision", url.Values{"label": {"令和8年度改正案"}})
	expect(t, resp, body, http.StatusSeeOther)
	draft := resp.Header.Get("Location")
	resp, body = admin.get(draft)
	expect(t, resp, body, http.StatusOK, "令和8年度改正案", "変更の記録", "この後に新設")
	vid := strings.TrimSuffix(strings.TrimPrefix(draft, "/policy/versions/"), "/draft")
	tree, _ := h.store.Tree(context.Background(), mustInt(t, vid))
	at3, at1 := unitPath(t, tree, "第3条"), unitPath(t, tree, "第1条")
	resp, body = admin.get(fmt.Sprintf("/policy/versions/%s/change?kind=edit&at=%s", vid, at3))
	expect(t, resp, body, http.StatusOK, "第3条（報告）", "速やかに")
	rev := regexp.MustCompile(`name="rev" value="(\d+)"`).FindStringSubmatch(body)[1]
	// A broken edit keeps the user's text and changes nothing.
	resp, body = admin.post("/policy/versions/"+vid+"/change", url.Values{"kind": {"edit"}, "at": {at3}, "rev": {rev}, "text": {"番号のない文だけを書いた。"},
		"reason": {"報告を早めるため。"}})
	expect(t, resp, body, http.StatusBadRequest, "番号のない文だけを書いた。", "まだ何も変更していません")
	resp, body = admin.post("/policy/versions/"+vid+"/change", url.Values{"kind": {"edit"}, "at": {at3}, "rev": {rev},
		"text":   {"第3条（報告）\n職員等は、事故を知ったときは、直ちに管理者に報告しなければならない。\n２　管理者は、前項の報告を受けたときは、第2条に定める職員等に周知する。"},
		"reason": {"報告を早めるため。"}, "audience": {"all"}, "staff_action": {"事故を知ったら直ちに管理者に報告する。"}})
	expect(t, resp, body, http.StatusSeeOther)
	resp, body = admin.post("/policy/versions/"+vid+"/change", url.Values{"kind": {"insert"}, "after": {at1}, "rev": {fmt.Sprint(mustInt(t, rev) + 1)},
		"text":   {"第2条（適用範囲）\nこの基準は、区のすべての所属に適用する。"},
		"reason": {"適用範囲を明らかにするため。"}, "audience": {"manager"}, "staff_action": {"所属の業務がこの基準の対象であることを課内に周知する。"}})
	expect(t, resp, body, http.StatusSeeOther)
	if !strings.Contains(resp.Header.Get("Location"), "changed=") {
		t.Fatalf("redirect %s", resp.Header.Get("Location"))
	}
	resp, body = admin.get(resp.Header.Get("Location"))
	expect(t, resp, body, http.StatusOK, "第2条 → 第3条", "第3条 → 第4条", "第4条（報告）を改正", "第2条（適用範囲）を新設", "新旧対照表（画面表示）", "直ちに")
	resp, body = admin.get("/policy/versions/" + vid + "/table.css?opt=1&omit=1")
	expect(t, resp, body, http.StatusOK, ".mdoc")

	// Downloads: valid files, each audited.
	before := h.count("audit_log")
	for _, d := range []struct{ path, kind string }{
		{"/redline?format=pdf", "pdf"}, {"/redline?format=docx", "docx"},
		{"/table?format=pdf&opt=1&omit=1&remarks=1", "pdf"}, {"/table?format=docx&opt=1", "docx"}, {"/table?format=xlsx&opt=1&remarks=1&space=1&width=1", "xlsx"},
		{"/briefing?format=pdf", "pdf"}, {"/briefing?format=docx", "docx"},
		{"/export?format=pdf", "pdf"}, {"/export?format=docx", "docx"}, {"/export?format=html", "html"},
	} {
		resp, body := admin.get("/policy/versions/" + vid + d.path)
		expect(t, resp, body, http.StatusOK)
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
	if got := h.count("audit_log") - before; got != 10 {
		t.Fatalf("%d audit entries for 10 downloads", got)
	}

	// Quiz: generated from the changes, edited, exported.
	resp, body = admin.post("/policy/versions/"+vid+"/quiz/generate", url.Values{})
	expect(t, resp, body, http.StatusSeeOther)
	resp, body = admin.get("/policy/versions/" + vid + "/quiz")
	expect(t, resp, body, http.StatusOK, "問1", "直ちに", "事故を知ったら直ちに管理者に報告する。")
	qid := regexp.MustCompile(`action="/policy/quiz/(\d+)"`).FindStringSubmatch(body)[1]
	resp, body = admin.post("/policy/quiz/"+qid, url.Values{"question": {"改正後、事故の報告はいつ行いますか。"}, "choices": {"直ちに\n速やかに\n翌日まで"}, "answer": {"1"},
		"audience": {"all"}, "explanation": {"改正で「直ちに」となりました。"}})
	expect(t, resp, body, http.StatusSeeOther)
	resp, body = admin.post("/policy/quiz/"+qid, url.Values{"question": {"x"}, "choices": {"一つだけ"}, "answer": {"1"}})
	expect(t, resp, body, http.StatusBadRequest, "選択肢")
	resp, body = admin.get("/policy/versions/" + vid + "/quiz/export?format=yaml")
	expect(t, resp, body, http.StatusOK, "format: mamori-quiz/1", "改正後、事故の報告はいつ行いますか。")
	if _, err := ParseQuiz([]byte(body)); err != nil {
		t.Fatal(err)
	}
	resp, body = admin.get("/policy/versions/" + vid + "/quiz/export?format=json")
	expect(t, resp, body, http.StatusOK, `"answer": 0`)
	resp, body = admin.get("/policy/versions/" + vid + "/quiz/export?format=docx")
	expect(t, resp, body, http.StatusOK)
	checkFile(t, "quiz", "docx", []byte(body))

	// Adopting the draft supersedes the first version.
	resp, body = admin.post("/policy/versions/"+vid+"/adopt", url.Values{"effective_date": {"令和8年4月1日"}, "decided_by": {"委員会決定"}, "decided_date": {"令和8年3月24日"}})
	expect(t, resp, body, http.StatusSeeOther)
	resp, body = admin.get(docPath)
	expect(t, resp, body, http.StatusOK, "旧版", "令和8年4月1日")

	// The exported DOCX imports back with the same structure.
	resp, body = admin.get("/policy/versions/" + vid + "/export?format=docx")
	expect(t, resp, body, http.StatusOK)
	resp, body = admin.upload(docPath+"/import", "export.docx", []byte(body))
	expect(t, resp, body, http.StatusSeeOther)
	resp, body = admin.get(resp.Header.Get("Location"))
	expect(t, resp, body, http.StatusOK, "条 5", "適用範囲", "直ちに")

	// Roles: staff and vendors read the public 基本方針 only.
	staff := h.as(web.RoleStaff)
	resp, body = staff.get("/policy/versions/" + vid)
	expect(t, resp, body, http.StatusForbidden)
	resp, body = staff.get("/policy")
	expect(t, resp, body, http.StatusOK)
	if strings.Contains(body, "テスト区情報セキュリティ対策基準") {
		t.Fatal("staff see the 対策基準 in the list")
	}
	viewer := h.as(web.RoleViewer)
	resp, body = viewer.post("/policy/versions/"+vid+"/discard", url.Values{})
	expect(t, resp, body, http.StatusForbidden)
	resp, body = h.as(web.RoleVendor).get("/policy/versions/" + vid)
	expect(t, resp, body, http.StatusForbidden)
	resp, body = viewer.get("/policy/versions/" + vid + "/draft")
	expect(t, resp, body, http.StatusOK, "新旧対照表")
	if strings.Contains(body, "この後に新設") {
		t.Fatal("a viewer is offered editing")
	}
}

func TestPublicBasicPolicy(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id, err := h.store.CreateDocument(ctx, DocumentInput{Kind: KindBasic, Title: "テスト区情報セキュリティ基本方針"}, Author{})
	if err != nil {
		t.Fatal(err)
	}
	tree := parseSample(t)
	vid, err := h.store.CreateVersion(ctx, NewVersion{DocumentID: id, Status: StatusAdopted, Tree: tree, Adoption: Adoption{EffectiveDate: fixedNow, DecidedBy: "決定", DecidedDate: fixedNow}}, Author{})
	if err != nil {
		t.Fatal(err)
	}
	draft, err := h.store.StartRevision(ctx, id, "", Author{})
	if err != nil {
		t.Fatal(err)
	}
	staff := h.as(web.RoleStaff)
	resp, body := staff.get("/policy")
	expect(t, resp, body, http.StatusOK, "テスト区情報セキュリティ基本方針", fmt.Sprintf("/policy/versions/%d", vid))
	if strings.Contains(body, "改正案") {
		t.Fatal("staff see a draft")
	}
	resp, body = staff.get(fmt.Sprintf("/policy/versions/%d", vid))
	expect(t, resp, body, http.StatusOK, "第1条（目的）")
	resp, body = staff.get(fmt.Sprintf("/policy/versions/%d/export?format=pdf", vid))
	expect(t, resp, body, http.StatusOK)
	resp, body = staff.get(fmt.Sprintf("/policy/versions/%d", draft))
	expect(t, resp, body, http.StatusForbidden)
	resp, body = staff.get(fmt.Sprintf("/policy/documents/%d", id))
	expect(t, resp, body, http.StatusForbidden)
}

func TestBadUploadsLeaveNothing(t *testing.T) {
	h := newHarness(t)
	admin := h.as(web.RoleAdmin)
	resp, body := admin.post("/policy/documents", url.Values{"kind": {"procedure"}, "title": {"手順"}})
	expect(t, resp, body, http.StatusBadRequest, "所管所属") // a procedure needs its department
	resp, body = admin.post("/policy/documents", url.Values{"kind": {"handbook"}, "title": {"インシデント対応ハンドブック"}})
	expect(t, resp, body, http.StatusSeeOther)
	imp := resp.Header.Get("Location")
	blobs, audit := h.count("blobs"), h.count("audit_log")
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
		resp, body := admin.upload(imp, c.name, c.data)
		expect(t, resp, body, http.StatusBadRequest, c.want, "何も登録していません")
	}
	if h.count("blobs") != blobs || h.count("audit_log") != audit || h.count("policy_versions") != 0 {
		t.Fatal("a refused upload left something behind")
	}
	// Doubtful numbering is shown in the preview (the upload itself is fine).
	jump := strings.Replace(sampleText, "第4条（記録）", "第7条（記録）", 1)
	resp, body = admin.upload(imp, "jump.txt", []byte(jump))
	expect(t, resp, body, http.StatusSeeOther)
	resp, body = admin.get(resp.Header.Get("Location"))
	expect(t, resp, body, http.StatusOK, "確認が必要な箇所")
	if !regexp.MustCompile(`第7条</td><td>記録</td><td>[^<]*</td><td class="warn">[^<]+</td>`).MatchString(body) {
		t.Fatal("the warning is not shown next to 第7条")
	}
	// Another user cannot continue someone else's pending import.
	resp, body = admin.upload(imp, "ok.txt", []byte(sampleText))
	expect(t, resp, body, http.StatusSeeOther)
	resp, body = h.as(web.RoleConsultant).get(resp.Header.Get("Location"))
	expect(t, resp, body, http.StatusForbidden)
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
		if path, err := exec.LookPath("pdftotext"); err == nil {
			dir := t.TempDir()
			in := filepath.Join(dir, "f.pdf")
			_ = os.WriteFile(in, b, 0o600)
			out, err := exec.Command(path, "-layout", in, "-").Output()
			if err != nil || len(bytes.TrimSpace(out)) == 0 {
				t.Fatalf("%s: pdftotext: %v", what, err)
			}
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
