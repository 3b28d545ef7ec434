package auth_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"mamori/internal/config"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// TestDirectoryLogin runs directory login against a real slapd: the first
// login makes the account with the role of the user's group and links it
// to the roster by the staff number; a wrong or empty password, a user in
// no mapped group and a login name crafted to widen the search are refused
// alike; a user taken out of the group loses access at the next login (the
// account disabled, its sessions ended) and gets it back when put in again;
// with the directory down, directory users get a clear message and the
// local administrator still logs in.
func TestDirectoryLogin(t *testing.T) {
	testkit.NoRace(t)
	sl := testkit.StartSlapd(t)
	people, groups := "ou=people,"+sl.Suffix, "ou=groups,"+sl.Suffix
	svc, svcPW := "uid=mamori-svc,"+people, "svc-Secret-2026"
	pwFile := filepath.Join(t.TempDir(), "ldap-bind-password")
	if err := os.WriteFile(pwFile, []byte(svcPW+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := webtest.Start(t, webtest.Options{Demo: true, Configure: func(c *config.Config) {
		c.LDAP = config.LDAP{URL: sl.URL, BindDN: svc, BindPassFile: pwFile, Base: people, Filter: "(uid=%s)", StaffAttr: "employeeNumber",
			Groups: "admin=cn=mamori-admins," + groups + ";auditor=cn=mamori-auditors," + groups}
	}})
	var staffNo string
	var staffID, deptID int64
	if err := s.DB.QueryRow(t.Context(), "SELECT employee_no, id, department_id FROM staff WHERE active = TRUE AND department_id IS NOT NULL ORDER BY id LIMIT 1").
		Scan(&staffNo, &staffID, &deptID); err != nil {
		t.Fatal(err)
	}

	tree := sl.Tree(t, "people", "groups")
	add := tree.Add
	person := func(uid, name, pw, no string) {
		a := map[string][]string{"objectClass": {"inetOrgPerson"}, "uid": {uid}, "cn": {name}, "sn": {name}, "displayName": {name}, "userPassword": {pw}}
		if no != "" {
			a["employeeNumber"] = []string{no}
		}
		add("uid="+uid+","+people, a)
	}
	person("mamori-svc", "Mamori サービス", svcPW, "")
	person("sato", "佐藤 花子", "Sato-Pass-2026", staffNo)
	person("suzuki", "鈴木 一郎", "Suzuki-Pass-2026", "")
	person("tanaka", "田中 次郎", "Tanaka-Pass-2026", "")
	add("cn=mamori-auditors,"+groups, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"mamori-auditors"}, "member": {"uid=sato," + people, svc}})
	add("cn=mamori-admins,"+groups, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"mamori-admins"}, "member": {"uid=tanaka," + people}})

	users := func() int { return s.Count("SELECT COUNT(*) FROM users") }
	before := users()

	// The first login makes the account: role from the group, linked to the roster.
	sato := s.Anonymous()
	sato.Login("sato", "Sato-Pass-2026", "/").Redirects("/")
	var role, source, hash string
	var sid, did int64
	if err := s.DB.QueryRow(t.Context(), "SELECT role, source, password_hash, COALESCE(staff_id, 0), COALESCE(department_id, 0) FROM users WHERE login = 'sato'").
		Scan(&role, &source, &hash, &sid, &did); err != nil {
		t.Fatal(err)
	}
	if role != "auditor" || source != "directory" || hash != "" || sid != staffID || did != deptID {
		t.Fatalf("the directory account: role %s, source %s, hash %q, staff %d (want %d), department %d (want %d)", role, source, hash, sid, staffID, did, deptID)
	}
	sato.Get("/").Want(http.StatusOK, "佐藤 花子")
	sato.Post("/account/password", url.Values{"current": {""}, "password": {"Another-Pass-77"}, "confirm": {"Another-Pass-77"}}).
		Want(http.StatusBadRequest, "ディレクトリ側")
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.directory_create'"); n != 1 {
		t.Errorf("the account's creation is logged %d times", n)
	}
	admin := s.Anonymous()
	admin.Login("tanaka", "Tanaka-Pass-2026", "/").Redirects("/")
	if s.Count("SELECT COUNT(*) FROM users WHERE login = 'tanaka' AND role = 'admin'") != 1 {
		t.Error("the admins' group does not give the admin role")
	}

	// Refused alike, nothing made.
	for _, c := range [][2]string{{"sato", "wrong-password"}, {"sato", ""}, {"suzuki", "Suzuki-Pass-2026"}, {"*", "Sato-Pass-2026"},
		{"sato)(uid=*", "Sato-Pass-2026"}, {"nobody", "whatever-1"}} {
		s.Anonymous().Login(c[0], c[1], "/").Want(http.StatusUnauthorized, "ログインIDまたはパスワードが正しくありません")
	}
	if users() != before+2 {
		t.Fatalf("refused logins made accounts: %d → %d", before+2, users())
	}

	// Out of the group: no access at the next login, the sessions ended.
	tree.Member("cn=mamori-auditors,"+groups, "uid=sato,"+people, false)
	s.Anonymous().Login("sato", "Sato-Pass-2026", "/").Want(http.StatusUnauthorized)
	if s.Count("SELECT COUNT(*) FROM users WHERE login = 'sato' AND disabled = TRUE") != 1 {
		t.Fatal("the account out of the group is not disabled")
	}
	sato.Get("/audit").Redirects("/login")
	tree.Member("cn=mamori-auditors,"+groups, "uid=sato,"+people, true)
	s.Anonymous().Login("sato", "Sato-Pass-2026", "/").Redirects("/")
	if s.Count("SELECT COUNT(*) FROM users WHERE login = 'sato' AND disabled = FALSE") != 1 {
		t.Fatal("the account back in the group is not enabled")
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action IN ('user.directory_disable', 'user.directory_update')") != 2 {
		t.Error("the disabling and the enabling are not in the audit log")
	}

	// The directory down: a clear message; the local administrator still logs in.
	sl.Stop()
	s.Anonymous().Login("sato", "Sato-Pass-2026", "/").Want(http.StatusServiceUnavailable, "ディレクトリサーバー", "接続できない")
	s.Anonymous().Login("admin", webtest.DemoPassword, "/").Redirects("/")
}
