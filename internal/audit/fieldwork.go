package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/jp"
)

// Fieldwork (実地監査): the auditor records, per checklist item, four
// separate things — judgement, status, the technique actually used and
// notes — and the focus and recheck marks. Saves name the rev they read,
// so that two auditors on one item get a conflict, never a silent
// overwrite.

// MaxNotes is the longest fieldwork note of an item or an interview, in
// characters.
const MaxNotes = 4000

// ErrFieldworkClosed is a fieldwork change after fieldwork is over: the
// report is final, or the engagement has moved on to follow-up.
var ErrFieldworkClosed = errors.New("この監査は報告書が確定しているか、フォローアップ以降の工程に進んでいるため、実地監査の記録は変更できません。")

// ItemUpdate is what the fieldwork form saves on one item. Every field is
// sent on every save (the form is saved whole), so that a save never
// depends on which field was typed last.
type ItemUpdate struct {
	Judgement string
	Status    string
	Technique []string // techniques actually used (catalogue codes)
	Notes     string
	Focus     bool
	Recheck   bool
}

// UpdateOf is an item's current fieldwork as an update (the form's
// starting values).
func UpdateOf(it Item) ItemUpdate {
	return ItemUpdate{Judgement: it.Judgement, Status: it.Status, Technique: it.Technique, Notes: it.Notes, Focus: it.Focus, Recheck: it.Recheck}
}

// same reports whether the item already holds exactly the update.
func (u ItemUpdate) same(it Item) bool {
	return u.Judgement == it.Judgement && u.Status == it.Status && slices.Equal(u.Technique, it.Technique) &&
		u.Notes == it.Notes && u.Focus == it.Focus && u.Recheck == it.Recheck
}

// cleanNotes keeps typed text as typed (line breaks and spaces are the
// auditor's), only unifying line ends and dropping control characters.
func cleanNotes(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
}

