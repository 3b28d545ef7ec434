// Package config holds Mamori's deployment configuration: defaults in code,
// overridden by MAMORI_* environment variables, then by command-line flags.
package config

import (
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"mamori/internal/auth/directory"
	"mamori/internal/database"
	"mamori/internal/mail"
)

// Config is the whole deployment configuration.
type Config struct {
	Addr         string // listen address
	Data         string // folder for the SQLite file and the blob store
	DB           string // SQLite path or postgres:// URL; default Data/mamori.db
	TLSCert      string
	TLSKey       string
	Demo         bool   // load the demo ward into an empty database
	DemoPassword string // MAMORI_DEMO_PASSWORD, default mamori-demo
	IdleTimeout  time.Duration
	MaxSession   time.Duration
	LogLevel     string
	// TrustedProxy lists the reverse proxies in front of Mamori (addresses
	// or networks, comma-separated). Requests from them are taken to come
	// from the address in X-Forwarded-For, over HTTPS when
	// X-Forwarded-Proto says so (Secure cookies, HSTS). MAMORI_TRUSTED_PROXY.
	TrustedProxy string
	AuditKeyFile string // key of the audit-log chain; default DATA/auditlog.key (auditlog.KeyPath)
	LDAP         LDAP   // directory login; off while URL is empty
	SMTP         SMTP   // outgoing mail; off while Host is empty
	PublicURL    string // where staff reach Mamori, for links in mail (MAMORI_PUBLIC_URL)
	BackupDir    string // nightly backups go here (none while empty)
	BackupKeep   int    // how many nightly backups are kept (default 14)
	BackupHour   int    // the hour of the nightly backup, Japan time (default 2)
	// StopDrain is how long a stopping server keeps serving, with /livez
	// answering 503, before it stops taking requests: long enough for a
	// load balancer to take it out of rotation (MAMORI_STOP_DRAIN).
	StopDrain time.Duration
}

// SMTP is the outgoing mail server.
type SMTP struct {
	Host     string
	Port     int
	Security string // starttls (default), tls, none
	User     string
	PassFile string
	From     string
	FromName string
	Charset  string // utf-8 (default), iso-2022-jp
}

// LDAP is the directory login's configuration (Active Directory / LDAP).
type LDAP struct {
	URL          string // ldaps://… or ldap://… (with StartTLS)
	StartTLS     bool
	CAFile       string
	BindDN       string
	BindPassFile string // the service account's password, in a file (never a flag's value)
	Base         string
	Filter       string // default (sAMAccountName=%s)
	NameAttr     string // default displayName
	StaffAttr    string // default employeeID
	GroupBase    string
	Groups       string // role=group DN;…
}

// Default returns the configuration before environment and flags.
func Default() Config {
	return Config{Addr: "127.0.0.1:8080", Data: "mamori-data", DemoPassword: "mamori-demo",
		IdleTimeout: 30 * time.Minute, MaxSession: 12 * time.Hour, LogLevel: "info", BackupKeep: 14, BackupHour: 2}
}

