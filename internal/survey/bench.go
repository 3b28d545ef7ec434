package survey

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"time"

	"mamori/content"
)

// BenchInvite is one respondent of `mamori bench survey`: who, the
// personal link's token, and a complete set of answers as the form posts
// them.
type BenchInvite struct {
	StaffID int64
	Token   string
	Values  url.Values
}

// BenchSetup prepares `mamori bench survey` on the demo ward: the working
// year's questions (from the content, unless the year has them already)
// and two open whole-ward campaigns for every audience — one answered
// signed in, one through personal links (a token per person). It returns
// both campaigns' ids and the respondents.
func (m *Module) BenchSetup(ctx context.Context) (signedIn, linked int64, invites []BenchInvite, err error) {
	s := m.store
	fy := s.org.CurrentFiscalYear(ctx)
	if qs, err := LoadBank(content.FS, fy); err == nil {
		if _, err := s.ImportBank(ctx, qs, fy, "システム"); err != nil {
			return 0, 0, nil, err
		}
	}
	today := s.today()
	var ids [2]int64
	for i, title := range []string{"性能測定（ログインして回答）", "性能測定（個人用リンクで回答）"} {
		id, err := s.CreateCampaign(ctx, CampaignInput{FiscalYear: fy, Title: title, Audiences: AudienceOrder,
			OpensOn: today.AddDate(0, 0, -1), ClosesOn: today.AddDate(0, 0, 14)}, "システム")
		if err != nil {
			return 0, 0, nil, err
		}
		if _, err := s.OpenCampaign(ctx, id, "システム"); err != nil {
			return 0, 0, nil, err
		}
		ids[i] = id
	}
	c, err := s.Campaign(ctx, ids[1])
	if err != nil {
		return 0, 0, nil, err
	}
	qs, err := s.bank(ctx, fy)
	if err != nil {
		return 0, 0, nil, err
	}
	rows, err := s.db.Query(ctx, "SELECT id, staff_id, audiences FROM survey_invitations WHERE campaign_id = ? ORDER BY id", ids[1])
	if err != nil {
		return 0, 0, nil, err
	}
	type inv struct {
		id, staff int64
		auds      string
	}
	var list []inv
	for rows.Next() {
		var v inv
		if err := rows.Scan(&v.id, &v.staff, &v.auds); err != nil {
			rows.Close()
			return 0, 0, nil, err
		}
		list = append(list, v)
	}
	rows.Close()
	r := rand.New(rand.NewPCG(1, 2))
	expires := time.Date(c.ClosesOn.Year(), c.ClosesOn.Month(), c.ClosesOn.Day()+1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		for _, v := range list {
			tok := fmt.Sprintf("bench-%d-%016x", v.id, r.Uint64())
			if _, err := s.db.Exec(ctx, "UPDATE survey_invitations SET token_hash = ?, token_expires = ? WHERE id = ?", tokenHash(tok), expires, v.id); err != nil {
				return err
			}
			f := FormFor(c, qs, split(v.auds, ","))
			vals := url.Values{"action": {"submit"}}
			for code, q := range f.Questions {
				switch n := len(q.Choices()); {
				case q.Kind == KindText:
					if r.IntN(5) == 0 {
						vals.Set("q_"+code, "特にありません。")
					}
				case q.Multi():
					vals["q_"+code] = []string{"1", strconv.Itoa(1 + r.IntN(n))}
				default:
					vals.Set("q_"+code, strconv.Itoa(1+r.IntN(n)))
				}
			}
			invites = append(invites, BenchInvite{StaffID: v.staff, Token: tok, Values: vals})
		}
		return nil
	})
	return ids[0], ids[1], invites, err
}

// BenchResponses counts a campaign's responses and the distinct
// invitations marked answered (they must agree: nothing lost, nothing
// counted twice).
func (m *Module) BenchResponses(ctx context.Context, campaignID int64) (responses, answered int, err error) {
	db := m.store.db
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ?", campaignID).Scan(&responses); err != nil {
		return 0, 0, err
	}
	err = db.QueryRow(ctx, "SELECT COUNT(*) FROM survey_invitations WHERE campaign_id = ? AND submitted = TRUE", campaignID).Scan(&answered)
	return responses, answered, err
}

// BenchAnalyze times the analysis of a campaign's responses, for
// `mamori bench survey`.
func (m *Module) BenchAnalyze(ctx context.Context, campaignID int64) (time.Duration, error) {
	t := time.Now()
	if _, err := m.store.Analyze(ctx, campaignID); err != nil {
		return 0, err
	}
	return time.Since(t), nil
}
