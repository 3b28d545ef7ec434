// Package database opens Mamori's storage (an embedded SQLite file or a
// PostgreSQL server), applies the embedded migrations and carries
// transactions in the context so that a change and its audit-log entry
// commit together.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Dialect names the SQL dialect behind a DB.
type Dialect string

// The two supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is Mamori's handle on its database. Queries are written once with "?"
// placeholders and rebound for PostgreSQL. On SQLite, writes go through a
// single writer connection and reads through a separate pool.
type DB struct {
	dialect Dialect
	write   *sql.DB
	read    *sql.DB
	dsn     string
	stmts   stmtCache // prepared read-pool queries
	// arrayInserts are InsertRows' PostgreSQL statements by table and columns.
	arrayInserts sync.Map
	ck           *checkpointer // SQLite
}

// IsPostgres reports whether the DSN names a PostgreSQL server.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Warm opens the PostgreSQL pool's connections at once and returns them
// to it idle, so that the first burst of requests after a start does not
// wait for new server processes; the server and the bench commands call
// it (tests do not: many pools at once would exceed the server's
// connection limit). A failure only leaves the pool colder. SQLite: nothing.
func (db *DB) Warm(ctx context.Context) {
	if db.dialect != Postgres {
		return
	}
	warm(ctx, db.read, poolSize)
	warm(ctx, db.write, writePoolSize)
}

// poolSize is the number of PostgreSQL connections for reads outside a
// transaction, writePoolSize for transactions and writes.
const (
	poolSize      = 20
	writePoolSize = 6
)

func warm(ctx context.Context, pool *sql.DB, n int) {
	conns := make([]*sql.Conn, 0, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := pool.Conn(ctx)
			if err != nil {
				return
			}
			if err := c.PingContext(ctx); err != nil {
				c.Close()
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, c := range conns {
		c.Close()
	}
}

// Open opens dsn: a postgres:// URL or a SQLite file path.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if IsPostgres(dsn) {
		pool, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("database.Open: %w", err)
		}
		// As many idle as open: a burst of requests that releases more
		// connections than the idle limit would close them, and the next
		// burst would pay for new server processes (at 50 concurrent
		// submissions that churn cost three quarters of the throughput).
		pool.SetMaxOpenConns(poolSize)
		pool.SetMaxIdleConns(poolSize)
		pool.SetConnMaxIdleTime(5 * time.Minute)
		if err := pool.PingContext(ctx); err != nil {
			pool.Close()
			return nil, fmt.Errorf("database.Open: PostgreSQL に接続できません: %w", err)
		}
		// Transactions and writes have connections of their own: in one
		// pool, a commit waited for a connection among the requests'
		// reads, and database/sql hands a freed connection to a waiter
		// chosen at random, so a batch of submissions could wait behind
		// dozens of reads (p99 170 ms at 50 clients).
		w, err := sql.Open("pgx", dsn)
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("database.Open: %w", err)
		}
		w.SetMaxOpenConns(writePoolSize)
		w.SetMaxIdleConns(writePoolSize)
		w.SetConnMaxIdleTime(5 * time.Minute)
		return &DB{dialect: Postgres, write: w, read: pool, dsn: dsn}, nil
	}
	path := strings.TrimPrefix(dsn, "sqlite://")
	path = strings.TrimPrefix(path, "file:")
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("database.Open: %w", err)
		}
	}
	// A 20 MB page cache per connection keeps hot pages (sessions, the
	// question bank, invitations) in memory between writes. The file is not
	// memory-mapped: SQLite unmaps the whole file in every connection that
	// starts a read after another connection's commit, and when thousands
	// of staff answer at once (a commit every few milliseconds) those
	// unmappings and the page faults after them cost a third of the
	// throughput (bench survey: 1,600 → 2,300 submissions/s without it).
	file := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=cache_size(-20000)&_pragma=mmap_size(0)"
	// The writer never checkpoints (wal_autocheckpoint 0): the checkpointer
	// below does, on a connection of its own.
	w, err := sql.Open("sqlite", file+"&_pragma=wal_autocheckpoint(0)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("database.Open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("database.Open: SQLite ファイルを開けません (%s): %w", path, err)
	}
	r, err := sql.Open("sqlite", file+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("database.Open: %w", err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	ck, err := startCheckpointer(ctx, file)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("database.Open: %w", err)
	}
	return &DB{dialect: SQLite, write: w, read: r, dsn: path, ck: ck}, nil
}

