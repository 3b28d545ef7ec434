package scan_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"io/fs"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"mamori/content"
	"mamori/internal/jp"
	"mamori/internal/scan"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

var (
	stagedRe = regexp.MustCompile(`name="staged" value="(\d+)"`)
	shaRe    = regexp.MustCompile(`name="sha" value="([0-9a-f]{64})"`)
	revRe    = regexp.MustCompile(`name="rev" value="(\d+)"`)
	jobRe    = regexp.MustCompile(`/jobs/(\d+)`)
)

// selfSigned is a server certificate for 127.0.0.1 valid for days.
func selfSigned(t *testing.T, days int) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Duration(days) * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func portOf(u string) string {
	p, _ := url.Parse(u)
	return p.Port()
}

func demoFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(content.FS, "demo/scan/"+name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTechnicalVerification runs the technical verification of the demo's
// resident-record system audit on both databases: the list and the page;
// refused files (an XML bomb, an external entity, a truncated file, the
// wrong format) that change nothing and are logged; a re-import previewed
// (new, still, gone, reopened) and applied once; a finding's status (a
// risk acceptance needs an expiry) and its proposal as an audit finding;
// the plan with its refusals (a range too broad, an inverted window); the
// built-in checks against a TLS server with old protocols and an expiring
// certificate and an HTTP server without security headers, started here;
// the checks refused outside the window and with the abort switch on; the
// documents, and the chapter in the audit report.
func TestTechnicalVerification(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
		admin, auditor, auditee, viewer := s.As("admin"), s.As("auditor"), s.As("auditee"), s.As("viewer")
		eid := s.ID("SELECT id FROM audit_engagements WHERE code LIKE '%-SA-01'")
		path := fmt.Sprintf("/scan/%d", eid)
		admin.Get("/scan").Want(http.StatusOK, "住民記録システム", "電子申請サービス", "承認済")
		admin.Get(path).Want(http.StatusOK, "開放ポート 3389/tcp", "CVE-2024-38476", "中止スイッチを入れる", "リスク受容", "誤検知")
		auditor.Get(path).Want(http.StatusNotFound) // not on this audit's team
		auditee.Get(path).Want(http.StatusForbidden)
		viewer.Get("/scan").Want(http.StatusForbidden)
		internal := s.ID("SELECT MIN(id) FROM audit_engagements WHERE kind = 'internal'")
		admin.Get(fmt.Sprintf("/scan/%d", internal)).Want(http.StatusNotFound)

		// Refused files change nothing and are logged.
		count := func() int {
			return s.Count("SELECT COUNT(*) FROM scan_findings f JOIN scan_plans p ON p.id = f.plan_id WHERE p.engagement_id = ?", eid)
		}
		before, refusedBefore := count(), s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'scan.import_refused'")
		bomb := `<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><nmaprun>&b;</nmaprun>`
		admin.Upload(path+"/import", url.Values{"format": {"nmap"}}, "file", "bomb.xml", []byte(bomb)).Want(http.StatusUnprocessableEntity, "実体宣言", "何も変更していません")
		xxe := `<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY x SYSTEM "file:///etc/passwd">]><nmaprun>&x;</nmaprun>`
		admin.Upload(path+"/import", url.Values{}, "file", "xxe.xml", []byte(xxe)).Want(http.StatusUnprocessableEntity).Lacks("root:x:0")
		nmap := demoFile(t, "juki-20261201.xml")
		admin.Upload(path+"/import", url.Values{"format": {"nmap"}}, "file", "cut.xml", nmap[:len(nmap)/2]).Want(http.StatusUnprocessableEntity, "途中で切れて")
		admin.Upload(path+"/import", url.Values{"format": {"nmap"}}, "file", "trivy.json", demoFile(t, "shinsei-web-2.8.1-trivy.json")).Want(http.StatusUnprocessableEntity, "Nmap XML")
		admin.Upload(path+"/import", url.Values{}, "file", "notes.pdf", []byte("%PDF-1.4")).Want(http.StatusBadRequest)
		if count() != before {
			t.Fatalf("a refused file changed the findings: %d → %d", before, count())
		}
		if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'scan.import_refused'"); n < refusedBefore+4 {
			t.Errorf("refused imports logged %d times, want at least 4", n-refusedBefore)
		}

		// A third scan: Tomcat's port 8080 is closed, the rest unchanged.
		third := regexp.MustCompile(`(?s)<port protocol="tcp" portid="8080">.*?</port>\n`).ReplaceAll(nmap, nil)
		if bytes.Equal(third, nmap) {
			t.Fatal("the fixture has no port 8080")
		}
		r := admin.Upload(path+"/import", url.Values{}, "file", "juki-3.xml", third).Want(http.StatusOK, "取込みの確認", "Nmap XML", "解消（対応済にする）", "開放ポート 8080/tcp")
		staged, sha := stagedRe.FindStringSubmatch(r.Body), shaRe.FindStringSubmatch(r.Body)
		if staged == nil || sha == nil {
			t.Fatalf("no staged import in the preview: %s", webtest.Excerpt(r.Body))
		}
		if count() != before {
			t.Fatal("the preview changed the findings")
		}
		admin.Post(path+"/import/apply", url.Values{"staged": {staged[1]}, "sha": {strings.Repeat("0", 64)}}).Want(http.StatusConflict, "一致しません")
		admin.Post(path+"/import/apply", url.Values{"staged": {staged[1]}, "sha": {sha[1]}}).Redirects(path)
		admin.Post(path+"/import/apply", url.Values{"staged": {staged[1]}, "sha": {sha[1]}}).Want(http.StatusConflict, "既に行われた")
		// The file is kept sealed with the engagement's key.
		_, kept, err := s.Deps().Blobs.Get(t.Context(), s.ID("SELECT blob_id FROM scan_imports WHERE id = ?", staged[1]))
		if err != nil || bytes.Contains(kept, []byte("nmaprun")) || s.Count("SELECT COUNT(*) FROM scan_imports WHERE id = ? AND sealed = TRUE", staged[1]) != 1 {
			t.Errorf("the scanner file is not kept sealed (%v)", err)
		}
		if st := s.Count("SELECT COUNT(*) FROM scan_findings WHERE title LIKE '開放ポート 8080/tcp%' AND status = 'fixed' AND gone_at <> ''"); st != 1 {
			t.Errorf("port 8080 is not marked 対応済 after the re-import (%d)", st)
		}

		// A finding's status: a risk acceptance needs an expiry and a reason.
		fid := s.ID("SELECT MIN(f.id) FROM scan_findings f JOIN scan_plans p ON p.id = f.plan_id WHERE p.engagement_id = ? AND f.cve = 'CVE-2023-51385'", eid)
		fpath := fmt.Sprintf("%s/findings/%d", path, fid)
		page := admin.Get(fpath).Want(http.StatusOK, "CVE-2023-51385", "関連する監査項目", "SY-6.5-03")
		rev := revRe.FindStringSubmatch(page.Body)[1]
		admin.Post(fpath, url.Values{"status": {"accepted"}, "rev": {rev}}).Want(http.StatusUnprocessableEntity, "期限", "理由")
		until := jp.DateKey(time.Now().AddDate(0, 4, 0))
		admin.Post(fpath, url.Values{"status": {"accepted"}, "accept_until": {until}, "note": {"接続元を保守端末に限定済み。次回更改まで受容（課長判断）"}, "rev": {rev},
			"item": {"SY-6.5-03", "NOPE-1"}}).Want(http.StatusUnprocessableEntity, "NOPE-1")
		admin.Post(fpath, url.Values{"status": {"accepted"}, "accept_until": {until}, "note": {"接続元を保守端末に限定済み。次回更改まで受容（課長判断）"}, "rev": {rev},
			"item": {"SY-6.5-03"}}).Redirects(fpath)
		admin.Post(fpath, url.Values{"status": {"open"}, "rev": {rev}}).Want(http.StatusConflict) // a replayed form

		// A finding becomes an audit finding, once.
		cid := s.ID("SELECT MIN(f.id) FROM scan_findings f JOIN scan_plans p ON p.id = f.plan_id WHERE p.engagement_id = ? AND f.cve = 'CVE-2024-38476'", eid)
		findings := s.Count("SELECT COUNT(*) FROM audit_findings WHERE engagement_id = ?", eid)
		admin.Post(fmt.Sprintf("%s/findings/%d/propose", path, cid), url.Values{}).Redirects(fmt.Sprintf("/audit/%d/findings/", eid))
		if n := s.Count("SELECT COUNT(*) FROM audit_findings WHERE engagement_id = ? AND title LIKE '%CVE-2024-38476%' AND risk = '高'", eid); n != 1 ||
			s.Count("SELECT COUNT(*) FROM audit_findings WHERE engagement_id = ?", eid) != findings+1 {
			t.Errorf("the proposal made %d audit findings", n)
		}
		admin.Post(fmt.Sprintf("%s/findings/%d/propose", path, cid), url.Values{}).Redirects(fmt.Sprintf("/audit/%d/findings/", eid))
		if s.Count("SELECT COUNT(*) FROM audit_findings WHERE engagement_id = ?", eid) != findings+1 {
			t.Error("a second proposal made another audit finding")
		}

		// Local servers: TLS 1.0–1.2 with a certificate expiring in 10
		// days, and HTTP without any security header.
		ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
		ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes the check refuses on purpose
		ts.TLS = &tls.Config{Certificates: []tls.Certificate{selfSigned(t, 10)}, MinVersion: tls.VersionTLS10}
		ts.StartTLS()
		defer ts.Close()
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Server", "Apache/2.4.41 (Unix)")
			http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: "secret-session-value", Path: "/"})
			fmt.Fprint(w, "login")
		}))
		defer hs.Close()
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		closed := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		page = admin.Get(path).Want(http.StatusOK)
		rev = revRe.FindStringSubmatch(page.Body)[1]
		now := time.Now().In(jp.JST)
		plan := url.Values{"targets": {ts.URL + "/\n" + hs.URL + "/\n127.0.0.1  # 検証用の端末"}, "ports": {fmt.Sprintf("%s, %s, %d", portOf(ts.URL), portOf(hs.URL), closed)},
			"start": {now.Add(-time.Hour).Format("2006-01-02T15:04")}, "end": {now.Add(2 * time.Hour).Format("2006-01-02T15:04")}, "rate": {"20"}, "profile": {"recommended"},
			"approved_by": {"戸籍住民課長"}, "approved_on": {jp.DateKey(now)}, "emergency": {"内線2314"}, "rev": {rev}}
		wide := url.Values{}
		for k, v := range plan {
			wide[k] = v
		}
		wide.Set("targets", "10.0.0.0/8")
		admin.Post(path+"/plan", wide).Want(http.StatusUnprocessableEntity, "許可リスト", "10.0.0.0/8")
		wide.Set("targets", plan.Get("targets"))
		wide.Set("end", now.Add(-2*time.Hour).Format("2006-01-02T15:04"))
		admin.Post(path+"/plan", wide).Want(http.StatusUnprocessableEntity, "終了は開始より後")
		admin.Post(path+"/plan", plan).Redirects(path)
		admin.Post(path+"/plan", plan).Want(http.StatusConflict) // the same form again: stale

		r = admin.Post(path+"/check", url.Values{}).Redirects("/jobs/")
		s.Jobs.Wait()
		job := jobRe.FindStringSubmatch(r.Header.Get("Location"))[1]
		if st := s.Count("SELECT COUNT(*) FROM jobs WHERE id = ? AND status = 'done'", job); st != 1 {
			var res string
			_ = s.DB.QueryRow(t.Context(), "SELECT result FROM jobs WHERE id = ?", job).Scan(&res)
			t.Fatalf("the check job did not finish: %s", res)
		}
		for _, want := range []string{"tls|127.0.0.1:" + portOf(ts.URL) + "|old-protocol", "tls|127.0.0.1:" + portOf(ts.URL) + "|cert-expiring", "tcp|127.0.0.1|" + portOf(hs.URL)} {
			if s.Count("SELECT COUNT(*) FROM scan_findings WHERE dedup_key = ? AND status = 'open'", want) != 1 {
				t.Errorf("no open finding %s", want)
			}
		}
		if s.Count("SELECT COUNT(*) FROM scan_findings WHERE source = 'http' AND url LIKE ? AND title LIKE '%HTTPS%'", hs.URL+"%") == 0 {
			t.Error("no finding for the http server without a redirect to https")
		}
		if s.Count("SELECT COUNT(*) FROM scan_findings WHERE evidence LIKE '%secret-session-value%'") != 0 {
			t.Error("a cookie's value was stored")
		}
		if s.Count("SELECT COUNT(*) FROM scan_checks WHERE target LIKE '%127.0.0.1%'") < 4 || s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'scan.check'") < 3 {
			t.Error("the checks are not recorded and logged one by one")
		}
		admin.Get(path).Want(http.StatusOK, "TLS 検査", "古いプロトコル")

		// The abort switch and the window refuse a run, logged.
		admin.Post(path+"/abort", url.Values{"on": {"1"}}).Redirects(path)
		admin.Post(path+"/check", url.Values{}).Want(http.StatusConflict, "中止スイッチ")
		admin.Post(path+"/abort", url.Values{"on": {"0"}}).Redirects(path)
		page = admin.Get(path).Want(http.StatusOK)
		plan.Set("rev", revRe.FindStringSubmatch(page.Body)[1])
		plan.Set("start", now.Add(-5*time.Hour).Format("2006-01-02T15:04"))
		plan.Set("end", now.Add(-4*time.Hour).Format("2006-01-02T15:04"))
		admin.Post(path+"/plan", plan).Redirects(path)
		admin.Post(path+"/check", url.Values{}).Want(http.StatusConflict, "時間帯")
		if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'scan.check_refused'") < 2 {
			t.Error("refused checks are not logged")
		}

		// The documents, and the chapter of the audit report.
		dir := t.TempDir()
		pdf := filepath.Join(dir, "plan.pdf")
		if err := os.WriteFile(pdf, admin.Download(path+"/plan-document?format=pdf", "application/pdf"), 0o644); err != nil {
			t.Fatal(err)
		}
		if text := strings.Join(strings.Fields(testkit.PDFText(t, pdf)), ""); !strings.Contains(text, "技術的検証実施計画書") || !strings.Contains(text, "安全上の取決め") {
			t.Errorf("the plan document lacks its title or its safety rules")
		}
		admin.Download(path+"/plan-document?format=docx", "application/vnd.openxmlformats")
		admin.Download(path+"/report?format=xlsx", "application/vnd.openxmlformats")
		rep := filepath.Join(dir, "report.pdf")
		if err := os.WriteFile(rep, admin.Download(path+"/report?format=pdf", "application/pdf"), 0o644); err != nil {
			t.Fatal(err)
		}
		if text := strings.Join(strings.Fields(testkit.PDFText(t, rep)), ""); !strings.Contains(text, "検出事項の一覧") || !strings.Contains(text, "CVE-2024-38476") {
			t.Error("the report lacks the list of findings")
		}
		// The year: both system audits' plans and reports are deliverables
		// (the bound set), and their verification is a task of the year.
		for _, mod := range s.Modules {
			sm, ok := mod.(*scan.Module)
			if !ok {
				continue
			}
			fy := s.Org.CurrentFiscalYear(t.Context())
			ds, err := sm.Deliverables(t.Context(), fy)
			if err != nil || len(ds) != 4 {
				t.Errorf("deliverables: %d %v", len(ds), err)
			}
			for _, d := range ds {
				if doc, err := d.Build(t.Context()); err != nil || doc == nil {
					t.Errorf("%s: %v", d.Title, err)
				}
			}
			ps, err := sm.Progress(t.Context(), fy)
			if err != nil || len(ps) != 2 {
				t.Errorf("progress: %d %v", len(ps), err)
			}
		}
		audit := filepath.Join(dir, "audit.pdf")
		if err := os.WriteFile(audit, admin.Download(fmt.Sprintf("/audit/%d/report/document.pdf", eid), "application/pdf"), 0o644); err != nil {
			t.Fatal(err)
		}
		if text := strings.Join(strings.Fields(testkit.PDFText(t, audit)), ""); !strings.Contains(text, "技術的検証の結果") || !strings.Contains(text, "ホスト別") {
			t.Error("the audit report has no technical-verification chapter")
		}
	})
}
