package auth

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"mamori/internal/auditlog"
	"mamori/internal/auth/directory"
	"mamori/internal/database"
	"mamori/internal/web"
)

// hashToken is how session tokens are stored: only their SHA-256, so a
// copy of the database does not hold usable cookies.
func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// TokenHash is how a session token is stored: callers that end a user's
// other sessions name the one to keep by it.
func TokenHash(tok string) string { return hashToken(tok) }

// ErrLoginFailed is the one answer to any failed login, so that the
// response never tells whether the account exists.
var ErrLoginFailed = errors.New("ログインIDまたはパスワードが正しくありません。続けて失敗すると、しばらくログインできなくなります。")

// ErrDirectoryDown is a directory login while the directory cannot be
// reached; local accounts still log in.
var ErrDirectoryDown = errors.New("ディレクトリサーバー（Active Directory／LDAP）に接続できないため、ログインできません。しばらくしてからもう一度お試しください。" +
	"急ぎの場合は、情報セキュリティ担当の管理者（ローカルの管理者アカウント）に連絡してください。")

// Throttle thresholds: failures before delays start, per account and per
// address. An address is shared by a whole office behind a proxy, so it
// tolerates more.
const (
	accountFailures = 5
	addressFailures = 20
	maxDelay        = 15 * time.Minute
	failureMemory   = time.Hour
)

// dummyHash keeps the time of a login for an unknown account the same as
// for a known one.
var dummyHash = sync.OnceValue(func() string { return HashPassword("mamori-timing-equaliser", DefaultArgon) })

// MaxLoginLength is the longest login name (in characters) an account can
// have. A longer name fails like an unknown one and is stored (audit log,
// throttle key) cut to this length, so that nobody can fill the database
// through the login form.
const MaxLoginLength = 64

// Login checks a password and, on success, starts a session. It returns the
// session token and whether a second factor is still needed.
func (s *Service) Login(ctx context.Context, login, password, ip, userAgent string) (string, bool, error) {
	login = strings.ToLower(strings.TrimSpace(login))
	tooLong := utf8.RuneCountInString(login) > MaxLoginLength
	if tooLong {
		login = truncateRunes(login, MaxLoginLength)
	}
	now := s.now()
	ctx = auditlog.WithActor(ctx, auditlog.Actor{Login: login, IP: ip})
	keys := []string{"account:" + login, "ip:" + ip}
	for _, k := range keys {
		if until, blocked := s.blocked(ctx, k, now); blocked {
			if err := s.reportBlock(ctx, k, login, until); err != nil {
				s.slog.Error("audit login throttle", "err", err)
			}
			return "", false, ErrLoginFailed
		}
	}
	var id int64
	var hash, source string
	var disabled bool
	if !tooLong {
		var err error
		if id, hash, disabled, source, err = s.passwordHash(ctx, login); err != nil {
			return "", false, fmt.Errorf("auth.Login: %w", err)
		}
	}
	ok, reason := false, "パスワード不一致"
	switch {
	case s.cfg.Directory != nil && !tooLong && (id == 0 || source == SourceDirectory):
		// Everyone without a local password is the directory's.
		var err error
		id, reason, err = s.directoryLogin(ctx, login, password, id)
		if errors.Is(err, directory.ErrDown) {
			if lerr := s.log.Record(ctx, "login.failure", "login:"+login, "ディレクトリに接続できない"); lerr != nil {
				s.slog.Error("audit login", "err", lerr)
			}
			s.slog.Warn("directory login", "err", err)
			return "", false, ErrDirectoryDown
		}
		if err != nil {
			return "", false, fmt.Errorf("auth.Login: %w", err)
		}
		ok = reason == ""
	case id == 0 || hash == "":
		CheckPassword(dummyHash(), password)
	default:
		ok = CheckPassword(hash, password) && !disabled
	}
	if !ok {
		switch {
		case tooLong:
			reason = fmt.Sprintf("存在しないログインID（%d 文字を超えるため省略して記録）", MaxLoginLength)
		case id == 0 && s.cfg.Directory == nil:
			reason = "存在しないログインID"
		case disabled && source != SourceDirectory:
			reason = "無効化された利用者"
		}
		err := s.db.WithTx(ctx, func(ctx context.Context) error {
			if err := s.fail(ctx, "account:"+login, accountFailures, now); err != nil {
				return err
			}
			if err := s.fail(ctx, "ip:"+ip, addressFailures, now); err != nil {
				return err
			}
			return s.log.Record(ctx, "login.failure", "login:"+login, reason)
		})
		if err != nil {
			return "", false, fmt.Errorf("auth.Login: %w", err)
		}
		return "", false, ErrLoginFailed
	}
	var totp bool
	if err := s.db.QueryRow(ctx, "SELECT totp_enabled FROM users WHERE id = ?", id).Scan(&totp); err != nil {
		return "", false, fmt.Errorf("auth.Login: %w", err)
	}
	var tok string
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// A success forgets the failures of the account and of the address:
		// an office behind one proxy must not lock itself out by the day's
		// typos adding up.
		if _, err := s.db.Exec(ctx, "DELETE FROM login_throttle WHERE key IN (?, ?)", "account:"+login, "ip:"+ip); err != nil {
			return err
		}
		var err error
		if tok, err = s.StartSession(ctx, id, totp, ip, userAgent); err != nil {
			return err
		}
		if !totp {
			if _, err := s.db.Exec(ctx, "UPDATE users SET last_login_at = ? WHERE id = ?", database.T(now), id); err != nil {
				return err
			}
		}
		ctx = auditlog.WithActor(ctx, auditlog.Actor{UserID: id, Login: login, IP: ip})
		action := "login.success"
		if totp {
			action = "login.password_ok"
		}
		return s.log.Record(ctx, action, fmt.Sprintf("user:%d", id), "")
	})
	if err != nil {
		return "", false, fmt.Errorf("auth.Login: %w", err)
	}
	return tok, totp, nil
}

