package testkit

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Slapd is a real OpenLDAP server (Debian's slapd) started for one test on
// a free local port, with an empty tree under Suffix, the memberof overlay
// (users get memberOf as in Active Directory) and RootDN/RootPW to fill it.
type Slapd struct {
	URL    string
	Suffix string
	RootDN string
	RootPW string
	cmd    *exec.Cmd
	conf   string
}

// StartSlapd starts slapd (failing in CI, skipping elsewhere, when it is
// not installed) and stops it when the test ends.
func StartSlapd(t testing.TB) *Slapd { return startSlapd(t, true) }

// StartPlainSlapd is StartSlapd without the memberof overlay: users have
// no memberOf, as in an OpenLDAP set up without it.
func StartPlainSlapd(t testing.TB) *Slapd { return startSlapd(t, false) }

func startSlapd(t testing.TB, memberOf bool) *Slapd {
	t.Helper()
	bin, err := exec.LookPath("slapd")
	if err != nil {
		if bin = "/usr/sbin/slapd"; !exists(bin) {
			Missing(t, "slapd", "apt-get install slapd ldap-utils")
		}
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	s := &Slapd{Suffix: "dc=hinode,dc=example", RootDN: "cn=admin,dc=hinode,dc=example", RootPW: "root-secret-for-tests"}
	conf := fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
%[5]spidfile %[1]s/slapd.pid
database mdb
maxsize 10485760
suffix "%[2]s"
rootdn "%[3]s"
rootpw %[4]s
directory %[1]s/db
%[6]s`, dir, s.Suffix, s.RootDN, s.RootPW, map[bool]string{true: "moduleload memberof\n"}[memberOf], map[bool]string{true: "overlay memberof\n"}[memberOf])
	s.conf = filepath.Join(dir, "slapd.conf")
	if err := os.WriteFile(s.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	s.start(t, bin, freePort(t))
	t.Cleanup(s.Stop)
	return s
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (s *Slapd) start(t testing.TB, bin, addr string) {
	t.Helper()
	s.URL = "ldap://" + addr
	var logs strings.Builder
	s.cmd = exec.Command(bin, "-d", "0", "-h", s.URL+"/", "-f", s.conf)
	s.cmd.Stdout, s.cmd.Stderr = &logs, &logs
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("slapd: %v", err)
	}
	for i := 0; i < 100; i++ {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.Stop()
	t.Fatalf("slapd did not start on %s:\n%s", addr, logs.String())
}

// Stop stops the server (the directory is then down).
func (s *Slapd) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

// Tree is a connection to the server bound as its root, to fill the
// directory in a test.
type Tree struct {
	t    testing.TB
	conn *ldap.Conn
}

// Tree connects as the root and makes the suffix entry (dc=hinode) with
// the organisational units named (ou=people, ou=groups …).
func (s *Slapd) Tree(t testing.TB, units ...string) *Tree {
	t.Helper()
	conn, err := ldap.DialURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Bind(s.RootDN, s.RootPW); err != nil {
		t.Fatal(err)
	}
	tr := &Tree{t: t, conn: conn}
	tr.Add(s.Suffix, map[string][]string{"objectClass": {"dcObject", "organization"}, "dc": {"hinode"}, "o": {"ひので区"}})
	for _, u := range units {
		tr.Add("ou="+u+","+s.Suffix, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {u}})
	}
	return tr
}

// Add adds an entry.
func (tr *Tree) Add(dn string, attrs map[string][]string) {
	tr.t.Helper()
	r := ldap.NewAddRequest(dn, nil)
	for k, v := range attrs {
		r.Attribute(k, v)
	}
	if err := tr.conn.Add(r); err != nil {
		tr.t.Fatalf("add %s: %v", dn, err)
	}
}

// Member adds (add) or removes a member of group.
func (tr *Tree) Member(group, member string, add bool) {
	tr.t.Helper()
	op := uint(ldap.DeleteAttribute)
	if add {
		op = ldap.AddAttribute
	}
	if err := tr.conn.Modify(&ldap.ModifyRequest{DN: group, Changes: []ldap.Change{{Operation: op,
		Modification: ldap.PartialAttribute{Type: "member", Vals: []string{member}}}}}); err != nil {
		tr.t.Fatalf("member %s of %s: %v", member, group, err)
	}
}
