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

type nmapHost struct {
	Status struct {
		State string `xml:"state,attr"`
	} `xml:"status"`
	Addresses []struct {
		Addr string `xml:"addr,attr"`
		Type string `xml:"addrtype,attr"`
	} `xml:"address"`
	Hostnames []struct {
		Name string `xml:"name,attr"`
		Type string `xml:"type,attr"`
	} `xml:"hostnames>hostname"`
	Ports []nmapPort `xml:"ports>port"`
}

type nmapPort struct {
	Protocol string `xml:"protocol,attr"`
	PortID   string `xml:"portid,attr"`
	State    struct {
		State string `xml:"state,attr"`
	} `xml:"state"`
	Service struct {
		Name      string `xml:"name,attr"`
		Product   string `xml:"product,attr"`
		Version   string `xml:"version,attr"`
		ExtraInfo string `xml:"extrainfo,attr"`
		Tunnel    string `xml:"tunnel,attr"`
	} `xml:"service"`
	Scripts []nmapTable `xml:"script"`
}

// nmapTable is an NSE <script> or <table>: nested tables and elems.
type nmapTable struct {
	ID     string      `xml:"id,attr"`
	Output string      `xml:"output,attr"`
	Key    string      `xml:"key,attr"`
	Tables []nmapTable `xml:"table"`
	Elems  []struct {
		Key   string `xml:"key,attr"`
		Value string `xml:",chardata"`
	} `xml:"elem"`
}

func (t *nmapTable) elem(key string) string {
	for _, e := range t.Elems {
		if e.Key == key {
			return strings.TrimSpace(e.Value)
		}
	}
	return ""
}

func parseNmap(r *bufio.Reader, s *sink, sum *Summary) error {
	if err := notXML(r, Nmap); err != nil {
		return err
	}
	x := newXMLReader(r, Nmap)
	root, err := x.root()
	if err != nil {
		return err
	}
	if root.Name.Local != "nmaprun" {
		return x.notFormat(root)
	}
	sum.Scanner = "Nmap"
	sum.ScannerVersion = attr(root, "version")
	sum.Started = unixTime(attr(root, "start"))
	for {
		t, err := x.d.Token()
		if err != nil {
			return x.fail(err)
		}
		switch v := t.(type) {
		case xml.EndElement:
			return nil // </nmaprun>
		case xml.StartElement:
			switch v.Name.Local {
			case "host":
				line := x.line()
				var h nmapHost
				if err := x.d.DecodeElement(&h, &v); err != nil {
					return x.fail(err)
				}
				if err := nmapHostFindings(&h, line, s, sum); err != nil {
					return err
				}
			case "runstats":
				var rs struct {
					Finished struct {
						Time string `xml:"time,attr"`
					} `xml:"finished"`
				}
				if err := x.d.DecodeElement(&rs, &v); err != nil {
					return x.fail(err)
				}
				sum.Finished = unixTime(rs.Finished.Time)
			default:
				if err := x.d.Skip(); err != nil {
					return x.fail(err)
				}
			}
		}
	}
}

