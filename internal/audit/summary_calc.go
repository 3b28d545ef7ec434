package audit

// This file computes the year's picture (Summary) from the internal
// audits' raw judgements, their findings and the improvement register, in
// a handful of queries: the engagements, every item of the year, every
// finding of the year, the counts per year, last year's follow-up, the
// register's actions and the stored countermeasures.
//
// Chapter: the part of an item's category before 「／」 (reportChapter),
// as the 監査報告書 counts it. Section: the part after 「／」 (e.g.
// 「人的セキュリティ／研修・訓練」 → 研修・訓練): an item cites several
// clause numbers, but it has exactly one category, so the section is
// unambiguous and matches the checklist's headings.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/improve"
	"mamori/internal/jp"
)

// summarySection is the part of a category after 「／」 ("" when none).
func summarySection(category string) string {
	c := strings.TrimSpace(category)
	for _, sep := range []string{"／", "/"} {
		if _, after, ok := strings.Cut(c, sep); ok {
			return strings.TrimSpace(after)
		}
	}
	return ""
}

// summaryItem is one checklist item of the year as Summarize reads it.
type summaryItem struct {
	engagement int64
	code       string
	category   string
	question   string
	judgement  string
	threats    []string
	clauses    []string
	order      int
	prev       string // 前年度の判定 (the department's previous audit)
}

// failed reports whether the judgement is 不適合 or 一部不適合.
func failed(judgement string) bool { return judgement == JudgePartial || judgement == JudgeNonconform }

// summaryFinding is one finding of the year as Summarize reads it.
type summaryFinding struct {
	id, engagement, dept      int64
	seq                       int
	typ, title, risk          string
	cause, recommendation     string
	itemCodes, clauses        []string
	code, chapter, department string // engagement code, derived chapter, department name
}

func (f summaryFinding) label() string {
	return fmt.Sprintf("%s %s%d", f.code, FindingTypeLabel(f.typ), f.seq)
}

// riskRank orders risks, highest first (unknown last).
func riskRank(r string) int {
	switch r {
	case "高":
		return 0
	case "中":
		return 1
	case "低":
		return 2
	}
	return 3
}

