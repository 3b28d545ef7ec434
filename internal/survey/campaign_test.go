package survey_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"mamori/internal/auditlog"
	"mamori/internal/jp"
	"mamori/internal/survey"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// campClock is the test's clock, moved by the test.
type campClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *campClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *campClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// campEnv is the demo ward at 2031-06-10 (Japan time) with a small
// question bank for fiscal year 2031, whose campaigns run in June 2031.
type campEnv struct {
	s     *webtest.Server
	st    *survey.Store
	ctx   context.Context
	clock *campClock
	dept  int64 // 戸籍住民課, the auditee's department
	sub   int64 // 住民記録係, below it (the staff login works there)
	other int64 // 秘書課, outside the auditee's sub-tree
	qs    []survey.Question
}

var campStartTime = time.Date(2031, 6, 10, 9, 0, 0, 0, jp.JST)

func campBank() []survey.Question {
	return []survey.Question{
		{Code: "C-K-1", Audiences: []string{survey.AudienceGeneral}, Kind: survey.KindKnowledge, Domain: "misdelivery",
			Text: "メールの宛先を確かめる時として最も適切なものはどれですか。", Options: []string{"送信した後", "送信する前", "確かめない"},
			Answer: []int{2}, Explanation: "送信する前に確かめます。", SortOrder: 1, Active: true},
		{Code: "C-R-1", Audiences: []string{survey.AudienceGeneral}, Kind: survey.KindPractice, Domain: "physical",
			Text: "離席するときに画面をロックしている。", SortOrder: 2, Active: true},
		{Code: "C-M-1", Audiences: []string{survey.AudienceGeneral}, Kind: survey.KindMultiple, Domain: "classification",
			Text: "持ち出しの前に確かめることをすべて選んでください。", Options: []string{"許可", "暗号化", "天気"}, SortOrder: 3, Active: true},
		{Code: "C-T-1", Audiences: []string{survey.AudienceGeneral, survey.AudienceSystem}, Kind: survey.KindText,
			Text: "困っていることを書いてください。", SortOrder: 4, Active: true},
		{Code: "C-K-2", Audiences: []string{survey.AudienceSystem}, Kind: survey.KindKnowledge, Domain: "system_ops",
			Text: "管理者アカウントの扱いとして正しいものをすべて選んでください。", Options: []string{"共用する", "個人ごとに付与する", "操作記録を残す"},
			Answer: []int{2, 3}, Explanation: "個人ごとに付与し、記録を残します。", SortOrder: 5, Active: true},
		{Code: "C-P-1", Audiences: []string{survey.AudienceProtection}, Kind: survey.KindPractice, Domain: "mynumber",
			Text: "特定個人情報の書類を施錠して保管している。", SortOrder: 6, Active: true},
	}
}

func campStart(t *testing.T) *campEnv { return campStartOn(t, "") }

// campStartOn is campStart on the database dsn ("" for a fresh SQLite).
func campStartOn(t *testing.T, dsn string) *campEnv {
	t.Helper()
	clock := &campClock{t: campStartTime}
	s := webtest.Start(t, webtest.Options{DSN: dsn, Demo: true, Now: clock.Now})
	e := &campEnv{s: s, ctx: context.Background(), clock: clock}
	for _, m := range s.Modules {
		if sm, ok := m.(*survey.Module); ok {
			e.st = sm.Store()
		}
	}
	if e.st == nil {
		t.Fatal("no survey module")
	}
	if n, err := e.st.ImportBank(e.ctx, campBank(), 2031, "テスト"); err != nil || n != len(campBank()) {
		t.Fatalf("ImportBank: %d %v", n, err)
	}
	qs, err := e.st.Questions(e.ctx, 2031, false)
	if err != nil {
		t.Fatal(err)
	}
	e.qs = qs
	e.dept = s.ID("SELECT department_id FROM users WHERE login = 'auditee'")
	e.sub = s.ID("SELECT id FROM departments WHERE name = '住民記録係'")
	e.other = s.ID("SELECT id FROM departments WHERE name = '秘書課'")
	if in, err := s.Org.Within(e.ctx, e.sub, e.dept); err != nil || !in {
		t.Fatalf("住民記録係 is not below the auditee's department: %v", err)
	}
	return e
}

