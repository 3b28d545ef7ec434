package survey

// This file writes a campaign's weak domains to the improvement register
// (改善措置台帳, source survey_weakness): 「弱点を改善措置台帳へ登録」 on
// the results page. Each weak domain is one action keyed by
// CAMPAIGNCODE/domain, so running it again updates the same actions; a
// domain no longer weak has its action withdrawn unless its owner has
// started on it. The e-learning and audit modules read these actions from
// the register as their emphasis and focus.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"mamori/internal/catalog"
	"mamori/internal/improve"
	"mamori/internal/jp"
)

// RegisterResult is what writing the weak domains did.
type RegisterResult struct {
	Weak      []DomainResult
	Created   int
	Updated   int
	Unchanged int
	Withdrawn int // actions of domains no longer weak, removed
	Kept      int // actions of domains no longer weak that their owner has started: left as they are
}

// Message is the result for the page.
func (r RegisterResult) Message() string {
	if len(r.Weak) == 0 && r.Withdrawn == 0 && r.Kept == 0 {
		return "弱点となった領域はありませんでした。改善措置台帳には登録していません。"
	}
	s := fmt.Sprintf("弱点 %d 領域を改善措置台帳に反映しました（新規 %d 件・更新 %d 件・変更なし %d 件）。", len(r.Weak), r.Created, r.Updated, r.Unchanged)
	if r.Withdrawn > 0 {
		s += fmt.Sprintf("弱点でなくなった領域の改善措置 %d 件を取り消しました。", r.Withdrawn)
	}
	if r.Kept > 0 {
		s += fmt.Sprintf("弱点でなくなった領域の改善措置のうち %d 件は担当所属が対応を始めているため、そのまま残しています。", r.Kept)
	}
	return s
}

// weaknessRef is the register's reference of a campaign's weak domain.
func weaknessRef(c Campaign, domain string) string { return c.Code + "/" + domain }

// weaknessInput is the register entry of weak domain d.
func weaknessInput(a *Analysis, d DomainResult) improve.Input {
	c := a.Campaign
	adv := adviceFor(d.Code, d.Label)
	var b strings.Builder
	fmt.Fprintf(&b, "%s 自己点検「%s」（%s、回答 %d 人、回答率 %s）の結果、%sの理解度は %s でした（全体 %s、差 %s ポイント）。",
		jp.FiscalYearLabel(c.FiscalYear), c.Title, c.Code, a.Respondents, a.RateLabel(), d.Label, d.Score.Label(), a.Overall.Label(), d.GapLabel())
	if d.Last.Has() {
		fmt.Fprintf(&b, "前年度は %s でした（%s ポイント）。", d.Last.Label(), d.ChangeLabel())
	}
	var low []QuestionResult
	for _, q := range a.Questions {
		if q.Question.Kind == KindKnowledge && q.Question.Domain == d.Code && q.Answered > 0 && q.Rate < 0.7 {
			low = append(low, q)
		}
	}
	sort.SliceStable(low, func(i, j int) bool { return low[i].Rate < low[j].Rate })
	var weakest []string
	for _, q := range low {
		line := fmt.Sprintf("・%s「%s」正答率 %s", q.Question.Code, questionGist(q.Question, 50), q.RateLabel())
		if len(q.Wrong) > 0 {
			line += fmt.Sprintf("（多かった誤り「%s」%s）", excerpt(q.Wrong[0].Text, 40), q.Wrong[0].ShareLabel())
		}
		weakest = append(weakest, line)
		if len(weakest) == 5 {
			break
		}
	}
	if len(weakest) > 0 {
		b.WriteString("\n正答率が 70% 未満の設問：\n" + strings.Join(weakest, "\n"))
	}
	fmt.Fprintf(&b, "\n提案：\n・研修（e-ラーニング）では、%sことを重点とする。\n・監査では、%sを重点確認事項とする。", adv.training, adv.audit)
	risk := "中"
	if d.Score.Index() < 50 || d.Gap <= -20 {
		risk = "高"
	}
	return improve.Input{FiscalYear: c.FiscalYear, Source: improve.SourceSurveyWeakness, SourceModule: ModuleKey, SourceRef: weaknessRef(c, d.Code),
		SourceLabel: fmt.Sprintf("%s 自己点検（%s）", jp.FiscalYearLabel(c.FiscalYear), c.Code), Clause: domainClauses(a, d.Code),
		Title: "自己点検で理解度が低かった領域：" + d.Label, Detail: cutRunes(b.String(), 4000), Risk: risk}
}

