package mailmod_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mamori/internal/config"
	"mamori/internal/jp"
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

	// Personal links of the self-assessment go out by mail as well, and
	// a sent link's text is kept nowhere.
	dept := s.ID(fmt.Sprintf(`SELECT MIN(st.department_id) FROM survey_invitations i JOIN staff st ON st.id = i.staff_id
		WHERE i.campaign_id = %d AND i.submitted = FALSE AND NOT EXISTS (SELECT 1 FROM users u WHERE u.staff_id = st.id)`, sc))
	admin.Post(fmt.Sprintf("/selfcheck/campaigns/%d/links", sc), url.Values{"department": {fmt.Sprint(dept)}}).Want(http.StatusOK, "メールでも送りました")
	links := s.Count("SELECT COUNT(*) FROM mail_outbox WHERE kind = 'link' AND body LIKE '%https://mamori.hinode.example/selfcheck/r/%'")
	if links == 0 {
		t.Fatal("no personal link queued by mail")
	}
	before = len(srv.Messages())
	for range 100 {
		if sent, _, err := s.Mail.Flush(context.Background(), 500); err != nil || sent == 0 {
			break
		}
	}
	if n := s.Count("SELECT COUNT(*) FROM mail_outbox WHERE kind = 'link' AND status = 'sent' AND body = ''"); n != links {
		t.Errorf("%d of %d sent links have their text dropped", n, links)
	}
	if got := len(srv.Messages()) - before; got < links {
		t.Errorf("%d mails arrived for %d personal links", got, links)
	}
}

// TestMailSettingsOnScreen: without any start-up option, the administrator
// sets the SMTP server on the page (a wrong field is named and nothing is
// saved), the test mail goes out through it with the password, which is
// stored encrypted and written nowhere in clear; going back to the
// start-up options turns mail off again.
func TestMailSettingsOnScreen(t *testing.T) {
	srv := testkit.StartSMTP(t)
	s := webtest.Start(t, webtest.Options{Demo: true})
	admin := s.As("admin")
	admin.Get("/admin/mail").Want(http.StatusOK, "メールの送信は設定されていません", "設定を変更する")
	good := url.Values{"host": {srv.Host}, "port": {fmt.Sprint(srv.Port)}, "security": {"none"}, "user": {srv.User}, "password": {srv.Password},
		"from": {"mamori@city.hinode.example"}, "from_name": {"ひので区 情報セキュリティ担当"}, "charset": {"iso-2022-jp"}, "base_url": {"https://mamori.hinode.example"}}
	bad := url.Values{}
	for k, v := range good {
		bad[k] = v
	}
	bad.Set("from", "not an address")
	bad.Set("port", "99999")
	admin.Post("/admin/mail/settings", bad).Want(http.StatusUnprocessableEntity, "送信元のメールアドレスを入力してください", "ポート番号は 1〜65535")
	if s.Count("SELECT COUNT(*) FROM settings WHERE key = 'mail.smtp'") != 0 {
		t.Fatal("refused settings were saved")
	}
	s.As("consultant").Post("/admin/mail/settings", good).Want(http.StatusForbidden)
	admin.Post("/admin/mail/settings", good).Redirects("/admin/mail#settings")
	admin.Get("/admin/mail").Want(http.StatusOK, "この画面で保存した設定", "パスワード設定済み", "https://mamori.hinode.example")
	admin.Post("/admin/mail/test", url.Values{"to": {"ciso@city.hinode.example"}}).Redirects("/admin/mail")
	msgs := srv.Messages()
	if len(msgs) != 1 || !strings.Contains(string(msgs[0].Data), "ISO-2022-JP") {
		t.Fatalf("the test mail through the screen's settings: %d messages", len(msgs))
	}
	for _, q := range []string{"SELECT COUNT(*) FROM settings WHERE value LIKE '%smtp-secret%'", "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%smtp-secret%'"} {
		if s.Count(q) != 0 {
			t.Errorf("the SMTP password is stored in clear: %s", q)
		}
	}
	// Saving again without a password keeps the stored one.
	keep := url.Values{}
	for k, v := range good {
		keep[k] = v
	}
	keep.Del("password")
	keep.Set("charset", "utf-8")
	admin.Post("/admin/mail/settings", keep).Redirects("/admin/mail#settings")
	admin.Post("/admin/mail/test", url.Values{"to": {"ciso@city.hinode.example"}}).Redirects("/admin/mail")
	if len(srv.Messages()) != 2 {
		t.Fatal("the kept password did not authenticate")
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'mail.settings'") != 2 {
		t.Error("the settings changes are not in the audit log")
	}
	admin.Post("/admin/mail/settings/reset", url.Values{}).Redirects("/admin/mail#settings")
	admin.Get("/admin/mail").Want(http.StatusOK, "メールの送信は設定されていません")
}

