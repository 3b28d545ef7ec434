package vendor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"mamori/internal/database"
	"mamori/internal/jp"
)

// The office's side: evidence the vendor attached, the review of each
// item, returning the questionnaire for corrections, and the decision
// with its conditions.

// Evidence is a file the vendor attached to an item.
type Evidence struct {
	ID          int64
	Item        string
	BlobID      int64
	Filename    string
	ContentType string
	Size        int64
	SHA256      string
	EffectiveOn time.Time
	UploadedAt  time.Time
}

// EvidenceOf is a request's evidence by item.
func (s *Store) EvidenceOf(ctx context.Context, id int64) (map[string][]Evidence, error) {
	rows, err := s.db.Query(ctx, `SELECT id, item_code, blob_id, filename, content_type, size, sha256, effective_on, uploaded_at
		FROM vendor_evidence WHERE request_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]Evidence{}
	for rows.Next() {
		var e Evidence
		var eff, at string
		if err := rows.Scan(&e.ID, &e.Item, &e.BlobID, &e.Filename, &e.ContentType, &e.Size, &e.SHA256, &eff, &at); err != nil {
			return nil, err
		}
		e.EffectiveOn, e.UploadedAt = jp.ParseDateKey(eff), stamp(at)
		out[e.Item] = append(out[e.Item], e)
	}
	return out, rows.Err()
}

// AddEvidence keeps a file for an item, with the date the document is
// effective from (separate from the upload).
func (s *Store) AddEvidence(ctx context.Context, r Request, item, filename, contentType string, data []byte, effective string) error {
	if !r.State.Open() {
		return ErrLocked
	}
	items, err := s.Items(ctx, r.ID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(items, func(i Item) bool { return i.Code == item }) {
		return FieldErrors{"item": "資料を付ける項目を選び直してください。"}
	}
	var eff time.Time
	if strings.TrimSpace(effective) != "" {
		if eff, err = jp.ParseDate(effective); err != nil {
			return FieldErrors{"effective": "資料の有効日（作成日・改定日）を日付で入力してください（例：2026-04-01）。"}
		}
	}
	sum := sha256.Sum256(data)
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.lockOpen(ctx, r.ID); err != nil {
			return err
		}
		b, err := s.blobs.Put(ctx, filename, contentType, data, 0)
		if err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, `INSERT INTO vendor_evidence (request_id, item_code, blob_id, filename, content_type, size, sha256, effective_on, uploaded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, item, b.ID, filename, contentType, len(data), hex.EncodeToString(sum[:]), dateKey(eff), stampOf(s.now())); err != nil {
			return err
		}
		return s.log.Record(ctx, "vendor.evidence", fmt.Sprintf("vendor_request:%d", r.ID), fmt.Sprintf("%s の項目 %s に資料「%s」が付けられた（%d バイト）", r.Code, item, filename, len(data)))
	})
}

// ReviewInput is one item's review as typed.
type ReviewInput struct{ Review, ToVendor, Internal string }

// ReviewItem records the office's review of an item.
func (s *Store) ReviewItem(ctx context.Context, r Request, item string, in ReviewInput, by string) error {
	in.ToVendor, in.Internal = strings.TrimSpace(in.ToVendor), strings.TrimSpace(in.Internal)
	fe := FieldErrors{}
	if r.State != StateReview {
		fe["state"] = "提出された回答だけを審査できます。"
	}
	if in.Review != "" && ReviewLabel(in.Review) == "" {
		fe["review"] = "審査（OK・要確認・要修正）を選んでください。"
	}
	if in.Review == "fix" && in.ToVendor == "" {
		fe["to_vendor"] = "要修正のときは、事業者への依頼（何を直すか）を入力してください。"
	}
	if runes(in.ToVendor) > 2000 || runes(in.Internal) > 2000 {
		fe["length"] = "コメントは2,000文字以内で入力してください。"
	}
	if len(fe) > 0 {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, "UPDATE vendor_items SET review = ?, to_vendor = ?, internal_note = ? WHERE request_id = ? AND item_code = ?",
			in.Review, in.ToVendor, in.Internal, r.ID, item)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return FieldErrors{"item": "その項目はこの調査票にありません。"}
		}
		return s.log.Record(ctx, "vendor.review", fmt.Sprintf("vendor_request:%d", r.ID), fmt.Sprintf("%s の項目 %s を「%s」と審査", r.Code, item, or(ReviewLabel(in.Review), "未審査")))
	})
}

