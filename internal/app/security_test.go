package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mamori/internal/config"
	"mamori/internal/database/dbtest"
	"mamori/internal/org"
	"mamori/internal/web"
	"mamori/internal/webtest"
)

// password is the password of the accounts these tests add.
const password = "Correct-horse-42"

func addUser(t *testing.T, s *webtest.Server, login string, role web.Role, dept int64) {
	t.Helper()
	if _, err := s.Org.CreateAccount(context.Background(), org.AccountInput{Login: login, DisplayName: login, Role: role, DepartmentID: dept, Password: password}); err != nil {
		t.Fatal(err)
	}
}

// newPost is a POST of body to the client's site, for requests that the
// client's Post cannot make (no CSRF token, other headers, other bodies).
func newPost(t *testing.T, c *webtest.Client, path string, body io.Reader, ctype string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.Base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	return req
}

const formType = "application/x-www-form-urlencoded"

func TestCSRFAndCrossOrigin(t *testing.T) {
	s := webtest.Start(t, webtest.Options{})
	addUser(t, s, "admin1", web.RoleAdmin, 0)
	c := s.As("admin1")
	form := url.Values{"year": {"2030"}}
	c.Do(newPost(t, c, "/admin/years", strings.NewReader(form.Encode()), formType)).Want(http.StatusForbidden)
	form.Set("csrf_token", c.CSRF())
	req := newPost(t, c, "/admin/years", strings.NewReader(form.Encode()), formType)
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	c.Do(req).Want(http.StatusForbidden)
	c.Post("/admin/years", form).Want(http.StatusSeeOther)
	ys, _ := s.Org.FiscalYears(t.Context())
	if len(ys) != 1 || ys[0].Year != 2030 {
		t.Fatalf("years %+v", ys)
	}
}

func TestDepartmentScope(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	own := s.ID(`SELECT s.id FROM staff s JOIN departments d ON d.id = s.department_id WHERE d.name = '住民記録係' LIMIT 1`)
	other := s.ID(`SELECT s.id FROM staff s JOIN departments d ON d.id = s.department_id WHERE d.name = '課税係' LIMIT 1`)
	c := s.As("auditee")
	c.Get(fmt.Sprintf("/staff/%d", own)).Want(http.StatusOK)
	c.Get(fmt.Sprintf("/staff/%d", other)).Want(http.StatusNotFound)
	c.Get("/staff?status=all").Want(http.StatusOK, "所属の範囲").Lacks("課税係")
	c.Get("/staff/export?format=csv-utf8").Want(http.StatusOK, "住民記録係").Lacks("課税係")
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
	shared := filepath.Join(t.TempDir(), "auditlog.key")
	opt := webtest.Options{DSN: dsn, Configure: func(c *config.Config) { c.AuditKeyFile = shared }}
	a := webtest.Start(t, opt)
	b := webtest.Start(t, opt)
	addUser(t, a, "shared", web.RoleAdmin, 0)
	c := a.Anonymous()
	c.Login("shared", password, "/").Want(http.StatusSeeOther)
	ua, _ := url.Parse(a.URL)
	ub, _ := url.Parse(b.URL)
	c.Jar.SetCookies(ub, c.Jar.Cookies(ua))
	c.Base = b.URL
	c.Get("/account").Want(http.StatusOK, "shared")
	// A change made through B is visible through A.
	c.Post("/admin/years", url.Values{"year": {"令和9年度"}}).Want(http.StatusSeeOther)
	c.Base = a.URL
	c.Get("/admin/years").Want(http.StatusOK, "令和9年度")
}
