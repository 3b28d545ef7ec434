package probe

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"mamori/internal/scan/finding"
)

// TLSReport is what the TLS check saw, for storing and showing.
type TLSReport struct {
	Host    string `json:"host"`
	Port    int    `json:"port"`
	Address string `json:"address"` // the checked address that was dialled
	Profile string `json:"profile"` // recommended or high
	// Versions are the offered protocol versions, oldest first ("TLS 1.2").
	Versions []string `json:"versions"`
	// Suites are the accepted cipher suites per offered version.
	Suites []VersionSuites `json:"suites"`
	// Groups are the negotiated key-exchange groups per version (e.g.
	// "X25519"), when known.
	Groups map[string]string `json:"groups,omitempty"`
	Cert   *CertInfo         `json:"cert,omitempty"`
	// Grade is the result against the guideline, e.g. 推奨セキュリティ型に適合;
	// GradeReasons say why a profile is not met.
	Grade        string   `json:"grade"`
	GradeReasons []string `json:"gradeReasons,omitempty"`
	// Handshakes counts the TLS handshakes made.
	Handshakes int `json:"handshakes"`
	// Notes are limitations of the check, in Japanese.
	Notes     []string  `json:"notes"`
	CheckedAt time.Time `json:"checkedAt"`
}

// VersionSuites lists the cipher suites a server accepted for one version.
type VersionSuites struct {
	Version string   `json:"version"`
	Suites  []string `json:"suites"`
}

// CertInfo describes the server certificate (the leaf) and its checks.
type CertInfo struct {
	Subject            string    `json:"subject"`
	Issuer             string    `json:"issuer"`
	SANs               []string  `json:"sans"`
	NotBefore          time.Time `json:"notBefore"`
	NotAfter           time.Time `json:"notAfter"`
	DaysLeft           int       `json:"daysLeft"`
	Expired            bool      `json:"expired"`
	NotYetValid        bool      `json:"notYetValid"`
	KeyType            string    `json:"keyType"` // RSA, ECDSA, Ed25519, other
	KeyBits            int       `json:"keyBits"`
	SignatureAlgorithm string    `json:"signatureAlgorithm"`
	// WeakSignature is true when the leaf or a sent intermediate is signed
	// with MD5 or SHA-1.
	WeakSignature bool `json:"weakSignature"`
	SelfSigned    bool `json:"selfSigned"`
	ChainLength   int  `json:"chainLength"` // certificates the server sent
	// ChainVerified tells whether the chain leads to a trusted root
	// (ignoring the validity period, which Expired/NotYetValid cover);
	// ChainError says why not, in Japanese.
	ChainVerified bool   `json:"chainVerified"`
	ChainError    string `json:"chainError,omitempty"`
	HostMatches   bool   `json:"hostMatches"`
	HostError     string `json:"hostError,omitempty"`
}

var tlsVersions = []struct {
	id   uint16
	name string
}{
	{tls.VersionTLS10, "TLS 1.0"},
	{tls.VersionTLS11, "TLS 1.1"},
	{tls.VersionTLS12, "TLS 1.2"},
	{tls.VersionTLS13, "TLS 1.3"},
}

// Notes on what Go's TLS client cannot test.
const (
	noteSSL3   = "SSL 3.0 / SSL 2.0 は本ツール（Go の TLS 実装）では検査できません。必要な場合は別のツールで確認してください。"
	noteSuites = "暗号スイートは Go が実装するもの（ECDHE・RSA 鍵交換の AES-GCM/CBC、ChaCha20-Poly1305、3DES、RC4）のみ検査しています。DHE、Camellia、AES-CCM 等のスイートは検出されません。"
	noteTLS13  = "TLS 1.3 の暗号スイートはクライアント側で指定できないため、合意されたもののみ記録しています。"
)

