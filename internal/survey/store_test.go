package survey_test

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/survey"
	"mamori/internal/webtest"
)

// fixture is a demo ward with a small question bank for fiscal year 2030
// and a campaign of it sent to one department.
type fixture struct {
	s     *webtest.Server
	st    *survey.Store
	dept  int64
	camp  survey.Campaign
	qs    []survey.Question
	ctx   context.Context
	today time.Time
}

func storeOf(t testing.TB, s *webtest.Server) *survey.Store {
	t.Helper()
	for _, m := range s.Modules {
		if sm, ok := m.(*survey.Module); ok {
			return sm.Store()
		}
	}
	t.Fatal("no survey module")
	return nil
}

func testBank() []survey.Question {
	return []survey.Question{
		{Code: "T-K-1", Audiences: []string{survey.AudienceGeneral}, Kind: survey.KindKnowledge, Domain: "misdelivery",
			Text: "宛先を確かめる方法として最も適切なものはどれですか。", Options: []string{"送信後に確認する", "送信前に宛先を読み上げて確認する", "確認しない"},
			Answer: []int{2}, Explanation: "送信の前に確かめます。", SortOrder: 1, Active: true},
		{Code: "T-R-1", Audiences: []string{survey.AudienceGeneral}, Kind: survey.KindPractice, Domain: "password",
			Text: "離席するときに画面をロックしている。", SortOrder: 2, Active: true},
		{Code: "T-T-1", Audiences: []string{survey.AudienceGeneral, survey.AudienceSystem}, Kind: survey.KindText,
			Text: "困っていることを書いてください。", SortOrder: 3, Active: true},
		{Code: "T-K-2", Audiences: []string{survey.AudienceSystem}, Kind: survey.KindKnowledge, Domain: "system_ops",
			Text: "管理者アカウントの扱いとして正しいものをすべて選んでください。", Options: []string{"共用する", "個人ごとに付与する", "操作記録を残す"},
			Answer: []int{2, 3}, Explanation: "個人ごとに付与し、記録を残します。", SortOrder: 4, Active: true},
	}
}

func newFixture(t *testing.T, anonymous bool) *fixture { return newFixtureOn(t, "", anonymous) }

