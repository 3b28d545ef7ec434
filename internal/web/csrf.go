package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// NewToken returns a random URL-safe token of n bytes of entropy.
func NewToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// preCSRF returns the pre-login CSRF token, setting its cookie if needed.
func preCSRF(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) >= 20 {
		return c.Value
	}
	tok := NewToken(24)
	http.SetCookie(w, &http.Cookie{Name: preCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: IsHTTPS(r)})
	// Make the fresh token visible to this same request's checks.
	r.AddCookie(&http.Cookie{Name: preCookie, Value: tok})
	return tok
}

// uploadMemory is how much of an upload is held in memory; the rest is
// spooled to temp files, which the router removes after the request.
const uploadMemory = 8 << 20

// isMultipart reports whether the body is multipart (in any letter case:
// Go's own parser accepts "Multipart/Form-Data" too).
func isMultipart(r *http.Request) bool {
	ct := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Type")))
	return strings.HasPrefix(ct, "multipart/")
}

// readForm parses the body of a state-changing request before the CSRF
// check, on the request the handler will get, so that temp files of an
// upload are known to the router. A body that cannot be read (too large,
// broken multipart) is an error of its own, so the user is told the real
// reason.
func readForm(r *http.Request) error {
	var err error
	if isMultipart(r) {
		err = r.ParseMultipartForm(uploadMemory)
	} else {
		err = r.ParseForm()
	}
	if err == nil {
		return nil
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return &Error{Status: http.StatusBadRequest, Msg: "送信されたデータを読み取れませんでした。もう一度お試しください。", Err: err}
}

// validCSRF compares the submitted token (header, or form field of the
// body readForm parsed) with want.
func validCSRF(r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.FormValue("csrf_token")
	}
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// checkCSRF returns nil for a request carrying the right token.
func checkCSRF(r *http.Request, want string) error {
	if !validCSRF(r, want) {
		return &Error{Status: http.StatusForbidden, Msg: "フォームの有効期限が切れたか、不正な送信です。ページを再読み込みしてからもう一度操作してください。"}
	}
	return nil
}
