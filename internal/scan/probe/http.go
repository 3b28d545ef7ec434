package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"mamori/internal/scan/finding"
)

// HTTPReport is what the HTTP check saw, for storing and showing. Cookie
// values are never kept, only names and flags.
type HTTPReport struct {
	URL     string `json:"url"`
	Address string `json:"address"` // the checked address that was dialled
	Status  int    `json:"status"`
	// RedirectTo is the Location of a redirect (not followed).
	RedirectTo string        `json:"redirectTo,omitempty"`
	Headers    []HeaderCheck `json:"headers"`
	Cookies    []CookieInfo  `json:"cookies"`
	Server     string        `json:"server,omitempty"`    // Server header
	PoweredBy  string        `json:"poweredBy,omitempty"` // X-Powered-By header
	BodyBytes  int64         `json:"bodyBytes"`           // bytes read (at most 64 KiB)
	Notes      []string      `json:"notes,omitempty"`
	CheckedAt  time.Time     `json:"checkedAt"`
}

// HeaderCheck is one security header: whether it was present and its
// value (cut to 500 characters).
type HeaderCheck struct {
	Name    string `json:"name"`
	Present bool   `json:"present"`
	Value   string `json:"value,omitempty"`
}

// CookieInfo is one Set-Cookie: its name and flags, never its value.
type CookieInfo struct {
	Name     string `json:"name"`
	Secure   bool   `json:"secure"`
	HttpOnly bool   `json:"httpOnly"`
	SameSite string `json:"sameSite,omitempty"` // Strict, Lax, None, 不正な値, or empty when absent
	// Persistent is true when the cookie has Expires or Max-Age.
	Persistent bool `json:"persistent"`
	// SessionLike is true when the name looks like a session identifier.
	SessionLike bool `json:"sessionLike"`
}

var checkedHeaders = []string{
	"Strict-Transport-Security",
	"Content-Security-Policy",
	"X-Content-Type-Options",
	"X-Frame-Options",
	"Referrer-Policy",
	"Permissions-Policy",
}

var (
	versionRe     = regexp.MustCompile(`\d+\.\d+|/\s*v?\d`)
	maxAgeRe      = regexp.MustCompile(`(?i)(?:^|;)\s*max-age\s*=\s*"?(\d+)"?`)
	sessionNameRe = regexp.MustCompile(`(?i)sess|sid$|^sid|token|auth|login|jsessionid|phpsessid|asp\.net|connect\.sid|laravel|csrf|xsrf`)
)

const oneYear = 31536000

