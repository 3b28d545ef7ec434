package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"syscall"
	"time"

	"mamori/internal/scan/finding"
)

// Port states of a TCPReport.
const (
	StateOpen     = "open"     // the connection was accepted
	StateClosed   = "closed"   // the connection was refused
	StateFiltered = "filtered" // no answer (timeout) or unreachable
)

// TCPReport is what the TCP check saw, for storing and showing.
type TCPReport struct {
	Host      string     `json:"host"`
	Address   string     `json:"address"` // the checked IP address that was dialled
	Ports     []PortInfo `json:"ports"`
	CheckedAt time.Time  `json:"checkedAt"`
}

// PortInfo is the state of one port.
type PortInfo struct {
	Port    int    `json:"port"`
	State   string `json:"state"`             // open, closed or filtered
	Service string `json:"service,omitempty"` // the usual service on the port, if known
}

// riskyService describes a service that should not be exposed.
type riskyService struct {
	name, why, remedy string
}

var riskyPorts = map[int]riskyService{
	21:    {"FTP", "FTP は認証情報や内容を暗号化せずに送受信します。", "FTP を停止し、SFTP や HTTPS 等の暗号化された方式に移行してください。"},
	23:    {"Telnet", "Telnet は認証情報や操作内容を暗号化せずに送受信します。", "Telnet を停止し、SSH に移行してください。"},
	512:   {"rexec", "r 系サービス（rexec）は認証が弱く、内容も暗号化されません。", "rexec を停止し、SSH に移行してください。"},
	513:   {"rlogin", "r 系サービス（rlogin）は認証が弱く、内容も暗号化されません。", "rlogin を停止し、SSH に移行してください。"},
	514:   {"rsh", "r 系サービス（rsh）は認証が弱く、内容も暗号化されません。", "rsh を停止し、SSH に移行してください。"},
	139:   {"NetBIOS セッションサービス", "Windows ファイル共有（NetBIOS）は過去に重大な脆弱性が繰り返し見つかっており、外部に公開すべきではありません。", "ファイアウォールで許可された端末以外からの接続を遮断してください。"},
	445:   {"SMB", "Windows ファイル共有（SMB）は過去に重大な脆弱性やランサムウェアの感染経路として悪用されています。", "ファイアウォールで許可された端末以外からの接続を遮断してください。"},
	3389:  {"リモートデスクトップ（RDP）", "リモートデスクトップはパスワード推測攻撃や脆弱性の悪用の標的となりやすいサービスです。", "VPN 経由に限定するなど、接続元を制限してください。多要素認証の導入も検討してください。"},
	5900:  {"VNC", "VNC は認証が弱い設定が多く、画面操作を奪われるおそれがあります。", "VNC を停止するか、VPN や SSH トンネル経由に限定してください。"},
	1433:  {"Microsoft SQL Server", "データベースが直接接続を受け付けており、パスワード推測攻撃や脆弱性の悪用の標的となります。", "データベースへの接続はアプリケーションサーバ等の必要な端末からに限定してください。"},
	1521:  {"Oracle Database", "データベースが直接接続を受け付けており、パスワード推測攻撃や脆弱性の悪用の標的となります。", "データベースへの接続はアプリケーションサーバ等の必要な端末からに限定してください。"},
	3306:  {"MySQL", "データベースが直接接続を受け付けており、パスワード推測攻撃や脆弱性の悪用の標的となります。", "データベースへの接続はアプリケーションサーバ等の必要な端末からに限定してください。"},
	5432:  {"PostgreSQL", "データベースが直接接続を受け付けており、パスワード推測攻撃や脆弱性の悪用の標的となります。", "データベースへの接続はアプリケーションサーバ等の必要な端末からに限定してください。"},
	6379:  {"Redis", "Redis は既定で認証がなく、外部から接続できるとデータの窃取や改ざん、サーバの乗っ取りにつながるおそれがあります。", "接続元を限定し、認証を有効にしてください。"},
	27017: {"MongoDB", "MongoDB が直接接続を受け付けており、認証設定によってはデータを読み取られるおそれがあります。", "接続元を限定し、認証を有効にしてください。"},
}

