package improve

// This file is what a source feature (an audit's findings, a drill's
// evaluation …) calls besides Upsert: its own view of its actions, the
// owner's plan written in the feature, the feature's verification, and
// the withdrawal of an action whose source is gone. Each runs inside the
// feature's own transaction when there is one (database.WithTx joins it).
//
// These methods do not apply the register's role rules (editors verify,
// the owner department reports progress): the source module has checked
// the actor's right on its own object — for an audit finding, that the
// actor is on the engagement's team or in the audited department — before
// calling them.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/database"
)

// ErrActionStarted is a withdrawal refused because the owner department
// has already worked on the action (a status change, evidence, a note):
// the source must stay so that the action keeps its reason.
var ErrActionStarted = errors.New("この改善措置は担当所属がすでに対応を始めているため、取り消せません。")

// BySource returns the actions a feature wrote under the given references,
// by reference (references without an action are absent), owners named.
func (s *Store) BySource(ctx context.Context, sourceModule string, refs []string) (map[string]Action, error) {
	out := map[string]Action{}
	if len(refs) == 0 {
		return out, nil
	}
	args := []any{sourceModule}
	for _, r := range refs {
		args = append(args, r)
	}
	rows, err := s.db.Query(ctx, "SELECT "+actionCols+" FROM improvement_actions WHERE source_module = ? AND source_ref IN ("+
		database.Placeholders(len(refs))+")", args...)
	if err != nil {
		return nil, fmt.Errorf("improve.BySource: %w", err)
	}
	var as []Action
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("improve.BySource: %w", err)
		}
		as = append(as, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("improve.BySource: %w", err)
	}
	if err := s.nameOwners(ctx, as); err != nil {
		return nil, err
	}
	for _, a := range as {
		out[a.SourceRef] = a
	}
	return out, nil
}

// RemoveFromSource deletes the action a feature wrote under (sourceModule,
// sourceRef) when the feature withdraws its source (a finding deleted, or
// turned into a good practice), as long as nobody has worked on it: still
// 未着手, no evidence, no history beyond its creation and the source's
// updates. An action worked on is kept and ErrActionStarted returned, so
// that the feature refuses its own change. It reports whether an action
// was removed (none under the reference: false, nil).
func (s *Store) RemoveFromSource(ctx context.Context, sourceModule, sourceRef string, by Actor) (bool, error) {
	removed := false
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		a, err := s.lockedByRef(ctx, sourceModule, sourceRef)
		if errors.Is(err, database.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		n, err := s.evidenceCount(ctx, a.ID)
		if err != nil {
			return err
		}
		var worked int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM improvement_action_events WHERE action_id = ? AND kind NOT IN ('created', 'source_update')",
			a.ID).Scan(&worked); err != nil {
			return err
		}
		if a.Status != StatusOpen || n > 0 || worked > 0 {
			return ErrActionStarted
		}
		for _, q := range []string{"DELETE FROM improvement_action_events WHERE action_id = ?", "DELETE FROM improvement_actions WHERE id = ?"} {
			if _, err := s.db.Exec(ctx, q, a.ID); err != nil {
				return err
			}
		}
		removed = true
		return s.log.Record(ctx, "improve.remove", target(a.ID), fmt.Sprintf("No.%d「%s」を削除（出典 %s/%s の取消し、%s）",
			a.ID, excerpt(a.Title, 60), sourceModule, sourceRef, by.Name))
	})
	if err != nil && !errors.Is(err, ErrActionStarted) {
		return false, fmt.Errorf("improve.RemoveFromSource %s/%s: %w", sourceModule, sourceRef, err)
	}
	return removed, err
}

// ProgressFromSource records the owner's plan or progress written in the
// source feature (an auditee's improvement plan for a finding): an action
// still 未着手 moves to 対応中 with the note; otherwise the note is added
// to its history and becomes its progress note. A verified action is left
// as it is.
func (s *Store) ProgressFromSource(ctx context.Context, sourceModule, sourceRef, note string, by Actor) error {
	note = strings.TrimSpace(strings.ReplaceAll(note, "\r\n", "\n"))
	if note == "" || utf8.RuneCountInString(note) > 4000 {
		return FieldErrors{"note": "進捗の内容を4000文字以内で入力してください。"}
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		a, err := s.lockedByRef(ctx, sourceModule, sourceRef)
		if err != nil {
			return err
		}
		switch a.Status {
		case StatusVerified:
			return nil
		case StatusOpen:
			a.Status, a.ProgressNote = StatusInProgress, note
			return s.updateStatus(ctx, a, "status", StatusOpen, StatusInProgress, note, by, "improve.status")
		}
		a.ProgressNote = note
		return s.update(ctx, a, "source_update", note, by, "improve.upsert")
	})
	if err != nil {
		return fmt.Errorf("improve.ProgressFromSource %s/%s: %w", sourceModule, sourceRef, err)
	}
	return nil
}

// VerifyFromSource records the source feature's check of an action (an
// auditor's follow-up of their own engagement's finding), whatever the
// actor's role on the register — the source module has checked the
// actor's right on its object:
//   - verdict StatusVerified: the improvement is confirmed; the action
//     becomes 確認済 with the note (completed now if the owner had not
//     marked it 完了);
//   - verdict StatusInProgress: the improvement is partial or missing; the
//     action goes back to 対応中 with the note (a 確認済 one is reopened).
//
// Other verdicts are refused.
func (s *Store) VerifyFromSource(ctx context.Context, sourceModule, sourceRef string, verdict Status, note string, by Actor) error {
	note = strings.TrimSpace(strings.ReplaceAll(note, "\r\n", "\n"))
	if verdict != StatusVerified && verdict != StatusInProgress {
		return FieldErrors{"status": "確認の結果は「確認済」か「対応中」に戻すかのどちらかです。"}
	}
	if utf8.RuneCountInString(note) > 4000 {
		return FieldErrors{"note": fmt.Sprintf("確認コメントは4000文字以内で入力してください（%d文字あります）。", utf8.RuneCountInString(note))}
	}
	if verdict == StatusInProgress && note == "" {
		return FieldErrors{"note": "対応中に戻す理由（残っている課題）を入力してください。"}
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		a, err := s.lockedByRef(ctx, sourceModule, sourceRef)
		if err != nil {
			return err
		}
		from := a.Status
		now := s.now()
		if verdict == StatusVerified {
			if from == StatusVerified && a.VerificationNote == note {
				return nil
			}
			if a.CompletedAt.IsZero() {
				a.CompletedAt = now
			}
			a.Status, a.VerifiedBy, a.VerifiedByName, a.VerifiedAt, a.VerificationNote = StatusVerified, by.UserID, by.Name, now, note
			return s.updateStatus(ctx, a, "verified", from, StatusVerified, note, by, "improve.verify")
		}
		kind, action := "status", "improve.status"
		if from == StatusVerified {
			kind, action = "reopened", "improve.reopen"
			a.VerifiedBy, a.VerifiedByName, a.VerifiedAt, a.VerificationNote = 0, "", time.Time{}, ""
		}
		a.Status, a.CompletedAt = StatusInProgress, time.Time{}
		return s.updateStatus(ctx, a, kind, from, StatusInProgress, note, by, action)
	})
	if err != nil {
		return fmt.Errorf("improve.VerifyFromSource %s/%s: %w", sourceModule, sourceRef, err)
	}
	return nil
}
