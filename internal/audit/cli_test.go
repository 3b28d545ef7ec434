package audit_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"mamori/internal/app"
	"mamori/internal/audit"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// mamori runs `mamori ARGS…` on the deployment of s (its data folder and
// database) and returns the exit code and what it printed.
func mamori(t *testing.T, s *webtest.Server, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	t.Setenv("MAMORI_DATA", s.Config.Data)
	t.Setenv("MAMORI_DB", s.Config.DB)
	code := app.Run(context.Background(), args, app.CLI{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Options: app.Options{Argon: webtest.Argon}})
	return code, out.String(), errb.String()
}

// TestExportPresurveyCLI: `mamori export presurvey` writes the pre-audit
// questionnaire of an engagement as the page offers it — the workbook to
// answer (importable back, its 取込情報 sheet hidden) and the printed
// questionnaire with the answers (PDF, DOCX) — each audited; a wrong
// format or an unknown engagement is refused in Japanese, writing nothing.
func TestExportPresurveyCLI(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	ctx := t.Context()
	_, es := loadDemo(t, s)
	// An engagement whose questionnaire is being answered (importable).
	var e *demoEngagement
	for _, x := range es {
		if x.Phase == audit.PhasePresurvey && (e == nil || x.Code < e.Code) {
			e = x
		}
	}
	if e == nil {
		t.Fatal("no demo engagement in 事前調査")
	}
	var question, answer string
	for _, it := range e.items {
		if it.Presurvey && it.Answer != "" {
			question, answer = it.Question, it.Answer
			break
		}
	}
	if question == "" {
		t.Fatalf("%s has no answered questionnaire item", e.Code)
	}
	dir := t.TempDir()
	downloads := func() int {
		return s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = (SELECT 'audit_engagement:' || CAST(id AS TEXT) FROM audit_engagements WHERE code = ?)", e.Code)
	}
	before := downloads()

	// XLSX: the workbook the auditee answers, importable as it is.
	x := filepath.Join(dir, "presurvey.xlsx")
	code, out, errs := mamori(t, s, "export", "presurvey", "--engagement", e.Code, "--format", "xlsx", "-o", x)
	if code != 0 || !strings.Contains(out, "事前調査票を "+x+" に出力しました（XLSX）") {
		t.Fatalf("xlsx: %d %s %s", code, out, errs)
	}
	data, err := os.ReadFile(x)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	sheets := f.GetSheetList()
	if len(sheets) != 3 || !xlsxHas(t, data, question) || !xlsxHas(t, data, answer) {
		t.Fatalf("workbook sheets %v, question %v, answer %v", sheets, xlsxHas(t, data, question), xlsxHas(t, data, answer))
	}
	if visible, err := f.GetSheetVisible(sheets[2]); err != nil || visible {
		t.Errorf("the 取込情報 sheet %q is visible (%v)", sheets[2], err)
	}
	plan, err := audit.NewStoreFrom(s.Deps()).PlanPresurveyImport(ctx, e.Engagement, "presurvey.xlsx", data)
	if err != nil || !plan.OK() {
		t.Fatalf("the exported workbook does not import: %v %+v", err, plan)
	}

	// DOCX and PDF: the printed questionnaire with the answers.
	d := filepath.Join(dir, "presurvey.docx")
	if code, out, errs := mamori(t, s, "export", "presurvey", "--engagement", e.Code, "-o", d); code != 0 || !strings.Contains(out, "（DOCX）") {
		t.Fatalf("docx: %d %s %s", code, out, errs)
	}
	b, err := os.ReadFile(d)
	if err != nil {
		t.Fatal(err)
	}
	if !docxHas(t, b, question) || !docxHas(t, b, answer) {
		t.Error("the DOCX lacks the question or its answer")
	}
	p := filepath.Join(dir, "presurvey.pdf")
	if code, out, errs := mamori(t, s, "export", "presurvey", "--engagement", e.Code, "--format", "pdf", "-o", p); code != 0 {
		t.Fatalf("pdf: %d %s %s", code, out, errs)
	}
	if n := downloads() - before; n != 3 {
		t.Errorf("%d exports audited, want 3", n)
	}
	text := strings.Join(strings.Fields(testkit.PDFText(t, p)), "")
	if want := strings.Join(strings.Fields(question), ""); !strings.Contains(text, want[:min(len(want), 30)]) {
		t.Errorf("the PDF lacks the question: %s", testkit.Truncate(text, 300))
	}

	// Refusals: named, nothing written.
	bad := filepath.Join(dir, "bad.csv")
	if code, _, errs := mamori(t, s, "export", "presurvey", "--engagement", e.Code, "--format", "csv", "-o", bad); code == 0 || !strings.Contains(errs, "出力形式「csv」には対応していません") {
		t.Errorf("csv: %d %s", code, errs)
	}
	badPDF := filepath.Join(dir, "bad.pdf")
	if code, _, errs := mamori(t, s, "export", "presurvey", "--engagement", "2026-XX-99", "-o", badPDF); code == 0 || !strings.Contains(errs, "監査「2026-XX-99」がありません") {
		t.Errorf("unknown engagement: %d %s", code, errs)
	}
	if code, _, _ := mamori(t, s, "export", "presurvey", "-o", badPDF); code != 2 {
		t.Errorf("without --engagement: exit %d, want 2", code)
	}
	for _, f := range []string{bad, badPDF} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("a refused export wrote %s", f)
		}
	}
}
