// Package org holds the organisation Mamori serves: fiscal years, the
// department tree, staff, and the user accounts with their roles. Login,
// sessions and the second factor are package auth, which org uses to hash
// passwords and to end an account's sessions.
package org

import (
	"log/slog"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/auth"
	"mamori/internal/database"
)

// Config is what org needs from the deployment: its settings and the
// login service it works with.
type Config struct {
	WardName string
	Argon    auth.ArgonParams // cost of the password hashes org makes (zero: auth.DefaultArgon)
	// Auth ends sessions and holds the second-factor setting; nil: a
	// service of its own over the same database (tests, sub-commands).
	Auth *auth.Service
}

// Service is the organisation feature: its store, handlers and templates.
type Service struct {
	db   *database.DB
	log  *auditlog.Log
	cfg  Config
	now  func() time.Time
	slog *slog.Logger
	auth *auth.Service
	imp  ImportDeps
	site siteInfo  // the page header's facts, cached (siteinfo.go)
	dept deptCache // the department tree, cached (departments.go)
}

// New returns the service.
func New(db *database.DB, log *auditlog.Log, cfg Config, now func() time.Time, sl *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if cfg.Argon.Memory == 0 {
		cfg.Argon = auth.DefaultArgon
	}
	if sl == nil {
		sl = slog.Default()
	}
	a := cfg.Auth
	if a == nil {
		a = auth.New(db, log, auth.Config{Argon: cfg.Argon}, now, sl)
	}
	return &Service{db: db, log: log, cfg: cfg, now: now, slog: sl, auth: a}
}

// DB returns the database (for sub-commands built on org).
func (s *Service) DB() *database.DB { return s.db }

// AuditLog returns the audit log.
func (s *Service) AuditLog() *auditlog.Log { return s.log }

// Now returns the service clock's time.
func (s *Service) Now() time.Time { return s.now() }
