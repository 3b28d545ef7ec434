package mail

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"unicode/utf8"

	"mamori/internal/blob"
	"mamori/internal/database"
	"mamori/internal/web"
)

// The SMTP settings can be made on the administrator's screen as well as
// by flags. Saved settings replace the flags' as a whole (one row of
// settings, read again by every instance on each sending round); the
// password is kept encrypted with a key derived from the audit-log key
// file, which no backup holds. Deleting the row goes back to the flags.

// settingsKey is the settings row of the screen's SMTP settings.
const settingsKey = "mail.smtp"

// secretPurpose names the derived key of the SMTP password.
const secretPurpose = "smtp password"

// stored is the row's JSON.
type stored struct {
	Host, Security, User, From, FromName, Charset, BaseURL string
	Port                                                   int
	Password                                               string // sealed, base64
}

// Settings is the screen's form.
type Settings struct {
	Host, Security, User, From, FromName, Charset, BaseURL string
	Port                                                   int
	// Password replaces the stored one when not empty; ClearPassword
	// removes it (no authentication).
	Password      string
	ClearPassword bool
}

// WithDefaults fills what a configured server leaves out: STARTTLS,
// UTF-8 and the security's usual port.
func (c Config) WithDefaults() Config {
	if c.Host == "" {
		return c
	}
	if c.Security == "" {
		c.Security = "starttls"
	}
	if c.Charset == "" {
		c.Charset = "utf-8"
	}
	if c.Port == 0 {
		c.Port = map[string]int{"starttls": 587, "tls": 465, "none": 25}[c.Security]
	}
	return c
}

// FromScreen reports whether the settings in force are the screen's.
func (o *Outbox) FromScreen(ctx context.Context) (bool, error) {
	_, ok, err := o.readStored(ctx)
	return ok, err
}

// HasPassword reports whether the settings in force authenticate.
func (o *Outbox) HasPassword() bool { return o.cfg().Password != "" }

func (o *Outbox) readStored(ctx context.Context) (stored, bool, error) {
	var v string
	err := o.db.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", settingsKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return stored{}, false, nil
	}
	if err != nil {
		return stored{}, false, fmt.Errorf("mail: settings: %w", err)
	}
	var st stored
	if err := json.Unmarshal([]byte(v), &st); err != nil {
		return stored{}, false, fmt.Errorf("mail: settings: %w", err)
	}
	return st, true, nil
}

// Reload makes the settings in force those saved on the screen, or the
// flags' when none are saved. A stored password that cannot be decrypted
// (the audit-log key file changed) leaves mail without authentication and
// is reported.
func (o *Outbox) Reload(ctx context.Context) error {
	o.mu.Lock()
	gen := o.gen
	o.mu.Unlock()
	st, ok, err := o.readStored(ctx)
	if err != nil {
		return err
	}
	cfg := o.flags
	var perr error
	if ok {
		cfg = Config{Host: st.Host, Port: st.Port, Security: st.Security, User: st.User, From: st.From, FromName: st.FromName,
			Charset: st.Charset, BaseURL: st.BaseURL, Insecure: o.flags.Insecure}
		if st.Password != "" {
			cfg.Password, perr = o.openPassword(st.Password)
		}
		cfg = cfg.WithDefaults()
	}
	o.mu.Lock()
	if o.gen == gen {
		o.cur.Store(&cfg)
	}
	o.mu.Unlock()
	if perr != nil {
		return fmt.Errorf("mail: 画面で設定した SMTP のパスワードを復号できません（監査ログの鍵ファイルが変わった可能性があります。メールの画面でパスワードを入力し直してください）: %w", perr)
	}
	return nil
}

func (o *Outbox) openPassword(sealed string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return "", err
	}
	key, err := o.log.SecretKey(secretPurpose)
	if err != nil {
		return "", err
	}
	plain, err := blob.Unseal(key, raw)
	return string(plain), err
}

