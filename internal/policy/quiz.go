package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"mamori/internal/database"
	"mamori/internal/docgen"
	"mamori/internal/jp"
	"mamori/internal/policy/compare"
)

// Quiz generation: every question comes from a recorded change — the
// article's new and old wording (from the comparison), the reason and
// the staff action the drafter wrote. Nothing is canned: a change without
// a staff action gets no question.

const maxChoice = 240 // runes; longer sentences make poor choices

// GenerateQuiz drafts questions for the changes that ask something of
// staff: one on the new rule (the old wording as a distractor), one on
// what staff must now do.
func GenerateQuiz(l *Loaded, cs []Change) []Question {
	views := explain(l, cs)
	var out []Question
	for _, v := range views {
		if v.StaffAction == "" || len(v.Audiences) == 0 {
			continue
		}
		h := v.ArticleKey
		if v.Caption != "" {
			h += "（" + v.Caption + "）"
		}
		if q, ok := ruleQuestion(v, h); ok {
			out = append(out, q)
		}
		out = append(out, actionQuestion(v, h, views))
	}
	for i := range out {
		out[i].Seq = i + 1
		out[i].VersionID = l.Version.ID
	}
	return out
}

func ruleQuestion(v changeView, h string) (Question, bool) {
	q := Question{ChangeID: v.ID, Audiences: v.Audiences}
	why := "改正理由: " + v.Reason
	switch v.Kind {
	case ChangeInsert:
		var first string
		for _, p := range v.Pairs {
			if t := strings.TrimSpace(segText(p.New)); len([]rune(t)) >= 12 && len([]rune(t)) <= maxChoice {
				first = t
				break
			}
		}
		if first == "" {
			return q, false
		}
		q.Text = fmt.Sprintf("今回の改正で新設された%sの内容として、正しいものはどれですか。", h)
		q.Choices = []string{first, fmt.Sprintf("改正前と同じく、%sについての定めは置かれていない。", captionOr(v.Caption, "この事項"))}
		q.Explanation = fmt.Sprintf("%sは今回の改正で新たに設けられ、「%s」と定められました。%s", h, first, why)
	case ChangeDelete:
		q.Text = fmt.Sprintf("改正前の%sは、改正後どうなりましたか。", h)
		q.Choices = []string{"削除された。", "内容を変えずに残された。"}
		q.Explanation = fmt.Sprintf("%sは今回の改正で削除されました。%s", h, why)
	default:
		fits := func(segs []compare.Segment) (string, bool) {
			t := strings.TrimSpace(segText(segs))
			return t, len([]rune(t)) >= 12 && len([]rune(t)) <= maxChoice
		}
		kept := ""
		for _, k := range v.Kept {
			if n := len([]rune(k)); n >= 12 && n <= maxChoice {
				kept = k
				break
			}
		}
		// A reworded sentence: the new wording right, the old one wrong.
		for _, p := range v.Pairs {
			n, okN := fits(p.New)
			o, okO := fits(p.Old)
			if okN && okO && n != o {
				q.Text = fmt.Sprintf("改正後、%sの定めはどうなりましたか。正しいものを選んでください。", h)
				q.Choices = []string{n, o, fmt.Sprintf("%sは今回の改正で削除された。", h)}
				q.Explanation = fmt.Sprintf("改正後は「%s」となりました（改正前は「%s」）。%s", n, o, why)
				shuffle(&q, v.ID)
				return q, true
			}
		}
		// An added sentence: it is new; a sentence that stays is not.
		for _, p := range v.Pairs {
			if n, ok := fits(p.New); ok && p.Old == nil && kept != "" {
				q.Text = fmt.Sprintf("今回の改正で%sに新たに加わった定めはどれですか。", h)
				q.Choices = []string{n, kept, fmt.Sprintf("%sは今回の改正で削除された。", h)}
				q.Explanation = fmt.Sprintf("「%s」が新たに加わりました。「%s」は改正前からある定めです。%s", n, kept, why)
				shuffle(&q, v.ID)
				return q, true
			}
		}
		// A removed sentence: it is gone; a sentence that stays is not.
		for _, p := range v.Pairs {
			if o, ok := fits(p.Old); ok && p.New == nil && kept != "" {
				q.Text = fmt.Sprintf("今回の改正で%sから削られた定めはどれですか。", h)
				q.Choices = []string{o, kept, fmt.Sprintf("%sは今回の改正で削除された。", h)}
				q.Explanation = fmt.Sprintf("「%s」は削られました。「%s」は改正後も残ります。%s", o, kept, why)
				shuffle(&q, v.ID)
				return q, true
			}
		}
		return q, false
	}
	shuffle(&q, v.ID)
	return q, true
}

