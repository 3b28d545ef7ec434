package parse

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// parseErr parses data and returns the *Error, failing if there is none
// or if anything was emitted.
func parseErr(t *testing.T, data []byte, f Format, lim Limits) *Error {
	t.Helper()
	got, _, err := parseAll(data, f, lim)
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("%s: want *Error, got %v (%d findings)", f, err, len(got))
	}
	if pe.Format != f {
		t.Errorf("error format %q, want %q", pe.Format, f)
	}
	return pe
}

func TestEmptyFile(t *testing.T) {
	for _, f := range Formats {
		for _, in := range []string{"", " \r\n\t", "\xEF\xBB\xBF"} {
			if e := parseErr(t, []byte(in), f, Limits{}); e.Msg != msgEmpty {
				t.Errorf("%s %q: %v", f, in, e)
			}
		}
	}
}

func TestTruncated(t *testing.T) {
	for _, c := range []struct {
		file string
		f    Format
		cut  float64
	}{
		{"nmap.xml", Nmap, 0.5}, {"nmap.xml", Nmap, 0.97},
		{"openvas.xml", OpenVAS, 0.6},
		{"trivy.json", Trivy, 0.5}, {"trivy.json", Trivy, 0.98},
		{"sarif.json", SARIF, 0.4}, {"sarif.json", SARIF, 0.99},
	} {
		data := fixture(t, c.file)
		data = data[:int(float64(len(data))*c.cut)]
		e := parseErr(t, data, c.f, Limits{})
		if e.Msg != msgTruncated || e.Line <= 0 {
			t.Errorf("%s cut at %.2f: %v (line %d)", c.file, c.cut, e, e.Line)
		}
		if !strings.Contains(e.Error(), "行目）：ファイルが途中で切れています") {
			t.Errorf("Error() = %q", e.Error())
		}
	}
}

func TestWrongFormat(t *testing.T) {
	files := map[Format]string{Nmap: "nmap.xml", OpenVAS: "openvas.xml", Trivy: "trivy.json", SARIF: "sarif.json", CSV: "findings.csv"}
	for _, f := range Formats {
		for other, file := range files {
			if other == f {
				continue
			}
			e := parseErr(t, fixture(t, file), f, Limits{})
			if !strings.Contains(e.Msg, "ではありません") {
				t.Errorf("%s given %s: %v", f, file, e)
			}
		}
	}
	e := parseErr(t, []byte(`<?xml version="1.0"?><foo><bar/></foo>`), Nmap, Limits{})
	if e.Msg != "Nmap XML ではありません（ルート要素が <foo> です）" {
		t.Errorf("%v", e)
	}
	e = parseErr(t, []byte(`<report id="1"><task><name>x</name></task></report>`), OpenVAS, Limits{})
	if !strings.Contains(e.Msg, "ではありません") {
		t.Errorf("%v", e)
	}
	e = parseErr(t, []byte(`{"version": "1.0.0", "runs": []}`), SARIF, Limits{})
	if !strings.Contains(e.Msg, "version が 1.0.0") {
		t.Errorf("%v", e)
	}
	e = parseErr(t, []byte(`<get_reports_response status="404" status_text="Failed to find report"/>`), OpenVAS, Limits{})
	if !strings.Contains(e.Msg, "Failed to find report") {
		t.Errorf("%v", e)
	}
}

