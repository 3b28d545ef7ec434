package incident

// Destruction at contract end (module.Shredder): each incident's evidence
// (site photos, files, records) is encrypted with the incident's key;
// programme management's `mamori shred` destroys the keys of the year's
// incidents and proves that no file decrypts any more.

import (
	"context"
	"fmt"

	"mamori/internal/blob"
	"mamori/internal/module"
)

var evidenceKindLabels = map[string]string{"photo": "現地写真", "file": "ファイル", "record": "記録"}

// ShredSets implements module.Shredder: fiscal year fy's incidents with
// their evidence; an incident not closed is still open.
func (m *Module) ShredSets(ctx context.Context, fy int) ([]module.ShredSet, error) {
	is, err := m.store.List(ctx, fy)
	if err != nil {
		return nil, err
	}
	var out []module.ShredSet
	for _, i := range is {
		ev, err := m.store.EvidenceList(ctx, i.ID)
		if err != nil {
			return nil, err
		}
		set := module.ShredSet{Ref: fmt.Sprintf("incident:%d", i.ID), Code: i.Code, Title: "インシデント（" + i.Title + "）"}
		if !i.Closed() {
			set.Open = "対応が完了していません（" + i.State.Label() + "）"
		}
		if set.Destroyed, err = blob.KeyDestroyedAt(ctx, m.d.DB, "incident_keys", "incident_id", i.ID); err != nil {
			return nil, err
		}
		for _, x := range ev {
			set.Files = append(set.Files, module.ShredFile{Name: x.Filename, Kind: "インシデントの証拠（" + evidenceKindLabels[x.Kind] + "）", SHA256: x.SHA256, Size: x.Size})
		}
		out = append(out, set)
	}
	return out, nil
}

// DestroyKeys implements module.Shredder.
func (m *Module) DestroyKeys(ctx context.Context, refs []string) error {
	return m.d.DB.WithTx(ctx, func(ctx context.Context) error {
		for _, ref := range refs {
			id, err := module.RefID(ref, "incident")
			if err != nil {
				return err
			}
			// Locked as AddEvidence locks it: a key being made by a file in
			// flight (PostgreSQL) is destroyed after it commits, not missed.
			if err := m.d.DB.LockRow(ctx, "incidents", id); err != nil {
				return err
			}
			if _, err := blob.DestroyObjectKey(ctx, m.d.DB, "incident_keys", "incident_id", id, m.store.now()); err != nil {
				return err
			}
			if err := m.d.Log.Record(ctx, "incident.key_destroy", ref, "証拠の暗号鍵を消去（証拠は読み出せなくなりました）"); err != nil {
				return err
			}
		}
		return nil
	})
}

// Readable implements module.Shredder.
func (m *Module) Readable(ctx context.Context, ref string) (int, error) {
	id, err := module.RefID(ref, "incident")
	if err != nil {
		return 0, err
	}
	ev, err := m.store.EvidenceList(ctx, id)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, x := range ev {
		if _, _, err := m.store.EvidenceFile(ctx, id, x.ID); err == nil {
			n++
		}
	}
	return n, nil
}
