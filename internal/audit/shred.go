package audit

// Destruction at contract end (module.Shredder): each engagement's
// evidence is encrypted with the engagement's key; programme management's
// `mamori shred` lists the year's engagements with their files, destroys
// their keys and proves that no file decrypts any more.

import (
	"context"
	"fmt"

	"mamori/internal/blob"
	"mamori/internal/module"
)

// ShredSets implements module.Shredder: fiscal year fy's engagements with
// their evidence files. An engagement whose report has not been issued is
// still open.
func (m *Module) ShredSets(ctx context.Context, fy int) ([]module.ShredSet, error) {
	es, _, err := m.store.Engagements(ctx, EngagementFilter{FiscalYear: fy})
	if err != nil {
		return nil, err
	}
	var out []module.ShredSet
	for _, e := range es {
		ev, err := m.store.EvidenceList(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		set := module.ShredSet{Ref: fmt.Sprintf("audit_engagement:%d", e.ID), Code: e.Code, Title: e.Title}
		if e.Phase != PhaseFollowup && e.Phase != PhaseDone {
			set.Open = "監査報告書をまだ発行していません（工程：" + e.Phase.Label() + "）"
		}
		if set.Destroyed, err = blob.KeyDestroyedAt(ctx, m.store.db, "audit_keys", "engagement_id", e.ID); err != nil {
			return nil, err
		}
		for _, x := range ev {
			set.Files = append(set.Files, module.ShredFile{Name: x.Filename, Kind: "監査証跡（" + x.KindLabel() + "）", SHA256: x.SHA256, Size: x.Size})
		}
		out = append(out, set)
	}
	return out, nil
}

func shredID(ref string) (int64, error) { return module.RefID(ref, "audit_engagement") }

// DestroyKeys implements module.Shredder.
func (m *Module) DestroyKeys(ctx context.Context, refs []string) error {
	for _, ref := range refs {
		id, err := shredID(ref)
		if err != nil {
			return err
		}
		if err := m.store.DestroyKey(ctx, id, Actor{}); err != nil {
			return err
		}
	}
	return nil
}

// Readable implements module.Shredder: how many of the engagement's
// evidence files still decrypt.
func (m *Module) Readable(ctx context.Context, ref string) (int, error) {
	id, err := shredID(ref)
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
