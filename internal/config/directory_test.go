package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDirectoryConfig: directory login is off without --ldap-url; a
// configuration it cannot use is refused with the flag named.
func TestDirectoryConfig(t *testing.T) {
	if dc, err := Default().Directory(); dc != nil || err != nil {
		t.Fatalf("off by default: %v %v", dc, err)
	}
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := LDAP{URL: "ldaps://dc01.hinode.example", BindDN: "cn=svc,dc=hinode,dc=example", BindPassFile: pw, Base: "ou=people,dc=hinode,dc=example",
		Groups: "admin=cn=mamori-admins,ou=groups,dc=hinode,dc=example; auditor = cn=auditors,ou=groups,dc=hinode,dc=example"}
	c := Default()
	c.LDAP = ok
	dc, err := c.Directory()
	if err != nil || dc.BindPassword != "s3cret" || dc.Filter != "(sAMAccountName=%s)" || dc.StaffAttr != "employeeID" || len(dc.Roles) != 2 || dc.Roles[1].Role != "auditor" {
		t.Fatalf("a usable configuration: %+v %v", dc, err)
	}
	for _, bad := range []struct {
		change func(*LDAP)
		want   string
	}{
		{func(l *LDAP) { l.URL = "http://dc01" }, "--ldap-url"},
		{func(l *LDAP) { l.StartTLS = true }, "--ldap-start-tls"},
		{func(l *LDAP) { l.Base = "" }, "--ldap-base"},
		{func(l *LDAP) { l.Filter = "(uid=admin)" }, "--ldap-filter"},
		{func(l *LDAP) { l.Groups = "" }, "--ldap-groups"},
		{func(l *LDAP) { l.Groups = "root=cn=x,dc=y" }, "役割"},
		{func(l *LDAP) { l.Groups = "admin=not a dn" }, "DN"},
		{func(l *LDAP) { l.BindPassFile = filepath.Join(t.TempDir(), "none") }, "--ldap-bind-password-file"},
	} {
		c := Default()
		c.LDAP = ok
		bad.change(&c.LDAP)
		if _, err := c.Directory(); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("want an error naming %s, got %v", bad.want, err)
		}
	}
}
