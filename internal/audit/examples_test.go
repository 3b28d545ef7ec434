package audit_test

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"mamori/internal/audit"
	"mamori/internal/catalog"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// externalEngagement is the demo's external My Number audit (税務課 and
// 区民課, the consultant its lead, its report not issued yet).
func externalEngagement(t *testing.T, s *webtest.Server) audit.Engagement {
	t.Helper()
	id := s.ID("SELECT id FROM audit_engagements WHERE kind = 'external_mynumber' ORDER BY id LIMIT 1")
	e, err := audit.NewStoreFrom(s.Deps()).Engagement(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestExamplesLibrary: the shipped library loads with the demo (at least
// 20 examples, each tied to a threat tag of the catalogue or a chapter,
// written in です・ます); loading again adds nothing.
func TestExamplesLibrary(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	st := audit.NewStoreFrom(s.Deps())
	xs, err := st.Examples(t.Context(), audit.ExampleFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) < 20 {
		t.Fatalf("%d examples loaded, want at least 20", len(xs))
	}
	cats, err := audit.ExampleCategories()
	if err != nil {
		t.Fatal(err)
	}
	threats, chapters := 0, 0
	for _, x := range xs {
		if !slices.ContainsFunc(cats, func(c struct{ Code, Label string }) bool { return c.Code == x.Category }) {
			t.Errorf("%s: category %q is neither a threat nor a chapter", x.Code, x.Category)
		}
		if _, ok := catalog.Threats[x.Category]; ok {
			threats++
		} else {
			chapters++
		}
		for _, text := range []string{x.Problem, x.Practice} {
			if !strings.HasSuffix(text, "。") || strings.Contains(text, "である。") || strings.Contains(text, " ") {
				t.Errorf("%s: not a clean です・ます text: %q", x.Code, text)
			}
		}
		if !strings.Contains(x.Practice, "ます。") && !strings.Contains(x.Practice, "です。") {
			t.Errorf("%s: the practice is not in です・ます: %q", x.Code, x.Practice)
		}
	}
	if threats == 0 || chapters == 0 {
		t.Errorf("examples tied to %d threats and %d chapters; want both kinds", threats, chapters)
	}
	if n, err := st.EnsureExamples(t.Context()); err != nil || n != 0 {
		t.Errorf("EnsureExamples again = %d, %v; want 0 (loaded once)", n, err)
	}
}

// TestExampleSuggestions: the suggestions for the external audit are
// exactly the active examples whose category is a chapter or threat of
// the items its findings (not its 良好事例) name — recounted here from the
// raw findings and items — best first, with the high-risk access-rights
// finding's chapter on top.
func TestExampleSuggestions(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	ctx := t.Context()
	st := audit.NewStoreFrom(s.Deps())
	e := externalEngagement(t, s)
	got, err := st.SuggestExamples(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := st.Findings(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	items, err := st.Items(ctx, e.ID, audit.ItemFilter{WithDropped: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{} // category → weight
	for _, f := range fs {
		if f.Type == audit.FindingGood {
			continue
		}
		w := map[string]int{"高": 3, "中": 2}[f.Risk]
		if w == 0 {
			w = 1
		}
		cats := map[string]bool{}
		for _, it := range items {
			if f.Concerns(it.Code) {
				ch, _, _ := strings.Cut(it.Category, "／")
				cats[strings.TrimSpace(ch)] = true
				for _, th := range it.Threats {
					cats[th] = true
				}
			}
		}
		for c := range cats {
			want[c] += w
		}
	}
	xs, err := st.Examples(ctx, audit.ExampleFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var wantCodes []string
	for _, x := range xs {
		if want[x.Category] > 0 {
			wantCodes = append(wantCodes, x.Code)
		}
	}
	var gotCodes []string
	for i, g := range got {
		gotCodes = append(gotCodes, g.Code)
		if g.Score != want[g.Category] {
			t.Errorf("%s scores %d, recount %d", g.Code, g.Score, want[g.Category])
		}
		if i > 0 && got[i-1].Score < g.Score {
			t.Errorf("suggestions not best first: %s (%d) before %s (%d)", got[i-1].Code, got[i-1].Score, g.Code, g.Score)
		}
		if len(g.Findings) == 0 || !strings.Contains(g.Reason(), g.Findings[0]) {
			t.Errorf("%s: no reason given", g.Code)
		}
	}
	slices.Sort(wantCodes)
	sorted := slices.Sorted(slices.Values(gotCodes))
	if len(wantCodes) == 0 || !slices.Equal(sorted, wantCodes) {
		t.Fatalf("suggested %v, recount %v", sorted, wantCodes)
	}
	if got[0].Category != "技術的安全管理措置" {
		t.Errorf("top suggestion %s (%s), want the access-rights chapter 技術的安全管理措置", got[0].Code, got[0].Category)
	}
	// A deactivated example is no longer suggested.
	c := s.As("consultant")
	c.Post(fmt.Sprintf("/audit/examples/active/%d", got[0].ID), url.Values{"rev": {fmt.Sprint(got[0].Rev)}, "active": {"0"}}).
		Redirects(fmt.Sprintf("/audit/examples/edit/%d", got[0].ID))
	again, err := st.SuggestExamples(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(again, func(g audit.Suggestion) bool { return g.ID == got[0].ID }) {
		t.Error("a deactivated example is still suggested")
	}
}

// TestExampleEditing: the consultant adds, edits and deactivates examples;
// bad input names its field and changes nothing; a stale rev is a
// conflict; auditors and viewers have no access to the library; every
// change is in the audit log.
func TestExampleEditing(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	c := s.As("consultant")
	c.Get("/audit/examples").Want(200, "対応例ライブラリ", "EX-01", "異動・退職者の利用者IDの削除が遅れる", "件中")
	c.Get("/audit/examples?category=careless_leak").Want(200, "メール・FAXの誤送信").Lacks("EX-01<")
	c.Get("/audit/examples?q=ＦＡＸ").Want(200, "メール・FAXの誤送信")
	c.Get("/audit/examples?category=nothing").Want(200)
	s.As("auditor").Get("/audit/examples").Want(403)
	s.As("viewer").Get("/audit/examples").Want(403)
	s.As("auditee").Get("/audit/examples/new").Want(403)

	form := url.Values{"code": {"EX-90"}, "category": {"insider"}, "title": {"退職予定者による持出し"},
		"problem":  {"退職の直前に、業務の資料を私物の媒体へ複写する例があります。"},
		"practice": {"多くの団体では、退職の申出の後は媒体の利用を止め、操作記録を確認しています。"}}
	before := s.Count("SELECT COUNT(*) FROM audit_response_examples")
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("category", "unknown")
	bad.Set("title", "")
	c.Post("/audit/examples/new", bad).Want(400, "区分を一覧から選んでください", "件名を入力してください")
	dup := url.Values{}
	for k, v := range form {
		dup[k] = v
	}
	dup.Set("code", "EX-01")
	c.Post("/audit/examples/new", dup).Want(400, "番号 EX-01 は別の対応例で使われています")
	if n := s.Count("SELECT COUNT(*) FROM audit_response_examples"); n != before {
		t.Fatalf("refused input added examples: %d → %d", before, n)
	}
	c.Post("/audit/examples/new", form).Redirects("/audit/examples/edit/")
	id := s.ID("SELECT id FROM audit_response_examples WHERE code = 'EX-90'")
	edit := fmt.Sprintf("/audit/examples/edit/%d", id)
	c.Get(edit).Want(200, "退職予定者による持出し", `name="rev" value="1"`)
	form.Set("rev", "1")
	form.Set("title", "退職予定者による資料の持出し")
	c.Post(edit, form).Redirects(edit)
	form.Set("title", "古い画面からの保存")
	c.Post(edit, form).Want(409, "他の人が先に更新しました", "退職予定者による資料の持出し")
	c.Post(fmt.Sprintf("/audit/examples/active/%d", id), url.Values{"rev": {"2"}, "active": {"0"}}).Redirects(edit)
	c.Get("/audit/examples").Lacks("退職予定者による資料の持出し")
	c.Get("/audit/examples?inactive=1").Want(200, "退職予定者による資料の持出し", "使用中止")
	s.As("admin").Get("/audit/examples/edit/999999").Want(404)
	for _, action := range []string{"audit.example_create", "audit.example_update", "audit.example_active"} {
		if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = ? AND target = ?", action, fmt.Sprintf("audit_example:%d", id)); n != 1 {
			t.Errorf("%s: %d audit entries, want 1", action, n)
		}
	}
}

// TestMaterial: the team picks examples for the external audit's material
// and downloads it; the PDF holds the perspectives, a finding and the
// chosen example; the auditee of another department and the viewer find
// nothing before the report is issued, and read it after; an internal
// audit has no material.
func TestMaterial(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	ctx := t.Context()
	st := audit.NewStoreFrom(s.Deps())
	e := externalEngagement(t, s)
	page := fmt.Sprintf("/audit/%d/material", e.ID)
	c := s.As("consultant")
	c.Get(page).Want(200, "報告会資料（外部監査結果）", "提案", "異動・退職者の利用者IDの削除が遅れる", `name="ex"`)

	// Pick one example the suggestions do not name, with a note.
	pick := s.ID("SELECT id FROM audit_response_examples WHERE code = 'EX-15'")
	c.Post(page, url.Values{"ex": {fmt.Sprint(pick)}, fmt.Sprintf("note_%d", pick): {strings.Repeat("長", 1001)}}).Want(400, "補足は1000文字以内")
	c.Post(page, url.Values{"ex": {"abc"}}).Want(400)
	c.Post(page, url.Values{"ex": {fmt.Sprint(pick)}, fmt.Sprintf("note_%d", pick): {"口座振替の変更届の受付でも同じ手順が使えます。"}}).Redirects(page)
	chosen, err := st.MaterialExamples(ctx, e.ID)
	if err != nil || len(chosen) != 1 || chosen[0].Code != "EX-15" {
		t.Fatalf("chosen = %v, %v; want EX-15 alone", chosen, err)
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.material_examples' AND target = ?", fmt.Sprintf("audit_engagement:%d", e.ID)); n < 1 {
		t.Error("the choice is not audited")
	}

	dir := t.TempDir()
	pdf := c.Download(page+"/document.pdf", "application/pdf")
	path := filepath.Join(dir, "material.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	text := testkit.PDFText(t, path)
	if d := os.Getenv("MAMORI_KEEP_PDF"); d != "" { // to look at the pages
		_ = os.WriteFile(filepath.Join(d, "material.pdf"), pdf, 0o600)
	}
	flat := strings.Join(strings.Fields(text), "")
	content, err := st.ReportContent(ctx, e, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(content.Perspectives) == 0 || len(content.Findings) == 0 {
		t.Fatal("the demo external audit has no perspectives or findings")
	}
	wants := []string{"報告会資料（外部監査結果）", "総合評価（三つの観点）", "主な指摘事項", "区の課題", "他団体における一般的な対応", "今後の進め方",
		"振込先の変更依頼をメールだけで受け付ける", "口座振替の変更届の受付でも同じ手順が使えます。"}
	for _, p := range content.Perspectives {
		wants = append(wants, p.Title)
	}
	for _, f := range content.Findings {
		if f.Risk == "高" {
			wants = append(wants, f.Title)
		}
	}
	for _, w := range wants {
		if !strings.Contains(flat, strings.Join(strings.Fields(w), "")) {
			t.Errorf("the material PDF lacks %q", w)
		}
	}
	if pdftoppm, err := exec.LookPath("pdftoppm"); err == nil {
		out := filepath.Join(dir, "page")
		if b, err := exec.Command(pdftoppm, "-png", "-r", "40", path, out).CombinedOutput(); err != nil {
			t.Errorf("pdftoppm: %v: %s", err, b)
		}
		if pngs, _ := filepath.Glob(out + "*.png"); len(pngs) < 6 {
			t.Errorf("%d pages rendered, want the cover and five parts", len(pngs))
		}
	} else {
		testkit.Missing(t, "pdftoppm", "poppler-utils")
	}
	const docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	if b := c.Download(page+"/document.docx", docx); !docxHas(t, b, "振込先の変更依頼をメールだけで受け付ける") {
		t.Error("the material DOCX lacks the chosen example")
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND login = 'consultant' AND target = ?", fmt.Sprintf("audit_engagement:%d", e.ID)); n != 2 {
		t.Errorf("%d downloads audited, want 2", n)
	}

	// Before the report is issued: the auditee and the viewer find nothing.
	zeimu := s.As(addAuditee(t, s, "material-zeimu", "税務課"))
	viewer := s.As("viewer")
	for _, cl := range []*webtest.Client{zeimu, viewer} {
		cl.Get(page).Want(404)
		cl.Get(page + "/document.pdf").Want(404)
	}
	// Issue the report (review, then final).
	rev := s.ID("SELECT rev FROM audit_reports WHERE engagement_id = ?", e.ID)
	state := fmt.Sprintf("/audit/%d/report/state", e.ID)
	if s.Count("SELECT COUNT(*) FROM audit_reports WHERE engagement_id = ? AND state = 'draft'", e.ID) == 1 {
		c.Post(state, url.Values{"rev": {fmt.Sprint(rev)}, "to": {"review"}}).Redirects(fmt.Sprintf("/audit/%d/report", e.ID))
		rev = s.ID("SELECT rev FROM audit_reports WHERE engagement_id = ?", e.ID)
	}
	if _, err := s.DB.Exec(ctx, "UPDATE audit_report_comments SET resolved = TRUE WHERE engagement_id = ?", e.ID); err != nil {
		t.Fatal(err)
	}
	c.Post(state, url.Values{"rev": {fmt.Sprint(rev)}, "to": {"final"}, "confirm": {"1"}}).Redirects(fmt.Sprintf("/audit/%d/report", e.ID))

	zeimu.Get(page).Want(200, "振込先の変更依頼をメールだけで受け付ける", "口座振替の変更届", "第1版（確定）").Lacks(`name="ex"`, "提案の理由")
	viewer.Get(page).Want(200, "振込先の変更依頼をメールだけで受け付ける").Lacks(`name="ex"`)
	if b := zeimu.Download(page+"/document.pdf", "application/pdf"); len(b) == 0 {
		t.Error("the auditee's material is empty")
	}
	zeimu.Post(page, url.Values{"ex": {fmt.Sprint(pick)}}).Want(403)
	viewer.Post(page, url.Values{"ex": {fmt.Sprint(pick)}}).Want(403)

	// Another department's auditee (the demo auditee is 戸籍住民課) and an
	// auditor not on the team find nothing; an internal audit has no material.
	s.As("auditee").Get(page).Want(404)
	s.As("auditee").Get(page + "/document.pdf").Want(404)
	s.As("auditor").Get(page).Want(404)
	internal := s.ID("SELECT MIN(id) FROM audit_engagements WHERE kind = 'internal'")
	c.Get(fmt.Sprintf("/audit/%d/material", internal)).Want(404)
	c.Get(fmt.Sprintf("/audit/%d/material/document.pdf", internal)).Want(404)
}
