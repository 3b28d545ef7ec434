package audit_test

import (
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"mamori/internal/audit"
	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/testkit"
	"mamori/internal/webtest"

	"github.com/chromedp/chromedp"
)

// dashboardNow is the dashboard tests' clock: late in 令和8年度, so that
// the demo's findings are weeks old and some follow-ups overdue.
var dashboardNow = time.Date(2027, 2, 15, 10, 0, 0, 0, jp.JST)

// link is how a page writes an href attribute with its figure.
func linkFigure(path string, q url.Values, n int) string {
	href := path
	if len(q) > 0 {
		href += "?" + q.Encode()
	}
	return fmt.Sprintf(`href="%s">%d</a>`, html.EscapeString(href), n)
}

// TestDashboardFigures: every figure of the dashboard equals a recount
// from the database, is a link to the list it counts, and that list
// holds exactly that many rows.
func TestDashboardFigures(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true, Now: func() time.Time { return dashboardNow }})
	ctx := t.Context()
	fy := 2026
	year := fmt.Sprint(fy)
	viewer := s.As("viewer")
	page := viewer.Get("/audit/dashboard?year="+year).Want(200, "令和8年度 監査ダッシュボード", "所属×章の遵守状況")

	// The programme by phase.
	phases := map[string]int{}
	rows, err := s.DB.Query(ctx, "SELECT phase, COUNT(*) FROM audit_engagements WHERE fiscal_year = ? GROUP BY phase", fy)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for rows.Next() {
		var p string
		var n int
		if err := rows.Scan(&p, &n); err != nil {
			t.Fatal(err)
		}
		phases[p], total = n, total+n
	}
	rows.Close()
	if total < 13 {
		t.Fatalf("the demo has %d engagements in %d, want at least 13", total, fy)
	}
	for _, p := range audit.Phases {
		q := url.Values{"year": {year}, "phase": {string(p)}}
		if !strings.Contains(page.Body, linkFigure("/audit", q, phases[string(p)])) {
			t.Errorf("phase %s: the table lacks %s", p, linkFigure("/audit", q, phases[string(p)]))
		}
		if n := phases[string(p)]; n > 0 {
			viewer.Get("/audit?"+q.Encode()).Want(200, fmt.Sprintf("%d 件中", n))
		}
	}

	// Open follow-ups by risk and age, and the overdue ones: recounted
	// from the findings of issued reports and their register actions.
	type cell struct{ risk, age string }
	open, overdue := map[cell]int{}, 0
	byRisk, byAge := map[string]int{}, map[string]int{}
	rows, err = s.DB.Query(ctx, `SELECT f.risk, f.created_at, f.due_date, f.followup_verdict, COALESCE(a.status, '')
		FROM audit_findings f JOIN audit_engagements e ON e.id = f.engagement_id JOIN audit_reports r ON r.engagement_id = e.id
		LEFT JOIN improvement_actions a ON a.source_module = 'audit' AND a.source_ref = 'finding:' || f.id
		WHERE e.fiscal_year = ? AND f.type IN ('finding', 'recommendation') AND (r.state = 'final' OR r.version > 0)`, fy)
	if err != nil {
		t.Fatal(err)
	}
	openTotal := 0
	today := jp.DateKey(dashboardNow)
	for rows.Next() {
		var risk, due, verdict, status string
		var created database.Time
		if err := rows.Scan(&risk, &created, &due, &verdict, &status); err != nil {
			t.Fatal(err)
		}
		if verdict == "improved" || status == "verified" {
			continue
		}
		openTotal++
		if due != "" && due < today {
			overdue++
		}
		days := int(jp.ParseDateKey(today).Sub(jp.ParseDateKey(jp.DateKey(created.Time))).Hours() / 24)
		age := "181-"
		switch {
		case days <= 30:
			age = "0-30"
		case days <= 90:
			age = "31-90"
		case days <= 180:
			age = "91-180"
		}
		if risk != "高" && risk != "中" && risk != "低" {
			risk = "none"
		}
		open[cell{risk, age}]++
		byRisk[risk]++
		byAge[age]++
	}
	rows.Close()
	if openTotal == 0 || overdue == 0 {
		t.Fatalf("the demo should have open and overdue follow-ups at %s: %d open, %d overdue", today, openTotal, overdue)
	}
	for _, risk := range []string{"高", "中", "低"} {
		for _, b := range audit.AgeBands {
			q := url.Values{"year": {year}, "risk": {risk}, "age": {b.Key}}
			want := linkFigure("/audit/dashboard/findings", q, open[cell{risk, b.Key}])
			if !strings.Contains(page.Body, want) {
				t.Errorf("risk %s age %s: the page lacks %s", risk, b.Key, want)
			}
		}
		q := url.Values{"year": {year}, "risk": {risk}}
		if !strings.Contains(page.Body, linkFigure("/audit/dashboard/findings", q, byRisk[risk])) {
			t.Errorf("risk %s: the page lacks its total %d", risk, byRisk[risk])
		}
		// The list the figure links to holds exactly those findings.
		list := viewer.Get("/audit/dashboard/findings?" + q.Encode()).Want(200)
		if got := strings.Count(list.Body, "/followup#f"); got != byRisk[risk] {
			t.Errorf("risk %s: the list shows %d rows, the figure says %d", risk, got, byRisk[risk])
		}
	}
	for _, b := range audit.AgeBands {
		q := url.Values{"year": {year}, "age": {b.Key}}
		if !strings.Contains(page.Body, linkFigure("/audit/dashboard/findings", q, byAge[b.Key])) {
			t.Errorf("age %s: the page lacks its total %d", b.Key, byAge[b.Key])
		}
	}
	openQ, overdueQ := url.Values{"year": {year}, "status": {"open"}}, url.Values{"year": {year}, "status": {"overdue"}}
	for _, want := range []string{linkFigure("/audit/followup", openQ, openTotal),
		fmt.Sprintf(`href="%s">%d 件</a>`, html.EscapeString("/audit/followup?"+overdueQ.Encode()), overdue)} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	viewer.Get("/audit/followup?"+openQ.Encode()).Want(200, fmt.Sprintf("%d 件中", openTotal))
	viewer.Get("/audit/followup?"+overdueQ.Encode()).Want(200, fmt.Sprintf("%d 件中", overdue))

	// Engagements with an overdue step, as the programme list counts them.
	late := 0
	list, _, err := audit.NewStoreFrom(s.Deps()).Engagements(ctx, audit.EngagementFilter{FiscalYear: fy})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if len(e.Overdue(dashboardNow)) > 0 {
			late++
		}
	}
	lateQ := url.Values{"year": {year}, "overdue": {"1"}}
	if want := fmt.Sprintf(`href="%s">%d 件</a>`, html.EscapeString("/audit?"+lateQ.Encode()), late); !strings.Contains(page.Body, want) {
		t.Errorf("the page lacks %s", want)
	}
	if late > 0 {
		viewer.Get("/audit?"+lateQ.Encode()).Want(200, fmt.Sprintf("%d 件中", late))
	}

	// Every chart has its table.
	charts, tables := strings.Count(page.Body, `<svg class="dash-chart"`), strings.Count(page.Body, "<summary>表で見る")
	if charts == 0 || charts != tables {
		t.Errorf("a chart without its table: %d charts, %d tables", charts, tables)
	}
}

