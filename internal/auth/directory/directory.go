// Package directory authenticates staff against the ward's directory
// (Active Directory or OpenLDAP): the service account searches the user by
// an escaped filter, the user's own password is checked by binding as the
// user, and the user's groups are mapped to a Mamori role. Passwords are
// never stored.
package directory

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Config is how to reach the directory and read it.
type Config struct {
	URL          string // ldaps://dc01.example.lg.jp or ldap://… (with StartTLS)
	StartTLS     bool   // upgrade ldap:// with StartTLS
	CAFile       string // PEM of the CA that signed the directory's certificate ("" the system's)
	BindDN       string // the service account
	BindPassword string // read from a file by the caller, never logged
	Base         string // where users are searched, e.g. ou=職員,dc=hinode,dc=lg,dc=jp
	// Filter finds a user by login name: %s is replaced by the escaped
	// name, e.g. (sAMAccountName=%s) for Active Directory, (uid=%s).
	Filter    string
	NameAttr  string // display name: displayName (falls back to cn)
	StaffAttr string // the staff number linking to the roster: employeeID (AD), employeeNumber
	// GroupBase is where groups are searched by member when the user entry
	// has no memberOf (OpenLDAP without the memberOf overlay); "" Base.
	GroupBase string
	// Roles maps groups to roles, first match wins: role and group DN.
	Roles   []RoleGroup
	Timeout time.Duration // per operation (default 5 s)
}

// RoleGroup is one group's role.
type RoleGroup struct{ Role, Group string }

// User is a directory user who proved their password.
type User struct {
	Login   string
	DN      string
	Name    string
	StaffNo string
	Role    string
	Groups  []string
}

// Errors of Authenticate. A caller tells the user only "wrong ID or
// password" for the first three (they are not told apart), and that the
// directory cannot be reached for ErrDown.
var (
	ErrNoUser   = errors.New("directory: no such user")
	ErrPassword = errors.New("directory: wrong password")
	ErrNoRole   = errors.New("directory: the user is in no group mapped to a role")
	ErrDown     = errors.New("ディレクトリサーバー（Active Directory／LDAP）に接続できません。しばらくしてからもう一度ログインしてください。")
)

// ParseRoles reads "admin=cn=…,ou=groups,dc=…;auditor=cn=…" (entries
// separated by ; or new lines, first match wins).
func ParseRoles(s string, valid func(string) bool) ([]RoleGroup, error) {
	var out []RoleGroup
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '\n' }) {
		role, group, ok := strings.Cut(strings.TrimSpace(f), "=")
		role, group = strings.TrimSpace(role), strings.TrimSpace(group)
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !ok || group == "" || !valid(role) {
			return nil, fmt.Errorf("--ldap-groups: 「%s」は「役割=グループのDN」の形ではないか、役割（admin, consultant, auditor, auditee, viewer, staff, vendor）が正しくありません", f)
		}
		if _, err := ldap.ParseDN(group); err != nil {
			return nil, fmt.Errorf("--ldap-groups: グループ「%s」は DN として読めません", group)
		}
		out = append(out, RoleGroup{Role: role, Group: group})
	}
	return out, nil
}

// Check reports what is missing or wrong in c, in Japanese.
func (c Config) Check() error {
	u, err := url.Parse(c.URL)
	switch {
	case err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "":
		return fmt.Errorf("--ldap-url は ldaps://ホスト名 または ldap://ホスト名 の形で指定してください")
	case u.Scheme == "ldaps" && c.StartTLS:
		return fmt.Errorf("--ldap-start-tls は ldap:// のときだけ指定できます")
	case c.Base == "":
		return fmt.Errorf("--ldap-base（利用者を探す場所の DN）を指定してください")
	case !strings.Contains(c.Filter, "%s"):
		return fmt.Errorf("--ldap-filter には利用者名の位置を %%s で示してください（例: (sAMAccountName=%%s)）")
	case len(c.Roles) == 0:
		return fmt.Errorf("--ldap-groups でグループと役割の対応を1つ以上指定してください（例: admin=cn=mamori-admins,ou=groups,dc=example）")
	}
	return nil
}

// Directory is a configured directory.
type Directory struct{ cfg Config }

// New returns the directory.
func New(c Config) *Directory {
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	if c.NameAttr == "" {
		c.NameAttr = "displayName"
	}
	return &Directory{cfg: c}
}

