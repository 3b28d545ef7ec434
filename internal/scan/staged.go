package scan

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"mamori/internal/blob"
	"mamori/internal/database"
	"mamori/internal/module"
	"mamori/internal/scan/parse"
)

// StagedFile is an uploaded scanner file waiting for its preview to be
// confirmed.
type StagedFile struct {
	ID       int64
	Format   string
	Filename string
	SHA256   string
	BlobID   int64
	Sealed   bool
}

// Stage keeps an uploaded file (in the blob store) until the user confirms
// the preview; a staged file is applied at most once.
func (s *Store) Stage(ctx context.Context, e module.AuditEngagement, blobs *blob.Store, name string, format parse.Format, data []byte, by string) (int64, error) {
	var id int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		planID, err := s.ensurePlan(ctx, e.ID, by)
		if err != nil {
			return err
		}
		key, err := s.engagementKey(ctx, e.ID, true)
		if err != nil {
			return err
		}
		sealed, err := blob.Seal(key, data)
		if err != nil {
			return err
		}
		b, err := blobs.Put(ctx, "scan-file.bin", "application/octet-stream", sealed, 0)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		id, err = s.db.InsertID(ctx, `INSERT INTO scan_imports (plan_id, kind, format, filename, sha256, size, blob_id, state, created_by_name, created_at, sealed)
			VALUES (?, 'import', ?, ?, ?, ?, ?, 'staged', ?, ?, TRUE)`, planID, string(format), name, hex.EncodeToString(sum[:]), len(data), b.ID, by, database.T(s.now()))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("scan.Stage: %w", err)
	}
	return id, nil
}

// ErrKeyDestroyed is a scanner file of an engagement whose key was
// destroyed (destruction at contract end).
var ErrKeyDestroyed = errors.New("この監査の技術的検証のファイルは、鍵の消去により読み出せなくなっています（契約終了時の消去）。")

// engagementKey is the key the engagement's scanner files are sealed with,
// made on first use (inside the caller's transaction) when create is set.
func (s *Store) engagementKey(ctx context.Context, engagementID int64, create bool) ([]byte, error) {
	return blob.ObjectKey(ctx, s.db, "scan_keys", "engagement_id", engagementID, create, s.now(), ErrKeyDestroyed)
}

// importFile is a kept scanner file (staged or applied) of the engagement,
// decrypted and checked against its SHA-256.
func (s *Store) importFile(ctx context.Context, blobs *blob.Store, engagementID, blobID int64, sealed bool, sum string) ([]byte, error) {
	_, data, err := blobs.Get(ctx, blobID)
	if err != nil || !sealed {
		return data, err
	}
	key, err := s.engagementKey(ctx, engagementID, false)
	if err != nil {
		return nil, err
	}
	plain, err := blob.Unseal(key, data)
	if err != nil {
		return nil, err
	}
	if h := sha256.Sum256(plain); hex.EncodeToString(h[:]) != sum {
		return nil, fmt.Errorf("scan: file %d does not match its SHA-256", blobID)
	}
	return plain, nil
}

// Staged returns a staged file of the engagement and its content.
func (s *Store) Staged(ctx context.Context, e module.AuditEngagement, blobs *blob.Store, id int64) (StagedFile, []byte, error) {
	var f StagedFile
	var blobID sql.NullInt64
	var sealed bool
	err := s.db.QueryRow(ctx, `SELECT i.id, i.format, i.filename, i.sha256, i.blob_id, i.sealed FROM scan_imports i JOIN scan_plans p ON p.id = i.plan_id
		WHERE i.id = ? AND p.engagement_id = ? AND i.state = 'staged'`, id, e.ID).Scan(&f.ID, &f.Format, &f.Filename, &f.SHA256, &blobID, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil, database.ErrNotFound
	}
	if err != nil {
		return f, nil, fmt.Errorf("scan.Staged: %w", err)
	}
	if !blobID.Valid {
		return f, nil, database.ErrNotFound
	}
	f.BlobID, f.Sealed = blobID.Int64, sealed
	data, err := s.importFile(ctx, blobs, e.ID, f.BlobID, sealed, f.SHA256)
	if err != nil {
		return f, nil, err
	}
	return f, data, nil
}

// ApplyStaged applies a staged file once: the staged row becomes the
// import's record (a second confirmation is ErrStale).
func (s *Store) ApplyStaged(ctx context.Context, e module.AuditEngagement, stagedID int64, in ImportInput, by string) (Outcome, error) {
	var out Outcome
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, "UPDATE scan_imports SET state = 'consumed' WHERE id = ? AND state = 'staged'", stagedID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrStale
		}
		out, err = s.ApplyImport(ctx, e, in, by)
		return err
	})
	return out, err
}
