package survey

// The question editor's storage: the year's questions for the list,
// adding and changing one (with the lock that keeps answered questions
// meaning what they meant), and copying last year's questions.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/jp"
)

// Limits of the editor's other fields (CheckQuestion checks the text and
// the options' count).
const (
	maxScenario    = 2000
	maxExplanation = 2000
	maxOption      = 300
	maxItemCode    = 40
	maxClauses     = 20
	maxSortOrder   = 100000
)

// QuestionFilter narrows the editor's list of one year's questions.
type QuestionFilter struct {
	FiscalYear int
	Audience   string // "" any
	Kind       string
	Domain     string // "" any; "none" untagged
	Active     string // "" any; "1" active only; "0" inactive only
	Words      []string
	Sort       string // order (default), code, kind, domain
	Desc       bool
}

// QuestionYears lists the fiscal years that have questions, newest first.
func (s *Store) QuestionYears(ctx context.Context) ([]int, error) {
	ys, err := s.db.Ints(ctx, "SELECT DISTINCT fiscal_year FROM survey_questions ORDER BY fiscal_year DESC")
	if err != nil {
		return nil, fmt.Errorf("survey.QuestionYears: %w", err)
	}
	out := make([]int, len(ys))
	for i, y := range ys {
		out[i] = int(y)
	}
	return out, nil
}

// FindQuestions is the year's questions (inactive ones too) that match f,
// in f's order. A year holds a few hundred questions at most, so they are
// filtered and sorted in Go.
func (s *Store) FindQuestions(ctx context.Context, f QuestionFilter) ([]Question, error) {
	qs, err := s.Questions(ctx, f.FiscalYear, true)
	if err != nil {
		return nil, fmt.Errorf("survey.FindQuestions: %w", err)
	}
	out := qs[:0]
	for _, q := range qs {
		switch {
		case f.Audience != "" && !q.For(f.Audience),
			f.Kind != "" && q.Kind != f.Kind,
			f.Domain == "none" && q.Domain != "",
			f.Domain != "" && f.Domain != "none" && q.Domain != f.Domain,
			f.Active == "1" && !q.Active,
			f.Active == "0" && q.Active,
			len(f.Words) > 0 && !jp.MatchWords(q.searchText(), f.Words):
			continue
		}
		out = append(out, q)
	}
	SortQuestions(out, f.Sort, f.Desc)
	return out, nil
}

// searchText is what the list's search looks through: the code, the
// scenario and the question.
func (q Question) searchText() string { return jp.SearchText(q.Code, q.Scenario, q.Text) }

// SortQuestions orders questions (already in the year's order) by key:
// order (the questionnaire's), code, kind or domain (in their label
// lists' order), stably.
func SortQuestions(qs []Question, key string, desc bool) {
	rank := func(code string, list []struct{ Code, Label string }) int {
		for i, x := range list {
			if x.Code == code {
				return i
			}
		}
		return len(list)
	}
	by := func(a, b Question) int {
		if c := cmp.Compare(a.SortOrder, b.SortOrder); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	}
	switch key {
	case "code":
		by = func(a, b Question) int { return strings.Compare(a.Code, b.Code) }
	case "kind":
		by = func(a, b Question) int { return cmp.Compare(rank(a.Kind, KindLabels), rank(b.Kind, KindLabels)) }
	case "domain":
		by = func(a, b Question) int { return cmp.Compare(rank(a.Domain, Domains), rank(b.Domain, Domains)) }
	}
	slices.SortStableFunc(qs, func(a, b Question) int {
		if desc {
			return by(b, a)
		}
		return by(a, b)
	})
}

// AnswerUse is a campaign of the year that already holds answers.
type AnswerUse struct {
	Code      string
	Audiences []string
	Responses int // submitted
	Drafts    int // saved, not yet submitted
}