// TLS checks the TLS configuration of host:port: offered protocol
// versions, accepted cipher suites (TLS 1.0–1.2 by offering every suite Go
// knows and removing the chosen one until the handshake fails; TLS 1.3 the
// negotiated suite), and the certificate. It only makes handshakes. On
// error the report may be partial and no findings are returned.
func (c *Checker) TLS(ctx context.Context, host string, port int) (TLSReport, []finding.Finding, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := hostOf(host)
	rep := TLSReport{Host: h, Port: port, Profile: c.o.Profile, Notes: []string{noteSSL3, noteSuites, noteTLS13}}
	target := net.JoinHostPort(h, strconv.Itoa(port))
	if err := checkPort(port); err != nil {
		return rep, nil, err
	}
	if err := c.begin(ctx, target); err != nil {
		return rep, nil, err
	}
	addr, err := c.resolve(ctx, h, false)
	if err != nil {
		return rep, nil, err
	}
	ap := netip.AddrPortFrom(addr, uint16(port))
	rep.Address = ap.String()
	rep.CheckedAt = c.o.Now()

	serverName := ""
	if _, err := netip.ParseAddr(h); err != nil {
		serverName = h
	}
	var certs []*x509.Certificate
	var certVersion uint16
	connected := false
	for _, v := range tlsVersions {
		var accepted []string
		if v.id == tls.VersionTLS13 {
			st, err := c.handshake(ctx, target, ap, c.tlsConfig(serverName, v.id, nil), &rep)
			if err != nil && !isHandshakeFailure(err) {
				return rep, nil, err
			}
			if err == nil {
				accepted = append(accepted, tls.CipherSuiteName(st.CipherSuite))
				rep.setGroup(v.name, st.CurveID)
				if st.Version >= certVersion {
					certs, certVersion = st.PeerCertificates, st.Version
				}
			}
		} else {
			offer := suitesFor(v.id)
			for len(offer) > 0 {
				st, err := c.handshake(ctx, target, ap, c.tlsConfig(serverName, v.id, offer), &rep)
				if err != nil && !isHandshakeFailure(err) {
					return rep, nil, err
				}
				if err != nil {
					break
				}
				if len(accepted) == 0 {
					rep.setGroup(v.name, st.CurveID)
				}
				accepted = append(accepted, tls.CipherSuiteName(st.CipherSuite))
				if st.Version >= certVersion {
					certs, certVersion = st.PeerCertificates, st.Version
				}
				i := slices.Index(offer, st.CipherSuite)
				if i < 0 { // cannot happen: Go refuses unoffered suites
					break
				}
				offer = slices.Delete(offer, i, i+1)
			}
		}
		if len(accepted) > 0 {
			connected = true
			rep.Versions = append(rep.Versions, v.name)
			rep.Suites = append(rep.Suites, VersionSuites{Version: v.name, Suites: accepted})
		}
	}
	if len(certs) > 0 {
		rep.Cert = analyzeCert(certs, h, rep.CheckedAt, c.o.RootCAs)
	}
	rep.Grade, rep.GradeReasons = grade(&rep, c.o.Profile)
	if !connected {
		return rep, nil, fmt.Errorf("%s と TLS のハンドシェイクが成立しませんでした（TLS を使用していないか、本ツールが対応しない設定の可能性があります）", target)
	}
	return rep, tlsFindings(&rep), nil
}

func (r *TLSReport) setGroup(version string, id tls.CurveID) {
	if id == 0 {
		return
	}
	if r.Groups == nil {
		r.Groups = map[string]string{}
	}
	r.Groups[version] = id.String()
}

// suitesFor lists every suite Go implements for a TLS ≤1.2 version.
func suitesFor(v uint16) []uint16 {
	var out []uint16
	for _, list := range [][]*tls.CipherSuite{tls.CipherSuites(), tls.InsecureCipherSuites()} {
		for _, s := range list {
			if slices.Contains(s.SupportedVersions, v) && !(len(s.SupportedVersions) == 1 && s.SupportedVersions[0] == tls.VersionTLS13) {
				out = append(out, s.ID)
			}
		}
	}
	return out
}

