package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mamori/internal/database"
	"mamori/internal/testkit"
)

// TestSurveyJourney: a member of staff answers half of the open
// self-assessment on a phone-sized screen, leaves, comes back, finishes,
// submits and reads the explanations; the administrator sees the response
// rate move.
func TestSurveyJourney(t *testing.T) {
	dir := t.TempDir()
	base, _ := startServer(t, dir, true)
	ctx := browser(t)
	admin := func() context.Context {
		c, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		if err := chromedp.Do(c); err != nil {
			t.Fatal(err)
		}
		return c
	}()

	// The administrator's view of the open campaign before.
	login(t, admin, base, "admin")
	step(t, admin, "campaigns", chromedp.Navigate(base+"/selfcheck"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	rateBefore := openRate(t, admin)

	step(t, ctx, "phone", chromedp.EmulateViewport(390, 844))
	login(t, ctx, base, "staff")
	home := text(t, ctx, "main")
	if !strings.Contains(home, "未回答の自己点検") {
		t.Fatalf("the home page does not say a questionnaire is waiting:\n%s", truncate(home, 800))
	}
	step(t, ctx, "my questionnaires", chromedp.Navigate(base+"/selfcheck"), chromedp.WaitVisible(chromedp.CSS("main table")))
	step(t, ctx, "open the questionnaire", chromedp.Click(chromedp.CSS(`main table a[href^="/selfcheck/answer/"]`)), chromedp.WaitVisible(chromedp.CSS("fieldset.sv-q")))
	url := evalJS[string](t, ctx, `location.href`)
	// The page fits the phone: nothing wider than the screen.
	if evalJS[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
		t.Error("the questionnaire is wider than a phone screen")
	}
	total := evalJS[int](t, ctx, `document.querySelectorAll("fieldset.sv-q").length`)
	if total < 40 {
		t.Fatalf("the questionnaire has %d questions", total)
	}
	half := total / 2
	// Answer the first half by tapping the first option of each.
	for i := 1; i <= half; i++ {
		if evalJS[bool](t, ctx, fmt.Sprintf(`!!document.querySelectorAll("fieldset.sv-q")[%d].querySelector("textarea")`, i-1)) {
			continue
		}
		// A tap on the option's label, as a finger does.
		step(t, ctx, "answer "+strconv.Itoa(i), chromedp.Click(chromedp.CSS(fmt.Sprintf(`#q-%s label.sv-opt`, evalJS[string](t, ctx, fmt.Sprintf(`document.querySelectorAll("fieldset.sv-q")[%d].id.slice(2)`, i-1))))))
	}
	testkit.Shot(t, ctx, "survey-phone-half")
	step(t, ctx, "save", chromedp.Click(chromedp.CSS(`button[value="save"]`)), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	if msg := text(t, ctx, ".alert-ok"); !strings.Contains(msg, "一時保存しました") {
		t.Errorf("after saving: %s", msg)
	}
	// Leave: sign out, then come back.
	step(t, ctx, "logout", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS("#login")))
	login(t, ctx, base, "staff")
	step(t, ctx, "list again", chromedp.Navigate(base+"/selfcheck"), chromedp.WaitVisible(chromedp.CSS("main table")))
	if !strings.Contains(text(t, ctx, "main table"), "回答途中") {
		t.Error("the list does not say the questionnaire is half answered")
	}
	step(t, ctx, "return", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("fieldset.sv-q")))
	kept := evalJS[int](t, ctx, `document.querySelectorAll("fieldset.sv-q input:checked").length`)
	if kept < half-2 {
		t.Fatalf("%d answers kept of the %d given", kept, half)
	}
	// Submitting now is refused, naming what is missing; nothing is lost.
	step(t, ctx, "submit early", chromedp.Click(chromedp.CSS(`button[value="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".alert-error")))
	if msg := text(t, ctx, ".alert-error"); !strings.Contains(msg, "まだ回答していない設問") {
		t.Errorf("early submit: %s", msg)
	}
	// Finish: the first option of every question still open.
	step(t, ctx, "finish", chromedp.Evaluate[chromedp.Void](`for (const f of document.querySelectorAll("fieldset.sv-q")) {
		if (!f.querySelector("textarea") && !f.querySelector("input:checked")) f.querySelector("input").click(); }`))
	step(t, ctx, "comment", chromedp.SendKeys(chromedp.CSS("fieldset.sv-q textarea"), "研修の時間を業務の合間にとれるようにしてほしいです。"))
	step(t, ctx, "submit", chromedp.Click(chromedp.CSS(`button[value="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".sv-exp")))
	done := text(t, ctx, "main")
	for _, want := range []string{"回答を提出しました", "正答：", "正解です"} {
		if !strings.Contains(done, want) {
			t.Errorf("acknowledgement lacks %q", want)
		}
	}
	testkit.Shot(t, ctx, "survey-phone-done")
	axe := testkit.Axe(t, ctx)
	for _, v := range axe {
		if v.Blocking() {
			t.Errorf("accessibility: %s", v)
		}
	}

	// The administrator sees one more response.
	step(t, admin, "campaigns again", chromedp.Navigate(base+"/selfcheck"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if after := openRate(t, admin); after != rateBefore+1 {
		t.Errorf("responses of the open campaign: %d before, %d after", rateBefore, after)
	}
	step(t, admin, "the open campaign", chromedp.Click(chromedp.CSS(`main a[href^="/selfcheck/campaigns/"]`)), chromedp.WaitVisible(chromedp.CSS("main table")))
	testkit.Shot(t, admin, "survey-campaign-rates")

	// The year's results: the report's figures equal a recount of the raw
	// answers made here, from the database, with the answer keys.
	step(t, admin, "results", chromedp.Navigate(base+"/selfcheck/results"), chromedp.WaitVisible(chromedp.CSS("main table")),
		chromedp.Click(chromedp.CSS(`main table a[href^="/selfcheck/results/"]`)), chromedp.WaitVisible(chromedp.CSS("main h1")))
	testkit.Shot(t, admin, "survey-results")
	href := evalString(t, admin, `[...document.querySelectorAll('main a')].find(a => a.textContent.trim() === '調査結果報告書（PDF）').href`)
	id, _ := strconv.ParseInt(regexp.MustCompile(`/results/(\d+)/`).FindStringSubmatch(href)[1], 10, 64)
	pdf := squash(pdfText(t, fetch(t, sessionClient(t, admin, base), href, "application/pdf")))
	invited, answered, correct, knowledge := recount(t, dir, id)
	for _, want := range []string{
		fmt.Sprintf("対象者%d人のうち%d人が回答し", invited, answered),
		fmt.Sprintf("全体の理解度は%.1fであった（正答%d／回答%d）", 100*float64(correct)/float64(knowledge), correct, knowledge),
	} {
		if !strings.Contains(pdf, want) {
			t.Errorf("調査結果報告書 lacks the recounted %s:\n%s", want, truncate(pdf, 2500))
		}
	}
}

// recount counts campaign id's invitations and responses and scores every
// knowledge answer against the stored answer keys, straight from the
// database and without the module's code.
func recount(t *testing.T, dir string, id int64) (invited, answered, correct, knowledge int) {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, filepath.Join(dir, "mamori.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.QueryRow(ctx, "SELECT COUNT(*) FROM survey_invitations WHERE campaign_id = ?", id).Scan(&invited)
	keys := map[string]string{}
	rows, err := db.Query(ctx, `SELECT q.code, q.answer FROM survey_questions q JOIN survey_campaigns c ON c.fiscal_year = q.fiscal_year
		WHERE c.id = ? AND q.kind = 'knowledge' AND q.active = TRUE`, id)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var code, key string
		rows.Scan(&code, &key)
		keys[code] = key
	}
	rows.Close()
	rows, err = db.Query(ctx, "SELECT answers FROM survey_responses WHERE campaign_id = ?", id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var raw string
		rows.Scan(&raw)
		var a map[string]string
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			t.Fatal(err)
		}
		answered++
		for code, v := range a {
			key, ok := keys[code]
			if !ok || v == "" {
				continue
			}
			knowledge++
			got := strings.Split(v, ",")
			sort.Strings(got)
			want := strings.Split(key, ",")
			sort.Strings(want)
			if strings.Join(got, ",") == strings.Join(want, ",") {
				correct++
			}
		}
	}
	if answered == 0 || knowledge == 0 {
		t.Fatalf("campaign %d: %d responses, %d knowledge answers", id, answered, knowledge)
	}
	return invited, answered, correct, knowledge
}

var answeredRe = regexp.MustCompile(`([0-9,]+) / [0-9,]+ 人`)

// openRate is the number of responses of the open campaign as the
// administrator's home tile shows it.
func openRate(t *testing.T, ctx context.Context) int {
	t.Helper()
	step(t, ctx, "home", chromedp.Navigate(strings.TrimSuffix(currentBase(t, ctx), "/")+"/"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	body := text(t, ctx, "main")
	m := answeredRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the home page shows no response rate:\n%s", truncate(body, 1200))
	}
	n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	return n
}

func currentBase(t *testing.T, ctx context.Context) string {
	t.Helper()
	return regexp.MustCompile(`^https?://[^/]+`).FindString(evalJS[string](t, ctx, `location.href`))
}

// evalJS evaluates js in the page and returns its value.
func evalJS[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}
