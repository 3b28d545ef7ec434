package program_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mamori/internal/config"
	"mamori/internal/jp"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// TestShred: destruction at contract end through `mamori shred`. Refused,
// with nothing changed: without confirmation, without who does it, the
// whole year before it ends, an engagement not finished, an unknown code.
// Then one finished engagement, and at the year's end the whole year (its
// work finished): the bound set is written first and kept, every key is
// destroyed, no evidence file can be read afterwards — not through the
// pages, not through the modules — and the certificate lists every file
// with its SHA-256.
func TestShred(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	var data string
	s := webtest.Start(t, webtest.Options{Demo: true, Now: clock, Configure: func(c *config.Config) { data = c.Data }})
	run := webtest.CLIAt(t, data, clock)
	fy := jp.FiscalYearOf(now)
	year := jp.FiscalYearLabel(fy)
	out := t.TempDir()
	ia := s.ID("SELECT id FROM audit_engagements WHERE phase IN ('followup', 'done') AND fiscal_year = ? AND id IN (SELECT engagement_id FROM audit_evidence) ORDER BY code", fy)
	var code string
	if err := s.DB.QueryRow(t.Context(), "SELECT code FROM audit_engagements WHERE id = ?", ia).Scan(&code); err != nil {
		t.Fatal(err)
	}
	open := s.ID("SELECT MIN(id) FROM audit_engagements WHERE phase NOT IN ('followup', 'done') AND fiscal_year = ? AND id IN (SELECT engagement_id FROM audit_evidence)", fy)
	var openCode string
	if err := s.DB.QueryRow(t.Context(), "SELECT code FROM audit_engagements WHERE id = ?", open).Scan(&openCode); err != nil {
		t.Fatal(err)
	}
	destroyed := func() int {
		return s.Count("SELECT COUNT(*) FROM audit_keys WHERE destroyed_at <> ''") + s.Count("SELECT COUNT(*) FROM incident_keys WHERE destroyed_at <> ''")
	}

	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no confirmation", []string{"--engagement", code, "--by", "支援事業者 情報太郎"}, "--confirm " + code},
		{"wrong confirmation", []string{"--engagement", code, "--by", "支援事業者 情報太郎", "--confirm", year}, "確認のため --confirm に「" + code + "」"},
		{"nobody", []string{"--engagement", code, "--confirm", code}, "実施者を --by"},
		{"the year running", []string{"--by", "x", "--confirm", year}, year + "はまだ終わっていません"},
		{"unfinished", []string{"--engagement", openCode, "--by", "x", "--confirm", openCode}, "作業が終わっていないため消去できません"},
		{"unknown", []string{"--engagement", "R8-XX-99", "--by", "x", "--confirm", "R8-XX-99"}, "「R8-XX-99」の証跡はありません"},
	} {
		rc, _, errs := run(append([]string{"shred", "--year", jp.FiscalYearLabel(fy), "-o", out}, c.args...)...)
		if rc == 0 || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, want %q in\n%s", c.name, rc, c.want, errs)
		}
	}
	if n := destroyed(); n != 0 {
		t.Fatalf("a refused shred destroyed %d keys", n)
	}
	if n := s.Count("SELECT COUNT(*) FROM program_shreds") + s.Count("SELECT COUNT(*) FROM program_binders"); n != 0 {
		t.Fatalf("a refused shred left %d records", n)
	}

	// One finished engagement.
	admin := s.As("admin")
	ev := s.ID("SELECT MIN(id) FROM audit_evidence WHERE engagement_id = ?", ia)
	evidence := func() string { return "/audit/" + itoa(ia) + "/evidence/" + itoa(ev) }
	admin.Get(evidence()).Want(http.StatusOK)
	rc, stdout, errs := run("shred", "--year", itoa(int64(fy)), "--engagement", code, "--by", "支援事業者 情報太郎", "--confirm", code, "-o", out)
	if rc != 0 {
		t.Fatalf("shred %s: %d %s", code, rc, errs)
	}
	if !strings.Contains(stdout, "復号できたファイルは 0 件") {
		t.Errorf("shred output: %s", stdout)
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_keys WHERE destroyed_at <> '' AND data_key IS NULL AND engagement_id = ?", ia); n != 1 || destroyed() != 1 {
		t.Fatalf("keys destroyed: %d of the engagement, %d in all", n, destroyed())
	}
	admin.Get(evidence()).Want(http.StatusGone, "読み出せなく")
	for _, f := range []string{"製本.pdf", "電子データ.zip", "消去証明書.pdf", "消去証明書.docx"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() < 1000 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	cert := strings.Join(strings.Fields(testkit.PDFText(t, filepath.Join(out, "消去証明書.pdf"))), "")
	rows, err := s.DB.Query(t.Context(), "SELECT filename, sha256 FROM audit_evidence WHERE engagement_id = ?", ia)
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for rows.Next() {
		var name, sum string
		if err := rows.Scan(&name, &sum); err != nil {
			t.Fatal(err)
		}
		files++
		if !strings.Contains(cert, sum) || !strings.Contains(cert, strings.Join(strings.Fields(name), "")) {
			t.Errorf("the certificate lacks %s (%s)", name, sum)
		}
	}
	rows.Close()
	if files == 0 || !strings.Contains(cert, "消去証明書") || !strings.Contains(cert, "情報太郎") || !strings.Contains(cert, "復号できたファイルが0件") {
		t.Errorf("the certificate:\n%s", cert)
	}
	// The bound set kept before it is not affected: still downloadable.
	b := s.ID("SELECT MAX(id) FROM program_binders")
	if pdf := admin.Download("/program/binders/"+itoa(b)+"?file=pdf", "application/pdf"); len(pdf) < 10000 {
		t.Error("the bound set kept before the destruction is not there")
	}
	page := admin.Get("/program/deliverables").Want(http.StatusOK, "契約終了時の消去", "情報太郎", "消去後の復号 0 件")
	_ = page
	admin.Download("/program/shreds/"+itoa(s.ID("SELECT MAX(id) FROM program_shreds"))+"/certificate?format=docx", "application/vnd.openxmlformats")

	// A photo of an open incident: its key destroyed with the year.
	inc := s.ID("SELECT MIN(id) FROM incidents WHERE fiscal_year = ? AND state <> 'closed'", fy)
	photo := append([]byte("\x89PNG\r\n\x1a\n"), []byte(strings.Repeat("site-photo ", 200))...)
	admin.Upload("/incident/"+itoa(inc)+"/evidence", url.Values{"note": {"共有設定の画面"}}, "file", "共有設定.png", photo).Redirects("/incident/" + itoa(inc))
	iev := s.ID("SELECT MAX(id) FROM incident_evidence WHERE incident_id = ?", inc)
	admin.Download("/incident/"+itoa(inc)+"/evidence/"+itoa(iev), "image/png")

	// A scanner file of a system audit, kept sealed with its engagement.
	sa := s.ID("SELECT MIN(id) FROM audit_engagements WHERE kind = 'system' AND fiscal_year = ?", fy)
	nmap, err := os.ReadFile(filepath.Join("..", "..", "content", "demo", "scan", "juki-20261201.xml"))
	if err != nil {
		t.Fatal(err)
	}
	consultant := s.As("consultant")
	prev := consultant.Upload("/scan/"+itoa(sa)+"/import", url.Values{}, "file", "juki-20261201.xml", nmap).Want(http.StatusOK, "取込みの確認")
	staged := s.ID("SELECT MAX(id) FROM scan_imports WHERE state = 'staged'")
	sum := sha256.Sum256(nmap)
	consultant.Post("/scan/"+itoa(sa)+"/import/apply", url.Values{"staged": {itoa(staged)}, "sha": {hex.EncodeToString(sum[:])}}).Redirects("/scan/" + itoa(sa))
	_ = prev

	// The year's end: the whole year once its work is finished.
	now = jp.FiscalYearStart(fy + 1).Add(10 * 24 * time.Hour)
	if rc, _, errs := run("shred", "--year", itoa(int64(fy)), "--by", "x", "--confirm", year, "-o", out); rc == 0 || !strings.Contains(errs, "作業が終わっていない") {
		t.Fatalf("the whole year with unfinished work: %d %s", rc, errs)
	}
	if _, err := s.DB.Exec(t.Context(), "UPDATE audit_engagements SET phase = 'done' WHERE fiscal_year = ?", fy); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.Exec(t.Context(), "UPDATE incidents SET state = 'closed', closed_at = ? WHERE fiscal_year = ? AND state <> 'closed'", now.UTC().Format(time.RFC3339), fy); err != nil {
		t.Fatal(err)
	}
	rc, stdout, errs = run("shred", "--year", itoa(int64(fy)), "--by", "支援事業者 情報太郎", "--confirm", year, "-o", out)
	if rc != 0 {
		var rec string
		_ = s.DB.QueryRow(t.Context(), "SELECT record FROM program_shreds ORDER BY id DESC LIMIT 1").Scan(&rec)
		t.Fatalf("shred the year: %d %s\n%s", rc, errs, rec)
	}
	keyed := s.Count("SELECT COUNT(DISTINCT engagement_id) FROM audit_evidence e JOIN audit_engagements a ON a.id = e.engagement_id WHERE a.fiscal_year = ?", fy) +
		s.Count("SELECT COUNT(DISTINCT incident_id) FROM incident_evidence e JOIN incidents i ON i.id = e.incident_id WHERE i.fiscal_year = ?", fy)
	if live := s.Count("SELECT COUNT(*) FROM audit_keys WHERE destroyed_at = ''") + s.Count("SELECT COUNT(*) FROM incident_keys WHERE destroyed_at = ''") +
		s.Count("SELECT COUNT(*) FROM scan_keys WHERE destroyed_at = ''"); live != 0 || destroyed() < keyed {
		t.Fatalf("after the year's shred: %d keys live, %d destroyed of %d objects with files", live, destroyed(), keyed)
	}
	if !strings.Contains(stdout, "復号できたファイルは 0 件") {
		t.Errorf("shred output: %s", stdout)
	}
	admin = s.As("admin") // the session of four months ago has expired
	admin.Get("/incident/"+itoa(inc)+"/evidence/"+itoa(iev)).Want(http.StatusGone, "破棄済み")
	admin.Get(evidence()).Want(http.StatusGone)
	id := s.ID("SELECT MAX(id) FROM program_shreds")
	cfile := filepath.Join(out, "year.pdf")
	if rc, _, errs := run("export", "shred-certificate", "--shred", itoa(id), "-o", cfile); rc != 0 {
		t.Fatalf("export shred-certificate: %s", errs)
	}
	text := strings.Join(strings.Fields(testkit.PDFText(t, cfile)), "")
	if !strings.Contains(text, year+"の全体") || !strings.Contains(text, "以前に消去済み") || !strings.Contains(text, "共有設定.png") ||
		!strings.Contains(text, "juki-20261201.xml") || !strings.Contains(text, hex.EncodeToString(sum[:])) {
		t.Errorf("the year's certificate lacks its scope or the engagement destroyed before:\n%.2000s", text)
	}
	if rc, _, errs := run("export", "shred-certificate", "--shred", "999", "-o", cfile); rc == 0 || !strings.Contains(errs, "消去の記録 999 はありません") {
		t.Errorf("an unknown record: %d %s", rc, errs)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