// tlsConfig is the enumeration config: exactly one version, the given
// suites, no verification (the certificate is verified separately).
// Setting MinVersion explicitly lets Go's client offer TLS 1.0/1.1 and
// listing the suites explicitly lets it offer RSA-kex/3DES/RC4 suites, so
// no GODEBUG setting is needed.
func (c *Checker) tlsConfig(serverName string, v uint16, suites []uint16) *tls.Config {
	return &tls.Config{
		ServerName:         serverName,
		MinVersion:         v,
		MaxVersion:         v,
		CipherSuites:       suites,
		InsecureSkipVerify: true, //nolint:gosec // enumeration only; verified in analyzeCert
		ClientSessionCache: nil,
	}
}

// handshakeError marks a TLS handshake that the server refused or that
// failed, as opposed to a failure to connect or a stop.
type handshakeError struct{ err error }

func (e *handshakeError) Error() string { return "TLS ハンドシェイク失敗: " + e.err.Error() }
func (e *handshakeError) Unwrap() error { return e.err }

func isHandshakeFailure(err error) bool {
	var he *handshakeError
	return errors.As(err, &he)
}

// handshake connects (through the gate), makes one handshake and closes.
func (c *Checker) handshake(ctx context.Context, target string, ap netip.AddrPort, cfg *tls.Config, rep *TLSReport) (tls.ConnectionState, error) {
	conn, err := c.dial(ctx, target, ap)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer conn.Close()
	rep.Handshakes++
	_ = conn.SetDeadline(time.Now().Add(c.o.Timeout))
	hctx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(hctx); err != nil {
		if ctx.Err() != nil {
			return tls.ConnectionState{}, ctxError(target, ctx.Err())
		}
		return tls.ConnectionState{}, &handshakeError{err: err}
	}
	return tc.ConnectionState(), nil
}