func actionQuestion(v changeView, h string, all []changeView) Question {
	aud := AudienceLabels(v.Audiences)
	q := Question{ChangeID: v.ID, Audiences: v.Audiences}
	q.Text = fmt.Sprintf("%sの改正により、%sが行うこととされたのはどれですか。", h, aud)
	if v.Kind == ChangeInsert {
		q.Text = fmt.Sprintf("新設された%sにより、%sが行うこととされたのはどれですか。", h, aud)
	}
	q.Choices = []string{v.StaffAction}
	// Another change's action as a distractor: the next one after this
	// change (in order, wrapping), so the distractors vary.
	at := 0
	for i, o := range all {
		if o.ID == v.ID {
			at = i
		}
	}
	for k := 1; k < len(all); k++ {
		o := all[(at+k)%len(all)]
		if o.StaffAction != "" && o.StaffAction != v.StaffAction && o.ArticleKey != v.ArticleKey {
			q.Choices = append(q.Choices, o.StaffAction)
			break
		}
	}
	q.Choices = append(q.Choices, "新たに行うことはなく、これまでどおりの対応でよい。")
	what := "の改正"
	if v.Kind == ChangeInsert {
		what = "の新設"
	}
	q.Explanation = fmt.Sprintf("%s%sで、%sは「%s」ことになりました。改正理由: %s", h, what, aud, strings.TrimSuffix(v.StaffAction, "。"), v.Reason)
	shuffle(&q, v.ID*7+1)
	return q
}

func captionOr(c, def string) string {
	if c == "" {
		return def
	}
	return c
}

// shuffle rotates the choices by a number derived from seed, so the right
// answer is not always first, and the same change always gives the same
// order.
func shuffle(q *Question, seed int64) {
	n := len(q.Choices)
	if n < 2 {
		return
	}
	k := int((seed*2654435761)%int64(n)+int64(n)) % n
	rot := append(append([]string(nil), q.Choices[k:]...), q.Choices[:k]...)
	q.Choices = rot
	q.Answer = (n - k) % n
}

// Validate checks an edited question (Japanese messages naming the field).
func (q *Question) Validate() error {
	q.Text = strings.TrimSpace(q.Text)
	q.Explanation = strings.TrimSpace(q.Explanation)
	var cs []string
	for _, c := range q.Choices {
		if c = strings.TrimSpace(c); c != "" {
			cs = append(cs, c)
		}
	}
	q.Choices = cs
	switch {
	case q.Text == "":
		return fmt.Errorf("問題文: 入力してください")
	case len([]rune(q.Text)) > 1000:
		return fmt.Errorf("問題文: 1,000 文字以内で入力してください")
	case len(cs) < 2:
		return fmt.Errorf("選択肢: 2 つ以上入力してください（1行に1つ）")
	case len(cs) > 6:
		return fmt.Errorf("選択肢: 6 つまでにしてください")
	case q.Answer < 0 || q.Answer >= len(cs):
		return fmt.Errorf("正解: 1〜%d の番号で選んでください", len(cs))
	case len([]rune(q.Explanation)) > 2000:
		return fmt.Errorf("解説: 2,000 文字以内で入力してください")
	}
	for i, c := range cs {
		if len([]rune(c)) > 500 {
			return fmt.Errorf("選択肢 %d: 500 文字以内で入力してください", i+1)
		}
		for j := 0; j < i; j++ {
			if cs[j] == c {
				return fmt.Errorf("選択肢 %d: 選択肢 %d と同じです", i+1, j+1)
			}
		}
	}
	return nil
}