// Close closes every pool.
func (db *DB) Close() error {
	db.stmts.close()
	var err error
	if db.ck != nil {
		err = db.ck.close()
	}
	err = errors.Join(err, db.write.Close())
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Dialect returns the SQL dialect.
func (db *DB) Dialect() Dialect { return db.dialect }

// Path returns the SQLite file path (empty on PostgreSQL).
func (db *DB) Path() string {
	if db.dialect == SQLite {
		return db.dsn
	}
	return ""
}

type txKey struct{}

// Tx is a transaction carried in a context.
type Tx struct {
	tx      *sql.Tx
	dialect Dialect
}

// WithTx runs fn in a transaction. If ctx already carries one, fn joins it
// and the outermost WithTx commits. fn's error rolls everything back.
func (db *DB) WithTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if _, ok := ctx.Value(txKey{}).(*Tx); ok {
		return fn(ctx)
	}
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("database.WithTx: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
			return
		}
		if cerr := sqlTx.Commit(); cerr != nil {
			err = fmt.Errorf("database.WithTx: commit: %w", cerr)
		}
	}()
	return fn(context.WithValue(ctx, txKey{}, &Tx{tx: sqlTx, dialect: db.dialect}))
}

// WithTxRetry is WithTx run again, up to tries times in all, while fn
// fails on a unique constraint: a transaction that numbers a new row from
// the rows there are (the year's count + 1) loses to another that took the
// same number at the same moment (PostgreSQL runs them side by side) and,
// run again, sees that row and takes the next number. Inside a caller's
// transaction, which the violation has aborted, fn runs once and the
// error goes back to the caller. The last error is returned as it is.
func (db *DB) WithTxRetry(ctx context.Context, tries int, fn func(ctx context.Context) error) error {
	for try := 1; ; try++ {
		err := db.WithTx(ctx, fn)
		if !IsUniqueViolation(err) || InTx(ctx) || try >= tries {
			return err
		}
	}
}

// InTx reports whether ctx carries a transaction.
func InTx(ctx context.Context) bool {
	_, ok := ctx.Value(txKey{}).(*Tx)
	return ok
}

// Rebind turns "?" placeholders into "$1, $2 …" for PostgreSQL. Question
// marks inside single-quoted literals are left alone.
func (db *DB) Rebind(q string) string { return rebind(db.dialect, q) }

func rebind(d Dialect, q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	inQuote := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Exec runs a statement in the context's transaction or on the writer.
func (db *DB) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q = db.Rebind(q)
	if tx, ok := ctx.Value(txKey{}).(*Tx); ok {
		return tx.tx.ExecContext(ctx, q, args...)
	}
	return db.write.ExecContext(ctx, q, args...)
}

// Query runs a query in the context's transaction or on the read pool.
func (db *DB) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q = db.Rebind(q)
	if tx, ok := ctx.Value(txKey{}).(*Tx); ok {
		return tx.tx.QueryContext(ctx, q, args...)
	}
	if st := db.stmts.stmt(ctx, db.read, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return db.read.QueryContext(ctx, q, args...)
}

// QueryRow runs a single-row query in the context's transaction or on the read pool.
func (db *DB) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	q = db.Rebind(q)
	if tx, ok := ctx.Value(txKey{}).(*Tx); ok {
		return tx.tx.QueryRowContext(ctx, q, args...)
	}
	if st := db.stmts.stmt(ctx, db.read, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return db.read.QueryRowContext(ctx, q, args...)
}

// QueryRowWrite is QueryRow on the writer: for INSERT … RETURNING outside a
// transaction, or reads that must see the latest write.
func (db *DB) QueryRowWrite(ctx context.Context, q string, args ...any) *sql.Row {
	q = db.Rebind(q)
	if tx, ok := ctx.Value(txKey{}).(*Tx); ok {
		return tx.tx.QueryRowContext(ctx, q, args...)
	}
	return db.write.QueryRowContext(ctx, q, args...)
}

// Prepare prepares a statement in the context's transaction (required).
func (db *DB) Prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	tx, ok := ctx.Value(txKey{}).(*Tx)
	if !ok {
		return nil, errors.New("database.Prepare: no transaction in context")
	}
	return tx.tx.PrepareContext(ctx, db.Rebind(q))
}

