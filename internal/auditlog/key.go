package auditlog

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// KeyFileName is the key file's name in the data folder when no other file
// is configured.
const KeyFileName = "auditlog.key"

// minKeyLen is the shortest secret accepted from a key file (256 bits).
const minKeyLen = 32

// KeyPath is the key file to use: file when set (--audit-key-file,
// MAMORI_AUDIT_KEY_FILE), else auditlog.key in the data folder.
func KeyPath(file, dataDir string) string {
	if file != "" {
		return file
	}
	return filepath.Join(dataDir, KeyFileName)
}

// chainKey is the secret the chain is keyed with. Its id (a MAC of a fixed
// text, not the secret) is stored in the database so that a wrong key is
// told apart from tampering.
type chainKey struct {
	secret []byte
	id     string
	path   string // where it was read from; "" when given directly
}

func newChainKey(secret []byte, path string) *chainKey {
	k := &chainKey{secret: secret, path: path}
	k.id = k.mac("mamori auditlog key id")[:16]
	return k
}

func (k *chainKey) mac(s string) string {
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

// hash is the keyed chain hash of an entry (chain 1).
func (k *chainKey) hash(e Entry) string { return k.mac("v1|" + preimage(e)) }

// sealMAC signs where keyed hashing starts.
func (k *chainKey) sealMAC(keyedFrom int64) string {
	return k.mac("seal|" + strconv.FormatInt(keyedFrom, 10) + "|" + k.id)
}

// name is how messages refer to the key.
func (k *chainKey) name() string {
	if k.path != "" {
		return "鍵ファイル " + k.path
	}
	return "指定された鍵"
}

// readKeyFile reads a key file: 64 or more hex digits (as written by
// Mamori or `openssl rand -hex 32`), or at least 32 raw bytes.
func readKeyFile(path string) (*chainKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	secret := b
	if t := bytes.TrimSpace(b); len(t) >= 2*minKeyLen && len(t)%2 == 0 {
		if d, err := hex.DecodeString(string(t)); err == nil {
			secret = d
		}
	}
	if len(secret) < minKeyLen {
		return nil, &KeyError{Msg: fmt.Sprintf("監査ログの鍵ファイル %s が短すぎます（%d バイト）。32 バイト以上の乱数（または 64 桁の16進数）にしてください。", path, len(secret))}
	}
	return newChainKey(secret, path), nil
}

// createKeyFile writes a new random key to path (0600), or reads the key
// another process created first.
func createKeyFile(path string) (*chainKey, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("auditlog: 鍵ファイルのフォルダを作成できません: %w", err)
	}
	secret := make([]byte, minKeyLen)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("auditlog: 鍵を作成できません: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("auditlog: 鍵ファイル %s を作成できません: %w", path, err)
	}
	_, err = f.WriteString(hex.EncodeToString(secret) + "\n")
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("auditlog: 鍵ファイル %s を書き込めません: %w", path, err)
	}
	return newChainKey(secret, path), nil
}

// KeyError is a missing or wrong key: the log cannot be written or checked
// with it. Msg is complete Japanese.
type KeyError struct{ Msg string }

func (e *KeyError) Error() string { return e.Msg }

// SecretKey derives a 256-bit key for purpose from the deployment's
// audit-log key (the file every instance of a deployment shares), for a
// secret kept in the database, such as the SMTP password set on the
// administrator's screen. The key file is never in a backup, so neither
// is what such a key protects.
func (l *Log) SecretKey(purpose string) ([]byte, error) {
	k, err := l.loadKey(true)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return nil, errors.New("監査ログの鍵ファイルが指定されていないため、秘密の情報を暗号化できません")
	}
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte("mamori secret|" + purpose))
	return m.Sum(nil), nil
}
