package directory_test

import (
	"context"
	"errors"
	"testing"

	"mamori/internal/auth/directory"
	"mamori/internal/testkit"
)

// TestGroupsByMember: against an OpenLDAP without memberOf, the user's
// groups are found by a member search under the group base; the first
// mapped group in the configuration wins; a user in none is ErrNoRole.
func TestGroupsByMember(t *testing.T) {
	sl := testkit.StartPlainSlapd(t)
	add := sl.Tree(t, "people", "groups").Add
	people, groups := "ou=people,"+sl.Suffix, "ou=groups,"+sl.Suffix
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
