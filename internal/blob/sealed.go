package blob

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"errors"
	"time"

	"mamori/internal/database"
)

// Files kept encrypted with a key of their own object (an audit
// engagement's evidence, an incident's site photos): AES-256-GCM with a
// random nonce in front. Destroying the object's key makes every copy of
// its files unreadable (crypto-shredding), backups included.

// NewKey is a fresh 256-bit data key.
func NewKey() ([]byte, error) {
	key := make([]byte, 32)
	_, err := rand.Read(key)
	return key, err
}

// Seal encrypts plain with key.
func Seal(key, plain []byte) ([]byte, error) {
	gcm, err := gcmOf(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return gcm.Seal(nonce, nonce, plain, nil), nil
}

// Unseal decrypts what Seal made with key; a changed file is an error.
func Unseal(key, sealed []byte) ([]byte, error) {
	gcm, err := gcmOf(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, errors.New("blob: sealed file too short")
	}
	return gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], nil)
}

func gcmOf(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// ObjectKey is the data key of object id, kept in table (columns idColumn,
// data_key, created_at, destroyed_at), made on first use when create is
// set (inside the caller's transaction). A destroyed key, or none when
// create is not set, is the error destroyed. table and idColumn are the
// caller's constants, never user input.
func ObjectKey(ctx context.Context, db *database.DB, table, idColumn string, id int64, create bool, now time.Time, destroyed error) ([]byte, error) {
	var key []byte
	var gone string
	err := db.QueryRow(ctx, "SELECT data_key, destroyed_at FROM "+table+" WHERE "+idColumn+" = ?", id).Scan(&key, &gone)
	switch {
	case err == nil && gone != "":
		return nil, destroyed
	case err == nil:
		return key, nil
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	case !create:
		return nil, destroyed
	}
	if key, err = NewKey(); err != nil {
		return nil, err
	}
	_, err = db.Exec(ctx, "INSERT INTO "+table+" ("+idColumn+", data_key, created_at) VALUES (?, ?, ?)", id, key, database.T(now))
	return key, err
}

// DestroyObjectKey destroys object id's data key in table (see ObjectKey):
// the key is cleared and destroyed_at set, so every file sealed with it is
// unreadable for good. An object without a key gets a destroyed one, so
// none can be made later; destroying twice is harmless. It reports whether
// a live key was destroyed.
func DestroyObjectKey(ctx context.Context, db *database.DB, table, idColumn string, id int64, now time.Time) (bool, error) {
	at := database.T(now)
	res, err := db.Exec(ctx, "UPDATE "+table+" SET data_key = NULL, destroyed_at = ? WHERE "+idColumn+" = ? AND destroyed_at = ''", at, id)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return true, nil
	}
	_, err = db.Exec(ctx, "INSERT INTO "+table+" ("+idColumn+", data_key, created_at, destroyed_at) VALUES (?, NULL, ?, ?) ON CONFLICT ("+idColumn+") DO NOTHING", id, at, at)
	return false, err
}

// KeyDestroyedAt is when object id's key in table was destroyed (zero: it
// was not).
func KeyDestroyedAt(ctx context.Context, db *database.DB, table, idColumn string, id int64) (time.Time, error) {
	var at string
	err := db.QueryRow(ctx, "SELECT destroyed_at FROM "+table+" WHERE "+idColumn+" = ?", id).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) || at == "" {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return database.ParseTime(at), nil
}
