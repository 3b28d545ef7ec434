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
	"time"

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
	// The security office, to upload a lesson's video (a context made
	// before the learner's tab has its target).
	admin, cancelAdmin := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelAdmin)
	if err := chromedp.Do(admin); err != nil {
		t.Fatal(err)
	}
	login(t, admin, base, "admin")
	completed := func() int {
		step(t, boss, "campaigns", chromedp.Navigate(base+"/learning/campaigns"), chromedp.WaitVisible(chromedp.CSS("main table")),
			clickLink(`main table a[href^="/learning/campaigns/"]`, "個人情報保護研修（全職員）"), chromedp.WaitVisible(chromedp.CSS("main dl")))
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
		clickLink(`main table a[href^="/learning/my/"]`, "個人情報保護研修（全職員）"), chromedp.WaitVisible(chromedp.CSS("main ol.stack")))
	course := evalJS[string](t, ctx, `location.pathname`)
	lessons := evalJS[[]string](t, ctx, `[...document.querySelectorAll("main ol.stack li")].filter(li => !li.textContent.includes("受講済み")).map(li => li.querySelector("a").getAttribute("href"))`)
	if len(lessons) == 0 {
		t.Fatal("no lesson left to read")
	}
	watchVideo(t, ctx, admin, base, lessons[0])
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

	takeSCORM(t, ctx, base)

	if after := completed(); after != before+1 {
		t.Errorf("completions the 所属長 sees: %d before, %d after", before, after)
	}
	testkit.Shot(t, boss, "learning-campaign-auditee")
}

// clickLink clicks the first link of sel whose text holds label.
func clickLink(sel, label string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const a = [...document.querySelectorAll(%q)].find(a => a.textContent.includes(%q));
		if (!a) throw new Error("no link %s"); a.click(); })()`, sel, label, label))
}

// watchVideo: the security office uploads a video for the lesson at href
// (a real H.264 MP4 of 20 seconds); the learner plays part of it, leaves,
// and coming back finds it where they stopped.
func watchVideo(t *testing.T, ctx, admin context.Context, base, href string) {
	t.Helper()
	m := regexp.MustCompile(`/lessons/(\d+)$`).FindStringSubmatch(href)
	if m == nil {
		t.Fatalf("lesson address %s", href)
	}
	file, err := filepath.Abs(filepath.Join("testdata", "lesson.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	step(t, admin, "courses", chromedp.Navigate(base+"/learning/courses"), chromedp.WaitVisible(chromedp.CSS("main table")))
	step(t, admin, "course", clickLink(`main table a[href^="/learning/courses/"]`, "度 個人情報保護研修"), chromedp.WaitVisible(chromedp.CSS("#video-"+m[1])))
	step(t, admin, "upload video", chromedp.SetUploadFiles("#video-"+m[1], []string{file}),
		chromedp.Click(chromedp.CSS(`#lesson-`+m[1]+` button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))

	step(t, ctx, "video lesson", chromedp.Navigate(base+href), chromedp.WaitVisible(chromedp.CSS("video[data-save]")))
	waitFor(t, ctx, "video metadata", `document.querySelector("video").readyState >= 1`)
	// Play (muted, as a browser allows without a click), jump ahead, pause:
	// the page saves the position on pause.
	step(t, ctx, "play", chromedp.Evaluate[chromedp.Void](`(async () => { const v = document.querySelector("video"); v.muted = true;
		await v.play(); await new Promise(r => setTimeout(r, 700)); v.currentTime = 12.5; await new Promise(r => v.addEventListener("seeked", r, { once: true }));
		v.pause(); })()`, chromedp.EvalAwaitPromise))
	waitFor(t, ctx, "position saved", `performance.getEntriesByType("resource").some(e => e.name.endsWith("/position"))`)
	step(t, ctx, "leave", chromedp.Navigate(base+"/learning"), chromedp.WaitVisible(chromedp.CSS("main table")))
	step(t, ctx, "return", chromedp.Navigate(base+href), chromedp.WaitVisible(chromedp.CSS("video[data-save]")))
	waitFor(t, ctx, "video resumed", `Math.abs(document.querySelector("video").currentTime - 12.5) < 0.6`)
	testkit.Shot(t, ctx, "learning-video-phone")
}

// takeSCORM: the learner opens the demo's vendor course (a SCORM 1.2
// package played in Mamori's frame), pages through it, answers its quiz,
// and the SCO's report through the API completes the course.
func takeSCORM(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	step(t, ctx, "vendor course", chromedp.Navigate(base+"/learning"), chromedp.WaitVisible(chromedp.CSS("main table")),
		clickLink(`main table a[href^="/learning/my/"]`, "外部教材"), chromedp.WaitVisible(chromedp.CSS(`main a.button[href$="/scorm"]`)),
		chromedp.Click(chromedp.CSS(`main a.button[href$="/scorm"]`)), chromedp.WaitVisible(chromedp.CSS("#scorm-frame")))
	const doc = `document.getElementById("scorm-frame").contentDocument`
	waitFor(t, ctx, "SCO loaded", doc+` && !!`+doc+`.querySelector("#where") && `+doc+`.querySelector("#where").textContent === "1 / 4"`)
	step(t, ctx, "page through and answer", chromedp.Evaluate[chromedp.Void](`(() => { const d = `+doc+`;
		for (let i = 0; i < 3; i++) d.getElementById("next").click();
		for (const [q, v] of Object.entries({q1: "b", q2: "c", q3: "b", q4: "a", q5: "b"})) d.querySelector("input[name=" + q + "][value=" + v + "]").click();
		d.querySelector("#quiz button[type=submit]").click(); })()`))
	waitFor(t, ctx, "reported", `document.getElementById("scorm-status").textContent.includes("修了")`)
	if got := evalJS[string](t, ctx, doc+`.getElementById("result").textContent`); !strings.Contains(got, "合格") {
		t.Errorf("the SCO's result: %q", got)
	}
	testkit.Shot(t, ctx, "learning-scorm-phone")
	step(t, ctx, "close", chromedp.Click(chromedp.CSS("#scorm-close")), chromedp.WaitVisible(chromedp.CSS("main dl.facts")))
	if body := text(t, ctx, "main"); !strings.Contains(body, "修了") || !strings.Contains(body, "受講修了証") || !strings.Contains(body, "100%") {
		t.Errorf("the vendor course after its quiz:\n%s", truncate(body, 800))
	}
}

// waitFor polls js in the page until it is true (10 s).
func waitFor(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if evalJS[bool](t, ctx, js) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: %s stayed false", what, js)
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
