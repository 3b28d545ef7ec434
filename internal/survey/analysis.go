package survey

// This file is the analysis of a campaign's responses (issue 12 「Analysis
// and report」): the understanding index overall, per risk domain, per
// audience and per department; practice rates per clause; Likert and
// choice distributions; the weakest questions with the wrong options
// chosen most; department comparison as a distribution; and the
// comparison with last year's campaign. Every group shown has at least
// MinGroup respondents: smaller departments are merged into the
// department above, or into 「その他（少人数の所属）」.
//
// The responses are read with one query and their answers decoded in Go
// (eachAnswer), so 5,000 × 60 answers take well under half a second.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"mamori/internal/catalog"
	"mamori/internal/org"
)

// OtherGroup names the group of departments too small to show even after
// merging upward.
const OtherGroup = "その他（少人数の所属）"

// Thresholds of a weak domain: its index is this many points below the
// overall one, or below WeakBelow.
const (
	WeakGap   = 10.0
	WeakBelow = 60.0
)

// maxWeakest is how many of the weakest knowledge questions are listed.
const maxWeakest = 10

// Score counts knowledge answers and the right ones among them.
type Score struct {
	Correct  int
	Answered int
}

func (s *Score) add(o Score) { s.Correct += o.Correct; s.Answered += o.Answered }

func (s *Score) count(right bool) {
	s.Answered++
	if right {
		s.Correct++
	}
}

// Index is the understanding index: the share of answers that were right,
// 0–100 (NaN without answers).
func (s Score) Index() float64 {
	if s.Answered == 0 {
		return math.NaN()
	}
	return 100 * float64(s.Correct) / float64(s.Answered)
}

// Has reports whether there is anything to show.
func (s Score) Has() bool { return s.Answered > 0 }

// Label is the index as pages print it, one decimal: 「72.4」 (「－」 without
// answers).
func (s Score) Label() string { return indexLabel(s.Index()) }

func indexLabel(v float64) string {
	if math.IsNaN(v) {
		return "－"
	}
	return fmt.Sprintf("%.1f", v)
}

// pointsLabel is a difference in points with its sign: 「+3.2」「－12.0」.
func pointsLabel(v float64) string {
	switch {
	case math.IsNaN(v):
		return "－"
	case v >= 0.05:
		return fmt.Sprintf("+%.1f", v)
	case v <= -0.05:
		return fmt.Sprintf("−%.1f", -v)
	}
	return "±0.0"
}

