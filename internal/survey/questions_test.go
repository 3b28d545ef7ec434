package survey_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/japanese"

	"mamori/content"
	"mamori/internal/app"
	"mamori/internal/auditlog"
	"mamori/internal/org"
	"mamori/internal/survey"
	"mamori/internal/testkit"
	"mamori/internal/web"
	"mamori/internal/webtest"
)

// questionForm is a complete new knowledge question of fiscal year 2030
// as the editor posts it.
func questionForm() url.Values {
	return url.Values{"year": {"2030"}, "code": {"T-K-3"}, "audiences": {"general"}, "kind": {"knowledge"}, "domain": {"phishing"},
		"clauses": {"mic-policy:5.1、総務省ガイドライン 2.2"}, "item_code": {"SA-5.1-02"},
		"scenario": {"差出人「ひので区 情報政策課」から、パスワードの再設定を求めるメールが届きました。"},
		"text":     {"このメールを受け取ったときの対応として最も適切なものはどれですか。"},
		"options":  {"リンクを開いて再設定する\n情報セキュリティ担当に報告する\n同僚に転送して確かめてもらう"},
		"answer":   {"2"}, "explanation": {"不審なメールはリンクを開かずに報告します。"}, "active": {"1"}, "action": {"save"}}
}

func questionID(t *testing.T, s *webtest.Server, fy int, code string) int64 {
	t.Helper()
	return s.ID("SELECT id FROM survey_questions WHERE fiscal_year = ? AND code = ?", fy, code)
}

func questionText(t *testing.T, s *webtest.Server, id int64) (text, explanation string, rev int64) {
	t.Helper()
	if err := s.DB.QueryRow(context.Background(), "SELECT text, explanation, rev FROM survey_questions WHERE id = ?", id).Scan(&text, &explanation, &rev); err != nil {
		t.Fatal(err)
	}
	return text, explanation, rev
}

