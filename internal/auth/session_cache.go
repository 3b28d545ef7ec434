package auth

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"mamori/internal/database"
	"mamori/internal/web"
)

// Every signed-in request resolves its cookie to a session. Read from the
// database each time, that lookup cost more than the rest of a small page,
// so sessions are kept in memory between requests, under two rules that
// keep a revocation as strong as a database read:
//
//   - Whatever ends a session or changes who its account is (logout, the
//     end of an account's sessions on a change of role, department,
//     password or state, the second factor, a directory login that changes
//     the account) drops the kept copy here at once and moves the counter
//     in auth_epoch, in the same transaction as the change.
//   - A kept copy is used only while the counter has been read in the last
//     SessionRecheck and has not moved since the copy was read. Another
//     instance on the same PostgreSQL, or a sub-command on the same SQLite
//     file, that ends a session is therefore seen within SessionRecheck;
//     and no copy is older than SessionKeep, whatever happened.
//
// The idle and absolute timeouts are checked on every request as before,
// and last-seen is still written at most once a minute.
const (
	SessionRecheck = 200 * time.Millisecond
	SessionKeep    = 30 * time.Second
	maxKeptSession = 20000
)

type sessionCache struct {
	mu      sync.RWMutex
	m       map[string]*keptSession
	epoch   atomic.Int64 // auth_epoch.n when last read
	checked atomic.Int64 // when it was read (monotonic ns since start)
	reading atomic.Bool  // a request is reading it
	start   time.Time
}

type keptSession struct {
	user        web.User
	csrf        string
	totpEnabled bool
	disabled    bool
	lastSeen    time.Time
	expires     time.Time
	epoch       int64
	read        int64 // monotonic ns since start
}

func (c *sessionCache) since() int64 { return int64(time.Since(c.start)) }

// current reads the counter when it is older than SessionRecheck and
// reports whether kept copies may be used and the counter they must carry.
// One request reads at a time; the others go on with the last reading
// while it is fresh enough, and to the database when it is not.
func (s *Service) currentEpoch(ctx context.Context) (int64, bool) {
	c := &s.sessions
	if c.since()-c.checked.Load() < int64(SessionRecheck) {
		return c.epoch.Load(), true
	}
	if !c.reading.CompareAndSwap(false, true) {
		return c.epoch.Load(), c.since()-c.checked.Load() < int64(4*SessionRecheck)
	}
	defer c.reading.Store(false)
	at := c.since()
	var n int64
	if err := s.db.QueryRow(ctx, "SELECT n FROM auth_epoch WHERE id = 1").Scan(&n); err != nil {
		return 0, false
	}
	if n != c.epoch.Load() {
		c.mu.Lock()
		c.m = nil
		c.epoch.Store(n)
		c.mu.Unlock()
	}
	c.checked.Store(at)
	return n, true
}

// kept returns the copy of session h when it may be used.
func (s *Service) kept(ctx context.Context, h string) (*keptSession, int64, bool) {
	if database.InTx(ctx) {
		return nil, 0, false
	}
	epoch, ok := s.currentEpoch(ctx)
	if !ok {
		return nil, 0, false
	}
	c := &s.sessions
	c.mu.RLock()
	e := c.m[h]
	c.mu.RUnlock()
	if e == nil || e.epoch != epoch || c.since()-e.read > int64(SessionKeep) {
		return nil, epoch, true
	}
	return e, epoch, true
}

// keep stores a session read from the database with the counter read
// before it.
func (s *Service) keep(h string, e *keptSession) {
	c := &s.sessions
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch.Load() != e.epoch {
		return
	}
	if c.m == nil || len(c.m) >= maxKeptSession {
		c.m = map[string]*keptSession{}
	}
	c.m[h] = e
}

// seen records a refreshed last-seen time in the kept copy.
func (s *Service) seen(h string, t time.Time) {
	c := &s.sessions
	c.mu.Lock()
	if e := c.m[h]; e != nil {
		cp := *e
		cp.lastSeen = t
		c.m[h] = &cp
	}
	c.mu.Unlock()
}

// forgetSessions drops kept copies: the session h, or when uid is not 0
// every session of that account.
func (s *Service) forgetSessions(h string, uid int64) {
	c := &s.sessions
	c.mu.Lock()
	defer c.mu.Unlock()
	if h != "" {
		delete(c.m, h)
	}
	if uid != 0 {
		for k, e := range c.m {
			if e.user.ID == uid {
				delete(c.m, k)
			}
		}
	}
}

// revoked drops the kept copies of session h or account uid here and
// moves the counter, so that every instance drops its copies too. Call it
// in the transaction of the change.
func (s *Service) revoked(ctx context.Context, h string, uid int64) error {
	s.forgetSessions(h, uid)
	if _, err := s.db.Exec(ctx, "UPDATE auth_epoch SET n = n + 1 WHERE id = 1"); err != nil {
		return fmt.Errorf("auth: session counter: %w", err)
	}
	return nil
}

// AccountChanged is called by whoever changes an account's name, role,
// department or state outside this package (in its transaction): the
// account's signed-in requests see the change at once here, and within
// SessionRecheck on every other instance.
func (s *Service) AccountChanged(ctx context.Context, uid int64) error {
	return s.revoked(ctx, "", uid)
}