// FromEnv applies MAMORI_* variables (and *_FILE for secrets).
func (c *Config) FromEnv() {
	set := func(k string, dst *string) {
		if v := os.Getenv(k); v != "" {
			*dst = v
		}
	}
	set("MAMORI_ADDR", &c.Addr)
	set("MAMORI_DATA", &c.Data)
	set("MAMORI_DB", &c.DB)
	set("MAMORI_TLS_CERT", &c.TLSCert)
	set("MAMORI_TLS_KEY", &c.TLSKey)
	set("MAMORI_LOG_LEVEL", &c.LogLevel)
	set("MAMORI_AUDIT_KEY_FILE", &c.AuditKeyFile)
	set("MAMORI_DEMO_PASSWORD", &c.DemoPassword)
	set("MAMORI_TRUSTED_PROXY", &c.TrustedProxy)
	set("MAMORI_LDAP_URL", &c.LDAP.URL)
	set("MAMORI_LDAP_CA_FILE", &c.LDAP.CAFile)
	set("MAMORI_LDAP_BIND_DN", &c.LDAP.BindDN)
	set("MAMORI_LDAP_BIND_PASSWORD_FILE", &c.LDAP.BindPassFile)
	set("MAMORI_LDAP_BASE", &c.LDAP.Base)
	set("MAMORI_LDAP_FILTER", &c.LDAP.Filter)
	set("MAMORI_LDAP_NAME_ATTR", &c.LDAP.NameAttr)
	set("MAMORI_LDAP_STAFF_ATTR", &c.LDAP.StaffAttr)
	set("MAMORI_LDAP_GROUP_BASE", &c.LDAP.GroupBase)
	set("MAMORI_LDAP_GROUPS", &c.LDAP.Groups)
	set("MAMORI_PUBLIC_URL", &c.PublicURL)
	set("MAMORI_BACKUP_DIR", &c.BackupDir)
	if v, err := time.ParseDuration(os.Getenv("MAMORI_STOP_DRAIN")); err == nil {
		c.StopDrain = v
	}
	if v, err := strconv.Atoi(os.Getenv("MAMORI_BACKUP_KEEP")); err == nil {
		c.BackupKeep = v
	}
	set("MAMORI_SMTP_HOST", &c.SMTP.Host)
	set("MAMORI_SMTP_SECURITY", &c.SMTP.Security)
	set("MAMORI_SMTP_USER", &c.SMTP.User)
	set("MAMORI_SMTP_PASSWORD_FILE", &c.SMTP.PassFile)
	set("MAMORI_SMTP_FROM", &c.SMTP.From)
	set("MAMORI_SMTP_FROM_NAME", &c.SMTP.FromName)
	set("MAMORI_SMTP_CHARSET", &c.SMTP.Charset)
	if v, err := strconv.Atoi(os.Getenv("MAMORI_SMTP_PORT")); err == nil {
		c.SMTP.Port = v
	}
	if v := os.Getenv("MAMORI_LDAP_START_TLS"); v == "1" || strings.EqualFold(v, "true") {
		c.LDAP.StartTLS = true
	}
	if f := os.Getenv("MAMORI_DEMO_PASSWORD_FILE"); f != "" {
		if b, err := os.ReadFile(f); err == nil {
			c.DemoPassword = strings.TrimSpace(string(b))
		}
	}
	if f := os.Getenv("MAMORI_DB_FILE"); f != "" {
		if b, err := os.ReadFile(f); err == nil {
			c.DB = strings.TrimSpace(string(b))
		}
	}
}

// StorageFlags registers --db and --data, which every data command takes.
func (c *Config) StorageFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Data, "data", c.Data, "データフォルダ（SQLite ファイルと添付ファイルの保存先）。環境変数 MAMORI_DATA")
	fs.StringVar(&c.DB, "db", c.DB, "データベース: SQLite ファイルのパス、または postgres://… の URL（既定: DATA/mamori.db）。環境変数 MAMORI_DB")
	fs.StringVar(&c.AuditKeyFile, "audit-key-file", c.AuditKeyFile, "監査ログの鍵ファイル（既定: DATA/auditlog.key。データベースとは別にバックアップしてください）。環境変数 MAMORI_AUDIT_KEY_FILE")
}

