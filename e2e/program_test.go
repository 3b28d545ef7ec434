package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mamori/internal/testkit"
)

// TestProgramJourney: the consultant opens the year's schedule, sees the
// policy revision flagged as late, opens it and re-plans it with a reason;
// the schedule then shows the new dates and the baseline.
func TestProgramJourney(t *testing.T) {
	base, _ := startServer(t, t.TempDir(), true)
	ctx := browser(t)
	login(t, ctx, base, "consultant")
	step(t, ctx, "schedule", chromedp.Navigate(base+"/program"), chromedp.WaitVisible(chromedp.CSS(".gantt-wrap svg")))
	text := mainText(t, ctx)
	if !strings.Contains(text, "改訂案（見え消し版）・新旧対照表の作成") || !strings.Contains(text, "日過ぎています") {
		t.Fatalf("the late revision is not flagged:\n%s", truncate(text, 1500))
	}
	testkit.Shot(t, ctx, "program-schedule")
	for _, v := range testkit.Axe(t, ctx) {
		if v.Blocking() {
			t.Errorf("the schedule: %s", v)
		}
	}
	step(t, ctx, "open the late task", leave, chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("#delays + .table-wrap a")].find(a => a.textContent.includes("新旧対照表")).click()`),
		nextPage(`^/program/tasks/\d+$`), chromedp.WaitVisible(chromedp.CSS("#reason")))
	step(t, ctx, "re-plan", chromedp.Evaluate[chromedp.Void](`(() => {
		const end = document.querySelector("#end");
		const d = new Date(); d.setDate(d.getDate() + 21);
		end.value = d.toISOString().slice(0, 10);
		document.querySelector("#progress").value = "75";
		document.querySelector("#reason").value = "第7回定例会で、職員向け説明会の日程に合わせて3週間延ばすと決定。";
	})()`), leave, chromedp.Click(chromedp.CSS(`form.stack button[type=submit]`)), nextPage(`^/program/tasks/\d+$`), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	wantFlash(t, ctx, "更新しました")
	text = mainText(t, ctx)
	for _, want := range []string{"再計画の記録", "第7回定例会で", "基準の計画", "75%"} {
		if !strings.Contains(text, want) {
			t.Errorf("the task page lacks %q", want)
		}
	}
	testkit.Shot(t, ctx, "program-task")

	// A meeting: the proposed agenda, a decision and an action; the action
	// is in the schedule; the minutes download.
	step(t, ctx, "meetings", leave, chromedp.Navigate(base+"/program/meetings"), nextPage(`^/program/meetings$`), chromedp.WaitVisible(chromedp.CSS("#agenda")))
	if agenda := evalString(t, ctx, `document.querySelector("#agenda").value`); !strings.Contains(agenda, "宿題の確認") {
		t.Errorf("the proposed agenda does not start with the open actions: %q", agenda)
	}
	step(t, ctx, "new meeting", chromedp.Evaluate[chromedp.Void](`(() => {
		document.querySelector("#held_on").value = new Date().toISOString().slice(0, 10);
		document.querySelector("#next_on").value = "";
		document.querySelector("#content").value = "【各業務の進捗報告】技術的検証の結果を共有した。";
	})()`), leave, chromedp.Click(chromedp.CSS(`form[method=post][action="/program/meetings"] button[type=submit]`)), nextPage(`^/program/meetings/\d+$`), chromedp.WaitVisible(chromedp.CSS("#it-text")))
	testkit.Shot(t, ctx, "program-meeting")
	step(t, ctx, "action", chromedp.Evaluate[chromedp.Void](`(() => {
		document.querySelector("input[name=kind][value=action]").checked = true;
		document.querySelector("#it-text").value = "telnet の停止日を保守事業者と確定する";
		document.querySelector("#it-owner").value = "支援事業者";
		const d = new Date(); d.setDate(d.getDate() + 7);
		document.querySelector("#it-due").value = d.toISOString().slice(0, 10);
		document.querySelector("#it-ws").value = "4";
	})()`), leave, chromedp.Click(chromedp.CSS(`form[action$="/items"] button[type=submit]`)), nextPage(`^/program/meetings/\d+$`), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	wantFlash(t, ctx, "宿題を記録しました")
	if got := evalString(t, ctx, `(() => { const x = new XMLHttpRequest(); x.open("GET", document.querySelector("a[href$='minutes?format=pdf']").href, false); x.send(); return x.status + " " + x.getResponseHeader("Content-Type"); })()`); !strings.HasPrefix(got, "200 application/pdf") {
		t.Errorf("the minutes download: %s", got)
	}
	step(t, ctx, "schedule again", leave, chromedp.Navigate(base+"/program"), nextPage(`^/program$`))
	if text := mainText(t, ctx); !strings.Contains(text, "宿題：telnet の停止日を保守事業者と確定する") {
		t.Errorf("the action is not in the schedule")
	}
	// The month view shows the action on its due day.
	step(t, ctx, "month", leave, chromedp.Navigate(base+"/program/month"), nextPage(`^/program/month$`), chromedp.WaitVisible(chromedp.CSS(".month-cal")))
	if text := evalString(t, ctx, `document.querySelector(".month-cal").innerText + document.querySelector("#running + .table-wrap").innerText`); !strings.Contains(text, "telnet の停止日") {
		t.Errorf("the month view lacks the action:\n%s", truncate(text, 1500))
	}
	testkit.Shot(t, ctx, "program-month")

	// The bound set, made in the background: its PDF's contents list
	// every deliverable of the register.
	step(t, ctx, "deliverables", leave, chromedp.Navigate(base+"/program/deliverables"), nextPage(`^/program/deliverables$`), chromedp.WaitVisible(chromedp.CSS("#binders")))
	titles := evalString(t, ctx, `[...document.querySelectorAll(".list-table tbody tr")].filter(tr => tr.querySelector("a[href*='/program/deliverables/file']")).map(tr => tr.children[1].textContent.trim()).join("\n")`)
	step(t, ctx, "bind", leave, chromedp.Click(chromedp.CSS(`form[action="/program/deliverables/bind"] button`)), nextPage(`^/jobs/\d+$`))
	waitJob(t, ctx)
	testkit.Shot(t, ctx, "program-binder-job")
	step(t, ctx, "back to the register", leave, chromedp.Click(chromedp.CSS(`a.button`)), nextPage(`^/program/deliverables$`), chromedp.WaitVisible(chromedp.CSS(`a[href$="?file=pdf"]`)))
	href := evalString(t, ctx, `document.querySelector("#binders ~ .table-wrap a[href$='?file=pdf']").href`)
	text = pdfText(t, fetch(t, sessionClient(t, ctx, base), href, "application/pdf"))
	flat := strings.Join(strings.Fields(text), "")
	n := 0
	for _, title := range strings.Split(titles, "\n") {
		if title = strings.Join(strings.Fields(title), ""); title == "" {
			continue
		}
		n++
		if !strings.Contains(flat, title) {
			t.Errorf("the bound PDF does not list %q", title)
		}
	}
	if n < 40 {
		t.Errorf("only %d deliverables in the register", n)
	}
}

// waitJob waits for the job page in the browser (it reloads itself while
// the job runs) to show the job finished, and fails on a failed job.
func waitJob(t *testing.T, ctx context.Context) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		state, err := chromedp.Run(sctx, chromedp.Evaluate[string](`(() => { const a = document.querySelector(".card .alert-ok, .card .alert-error"); return a ? a.className + " " + a.textContent : ""; })()`))
		cancel()
		switch {
		case err == nil && strings.Contains(state, "alert-ok"):
			return
		case err == nil && strings.Contains(state, "alert-error"):
			t.Fatalf("the job failed: %s", state)
		}
		time.Sleep(time.Second)
	}
	t.Fatal("the job did not finish in 3 minutes")
}
