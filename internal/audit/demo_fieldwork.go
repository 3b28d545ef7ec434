package audit

// The demo visit: judgements, statuses, techniques and notes of the
// checklist items (with last year's results for departments audited last
// year), the interviews and inspection rounds, and the consultant's
// witness record.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"mamori/internal/jp"
)

// fieldwork writes the items' fieldwork results in one prepared batch:
// every item of an engagement past 実施, the share judged so far of one in
// it; the written results as written, 該当なし for the items listed, 適合
// with a note made from the phrases for the rest.
func (b *demoBuilder) fieldwork(ctx context.Context, e Engagement, det *demoDetail, items []Item, visit time.Time) error {
	have := map[string]bool{}
	for _, it := range items {
		have[it.Code] = true
	}
	na := map[string]bool{}
	for _, c := range det.NA {
		if !have[c] {
			return fmt.Errorf("該当なしの項目「%s」がチェックリストにありません", c)
		}
		if b.c.phrases.NA[c] == "" {
			return fmt.Errorf("該当なしの項目「%s」の理由が phrases.json にありません", c)
		}
		na[c] = true
	}
	for c, r := range det.Results {
		if !have[c] {
			return fmt.Errorf("判定を書いた項目「%s」がチェックリストにありません", c)
		}
		if !ValidJudgement(r.J) {
			return fmt.Errorf("項目「%s」の判定「%s」は使えません", c, r.J)
		}
	}
	for c := range det.Prev {
		if !have[c] {
			return fmt.Errorf("前年度の結果を書いた項目「%s」がチェックリストにありません", c)
		}
	}
	judged := len(items)
	if e.Phase == PhaseFieldwork && det.Judged > 0 {
		judged = int(math.Ceil(det.Judged * float64(len(items))))
	}
	lead := b.lead(e)
	stmt, err := b.s.db.Prepare(ctx, `UPDATE audit_items SET judgement = ?, status = ?, technique = ?, notes = ?, recheck = ?,
		prev_judgement = ?, prev_notes = ?, rev = rev + 1, updated_by_name = ?, updated_at = ? WHERE id = ?`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	lastCategory := ""
	for i, it := range items {
		var j, status, notes string
		var techs []string
		recheck := false
		r, written := det.Results[it.Code]
		switch {
		case written:
			j, notes, recheck, status = r.J, r.N, r.Recheck, r.Status
			techs = splitList(r.T)
		case i < judged && na[it.Code]:
			j, notes = JudgeNA, b.c.phrases.NA[it.Code]
			techs = []string{"interview"}
		case i < judged:
			j = JudgeConform
			techs = b.techniques(e, it)
			notes = b.conformNote(e, it, techs)
		}
		if status == "" {
			switch {
			case j != "":
				status = "done"
				lastCategory = it.Category
			case e.Phase == PhaseFieldwork && it.Category == lastCategory:
				status = "doing"
			default:
				status = "todo"
			}
		}
		var prevJ, prevN string
		if det.PrevAudit {
			prevJ = JudgeConform
			if na[it.Code] {
				prevJ = JudgeNA
			}
			if p, ok := det.Prev[it.Code]; ok {
				prevJ, prevN = p[0], p[1]
			}
			if it.Added {
				prevJ, prevN = "", ""
			}
		}
		if j == "" && notes == "" && prevJ == "" && status == "todo" {
			continue
		}
		// Saved during the visit, a few minutes apart, and the written
		// ones reviewed the next days.
		at := day(visit, 0, 13, 30).Add(time.Duration(i*70/max(judged, 1)) * 3 * time.Minute)
		if written {
			at = day(visit, 1+demoHash(it.Code)%3, 10, 15)
		}
		if _, err := stmt.ExecContext(ctx, j, status, strings.Join(techs, ","), notes, recheck, prevJ, prevN, lead.Name, dbTime(b.clamp(at)), it.ID); err != nil {
			return err
		}
	}
	return nil
}

// techniques are those an item was checked with: the planned ones, less
// technical verification in an internal audit (internal auditors do not
// run tools).
func (b *demoBuilder) techniques(e Engagement, it Item) []string {
	var out []string
	for _, t := range it.Techniques {
		if t == "technical" && !e.Kind.External() {
			continue
		}
		if _, ok := b.c.phrases.Techniques[t]; ok {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		out = []string{"document"}
	}
	return out
}

// conformNote is an auditor's note on an item found to conform: what was
// looked at, who was asked, and what was found (the first sentence of
// the item's conform criterion, or a short conclusion).
func (b *demoBuilder) conformNote(e Engagement, it Item, techs []string) string {
	h := demoHash(e.Code, it.Code)
	var parts []string
	for i, t := range techs {
		form := b.c.phrases.Techniques[t][0]
		if i == len(techs)-1 {
			form = b.c.phrases.Techniques[t][1]
		}
		parts = append(parts, b.fill(form, e, it, h+i))
	}
	note := strings.Join(parts, "、") + "。"
	crit := strings.TrimPrefix(firstSentence(it.Conform), "視察で、")
	if crit == "" || h%5 == 0 {
		return note + b.c.phrases.Short[h%len(b.c.phrases.Short)]
	}
	return note + observed(crit)
}

// observed turns a criterion (a state: 「…が記録されている」) into what
// the auditor found (「…が記録されていることを確認した。」), without
// saying 「確認できることを確認した」.
func observed(crit string) string {
	switch {
	case strings.HasSuffix(crit, "が確認できる"), strings.HasSuffix(crit, "を確認できる"):
		return strings.TrimSuffix(strings.TrimSuffix(crit, "が確認できる"), "を確認できる") + "を確認した。"
	case strings.HasSuffix(crit, "確認できる"):
		return strings.TrimSuffix(crit, "確認できる") + "確認した。"
	case strings.HasSuffix(crit, "確かめられる"):
		s := strings.TrimSuffix(crit, "確かめられる") + "確かめた。"
		if i := strings.LastIndex(s, "ことが"); i >= 0 {
			s = s[:i] + "ことを" + s[i+len("ことが"):]
		}
		return s
	}
	return crit + "ことを確認した。"
}

// interviews records the interviews and inspection rounds of the visit
// through the store.
func (b *demoBuilder) interviews(ctx context.Context, e Engagement, det *demoDetail, items []Item, visit time.Time) error {
	lead := b.lead(e)
	for n, iv := range det.Interviews {
		dept := e.Targets[0]
		if iv.Dept != "" {
			found := false
			for _, t := range e.Targets {
				if t.Name == iv.Dept {
					dept, found = t, true
				}
			}
			if !found {
				return fmt.Errorf("聞き取り %d の所属「%s」がこの監査の対象にありません", n+1, iv.Dept)
			}
		}
		p, err := b.people(ctx, dept.DepartmentID)
		if err != nil {
			return err
		}
		in := InterviewInput{Kind: iv.Kind, DepartmentID: dept.DepartmentID, Notes: iv.Notes}
		date := dept.VisitDate
		if date.IsZero() {
			date = visit
		}
		in.HeldAt = jp.DateKey(date) + " " + iv.At
		var codes []string
		var site string
		if err := json.Unmarshal(iv.Items, &site); err == nil && site == "site" {
			for _, it := range items {
				if it.SiteInspection {
					codes = append(codes, it.Code)
				}
			}
		} else if len(iv.Items) > 0 {
			if err := json.Unmarshal(iv.Items, &codes); err != nil {
				return fmt.Errorf("聞き取り %d の items: %w", n+1, err)
			}
		}
		in.ItemCodes = strings.Join(codes, ",")
		switch {
		case iv.Kind == InterviewInspection:
			// A round: the place, shown round by the section's head
			// unless the file names someone.
			in.Place, in.Person, in.Position = iv.Place, p.boss, "係長（案内）"
			if iv.Person != "" {
				in.Person, in.Position = iv.Person, iv.Position
			}
		case iv.Person != "":
			in.Person, in.Position = iv.Person, iv.Position
		default:
			in.Person = p.byTitle(iv.Unit, iv.Title)
			in.Position = strings.TrimSpace(iv.Unit + " " + iv.Title)
			if iv.Position != "" {
				in.Position = iv.Position
			}
		}
		hour, minute := 13, 30
		fmt.Sscanf(iv.At, "%d:%d", &hour, &minute)
		if _, err := b.at(day(date, 0, hour, minute+50)).CreateInterview(ctx, e, in, lead); err != nil {
			return fmt.Errorf("聞き取り %d: %w", n+1, err)
		}
	}
	return nil
}

// witnessRecord saves the consultant's witness record of an internal
// audit through the store: the points of the visit on its day, the
// review of the report when the draft was read.
func (b *demoBuilder) witnessRecord(ctx context.Context, e Engagement, det *demoDetail, visit time.Time) error {
	if e.Kind != KindInternal || len(det.Witness) == 0 {
		return nil
	}
	points, err := WitnessPoints()
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, p := range points {
		known[p.Code] = true
	}
	for code := range det.Witness {
		if !known[code] {
			return fmt.Errorf("立会いの観点「%s」は witness_points.yaml にありません", code)
		}
	}
	var visitIn, reviewIn []WitnessInput
	for _, p := range points {
		w, ok := det.Witness[p.Code]
		if !ok {
			continue
		}
		in := WitnessInput{Point: p.Code, Rating: w[0], Comment: w[1], Advice: w[2]}
		if p.Code == "report_review" {
			reviewIn = append(reviewIn, in)
		} else {
			visitIn = append(visitIn, in)
		}
	}
	by := b.witness(e)
	if len(visitIn) > 0 {
		if _, err := b.at(day(visit, 0, 17, 10)).SaveWitness(ctx, e, visitIn, by); err != nil {
			return fmt.Errorf("立会いの記録: %w", err)
		}
	}
	if len(reviewIn) > 0 {
		if _, err := b.at(day(visit, 21, 15, 0)).SaveWitness(ctx, e, reviewIn, by); err != nil {
			return fmt.Errorf("立会いの記録（報告書のレビュー）: %w", err)
		}
	}
	return nil
}