// checkItemUpdate validates an update and puts its technique list in the
// catalogue's order.
func checkItemUpdate(u *ItemUpdate) FieldErrors {
	fe := FieldErrors{}
	if !ValidJudgement(u.Judgement) {
		fe["judgement"] = "判定は「適合」「一部不適合」「不適合」「該当なし」「未確認」から選んでください。"
	}
	if u.Status == "" {
		u.Status = "todo"
	}
	if ItemStatusLabel(u.Status) == u.Status {
		fe["status"] = "状況は「未着手」「実施中」「レビュー待ち」「完了」から選んでください。"
	}
	seen := map[string]bool{}
	for _, t := range u.Technique {
		if catalog.Techniques[t] == "" {
			fe["technique"] = fmt.Sprintf("監査技法「%s」は定義されていません。一覧から選んでください。", t)
			continue
		}
		seen[t] = true
	}
	u.Technique = nil
	for _, t := range catalog.TechniqueOrder {
		if seen[t] {
			u.Technique = append(u.Technique, t)
		}
	}
	u.Notes = cleanNotes(u.Notes)
	if n := utf8.RuneCountInString(u.Notes); n > MaxNotes {
		fe["notes"] = fmt.Sprintf("所見メモは%d文字以内で入力してください（現在 %d 文字）。", MaxNotes, n)
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// TechniqueLabels names technique codes in Japanese.
func TechniqueLabels(codes []string) []string {
	out := make([]string, 0, len(codes))
	for _, c := range codes {
		if l := catalog.Techniques[c]; l != "" {
			out = append(out, l)
		} else {
			out = append(out, c)
		}
	}
	return out
}

// fieldworkCode returns the engagement's code if fieldwork may still be
// changed, ErrFieldworkClosed if not, database.ErrNotFound for no such
// engagement. Called inside the change's transaction, so that a report
// finalised a moment earlier is seen.
func (s *Store) fieldworkCode(ctx context.Context, engagementID int64) (string, error) {
	var code, phase, state string
	err := s.db.QueryRow(ctx, `SELECT e.code, e.phase, COALESCE((SELECT r.state FROM audit_reports r WHERE r.engagement_id = e.id), '')
		FROM audit_engagements e WHERE e.id = ?`, engagementID).Scan(&code, &phase, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", database.ErrNotFound
	}
	if err != nil {
		return "", err
	}
	if fieldworkOver(Phase(phase), state) {
		return code, ErrFieldworkClosed
	}
	return code, nil
}

// fieldworkOver: the report is final or the engagement is in follow-up
// or done.
func fieldworkOver(p Phase, reportState string) bool {
	return reportState == "final" || p.Index() > PhaseReport.Index()
}

// FieldworkClosed reports whether fieldwork of the engagement may no
// longer be changed (the screens show it read-only).
func (s *Store) FieldworkClosed(ctx context.Context, e Engagement) (bool, error) {
	var state string
	err := s.db.QueryRow(ctx, "SELECT state FROM audit_reports WHERE engagement_id = ?", e.ID).Scan(&state)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("audit.FieldworkClosed: %w", err)
	}
	return fieldworkOver(e.Phase, state), nil
}

// SaveItem records the fieldwork of one item, if rev is still the stored
// one, and returns the item as saved. An item of another engagement is
// database.ErrNotFound; a stale rev is ErrConflict (unless the item already
// holds exactly what is sent: a save whose answer was lost on a dropped
// connection and is sent again); bad input is FieldErrors; after
// fieldwork, ErrFieldworkClosed. Each save that changes something is one
// audit-log entry ("audit.item_save") with the judgement change.
func (s *Store) SaveItem(ctx context.Context, engagementID, itemID, rev int64, u ItemUpdate, by Actor) (Item, error) {
	if fe := checkItemUpdate(&u); fe != nil {
		return Item{}, fe
	}
	var out Item
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		code, err := s.fieldworkCode(ctx, engagementID)
		if err != nil {
			return err
		}
		cur, err := s.Item(ctx, engagementID, itemID)
		if err != nil {
			return err
		}
		out = cur
		if cur.Dropped {
			return FieldErrors{"item": fmt.Sprintf("項目 %s はチェックリストから除外されているため、判定を記録できません。", cur.Code)}
		}
		if u.same(cur) {
			return nil // nothing to change (or the same save sent again)
		}
		if cur.Rev != rev {
			return ErrConflict
		}
		now := s.now()
		res, err := s.db.Exec(ctx, `UPDATE audit_items SET judgement = ?, status = ?, technique = ?, notes = ?, focus = ?, recheck = ?,
			rev = rev + 1, updated_by_name = ?, updated_at = ? WHERE id = ? AND engagement_id = ? AND rev = ?`,
			u.Judgement, u.Status, strings.Join(u.Technique, ","), u.Notes, u.Focus, u.Recheck, by.Name, database.T(now), itemID, engagementID, rev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		out.Judgement, out.Status, out.Technique, out.Notes, out.Focus, out.Recheck = u.Judgement, u.Status, u.Technique, u.Notes, u.Focus, u.Recheck
		out.Rev, out.UpdatedBy, out.UpdatedAt = rev+1, by.Name, database.T(now).Time
		return s.log.Record(ctx, "audit.item_save", fmt.Sprintf("audit_item:%d", itemID), code+" 項目 "+cur.Code+": "+saveDetail(cur, u))
	})
	if err != nil {
		var fe FieldErrors
		if errors.As(err, &fe) || errors.Is(err, ErrConflict) || errors.Is(err, ErrFieldworkClosed) || errors.Is(err, database.ErrNotFound) {
			return out, err
		}
		return out, fmt.Errorf("audit.SaveItem: %w", err)
	}
	return out, nil
}

// saveDetail describes a save for the audit log: the judgement always,
// the other fields when they changed (the notes by length only: the log
// is no copy of the working papers).
func saveDetail(cur Item, u ItemUpdate) string {
	parts := []string{"判定 " + JudgementLabel(cur.Judgement)}
	if cur.Judgement != u.Judgement {
		parts[0] += "→" + JudgementLabel(u.Judgement)
	}
	if cur.Status != u.Status {
		parts = append(parts, "状況 "+ItemStatusLabel(cur.Status)+"→"+ItemStatusLabel(u.Status))
	}
	if !slices.Equal(cur.Technique, u.Technique) {
		parts = append(parts, "技法 "+orNone(strings.Join(TechniqueLabels(u.Technique), "・")))
	}
	if cur.Notes != u.Notes {
		parts = append(parts, fmt.Sprintf("所見メモ %d→%d 文字", utf8.RuneCountInString(cur.Notes), utf8.RuneCountInString(u.Notes)))
	}
	if cur.Focus != u.Focus {
		parts = append(parts, "重点確認 "+onOff(u.Focus))
	}
	if cur.Recheck != u.Recheck {
		parts = append(parts, "要再確認 "+onOff(u.Recheck))
	}
	return strings.Join(parts, "、")
}

