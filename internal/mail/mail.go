// Package mail sends Mamori's mail: reminders, one-time links and notices,
// always with the same text shown in the app. A message is queued in the
// database inside the transaction that caused it and sent by whichever
// instance claims it (a lease, so one instance sends it), with retries and
// backoff; a message that keeps failing stays listed for the
// administrator. Each message keeps one Message-ID through its retries.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"

	"mamori/internal/auditlog"
	"mamori/internal/database"
)

// Config is the SMTP server and how mail is written.
type Config struct {
	Host     string // "" : no mail (the app's notices only)
	Port     int    // default 587 (STARTTLS), 465 (TLS), 25 (none)
	Security string // starttls (default), tls, none
	User     string
	Password string // read from a file by the caller, never logged
	From     string // e.g. mamori@city.hinode.lg.jp
	FromName string // e.g. ひので区 情報セキュリティ担当
	Charset  string // utf-8 (default) or iso-2022-jp
	Insecure bool   // accept any certificate (tests only, never a flag)
	// BaseURL is where staff reach Mamori (https://mamori.city.hinode.lg.jp),
	// for the links in mail.
	BaseURL string
}

// Link is path as a link to put in a mail: on BaseURL when it is set.
func (o *Outbox) Link(path string) string {
	if o == nil || o.cfg().BaseURL == "" {
		return path
	}
	return strings.TrimRight(o.cfg().BaseURL, "/") + path
}

// Enabled reports whether mail is configured.
func (c Config) Enabled() bool { return c.Host != "" }

// Check reports what is wrong with c, in Japanese.
func (c Config) Check() error {
	if !c.Enabled() {
		return nil
	}
	switch {
	case c.Security != "starttls" && c.Security != "tls" && c.Security != "none":
		return fmt.Errorf("--smtp-security は starttls・tls・none のいずれかです")
	case c.Charset != "utf-8" && c.Charset != "iso-2022-jp":
		return fmt.Errorf("--smtp-charset は utf-8 か iso-2022-jp です")
	case c.Port <= 0 || c.Port > 65535:
		return fmt.Errorf("--smtp-port はポート番号（1〜65535）です")
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("--smtp-from は送信元のメールアドレス（例: mamori@city.example.lg.jp）です")
	}
	return nil
}

// Message is one mail to send.
type Message struct {
	To, ToName    string
	Subject, Body string
	Kind          string // reminder, link, notice, test
	Ref           string // the audit-log target it is about
	// Key, when set, queues the message once: the same key again is
	// dropped (a reminder of one person for one round).
	Key string
}

// Outbox queues and sends mail.
type Outbox struct {
	db    *database.DB
	log   *auditlog.Log
	flags Config                 // from the command line (and the environment)
	cur   atomic.Pointer[Config] // in force: the screen's settings, or flags
	mu    sync.Mutex             // serialises Reload's stores
	gen   uint64                 // bumped by a save; a reload started before is not kept
	now   func() time.Time
	slog  *slog.Logger
	owner string
}