// StartSession creates a session for an account whose identity has been
// proven and returns the cookie token. mfaPending sessions can only finish
// the second factor.
func (s *Service) StartSession(ctx context.Context, uid int64, mfaPending bool, ip, userAgent string) (string, error) {
	tok := web.NewToken(32)
	now := s.now()
	_, err := s.db.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, mfa_pending, ip, user_agent, created_at, last_seen_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, hashToken(tok), uid, web.NewToken(24), mfaPending, ip, truncate(userAgent, 200),
		database.T(now), database.T(now), database.T(now.Add(s.cfg.AbsoluteTimeout)))
	if err != nil {
		return "", fmt.Errorf("auth.StartSession: %w", err)
	}
	return tok, nil
}

// passwordHash returns the stored hash and state used at login.
func (s *Service) passwordHash(ctx context.Context, login string) (id int64, hash string, disabled bool, source string, err error) {
	err = s.db.QueryRow(ctx, "SELECT id, password_hash, disabled, source FROM users WHERE login = ?", strings.ToLower(login)).Scan(&id, &hash, &disabled, &source)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", false, "", nil
	}
	return id, hash, disabled, source, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// truncateRunes keeps the first n characters of s.
func truncateRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// reportBlock records a refused try on a blocked key in the audit log, once
// per block: the first refused try marks the block as reported (one UPDATE,
// so that two instances do not both record it) and the rest of the burst
// leaves no trace.
func (s *Service) reportBlock(ctx context.Context, key, login string, until time.Time) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, "UPDATE login_throttle SET reported_until = blocked_until WHERE key = ? AND reported_until <> blocked_until", key)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return s.log.Record(ctx, "login.throttled", "login:"+login, fmt.Sprintf("%s は %s まで待機中（待機中の試行はこの1件のみ記録）", key, until.Format(time.RFC3339)))
	})
}

func (s *Service) blocked(ctx context.Context, key string, now time.Time) (time.Time, bool) {
	var until database.Time
	if err := s.db.QueryRow(ctx, "SELECT blocked_until FROM login_throttle WHERE key = ?", key).Scan(&until); err != nil {
		return time.Time{}, false
	}
	return until.Time, now.Before(until.Time)
}

// fail counts a failure for key and sets the delay once threshold is reached:
// 2, 4, 8 … seconds, at most maxDelay.
func (s *Service) fail(ctx context.Context, key string, threshold int, now time.Time) error {
	// Counted in one statement on the row as stored: failures read first
	// and written back would count a burst of parallel failures (on
	// PostgreSQL) as one, and the delay would never grow.
	var failures int
	err := s.db.QueryRowWrite(ctx, `INSERT INTO login_throttle (key, failures, last_failure_at, blocked_until) VALUES (?, 1, ?, ?)
		ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN login_throttle.last_failure_at < ? THEN 1 ELSE login_throttle.failures + 1 END,
		last_failure_at = excluded.last_failure_at RETURNING failures`,
		key, database.T(now), database.T(now), database.T(now.Add(-failureMemory))).Scan(&failures)
	if err != nil {
		return err
	}
	until := now
	if failures >= threshold {
		d := time.Duration(math.Pow(2, float64(failures-threshold+1))) * time.Second
		if d > maxDelay || d <= 0 {
			d = maxDelay
		}
		until = now.Add(d)
	}
	_, err = s.db.Exec(ctx, "UPDATE login_throttle SET blocked_until = ? WHERE key = ?", database.T(until), key)
	return err
}

