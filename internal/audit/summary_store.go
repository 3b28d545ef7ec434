package audit

// This file keeps the parts of the 内部監査全体報告書 a person writes
// (audit_summaries): the overall opinion, the findings on how the
// internal audits were run, the advice for next year and the edited
// countermeasures of the 課題一覧, with a revision for conflicts.

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"mamori/internal/database"
	"mamori/internal/jp"
)

// Limits of the written parts (characters).
const (
	summaryMaxText           = 8000
	summaryMaxCountermeasure = 2000
)

// SummaryInput is what the summary page submits.
type SummaryInput struct {
	Overall, Operations, Advice string
	// Countermeasures by problem key; an empty value (or the proposal
	// unchanged) removes the override.
	Countermeasures map[string]string
}

// SaveSummaryEdits stores fiscal year fy's written parts if rev is still
// the stored one (0: nothing stored yet); audited. Keys of the
// countermeasures must be problems of the year (problems lists them).
func (s *Store) SaveSummaryEdits(ctx context.Context, fy int, rev int64, in SummaryInput, problems []Problem, by Actor) error {
	fe := FieldErrors{}
	in.Overall, in.Operations, in.Advice = reportText(in.Overall), reportText(in.Operations), reportText(in.Advice)
	for _, f := range []struct{ key, label, v string }{
		{"overall", "総括所見", in.Overall}, {"operations", "内部監査の運営に関する所見", in.Operations}, {"advice", "来年度に向けた助言", in.Advice},
	} {
		if utf8.RuneCountInString(f.v) > summaryMaxText {
			fe[f.key] = fmt.Sprintf("%sは%d文字以内で入力してください。", f.label, summaryMaxText)
		}
	}
	known := map[string]Problem{}
	for _, p := range problems {
		known[p.Key] = p
	}
	cm := map[string]string{}
	var keys []string
	for k, v := range in.Countermeasures {
		p, ok := known[k]
		if !ok {
			fe["cm_"+k] = fmt.Sprintf("課題「%s」は%sの課題一覧にありません。画面を読み込み直してください。", k, jp.FiscalYearLabel(fy))
			continue
		}
		v = reportText(v)
		if utf8.RuneCountInString(v) > summaryMaxCountermeasure {
			fe["cm_"+k] = fmt.Sprintf("%s の対策案は%d文字以内で入力してください。", p.ID, summaryMaxCountermeasure)
			continue
		}
		if v != "" && v != p.Proposed {
			cm[k] = v
			keys = append(keys, p.ID)
		}
	}
	if len(fe) > 0 {
		return fe
	}
	sort.Strings(keys)
	body := ""
	if len(cm) > 0 {
		b, err := json.Marshal(cm)
		if err != nil {
			return err
		}
		body = string(b)
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		now := database.T(s.now())
		if rev == 0 {
			res, err := s.db.Exec(ctx, `INSERT INTO audit_summaries (fiscal_year, overall, operations, advice, countermeasures, rev, updated_by_name, updated_at)
				VALUES (?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (fiscal_year) DO NOTHING`, fy, in.Overall, in.Operations, in.Advice, body, by.Name, now)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrConflict
			}
		} else {
			res, err := s.db.Exec(ctx, `UPDATE audit_summaries SET overall = ?, operations = ?, advice = ?, countermeasures = ?, rev = rev + 1,
				updated_by_name = ?, updated_at = ? WHERE fiscal_year = ? AND rev = ?`, in.Overall, in.Operations, in.Advice, body, by.Name, now, fy, rev)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrConflict
			}
		}
		detail := jp.FiscalYearLabel(fy) + " 内部監査全体報告書の所見・助言を保存"
		if len(keys) > 0 {
			detail += "（対策案を編集: " + strings.Join(keys, "、") + "）"
		}
		return s.log.Record(ctx, "audit.summary_save", fmt.Sprintf("fiscal_year:%d", fy), detail)
	})
	return reportErr("audit.SaveSummaryEdits", err)
}