// Label is 「2026-SC-01（回答 3912 件・一時保存 40 件）」.
func (u AnswerUse) Label() string {
	s := fmt.Sprintf("%s（回答 %d 件", u.Code, u.Responses)
	if u.Drafts > 0 {
		s += fmt.Sprintf("・一時保存 %d 件", u.Drafts)
	}
	return s + "）"
}

// AnswerUses lists the campaigns of fiscal year fy that have responses or
// saved drafts: their questions may no longer change meaning.
func (s *Store) AnswerUses(ctx context.Context, fy int) ([]AnswerUse, error) {
	rows, err := s.db.Query(ctx, `SELECT c.code, c.audiences,
		(SELECT COUNT(*) FROM survey_responses r WHERE r.campaign_id = c.id),
		(SELECT COUNT(*) FROM survey_invitations i WHERE i.campaign_id = c.id AND i.submitted = FALSE AND i.draft <> '')
		FROM survey_campaigns c WHERE c.fiscal_year = ? ORDER BY c.code`, fy)
	if err != nil {
		return nil, fmt.Errorf("survey.AnswerUses: %w", err)
	}
	defer rows.Close()
	var out []AnswerUse
	for rows.Next() {
		var u AnswerUse
		var auds string
		if err := rows.Scan(&u.Code, &auds, &u.Responses, &u.Drafts); err != nil {
			return nil, err
		}
		if u.Responses+u.Drafts > 0 {
			u.Audiences = split(auds, ",")
			out = append(out, u)
		}
	}
	return out, rows.Err()
}

// lockedBy is the campaigns with answers that asked q (a campaign for one
// of its audiences): a question nobody could have answered stays free.
func lockedBy(q Question, uses []AnswerUse) []AnswerUse {
	var out []AnswerUse
	for _, u := range uses {
		if slices.ContainsFunc(u.Audiences, q.For) {
			out = append(out, u)
		}
	}
	return out
}

// LockMessage says why an answered question's meaning is fixed.
func LockMessage(uses []AnswerUse) string {
	labels := make([]string, len(uses))
	for i, u := range uses {
		labels[i] = u.Label()
	}
	return "この設問には " + strings.Join(labels, "、") + " の回答があるため、設問文・選択肢・正答などは変更できません。" +
		"変えると、集めた回答の意味が変わり、集計と報告書が正しくなくなるためです。変更できるのは「解説」と「有効」だけです。" +
		"内容を改めたいときは、この設問を無効にして新しい設問を追加してください。"
}

// QuestionLock is whether question id's meaning is fixed by answers, and
// by which campaigns.
func (s *Store) QuestionLock(ctx context.Context, q Question) ([]AnswerUse, error) {
	uses, err := s.AnswerUses(ctx, q.FiscalYear)
	if err != nil {
		return nil, err
	}
	return lockedBy(q, uses), nil
}

