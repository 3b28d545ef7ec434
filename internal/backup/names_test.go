package backup_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"mamori/internal/backup"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
)

// craft builds a backup ZIP with the given table files (name → JSON lines).
func craft(t *testing.T, schema int, tables map[string][]any) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	rows := map[string]int{}
	for name, lines := range tables {
		f, err := zw.Create("tables/" + name + ".jsonl")
		if err != nil {
			t.Fatal(err)
		}
		enc := json.NewEncoder(f)
		for _, l := range lines {
			if err := enc.Encode(l); err != nil {
				t.Fatal(err)
			}
		}
		rows[name] = len(lines) - 1
	}
	mf, _ := zw.Create("manifest.json")
	_ = json.NewEncoder(mf).Encode(backup.Manifest{Format: 1, CreatedAt: "2026-05-01T00:00:00Z", Schema: schema, Dialect: "sqlite", Rows: rows})
	bl, _ := zw.Create("blobs/ab/abcdef")
	_, _ = bl.Write([]byte("file"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// snapshot is every table's row count, plus the settings rows.
func snapshot(t *testing.T, db *database.DB) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, tb := range tables {
		var n int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM "+tb).Scan(&n); err != nil {
			t.Fatalf("%s: %v", tb, err)
		}
		b.WriteString(tb + "=" + strconv.Itoa(n) + " ")
	}
	rows, err := db.Query(ctx, "SELECT key, value FROM settings ORDER BY key")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		_ = rows.Scan(&k, &v)
		b.WriteString(k + ":" + v + " ")
	}
	return b.String()
}

// TestRestoreRefusesUnknownNames: table and column names come from the
// backup file; names the target database does not have are refused by
// name before anything is written or any name reaches SQL.
func TestRestoreRefusesUnknownNames(t *testing.T) {
	settings := func(cols ...string) []any {
		row := make([]any, len(cols))
		for i := range row {
			row[i] = "x"
		}
		return []any{cols, row}
	}
	cases := []struct {
		name   string
		tables map[string][]any
		want   []string
	}{
		{"table name with SQL", map[string][]any{
			"settings":                    settings("key", "value", "updated_at"),
			"users; DROP TABLE staff; --": {[]string{"id"}, []any{1}},
		}, []string{"ない表", `"tables/users; DROP TABLE staff; --.jsonl"`}},
		{"column name with a quote", map[string][]any{
			"settings": settings("key", `value") VALUES ('a', 'b'); DROP TABLE staff; --`, "updated_at"),
		}, []string{"表 settings", "ない", `"value\") VALUES ('a', 'b'); DROP TABLE staff; --"`}},
		{"skipped table", map[string][]any{
			"sessions": {[]string{"id"}, []any{"s"}},
		}, []string{"ない表", "sessions"}},
		{"repeated column", map[string][]any{
			"settings": settings("key", "value", "value", "updated_at"),
		}, []string{"重複", `"value"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *database.DB) {
				ctx := context.Background()
				if _, err := db.Exec(ctx, "INSERT INTO settings (key, value, updated_at) VALUES ('marker', 'before', '2026-04-01T00:00:00.000000Z')"); err != nil {
					t.Fatal(err)
				}
				var schema int
				_ = db.QueryRow(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&schema)
				data := craft(t, schema, c.tables)
				before := snapshot(t, db)
				dir := t.TempDir()
				_, err := backup.Restore(ctx, db, tables, dir, bytes.NewReader(data), int64(len(data)))
				if err == nil {
					t.Fatal("crafted backup restored")
				}
				for _, w := range c.want {
					if !strings.Contains(err.Error(), w) {
						t.Fatalf("error %q does not contain %q", err, w)
					}
				}
				if after := snapshot(t, db); after != before {
					t.Fatalf("database changed:\nbefore %s\nafter  %s", before, after)
				}
				if m, _ := filepath.Glob(filepath.Join(dir, "blobs", "*")); len(m) != 0 {
					t.Fatalf("files written: %v", m)
				}
			})
		})
	}
}
