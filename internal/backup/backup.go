// Package backup writes the whole of Mamori's data (database rows and
// stored files) to one ZIP file and restores it into an empty database of
// either dialect, so a ward can back up, move from SQLite to PostgreSQL, or
// rebuild a server.
package backup

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"mamori/internal/database"
)

// A deployment's tables are backed up in the order Leading, then each
// module's own tables in the app's module order (module.Tabler), then
// Trailing, and restored in the same order (parents before children).
// Skipped tables hold nothing worth restoring: sessions and login
// throttling must not survive a restore, and the schedules' state is
// rebuilt by the instance that restores.
var (
	Leading  = []string{"blobs", "jobs"}
	Trailing = []string{"audit_log", "audit_head"}
	Skipped  = []string{"schema_migrations", "sessions", "login_throttle", "job_schedules", "auth_epoch"}
)

// Order is the backup order of the modules' tables between Leading and
// Trailing.
func Order(modules ...[]string) []string {
	out := append([]string{}, Leading...)
	for _, m := range modules {
		out = append(out, m...)
	}
	return append(out, Trailing...)
}

// Manifest describes a backup file.
type Manifest struct {
	Format    int            `json:"format"`
	CreatedAt string         `json:"created_at"`
	Schema    int            `json:"schema_version"`
	Dialect   string         `json:"dialect"`
	Rows      map[string]int `json:"rows"`
	Files     int            `json:"files"`
}

func schemaVersion(ctx context.Context, db *database.DB) (int, error) {
	var v int
	err := db.QueryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v)
	return v, err
}

// Write dumps every table and the files under dataDir/blobs into w.
func Write(ctx context.Context, db *database.DB, tables []string, dataDir string, w io.Writer, now time.Time) (*Manifest, error) {
	v, err := schemaVersion(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("backup.Write: %w", err)
	}
	m := &Manifest{Format: 1, CreatedAt: now.UTC().Format(time.RFC3339), Schema: v, Dialect: string(db.Dialect()), Rows: map[string]int{}}
	zw := zip.NewWriter(w)
	// One transaction gives a consistent snapshot of every table: SQLite's
	// holds the writers back; PostgreSQL's must be REPEATABLE READ, since
	// under its default each statement sees the data of its own moment.
	err = db.WithTx(ctx, func(ctx context.Context) error {
		if db.Dialect() == database.Postgres {
			if _, err := db.Exec(ctx, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"); err != nil {
				return err
			}
		}
		for _, t := range tables {
			f, err := zw.Create("tables/" + t + ".jsonl")
			if err != nil {
				return err
			}
			n, err := dumpTable(ctx, db, t, f)
			if err != nil {
				return fmt.Errorf("%s: %w", t, err)
			}
			m.Rows[t] = n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("backup.Write: %w", err)
	}
	root := filepath.Join(dataDir, "blobs")
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if errors.Is(err, os.ErrNotExist) {
			return filepath.SkipAll
		}
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".tmp") {
			return err
		}
		rel, _ := filepath.Rel(dataDir, p)
		f, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(f, src)
		m.Files++
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("backup.Write: files: %w", err)
	}
	mf, err := zw.Create("manifest.json")
	if err != nil {
		return nil, err
	}
	if err := json.NewEncoder(mf).Encode(m); err != nil {
		return nil, err
	}
	return m, zw.Close()
}

