// Package org holds the organisation Mamori serves: fiscal years, the
// department tree, staff, users and roles, login and sessions.
package org

import (
	"log/slog"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
)

// Config is what org needs from the deployment configuration.
type Config struct {
	WardName       string
	IdleTimeout    time.Duration
	AbsoluteTimout time.Duration
	Argon          ArgonParams
	SecureCookies  bool
}

// Service is the organisation feature: its store, handlers and templates.
type Service struct {
	db       *database.DB
	log      *auditlog.Log
	cfg      Config
	now      func() time.Time
	slog     *slog.Logger
	imp      ImportDeps
	site     siteInfo      // the page header's facts, cached (siteinfo.go)
	settings settingsCache // settings read on every signed-in request (settings_cache.go)
}

// New returns the service.
func New(db *database.DB, log *auditlog.Log, cfg Config, now func() time.Time, sl *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.AbsoluteTimout == 0 {
		cfg.AbsoluteTimout = 12 * time.Hour
	}
	if cfg.Argon.Memory == 0 {
		cfg.Argon = DefaultArgon
	}
	if sl == nil {
		sl = slog.Default()
	}
	return &Service{db: db, log: log, cfg: cfg, now: now, slog: sl}
}

// DB returns the database (for sub-commands built on org).
func (s *Service) DB() *database.DB { return s.db }

// AuditLog returns the audit log.
func (s *Service) AuditLog() *auditlog.Log { return s.log }

// Now returns the service clock's time.
func (s *Service) Now() time.Time { return s.now() }
