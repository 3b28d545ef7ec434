package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Quality checks before 報告: what an engagement's fieldwork still lacks
// before its report can be finalised. The report screen calls
// QualityChecks before finalising; the fieldwork has its own page.

// The kinds of quality issue, in the order they are listed.
const (
	QualityUnjudged          = "unjudged"            // no judgement yet
	QualityUnverified        = "unverified"          // judged 未確認
	QualityRecheck           = "recheck"             // 要再確認 still on
	QualityConformNoEvidence = "conform_no_evidence" // 適合 with neither evidence nor notes
	QualityNoFinding         = "no_finding"          // 不適合/一部不適合 that no finding names
	QualityEvidenceNoFile    = "evidence_no_file"    // an evidence record whose file cannot be read
)

// QualityKinds names the kinds of issue, in order, with what to do.
var QualityKinds = []struct{ Code, Label, Advice string }{
	{QualityUnjudged, "未判定の項目", "実地監査の結果を判定してください。対象外の項目は「該当なし」とし、理由を所見メモに書いてください。"},
	{QualityUnverified, "「未確認」のままの項目", "確認できなかった項目は、追加の資料や聞き取りで確認するか、確認できなかった事情を所見メモと報告書に書いてください。"},
	{QualityRecheck, "「要再確認」が付いたままの項目", "再確認を終えたら「要再確認」を外してください。"},
	{QualityConformNoEvidence, "証跡のない「適合」", "適合と判断した根拠（閲覧した資料、聞き取りの相手、視察した場所）を所見メモに書くか、写真・ファイルを登録してください。"},
	{QualityNoFinding, "指摘のない「不適合」「一部不適合」", "指摘事項・改善提言（または観察事項）を作成し、項目番号を記載してください。"},
	{QualityEvidenceNoFile, "ファイルのない証跡", "ファイルを読み出せない証跡です。登録し直すか、証跡の記録を確かめてください。"},
}

// QualityKindLabel names a kind of quality issue.
func QualityKindLabel(kind string) string {
	for _, k := range QualityKinds {
		if k.Code == kind {
			return k.Label
		}
	}
	return kind
}

// QualityIssue is one thing to fix before the report: its kind, a message
// in Japanese, and the item (or evidence record) it is about.
type QualityIssue struct {
	Kind       string
	Message    string
	ItemID     int64 // 0: not about one item
	ItemCode   string
	EvidenceID int64 // for evidence without a file
}

// KindLabel is the issue's kind in Japanese.
func (q QualityIssue) KindLabel() string { return QualityKindLabel(q.Kind) }

// QualityChecks lists what the engagement's fieldwork still lacks, by kind
// (QualityKinds order) and checklist order: items unjudged or 未確認,
// recheck still on, 適合 without evidence (no photo or file, no submitted
// document for a request naming the item, no interview naming it, and no
// notes), 不適合/一部不適合 without a finding (of a type other than 良好事例)
// that names the item's code, and evidence records whose file is gone or
// whose key was destroyed. Dropped items are not checked. No issues: nil.
func (s *Store) QualityChecks(ctx context.Context, engagementID int64) ([]QualityIssue, error) {
	items, err := s.Items(ctx, engagementID, ItemFilter{})
	if err != nil {
		return nil, fmt.Errorf("audit.QualityChecks: %w", err)
	}
	documented, err := s.documentedCodes(ctx, engagementID)
	if err != nil {
		return nil, fmt.Errorf("audit.QualityChecks: %w", err)
	}
	found, err := s.findingCodes(ctx, engagementID)
	if err != nil {
		return nil, fmt.Errorf("audit.QualityChecks: %w", err)
	}
	byKind := map[string][]QualityIssue{}
	add := func(kind string, it Item, msg string) {
		byKind[kind] = append(byKind[kind], QualityIssue{Kind: kind, ItemID: it.ID, ItemCode: it.Code, Message: msg})
	}
	for _, it := range items {
		switch it.Judgement {
		case JudgeNone:
			add(QualityUnjudged, it, fmt.Sprintf("項目 %s は未判定です。", it.Code))
		case JudgeUnverified:
			add(QualityUnverified, it, fmt.Sprintf("項目 %s は「未確認」のままです。", it.Code))
		case JudgeConform:
			if it.EvidenceCount == 0 && !documented[it.Code] && strings.TrimSpace(it.Notes) == "" {
				add(QualityConformNoEvidence, it, fmt.Sprintf("項目 %s は「適合」ですが、証跡（写真・ファイル・提出資料・聞き取り記録）も所見メモもありません。", it.Code))
			}
		case JudgePartial, JudgeNonconform:
			if !found[it.Code] {
				add(QualityNoFinding, it, fmt.Sprintf("項目 %s は「%s」ですが、この項目を挙げた指摘事項等がありません。", it.Code, JudgementLabel(it.Judgement)))
			}
		}
		if it.Recheck {
			add(QualityRecheck, it, fmt.Sprintf("項目 %s に「要再確認」が付いています。", it.Code))
		}
	}
	missing, err := s.evidenceWithoutFile(ctx, engagementID)
	if err != nil {
		return nil, fmt.Errorf("audit.QualityChecks: %w", err)
	}
	byKind[QualityEvidenceNoFile] = missing
	var out []QualityIssue
	for _, k := range QualityKinds {
		out = append(out, byKind[k.Code]...)
	}
	return out, nil
}

