package database

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// insertArrays is InsertRows on PostgreSQL:
//
//	INSERT INTO t (a, b) SELECT * FROM unnest($1::text[]::bigint[], $2::text[])
//
// Every column's values travel as one text array (NULL for nil) cast to
// the column's own type, so the statement is the same for any number of
// rows and stays prepared on each connection. A non-empty then is a
// data-modifying statement run with it, in the same statement:
// WITH ins AS (INSERT …) then.
func (db *DB) insertArrays(ctx context.Context, table string, columns []string, args []any, then string, thenArgs []any) error {
	q, err := db.arrayInsert(ctx, table, columns)
	if err != nil {
		return fmt.Errorf("database.InsertRows %s: %w", table, err)
	}
	n := len(columns)
	cols := make([]any, n, n+len(thenArgs))
	for c := range n {
		vals := make([]*string, 0, len(args)/n)
		for i := c; i < len(args); i += n {
			v, err := pgText(args[i])
			if err != nil {
				return fmt.Errorf("database.InsertRows %s.%s: %w", table, columns[c], err)
			}
			vals = append(vals, v)
		}
		cols[c] = vals
	}
	if then != "" {
		q = "WITH inserted AS (" + q + ") " + then
		cols = append(cols, thenArgs...)
	}
	if _, err := db.Exec(ctx, q, cols...); err != nil {
		return fmt.Errorf("database.InsertRows %s: %w", table, err)
	}
	return nil
}

// arrayInsert returns insertArrays' statement for table's columns, built
// from the column types the server reports and kept for the life of db.
func (db *DB) arrayInsert(ctx context.Context, table string, columns []string) (string, error) {
	key := table + "(" + strings.Join(columns, ",") + ")"
	if q, ok := db.arrayInserts.Load(key); ok {
		return q.(string), nil
	}
	rows, err := db.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
		WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped`, table)
	if err != nil {
		return "", err
	}
	types := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			rows.Close()
			return "", err
		}
		types[name] = typ
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	arrays := make([]string, len(columns))
	for i, c := range columns {
		typ, ok := types[c]
		if !ok {
			return "", fmt.Errorf("no column %q", c)
		}
		arrays[i] = "?::text[]"
		if typ != "text" {
			arrays[i] += "::" + typ + "[]"
		}
	}
	q := "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") SELECT * FROM unnest(" + strings.Join(arrays, ", ") + ")"
	db.arrayInserts.Store(key, q)
	return q, nil
}

// pgText is v in PostgreSQL's text input form, nil for NULL.
func pgText(v any) (*string, error) {
	if dv, ok := v.(driver.Valuer); ok {
		var err error
		if v, err = dv.Value(); err != nil {
			return nil, err
		}
	}
	var s string
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		s = v
	case int:
		s = strconv.Itoa(v)
	case int64:
		s = strconv.FormatInt(v, 10)
	case int32:
		s = strconv.FormatInt(int64(v), 10)
	case bool:
		s = strconv.FormatBool(v)
	case float64:
		s = strconv.FormatFloat(v, 'g', -1, 64)
	case time.Time:
		s = FormatTime(v)
	default:
		return nil, fmt.Errorf("値の型 %T は一括挿入できません", v)
	}
	return &s, nil
}
