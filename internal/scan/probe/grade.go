package probe

import (
	"crypto/x509"
	"strings"
)

// Grading against the CRYPTREC/IPA 「TLS暗号設定ガイドライン」.
//
// What was confirmed (IPA's guideline page and the guideline text):
//   - The current version is Ver. 3.0.1 (CRYPTREC GL-3001-3.0.1, July
//     2020); no later version was found.
//   - It defines three settings levels: 高セキュリティ型, 推奨セキュリティ型
//     and セキュリティ例外型, each with 遵守項目 and 推奨項目; 推奨セキュリティ型
//     is what to adopt without special requirements.
//   - Ver. 3.x prohibits SSL 3.0 and adds TLS 1.3 and ChaCha20-Poly1305.
//   - Server certificates for 高／推奨セキュリティ型 must use at least
//     SHA-256 in the signature (SHA-1 only in セキュリティ例外型).
//
// What is assumed (the detailed tables could not be read; graded
// conservatively, i.e. stricter where unsure):
//   - Both 高 and 推奨セキュリティ型 allow only TLS 1.2 and TLS 1.3; TLS 1.0
//     and 1.1 (and SSL) make a server non-conforming. TLS 1.3 is not
//     required for either (its absence is only advice).
//   - 高セキュリティ型 (TLS 1.2): only suites with forward secrecy (ECDHE or
//     DHE key exchange) and AEAD encryption (AES-GCM, AES-CCM,
//     ChaCha20-Poly1305; Camellia-GCM also counted).
//   - 推奨セキュリティ型 (TLS 1.2): forward-secret suites with AEAD, or with
//     CBC mode and an HMAC of SHA-1, SHA-256 or SHA-384 (the guideline keeps
//     CBC suites in 推奨 for interoperability; HMAC-SHA1 is not broken). A
//     first version of this file refused CBC-SHA1 here, which graded Go's
//     own default server configuration as non-conforming; RSA key exchange
//     (no forward secrecy) stays not allowed.
//   - RC4, 3DES, DES, NULL, EXPORT, anonymous and MD5 suites are prohibited
//     in every profile.
//   - Certificates: RSA keys of 2048 bits or more, ECDSA keys of 256 bits
//     or more (Ed25519 accepted), a SHA-256-or-stronger signature, a chain
//     to a trusted root, a matching host name and validity at the time of
//     the check, for both profiles.
//   - All TLS 1.3 suites (all AEAD with ephemeral key exchange) are allowed.

// suiteClass describes one cipher suite by its standard name.
type suiteClass struct {
	pfs        bool // ECDHE or DHE key exchange (or TLS 1.3)
	aead       bool // GCM, CCM or ChaCha20-Poly1305
	cbc        bool
	macSHA1    bool // HMAC-SHA1 (CBC suites ending in _SHA)
	prohibited bool // RC4, 3DES, DES, NULL, EXPORT, anon, MD5
}

func classifySuite(name string) suiteClass {
	n := strings.ToUpper(name)
	var c suiteClass
	kx, cipher, ok := strings.Cut(strings.TrimPrefix(n, "TLS_"), "_WITH_")
	if !ok {
		// TLS 1.3 names have no key exchange part: TLS_AES_128_GCM_SHA256.
		c.pfs = true
		cipher = strings.TrimPrefix(n, "TLS_")
	} else {
		c.pfs = strings.HasPrefix(kx, "ECDHE_") || strings.HasPrefix(kx, "DHE_")
		if strings.Contains(kx, "ANON") || strings.Contains(kx, "EXPORT") || kx == "NULL" {
			c.prohibited = true
		}
	}
	switch {
	case strings.Contains(cipher, "GCM"), strings.Contains(cipher, "CCM"), strings.Contains(cipher, "POLY1305"):
		c.aead = true
	case strings.Contains(cipher, "CBC"):
		c.cbc = true
	}
	for _, bad := range []string{"RC4", "3DES", "DES_", "NULL", "EXPORT", "MD5", "RC2", "IDEA"} {
		if strings.Contains(cipher, bad) {
			c.prohibited = true
		}
	}
	if c.cbc && strings.HasSuffix(cipher, "_SHA") {
		c.macSHA1 = true
	}
	if !c.aead && !c.cbc {
		c.prohibited = true // a stream or unknown cipher
	}
	return c
}

