// Package finding is the one model of a technical-verification result,
// shared by the scanner-file parsers (internal/scan/parse), the built-in
// safe checks (internal/scan/probe) and the scan module that stores them.
package finding

import (
	"strings"
	"unicode/utf8"
)

// Severity is how serious a finding is, on the five-step scale the
// reports use (緊急 / 高 / 中 / 低 / 情報).
type Severity string

// The severities, most serious first.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
	Info     Severity = "info"
)

// Severities lists the severities, most serious first.
var Severities = []Severity{Critical, High, Medium, Low, Info}

var severityLabels = map[Severity]string{Critical: "緊急", High: "高", Medium: "中", Low: "低", Info: "情報"}

// Label is the severity's Japanese name.
func (s Severity) Label() string {
	if l, ok := severityLabels[s]; ok {
		return l
	}
	return string(s)
}

// Valid reports whether s is one of the five severities.
func (s Severity) Valid() bool { _, ok := severityLabels[s]; return ok }

// Rank orders severities: 0 for critical … 4 for info (5 when unknown).
func (s Severity) Rank() int {
	for i, x := range Severities {
		if x == s {
			return i
		}
	}
	return len(Severities)
}

// FromCVSS maps a CVSS v3 base score to a severity (the CVSS v3
// qualitative scale: 9.0– critical, 7.0– high, 4.0– medium, 0.1– low).
func FromCVSS(score float64) Severity {
	switch {
	case score >= 9:
		return Critical
	case score >= 7:
		return High
	case score >= 4:
		return Medium
	case score > 0:
		return Low
	}
	return Info
}

// ParseSeverity reads a severity written by a scanner or a person:
// critical/high/medium/moderate/low/info/informational/negligible/
// unknown/note/warning/error or 緊急/高/中/低/情報 (a CVSS score is the
// caller's: FromCVSS). ok is false when the text is none of these.
func ParseSeverity(text string) (Severity, bool) {
	t := strings.ToLower(strings.TrimSpace(text))
	switch t {
	case "critical", "緊急", "crit", "urgent":
		return Critical, true
	case "high", "高", "error", "severe":
		return High, true
	case "medium", "moderate", "中", "warning", "med":
		return Medium, true
	case "low", "低", "note", "minor":
		return Low, true
	case "info", "information", "informational", "情報", "none", "log", "negligible", "unknown", "debug", "false positive":
		return Info, true
	}
	return "", false
}

// Finding is one result of a scanner file or a built-in check.
type Finding struct {
	// Key identifies the same finding across imports of the same scanner
	// (the deduplication key, chosen per scanner: for Nmap the host, the
	// protocol and port; for Trivy the target, package and vulnerability
	// id; for SARIF the rule, file and fingerprint). Never empty.
	Key    string
	Source string // the scanner or check: nmap, openvas, trivy, sarif, csv, tls, http, tcp
	Title  string
	// Severity is one of the five; CVSS the base score when known (0 otherwise).
	Severity Severity
	CVSS     float64
	CWE      []string // e.g. CWE-79
	CVE      []string // e.g. CVE-2024-3094
	// Where: a host and port, a URL, a component and version, or a file and line.
	Host         string
	Port         int
	Protocol     string // tcp, udp
	Service      string // e.g. https, ssh (with product and version when known)
	URL          string
	Component    string
	Version      string
	FixedVersion string
	File         string
	Line         int
	Description  string
	Remedy       string
	// Evidence is what the scanner or check saw (a banner, the offered
	// cipher suites, a header), kept short.
	Evidence string
	// Area is what the finding is about, for linking it to checklist
	// items: one of the Area constants.
	Area string
}

// Areas a finding is about; the scan module links each to the items of
// the engagement's checklist on the same subject.
const (
	AreaVulnerability = "vulnerability" // 脆弱性管理（パッチ・バージョン）
	AreaCrypto        = "crypto"        // 暗号化・証明書
	AreaNetwork       = "network"       // 通信制御（開放ポート・サービス）
	AreaConfig        = "config"        // 設定不備（ヘッダー・クッキー・設定ミス）
	AreaSecret        = "secret"        // 秘密情報（認証情報の埋め込み）
	AreaCode          = "code"          // ソースコードの脆弱性（静的解析）
)

// AreaLabel names an area in Japanese.
func AreaLabel(a string) string {
	switch a {
	case AreaVulnerability:
		return "脆弱性管理"
	case AreaCrypto:
		return "暗号化・証明書"
	case AreaNetwork:
		return "通信制御"
	case AreaConfig:
		return "設定"
	case AreaSecret:
		return "秘密情報"
	case AreaCode:
		return "ソースコード"
	}
	return "その他"
}

// Where is the finding's location in one line: host:port/proto, a URL, a
// component@version, or file:line.
func (f Finding) Where() string {
	var parts []string
	switch {
	case f.URL != "":
		parts = append(parts, f.URL)
	case f.Host != "" && f.Port > 0:
		p := f.Protocol
		if p == "" {
			p = "tcp"
		}
		parts = append(parts, f.Host+":"+itoa(f.Port)+"/"+p)
	case f.Host != "":
		parts = append(parts, f.Host)
	}
	if f.Component != "" {
		c := f.Component
		if f.Version != "" {
			c += " " + f.Version
		}
		parts = append(parts, c)
	}
	if f.File != "" {
		fl := f.File
		if f.Line > 0 {
			fl += ":" + itoa(f.Line)
		}
		parts = append(parts, fl)
	}
	return strings.Join(parts, " ")
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// Field limits: the parsers cut longer text (in runes) so that one
// finding never holds more than a few kilobytes.
const (
	MaxTitle = 300
	MaxText  = 4000
	MaxShort = 200
	MaxIDs   = 50
)

// Cut shortens s to at most n runes, marking the cut with "…", and
// replaces invalid UTF-8.
func Cut(s string, n int) string {
	s = strings.ToValidUTF8(strings.TrimSpace(s), "�")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Clean cuts every text field of f to its limit and drops duplicate ids;
// parsers call it before they emit a finding.
func (f *Finding) Clean() {
	f.Title = Cut(f.Title, MaxTitle)
	f.Description = Cut(f.Description, MaxText)
	f.Remedy = Cut(f.Remedy, MaxText)
	f.Evidence = Cut(f.Evidence, MaxText)
	for _, p := range []*string{&f.Host, &f.Protocol, &f.Service, &f.Component, &f.Version, &f.FixedVersion} {
		*p = Cut(*p, MaxShort)
	}
	f.URL = Cut(f.URL, 1000)
	f.File = Cut(f.File, 1000)
	f.Key = Cut(f.Key, 1000)
	f.CVE = uniq(f.CVE)
	f.CWE = uniq(f.CWE)
	if !f.Severity.Valid() {
		f.Severity = FromCVSS(f.CVSS)
	}
}

func uniq(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		s = Cut(s, 40)
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
		if len(out) == MaxIDs {
			break
		}
	}
	return out
}