// input is a June 2031 campaign of the given departments.
func (e *campEnv) input(title string, anonymous bool, auds []string, depts ...int64) survey.CampaignInput {
	return survey.CampaignInput{FiscalYear: 2031, Title: title, Audiences: auds, Anonymous: anonymous,
		OpensOn: time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC), ClosesOn: time.Date(2031, 6, 30, 0, 0, 0, 0, time.UTC), Departments: depts}
}

// open creates and opens a campaign through the store.
func (e *campEnv) open(t *testing.T, in survey.CampaignInput) survey.Campaign {
	t.Helper()
	id, err := e.st.CreateCampaign(e.ctx, in, "テスト")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.OpenCampaign(e.ctx, id, "テスト"); err != nil {
		t.Fatal(err)
	}
	c, err := e.st.Campaign(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// subtree is the ids of department d and those below it.
func (e *campEnv) subtree(t *testing.T, d int64) []int64 {
	t.Helper()
	tree, err := e.s.Org.Departments(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return tree.Subtree(d)
}

func inList(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return "(" + strings.Join(s, ",") + ")"
}

// activeStaff counts the roster's active staff of the sub-tree of d.
func (e *campEnv) activeStaff(t *testing.T, d int64) int {
	return e.s.Count("SELECT COUNT(*) FROM staff WHERE active = TRUE AND department_id IN " + inList(e.subtree(t, d)))
}

// submit answers invitation v completely through Submit.
func (e *campEnv) submit(t *testing.T, c survey.Campaign, v survey.Invitation) {
	t.Helper()
	f := survey.FormFor(c, e.qs, v.Audiences)
	vals := url.Values{}
	for code, q := range f.Questions {
		if q.Kind != survey.KindText {
			vals.Set("q_"+code, "1")
		}
	}
	answers, fe := f.Check(vals)
	if fe != nil {
		t.Fatal(fe)
	}
	if err := e.st.Submit(e.ctx, survey.Submission{Invitation: v, Campaign: c, Answers: answers, Source: survey.SourceWeb,
		Actor: auditlog.Actor{Login: "test"}}); err != nil {
		t.Fatal(err)
	}
}

// invitationIn is an unanswered invitation of campaign c in department
// d's sub-tree whose person has no account.
func (e *campEnv) invitationIn(t *testing.T, c survey.Campaign, d int64) survey.Invitation {
	t.Helper()
	id := e.s.ID(`SELECT MIN(i.id) FROM survey_invitations i WHERE i.campaign_id = ? AND i.submitted = FALSE AND i.department_id IN `+inList(e.subtree(t, d))+`
		AND NOT EXISTS (SELECT 1 FROM users u WHERE u.staff_id = i.staff_id)`, c.ID)
	v, err := e.st.Invitation(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func campaignIDFrom(t *testing.T, r *webtest.Response) int64 {
	t.Helper()
	loc := r.Header.Get("Location")
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/selfcheck/campaigns/"), 10, 64)
	if err != nil {
		t.Fatalf("redirect to %q is no campaign", loc)
	}
	return id
}

// flash is the one-time message a redirect set.
func flash(r *webtest.Response) string {
	for _, c := range r.Cookies() {
		if c.Name == "mamori_flash" {
			v, _ := url.QueryUnescape(c.Value)
			return v
		}
	}
	return ""
}

func (e *campEnv) audited(t *testing.T, action string, c int64) int {
	t.Helper()
	return e.s.Count("SELECT COUNT(*) FROM audit_log WHERE action = ? AND target = ?", action, fmt.Sprintf("survey_campaign:%d", c))
}

// TestCampaignCreateOpenRate: the form refuses bad input with the typed
// text kept, creates, opens once (a second press changes nothing), and
// the overview's response rate follows the submissions.
func TestCampaignCreateOpenRate(t *testing.T) {
	e := campStart(t)
	admin := e.s.As("admin")
	admin.Get("/selfcheck/campaigns/new").Want(http.StatusOK, "新しい自己点検", `name="audiences"`, `type="date"`, "案内文")

	bad := url.Values{"title": {"  "}, "fiscal_year": {"2031"}, "opens_on": {"2031-06-20"}, "closes_on": {"2031-06-01"},
		"note": {"残したい案内文"}, "departments": {strconv.FormatInt(e.dept, 10)}}
	admin.Post("/selfcheck/campaigns", bad).Want(http.StatusUnprocessableEntity, "件名を 200 文字以内で入れてください。",
		"対象者を一つ以上選んでください。", "締切日は回答開始日以降にしてください。", "残したい案内文")
	bad.Set("opens_on", "2031-13-40")
	admin.Post("/selfcheck/campaigns", bad).Want(http.StatusUnprocessableEntity, "回答開始日「2031-13-40」は日付として読めません")
	if n := e.s.Count("SELECT COUNT(*) FROM survey_campaigns WHERE fiscal_year = 2031"); n != 0 {
		t.Fatalf("refused forms stored %d campaigns", n)
	}

	form := url.Values{"title": {"戸籍住民課の自己点検"}, "fiscal_year": {"2031"}, "audiences": {"general", "system"},
		"opens_on": {"令和13年6月1日"}, "closes_on": {"2031-06-30"}, "note": {"15 分ほどで回答できます。"}, "departments": {strconv.FormatInt(e.dept, 10)}}
	r := admin.Post("/selfcheck/campaigns", form).Redirects("/selfcheck/campaigns/")
	id := campaignIDFrom(t, r)
	admin.Get(fmt.Sprintf("/selfcheck/campaigns/%d", id)).Want(http.StatusOK, "戸籍住民課の自己点検", "準備中", "回答受付を開始", "令和13年6月1日～令和13年6月30日")

	want := e.activeStaff(t, e.dept)
	r = admin.Post(fmt.Sprintf("/selfcheck/campaigns/%d/open", id), nil).Redirects(fmt.Sprintf("/selfcheck/campaigns/%d", id))
	if msg := flash(r); !strings.Contains(msg, fmt.Sprintf("対象 %d 人に回答を依頼しました", want)) || !strings.Contains(msg, "メールは送っていません") {
		t.Errorf("open said %q, want the %d people asked", msg, want)
	}
	r = admin.Post(fmt.Sprintf("/selfcheck/campaigns/%d/open", id), nil).Redirects(fmt.Sprintf("/selfcheck/campaigns/%d", id))
	if msg := flash(r); !strings.Contains(msg, "すでに回答を受け付けています") {
		t.Errorf("second open said %q", msg)
	}
	if n := e.s.Count("SELECT COUNT(*) FROM survey_invitations WHERE campaign_id = ?", id); n != want || want < 20 {
		t.Fatalf("%d invitations after opening twice, want %d", n, want)
	}
	if n := e.audited(t, "survey.campaign_open", id); n != 1 {
		t.Errorf("%d open entries, want 1", n)
	}
	show := fmt.Sprintf("/selfcheck/campaigns/%d", id)
	admin.Get(show).Want(http.StatusOK, "0.0%", fmt.Sprintf("（回答 0 人 ／ 対象 %d 人", want), "所属ごとの回答率", "戸籍住民課", "住民記録係", "再読込")

	c, err := e.st.Campaign(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	v := e.invitationIn(t, c, e.sub)
	e.submit(t, c, v)
	rate := fmt.Sprintf("%.1f%%", 100/float64(want))
	body := admin.Get(show).Want(http.StatusOK, rate, fmt.Sprintf("（回答 1 人 ／ 対象 %d 人", want), "日ごとの回答数", "令和13年6月10日").Body
	subRate := fmt.Sprintf("%.1f%%", 100/float64(e.activeStaff(t, e.sub)))
	if !regexp.MustCompile(`住民記録係</td>\s*<td class="num">\d+</td><td class="num">1</td><td class="num">` + regexp.QuoteMeta(subRate)).MatchString(body) {
		t.Errorf("住民記録係's row lacks 1 answer and %s", subRate)
	}

	admin.Post(show+"/close", nil).Redirects(show)
	r = admin.Post(show+"/close", nil).Redirects(show)
	if msg := flash(r); !strings.Contains(msg, "すでに締め切っています") {
		t.Errorf("second close said %q", msg)
	}
	if n := e.audited(t, "survey.campaign_close", id); n != 1 {
		t.Errorf("%d close entries, want 1", n)
	}
	r = admin.Post(show+"/open", nil).Redirects(show)
	if msg := flash(r); !strings.Contains(msg, "再開できません") {
		t.Errorf("opening a closed campaign said %q", msg)
	}

	// Only the people whose duties call for a questionnaire are asked it.
	ids := inList(e.subtree(t, e.dept))
	for _, tc := range []struct {
		aud  string
		duty string
	}{{"system", "is_system = TRUE"}, {"protection", "(is_protection = TRUE OR is_mynumber = TRUE)"}} {
		c := e.open(t, e.input("担当者だけの自己点検", false, []string{tc.aud}, e.dept))
		want := e.s.Count("SELECT COUNT(*) FROM staff WHERE active = TRUE AND " + tc.duty + " AND department_id IN " + ids)
		if c.Invited != want || want == 0 {
			t.Errorf("%s: %d invited, want the %d on the roster with that duty", tc.aud, c.Invited, want)
		}
	}
}

// TestCampaignEditConflict: a form read before another change is refused
// with what was typed kept; once open, the audiences, anonymity and
// targets stay as they were.
func TestCampaignEditConflict(t *testing.T) {
	e := campStart(t)
	admin := e.s.As("admin")
	id, err := e.st.CreateCampaign(e.ctx, e.input("変更の試験", false, []string{"general"}, e.dept), "テスト")
	if err != nil {
		t.Fatal(err)
	}
	admin.Get(fmt.Sprintf("/selfcheck/campaigns/%d/edit", id)).Want(http.StatusOK, "変更の試験", `name="rev" value="1"`)
	form := url.Values{"rev": {"1"}, "title": {"先に保存した件名"}, "fiscal_year": {"2031"}, "audiences": {"general"},
		"opens_on": {"2031-06-01"}, "closes_on": {"2031-06-30"}, "departments": {strconv.FormatInt(e.dept, 10)}}
	admin.Post(fmt.Sprintf("/selfcheck/campaigns/%d", id), form).Redirects(fmt.Sprintf("/selfcheck/campaigns/%d", id))
	form.Set("title", "後から保存した件名")
	admin.Post(fmt.Sprintf("/selfcheck/campaigns/%d", id), form).Want(http.StatusConflict, "ほかの人が先にこの自己点検を更新しました", "後から保存した件名", `name="rev" value="2"`)
	c, _ := e.st.Campaign(e.ctx, id)
	if c.Title != "先に保存した件名" {
		t.Fatalf("title %q after a conflict", c.Title)
	}
	if _, err := e.st.OpenCampaign(e.ctx, id, "テスト"); err != nil {
		t.Fatal(err)
	}
	c, _ = e.st.Campaign(e.ctx, id)
	admin.Get(fmt.Sprintf("/selfcheck/campaigns/%d/edit", id)).Want(http.StatusOK, "回答の受付を始めた後は変えられません").Lacks(`name="anonymous"`)
	form = url.Values{"rev": {strconv.FormatInt(c.Rev, 10)}, "title": {"開始後に変えた件名"}, "fiscal_year": {"2031"}, "audiences": {"general", "system"},
		"anonymous": {"1"}, "opens_on": {"2031-06-01"}, "closes_on": {"2031-07-10"}}
	admin.Post(fmt.Sprintf("/selfcheck/campaigns/%d", id), form).Redirects(fmt.Sprintf("/selfcheck/campaigns/%d", id))
	c, _ = e.st.Campaign(e.ctx, id)
	if c.Title != "開始後に変えた件名" || c.Anonymous || len(c.Audiences) != 1 || len(c.Departments) != 1 || c.ClosesOn.Day() != 10 {
		t.Errorf("after an edit of an open campaign: %+v", c)
	}
}

// TestCampaignAuditeeScope: a 所属長 sees the campaigns of their sub-tree
// with their sub-tree's counts, never another department's campaign, a
// draft, the non-respondents or the buttons.
func TestCampaignAuditeeScope(t *testing.T) {
	e := campStart(t)
	mine := e.open(t, e.input("住民記録係の自己点検", false, []string{"general"}, e.sub))
	others := e.open(t, e.input("秘書課の自己点検", false, []string{"general"}, e.other))
	ward := e.open(t, e.input("全庁の自己点検", true, []string{"general"}))
	draft, err := e.st.CreateCampaign(e.ctx, e.input("準備中の自己点検", false, []string{"general"}, e.dept), "テスト")
	if err != nil {
		t.Fatal(err)
	}
	v := e.invitationIn(t, ward, e.sub)
	e.submit(t, ward, v)
	e.submit(t, ward, e.invitationIn(t, ward, e.other))

	auditee := e.s.As("auditee")
	mineN, wardMine := e.activeStaff(t, e.sub), e.activeStaff(t, e.dept)
	body := auditee.Get("/selfcheck/campaigns?year=2031").Want(http.StatusOK, "住民記録係の自己点検", "全庁の自己点検", "戸籍住民課（下位の所属を含む）の分です").
		Lacks("秘書課の自己点検", "準備中の自己点検", "新しい自己点検").Body
	wardRow := regexp.MustCompile(`全庁の自己点検</a>.*?<td class="num">(\d+)</td>\s*<td class="num">(\d+)</td>`).FindStringSubmatch(strings.ReplaceAll(body, "\n", " "))
	if wardRow == nil || wardRow[1] != strconv.Itoa(wardMine) || wardRow[2] != "1" {
		t.Errorf("the ward's campaign shows %v to the auditee, want %d asked and 1 answer (their sub-tree's)", wardRow, wardMine)
	}
	auditee.Get(fmt.Sprintf("/selfcheck/campaigns/%d", mine.ID)).Want(http.StatusOK, "住民記録係", fmt.Sprintf("対象 %d 人", mineN)).Lacks("未回答者の一覧", "締め切る")
	auditee.Get(fmt.Sprintf("/selfcheck/campaigns/%d", ward.ID)).Want(http.StatusOK, "戸籍住民課（下位の所属を含む）の回答状況だけ", "住民記録係",
		fmt.Sprintf("（回答 1 人 ／ 対象 %d 人", wardMine)).Lacks("秘書課", "区民部")
	auditee.Get(fmt.Sprintf("/selfcheck/campaigns/%d", others.ID)).Want(http.StatusNotFound)
	auditee.Get(fmt.Sprintf("/selfcheck/campaigns/%d", draft)).Want(http.StatusNotFound)
	auditee.Get(fmt.Sprintf("/selfcheck/campaigns/%d/pending", mine.ID)).Want(http.StatusForbidden)
	auditee.Post(fmt.Sprintf("/selfcheck/campaigns/%d/remind", mine.ID), nil).Want(http.StatusForbidden)
	auditee.Get("/selfcheck/campaigns/export?format=csv&year=2031").Want(http.StatusOK)
	e.s.As("staff").Get("/selfcheck/campaigns").Want(http.StatusForbidden)
	e.s.As("viewer").Get(fmt.Sprintf("/selfcheck/campaigns/%d", ward.ID)).Want(http.StatusForbidden)

	// The manager sees the whole ward's figures.
	e.s.As("consultant").Get(fmt.Sprintf("/selfcheck/campaigns/%d", ward.ID)).Want(http.StatusOK, "秘書課", "（回答 2 人")
}

// TestCampaignExport: the list's CSV (Shift_JIS) and XLSX hold the rows
// the list shows.
func TestCampaignExport(t *testing.T) {
	e := campStart(t)
	c := e.open(t, e.input("出力の試験", false, []string{"general"}, e.sub))
	admin := e.s.As("admin")
	admin.Get("/selfcheck/campaigns?year=2031").Want(http.StatusOK, c.Code, "出力の試験", "回答受付中")
	raw := admin.Download("/selfcheck/campaigns/export?format=csv&year=2031", "text/csv")
	text, enc, err := jp.DecodeText(raw)
	if err != nil || enc != jp.ShiftJIS {
		t.Fatalf("CSV: %v %v", enc, err)
	}
	if !strings.Contains(text, c.Code+",令和13年度,出力の試験,一般職員,記名,2031-06-01,2031-06-30,回答受付中,"+strconv.Itoa(c.Invited)+",0,0.0") {
		t.Errorf("CSV lacks the campaign's row:\n%s", text)
	}
	x, err := excelize.OpenReader(bytes.NewReader(admin.Download("/selfcheck/campaigns/export?format=xlsx&year=2031", "application/vnd.openxmlformats")))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows(x.GetSheetList()[0])
	if len(rows) != 2 || rows[1][0] != c.Code || rows[1][8] != strconv.Itoa(c.Invited) {
		t.Errorf("XLSX rows %v", rows)
	}
	if n := e.s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = 'fiscal_year:2031'"); n != 2 {
		t.Errorf("%d download entries, want 2", n)
	}
	admin.Get("/selfcheck/campaigns/export?format=csv&state=nosuch").Want(http.StatusBadRequest, "状態の指定が正しくありません")
}

// TestCampaignRemind: reminding a department marks its unanswered
// people (not those who answered, not other departments), writes one
// entry, and the respondent's reminder lasts until they answer.
func TestCampaignRemind(t *testing.T) {
	e := campStart(t)
	c := e.open(t, e.input("催促の試験", true, []string{"general"}, e.dept, e.other))
	staffID := e.s.ID("SELECT staff_id FROM users WHERE login = 'staff'")
	answered := e.invitationIn(t, c, e.sub)
	e.submit(t, c, answered)
	admin := e.s.As("admin")
	pending := fmt.Sprintf("/selfcheck/campaigns/%d/pending?department=%d", c.ID, e.sub)
	var staffName, staffNo string
	if err := e.s.DB.QueryRow(e.ctx, "SELECT name, employee_no FROM staff WHERE id = ?", staffID).Scan(&staffName, &staffNo); err != nil {
		t.Fatal(err)
	}
	admin.Get(pending).Want(http.StatusOK, "未回答者の一覧", "匿名ですが", staffName, staffNo, "アカウントあり", "メール送信の設定がないため、画面上の催促のみです")

	r := admin.Post(fmt.Sprintf("/selfcheck/campaigns/%d/remind", c.ID), url.Values{"department": {strconv.FormatInt(e.sub, 10)}}).Redirects(pending)
	subN := e.activeStaff(t, e.sub)
	if msg := flash(r); !strings.Contains(msg, fmt.Sprintf("未回答の %d 人に催促しました", subN-1)) || !strings.Contains(msg, "画面上の催促のみです") {
		t.Errorf("remind said %q", msg)
	}
	if n := e.s.Count("SELECT COUNT(*) FROM survey_invitations WHERE campaign_id = ? AND reminded_at <> ''", c.ID); n != subN-1 {
		t.Errorf("%d reminded, want %d (住民記録係's unanswered)", n, subN-1)
	}
	if n := e.s.Count("SELECT COUNT(*) FROM survey_invitations WHERE id = ? AND reminded_at <> ''", answered.ID); n != 0 {
		t.Error("a respondent who answered was reminded")
	}
	if n := e.audited(t, "survey.remind", c.ID); n != 1 {
		t.Errorf("%d remind entries, want 1", n)
	}
	rs, err := e.st.RemindersFor(e.ctx, staffID)
	if err != nil || len(rs) != 1 || rs[0].CampaignID != c.ID {
		t.Fatalf("reminders of the staff login: %+v %v", rs, err)
	}
	admin.Get(pending).Want(http.StatusOK, "令和13年6月10日")

	v, err := e.st.InvitationOf(e.ctx, c.ID, staffID)
	if err != nil {
		t.Fatal(err)
	}
	e.submit(t, c, v)
	if rs, _ := e.st.RemindersFor(e.ctx, staffID); len(rs) != 0 {
		t.Errorf("reminders after answering: %+v", rs)
	}
	admin.Get(pending).Want(http.StatusOK).Lacks(staffNo)

	// The whole campaign: every unanswered person.
	admin.Post(fmt.Sprintf("/selfcheck/campaigns/%d/remind", c.ID), nil).Redirects(fmt.Sprintf("/selfcheck/campaigns/%d", c.ID))
	if n, want := e.s.Count("SELECT COUNT(*) FROM survey_invitations WHERE campaign_id = ? AND submitted = FALSE AND reminded_at <> ''", c.ID),
		e.s.Count("SELECT COUNT(*) FROM survey_invitations WHERE campaign_id = ? AND submitted = FALSE", c.ID); n != want || want == 0 {
		t.Errorf("%d reminded after reminding everyone, want the %d unanswered", n, want)
	}
	// Past the closing day nobody is reminded.
	e.clock.Set(time.Date(2031, 7, 1, 9, 0, 0, 0, jp.JST))
	r = e.s.As("admin").Post(fmt.Sprintf("/selfcheck/campaigns/%d/remind", c.ID), nil).Redirects(fmt.Sprintf("/selfcheck/campaigns/%d", c.ID))
	if msg := flash(r); !strings.Contains(msg, "回答を受け付けている期間の自己点検だけ催促できます") {
		t.Errorf("remind after closing said %q", msg)
	}
	if n := e.audited(t, "survey.remind", c.ID); n != 2 {
		t.Errorf("%d remind entries, want 2", n)
	}
}

var slipURL = regexp.MustCompile(`https?://[^<\s]+/selfcheck/r/([A-Za-z0-9_-]+)`)

// TestCampaignLinks: links for a department's people without an account,
// shown once; answering through one counts once; the link then shows the
// acknowledgement; a link issued again replaces the old one; an expired
// link is refused.
func TestCampaignLinks(t *testing.T) {
	e := campStart(t)
	c := e.open(t, e.input("個人用リンクの試験", false, []string{"general"}, e.dept))
	admin := e.s.As("admin")
	noAccount := e.s.Count(`SELECT COUNT(*) FROM survey_invitations i WHERE i.campaign_id = ? AND i.department_id IN `+inList(e.subtree(t, e.sub))+`
		AND NOT EXISTS (SELECT 1 FROM users u WHERE u.staff_id = i.staff_id)`, c.ID)
	r := admin.Post(fmt.Sprintf("/selfcheck/campaigns/%d/links", c.ID), url.Values{"department": {strconv.FormatInt(e.sub, 10)}}).
		Want(http.StatusOK, "この画面は一度だけ表示します", "住民記録係（下位の所属を含む）", "令和13年6月30日 23時59分まで")
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("slips page Cache-Control %q", got)
	}
	toks := slipURL.FindAllStringSubmatch(r.Body, -1)
	if len(toks) != noAccount || noAccount < 5 {
		t.Fatalf("%d slips, want %d (住民記録係 without an account)", len(toks), noAccount)
	}
	if n := e.audited(t, "survey.links_issue", c.ID); n != 1 {
		t.Errorf("%d batch entries, want 1", n)
	}
	if n := e.s.Count("SELECT COUNT(*) FROM survey_invitations WHERE campaign_id = ? AND token_hash IS NOT NULL", c.ID); n != noAccount {
		t.Errorf("%d links stored, want %d", n, noAccount)
	}
	if strings.Contains(r.Body, toks[0][1]) && e.s.Count("SELECT COUNT(*) FROM survey_invitations WHERE token_hash = ?", toks[0][1]) != 0 {
		t.Error("a token is stored as it is")
	}
	// Issuing the batch again leaves out those who hold a valid link.
	r = admin.Post(fmt.Sprintf("/selfcheck/campaigns/%d/links", c.ID), url.Values{"department": {strconv.FormatInt(e.sub, 10)}})
	if msg := flash(r); r.StatusCode != http.StatusSeeOther || !strings.Contains(msg, "全員が有効な個人用リンクを持っています") {
		t.Errorf("second batch: %d %q", r.StatusCode, msg)
	}

	// Answering through the first link.
	tok := toks[0][1]
	anon := e.s.Anonymous()
	page := anon.Get("/selfcheck/r/"+tok).Want(http.StatusOK, "個人用リンクの試験", "C-K-1")
	csrf := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page.Body)
	if csrf == nil {
		t.Fatal("no form on the link's page")
	}
	answers := url.Values{"csrf_token": {csrf[1]}, "action": {"submit"}, "q_C-K-1": {"2"}, "q_C-R-1": {"1"}, "q_C-M-1": {"1", "2"}}
	anon.Post("/selfcheck/r/"+tok, answers).Want(http.StatusOK, "回答を提出しました")
	anon.Post("/selfcheck/r/"+tok, answers).Want(http.StatusOK, "回答を提出しました")
	anon.Get("/selfcheck/r/"+tok).Want(http.StatusOK, "回答を提出しました").Lacks("提出する</button>")
	if n := e.s.Count("SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ?", c.ID); n != 1 {
		t.Errorf("%d responses after answering twice through one link, want 1", n)
	}
	if n := e.s.Count("SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ? AND source = 'link'", c.ID); n != 1 {
		t.Errorf("the response's source is not the link")
	}
	admin.Get(fmt.Sprintf("/selfcheck/campaigns/%d", c.ID)).Want(http.StatusOK, "（回答 1 人")

	// One person's link issued again replaces the old one.
	v := e.invitationIn(t, c, e.sub)
	old := ""
	for _, m := range toks[1:] {
		got, err := e.st.InvitationByToken(e.ctx, m[1])
		if err == nil && got.ID == v.ID {
			old = m[1]
		}
	}
	if old == "" {
		t.Fatal("no slip of the next unanswered person")
	}
	r = admin.Post(fmt.Sprintf("/selfcheck/campaigns/%d/links", c.ID), url.Values{"invitation": {strconv.FormatInt(v.ID, 10)}}).Want(http.StatusOK, "個人用リンク（1 人分）")
	fresh := slipURL.FindStringSubmatch(r.Body)
	if fresh == nil {
		t.Fatal("no slip")
	}
	anon.Get("/selfcheck/r/"+old).Want(http.StatusNotFound, "このリンクは無効か、有効期限が切れています")
	anon.Get("/selfcheck/r/"+fresh[1]).Want(http.StatusOK, "C-K-1")
	if n := e.audited(t, "survey.links_issue", c.ID); n != 2 {
		t.Errorf("%d batch entries, want 2", n)
	}

	// After the closing day, the link is refused.
	e.clock.Set(time.Date(2031, 7, 1, 0, 0, 1, 0, jp.JST))
	anon.Get("/selfcheck/r/"+fresh[1]).Want(http.StatusNotFound, "有効期限が切れています")
	// An invitation of another campaign is no person of this one.
	other := e.open(t, e.input("別の自己点検", false, []string{"general"}, e.other))
	e.clock.Set(campStartTime)
	ov := e.invitationIn(t, other, e.other)
	admin.Post(fmt.Sprintf("/selfcheck/campaigns/%d/links", c.ID), url.Values{"invitation": {strconv.FormatInt(ov.ID, 10)}}).Want(http.StatusNotFound)
	e.s.As("auditee").Post(fmt.Sprintf("/selfcheck/campaigns/%d/links", c.ID), url.Values{"department": {strconv.FormatInt(e.sub, 10)}}).Want(http.StatusForbidden)
}

// TestCampaignBackends runs the store's queries of distribution on every
// database: counts by department, audience and day, the non-respondents,
// reminders, personal links and an import.
func TestCampaignBackends(t *testing.T) {
	testkit.NoRace(t)
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		e := campStartOn(t, dsn)
		c := e.open(t, e.input("各データベースの試験", true, []string{"general", "system"}, e.dept))
		v := e.invitationIn(t, c, e.sub)
		e.submit(t, c, v)
		p, err := e.st.Progress(e.ctx, c, e.dept)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total.Invited != e.activeStaff(t, e.dept) || p.Total.Answered != 1 || len(p.Days) != 1 || p.Days[0].N != 1 || len(p.Audiences) == 0 {
			t.Errorf("progress %+v", p)
		}
		rows, err := e.st.ListCampaigns(e.ctx, survey.CampaignFilter{FiscalYear: 2031, Root: e.sub})
		if err != nil || len(rows) != 1 || rows[0].Counts.Invited != e.activeStaff(t, e.sub) || rows[0].Counts.Answered != 1 {
			t.Errorf("list of 住民記録係: %+v %v", rows, err)
		}
		un, err := e.st.UnansweredOf(e.ctx, c.ID, e.subtree(t, e.sub))
		if err != nil || len(un) != e.activeStaff(t, e.sub)-1 || un[0].Name == "" {
			t.Fatalf("unanswered: %d %v", len(un), err)
		}
		if n, err := e.st.Remind(e.ctx, c, e.sub); err != nil || n != len(un) {
			t.Errorf("remind: %d %v", n, err)
		}
		links, err := e.st.IssueLinks(e.ctx, c, un[:2], "試験")
		if err != nil || len(links) != 2 {
			t.Fatalf("links: %v", err)
		}
		var code string
		if err := e.s.DB.QueryRow(e.ctx, "SELECT code FROM departments WHERE id = ?", e.sub).Scan(&code); err != nil {
			t.Fatal(err)
		}
		file := impCSV(t, jp.UTF8, [][]string{{"所属コード", "調査票", "C-K-1"}, {code, "一般職員", "2"}})
		plan, err := e.st.PlanImport(e.ctx, c, "a.csv", file)
		if err != nil || plan.Good() != 1 {
			t.Fatalf("plan: %+v %v", plan, err)
		}
		res, err := e.st.CommitImport(e.ctx, c.ID, "a.csv", file, plan.Stamp, false, auditlog.Actor{Login: "test"})
		if err != nil || res.Imported != 1 {
			t.Fatalf("commit: %+v %v", res, err)
		}
		if n := e.s.Count("SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ? AND staff_id IS NULL", c.ID); n != 2 {
			t.Errorf("%d anonymous responses, want 2", n)
		}
	})
}
