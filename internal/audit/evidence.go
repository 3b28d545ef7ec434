package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"mamori/internal/blob"
	"mamori/internal/database"
	"mamori/internal/web"
)

// MaxEvidence is the largest evidence file accepted (a scanned document, a
// photo from a tablet).
const MaxEvidence = 20 << 20

// EvidenceTypes are the files accepted as evidence: documents, sheets,
// PDFs and photos. Types are decided from the content, not the name.
var EvidenceTypes = []web.FileType{web.PDF, web.XLSX, web.DOCX, web.PNG, web.JPEG, web.CSV, web.Text}

// ErrKeyDestroyed is evidence asked for after its engagement's key was
// destroyed (crypto-shredding at contract end).
var ErrKeyDestroyed = errors.New("この監査の証跡は、鍵の消去により読み出せなくなっています（契約終了時の消去）。")

// Evidence kinds.
const (
	EvidenceDocument = "document" // submitted for a document request
	EvidencePhoto    = "photo"    // taken during the visit
	EvidenceFile     = "file"     // any other file attached to an item
)

// Evidence is one evidence file of an engagement (its content is stored
// encrypted with the engagement's key).
type Evidence struct {
	ID           int64
	EngagementID int64
	RequestID    int64 // the document request it answers (0: none)
	ItemID       int64 // the checklist item it shows (0: none)
	Kind         string
	Filename     string
	ContentType  string
	Size         int64
	SHA256       string // of the plain file
	Note         string
	UploadedBy   string
	CreatedAt    time.Time
}

// KindLabel is the evidence kind in Japanese.
func (e Evidence) KindLabel() string {
	switch e.Kind {
	case EvidenceDocument:
		return "提出資料"
	case EvidencePhoto:
		return "写真"
	}
	return "ファイル"
}

// EvidenceInput is a file to keep as evidence.
type EvidenceInput struct {
	RequestID   int64
	ItemID      int64
	Kind        string
	Filename    string
	ContentType string
	Data        []byte
	Note        string
}

// engagementKey returns the engagement's data key, creating it on first
// use (inside the caller's transaction).
func (s *Store) engagementKey(ctx context.Context, id int64, create bool) ([]byte, error) {
	return blob.ObjectKey(ctx, s.db, "audit_keys", "engagement_id", id, create, s.now(), ErrKeyDestroyed)
}

func seal(key, plain []byte) ([]byte, error) { return blob.Seal(key, plain) }

func open(key, sealed []byte) ([]byte, error) { return blob.Unseal(key, sealed) }