// percentLabel is a share (0–1) as a percentage, one decimal: 「45.0%」.
func percentLabel(v float64) string {
	if math.IsNaN(v) {
		return "－"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

// AudienceResult is one audience's respondents and understanding.
type AudienceResult struct {
	Audience    string
	Label       string
	Invited     int
	Respondents int
	// Shown: at least MinGroup respondents; a smaller audience's figures
	// are left out (its respondents still count overall).
	Shown   bool
	Score   Score
	Domains []Score // aligned with Analysis.Domains
}

// Rate is the audience's response rate (0–1).
func (a AudienceResult) Rate() float64 {
	if a.Invited == 0 {
		return math.NaN()
	}
	return float64(a.Respondents) / float64(a.Invited)
}

// RateLabel is the response rate as a percentage.
func (a AudienceResult) RateLabel() string { return percentLabel(a.Rate()) }

// DomainResult is the understanding of one risk domain.
type DomainResult struct {
	Code      string
	Label     string
	Questions int // knowledge questions of the domain that were answered
	Score     Score
	// Last is the domain's score in last year's campaign (Answered 0: none).
	Last Score
	// Gap is the index minus the overall index, in points.
	Gap  float64
	Weak bool
}

// Change is the index now minus last year's, in points (NaN: no comparison).
func (d DomainResult) Change() float64 {
	if !d.Last.Has() || !d.Score.Has() {
		return math.NaN()
	}
	return d.Score.Index() - d.Last.Index()
}

// GapLabel is the difference from the overall index.
func (d DomainResult) GapLabel() string { return pointsLabel(d.Gap) }

// ChangeLabel is the change from last year.
func (d DomainResult) ChangeLabel() string { return pointsLabel(d.Change()) }

// GroupResult is one department as the analysis shows it: a department of
// at least MinGroup respondents, with the small departments below it that
// were merged into it, or the group of the rest (OtherGroup).
type GroupResult struct {
	DepartmentID int64 // 0: OtherGroup
	Label        string
	Merged       int // small departments counted in this group
	Respondents  int
	Score        Score
	Audiences    []GroupAudience
}

// GroupAudience is one audience within a department group; it is shown
// only with at least MinGroup respondents.
type GroupAudience struct {
	Audience    string
	Label       string
	Respondents int
	Shown       bool
	Score       Score
}

// MergeNote says how small departments were handled, for the report.
type MergeNote struct {
	Departments int // departments with fewer than MinGroup respondents, merged
	Respondents int // their respondents
	// Other and OtherRespondents are those of them that went into
	// OtherGroup (no department above had enough).
	Other            int
	OtherRespondents int
	// Unassigned are respondents without a department of the tree (the
	// roster had none, or it was removed since); they are in OtherGroup.
	Unassigned int
	// OtherHidden: OtherGroup itself had fewer than MinGroup respondents
	// and is not shown (they count in the overall figures only).
	OtherHidden bool
}

// Any reports whether any department was merged.
func (n MergeNote) Any() bool { return n.Departments > 0 }

// Sentence is the note as pages print it (です・ます).
func (n MergeNote) Sentence() string { return n.sentence(true) }

// Plain is the note as the report prints it (である).
func (n MergeNote) Plain() string { return n.sentence(false) }

func (n MergeNote) sentence(polite bool) string {
	end := func(p, plain string) string {
		if polite {
			return p
		}
		return plain
	}
	var s string
	if !n.Any() {
		s = fmt.Sprintf("回答者が %d 人未満の所属は%s。", MinGroup, end("ありませんでした", "なかった"))
	} else {
		s = fmt.Sprintf("回答者が %d 人未満の %d 所属（回答者 %d 人）は、上位の所属に合算%s", MinGroup, n.Departments, n.Respondents, end("しました", "した"))
		if n.Other > 0 {
			s += fmt.Sprintf("（うち %d 所属 %d 人は、上位の所属でも %d 人に満たないため「%s」に含めた）", n.Other, n.OtherRespondents, MinGroup, OtherGroup)
		}
		s += "。"
	}
	if n.Unassigned > 0 {
		s += fmt.Sprintf("所属の記録がない回答 %d 件は「%s」に含めて%s。", n.Unassigned, OtherGroup, end("います", "いる"))
	}
	if n.OtherHidden {
		s += fmt.Sprintf("「%s」は %d 人未満のため表示せず、全体の集計にのみ含めて%s。", OtherGroup, MinGroup, end("います", "いる"))
	}
	return s
}

// Distribution summarises values 0–100: quartiles and a histogram of ten
// bins (0–10, 10–20, …, 90–100; 100 falls in the last).
type Distribution struct {
	N                        int
	Min, Q1, Median, Q3, Max float64
	Bins                     [10]int
}

// BinLabels name the histogram's bins.
func (Distribution) BinLabels() []string {
	out := make([]string, 10)
	for i := range out {
		out[i] = fmt.Sprintf("%d–%d", i*10, i*10+10)
	}
	return out
}

// Label formats one of the quartiles.
func (Distribution) Label(v float64) string { return indexLabel(v) }

func distribution(vs []float64) Distribution {
	d := Distribution{N: len(vs)}
	if len(vs) == 0 {
		d.Min, d.Q1, d.Median, d.Q3, d.Max = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
		return d
	}
	s := slices.Sorted(slices.Values(vs))
	q := func(p float64) float64 { // linear interpolation between closest ranks
		h := p * float64(len(s)-1)
		lo := int(math.Floor(h))
		if lo+1 >= len(s) {
			return s[len(s)-1]
		}
		return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
	}
	d.Min, d.Q1, d.Median, d.Q3, d.Max = s[0], q(0.25), q(0.5), q(0.75), s[len(s)-1]
	for _, v := range vs {
		d.Bins[min(9, max(0, int(v/10)))]++
	}
	return d
}

// QuestionResult is one question's answers.
type QuestionResult struct {
	Question Question
	Answered int
	// Counts are how often each choice (option or scale point, in order)
	// was picked; a multiple choice counts every pick.
	Counts  []int
	Correct int // knowledge: right answers
	// Rate is the question's figure (0–1): knowledge, the share right;
	// practice, the practice rate (実施している 1, 一部実施 0.5, 実施して
	// いない 0, 該当しない left out); Likert, the share agreeing (そう思う
	// and ややそう思う). NaN for other kinds or without answers.
	Rate float64
	// Wrong are a knowledge question's wrong options that were picked,
	// most picked first.
	Wrong []WrongOption
}

// WrongOption is a wrong option and how many picked it.
type WrongOption struct {
	N     int // 1-based option number
	Text  string
	Count int
	Share float64 // of those who answered the question
}

// ShareLabel is the share as a percentage.
func (w WrongOption) ShareLabel() string { return percentLabel(w.Share) }

// RateLabel is the question's figure as a percentage.
func (q QuestionResult) RateLabel() string { return percentLabel(q.Rate) }

// Share is choice i's (0-based) share of the answers.
func (q QuestionResult) Share(i int) float64 {
	if q.Answered == 0 || i >= len(q.Counts) {
		return math.NaN()
	}
	return float64(q.Counts[i]) / float64(q.Answered)
}

// Choices pairs each choice with its count and share, for pages.
func (q QuestionResult) Choices() []ChoiceCount {
	cs := q.Question.Choices()
	out := make([]ChoiceCount, 0, len(cs))
	for i, c := range cs {
		n := 0
		if i < len(q.Counts) {
			n = q.Counts[i]
		}
		out = append(out, ChoiceCount{N: i + 1, Text: c, Count: n, Share: q.Share(i), Correct: q.Question.Scored() && q.Question.IsCorrectOption(i+1)})
	}
	return out
}

// ChoiceCount is one choice of a question with its count.
type ChoiceCount struct {
	N       int
	Text    string
	Count   int
	Share   float64
	Correct bool
}

// ShareLabel is the share as a percentage.
func (c ChoiceCount) ShareLabel() string { return percentLabel(c.Share) }

// ClauseResult is the practice rate of the practice questions tagged with
// one clause.
type ClauseResult struct {
	Clause    string // framework:number
	Label     string // 「区のポリシー 対策基準第19条」
	Title     string // the clause's title, when the catalogue has it
	Questions int
	Answers   int // answers counted (該当しない left out)
	sum       float64
}

// Rate is the practice rate (0–1).
func (c ClauseResult) Rate() float64 {
	if c.Answers == 0 {
		return math.NaN()
	}
	return c.sum / float64(c.Answers)
}

// RateLabel is the practice rate as a percentage.
func (c ClauseResult) RateLabel() string { return percentLabel(c.Rate()) }

// SourceCounts are responses by how they came in.
type SourceCounts struct{ Web, Link, Import int }

// LastYear is last year's campaign the analysis compares with.
type LastYear struct {
	Campaign    Campaign
	Respondents int
	Overall     Score
}

// Analysis is a campaign's results: what the results page, the reports and
// the improvement register read.
type Analysis struct {
	Campaign    Campaign
	Ward        string
	Generated   time.Time
	Invited     int
	Respondents int
	// Shown: at least MinGroup respondents. With fewer, nothing but the
	// counts is shown.
	Shown      bool
	Overall    Score
	Audiences  []AudienceResult
	Domains    []DomainResult
	Groups     []GroupResult // departments in the order of the organisation, OtherGroup last
	Merge      MergeNote
	DeptDist   Distribution // of the groups' indexes
	PersonDist Distribution // of the respondents' own indexes
	Questions  []QuestionResult
	Weakest    []QuestionResult
	Clauses    []ClauseResult
	Last       *LastYear
	// Targets names the departments the campaign went to (「全庁」).
	Targets string
	// Sources counts the responses by how they came in.
	Sources SourceCounts
	// allQuestions are the questions listed, kept when the results are
	// hidden (the raw answers still have their columns).
	allQuestions []Question
	// groupOf maps a department (0: none) to the group label its
	// respondents are shown under ("" : hidden with a too small その他).
	groupOf map[int64]string
}

// Rate is the response rate (0–1).
func (a *Analysis) Rate() float64 {
	if a.Invited == 0 {
		return math.NaN()
	}
	return float64(a.Respondents) / float64(a.Invited)
}

// RateLabel is the response rate as a percentage.
func (a *Analysis) RateLabel() string { return percentLabel(a.Rate()) }

// WeakDomains are the domains whose index is WeakGap points below the
// overall one or below WeakBelow, weakest first.
func (a *Analysis) WeakDomains() []DomainResult {
	var out []DomainResult
	for _, d := range a.Domains {
		if d.Weak {
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score.Index() < out[j].Score.Index() })
	return out
}

// Domain returns the result of domain code.
func (a *Analysis) Domain(code string) (DomainResult, bool) {
	for _, d := range a.Domains {
		if d.Code == code {
			return d, true
		}
	}
	return DomainResult{}, false
}

// OfKind lists the results of the questions of one kind.
func (a *Analysis) OfKind(kind string) []QuestionResult {
	var out []QuestionResult
	for _, q := range a.Questions {
		if q.Question.Kind == kind {
			out = append(out, q)
		}
	}
	return out
}

// GroupOf is the department label a response of department dept is shown
// under in anonymous exports: the department itself, the department above
// it that it was merged into, OtherGroup, or "" when even OtherGroup is too
// small to show.
func (a *Analysis) GroupOf(dept int64) string { return a.groupOf[dept] }

// ---- the single pass over the answers ----

// aQuestion is a question prepared for counting.
type aQuestion struct {
	q       *Question
	res     *QuestionResult
	domain  int    // index into the domain tallies; -1: none
	auds    uint8  // audience bits
	correct uint16 // knowledge: the right options as bits (1 << n)
	n       int    // choices
	clauses []int  // indexes into the clause tallies
}

// groupTally is what a department's respondents add up to.
type groupTally struct {
	n      int
	audN   [3]int
	score  Score
	audSco [3]Score
}

func (g *groupTally) add(o *groupTally) {
	g.n += o.n
	g.score.add(o.score)
	for i := range g.audN {
		g.audN[i] += o.audN[i]
		g.audSco[i].add(o.audSco[i])
	}
}

// audienceBits are the audience codes of a response as bits (AudienceOrder).
func audienceBits(s []byte) uint8 {
	var m uint8
	for len(s) > 0 {
		var part []byte
		if i := indexByte(s, ','); i >= 0 {
			part, s = s[:i], s[i+1:]
		} else {
			part, s = s, nil
		}
		for i, a := range AudienceOrder {
			if string(part) == a {
				m |= 1 << i
			}
		}
	}
	return m
}

func indexByte(s []byte, c byte) int {
	for i, b := range s {
		if b == c {
			return i
		}
	}
	return -1
}

// choiceBits parses a stored choice answer ("2", "1,3") into bits 1 << n,
// refusing numbers outside 1..max.
func choiceBits(v []byte, max int) (uint16, bool) {
	var m uint16
	n, digits := 0, 0
	for i := 0; i <= len(v); i++ {
		if i == len(v) || v[i] == ',' {
			if digits == 0 || n < 1 || n > max || n > 15 {
				return 0, false
			}
			m |= 1 << n
			n, digits = 0, 0
			continue
		}
		c := v[i]
		if c == ' ' {
			continue
		}
		if c < '0' || c > '9' || digits > 2 {
			return 0, false
		}
		n = n*10 + int(c-'0')
		digits++
	}
	return m, true
}

// errAnswers is a stored answers object that is not one.
var errAnswers = errors.New("回答の記録を読み取れません")

// eachAnswer calls fn with each code and answer of a stored answers
// object ({"Q1":"2","Q2":"1,3",…}) without building a map. Answers are
// passed as stored in JSON: escapes (only free text has them) are left in.
func eachAnswer(b []byte, fn func(code, val []byte)) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errAnswers
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for {
		k, j, esc, ok := jsonString(b, i)
		if !ok {
			return errAnswers
		}
		if esc { // a code with an escaped character: decode it properly
			var s string
			if err := json.Unmarshal(b[i:j], &s); err != nil {
				return errAnswers
			}
			k = []byte(s)
		}
		i = skipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return errAnswers
		}
		i = skipSpace(b, i+1)
		v, j, _, ok := jsonString(b, i)
		if !ok {
			return errAnswers
		}
		fn(k, v)
		i = skipSpace(b, j)
		if i >= len(b) {
			return errAnswers
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return nil
		default:
			return errAnswers
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// jsonString reads the JSON string at b[i]: its raw contents, the index
// after its closing quote, and whether it has escapes.
func jsonString(b []byte, i int) (s []byte, next int, esc, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false, false
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			esc = true
			j++
		case '"':
			return b[i+1 : j], j + 1, esc, true
		}
	}
	return nil, 0, false, false
}

// answerTally is one campaign's counts, filled by count.
type answerTally struct {
	qs          []aQuestion
	byCode      map[string]int
	domains     []Score
	domainCodes []string
	audDomains  [3][]Score
	clauses     []ClauseResult
	respondents int
	audN        [3]int
	overall     Score
	audScore    [3]Score
	groups      map[int64]*groupTally
	persons     []float64
	sources     SourceCounts
}

// newAnswerTally prepares the questions of a campaign for counting: every
// question of its year (deactivated ones too: they may have answers).
func newAnswerTally(qs []Question) *answerTally {
	t := &answerTally{byCode: make(map[string]int, len(qs)), groups: map[int64]*groupTally{}}
	domIdx := map[string]int{}
	for _, d := range Domains {
		domIdx[d.Code] = len(t.domainCodes)
		t.domainCodes = append(t.domainCodes, d.Code)
	}
	clauseIdx := map[string]int{}
	t.qs = make([]aQuestion, len(qs))
	for i := range qs {
		q := &qs[i]
		aq := aQuestion{q: q, res: &QuestionResult{Question: *q, Rate: math.NaN()}, domain: -1, n: len(q.Choices())}
		aq.res.Counts = make([]int, aq.n)
		if q.Domain != "" {
			d, ok := domIdx[q.Domain]
			if !ok {
				d = len(t.domainCodes)
				domIdx[q.Domain] = d
				t.domainCodes = append(t.domainCodes, q.Domain)
			}
			aq.domain = d
		}
		for k, a := range AudienceOrder {
			if q.For(a) {
				aq.auds |= 1 << k
			}
		}
		for _, n := range q.Answer {
			if n >= 1 && n <= 15 {
				aq.correct |= 1 << n
			}
		}
		if q.Kind == KindPractice {
			for _, c := range q.Clauses {
				c = strings.TrimSpace(c)
				if c == "" {
					continue
				}
				ci, ok := clauseIdx[c]
				if !ok {
					ci = len(t.clauses)
					clauseIdx[c] = ci
					t.clauses = append(t.clauses, ClauseResult{Clause: c, Label: catalog.RefLabel(c)})
				}
				t.clauses[ci].Questions++
				aq.clauses = append(aq.clauses, ci)
			}
		}
		t.qs[i] = aq
		t.byCode[q.Code] = i
	}
	t.domains = make([]Score, len(t.domainCodes))
	for k := range t.audDomains {
		t.audDomains[k] = make([]Score, len(t.domainCodes))
	}
	return t
}

// practiceValue is what a practice answer counts for (choice 1-based);
// ok false for 該当しない.
func practiceValue(choice int) (float64, bool) {
	switch choice {
	case 1:
		return 1, true
	case 2:
		return 0.5, true
	case 3:
		return 0, true
	}
	return 0, false
}

// count adds one response.
func (t *answerTally) count(dept int64, auds uint8, answers []byte) error {
	g := t.groups[dept]
	if g == nil {
		g = &groupTally{}
		t.groups[dept] = g
	}
	t.respondents++
	g.n++
	for k := range AudienceOrder {
		if auds&(1<<k) != 0 {
			t.audN[k]++
			g.audN[k]++
		}
	}
	var own Score
	err := eachAnswer(answers, func(code, val []byte) {
		i, ok := t.byCode[string(code)]
		if !ok || len(val) == 0 {
			return
		}
		aq := &t.qs[i]
		r := aq.res
		if aq.q.Kind == KindText {
			r.Answered++
			return
		}
		bits, ok := choiceBits(val, aq.n)
		if !ok {
			return
		}
		if bits&(bits-1) != 0 && !aq.q.Multi() {
			return // several picks where one is allowed: not a valid answer
		}
		r.Answered++
		first := 0
		for n := 1; n <= aq.n; n++ {
			if bits&(1<<n) != 0 {
				r.Counts[n-1]++
				if first == 0 {
					first = n
				}
			}
		}
		switch aq.q.Kind {
		case KindKnowledge:
			right := bits == aq.correct
			if right {
				r.Correct++
			}
			own.count(right)
			g.score.count(right)
			if aq.domain >= 0 {
				t.domains[aq.domain].count(right)
			}
			for k := range AudienceOrder {
				if auds&aq.auds&(1<<k) != 0 {
					t.audScore[k].count(right)
					g.audSco[k].count(right)
					if aq.domain >= 0 {
						t.audDomains[k][aq.domain].count(right)
					}
				}
			}
		case KindPractice:
			if v, ok := practiceValue(first); ok {
				for _, ci := range aq.clauses {
					t.clauses[ci].Answers++
					t.clauses[ci].sum += v
				}
			}
		}
	})
	if err != nil {
		return err
	}
	t.overall.add(own)
	if own.Has() {
		t.persons = append(t.persons, own.Index())
	}
	return nil
}

// readResponses streams a campaign's responses into t with one query.
func (s *Store) readResponses(ctx context.Context, campaignID int64, t *answerTally) error {
	rows, err := s.db.Query(ctx, "SELECT id, COALESCE(department_id, 0), audiences, answers, source FROM survey_responses WHERE campaign_id = ?", campaignID)
	if err != nil {
		return err
	}
	defer rows.Close()
	var id, dept int64
	var auds, answers, source sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&id, &dept, &auds, &answers, &source); err != nil {
			return err
		}
		switch string(source) {
		case SourceLink:
			t.sources.Link++
		case SourceImport:
			t.sources.Import++
		default:
			t.sources.Web++
		}
		if err := t.count(dept, audienceBits(auds), answers); err != nil {
			return fmt.Errorf("回答 %d: %w", id, err)
		}
	}
	return rows.Err()
}

