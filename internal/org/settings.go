package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"mamori/internal/database"
	"mamori/internal/web"
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

// The CSIRT contact: whom a member of staff calls to report an incident,
// shown on every home page. Free text, because wards write it their own
// way (「内線 2345（平日 8:30〜17:15）」).
const (
	settingCSIRTName  = "csirt_name"
	settingCSIRTPhone = "csirt_phone"
	settingCSIRTMail  = "csirt_mail"
	settingCSIRTNote  = "csirt_note"
)

// CSIRTContact is whom to call when an incident happens.
type CSIRTContact struct {
	Name  string // e.g. ひので区CSIRT（情報政策課 情報セキュリティ係）
	Phone string // free text: 内線, 直通, hours
	Mail  string
	Note  string // when to call, what to tell
}

// IsSet reports whether the ward has entered a contact.
func (c CSIRTContact) IsSet() bool { return c.Name != "" || c.Phone != "" || c.Mail != "" }

// MailLink is a mailto: address when Mail is one address, "" otherwise.
func (c CSIRTContact) MailLink() string {
	m := c.Mail
	if at := strings.IndexByte(m, '@'); at <= 0 || at == len(m)-1 || strings.ContainsAny(m, " \t\u3000<>\"'()（）,;") || strings.Count(m, "@") != 1 {
		return ""
	}
	return "mailto:" + m
}

// PhoneLink is a tel: link for the first full number in Phone (ten or
// more digits with hyphens, a leading +), "" when there is none: an
// extension (内線 2345) cannot be dialled from a phone's browser.
func (c CSIRTContact) PhoneLink() string {
	for _, run := range strings.FieldsFunc(width.Narrow.String(c.Phone), func(r rune) bool {
		return !(r >= '0' && r <= '9' || r == '-' || r == '+')
	}) {
		run = strings.Trim(run, "-")
		if strings.Count(run, "+") > 1 || strings.LastIndexByte(run, '+') > 0 {
			continue
		}
		digits := 0
		for _, r := range run {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if digits >= 10 && digits <= 15 {
			return "tel:" + run
		}
	}
	return ""
}

// CSIRT returns the CSIRT contact (all fields empty when unset).
func (s *Service) CSIRT(ctx context.Context) (CSIRTContact, error) {
	rows, err := s.db.Query(ctx, "SELECT key, value FROM settings WHERE key IN (?, ?, ?, ?)",
		settingCSIRTName, settingCSIRTPhone, settingCSIRTMail, settingCSIRTNote)
	if err != nil {
		return CSIRTContact{}, fmt.Errorf("org.CSIRT: %w", err)
	}
	defer rows.Close()
	var c CSIRTContact
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return CSIRTContact{}, fmt.Errorf("org.CSIRT: %w", err)
		}
		switch k {
		case settingCSIRTName:
			c.Name = v
		case settingCSIRTPhone:
			c.Phone = v
		case settingCSIRTMail:
			c.Mail = v
		case settingCSIRTNote:
			c.Note = v
		}
	}
	if err := rows.Err(); err != nil {
		return CSIRTContact{}, fmt.Errorf("org.CSIRT: %w", err)
	}
	return c, nil
}

// csirtFields are the contact's form fields: name, label, longest length.
var csirtFields = []struct {
	key, label string
	max        int
}{
	{settingCSIRTName, "連絡先の名称", 80},
	{settingCSIRTPhone, "電話", 80},
	{settingCSIRTMail, "メール", 120},
	{settingCSIRTNote, "補足", 300},
}