func dumpTable(ctx context.Context, db *database.DB, table string, w io.Writer) (int, error) {
	rows, err := db.Query(ctx, "SELECT * FROM "+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	enc := json.NewEncoder(w)
	if err := enc.Encode(cols); err != nil {
		return 0, err
	}
	n := 0
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		out := make([]any, len(cols))
		for i, v := range vals {
			switch x := v.(type) {
			case []byte:
				out[i] = map[string]string{"b64": base64.StdEncoding.EncodeToString(x)}
			case time.Time:
				out[i] = database.FormatTime(x)
			default:
				out[i] = x
			}
		}
		if err := enc.Encode(out); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// ErrNotEmpty refuses a restore over existing data.
var ErrNotEmpty = errors.New("復元先のデータベースに既にデータがあります。空のデータベース（新しい --data か --db）を指定してください")

// Restore loads a backup into an empty, migrated database and puts its
// files under dataDir. Everything is one transaction.
func Restore(ctx context.Context, db *database.DB, tables []string, dataDir string, r io.ReaderAt, size int64) (*Manifest, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("バックアップファイルを読み込めません（ZIP 形式ではありません）: %w", err)
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	mf, ok := files["manifest.json"]
	if !ok {
		return nil, errors.New("Mamori のバックアップファイルではありません（manifest.json がありません）")
	}
	var m Manifest
	if err := readJSON(mf, &m); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	v, err := schemaVersion(ctx, db)
	if err != nil {
		return nil, err
	}
	if m.Format != 1 || m.Schema > v {
		return nil, fmt.Errorf("このバックアップ（形式 %d、データベース構造 %d）はこのバージョンの Mamori（構造 %d）では復元できません", m.Format, m.Schema, v)
	}
	var n int
	if err := db.QueryRow(ctx, "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM departments) + (SELECT COUNT(*) FROM staff)").Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, ErrNotEmpty
	}
	// Every table and column name comes from the file: check them all
	// against the target's own schema before anything is written.
	sch, err := readSchema(ctx, db)
	if err != nil {
		return nil, err
	}
	cols, err := archiveTables(sch, tables, &m, files)
	if err != nil {
		return nil, err
	}
	err = db.WithTx(ctx, func(ctx context.Context) error {
		for i := len(tables) - 1; i >= 0; i-- {
			if _, err := db.Exec(ctx, "DELETE FROM "+ident(tables[i])); err != nil {
				return err
			}
		}
		for _, t := range tables {
			f, ok := files["tables/"+t+".jsonl"]
			if !ok {
				continue
			}
			if err := loadTable(ctx, db, t, cols[t], f); err != nil {
				return fmt.Errorf("%s: %w", t, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("復元に失敗しました。何も書き込んでいません: %w", err)
	}
	for name, f := range files {
		if !strings.HasPrefix(name, "blobs/") || strings.Contains(name, "..") {
			continue
		}
		dst := filepath.Join(dataDir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return nil, err
		}
		if err := copyOut(f, dst); err != nil {
			return nil, err
		}
	}
	return &m, nil
}

func readJSON(f *zip.File, v any) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return json.NewDecoder(rc).Decode(v)
}

func copyOut(f *zip.File, dst string) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, rc); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// columnClasses reads the target's column kinds so values convert to them.
func columnClasses(ctx context.Context, db *database.DB, table string) (map[string]string, error) {
	rows, err := db.Query(ctx, "SELECT * FROM "+table+" WHERE 1 = 0")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, ct := range types {
		t := strings.ToUpper(ct.DatabaseTypeName())
		switch {
		case strings.Contains(t, "BOOL"):
			out[ct.Name()] = "bool"
		case strings.Contains(t, "BLOB") || strings.Contains(t, "BYTEA"):
			out[ct.Name()] = "bytes"
		case strings.Contains(t, "INT"):
			out[ct.Name()] = "int"
		default:
			out[ct.Name()] = "text"
		}
	}
	return out, nil
}

// loadTable inserts a table file's rows; cols are its column names,
// already checked against the target schema.
func loadTable(ctx context.Context, db *database.DB, table string, cols []string, f *zip.File) error {
	classes, err := columnClasses(ctx, db, table)
	if err != nil {
		return err
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	dec := json.NewDecoder(bufio.NewReader(rc))
	dec.UseNumber()
	var header []string
	if err := dec.Decode(&header); err != nil {
		return err
	}
	if !slices.Equal(header, cols) {
		return fmt.Errorf("列名が確認したものと一致しません")
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = ident(c)
	}
	// A self-reference (the department tree) is filled in a second pass so
	// that row order does not matter.
	parent := -1
	for i, c := range cols {
		if c == "parent_id" {
			parent = i
		}
	}
	q := "INSERT INTO " + ident(table) + " (" + strings.Join(quoted, ", ") + ") VALUES (" + database.Placeholders(len(cols)) + ")"
	type link struct{ id, parent any }
	var links []link
	for line := 2; dec.More(); line++ {
		var raw []any
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("%d 行目: %w", line, err)
		}
		if len(raw) != len(cols) {
			return fmt.Errorf("%d 行目: 列の数が合いません", line)
		}
		args := make([]any, len(raw))
		for i, v := range raw {
			args[i] = convert(v, classes[cols[i]])
		}
		if parent >= 0 && args[parent] != nil {
			links = append(links, link{args[0], args[parent]})
			args[parent] = nil
		}
		if _, err := db.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("%d 行目: %w", line, err)
		}
	}
	for _, l := range links {
		if _, err := db.Exec(ctx, "UPDATE "+table+" SET parent_id = ? WHERE id = ?", l.parent, l.id); err != nil {
			return err
		}
	}
	if db.Dialect() == database.Postgres && classes["id"] == "int" {
		var seq *string
		if err := db.QueryRow(ctx, "SELECT pg_get_serial_sequence(?, 'id')", table).Scan(&seq); err != nil {
			return err
		}
		if seq != nil {
			if _, err := db.Exec(ctx, "SELECT setval(?, COALESCE((SELECT MAX(id) FROM "+table+"), 0) + 1, false)", *seq); err != nil {
				return err
			}
		}
	}
	return nil
}

func convert(v any, class string) any {
	switch x := v.(type) {
	case nil:
		return nil
	case map[string]any:
		if s, ok := x["b64"].(string); ok {
			b, _ := base64.StdEncoding.DecodeString(s)
			return b
		}
	case json.Number:
		switch class {
		case "bool":
			return x.String() != "0"
		case "text":
			return x.String()
		}
		if n, err := x.Int64(); err == nil {
			return n
		}
		return x.String()
	case bool:
		if class == "int" {
			if x {
				return int64(1)
			}
			return int64(0)
		}
		return x
	case string:
		if class == "bool" {
			return x == "1" || strings.EqualFold(x, "true")
		}
	}
	return v
}
