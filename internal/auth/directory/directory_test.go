package directory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"mamori/internal/auth/directory"
	"mamori/internal/testkit"
)

// TestGroupsByMember: against an OpenLDAP without memberOf, the user's
// groups are found by a member search under the group base; the first
// mapped group in the configuration wins; a user in none is ErrNoRole.
func TestGroupsByMember(t *testing.T) {
	sl := testkit.StartPlainSlapd(t)
	conn, err := ldap.DialURL(sl.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Bind(sl.RootDN, sl.RootPW); err != nil {
		t.Fatal(err)
	}
	add := func(dn string, attrs map[string][]string) {
		t.Helper()
		r := ldap.NewAddRequest(dn, nil)
		for k, v := range attrs {
			r.Attribute(k, v)
		}
		if err := conn.Add(r); err != nil {
			t.Fatalf("add %s: %v", dn, err)
		}
	}
	people, groups := "ou=people,"+sl.Suffix, "ou=groups,"+sl.Suffix
	add(sl.Suffix, map[string][]string{"objectClass": {"dcObject", "organization"}, "dc": {"hinode"}, "o": {"ひので区"}})
	add(people, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"people"}})
	add(groups, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"groups"}})
	for _, u := range []string{"yamada", "kato"} {
		add("uid="+u+","+people, map[string][]string{"objectClass": {"inetOrgPerson"}, "uid": {u}, "cn": {u}, "sn": {u}, "userPassword": {u + "-Pass-1"}})
	}
	add("cn=viewers,"+groups, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"viewers"}, "member": {"uid=yamada," + people}})
	add("cn=consultants,"+groups, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"consultants"}, "member": {"uid=yamada," + people}})

	d := directory.New(directory.Config{URL: sl.URL, BindDN: sl.RootDN, BindPassword: sl.RootPW, Base: people, GroupBase: groups, Filter: "(uid=%s)",
		Roles: []directory.RoleGroup{{Role: "consultant", Group: "CN=Consultants," + groups}, {Role: "viewer", Group: "cn=viewers," + groups}}})
	u, err := d.Authenticate(context.Background(), "Yamada", "yamada-Pass-1")
	if err != nil || u.Role != "consultant" || u.Login != "yamada" || u.Name != "yamada" || len(u.Groups) != 2 {
		t.Fatalf("yamada: %+v %v", u, err)
	}
	if _, err := d.Authenticate(context.Background(), "kato", "kato-Pass-1"); !errors.Is(err, directory.ErrNoRole) {
		t.Errorf("kato in no group: %v", err)
	}
	if _, err := d.Authenticate(context.Background(), "kato", "wrong"); !errors.Is(err, directory.ErrPassword) {
		t.Errorf("a wrong password: %v", err)
	}
	bad := directory.New(directory.Config{URL: sl.URL, BindDN: sl.RootDN, BindPassword: "not-it", Base: people, Filter: "(uid=%s)"})
	if _, err := bad.Authenticate(context.Background(), "kato", "kato-Pass-1"); !errors.Is(err, directory.ErrDown) {
		t.Errorf("a service account refused: %v", err)
	}
}