func or(s, none string) string {
	if strings.TrimSpace(s) == "" {
		return none
	}
	return s
}

// Return sends the questionnaire back to the vendor for the items marked
// 要修正 (at least one).
func (s *Store) Return(ctx context.Context, r Request, by string) error {
	items, err := s.Items(ctx, r.ID)
	if err != nil {
		return err
	}
	fix := 0
	for _, i := range items {
		if i.Review == "fix" {
			fix++
		}
	}
	if r.State != StateReview || fix == 0 {
		return FieldErrors{"return": "要修正の項目がある審査中の回答だけを事業者に戻せます。"}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, "UPDATE vendor_requests SET state = 'returned', rev = rev + 1, updated_at = ? WHERE id = ? AND state = 'review'", database.T(s.now()), r.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrStale
		}
		return s.log.Record(ctx, "vendor.return", fmt.Sprintf("vendor_request:%d", r.ID), fmt.Sprintf("%s を事業者に修正依頼（要修正 %d 項目）", r.Code, fix))
	})
}

// Condition is a dated condition of a conditional approval.
type Condition struct {
	Seq    int       `json:"seq"`
	Text   string    `json:"text"`
	Due    time.Time `json:"due"`
	DoneAt time.Time `json:"done_at"`
}

// Conditions are a request's conditions.
func (s *Store) Conditions(ctx context.Context, id int64) ([]Condition, error) {
	rows, err := s.db.Query(ctx, "SELECT seq, text, due_on, done_at FROM vendor_conditions WHERE request_id = ? ORDER BY seq", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Condition
	for rows.Next() {
		var c Condition
		var due, done string
		if err := rows.Scan(&c.Seq, &c.Text, &due, &done); err != nil {
			return nil, err
		}
		c.Due, c.DoneAt = jp.ParseDateKey(due), stamp(done)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Overdue reports whether the condition is unmet after its due date.
func (c Condition) Overdue(now time.Time) bool {
	return c.DoneAt.IsZero() && jp.DateKey(now) > jp.DateKey(c.Due)
}

// MeetCondition records that a condition of a decided request was met.
func (s *Store) MeetCondition(ctx context.Context, r Request, seq int, by string) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, "UPDATE vendor_conditions SET done_at = ? WHERE request_id = ? AND seq = ? AND done_at = ''", stampOf(s.now()), r.ID, seq)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return FieldErrors{"condition": "その条件はこの審査にないか、すでに満たされています。"}
		}
		return s.log.Record(ctx, "vendor.condition", fmt.Sprintf("vendor_request:%d", r.ID), fmt.Sprintf("%s の条件%d を満たしたと記録", r.Code, seq))
	})
}

// Rereview starts the re-review of a decided request: a new request with
// the same facts (the department may correct them), its questionnaire to
// be built from the checklist's newest version.
func (s *Store) Rereview(ctx context.Context, r Request, by string) (Request, error) {
	if r.State != StateDecided || r.Decision == "declined" {
		return Request{}, FieldErrors{"rereview": "再審査できるのは、承認又は条件付承認と決定した審査です。"}
	}
	in := RequestInput{DepartmentID: r.DepartmentID, Kind: r.Kind, ServiceName: r.ServiceName, VendorName: r.VendorName, Purpose: r.Purpose,
		DataClass: r.DataClass, MyNumber: r.MyNumber, SystemWork: r.SystemWork, StorageLocation: r.StorageLocation, Subcontractors: r.Subcontractors,
		ContractFrom: dateKey(r.ContractFrom), ContractTo: dateKey(r.ContractTo), ISMAPNumber: r.ISMAPNumber, ISMAPExpires: dateKey(r.ISMAPExpires), SLA: r.SLA}
	x, err := s.Create(ctx, in, by)
	if err != nil {
		return x, err
	}
	return x, s.log.Record(ctx, "vendor.rereview", fmt.Sprintf("vendor_request:%d", r.ID), fmt.Sprintf("%s の再審査として %s を作成", r.Code, x.Code))
}

// DecisionInput is the decision form as typed: conditions one a line as
// 「条件：期限」 (期限 a date).
type DecisionInput struct{ Decision, Reason, Conditions, NextReview string }

