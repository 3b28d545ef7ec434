package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"mamori/internal/database"
)

// Setting returns a ward-editable setting, "" when unset.
func (s *Service) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("org.Setting: %w", err)
	}
	return v, nil
}

// SetSetting stores a setting (the caller records the audit entry).
func (s *Service) SetSetting(ctx context.Context, key, value string) error {
	_, err := s.db.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, database.T(s.now()))
	if err != nil {
		return fmt.Errorf("org.SetSetting: %w", err)
	}
	s.InvalidateSiteInfo()
	return nil
}
