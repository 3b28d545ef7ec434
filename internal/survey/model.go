// Package survey is the self-assessment (自己点検) workstream: the year's
// questions for three audiences, campaigns that send them to every member
// of staff, answering (signed in or through a personal link), response
// rates, analysis and the reports.
package survey

import (
	"fmt"
	"html"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ModuleKey is the module's key (its register entries' source module).
const ModuleKey = "selfcheck"

// Audiences, in the order questionnaires print them.
const (
	AudienceGeneral    = "general"
	AudienceSystem     = "system"
	AudienceProtection = "protection"
)

// AudienceOrder lists the audience codes.
var AudienceOrder = []string{AudienceGeneral, AudienceSystem, AudienceProtection}

// AudienceLabel names an audience in Japanese.
func AudienceLabel(code string) string {
	switch code {
	case AudienceGeneral:
		return "一般職員"
	case AudienceSystem:
		return "システム担当者"
	case AudienceProtection:
		return "保護担当者"
	}
	return code
}

// AudiencesOf is the questionnaires a person's duties call for: everyone
// answers the general one, システム担当者 and 保護担当者 theirs as well.
func AudiencesOf(system, protection bool) []string {
	out := []string{AudienceGeneral}
	if system {
		out = append(out, AudienceSystem)
	}
	if protection {
		out = append(out, AudienceProtection)
	}
	return out
}

// Question kinds.
const (
	KindKnowledge = "knowledge" // 理解度（正答あり、回答後に解説）
	KindPractice  = "practice"  // 実践（実施している／一部実施／実施していない／該当しない）
	KindLikert    = "likert"    // 意識（5 段階）
	KindSingle    = "single"    // 単一選択（採点しない）
	KindMultiple  = "multiple"  // 複数選択（採点しない）
	KindText      = "text"      // 自由記述
)

// KindLabels names the kinds, in editor order.
var KindLabels = []struct{ Code, Label string }{
	{KindKnowledge, "理解度（正答あり）"}, {KindPractice, "実践状況"}, {KindLikert, "意識（5 段階）"},
	{KindSingle, "単一選択"}, {KindMultiple, "複数選択"}, {KindText, "自由記述"},
}

// KindLabel names a kind.
func KindLabel(code string) string {
	for _, k := range KindLabels {
		if k.Code == code {
			return k.Label
		}
	}
	return code
}

// Fixed scales of practice and attitude questions.
var (
	PracticeScale = []string{"実施している", "一部実施", "実施していない", "該当しない"}
	LikertScale   = []string{"そう思う", "ややそう思う", "どちらともいえない", "あまりそう思わない", "そう思わない"}
)

// Domains are the risk domains questions are tagged with, in report order.
var Domains = []struct{ Code, Label string }{
	{"phishing", "標的型メール・不審メール"}, {"password", "パスワード・認証"}, {"removable", "持出し・紛失・記録媒体"},
	{"misdelivery", "誤送付・誤送信・誤交付"}, {"sns", "SNS・情報発信"}, {"outsourcing", "委託先管理"},
	{"mynumber", "特定個人情報"}, {"cloud_ai", "クラウド・生成AI"}, {"incident", "インシデント報告"},
	{"physical", "物理的セキュリティ・執務室"}, {"classification", "情報の分類と取扱い"}, {"system_ops", "システムの運用管理"},
}

// DomainLabel names a risk domain.
func DomainLabel(code string) string {
	for _, d := range Domains {
		if d.Code == code {
			return d.Label
		}
	}
	return code
}

// Question is one question of a fiscal year's bank.
type Question struct {
	ID          int64
	FiscalYear  int
	Code        string
	Audiences   []string
	Kind        string
	Domain      string
	Clauses     []string // framework:number
	ItemCode    string   // catalogue self_assessment item it comes from
	Scenario    string
	Text        string
	Options     []string // knowledge, single, multiple
	Answer      []int    // knowledge: correct options, 1-based
	Explanation string
	SortOrder   int
	Active      bool
	Rev         int64
	UpdatedBy   string
	UpdatedAt   time.Time
	esc         *escapedQuestion // HTML-escaped texts, made once per cached bank
}

// escapedQuestion is a question's texts escaped for HTML.
type escapedQuestion struct {
	code, scenario, text, explanation, right string
	choices                                  []string
}

// escaped returns the question's texts escaped for HTML.
func (q Question) escaped() *escapedQuestion {
	if q.esc != nil {
		return q.esc
	}
	e := &escapedQuestion{code: html.EscapeString(q.Code), scenario: html.EscapeString(q.Scenario), text: html.EscapeString(q.Text),
		explanation: html.EscapeString(q.Explanation), right: html.EscapeString(strings.Join(q.AnswerLabels(), "／"))}
	for _, o := range q.Choices() {
		e.choices = append(e.choices, html.EscapeString(o))
	}
	return e
}