func newFixtureOn(t *testing.T, dsn string, anonymous bool) *fixture {
	t.Helper()
	s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
	ctx := context.Background()
	st := storeOf(t, s)
	if n, err := st.ImportBank(ctx, testBank(), 2030, "テスト"); err != nil || n != 4 {
		t.Fatalf("ImportBank: %d %v", n, err)
	}
	dept := s.ID("SELECT id FROM departments WHERE name = '住民記録係'")
	today := time.Now()
	id, err := st.CreateCampaign(ctx, survey.CampaignInput{FiscalYear: 2030, Title: "テストの自己点検", Anonymous: anonymous,
		Audiences: []string{survey.AudienceGeneral, survey.AudienceSystem}, OpensOn: today.AddDate(0, 0, -1), ClosesOn: today.AddDate(0, 0, 7),
		Departments: []int64{dept}}, "テスト")
	if err != nil {
		t.Fatal(err)
	}
	n, err := st.OpenCampaign(ctx, id, "テスト")
	if err != nil {
		t.Fatal(err)
	}
	want := s.Count("SELECT COUNT(*) FROM staff WHERE department_id = ? AND active = TRUE", dept)
	if n != want || n < 5 {
		t.Fatalf("invited %d, roster has %d", n, want)
	}
	c, err := st.Campaign(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	qs, err := st.Questions(ctx, 2030, false)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{s: s, st: st, dept: dept, camp: c, qs: qs, ctx: ctx, today: today}
}

func (f *fixture) invitations(t *testing.T) []survey.Invitation {
	t.Helper()
	rows, err := f.s.DB.Query(f.ctx, "SELECT id FROM survey_invitations WHERE campaign_id = ? ORDER BY id", f.camp.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []survey.Invitation
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		v, err := f.st.Invitation(f.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// TestSubmitOnce: many submissions at once are committed together; the
// same invitation sent again (double click, retry) counts once; an
// anonymous response carries no person.
func TestSubmitOnce(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) { submitOnce(t, dsn) })
}

func submitOnce(t *testing.T, dsn string) {
	for _, anon := range []bool{false, true} {
		if anon && dsn != "" {
			continue // the demo ward is built again for each PostgreSQL test: once is enough
		}
		f := newFixtureOn(t, dsn, anon)
		invs := f.invitations(t)
		var wg sync.WaitGroup
		errs := make([]error, 2*len(invs))
		for i := range errs {
			v := invs[i%len(invs)]
			wg.Go(func() {
				form := survey.FormFor(f.camp, f.qs, v.Audiences)
				answers, fe := form.Check(url.Values{"q_T-K-1": {"2"}, "q_T-R-1": {"1"}})
				if fe != nil {
					errs[i] = fe
					return
				}
				errs[i] = f.st.Submit(f.ctx, survey.Submission{Invitation: v, Campaign: f.camp, Answers: answers, Source: survey.SourceWeb,
					Actor: auditlog.Actor{Login: "test"}})
			})
		}
		wg.Wait()
		ok, again := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, survey.ErrSubmitted):
				again++
			default:
				t.Fatalf("submit: %v", err)
			}
		}
		if ok != len(invs) || again != len(invs) {
			t.Errorf("anonymous=%v: %d accepted, %d refused as repeats; want %d each", anon, ok, again, len(invs))
		}
		if n := f.s.Count("SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ?", f.camp.ID); n != len(invs) {
			t.Errorf("anonymous=%v: %d responses, want %d", anon, n, len(invs))
		}
		named := f.s.Count("SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ? AND staff_id IS NOT NULL", f.camp.ID)
		if anon && named != 0 || !anon && named != len(invs) {
			t.Errorf("anonymous=%v: %d responses name their person", anon, named)
		}
		if n := f.s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'survey.submit'"); n != len(invs) {
			t.Errorf("anonymous=%v: %d audit entries, want %d", anon, n, len(invs))
		}
		if _, brk, err := f.s.Log.Verify(f.ctx); err != nil || brk != nil {
			t.Errorf("audit chain after batched entries: %v %v", brk, err)
		}
		c, _ := f.st.Campaign(f.ctx, f.camp.ID)
		if c.Answered != len(invs) || c.Rate() != 1 {
			t.Errorf("answered %d rate %v", c.Answered, c.Rate())
		}
		// Closed between the page and the commit: refused as closed at
		// the commit, nothing written.
		if err := f.st.CloseCampaign(f.ctx, f.camp.ID, "テスト"); err != nil {
			t.Fatal(err)
		}
		err := f.st.Submit(f.ctx, survey.Submission{Invitation: invs[0], Campaign: f.camp, Answers: map[string]string{"T-R-1": "1"}, Source: survey.SourceWeb})
		if !errors.Is(err, survey.ErrClosed) {
			t.Errorf("anonymous=%v: submit after close: %v", anon, err)
		}
		if n := f.s.Count("SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ?", f.camp.ID); n != len(invs) {
			t.Errorf("anonymous=%v: %d responses after a submission to the closed campaign", anon, n)
		}
	}
}

// TestFormCheck: answers are checked against the questionnaire.
func TestFormCheck(t *testing.T) {
	qs := testBank()
	for i := range qs {
		if fe := survey.CheckQuestion(&qs[i]); fe != nil {
			t.Fatalf("%s: %v", qs[i].Code, fe)
		}
	}
	f := survey.FormFor(survey.Campaign{}, qs, []string{survey.AudienceGeneral})
	if f.Count() != 3 {
		t.Fatalf("general form has %d questions", f.Count())
	}
	for _, c := range []struct {
		values url.Values
		field  string
	}{
		{url.Values{"q_T-K-2": {"2"}}, "q_T-K-2"}, // not in the general questionnaire
		{url.Values{"q_T-K-1": {"4"}}, "q_T-K-1"}, // no such option
		{url.Values{"q_T-K-1": {"1", "2"}}, "q_T-K-1"},
		{url.Values{"q_T-R-1": {"x"}}, "q_T-R-1"},
	} {
		_, fe := f.Check(c.values)
		if fe[c.field] == "" {
			t.Errorf("%v: no error for %s (%v)", c.values, c.field, fe)
		}
	}
	a, fe := f.Check(url.Values{"q_T-K-1": {"2"}, "q_T-R-1": {"3"}, "q_T-T-1": {"  特になし  "}})
	if fe != nil || a["T-K-1"] != "2" || a["T-T-1"] != "特になし" {
		t.Errorf("check: %v %v", a, fe)
	}
	if !qs[0].Correct("2") || qs[0].Correct("1") || !qs[3].Correct("2,3") || qs[3].Correct("2") {
		t.Error("scoring")
	}
	if got := f.Unanswered(a); len(got) != 0 {
		t.Errorf("unanswered %v", got)
	}
}