// validateCSIRT trims the fields and names each that is too long or holds
// control characters; a contact needs a name and a phone or mail.
func validateCSIRT(c *CSIRTContact) FieldErrors {
	fe := FieldErrors{}
	vals := []*string{&c.Name, &c.Phone, &c.Mail, &c.Note}
	for i, f := range csirtFields {
		v := strings.TrimSpace(strings.ReplaceAll(*vals[i], "\r\n", "\n"))
		*vals[i] = v
		multiline := f.key == settingCSIRTNote
		switch {
		case utf8.RuneCountInString(v) > f.max:
			fe[f.key] = fmt.Sprintf("%sは %d 文字以内で入力してください（%d 文字あります）。", f.label, f.max, utf8.RuneCountInString(v))
		case strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) && !(multiline && r == '\n') }):
			fe[f.key] = f.label + "に改行や制御文字は使えません。1 行で入力してください。"
		}
	}
	if c.IsSet() {
		if c.Name == "" && fe[settingCSIRTName] == "" {
			fe[settingCSIRTName] = "連絡先の名称を入力してください（例: 区CSIRT（情報政策課 情報セキュリティ係））。"
		}
		if c.Phone == "" && c.Mail == "" && fe[settingCSIRTPhone] == "" {
			fe[settingCSIRTPhone] = "電話かメールの少なくとも一方を入力してください。"
		}
	}
	if c.Mail != "" && fe[settingCSIRTMail] == "" && !strings.Contains(c.Mail, "@") {
		fe[settingCSIRTMail] = "メールはアドレスの形（例: csirt@city.example.jp）で入力してください。"
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// SetCSIRT stores the CSIRT contact (all empty: none) with its audit-log
// entry in one transaction; bad input is FieldErrors and changes nothing.
func (s *Service) SetCSIRT(ctx context.Context, c CSIRTContact) error {
	if fe := validateCSIRT(&c); fe != nil {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		old, err := s.CSIRT(ctx)
		if err != nil {
			return err
		}
		for _, kv := range [][2]string{{settingCSIRTName, c.Name}, {settingCSIRTPhone, c.Phone}, {settingCSIRTMail, c.Mail}, {settingCSIRTNote, c.Note}} {
			if err := s.SetSetting(ctx, kv[0], kv[1]); err != nil {
				return err
			}
		}
		var changed []string
		for i, pair := range [][2]string{{old.Name, c.Name}, {old.Phone, c.Phone}, {old.Mail, c.Mail}, {old.Note, c.Note}} {
			if pair[0] != pair[1] {
				changed = append(changed, fmt.Sprintf("%s「%s」→「%s」", csirtFields[i].label, pair[0], pair[1]))
			}
		}
		detail := "インシデント報告の連絡先（CSIRT）: 変更なし"
		if len(changed) > 0 {
			detail = "インシデント報告の連絡先（CSIRT）: " + strings.Join(changed, "、")
		}
		return s.log.Record(ctx, "setting.update", "csirt_contact", detail)
	})
}

// SettingsRoutes registers the settings page: the ward's own values that
// the security office edits at run time.
func (s *Service) SettingsRoutes(rt *web.Router) error {
	admin := web.Allow(web.RoleAdmin)
	rt.Handle("GET /admin/settings", admin, s.settingsPage)
	rt.Handle("POST /admin/settings", admin, s.settingsSave)
	return nil
}

func csirtValues(c CSIRTContact) url.Values {
	return url.Values{settingCSIRTName: {c.Name}, settingCSIRTPhone: {c.Phone}, settingCSIRTMail: {c.Mail}, settingCSIRTNote: {c.Note}}
}

func (s *Service) settingsPage(w http.ResponseWriter, r *http.Request) error {
	c, err := s.CSIRT(r.Context())
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "org/settings", "設定", formView{Values: csirtValues(c)})
}

func (s *Service) settingsSave(w http.ResponseWriter, r *http.Request) error {
	c := CSIRTContact{Name: r.FormValue(settingCSIRTName), Phone: r.FormValue(settingCSIRTPhone), Mail: r.FormValue(settingCSIRTMail), Note: r.FormValue(settingCSIRTNote)}
	err := s.SetCSIRT(r.Context(), c)
	if fe, ok := asFieldErrors(err); ok {
		return web.Render(w, r, http.StatusBadRequest, "org/settings", "設定", formView{Values: csirtValues(c), Errors: fe})
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, "/admin/settings", "インシデント報告の連絡先を保存しました。ホーム画面に表示されます。", true)
}