// Choices are the options a respondent picks from: the question's own, or
// the fixed scale of its kind.
func (q Question) Choices() []string {
	switch q.Kind {
	case KindPractice:
		return PracticeScale
	case KindLikert:
		return LikertScale
	case KindText:
		return nil
	}
	return q.Options
}

// Multi reports whether several options may be chosen.
func (q Question) Multi() bool {
	return q.Kind == KindMultiple || (q.Kind == KindKnowledge && len(q.Answer) > 1)
}

// For reports whether the question is asked of audience a.
func (q Question) For(a string) bool { return slices.Contains(q.Audiences, a) }

// Scored reports whether the question has a right answer.
func (q Question) Scored() bool { return q.Kind == KindKnowledge }

// Correct reports whether an answer (as stored: "2" or "1,3") is right.
func (q Question) Correct(answer string) bool {
	if !q.Scored() || answer == "" {
		return false
	}
	got, err := parseChoices(answer)
	if err != nil {
		return false
	}
	return slices.Equal(got, q.Answer)
}

// IsCorrectOption reports whether option n (1-based) is a right answer.
func (q Question) IsCorrectOption(n int) bool { return slices.Contains(q.Answer, n) }

// Check validates a respondent's answer to q and returns it in its stored
// form ("" for no answer). Values are option numbers, 1-based.
func (q Question) Check(values []string) (string, error) {
	var vals []string
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return "", nil
	}
	if q.Kind == KindText {
		s := strings.Join(vals, "\n")
		if len([]rune(s)) > MaxTextAnswer {
			return "", fmt.Errorf("%d 文字以内で書いてください。", MaxTextAnswer)
		}
		return s, nil
	}
	n := len(q.Choices())
	var picks []int
	for _, v := range vals {
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 || k > n {
			return "", fmt.Errorf("選択肢から選んでください。")
		}
		if !slices.Contains(picks, k) {
			picks = append(picks, k)
		}
	}
	if len(picks) > 1 && !q.Multi() {
		return "", fmt.Errorf("選択肢を一つだけ選んでください。")
	}
	slices.Sort(picks)
	return joinInts(picks), nil
}

// MaxTextAnswer is the longest free-text answer, in characters.
const MaxTextAnswer = 2000

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

func parseChoices(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// Campaign states.
const (
	StateDraft  = "draft"
	StateOpen   = "open"
	StateClosed = "closed"
)

// StateLabel names a campaign state.
func StateLabel(s string) string {
	switch s {
	case StateDraft:
		return "準備中"
	case StateOpen:
		return "回答受付中"
	case StateClosed:
		return "締切"
	}
	return s
}

// Campaign is one distribution of the year's questionnaires.
type Campaign struct {
	ID          int64
	Code        string
	FiscalYear  int
	Title       string
	Audiences   []string
	Anonymous   bool
	OpensOn     time.Time // calendar dates (UTC midnight)
	ClosesOn    time.Time
	State       string
	Note        string
	Departments []int64 // targets (with those below); empty: the whole ward
	Rev         int64
	Invited     int
	Answered    int
}

// StateLabel names the campaign's state.
func (c Campaign) StateLabel() string { return StateLabel(c.State) }

// Rate is the response rate (0–1).
func (c Campaign) Rate() float64 {
	if c.Invited == 0 {
		return 0
	}
	return float64(c.Answered) / float64(c.Invited)
}

// AcceptsOn reports whether answers are accepted on day (the ward's date).
func (c Campaign) AcceptsOn(day time.Time) bool {
	d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	return c.State == StateOpen && !d.Before(c.OpensOn) && !d.After(c.ClosesOn)
}

// Invitation is one person asked to answer a campaign.
type Invitation struct {
	ID           int64
	CampaignID   int64
	StaffID      int64
	DepartmentID int64
	Audiences    []string
	Draft        map[string]string // saved answers by question code
	DraftAt      time.Time
	Submitted    bool
	TokenExpires time.Time
}

// MinGroup is the smallest group a report shows: fewer respondents are
// merged into the department above or hidden, so that nobody in a small
// section can be recognised by their answers.
const MinGroup = 5

// DomainLabel names the question's risk domain.
func (q Question) DomainLabel() string { return DomainLabel(q.Domain) }

// KindLabel names the question's kind.
func (q Question) KindLabel() string { return KindLabel(q.Kind) }

// AnswerLabels are the right options' texts.
func (q Question) AnswerLabels() []string {
	var out []string
	for _, n := range q.Answer {
		if n >= 1 && n <= len(q.Options) {
			out = append(out, q.Options[n-1])
		}
	}
	return out
}

// AudienceLabels names the invitation's questionnaires.
func (v Invitation) AudienceLabels() string { return audienceLabels(v.Audiences) }

// AudienceLabels names the campaign's audiences.
func (c Campaign) AudienceLabels() string { return audienceLabels(c.Audiences) }

func audienceLabels(a []string) string {
	out := make([]string, len(a))
	for i, x := range a {
		out[i] = AudienceLabel(x)
	}
	return strings.Join(out, "・")
}