// Summarize computes the year's picture of fiscal year fy's internal
// audits (see Summary).
func (s *Store) Summarize(ctx context.Context, fy int) (Summary, error) {
	sum := Summary{FiscalYear: fy, Ward: s.org.WardName(ctx)}
	fail := func(err error) (Summary, error) { return sum, fmt.Errorf("audit.Summarize: %w", err) }

	tree, err := s.org.Departments(ctx)
	if err != nil {
		return fail(err)
	}
	deptRank := map[int64]int{}
	for i, d := range tree.Flat() {
		deptRank[d.ID] = i
	}
	deptName := func(id int64) string {
		if d, ok := tree.ByID[id]; ok {
			return d.Name
		}
		return ""
	}

	// 1. The engagements with their departments and whether their report
	// was issued.
	rows, err := s.db.Query(ctx, `SELECT e.id, e.code, e.phase, COALESCE(d.department_id, 0), COALESCE(r.version, 0), COALESCE(r.state, '')
		FROM audit_engagements e
		LEFT JOIN audit_engagement_departments d ON d.engagement_id = e.id
		LEFT JOIN audit_reports r ON r.engagement_id = e.id
		WHERE e.fiscal_year = ? AND e.kind = ? ORDER BY e.code, d.sort_order`, fy, string(KindInternal))
	if err != nil {
		return fail(err)
	}
	engIdx := map[int64]int{}
	engDept := map[int64]int64{} // the engagement's (first) audited department
	for rows.Next() {
		var se SummaryEngagement
		var dept int64
		var rs reportStatus
		if err := rows.Scan(&se.ID, &se.Code, &se.Phase, &dept, &rs.Version, &rs.State); err != nil {
			rows.Close()
			return fail(err)
		}
		if i, ok := engIdx[se.ID]; ok {
			if dept != 0 {
				sum.Engagements[i].Department += "・" + deptName(dept)
			}
			continue
		}
		se.Final = rs.Issued()
		se.Department = deptName(dept)
		engIdx[se.ID] = len(sum.Engagements)
		engDept[se.ID] = dept
		sum.Engagements = append(sum.Engagements, se)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail(err)
	}

	// 2. Every item of the year's internal audits.
	rows, err = s.db.Query(ctx, `SELECT i.engagement_id, i.code, i.category, i.question, i.judgement, i.threats, i.clauses, i.sort_order, i.prev_judgement
		FROM audit_items i JOIN audit_engagements e ON e.id = i.engagement_id
		WHERE e.fiscal_year = ? AND e.kind = ? AND NOT i.dropped ORDER BY e.code, i.sort_order`, fy, string(KindInternal))
	if err != nil {
		return fail(err)
	}
	var items []summaryItem
	for rows.Next() {
		var it summaryItem
		var threats, clauses string
		if err := rows.Scan(&it.engagement, &it.code, &it.category, &it.question, &it.judgement, &threats, &clauses, &it.order, &it.prev); err != nil {
			rows.Close()
			return fail(err)
		}
		it.threats, it.clauses = summaryList(threats), summaryList(clauses)
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail(err)
	}

	// The chapters and sections in the checklist's order: a chapter's
	// place is the lowest sort order of its items (the templates follow
	// the 対策基準).
	chapterAt := map[string]int{}
	type secKey struct{ ch, sec string }
	sectionAt := map[secKey]int{}
	for _, it := range items {
		ch, sec := reportChapter(it.category), summarySection(it.category)
		if at, ok := chapterAt[ch]; !ok || it.order < at {
			chapterAt[ch] = it.order
		}
		k := secKey{ch, sec}
		if at, ok := sectionAt[k]; !ok || it.order < at {
			sectionAt[k] = it.order
		}
	}
	for ch := range chapterAt {
		sum.Chapters = append(sum.Chapters, ch)
	}
	sort.Slice(sum.Chapters, func(i, j int) bool {
		a, b := sum.Chapters[i], sum.Chapters[j]
		if chapterAt[a] != chapterAt[b] {
			return chapterAt[a] < chapterAt[b]
		}
		return a < b
	})
	chIdx := map[string]int{}
	for i, ch := range sum.Chapters {
		chIdx[ch] = i
	}
	newRow := func() []ChapterResult {
		out := make([]ChapterResult, len(sum.Chapters))
		for i, ch := range sum.Chapters {
			out[i].Chapter = ch
		}
		return out
	}

	// Compliance per department, the ward and the sections.
	sum.WardTotal = newRow()
	sum.Total.Chapter = "合計"
	deptIdx := map[int64]int{}
	secIdx := map[secKey]int{}
	var secKeys []secKey
	for k := range sectionAt {
		secKeys = append(secKeys, k)
	}
	sort.Slice(secKeys, func(i, j int) bool {
		a, b := secKeys[i], secKeys[j]
		if chIdx[a.ch] != chIdx[b.ch] {
			return chIdx[a.ch] < chIdx[b.ch]
		}
		if sectionAt[a] != sectionAt[b] {
			return sectionAt[a] < sectionAt[b]
		}
		return a.sec < b.sec
	})
	for i, k := range secKeys {
		secIdx[k] = i
		sum.Sections = append(sum.Sections, SectionResult{Chapter: k.ch, Section: k.sec, Result: ChapterResult{Chapter: k.ch}})
	}
	for _, e := range sum.Engagements {
		dept := engDept[e.ID]
		if i, ok := deptIdx[dept]; ok {
			sum.Departments[i].Engagement += "・" + e.Code
			continue
		}
		deptIdx[dept] = len(sum.Departments)
		name := deptName(dept)
		if name == "" {
			name = "（所属未設定）"
		}
		sum.Departments = append(sum.Departments, DeptCompliance{DepartmentID: dept, Department: name, Engagement: e.Code,
			ByChapter: newRow(), Total: ChapterResult{Chapter: "合計"}})
	}
	itemsByCode := map[string][]summaryItem{}
	itemOf := map[int64]map[string]summaryItem{} // engagement → code → item
	for _, it := range items {
		ci := chIdx[reportChapter(it.category)]
		d := &sum.Departments[deptIdx[engDept[it.engagement]]]
		d.ByChapter[ci].add(it.judgement)
		d.Total.add(it.judgement)
		sum.WardTotal[ci].add(it.judgement)
		sum.Total.add(it.judgement)
		sum.Sections[secIdx[secKey{reportChapter(it.category), summarySection(it.category)}]].Result.add(it.judgement)
		itemsByCode[it.code] = append(itemsByCode[it.code], it)
		if itemOf[it.engagement] == nil {
			itemOf[it.engagement] = map[string]summaryItem{}
		}
		itemOf[it.engagement][it.code] = it
	}
	sort.SliceStable(sum.Departments, func(i, j int) bool {
		return deptRank[sum.Departments[i].DepartmentID] < deptRank[sum.Departments[j].DepartmentID]
	})
	sum.Changes = itemChanges(items, func(engagement int64) string { return deptName(engDept[engagement]) })

	// Recurring problems: an item failed in two departments or more.
	var codes []string
	for code := range itemsByCode {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	recurringOf := map[string]int{}
	for _, code := range codes {
		its := itemsByCode[code]
		seen := map[int64]bool{}
		var depts []int64
		for _, it := range its {
			if d := engDept[it.engagement]; failed(it.judgement) && !seen[d] {
				seen[d] = true
				depts = append(depts, d)
			}
		}
		if len(depts) < 2 {
			continue
		}
		sort.Slice(depts, func(i, j int) bool { return deptRank[depts[i]] < deptRank[depts[j]] })
		r := Recurring{ItemCode: code, Question: its[0].question, Chapter: reportChapter(its[0].category)}
		for _, d := range depts {
			r.Departments = append(r.Departments, sum.Departments[deptAt(sum.Departments, d)].Department)
		}
		sum.Recurring = append(sum.Recurring, r)
	}
	sort.SliceStable(sum.Recurring, func(i, j int) bool {
		a, b := sum.Recurring[i], sum.Recurring[j]
		if len(a.Departments) != len(b.Departments) {
			return len(a.Departments) > len(b.Departments)
		}
		if chIdx[a.Chapter] != chIdx[b.Chapter] {
			return chIdx[a.Chapter] < chIdx[b.Chapter]
		}
		return a.ItemCode < b.ItemCode
	})
	for i, r := range sum.Recurring {
		recurringOf[r.ItemCode] = i
	}

	// 3. The findings of the year.
	findings, err := s.summaryFindings(ctx, fy, deptName, itemOf, clauseChapters(items))
	if err != nil {
		return fail(err)
	}
	sum.Findings = findingStats(findings, sum.Chapters, itemOf)

	// 4. The register's actions of the year.
	var actions []improve.Action
	if s.reg != nil {
		if actions, _, err = s.reg.List(ctx, improve.Filter{FiscalYear: fy}); err != nil {
			return fail(err)
		}
	}
	byRef := map[string]improve.Action{}
	var articles map[string]string
	for _, a := range actions {
		if a.Source == improve.SourceAuditFinding && a.SourceModule == "audit" {
			byRef[a.SourceRef] = a
			continue
		}
		if a.Source != improve.SourceAuditFinding {
			ch := signalChapter(a.Clause+" "+a.Title, sum.Sections, sum.Chapters)
			if ch == "" && a.Clause != "" {
				if articles == nil {
					if articles, err = s.wardArticleChapters(ctx); err != nil {
						return fail(err)
					}
				}
				ch = articleChapter(a.Clause, articles, sum.Chapters)
			}
			sum.Signals = append(sum.Signals, Signal{Source: a.Source.Label(), Title: a.Title, Clause: a.Clause, Chapter: ch})
		}
	}

	// 5. The stored countermeasures, then the problems.
	ed, err := s.SummaryEdits(ctx, fy)
	if err != nil {
		return fail(err)
	}
	sum.Problems = buildProblems(sum, findings, itemsByCode, recurringOf, byRef, ed.Countermeasures, chIdx)

	// 6. The years, 7. last year's follow-up.
	if sum.Years, err = s.summaryYears(ctx, sum.Chapters, chIdx); err != nil {
		return fail(err)
	}
	if sum.FollowUp, err = s.summaryFollowUp(ctx, fy-1); err != nil {
		return fail(err)
	}
	return sum, nil
}

// deptAt is the index of department id in ds.
func deptAt(ds []DeptCompliance, id int64) int {
	for i, d := range ds {
		if d.DepartmentID == id {
			return i
		}
	}
	return 0
}

// summaryList splits a comma or newline list, dropping empties.
func summaryList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '、' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// clauseChapters maps the clause each item cites first to the item's
// chapter (the first item citing it wins), for findings that name clauses
// but no item of the checklist.
func clauseChapters(items []summaryItem) map[string]string {
	out := map[string]string{}
	for _, it := range items {
		if len(it.clauses) == 0 {
			continue
		}
		if _, ok := out[it.clauses[0]]; !ok {
			out[it.clauses[0]] = reportChapter(it.category)
		}
	}
	return out
}

// summaryFindings reads the year's findings of internal audits with the
// chapter of each: the chapter of its first item (the checklist says
// where the item belongs), else of the first of its clauses that an item
// checklist cites first, else 「（区分なし）」.
func (s *Store) summaryFindings(ctx context.Context, fy int, deptName func(int64) string, itemOf map[int64]map[string]summaryItem, byClause map[string]string) ([]summaryFinding, error) {
	rows, err := s.db.Query(ctx, `SELECT f.id, f.engagement_id, e.code, f.seq, f.type, f.title, COALESCE(f.department_id, 0), f.item_codes, f.clauses,
		f.cause, f.recommendation, f.risk
		FROM audit_findings f JOIN audit_engagements e ON e.id = f.engagement_id
		WHERE e.fiscal_year = ? AND e.kind = ? ORDER BY e.code, f.seq`, fy, string(KindInternal))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []summaryFinding
	for rows.Next() {
		var f summaryFinding
		var codes, clauses string
		if err := rows.Scan(&f.id, &f.engagement, &f.code, &f.seq, &f.typ, &f.title, &f.dept, &codes, &clauses, &f.cause, &f.recommendation, &f.risk); err != nil {
			return nil, err
		}
		f.itemCodes, f.clauses = summaryList(codes), summaryList(clauses)
		f.department = deptName(f.dept)
		f.chapter = "（区分なし）"
		for _, c := range f.itemCodes {
			if it, ok := itemOf[f.engagement][c]; ok {
				f.chapter = reportChapter(it.category)
				break
			}
		}
		if f.chapter == "（区分なし）" {
			for _, c := range f.clauses {
				if ch, ok := byClause[c]; ok {
					f.chapter = ch
					break
				}
			}
		}
		if !FindingRegistered(f.typ) {
			f.risk = ""
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// findingStats counts the findings by type, risk (指摘事項 and 改善提言),
// chapter, threat tag of their items and department.
func findingStats(fs []summaryFinding, chapters []string, itemOf map[int64]map[string]summaryItem) FindingStats {
	st := FindingStats{Total: len(fs)}
	for _, t := range FindingTypes {
		n := 0
		for _, f := range fs {
			if f.typ == t.Code {
				n++
			}
		}
		st.ByType = append(st.ByType, Count{Label: t.Label, N: n})
	}
	for _, r := range FindingRisks {
		n := 0
		for _, f := range fs {
			if f.risk == r {
				n++
			}
		}
		st.ByRisk = append(st.ByRisk, Count{Label: r, N: n})
	}
	byChapter := map[string]int{}
	byThreat := map[string]int{}
	byDept := map[string]int{}
	var deptOrder []string
	for _, f := range fs {
		byChapter[f.chapter]++
		tags := map[string]bool{}
		for _, c := range f.itemCodes {
			for _, t := range itemOf[f.engagement][c].threats {
				tags[t] = true
			}
		}
		for t := range tags {
			byThreat[t]++
		}
		name := f.department
		if name == "" {
			name = "（所属未設定）"
		}
		if byDept[name] == 0 {
			deptOrder = append(deptOrder, name)
		}
		byDept[name]++
	}
	for _, ch := range append(append([]string{}, chapters...), "（区分なし）") {
		if n := byChapter[ch]; n > 0 {
			st.ByChapter = append(st.ByChapter, Count{Label: ch, N: n})
		}
	}
	for _, t := range catalog.ThreatOrder {
		if n := byThreat[t]; n > 0 {
			st.ByThreat = append(st.ByThreat, Count{Label: catalog.Threats[t], N: n})
		}
	}
	for _, d := range deptOrder {
		st.ByDepartment = append(st.ByDepartment, Count{Label: d, N: byDept[d]})
	}
	return st
}

// signalChapter places a register action among the chapters: the chapter
// whose section (or the chapter itself) the clause or title names; ""
// when none does.
func signalChapter(text string, secs []SectionResult, chapters []string) string {
	key := jp.Key(text)
	best, bestLen := "", 0
	for _, s := range secs {
		if k := jp.Key(s.Section); k != "" && strings.Contains(key, k) && len(k) > bestLen {
			best, bestLen = s.Chapter, len(k)
		}
	}
	if best != "" {
		return best
	}
	for _, ch := range chapters {
		if k := jp.Key(ch); k != "" && strings.Contains(key, k) && len(k) > bestLen {
			best, bestLen = ch, len(k)
		}
	}
	return best
}

// wardArticleRe finds the articles a clause names: 「対策基準 第32条（…）」.
var wardArticleRe = regexp.MustCompile(`第([0-9０-９]+)条`)

// wardArticleChapters maps the ward's 対策基準 articles (「第32条」) to the
// title of the guideline chapter the catalogue maps them to (the ward
// policy's framework, hinode-policy, mapped to mic-policy: 「6.1」 → 第6章
// 「技術的セキュリティ」).
func (s *Store) wardArticleChapters(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.Query(ctx, `SELECT w.number, ch.title FROM clause_mappings m
		JOIN clauses w ON w.id = m.from_clause_id JOIN frameworks fw ON fw.id = w.framework_id
		JOIN clauses c ON c.id = m.to_clause_id JOIN frameworks fc ON fc.id = c.framework_id
		JOIN clauses ch ON ch.framework_id = c.framework_id AND ch.parent_id IS NULL
			AND (c.number = ch.number OR c.number LIKE ch.number || '.%')
		WHERE fw.code = 'hinode-policy' AND fc.code = 'mic-policy' ORDER BY fc.version, c.number`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var number, title string
		if err := rows.Scan(&number, &title); err != nil {
			return nil, err
		}
		if m := wardArticleRe.FindStringSubmatch(number); m != nil && strings.HasPrefix(number, "第") {
			if _, ok := out[m[1]]; !ok {
				out[m[1]] = title
			}
		}
	}
	return out, rows.Err()
}

// articleChapter is the year's chapter of the first 対策基準 article clause
// names, by the catalogue's mapping; "" when none is among the chapters.
func articleChapter(clause string, articles map[string]string, chapters []string) string {
	for _, m := range wardArticleRe.FindAllStringSubmatch(jp.Key(clause), -1) {
		title := jp.Key(articles[m[1]])
		if title == "" {
			continue
		}
		for _, ch := range chapters {
			if jp.Key(ch) == title {
				return ch
			}
		}
	}
	return ""
}

// statusRank orders register statuses, least advanced first.
func statusRank(st improve.Status) int {
	for i, s := range improve.Statuses {
		if s == st {
			return i
		}
	}
	return len(improve.Statuses)
}

// buildProblems groups the problems of the year: one per recurring item
// (with the findings on it), one per other 指摘事項 or 改善提言; worst first.
func buildProblems(sum Summary, fs []summaryFinding, itemsByCode map[string][]summaryItem, recurringOf map[string]int,
	byRef map[string]improve.Action, overrides map[string]string, chIdx map[string]int) []Problem {
	type group struct {
		p        Problem
		findings []summaryFinding
		nonconf  bool
		deptIDs  map[string]bool
	}
	var groups []*group
	byRecurring := map[int]*group{}
	for i, r := range sum.Recurring {
		g := &group{p: Problem{Key: r.ItemCode, Chapter: r.Chapter, Description: r.Question, Recurring: true,
			Sources: []string{"チェックリスト " + r.ItemCode}}, deptIDs: map[string]bool{}}
		g.p.Departments = append(g.p.Departments, r.Departments...)
		for _, d := range r.Departments {
			g.deptIDs[d] = true
		}
		for _, it := range itemsByCode[r.ItemCode] {
			if it.judgement == JudgeNonconform {
				g.nonconf = true
			}
		}
		byRecurring[i] = g
		groups = append(groups, g)
	}
	for _, f := range fs {
		if !FindingRegistered(f.typ) {
			continue
		}
		var g *group
		for _, c := range f.itemCodes {
			if i, ok := recurringOf[c]; ok {
				g = byRecurring[i]
				break
			}
		}
		if g == nil {
			g = &group{p: Problem{Key: findingRef(f.id), Chapter: f.chapter, Description: f.title}, deptIDs: map[string]bool{}}
			groups = append(groups, g)
		}
		if g.p.Recurring && len(g.findings) == 0 {
			g.p.Description = f.title // shorter than the item's question, and says what was found
		}
		g.findings = append(g.findings, f)
		g.p.Sources = append(g.p.Sources, f.label())
		if f.department != "" && !g.deptIDs[f.department] {
			g.deptIDs[f.department] = true
			g.p.Departments = append(g.p.Departments, f.department)
		}
	}
	var out []Problem
	for _, g := range groups {
		p := g.p
		var causes, recs, owners []string
		var worst improve.Status
		var due string
		var dueKey string
		registered := false
		for _, f := range g.findings {
			if p.Risk == "" || riskRank(f.risk) < riskRank(p.Risk) {
				p.Risk = f.risk
			}
			if c := strings.TrimSpace(f.cause); c != "" && !contains(causes, c) {
				causes = append(causes, c)
			}
			if r := strings.TrimSpace(f.recommendation); r != "" && !contains(recs, r) {
				recs = append(recs, r)
			}
			a, ok := byRef[findingRef(f.id)]
			if !ok {
				continue
			}
			if !registered || statusRank(a.Status) < statusRank(worst) {
				worst = a.Status
			}
			registered = true
			if a.Owner != "" && !contains(owners, a.Owner) {
				owners = append(owners, a.Owner)
			}
			if !a.Due.IsZero() && (dueKey == "" || jp.DateKey(a.Due) < dueKey) {
				dueKey, due = jp.DateKey(a.Due), a.DueWareki()
			}
		}
		if p.Risk == "" {
			// A recurring item without a finding: 高 when an item was
			// judged 不適合, else 中.
			p.Risk = "中"
			if g.nonconf {
				p.Risk = "高"
			}
		}
		p.Cause = strings.Join(causes, "\n")
		p.Proposed = strings.Join(recs, "\n")
		p.Countermeasure = p.Proposed
		if o := strings.TrimSpace(overrides[p.Key]); o != "" {
			p.Countermeasure, p.Edited = o, true
		}
		p.Owner = strings.Join(owners, "・")
		p.Due = due
		if registered {
			p.Status = worst.Label()
		} else {
			p.Status = "台帳未登録"
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if riskRank(a.Risk) != riskRank(b.Risk) {
			return riskRank(a.Risk) < riskRank(b.Risk)
		}
		if len(a.Departments) != len(b.Departments) {
			return len(a.Departments) > len(b.Departments)
		}
		if chIdx[a.Chapter] != chIdx[b.Chapter] {
			return chIdx[a.Chapter] < chIdx[b.Chapter]
		}
		return a.Key < b.Key
	})
	for i := range out {
		out[i].ID = fmt.Sprintf("P-%02d", i+1)
	}
	return out
}

// summaryYears counts every year's internal-audit judgements by chapter
// (one grouped query), oldest first; chapters not among this year's are
// counted in the total only.
func (s *Store) summaryYears(ctx context.Context, chapters []string, chIdx map[string]int) ([]YearResult, error) {
	rows, err := s.db.Query(ctx, `SELECT e.fiscal_year, i.category, i.judgement, COUNT(*)
		FROM audit_items i JOIN audit_engagements e ON e.id = i.engagement_id
		WHERE e.kind = ? AND NOT i.dropped GROUP BY e.fiscal_year, i.category, i.judgement ORDER BY e.fiscal_year`, string(KindInternal))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []YearResult
	for rows.Next() {
		var fy, n int
		var category, judgement string
		if err := rows.Scan(&fy, &category, &judgement, &n); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].FiscalYear != fy {
			y := YearResult{FiscalYear: fy, Total: ChapterResult{Chapter: "合計"}, ByChapter: make([]ChapterResult, len(chapters))}
			for i, ch := range chapters {
				y.ByChapter[i].Chapter = ch
			}
			out = append(out, y)
		}
		y := &out[len(out)-1]
		ci, ok := chIdx[reportChapter(category)]
		for range n {
			y.Total.add(judgement)
			if ok {
				y.ByChapter[ci].add(judgement)
			}
		}
	}
	return out, rows.Err()
}

// summaryFollowUp is how far fiscal year ly's 指摘事項 and 改善提言 of internal
// audits were followed up: the auditors' verdicts; when that year has no
// findings in the audit module (the year before Mamori), its audit
// actions in the register (確認済 counts as 改善済, 完了 and 対応中 as
// 一部改善, 未着手 as 未改善).
func (s *Store) summaryFollowUp(ctx context.Context, ly int) (FollowUpStats, error) {
	st := FollowUpStats{LastYear: ly}
	rows, err := s.db.Query(ctx, `SELECT f.followup_verdict, COUNT(*) FROM audit_findings f JOIN audit_engagements e ON e.id = f.engagement_id
		WHERE e.fiscal_year = ? AND e.kind = ? AND f.type IN (?, ?) GROUP BY f.followup_verdict`, ly, string(KindInternal), FindingFinding, FindingRecommendation)
	if err != nil {
		return st, err
	}
	for rows.Next() {
		var v string
		var n int
		if err := rows.Scan(&v, &n); err != nil {
			rows.Close()
			return st, err
		}
		st.Findings += n
		switch v {
		case VerdictImproved:
			st.Improved += n
		case VerdictPartly:
			st.Partly += n
		default:
			st.NotYet += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, err
	}
	if st.Findings == 0 {
		rows, err := s.db.Query(ctx, `SELECT status, COUNT(*) FROM improvement_actions WHERE fiscal_year = ? AND source = ? GROUP BY status`,
			ly, string(improve.SourceAuditFinding))
		if err != nil {
			return st, err
		}
		for rows.Next() {
			var v string
			var n int
			if err := rows.Scan(&v, &n); err != nil {
				rows.Close()
				return st, err
			}
			st.Findings += n
			switch improve.Status(v) {
			case improve.StatusVerified:
				st.Improved += n
			case improve.StatusDone, improve.StatusInProgress:
				st.Partly += n
			default:
				st.NotYet += n
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return st, err
		}
	}
	if st.Findings > 0 {
		st.Completed = float64(st.Improved) * 100 / float64(st.Findings)
	}
	return st, nil
}

// SummaryEdits is what a person writes in the 内部監査全体報告書 of a
// fiscal year (audit_summaries); Rev 0 means nothing was saved yet.
type SummaryEdits struct {
	FiscalYear      int
	Overall         string // 総括所見
	Operations      string // 内部監査の運営に関する所見
	Advice          string // 来年度に向けた助言
	Countermeasures map[string]string
	Rev             int64
	UpdatedBy       string
	UpdatedAt       time.Time
}

// SummaryEdits reads fiscal year fy's written parts (empty when none).
func (s *Store) SummaryEdits(ctx context.Context, fy int) (SummaryEdits, error) {
	ed := SummaryEdits{FiscalYear: fy, Countermeasures: map[string]string{}}
	var cm string
	var at database.Time
	err := s.db.QueryRow(ctx, `SELECT overall, operations, advice, countermeasures, rev, updated_by_name, updated_at
		FROM audit_summaries WHERE fiscal_year = ?`, fy).Scan(&ed.Overall, &ed.Operations, &ed.Advice, &cm, &ed.Rev, &ed.UpdatedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return ed, nil
	}
	ed.UpdatedAt = at.Time
	if err != nil {
		return ed, fmt.Errorf("audit.SummaryEdits: %w", err)
	}
	if cm != "" {
		_ = json.Unmarshal([]byte(cm), &ed.Countermeasures) // a damaged value reads as none
	}
	if ed.Countermeasures == nil {
		ed.Countermeasures = map[string]string{}
	}
	return ed, nil
}

// itemChanges compares the year's judgements with the departments'
// previous audits (the items' 前年度の判定, carried forward when the
// programme was copied): items judged both times, and those that went
// from 一部不適合・不適合 to 適合 and back, in the checklist's order.
func itemChanges(items []summaryItem, dept func(engagement int64) string) Changes {
	var c Changes
	for _, it := range items {
		if it.prev == "" || it.prev == JudgeNA || it.judgement == "" || it.judgement == JudgeNA {
			continue
		}
		c.Compared++
		ch := ItemChange{ItemCode: it.code, Question: it.question, Chapter: reportChapter(it.category), Department: dept(it.engagement),
			Before: it.prev, After: it.judgement}
		switch {
		case judgementRank(it.judgement) < judgementRank(it.prev):
			c.Improved = append(c.Improved, ch)
		case judgementRank(it.judgement) > judgementRank(it.prev):
			c.Worse = append(c.Worse, ch)
		}
	}
	return c
}

// judgementRank orders the judgements from 適合 (0) to 不適合 (2).
func judgementRank(j string) int {
	switch j {
	case JudgePartial:
		return 1
	case JudgeNonconform:
		return 2
	}
	return 0
}
