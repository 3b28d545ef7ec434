package incident_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"mamori/internal/incident"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// TestIncidentCLI: `mamori incident list --json` and the exports, read
// back through pdftotext, with their refusals; each export is audited.
func TestIncidentCLI(t *testing.T) {
	testkit.NoRace(t)
	dir := t.TempDir()
	run := webtest.CLI(t, dir)
	if code, _, errs := run("demo"); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	code, out, errs := run("incident", "list", "--json")
	var rows []incident.ListRow
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil || len(rows) == 0 {
		t.Fatalf("incident list --json: %d %v %s %s", code, err, out, errs)
	}
	c := rows[0].Code
	for _, x := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "incident-report", "--incident", c, "-o", filepath.Join(dir, "r.pdf")}, "再発防止レポート"},
		{[]string{"export", "ppc-report", "--incident", c, "-o", filepath.Join(dir, "p.pdf")}, "漏えい等報告"},
		{[]string{"export", "incident-annual", "--year", "2026", "-o", filepath.Join(dir, "a.pdf")}, "年間"},
	} {
		code, msg, errs := run(x.args...)
		if code != 0 || !strings.Contains(msg, "に出力しました") {
			t.Fatalf("%v: %d %s %s", x.args, code, msg, errs)
		}
		if text := strings.Join(strings.Fields(testkit.PDFText(t, x.args[len(x.args)-1])), ""); !strings.Contains(text, x.want) {
			t.Errorf("%s lacks %q", x.args[1], x.want)
		}
	}
	a := webtest.Open(t, dir)
	var n int
	if err := a.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND detail LIKE '%コマンドで出力%'").Scan(&n); err != nil || n < 3 {
		t.Errorf("%d exports audited (%v), want 3", n, err)
	}
	a.Close()
	if code, _, errs := run("export", "incident-report", "--incident", "NOPE", "-o", filepath.Join(dir, "x.pdf")); code == 0 || !strings.Contains(errs, "インシデント「NOPE」はありません") {
		t.Errorf("an unknown incident: %d %s", code, errs)
	}
	if code, _, errs := run("export", "incident-report", "--incident", c, "-o", filepath.Join(dir, "x.xlsx")); code == 0 || !strings.Contains(errs, "対応していません") {
		t.Errorf("a format the report has not: %d %s", code, errs)
	}
	if code, _, _ := run("export", "incident-report", "-o", filepath.Join(dir, "x.pdf")); code != 2 {
		t.Errorf("no --incident: exit %d, want 2", code)
	}
}
