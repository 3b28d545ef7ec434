package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"mamori/internal/testkit"
)

// TestIncidentJourney: a member of staff reports an incident from their
// own login; the security office triages it — aware-at, 特定個人情報 in a
// number system, twelve people — and sees the commission's deadlines
// appear with the rule that produced them; records a site visit, a
// なぜなぜ tree of two levels and a countermeasure (which lands in the
// improvement register), and downloads the 再発防止レポート.
func TestIncidentJourney(t *testing.T) {
	dir := t.TempDir()
	base, _ := startServer(t, dir, true)
	ctx := browser(t)
	office, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(office); err != nil {
		t.Fatal(err)
	}
	login(t, office, base, "admin")

	login(t, ctx, base, "staff")
	step(t, ctx, "report form", chromedp.Navigate(base+"/incident"), chromedp.WaitVisible(chromedp.CSS(`a[href="/incident/report"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/incident/report"]`)), chromedp.WaitVisible(chromedp.CSS("#what")))
	step(t, ctx, "report", chromedp.SendKeys(chromedp.CSS("#what"), "マイナンバーを含む国保の資格確認の一覧を、誤って別の課の共有フォルダに保存しました。"),
		chromedp.SendKeys(chromedp.CSS("#persons"), "12"), chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	wantFlash(t, ctx, "報告を受け付けました")

	step(t, office, "reports", chromedp.Navigate(base+"/incident-reports"), chromedp.WaitVisible(chromedp.CSS("main table")),
		clickLink(`main table a[href^="/incident-reports/"]`, ""), chromedp.WaitVisible(chromedp.CSS("#title")))
	if body := mainText(t, office); !strings.Contains(body, "共有フォルダに保存しました") {
		t.Fatalf("the triage page does not show the report:\n%s", truncate(body, 800))
	}
	step(t, office, "triage", chromedp.Evaluate[chromedp.Void](`(() => {
		document.querySelector("#title").value = "国保の資格確認一覧（個人番号を含む）の誤保存";
		document.querySelector("#category").value = "誤公開";
		document.querySelector("#severity").value = "3";
		document.querySelector("#occurred").value = "2026-12-01T09:00";
		document.querySelector("#aware").value = "2026-12-01T10:30";
		document.querySelector("#persons").value = "12";
		for (const k of ["mynumber", "mynumber_system"]) document.querySelector("input[name=flag][value=" + k + "]").checked = true;
		document.querySelector("input[name=action][value=create]").form.requestSubmit();
	})()`), chromedp.WaitVisible(chromedp.CSS("#clock")))
	wantFlash(t, office, "報告を受け付けました")
	clock := text(t, office, "#clock + p + div")
	for _, want := range []string{"個人情報保護委員会への速報（特定個人情報）", "個人情報保護委員会への確報（特定個人情報）", "ppc-final-mynumber", "番号法", "CISOへの報告（レベル3）"} {
		if !strings.Contains(clock, want) {
			t.Errorf("the clock lacks %q:\n%s", want, truncate(clock, 1200))
		}
	}
	testkit.Shot(t, office, "incident-clock")
	for _, v := range testkit.Axe(t, office) {
		if v.Blocking() {
			t.Errorf("accessibility (incident): %s", v)
		}
	}

	step(t, office, "visit", chromedp.Evaluate[chromedp.Void](`(() => {
		document.querySelector("#visited_on").closest("details").open = true;
		document.querySelector("#visited_on").value = "2026-12-01T14:00";
		document.querySelector("#visitors").value = "CSIRT 2名";
		document.querySelector("#findings").value = "共有フォルダのアクセス権が課をまたいで設定されていた。";
		document.querySelector("#advice").value = "フォルダのアクセス権を課ごとに見直し、個人番号を含むファイルの保存先を限定すること。";
		document.querySelector("#visitors").form.requestSubmit();
	})()`), chromedp.WaitVisible(chromedp.CSS("#visits")))
	wantFlash(t, office, "臨場の記録を登録しました")
	step(t, office, "why 1", chromedp.Evaluate[chromedp.Void](`(() => {
		document.querySelector("#why-statement").value = "保存先のフォルダを選び間違えた";
		document.querySelector("#why-viewpoint").value = "insufficient";
		document.querySelector("input[name=direct]").checked = true;
		document.querySelector("#why-statement").form.requestSubmit();
	})()`), chromedp.WaitVisible(chromedp.CSS(".why-tree")))
	step(t, office, "why 2", chromedp.Evaluate[chromedp.Void](`(() => {
		const p = document.querySelector("#why-parent"); p.value = p.options[1].value;
		document.querySelector("#why-statement").value = "個人番号を含むファイルの保存先が決められていなかった";
		document.querySelector("#why-viewpoint").value = "no_rule";
		document.querySelector("input[name=root]").checked = true;
		document.querySelector("#why-statement").form.requestSubmit();
	})()`), chromedp.WaitVisible(chromedp.CSS(".why-tree .why-d1")))
	step(t, office, "measure", chromedp.Evaluate[chromedp.Void](`(() => {
		document.querySelector("#m-title").value = "個人番号を含むファイルは課専用のフォルダにだけ保存し、四半期ごとにアクセス権を点検する";
		const o = document.querySelector("#m-owner"); o.value = o.options[1].value;
		document.querySelector("#m-due").value = "2027-03-31";
		document.querySelector("#m-title").form.requestSubmit();
	})()`), chromedp.WaitVisible(chromedp.CSS("#measures + div table")))
	wantFlash(t, office, "改善措置台帳に載せました")
	if body := mainText(t, office); !strings.Contains(body, "根本原因") || !strings.Contains(body, "未着手") {
		t.Errorf("the page lacks the root cause or the register status:\n%s", truncate(body, 2000))
	}
	testkit.Shot(t, office, "incident-analysis")
	href := evalString(t, office, `document.querySelector("a[href$='/report?format=pdf']").href`)
	pdf := squash(pdfText(t, fetch(t, sessionClient(t, office, base), href, "application/pdf")))
	for _, want := range []string{"再発防止レポート", "国保の資格確認一覧", "根本原因", "個人番号を含むファイルは課専用のフォルダ", "臨場での確認と助言"} {
		if !strings.Contains(pdf, squash(want)) {
			t.Errorf("the report PDF lacks %q", want)
		}
	}
}