func onOff(b bool) string {
	if b {
		return "あり"
	}
	return "なし"
}

// MaxNAReason is the longest reason of a bulk 該当なし.
const MaxNAReason = 500

// MarkNotApplicable judges every unjudged item of one category 該当なし
// (status 完了) with the reason added to each item's notes, in one
// transaction and one audit-log entry ("audit.item_na"). It returns how
// many items it marked. Items already judged (未確認 included) are left
// alone.
func (s *Store) MarkNotApplicable(ctx context.Context, engagementID int64, category, reason string, by Actor) (int, error) {
	reason = cleanText(reason)
	fe := FieldErrors{}
	if reason == "" {
		fe["reason"] = "該当なしとする理由を入力してください（例：当課では個人番号を取り扱っていないため）。"
	} else if utf8.RuneCountInString(reason) > MaxNAReason {
		fe["reason"] = fmt.Sprintf("理由は%d文字以内で入力してください。", MaxNAReason)
	}
	if len(fe) > 0 {
		return 0, fe
	}
	var n int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		code, err := s.fieldworkCode(ctx, engagementID)
		if err != nil {
			return err
		}
		var items int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_items WHERE engagement_id = ? AND category = ? AND NOT dropped",
			engagementID, category).Scan(&items); err != nil {
			return err
		}
		if items == 0 {
			return FieldErrors{"category": "この監査のチェックリストにない分類です。"}
		}
		note := "該当なし（分類一括）: " + reason
		now := database.T(s.now())
		// Items without notes get the reason as their notes; the others
		// keep theirs with the reason on a line of its own.
		for _, q := range []struct{ set, cond, arg string }{
			{"notes = ?", "notes = ''", note},
			{"notes = notes || ?", "notes <> ''", "\n" + note},
		} {
			res, err := s.db.Exec(ctx, `UPDATE audit_items SET judgement = 'na', status = 'done', `+q.set+`, rev = rev + 1, updated_by_name = ?, updated_at = ?
				WHERE engagement_id = ? AND category = ? AND NOT dropped AND judgement = '' AND `+q.cond, q.arg, by.Name, now, engagementID, category)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += k
		}
		if n == 0 {
			return FieldErrors{"category": fmt.Sprintf("分類「%s」には未判定の項目がありません。", category)}
		}
		return s.log.Record(ctx, "audit.item_na", fmt.Sprintf("audit_engagement:%d", engagementID),
			fmt.Sprintf("%s 分類「%s」の未判定 %d 項目を該当なしに（理由: %s）", code, category, n, reason))
	})
	if err != nil {
		var fe FieldErrors
		if errors.As(err, &fe) || errors.Is(err, ErrFieldworkClosed) || errors.Is(err, database.ErrNotFound) {
			return 0, err
		}
		return 0, fmt.Errorf("audit.MarkNotApplicable: %w", err)
	}
	return int(n), nil
}

// ItemRev names an item and the rev the user saw.
type ItemRev struct{ ID, Rev int64 }

// PrevResult is what 「前年どおり確認済」 did.
type PrevResult struct {
	Confirmed int // items set to last year's judgement
	KeptNotes int // of those, items whose notes already had text (kept, not replaced)
}

// maxBulk bounds the items of one bulk action.
const maxBulk = 2000

