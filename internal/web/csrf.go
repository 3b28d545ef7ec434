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
	http.SetCookie(w, &http.Cookie{Name: preCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	// Make the fresh token visible to this same request's checks.
	r.AddCookie(&http.Cookie{Name: preCookie, Value: tok})
	return tok
}

// validCSRF compares the submitted token (form field or header) with want.
// A body that cannot be read (too large, broken multipart) is an error of
// its own, so the user is told the real reason.
func validCSRF(r *http.Request, want string) (bool, error) {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		var err error
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			err = r.ParseMultipartForm(8 << 20)
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return false, err
			}
			return false, &Error{Status: http.StatusBadRequest, Msg: "送信されたデータを読み取れませんでした。もう一度お試しください。", Err: err}
		}
		got = r.FormValue("csrf_token")
	}
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1, nil
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// checkCSRF returns nil for a request carrying the right token.
func checkCSRF(r *http.Request, want string) error {
	ok, err := validCSRF(r, want)
	if err != nil {
		return err
	}
	if !ok {
		return &Error{Status: http.StatusForbidden, Msg: "フォームの有効期限が切れたか、不正な送信です。ページを再読み込みしてからもう一度操作してください。"}
	}
	return nil
}
