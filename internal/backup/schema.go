package backup

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"mamori/internal/database"
)

// schema is the target database's tables and their columns, read from the
// database itself; a backup file's names are used in SQL only after they
// are found here.
type schema map[string]map[string]bool

func readSchema(ctx context.Context, db *database.DB) (schema, error) {
	q := `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`
	if db.Dialect() == database.Postgres {
		q = "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
	}
	rows, err := db.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("backup: schema: %w", err)
	}
	defer rows.Close()
	s := schema{}
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return nil, fmt.Errorf("backup: schema: %w", err)
		}
		if s[t] == nil {
			s[t] = map[string]bool{}
		}
		s[t][c] = true
	}
	return s, rows.Err()
}

// ident quotes a name that is a table or column of the target schema.
func ident(name string) string { return `"` + name + `"` }

// archiveTables checks the table files and the manifest's table names of a
// backup against the tables a restore writes (tables, as they exist in the
// target schema), and each table file's columns against the target's
// columns. It returns the checked column lists by table; nothing unchecked
// reaches SQL.
func archiveTables(s schema, tables []string, m *Manifest, files map[string]*zip.File) (map[string][]string, error) {
	restorable := map[string]bool{}
	for _, t := range tables {
		if s[t] != nil {
			restorable[t] = true
		}
	}
	var unknown []string
	for name := range files {
		rest, ok := strings.CutPrefix(name, "tables/")
		if !ok {
			continue
		}
		t, ok := strings.CutSuffix(rest, ".jsonl")
		if !ok || !restorable[t] {
			unknown = append(unknown, name)
		}
	}
	for t := range m.Rows {
		if !restorable[t] && files["tables/"+t+".jsonl"] == nil {
			unknown = append(unknown, t)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("バックアップに、復元先のデータベースにない表が含まれています: %s。このファイルは復元できません", quoteList(unknown))
	}
	cols := map[string][]string{}
	for _, t := range tables {
		f := files["tables/"+t+".jsonl"]
		if f == nil {
			continue
		}
		header, err := readHeader(f)
		if err != nil {
			return nil, fmt.Errorf("表 %s の列名を読めません: %w", t, err)
		}
		var bad []string
		seen := map[string]bool{}
		for _, c := range header {
			if !s[t][c] || seen[c] {
				bad = append(bad, c)
			}
			seen[c] = true
		}
		if len(bad) > 0 || len(header) == 0 {
			return nil, fmt.Errorf("バックアップの表 %s に、復元先のデータベースにない（または重複した）列があります: %s。このファイルは復元できません", t, quoteList(bad))
		}
		cols[t] = header
	}
	return cols, nil
}

// readHeader reads the column names on the first line of a table file.
func readHeader(f *zip.File) ([]string, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var cols []string
	err = json.NewDecoder(bufio.NewReader(rc)).Decode(&cols)
	return cols, err
}

// quoteList names untrusted names safely (quoted, escaped), sorted, at
// most ten.
func quoteList(names []string) string {
	names = slices.Clone(names)
	sort.Strings(names)
	names = slices.Compact(names)
	var b strings.Builder
	for i, n := range names {
		if i == 10 {
			fmt.Fprintf(&b, " ほか %d 件", len(names)-10)
			break
		}
		if i > 0 {
			b.WriteString("、")
		}
		if r := []rune(n); len(r) > 80 {
			n = string(r[:80]) + "…"
		}
		fmt.Fprintf(&b, "%q", n)
	}
	return b.String()
}