// Session implements web.Auth: it resolves a cookie to a user, enforcing the
// idle and absolute timeouts, and refreshes the idle clock.
func (s *Service) Session(ctx context.Context, tok string) (*web.User, string, error) {
	h := hashToken(tok)
	e, epoch, useKept := s.kept(ctx, h)
	if e == nil {
		var err error
		if e, err = s.readSession(ctx, h); err != nil || e == nil {
			return nil, "", err
		}
		e.epoch, e.read = epoch, s.sessions.since()
		if useKept {
			s.keep(h, e)
		}
	}
	now := s.now()
	if e.disabled || now.After(e.expires) || now.Sub(e.lastSeen) > s.cfg.IdleTimeout {
		s.forgetSessions(h, 0)
		_, _ = s.db.Exec(ctx, "DELETE FROM sessions WHERE token_hash = ?", h)
		return nil, "", nil
	}
	if now.Sub(e.lastSeen) > time.Minute {
		if _, err := s.db.Exec(ctx, "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", database.T(now), h); err != nil {
			return nil, "", fmt.Errorf("auth.Session: %w", err)
		}
		s.seen(h, now)
	}
	u := e.user
	if !e.totpEnabled && (u.Role == web.RoleAdmin || u.Role == web.RoleConsultant) {
		req, err := s.TOTPRequired(ctx)
		if err != nil {
			return nil, "", err
		}
		u.MFARequired = req
	}
	return &u, e.csrf, nil
}

// readSession reads session h and its account from the database (nil when
// there is no such session).
func (s *Service) readSession(ctx context.Context, h string) (*keptSession, error) {
	var e keptSession
	u := &e.user
	var role string
	var lastSeen, expires database.Time
	err := s.db.QueryRow(ctx, `SELECT u.id, u.login, u.display_name, u.role, COALESCE(u.department_id, 0), COALESCE(u.staff_id, 0), u.is_demo, u.totp_enabled, u.disabled,
			s.csrf_token, s.mfa_pending, s.last_seen_at, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`, h).
		Scan(&u.ID, &u.Login, &u.DisplayName, &role, &u.DepartmentID, &u.StaffID, &u.IsDemo, &e.totpEnabled, &e.disabled, &e.csrf, &u.MFAPending, &lastSeen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		// The database could not be asked (it is restarting): the
		// request fails with the 503 page rather than treating the
		// person as signed out, which would send a form they submitted
		// to the login page.
		return nil, fmt.Errorf("auth.Session: %w", err)
	}
	u.Role = web.Role(role)
	e.lastSeen, e.expires = lastSeen.Time, expires.Time
	return &e, nil
}

// Denied implements web.Auth: a permission denial goes into the audit log.
func (s *Service) Denied(ctx context.Context, u *web.User, method, path string) {
	ctx = auditlog.WithActor(ctx, auditlog.Actor{UserID: u.ID, Login: u.Login, IP: auditlog.ActorFrom(ctx).IP})
	if err := s.log.Record(ctx, "access.denied", path, method+" "+path+" を "+u.Role.Label()+" が要求"); err != nil {
		s.slog.Error("audit denial", "err", err)
	}
}

// Logout ends one session, or every session of its user when everywhere is set.
func (s *Service) Logout(ctx context.Context, tok string, everywhere bool) error {
	h := hashToken(tok)
	var uid int64
	if err := s.db.QueryRow(ctx, "SELECT user_id FROM sessions WHERE token_hash = ?", h).Scan(&uid); err != nil {
		return nil
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		q, arg, detail := "DELETE FROM sessions WHERE token_hash = ?", any(h), ""
		if everywhere {
			q, arg, detail = "DELETE FROM sessions WHERE user_id = ?", any(uid), "すべての端末からログアウト"
		}
		if _, err := s.db.Exec(ctx, q, arg); err != nil {
			return fmt.Errorf("auth.Logout: %w", err)
		}
		forget, forgetUID := h, int64(0)
		if everywhere {
			forget, forgetUID = "", uid
		}
		if err := s.revoked(ctx, forget, forgetUID); err != nil {
			return err
		}
		return s.log.Record(ctx, "logout", fmt.Sprintf("user:%d", uid), detail)
	})
}

// EndSessions ends every session of an account but the one whose token
// hash is keepTokenHash ("" ends them all): after a password change, a
// change of role or department, or when the account is disabled. It joins
// a transaction in ctx, so that the change and the end commit together.
func (s *Service) EndSessions(ctx context.Context, uid int64, keepTokenHash string) error {
	if _, err := s.db.Exec(ctx, "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?", uid, keepTokenHash); err != nil {
		return fmt.Errorf("auth.EndSessions: %w", err)
	}
	return s.revoked(ctx, "", uid)
}

// SessionCount returns how many live sessions an account has.
func (s *Service) SessionCount(ctx context.Context, uid int64) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM sessions WHERE user_id = ? AND expires_at > ?", uid, database.T(s.now())).Scan(&n)
	return n, err
}

// PurgeSessions deletes expired sessions and stale throttle rows.
func (s *Service) PurgeSessions(ctx context.Context) error {
	now := s.now()
	if _, err := s.db.Exec(ctx, "DELETE FROM sessions WHERE expires_at < ? OR last_seen_at < ?", database.T(now), database.T(now.Add(-s.cfg.IdleTimeout))); err != nil {
		return err
	}
	_, err := s.db.Exec(ctx, "DELETE FROM login_throttle WHERE last_failure_at < ?", database.T(now.Add(-24*time.Hour)))
	return err
}
