package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"mamori/internal/database"
)

// SettingsTTL is how long a setting read on the signed-in request path
// (today: whether privileged users must use a second factor) is served
// from memory. A change through this Service is seen at once; another
// instance on the same PostgreSQL sees it within the TTL.
const SettingsTTL = 30 * time.Second

// settingsCache keeps settings that every signed-in request would read.
// The settings table is shared with org, whose own reads stay plain (its
// page-header copy has its own TTL; two caches on top of each other would
// add their TTLs up).
type settingsCache struct {
	mu    sync.Mutex
	gen   uint64 // bumped by forget; a read started before is not kept
	m     map[string]cachedSetting
	dirty map[string]time.Time // written inside a transaction: not kept until then
}

type cachedSetting struct {
	value    string
	from, to time.Time // by the service clock
}

// cachedSetting returns a setting, from memory when it was read less than
// SettingsTTL ago. Reads inside a transaction go to the database and are
// not kept: they may see a write that is rolled back.
func (s *Service) cachedSetting(ctx context.Context, key string) (string, error) {
	if database.InTx(ctx) {
		return s.setting(ctx, key)
	}
	c := &s.settings
	now := s.now()
	c.mu.Lock()
	if e, ok := c.m[key]; ok && !now.Before(e.from) && now.Before(e.to) {
		c.mu.Unlock()
		return e.value, nil
	}
	gen := c.gen
	c.mu.Unlock()
	v, err := s.setting(ctx, key)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if until, ok := c.dirty[key]; ok {
		if now.Before(until) {
			return v, nil
		}
		delete(c.dirty, key)
	}
	if c.gen == gen {
		if c.m == nil {
			c.m = map[string]cachedSetting{}
		}
		c.m[key] = cachedSetting{value: v, from: now, to: now.Add(SettingsTTL)}
	}
	return v, nil
}

// forgetSetting drops the cached copy of key after a write. A write inside
// a transaction commits later: until then another request would read and
// keep the old value, so the key is not kept for a TTL, or until
// forgetSetting is called again outside the transaction once it committed.
func (s *Service) forgetSetting(ctx context.Context, key string) {
	c := &s.settings
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, key)
	if !database.InTx(ctx) {
		delete(c.dirty, key)
		return
	}
	if c.dirty == nil {
		c.dirty = map[string]time.Time{}
	}
	c.dirty[key] = s.now().Add(SettingsTTL)
}

// setting reads a ward-editable setting, "" when unset.
func (s *Service) setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("auth.setting: %w", err)
	}
	return v, nil
}

// setSetting stores a setting and drops its cached copy (the caller
// records the audit entry).
func (s *Service) setSetting(ctx context.Context, key, value string) error {
	_, err := s.db.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, database.T(s.now()))
	if err != nil {
		return fmt.Errorf("auth.setSetting: %w", err)
	}
	s.forgetSetting(ctx, key)
	return nil
}