// Analyze reads campaign campaignID's responses and returns its analysis
// (with last year's campaign for comparison, when there is one).
func (s *Store) Analyze(ctx context.Context, campaignID int64) (*Analysis, error) {
	c, err := s.Campaign(ctx, campaignID)
	if err != nil {
		return nil, fmt.Errorf("survey.Analyze: %w", err)
	}
	a, err := s.analyze(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("survey.Analyze %s: %w", c.Code, err)
	}
	last, err := s.lastYearOf(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("survey.Analyze %s: %w", c.Code, err)
	}
	if last != nil {
		b, err := s.analyze(ctx, *last)
		if err != nil {
			return nil, fmt.Errorf("survey.Analyze %s: %w", last.Code, err)
		}
		if b.Shown {
			a.compare(b)
		}
	}
	a.markWeak()
	return a, nil
}

// lastYearOf is the campaign of the previous fiscal year to compare with:
// the latest one with responses (nil: none).
func (s *Store) lastYearOf(ctx context.Context, c Campaign) (*Campaign, error) {
	cs, err := s.Campaigns(ctx, c.FiscalYear-1)
	if err != nil {
		return nil, err
	}
	for _, p := range cs { // newest first
		if p.Answered > 0 && p.State != StateDraft {
			return &p, nil
		}
	}
	return nil, nil
}

