package scan

// Destruction at contract end (module.Shredder): the scanner files kept
// for a system audit are sealed with the engagement's key (scan_keys);
// programme management's `mamori shred` destroys it. A file stored before
// the files were sealed is plain and stays readable: it is counted as
// such, so the destruction reports it instead of certifying it. A staged
// file, once applied, is listed once (by its import).

import (
	"context"
	"fmt"

	"mamori/internal/blob"
	"mamori/internal/module"
)

type keptFile struct {
	blobID int64
	sealed bool
	module.ShredFile
}

func (s *Store) keptFiles(ctx context.Context, engagementID int64) ([]keptFile, error) {
	rows, err := s.db.Query(ctx, `SELECT i.blob_id, i.sealed, i.filename, i.sha256, i.size FROM scan_imports i JOIN scan_plans p ON p.id = i.plan_id
		WHERE p.engagement_id = ? AND i.blob_id IS NOT NULL AND i.state <> 'consumed' ORDER BY i.id`, engagementID)
	if err != nil {
		return nil, fmt.Errorf("scan.keptFiles: %w", err)
	}
	defer rows.Close()
	var out []keptFile
	for rows.Next() {
		var f keptFile
		if err := rows.Scan(&f.blobID, &f.sealed, &f.Name, &f.SHA256, &f.Size); err != nil {
			return nil, err
		}
		f.Kind = "技術的検証（スキャナの結果）"
		out = append(out, f)
	}
	return out, rows.Err()
}

// ShredSets implements module.Shredder: fiscal year fy's system audits
// with scanner files kept, under the engagement's code (a shred of one
// engagement takes its evidence and its scanner files together).
func (m *Module) ShredSets(ctx context.Context, fy int) ([]module.ShredSet, error) {
	keeper, err := m.keeper()
	if err != nil {
		return nil, nil // no audits, nothing kept for them
	}
	es, err := keeper.AuditEngagements(ctx, fy)
	if err != nil {
		return nil, err
	}
	var out []module.ShredSet
	for _, e := range es {
		if !e.System {
			continue
		}
		fs, err := m.store.keptFiles(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		set := module.ShredSet{Ref: fmt.Sprintf("scan_engagement:%d", e.ID), Code: e.Code, Title: "技術的検証（" + e.SystemName + "）"}
		if !e.Finished {
			set.Open = "監査報告書をまだ発行していません（工程：" + e.Phase + "）"
		}
		if set.Destroyed, err = blob.KeyDestroyedAt(ctx, m.d.DB, "scan_keys", "engagement_id", e.ID); err != nil {
			return nil, err
		}
		for _, f := range fs {
			set.Files = append(set.Files, f.ShredFile)
		}
		out = append(out, set)
	}
	return out, nil
}

// DestroyKeys implements module.Shredder.
func (m *Module) DestroyKeys(ctx context.Context, refs []string) error {
	return m.d.DB.WithTx(ctx, func(ctx context.Context) error {
		for _, ref := range refs {
			id, err := module.RefID(ref, "scan_engagement")
			if err != nil {
				return err
			}
			if _, err := blob.DestroyObjectKey(ctx, m.d.DB, "scan_keys", "engagement_id", id, m.store.now()); err != nil {
				return err
			}
			if err := m.d.Log.Record(ctx, "scan.key_destroy", fmt.Sprintf("audit_engagement:%d", id), "技術的検証のファイルの暗号鍵を消去（ファイルは読み出せなくなりました）"); err != nil {
				return err
			}
		}
		return nil
	})
}

// Readable implements module.Shredder.
func (m *Module) Readable(ctx context.Context, ref string) (int, error) {
	id, err := module.RefID(ref, "scan_engagement")
	if err != nil {
		return 0, err
	}
	fs, err := m.store.keptFiles(ctx, id)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range fs {
		if _, err := m.store.importFile(ctx, m.d.Blobs, id, f.blobID, f.sealed, f.SHA256); err == nil {
			n++
		}
	}
	return n, nil
}