// Questions lists a draft's quiz questions in order.
func (s *Store) Questions(ctx context.Context, versionID int64) ([]Question, error) {
	rows, err := s.db.Query(ctx, `SELECT id, version_id, COALESCE(change_id, 0), seq, audience, question, choices, answer, explanation, edited
		FROM policy_quiz_questions WHERE version_id = ? ORDER BY seq`, versionID)
	if err != nil {
		return nil, fmt.Errorf("policy.Questions: %w", err)
	}
	defer rows.Close()
	var out []Question
	for rows.Next() {
		var q Question
		var aud, choices string
		if err := rows.Scan(&q.ID, &q.VersionID, &q.ChangeID, &q.Seq, &aud, &q.Text, &choices, &q.Answer, &q.Explanation, &q.Edited); err != nil {
			return nil, err
		}
		q.Audiences, _ = ParseAudiences([]string{aud})
		if err := json.Unmarshal([]byte(choices), &q.Choices); err != nil {
			return nil, fmt.Errorf("policy.Questions %d: %w", q.ID, err)
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// ReplaceQuiz stores freshly generated questions in place of the draft's
// quiz (edited questions included: the page asks before).
func (s *Store) ReplaceQuiz(ctx context.Context, versionID int64, qs []Question) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		// Locked first: two replacements at once (PostgreSQL) would each
		// delete only the old quiz and both insert theirs.
		if err := s.db.LockRow(ctx, "policy_versions", versionID); err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, "DELETE FROM policy_quiz_questions WHERE version_id = ?", versionID); err != nil {
			return err
		}
		now := database.T(s.now())
		for i, q := range qs {
			ch, _ := json.Marshal(q.Choices)
			if _, err := s.db.Exec(ctx, `INSERT INTO policy_quiz_questions (version_id, change_id, seq, audience, question, choices, answer, explanation, edited,
				created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, FALSE, ?, ?)`, versionID, nullID(q.ChangeID), i+1, joinAudiences(q.Audiences), q.Text,
				string(ch), q.Answer, q.Explanation, now, now); err != nil {
				return err
			}
		}
		return s.log.Record(ctx, "policy.quiz_generate", fmt.Sprintf("policy_version:%d", versionID), fmt.Sprintf("確認問題 %d 問を作成", len(qs)))
	})
}

// UpdateQuestion saves an edited question.
func (s *Store) UpdateQuestion(ctx context.Context, id int64, q Question) error {
	if err := q.Validate(); err != nil {
		return &InputError{Msg: err.Error()}
	}
	ch, _ := json.Marshal(q.Choices)
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, "UPDATE policy_quiz_questions SET question = ?, choices = ?, answer = ?, explanation = ?, audience = ?, edited = TRUE, updated_at = ? WHERE id = ?",
			q.Text, string(ch), q.Answer, q.Explanation, joinAudiences(q.Audiences), database.T(s.now()), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("policy.UpdateQuestion: %w", database.ErrNotFound)
		}
		return s.log.Record(ctx, "policy.quiz_edit", fmt.Sprintf("policy_quiz_question:%d", id), trimRunes(q.Text, 60))
	})
}

// DeleteQuestion removes a question from the draft quiz.
func (s *Store) DeleteQuestion(ctx context.Context, id int64) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, "DELETE FROM policy_quiz_questions WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("policy.DeleteQuestion: %w", database.ErrNotFound)
		}
		return s.log.Record(ctx, "policy.quiz_delete", fmt.Sprintf("policy_quiz_question:%d", id), "確認問題を削除")
	})
}

