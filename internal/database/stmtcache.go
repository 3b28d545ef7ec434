package database

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStatements bounds the read pool's statement cache: queries built
// with a varying text (IN lists, LIMIT values) beyond it are simply run
// without a prepared statement.
const maxCachedStatements = 512

// stmtCache keeps the read pool's queries prepared, so that the pages every
// user opens do not have their SQL parsed again on each request (on SQLite
// that parse was a tenth to a quarter of a small page's cost).
type stmtCache struct {
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

// stmt returns a prepared statement for q on pool, or nil when the cache is
// full or the statement cannot be prepared (the caller then runs q as is,
// and any error in q surfaces there).
func (c *stmtCache) stmt(ctx context.Context, pool *sql.DB, q string) *sql.Stmt {
	c.mu.RLock()
	st := c.stmts[q]
	n := len(c.stmts)
	c.mu.RUnlock()
	if st != nil || n >= maxCachedStatements {
		return st
	}
	st, err := pool.PrepareContext(context.WithoutCancel(ctx), q)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.stmts[q]; old != nil {
		st.Close()
		return old
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[q] = st
	return st
}

// close closes every cached statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = nil
}