// ConfirmPrevious is 「前年どおり確認済」: each chosen item that has a
// previous year's result gets that judgement, last year's notes (unless
// notes were already written this year: typed text is never replaced)
// and status 完了 — all in one transaction and one audit-log entry
// ("audit.item_prev"). An item changed since the user saw it (rev) makes
// the whole action a conflict, naming the item; items without a previous
// result, or of another engagement, are refused by name.
func (s *Store) ConfirmPrevious(ctx context.Context, engagementID int64, items []ItemRev, by Actor) (PrevResult, error) {
	var res PrevResult
	if len(items) == 0 {
		return res, FieldErrors{"items": "「前年どおり確認済」にする項目を選んでください。"}
	}
	if len(items) > maxBulk {
		return res, FieldErrors{"items": fmt.Sprintf("一度に選べる項目は%d件までです。", maxBulk)}
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		code, err := s.fieldworkCode(ctx, engagementID)
		if err != nil {
			return err
		}
		now := database.T(s.now())
		var codes []string
		seen := map[int64]bool{}
		for _, ir := range items {
			if seen[ir.ID] {
				continue
			}
			seen[ir.ID] = true
			it, err := s.Item(ctx, engagementID, ir.ID)
			if errors.Is(err, database.ErrNotFound) {
				return FieldErrors{"items": "選んだ項目の中に、この監査のチェックリストにない項目があります。画面を読み込み直してください。"}
			}
			if err != nil {
				return err
			}
			switch {
			case it.Dropped:
				return FieldErrors{"items": fmt.Sprintf("項目 %s はチェックリストから除外されています。", it.Code)}
			case it.PrevJudgement == "":
				return FieldErrors{"items": fmt.Sprintf("項目 %s には前年の結果がありません。", it.Code)}
			case it.Rev != ir.Rev:
				return fmt.Errorf("項目 %s: %w", it.Code, ErrConflict)
			}
			notes := it.PrevNotes
			if strings.TrimSpace(it.Notes) != "" {
				notes = it.Notes
				res.KeptNotes++
			}
			r, err := s.db.Exec(ctx, `UPDATE audit_items SET judgement = ?, notes = ?, status = 'done', rev = rev + 1, updated_by_name = ?, updated_at = ?
				WHERE id = ? AND rev = ?`, it.PrevJudgement, notes, by.Name, now, it.ID, it.Rev)
			if err != nil {
				return err
			}
			// A save committed since the read above (PostgreSQL runs them
			// side by side) leaves the guard unmatched: not confirmed.
			if k, _ := r.RowsAffected(); k == 0 {
				return fmt.Errorf("項目 %s: %w", it.Code, ErrConflict)
			}
			res.Confirmed++
			codes = append(codes, it.Code)
		}
		return s.log.Record(ctx, "audit.item_prev", fmt.Sprintf("audit_engagement:%d", engagementID),
			fmt.Sprintf("%s 前年どおり確認済: %d 項目（%s）", code, len(codes), strings.Join(codes, "、")))
	})
	if err != nil {
		var fe FieldErrors
		if errors.As(err, &fe) || errors.Is(err, ErrConflict) || errors.Is(err, ErrFieldworkClosed) || errors.Is(err, database.ErrNotFound) {
			return PrevResult{}, err
		}
		return PrevResult{}, fmt.Errorf("audit.ConfirmPrevious: %w", err)
	}
	return res, nil
}

// ItemDocs are the documents the auditee submitted for the requests that
// name an item (提出資料一覧), for the item's screen.
type ItemDocs struct {
	RequestID int64
	Name      string
	Purpose   string
	Due       string
	Files     []fileRef
}

// fwSplitCodes reads a comma list of item codes as stored or typed (commas,
// 読点, spaces or line breaks; full-width letters folded).
func fwSplitCodes(s string) []string {
	s = jp.Normalize(s)
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '、' || r == ' ' || r == '\n' || r == '\t' || r == ';' })
	out := f[:0]
	for _, c := range f {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// itemDocs lists the document requests naming code, with the files
// submitted for each, from the engagement's evidence.
func (s *Store) itemDocs(ctx context.Context, engagementID int64, code string, evidence []Evidence) ([]ItemDocs, error) {
	rows, err := s.db.Query(ctx, "SELECT id, name, purpose, item_codes, due_date FROM audit_doc_requests WHERE engagement_id = ? ORDER BY sort_order, id", engagementID)
	if err != nil {
		return nil, fmt.Errorf("audit.itemDocs: %w", err)
	}
	defer rows.Close()
	var out []ItemDocs
	for rows.Next() {
		var d ItemDocs
		var codes string
		if err := rows.Scan(&d.RequestID, &d.Name, &d.Purpose, &codes, &d.Due); err != nil {
			return nil, err
		}
		if slices.Contains(fwSplitCodes(codes), code) {
			out = append(out, d)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		for _, e := range evidence {
			if e.RequestID == out[i].RequestID {
				out[i].Files = append(out[i].Files, fileRefOf(e))
			}
		}
	}
	return out, nil
}