// analyzeCert describes the leaf and verifies the chain and host name
// from the captured certificates (no further connection).
func analyzeCert(certs []*x509.Certificate, host string, now time.Time, roots *x509.CertPool) *CertInfo {
	leaf := certs[0]
	ci := &CertInfo{
		Subject:            leaf.Subject.String(),
		Issuer:             leaf.Issuer.String(),
		NotBefore:          leaf.NotBefore,
		NotAfter:           leaf.NotAfter,
		DaysLeft:           int(math.Floor(leaf.NotAfter.Sub(now).Hours() / 24)),
		Expired:            now.After(leaf.NotAfter),
		NotYetValid:        now.Before(leaf.NotBefore),
		SignatureAlgorithm: leaf.SignatureAlgorithm.String(),
		ChainLength:        len(certs),
	}
	ci.SANs = append(ci.SANs, leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		ci.SANs = append(ci.SANs, ip.String())
	}
	switch k := leaf.PublicKey.(type) {
	case *rsa.PublicKey:
		ci.KeyType, ci.KeyBits = "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		ci.KeyType, ci.KeyBits = "ECDSA", k.Curve.Params().BitSize
	case ed25519.PublicKey:
		ci.KeyType, ci.KeyBits = "Ed25519", 256
	default:
		ci.KeyType = fmt.Sprintf("%T", k)
	}
	ci.SelfSigned = isSelfSigned(leaf)
	for _, cert := range certs {
		if !isSelfSigned(cert) || cert == leaf {
			if weakSignature(cert.SignatureAlgorithm) {
				ci.WeakSignature = true
			}
		}
	}
	inter := x509.NewCertPool()
	for _, cert := range certs[1:] {
		inter.AddCert(cert)
	}
	// The chain is checked at a time inside the leaf's validity so that an
	// expired certificate is reported once (as expired), not twice.
	at := now
	if ci.Expired || ci.NotYetValid {
		at = leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	ci.ChainVerified = err == nil
	if err != nil {
		ci.ChainError = describeVerifyErr(err, ci.SelfSigned)
	}
	if err := leaf.VerifyHostname(host); err != nil {
		ci.HostError = fmt.Sprintf("証明書の名前（%s）に「%s」が含まれていません", strings.Join(ci.SANs, ", "), host)
	} else {
		ci.HostMatches = true
	}
	return ci
}

func isSelfSigned(c *x509.Certificate) bool {
	// CheckSignature, not CheckSignatureFrom: a self-signed leaf usually
	// lacks the CA flags that CheckSignatureFrom requires.
	return string(c.RawSubject) == string(c.RawIssuer) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func describeVerifyErr(err error, selfSigned bool) string {
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	switch {
	case selfSigned:
		return "自己署名証明書であり、信頼された認証局により発行されていません"
	case errors.As(err, &ua):
		return "信頼された認証局までの証明書チェーンを構築できません（中間証明書の不足または不明な発行者）"
	case errors.As(err, &ci):
		switch ci.Reason {
		case x509.Expired:
			return "証明書チェーン中の証明書が有効期間外です"
		case x509.IncompatibleUsage:
			return "証明書の用途（拡張鍵用途）がサーバ認証に対応していません"
		case x509.NotAuthorizedToSign:
			return "発行者の証明書が証明書の署名を許可されていません"
		}
	}
	return "証明書チェーンの検証に失敗しました: " + err.Error()
}

// tlsFindings turns a complete report into findings.
func tlsFindings(r *TLSReport) []finding.Finding {
	hp := net.JoinHostPort(r.Host, strconv.Itoa(r.Port))
	mk := func(code string, sev finding.Severity, title, desc, remedy, evidence string) finding.Finding {
		f := finding.Finding{
			Key: "tls|" + hp + "|" + code, Source: "tls", Title: title, Severity: sev,
			Host: r.Host, Port: r.Port, Protocol: "tcp", Service: "tls",
			Description: desc, Remedy: remedy, Evidence: evidence, Area: finding.AreaCrypto,
		}
		f.Clean()
		return f
	}
	var out []finding.Finding
	versions := "提供されているプロトコル: " + strings.Join(r.Versions, ", ")

	var old []string
	for _, v := range r.Versions {
		if !versionAllowed(v) {
			old = append(old, v)
		}
	}
	if len(old) > 0 {
		out = append(out, mk("old-protocol", finding.High,
			"古いプロトコル（"+strings.Join(old, "・")+"）が有効になっています",
			strings.Join(old, "・")+" は既知の弱点があり、TLS暗号設定ガイドラインの高・推奨セキュリティ型では使用しないこととされています。古い版での接続を受け付けると、通信の安全性が下がるおそれがあります。",
			"サーバの設定で TLS 1.0 と TLS 1.1（および SSL）を無効にし、TLS 1.2 と TLS 1.3 のみを有効にしてください。",
			versions))
	}
	if bad := disallowedSuites(r, r.Profile); len(bad) > 0 {
		sev := finding.Medium
		for _, s := range bad {
			if classifySuite(s).prohibited {
				sev = finding.High
			}
		}
		var ev []string
		for _, vs := range r.Suites {
			var names []string
			for _, s := range vs.Suites {
				if !suiteAllowed(s, r.Profile) {
					names = append(names, s)
				}
			}
			if len(names) > 0 {
				ev = append(ev, vs.Version+": "+strings.Join(names, ", "))
			}
		}
		out = append(out, mk("weak-suites", sev,
			profileLabel(r.Profile)+"で許可されていない暗号スイートが有効になっています",
			"前方秘匿性のない鍵交換（RSA 鍵交換）、CBC モードと SHA-1 の組合せ、RC4・3DES など、"+profileLabel(r.Profile)+"の条件を満たさない暗号スイートを受け付けています。",
			"ECDHE（または DHE）鍵交換と AES-GCM・ChaCha20-Poly1305 などの認証付き暗号を組み合わせた暗号スイートのみを有効にし、RC4・3DES は必ず無効にしてください。",
			strings.Join(ev, " / ")))
	}
	if ci := r.Cert; ci != nil {
		period := "有効期間: " + ci.NotBefore.Format("2006-01-02") + " 〜 " + ci.NotAfter.Format("2006-01-02") + "、サブジェクト: " + ci.Subject
		switch {
		case ci.Expired:
			out = append(out, mk("cert-expired", finding.High,
				"サーバ証明書の有効期限が切れています",
				"有効期限切れの証明書では利用者のブラウザに警告が表示され、なりすましと区別できなくなります。",
				"証明書を更新し、期限の管理（自動更新や期限前の通知）を行ってください。",
				period))
		case ci.NotYetValid:
			out = append(out, mk("cert-not-yet-valid", finding.High,
				"サーバ証明書の有効期間がまだ始まっていません",
				"有効期間開始前の証明書は検証に失敗し、利用者のブラウザに警告が表示されます。サーバの時刻設定も確認が必要です。",
				"正しい有効期間の証明書を設定し、サーバの時刻を確認してください。",
				period))
		case ci.DaysLeft <= 30:
			out = append(out, mk("cert-expiring", finding.Medium,
				fmt.Sprintf("サーバ証明書の有効期限が近づいています（残り %d 日）", ci.DaysLeft),
				"有効期限が 30 日以内です。期限が切れると利用者のブラウザに警告が表示され、サービスを安全に利用できなくなります。",
				"期限前に証明書を更新してください。自動更新の導入も検討してください。",
				period))
		}
		if !ci.ChainVerified {
			title := "サーバ証明書を信頼された認証局で検証できません"
			if ci.SelfSigned {
				title = "自己署名のサーバ証明書が使われています"
			}
			out = append(out, mk("cert-untrusted", finding.High, title,
				ci.ChainError+"。利用者は正規のサーバかどうかを確認できず、なりすましや通信の盗聴に気付けなくなります。",
				"信頼された認証局（または庁内で配布・管理しているプライベート認証局）が発行した証明書を使用し、中間証明書も含めてサーバに設定してください。",
				"発行者: "+ci.Issuer+"、送信された証明書数: "+strconv.Itoa(ci.ChainLength)))
		}
		if !ci.HostMatches {
			out = append(out, mk("cert-hostname", finding.High,
				"サーバ証明書のホスト名が接続先と一致しません",
				ci.HostError+"。利用者のブラウザに警告が表示され、正規のサーバかどうかを確認できません。",
				"接続に使用するホスト名をサブジェクト代替名（SAN）に含む証明書を設定してください。",
				"接続先: "+r.Host+"、SAN: "+strings.Join(ci.SANs, ", ")))
		}
		if weakKey(ci) {
			out = append(out, mk("cert-weak-key", finding.High,
				"サーバ証明書の鍵長が不足しています",
				"証明書の公開鍵が短く、十分な安全性を確保できません（RSA は 2048 ビット以上、ECDSA は 256 ビット以上が必要です）。",
				"RSA 2048 ビット以上または ECDSA P-256 以上の鍵で証明書を再発行してください。",
				fmt.Sprintf("鍵: %s %d ビット", ci.KeyType, ci.KeyBits)))
		}
		if ci.WeakSignature {
			out = append(out, mk("cert-sha1", finding.High,
				"サーバ証明書の署名に SHA-1 等の弱いハッシュ関数が使われています",
				"SHA-1 や MD5 による署名は衝突攻撃に弱く、TLS暗号設定ガイドラインの高・推奨セキュリティ型では SHA-256 以上が必要です。",
				"SHA-256 以上の署名アルゴリズムで証明書を再発行してください（中間証明書も含む）。",
				"署名アルゴリズム: "+ci.SignatureAlgorithm))
		}
	}
	if !slices.Contains(r.Versions, "TLS 1.3") {
		out = append(out, mk("no-tls13", finding.Low,
			"TLS 1.3 が有効になっていません",
			"TLS 1.3 は安全でない暗号方式を廃止し、ハンドシェイクも高速化された最新の版です。必須ではありませんが、有効にすることが望まれます。",
			"サーバのソフトウェアを TLS 1.3 に対応した版に更新し、TLS 1.3 を有効にしてください。",
			versions))
	}
	sum := "評価基準: " + profileLabel(r.Profile) + "（TLS暗号設定ガイドライン Ver.3.0.1）。" + versions
	if len(r.GradeReasons) > 0 {
		sum += "。不適合の理由: " + strings.Join(r.GradeReasons, "／")
	}
	out = append(out, mk("grade", finding.Info,
		"TLS 暗号設定の評価: "+r.Grade,
		"TLS暗号設定ガイドラインに照らした判定結果を記録します。SSL 3.0 および Go が実装していない暗号スイートは検査の対象外です。",
		"不適合の場合は、同じ対象の他の指摘事項に従って設定を見直してください。",
		sum))
	return out
}