// suiteAllowed reports whether the suite may be offered under the profile.
func suiteAllowed(name, profile string) bool {
	c := classifySuite(name)
	if c.prohibited || !c.pfs {
		return false
	}
	if profile == ProfileHigh {
		return c.aead
	}
	return c.aead || c.cbc
}

// versionAllowed reports whether a protocol version may be offered.
func versionAllowed(v string) bool { return v == "TLS 1.2" || v == "TLS 1.3" }

// Grade texts of TLSReport.Grade.
const (
	GradeHigh             = "高セキュリティ型に適合"                 // conforms to 高セキュリティ型 (and so to 推奨)
	GradeRecommended      = "推奨セキュリティ型に適合"                // conforms to 推奨セキュリティ型
	GradeNotRecommended   = "推奨セキュリティ型に不適合"               // fails 推奨セキュリティ型
	GradeNotHigh          = "高セキュリティ型に不適合"                // fails 高 and 推奨セキュリティ型 (profile high)
	GradeNotHighButRecomm = "高セキュリティ型に不適合（推奨セキュリティ型には適合）" // fails 高 but conforms to 推奨 (profile high)
	GradeNoTLS            = "判定不能（TLS で接続できませんでした）"       // no handshake succeeded
)

func profileLabel(p string) string {
	if p == ProfileHigh {
		return "高セキュリティ型"
	}
	return "推奨セキュリティ型"
}

// grade evaluates the report against both profiles and returns the grade
// text for the chosen profile and the reasons it fails that profile.
func grade(r *TLSReport, profile string) (string, []string) {
	if len(r.Versions) == 0 {
		return GradeNoTLS, []string{"TLS のハンドシェイクが成立しませんでした"}
	}
	common := commonReasons(r)
	high := append(append([]string(nil), common...), suiteReasons(r, ProfileHigh)...)
	rec := append(append([]string(nil), common...), suiteReasons(r, ProfileRecommended)...)
	switch {
	case len(high) == 0:
		return GradeHigh, nil
	case len(rec) == 0 && profile == ProfileHigh:
		return GradeNotHighButRecomm, high
	case len(rec) == 0:
		return GradeRecommended, nil
	case profile == ProfileHigh:
		return GradeNotHigh, high
	}
	return GradeNotRecommended, rec
}

func commonReasons(r *TLSReport) []string {
	var out []string
	var old []string
	for _, v := range r.Versions {
		if !versionAllowed(v) {
			old = append(old, v)
		}
	}
	if len(old) > 0 {
		out = append(out, "許可されていないプロトコルバージョンを提供: "+strings.Join(old, ", "))
	}
	if ci := r.Cert; ci != nil {
		if ci.Expired || ci.NotYetValid {
			out = append(out, "サーバ証明書が有効期間外")
		}
		if !ci.ChainVerified {
			out = append(out, "サーバ証明書の信頼性を検証できない")
		}
		if !ci.HostMatches {
			out = append(out, "サーバ証明書のホスト名が一致しない")
		}
		if weakKey(ci) {
			out = append(out, "サーバ証明書の鍵長が不足")
		}
		if ci.WeakSignature {
			out = append(out, "サーバ証明書の署名に SHA-1 等の弱いハッシュ関数を使用")
		}
	} else {
		out = append(out, "サーバ証明書を取得できない")
	}
	return out
}

func suiteReasons(r *TLSReport, profile string) []string {
	bad := disallowedSuites(r, profile)
	if len(bad) == 0 {
		return nil
	}
	return []string{profileLabel(profile) + "で許可されていない暗号スイートを提供: " + strings.Join(bad, ", ")}
}

// disallowedSuites lists (without duplicates) the accepted suites the
// profile does not allow.
func disallowedSuites(r *TLSReport, profile string) []string {
	var out []string
	seen := map[string]bool{}
	for _, vs := range r.Suites {
		for _, s := range vs.Suites {
			if !suiteAllowed(s, profile) && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

func weakKey(ci *CertInfo) bool {
	switch ci.KeyType {
	case "RSA":
		return ci.KeyBits < 2048
	case "ECDSA":
		return ci.KeyBits < 256
	case "Ed25519":
		return false
	}
	return true // DSA or unknown: not allowed (assumed)
}

// weakSignature reports a signature with MD2, MD5 or SHA-1.
func weakSignature(a x509.SignatureAlgorithm) bool {
	switch a {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1, x509.UnknownSignatureAlgorithm:
		return true
	}
	return false
}