// domainClauses names the clauses the domain's questions are tagged
// with, most used first (at most three, within the register's 200
// characters).
func domainClauses(a *Analysis, domain string) string {
	count := map[string]int{}
	var order []string
	for _, q := range a.Questions {
		if q.Question.Domain != domain {
			continue
		}
		for _, c := range q.Question.Clauses {
			if count[c] == 0 {
				order = append(order, c)
			}
			count[c]++
		}
	}
	// Stable: most used first, then first seen.
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && count[order[j]] > count[order[j-1]]; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	var labels []string
	for i, c := range order {
		if i == 3 {
			break
		}
		labels = append(labels, catalog.RefLabel(c))
	}
	return cutRunes(strings.Join(labels, "、"), 200)
}

func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// RegisterWeaknesses writes campaign id's weak domains to the improvement
// register, with its own audit-log entry, in one transaction.
func (m *Module) RegisterWeaknesses(ctx context.Context, id int64) (RegisterResult, error) {
	var res RegisterResult
	s := m.store
	a, err := s.Analyze(ctx, id)
	if err != nil {
		return res, err
	}
	if !a.Shown {
		return res, FieldErrors{"register": fmt.Sprintf("回答者が %d 人未満のため、弱点を判断できません。", MinGroup)}
	}
	c := a.Campaign
	reg := improve.NewStore(m.d)
	res.Weak = a.WeakDomains()
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		res.Created, res.Updated, res.Unchanged, res.Withdrawn, res.Kept = 0, 0, 0, 0, 0
		var refs []string
		for _, d := range Domains {
			refs = append(refs, weaknessRef(c, d.Code))
		}
		for _, d := range a.Domains {
			refs = append(refs, weaknessRef(c, d.Code))
		}
		before, err := reg.BySource(ctx, ModuleKey, refs)
		if err != nil {
			return err
		}
		weak := map[string]bool{}
		for _, d := range res.Weak {
			in := weaknessInput(a, d)
			weak[in.SourceRef] = true
			_, created, err := reg.Upsert(ctx, in)
			if err != nil {
				return err
			}
			switch old, had := before[in.SourceRef]; {
			case created:
				res.Created++
			case had && old.Title == in.Title && old.Detail == in.Detail && old.Risk == in.Risk && old.Clause == in.Clause && old.SourceLabel == in.SourceLabel:
				res.Unchanged++
			default:
				res.Updated++
			}
		}
		for ref := range before {
			if weak[ref] {
				continue
			}
			removed, err := reg.RemoveFromSource(ctx, ModuleKey, ref, improve.Actor{Name: "自己点検の再集計"})
			switch {
			case errors.Is(err, improve.ErrActionStarted):
				res.Kept++
			case err != nil:
				return err
			case removed:
				res.Withdrawn++
			}
		}
		var names []string
		for _, d := range res.Weak {
			names = append(names, d.Label)
		}
		detail := fmt.Sprintf("%s 弱点を改善措置台帳へ登録（%d 領域: %s。新規 %d・更新 %d・変更なし %d・取消し %d）", c.Code, len(res.Weak),
			strings.Join(names, "、"), res.Created, res.Updated, res.Unchanged, res.Withdrawn)
		return s.log.Record(ctx, "survey.weakness_register", fmt.Sprintf("survey_campaign:%d", c.ID), cutRunes(detail, 1000))
	})
	if err != nil {
		return RegisterResult{}, fmt.Errorf("survey.RegisterWeaknesses %s: %w", c.Code, err)
	}
	return res, nil
}

// WeaknessActions are the register's actions written for campaign c's
// domains, by domain code.
func (m *Module) WeaknessActions(ctx context.Context, c Campaign) (map[string]improve.Action, error) {
	var refs []string
	for _, d := range Domains {
		refs = append(refs, weaknessRef(c, d.Code))
	}
	got, err := improve.NewStore(m.d).BySource(ctx, ModuleKey, refs)
	if err != nil {
		return nil, err
	}
	out := map[string]improve.Action{}
	for ref, a := range got {
		out[strings.TrimPrefix(ref, c.Code+"/")] = a
	}
	return out, nil
}
