package probe

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Minimum prefix lengths: an allow-list entry broader than these is
// refused as over-broad.
const (
	MinPrefixIPv4 = 16 // IPv4 prefixes must be /16 or narrower
	MinPrefixIPv6 = 64 // IPv6 prefixes must be /64 or narrower
)

// Scope is the approved allow-list of targets.
type Scope struct {
	// Hosts are exact DNS names, lower-case, without a trailing dot.
	Hosts []string
	// Prefixes are approved address ranges; single IPs as /32 or /128.
	Prefixes []netip.Prefix
	// URLs are approved http(s) URL prefixes.
	URLs []*url.URL
}

// ParseScope reads an allow-list, one entry per line: a host name, an IPv4
// or IPv6 address, a CIDR prefix, or an http(s) URL. Blank lines and
// comments (from '#' at the start of a line or after white space) are
// ignored. A bad line is reported with its line number and text.
func ParseScope(text string) (Scope, error) {
	var s Scope
	seen := map[string]bool{}
	for i, raw := range strings.Split(text, "\n") {
		line := stripComment(raw)
		if line == "" {
			continue
		}
		n := i + 1
		kind, val, err := parseEntry(line)
		if err != nil {
			return Scope{}, fmt.Errorf("許可リスト %d 行目「%s」: %s", n, strings.TrimSpace(raw), err.Error())
		}
		key := kind + "|" + fmt.Sprint(val)
		if seen[key] {
			continue
		}
		seen[key] = true
		switch v := val.(type) {
		case string:
			s.Hosts = append(s.Hosts, v)
		case netip.Prefix:
			s.Prefixes = append(s.Prefixes, v)
		case *url.URL:
			s.URLs = append(s.URLs, v)
		}
	}
	return s, nil
}

// stripComment removes a '#' comment (at the start of the line or after
// white space, so that a URL fragment is not mistaken for one) and trims.
func stripComment(line string) string {
	line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
	if strings.HasPrefix(line, "#") {
		return ""
	}
	for i := 1; i < len(line); i++ {
		if line[i] == '#' && (line[i-1] == ' ' || line[i-1] == '\t') {
			return strings.TrimSpace(line[:i])
		}
	}
	return line
}

// parseEntry classifies one allow-list entry; the error text is Japanese
// and explains the reason.
func parseEntry(line string) (string, any, error) {
	if strings.ContainsAny(line, " \t") {
		return "", nil, fmt.Errorf("1 行に 1 件だけ記入してください")
	}
	if strings.Contains(line, "*") {
		return "", nil, fmt.Errorf("ワイルドカード（*）は範囲が広すぎるため使用できません。対象を個別に列挙してください")
	}
	if strings.Contains(line, "://") {
		u, err := parseScopeURL(line)
		if err != nil {
			return "", nil, err
		}
		return "url", u, nil
	}
	if strings.Contains(line, "/") {
		p, err := netip.ParsePrefix(line)
		if err != nil {
			return "", nil, fmt.Errorf("CIDR 表記（例: 192.0.2.0/24）として読み取れません")
		}
		if err := checkPrefix(p); err != nil {
			return "", nil, err
		}
		return "prefix", p.Masked(), nil
	}
	if a, err := netip.ParseAddr(strings.Trim(line, "[]")); err == nil {
		if a.Zone() != "" {
			return "", nil, fmt.Errorf("ゾーン付きの IPv6 アドレスは指定できません")
		}
		a = a.Unmap()
		p := netip.PrefixFrom(a, a.BitLen())
		if why := forbidden(p); why != "" {
			return "", nil, fmt.Errorf("%s", why)
		}
		return "prefix", p, nil
	}
	h, err := normalizeHost(line)
	if err != nil {
		return "", nil, err
	}
	return "host", h, nil
}

// Addresses no verification may touch: link-local (169.254.0.0/16 holds
// the cloud instance-metadata service, fe80::/10), multicast and the
// unspecified address. A name that resolves to one is refused too.
var forbiddenPrefixes = []netip.Prefix{
	netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("224.0.0.0/4"), netip.MustParsePrefix("ff00::/8"),
	netip.MustParsePrefix("0.0.0.0/32"), netip.MustParsePrefix("::/128"),
}

// ErrForbiddenAddress is a target that resolves to (or is) an address no
// verification may touch; it is also ErrOutOfScope.
var ErrForbiddenAddress = fmt.Errorf("検査できないアドレス: %w", ErrOutOfScope)

// forbidden says why the address or range may not be a target ("" when
// it may).
func forbidden(p netip.Prefix) string {
	for _, f := range forbiddenPrefixes {
		if p.Overlaps(f) {
			return "リンクローカル（169.254.0.0/16 のクラウドのメタデータ等）・マルチキャスト・未指定のアドレスは検査の対象にできません"
		}
	}
	return ""
}

// checkPrefix refuses over-broad, malformed or forbidden prefixes.
func checkPrefix(p netip.Prefix) error {
	if !p.IsValid() {
		return fmt.Errorf("アドレス範囲が正しくありません")
	}
	if p.Addr().Zone() != "" {
		return fmt.Errorf("ゾーン付きの IPv6 アドレスは指定できません")
	}
	if p.Addr().Is4In6() {
		return fmt.Errorf("IPv4 射影アドレスではなく IPv4 の表記で指定してください")
	}
	if p.Addr().Is4() && p.Bits() < MinPrefixIPv4 {
		return fmt.Errorf("IPv4 の範囲が広すぎます（/%d）。/%d より狭い範囲を指定してください", p.Bits(), MinPrefixIPv4)
	}
	if p.Addr().Is6() && p.Bits() < MinPrefixIPv6 {
		return fmt.Errorf("IPv6 の範囲が広すぎます（/%d）。/%d より狭い範囲を指定してください", p.Bits(), MinPrefixIPv6)
	}
	if why := forbidden(p); why != "" {
		return fmt.Errorf("%s", why)
	}
	return nil
}

