// Package dbtest gives tests real databases: a temporary SQLite file always,
// and a fresh PostgreSQL schema when MAMORI_TEST_PG names a server.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"mamori/internal/database"
)

// Backend is one database a test runs against.
type Backend struct {
	Name string // "sqlite" or "postgres"
	DSN  string
}

// Backends lists the databases storage tests must pass on: SQLite, and
// PostgreSQL when MAMORI_TEST_PG is set (CI sets it).
func Backends(t testing.TB) []Backend {
	t.Helper()
	bs := []Backend{{Name: "sqlite", DSN: filepath.Join(t.TempDir(), "mamori.db")}}
	if pg := os.Getenv("MAMORI_TEST_PG"); pg != "" {
		bs = append(bs, Backend{Name: "postgres", DSN: FreshSchema(t, pg)})
	}
	return bs
}

// FreshSchema creates an empty schema on the PostgreSQL server at base and
// returns a DSN whose search_path points at it; the schema is dropped when
// the test ends.
func FreshSchema(t testing.TB, base string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("dbtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens and migrates a backend's database, closing it when the test ends.
func Open(t testing.TB, b Backend) *database.DB {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, b.DSN)
	if err != nil {
		t.Fatalf("dbtest: open %s: %v", b.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("dbtest: migrate %s: %v", b.Name, err)
	}
	return db
}

// Each runs fn as a subtest on every backend with a migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *database.DB)) {
	t.Helper()
	for _, b := range Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, Open(t, b))
		})
	}
}