// TestWeeklyNoticesByMail: the weekday-morning task tells a department's
// 所属長 by mail of its improvement actions past or near their due date,
// once a week whichever instance runs it; on a day the office is closed
// it sends nothing. The vendor module's notice of a lapsing ISMAP
// registration goes the same way.
func TestWeeklyNoticesByMail(t *testing.T) {
	srv := testkit.StartSMTP(t)
	now := time.Date(2026, 12, 7, 8, 0, 0, 0, jp.JST) // a Monday
	clock := func() time.Time { return now }
	s := webtest.Start(t, webtest.Options{Demo: true, Now: clock, Configure: func(c *config.Config) {
		c.SMTP = config.SMTP{Host: srv.Host, Port: srv.Port, Security: "none", From: "mamori@city.hinode.example"}
		c.PublicURL = "https://mamori.hinode.example"
	}})
	ctx := context.Background()
	// The demo's 所属長 account is an office account: the reminder goes to
	// the department's head in the roster.
	dept := s.ID("SELECT department_id FROM users WHERE login = 'auditee'")
	act := s.ID("SELECT MIN(id) FROM improvement_actions")
	if _, err := s.DB.Exec(ctx, "UPDATE improvement_actions SET owner_department_id = ?, due_date = '2026-11-30', status = 'open' WHERE id = ?", dept, act); err != nil {
		t.Fatal(err)
	}
	run := func() {
		t.Helper()
		if err := s.Scheduler.RunSoon(ctx, "improve.remind"); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Scheduler.Tick(ctx); err != nil || n == 0 {
			t.Fatalf("tick: %d %v", n, err)
		}
	}
	run()
	var body, subject string
	if err := s.DB.QueryRow(ctx, "SELECT subject, body FROM mail_outbox WHERE kind = 'reminder' AND ref = ? ORDER BY id LIMIT 1", fmt.Sprintf("department:%d", dept)).Scan(&subject, &body); err != nil {
		t.Fatal("no reminder for the department:", err)
	}
	if !strings.Contains(subject, "期限を過ぎた措置") || !strings.Contains(body, "【期限超過】") || !strings.Contains(body, fmt.Sprintf("https://mamori.hinode.example/improve/%d", act)) {
		t.Errorf("the reminder:\n%s\n%s", subject, body)
	}
	queued := s.Count("SELECT COUNT(*) FROM mail_outbox WHERE kind = 'reminder' AND ref LIKE 'department:%'")
	run() // the same week: nothing more
	if n := s.Count("SELECT COUNT(*) FROM mail_outbox WHERE kind = 'reminder' AND ref LIKE 'department:%'"); n != queued {
		t.Errorf("a second run in the same week queued %d more", n-queued)
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'improve.remind'") == 0 {
		t.Error("no audit entry")
	}
	now = time.Date(2026, 12, 20, 8, 0, 0, 0, jp.JST) // a Sunday of another week
	run()
	if n := s.Count("SELECT COUNT(*) FROM mail_outbox WHERE kind = 'reminder' AND ref LIKE 'department:%'"); n != queued {
		t.Errorf("a Sunday run queued %d", n-queued)
	}
	now = time.Date(2026, 12, 21, 8, 0, 0, 0, jp.JST) // the Monday after
	run()
	if n := s.Count("SELECT COUNT(*) FROM mail_outbox WHERE kind = 'reminder' AND ref LIKE 'department:%'"); n <= queued {
		t.Error("no reminder in the next week")
	}
	if sent, _, err := s.Mail.Flush(ctx, 50); err != nil || sent == 0 {
		t.Fatalf("flush: %d %v", sent, err)
	}

	// The vendor module's notice: an approved cloud service whose ISMAP
	// registration lapses within 60 days.
	req := s.ID("SELECT MIN(id) FROM vendor_requests WHERE state = 'decided' AND decision IN ('approved', 'conditional')")
	if _, err := s.DB.Exec(ctx, "UPDATE vendor_requests SET ismap_expires = '2027-01-15', ismap_number = 'C0000-TEST' WHERE id = ?", req); err != nil {
		t.Fatal(err)
	}
	vdept := s.ID(fmt.Sprintf("SELECT department_id FROM vendor_requests WHERE id = %d", req))
	now = time.Date(2026, 12, 28, 8, 0, 0, 0, jp.JST) // a new week: the earlier notices do not hold this one back
	if err := s.Scheduler.RunSoon(ctx, "vendor.remind"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Scheduler.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	var vbody string
	if err := s.DB.QueryRow(ctx, "SELECT body FROM mail_outbox WHERE ref = ? AND subject LIKE '【委託・クラウド】%' ORDER BY id DESC LIMIT 1", fmt.Sprintf("department:%d", vdept)).Scan(&vbody); err != nil {
		t.Fatal("no vendor notice for the department:", err)
	}
	if !strings.Contains(vbody, "ISMAP の登録期限（令和9年1月15日、登録番号 C0000-TEST）が近づいています") || !strings.Contains(vbody, fmt.Sprintf("/vendor/%d", req)) {
		t.Errorf("the vendor notice:\n%s", vbody)
	}

	// Technical verification: a risk acceptance lapsing soon goes to the
	// security office (the CSIRT address of the settings screen).
	admin := s.As("admin")
	admin.Post("/admin/settings", url.Values{"csirt_name": {"区CSIRT"}, "csirt_mail": {"csirt@city.hinode.example"}}).Redirects("/admin/settings")
	f := s.ID("SELECT MIN(id) FROM scan_findings WHERE status = 'accepted'")
	if _, err := s.DB.Exec(ctx, "UPDATE scan_findings SET accept_until = '2027-01-05' WHERE id = ?", f); err != nil {
		t.Fatal(err)
	}
	if err := s.Scheduler.RunSoon(ctx, "scan.remind"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Scheduler.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	var sbody string
	if err := s.DB.QueryRow(ctx, "SELECT body FROM mail_outbox WHERE to_addr = 'csirt@city.hinode.example' AND ref = 'scan_acceptances'").Scan(&sbody); err != nil {
		t.Fatal("no notice of the lapsing acceptance:", err)
	}
	if !strings.Contains(sbody, "【期限間近】") || !strings.Contains(sbody, "令和9年1月5日") {
		t.Errorf("the acceptance notice:\n%s", sbody)
	}
}
