package auth

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"mamori/content"
)

// ArgonParams are the argon2id cost parameters.
type ArgonParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultArgon is about a quarter of a second per hash on two cores.
var DefaultArgon = ArgonParams{Memory: 64 * 1024, Time: 3, Threads: 2}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(pw string, p ArgonParams) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// CheckPassword reports whether pw matches the PHC-format hash.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var p ArgonParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

var (
	commonOnce sync.Once
	common     map[string]bool
)

func commonPasswords() map[string]bool {
	commonOnce.Do(func() {
		common = map[string]bool{}
		f, err := content.FS.Open("security/common-passwords.txt")
		if err != nil {
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if w := strings.TrimSpace(sc.Text()); w != "" {
				common[strings.ToLower(w)] = true
			}
		}
	})
	return common
}

// ErrWeakPassword explains why a password was refused.
var ErrWeakPassword = errors.New("weak password")

// ValidatePassword returns a Japanese message when pw may not be used, or "".
// login is the account name, which the password must not contain.
func ValidatePassword(pw, login string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLength:
		return fmt.Sprintf("パスワードは %d 文字以上にしてください（現在 %d 文字）。", MinPasswordLength, n)
	case n > 200:
		return "パスワードは 200 文字以内にしてください。"
	case commonPasswords()[strings.ToLower(pw)]:
		return "このパスワードはよく使われていて推測されやすいため使えません。別のパスワードにしてください。"
	case login != "" && strings.Contains(strings.ToLower(pw), strings.ToLower(login)):
		return "パスワードにログインIDを含めないでください。"
	case allSame(pw):
		return "同じ文字の繰り返しはパスワードに使えません。"
	}
	return ""
}

func allSame(s string) bool {
	var first rune
	for i, r := range s {
		if i == 0 {
			first = r
		} else if r != first {
			return false
		}
	}
	return true
}
