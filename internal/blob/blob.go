// Package blob stores files users give Mamori (uploads, evidence, generated
// documents): on the local disk by default, or inside the database when
// several instances share PostgreSQL. Every file's SHA-256 is recorded and
// checked when it is read back.
package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"mamori/internal/database"
	"mamori/internal/web"
)

// Storage places.
const (
	Disk = "disk"
	DB   = "db"
)

// Blob is a stored file's record.
type Blob struct {
	ID          int64
	SHA256      string
	Size        int64
	ContentType string
	Filename    string
	Storage     string
	CreatedAt   time.Time
}

// Store keeps blobs.
type Store struct {
	db   *database.DB
	dir  string
	mode string
	now  func() time.Time
}

// New returns a store. mode "" picks the database on PostgreSQL (shared by
// all instances) and the disk folder dir otherwise.
func New(db *database.DB, dir, mode string, now func() time.Time) *Store {
	if mode == "" {
		mode = Disk
		if db.Dialect() == database.Postgres {
			mode = DB
		}
	}
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, dir: dir, mode: mode, now: now}
}

// Mode is where new blobs go.
func (s *Store) Mode() string { return s.mode }

// ErrCorrupt means a blob's content no longer matches its recorded SHA-256.
var ErrCorrupt = errors.New("ファイルの内容が記録されたハッシュと一致しません（破損または改ざんの可能性があります）")

func (s *Store) path(sum string) string {
	return filepath.Join(s.dir, "blobs", sum[:2], sum[2:4], sum)
}

// Put stores data and records it (in the context's transaction, if any).
func (s *Store) Put(ctx context.Context, filename, contentType string, data []byte, createdBy int64) (Blob, error) {
	h := sha256.Sum256(data)
	b := Blob{SHA256: hex.EncodeToString(h[:]), Size: int64(len(data)), ContentType: contentType, Filename: filename,
		Storage: s.mode, CreatedAt: s.now().UTC()}
	var inline any
	if s.mode == DB {
		inline = data
	} else {
		p := s.path(b.SHA256)
		if _, err := os.Stat(p); err != nil {
			if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
				return b, fmt.Errorf("blob.Put: %w", err)
			}
			tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
			if err != nil {
				return b, fmt.Errorf("blob.Put: %w", err)
			}
			_, werr := tmp.Write(data)
			serr := tmp.Sync()
			cerr := tmp.Close()
			if err := errors.Join(werr, serr, cerr); err != nil {
				os.Remove(tmp.Name())
				return b, fmt.Errorf("blob.Put: %w", err)
			}
			if err := os.Rename(tmp.Name(), p); err != nil {
				os.Remove(tmp.Name())
				return b, fmt.Errorf("blob.Put: %w", err)
			}
		}
	}
	var by any
	if createdBy != 0 {
		by = createdBy
	}
	id, err := s.db.InsertID(ctx, `INSERT INTO blobs (sha256, size, content_type, filename, storage, data, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, b.SHA256, b.Size, contentType, filename, s.mode, inline, by, database.T(b.CreatedAt))
	if err != nil {
		return b, fmt.Errorf("blob.Put: %w", err)
	}
	b.ID = id
	return b, nil
}

// Get returns a blob's record and content, verifying its SHA-256.
func (s *Store) Get(ctx context.Context, id int64) (Blob, []byte, error) {
	var b Blob
	var at database.Time
	var inline []byte
	err := s.db.QueryRow(ctx, "SELECT id, sha256, size, content_type, filename, storage, data, created_at FROM blobs WHERE id = ?", id).
		Scan(&b.ID, &b.SHA256, &b.Size, &b.ContentType, &b.Filename, &b.Storage, &inline, &at)
	if err != nil {
		return b, nil, database.NotFound("blob.Get", err)
	}
	b.CreatedAt = at.Time
	data := inline
	if b.Storage == Disk {
		data, err = os.ReadFile(s.path(b.SHA256))
		if err != nil {
			return b, nil, fmt.Errorf("blob.Get %d: %w", id, err)
		}
	}
	h := sha256.Sum256(data)
	if hex.EncodeToString(h[:]) != b.SHA256 {
		return b, nil, fmt.Errorf("blob.Get %d: %w", id, ErrCorrupt)
	}
	return b, data, nil
}

// Open returns a blob's record and its content to read and seek in (a
// lesson's video served by ranges), without reading it whole. The content
// was verified when it was stored; a file on disk that has since changed
// size is refused.
func (s *Store) Open(ctx context.Context, id int64) (Blob, io.ReadSeekCloser, error) {
	var b Blob
	var at database.Time
	var inline []byte
	err := s.db.QueryRow(ctx, "SELECT id, sha256, size, content_type, filename, storage, data, created_at FROM blobs WHERE id = ?", id).
		Scan(&b.ID, &b.SHA256, &b.Size, &b.ContentType, &b.Filename, &b.Storage, &inline, &at)
	if err != nil {
		return b, nil, database.NotFound("blob.Open", err)
	}
	b.CreatedAt = at.Time
	if b.Storage != Disk {
		return b, nopCloser{bytes.NewReader(inline)}, nil
	}
	f, err := os.Open(s.path(b.SHA256))
	if err != nil {
		return b, nil, fmt.Errorf("blob.Open %d: %w", id, err)
	}
	if st, err := f.Stat(); err != nil || st.Size() != b.Size {
		f.Close()
		return b, nil, fmt.Errorf("blob.Open %d: %w", id, ErrCorrupt)
	}
	return b, f, nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// Uploaded is the object check for an upload awaiting its preview (a roster,
// an edited checklist): only the person who uploaded it, or the security
// office, may preview or apply it. param names the path parameter.
func (s *Store) Uploaded(kind, param string) web.Object {
	return web.Object{Kind: kind, Param: param, Allow: func(ctx context.Context, u *web.User, _ web.Scope, id int64) (bool, error) {
		var by sql.NullInt64
		if err := s.db.QueryRow(ctx, "SELECT created_by FROM blobs WHERE id = ?", id).Scan(&by); err != nil {
			return false, database.NotFound("blob.Uploaded", err)
		}
		return u.Role == web.RoleAdmin || by.Valid && by.Int64 == u.ID, nil
	}}
}