// QuestionVersion returns the draft a question belongs to.
func (s *Store) QuestionVersion(ctx context.Context, id int64) (int64, error) {
	var v int64
	if err := s.db.QueryRow(ctx, "SELECT version_id FROM policy_quiz_questions WHERE id = ?", id).Scan(&v); err != nil {
		return 0, database.NotFound("policy.QuestionVersion", err)
	}
	return v, nil
}

// QuizFile is the exchange format of a quiz draft (QUIZ.md), read by the
// e-learning feature.
type QuizFile struct {
	Format      string         `json:"format" yaml:"format"`
	Title       string         `json:"title" yaml:"title"`
	Ward        string         `json:"ward,omitempty" yaml:"ward,omitempty"`
	Source      QuizSource     `json:"source" yaml:"source"`
	GeneratedAt string         `json:"generated_at" yaml:"generated_at"`
	Questions   []QuizQuestion `json:"questions" yaml:"questions"`
}

// QuizFormat names version 1 of the format.
const QuizFormat = "mamori-quiz/1"

// QuizSource says which revision the questions are about.
type QuizSource struct {
	Document     string `json:"document" yaml:"document"`
	Kind         string `json:"kind" yaml:"kind"`
	VersionID    int64  `json:"version_id" yaml:"version_id"`
	Version      string `json:"version" yaml:"version"`
	BaseVersion  string `json:"base_version,omitempty" yaml:"base_version,omitempty"`
	BaseVersionI int64  `json:"base_version_id,omitempty" yaml:"base_version_id,omitempty"`
}

// QuizQuestion is one multiple-choice question.
type QuizQuestion struct {
	ID          string   `json:"id" yaml:"id"`
	Audience    []string `json:"audience" yaml:"audience"`
	Provision   string   `json:"provision,omitempty" yaml:"provision,omitempty"`
	Change      string   `json:"change,omitempty" yaml:"change,omitempty"`
	Question    string   `json:"question" yaml:"question"`
	Choices     []string `json:"choices" yaml:"choices"`
	Answer      int      `json:"answer" yaml:"answer"`
	Explanation string   `json:"explanation" yaml:"explanation"`
}

// QuizExport builds the exchange file of a draft's questions.
func QuizExport(l *Loaded, qs []Question, cs []Change, now time.Time) QuizFile {
	byID := map[int64]Change{}
	for _, c := range cs {
		byID[c.ID] = c
	}
	f := QuizFile{Format: QuizFormat, Title: l.Title() + "の改正に関する確認問題", Ward: l.Ward, GeneratedAt: now.In(jp.JST).Format(time.RFC3339),
		Source: QuizSource{Document: l.Title(), Kind: l.Doc.Kind.Label(), VersionID: l.Version.ID, Version: l.Version.Name()}}
	if l.Base != nil {
		f.Source.BaseVersion, f.Source.BaseVersionI = l.Base.Name(), l.Base.ID
	}
	for i, q := range qs {
		qq := QuizQuestion{ID: fmt.Sprintf("q%d", i+1), Question: q.Text, Choices: q.Choices, Answer: q.Answer, Explanation: q.Explanation, Audience: []string{}}
		for _, a := range q.Audiences {
			qq.Audience = append(qq.Audience, string(a))
		}
		if c, ok := byID[q.ChangeID]; ok {
			qq.Provision, qq.Change = c.ArticleKey, string(c.Kind)
		}
		f.Questions = append(f.Questions, qq)
	}
	return f
}

