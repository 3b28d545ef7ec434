package app

import (
	"context"
	"fmt"
	"mamori/internal/config"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mamori/internal/database/dbtest"
	"mamori/internal/org"
	"mamori/internal/web"
)

func addUser(t *testing.T, ta *testApp, login string, role web.Role, dept int64) {
	t.Helper()
	if _, err := ta.Org.CreateAccount(context.Background(), org.AccountInput{Login: login, DisplayName: login, Role: role, DepartmentID: dept, Password: "Correct-horse-42"}); err != nil {
		t.Fatal(err)
	}
}

func login(t *testing.T, c *client, user, pw string) *http.Response {
	t.Helper()
	resp, _ := c.post("/login", url.Values{"login": {user}, "password": {pw}, "csrf_token": {c.csrf()}, "next": {"/"}})
	return resp
}

func TestCSRFAndCrossOrigin(t *testing.T) {
	ta := newTestApp(t, sqliteDSN(t), false, nil)
	addUser(t, ta, "admin1", web.RoleAdmin, 0)
	c := ta.as("admin1")
	form := url.Values{"year": {"2030"}}
	if resp, _ := c.post("/admin/years", form); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST without token: %d", resp.StatusCode)
	}
	form.Set("csrf_token", c.csrf())
	req, _ := http.NewRequest(http.MethodPost, c.base+"/admin/years", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", resp.StatusCode)
	}
	if resp, _ := c.post("/admin/years", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("valid POST: %d", resp.StatusCode)
	}
	ys, _ := ta.Org.FiscalYears(t.Context())
	if len(ys) != 1 || ys[0].Year != 2030 {
		t.Fatalf("years %+v", ys)
	}
}

func TestDepartmentScope(t *testing.T) {
	ta := newTestApp(t, sqliteDSN(t), true, nil)
	ctx := t.Context()
	var own, other int64
	if err := ta.DB.QueryRow(ctx, `SELECT s.id FROM staff s JOIN departments d ON d.id = s.department_id WHERE d.name = '住民記録係' LIMIT 1`).Scan(&own); err != nil {
		t.Fatal(err)
	}
	if err := ta.DB.QueryRow(ctx, `SELECT s.id FROM staff s JOIN departments d ON d.id = s.department_id WHERE d.name = '課税係' LIMIT 1`).Scan(&other); err != nil {
		t.Fatal(err)
	}
	c := ta.as("auditee")
	if resp, _ := c.get(fmt.Sprintf("/staff/%d", own)); resp.StatusCode != 200 {
		t.Fatalf("own department: %d", resp.StatusCode)
	}
	if resp, _ := c.get(fmt.Sprintf("/staff/%d", other)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("other department: %d", resp.StatusCode)
	}
	_, body := c.get("/staff?status=all")
	if !strings.Contains(body, "所属の範囲") || strings.Contains(body, "課税係") {
		t.Fatalf("scoped list shows other departments")
	}
	resp, csv := c.get("/staff/export?format=csv-utf8")
	if resp.StatusCode != 200 || strings.Contains(csv, "課税係") || !strings.Contains(csv, "住民記録係") {
		t.Fatalf("scoped export leaks: %d", resp.StatusCode)
	}
}

// TestTwoInstancesShareSessions starts two app instances on one PostgreSQL
// database: a login through one is valid on the other.
func TestTwoInstancesShareSessions(t *testing.T) {
	pg := os.Getenv("MAMORI_TEST_PG")
	if pg == "" {
		t.Skip("MAMORI_TEST_PG not set")
	}
	dsn := dbtest.FreshSchema(t, pg)
	// Instances behind one load balancer share the audit-log key file.
	key := func(c *config.Config) {
		c.AuditKeyFile = filepath.Join(os.TempDir(), "mamori-shared-"+filepath.Base(t.TempDir())+".key")
	}
	a := newTestApp(t, dsn, false, nil, key)
	b := newTestApp(t, dsn, false, nil, key)
	addUser(t, a, "shared", web.RoleAdmin, 0)
	c := a.client()
	if resp := login(t, c, "shared", "Correct-horse-42"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login on A: %d", resp.StatusCode)
	}
	ua, _ := url.Parse(a.srv.URL)
	ub, _ := url.Parse(b.srv.URL)
	c.Jar.SetCookies(ub, c.Jar.Cookies(ua))
	c.base = b.srv.URL
	resp, body := c.get("/account")
	if resp.StatusCode != 200 || !strings.Contains(body, "shared") {
		t.Fatalf("session not valid on B: %d", resp.StatusCode)
	}
	// A change made through B is visible through A.
	if resp, _ := c.post("/admin/years", url.Values{"year": {"令和9年度"}, "csrf_token": {c.csrf()}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST on B: %d", resp.StatusCode)
	}
	c.base = a.srv.URL
	if _, body := c.get("/admin/years"); !strings.Contains(body, "令和9年度") {
		t.Fatal("change via B not visible via A")
	}
}
