package parse

import (
	"bytes"
	"errors"
	"testing"

	"mamori/internal/scan/finding"
)

// fuzzParse parses data as f and checks that nothing panics, that every
// emitted finding has a key and a valid severity, and that errors are
// *Error.
func fuzzParse(t *testing.T, data []byte, f Format) {
	_, err := Parse(bytes.NewReader(data), f, Limits{MaxBytes: 1 << 20, MaxFindings: 10000}, func(x finding.Finding) error {
		if x.Key == "" || !x.Severity.Valid() || x.Source != string(f) {
			t.Fatalf("bad finding %+v", x)
		}
		return nil
	})
	var pe *Error
	if err != nil && !errors.As(err, &pe) {
		t.Fatalf("error of type %T: %v", err, err)
	}
	if pe != nil && pe.Msg == "" {
		t.Fatal("error without message")
	}
}

func seeds(f *testing.F, names ...string) {
	for _, n := range names {
		b := fixture(f, n)
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
}

func FuzzParseNmap(f *testing.F) {
	seeds(f, "nmap.xml")
	f.Add([]byte(billionLaughs))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, Nmap) })
}

func FuzzParseOpenVAS(f *testing.F) {
	seeds(f, "openvas.xml")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, OpenVAS) })
}

func FuzzParseTrivy(f *testing.F) {
	seeds(f, "trivy.json")
	f.Add([]byte(`[{"Target": "x", "Vulnerabilities": [{"VulnerabilityID": "CVE-2018-1", "PkgName": "p"}]}]`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, Trivy) })
}

func FuzzParseSARIF(f *testing.F) {
	seeds(f, "sarif.json")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, SARIF) })
}

func FuzzParseCSV(f *testing.F) {
	seeds(f, "findings.csv")
	f.Add(sjisCSV(f))
	f.Add([]byte("title,cvss,cve\nx,5,CVE-2024-0001\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, CSV) })
}

func FuzzDetect(f *testing.F) {
	seeds(f, "nmap.xml", "openvas.xml", "trivy.json", "sarif.json", "findings.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Detect(data, "upload.dat")
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || got != "" {
				t.Fatalf("Detect: %q, %v", got, err)
			}
			return
		}
		if !isFormat(got) {
			t.Fatalf("Detect gave %q", got)
		}
		// Whatever was detected, parsing must not panic.
		fuzzParse(t, data, got)
	})
}

func isFormat(f Format) bool {
	for _, x := range Formats {
		if x == f {
			return true
		}
	}
	return false
}
