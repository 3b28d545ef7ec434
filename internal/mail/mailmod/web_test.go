package mailmod_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mamori/internal/config"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// TestMailPage: the administrator's mail page shows the settings, sends a
// test mail through a real SMTP server, lists a failed one and puts it
// back in the queue; a training reminder goes out by mail with its link;
// mail is the administrator's only.
func TestMailPage(t *testing.T) {
	srv := testkit.StartSMTP(t)
	s := webtest.Start(t, webtest.Options{Demo: true, Configure: func(c *config.Config) {
		c.SMTP = config.SMTP{Host: srv.Host, Port: srv.Port, Security: "none", From: "mamori@city.hinode.example", FromName: "ひので区 情報セキュリティ担当"}
		c.PublicURL = "https://mamori.hinode.example"
	}})
	admin := s.As("admin")
	admin.Get("/admin/mail").Want(http.StatusOK, "127.0.0.1", "mamori@city.hinode.example", "テストメールを送る")
	s.As("consultant").Get("/admin/mail").Want(http.StatusForbidden)
	admin.Post("/admin/mail/test", url.Values{"to": {"not-an-address"}}).Want(http.StatusUnprocessableEntity, "メールアドレスを正しく")
	admin.Post("/admin/mail/test", url.Values{"to": {"ciso@city.hinode.example"}}).Redirects("/admin/mail")
	if msgs := srv.Messages(); len(msgs) != 1 || msgs[0].To[0] != "ciso@city.hinode.example" || !strings.Contains(string(msgs[0].Data), "Subject: =?UTF-8?") {
		t.Fatalf("the test mail: %d messages", len(msgs))
	}
	admin.Post("/admin/mail/test", url.Values{"to": {"reject@city.hinode.example"}}).Redirects("/admin/mail?status=failed")
	page := admin.Get("/admin/mail?status=failed").Want(http.StatusOK, "送信失敗", "550")
	id := s.ID("SELECT MAX(id) FROM mail_outbox WHERE status = 'failed'")
	if !strings.Contains(page.Body, fmt.Sprintf(`action="/admin/mail/%d/retry"`, id)) {
		t.Fatal("no retry button for the failed mail")
	}
	admin.Post(fmt.Sprintf("/admin/mail/%d/retry", id), url.Values{}).Redirects("/admin/mail")
	if s.Count("SELECT COUNT(*) FROM mail_outbox WHERE id = ? AND status = 'queued'", id) != 1 {
		t.Error("the failed mail is not queued again")
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action IN ('mail.test', 'mail.failed', 'mail.retry')") != 4 {
		t.Error("the test mails, the failure and the retry are not all in the audit log")
	}

	// A training reminder by mail, with its link.
	camp := s.ID("SELECT id FROM learning_campaigns WHERE code LIKE '%-LC-02'")
	admin.Post(fmt.Sprintf("/learning/campaigns/%d/remind", camp), url.Values{}).Redirects(fmt.Sprintf("/learning/campaigns/%d", camp))
	queued := s.Count("SELECT COUNT(*) FROM mail_outbox WHERE kind = 'reminder'")
	if queued == 0 || queued != s.Count("SELECT COUNT(*) FROM learning_assignments WHERE campaign_id = ? AND reminders > 0", camp) {
		t.Fatalf("%d reminders queued", queued)
	}
	var body string
	if err := s.DB.QueryRow(context.Background(), "SELECT body FROM mail_outbox WHERE kind = 'reminder' ORDER BY id LIMIT 1").Scan(&body); err != nil ||
		!strings.Contains(body, "https://mamori.hinode.example/learning/my/") || !strings.Contains(body, "の受講をお願いします") {
		t.Errorf("the reminder's text: %q %v", body, err)
	}
	before := len(srv.Messages())
	if sent, _, err := s.Mail.Flush(context.Background(), 3); err != nil || sent == 0 {
		t.Fatalf("flush: %d %v", sent, err)
	}
	got := string(srv.Messages()[before].Data)
	if !strings.Contains(got, "Subject: =?UTF-8?") || !strings.Contains(got, "Message-ID: <mamori.") {
		t.Errorf("the reminder:\n%s", got)
	}
	// A self-assessment reminder by mail.
	sc := s.ID("SELECT MAX(id) FROM survey_campaigns WHERE state = 'open'")
	admin.Post(fmt.Sprintf("/selfcheck/campaigns/%d/remind", sc), url.Values{}).Redirects(fmt.Sprintf("/selfcheck/campaigns/%d", sc))
	if n := s.Count("SELECT COUNT(*) FROM mail_outbox WHERE kind = 'reminder' AND ref = ?", fmt.Sprintf("survey_campaign:%d", sc)); n == 0 ||
		n != s.Count("SELECT COUNT(*) FROM survey_invitations WHERE campaign_id = ? AND submitted = FALSE", sc) {
		t.Errorf("%d self-assessment reminders queued", n)
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'survey.remind' AND detail LIKE '%メール%通%'") != 1 {
		t.Error("the reminder's audit entry does not count the mails")
	}
	queued = s.Count("SELECT COUNT(*) FROM mail_outbox WHERE kind = 'reminder'")

	// A second reminder at once is held by the spacing: nothing more queued.
	admin.Post(fmt.Sprintf("/learning/campaigns/%d/remind", camp), url.Values{}).Redirects(fmt.Sprintf("/learning/campaigns/%d", camp))
	if n := s.Count("SELECT COUNT(*) FROM mail_outbox WHERE kind = 'reminder'"); n != queued {
		t.Errorf("a held reminder queued mail: %d → %d", queued, n)
	}
}
