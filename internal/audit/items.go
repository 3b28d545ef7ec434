package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"mamori/internal/database"
)

// ItemFilter selects items of an engagement's checklist.
type ItemFilter struct {
	WithDropped bool   // include items dropped from the checklist
	Presurvey   bool   // only the items of the pre-audit questionnaire
	Category    string // one category
}

const itemCols = `i.id, i.engagement_id, i.code, i.sort_order, i.category, i.question, i.criteria_conform, i.criteria_partial, i.criteria_nonconform,
	i.evidence, i.techniques, i.clauses, i.threats, i.priority, i.site_inspection, i.presurvey, i.reason, i.added, i.dropped, i.dropped_reason,
	i.judgement, i.status, i.technique, i.notes, i.focus, i.recheck, i.prev_judgement, i.prev_notes, i.answer_choice, i.answer,
	i.answered_by_name, i.answered_at, i.rev, i.updated_by_name, i.updated_at,
	(SELECT COUNT(*) FROM audit_evidence v WHERE v.item_id = i.id)`

func scanItem(sc interface{ Scan(...any) error }) (Item, error) {
	var it Item
	var evidence, techniques, clauses, threats, technique string
	var answeredAt, updatedAt database.Time
	err := sc.Scan(&it.ID, &it.EngagementID, &it.Code, &it.Order, &it.Category, &it.Question, &it.Conform, &it.Partial, &it.Nonconform,
		&evidence, &techniques, &clauses, &threats, &it.Priority, &it.SiteInspection, &it.Presurvey, &it.Reason, &it.Added, &it.Dropped,
		&it.DroppedReason, &it.Judgement, &it.Status, &technique, &it.Notes, &it.Focus, &it.Recheck, &it.PrevJudgement, &it.PrevNotes,
		&it.AnswerChoice, &it.Answer, &it.AnsweredBy, &answeredAt, &it.Rev, &it.UpdatedBy, &updatedAt, &it.EvidenceCount)
	it.Evidence, it.Clauses = lines(evidence), lines(clauses)
	it.Techniques, it.Threats, it.Technique = splitList(techniques), splitList(threats), splitList(technique)
	it.AnsweredAt, it.UpdatedAt = answeredAt.Time, updatedAt.Time
	return it, err
}

// lines splits a stored multi-line field, dropping empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Items lists an engagement's checklist in order.
func (s *Store) Items(ctx context.Context, engagementID int64, f ItemFilter) ([]Item, error) {
	where := []string{"i.engagement_id = ?"}
	args := []any{engagementID}
	if !f.WithDropped {
		where = append(where, "NOT i.dropped")
	}
	if f.Presurvey {
		where = append(where, "i.presurvey")
	}
	if f.Category != "" {
		where, args = append(where, "i.category = ?"), append(args, f.Category)
	}
	rows, err := s.db.Query(ctx, "SELECT "+itemCols+" FROM audit_items i WHERE "+strings.Join(where, " AND ")+" ORDER BY i.sort_order, i.id", args...)
	if err != nil {
		return nil, fmt.Errorf("audit.Items: %w", err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, fmt.Errorf("audit.Items: %w", err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// Item is one item of an engagement's checklist; an item of another
// engagement is database.ErrNotFound.
func (s *Store) Item(ctx context.Context, engagementID, itemID int64) (Item, error) {
	it, err := scanItem(s.db.QueryRow(ctx, "SELECT "+itemCols+" FROM audit_items i WHERE i.id = ? AND i.engagement_id = ?", itemID, engagementID))
	if errors.Is(err, sql.ErrNoRows) {
		return it, database.ErrNotFound
	}
	if err != nil {
		return it, fmt.Errorf("audit.Item: %w", err)
	}
	return it, nil
}

// Categories lists the checklist's categories in checklist order.
func Categories(items []Item) []string {
	var out []string
	seen := map[string]bool{}
	for _, it := range items {
		if !seen[it.Category] {
			seen[it.Category] = true
			out = append(out, it.Category)
		}
	}
	return out
}
