package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mamori/internal/testkit"
)

// TestSurveyJourney: a member of staff answers half of the open
// self-assessment on a phone-sized screen, leaves, comes back, finishes,
// submits and reads the explanations; the administrator sees the response
// rate move.
func TestSurveyJourney(t *testing.T) {
	base := serve(t)
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
