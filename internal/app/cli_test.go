package app_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"mamori/internal/app"
	"mamori/internal/webtest"
)

// run runs a sub-command against dir and returns exit code and output.
func run(t *testing.T, dir string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	t.Setenv("MAMORI_DATA", dir)
	t.Setenv("MAMORI_DB", "")
	code := app.Run(context.Background(), args, app.CLI{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Options: app.Options{Argon: webtest.Argon}})
	return code, out.String(), errb.String()
}

func TestCLI(t *testing.T) {
	dir := t.TempDir()
	if code, _, _ := run(t, dir, "", "migrate"); code != 0 {
		t.Fatal("migrate failed")
	}
	code, out, errs := run(t, dir, "", "demo")
	if code != 0 || !strings.Contains(out, "デモの区を作成しました") {
		t.Fatalf("demo: %d %s %s", code, out, errs)
	}
	if code, _, errs := run(t, dir, "", "demo"); code == 0 || !strings.Contains(errs, "既にデータがあります") {
		t.Fatalf("second demo: %d %s", code, errs)
	}
	csv := filepath.Join(dir, "staff.csv")
	if code, out, _ := run(t, dir, "", "export", "staff", "-o", csv); code != 0 || !strings.Contains(out, "件を") {
		t.Fatalf("export: %d %s", code, out)
	}
	raw, _ := os.ReadFile(csv)
	text, err := japanese.ShiftJIS.NewDecoder().Bytes(raw)
	if err != nil || !strings.HasPrefix(string(text), "職員番号,氏名") {
		t.Fatalf("export is not Shift_JIS roster: %v", err)
	}
	// Re-importing the export changes nothing.
	code, out, errs = run(t, dir, "", "import", "staff", csv, "--dry-run")
	if code != 0 || !strings.Contains(out, "新規 0、異動 0、変更 0") {
		t.Fatalf("dry-run: %d %s %s", code, out, errs)
	}
	// A broken row is named and nothing is written.
	lines := strings.Split(string(text), "\r\n")
	lines[3] = strings.Replace(lines[3], strings.Split(lines[3], ",")[0], "", 1)
	bad, _ := japanese.ShiftJIS.NewEncoder().Bytes([]byte(strings.Join(lines, "\r\n")))
	badPath := filepath.Join(dir, "bad.csv")
	_ = os.WriteFile(badPath, bad, 0o600)
	code, _, errs = run(t, dir, "", "import", "staff", badPath)
	if code == 0 || !strings.Contains(errs, "4行目") || !strings.Contains(errs, "何も書き込んでいません") {
		t.Fatalf("bad import: %d %s", code, errs)
	}
	if code, _, errs := run(t, dir, "", "import", "staff", filepath.Join(dir, "missing.csv")); code == 0 || !strings.Contains(errs, "開けません") {
		t.Fatalf("missing file: %d %s", code, errs)
	}
	// Users.
	if code, _, errs := run(t, dir, "短い\n", "user", "add", "--login", "yamada", "--name", "山田", "--role", "auditor"); code == 0 || !strings.Contains(errs, "10 文字以上") {
		t.Fatalf("weak password accepted: %d %s", code, errs)
	}
	if code, out, errs := run(t, dir, "Kanri-Pass-2026!\n", "user", "add", "--login", "yamada", "--name", "山田", "--role", "auditor"); code != 0 || !strings.Contains(out, "内部監査人") {
		t.Fatalf("user add: %d %s %s", code, out, errs)
	}
	if code, _, _ := run(t, dir, "", "user", "disable", "yamada"); code != 0 {
		t.Fatal("user disable")
	}
	if code, _, _ := run(t, dir, "", "user", "add", "--role", "king"); code == 0 {
		t.Fatal("unknown role accepted")
	}
	// Backup, then restore into an empty data folder.
	zipPath := filepath.Join(dir, "backup.zip")
	if code, out, errs := run(t, dir, "", "backup", zipPath); code != 0 || !strings.Contains(out, "バックアップを作成しました") {
		t.Fatalf("backup: %d %s %s", code, out, errs)
	}
	other := t.TempDir()
	// The audit-log key is not in the backup; it is put back separately.
	if key, err := os.ReadFile(filepath.Join(dir, "auditlog.key")); err != nil || os.WriteFile(filepath.Join(other, "auditlog.key"), key, 0o600) != nil {
		t.Fatalf("audit-log key: %v", err)
	}
	if code, out, errs := run(t, other, "", "restore", zipPath); code != 0 || !strings.Contains(out, "復元しました") {
		t.Fatalf("restore: %d %s %s", code, out, errs)
	}
	if code, out, _ := run(t, other, "", "auditlog", "verify"); code != 0 || !strings.Contains(out, "正常") {
		t.Fatalf("verify after restore: %d %s", code, out)
	}
	// Tampering is reported with the broken link and a non-zero exit.
	if code, out, _ := run(t, dir, "", "auditlog", "verify"); code != 0 || !strings.Contains(out, "正常") {
		t.Fatalf("verify: %d %s", code, out)
	}
	a := webtest.Open(t, dir)
	if _, err := a.DB.Exec(context.Background(), "UPDATE audit_log SET detail = '改ざん' WHERE id = 2"); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if code, _, errs := run(t, dir, "", "auditlog", "verify"); code == 0 || !strings.Contains(errs, "ID 2") {
		t.Fatalf("tampering not reported: %d %s", code, errs)
	}
	if code, _, _ := run(t, dir, "", "nonsense"); code != 2 {
		t.Fatal("unknown command exit code")
	}
	if code, _, errs := run(t, dir, "", "export", "staff", "-o", "x", "--format", "pdf"); code == 0 || !strings.Contains(errs, "対応していません") {
		t.Fatalf("bad format: %d %s", code, errs)
	}
}
