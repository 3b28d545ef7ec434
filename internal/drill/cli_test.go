package drill_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mamori/internal/drill"
	"mamori/internal/jp"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// TestDrillCLI: `mamori drill list --json` and every export, read back
// (the PDFs through pdftotext), with their refusals.
func TestDrillCLI(t *testing.T) {
	dir := t.TempDir()
	run := webtest.CLI(t, dir)
	if code, _, errs := run("demo"); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	code, out, errs := run("drill", "list", "--json")
	var rows []drill.ListRow
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil || len(rows) != 3 {
		t.Fatalf("drill list --json: %d %v %s %s", code, err, out, errs)
	}
	if r := rows[0]; r.Code != "DR-R8-01" || r.State != "ended" || r.Department != "戸籍住民課" || len(r.Ratings) != 6 || r.Improvements == 0 || r.Participants < 8 {
		t.Errorf("row %+v", r)
	}
	if code, out, _ := run("drill", "list"); code != 0 || !strings.Contains(out, "DR-R8-03") || !strings.Contains(out, "予定") {
		t.Errorf("drill list: %d %s", code, out)
	}
	fy := jp.FiscalYearOf(rows[0].PlannedAt)
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"export", "drill-plan", "--year", jp.FiscalYearLabel(fy), "-o", "plan.pdf"}, []string{"業務計画書（年間）", "戸籍住民課", "本年度の目標"}},
		{[]string{"export", "drill-plan", "--drill", "DR-R8-03", "-o", "day.pdf"}, []string{"訓練実施計画書（当日）", "状況付与の予定", "安全と中止の基準"}},
		{[]string{"export", "drill-material", "--drill", "DR-R8-01", "-o", "material.pdf"}, []string{"訓練資料（参加者用）", "場面と討議の問い", "手作業での交付"}},
		{[]string{"export", "drill-evaluation", "--drill", "DR-R8-01", "-o", "evaluation.pdf"}, []string{"訓練評価報告書", "訓練目標ごとの評価", "改善すべき点"}},
		{[]string{"export", "drill-annual", "--year", "2026", "-o", "annual.pdf"}, []string{"訓練結果報告書", "DR-R8-02", "訓練目標の評価"}},
	} {
		c.args[len(c.args)-1] = filepath.Join(dir, c.args[len(c.args)-1])
		if code, _, errs := run(c.args...); code != 0 {
			t.Fatalf("%v: %d %s", c.args, code, errs)
		}
		text := strings.Join(strings.Fields(testkit.PDFText(t, c.args[len(c.args)-1])), "")
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q", c.args[1], w)
			}
		}
	}
	ctl := filepath.Join(dir, "controller.docx")
	if code, _, errs := run("export", "drill-controller", "--drill", "DR-R8-01", "-o", ctl); code != 0 {
		t.Fatalf("export drill-controller: %d %s", code, errs)
	}
	b, _ := os.ReadFile(ctl)
	if txt := docxText(t, b); !strings.Contains(txt, "プレイヤーに配布しないでください") || !strings.Contains(txt, "期待される対応") {
		t.Error("the controller handbook lacks its warning or the expected actions")
	}
	if code, _, errs := run("export", "drill-evaluation", "--drill", "DR-NOPE", "-o", filepath.Join(dir, "x.pdf")); code == 0 || !strings.Contains(errs, "訓練「DR-NOPE」はありません") {
		t.Errorf("an unknown drill: %d %s", code, errs)
	}
	if code, _, errs := run("export", "drill-annual", "--year", "いつか", "-o", filepath.Join(dir, "x.pdf")); code == 0 || !strings.Contains(errs, "年度として読めません") {
		t.Errorf("a bad year: %d %s", code, errs)
	}
	if code, _, errs := run("export", "drill-material", "--drill", "DR-R8-01", "-o", filepath.Join(dir, "x.xlsx")); code == 0 || !strings.Contains(errs, "対応していません") {
		t.Errorf("a bad format: %d %s", code, errs)
	}
}