// HTTP sends one GET to rawURL (http or https), does not follow a
// redirect, and checks the security headers, the cookies' flags, version
// banners, and for http:// whether it redirects to https on the same host.
// On error the report may be partial and no findings are returned.
func (c *Checker) HTTP(ctx context.Context, rawURL string) (HTTPReport, []finding.Finding, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rep := HTTPReport{URL: strings.TrimSpace(rawURL)}
	u, err := normalizeURL(rawURL)
	if err != nil {
		return rep, nil, fmt.Errorf("検査対象の URL「%s」: %s", rawURL, err.Error())
	}
	rep.URL = u.String()
	if err := c.begin(ctx, rep.URL); err != nil {
		return rep, nil, err
	}
	listed := c.o.Scope.urlListed(u)
	addr, err := c.resolve(ctx, u.Hostname(), listed)
	if err != nil {
		if errors.Is(err, ErrOutOfScope) && !errors.Is(err, ErrForbiddenAddress) {
			return rep, nil, fmt.Errorf("URL %s は承認された URL に含まれず、ホスト %s も承認された対象範囲（許可リスト）にないため、接続しません: %w", rep.URL, u.Hostname(), ErrOutOfScope)
		}
		return rep, nil, err
	}
	ap := netip.AddrPortFrom(addr, uint16(effectivePort(u)))
	rep.Address = ap.String()
	rep.CheckedAt = c.o.Now()

	dialed := false
	dialFn := func(ctx context.Context, _, _ string) (net.Conn, error) {
		// The transport's address is ignored: only the checked address is
		// dialled, and only once.
		if dialed {
			return nil, errors.New("二度目の接続は行いません")
		}
		dialed = true
		return c.dial(ctx, rep.URL, ap)
	}
	serverName := ""
	if _, err := netip.ParseAddr(u.Hostname()); err != nil {
		serverName = u.Hostname()
	}
	tr := &http.Transport{
		Proxy:       nil,
		DialContext: dialFn,
		TLSClientConfig: &tls.Config{
			ServerName: serverName,
			MinVersion: tls.VersionTLS10,
			// The certificate is the TLS check's subject; here it is not
			// verified so that the headers can still be read.
			InsecureSkipVerify: true, //nolint:gosec
		},
		DisableKeepAlives:      true,
		DisableCompression:     true,
		MaxResponseHeaderBytes: MaxBody,
		TLSHandshakeTimeout:    c.o.Timeout,
		ResponseHeaderTimeout:  c.o.Timeout,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport:     tr,
		Timeout:       c.o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return rep, nil, fmt.Errorf("リクエストを作成できません: %v", err)
	}
	req.Header = http.Header{"User-Agent": {UserAgent}}
	resp, err := client.Do(req)
	if err != nil {
		var de *dialError
		switch {
		case errors.Is(err, ErrOutsideWindow), errors.Is(err, ErrAborted), errors.Is(err, ErrOutOfScope):
			return rep, nil, unwrapURLError(err)
		case errors.As(err, &de):
			return rep, nil, de
		case ctx.Err() != nil:
			return rep, nil, ctxError(rep.URL, ctx.Err())
		}
		return rep, nil, fmt.Errorf("%s への HTTP リクエストに失敗しました: %v", rep.URL, unwrapURLError(err))
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, MaxBody))
	resp.Body.Close()
	rep.BodyBytes = n
	rep.Status = resp.StatusCode
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		if lu, err := u.Parse(loc); err == nil {
			rep.RedirectTo = lu.String()
		} else {
			rep.RedirectTo = loc
		}
	}
	for _, name := range checkedHeaders {
		v := strings.Join(resp.Header.Values(name), ", ")
		rep.Headers = append(rep.Headers, HeaderCheck{Name: name, Present: len(resp.Header.Values(name)) > 0, Value: finding.Cut(v, 500)})
	}
	rep.Server = finding.Cut(resp.Header.Get("Server"), 200)
	rep.PoweredBy = finding.Cut(strings.Join(resp.Header.Values("X-Powered-By"), ", "), 200)
	for _, ck := range resp.Cookies() {
		ci := CookieInfo{Name: finding.Cut(ck.Name, 100), Secure: ck.Secure, HttpOnly: ck.HttpOnly,
			Persistent: !ck.Expires.IsZero() || ck.MaxAge != 0, SessionLike: sessionNameRe.MatchString(ck.Name)}
		switch ck.SameSite {
		case http.SameSiteStrictMode:
			ci.SameSite = "Strict"
		case http.SameSiteLaxMode:
			ci.SameSite = "Lax"
		case http.SameSiteNoneMode:
			ci.SameSite = "None"
		case http.SameSiteDefaultMode:
			ci.SameSite = "不正な値"
		}
		if !ci.Persistent {
			ci.SessionLike = true // a browser-session cookie
		}
		rep.Cookies = append(rep.Cookies, ci)
	}
	isRedirect := rep.Status >= 300 && rep.Status < 400
	if isRedirect {
		rep.Notes = append(rep.Notes, "リダイレクト応答のため、ページ内容に関するヘッダー（CSP・X-Content-Type-Options・クリックジャッキング対策・Referrer-Policy）は評価していません。リダイレクト先は追跡していません。")
	}
	if u.Scheme == "https" {
		rep.Notes = append(rep.Notes, "この検査では証明書を検証していません。証明書は TLS 検査で確認してください。")
	}
	return rep, httpFindings(&rep, u), nil
}

// unwrapURLError drops net/http's *url.Error wrapper (its English prefix)
// while keeping the chain for errors.Is.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func (r *HTTPReport) header(name string) (HeaderCheck, bool) {
	for _, h := range r.Headers {
		if h.Name == name {
			return h, h.Present
		}
	}
	return HeaderCheck{Name: name}, false
}