// TestAnswerPages: the member of staff saves half, comes back, finishes,
// submits twice and sees the explanations; the closed campaign refuses.
func TestAnswerPages(t *testing.T) {
	f := newFixture(t, false)
	c := f.s.As("staff")
	c.Get("/selfcheck").Want(200, "テストの自己点検", "未回答")
	page := "/selfcheck/answer/" + itoa(f.camp.ID)
	c.Get(page).Want(200, "宛先を確かめる方法", "一時保存", "提出する")
	c.Post(page, url.Values{"action": {"save"}, "q_T-K-1": {"1"}}).Redirects(page)
	c.Get(page).Want(200, "回答済み 1 問", `value="1" checked`)
	c.Get("/selfcheck").Want(200, "回答途中")
	// Submitting with a question left: refused, the answers kept.
	c.Post(page, url.Values{"action": {"submit"}, "q_T-K-1": {"1"}}).Want(422, "まだ回答していない設問が 1 問", `value="1" checked`)
	// A question not in the questionnaire.
	c.Post(page, url.Values{"action": {"submit"}, "q_T-K-2": {"2"}}).Want(422, "設問 T-K-2 はこの調査票にありません")
	done := url.Values{"action": {"submit"}, "q_T-K-1": {"1"}, "q_T-R-1": {"1"}}
	c.Post(page, done).Want(200, "回答を提出しました", "正答と違います", "送信前に宛先を読み上げて確認する", "送信の前に確かめます。")
	c.Post(page, done).Want(200, "回答を提出しました")
	if n := f.s.Count("SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ?", f.camp.ID); n != 1 {
		t.Errorf("%d responses after a double submission", n)
	}
	c.Get(page).Want(200, "回答を提出しました", "正答と違います")
	c.Get("/selfcheck").Want(200, "提出済み")
	// Another person's campaign page is not found for someone not invited.
	f.s.As("auditee").Get(page).Want(404)
	// After the close, nothing is accepted.
	if err := f.st.CloseCampaign(f.ctx, f.camp.ID, "テスト"); err != nil {
		t.Fatal(err)
	}
	other := f.invitations(t)[1]
	if err := f.st.Submit(f.ctx, survey.Submission{Invitation: other, Campaign: f.camp, Answers: map[string]string{"T-R-1": "1"}}); !errors.Is(err, survey.ErrClosed) {
		t.Errorf("submit after close: %v", err)
	}
}

// TestPersonalLink: a link opens the questionnaire without an account,
// submits once, then shows the acknowledgement; a wrong or expired link is
// refused.
func TestPersonalLink(t *testing.T) {
	f := newFixture(t, true)
	v := f.invitations(t)[2]
	tok, err := f.st.IssueLink(f.ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	a := f.s.Anonymous()
	a.Get("/selfcheck/r/"+tok).Want(200, "匿名の調査です", "宛先を確かめる方法")
	// A forged department (or person) in the form is ignored: an anonymous
	// response carries the invitation's department and nobody.
	other := f.s.ID("SELECT MIN(id) FROM departments WHERE id <> ?", v.DepartmentID)
	a.Post("/selfcheck/r/"+tok, url.Values{"action": {"submit"}, "q_T-K-1": {"2"}, "q_T-R-1": {"2"}, "department_id": {itoa(other)},
		"department": {itoa(other)}, "staff_id": {"1"}}).Want(200, "回答を提出しました", "正解です")
	if n := f.s.Count("SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ? AND department_id = ? AND staff_id IS NULL", f.camp.ID, v.DepartmentID); n != 1 {
		t.Errorf("the anonymous response does not carry the invitation's department alone (%d rows)", n)
	}
	a.Post("/selfcheck/r/"+tok, url.Values{"action": {"submit"}, "q_T-K-1": {"1"}, "q_T-R-1": {"2"}}).Want(200, "回答を提出しました")
	if n := f.s.Count("SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ?", f.camp.ID); n != 1 {
		t.Errorf("%d responses through one link", n)
	}
	a.Get("/selfcheck/r/"+tok+"x").Want(404, "このリンクは無効か")
	w := f.invitations(t)[3]
	tok2, _ := f.st.IssueLink(f.ctx, w.ID)
	f.s.DB.Exec(f.ctx, "UPDATE survey_invitations SET token_expires = '2020-01-01T00:00:00Z' WHERE id = ?", w.ID)
	a.Get("/selfcheck/r/"+tok2).Want(404, "有効期限")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
