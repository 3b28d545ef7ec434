package org

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"mamori/internal/auth"
	"mamori/internal/database"
	"mamori/internal/web"
)

// Account is a login account.
type Account struct {
	ID           int64
	Login        string
	DisplayName  string
	Role         web.Role
	DepartmentID int64
	Department   string // name, for lists
	StaffID      int64
	TOTPEnabled  bool
	Disabled     bool
	IsDemo       bool
	LastLogin    database.Time
	CreatedAt    database.Time
}

const accountCols = `u.id, u.login, u.display_name, u.role, COALESCE(u.department_id, 0), COALESCE(d.name, ''), COALESCE(u.staff_id, 0),
	u.totp_enabled, u.disabled, u.is_demo, u.last_login_at, u.created_at`

func scanAccount(s interface{ Scan(...any) error }) (Account, error) {
	var a Account
	var role string
	err := s.Scan(&a.ID, &a.Login, &a.DisplayName, &role, &a.DepartmentID, &a.Department, &a.StaffID,
		&a.TOTPEnabled, &a.Disabled, &a.IsDemo, &a.LastLogin, &a.CreatedAt)
	a.Role = web.Role(role)
	return a, err
}

// Accounts lists every account.
func (s *Service) Accounts(ctx context.Context) ([]Account, error) {
	rows, err := s.db.Query(ctx, "SELECT "+accountCols+" FROM users u LEFT JOIN departments d ON d.id = u.department_id ORDER BY u.disabled, u.role, u.login")
	if err != nil {
		return nil, fmt.Errorf("org.Accounts: %w", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("org.Accounts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Account returns one account by id.
func (s *Service) Account(ctx context.Context, id int64) (Account, error) {
	a, err := scanAccount(s.db.QueryRow(ctx, "SELECT "+accountCols+" FROM users u LEFT JOIN departments d ON d.id = u.department_id WHERE u.id = ?", id))
	if err != nil {
		return a, database.NotFound("org.Account", err)
	}
	return a, nil
}

// AccountByLogin returns one account by login name.
func (s *Service) AccountByLogin(ctx context.Context, login string) (Account, error) {
	a, err := scanAccount(s.db.QueryRow(ctx, "SELECT "+accountCols+" FROM users u LEFT JOIN departments d ON d.id = u.department_id WHERE u.login = ?", strings.ToLower(login)))
	if err != nil {
		return a, database.NotFound("org.AccountByLogin", err)
	}
	return a, nil
}

var loginRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{1,63}$`)

// AccountInput is what a form or a sub-command gives to create or edit an account.
type AccountInput struct {
	Login        string
	DisplayName  string
	Role         web.Role
	DepartmentID int64
	Password     string // create: required; edit: empty keeps the current one
}

// FieldErrors maps a form field name to a Japanese message.
type FieldErrors map[string]string

func (fe FieldErrors) Error() string {
	var parts []string
	for _, v := range fe {
		parts = append(parts, v)
	}
	return strings.Join(parts, " ")
}

func (s *Service) validateAccount(ctx context.Context, in *AccountInput, creating bool) FieldErrors {
	fe := FieldErrors{}
	in.Login = strings.ToLower(strings.TrimSpace(in.Login))
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if creating && !loginRe.MatchString(in.Login) {
		fe["login"] = "ログインIDは半角英小文字・数字・記号（. _ @ -）の 2〜64 文字で、英数字で始めてください。"
	}
	if in.DisplayName == "" {
		fe["display_name"] = "表示名を入力してください。"
	} else if utf8.RuneCountInString(in.DisplayName) > 60 {
		fe["display_name"] = "表示名は 60 文字以内にしてください。"
	}
	if !in.Role.Valid() {
		fe["role"] = "役割を選んでください。"
	}
	if in.Role == web.RoleAuditee && in.DepartmentID == 0 {
		fe["department_id"] = "被監査所属の利用者には所属を指定してください。"
	}
	if in.DepartmentID != 0 {
		if _, err := s.Department(ctx, in.DepartmentID); err != nil {
			fe["department_id"] = "指定された所属が見つかりません。"
		}
	}
	if creating || in.Password != "" {
		if msg := auth.ValidatePassword(in.Password, in.Login); msg != "" {
			fe["password"] = msg
		}
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// CreateAccount creates an account after validating it.
func (s *Service) CreateAccount(ctx context.Context, in AccountInput) (int64, error) {
	if fe := s.validateAccount(ctx, &in, true); fe != nil {
		return 0, fe
	}
	return s.insertAccount(ctx, in, auth.HashPassword(in.Password, s.cfg.Argon), false)
}

func (s *Service) insertAccount(ctx context.Context, in AccountInput, hash string, demo bool) (int64, error) {
	var id int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		now := database.T(s.now())
		var err error
		id, err = s.db.InsertID(ctx, `INSERT INTO users (login, display_name, role, department_id, password_hash, is_demo, password_changed_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, in.Login, in.DisplayName, string(in.Role), nullID(in.DepartmentID), hash, demo, now, now, now)
		if database.IsUniqueViolation(err) {
			return FieldErrors{"login": "このログインIDは既に使われています。"}
		}
		if err != nil {
			return err
		}
		return s.log.Record(ctx, "user.create", fmt.Sprintf("user:%d", id), fmt.Sprintf("ログインID %s, 役割 %s", in.Login, in.Role.Label()))
	})
	if err != nil {
		return 0, fmt.Errorf("org.CreateAccount: %w", err)
	}
	return id, nil
}

// UpdateAccount changes an account's name, role, department and (optionally) password.
func (s *Service) UpdateAccount(ctx context.Context, id int64, in AccountInput) error {
	cur, err := s.Account(ctx, id)
	if err != nil {
		return err
	}
	in.Login = cur.Login
	if fe := s.validateAccount(ctx, &in, false); fe != nil {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		now := database.T(s.now())
		if _, err := s.db.Exec(ctx, "UPDATE users SET display_name = ?, role = ?, department_id = ?, updated_at = ? WHERE id = ?",
			in.DisplayName, string(in.Role), nullID(in.DepartmentID), now, id); err != nil {
			return fmt.Errorf("org.UpdateAccount: %w", err)
		}
		if err := s.auth.AccountChanged(ctx, id); err != nil {
			return err
		}
		detail := fmt.Sprintf("表示名 %s, 役割 %s → %s", in.DisplayName, cur.Role.Label(), in.Role.Label())
		if in.Password != "" {
			if err := s.setPassword(ctx, id, in.Password); err != nil {
				return err
			}
			detail += ", パスワード再設定"
		}
		if cur.Role != in.Role || cur.DepartmentID != in.DepartmentID {
			// A change of authority ends the account's sessions.
			if err := s.auth.EndSessions(ctx, id, ""); err != nil {
				return err
			}
		}
		return s.log.Record(ctx, "user.update", fmt.Sprintf("user:%d", id), detail)
	})
}

func (s *Service) setPassword(ctx context.Context, id int64, pw string) error {
	now := database.T(s.now())
	_, err := s.db.Exec(ctx, "UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?",
		auth.HashPassword(pw, s.cfg.Argon), now, now, id)
	return err
}

// SetPassword validates and sets a new password and ends the account's
// other sessions (keepTokenHash, if non-empty, is the one to keep); see
// auth.Service.SetPassword.
func (s *Service) SetPassword(ctx context.Context, id int64, pw, keepTokenHash string) error {
	return s.auth.SetPassword(ctx, id, pw, keepTokenHash)
}

// SetDisabled disables or re-enables an account; disabling ends its sessions.
func (s *Service) SetDisabled(ctx context.Context, id int64, disabled bool) error {
	if _, err := s.Account(ctx, id); err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Exec(ctx, "UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?", disabled, database.T(s.now()), id); err != nil {
			return fmt.Errorf("org.SetDisabled: %w", err)
		}
		action := "user.enable"
		if disabled {
			action = "user.disable"
			if err := s.auth.EndSessions(ctx, id, ""); err != nil {
				return err
			}
		}
		return s.log.Record(ctx, action, fmt.Sprintf("user:%d", id), "")
	})
}
