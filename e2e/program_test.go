package e2e

import (
	"strings"
	"testing"

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
}