// Decide records the decision, apart from any score, with its reasons,
// dated conditions (条件付承認) and the next re-review date.
func (s *Store) Decide(ctx context.Context, r Request, in DecisionInput, by string) error {
	in.Reason = strings.TrimSpace(in.Reason)
	fe := FieldErrors{}
	if r.State != StateReview {
		fe["state"] = "提出された回答を審査中のときだけ決定できます。"
	}
	if DecisionLabel(in.Decision) == "" {
		fe["decision"] = "決定（承認・条件付承認・不承認）を選んでください。"
	}
	if in.Reason == "" || runes(in.Reason) > 4000 {
		fe["reason"] = "決定の理由を4,000文字以内で入力してください。"
	}
	var conds []Condition
	for n, line := range strings.Split(strings.ReplaceAll(in.Conditions, "\r", ""), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		i := strings.LastIndexAny(line, ":：")
		if i < 0 {
			fe["conditions"] = fmt.Sprintf("条件の %d 行目：「条件：期限（例 2027-03-31）」の形で入力してください。", n+1)
			continue
		}
		text := strings.TrimSpace(line[:i])
		due, err := jp.ParseDate(strings.TrimSpace(strings.TrimLeft(line[i:], ":：")))
		if err != nil || text == "" || runes(text) > 500 {
			fe["conditions"] = fmt.Sprintf("条件の %d 行目：条件（500文字以内）と期限の日付を「条件：期限」の形で入力してください。", n+1)
			continue
		}
		conds = append(conds, Condition{Seq: len(conds) + 1, Text: text, Due: due})
	}
	if in.Decision == "conditional" && len(conds) == 0 && fe["conditions"] == "" {
		fe["conditions"] = "条件付承認には、期限のある条件を一つ以上入力してください。"
	}
	if in.Decision != "conditional" && len(conds) > 0 {
		fe["conditions"] = "条件は条件付承認のときだけ入力できます。"
	}
	var next time.Time
	if strings.TrimSpace(in.NextReview) != "" {
		var err error
		if next, err = jp.ParseDate(in.NextReview); err != nil {
			fe["next_review"] = "次回の再審査の日を日付で入力してください。"
		}
	}
	if len(fe) > 0 {
		return fe
	}
	if next.IsZero() && in.Decision != "declined" {
		next = s.now().AddDate(1, 0, 0)
		if !r.ContractTo.IsZero() && r.ContractTo.Before(next) {
			next = r.ContractTo.AddDate(0, -2, 0) // before the renewal
		}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, `UPDATE vendor_requests SET state = 'decided', decision = ?, decision_reason = ?, decided_at = ?, decided_by_name = ?,
			next_review_on = ?, rev = rev + 1, updated_at = ? WHERE id = ? AND state = 'review'`, in.Decision, in.Reason, stampOf(s.now()), by, dateKey(next),
			database.T(s.now()), r.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrStale
		}
		// A decided request takes no more answers: its links stop working.
		if _, err := s.db.Exec(ctx, "UPDATE vendor_links SET revoked_at = ? WHERE request_id = ? AND revoked_at = ''", stampOf(s.now()), r.ID); err != nil {
			return err
		}
		for _, c := range conds {
			if _, err := s.db.Exec(ctx, "INSERT INTO vendor_conditions (request_id, seq, text, due_on) VALUES (?, ?, ?, ?)", r.ID, c.Seq, c.Text, jp.DateKey(c.Due)); err != nil {
				return err
			}
		}
		return s.log.Record(ctx, "vendor.decide", fmt.Sprintf("vendor_request:%d", r.ID), fmt.Sprintf("%s を「%s」と決定（条件 %d 件）", r.Code, DecisionLabel(in.Decision), len(conds)))
	})
}

// ProposedConditions are conditions the answers suggest: one for each
// required item answered いいえ or 一部.
func ProposedConditions(items []Item, from time.Time) []string {
	var out []string
	due := from.AddDate(0, 3, 0)
	for _, i := range items {
		if i.Risky() {
			q := []rune(i.Question)
			if len(q) > 40 {
				q = append(q[:40], '…')
			}
			out = append(out, fmt.Sprintf("%s（%s）の対策を講じ、実施状況を報告すること：%s", i.Code, string(q), jp.DateKey(due)))
		}
	}
	return out
}
