package policy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"mamori/internal/app"
	"mamori/internal/testkit"
)

// mamori runs `mamori ARGS…` (these commands need no data folder) and
// returns the exit code and what it printed.
func mamori(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	t.Setenv("MAMORI_DATA", t.TempDir())
	t.Setenv("MAMORI_DB", "")
	code := app.Run(context.Background(), args, app.CLI{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

const oldRule = `ひので区試験規程

第1条（目的）
この規程は、試験の手順を定めるものとする。

第2条（定義）
この規程において「端末」とは、職員が業務に使う電子計算機をいう。

第3条（報告）
職員は、事故を知ったときは、速やかに所属長に報告しなければならない。
`

const newRule = `ひので区試験規程

第1条（目的）
この規程は、試験の手順を定めるものとする。

第2条（定義）
この規程において「端末」とは、職員が業務に使う電子計算機をいう。

第3条（持出し）
職員は、端末を庁舎の外に持ち出してはならない。

第4条（報告）
職員は、事故を知ったときは、1時間以内に所属長に報告しなければならない。
`

// TestPolicyDiffCLI: `mamori policy diff OLD NEW` writes the 新旧対照表 in
// every format and the 見え消し版 with --redline, with no database; the
// renumbered article is aligned by content. Bad arguments are refused in
// Japanese, wrong usage with exit code 2.
func TestPolicyDiffCLI(t *testing.T) {
	dir := t.TempDir()
	oldPath, newPath := filepath.Join(dir, "old.txt"), filepath.Join(dir, "new.md")
	if err := os.WriteFile(oldPath, []byte(oldRule), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(newPath, []byte(newRule), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"pdf", "docx", "xlsx", "html"} {
		out := filepath.Join(dir, "table."+ext)
		code, stdout, errs := mamori(t, "policy", "diff", oldPath, newPath, "-o", out)
		if code != 0 || !strings.Contains(stdout, "改正のある規定 2") || !strings.Contains(stdout, "を書き出しました") {
			t.Fatalf("%s: %d %s %s", ext, code, stdout, errs)
		}
		if st, err := os.Stat(out); err != nil || st.Size() < 500 {
			t.Fatalf("%s: %v", out, err)
		}
	}
	flat := strings.Join(strings.Fields(testkit.PDFText(t, filepath.Join(dir, "table.pdf"))), "")
	if !strings.Contains(flat, "ひので区試験規程新旧対照表") || !strings.Contains(flat, "1時間以内") || !strings.Contains(flat, "第4条") {
		t.Errorf("table text:\n%.600s", flat)
	}
	red := filepath.Join(dir, "redline.pdf")
	if code, _, errs := mamori(t, "policy", "diff", oldPath, newPath, "--redline", "--title", "試験規程", "-o", red); code != 0 {
		t.Fatalf("redline: %s", errs)
	}
	if flat := strings.Join(strings.Fields(testkit.PDFText(t, red)), ""); !strings.Contains(flat, "試験規程（見え消し版）") {
		t.Errorf("redline text:\n%.400s", flat)
	}
	// The DOCX's tracked changes carry the author given, not the program.
	redDocx := filepath.Join(dir, "redline.docx")
	if code, _, errs := mamori(t, "policy", "diff", oldPath, newPath, "--redline", "--author", "情報政策課", "-o", redDocx); code != 0 {
		t.Fatalf("redline docx: %s", errs)
	}
	if zr, err := zip.OpenReader(redDocx); err != nil {
		t.Fatal(err)
	} else {
		for _, f := range zr.File {
			if f.Name != "word/document.xml" {
				continue
			}
			rc, _ := f.Open()
			x, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Contains(x, []byte(`w:author="情報政策課"`)) || bytes.Contains(x, []byte(`w:author="mamori"`)) {
				t.Errorf("redline docx authors: %q", regexp.MustCompile(`w:author="[^"]*"`).FindAll(x, 3))
			}
		}
		zr.Close()
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"policy", "diff", oldPath, newPath, "--redline", "-o", filepath.Join(dir, "x.xlsx")}, "見え消し版は docx・pdf・html で出力します"},
		{[]string{"policy", "diff", oldPath, newPath, "-o", filepath.Join(dir, "x.odt")}, `出力形式 "odt" には対応していません`},
		{[]string{"policy", "diff", filepath.Join(dir, "missing.txt"), newPath, "-o", filepath.Join(dir, "x.pdf")}, "改正前 のファイル"},
	} {
		if code, _, errs := mamori(t, tc.args...); code != 1 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: %d %s", tc.args, code, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.pdf")); err == nil {
		t.Error("a refused comparison wrote a file")
	}
	for _, args := range [][]string{{"policy"}, {"policy", "diff", oldPath, newPath}, {"policy", "merge", oldPath, newPath, "-o", "x.pdf"}} {
		if code, _, errs := mamori(t, args...); code != 2 || !strings.Contains(errs, "使い方: mamori policy diff") {
			t.Errorf("%v: exit %d, want 2 with the usage: %s", args, code, errs)
		}
	}
	if code, out, _ := mamori(t, "--help"); code != 0 || !strings.Contains(out, "policy diff OLD NEW -o FILE") {
		t.Errorf("mamori --help lacks policy diff:\n%s", out)
	}
}

// TestBenchPolicyCLI: `mamori bench policy` (dispatched by the app's bench
// command, run by policy.BenchCommand) times a generated pair and keeps the
// 新旧対照表 with -o.
func TestBenchPolicyCLI(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := mamori(t, "bench", "policy", "--chars", "4000", "--changes", "5", "-o", dir)
	if code != 0 || !strings.Contains(out, "新旧対照表のベンチマーク") || !strings.Contains(out, "対応付けと差分（3 回の中央値）") ||
		!strings.Contains(out, "新旧対照表の PDF 作成") {
		t.Fatalf("bench policy: %d %s %s", code, out, errs)
	}
	if st, err := os.Stat(filepath.Join(dir, "taishohyo.pdf")); err != nil || st.Size() < 1000 {
		t.Fatalf("taishohyo.pdf: %v", err)
	}
}
