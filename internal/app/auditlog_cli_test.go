package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mamori/internal/webtest"
)

// TestAuditlogKeyCLI: the audit-log key lives outside the database and the
// backup; a restore without it restores the data but says the key is
// needed; `auditlog anchor` and `verify --anchor` find a cut-off tail that
// plain verification cannot.
func TestAuditlogKeyCLI(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := run(t, dir, "Kanri-Pass-2026!\n", "user", "add", "--login", "sato", "--name", "佐藤", "--role", "admin"); code != 0 {
		t.Fatalf("user add: %s", errs)
	}
	key := filepath.Join(dir, "auditlog.key")
	if st, err := os.Stat(key); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v", err)
	}
	zipPath := filepath.Join(dir, "backup.zip")
	if code, out, errs := run(t, dir, "", "backup", zipPath); code != 0 || !strings.Contains(out, "鍵ファイル") {
		t.Fatalf("backup: %d %s %s", code, out, errs)
	}

	// Restore elsewhere without the key: data in, a clear message, exit 1.
	other := t.TempDir()
	code, _, errs := run(t, other, "", "restore", zipPath)
	if code == 0 || !strings.Contains(errs, "データは復元しました") || !strings.Contains(errs, "鍵ファイル") {
		t.Fatalf("restore without the key: %d %s", code, errs)
	}
	if code, _, errs := run(t, other, "", "auditlog", "verify"); code == 0 || !strings.Contains(errs, "がありません") {
		t.Fatalf("verify without the key: %d %s", code, errs)
	}
	// With the original key named by the flag, the restored chain verifies.
	if code, out, errs := run(t, other, "", "auditlog", "verify", "--audit-key-file", key); code != 0 || !strings.Contains(out, "正常") {
		t.Fatalf("verify with --audit-key-file: %d %s %s", code, out, errs)
	}
	// Another key is refused in Japanese, by the variable too.
	wrong := filepath.Join(t.TempDir(), "wrong.key")
	_ = os.WriteFile(wrong, []byte(strings.Repeat("0f", 32)), 0o600)
	t.Setenv("MAMORI_AUDIT_KEY_FILE", wrong)
	if code, _, errs := run(t, dir, "", "auditlog", "verify"); code == 0 || !strings.Contains(errs, "監査ログの鍵が一致しません") {
		t.Fatalf("wrong key: %d %s", code, errs)
	}
	t.Setenv("MAMORI_AUDIT_KEY_FILE", "")

	// Anchor, then cut the tail and fix the head as someone with database
	// access could: verify alone passes, verify --anchor does not.
	anchor := filepath.Join(t.TempDir(), "anchor.json")
	if code, out, errs := run(t, dir, "", "auditlog", "anchor", "-o", anchor); code != 0 || !strings.Contains(out, "アンカーを作成しました") {
		t.Fatalf("anchor: %d %s %s", code, out, errs)
	}
	if code, out, errs := run(t, dir, "", "auditlog", "verify", "--anchor", anchor); code != 0 || !strings.Contains(out, "とも一致しました") {
		t.Fatalf("verify --anchor: %d %s %s", code, out, errs)
	}
	a := webtest.Open(t, dir)
	ctx := context.Background()
	var last int64
	var prev string
	_ = a.DB.QueryRow(ctx, "SELECT last_id FROM audit_head WHERE id = 1").Scan(&last)
	_ = a.DB.QueryRow(ctx, "SELECT hash FROM audit_log WHERE id = ?", last-1).Scan(&prev)
	if _, err := a.DB.Exec(ctx, "DELETE FROM audit_log WHERE id = ?", last); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DB.Exec(ctx, "UPDATE audit_head SET last_id = ?, last_hash = ? WHERE id = 1", last-1, prev); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if code, out, _ := run(t, dir, "", "auditlog", "verify"); code != 0 || !strings.Contains(out, "正常") {
		t.Fatalf("plain verify after the cut: %d %s", code, out)
	}
	if code, _, errs := run(t, dir, "", "auditlog", "verify", "--anchor", anchor); code == 0 || !strings.Contains(errs, "末尾のエントリが削除されています") {
		t.Fatalf("verify --anchor after the cut: %d %s", code, errs)
	}
}
