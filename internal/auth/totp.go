package auth

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"mamori/internal/database"
)

const settingTOTPRequired = "totp_required_privileged"

// TOTPRequired reports whether admins and consultants must use a second
// factor. Every signed-in request of such a user asks, so the answer is
// kept in memory for SettingsTTL.
func (s *Service) TOTPRequired(ctx context.Context) (bool, error) {
	v, err := s.cachedSetting(ctx, settingTOTPRequired)
	return v == "1", err
}

// SetTOTPRequired turns the requirement on or off.
func (s *Service) SetTOTPRequired(ctx context.Context, on bool) error {
	v := "0"
	if on {
		v = "1"
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.setSetting(ctx, settingTOTPRequired, v); err != nil {
			return err
		}
		return s.log.Record(ctx, "setting.update", settingTOTPRequired, "管理者・支援事業者の二要素認証必須: "+v)
	})
	if err == nil {
		s.forgetSetting(ctx, settingTOTPRequired) // committed (unless ctx carries an outer transaction)
	}
	return err
}

// BeginTOTP creates (or reuses) an unconfirmed secret and returns the
// otpauth URL and a QR code PNG for an authenticator app.
func (s *Service) BeginTOTP(ctx context.Context, uid int64) (string, []byte, error) {
	var login, secret string
	var enabled bool
	if err := s.db.QueryRow(ctx, "SELECT login, totp_secret, totp_enabled FROM users WHERE id = ?", uid).Scan(&login, &secret, &enabled); err != nil {
		return "", nil, database.NotFound("auth.BeginTOTP", err)
	}
	var key *otp.Key
	var err error
	if secret == "" || enabled {
		key, err = totp.Generate(totp.GenerateOpts{Issuer: "Mamori", AccountName: login})
		if err != nil {
			return "", nil, fmt.Errorf("auth.BeginTOTP: %w", err)
		}
		if !enabled {
			if _, err := s.db.Exec(ctx, "UPDATE users SET totp_secret = ? WHERE id = ?", key.Secret(), uid); err != nil {
				return "", nil, fmt.Errorf("auth.BeginTOTP: %w", err)
			}
		}
	} else {
		key, err = otp.NewKeyFromURL(fmt.Sprintf("otpauth://totp/Mamori:%s?secret=%s&issuer=Mamori", login, secret))
		if err != nil {
			return "", nil, fmt.Errorf("auth.BeginTOTP: %w", err)
		}
	}
	img, err := key.Image(200, 200)
	if err != nil {
		return "", nil, fmt.Errorf("auth.BeginTOTP: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", nil, err
	}
	return key.Secret(), buf.Bytes(), nil
}

// ConfirmTOTP enables the second factor once the user proves the app works.
func (s *Service) ConfirmTOTP(ctx context.Context, uid int64, code string) error {
	var secret string
	if err := s.db.QueryRow(ctx, "SELECT totp_secret FROM users WHERE id = ?", uid).Scan(&secret); err != nil {
		return database.NotFound("auth.ConfirmTOTP", err)
	}
	step, ok := totpStep(secret, code, s.now())
	if !ok {
		return FieldErrors{"code": "確認コードが正しくありません。認証アプリに表示されている 6 桁の数字を入力してください。"}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		// The enrolment code is used up: it cannot also sign in. Enabled
		// only with the secret the code was checked against: a new secret
		// begun in another tab since (its QR code shown there) must not be
		// switched on by a code of the old one, or the person could not
		// sign in with either.
		res, err := s.db.Exec(ctx, "UPDATE users SET totp_enabled = TRUE, totp_last_step = ?, updated_at = ? WHERE id = ? AND totp_secret = ?",
			int64(step), database.T(s.now()), uid, secret)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return FieldErrors{"code": "認証アプリの登録が別の画面でやり直されました。この画面を開き直し、新しい QR コードを登録してから確認コードを入力してください。"}
		}
		if err := s.AccountChanged(ctx, uid); err != nil {
			return err
		}
		return s.log.Record(ctx, "user.totp_enable", fmt.Sprintf("user:%d", uid), "")
	})
}

// DisableTOTP removes the second factor (admin reset or the user's own choice).
func (s *Service) DisableTOTP(ctx context.Context, uid int64) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Exec(ctx, "UPDATE users SET totp_enabled = FALSE, totp_secret = '', totp_last_step = 0, updated_at = ? WHERE id = ?", database.T(s.now()), uid); err != nil {
			return err
		}
		if err := s.AccountChanged(ctx, uid); err != nil {
			return err
		}
		return s.log.Record(ctx, "user.totp_disable", fmt.Sprintf("user:%d", uid), "")
	})
}

// VerifyTOTP completes a login whose session waits for the second factor.
func (s *Service) VerifyTOTP(ctx context.Context, tok, code string) error {
	h := hashToken(tok)
	var uid int64
	var secret string
	err := s.db.QueryRow(ctx, "SELECT u.id, u.totp_secret FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.mfa_pending = TRUE", h).Scan(&uid, &secret)
	if err != nil {
		return database.NotFound("auth.VerifyTOTP", err)
	}
	now := s.now()
	key := fmt.Sprintf("totp:%d", uid)
	if _, blocked := s.blocked(ctx, key, now); blocked {
		return FieldErrors{"code": "確認コードの誤りが続いたため、しばらく待ってから入力してください。"}
	}
	failed := func(detail, msg string) error {
		_ = s.db.WithTx(ctx, func(ctx context.Context) error {
			if err := s.fail(ctx, key, accountFailures, now); err != nil {
				return err
			}
			return s.log.Record(ctx, "login.totp_failure", fmt.Sprintf("user:%d", uid), detail)
		})
		return FieldErrors{"code": msg}
	}
	step, ok := totpStep(secret, code, now)
	if !ok {
		return failed("", "確認コードが正しくありません。")
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		// A code is good for one login: the step must be later than the
		// last one used (one UPDATE, so that two requests cannot both win).
		res, err := s.db.Exec(ctx, "UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?", int64(step), uid, int64(step))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errTOTPUsed
		}
		if _, err := s.db.Exec(ctx, "UPDATE sessions SET mfa_pending = FALSE WHERE token_hash = ?", h); err != nil {
			return err
		}
		if err := s.revoked(ctx, h, 0); err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, "UPDATE users SET last_login_at = ? WHERE id = ?", database.T(now), uid); err != nil {
			return err
		}
		return s.log.Record(ctx, "login.success", fmt.Sprintf("user:%d", uid), "二要素認証")
	})
	if errors.Is(err, errTOTPUsed) {
		return failed("使用済みの確認コード", "この確認コードは使用済みです。認証アプリに次のコードが表示されてから入力してください。")
	}
	if err != nil {
		return fmt.Errorf("auth.VerifyTOTP: %w", err)
	}
	return nil
}

var errTOTPUsed = errors.New("auth: TOTP code already used")

// totpPeriod is the TOTP time step (RFC 6238 default, what every
// authenticator app uses).
const totpPeriod = 30

// totpStep checks a 6-digit code against secret at now, allowing one step
// of clock drift either way, and returns the time step it belongs to.
func totpStep(secret, code string, now time.Time) (uint64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if secret == "" || len(code) != 6 {
		return 0, false
	}
	cur := uint64(now.Unix()) / totpPeriod
	for _, step := range []uint64{cur - 1, cur, cur + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(int64(step*totpPeriod), 0).UTC(),
			totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}
