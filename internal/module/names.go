package module

import (
	"context"
	"fmt"
	"sync"

	"mamori/internal/database"
)

// Named is an object as the audit log shows it: its name and its page.
type Named struct{ Name, Link string }

// NameFunc looks up the names of objects of one audit-log target kind
// (the KIND of KIND:ID targets); ids missing from the result are objects
// that no longer exist.
type NameFunc func(ctx context.Context, ids []int64) (map[int64]Named, error)

// Names is one app's registry of name look-ups: a module registers the
// target kinds it writes to the audit log, so that the audit-log screens
// name its objects without reading its tables.
type Names struct {
	mu sync.RWMutex
	m  map[string]NameFunc
}

// Register sets the look-up of a target kind. A nil registry ignores it
// (modules built without services, for listing sub-commands).
func (n *Names) Register(kind string, fn NameFunc) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m == nil {
		n.m = map[string]NameFunc{}
	}
	n.m[kind] = fn
}

// Lookup returns the look-up of a target kind, if a module registered one.
func (n *Names) Lookup(kind string) (NameFunc, bool) {
	if n == nil {
		return nil, false
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	fn, ok := n.m[kind]
	return fn, ok
}

// SQLNames is the usual look-up: query selects four columns — the id, a
// number the link needs (the parent's id, or the id again) and two texts —
// for the ids in its one %s (an IN list), and name makes the entry.
func SQLNames(db *database.DB, query string, name func(id, ref int64, a, b string) Named) NameFunc {
	return func(ctx context.Context, ids []int64) (map[int64]Named, error) {
		out := map[int64]Named{}
		if len(ids) == 0 {
			return out, nil
		}
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		rows, err := db.Query(ctx, fmt.Sprintf(query, database.Placeholders(len(ids))), args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var id, ref int64
			var a, b string
			if err := rows.Scan(&id, &ref, &a, &b); err != nil {
				return nil, err
			}
			out[id] = name(id, ref, a, b)
		}
		return out, rows.Err()
	}
}
