package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"mamori/internal/testkit"
)

// TestDrillJourney: the controller opens the planned demo drill (標的型メール
// at 税務課), issues the participants' one-time links and starts the drill
// from the console; releases an inject for 税務課 on demand; a player on
// their link (no account) sees it and answers; an evaluator on a
// tablet-sized window records an observation; the player's link cannot
// open the controller handbook; the controller ends the drill and the
// evaluation report lists the observation and the answer.
func TestDrillJourney(t *testing.T) {
	base, _ := startServer(t, t.TempDir(), true)
	ctx := browser(t)
	office := ctx
	login(t, office, base, "admin")
	newTab := func() context.Context {
		c, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		if err := chromedp.Do(c); err != nil {
			t.Fatal(err)
		}
		return c
	}

	step(t, office, "drills", chromedp.Navigate(base+"/drill"), chromedp.WaitVisible(chromedp.CSS("main table")),
		clickLink(`main table a[href^="/drills/"]`, "税務課を狙った標的型メール"), chromedp.WaitVisible(chromedp.CSS("#participants")))
	if body := mainText(t, office); !strings.Contains(body, "区民サービスへの影響") || !strings.Contains(body, "の区民サービス") {
		t.Errorf("the drill page lacks the citizen-service impact:\n%s", truncate(body, 1500))
	}
	step(t, office, "links", chromedp.Evaluate[chromedp.Void](`document.querySelector("form[action$='/links']").requestSubmit()`),
		chromedp.WaitVisible(chromedp.CSS(".links-card img")))
	testkit.Shot(t, office, "drill-links")
	player := evalString(t, office, `[...document.querySelectorAll(".link-card")].find(c => c.textContent.includes("渡辺 浩")).querySelector(".url a").href`)
	evaluator := evalString(t, office, `[...document.querySelectorAll(".link-card")].find(c => c.textContent.includes("清水 綾")).querySelector(".url a").href`)
	drillPath := strings.TrimSuffix(evalString(t, office, `location.pathname`), "/links")
	if !strings.Contains(player, "/drill/play/") || !strings.Contains(evaluator, "/drill/play/") {
		t.Fatalf("links: %q %q", player, evaluator)
	}

	pctx := newTab()
	step(t, pctx, "player comcheck", chromedp.EmulateViewport(390, 844), chromedp.Navigate(player), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if body := mainText(t, pctx); !strings.Contains(body, "通信確認ができました") {
		t.Fatalf("the player page before the start:\n%s", truncate(body, 800))
	}

	step(t, office, "console", chromedp.Navigate(base+drillPath+"/console"), chromedp.WaitVisible(chromedp.CSS(".console-head")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("form[action$='/start']").requestSubmit()`), chromedp.WaitVisible(chromedp.CSS("article.inject")))
	wantFlash(t, office, "訓練を開始しました")
	// Send now: the first inject for 税務課 not yet released.
	subject := evalString(t, office, `(() => {
		const a = [...document.querySelectorAll("article.inject:not(.released)")].find(x => x.querySelector(".meta").textContent.includes("税務課"));
		const s = a.querySelector("header strong").textContent;
		a.querySelector("form[action$='/release']").requestSubmit();
		return s;
	})()`)
	step(t, office, "released", chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	wantFlash(t, office, "を付与しました")
	testkit.Shot(t, office, "drill-console")
	for _, v := range testkit.Axe(t, office) {
		if v.Blocking() {
			t.Errorf("accessibility (drill console): %s", v)
		}
	}

	step(t, pctx, "player sees the inject", chromedp.Navigate(player), chromedp.WaitVisible(chromedp.CSS("article.inject textarea")))
	body := mainText(t, pctx)
	if !strings.Contains(body, subject) || strings.Contains(body, "期待される対応") {
		t.Fatalf("the player page (want %q, never the expected action):\n%s", subject, truncate(body, 1500))
	}
	step(t, pctx, "answer", chromedp.Evaluate[chromedp.Void](`(() => {
		const a = [...document.querySelectorAll("article.inject")].find(x => x.textContent.includes(`+jsString(subject)+`));
		a.querySelector("textarea").value = "添付を開いた端末のLANケーブルを抜き、メールは削除せずにCSIRTへ電話で報告しました。";
		a.querySelector("form").requestSubmit();
	})()`), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	wantFlash(t, pctx, "対応を送信しました")
	testkit.Shot(t, pctx, "drill-player")
	for _, v := range testkit.Axe(t, pctx) {
		if v.Blocking() {
			t.Errorf("accessibility (drill player): %s", v)
		}
	}
	status, page := navigateStatus(t, pctx, base+drillPath+"/controller?format=pdf")
	if status == 200 && !strings.Contains(page, "ログイン") {
		t.Fatalf("a player link opened the controller handbook (%d):\n%s", status, truncate(page, 300))
	}

	ectx := newTab()
	step(t, ectx, "evaluator on a tablet", chromedp.EmulateViewport(820, 1180), chromedp.Navigate(evaluator), chromedp.WaitVisible(chromedp.CSS("#obs-body")))
	step(t, ectx, "observation", chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.querySelector("#obs-inject"); s.value = s.options[s.options.length - 1].value;
		document.querySelector("#obs-body").value = "渡辺さんが2分で端末を切り離し、メールを残したまま報告した。周知の依頼は出ていない。";
		document.querySelector("#obs-body").form.requestSubmit();
	})()`), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	wantFlash(t, ectx, "記録しました")
	testkit.Shot(t, ectx, "drill-evaluator")

	step(t, office, "end", chromedp.Navigate(base+drillPath+"/console"), chromedp.WaitVisible(chromedp.CSS(".console-head")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("form[action$='/end']").requestSubmit()`), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	wantFlash(t, office, "訓練を終了しました")
	pdf := squash(pdfText(t, fetch(t, sessionClient(t, office, base), base+drillPath+"/report?format=pdf", "application/pdf")))
	for _, want := range []string{"訓練評価報告書", "渡辺さんが2分で端末を切り離し", "添付を開いた端末のLANケーブルを抜き", "区民サービス"} {
		if !strings.Contains(pdf, squash(want)) {
			t.Errorf("the evaluation report PDF lacks %q", want)
		}
	}
}

// jsString quotes s for a JavaScript source.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}