// ServeFlags registers the flags of `mamori serve`.
func (c *Config) ServeFlags(fs *flag.FlagSet) {
	c.StorageFlags(fs)
	fs.StringVar(&c.Addr, "addr", c.Addr, "待ち受けるアドレス。環境変数 MAMORI_ADDR")
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "TLS 証明書ファイル（指定すると HTTPS で待ち受け、Cookie に Secure を付けます）")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "TLS 秘密鍵ファイル")
	fs.BoolVar(&c.Demo, "demo", c.Demo, "データベースが空なら、デモの区（ひので区）を作成して起動します")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "操作がないとログアウトするまでの時間")
	fs.DurationVar(&c.MaxSession, "max-session", c.MaxSession, "ログインの有効期限（操作していても）")
	fs.StringVar(&c.LDAP.URL, "ldap-url", c.LDAP.URL, "ディレクトリ（Active Directory／LDAP）でログインするときのサーバー（ldaps://… または ldap://…）。環境変数 MAMORI_LDAP_URL")
	fs.BoolVar(&c.LDAP.StartTLS, "ldap-start-tls", c.LDAP.StartTLS, "ldap:// の接続を StartTLS で暗号化する。環境変数 MAMORI_LDAP_START_TLS")
	fs.StringVar(&c.LDAP.CAFile, "ldap-ca-file", c.LDAP.CAFile, "ディレクトリの証明書を発行した CA の証明書（PEM）。環境変数 MAMORI_LDAP_CA_FILE")
	fs.StringVar(&c.LDAP.BindDN, "ldap-bind-dn", c.LDAP.BindDN, "利用者を検索するサービスアカウントの DN。環境変数 MAMORI_LDAP_BIND_DN")
	fs.StringVar(&c.LDAP.BindPassFile, "ldap-bind-password-file", c.LDAP.BindPassFile, "サービスアカウントのパスワードを書いたファイル。環境変数 MAMORI_LDAP_BIND_PASSWORD_FILE")
	fs.StringVar(&c.LDAP.Base, "ldap-base", c.LDAP.Base, "利用者を検索する場所の DN（例: ou=職員,dc=hinode,dc=lg,dc=jp）。環境変数 MAMORI_LDAP_BASE")
	fs.StringVar(&c.LDAP.Filter, "ldap-filter", c.LDAP.Filter, "ログインIDで利用者を探すフィルタ（%s がログインID。既定 (sAMAccountName=%s)、OpenLDAP では (uid=%s)）。環境変数 MAMORI_LDAP_FILTER")
	fs.StringVar(&c.LDAP.NameAttr, "ldap-name-attr", c.LDAP.NameAttr, "表示名の属性（既定 displayName）。環境変数 MAMORI_LDAP_NAME_ATTR")
	fs.StringVar(&c.LDAP.StaffAttr, "ldap-staff-attr", c.LDAP.StaffAttr, "職員名簿の職員番号と結び付ける属性（既定 employeeID）。環境変数 MAMORI_LDAP_STAFF_ATTR")
	fs.StringVar(&c.LDAP.GroupBase, "ldap-group-base", c.LDAP.GroupBase, "memberOf がないときにグループを検索する場所の DN（既定 --ldap-base）。環境変数 MAMORI_LDAP_GROUP_BASE")
	fs.StringVar(&c.LDAP.Groups, "ldap-groups", c.LDAP.Groups, "グループと役割の対応（役割=グループのDN を ; で区切る。先に書いたものが優先。例: admin=cn=mamori-admins,ou=groups,dc=…;auditor=cn=…）。環境変数 MAMORI_LDAP_GROUPS")
	fs.StringVar(&c.BackupDir, "backup-dir", c.BackupDir, "毎晩のバックアップの保存先フォルダ（省略時は定時のバックアップをしない）。環境変数 MAMORI_BACKUP_DIR")
	fs.IntVar(&c.BackupKeep, "backup-keep", c.BackupKeep, "残す定時バックアップの数（古いものから消します）。環境変数 MAMORI_BACKUP_KEEP")
	fs.IntVar(&c.BackupHour, "backup-hour", c.BackupHour, "定時バックアップの時刻（時、日本時間 0〜23）")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "職員が Mamori を開くアドレス（例: https://mamori.city.hinode.lg.jp）。メールのリンクに使います。環境変数 MAMORI_PUBLIC_URL")
	fs.StringVar(&c.SMTP.Host, "smtp-host", c.SMTP.Host, "メールを送る SMTP サーバー（省略時はメールを送らず、画面の通知だけ）。環境変数 MAMORI_SMTP_HOST")
	fs.IntVar(&c.SMTP.Port, "smtp-port", c.SMTP.Port, "SMTP のポート（既定: starttls 587、tls 465、none 25）。環境変数 MAMORI_SMTP_PORT")
	fs.StringVar(&c.SMTP.Security, "smtp-security", c.SMTP.Security, "SMTP の暗号化: starttls（既定）、tls、none。環境変数 MAMORI_SMTP_SECURITY")
	fs.StringVar(&c.SMTP.User, "smtp-user", c.SMTP.User, "SMTP 認証の利用者名（省略時は認証なし）。環境変数 MAMORI_SMTP_USER")
	fs.StringVar(&c.SMTP.PassFile, "smtp-password-file", c.SMTP.PassFile, "SMTP 認証のパスワードを書いたファイル。環境変数 MAMORI_SMTP_PASSWORD_FILE")
	fs.StringVar(&c.SMTP.From, "smtp-from", c.SMTP.From, "送信元のメールアドレス。環境変数 MAMORI_SMTP_FROM")
	fs.StringVar(&c.SMTP.FromName, "smtp-from-name", c.SMTP.FromName, "送信元の名前（例: ひので区 情報セキュリティ担当）。環境変数 MAMORI_SMTP_FROM_NAME")
	fs.StringVar(&c.SMTP.Charset, "smtp-charset", c.SMTP.Charset, "メールの文字コード: utf-8（既定）、iso-2022-jp。環境変数 MAMORI_SMTP_CHARSET")
	fs.StringVar(&c.TrustedProxy, "trusted-proxy", c.TrustedProxy, "前段のリバースプロキシのアドレス（カンマ区切り。10.0.0.0/8 のような範囲も可）。そこからの要求は X-Forwarded-For の利用者アドレスと X-Forwarded-Proto の HTTPS を信用します。環境変数 MAMORI_TRUSTED_PROXY")
	fs.DurationVar(&c.StopDrain, "stop-drain", c.StopDrain, "停止の合図（SIGTERM）を受けてから、/livez に 503 を返しつつ要求を受け続ける時間（既定 0）。負荷分散装置の後ろでは、その確認の間隔 × 失敗の回数より長くします（例: 5s）。環境変数 MAMORI_STOP_DRAIN")
}

// TrustedProxies returns TrustedProxy parsed; entries that do not parse
// are left out (Validate reports them).
func (c Config) TrustedProxies() []netip.Prefix {
	ps, _ := ParseProxies(c.TrustedProxy)
	return ps
}