const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE nmaprun [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<nmaprun scanner="nmap" version="7.94"><host><status state="up"/><address addr="&lol3;" addrtype="ipv4"/></host></nmaprun>`

func TestXMLEntitiesRefused(t *testing.T) {
	cases := map[string]string{
		"billion laughs": billionLaughs,
		"xxe system":     `<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><nmaprun><host><status state="up"/><address addr="&xxe;" addrtype="ipv4"/></host></nmaprun>`,
		"external dtd":   `<?xml version="1.0"?><!DOCTYPE report SYSTEM "http://attacker.example/evil.dtd"><report><results/></report>`,
		"public dtd":     `<?xml version="1.0"?><!DOCTYPE nmaprun PUBLIC "-//x//y" "http://attacker.example/evil.dtd"><nmaprun/>`,
		"parameter":      `<!DOCTYPE report [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><report/>`,
	}
	for name, in := range cases {
		for _, f := range []Format{Nmap, OpenVAS} {
			e := parseErr(t, []byte(in), f, Limits{})
			if e.Msg != msgEntity {
				t.Errorf("%s as %s: %v", name, f, e)
			}
		}
	}
	// An entity used without any declaration is refused too.
	e := parseErr(t, []byte(`<nmaprun><host><address addr="&xxe;"/></host></nmaprun>`), Nmap, Limits{})
	if !strings.Contains(e.Msg, "実体") {
		t.Errorf("undeclared entity: %v", e)
	}
	// Nmap's own DOCTYPE is fine (the fixture has it).
	if !bytes.Contains(fixture(t, "nmap.xml"), []byte("<!DOCTYPE nmaprun>")) {
		t.Fatal("fixture lacks the DOCTYPE")
	}
	mustParse(t, fixture(t, "nmap.xml"), Nmap)
}

func TestTooDeep(t *testing.T) {
	deepXML := "<nmaprun><host>" + strings.Repeat("<a>", 300) + strings.Repeat("</a>", 300) + "</host></nmaprun>"
	e := parseErr(t, []byte(deepXML), Nmap, Limits{})
	if !strings.Contains(e.Msg, "入れ子が深すぎます") {
		t.Errorf("xml: %v", e)
	}
	deepXML = "<report><results>" + strings.Repeat("<x>", 250) + "</results></report>"
	if e := parseErr(t, []byte(deepXML), OpenVAS, Limits{}); !strings.Contains(e.Msg, "入れ子が深すぎます") {
		t.Errorf("openvas: %v", e)
	}
	deepJSON := `{"SchemaVersion": 2, "Metadata": ` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`
	if e := parseErr(t, []byte(deepJSON), Trivy, Limits{}); !strings.Contains(e.Msg, "入れ子が深すぎます") {
		t.Errorf("trivy: %v", e)
	}
	deepJSON = `{"runs": [{"tool": ` + strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000) + `}]}`
	if e := parseErr(t, []byte(deepJSON), SARIF, Limits{}); !strings.Contains(e.Msg, "入れ子が深すぎます") {
		t.Errorf("sarif: %v", e)
	}
}

func TestTooLarge(t *testing.T) {
	files := map[Format]string{Nmap: "nmap.xml", OpenVAS: "openvas.xml", Trivy: "trivy.json", SARIF: "sarif.json", CSV: "findings.csv"}
	for f, file := range files {
		data := fixture(t, file)
		e := parseErr(t, data, f, Limits{MaxBytes: 300})
		if !strings.Contains(e.Msg, "ファイルが大きすぎます（上限 300 バイト）") {
			t.Errorf("%s: %v", f, e)
		}
		// Exactly at the limit is fine.
		if _, _, err := parseAll(data, f, Limits{MaxBytes: int64(len(data))}); err != nil {
			t.Errorf("%s at the limit: %v", f, err)
		}
	}
	if s := tooLargeMsg(DefaultMaxBytes); s != "ファイルが大きすぎます（上限 300 MiB）" {
		t.Error(s)
	}
}

func TestTooManyFindings(t *testing.T) {
	files := map[Format]string{Nmap: "nmap.xml", OpenVAS: "openvas.xml", Trivy: "trivy.json", SARIF: "sarif.json", CSV: "findings.csv"}
	for f, file := range files {
		e := parseErr(t, fixture(t, file), f, Limits{MaxFindings: 2})
		if !strings.Contains(e.Msg, "検出結果が多すぎます（上限 2 件）") {
			t.Errorf("%s: %v", f, e)
		}
	}
	// Exactly at the limit is fine.
	if _, _, err := parseAll(fixture(t, "openvas.xml"), OpenVAS, Limits{MaxFindings: 4}); err != nil {
		t.Error(err)
	}
	// SARIF results held before their tool count too.
	in := `{"runs": [{"results": [{"ruleId": "a"}, {"ruleId": "b"}, {"ruleId": "c"}], "tool": {"driver": {"name": "x"}}}]}`
	if e := parseErr(t, []byte(in), SARIF, Limits{MaxFindings: 2}); !strings.Contains(e.Msg, "多すぎます") {
		t.Errorf("sarif pending: %v", e)
	}
}

func TestNoTitleNorID(t *testing.T) {
	cases := []struct {
		f  Format
		in string
	}{
		{OpenVAS, `<report><results><result><host>192.0.2.1</host><port>80/tcp</port><nvt oid=""><name></name></nvt><severity>5.0</severity></result></results></report>`},
		{Trivy, `{"SchemaVersion": 2, "Results": [{"Target": "x", "Vulnerabilities": [{"PkgName": "p", "Severity": "HIGH"}]}]}`},
		{Trivy, `{"SchemaVersion": 2, "Results": [{"Target": "x", "Misconfigurations": [{"Status": "FAIL", "Severity": "HIGH"}]}]}`},
		{Trivy, `{"SchemaVersion": 2, "Results": [{"Target": "x", "Secrets": [{"Severity": "HIGH", "StartLine": 3}]}]}`},
		{SARIF, `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"level": "error", "message": {"text": ""}}]}]}`},
	}
	for _, c := range cases {
		e := parseErr(t, []byte(c.in), c.f, Limits{})
		if e.Msg != msgNoTitle {
			t.Errorf("%s: %v", c.f, e)
		}
	}
}

func TestSyntaxErrorLine(t *testing.T) {
	in := "{\n\"SchemaVersion\": 2,\n\"Results\": [\n{\"Target\": \"x\",\n\"Vulnerabilities\": [\n{\"VulnerabilityID\": \"CVE-2024-0001\",\n\"PkgName\": tru\n}]}]}\n"
	e := parseErr(t, []byte(in), Trivy, Limits{})
	if e.Line != 7 || !strings.Contains(e.Msg, "JSON の構文") {
		t.Errorf("line %d: %v", e.Line, e)
	}
	in = "{\n\"SchemaVersion\": 2,\n\"Results\": [\n{\"Target\": \"x\",\n\"Vulnerabilities\": [\n{\"VulnerabilityID\": \"CVE-2024-0001\",\n\"PkgName\": 42\n}]}]}\n"
	e = parseErr(t, []byte(in), Trivy, Limits{})
	if e.Line != 7 || !strings.Contains(e.Msg, "PkgName") {
		t.Errorf("line %d: %v", e.Line, e)
	}
	xml := "<nmaprun>\n<host>\n<status state=\"up\">\n</host>\n</nmaprun>\n"
	e = parseErr(t, []byte(xml), Nmap, Limits{})
	if e.Line != 4 || !strings.Contains(e.Msg, "XML の形式") {
		t.Errorf("line %d: %v", e.Line, e)
	}
}
