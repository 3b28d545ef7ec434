// Package auth is how people get into Mamori: password login with
// throttling, sessions (it implements web.Auth), the second factor (TOTP),
// argon2id password hashes and the account pages where users change their
// own password and second factor. It owns the sessions and login_throttle
// tables and the login columns of users (password hash, TOTP secret and
// state, last login); the organisation (package org) owns the accounts
// themselves and uses this package to hash passwords and end sessions.
package auth

import (
	"context"
	"log/slog"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/auth/directory"
	"mamori/internal/database"
)

// Config is what auth needs from the deployment configuration.
type Config struct {
	IdleTimeout     time.Duration // a session unused this long ends (default 30 minutes)
	AbsoluteTimeout time.Duration // a session ends this long after login whatever happens (default 12 hours)
	Argon           ArgonParams   // zero: DefaultArgon
	SecureCookies   bool          // always mark the session cookie Secure (TLS served by Mamori itself)
	// Directory, when set, authenticates everyone without a local
	// password (Active Directory / LDAP).
	Directory Directory
}

// Directory is the ward's directory (directory.Directory).
type Directory interface {
	Authenticate(ctx context.Context, login, password string) (directory.User, error)
}

// Service is login, sessions and the second factor: its store, handlers
// and templates.
type Service struct {
	db       *database.DB
	log      *auditlog.Log
	cfg      Config
	now      func() time.Time
	slog     *slog.Logger
	settings settingsCache // settings read on every signed-in request (settings_cache.go)
	sessions sessionCache  // sessions kept between requests (session_cache.go)
}

// New returns the service.
func New(db *database.DB, log *auditlog.Log, cfg Config, now func() time.Time, sl *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.AbsoluteTimeout == 0 {
		cfg.AbsoluteTimeout = 12 * time.Hour
	}
	if cfg.Argon.Memory == 0 {
		cfg.Argon = DefaultArgon
	}
	if sl == nil {
		sl = slog.Default()
	}
	return &Service{db: db, log: log, cfg: cfg, now: now, slog: sl, sessions: sessionCache{start: time.Now()}}
}