// ParseProxies reads a comma-separated list of addresses ("192.0.2.10",
// "2001:db8::1") and networks ("10.0.0.0/8"); an address is a network of
// its own.
func ParseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		bad := fmt.Errorf("--trusted-proxy: %q は IP アドレスまたはその範囲（例: 10.0.0.0/8）ではありません", f)
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, bad
			}
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil || a.Zone() != "" {
			return nil, bad
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// DSN returns the database to open.
func (c Config) DSN() string {
	if c.DB != "" {
		return c.DB
	}
	return filepath.Join(c.Data, "mamori.db")
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("--tls-cert と --tls-key は両方指定してください")
	}
	if c.IdleTimeout < time.Minute || c.MaxSession < c.IdleTimeout {
		return fmt.Errorf("--idle-timeout は 1 分以上、--max-session はそれ以上にしてください")
	}
	if _, err := ParseProxies(c.TrustedProxy); err != nil {
		return err
	}
	if c.StopDrain < 0 || c.StopDrain > time.Minute {
		return fmt.Errorf("--stop-drain は 0 から 1m（1 分）の間にしてください（%s が指定されました）", c.StopDrain)
	}
	return nil
}

// Redacted is the configuration safe to log: the database password is hidden.
func (c Config) Redacted() map[string]any {
	dsn := c.DSN()
	if database.IsPostgres(dsn) {
		if i := strings.Index(dsn, "@"); i > 0 {
			if j := strings.Index(dsn, "://"); j > 0 && j < i {
				user := dsn[j+3 : i]
				if k := strings.Index(user, ":"); k >= 0 {
					dsn = dsn[:j+3] + user[:k] + ":***" + dsn[i:]
				}
			}
		}
	}
	return map[string]any{"addr": c.Addr, "data": c.Data, "db": dsn, "tls": c.TLSCert != "", "demo": c.Demo, "trusted_proxy": c.TrustedProxy}
}

// Directory is the directory login's configuration checked, with the
// service account's password read from its file; nil when --ldap-url is
// not set.
func (c Config) Directory() (*directory.Config, error) {
	l := c.LDAP
	if l.URL == "" {
		return nil, nil
	}
	dc := directory.Config{URL: l.URL, StartTLS: l.StartTLS, CAFile: l.CAFile, BindDN: l.BindDN, Base: l.Base, Filter: l.Filter,
		NameAttr: l.NameAttr, StaffAttr: l.StaffAttr, GroupBase: l.GroupBase}
	if dc.Filter == "" {
		dc.Filter = "(sAMAccountName=%s)"
	}
	if dc.StaffAttr == "" {
		dc.StaffAttr = "employeeID"
	}
	if l.BindPassFile != "" {
		b, err := os.ReadFile(l.BindPassFile)
		if err != nil {
			return nil, fmt.Errorf("--ldap-bind-password-file を読めません: %w", err)
		}
		dc.BindPassword = strings.TrimRight(string(b), "\r\n")
	}
	if dc.BindDN != "" && dc.BindPassword == "" {
		return nil, fmt.Errorf("--ldap-bind-dn のパスワードを --ldap-bind-password-file のファイルに書いてください")
	}
	var err error
	if dc.Roles, err = directory.ParseRoles(l.Groups, func(r string) bool {
		switch r {
		case "admin", "consultant", "auditor", "auditee", "staff", "vendor", "viewer":
			return true
		}
		return false
	}); err != nil {
		return nil, err
	}
	return &dc, dc.Check()
}

// Mail is the outgoing mail's configuration checked, with the password
// read from its file (mail is off while --smtp-host is empty).
func (c Config) Mail() (mail.Config, error) {
	m := mail.Config{BaseURL: c.PublicURL, Host: c.SMTP.Host, Port: c.SMTP.Port, Security: c.SMTP.Security, User: c.SMTP.User, From: c.SMTP.From,
		FromName: c.SMTP.FromName, Charset: strings.ToLower(c.SMTP.Charset)}
	if m.Host == "" {
		return m, nil
	}
	m = m.WithDefaults()
	if c.SMTP.PassFile != "" {
		b, err := os.ReadFile(c.SMTP.PassFile)
		if err != nil {
			return m, fmt.Errorf("--smtp-password-file を読めません: %w", err)
		}
		m.Password = strings.TrimRight(string(b), "\r\n")
	}
	if u, err := url.Parse(m.BaseURL); m.BaseURL != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
		return m, fmt.Errorf("--public-url は https://ホスト名 の形で指定してください")
	}
	if m.User != "" && m.Password == "" {
		return m, fmt.Errorf("--smtp-user のパスワードを --smtp-password-file のファイルに書いてください")
	}
	return m, m.Check()
}
