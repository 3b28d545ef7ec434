// Package config holds Mamori's deployment configuration: defaults in code,
// overridden by MAMORI_* environment variables, then by command-line flags.
package config

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"mamori/internal/database"
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
}

// Default returns the configuration before environment and flags.
func Default() Config {
	return Config{Addr: "127.0.0.1:8080", Data: "mamori-data", DemoPassword: "mamori-demo",
		IdleTimeout: 30 * time.Minute, MaxSession: 12 * time.Hour, LogLevel: "info"}
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
	set("MAMORI_DEMO_PASSWORD", &c.DemoPassword)
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
	return map[string]any{"addr": c.Addr, "data": c.Data, "db": dsn, "tls": c.TLSCert != "", "demo": c.Demo}
}
