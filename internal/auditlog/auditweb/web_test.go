package auditweb_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"mamori/internal/org"
	"mamori/internal/web"
	"mamori/internal/webtest"
)

// TestAuditLogScreens: the administrator lists and filters the audit log
// and exports it as an audited download; nobody else sees it.
func TestAuditLogScreens(t *testing.T) {
	s := webtest.Start(t, webtest.Options{})
	for login, role := range map[string]web.Role{"boss": web.RoleAdmin, "clerk": web.RoleStaff} {
		if _, err := s.Org.CreateAccount(context.Background(), org.AccountInput{Login: login, DisplayName: login, Role: role, Password: "Correct-horse-42"}); err != nil {
			t.Fatal(err)
		}
	}
	admin := s.As("boss")
	admin.Get("/admin/auditlog").Want(http.StatusOK, "監査ログ", "user.create", "ログインID boss", "ログインID clerk")
	admin.Get("/admin/auditlog?action=user.&text=clerk").Want(http.StatusOK, "1 件", "ログインID clerk").Lacks("ログインID boss")
	admin.Get("/admin/auditlog?from=きのう").Want(http.StatusBadRequest, "開始日")

	csv := string(admin.Download("/admin/auditlog/export?format=csv-utf8&action=user.", "text/csv"))
	for _, want := range []string{"ハッシュ", "user.create", "ログインID clerk"} {
		if !strings.Contains(csv, want) {
			t.Errorf("export lacks %q", want)
		}
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = ? AND target = 'auditlog.export'", web.DownloadAction); n != 1 {
		t.Errorf("export recorded %d times", n)
	}

	clerk := s.As("clerk")
	clerk.Get("/admin/auditlog").Want(http.StatusForbidden)
	clerk.Get("/admin/auditlog/export?format=csv").Want(http.StatusForbidden)
}
