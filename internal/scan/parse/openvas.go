package parse

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"mamori/internal/scan/finding"
)

type ovResult struct {
	Name string `xml:"name"`
	Host struct {
		Text     string `xml:",chardata"`
		Hostname string `xml:"hostname"`
	} `xml:"host"`
	Port string `xml:"port"`
	NVT  struct {
		OID      string `xml:"oid,attr"`
		Name     string `xml:"name"`
		Family   string `xml:"family"`
		CVSSBase string `xml:"cvss_base"`
		Tags     string `xml:"tags"`
		Solution struct {
			Type string `xml:"type,attr"`
			Text string `xml:",chardata"`
		} `xml:"solution"`
		Refs []struct {
			Type string `xml:"type,attr"`
			ID   string `xml:"id,attr"`
		} `xml:"refs>ref"`
		CVE string `xml:"cve"` // OpenVAS 8 and older: comma-separated, or NOCVE
	} `xml:"nvt"`
	Severity    string `xml:"severity"`
	Threat      string `xml:"threat"`
	Description string `xml:"description"`
	QoD         struct {
		Value string `xml:"value"`
	} `xml:"qod"`
}

func parseOpenVAS(r *bufio.Reader, s *sink, sum *Summary) error {
	if err := notXML(r, OpenVAS); err != nil {
		return err
	}
	x := newXMLReader(r, OpenVAS)
	root, err := x.root()
	if err != nil {
		return err
	}
	switch root.Name.Local {
	case "report":
	case "get_reports_response":
		if st := attr(root, "status"); st != "" && !strings.HasPrefix(st, "2") {
			return &Error{Format: OpenVAS, Line: x.line(), Msg: fmt.Sprintf("GVM がエラーを返したときの出力です（status %s：%s）", st, attr(root, "status_text"))}
		}
	default:
		return x.notFormat(root)
	}
	sum.Scanner = "OpenVAS"
	shape := attr(root, "format_id") != "" || root.Name.Local == "get_reports_response"
	hosts := map[string]bool{}
	stack := []string{root.Name.Local}
	for {
		t, err := x.d.Token()
		if err != nil {
			return x.fail(err)
		}
		switch v := t.(type) {
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				sum.Targets = len(hosts)
				if !shape {
					return &Error{Format: OpenVAS, Msg: "OpenVAS/Greenbone XML ではありません（<report> に検出結果 <results> がありません）"}
				}
				return nil
			}
		case xml.StartElement:
			parent := stack[len(stack)-1]
			name := v.Name.Local
			switch {
			case name == "result" && parent == "results":
				line := x.line()
				var res ovResult
				if err := x.d.DecodeElement(&res, &v); err != nil {
					return x.fail(err)
				}
				if err := openvasResult(&res, line, s, hosts); err != nil {
					return err
				}
			case (name == "scan_start" || name == "scan_end") && parent == "report":
				var text string
				if err := x.d.DecodeElement(&text, &v); err != nil {
					return x.fail(err)
				}
				if name == "scan_start" {
					sum.Started = parseTime(text)
				} else {
					sum.Finished = parseTime(text)
				}
			case name == "version" && (parent == "gmp" || parent == "omp"):
				var text string
				if err := x.d.DecodeElement(&text, &v); err != nil {
					return x.fail(err)
				}
				sum.ScannerVersion = strings.TrimSpace(text)
			case parent == "report" && (name == "host" || name == "ports" || name == "task" || name == "filters" || name == "errors"):
				// Per-host details and other summaries: not needed.
				if err := x.d.Skip(); err != nil {
					return x.fail(err)
				}
			default:
				if name == "results" || name == "scan_run_status" || name == "nvt" || name == "gmp" || name == "omp" {
					shape = true
				}
				stack = append(stack, name)
			}
		}
	}
}

// parseTime reads the time formats scanners write; zero when unknown.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02 15:04:05", time.ANSIC, time.UnixDate} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// ovTags splits an NVT's tags ("cvss_base_vector=…|summary=…|…").
func ovTags(s string) map[string]string {
	m := map[string]string{}
	key := ""
	for _, part := range strings.Split(s, "|") {
		k, v, ok := strings.Cut(part, "=")
		if ok && isTagKey(k) {
			key = k
			m[key] = strings.TrimSpace(v)
			continue
		}
		if key != "" { // a '|' inside a value
			m[key] += "|" + part
		}
	}
	return m
}

func isTagKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

var solutionTypes = map[string]string{
	"VendorFix":     "ベンダーの修正版",
	"Mitigation":    "緩和策",
	"Workaround":    "回避策",
	"WillNotFix":    "修正予定なし",
	"NoneAvailable": "対策なし",
}

var (
	ovInstalledRe = regexp.MustCompile(`(?im)^\s*Installed version:\s*(\S+)`)
	ovFixedRe     = regexp.MustCompile(`(?im)^\s*Fixed version:\s*(\S+)`)
)