// checkEditor validates a question as the editor saves it: CheckQuestion,
// the other fields' limits, and the clauses against the catalogue (when
// one is stored; otherwise their form FRAMEWORK:NUMBER). Clauses are
// stored in their canonical form (mic-policy:4.1).
// keep are the question's stored clauses, accepted as they are (a
// reference the catalogue no longer has must not block saving the
// explanation).
func (s *Store) checkEditor(ctx context.Context, q *Question, keep []string) FieldErrors {
	fe := CheckQuestion(q)
	if fe == nil {
		fe = FieldErrors{}
	}
	if q.FiscalYear < 2000 || q.FiscalYear > 2100 {
		fe["fiscal_year"] = "年度が正しくありません。"
	}
	q.Scenario = strings.TrimSpace(q.Scenario)
	q.Explanation = strings.TrimSpace(q.Explanation)
	q.ItemCode = strings.TrimSpace(q.ItemCode)
	q.Text = strings.TrimSpace(q.Text)
	for k, v := range map[string]string{"code": q.Code, "text": q.Text, "scenario": q.Scenario, "explanation": q.Explanation,
		"item_code": q.ItemCode, "options": strings.Join(q.Options, "")} {
		if jp.HasControl(v) && fe[k] == "" {
			fe[k] = "使えない制御文字が含まれています。"
		}
	}
	if utf8.RuneCountInString(q.Scenario) > maxScenario {
		fe["scenario"] = fmt.Sprintf("場面は %d 文字以内にしてください。", maxScenario)
	}
	if utf8.RuneCountInString(q.Explanation) > maxExplanation {
		fe["explanation"] = fmt.Sprintf("解説は %d 文字以内にしてください。", maxExplanation)
	}
	for i, o := range q.Options {
		if utf8.RuneCountInString(o) > maxOption {
			fe["options"] = fmt.Sprintf("選択肢 %d が長すぎます（%d 文字以内）。", i+1, maxOption)
		}
	}
	if len(q.ItemCode) > maxItemCode || strings.ContainsAny(q.ItemCode, " \t,\"　") {
		fe["item_code"] = fmt.Sprintf("元の点検項目は %d 文字以内の項目コード（例: SA-5.1-02）で入れてください。", maxItemCode)
	}
	if q.SortOrder < 0 || q.SortOrder > maxSortOrder {
		fe["sort_order"] = fmt.Sprintf("並び順は 0～%d の整数にしてください。", maxSortOrder)
	}
	if msg := s.checkClauses(ctx, q, keep); msg != "" {
		fe["clauses"] = msg
	}
	return fe.orNil()
}

// checkClauses resolves each clause reference through the catalogue and
// keeps its canonical form; with no framework stored it checks the form.
func (s *Store) checkClauses(ctx context.Context, q *Question, keep []string) string {
	var refs []string
	for _, c := range q.Clauses {
		if c = strings.TrimSpace(c); c != "" && !slices.Contains(refs, c) {
			refs = append(refs, c)
		}
	}
	q.Clauses = nil
	if len(refs) == 0 || slices.Equal(refs, keep) {
		q.Clauses = refs
		return ""
	}
	if len(refs) > maxClauses {
		return fmt.Sprintf("根拠条項は %d 件までにしてください。", maxClauses)
	}
	cat := catalog.NewStore(s.db)
	fws, err := cat.Frameworks(ctx)
	if err != nil {
		return "条項の一覧を読めませんでした。時間をおいてもう一度保存してください。"
	}
	var msgs []string
	for _, ref := range refs {
		if len(fws) == 0 {
			code, number, err := catalog.ParseRef(ref)
			if err != nil {
				msgs = append(msgs, err.Error())
				continue
			}
			q.Clauses = append(q.Clauses, code+":"+number)
			continue
		}
		c, err := cat.ResolveRef(ctx, ref, nil)
		var re *catalog.RefError
		if errors.As(err, &re) {
			msgs = append(msgs, re.Msg)
			continue
		}
		if err != nil {
			return "条項を確かめられませんでした。時間をおいてもう一度保存してください。"
		}
		if !slices.Contains(q.Clauses, c.Ref()) {
			q.Clauses = append(q.Clauses, c.Ref())
		}
	}
	if len(msgs) > 0 {
		return "根拠条項: " + strings.Join(msgs, "。") + "。"
	}
	return ""
}

// questionCodeTaken reports whether fiscal year fy has another question (not id)
// with code.
func (s *Store) questionCodeTaken(ctx context.Context, fy int, code string, id int64) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM survey_questions WHERE fiscal_year = ? AND code = ? AND id <> ?", fy, code, id).Scan(&n)
	return n > 0, err
}

