package database_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"mamori/internal/database"
	"mamori/internal/database/dbtest"
)

func TestRebind(t *testing.T) {
	db := &database.DB{}
	_ = db
	cases := []struct{ name, in, want string }{
		{"none", "SELECT 1", "SELECT 1"},
		{"two", "SELECT a FROM t WHERE a = ? AND b = ?", "SELECT a FROM t WHERE a = $1 AND b = $2"},
		{"quoted", "SELECT '?' WHERE x = ?", "SELECT '?' WHERE x = $1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := database.RebindFor(database.Postgres, c.in); got != c.want {
				t.Fatalf("got %q want %q", got, c.want)
			}
		})
	}
}

// columns lists table.column:type-class for the whole schema.
func columns(t *testing.T, db *database.DB) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	class := func(typ string) string {
		typ = strings.ToUpper(typ)
		switch {
		case strings.Contains(typ, "INT"):
			return "int"
		case strings.Contains(typ, "BOOL"):
			return "bool"
		case strings.Contains(typ, "BLOB"), strings.Contains(typ, "BYTEA"):
			return "bytes"
		case strings.Contains(typ, "TEXT"), strings.Contains(typ, "CHAR"):
			return "text"
		}
		return typ
	}
	if db.Dialect() == database.Postgres {
		rows, err := db.Query(ctx, `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
			WHERE table_schema = current_schema()`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var tb, col, typ, null string
			if err := rows.Scan(&tb, &col, &typ, &null); err != nil {
				t.Fatal(err)
			}
			out = append(out, tb+"."+col+":"+class(typ)+":"+null)
		}
	} else {
		rows, err := db.Query(ctx, `SELECT m.name, p.name, p.type, p."notnull", p.pk FROM sqlite_master m, pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var tb, col, typ string
			var notnull, pk int
			if err := rows.Scan(&tb, &col, &typ, &notnull, &pk); err != nil {
				t.Fatal(err)
			}
			null := "YES"
			if notnull == 1 || pk == 1 {
				null = "NO"
			}
			out = append(out, tb+"."+col+":"+class(typ)+":"+null)
		}
	}
	sort.Strings(out)
	return out
}

func TestSameSchemaOnBothDialects(t *testing.T) {
	if os.Getenv("MAMORI_TEST_PG") == "" {
		t.Skip("MAMORI_TEST_PG not set: PostgreSQL comparison skipped")
	}
	bs := dbtest.Backends(t)
	a := columns(t, dbtest.Open(t, bs[0]))
	b := columns(t, dbtest.Open(t, bs[1]))
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("schemas differ:\nsqlite:\n%s\n\npostgres:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	if len(a) < 50 {
		t.Fatalf("schema suspiciously small: %d columns", len(a))
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		applied, err := db.Migrate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Fatalf("second migrate applied %v", applied)
		}
	})
}

func TestWithTxRollsBackAndJoins(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := db.WithTx(ctx, func(ctx context.Context) error {
			if _, err := db.Exec(ctx, "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)", "a", "1", "x"); err != nil {
				return err
			}
			// A nested WithTx joins the outer transaction.
			return db.WithTx(ctx, func(ctx context.Context) error {
				if _, err := db.Exec(ctx, "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)", "b", "2", "x"); err != nil {
					return err
				}
				return boom
			})
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v", err)
		}
		var n int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM settings").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("rollback left %d rows", n)
		}
		if err := db.WithTx(ctx, func(ctx context.Context) error {
			_, err := db.Exec(ctx, "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)", "c", "3", "x")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var v string
		if err := db.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", "c").Scan(&v); err != nil || v != "3" {
			t.Fatalf("commit: %v %q", err, v)
		}
	})
}

// TestLockRow: a second transaction locking the same row waits until the
// first has committed, and so reads what the first wrote (the lost update
// LockRow exists to prevent); a missing row and a call outside a
// transaction are refused.
func TestLockRow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		id, err := db.InsertID(ctx, "INSERT INTO departments (code, name, level, sort_order, active, created_at, updated_at) VALUES ('L1', '施錠課', '課', 1, TRUE, 'x', 'x')")
		if err != nil {
			t.Fatal(err)
		}
		// Both transactions read sort_order, add one and write it back.
		bump := func(locked, hold chan struct{}) error {
			return db.WithTx(ctx, func(ctx context.Context) error {
				if err := db.LockRow(ctx, "departments", id); err != nil {
					return err
				}
				if locked != nil {
					close(locked)
				}
				var n int
				if err := db.QueryRow(ctx, "SELECT sort_order FROM departments WHERE id = ?", id).Scan(&n); err != nil {
					return err
				}
				if hold != nil {
					<-hold
				}
				_, err := db.Exec(ctx, "UPDATE departments SET sort_order = ? WHERE id = ?", n+1, id)
				return err
			})
		}
		locked, hold := make(chan struct{}), make(chan struct{})
		first := make(chan error, 1)
		go func() { first <- bump(locked, hold) }()
		<-locked
		second := make(chan error, 1)
		go func() { second <- bump(nil, nil) }()
		select {
		case err := <-second:
			t.Fatalf("the second transaction did not wait for the lock: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
		close(hold)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if err := <-second; err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow(ctx, "SELECT sort_order FROM departments WHERE id = ?", id).Scan(&n); err != nil || n != 3 {
			t.Fatalf("sort_order = %d, %v; want 3 (1 + two increments)", n, err)
		}
		err = db.WithTx(ctx, func(ctx context.Context) error { return db.LockRow(ctx, "departments", id+1000) })
		if !errors.Is(err, database.ErrNotFound) {
			t.Fatalf("missing row: %v", err)
		}
		if err := db.LockRow(ctx, "departments", id); err == nil {
			t.Fatal("LockRow outside a transaction was accepted")
		}
		if err := db.WithTx(ctx, func(ctx context.Context) error { return db.LockRow(ctx, "departments; DROP", id) }); err == nil {
			t.Fatal("a bad table name was accepted")
		}
	})
}

// TestWithTxRetry runs a transaction again while it breaks a unique
// constraint, up to the limit, and only once inside a caller's transaction.
func TestWithTxRetry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		if _, err := db.Exec(ctx, "INSERT INTO settings (key, value, updated_at) VALUES ('k1', '', 'x'), ('k2', '', 'x')"); err != nil {
			t.Fatal(err)
		}
		// Each run takes the next key, as a numbering transaction that
		// lost to another one does: k1 and k2 are taken, k3 is free.
		runs := 0
		insert := func(ctx context.Context) error {
			runs++
			_, err := db.Exec(ctx, "INSERT INTO settings (key, value, updated_at) VALUES (?, '', 'x')", fmt.Sprintf("k%d", runs))
			return err
		}
		if err := db.WithTxRetry(ctx, 5, insert); err != nil || runs != 3 {
			t.Fatalf("runs %d, %v; want 3 runs and no error", runs, err)
		}
		runs = 0
		if err := db.WithTxRetry(ctx, 2, insert); !database.IsUniqueViolation(err) || runs != 2 {
			t.Fatalf("runs %d, %v; want a unique violation after 2 runs", runs, err)
		}
		runs = 0
		err := db.WithTx(ctx, func(ctx context.Context) error { return db.WithTxRetry(ctx, 5, insert) })
		if !database.IsUniqueViolation(err) || runs != 1 {
			t.Fatalf("inside a transaction: runs %d, %v; want one run", runs, err)
		}
		boom := errors.New("boom")
		runs = 0
		if err := db.WithTxRetry(ctx, 5, func(context.Context) error { runs++; return boom }); err != boom || runs != 1 {
			t.Fatalf("other error: runs %d, %v", runs, err)
		}
	})
}

// TestInsertRows inserts more rows than one PostgreSQL statement takes,
// refuses a ragged argument list, and leaves nothing after a rollback.
func TestInsertRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		cols := []string{"key", "value", "updated_at"}
		var args []any
		for i := range 1500 {
			args = append(args, fmt.Sprintf("k%04d", i), fmt.Sprint(i), "x")
		}
		if err := db.WithTx(ctx, func(ctx context.Context) error { return db.InsertRows(ctx, "settings", cols, args) }); err != nil {
			t.Fatal(err)
		}
		var n, sum int
		if err := db.QueryRow(ctx, "SELECT COUNT(*), SUM(CAST(value AS INTEGER)) FROM settings").Scan(&n, &sum); err != nil {
			t.Fatal(err)
		}
		if n != 1500 || sum != 1499*1500/2 {
			t.Fatalf("%d rows, sum %d", n, sum)
		}
		err := db.WithTx(ctx, func(ctx context.Context) error { return db.InsertRows(ctx, "settings", cols, []any{"a", "b"}) })
		if err == nil || !strings.Contains(err.Error(), "2 values for 3 columns") {
			t.Fatalf("ragged rows: %v", err)
		}
		boom := errors.New("boom")
		err = db.WithTx(ctx, func(ctx context.Context) error {
			if err := db.InsertRows(ctx, "settings", cols, []any{"z1", "1", "x", "z2", "2", "x"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM settings").Scan(&n); err != nil || n != 1500 {
			t.Fatalf("after rollback: %d rows (%v)", n, err)
		}

		// Typed and NULL columns, batches of different sizes, values that
		// need quoting in an array literal.
		at := database.T(database.FixedTimeForTest())
		logCols := []string{"id", "at", "user_id", "login", "action", "target", "detail", "ip", "prev_hash", "hash", "chain"}
		var id int64
		for _, size := range []int{1, 3, 2} {
			var rows []any
			for range size {
				id++
				var uid any // NULL on odd rows
				if id%2 == 0 {
					uid = int64(7)
				}
				rows = append(rows, id, at, uid, `a"b\c,{d}`, "x.y", "", "改行\nと、カンマ", "", "", fmt.Sprint(id), int64(1))
			}
			if err := db.WithTx(ctx, func(ctx context.Context) error { return db.InsertRows(ctx, "audit_log", logCols, rows) }); err != nil {
				t.Fatalf("%d rows into audit_log: %v", size, err)
			}
		}
		var login, detail string
		var got database.Time
		var user, chain, users int64
		if err := db.QueryRow(ctx, "SELECT COUNT(*), COUNT(user_id), MAX(login), MAX(detail), MAX(at), MAX(user_id), MAX(chain) FROM audit_log WHERE action = 'x.y'").Scan(&n, &users, &login, &detail, &got, &user, &chain); err != nil {
			t.Fatal(err)
		}
		if n != 6 || users != 3 || login != `a"b\c,{d}` || detail != "改行\nと、カンマ" || !got.Equal(at.Time) || user != 7 || chain != 1 {
			t.Fatalf("typed rows: %d (%d with a user) %q %q %v %d %d", n, users, login, detail, got, user, chain)
		}
		// Rows and a statement after them, in one go; then alone.
		err = db.WithTx(ctx, func(ctx context.Context) error {
			if err := db.InsertRowsAnd(ctx, "settings", cols, []any{"and1", "1", "x", "and2", "2", "x"},
				"UPDATE settings SET value = ? WHERE key = ?", "then", "k0000"); err != nil {
				return err
			}
			return db.InsertRowsAnd(ctx, "settings", cols, nil, "UPDATE settings SET updated_at = ? WHERE key = ?", "y", "k0001")
		})
		if err != nil {
			t.Fatal(err)
		}
		var v0, u1 string
		if err := db.QueryRow(ctx, "SELECT (SELECT value FROM settings WHERE key = 'k0000'), (SELECT updated_at FROM settings WHERE key = 'k0001'), (SELECT COUNT(*) FROM settings WHERE key LIKE 'and%')").Scan(&v0, &u1, &n); err != nil {
			t.Fatal(err)
		}
		if v0 != "then" || u1 != "y" || n != 2 {
			t.Fatalf("InsertRowsAnd: %q %q %d", v0, u1, n)
		}

		err = db.WithTx(ctx, func(ctx context.Context) error {
			return db.InsertRows(ctx, "audit_log", logCols[:2], []any{id + 1, struct{}{}})
		})
		if err == nil {
			t.Fatal("a value of an unknown type was inserted")
		}
	})
}

func TestTimeRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := database.T(database.FixedTimeForTest())
		if _, err := db.Exec(ctx, "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)", "t", "v", now); err != nil {
			t.Fatal(err)
		}
		var got database.Time
		if err := db.QueryRow(ctx, "SELECT updated_at FROM settings WHERE key = ?", "t").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(now.Time) {
			t.Fatalf("got %v want %v", got, now)
		}
	})
}

// TestCheckpointInBackground: SQLite commits leave the write-ahead log to
// the checkpointer, which copies it into the database file within a few of
// its ticks; the writer itself never checkpoints (wal_autocheckpoint 0),
// so without the checkpointer the file would not grow at all.
func TestCheckpointInBackground(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/ck.db"
	db, err := database.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(ctx, "CREATE TABLE big (v TEXT)"); err != nil {
		t.Fatal(err)
	}
	before := fileSize(t, path)
	row := strings.Repeat("x", 4000)
	for range 20 {
		err := db.WithTx(ctx, func(ctx context.Context) error {
			for range 50 {
				if _, err := db.Exec(ctx, "INSERT INTO big (v) VALUES (?)", row); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// 1,000 rows of 4 kB: about 4 MB that start in the log.
	deadline := time.Now().Add(5 * time.Second)
	for fileSize(t, path) < before+3<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("the database file stayed at %d bytes (before: %d): nothing was checkpointed", fileSize(t, path), before)
		}
		time.Sleep(database.CheckpointEvery)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