func unixTime(s string) time.Time {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 || n > 1<<40 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

// riskyService describes an exposed service that deserves more than an
// informational finding.
type riskyService struct {
	what   string // the service in Japanese
	desc   string // why its exposure is a risk
	remedy string
}

const remedyRestrict = "業務上不要であれば停止してください。必要な場合は、接続元をファイアウォールで必要な端末・ネットワークに限定してください。"

var (
	riskTelnet = &riskyService{"Telnet",
		"Telnet は通信を暗号化しないため、ID・パスワードを含む通信内容が盗聴されるおそれがあります。",
		"Telnet を停止し、SSH など暗号化された手段に置き換えてください。やむを得ず残す場合は、接続元をファイアウォールで管理用端末に限定してください。"}
	riskFTP = &riskyService{"FTP",
		"FTP は通常、ID・パスワードやファイルを暗号化せずに送るため、盗聴や改ざんのおそれがあります。匿名ログインが有効な場合は情報漏えいにつながります。",
		"SFTP や FTPS など暗号化された手段に置き換え、FTP は停止してください。必要な場合は匿名ログインを無効にし、接続元をファイアウォールで限定してください。"}
	riskRServices = &riskyService{"r 系サービス（rexec/rlogin/rsh）",
		"rexec・rlogin・rsh は認証が弱く通信も暗号化されないため、なりすましや盗聴により不正にログインされるおそれがあります。",
		"r 系サービスを停止し、SSH に置き換えてください。"}
	riskSMB = &riskyService{"ファイル共有（SMB/NetBIOS）",
		"Windows のファイル共有（SMB/NetBIOS）が到達可能になっています。SMB はワームやランサムウェアの主な侵入・拡散経路であり、外部や他部署のネットワークに公開すべきではありません。",
		"業務上不要であれば停止してください。必要な場合は、接続元をファイアウォールで必要なネットワークに限定し、SMBv1 を無効にして最新の更新プログラムを適用してください。"}
	riskRDP = &riskyService{"リモートデスクトップ（RDP）",
		"リモートデスクトップ（RDP）が到達可能になっています。RDP はパスワードの総当たり攻撃や脆弱性を突いた侵入の標的になりやすいサービスです。",
		"業務上不要であれば無効にしてください。必要な場合は VPN 経由に限り、接続元をファイアウォールで限定し、ネットワークレベル認証（NLA）と十分に強いパスワード・アカウントロックアウトを設定してください。"}
	riskVNC = &riskyService{"VNC（画面共有）",
		"VNC が到達可能になっています。VNC は認証が弱い設定や通信の非暗号化が多く、画面と操作を乗っ取られるおそれがあります。",
		"業務上不要であれば停止してください。必要な場合は VPN や SSH トンネル経由に限り、接続元をファイアウォールで限定し、強いパスワードを設定してください。"}
	riskSNMP = &riskyService{"SNMP",
		"SNMP が応答しています。SNMP v1/v2c はコミュニティ名が平文で送られ、既定値（public・private など）のままだと機器の構成情報の漏えいや設定の書き換えにつながります。",
		"業務上不要であれば停止してください。必要な場合は SNMPv3（認証・暗号化あり）を使い、既定のコミュニティ名を変更し、接続元を監視サーバに限定してください。"}
	riskDB = &riskyService{"データベース",
		"データベースの待ち受けポートが到達可能になっています。データベースを直接ネットワークに公開すると、パスワードの総当たりや脆弱性を突いた攻撃で情報が漏えいするおそれがあります。",
		"データベースは原則としてアプリケーションサーバなど必要な接続元からのみ接続できるよう、ファイアウォールと待ち受けアドレスの設定で限定してください。不要であれば停止してください。"}
)

// risky returns what makes an open port a risk, or nil.
func risky(proto string, port int, service string) *riskyService {
	svc := strings.ToLower(service)
	switch svc {
	case "telnet":
		return riskTelnet
	case "ftp":
		return riskFTP
	case "exec", "login", "shell", "rexec", "rlogin", "rsh":
		return riskRServices
	case "microsoft-ds", "netbios-ssn", "smb":
		return riskSMB
	case "ms-wbt-server", "rdp":
		return riskRDP
	case "vnc", "vnc-http":
		return riskVNC
	case "snmp":
		return riskSNMP
	case "mysql", "postgresql", "ms-sql-s", "oracle", "oracle-tns", "redis", "mongodb", "mongod":
		return riskDB
	case "", "unknown", "tcpwrapped":
		// Not identified: judge by the port number below.
	default:
		if strings.HasPrefix(svc, "vnc") {
			return riskVNC
		}
		return nil
	}
	if proto == "udp" {
		if port == 161 {
			return riskSNMP
		}
		return nil
	}
	switch {
	case port == 23:
		return riskTelnet
	case port == 21:
		return riskFTP
	case port >= 512 && port <= 514:
		return riskRServices
	case port == 445 || port == 139:
		return riskSMB
	case port == 3389:
		return riskRDP
	case port >= 5900 && port <= 5910:
		return riskVNC
	case port == 3306 || port == 5432 || port == 1433 || port == 1521 || port == 6379 || port == 27017:
		return riskDB
	}
	return nil
}

var cveRe = regexp.MustCompile(`(?i)CVE-\d{4}-\d{4,}`)

// vulnersEntry is one line of the vulners NSE script.
type vulnersEntry struct {
	id      string
	cvss    float64
	typ     string
	exploit bool
}

// vulnersEntries reads the script's tables (Nmap 7.80 and later), or its
// text output when there are no tables.
func vulnersEntries(sc *nmapTable) []vulnersEntry {
	var out []vulnersEntry
	var walk func(t *nmapTable)
	walk = func(t *nmapTable) {
		if id := t.elem("id"); id != "" {
			cv, _ := strconv.ParseFloat(t.elem("cvss"), 64)
			out = append(out, vulnersEntry{id: id, cvss: cleanScore(cv), typ: strings.ToLower(t.elem("type")), exploit: strings.EqualFold(t.elem("is_exploit"), "true")})
		}
		for i := range t.Tables {
			walk(&t.Tables[i])
		}
	}
	walk(sc)
	if len(out) > 0 {
		return out
	}
	for _, line := range strings.Split(sc.Output, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		cv, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		e := vulnersEntry{id: f[0], cvss: cleanScore(cv), exploit: strings.Contains(line, "*EXPLOIT*")}
		if cveRe.MatchString(f[0]) {
			e.typ = "cve"
		}
		out = append(out, e)
	}
	return out
}

// cleanScore keeps a score within 0–10 (NaN and out of range give 0).
func cleanScore(v float64) float64 {
	if !(v >= 0 && v <= 10) {
		return 0
	}
	return v
}

func nmapHostFindings(h *nmapHost, line int, s *sink, sum *Summary) error {
	if h.Status.State != "up" {
		return nil
	}
	sum.Targets++
	addr := ""
	for _, want := range []string{"ipv4", "ipv6", "mac"} {
		for _, a := range h.Addresses {
			if a.Type == want && strings.TrimSpace(a.Addr) != "" && addr == "" {
				addr = strings.TrimSpace(a.Addr)
			}
		}
	}
	if addr == "" {
		for _, a := range h.Addresses {
			if strings.TrimSpace(a.Addr) != "" {
				addr = strings.TrimSpace(a.Addr)
				break
			}
		}
	}
	if addr == "" {
		return &Error{Format: Nmap, Line: line, Msg: "稼働中のホストにアドレスがありません"}
	}
	name := ""
	for _, hn := range h.Hostnames {
		if n := strings.TrimSpace(hn.Name); n != "" && (name == "" || hn.Type == "user") {
			name = n
		}
	}
	hostText := addr
	if name != "" && name != addr {
		hostText = name + "（" + addr + "）"
	}
	for i := range h.Ports {
		p := &h.Ports[i]
		if p.State.State != "open" {
			continue
		}
		port, err := strconv.Atoi(strings.TrimSpace(p.PortID))
		if err != nil || port < 0 || port > 65535 {
			return &Error{Format: Nmap, Line: line, Msg: fmt.Sprintf("ポート番号「%s」が正しくありません", p.PortID)}
		}
		proto := strings.ToLower(strings.TrimSpace(p.Protocol))
		if proto == "" {
			proto = "tcp"
		}
		pp := strconv.Itoa(port) + "/" + proto
		svcName := strings.TrimSpace(p.Service.Name)
		if p.Service.Tunnel == "ssl" {
			switch svcName {
			case "", "https":
			case "http":
				svcName = "https"
			default:
				svcName = "ssl/" + svcName
			}
		}
		product := strings.TrimSpace(strings.TrimSpace(p.Service.Product) + " " + strings.TrimSpace(p.Service.Version))
		service := strings.TrimSpace(svcName + " " + product)
		inParen := svcName
		if product != "" {
			if inParen != "" {
				inParen += "：" + product
			} else {
				inParen = product
			}
		}
		title := "開放ポート " + pp
		if inParen != "" {
			title += "（" + inParen + "）"
		}
		evidence := hostText + " " + pp + " open"
		if service != "" {
			evidence += " " + service
		}
		if ex := strings.TrimSpace(p.Service.ExtraInfo); ex != "" {
			evidence += " (" + ex + ")"
		}
		f := finding.Finding{
			Key:      "nmap|" + addr + "|" + pp,
			Title:    title,
			Severity: finding.Info,
			Host:     addr,
			Port:     port,
			Protocol: proto,
			Service:  service,
			Evidence: evidence,
			Area:     finding.AreaNetwork,
		}
		desc := hostText + " の " + pp + " が開いています"
		if inParen != "" {
			desc += "（" + inParen + "）"
		}
		desc += "。"
		if rk := risky(proto, port, p.Service.Name); rk != nil {
			f.Severity = finding.Medium
			f.Description = desc + rk.desc
			f.Remedy = rk.remedy
		} else {
			f.Description = desc
			f.Remedy = "業務上必要なサービスであることを確認してください。" + remedyRestrict
		}
		if err := s.put(f); err != nil {
			return err
		}
		if err := vulnersFindings(p, addr, hostText, pp, port, proto, svcName, service, s); err != nil {
			return err
		}
	}
	return nil
}

func vulnersFindings(p *nmapPort, addr, hostText, pp string, port int, proto, svcName, service string, s *sink) error {
	seen := map[string]bool{}
	for i := range p.Scripts {
		sc := &p.Scripts[i]
		if sc.ID != "vulners" {
			continue
		}
		for _, e := range vulnersEntries(sc) {
			if e.exploit {
				continue
			}
			cve := strings.ToUpper(cveRe.FindString(e.id))
			if cve == "" && e.typ != "cve" && e.cvss <= 0 {
				continue
			}
			id := e.id
			if cve != "" {
				id = cve
			}
			if seen[id] {
				continue
			}
			seen[id] = true
			product := strings.TrimSpace(p.Service.Product)
			component := product
			if component == "" {
				component = svcName
			}
			what := strings.TrimSpace(component + " " + strings.TrimSpace(p.Service.Version))
			if what == "" {
				what = "サービス"
			}
			f := finding.Finding{
				Key:       "nmap|" + addr + "|" + pp + "|" + id,
				Title:     id + "（" + what + "、" + pp + "）",
				Severity:  finding.FromCVSS(e.cvss),
				CVSS:      e.cvss,
				Host:      addr,
				Port:      port,
				Protocol:  proto,
				Service:   service,
				Component: component,
				Version:   strings.TrimSpace(p.Service.Version),
				Area:      finding.AreaVulnerability,
				Evidence:  fmt.Sprintf("vulners: %s（CVSS %.1f）", e.id, e.cvss),
			}
			if cve != "" {
				f.CVE = []string{cve}
			}
			f.Description = fmt.Sprintf("%s の %s で動作している %s は、Vulners のデータベースで %s（CVSS %.1f）の影響を受けるバージョンとされています。バージョン表記からの推定のため、バックポートによる修正済みなどで実際には影響がない場合があります。", hostText, pp, what, id, e.cvss)
			f.Remedy = fmt.Sprintf("ベンダーの勧告で %s を修正したバージョンを確認し、%s をそのバージョン以上に更新してください。すぐに更新できない場合は、ベンダーの回避策を適用し、接続元をファイアウォールで限定してください。", id, orDefault(component, "該当ソフトウェア"))
			if err := s.put(f); err != nil {
				return err
			}
		}
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