// CreateQuestion adds a question to its fiscal year (q.FiscalYear) and
// returns its id. A sort order of 0 puts it last.
func (s *Store) CreateQuestion(ctx context.Context, q Question, by string) (int64, error) {
	if fe := s.checkEditor(ctx, &q, nil); fe != nil {
		return 0, fe
	}
	var id int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		taken, err := s.questionCodeTaken(ctx, q.FiscalYear, q.Code, 0)
		if err != nil {
			return err
		}
		if taken {
			return FieldErrors{"code": fmt.Sprintf("設問コード %s は%sにすでにあります。別のコードにしてください。", q.Code, jp.FiscalYearLabel(q.FiscalYear))}
		}
		if q.SortOrder == 0 {
			if err := s.db.QueryRow(ctx, "SELECT COALESCE(MAX(sort_order), 0) + 1 FROM survey_questions WHERE fiscal_year = ?", q.FiscalYear).Scan(&q.SortOrder); err != nil {
				return err
			}
		}
		if id, err = s.insertQuestion(ctx, q, by); err != nil {
			return err
		}
		return s.log.Record(ctx, "survey.question_create", questionTarget(id), fmt.Sprintf("%s %s %s", jp.FiscalYearLabel(q.FiscalYear), q.Code, questionDetail(q.Text, 60)))
	})
	if database.IsUniqueViolation(err) {
		// The same code added by someone else after the check above.
		return 0, FieldErrors{"code": fmt.Sprintf("設問コード %s は%sにすでにあります。別のコードにしてください。", q.Code, jp.FiscalYearLabel(q.FiscalYear))}
	}
	if err != nil {
		return 0, fmt.Errorf("survey.CreateQuestion: %w", err)
	}
	return id, nil
}

func questionTarget(id int64) string { return "survey_question:" + strconv.FormatInt(id, 10) }

// questionDetail shortens s to n characters for an audit-log detail.
func questionDetail(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// UpdateQuestion changes question id (rev: the version the form was read
// at). Once a campaign of the year holds answers to it, only the
// explanation and whether it is active may change (LockMessage says why);
// a changed field is refused by name.
func (s *Store) UpdateQuestion(ctx context.Context, id, rev int64, q Question, by string) error {
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		old, err := s.Question(ctx, id)
		if err != nil {
			return err
		}
		q.ID, q.FiscalYear = id, old.FiscalYear
		if fe := s.checkEditor(ctx, &q, old.Clauses); fe != nil {
			return fe
		}
		if old.Rev != rev {
			return ErrConflict
		}
		uses, err := s.QuestionLock(ctx, old)
		if err != nil {
			return err
		}
		if len(uses) > 0 {
			if fe := meaningChanges(old, q); fe != nil {
				fe["form"] = LockMessage(uses)
				return fe
			}
		}
		taken, err := s.questionCodeTaken(ctx, q.FiscalYear, q.Code, id)
		if err != nil {
			return err
		}
		if taken {
			return FieldErrors{"code": fmt.Sprintf("設問コード %s は%sにすでにあります。別のコードにしてください。", q.Code, jp.FiscalYearLabel(q.FiscalYear))}
		}
		res, err := s.db.Exec(ctx, `UPDATE survey_questions SET code = ?, audiences = ?, kind = ?, domain = ?, clauses = ?, item_code = ?, scenario = ?,
			text = ?, options = ?, answer = ?, explanation = ?, sort_order = ?, active = ?, rev = rev + 1, updated_by_name = ?, updated_at = ?
			WHERE id = ? AND rev = ?`, q.Code, strings.Join(q.Audiences, ","), q.Kind, q.Domain, strings.Join(q.Clauses, ","), q.ItemCode, q.Scenario,
			q.Text, strings.Join(q.Options, "\n"), joinInts(q.Answer), q.Explanation, q.SortOrder, q.Active, by, database.T(s.now()), id, rev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		return s.log.Record(ctx, "survey.question_update", questionTarget(id),
			fmt.Sprintf("%s %s %s", jp.FiscalYearLabel(q.FiscalYear), q.Code, strings.Join(changedFields(old, q), "・")))
	})
	if database.IsUniqueViolation(err) {
		// The same code added by someone else after the check above.
		return FieldErrors{"code": fmt.Sprintf("設問コード %s は%sにすでにあります。別のコードにしてください。", q.Code, jp.FiscalYearLabel(q.FiscalYear))}
	}
	if err != nil {
		return fmt.Errorf("survey.UpdateQuestion: %w", err)
	}
	return nil
}