func openvasResult(res *ovResult, line int, s *sink, hosts map[string]bool) error {
	threat := strings.TrimSpace(res.Threat)
	switch strings.ToLower(threat) {
	case "false positive", "debug", "error":
		return nil
	}
	score, hasScore := 0.0, false
	if v, err := strconv.ParseFloat(strings.TrimSpace(res.Severity), 64); err == nil {
		if v < 0 { // -1 false positive, -2 debug, -3 error
			return nil
		}
		score, hasScore = cleanScore(v), true
	} else if v, err := strconv.ParseFloat(strings.TrimSpace(res.NVT.CVSSBase), 64); err == nil && v >= 0 {
		score, hasScore = cleanScore(v), true
	}
	sev := finding.FromCVSS(score)
	if !hasScore {
		if sv, ok := finding.ParseSeverity(threat); ok {
			sev = sv
		}
	}
	title := strings.TrimSpace(res.NVT.Name)
	if title == "" {
		title = strings.TrimSpace(res.Name)
	}
	oid := strings.TrimSpace(res.NVT.OID)
	if title == "" && oid == "" {
		return &Error{Format: OpenVAS, Line: line, Msg: msgNoTitle}
	}
	if title == "" {
		title = oid
	}
	id := oid
	if id == "" {
		id = title
	}
	host := strings.TrimSpace(res.Host.Text)
	if host == "" {
		host = strings.TrimSpace(res.Host.Hostname)
	}
	if host != "" {
		hosts[host] = true
	}
	portText := strings.TrimSpace(res.Port)
	f := finding.Finding{
		Key:      "openvas|" + id + "|" + host + "|" + portText,
		Title:    title,
		Severity: sev,
		CVSS:     score,
		Host:     host,
		Area:     finding.AreaVulnerability,
	}
	if num, proto, ok := strings.Cut(portText, "/"); ok {
		if n, err := strconv.Atoi(num); err == nil && n > 0 && n <= 65535 {
			f.Port = n
			f.Protocol = strings.ToLower(proto)
		}
	}
	tags := ovTags(res.NVT.Tags)
	for _, ref := range res.NVT.Refs {
		switch strings.ToLower(ref.Type) {
		case "cve", "cve_id":
			if c := strings.ToUpper(cveRe.FindString(ref.ID)); c != "" {
				f.CVE = append(f.CVE, c)
			}
		case "cwe":
			if c := normCWE(ref.ID); c != "" {
				f.CWE = append(f.CWE, c)
			}
		}
	}
	for _, c := range cveRe.FindAllString(res.NVT.CVE, -1) {
		f.CVE = append(f.CVE, strings.ToUpper(c))
	}
	var desc []string
	for _, part := range []struct{ label, key string }{
		{"概要", "summary"}, {"詳細", "insight"}, {"影響", "impact"}, {"影響を受ける製品", "affected"}, {"検出方法", "vuldetect"},
	} {
		if v := tags[part.key]; v != "" {
			desc = append(desc, part.label+"："+v)
		}
	}
	detail := strings.TrimSpace(res.Description)
	if len(desc) == 0 && detail != "" {
		desc = append(desc, detail)
	}
	if host != "" && res.Host.Hostname != "" && strings.TrimSpace(res.Host.Hostname) != host {
		desc = append(desc, "ホスト名："+strings.TrimSpace(res.Host.Hostname))
	}
	f.Description = strings.Join(desc, "\n")
	f.Evidence = detail
	if m := ovInstalledRe.FindStringSubmatch(detail); m != nil {
		f.Version = m[1]
	}
	if m := ovFixedRe.FindStringSubmatch(detail); m != nil && !strings.EqualFold(m[1], "none") {
		f.FixedVersion = m[1]
	}
	sol := strings.TrimSpace(res.NVT.Solution.Text)
	solType := strings.TrimSpace(res.NVT.Solution.Type)
	if sol == "" {
		sol = tags["solution"]
	}
	if solType == "" {
		solType = tags["solution_type"]
	}
	if sol != "" {
		if l, ok := solutionTypes[solType]; ok {
			sol = "【" + l + "】" + sol
		}
	}
	f.Remedy = sol
	if res.NVT.Family != "" {
		if f.Evidence != "" {
			f.Evidence += "\n"
		}
		f.Evidence += "NVT ファミリー：" + strings.TrimSpace(res.NVT.Family) + "（OID " + oid + "）"
	}
	return s.put(f)
}

var cweRe = regexp.MustCompile(`(?i)cwe[-_ :/]*0*(\d{1,5})\b`)

// normCWE turns "CWE-079", "cwe-79: …" or "external/cwe/cwe-079" into
// "CWE-79"; empty when s names no CWE.
func normCWE(s string) string {
	m := cweRe.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n <= 0 {
		return ""
	}
	return "CWE-" + strconv.Itoa(n)
}