var commonServices = map[int]string{
	22: "SSH", 25: "SMTP", 53: "DNS", 80: "HTTP", 110: "POP3", 143: "IMAP", 443: "HTTPS",
	465: "SMTPS", 587: "SMTP（サブミッション）", 993: "IMAPS", 995: "POP3S", 8080: "HTTP（代替）", 8443: "HTTPS（代替）",
}

func serviceName(port int) string {
	if r, ok := riskyPorts[port]; ok {
		return r.name
	}
	return commonServices[port]
}

// TCP tries a plain connection to each port of host (sorted, without
// duplicates, at most MaxPorts) and closes it without sending data. On
// error the report holds the ports checked so far and no findings are
// returned.
func (c *Checker) TCP(ctx context.Context, host string, ports []int) (TCPReport, []finding.Finding, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := hostOf(host)
	rep := TCPReport{Host: h}
	if len(ports) == 0 {
		return rep, nil, fmt.Errorf("検査するポートが指定されていません")
	}
	ps := slices.Clone(ports)
	slices.Sort(ps)
	ps = slices.Compact(ps)
	if len(ps) > MaxPorts {
		return rep, nil, fmt.Errorf("一度に検査できるポートは %d 個までです（指定: %d 個）", MaxPorts, len(ps))
	}
	for _, p := range ps {
		if err := checkPort(p); err != nil {
			return rep, nil, err
		}
	}
	if err := c.begin(ctx, h); err != nil {
		return rep, nil, err
	}
	addr, err := c.resolve(ctx, h, false)
	if err != nil {
		return rep, nil, err
	}
	rep.Address = addr.String()
	rep.CheckedAt = c.o.Now()
	for _, p := range ps {
		ap := netip.AddrPortFrom(addr, uint16(p))
		target := net.JoinHostPort(h, strconv.Itoa(p))
		state := StateOpen
		conn, err := c.dial(ctx, target, ap)
		if err != nil {
			var de *dialError
			if !errors.As(err, &de) {
				return rep, nil, err
			}
			state = StateFiltered
			if isRefused(de.err) {
				state = StateClosed
			}
		} else {
			conn.Close()
		}
		rep.Ports = append(rep.Ports, PortInfo{Port: p, State: state, Service: serviceName(p)})
	}
	return rep, tcpFindings(&rep), nil
}

func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

func tcpFindings(r *TCPReport) []finding.Finding {
	var out []finding.Finding
	for _, p := range r.Ports {
		if p.State != StateOpen {
			continue
		}
		f := finding.Finding{
			Key: "tcp|" + r.Host + "|" + strconv.Itoa(p.Port), Source: "tcp",
			Host: r.Host, Port: p.Port, Protocol: "tcp", Service: p.Service, Area: finding.AreaNetwork,
			Evidence: fmt.Sprintf("%s（%s）の TCP %d 番ポートへの接続が受け付けられました", r.Host, r.Address, p.Port),
		}
		if rs, ok := riskyPorts[p.Port]; ok {
			f.Severity = finding.Medium
			f.Title = fmt.Sprintf("注意が必要なサービス（%s、%d/tcp）が接続を受け付けています", rs.name, p.Port)
			f.Description = rs.why + "検査元から接続できる状態です。業務上必要な範囲に公開が限定されているか確認してください。"
			f.Remedy = rs.remedy
		} else {
			f.Severity = finding.Info
			name := ""
			if p.Service != "" {
				name = "（" + p.Service + "）"
			}
			f.Title = fmt.Sprintf("TCP %d 番ポート%sが開いています", p.Port, name)
			f.Description = "検査元から接続できるポートです。業務上必要なサービスであるか確認してください。"
			f.Remedy = "不要なサービスは停止し、必要なサービスもファイアウォールで接続元を限定してください。"
		}
		f.Clean()
		out = append(out, f)
	}
	return out
}