// questionFields are the editor's fields with their labels, in form
// order, and how to compare them; free says the field may change after
// answers exist.
var questionFields = []struct {
	key, label string
	free       bool
	same       func(a, b Question) bool
}{
	{"code", "設問コード", false, func(a, b Question) bool { return a.Code == b.Code }},
	{"audiences", "対象者", false, func(a, b Question) bool { return slices.Equal(a.Audiences, b.Audiences) }},
	{"kind", "種類", false, func(a, b Question) bool { return a.Kind == b.Kind }},
	{"domain", "領域", false, func(a, b Question) bool { return a.Domain == b.Domain }},
	{"clauses", "根拠条項", false, func(a, b Question) bool { return slices.Equal(a.Clauses, b.Clauses) }},
	{"item_code", "元の点検項目", false, func(a, b Question) bool { return a.ItemCode == b.ItemCode }},
	{"scenario", "場面", false, func(a, b Question) bool { return a.Scenario == b.Scenario }},
	{"text", "設問文", false, func(a, b Question) bool { return a.Text == b.Text }},
	{"options", "選択肢", false, func(a, b Question) bool { return slices.Equal(a.Options, b.Options) }},
	{"answer", "正答", false, func(a, b Question) bool { return slices.Equal(a.Answer, b.Answer) }},
	{"explanation", "解説", true, func(a, b Question) bool { return a.Explanation == b.Explanation }},
	{"sort_order", "並び順", false, func(a, b Question) bool { return a.SortOrder == b.SortOrder }},
	{"active", "有効", true, func(a, b Question) bool { return a.Active == b.Active }},
}

// meaningChanges names the fields other than the explanation and the
// active flag that differ between old and q.
func meaningChanges(old, q Question) FieldErrors {
	fe := FieldErrors{}
	for _, f := range questionFields {
		if !f.free && !f.same(old, q) {
			fe[f.key] = f.label + "は、回答がある設問では変更できません。"
		}
	}
	return fe.orNil()
}

// changedFields lists the labels of the fields that differ (for the audit
// log).
func changedFields(old, q Question) []string {
	var out []string
	for _, f := range questionFields {
		if !f.same(old, q) {
			out = append(out, f.label)
		}
	}
	if len(out) == 0 {
		out = []string{"変更なし"}
	}
	return out
}

// CopyQuestionYear copies fiscal year from's questions (inactive ones
// too, as they were) to fiscal year to, which must have none yet; it
// returns how many it copied.
func (s *Store) CopyQuestionYear(ctx context.Context, from, to int, by string) (int, error) {
	n := 0
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var have int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM survey_questions WHERE fiscal_year = ?", to).Scan(&have); err != nil {
			return err
		}
		if have > 0 {
			return FieldErrors{"year": fmt.Sprintf("%sにはすでに設問が %d 問あります。複写は設問のない年度にだけできます。", jp.FiscalYearLabel(to), have)}
		}
		qs, err := s.Questions(ctx, from, true)
		if err != nil {
			return err
		}
		if len(qs) == 0 {
			return FieldErrors{"year": fmt.Sprintf("%sの設問がないため、複写できません。", jp.FiscalYearLabel(from))}
		}
		for _, q := range qs {
			q.FiscalYear = to
			if _, err := s.insertQuestion(ctx, q, by); err != nil {
				return err
			}
			n++
		}
		return s.log.Record(ctx, "survey.questions_copy", "survey_year:"+strconv.Itoa(to),
			fmt.Sprintf("%sの設問 %d 問を%sへ複写", jp.FiscalYearLabel(from), n, jp.FiscalYearLabel(to)))
	})
	if err != nil {
		return 0, fmt.Errorf("survey.CopyQuestionYear: %w", err)
	}
	return n, nil
}
