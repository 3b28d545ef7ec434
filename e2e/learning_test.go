package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"mamori/internal/database"
	"mamori/internal/testkit"
)

// fillFirst answers every question of the page's form with its first
// choice (an order question in the order shown).
const fillFirst = `for (const f of document.querySelectorAll("form fieldset.question")) {
	const sel = f.querySelectorAll("select");
	if (sel.length) { sel.forEach((s, i) => { s.value = String(i + 1); }); continue; }
	f.querySelector("input").click();
}`

// TestLearningJourney: the demo member of staff, on a phone, reads the
// lessons left through their exercises (the explanation shown at once),
// fails the test, passes it at the second attempt with the keys read
// from the database, and downloads the certificate; the 所属長 of the
// department sees one more completion.
func TestLearningJourney(t *testing.T) {
	dir := t.TempDir()
	base, _ := startServer(t, dir, true)
	ctx := browser(t)
	boss, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(boss); err != nil {
		t.Fatal(err)
	}
	login(t, boss, base, "auditee")
	completed := func() int {
		step(t, boss, "campaigns", chromedp.Navigate(base+"/learning/campaigns"), chromedp.WaitVisible(chromedp.CSS("main table")),
			chromedp.Click(chromedp.CSS(`main table a[href^="/learning/campaigns/"]`)), chromedp.WaitVisible(chromedp.CSS("main dl")))
		m := regexp.MustCompile(`修了 (\d+) 人`).FindStringSubmatch(text(t, boss, "main dl"))
		if m == nil {
			t.Fatalf("the 所属長's page has no completion count:\n%s", truncate(text(t, boss, "main"), 600))
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	before := completed()
	if body := text(t, boss, "main table"); strings.Contains(body, "秘書課") || !strings.Contains(body, "戸籍住民課") {
		t.Errorf("the 所属長 sees other departments or not their own:\n%s", truncate(body, 600))
	}

	step(t, ctx, "phone", chromedp.EmulateViewport(390, 844))
	login(t, ctx, base, "staff")
	if home := text(t, ctx, "main"); !strings.Contains(home, "未修了の研修") {
		t.Fatalf("the home page does not list the course to take:\n%s", truncate(home, 800))
	}
	step(t, ctx, "my courses", chromedp.Navigate(base+"/learning"), chromedp.WaitVisible(chromedp.CSS("main table")),
		chromedp.Click(chromedp.CSS(`main table a[href^="/learning/my/"]`)), chromedp.WaitVisible(chromedp.CSS("main ol.stack")))
	course := evalJS[string](t, ctx, `location.pathname`)
	lessons := evalJS[[]string](t, ctx, `[...document.querySelectorAll("main ol.stack li")].filter(li => !li.textContent.includes("受講済み")).map(li => li.querySelector("a").getAttribute("href"))`)
	if len(lessons) == 0 {
		t.Fatal("no lesson left to read")
	}
	for i, href := range lessons {
		step(t, ctx, "lesson "+href, chromedp.Navigate(base+href), chromedp.WaitVisible(chromedp.CSS("article.lesson-body")))
		if i == 0 {
			if evalJS[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
				t.Error("the lesson is wider than a phone screen")
			}
			testkit.Shot(t, ctx, "learning-lesson-phone")
			for _, v := range testkit.Axe(t, ctx) {
				if v.Blocking() {
					t.Errorf("accessibility (lesson): %s", v)
				}
			}
		}
		step(t, ctx, "exercise "+href, chromedp.Evaluate[chromedp.Void](fillFirst),
			chromedp.Click(chromedp.CSS(`main form.stack button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".alert-success")))
		if body := text(t, ctx, "main"); !strings.Contains(body, "解説") {
			t.Errorf("%s: no explanation after the exercise", href)
		}
	}
	step(t, ctx, "course", chromedp.Navigate(base+course), chromedp.WaitVisible(chromedp.CSS("main ol.stack")))
	if body := text(t, ctx, "main"); strings.Contains(body, "まだ受講していない単元があります") {
		t.Error("the course still says lessons are left")
	}

	// The first attempt, with the first choices: not passed.
	step(t, ctx, "test", chromedp.Click(chromedp.CSS(`form[action$="/test"] button`)), chromedp.WaitVisible(chromedp.CSS("form fieldset.question")))
	testkit.Shot(t, ctx, "learning-test-phone")
	for _, v := range testkit.Axe(t, ctx) {
		if v.Blocking() {
			t.Errorf("accessibility (test): %s", v)
		}
	}
	step(t, ctx, "answer badly", chromedp.Evaluate[chromedp.Void](fillFirst), chromedp.Click(chromedp.CSS(`main form.stack button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".card")))
	if body := text(t, ctx, "main"); !strings.Contains(body, "不合格") || !strings.Contains(body, "解説") {
		t.Fatalf("after a poor test:\n%s", truncate(body, 800))
	}

	// The second attempt with the right answers, from the pinned questions.
	step(t, ctx, "retry", chromedp.Click(chromedp.CSS(`form[action$="/test"] button`)), chromedp.WaitVisible(chromedp.CSS("form fieldset.question")))
	m := regexp.MustCompile(`/test/(\d+)$`).FindStringSubmatch(evalJS[string](t, ctx, `location.pathname`))
	if m == nil {
		t.Fatal("no attempt in the address")
	}
	keys := attemptKeys(t, dir, m[1])
	step(t, ctx, "answer well", chromedp.Evaluate[chromedp.Void](`(() => { const keys = `+keys+`;
		for (const [id, q] of Object.entries(keys)) {
			if (q.kind === "order") { q.key.forEach((opt, place) => { document.querySelector("select[name='q" + id + "_" + opt + "']").value = String(place + 1); }); continue; }
			for (const v of q.key) document.querySelector("input[name='q" + id + "'][value='" + v + "']").click();
		} })()`), chromedp.Click(chromedp.CSS(`main form.stack button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".card")))
	if body := text(t, ctx, ".card"); !strings.Contains(body, "合格") || !strings.Contains(body, "修了しました") {
		t.Fatalf("after a good test:\n%s", truncate(text(t, ctx, "main"), 800))
	}
	testkit.Shot(t, ctx, "learning-passed-phone")
	href := evalString(t, ctx, `document.querySelector(".card a[href$='/certificate']").href`)
	pdf := squash(pdfText(t, fetch(t, sessionClient(t, ctx, base), href, "application/pdf")))
	if !strings.Contains(pdf, "受講修了証") || !strings.Contains(pdf, "個人情報保護研修") {
		t.Errorf("certificate:\n%s", truncate(pdf, 600))
	}

	if after := completed(); after != before+1 {
		t.Errorf("completions the 所属長 sees: %d before, %d after", before, after)
	}
	testkit.Shot(t, boss, "learning-campaign-auditee")
}

// attemptKeys is attempt id's questions with their kinds and keys, as a
// JSON object keyed by question id, straight from the database.
func attemptKeys(t *testing.T, dir, id string) string {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, filepath.Join(dir, "mamori.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var raw string
	if err := db.QueryRow(ctx, "SELECT questions FROM learning_attempts WHERE id = ?", id).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	if err := json.Unmarshal([]byte(raw), &ids); err != nil {
		t.Fatal(err)
	}
	type q struct {
		Kind string `json:"kind"`
		Key  []int  `json:"key"`
	}
	out := map[string]q{}
	for _, qid := range ids {
		var kind, key string
		if err := db.QueryRow(ctx, "SELECT kind, answer FROM learning_questions WHERE id = ?", qid).Scan(&kind, &key); err != nil {
			t.Fatal(err)
		}
		var k []int
		if err := json.Unmarshal([]byte(key), &k); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprint(qid)] = q{kind, k}
	}
	b, _ := json.Marshal(out)
	return string(b)
}