// JSON encodes the file (indented, UTF-8).
func (f QuizFile) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// YAML encodes the file.
func (f QuizFile) YAML() ([]byte, error) {
	var b strings.Builder
	b.WriteString("# " + f.Title + "（形式: QUIZ.md " + f.Format + "）\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

// ParseQuiz reads a quiz file in either encoding and checks it, as the
// e-learning import will.
func ParseQuiz(b []byte) (QuizFile, error) {
	var f QuizFile
	var err error
	t := strings.TrimSpace(string(b))
	if strings.HasPrefix(t, "{") {
		err = json.Unmarshal(b, &f)
	} else {
		err = yaml.Unmarshal(b, &f)
	}
	if err != nil {
		return f, fmt.Errorf("確認問題ファイルを読めません: %w", err)
	}
	if f.Format != QuizFormat {
		return f, fmt.Errorf("format が %q ではありません（%q）", QuizFormat, f.Format)
	}
	for i, q := range f.Questions {
		if q.Question == "" || len(q.Choices) < 2 || q.Answer < 0 || q.Answer >= len(q.Choices) {
			return f, fmt.Errorf("questions[%d]（%s）: 問題文・2 つ以上の選択肢・範囲内の answer が必要です", i, q.ID)
		}
		for _, a := range q.Audience {
			if _, ok := audienceLabels[Audience(a)]; !ok {
				return f, fmt.Errorf("questions[%d]（%s）: audience %q は使えません", i, q.ID, a)
			}
		}
	}
	return f, nil
}

var choiceMarks = []string{"ア", "イ", "ウ", "エ", "オ", "カ"}

// QuizDocument is the quiz draft as a document: the questions, then the
// answers with explanations.
func QuizDocument(f QuizFile, now time.Time) *docgen.Document {
	d := &docgen.Document{Meta: docgen.Meta{Title: f.Title + "（案）", Subtitle: f.Source.Version, Ward: f.Ward, Date: now, Classification: "庁内限り",
		PageNumbers: docgen.PageDash}}
	var b []docgen.Block
	b = append(b, docgen.Heading{Level: 1, Text: f.Title + "（案）"},
		docgen.Paragraph{FirstIndent: true, Runs: []docgen.Run{docgen.T(fmt.Sprintf("%s（%s）の改正内容についての確認問題の案です。全 %d 問。正解と解説は最後にまとめています。",
			f.Source.Document, f.Source.Version, len(f.Questions)))}})
	labels := func(codes []string) string {
		var as []Audience
		for _, c := range codes {
			as = append(as, Audience(c))
		}
		return AudienceLabels(as)
	}
	for i, q := range f.Questions {
		head := fmt.Sprintf("問%d", i+1)
		if len(q.Audience) > 0 {
			head += "（対象: " + labels(q.Audience) + "）"
		}
		b = append(b, docgen.Heading{Level: 3, Text: head, NoTOC: true}, docgen.P(q.Question))
		var items []docgen.ListItem
		for j, c := range q.Choices {
			items = append(items, docgen.ListItem{Runs: []docgen.Run{docgen.T(choiceMarks[j%len(choiceMarks)] + "　" + c)}})
		}
		b = append(b, docgen.List{Items: items})
	}
	b = append(b, docgen.PageBreak{}, docgen.Heading{Level: 2, Text: "正解と解説"})
	tb := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 1.2, Align: docgen.AlignCenter}, {Width: 1.2, Align: docgen.AlignCenter}, {Width: 8}}}
	head := docgen.Row{}
	for _, h := range []string{"問", "正解", "解説"} {
		head.Cells = append(head.Cells, docgen.Cell{Runs: []docgen.Run{docgen.T(h)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter})
	}
	tb.Rows = append(tb.Rows, head)
	for i, q := range f.Questions {
		tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(fmt.Sprintf("問%d", i+1)), docgen.C(choiceMarks[q.Answer%len(choiceMarks)]), docgen.C(q.Explanation)}})
	}
	b = append(b, tb)
	d.Sections = []docgen.Section{{Tab: "確認問題", Blocks: b}}
	return d
}