// TestQuestionEditor: the list with its filters, adding (bad input named
// by field, a duplicate code), editing with a preview that saves nothing,
// a stale form refused, and, once a campaign has answers, only the
// explanation and the active flag may change.
func TestQuestionEditor(t *testing.T) {
	f := newFixture(t, false)
	s := f.s
	admin := s.As("admin")

	admin.Get("/selfcheck/questions?year=2030").Want(http.StatusOK, "設問の編集（令和12年度）", "T-K-1", "宛先を確かめる方法", "T-K-2", "回答画面のプレビュー")
	admin.Get("/selfcheck/questions?year=2030&audience=system").Want(http.StatusOK, "T-K-2", "T-T-1").Lacks("離席するときに")
	admin.Get("/selfcheck/questions?year=2030&q="+url.QueryEscape("宛先")).Want(http.StatusOK, "T-K-1").Lacks("離席するときに")
	admin.Get("/selfcheck/questions?year=2030&kind=bogus").Want(http.StatusOK, "種類の指定が正しくありません")
	for _, login := range []string{"staff", "auditee", "viewer"} {
		if r := s.As(login).Get("/selfcheck/questions?year=2030"); r.StatusCode == http.StatusOK {
			t.Errorf("%s may open the question editor", login)
		}
	}

	// Bad input: every problem named beside its field, nothing stored.
	before := s.Count("SELECT COUNT(*) FROM survey_questions WHERE fiscal_year = 2030")
	bad := questionForm()
	bad.Set("clauses", "mic-policy:99.99")
	bad.Del("answer")
	bad.Set("options", "一つだけ")
	admin.Post("/selfcheck/questions/new", bad).Want(http.StatusUnprocessableEntity, "条項 ", "登録されていません", "選択肢を 2～10 個", "正答")
	dup := questionForm()
	dup.Set("code", "T-K-1")
	admin.Post("/selfcheck/questions/new", dup).Want(http.StatusUnprocessableEntity, "設問コード T-K-1 は令和12年度にすでにあります")
	if n := s.Count("SELECT COUNT(*) FROM survey_questions WHERE fiscal_year = 2030"); n != before {
		t.Fatalf("refused questions were stored: %d → %d", before, n)
	}

	// A preview shows the question as a respondent sees it and saves nothing.
	pv := questionForm()
	pv.Set("action", "preview")
	admin.Post("/selfcheck/questions/new", pv).Want(http.StatusOK, "プレビュー（回答する職員に表示される形）", "情報セキュリティ担当に報告する", "不審なメールはリンクを開かずに")
	if n := s.Count("SELECT COUNT(*) FROM survey_questions WHERE fiscal_year = 2030"); n != before {
		t.Fatal("the preview stored the question")
	}

	admin.Post("/selfcheck/questions/new", questionForm()).Redirects("/selfcheck/questions/")
	id := questionID(t, s, 2030, "T-K-3")
	q, err := f.st.Question(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(q.Clauses, ",") != "mic-policy:5.1,mic-policy:2.2" || q.SortOrder != 5 || len(q.Options) != 3 || q.Answer[0] != 2 || q.UpdatedBy == "" {
		t.Errorf("stored question: %+v", q)
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'survey.question_create' AND target = ?", "survey_question:"+itoa(id)); n != 1 {
		t.Errorf("%d audit entries for the new question", n)
	}
	path := "/selfcheck/questions/" + itoa(id)
	admin.Get(path).Want(http.StatusOK, "T-K-3", "総務省ガイドライン 5.1", "プレビュー（回答する職員に表示される形）", "正答：")

	// Edit, then a form read before that edit is refused.
	edit := questionForm()
	edit.Set("rev", "1")
	edit.Set("text", "このメールへの対応として最も適切なものはどれですか。")
	admin.Post(path, edit).Redirects(path)
	if text, _, rev := questionText(t, s, id); rev != 2 || !strings.HasPrefix(text, "このメールへの対応") {
		t.Fatalf("after the edit: rev %d %q", rev, text)
	}
	edit.Set("text", "古い画面からの変更")
	admin.Post(path, edit).Want(http.StatusConflict, "ほかの人が先に更新しました", "古い画面からの変更")
	if text, _, _ := questionText(t, s, id); text == "古い画面からの変更" {
		t.Fatal("a stale form overwrote the question")
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'survey.question_update' AND target = ?", "survey_question:"+itoa(id)); n != 1 {
		t.Errorf("%d audit entries for the edit", n)
	}

	// Answers arrive: the meaning of the campaign's questions is fixed.
	inv := f.invitations(t)[0]
	form := survey.FormFor(f.camp, f.qs, inv.Audiences)
	answers, fe := form.Check(url.Values{"q_T-K-1": {"1"}, "q_T-R-1": {"2"}})
	if fe != nil {
		t.Fatal(fe)
	}
	if err := f.st.Submit(f.ctx, survey.Submission{Invitation: inv, Campaign: f.camp, Answers: answers, Source: survey.SourceWeb,
		Actor: auditlog.Actor{Login: "test"}}); err != nil {
		t.Fatal(err)
	}
	k1 := questionID(t, s, 2030, "T-K-1")
	k1Path := "/selfcheck/questions/" + itoa(k1)
	page := admin.Get(k1Path).Want(http.StatusOK, "回答がある設問です", f.camp.Code+"（回答 1 件）", "変更できるのは「解説」と「有効」だけです")
	if !strings.Contains(page.Body, `name="text" rows="3" class="sq-wide" disabled`) {
		t.Error("the question text is not disabled on an answered question")
	}
	changed := url.Values{"year": {"2030"}, "rev": {"1"}, "code": {"T-K-1"}, "audiences": {"general"}, "kind": {"knowledge"}, "domain": {"misdelivery"},
		"text": {"書き換えた設問文"}, "options": {"送信後に確認する\n送信前に宛先を読み上げて確認する\n確認しない"}, "answer": {"2"},
		"explanation": {"送信の前に確かめます。"}, "active": {"1"}, "action": {"save"}}
	admin.Post(k1Path, changed).Want(http.StatusUnprocessableEntity, "設問文は、回答がある設問では変更できません", "集めた回答の意味が変わり")
	if text, _, rev := questionText(t, s, k1); text != "宛先を確かめる方法として最も適切なものはどれですか。" || rev != 1 {
		t.Fatalf("an answered question changed: %q rev %d", text, rev)
	}
	// What a browser sends when the fixed fields are disabled.
	admin.Post(k1Path, url.Values{"year": {"2030"}, "rev": {"1"}, "explanation": {"宛先は送信の前に声に出して確かめます。"}, "active": {"1"}, "action": {"save"}}).Redirects(k1Path)
	if text, exp, rev := questionText(t, s, k1); !strings.HasPrefix(text, "宛先を確かめる") || !strings.HasPrefix(exp, "宛先は送信の前に") || rev != 2 {
		t.Fatalf("explanation change: %q %q rev %d", text, exp, rev)
	}
	admin.Post(k1Path, url.Values{"year": {"2030"}, "rev": {"2"}, "explanation": {"宛先は送信の前に声に出して確かめます。"}, "action": {"save"}}).Redirects(k1Path)
	if s.Count("SELECT COUNT(*) FROM survey_questions WHERE id = ? AND active = FALSE", k1) != 1 {
		t.Error("an answered question could not be made inactive")
	}
}

// TestQuestionCopyYear: last year's questions are copied to a year that
// has none, once; a year without a previous year's questions is refused.
func TestQuestionCopyYear(t *testing.T) {
	f := newFixture(t, false)
	s := f.s
	admin := s.As("admin")
	n2030 := s.Count("SELECT COUNT(*) FROM survey_questions WHERE fiscal_year = 2030")
	admin.Get("/selfcheck/questions?year=2031").Want(http.StatusOK, "前年度の設問を複写", "令和12年度の設問 "+strconv.Itoa(n2030)+" 問")
	admin.Post("/selfcheck/questions/copy", url.Values{"year": {"2031"}}).Redirects("/selfcheck/questions?year=2031")
	if n := s.Count("SELECT COUNT(*) FROM survey_questions WHERE fiscal_year = 2031"); n != n2030 {
		t.Fatalf("copied %d questions, want %d", n, n2030)
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'survey.questions_copy' AND target = 'survey_year:2031'"); n != 1 {
		t.Errorf("%d audit entries for the copy", n)
	}
	admin.Get("/selfcheck/questions?year=2031").Want(http.StatusOK, "T-K-1", "宛先を確かめる方法").Lacks("前年度の設問を複写")
	r := admin.Post("/selfcheck/questions/copy", url.Values{"year": {"2031"}}).Redirects("/selfcheck/questions?year=2031")
	if !strings.Contains(cookieText(r), "すでに設問が") {
		t.Errorf("second copy: flash %q", cookieText(r))
	}
	if n := s.Count("SELECT COUNT(*) FROM survey_questions WHERE fiscal_year = 2031"); n != n2030 {
		t.Fatalf("a second copy added questions: %d", n)
	}
	r = admin.Post("/selfcheck/questions/copy", url.Values{"year": {"2034"}})
	if !strings.Contains(cookieText(r), "令和15年度の設問がないため") || s.Count("SELECT COUNT(*) FROM survey_questions WHERE fiscal_year = 2034") != 0 {
		t.Errorf("copy from an empty year: %q", cookieText(r))
	}
	// The copy is independent: editing it leaves last year's alone.
	if _, err := f.st.CopyQuestionYear(f.ctx, 2030, 2031, "テスト"); err == nil {
		t.Error("the store copied into a year that has questions")
	}
}

// cookieText is the one-time message a redirect carries.
func cookieText(r *webtest.Response) string {
	for _, c := range r.Cookies() {
		if c.Name == "mamori_flash" {
			v, _ := url.QueryUnescape(c.Value)
			return v
		}
	}
	return ""
}

// TestQuestionPreview: the respondent's page shows the active questions
// of one audience, disabled; the page after submission shows the
// explanations.
func TestQuestionPreview(t *testing.T) {
	f := newFixture(t, false)
	admin := f.s.As("admin")
	admin.Get("/selfcheck/questions/preview?year=2030&audience=system").
		Want(http.StatusOK, "【プレビュー】テストの自己点検", "これは設問のプレビューです", "管理者アカウントの扱いとして正しいもの", "困っていることを書いてください", "disabled").
		Lacks("宛先を確かめる方法", "離席するときに", `value="submit"`)
	admin.Get("/selfcheck/questions/preview?year=%E4%BB%A4%E5%92%8C12%E5%B9%B4%E5%BA%A6&audience=%E4%B8%80%E8%88%AC%E8%81%B7%E5%93%A1").
		Want(http.StatusOK, "宛先を確かめる方法", "離席するときに").Lacks("管理者アカウントの扱い")
	admin.Get("/selfcheck/questions/preview?year=2030&audience=system&view=done").
		Want(http.StatusOK, "個人ごとに付与し、記録を残します。", "正答：")
	admin.Get("/selfcheck/questions/preview?year=2030&audience=nobody").Want(http.StatusBadRequest, "対象者「nobody」はありません")
	admin.Get("/selfcheck/questions/preview?year=2030&audience=protection").Want(http.StatusNotFound, "保護担当者向けの有効な設問はありません")
	// An inactive question is not in the preview.
	if _, err := f.s.DB.Exec(f.ctx, "UPDATE survey_questions SET active = FALSE WHERE fiscal_year = 2030 AND code = 'T-K-2'"); err != nil {
		t.Fatal(err)
	}
	admin.Get("/selfcheck/questions/preview?year=2030&audience=system").Want(http.StatusOK).Lacks("管理者アカウントの扱い")
	if r := f.s.As("staff").Get("/selfcheck/questions/preview?year=2030&audience=general"); r.StatusCode == http.StatusOK {
		t.Error("staff may open the preview")
	}
}

// TestQuestionBankImport: a year without questions whose standard bank
// is built in offers it, and registering it writes every question once.
func TestQuestionBankImport(t *testing.T) {
	s := webtest.Start(t, webtest.Options{})
	ctx := context.Background()
	if _, err := s.Org.CreateAccount(ctx, org.AccountInput{Login: "boss", DisplayName: "管理 太郎", Role: web.RoleAdmin, Password: "correct-horse-battery-9"}); err != nil {
		t.Fatal(err)
	}
	bank, err := survey.LoadBank(content.FS, 2026)
	if err != nil {
		t.Fatal(err)
	}
	admin := s.As("boss")
	admin.Get("/selfcheck/questions?year=2026").Want(http.StatusOK, "設問を登録（標準の設問集から）")
	admin.Get("/selfcheck/questions?year=2027").Want(http.StatusOK, "令和9年度の標準の設問集（content/survey/questions-2027.yaml）はありません").Lacks("設問を登録（標準の設問集から）")
	admin.Post("/selfcheck/questions/import", url.Values{"year": {"2026"}}).Redirects("/selfcheck/questions?year=2026")
	if n := s.Count("SELECT COUNT(*) FROM survey_questions WHERE fiscal_year = 2026"); n != len(bank) {
		t.Fatalf("registered %d questions, the bank has %d", n, len(bank))
	}
	r := admin.Post("/selfcheck/questions/import", url.Values{"year": {"2026"}})
	if !strings.Contains(cookieText(r), "すでに設問がある") || s.Count("SELECT COUNT(*) FROM survey_questions WHERE fiscal_year = 2026") != len(bank) {
		t.Errorf("second import: %q", cookieText(r))
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'survey.questions_import'"); n != 1 {
		t.Errorf("%d audit entries for the import", n)
	}
}

// TestFormDocuments: the 調査票 for paper (PDF, DOCX) holds the
// audience's questions with □ boxes and page numbers; the reviewers'
// list (XLSX, CSV) holds every column; each download is audited.
func TestFormDocuments(t *testing.T) {
	f := newFixture(t, false)
	s := f.s
	admin := s.As("admin")
	logged := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = 'survey_year:2030'")

	pdf := admin.Download("/selfcheck/questions/questionnaire?year=2030&audience=general&format=pdf", "application/pdf")
	// pdftotext drops the narrow spaces: □ 1 comes out as □1, - 1 - as -1-.
	text := strings.ReplaceAll(testkit.PDFBytesText(t, pdf), " ", "")
	for _, want := range []string{"情報セキュリティ自己点検調査票", "一般職員向け", "記入のしかた", "問1", "T-K-1", "宛先を確かめる方法として最も適切なものはどれですか。",
		"□1", "送信前に宛先を読み上げて確認する", "□実施している", "困っていることを書いてください", "-1-"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF lacks %q", want)
		}
	}
	for _, not := range []string{"管理者アカウントの扱い", "送信の前に確かめます。", "〓"} {
		if strings.Contains(text, not) {
			t.Errorf("PDF has %q", not)
		}
	}

	docx := admin.Download("/selfcheck/questions/questionnaire?year=2030&format=docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
	xml := zipEntry(t, docx, "word/document.xml")
	for _, want := range []string{"一般職員向け", "システム担当者向け", "管理者アカウントの扱いとして正しいものをすべて選んでください。", "あてはまるものをすべて選んでください", "□ 2"} {
		if !strings.Contains(xml, want) {
			t.Errorf("DOCX lacks %q", want)
		}
	}
	// The question shared by both audiences is in both parts.
	if n := strings.Count(xml, "困っていることを書いてください。"); n != 2 {
		t.Errorf("the shared question is printed %d times, want 2", n)
	}

	book := admin.Download("/selfcheck/questions/questionnaire?year=2030&format=xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	rows := xlsxRows(t, book)
	var head, k2 []string
	for _, r := range rows {
		if len(r) > 0 && r[0] == "設問コード" {
			head = r
		}
		if len(r) > 0 && r[0] == "T-K-2" {
			k2 = r
		}
	}
	if strings.Join(head, "|") != "設問コード|対象者|種類|領域|根拠条項|元の点検項目|場面|設問文|選択肢|正答|解説|並び順|有効" {
		t.Fatalf("XLSX header: %q", head)
	}
	if len(k2) < 13 || k2[1] != "システム担当者" || k2[3] != "システムの運用管理" || k2[9] != "2. 個人ごとに付与する\n3. 操作記録を残す" || k2[12] != "有効" {
		t.Errorf("XLSX row of T-K-2: %q", k2)
	}

	csv := admin.Download("/selfcheck/questions/export?year=2030&audience=system&format=csv", "text/csv")
	utf, err := io.ReadAll(japanese.ShiftJIS.NewDecoder().Reader(bytes.NewReader(csv)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(utf), "T-K-2") || strings.Contains(string(utf), "T-R-1") {
		t.Errorf("CSV of the system audience:\n%s", utf)
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = 'survey_year:2030'"); n != logged+4 {
		t.Errorf("%d download entries, want %d", n-logged, 4)
	}
	admin.Get("/selfcheck/questions/questionnaire?year=2030&format=html").Want(http.StatusBadRequest, "pdf・docx・xlsx")
	admin.Get("/selfcheck/questions/questionnaire?year=2030&audience=protection&format=pdf").Want(http.StatusBadRequest, "令和12年度の保護担当者向けの有効な設問がありません")
	admin.Get("/selfcheck/questions/export?year=2030&kind=bogus&format=csv").Want(http.StatusBadRequest, "種類の指定が正しくありません")
}

func zipEntry(t *testing.T, b []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			out, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return string(out)
		}
	}
	t.Fatalf("no %s in the file", name)
	return ""
}

func xlsxRows(t *testing.T, b []byte) [][]string {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows(x.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestFormExportCLI: `mamori export survey-form` writes the questionnaire
// of a year (or of a campaign) for one audience or all, and names what is
// wrong with its arguments.
func TestFormExportCLI(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		t.Setenv("MAMORI_DATA", dir)
		t.Setenv("MAMORI_DB", "")
		code := app.Run(context.Background(), args, app.CLI{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Options: app.Options{Argon: webtest.Argon}})
		return code, out.String(), errb.String()
	}
	if code, _, errs := run("migrate"); code != 0 {
		t.Fatalf("migrate: %s", errs)
	}
	a := webtest.Open(t, dir)
	var st *survey.Store
	for _, m := range a.Modules {
		if sm, ok := m.(*survey.Module); ok {
			st = sm.Store()
		}
	}
	if _, err := st.ImportBank(context.Background(), testBank(), 2030, "テスト"); err != nil {
		t.Fatal(err)
	}
	a.Close()

	pdfPath := filepath.Join(dir, "form.pdf")
	code, out, errs := run("export", "survey-form", "--year", "令和12年度", "--audience", "システム担当者", "-o", pdfPath)
	if code != 0 || !strings.Contains(out, "自己点検調査票_システム担当者.pdf") {
		t.Fatalf("export pdf: %d %s %s", code, out, errs)
	}
	b, err := os.ReadFile(pdfPath)
	if err != nil {
		t.Fatal(err)
	}
	text := testkit.PDFBytesText(t, b)
	if !strings.Contains(text, "管理者アカウントの扱い") || strings.Contains(text, "宛先を確かめる方法") || !strings.Contains(text, "□") {
		t.Errorf("CLI PDF:\n%s", text)
	}
	xlsxPath := filepath.Join(dir, "list.xlsx")
	if code, _, errs := run("export", "survey-form", "--year", "2030", "--format", "xlsx", "-o", xlsxPath); code != 0 {
		t.Fatalf("export xlsx: %s", errs)
	}
	b, _ = os.ReadFile(xlsxPath)
	found := 0
	for _, r := range xlsxRows(t, b) {
		if len(r) > 0 && strings.HasPrefix(r[0], "T-") {
			found++
		}
	}
	if found != len(testBank()) {
		t.Errorf("XLSX lists %d questions, want %d", found, len(testBank()))
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "survey-form", "--year", "2030", "--audience", "boss", "-o", pdfPath}, "対象者「boss」はありません"},
		{[]string{"export", "survey-form", "--year", "2030", "-o", filepath.Join(dir, "x.txt")}, "pdf・docx・xlsx"},
		{[]string{"export", "survey-form", "--year", "2030", "--audience", "protection", "-o", pdfPath}, "保護担当者向けの有効な設問がありません"},
		{[]string{"export", "survey-form", "--campaign", "2030-SC-09", "-o", pdfPath}, "自己点検の実施「2030-SC-09」がありません"},
		{[]string{"export", "survey-form", "--year", "来年", "-o", pdfPath}, "年度として読めません"},
	} {
		if code, _, errs := run(c.args...); code == 0 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, %q; want %q", c.args, code, errs, c.want)
		}
	}
	if code, _, _ := run("export", "survey-form", "-o", pdfPath); code != 2 {
		t.Errorf("no year: exit %d, want 2", code)
	}
	a = webtest.Open(t, dir)
	defer a.Close()
	var n int
	if err := a.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = 'survey_year:2030'").Scan(&n); err != nil || n != 2 {
		t.Errorf("%d audit entries for two exports (%v)", n, err)
	}
}