// httpFindings turns a complete report into findings.
func httpFindings(r *HTTPReport, u *url.URL) []finding.Finding {
	port := effectivePort(u)
	mk := func(code string, sev finding.Severity, title, desc, remedy, evidence string) finding.Finding {
		f := finding.Finding{
			Key: "http|" + r.URL + "|" + code, Source: "http", Title: title, Severity: sev,
			Host: hostOf(u.Hostname()), Port: port, Protocol: "tcp", Service: u.Scheme, URL: r.URL,
			Description: desc, Remedy: remedy, Evidence: evidence, Area: finding.AreaConfig,
		}
		f.Clean()
		return f
	}
	status := "HTTP ステータス: " + strconv.Itoa(r.Status)
	var out []finding.Finding
	https := u.Scheme == "https"
	isRedirect := r.Status >= 300 && r.Status < 400

	if https {
		if h, ok := r.header("Strict-Transport-Security"); !ok {
			out = append(out, mk("hsts-missing", finding.Medium,
				"HSTS（Strict-Transport-Security）ヘッダーが設定されていません",
				"HSTS が設定されていないと、利用者が http:// で接続した際や中間者による誘導で暗号化されない通信が行われるおそれがあります。",
				"HTTPS の応答に「Strict-Transport-Security: max-age=31536000; includeSubDomains」などを付与してください。",
				status+"、Strict-Transport-Security: なし"))
		} else if m := maxAgeRe.FindStringSubmatch(h.Value); m == nil || atoiSafe(m[1]) < oneYear {
			out = append(out, mk("hsts-short", finding.Low,
				"HSTS の有効期間（max-age）が 1 年未満です",
				"HSTS の max-age が短いと、期間が切れた後に再び暗号化されない通信へ誘導されるおそれがあります。",
				"max-age を 31536000（1 年）以上に設定してください。",
				"Strict-Transport-Security: "+h.Value))
		}
	} else {
		redirectsToHTTPS := false
		if r.RedirectTo != "" {
			if lu, err := url.Parse(r.RedirectTo); err == nil && lu.Scheme == "https" && strings.EqualFold(lu.Hostname(), u.Hostname()) {
				redirectsToHTTPS = true
			}
		}
		if redirectsToHTTPS {
			out = append(out, mk("https-redirect", finding.Info,
				"HTTP から HTTPS へリダイレクトされています",
				"http:// での接続は同じホストの https:// へリダイレクトされています。",
				"現状の設定を維持してください。HTTPS 側で HSTS も設定するとより安全です。",
				status+"、Location: "+r.RedirectTo))
		} else {
			ev := status
			if r.RedirectTo != "" {
				ev += "、Location: " + r.RedirectTo
			}
			out = append(out, mk("no-https-redirect", finding.Medium,
				"HTTP での接続が同じホストの HTTPS へリダイレクトされていません",
				"暗号化されない HTTP で内容が提供されており、通信の盗聴や改ざんのおそれがあります。",
				"http:// へのアクセスを同じホストの https:// へ恒久的にリダイレクト（301/308）し、HTTPS のみで提供してください。",
				ev))
		}
	}
	if !isRedirect {
		csp, hasCSP := r.header("Content-Security-Policy")
		if !hasCSP {
			out = append(out, mk("csp-missing", finding.Low,
				"Content-Security-Policy ヘッダーが設定されていません",
				"CSP が設定されていないと、クロスサイトスクリプティング等が起きた場合の被害を抑えられません。",
				"読み込みを許可するスクリプト等の取得元を限定する Content-Security-Policy を設定してください（まずは Report-Only での試行も可能です）。",
				status+"、Content-Security-Policy: なし"))
		}
		if h, ok := r.header("X-Content-Type-Options"); !ok || !strings.EqualFold(strings.TrimSpace(h.Value), "nosniff") {
			v := "なし"
			if ok {
				v = h.Value
			}
			out = append(out, mk("nosniff-missing", finding.Low,
				"X-Content-Type-Options: nosniff が設定されていません",
				"ブラウザが内容からファイル形式を推測（MIME スニッフィング）し、意図しない形式として解釈されるおそれがあります。",
				"すべての応答に「X-Content-Type-Options: nosniff」を付与してください。",
				"X-Content-Type-Options: "+v))
		}
		_, hasXFO := r.header("X-Frame-Options")
		if !hasXFO && !(hasCSP && strings.Contains(strings.ToLower(csp.Value), "frame-ancestors")) {
			out = append(out, mk("clickjacking", finding.Low,
				"クリックジャッキング対策（X-Frame-Options または CSP frame-ancestors）が設定されていません",
				"他のサイトのフレーム内に表示され、利用者を欺いて操作させる攻撃（クリックジャッキング）を防げません。",
				"「X-Frame-Options: DENY」（または SAMEORIGIN）か、CSP の「frame-ancestors 'none'」（または 'self'）を設定してください。",
				"X-Frame-Options: なし、CSP frame-ancestors: なし"))
		}
		if _, ok := r.header("Referrer-Policy"); !ok {
			out = append(out, mk("referrer-policy-missing", finding.Info,
				"Referrer-Policy ヘッダーが設定されていません",
				"リンク先へ送られる参照元 URL の範囲を制御していません（多くのブラウザの既定値は一定の保護を行いますが、明示が望まれます）。",
				"「Referrer-Policy: strict-origin-when-cross-origin」または「no-referrer」などを設定してください。",
				"Referrer-Policy: なし"))
		}
	}
	var banners []string
	if r.Server != "" && versionRe.MatchString(r.Server) {
		banners = append(banners, "Server: "+r.Server)
	}
	if r.PoweredBy != "" && versionRe.MatchString(r.PoweredBy) {
		banners = append(banners, "X-Powered-By: "+r.PoweredBy)
	}
	if len(banners) > 0 {
		out = append(out, mk("version-banner", finding.Low,
			"ソフトウェアのバージョン情報が応答ヘッダーで公開されています",
			"Server や X-Powered-By ヘッダーにバージョン番号が含まれており、既知の脆弱性を持つ版かどうかを攻撃者に知られる手がかりになります。",
			"Web サーバやアプリケーションの設定でバージョン番号を出力しないようにしてください（例: Apache の ServerTokens Prod、nginx の server_tokens off、PHP の expose_php = Off）。",
			strings.Join(banners, "、")))
	}
	var noSecure, noHTTPOnly, noSameSite, sessionNoHTTPOnly []string
	for _, ck := range r.Cookies {
		if https && !ck.Secure {
			noSecure = append(noSecure, ck.Name)
		}
		if !ck.HttpOnly {
			noHTTPOnly = append(noHTTPOnly, ck.Name)
			if ck.SessionLike {
				sessionNoHTTPOnly = append(sessionNoHTTPOnly, ck.Name)
			}
		}
		if ck.SameSite == "" || ck.SameSite == "不正な値" {
			noSameSite = append(noSameSite, ck.Name)
		}
	}
	if len(noSecure) > 0 {
		out = append(out, mk("cookie-no-secure", finding.Medium,
			"Secure 属性のない Cookie が発行されています",
			"HTTPS のサイトで Secure 属性のない Cookie は、暗号化されない HTTP 通信でも送信され、盗聴されるおそれがあります。",
			"HTTPS で発行するすべての Cookie に Secure 属性を付与してください。",
			"Cookie 名: "+strings.Join(noSecure, ", ")))
	}
	if len(noHTTPOnly) > 0 {
		desc := "HttpOnly 属性のない Cookie はスクリプトから読み取れるため、クロスサイトスクリプティングが起きた場合に盗まれるおそれがあります。"
		if len(sessionNoHTTPOnly) > 0 {
			desc += "このうちセッション管理に使われていると思われる Cookie（" + strings.Join(sessionNoHTTPOnly, ", ") + "）は特に重要です。"
		}
		out = append(out, mk("cookie-no-httponly", finding.Low,
			"HttpOnly 属性のない Cookie が発行されています",
			desc,
			"スクリプトから参照する必要のない Cookie（特にセッション ID）には HttpOnly 属性を付与してください。",
			"Cookie 名: "+strings.Join(noHTTPOnly, ", ")))
	}
	if len(noSameSite) > 0 {
		out = append(out, mk("cookie-no-samesite", finding.Low,
			"SameSite 属性のない Cookie が発行されています",
			"SameSite 属性を明示しない Cookie は、ブラウザによっては他サイトからのリクエストにも送信され、クロスサイトリクエストフォージェリ（CSRF）の対策が弱くなります。",
			"Cookie に「SameSite=Lax」（必要に応じて Strict）を付与してください。None とする場合は Secure も必須です。",
			"Cookie 名: "+strings.Join(noSameSite, ", ")))
	}
	return out
}

func atoiSafe(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 1<<31 - 1 // too large to parse: certainly longer than a year
	}
	return n
}