// New returns the outbox.
func New(db *database.DB, log *auditlog.Log, cfg Config, now func() time.Time, sl *slog.Logger) *Outbox {
	if now == nil {
		now = time.Now
	}
	if sl == nil {
		sl = slog.Default()
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	cfg = cfg.WithDefaults()
	o := &Outbox{db: db, log: log, flags: cfg, now: now, slog: sl, owner: hex.EncodeToString(b)}
	o.cur.Store(&cfg)
	return o
}

// Config is the outbox's SMTP configuration (the password left out).
func (o *Outbox) Config() Config { c := o.cfg(); c.Password = ""; return c }

// cfg is the configuration in force.
func (o *Outbox) cfg() Config { return *o.cur.Load() }

// Enabled reports whether mail is configured.
func (o *Outbox) Enabled() bool { return o != nil && o.cfg().Enabled() }

// Enqueue queues m in the context's transaction. Without mail configured,
// or to an address that is not one, it queues nothing and reports false;
// a message with a Key already queued is not queued again.
func (o *Outbox) Enqueue(ctx context.Context, m Message) (bool, error) {
	if !o.Enabled() {
		return false, nil
	}
	a, err := mail.ParseAddress(strings.TrimSpace(m.To))
	if err != nil || strings.ContainsAny(a.Address, "\r\n") {
		return false, nil
	}
	var key any
	if m.Key != "" {
		key = m.Key
	}
	now := database.T(o.now())
	res, err := o.db.Exec(ctx, `INSERT INTO mail_outbox (kind, ref, dedupe_key, to_addr, to_name, subject, body, next_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING`, m.Kind, m.Ref, key, a.Address, m.ToName, oneLine(m.Subject), m.Body, now, now)
	if err != nil {
		return false, fmt.Errorf("mail.Enqueue: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Row is one queued or sent message, for the administrator's list.
type Row struct {
	ID                        int64
	Kind, Ref, To, Subject    string
	Status                    string
	Attempts                  int
	LastError                 string
	CreatedAt, SentAt, NextAt time.Time
}

// StatusLabel is the state in Japanese.
func (r Row) StatusLabel() string {
	return map[string]string{"queued": "送信待ち", "sending": "送信中", "sent": "送信済み", "failed": "送信失敗"}[r.Status]
}

// List lists the latest messages (status "" every state).
func (o *Outbox) List(ctx context.Context, status string, limit int) ([]Row, error) {
	q := "SELECT id, kind, ref, to_addr, subject, status, attempts, last_error, created_at, sent_at, next_at FROM mail_outbox"
	var args []any
	if status != "" {
		q += " WHERE status = ?"
		args = append(args, status)
	}
	rows, err := o.db.Query(ctx, q+" ORDER BY id DESC LIMIT "+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, fmt.Errorf("mail.List: %w", err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		var r Row
		var c, s, n string
		if err := rows.Scan(&r.ID, &r.Kind, &r.Ref, &r.To, &r.Subject, &r.Status, &r.Attempts, &r.LastError, &c, &s, &n); err != nil {
			return nil, err
		}
		r.CreatedAt, r.SentAt, r.NextAt = database.ParseTime(c), database.ParseTime(s), database.ParseTime(n)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Retry puts a failed message back in the queue.
func (o *Outbox) Retry(ctx context.Context, id int64) error {
	return o.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := o.db.Exec(ctx, "UPDATE mail_outbox SET status = 'queued', attempts = 0, next_at = ?, last_error = '' WHERE id = ? AND status = 'failed'", database.T(o.now()), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return database.ErrNotFound
		}
		return o.log.Record(ctx, "mail.retry", fmt.Sprintf("mail:%d", id), "送信に失敗したメールを再送の待ちに戻した")
	})
}

// maxAttempts is how often a message is tried before it is failed.
const maxAttempts = 6

// backoff is the wait before attempt n+1.
func backoff(n int) time.Duration {
	return []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour}[min(max(n-1, 0), 4)]
}

// lease is how long a claimed message is this instance's to send.
const lease = 2 * time.Minute

// Flush sends the messages that are due (claimed one by one, so two
// instances never send the same one), at most batch of them, and reports
// how many were sent and how many failed for good.
func (o *Outbox) Flush(ctx context.Context, batch int) (sent, failed int, err error) {
	if !o.Enabled() {
		return 0, 0, nil
	}
	now := o.now()
	rows, err := o.db.Query(ctx, `SELECT id FROM mail_outbox WHERE (status = 'queued' AND next_at <= ?) OR (status = 'sending' AND lease_until < ?)
		ORDER BY id LIMIT `+strconv.Itoa(batch), database.T(now), database.T(now))
	if err != nil {
		return 0, 0, fmt.Errorf("mail.Flush: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		ok, perm, err := o.sendOne(ctx, id)
		switch {
		case err != nil:
			return sent, failed, err
		case ok:
			sent++
		case perm:
			failed++
		}
	}
	return sent, failed, nil
}

// sendOne claims message id and sends it; it reports whether it was sent,
// and whether it failed for good.
func (o *Outbox) sendOne(ctx context.Context, id int64) (bool, bool, error) {
	now := o.now()
	res, err := o.db.Exec(ctx, `UPDATE mail_outbox SET status = 'sending', lease_owner = ?, lease_until = ?, attempts = attempts + 1
		WHERE id = ? AND ((status = 'queued' AND next_at <= ?) OR (status = 'sending' AND lease_until < ?))`,
		o.owner, database.T(now.Add(lease)), id, database.T(now), database.T(now))
	if err != nil {
		return false, false, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return false, false, nil // another instance has it
	}
	var to, name, subject, body string
	var attempts int
	var created string
	if err := o.db.QueryRow(ctx, "SELECT to_addr, to_name, subject, body, attempts, created_at FROM mail_outbox WHERE id = ?", id).
		Scan(&to, &name, &subject, &body, &attempts, &created); err != nil {
		return false, false, err
	}
	cfg := o.cfg()
	data, err := Compose(cfg, to, name, subject, body, messageID(id, created, cfg.From), now)
	unwritable := err != nil // a text the charset cannot carry: retrying will not help
	if err == nil {
		err = o.deliver(ctx, to, data)
	}
	if err == nil {
		// A one-time link's text is dropped once sent: the link works
		// without signing in, so it is kept nowhere in clear.
		_, err := o.db.Exec(ctx, "UPDATE mail_outbox SET status = 'sent', sent_at = ?, lease_owner = '', last_error = '', body = CASE WHEN kind = 'link' THEN '' ELSE body END WHERE id = ? AND lease_owner = ?",
			database.T(o.now()), id, o.owner)
		return err == nil, false, err
	}
	msg := err.Error()
	if utf8.RuneCountInString(msg) > 500 {
		msg = string([]rune(msg)[:500])
	}
	var tp *textproto.Error
	permanent := unwritable || errors.As(err, &tp) && tp.Code >= 500 || attempts >= maxAttempts
	status, next := "queued", database.T(o.now().Add(backoff(attempts)))
	if permanent {
		status = "failed"
	}
	o.slog.Warn("mail not sent", "id", id, "attempt", attempts, "err", msg)
	if _, uerr := o.db.Exec(ctx, "UPDATE mail_outbox SET status = ?, next_at = ?, last_error = ?, lease_owner = '' WHERE id = ? AND lease_owner = ?",
		status, next, msg, id, o.owner); uerr != nil {
		return false, false, uerr
	}
	if permanent {
		if lerr := o.log.Record(ctx, "mail.failed", fmt.Sprintf("mail:%d", id), "メールを送れませんでした（"+msg+"）"); lerr != nil {
			return false, true, lerr
		}
	}
	return false, permanent, nil
}

// Run sends due mail every interval until ctx ends.
// The settings are read again on each round, so that a change made on
// the administrator's screen of any instance takes effect on all of them.
func (o *Outbox) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := o.Reload(ctx); err != nil && ctx.Err() == nil {
			o.slog.Error("mail settings", "err", err)
		}
		if o.Enabled() {
			if _, _, err := o.Flush(ctx, 50); err != nil && ctx.Err() == nil {
				o.slog.Error("mail flush", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func messageID(id int64, created, from string) string {
	domain := "mamori.invalid"
	if _, d, ok := strings.Cut(from, "@"); ok && d != "" {
		domain = d
	}
	h := strings.NewReplacer(":", "", "-", "", ".", "", "T", "", "Z", "", "+", "").Replace(created)
	return fmt.Sprintf("<mamori.%d.%s@%s>", id, h, domain)
}

// deliver sends data to one recipient through the configured server.
func (o *Outbox) deliver(ctx context.Context, to string, data []byte) error {
	cfg := o.cfg()
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	tc := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.Insecure} //nolint:gosec // tests only
	d := net.Dialer{Timeout: 15 * time.Second}
	var conn net.Conn
	var err error
	if cfg.Security == "tls" {
		conn, err = tls.DialWithDialer(&d, "tcp", addr, tc)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return err
	}
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if cfg.Security == "starttls" {
		if err := c.StartTLS(tc); err != nil {
			return err
		}
	}
	if cfg.User != "" {
		if err := c.Auth(smtp.PlainAuth("", cfg.User, cfg.Password, cfg.Host)); err != nil {
			return err
		}
	}
	if err := c.Mail(cfg.From); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// Compose writes the message in the configured charset: UTF-8 (base64)
// or ISO-2022-JP (7 bit, the form older Japanese mail software expects).
func Compose(c Config, to, toName, subject, body, msgID string, now time.Time) ([]byte, error) {
	body = strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n")
	var b bytes.Buffer
	enc := func(s string) (string, error) { return mime.BEncoding.Encode("UTF-8", s), nil }
	if c.Charset == "iso-2022-jp" {
		enc = func(s string) (string, error) {
			if isASCII(s) {
				return s, nil
			}
			j, err := japanese.ISO2022JP.NewEncoder().String(s)
			if err != nil {
				return "", fmt.Errorf("ISO-2022-JP で書けない文字があります: %w", err)
			}
			return "=?ISO-2022-JP?B?" + base64.StdEncoding.EncodeToString([]byte(j)) + "?=", nil
		}
	}
	addr := func(name, a string) (string, error) {
		if name == "" {
			return "<" + a + ">", nil
		}
		n, err := enc(name)
		return n + " <" + a + ">", err
	}
	from, err := addr(c.FromName, c.From)
	if err != nil {
		return nil, err
	}
	toH, err := addr(toName, to)
	if err != nil {
		return nil, err
	}
	subj, err := enc(subject)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n", from, toH, subj, now.Format(time.RFC1123Z), msgID)
	if c.Charset == "iso-2022-jp" {
		j, err := japanese.ISO2022JP.NewEncoder().String(body)
		if err != nil {
			return nil, fmt.Errorf("本文に ISO-2022-JP で書けない文字があります: %w", err)
		}
		fmt.Fprintf(&b, "Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n%s\r\n", j)
		return b.Bytes(), nil
	}
	b.WriteString("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	s := base64.StdEncoding.EncodeToString([]byte(body))
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s + "\r\n")
	return b.Bytes(), nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
