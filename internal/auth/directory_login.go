package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"mamori/internal/auditlog"
	"mamori/internal/auth/directory"
	"mamori/internal/database"
	"mamori/internal/web"
)

// Where an account comes from.
const (
	SourceLocal     = "local"     // a password kept here (hashed)
	SourceDirectory = "directory" // Active Directory / LDAP; no password here
)

// ErrDirectoryPassword refuses a password for a directory account.
var ErrDirectoryPassword = errors.New("この利用者は区のディレクトリ（Active Directory／LDAP）でログインします。パスワードはディレクトリ側（Windows のサインインなど）で変更してください。")

// directoryLogin checks login's password with the directory and keeps the
// account in step with it: made at the first login with the role of the
// user's group, its name, role and department (through the staff number
// and the roster) brought up to date at each login, and disabled, its
// sessions ended, once the directory no longer has the user or the user
// is in no mapped group. It returns the account and "" on success, or the
// reason of the failure for the audit log; directory.ErrDown when the
// directory cannot be reached.
func (s *Service) directoryLogin(ctx context.Context, login, password string, id int64) (int64, string, error) {
	u, err := s.cfg.Directory.Authenticate(ctx, login, password)
	switch {
	case errors.Is(err, directory.ErrDown):
		return id, "", err
	case errors.Is(err, directory.ErrPassword):
		return id, "パスワード不一致（ディレクトリ）", nil
	case errors.Is(err, directory.ErrNoUser), errors.Is(err, directory.ErrNoRole):
		reason := "ディレクトリに存在しない利用者"
		if errors.Is(err, directory.ErrNoRole) {
			reason = "ディレクトリで Mamori の役割のグループに属していない利用者"
		}
		if id != 0 {
			if err := s.db.WithTx(ctx, func(ctx context.Context) error {
				res, err := s.db.Exec(ctx, "UPDATE users SET disabled = TRUE, updated_at = ? WHERE id = ? AND disabled = FALSE", database.T(s.now()), id)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return nil
				}
				if err := s.EndSessions(ctx, id, ""); err != nil {
					return err
				}
				return s.log.Record(ctx, "user.directory_disable", fmt.Sprintf("user:%d", id), "ディレクトリの変更により無効化（"+reason+"）")
			}); err != nil {
				return id, "", err
			}
		}
		return id, reason, nil
	case err != nil:
		return id, "", err
	}
	var staffID, deptID sql.NullInt64
	if u.StaffNo != "" {
		err := s.db.QueryRow(ctx, "SELECT id, department_id FROM staff WHERE employee_no = ? AND active = TRUE", u.StaffNo).Scan(&staffID, &deptID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return id, "", err
		}
	}
	name := u.Name
	if name == "" {
		name = u.Login
	}
	now := database.T(s.now())
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if id == 0 {
			// DO NOTHING: the same person's first login may be on its way
			// in another request (two tabs, a double click on PostgreSQL);
			// then that one created the account and this one updates it.
			err := s.db.QueryRowWrite(ctx, `INSERT INTO users (login, display_name, role, department_id, staff_id, password_hash, source, directory_dn, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?) ON CONFLICT (login) DO NOTHING RETURNING id`, u.Login, name, u.Role, deptID, staffID, SourceDirectory, u.DN, now, now).Scan(&id)
			switch {
			case err == nil:
				ctx = auditlog.WithActor(ctx, auditlog.Actor{UserID: id, Login: u.Login})
				return s.log.Record(ctx, "user.directory_create", fmt.Sprintf("user:%d", id),
					fmt.Sprintf("ディレクトリの利用者 %s（%s）を初回ログインで作成、役割 %s", u.Login, name, web.Role(u.Role).Label()))
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
			if err := s.db.QueryRow(ctx, "SELECT id FROM users WHERE login = ? AND source = ?", u.Login, SourceDirectory).Scan(&id); err != nil {
				return err
			}
		}
		var oldRole, oldName string
		var wasDisabled bool
		var oldStaff, oldDept sql.NullInt64
		if err := s.db.QueryRow(ctx, "SELECT role, disabled, display_name, staff_id, department_id FROM users WHERE id = ?", id).Scan(&oldRole, &wasDisabled, &oldName, &oldStaff, &oldDept); err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, `UPDATE users SET display_name = ?, role = ?, department_id = ?, staff_id = ?, directory_dn = ?, disabled = FALSE, updated_at = ? WHERE id = ?`,
			name, u.Role, deptID, staffID, u.DN, now, id); err != nil {
			return err
		}
		if oldRole != u.Role || wasDisabled || oldName != name || oldStaff != staffID || oldDept != deptID {
			if err := s.AccountChanged(ctx, id); err != nil {
				return err
			}
		}
		if oldRole != u.Role || wasDisabled {
			return s.log.Record(ctx, "user.directory_update", fmt.Sprintf("user:%d", id),
				fmt.Sprintf("ディレクトリのグループにより役割を %s に（前は %s%s）", web.Role(u.Role).Label(), web.Role(oldRole).Label(), map[bool]string{true: "、無効から有効に", false: ""}[wasDisabled]))
		}
		return nil
	})
	if err != nil {
		return id, "", err
	}
	return id, "", nil
}