// analyze is one campaign's analysis without comparison.
func (s *Store) analyze(ctx context.Context, c Campaign) (*Analysis, error) {
	qs, err := s.Questions(ctx, c.FiscalYear, true)
	if err != nil {
		return nil, err
	}
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	t := newAnswerTally(qs)
	if err := s.readResponses(ctx, c.ID, t); err != nil {
		return nil, err
	}
	a := &Analysis{Campaign: c, Ward: s.org.WardName(ctx), Generated: s.now(), Invited: c.Invited, Respondents: t.respondents,
		Shown: t.respondents >= MinGroup, Overall: t.overall, Targets: targetLabel(tree, c), Sources: t.sources}
	invited, err := s.invitedByAudience(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	// Audiences: the campaign's, and any other a response carries.
	for k, code := range AudienceOrder {
		if !slices.Contains(c.Audiences, code) && t.audN[k] == 0 {
			continue
		}
		ar := AudienceResult{Audience: code, Label: AudienceLabel(code), Invited: invited[k], Respondents: t.audN[k]}
		ar.Shown = ar.Respondents >= MinGroup
		if ar.Shown {
			ar.Score = t.audScore[k]
		}
		a.Audiences = append(a.Audiences, ar)
	}
	// Domains with answered knowledge questions, in report order.
	nq := make([]int, len(t.domainCodes))
	for _, aq := range t.qs {
		if aq.q.Kind == KindKnowledge && aq.domain >= 0 && aq.res.Answered > 0 {
			nq[aq.domain]++
		}
	}
	var domIdx []int
	for i, code := range t.domainCodes {
		if t.domains[i].Has() {
			a.Domains = append(a.Domains, DomainResult{Code: code, Label: DomainLabel(code), Questions: nq[i], Score: t.domains[i], Gap: math.NaN()})
			domIdx = append(domIdx, i)
		}
	}
	for k := range a.Audiences {
		ar := &a.Audiences[k]
		ar.Domains = make([]Score, len(domIdx))
		if !ar.Shown {
			continue
		}
		ak := slices.Index(AudienceOrder, ar.Audience)
		for j, i := range domIdx {
			ar.Domains[j] = t.audDomains[ak][i]
		}
	}
	// Questions: those of the campaign's audiences that are active, and
	// any other that was answered.
	for _, aq := range t.qs {
		r := aq.res
		asked := false
		for _, au := range c.Audiences {
			asked = asked || aq.q.For(au)
		}
		if !(asked && aq.q.Active) && r.Answered == 0 {
			continue
		}
		finishQuestion(r)
		a.Questions = append(a.Questions, *r)
		a.allQuestions = append(a.allQuestions, *aq.q)
	}
	for _, r := range a.Questions {
		if r.Question.Kind == KindKnowledge && r.Answered > 0 {
			a.Weakest = append(a.Weakest, r)
		}
	}
	sort.SliceStable(a.Weakest, func(i, j int) bool { return a.Weakest[i].Rate < a.Weakest[j].Rate })
	a.Weakest = a.Weakest[:min(len(a.Weakest), maxWeakest)]
	for _, cr := range t.clauses {
		if cr.Answers > 0 {
			a.Clauses = append(a.Clauses, cr)
		}
	}
	sort.SliceStable(a.Clauses, func(i, j int) bool { return a.Clauses[i].Rate() < a.Clauses[j].Rate() })
	s.nameClauses(ctx, a.Clauses)
	a.groupDepartments(t, tree)
	a.PersonDist = distribution(t.persons)
	if !a.Shown {
		a.hide()
	}
	return a, nil
}

// nameClauses adds the clauses' titles from the catalogue, where it has
// them (a clause it lacks keeps its reference label).
func (s *Store) nameClauses(ctx context.Context, cs []ClauseResult) {
	if len(cs) == 0 {
		return
	}
	cat := catalog.NewStore(s.db)
	for i := range cs {
		if mc, err := cat.ResolveRef(ctx, cs[i].Clause, nil); err == nil {
			cs[i].Title = mc.Title
		}
	}
}

// hide leaves only the counts of an analysis with too few respondents.
func (a *Analysis) hide() {
	a.Overall = Score{}
	for i := range a.Audiences {
		a.Audiences[i].Shown, a.Audiences[i].Score, a.Audiences[i].Domains = false, Score{}, nil
	}
	a.Domains, a.Groups, a.Questions, a.Weakest, a.Clauses = nil, nil, nil, nil, nil
	a.DeptDist, a.PersonDist = distribution(nil), distribution(nil)
	for k := range a.groupOf {
		a.groupOf[k] = ""
	}
}

// finishQuestion sets a question's rate and its most picked wrong options.
func finishQuestion(r *QuestionResult) {
	q := r.Question
	r.Rate = math.NaN()
	switch q.Kind {
	case KindKnowledge:
		if r.Answered > 0 {
			r.Rate = float64(r.Correct) / float64(r.Answered)
		}
		for i, n := range r.Counts {
			if n > 0 && !q.IsCorrectOption(i+1) {
				r.Wrong = append(r.Wrong, WrongOption{N: i + 1, Text: q.Options[i], Count: n, Share: float64(n) / float64(r.Answered)})
			}
		}
		sort.SliceStable(r.Wrong, func(i, j int) bool { return r.Wrong[i].Count > r.Wrong[j].Count })
	case KindPractice:
		var sum float64
		n := 0
		for i, c := range r.Counts {
			if v, ok := practiceValue(i + 1); ok {
				sum += v * float64(c)
				n += c
			}
		}
		if n > 0 {
			r.Rate = sum / float64(n)
		}
	case KindLikert:
		if r.Answered > 0 && len(r.Counts) >= 2 {
			r.Rate = float64(r.Counts[0]+r.Counts[1]) / float64(r.Answered)
		}
	}
}

// invitedByAudience counts the invitations per audience (AudienceOrder).
func (s *Store) invitedByAudience(ctx context.Context, campaignID int64) ([3]int, error) {
	var out [3]int
	rows, err := s.db.Query(ctx, "SELECT audiences, COUNT(*) FROM survey_invitations WHERE campaign_id = ? GROUP BY audiences", campaignID)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var auds string
		var n int
		if err := rows.Scan(&auds, &n); err != nil {
			return out, err
		}
		bits := audienceBits([]byte(auds))
		for k := range out {
			if bits&(1<<k) != 0 {
				out[k] += n
			}
		}
	}
	return out, rows.Err()
}