// LockRow locks row id of table until the transaction in ctx (required)
// ends. A transaction that reads a row's state, changes it in Go and
// writes it back takes the lock before it reads: on PostgreSQL two such
// transactions at once would otherwise both start from the same old state
// and the later write would undo the other's (SQLite has one writer, so
// the lock only starts the write there). table is a name from the
// caller's code, never input. ErrNotFound when the row does not exist.
func (db *DB) LockRow(ctx context.Context, table string, id int64) error {
	if !InTx(ctx) {
		return errors.New("database.LockRow: no transaction in context")
	}
	if !identifier(table) {
		return fmt.Errorf("database.LockRow: bad table name %q", table)
	}
	res, err := db.Exec(ctx, "UPDATE "+table+" SET id = id WHERE id = ?", id)
	if err != nil {
		return fmt.Errorf("database.LockRow %s: %w", table, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("database.LockRow %s %d: %w", table, id, ErrNotFound)
	}
	return nil
}

// identifier reports whether s is a plain SQL name (letters, digits, _).
func identifier(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// InsertID runs an INSERT … RETURNING id and returns the id.
func (db *DB) InsertID(ctx context.Context, q string, args ...any) (int64, error) {
	var id int64
	if err := db.QueryRowWrite(ctx, q+" RETURNING id", args...).Scan(&id); err != nil {
		return 0, err
	}
	return id, nil
}

// InsertRows inserts rows into table's columns; args holds the rows' values
// one row after another. It must run in a transaction. On SQLite one
// single-row statement is prepared and run for each row: a multi-row
// statement is parsed afresh every time, and for a few hundred rows the
// parsing cost more than the inserting. On PostgreSQL all the rows go in
// one statement whose text does not depend on their number (each column's
// values as one array, unnested): a multi-row VALUES list was a new
// statement for every batch size, prepared and planned afresh on each
// connection, a round trip and a plan of thousands of parameters each time.
func (db *DB) InsertRows(ctx context.Context, table string, columns []string, args []any) error {
	return db.InsertRowsAnd(ctx, table, columns, args, "")
}

// InsertRowsAnd is InsertRows followed by the data-modifying statement
// then (an UPDATE, say) with its own arguments: on PostgreSQL in the same
// statement, so both cost one round trip; on SQLite one after the other.
// then runs even when there are no rows, and must not depend on them (on
// PostgreSQL it does not see them).
func (db *DB) InsertRowsAnd(ctx context.Context, table string, columns []string, args []any, then string, thenArgs ...any) error {
	n := len(columns)
	if n == 0 || len(args)%n != 0 {
		return fmt.Errorf("database.InsertRows %s: %d values for %d columns", table, len(args), n)
	}
	if db.dialect == Postgres && len(args) > 0 {
		return db.insertArrays(ctx, table, columns, args, then, thenArgs)
	}
	if len(args) > 0 {
		st, err := db.Prepare(ctx, "INSERT INTO "+table+" ("+strings.Join(columns, ", ")+") VALUES ("+Placeholders(n)+")")
		if err != nil {
			return fmt.Errorf("database.InsertRows %s: %w", table, err)
		}
		defer st.Close()
		for i := 0; i < len(args); i += n {
			if _, err := st.ExecContext(ctx, args[i:i+n]...); err != nil {
				return fmt.Errorf("database.InsertRows %s: %w", table, err)
			}
		}
	}
	if then != "" {
		if _, err := db.Exec(ctx, then, thenArgs...); err != nil {
			return fmt.Errorf("database.InsertRows %s: %w", table, err)
		}
	}
	return nil
}

// IDSet runs q, whose rows hold one id each, and returns the ids.
func (db *DB) IDSet(ctx context.Context, q string, args ...any) (map[int64]bool, error) {
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// InIDs is the condition "col is one of ids" and its arguments: an IN list
// on SQLite, "= ANY" of one array on PostgreSQL, whose statement text then
// does not change with the number of ids (a new text is a new prepared
// statement on every connection).
func (db *DB) InIDs(col string, ids []int64) (string, []any) {
	if db.dialect == Postgres {
		return col + " = ANY(?)", []any{ids}
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return col + " IN (" + Placeholders(len(ids)) + ")", args
}

// Placeholders returns "?, ?, …" with n marks, for IN lists and multi-row inserts.
func Placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// IsUniqueViolation reports whether err is a unique-constraint violation on either dialect.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505") || strings.Contains(s, "duplicate key value")
}

// ErrNotFound is returned (wrapped) when a looked-up row does not exist.
var ErrNotFound = errors.New("見つかりません")

// NotFound maps sql.ErrNoRows to ErrNotFound with the operation's name;
// a nil error stays nil.
func NotFound(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", op, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Ints runs a query of one integer column and returns its values in order
// (the years that have rows, the ids of a parent's children).
func (db *DB) Ints(ctx context.Context, q string, args ...any) ([]int64, error) {
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
