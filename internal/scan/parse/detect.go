package parse

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
)

// SniffLen is how much of a file Detect looks at.
const SniffLen = 64 << 10

var (
	sarifSchemaRe  = regexp.MustCompile(`"\$schema"\s*:\s*"[^"]*(?i:sarif)`)
	sarifVersionRe = regexp.MustCompile(`"version"\s*:\s*"2\.1\.0"`)
	ovReportRe     = regexp.MustCompile(`<report[\s>/]`)
)

// Detect guesses the format of a file from its first bytes (up to
// SniffLen; more are ignored) and its name: <nmaprun → Nmap; a <report>
// or <get_reports_response> shaped like an OpenVAS report → OpenVAS; JSON
// with SchemaVersion, ArtifactName or Results (or the old array of
// Target/Vulnerabilities) → Trivy; JSON with runs and a SARIF $schema or
// version "2.1.0" → SARIF; a .csv/.tsv name or a first line with commas or
// tabs → CSV. A UTF-8 BOM is ignored. When nothing fits it returns a
// *Error asking for --format.
func Detect(head []byte, filename string) (Format, error) {
	if len(head) > SniffLen {
		head = head[:SniffLen]
	}
	head = bytes.TrimPrefix(head, bom)
	t := bytes.TrimLeft(head, " \t\r\n")
	if len(t) == 0 {
		return "", &Error{Msg: msgEmpty}
	}
	switch t[0] {
	case '<':
		switch {
		case bytes.Contains(t, []byte("<nmaprun")):
			return Nmap, nil
		case bytes.Contains(t, []byte("<get_reports_response")):
			return OpenVAS, nil
		case ovReportRe.Match(t) && (bytes.Contains(t, []byte("<results")) || bytes.Contains(t, []byte("<nvt")) ||
			bytes.Contains(t, []byte("<gmp>")) || bytes.Contains(t, []byte("<omp>")) ||
			bytes.Contains(t, []byte("<scan_run_status")) || bytes.Contains(t, []byte("format_id=")) ||
			bytes.Contains(t, []byte("<report_format"))):
			return OpenVAS, nil
		}
	case '{', '[':
		switch {
		case sarifSchemaRe.Match(t):
			return SARIF, nil
		case bytes.Contains(t, []byte(`"SchemaVersion"`)) || bytes.Contains(t, []byte(`"ArtifactName"`)):
			return Trivy, nil
		case bytes.Contains(t, []byte(`"runs"`)) && (bytes.Contains(t, []byte(`"$schema"`)) || sarifVersionRe.Match(t)):
			return SARIF, nil
		case t[0] == '{' && bytes.Contains(t, []byte(`"Results"`)):
			return Trivy, nil
		case t[0] == '[' && bytes.Contains(t, []byte(`"Target"`)) &&
			(bytes.Contains(t, []byte(`"Vulnerabilities"`)) || bytes.Contains(t, []byte(`"Misconfigurations"`)) || bytes.Contains(t, []byte(`"Secrets"`))):
			return Trivy, nil
		}
	default:
		ext := strings.ToLower(filepath.Ext(filename))
		first, _, _ := bytes.Cut(t, []byte("\n"))
		if ext == ".csv" || ext == ".tsv" || bytes.ContainsAny(first, ",\t") {
			return CSV, nil
		}
	}
	return "", &Error{Msg: "ファイルの形式を判別できません。Nmap XML・OpenVAS/Greenbone XML・Trivy JSON・SARIF 2.1・CSV のいずれかのファイルか確認し、形式を --format で指定してください"}
}