// documentedCodes are the item codes that have evidence besides the
// item's own files: a submitted document for a request naming the code,
// or an interview or inspection round naming it.
func (s *Store) documentedCodes(ctx context.Context, engagementID int64) (map[string]bool, error) {
	out := map[string]bool{}
	for _, q := range []string{
		`SELECT r.item_codes FROM audit_doc_requests r WHERE r.engagement_id = ?
			AND EXISTS (SELECT 1 FROM audit_evidence v WHERE v.request_id = r.id)`,
		`SELECT item_codes FROM audit_interviews WHERE engagement_id = ? AND item_codes <> ''`,
	} {
		rows, err := s.db.Query(ctx, q, engagementID)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var codes string
			if err := rows.Scan(&codes); err != nil {
				rows.Close()
				return nil, err
			}
			for _, c := range fwSplitCodes(codes) {
				out[c] = true
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// findingCodes are the item codes named by the engagement's findings
// (audit_findings.item_codes) of every type but 良好事例.
func (s *Store) findingCodes(ctx context.Context, engagementID int64) (map[string]bool, error) {
	rows, err := s.db.Query(ctx, "SELECT item_codes FROM audit_findings WHERE engagement_id = ? AND type <> 'good'", engagementID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var codes string
		if err := rows.Scan(&codes); err != nil {
			return nil, err
		}
		for _, c := range fwSplitCodes(codes) {
			out[c] = true
		}
	}
	return out, rows.Err()
}

// evidenceWithoutFile lists evidence records that cannot be read: no blob
// recorded or the blob's record gone, or every file unreadable because the
// engagement's key was destroyed (or never made).
func (s *Store) evidenceWithoutFile(ctx context.Context, engagementID int64) ([]QualityIssue, error) {
	rows, err := s.db.Query(ctx, `SELECT v.id, v.filename, COALESCE(v.item_id, 0), COALESCE(i.code, ''), COALESCE(b.id, 0)
		FROM audit_evidence v LEFT JOIN blobs b ON b.id = v.blob_id LEFT JOIN audit_items i ON i.id = v.item_id
		WHERE v.engagement_id = ? ORDER BY v.id`, engagementID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []QualityIssue
	total := 0
	for rows.Next() {
		var q QualityIssue
		var name string
		var blob int64
		if err := rows.Scan(&q.EvidenceID, &name, &q.ItemID, &q.ItemCode, &blob); err != nil {
			return nil, err
		}
		total++
		if blob == 0 {
			q.Kind = QualityEvidenceNoFile
			q.Message = fmt.Sprintf("証跡「%s」のファイルが保管されていません。", name)
			if q.ItemCode != "" {
				q.Message = fmt.Sprintf("項目 %s の証跡「%s」のファイルが保管されていません。", q.ItemCode, name)
			}
			out = append(out, q)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if total == 0 {
		return out, nil
	}
	var key []byte
	var destroyed string
	err = s.db.QueryRow(ctx, "SELECT data_key, destroyed_at FROM audit_keys WHERE engagement_id = ?", engagementID).Scan(&key, &destroyed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if err != nil || destroyed != "" || len(key) == 0 {
		// One issue says it all: no file of the engagement can be read.
		out = []QualityIssue{{Kind: QualityEvidenceNoFile,
			Message: fmt.Sprintf("この監査の暗号鍵がないか消去されているため、証跡 %d 件はどれも読み出せません。", total)}}
	}
	return out, nil
}