// TestDashboardAccess: the office, the contractor and the viewer open the
// dashboard; internal auditors, auditees and staff are refused; the
// viewer's home has its tile and the audit menu its link.
func TestDashboardAccess(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true, Now: func() time.Time { return dashboardNow }})
	for _, c := range []struct {
		login  string
		status int
	}{{"admin", 200}, {"consultant", 200}, {"viewer", 200}, {"auditor", 403}, {"auditee", 403}, {"staff", 403}, {"vendor", 403}} {
		for _, path := range []string{"/audit/dashboard", "/audit/dashboard/findings"} {
			r := s.As(c.login).Get(path)
			if r.StatusCode != c.status {
				t.Errorf("%s GET %s: %d, want %d", c.login, path, r.StatusCode, c.status)
			}
		}
	}
	s.Anonymous().Get("/audit/dashboard").Redirects("/login")
	s.As("viewer").Get("/").Want(200, "監査ダッシュボード", `href="/audit/dashboard"`)
	s.As("admin").Get("/audit").Want(200, `href="/audit/dashboard"`)
	s.As("admin").Get("/audit/dashboard?year=平成元年").Want(200, "年度の指定が正しくありません")
	s.As("admin").Get("/audit/dashboard/findings?risk=特大").Want(200, "リスクの指定が正しくありません")
}

// TestDashboardScreenshot looks at the page in Chromium (MAMORI_SHOTS
// keeps the picture).
func TestDashboardScreenshot(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	s := webtest.Start(t, webtest.Options{Demo: true, Now: func() time.Time { return dashboardNow }})
	ctx := testkit.Browser(t)
	testkit.Login(t, ctx, s.URL, "viewer", webtest.DemoPassword)
	testkit.Step(t, ctx, "open the dashboard", chromedp.Navigate(s.URL+"/audit/dashboard"), chromedp.WaitVisible(chromedp.CSS("svg.dash-chart")))
	if txt := testkit.Text(t, ctx, "h1"); !strings.Contains(txt, "監査ダッシュボード") {
		t.Errorf("heading %q", txt)
	}
	testkit.Shot(t, ctx, "audit-dashboard")
}