// groupDepartments merges departments with fewer than MinGroup
// respondents into the department above (repeatedly), and what reaches
// the top still too small into OtherGroup; then it fills Groups,
// DeptDist, Merge and groupOf.
func (a *Analysis) groupDepartments(t *answerTally, tree *org.Tree) {
	flat := tree.Flat()
	agg := map[int64]*groupTally{}
	into := map[int64]int64{} // a merged department → where it went (-1: OtherGroup)
	merged := map[int64]int{} // a department → small departments counted in it
	other := &groupTally{}
	for d, g := range t.groups {
		if _, ok := tree.ByID[d]; !ok || d == 0 {
			// No department (or one no longer in the tree): the rest.
			other.add(g)
			into[d] = -1
			continue
		}
		c := *g
		agg[d] = &c
	}
	for i := len(flat) - 1; i >= 0; i-- { // children before their parents
		d := flat[i]
		g := agg[d.ID]
		if g == nil || g.n == 0 || g.n >= MinGroup {
			continue
		}
		own := 0
		if tg := t.groups[d.ID]; tg != nil {
			own = tg.n
		}
		if own > 0 {
			a.Merge.Departments++
			a.Merge.Respondents += own
		}
		if d.ParentID != 0 && tree.ByID[d.ParentID] != nil {
			p := agg[d.ParentID]
			if p == nil {
				p = &groupTally{}
				agg[d.ParentID] = p
			}
			p.add(g)
			merged[d.ParentID] += merged[d.ID] + btoi(own > 0)
			into[d.ID] = d.ParentID
		} else {
			other.add(g)
			into[d.ID] = -1
			a.Merge.Other += merged[d.ID] + btoi(own > 0)
		}
		delete(agg, d.ID)
	}
	// Respondents of departments that ended in OtherGroup.
	var final func(d int64) int64
	final = func(d int64) int64 {
		if to, ok := into[d]; ok {
			if to == -1 {
				return -1
			}
			return final(to)
		}
		return d
	}
	for d, g := range t.groups {
		if _, inTree := tree.ByID[d]; !inTree || d == 0 {
			a.Merge.Unassigned += g.n
		} else if final(d) == -1 {
			a.Merge.OtherRespondents += g.n
		}
	}
	a.groupOf = map[int64]string{}
	var vals []float64
	for _, d := range flat {
		g := agg[d.ID]
		if g == nil || g.n == 0 {
			continue
		}
		gr := groupResult(d.ID, d.Path, merged[d.ID], g)
		a.Groups = append(a.Groups, gr)
		if gr.Score.Has() {
			vals = append(vals, gr.Score.Index())
		}
	}
	otherShown := other.n >= MinGroup
	if other.n > 0 {
		if otherShown {
			gr := groupResult(0, OtherGroup, a.Merge.Other, other)
			a.Groups = append(a.Groups, gr)
			if gr.Score.Has() {
				vals = append(vals, gr.Score.Index())
			}
		} else {
			a.Merge.OtherHidden = true
		}
	}
	labels := map[int64]string{}
	for _, d := range flat {
		labels[d.ID] = d.Path
	}
	for d := range t.groups {
		switch f := final(d); {
		case f == -1 && otherShown:
			a.groupOf[d] = OtherGroup
		case f == -1:
			a.groupOf[d] = ""
		default:
			a.groupOf[d] = labels[f]
		}
	}
	a.DeptDist = distribution(vals)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func groupResult(id int64, label string, merged int, g *groupTally) GroupResult {
	gr := GroupResult{DepartmentID: id, Label: label, Merged: merged, Respondents: g.n, Score: g.score}
	for k, code := range AudienceOrder {
		if g.audN[k] == 0 {
			continue
		}
		ga := GroupAudience{Audience: code, Label: AudienceLabel(code), Respondents: g.audN[k], Shown: g.audN[k] >= MinGroup}
		if ga.Shown {
			ga.Score = g.audSco[k]
		}
		gr.Audiences = append(gr.Audiences, ga)
	}
	return gr
}

// Audience returns the group's figures for audience code.
func (g GroupResult) Audience(code string) GroupAudience {
	for _, ga := range g.Audiences {
		if ga.Audience == code {
			return ga
		}
	}
	return GroupAudience{Audience: code, Label: AudienceLabel(code)}
}

// compare adds last year's figures (analysis b) to a.
func (a *Analysis) compare(b *Analysis) {
	a.Last = &LastYear{Campaign: b.Campaign, Respondents: b.Respondents, Overall: b.Overall}
	for i := range a.Domains {
		if d, ok := b.Domain(a.Domains[i].Code); ok {
			a.Domains[i].Last = d.Score
		}
	}
}

// markWeak sets each domain's gap from the overall index and whether it
// is weak.
func (a *Analysis) markWeak() {
	overall := a.Overall.Index()
	for i := range a.Domains {
		d := &a.Domains[i]
		d.Gap = d.Score.Index() - overall
		d.Weak = d.Score.Has() && (d.Gap <= -WeakGap || d.Score.Index() < WeakBelow)
	}
}
