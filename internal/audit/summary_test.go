package audit_test

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"mamori/internal/audit"
	"mamori/internal/jp"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// recount is an independent count of one department's (or the ward's)
// judgements in one chapter, straight from audit_items.
type recount struct{ conform, partial, nonconform, na, unjudged, items int }

func (r recount) rate() string {
	n := r.conform + r.partial + r.nonconform
	if n == 0 {
		return "－"
	}
	return fmt.Sprintf("%.1f%%", float64(r.conform)*100/float64(n))
}

// TestSummaryRecount: the year's figures equal a recount of the raw
// judgements of the demo's internal audits, per department and chapter,
// for the ward, and the recurring items.
func TestSummaryRecount(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	ctx := t.Context()
	st := audit.NewStoreFrom(s.Deps())
	fy := s.Org.CurrentFiscalYear(ctx)
	sum, err := st.Summarize(ctx, fy)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.Deps().DB.Query(ctx, `SELECT d.name, i.code, i.category, i.judgement FROM audit_items i
		JOIN audit_engagements e ON e.id = i.engagement_id
		JOIN audit_engagement_departments ed ON ed.engagement_id = e.id
		JOIN departments d ON d.id = ed.department_id
		WHERE e.fiscal_year = ? AND e.kind = 'internal' AND i.dropped = ?`, fy, false)
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ dept, chapter string }
	counts := map[key]*recount{}
	bump := func(k key, j string) {
		c := counts[k]
		if c == nil {
			c = &recount{}
			counts[k] = c
		}
		c.items++
		switch j {
		case "conform":
			c.conform++
		case "partial":
			c.partial++
		case "nonconform":
			c.nonconform++
		case "na":
			c.na++
		default:
			c.unjudged++
		}
	}
	failedIn := map[string]map[string]bool{}
	for rows.Next() {
		var dept, code, category, j string
		if err := rows.Scan(&dept, &code, &category, &j); err != nil {
			t.Fatal(err)
		}
		ch, _, _ := strings.Cut(category, "／")
		bump(key{dept, ch}, j)
		bump(key{"", ch}, j)
		bump(key{dept, ""}, j)
		bump(key{"", ""}, j)
		if j == "partial" || j == "nonconform" {
			if failedIn[code] == nil {
				failedIn[code] = map[string]bool{}
			}
			failedIn[code][dept] = true
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()

	check := func(what string, k key, got audit.ChapterResult) {
		t.Helper()
		want := counts[k]
		if want == nil {
			want = &recount{}
		}
		if got.Items != want.items || got.Conform != want.conform || got.Partial != want.partial || got.Nonconform != want.nonconform ||
			got.NA != want.na || got.RateLabel() != want.rate() {
			t.Errorf("%s: got %+v (%s), want %+v (%s)", what, got, got.RateLabel(), *want, want.rate())
		}
	}
	if len(sum.Departments) != 13 {
		t.Fatalf("departments: %d, want 13", len(sum.Departments))
	}
	for _, d := range sum.Departments {
		for i, ch := range sum.Chapters {
			check(d.Department+" "+ch, key{d.Department, ch}, d.ByChapter[i])
		}
		check(d.Department+" 合計", key{d.Department, ""}, d.Total)
	}
	for i, ch := range sum.Chapters {
		check("区全体 "+ch, key{"", ch}, sum.WardTotal[i])
	}
	check("区全体 合計", key{"", ""}, sum.Total)
	if sum.Total.Items == 0 || sum.Total.Conform == 0 {
		t.Fatalf("no judgements counted: %+v", sum.Total)
	}

	var wantRec []string
	for code, ds := range failedIn {
		if len(ds) >= 2 {
			var names []string
			for d := range ds {
				names = append(names, d)
			}
			sort.Strings(names)
			wantRec = append(wantRec, code+":"+strings.Join(names, ","))
		}
	}
	var gotRec []string
	for _, r := range sum.Recurring {
		names := append([]string{}, r.Departments...)
		sort.Strings(names)
		gotRec = append(gotRec, r.ItemCode+":"+strings.Join(names, ","))
	}
	sort.Strings(wantRec)
	sort.Strings(gotRec)
	if strings.Join(gotRec, " ") != strings.Join(wantRec, " ") {
		t.Errorf("recurring: got %v, want %v", gotRec, wantRec)
	}

	// Findings: every finding of the year's internal audits, by type.
	total := s.Count(`SELECT COUNT(*) FROM audit_findings f JOIN audit_engagements e ON e.id = f.engagement_id
		WHERE e.fiscal_year = ? AND e.kind = 'internal'`, fy)
	if sum.Findings.Total != total || total == 0 {
		t.Errorf("findings: %d, want %d", sum.Findings.Total, total)
	}
	registered := s.Count(`SELECT COUNT(*) FROM audit_findings f JOIN audit_engagements e ON e.id = f.engagement_id
		WHERE e.fiscal_year = ? AND e.kind = 'internal' AND f.type IN ('finding', 'recommendation')`, fy)
	inProblems := 0
	for _, p := range sum.Problems {
		for _, src := range p.Sources {
			if !strings.HasPrefix(src, "チェックリスト") {
				inProblems++
			}
		}
		if p.Risk == "" || p.Chapter == "" || len(p.Departments) == 0 {
			t.Errorf("problem %s incomplete: %+v", p.ID, p)
		}
	}
	if inProblems != registered {
		t.Errorf("problems hold %d findings, want every 指摘事項 and 改善提言 (%d)", inProblems, registered)
	}
	if sum.FollowUp.Findings == 0 {
		t.Errorf("follow-up of last year: none counted")
	}
	if len(sum.Signals) == 0 {
		t.Errorf("no signals from the register")
	}
	// Every demo signal names a 対策基準 article or chapter, which the
	// catalogue's mapping places in a chapter of the year's checklists.
	for _, sg := range sum.Signals {
		if strings.Contains(sg.Clause, "対策基準") && sg.Chapter == "" {
			t.Errorf("signal %q (%s) placed in no chapter", sg.Title, sg.Clause)
		}
	}
	if len(sum.Years) != 3 || sum.Years[len(sum.Years)-1].FiscalYear != fy || sum.Years[len(sum.Years)-1].Total.Items != sum.Total.Items {
		t.Errorf("years: want the demo's two years before and this one, got %+v", sum.Years)
	}
	// Each earlier year recounted from its judgements.
	for _, y := range sum.Years[:len(sum.Years)-1] {
		var rc recount
		if err := s.Deps().DB.QueryRow(ctx, `SELECT COUNT(*), SUM(CASE WHEN i.judgement = 'conform' THEN 1 ELSE 0 END),
			SUM(CASE WHEN i.judgement = 'partial' THEN 1 ELSE 0 END), SUM(CASE WHEN i.judgement = 'nonconform' THEN 1 ELSE 0 END)
			FROM audit_items i JOIN audit_engagements e ON e.id = i.engagement_id
			WHERE e.fiscal_year = ? AND e.kind = 'internal' AND i.dropped = ?`, y.FiscalYear, false).Scan(&rc.items, &rc.conform, &rc.partial, &rc.nonconform); err != nil {
			t.Fatal(err)
		}
		if want := rc.rate(); y.Total.Items != rc.items || y.Total.RateLabel() != want {
			t.Errorf("%d: %d items at %s, recount %d at %s", y.FiscalYear, y.Total.Items, y.Total.RateLabel(), rc.items, want)
		}
	}
	// Item by item against the previous audits, recounted.
	rank := map[string]int{"conform": 0, "partial": 1, "nonconform": 2}
	var compared, better, worse int
	crows, err := s.Deps().DB.Query(ctx, `SELECT i.prev_judgement, i.judgement FROM audit_items i JOIN audit_engagements e ON e.id = i.engagement_id
		WHERE e.fiscal_year = ? AND e.kind = 'internal' AND i.dropped = ? AND i.prev_judgement IN ('conform', 'partial', 'nonconform')
		AND i.judgement IN ('conform', 'partial', 'nonconform')`, fy, false)
	if err != nil {
		t.Fatal(err)
	}
	for crows.Next() {
		var p, j string
		if err := crows.Scan(&p, &j); err != nil {
			t.Fatal(err)
		}
		compared++
		switch {
		case rank[j] < rank[p]:
			better++
		case rank[j] > rank[p]:
			worse++
		}
	}
	crows.Close()
	if c := sum.Changes; c.Compared != compared || len(c.Improved) != better || len(c.Worse) != worse || better == 0 || worse == 0 {
		t.Errorf("changes: %d compared, %d better, %d worse; recount %d, %d, %d", c.Compared, len(c.Improved), len(c.Worse), compared, better, worse)
	}
	if testing.Verbose() {
		for _, p := range sum.Problems {
			t.Logf("%s %s %s %v %s %s / %s / %s", p.ID, p.Risk, p.Chapter, p.Departments, p.Description, p.Owner, p.Due, p.Status)
		}
		for _, sg := range sum.Signals {
			t.Logf("signal %s %s → %s", sg.Source, sg.Title, sg.Chapter)
		}
		t.Logf("follow-up %+v; findings %+v", sum.FollowUp, sum.Findings)
	}
}

// TestSummaryDocumentsPageCLI: the summary report prints the figures of
// Summarize with its charts and their tables; the issue list is one row
// per problem (XLSX) and a one-page matrix (PDF); the page saves the
// written parts for managers, refuses a stale revision and is read-only
// for the viewer; the CLI writes both documents, each download audited.
func TestSummaryDocumentsPageCLI(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	ctx := t.Context()
	st := audit.NewStoreFrom(s.Deps())
	fy := s.Org.CurrentFiscalYear(ctx)
	sum, err := st.Summarize(ctx, fy)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Problems) == 0 {
		t.Fatal("demo has no problems")
	}
	p0 := sum.Problems[0]

	// The page: managers edit, a stale revision is refused, the viewer reads.
	admin := s.As("admin")
	admin.Get(fmt.Sprintf("/audit/summary?year=%d", fy)).Want(200, "内部監査全体報告書", "所属別・章別の適合率", p0.ID, "<svg",
		"年度別の適合率（区全体）", jp.FiscalYearLabel(fy-2), "前回より判定が悪くなった項目", "前回より判定が良くなった項目")
	form := url.Values{"year": {fmt.Sprint(fy)}, "rev": {"0"}, "overall": {"全体として概ね適切に運用されている。"},
		"advice": {"窓口のある所属の書類管理を重点に。"}, "operations": {""}, "cm_" + p0.Key: {"全庁で施錠の点検表を導入する。"}}
	admin.Post("/audit/summary", form).Redirects("/audit/summary?year=")
	ed, err := st.SummaryEdits(ctx, fy)
	if err != nil {
		t.Fatal(err)
	}
	if ed.Rev != 1 || ed.Overall != "全体として概ね適切に運用されている。" || ed.Countermeasures[p0.Key] != "全庁で施錠の点検表を導入する。" {
		t.Fatalf("saved: %+v", ed)
	}
	form.Set("overall", "古い版からの保存")
	admin.Post("/audit/summary", form).Want(409, "他の人が先に更新しました")
	form.Set("rev", "1")
	form.Set("cm_no-such-problem", "x")
	admin.Post("/audit/summary", form).Want(422, "課題「no-such-problem」は")
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.summary_save'") != 1 {
		t.Errorf("audit log: want one audit.summary_save")
	}
	s.As("viewer").Get(fmt.Sprintf("/audit/summary?year=%d", fy)).Want(200, "全体として概ね適切に運用されている。").Lacks(`name="overall"`)
	s.As("viewer").Post("/audit/summary", form).Want(403)
	s.As("auditor").Get("/audit/summary").Want(403)

	// The report: figures, charts and their tables.
	pdf := testkit.PDFBytesText(t, admin.Download(fmt.Sprintf("/audit/summary/document?year=%d&format=pdf", fy), "application/pdf"))
	flat := strings.Join(strings.Fields(pdf), "")
	for _, want := range []string{"内部監査全体報告書", "目次", "監査の概要", "監査結果の総括", "章別の遵守状況", "主な問題点と対策案",
		"フォローアップの状況", "内部監査の運営に関する所見", "来年度に向けた助言", "別紙課題一覧",
		"図章別の適合率（区全体）", "所属別・章別の適合率", "図所属別の適合率", "章別の適合率", "全体として概ね適切に運用されている。",
		"全庁で施錠の点検表を導入する。", "区全体", sum.Total.RateLabel(), "前年度以前との比較", "図年度別の適合率",
		jp.FiscalYearLabel(fy - 1), "前回より判定が悪くなった項目", "前回より判定が良くなった項目"} {
		if !strings.Contains(flat, strings.Join(strings.Fields(want), "")) {
			t.Errorf("summary PDF lacks %q", want)
		}
	}
	for _, d := range sum.Departments {
		if d.Total.Rate() >= 0 && !strings.Contains(flat, d.Department) {
			t.Errorf("summary PDF lacks department %s", d.Department)
		}
	}
	radar := 0
	for _, d := range sum.Departments {
		if d.Complete() {
			radar++
			if !strings.Contains(flat, "図"+d.Department+"の章別の適合率") {
				t.Errorf("no radar chart of %s", d.Department)
			}
		}
	}
	if radar == 0 {
		t.Errorf("no department has a radar chart")
	}
	docx := admin.Download(fmt.Sprintf("/audit/summary/document?year=%d&format=docx", fy), "application/vnd.openxmlformats-officedocument.wordprocessingml")
	if len(docx) < 1000 || !bytes.HasPrefix(docx, []byte("PK")) {
		t.Errorf("docx: %d bytes", len(docx))
	}

	// The issue list: one row per problem.
	xb := admin.Download(fmt.Sprintf("/audit/summary/issues?year=%d&format=xlsx", fy), "application/vnd.openxmlformats-officedocument.spreadsheetml")
	x, err := excelize.OpenReader(bytes.NewReader(xb))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows(x.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	header := false
	for _, r := range rows {
		if len(r) >= 9 && r[0] == "ID" && r[8] == "状況" {
			header = true
		}
		if len(r) > 0 && strings.HasPrefix(r[0], "P-") {
			ids[r[0]] = true
		}
	}
	if !header || len(ids) != len(sum.Problems) {
		t.Errorf("xlsx: header %v, %d problem rows, want %d", header, len(ids), len(sum.Problems))
	}
	mb := admin.Download(fmt.Sprintf("/audit/summary/issues?year=%d&format=pdf", fy), "application/pdf")
	mt := testkit.PDFBytesText(t, mb)
	if !strings.Contains(mt, p0.ID) || !strings.Contains(mt, p0.Risk) || strings.Count(mt, "\f") > 1 {
		t.Errorf("matrix PDF: %q", mt[:min(len(mt), 300)])
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = ?", fmt.Sprintf("fiscal_year:%d", fy)) != 4 {
		t.Errorf("downloads not audited")
	}

	// The CLI.
	dir := t.TempDir()
	for _, c := range []struct{ name, format string }{{"audit-summary", "pdf"}, {"audit-summary", "docx"}, {"issue-list", "xlsx"}, {"issue-list", "pdf"}} {
		out := filepath.Join(dir, c.name+"."+c.format)
		code, stdout, stderr := mamori(t, s, "export", c.name, "--year", fmt.Sprint(fy), "--format", c.format, "-o", out)
		if code != 0 || !strings.Contains(stdout, "に出力しました") {
			t.Fatalf("%s %s: %d %s %s", c.name, c.format, code, stdout, stderr)
		}
		if b, err := os.ReadFile(out); err != nil || len(b) < 1000 {
			t.Errorf("%s: %v (%d bytes)", out, err, len(b))
		}
	}
	if code, _, stderr := mamori(t, s, "export", "issue-list", "--year", fmt.Sprint(fy), "--format", "docx", "-o", filepath.Join(dir, "x.docx")); code == 0 || !strings.Contains(stderr, "--format") {
		t.Errorf("issue-list docx accepted: %d %s", code, stderr)
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = ?", fmt.Sprintf("fiscal_year:%d", fy)) != 8 {
		t.Errorf("CLI exports not audited")
	}
}