// Check validates the form and returns the messages by field, in
// Japanese (nil when it is fine).
func (s Settings) Check() web.FieldErrors {
	fe := web.FieldErrors{}
	long := func(field, label, v string, n int) {
		if utf8.RuneCountInString(v) > n {
			fe[field] = fmt.Sprintf("%sは %d 文字以内で入力してください。", label, n)
		}
	}
	long("host", "SMTP サーバー", s.Host, 253)
	long("user", "認証のユーザー名", s.User, 200)
	long("from_name", "送信者名", s.FromName, 100)
	long("password", "パスワード", s.Password, 500)
	if s.Host == "" {
		return nilIfEmpty(fe)
	}
	if strings.ContainsAny(s.Host, " /:@\t\r\n") {
		fe["host"] = "SMTP サーバーはホスト名か IP アドレスだけを入力してください（例: smtp.city.hinode.lg.jp）。"
	}
	if s.Port < 1 || s.Port > 65535 {
		fe["port"] = "ポート番号は 1〜65535 の数です（STARTTLS は通常 587、TLS は 465）。"
	}
	if s.Security != "starttls" && s.Security != "tls" && s.Security != "none" {
		fe["security"] = "暗号化を選んでください。"
	}
	if s.Charset != "utf-8" && s.Charset != "iso-2022-jp" {
		fe["charset"] = "文字コードを選んでください。"
	}
	if a, err := mail.ParseAddress(s.From); err != nil || a.Address != s.From || len(s.From) > 254 {
		fe["from"] = "送信元のメールアドレスを入力してください（例: mamori@city.hinode.lg.jp）。"
	}
	if strings.ContainsAny(s.FromName, "\r\n") {
		fe["from_name"] = "送信者名に改行は使えません。"
	}
	if s.BaseURL != "" {
		if u, err := url.Parse(s.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(s.BaseURL) > 300 {
			fe["base_url"] = "Mamori の URL は https://ホスト名 の形で入力してください（例: https://mamori.city.hinode.lg.jp）。"
		}
	}
	return nilIfEmpty(fe)
}

func nilIfEmpty(fe web.FieldErrors) web.FieldErrors {
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// Save stores the screen's settings in the context's transaction (with
// the audit-log entry) and puts them in force on this instance at once;
// the others take them at their next round.
func (o *Outbox) Save(ctx context.Context, s Settings) error {
	if fe := s.Check(); fe != nil {
		return fe
	}
	old, had, err := o.readStored(ctx)
	if err != nil {
		return err
	}
	st := stored{Host: s.Host, Port: s.Port, Security: s.Security, User: s.User, From: s.From, FromName: s.FromName, Charset: s.Charset, BaseURL: s.BaseURL}
	switch {
	case s.ClearPassword || s.User == "":
	case s.Password != "":
		key, err := o.log.SecretKey(secretPurpose)
		if err != nil {
			return err
		}
		sealed, err := blob.Seal(key, []byte(s.Password))
		if err != nil {
			return err
		}
		st.Password = base64.StdEncoding.EncodeToString(sealed)
	case had:
		st.Password = old.Password
	}
	if s.User != "" && st.Password == "" {
		return web.FieldErrors{"password": "認証のユーザー名を入れたときは、パスワードも入力してください。"}
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	err = o.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := o.db.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, settingsKey, string(b), database.T(o.now())); err != nil {
			return err
		}
		what := "メールの送信を止める設定に変更"
		if s.Host != "" {
			what = fmt.Sprintf("メールの送信設定を変更（%s:%d %s、送信元 %s、認証 %s）", s.Host, s.Port, s.Security, s.From, map[bool]string{true: "あり", false: "なし"}[st.Password != ""])
		}
		return o.log.Record(ctx, "mail.settings", "mail_settings", what)
	})
	if err != nil {
		return err
	}
	o.bump()
	return o.Reload(ctx)
}

// Reset deletes the screen's settings: the flags' are in force again.
func (o *Outbox) Reset(ctx context.Context) error {
	err := o.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := o.db.Exec(ctx, "DELETE FROM settings WHERE key = ?", settingsKey); err != nil {
			return err
		}
		return o.log.Record(ctx, "mail.settings", "mail_settings", "メールの送信設定を起動オプションの設定に戻しました")
	})
	if err != nil {
		return err
	}
	o.bump()
	return o.Reload(ctx)
}

func (o *Outbox) bump() {
	o.mu.Lock()
	o.gen++
	o.mu.Unlock()
}
