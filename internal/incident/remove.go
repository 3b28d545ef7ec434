package incident

import (
	"context"
	"errors"
	"fmt"

	"mamori/internal/improve"
)

// Corrections: a なぜなぜ node without answers under it, a measure nobody
// has started on in the register (its 横展開 actions too), a timeline line.
// A closed incident is never changed; each removal is audited.

// RemoveWhy deletes node id of incident i; a node with answers under it,
// or one a measure names as its cause, is refused.
func (s *Store) RemoveWhy(ctx context.Context, i Incident, id int64, by string) error {
	if i.Closed() {
		return FieldErrors{"why": "完了したインシデントは変更できません。"}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		var owner int64
		var statement string
		if err := s.db.QueryRow(ctx, "SELECT incident_id, statement FROM incident_whys WHERE id = ?", id).Scan(&owner, &statement); err != nil || owner != i.ID {
			return FieldErrors{"why": "この「なぜ」はこのインシデントにありません。"}
		}
		var below, cited int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM incident_whys WHERE parent_id = ?", id).Scan(&below); err != nil {
			return err
		}
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM incident_measures WHERE why_id = ?", id).Scan(&cited); err != nil {
			return err
		}
		switch {
		case below > 0:
			return FieldErrors{"why": "この「なぜ」の下に答えがあります。下の「なぜ」から削除してください。"}
		case cited > 0:
			return FieldErrors{"why": "この原因は再発防止策に結び付いています。先に再発防止策を取り下げてください。"}
		}
		if _, err := s.db.Exec(ctx, "DELETE FROM incident_whys WHERE id = ?", id); err != nil {
			return err
		}
		return s.log.Record(ctx, "incident.why_remove", fmt.Sprintf("incident:%d", i.ID), fmt.Sprintf("インシデント %s のなぜなぜ分析から削除：%s（%s）", i.Code, statement, by))
	})
}

// WithdrawMeasure removes measure id of incident i and its register
// actions, as long as nobody has started on any of them there.
func (s *Store) WithdrawMeasure(ctx context.Context, i Incident, id int64, by improve.Actor) error {
	if i.Closed() {
		return FieldErrors{"measure": "完了したインシデントは変更できません。"}
	}
	ms, err := s.Measures(ctx, i)
	if err != nil {
		return err
	}
	var m *Measure
	for k := range ms {
		if ms[k].ID == id {
			m = &ms[k]
		}
	}
	if m == nil {
		return FieldErrors{"measure": "この再発防止策はこのインシデントにありません。"}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if s.reg != nil {
			refs := []string{m.Ref(i.Code)}
			for _, d := range m.Rollout {
				refs = append(refs, fmt.Sprintf("%s/%d", m.Ref(i.Code), d))
			}
			for _, ref := range refs {
				if _, err := s.reg.RemoveFromSource(ctx, ModuleKey, ref, by); errors.Is(err, improve.ErrActionStarted) {
					return FieldErrors{"measure": "改善措置台帳で担当の所属が対応を始めているため、取り下げられません。台帳で状況を確認してください。"}
				} else if err != nil {
					return err
				}
			}
		}
		if _, err := s.db.Exec(ctx, "DELETE FROM incident_measures WHERE id = ?", id); err != nil {
			return err
		}
		return s.log.Record(ctx, "incident.measure_withdraw", fmt.Sprintf("incident:%d", i.ID),
			fmt.Sprintf("インシデント %s の再発防止策%d「%s」を取り下げ（%s）", i.Code, m.Seq, m.Title, by.Name))
	})
}

// RemoveEvent deletes a line of incident i's timeline.
func (s *Store) RemoveEvent(ctx context.Context, i Incident, id int64, by string) error {
	if i.Closed() {
		return FieldErrors{"body": "完了したインシデントは変更できません。"}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, "DELETE FROM incident_events WHERE id = ? AND incident_id = ?", id, i.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return FieldErrors{"body": "この経過はこのインシデントにありません。"}
		}
		return s.log.Record(ctx, "incident.event_remove", fmt.Sprintf("incident:%d", i.ID), fmt.Sprintf("インシデント %s の経過 %d を削除（%s）", i.Code, id, by))
	})
}
