package parse

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"mamori/internal/scan/finding"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sjisCSV is testdata/findings.csv encoded as Shift_JIS (CP932).
func sjisCSV(t testing.TB) []byte {
	t.Helper()
	b, err := japanese.ShiftJIS.NewEncoder().Bytes(fixture(t, "findings.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseAll(data []byte, f Format, lim Limits) ([]finding.Finding, Summary, error) {
	var out []finding.Finding
	sum, err := Parse(bytes.NewReader(data), f, lim, func(x finding.Finding) error {
		out = append(out, x)
		return nil
	})
	return out, sum, err
}

func mustParse(t *testing.T, data []byte, f Format) ([]finding.Finding, Summary) {
	t.Helper()
	got, sum, err := parseAll(data, f, Limits{})
	if err != nil {
		t.Fatalf("Parse(%s): %v", f, err)
	}
	if sum.Findings != len(got) || sum.Format != f {
		t.Fatalf("summary %+v, emitted %d", sum, len(got))
	}
	checkFindings(t, f, got)
	return got, sum
}

// checkFindings checks what every emitted finding must satisfy.
func checkFindings(t *testing.T, f Format, got []finding.Finding) {
	t.Helper()
	seen := map[string]bool{}
	for _, x := range got {
		if x.Key == "" || !x.Severity.Valid() || x.Source != string(f) || x.Title == "" || x.Area == "" {
			t.Errorf("bad finding %+v", x)
		}
		if seen[x.Key] {
			t.Errorf("duplicate key %q", x.Key)
		}
		seen[x.Key] = true
	}
}

func byKey(got []finding.Finding) map[string]finding.Finding {
	m := map[string]finding.Finding{}
	for _, x := range got {
		m[x.Key] = x
	}
	return m
}

type want struct {
	key, title string
	sev        finding.Severity
	cve        []string
	cwe        []string
	fixed      string
	line       int
}

func checkWants(t *testing.T, got []finding.Finding, wants []want) {
	t.Helper()
	m := byKey(got)
	for _, w := range wants {
		x, ok := m[w.key]
		if !ok {
			t.Errorf("no finding %q; keys: %v", w.key, slices.Sorted(mapsKeys(m)))
			continue
		}
		if w.title != "" && x.Title != w.title {
			t.Errorf("%s: title %q, want %q", w.key, x.Title, w.title)
		}
		if x.Severity != w.sev {
			t.Errorf("%s: severity %s, want %s", w.key, x.Severity, w.sev)
		}
		if w.cve != nil && !slices.Equal(x.CVE, w.cve) {
			t.Errorf("%s: CVE %v, want %v", w.key, x.CVE, w.cve)
		}
		if w.cwe != nil && !slices.Equal(x.CWE, w.cwe) {
			t.Errorf("%s: CWE %v, want %v", w.key, x.CWE, w.cwe)
		}
		if x.FixedVersion != w.fixed {
			t.Errorf("%s: fixed %q, want %q", w.key, x.FixedVersion, w.fixed)
		}
		if w.line != 0 && x.Line != w.line {
			t.Errorf("%s: line %d, want %d", w.key, x.Line, w.line)
		}
	}
}

func mapsKeys(m map[string]finding.Finding) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestNmap(t *testing.T) {
	got, sum := mustParse(t, fixture(t, "nmap.xml"), Nmap)
	if len(got) != 13 || sum.Targets != 3 || sum.Scanner != "Nmap" || sum.ScannerVersion != "7.94" {
		t.Fatalf("got %d findings, summary %+v", len(got), sum)
	}
	if sum.Started.Unix() != 1728954000 || sum.Finished.Unix() != 1728954210 {
		t.Errorf("times %v %v", sum.Started, sum.Finished)
	}
	checkWants(t, got, []want{
		{key: "nmap|192.0.2.10|22/tcp", title: "開放ポート 22/tcp（ssh：OpenSSH 8.2p1 Ubuntu 4ubuntu0.5）", sev: finding.Info},
		{key: "nmap|192.0.2.10|443/tcp", title: "開放ポート 443/tcp（https：nginx 1.18.0）", sev: finding.Info},
		{key: "nmap|192.0.2.10|443/tcp|CVE-2021-23017", title: "CVE-2021-23017（nginx 1.18.0、443/tcp）", sev: finding.High, cve: []string{"CVE-2021-23017"}},
		{key: "nmap|192.0.2.10|443/tcp|CVE-2021-3618", sev: finding.Medium, cve: []string{"CVE-2021-3618"}},
		{key: "nmap|192.0.2.10|22/tcp|CVE-2020-15778", sev: finding.Medium},
		{key: "nmap|192.0.2.20|23/tcp", title: "開放ポート 23/tcp（telnet：Linux telnetd）", sev: finding.Medium},
		{key: "nmap|192.0.2.20|21/tcp", sev: finding.Medium},
		{key: "nmap|192.0.2.20|161/udp", sev: finding.Medium},
		{key: "nmap|198.51.100.5|3306/tcp", sev: finding.Medium},
		{key: "nmap|198.51.100.5|3389/tcp", sev: finding.Medium},
		{key: "nmap|198.51.100.5|3306/tcp|CVE-2021-2307", sev: finding.Medium},
	})
	m := byKey(got)
	for k, x := range m {
		if strings.Contains(k, "203.0.113.7") || strings.Contains(k, "EXPLOIT") || strings.Contains(k, "PACKETSTORM") || strings.Contains(k, "NGINX:") {
			t.Errorf("unexpected finding %q", k)
		}
		if strings.Contains(k, "/25/") || strings.Contains(k, "8080") || strings.Contains(k, "123/udp") {
			t.Errorf("non-open port reported: %q", k)
		}
		if x.Severity == finding.Medium && x.Area == finding.AreaNetwork && (x.Remedy == "" || x.Description == "") {
			t.Errorf("%s: risky service without remedy/description", k)
		}
	}
	v := m["nmap|192.0.2.10|443/tcp|CVE-2021-23017"]
	if v.Host != "192.0.2.10" || v.Port != 443 || v.Protocol != "tcp" || v.CVSS != 7.5 || v.Component != "nginx" || v.Version != "1.18.0" || v.Area != finding.AreaVulnerability || !strings.Contains(v.Remedy, "nginx") {
		t.Errorf("vulners finding %+v", v)
	}
	if p := m["nmap|192.0.2.10|80/tcp"]; !strings.Contains(p.Evidence, "www.example.jp") || p.Service != "http nginx 1.18.0" {
		t.Errorf("port finding %+v", p)
	}
}

func TestOpenVAS(t *testing.T) {
	got, sum := mustParse(t, fixture(t, "openvas.xml"), OpenVAS)
	if len(got) != 4 || sum.Targets != 2 || sum.ScannerVersion != "22.4" || sum.Started.IsZero() || sum.Finished.IsZero() {
		t.Fatalf("got %d findings, summary %+v", len(got), sum)
	}
	checkWants(t, got, []want{
		{key: "openvas|1.3.6.1.4.1.25623.1.0.117451|192.0.2.10|443/tcp", title: "nginx 0.6.18 < 1.20.1 1-Byte Memory Overwrite Vulnerability", sev: finding.High, cve: []string{"CVE-2021-23017"}, fixed: "1.20.1"},
		{key: "openvas|1.3.6.1.4.1.25623.1.0.117274|192.0.2.10|443/tcp", sev: finding.Medium, cve: []string{"CVE-2011-3389", "CVE-2015-0204"}},
		{key: "openvas|1.3.6.1.4.1.25623.1.0.80091|192.0.2.20|general/tcp", sev: finding.Low},
		{key: "openvas|1.3.6.1.4.1.25623.1.0.105937|192.0.2.20|general/tcp", sev: finding.Info},
	})
	for _, x := range got {
		if strings.Contains(x.Key, "198.51.100.5") {
			t.Errorf("false positive reported: %s", x.Key)
		}
	}
	n := byKey(got)["openvas|1.3.6.1.4.1.25623.1.0.117451|192.0.2.10|443/tcp"]
	if n.CVSS != 7.5 || n.Port != 443 || n.Version != "1.18.0" || !strings.HasPrefix(n.Remedy, "【ベンダーの修正版】Update to version 1.20.1") ||
		!strings.Contains(n.Description, "概要：nginx is prone") || !strings.Contains(n.Description, "詳細：") {
		t.Errorf("nginx finding %+v", n)
	}
	if g := byKey(got)["openvas|1.3.6.1.4.1.25623.1.0.80091|192.0.2.20|general/tcp"]; g.Port != 0 || g.Host != "192.0.2.20" {
		t.Errorf("general/tcp finding %+v", g)
	}
}

func TestTrivy(t *testing.T) {
	got, sum := mustParse(t, fixture(t, "trivy.json"), Trivy)
	if len(got) != 8 || sum.Targets != 4 || sum.Scanner != "Trivy" || sum.Finished.IsZero() {
		t.Fatalf("got %d findings, summary %+v", len(got), sum)
	}
	const os = "registry.example.jp/juminhyo/web:1.4.2 (debian 11.6)"
	checkWants(t, got, []want{
		{key: "trivy|" + os + "|openssl|CVE-2023-0286", sev: finding.High, cve: []string{"CVE-2023-0286"}, cwe: []string{"CWE-843"}, fixed: "1.1.1n-0+deb11u4",
			title: "CVE-2023-0286（openssl 1.1.1n-0+deb11u3）：openssl: X.400 address type confusion in X.509 GeneralName"},
		{key: "trivy|" + os + "|zlib1g|CVE-2022-37434", sev: finding.Critical, fixed: "1:1.2.11.dfsg-2+deb11u2"},
		{key: "trivy|" + os + "|libc6|CVE-2021-3999", sev: finding.High},
		{key: "trivy|" + os + "|libtiff5|CVE-2023-3576", sev: finding.Medium}, // UNKNOWN → CVSS 5.5
		{key: "trivy|app/package-lock.json|lodash|CVE-2021-23337", sev: finding.High, fixed: "4.17.21", cwe: []string{"CWE-94", "CWE-77"}},
		{key: "trivy|app/package-lock.json|semver|GHSA-c2qf-rxjj-qqgw", sev: finding.Medium, fixed: "7.5.2, 6.3.1, 5.7.2"},
		{key: "trivy|Dockerfile|DS002", sev: finding.High, title: "DS002：Image user should not be 'root'", line: 1},
		{key: "trivy|app/config/settings.py|aws-access-key-id|12", sev: finding.Critical, line: 12},
	})
	m := byKey(got)
	if x := m["trivy|"+os+"|zlib1g|CVE-2022-37434"]; x.CVSS != 9.8 || x.Remedy != "zlib1g を 1:1.2.11.dfsg-2+deb11u2 以上に更新してください。" || x.Component != "zlib1g" {
		t.Errorf("zlib finding %+v", x)
	}
	if x := m["trivy|"+os+"|libc6|CVE-2021-3999"]; !strings.HasPrefix(x.Remedy, "修正版は未公開です") || x.CVSS != 7.8 {
		t.Errorf("libc6 finding %+v", x)
	}
	if x := m["trivy|"+os+"|libtiff5|CVE-2023-3576"]; !strings.Contains(x.Remedy, "修正しない方針") {
		t.Errorf("libtiff finding %+v", x)
	}
	if x := m["trivy|Dockerfile|DS002"]; x.Area != finding.AreaConfig || x.File != "Dockerfile" || x.Remedy == "" {
		t.Errorf("misconfig %+v", x)
	}
	if x := m["trivy|app/config/settings.py|aws-access-key-id|12"]; x.Area != finding.AreaSecret || x.File != "app/config/settings.py" || !strings.Contains(x.Evidence, "AWS") {
		t.Errorf("secret %+v", x)
	}
	for k := range m {
		if strings.Contains(k, "DS026") {
			t.Error("passed check reported")
		}
	}
}

// TestTrivySecretNotStored checks that the secret's text (Match and the
// code lines) appears in no field of any finding.
func TestTrivySecretNotStored(t *testing.T) {
	got, _ := mustParse(t, fixture(t, "trivy.json"), Trivy)
	for _, x := range got {
		v := reflect.ValueOf(x)
		for i := range v.NumField() {
			var texts []string
			switch fv := v.Field(i); fv.Kind() {
			case reflect.String:
				texts = []string{fv.String()}
			case reflect.Slice:
				texts = fv.Interface().([]string)
			}
			for _, s := range texts {
				if strings.Contains(s, "AKIAIOSFODNN7EXAMPLE") || strings.Contains(s, "AWS_ACCESS_KEY_ID =") {
					t.Errorf("%s: field %s holds the secret: %q", x.Key, v.Type().Field(i).Name, s)
				}
			}
		}
	}
}

func TestTrivySchema1(t *testing.T) {
	in := `[{"Target": "alpine:3.7 (alpine 3.7.1)", "Vulnerabilities": [{"VulnerabilityID": "CVE-2018-16840", "PkgName": "curl", "InstalledVersion": "7.61.0-r0", "FixedVersion": "7.61.1-r1", "Severity": "HIGH"}]}, {"Target": "composer.lock", "Vulnerabilities": null}]`
	got, sum := mustParse(t, []byte(in), Trivy)
	if len(got) != 1 || sum.Targets != 2 || got[0].Key != "trivy|alpine:3.7 (alpine 3.7.1)|curl|CVE-2018-16840" {
		t.Fatalf("%+v %+v", got, sum)
	}
	// Target after the vulnerabilities: the findings still get it.
	in = `{"SchemaVersion": 2, "Results": [{"Vulnerabilities": [{"VulnerabilityID": "CVE-2018-16840", "PkgName": "curl", "Severity": "LOW"}], "Target": "late"}]}`
	got, _ = mustParse(t, []byte(in), Trivy)
	if len(got) != 1 || got[0].Key != "trivy|late|curl|CVE-2018-16840" || got[0].Severity != finding.Low {
		t.Fatalf("%+v", got)
	}
}

func TestSARIF(t *testing.T) {
	got, sum := mustParse(t, fixture(t, "sarif.json"), SARIF)
	if len(got) != 6 || sum.Targets != 2 || sum.Scanner != "CodeQL" || sum.ScannerVersion != "2.15.3" || sum.Started.IsZero() || sum.Finished.IsZero() {
		t.Fatalf("got %d findings, summary %+v", len(got), sum)
	}
	checkWants(t, got, []want{
		{key: "sarif|CodeQL|js/reflected-xss|src/routes/search.js|9c1b6f0fa3e0a8d1:1", title: "Reflected cross-site scripting", sev: finding.High, cwe: []string{"CWE-79", "CWE-116"}, line: 42},
		{key: "sarif|CodeQL|js/sql-injection|src/db/query.js|4f6e2d1c0b9a8877:1", sev: finding.Critical, cwe: []string{"CWE-89", "CWE-90", "CWE-943"}, line: 17},
		{key: "sarif|CodeQL|js/reflected-xss|src/routes/profile.js|77aa01bc3d4e5f60:1", sev: finding.High, line: 88},
		{key: "sarif|CodeQL|js/unused-local-variable|src/db/query.js|00ff11ee22dd33cc:1", sev: finding.Low}, // default level note
		{key: "sarif|Semgrep OSS|python.django.security.audit.django-debug-enabled|backend/settings.py|a0b1c2d3e4f5061728394a5b6c7d8e9f00112233445566778899aabbccddeeff_0",
			title: "Django's DEBUG is enabled.", sev: finding.Medium, cwe: []string{"CWE-489"}, line: 23},
	})
	var sqli finding.Finding
	for _, x := range got {
		if strings.Contains(x.File, "views.py") {
			sqli = x
		}
		if strings.Contains(x.File, "test_views.py") {
			t.Error("suppressed result reported")
		}
		if x.Area != finding.AreaCode {
			t.Errorf("%s: area %s", x.Key, x.Area)
		}
	}
	// The semgrep run lists its results before its tool: the rules still apply.
	if sqli.Severity != finding.High || !slices.Equal(sqli.CWE, []string{"CWE-89"}) || !strings.HasPrefix(sqli.Key, "sarif|Semgrep OSS|python.django") || sqli.Remedy != "Use parameterized queries: cursor.execute(sql, [params])." {
		t.Errorf("semgrep finding %+v", sqli)
	}
	if xss := byKey(got)["sarif|CodeQL|js/reflected-xss|src/routes/search.js|9c1b6f0fa3e0a8d1:1"]; !strings.Contains(xss.Description, "due to a user-provided value.") || !strings.Contains(xss.Remedy, "escape user input") {
		t.Errorf("xss finding %+v", xss)
	}
}

func TestSARIFLevelsAndExtensions(t *testing.T) {
	in := `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "T", "rules": [{"id": "a"}]},
	  "extensions": [{"name": "pack", "rules": [{"id": "x/one", "shortDescription": {"text": "One"}, "properties": {"security-severity": 4.0, "tags": ["CWE-22"]}}]}]},
	  "results": [
	    {"ruleId": "a", "level": "error", "message": {"text": "e"}},
	    {"ruleId": "a", "level": "none", "message": {"text": "n"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "f"}, "region": {"startLine": 3}}}]},
	    {"rule": {"id": "x/one", "index": 0, "toolComponent": {"index": 0}}, "message": {"text": "m"}},
	    {"ruleId": "a", "kind": "pass", "message": {"text": "p"}},
	    {"ruleId": "missing/sub", "message": {"text": "Line one\nline two"}}
	  ]}]}`
	got, _ := mustParse(t, []byte(in), SARIF)
	checkWants(t, got, []want{
		{key: "sarif|T|a||0", sev: finding.High},
		{key: "sarif|T|a|f|3", sev: finding.Info, line: 3},
		{key: "sarif|T|x/one||0", title: "One", sev: finding.Medium, cwe: []string{"CWE-22"}},
		{key: "sarif|T|missing/sub||0", title: "Line one", sev: finding.Medium},
	})
	if len(got) != 4 {
		t.Errorf("got %d findings", len(got))
	}
}

func TestCSV(t *testing.T) {
	for name, data := range map[string][]byte{"utf8": fixture(t, "findings.csv"), "sjis": sjisCSV(t)} {
		t.Run(name, func(t *testing.T) {
			got, sum := mustParse(t, data, CSV)
			if len(got) != 3 || sum.Targets != 2 {
				t.Fatalf("got %d findings, summary %+v", len(got), sum)
			}
			checkWants(t, got, []want{
				{key: "csv|192.0.2.30|8443|https://admin.example.jp:8443/||||管理画面が外部から到達可能", sev: finding.High},
				{key: "csv|192.0.2.31|443||Apache HTTP Server|||古い Apache HTTP Server", sev: finding.Critical, cve: []string{"CVE-2021-41773", "CVE-2021-42013"}, cwe: []string{"CWE-22"}, fixed: "2.4.51"},
				{key: "csv|||https://www.example.jp/login||||Cookie に Secure 属性がない", sev: finding.Low, cwe: []string{"CWE-614"}},
			})
			if x := got[1]; x.Area != finding.AreaVulnerability || x.CVSS != 9.8 || x.Port != 443 || x.Protocol != "tcp" {
				t.Errorf("%+v", x)
			}
			if got[0].Area != finding.AreaNetwork || got[2].Area != finding.AreaConfig {
				t.Errorf("areas %s %s", got[0].Area, got[2].Area)
			}
		})
	}
	// English headers, key column, CVSS only, full-width digits.
	in := "title,cvss,key,port,cve,area\nWeak cipher,５.３,my-key-1,４４３/tcp,cve-2016-2183;CVE-2016-6329,crypto\n"
	got, _ := mustParse(t, []byte(in), CSV)
	if len(got) != 1 || got[0].Key != "my-key-1" || got[0].Severity != finding.Medium || got[0].Port != 443 || got[0].Area != finding.AreaCrypto ||
		!slices.Equal(got[0].CVE, []string{"CVE-2016-2183", "CVE-2016-6329"}) {
		t.Fatalf("%+v", got)
	}
}

func TestCSVErrors(t *testing.T) {
	in := "タイトル,重大度,CVSS,ポート,CVE,行,区分\n" +
		"正しい行,高,,,,,\n" +
		"重大度が変,すごく高い,,,,,\n" +
		",中,11,70000,CVE-12,-1,どこか\n" +
		",,,,,,\n" +
		"重大度なし,,,,,,\n"
	got, _, err := parseAll([]byte(in), CSV, Limits{})
	if len(got) != 0 {
		t.Errorf("emitted %d findings despite errors", len(got))
	}
	var pe *Error
	if !errors.As(err, &pe) || pe.Format != CSV || pe.Line != 3 {
		t.Fatalf("err %#v", err)
	}
	for _, s := range []string{
		"3行目「重大度」：「すごく高い」は読めません（緊急・高・中・低・情報 または CVSS の数値）",
		"4行目「タイトル」：空欄です",
		"4行目「CVSS」：「11」は 0〜10 の数値ではありません",
		"4行目「ポート」：「70000」",
		"4行目「CVE」：「CVE-12」",
		"4行目「行」：「-1」",
		"4行目「区分」：「どこか」",
		"6行目「重大度」：空欄です",
	} {
		if !strings.Contains(pe.Msg, s) {
			t.Errorf("message lacks %q:\n%s", s, pe.Msg)
		}
	}
	if strings.Contains(pe.Msg, "2行目") || strings.Contains(pe.Msg, "5行目") {
		t.Errorf("good or blank row reported:\n%s", pe.Msg)
	}
	// Rows are spreadsheet rows: a cell with a line break is still one row.
	_, _, err = parseAll([]byte("タイトル,重大度\n\"二行の\nタイトル\",高\nx,ほぼ無害\n"), CSV, Limits{})
	if err == nil || !strings.Contains(err.Error(), "3行目「重大度」：「ほぼ無害」は読めません") {
		t.Errorf("multi-line cell: %v", err)
	}
	if s := pe.Error(); !strings.HasPrefix(s, "CSV を読み込めません：3行目「重大度」") {
		t.Errorf("Error() = %q", s)
	}

	for in, wantMsg := range map[string]string{
		"タイトル,重大度,色,形\nx,高,赤,丸\n": "見出し 「色」「形」 は使えません",
		"重大度,説明\n高,x\n":           "「タイトル」（title）の列がありません",
		"タイトル,説明\nx,y\n":          "「重大度」（severity）か「CVSS」の列が必要です",
		"タイトル,title,重大度\nx,y,高\n": "重複しています",
		"タイトル,重大度\nx,高,余計\n":      "2行目：3列目は見出しがないのに値があります",
	} {
		_, _, err := parseAll([]byte(in), CSV, Limits{})
		if err == nil || !strings.Contains(err.Error(), wantMsg) {
			t.Errorf("%q: err %v, want %q", in, err, wantMsg)
		}
	}
}

func TestKeysStable(t *testing.T) {
	for _, c := range []struct {
		file string
		f    Format
	}{{"nmap.xml", Nmap}, {"openvas.xml", OpenVAS}, {"trivy.json", Trivy}, {"sarif.json", SARIF}, {"findings.csv", CSV}} {
		data := fixture(t, c.file)
		var keys [2][]string
		for i := range keys {
			got, _ := mustParse(t, data, c.f)
			for _, x := range got {
				keys[i] = append(keys[i], x.Key)
			}
		}
		if len(keys[0]) == 0 || !slices.Equal(keys[0], keys[1]) {
			t.Errorf("%s: keys differ between parses:\n%v\n%v", c.file, keys[0], keys[1])
		}
	}
	// A BOM changes nothing.
	a, _ := mustParse(t, fixture(t, "trivy.json"), Trivy)
	b, _ := mustParse(t, append(append([]byte{}, bom...), fixture(t, "trivy.json")...), Trivy)
	if !reflect.DeepEqual(a, b) {
		t.Error("BOM changes the findings")
	}
}

func TestLongKeyHashed(t *testing.T) {
	long := strings.Repeat("a", 300)
	in := `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "T"}}, "results": [
	  {"ruleId": "r", "message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "` + long + `1"}}}]},
	  {"ruleId": "r", "message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "` + long + `2"}}}]}]}]}`
	got, _ := mustParse(t, []byte(in), SARIF) // checks the keys differ
	if len(got) != 2 || len([]rune(got[0].Key)) > finding.MaxShort {
		t.Fatalf("%v", got)
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		want Format
	}{
		{"scan.xml", fixture(t, "nmap.xml"), Nmap},
		{"report.xml", fixture(t, "openvas.xml"), OpenVAS},
		{"r.xml", []byte(`<report id="x" format_id="a994b278"><report id="x"><results/></report></report>`), OpenVAS},
		{"trivy.json", fixture(t, "trivy.json"), Trivy},
		{"old.json", []byte(`[{"Target": "x", "Vulnerabilities": null}]`), Trivy},
		{"out.sarif", fixture(t, "sarif.json"), SARIF},
		{"semgrep.json", []byte(`{"version": "2.1.0", "runs": []}`), SARIF},
		{"findings.csv", fixture(t, "findings.csv"), CSV},
		{"findings.txt", sjisCSV(t), CSV},
		{"bom.xml", append(append([]byte{}, bom...), fixture(t, "nmap.xml")...), Nmap},
		{"bom.json", append(append([]byte{}, bom...), fixture(t, "trivy.json")...), Trivy},
	} {
		got, err := Detect(c.data, c.name)
		if err != nil || got != c.want {
			t.Errorf("Detect(%s) = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	for _, data := range []string{"", "  \n", "<html><body>hi</body></html>", `{"hello": "world"}`, "just some text"} {
		_, err := Detect([]byte(data), "x.bin")
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Detect(%q): err %v", data, err)
		}
	}
	if _, err := Detect([]byte("<foo/>"), "x.xml"); err == nil || !strings.Contains(err.Error(), "--format で指定してください") {
		t.Errorf("unknown: %v", err)
	}
	if _, err := Detect(nil, "x"); err == nil || !strings.Contains(err.Error(), "ファイルが空です") {
		t.Errorf("empty: %v", err)
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"nmap": Nmap, "NMAP": Nmap, " OpenVAS ": OpenVAS, "gvm": OpenVAS, "Trivy": Trivy, "sarif": SARIF, "csv": CSV} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	_, err := ParseFormat("nessus")
	if err == nil || !strings.Contains(err.Error(), "「nessus」") || !strings.Contains(err.Error(), "nmap、openvas、trivy、sarif、csv") {
		t.Errorf("err %v", err)
	}
	for _, f := range Formats {
		if f.Label() == string(f) && f != CSV {
			t.Errorf("%s has no label", f)
		}
	}
}

func TestErrorString(t *testing.T) {
	for e, want := range map[*Error]string{
		{Format: Nmap, Line: 120, Msg: msgTruncated}: "Nmap XML を読み込めません（120行目）：ファイルが途中で切れています",
		{Format: Trivy, Msg: msgEmpty}:               "Trivy JSON を読み込めません：ファイルが空です",
		{Format: CSV, Line: 3, Msg: "3行目「重大度」：x"}:    "CSV を読み込めません：3行目「重大度」：x",
		{Msg: "判別できません"}:                             "判別できません",
	} {
		if got := e.Error(); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestEmitErrorReturnedUnchanged(t *testing.T) {
	stop := errors.New("stop")
	for _, c := range []struct {
		file string
		f    Format
	}{{"nmap.xml", Nmap}, {"openvas.xml", OpenVAS}, {"trivy.json", Trivy}, {"sarif.json", SARIF}, {"findings.csv", CSV}} {
		n := 0
		_, err := Parse(bytes.NewReader(fixture(t, c.file)), c.f, Limits{}, func(finding.Finding) error {
			n++
			if n == 2 {
				return stop
			}
			return nil
		})
		if err != stop || n != 2 {
			t.Errorf("%s: err %v after %d calls", c.file, err, n)
		}
	}
}