// normalizeHost lower-cases a DNS name, drops a trailing dot and checks
// its syntax.
func normalizeHost(h string) (string, error) {
	h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
	if h == "" {
		return "", fmt.Errorf("ホスト名が空です")
	}
	if strings.Contains(h, "*") {
		return "", fmt.Errorf("ワイルドカード（*）は範囲が広すぎるため使用できません。対象を個別に列挙してください")
	}
	if len(h) > 253 {
		return "", fmt.Errorf("ホスト名が長すぎます")
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return "", fmt.Errorf("ホスト名の形式が正しくありません")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return "", fmt.Errorf("ホスト名の形式が正しくありません（ラベルの先頭・末尾にハイフンは使えません）")
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return "", fmt.Errorf("ホスト名に使えない文字が含まれています（国際化ドメイン名は Punycode で記入してください）")
			}
		}
	}
	if _, err := strconv.Atoi(strings.ReplaceAll(h, ".", "")); err == nil {
		return "", fmt.Errorf("IP アドレスの形式が正しくありません")
	}
	return h, nil
}

// parseScopeURL checks and normalises an approved URL prefix.
func parseScopeURL(raw string) (*url.URL, error) {
	u, err := normalizeURL(raw)
	if err != nil {
		return nil, err
	}
	u.RawQuery = ""
	u.ForceQuery = false
	return u, nil
}

// normalizeURL parses an http(s) URL, lower-cases scheme and host and
// drops the fragment; a URL with user information is refused.
func normalizeURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("URL として読み取れません")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("http:// または https:// の URL のみ指定できます")
	}
	if u.User != nil {
		return nil, fmt.Errorf("ユーザー情報（ID・パスワード）を含む URL は指定できません")
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("URL にホスト名がありません")
	}
	if strings.Contains(host, "*") {
		return nil, fmt.Errorf("ワイルドカード（*）は範囲が広すぎるため使用できません。対象を個別に列挙してください")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("URL のポート番号が正しくありません")
		}
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return nil, fmt.Errorf("ゾーン付きの IPv6 アドレスは指定できません")
		}
	} else {
		h, err := normalizeHost(host)
		if err != nil {
			return nil, err
		}
		host = h
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" {
		host += ":" + p
	}
	u.Host = host
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path, u.RawPath = "/", ""
	}
	return u, nil
}

// String writes the scope back as lines: host names, then addresses and
// prefixes (single addresses without a prefix length), then URLs.
func (s Scope) String() string {
	var b strings.Builder
	for _, h := range s.Hosts {
		b.WriteString(h)
		b.WriteByte('\n')
	}
	for _, p := range s.Prefixes {
		if p.IsSingleIP() {
			b.WriteString(p.Addr().String())
		} else {
			b.WriteString(p.String())
		}
		b.WriteByte('\n')
	}
	for _, u := range s.URLs {
		b.WriteString(u.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// validate checks a Scope built in code by the same rules as ParseScope.
func (s Scope) validate() error {
	if len(s.Hosts) == 0 && len(s.Prefixes) == 0 && len(s.URLs) == 0 {
		return fmt.Errorf("対象範囲（許可リスト）が空です。承認された対象を指定してください")
	}
	for _, h := range s.Hosts {
		if _, err := normalizeHost(h); err != nil {
			return fmt.Errorf("許可リストのホスト名「%s」: %s", h, err.Error())
		}
	}
	for _, p := range s.Prefixes {
		if err := checkPrefix(p); err != nil {
			return fmt.Errorf("許可リストのアドレス範囲「%s」: %s", p, err.Error())
		}
	}
	for _, u := range s.URLs {
		if u == nil {
			return fmt.Errorf("許可リストに空の URL があります")
		}
		if _, err := normalizeURL(u.String()); err != nil {
			return fmt.Errorf("許可リストの URL「%s」: %s", u.Redacted(), err.Error())
		}
	}
	return nil
}

// hostListed reports whether the DNS name h (normalised) is in Hosts.
func (s Scope) hostListed(h string) bool {
	for _, x := range s.Hosts {
		if n, err := normalizeHost(x); err == nil && n == h {
			return true
		}
	}
	return false
}

// addrInPrefixes reports whether a lies inside one of the prefixes.
func (s Scope) addrInPrefixes(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range s.Prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// urlListed reports whether u (normalised) lies under one of the approved
// URL prefixes: same scheme, host and effective port, and a path under the
// prefix's path at a segment boundary.
func (s Scope) urlListed(u *url.URL) bool {
	for _, x := range s.URLs {
		if x == nil {
			continue
		}
		p, err := normalizeURL(x.String())
		if err != nil {
			continue
		}
		if p.Scheme != u.Scheme || !strings.EqualFold(p.Hostname(), u.Hostname()) || effectivePort(p) != effectivePort(u) {
			continue
		}
		pp, up := p.EscapedPath(), u.EscapedPath()
		if up == "" {
			up = "/"
		}
		if pp == up || strings.HasSuffix(pp, "/") && strings.HasPrefix(up, pp) || strings.HasPrefix(up, pp+"/") {
			return true
		}
	}
	return false
}

// effectivePort is the URL's port, or the scheme's default.
func effectivePort(u *url.URL) int {
	if p := u.Port(); p != "" {
		n, _ := strconv.Atoi(p)
		return n
	}
	if u.Scheme == "https" {
		return 443
	}
	return 80
}