// AddEvidence encrypts a file with the engagement's key, stores it in the
// blob store and records it (with the plain file's SHA-256), audited. The
// caller has checked the file's size and type (web.Upload). It returns the
// evidence id.
func (s *Store) AddEvidence(ctx context.Context, engagementID int64, in EvidenceInput, by Actor) (int64, error) {
	if len(in.Data) == 0 {
		return 0, FieldErrors{"file": "ファイルを選んでください（空のファイルは登録できません）。"}
	}
	if len(in.Data) > MaxEvidence {
		return 0, FieldErrors{"file": fmt.Sprintf("ファイルが大きすぎます（上限 %d MB）。", MaxEvidence>>20)}
	}
	switch in.Kind {
	case EvidenceDocument, EvidencePhoto, EvidenceFile:
	default:
		return 0, FieldErrors{"kind": "証跡の種類が正しくありません。"}
	}
	in.Filename = web.UploadName(in.Filename, "証跡")
	in.Note = cleanText(in.Note)
	if len([]rune(in.Note)) > 1000 {
		return 0, FieldErrors{"note": "説明は1000文字以内で入力してください。"}
	}
	if s.blobs == nil {
		return 0, errors.New("audit.AddEvidence: no blob store")
	}
	sum := sha256.Sum256(in.Data)
	var id int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// One upload of an engagement at a time: on PostgreSQL the first two
		// would both find no key and both insert one (a 500 for the later),
		// and a request removed meanwhile would fail the insert.
		if err := s.db.LockRow(ctx, "audit_engagements", engagementID); err != nil {
			return err
		}
		if in.ItemID != 0 {
			var n int
			if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_items WHERE id = ? AND engagement_id = ?", in.ItemID, engagementID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return FieldErrors{"item": "この監査のチェックリストにない項目です。"}
			}
		}
		if in.RequestID != 0 {
			var n int
			if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_doc_requests WHERE id = ? AND engagement_id = ?", in.RequestID, engagementID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return FieldErrors{"request": "この監査の提出資料一覧にない資料です。"}
			}
		}
		key, err := s.engagementKey(ctx, engagementID, true)
		if err != nil {
			return err
		}
		sealed, err := seal(key, in.Data)
		if err != nil {
			return err
		}
		b, err := s.blobs.Put(ctx, "evidence.bin", "application/octet-stream", sealed, by.UserID)
		if err != nil {
			return err
		}
		id, err = s.db.InsertID(ctx, `INSERT INTO audit_evidence (engagement_id, request_id, item_id, kind, filename, content_type, size, sha256, blob_id, note,
			uploaded_by, uploaded_by_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			engagementID, nullID(in.RequestID), nullID(in.ItemID), in.Kind, in.Filename, in.ContentType, len(in.Data), hex.EncodeToString(sum[:]),
			b.ID, in.Note, nullID(by.UserID), by.Name, database.T(s.now()))
		if err != nil {
			return err
		}
		return s.log.Record(ctx, "audit.evidence_add", fmt.Sprintf("audit_evidence:%d", id),
			fmt.Sprintf("証跡「%s」（%d バイト、SHA-256 %s）を登録", in.Filename, len(in.Data), hex.EncodeToString(sum[:8])))
	})
	if err != nil {
		var fe FieldErrors
		if errors.As(err, &fe) || errors.Is(err, ErrKeyDestroyed) {
			return 0, err
		}
		return 0, fmt.Errorf("audit.AddEvidence: %w", err)
	}
	return id, nil
}

const evidenceCols = `id, engagement_id, COALESCE(request_id, 0), COALESCE(item_id, 0), kind, filename, content_type, size, sha256, note, uploaded_by_name, created_at`

func scanEvidence(sc interface{ Scan(...any) error }) (Evidence, error) {
	var e Evidence
	var at database.Time
	err := sc.Scan(&e.ID, &e.EngagementID, &e.RequestID, &e.ItemID, &e.Kind, &e.Filename, &e.ContentType, &e.Size, &e.SHA256, &e.Note, &e.UploadedBy, &at)
	e.CreatedAt = at.Time
	return e, err
}

// EvidenceList lists an engagement's evidence, oldest first.
func (s *Store) EvidenceList(ctx context.Context, engagementID int64) ([]Evidence, error) {
	rows, err := s.db.Query(ctx, "SELECT "+evidenceCols+" FROM audit_evidence WHERE engagement_id = ? ORDER BY id", engagementID)
	if err != nil {
		return nil, fmt.Errorf("audit.EvidenceList: %w", err)
	}
	defer rows.Close()
	var out []Evidence
	for rows.Next() {
		e, err := scanEvidence(rows)
		if err != nil {
			return nil, fmt.Errorf("audit.EvidenceList: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EvidenceInfo is one evidence record of an engagement (without the file);
// evidence of another engagement is database.ErrNotFound.
func (s *Store) EvidenceInfo(ctx context.Context, engagementID, id int64) (Evidence, error) {
	e, err := scanEvidence(s.db.QueryRow(ctx, "SELECT "+evidenceCols+" FROM audit_evidence WHERE id = ? AND engagement_id = ?", id, engagementID))
	if errors.Is(err, sql.ErrNoRows) {
		return e, database.ErrNotFound
	}
	if err != nil {
		return e, fmt.Errorf("audit.EvidenceInfo: %w", err)
	}
	return e, nil
}

// EvidenceFile returns an evidence record and its decrypted file. The
// plain file's SHA-256 is checked against the one recorded at upload.
func (s *Store) EvidenceFile(ctx context.Context, engagementID, id int64) (Evidence, []byte, error) {
	e, err := s.EvidenceInfo(ctx, engagementID, id)
	if err != nil {
		return e, nil, err
	}
	var blobID int64
	if err := s.db.QueryRow(ctx, "SELECT COALESCE(blob_id, 0) FROM audit_evidence WHERE id = ?", id).Scan(&blobID); err != nil {
		return e, nil, fmt.Errorf("audit.EvidenceFile: %w", err)
	}
	key, err := s.engagementKey(ctx, engagementID, false)
	if err != nil {
		return e, nil, err
	}
	_, sealed, err := s.blobs.Get(ctx, blobID)
	if err != nil {
		return e, nil, fmt.Errorf("audit.EvidenceFile: %w", err)
	}
	plain, err := open(key, sealed)
	if err != nil {
		return e, nil, fmt.Errorf("audit.EvidenceFile: %w", err)
	}
	sum := sha256.Sum256(plain)
	if hex.EncodeToString(sum[:]) != e.SHA256 {
		return e, nil, fmt.Errorf("audit.EvidenceFile %d: checksum mismatch", id)
	}
	return e, plain, nil
}

// DestroyKey destroys an engagement's evidence key, so that its evidence
// can never be read again (crypto-shredding at the end of the contract),
// audited. Destroying it twice is harmless.
func (s *Store) DestroyKey(ctx context.Context, engagementID int64, by Actor) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		// Waits for an upload in flight (AddEvidence takes the same lock),
		// so that none is sealed with the key after it is destroyed.
		if err := s.db.LockRow(ctx, "audit_engagements", engagementID); err != nil {
			return err
		}
		if _, err := blob.DestroyObjectKey(ctx, s.db, "audit_keys", "engagement_id", engagementID, s.now()); err != nil {
			return err
		}
		return s.log.Record(ctx, "audit.key_destroy", fmt.Sprintf("audit_engagement:%d", engagementID), "証跡の暗号鍵を消去（証跡は読み出せなくなりました）")
	})
}
