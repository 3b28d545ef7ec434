package org

import (
	"context"
	"fmt"
	"strings"

	"mamori/internal/database"
)

// Contact is a person to write to.
type Contact struct {
	Name, Email string
}

// headTitles are the roster's titles of a department's head (所属長).
var headTitles = []string{"部長", "課長", "室長", "所長", "館長", "係長", "センター長", "事務局長", "会計管理者"}

// Heads implements Reader: the department's active 所属長 (auditee)
// accounts linked to a person with an address in the roster; when there
// is none (the department signs in with an office account), the people of
// the department who hold a head's title in the roster.
func (s *Service) Heads(ctx context.Context, dept int64) ([]Contact, error) {
	out, err := s.contacts(ctx, `SELECT st.name, st.email FROM users u JOIN staff st ON st.id = u.staff_id
		WHERE u.department_id = ? AND u.role = 'auditee' AND u.disabled = FALSE AND st.email <> '' ORDER BY u.id`, dept)
	if err != nil || len(out) > 0 {
		return out, err
	}
	args := []any{dept}
	for _, t := range headTitles {
		args = append(args, t)
	}
	return s.contacts(ctx, `SELECT name, email FROM staff WHERE department_id = ? AND active = TRUE AND email <> '' AND job_title IN (`+
		database.Placeholders(len(headTitles))+`) ORDER BY id`, args...)
}

func (s *Service) contacts(ctx context.Context, q string, args ...any) ([]Contact, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("org.Heads: %w", err)
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		var c Contact
		if err := rows.Scan(&c.Name, &c.Email); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SecurityOffice implements Reader.
func (s *Service) SecurityOffice(ctx context.Context) (Contact, bool, error) {
	c, err := s.CSIRT(ctx)
	if err != nil {
		return Contact{}, false, err
	}
	name := c.Name
	if name == "" {
		name = "情報セキュリティ担当"
	}
	return Contact{Name: name, Email: c.Mail}, strings.Contains(c.Mail, "@"), nil
}
