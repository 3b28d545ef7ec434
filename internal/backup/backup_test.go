package backup_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mamori/internal/app"
	"mamori/internal/auditlog"
	"mamori/internal/auth"
	"mamori/internal/backup"
	"mamori/internal/blob"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/org"
)

// tables is the deployment's backup order, from the app's modules.
var tables = app.BackupTables()

func TestEveryTableIsBackedUpOrSkipped(t *testing.T) {
	db := dbtest.Open(t, dbtest.Backend{Name: "sqlite", DSN: filepath.Join(t.TempDir(), "m.db")})
	rows, err := db.Query(context.Background(), "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	known := map[string]bool{}
	for _, n := range append(append([]string{}, tables...), backup.Skipped...) {
		known[n] = true
	}
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		if !known[n] {
			t.Errorf("table %s is neither in a module's Tables nor in backup.Skipped", n)
		}
	}
}

func counts(t *testing.T, db *database.DB) []int {
	t.Helper()
	var out []int
	for _, tb := range tables {
		var n int
		if err := db.QueryRow(context.Background(), "SELECT COUNT(*) FROM "+tb).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// TestRoundTrip backs up a demo ward from SQLite and restores it on every
// backend: the same rows, an intact audit chain, working logins and files.
func TestRoundTrip(t *testing.T) {
	ctx := auditlog.WithActor(context.Background(), auditlog.Actor{Login: "test"})
	srcDir := t.TempDir()
	src := dbtest.Open(t, dbtest.Backend{Name: "sqlite", DSN: filepath.Join(srcDir, "m.db")})
	// The key file stays with the source; the restore copies rows without it
	// and the restored chain verifies with the same key file.
	key := auditlog.KeyFile(filepath.Join(srcDir, auditlog.KeyFileName))
	log := auditlog.New(src, nil, key)
	svc := org.New(src, log, org.Config{Argon: auth.ArgonParams{Memory: 8 * 1024, Time: 1, Threads: 1}}, nil, nil)
	if err := svc.CreateDemo(ctx, "mamori-demo", nil); err != nil {
		t.Fatal(err)
	}
	bl, err := blob.New(src, srcDir, blob.Disk, nil).Put(ctx, "名簿.csv", "text/csv", []byte("職員番号\n1\n"), 0)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	m, err := backup.Write(ctx, src, tables, srcDir, &buf, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows["staff"] < 4000 || m.Files != 1 {
		t.Fatalf("manifest %+v", m)
	}
	want := counts(t, src)
	dbtest.Each(t, func(t *testing.T, dst *database.DB) {
		dir := t.TempDir()
		if _, err := backup.Restore(ctx, dst, tables, dir, bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
			t.Fatal(err)
		}
		got := counts(t, dst)
		if !equal(got, want) {
			t.Fatalf("rows %v, want %v", got, want)
		}
		if _, _, err := auditlog.New(dst, nil, auditlog.KeyFile(filepath.Join(dir, auditlog.KeyFileName))).Verify(ctx); err == nil ||
			!strings.Contains(err.Error(), "鍵ファイル") {
			t.Fatalf("restored chain verified without its key: %v", err)
		}
		dlog := auditlog.New(dst, nil, key)
		if _, br, err := dlog.Verify(ctx); err != nil || br != nil {
			t.Fatalf("audit chain after restore: %v %v", err, br)
		}
		dsvc := org.New(dst, dlog, org.Config{Argon: auth.ArgonParams{Memory: 8 * 1024, Time: 1, Threads: 1}}, nil, nil)
		if _, _, err := auth.New(dst, dlog, auth.Config{Argon: auth.ArgonParams{Memory: 8 * 1024, Time: 1, Threads: 1}}, nil, nil).Login(ctx, "admin", "mamori-demo", "127.0.0.1", "t"); err != nil {
			t.Fatalf("login after restore: %v", err)
		}
		// New rows get fresh ids after the restored ones.
		if _, err := dsvc.SaveDepartment(ctx, 0, org.DepartmentInput{Code: "99", Name: "新設部", Level: "部", Active: true}); err != nil {
			t.Fatalf("insert after restore: %v", err)
		}
		if _, data, err := blob.New(dst, dir, blob.Disk, nil).Get(ctx, bl.ID); err != nil || string(data) != "職員番号\n1\n" {
			t.Fatalf("file after restore: %v", err)
		}
		if _, err := backup.Restore(ctx, dst, tables, dir, bytes.NewReader(buf.Bytes()), int64(buf.Len())); !errors.Is(err, backup.ErrNotEmpty) {
			t.Fatalf("restore over data: %v", err)
		}
	})
	if _, err := backup.Restore(ctx, src, tables, srcDir, bytes.NewReader([]byte("not a zip")), 9); err == nil {
		t.Fatal("garbage restored")
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