func (d *Directory) dial(ctx context.Context) (*ldap.Conn, error) {
	u, err := url.Parse(d.cfg.URL)
	if err != nil {
		return nil, err
	}
	tc := &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	if d.cfg.CAFile != "" {
		pem, err := os.ReadFile(d.cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("directory: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("directory: no certificate in %s", d.cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	dialer := &net.Dialer{Timeout: d.cfg.Timeout}
	if dl, ok := ctx.Deadline(); ok {
		dialer.Deadline = dl
	}
	conn, err := ldap.DialURL(d.cfg.URL, ldap.DialWithDialer(dialer), ldap.DialWithTLSConfig(tc))
	if err != nil {
		return nil, err
	}
	conn.SetTimeout(d.cfg.Timeout)
	if d.cfg.StartTLS {
		if err := conn.StartTLS(tc); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return conn, nil
}

// down wraps a failure to reach or use the directory.
func down(err error) error { return fmt.Errorf("%w (%v)", ErrDown, err) }

// Authenticate checks login's password against the directory and returns
// the user with the role of the first mapped group they are in. An empty
// password is refused before anything is sent (an LDAP bind with an
// empty password is an anonymous bind, which "succeeds").
func (d *Directory) Authenticate(ctx context.Context, login, password string) (User, error) {
	login = strings.TrimSpace(login)
	if login == "" || password == "" || len(login) > 256 {
		return User{}, ErrPassword
	}
	conn, err := d.dial(ctx)
	if err != nil {
		return User{}, down(err)
	}
	defer conn.Close()
	if err := conn.Bind(d.cfg.BindDN, d.cfg.BindPassword); err != nil {
		return User{}, down(fmt.Errorf("service bind: %w", err))
	}
	attrs := []string{"dn", d.cfg.NameAttr, "cn", "memberOf"}
	if d.cfg.StaffAttr != "" {
		attrs = append(attrs, d.cfg.StaffAttr)
	}
	filter := strings.ReplaceAll(d.cfg.Filter, "%s", ldap.EscapeFilter(login))
	res, err := conn.Search(ldap.NewSearchRequest(d.cfg.Base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 2, int(d.cfg.Timeout/time.Second), false,
		filter, attrs, nil))
	if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
		return User{}, ErrNoUser
	}
	if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
		return User{}, down(fmt.Errorf("search: %w", err))
	}
	if res == nil || len(res.Entries) != 1 {
		return User{}, ErrNoUser // none, or ambiguous
	}
	e := res.Entries[0]
	if err := conn.Bind(e.DN, password); err != nil {
		if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			return User{}, ErrPassword
		}
		return User{}, down(fmt.Errorf("user bind: %w", err))
	}
	u := User{Login: strings.ToLower(login), DN: e.DN, Name: e.GetAttributeValue(d.cfg.NameAttr), Groups: e.GetAttributeValues("memberOf")}
	if u.Name == "" {
		u.Name = e.GetAttributeValue("cn")
	}
	if d.cfg.StaffAttr != "" {
		u.StaffNo = strings.TrimSpace(e.GetAttributeValue(d.cfg.StaffAttr))
	}
	if len(u.Groups) == 0 {
		// No memberOf: ask the groups, as the service account again.
		if err := conn.Bind(d.cfg.BindDN, d.cfg.BindPassword); err != nil {
			return User{}, down(fmt.Errorf("service bind: %w", err))
		}
		base := d.cfg.GroupBase
		if base == "" {
			base = d.cfg.Base
		}
		gf := "(|(&(objectClass=groupOfNames)(member=" + ldap.EscapeFilter(e.DN) + "))(&(objectClass=group)(member=" + ldap.EscapeFilter(e.DN) + ")))"
		gr, err := conn.Search(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, int(d.cfg.Timeout/time.Second), false,
			gf, []string{"dn"}, nil))
		if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
			return User{}, down(fmt.Errorf("group search: %w", err))
		}
		if gr != nil {
			for _, g := range gr.Entries {
				u.Groups = append(u.Groups, g.DN)
			}
		}
	}
	for _, rg := range d.cfg.Roles {
		for _, g := range u.Groups {
			if sameDN(g, rg.Group) {
				u.Role = rg.Role
				return u, nil
			}
		}
	}
	return u, ErrNoRole
}

// sameDN compares two DNs as the directory does (case and spacing aside).
func sameDN(a, b string) bool {
	da, err1 := ldap.ParseDN(a)
	db, err2 := ldap.ParseDN(b)
	if err1 != nil || err2 != nil {
		return strings.EqualFold(a, b)
	}
	return da.EqualFold(db)
}
