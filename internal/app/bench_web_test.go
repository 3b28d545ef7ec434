package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"mamori/internal/web"
	"mamori/internal/webtest"
)

// BenchmarkSignedInPage serves pages straight through the application's
// handler (no network) as a signed-in administrator of the demo ward, so
// that a profile shows only the server's own cost per request.
func BenchmarkSignedInPage(b *testing.B) {
	s := webtest.Start(b, webtest.Options{Demo: true})
	ctx := context.Background()
	acc, err := s.Org.AccountByLogin(ctx, "admin")
	if err != nil {
		b.Fatal(err)
	}
	tok, err := s.Auth.StartSession(ctx, acc.ID, false, "127.0.0.1", "bench")
	if err != nil {
		b.Fatal(err)
	}
	// The checklist template with the most items, as `mamori bench web` picks.
	tpl := fmt.Sprintf("/catalog/templates/%d", s.ID(`SELECT template_id FROM checklist_items GROUP BY template_id ORDER BY COUNT(*) DESC, template_id LIMIT 1`))
	h := s.Handler()
	for _, pg := range []struct{ name, path string }{{"healthz", "/healthz"}, {"policy", "/policy"}, {"staff", "/staff"}, {"template", tpl}} {
		path := pg.path
		b.Run(pg.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				if path != "/healthz" {
					req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: tok})
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s: %d", path, rec.Code)
				}
			}
		})
	}
}

// TestBenchWeb: `mamori bench web` builds the demo ward on a temporary
// database, signs in through the login form, measures the four pages and
// the ratio, and stops by itself within its time budget.
func TestBenchWeb(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the demo ward")
	}
	start := time.Now()
	code, out, errOut := run(t, t.TempDir(), "", "bench", "web", "--seconds", "0.5", "--conns", "4")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, re := range []string{`(?m)^  /healthz +[0-9]+ 件/秒 .*ヘルスチェック$`, `(?m)^  /policy +[0-9]+ 件/秒 .*ログイン済み`,
		`(?m)^  /staff +[0-9]+ 件/秒 .*職員名簿$`, `(?m)^  /catalog/templates/[0-9]+ +[0-9]+ 件/秒 .*最多項目`,
		`ログイン済みの小さいページ ÷ ヘルスチェック = [0-9.]+（目標 0.5 以上: (達成|未達)）`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output lacks %s:\n%s", re, out)
		}
	}
	// Every page answered with content (a failed sign-in would have
	// redirected every signed-in page and made the run fail).
	if regexp.MustCompile(`(?m)^  /(policy|staff|catalog).* 0 件/秒`).MatchString(out) {
		t.Errorf("a page was never served:\n%s", out)
	}
	if d := time.Since(start); d > 2*time.Minute {
		t.Errorf("took %s", d)
	}
	if code, _, errOut := run(t, t.TempDir(), "", "bench", "web", "--conns", "0"); code != 2 || !strings.Contains(errOut, "使い方: mamori bench web") {
		t.Errorf("bad flag: exit %d\n%s", code, errOut)
	}
}

// TestBenchSurvey: `mamori bench survey` submits every respondent's answers
// through the real server (double clicks included), then the whole flow
// through personal links, and finds every acknowledged submission counted
// once.
func TestBenchSurvey(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the demo ward")
	}
	code, out, errOut := run(t, t.TempDir(), "", "bench", "survey", "--staff", "60", "--clients", "4")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, re := range []string{`提出（ログイン済み、全問を 1 回で POST） +[0-9]+ 件/秒 .* 受理 60  失われた回答 0  二重計上 0  二度押し 6 回`,
		`一連の流れ（新しいセッションで GET → POST） +[0-9]+ 件/秒 .* 受理 60  失われた回答 0  二重計上 0`,
		`(?m)^結果: 提出 [0-9]+ 件/秒.*失われた回答 0、二重計上 0、集計 [0-9]+ ms、hello world 比 [0-9.]+$`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output lacks %s:\n%s", re, out)
		}
	}
}

// TestBenchAudit: `mamori bench audit` builds an engagement, measures
// its pages, saves, concurrent saves (none lost or crossed, one winner
// on a contested item) and the report PDF, and prints the summary line.
func TestBenchAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the demo ward")
	}
	code, out, errOut := run(t, t.TempDir(), "", "bench", "audit", "--items", "20", "--files", "2", "--savers", "3", "--seconds", "0.2", "--rounds", "4")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, re := range []string{`実施画面（項目一覧・全件） +4 回`, `判定の保存（1 件ずつ） +10 回`,
		`同時保存（3 人、各自の項目） +[1-9][0-9]* 件 .* 失われた更新 0  取り違え 0`,
		`成功 1 件、競合として返した 2 件、その他 0 件`, `監査報告書 PDF +3 回`, `÷ ヘルスチェック = [0-9.]+`,
		`(?m)^結果: (すべて達成|未達あり)（`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output lacks %s:\n%s", re, out)
		}
	}
	if code, _, errOut := run(t, t.TempDir(), "", "bench", "audit", "--savers", "0"); code != 2 || !strings.Contains(errOut, "使い方: mamori bench audit") {
		t.Errorf("bad flag: exit %d\n%s", code, errOut)
	}
}

// TestBenchSummary: `mamori bench summary` builds the years of internal
// audits, measures the dashboard, the summary's calculation and the
// summary PDF (or says it could not), and prints the summary line.
func TestBenchSummary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the demo ward")
	}
	code, out, errOut := run(t, t.TempDir(), "", "bench", "summary", "--engagements", "2", "--items", "20", "--years", "2", "--seconds", "0.2", "--rounds", "3")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, re := range []string{`監査ダッシュボード +3 回`, `年度のまとめの計算（参考） +5 回`, `内部監査全体報告書 PDF +3 回`,
		`÷ ヘルスチェック = [0-9.]+`, `(?m)^結果: (すべて達成|未達あり|未計測あり)（ダッシュボード 99% [0-9.]+ ms`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output lacks %s:\n%s", re, out)
		}
	}
	if code, _, errOut := run(t, t.TempDir(), "", "bench", "summary", "--items", "2"); code != 2 || !strings.Contains(errOut, "使い方: mamori bench summary") {
		t.Errorf("bad flag: exit %d\n%s", code, errOut)
	}
}
