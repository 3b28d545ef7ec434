package survey

// The question editor's screens: the year's questions, copying last
// year's or registering the standard bank, the edit form with a
// one-question preview, the questionnaire as a respondent sees it, the
// 調査票 for paper and the list's exports.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"mamori/content"
	"mamori/internal/catalog"
	"mamori/internal/docgen/xlsx"
	"mamori/internal/jp"
	"mamori/internal/tabular"
	"mamori/internal/web"
)

// questionRoutes are the question editor's screens, for the managers.
func (m *Module) questionRoutes(rt *web.Router) {
	rule := Managers.Rule()
	rt.Handle("GET /selfcheck/questions", rule, m.questionList)
	rt.Handle("GET /selfcheck/questions/export", rule, m.questionExport)
	rt.Handle("GET /selfcheck/questions/questionnaire", rule, m.questionnaireDownload)
	rt.Handle("GET /selfcheck/questions/preview", rule, m.questionPreview)
	rt.Handle("POST /selfcheck/questions/copy", rule, m.questionCopy)
	rt.Handle("POST /selfcheck/questions/import", rule, m.questionImport)
	rt.Handle("GET /selfcheck/questions/new", rule, m.questionNew)
	rt.Handle("POST /selfcheck/questions/new", rule, m.questionCreate)
	one := rule.On(web.AnyObject("survey.question", func(ctx context.Context, id int64) error {
		_, err := m.store.Question(ctx, id)
		return err
	}))
	rt.Handle("GET /selfcheck/questions/{id}", one, m.questionEdit)
	rt.Handle("POST /selfcheck/questions/{id}", one, m.questionUpdate)
}

// questionSpec is the list of one year's questions.
var questionSpec = &web.ListSpec{
	Path: "/selfcheck/questions", ExportPath: "/selfcheck/questions/export",
	Sorts: []web.ListSort{{Key: "order", Label: "並び順"}, {Key: "code", Label: "設問コード"}, {Key: "kind", Label: "種類"}, {Key: "domain", Label: "領域"}},
	Filters: []web.ListFilter{web.FiscalYearFilter("year"), {Key: "audience", Label: "対象者", Options: audienceOptions()},
		{Key: "kind", Label: "種類", Options: kindOptions()}, {Key: "domain", Label: "領域", Options: domainOptions()},
		{Key: "active", Label: "有効・無効", Options: []web.ListOption{{Value: "1", Label: "有効な設問"}, {Value: "0", Label: "無効な設問"}}}},
	Search: "設問コード・設問文", SearchHint: "場面の文も探します。全角・半角、ひらがな・カタカナを区別しません",
	Noun: "設問", Label: "設問の絞り込み",
	Empty: "この年度の設問はまだありません。",
}

func audienceOptions() []web.ListOption {
	var out []web.ListOption
	for _, a := range AudienceOrder {
		out = append(out, web.ListOption{Value: a, Label: AudienceLabel(a)})
	}
	return out
}

func kindOptions() []web.ListOption {
	var out []web.ListOption
	for _, k := range KindLabels {
		out = append(out, web.ListOption{Value: k.Code, Label: k.Label})
	}
	return out
}

func domainOptions() []web.ListOption {
	var out []web.ListOption
	for _, d := range Domains {
		out = append(out, web.ListOption{Value: d.Code, Label: d.Label})
	}
	return append(out, web.ListOption{Value: "none", Label: "（領域なし）"})
}

// questionYear parses the list and settles its year: the one asked for,
// else the current one. The year's choices are the years with questions
// and the year after each (where they may be copied to), and the current
// year with the one before and after it.
func (m *Module) questionYear(r *http.Request) (*web.List, int, error) {
	l := questionSpec.Parse(r)
	ctx := r.Context()
	cur := m.d.Org.CurrentFiscalYear(ctx)
	have, err := m.store.QuestionYears(ctx)
	if err != nil {
		return nil, 0, err
	}
	years := []int{cur + 1, cur, cur - 1}
	for _, y := range have {
		years = append(years, y, y+1)
	}
	slices.Sort(years)
	years = slices.Compact(years)
	slices.Reverse(years)
	l.SetOptions("year", web.FiscalYearOptions(years))
	for i := range l.Filters {
		if l.Filters[i].Key == "year" {
			l.Filters[i].Any = "現在の年度（" + jp.FiscalYearLabel(cur) + "）"
		}
	}
	fy := int(l.Int64("year"))
	if fy == 0 {
		fy = cur
	}
	return l, fy, nil
}

func questionFilter(l *web.List, fy int) QuestionFilter {
	return QuestionFilter{FiscalYear: fy, Audience: l.Value("audience"), Kind: l.Value("kind"), Domain: l.Value("domain"),
		Active: l.Value("active"), Words: l.Words(), Sort: l.Sort, Desc: l.Desc}
}

// questionRow is one row of the list.
type questionRow struct {
	Q         Question
	Audiences string
	Clauses   []string // by the standards' short names
}

// audienceLine is one audience of the year: how many active questions it
// has, and its preview and documents.
type audienceLine struct {
	Code, Label string
	Count       int
	Knowledge   int
}

// questionListView is the list page.
type questionListView struct {
	List      *web.List
	Rows      []questionRow
	Year      int
	Count     int // every question of the year, inactive ones too
	Prev      int // the year before
	PrevCount int
	// Bank: the year has no questions and the standard bank for it is
	// built in; BankNote says why it cannot be offered otherwise.
	Bank     bool
	BankNote string
	Uses     []AnswerUse
	Lines    []audienceLine
}

// YearLabel is the year as pages print it.
func (v questionListView) YearLabel() string { return jp.FiscalYearLabel(v.Year) }

// PreviewLink is the respondent's view of audience a's questionnaire
// (done: the page after submission, with the explanations).
func (v questionListView) PreviewLink(a string, done bool) string {
	q := url.Values{"year": {strconv.Itoa(v.Year)}, "audience": {a}}
	if done {
		q.Set("view", "done")
	}
	return "/selfcheck/questions/preview?" + q.Encode()
}

// DocLink is the questionnaire of audience a ("" all) in format f.
func (v questionListView) DocLink(a, f string) string {
	q := url.Values{"year": {strconv.Itoa(v.Year)}, "format": {f}}
	if a != "" {
		q.Set("audience", a)
	}
	return "/selfcheck/questions/questionnaire?" + q.Encode()
}

// NewLink is the form for a new question of the year.
func (v questionListView) NewLink() string {
	return "/selfcheck/questions/new?year=" + strconv.Itoa(v.Year)
}

func (m *Module) questionList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	l, fy, err := m.questionYear(r)
	if err != nil {
		return err
	}
	all, err := m.store.Questions(ctx, fy, true)
	if err != nil {
		return err
	}
	rows, err := m.store.FindQuestions(ctx, questionFilter(l, fy))
	if err != nil {
		return err
	}
	l.SetTotal(len(rows))
	v := questionListView{List: l, Year: fy, Count: len(all), Prev: fy - 1}
	for _, q := range rows[min(l.Offset(), len(rows)):min(l.Offset()+l.Limit(), len(rows))] {
		row := questionRow{Q: q, Audiences: audienceLabels(q.Audiences)}
		for _, c := range q.Clauses {
			row.Clauses = append(row.Clauses, catalog.RefLabel(c))
		}
		v.Rows = append(v.Rows, row)
	}
	for _, a := range AudienceOrder {
		line := audienceLine{Code: a, Label: AudienceLabel(a)}
		for _, q := range all {
			if q.Active && q.For(a) {
				line.Count++
				if q.Scored() {
					line.Knowledge++
				}
			}
		}
		v.Lines = append(v.Lines, line)
	}
	if v.Uses, err = m.store.AnswerUses(ctx, fy); err != nil {
		return err
	}
	if v.Count == 0 {
		prev, err := m.store.Questions(ctx, fy-1, true)
		if err != nil {
			return err
		}
		v.PrevCount = len(prev)
		v.Bank, v.BankNote = bankOffer(fy)
		l.Empty = jp.FiscalYearLabel(fy) + "の設問はまだありません。上のボタンから登録するか、「設問を追加」で一問ずつ登録してください。"
	}
	return web.Render(w, r, http.StatusOK, "survey/survey_question_list", "設問の編集", v)
}

// bankFileName is where fiscal year fy's standard questions are.
func bankFileName(fy int) string { return fmt.Sprintf("survey/questions-%d.yaml", fy) }

// bankOffer reports whether the standard bank of fiscal year fy is built
// into the program, or why not.
func bankOffer(fy int) (bool, string) {
	if _, err := fs.Stat(content.FS, "survey"); err != nil {
		return false, "標準の設問集（content/survey）がこのプログラムに組み込まれていないため、「標準の設問集から登録」は使えません。"
	}
	if _, err := fs.Stat(content.FS, bankFileName(fy)); err != nil {
		return false, jp.FiscalYearLabel(fy) + "の標準の設問集（content/" + bankFileName(fy) + "）はありません。"
	}
	return true, ""
}

// listBack is the list of year fy.
func listBack(fy int) string { return "/selfcheck/questions?year=" + strconv.Itoa(fy) }

// formYear reads the year field of a button's form.
func formYear(r *http.Request) (int, error) {
	fy, err := jp.ParseFiscalYear(r.PostFormValue("year"))
	if err != nil || fy < 2000 || fy > 2100 {
		return 0, web.Invalid("年度の指定が正しくありません。一覧の画面からやり直してください。")
	}
	return fy, nil
}

func byName(r *http.Request) string {
	if u := web.UserFrom(r.Context()); u != nil {
		return u.DisplayName
	}
	return ""
}

func (m *Module) questionCopy(w http.ResponseWriter, r *http.Request) error {
	fy, err := formYear(r)
	if err != nil {
		return err
	}
	n, err := m.store.CopyQuestionYear(r.Context(), fy-1, fy, byName(r))
	var fe FieldErrors
	if errors.As(err, &fe) {
		return web.Redirect(w, r, listBack(fy), fe.Error(), false)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, listBack(fy), fmt.Sprintf("%sの設問 %d 問を%sへ複写しました。内容を確かめ、必要なところを直してください。",
		jp.FiscalYearLabel(fy-1), n, jp.FiscalYearLabel(fy)), true)
}

func (m *Module) questionImport(w http.ResponseWriter, r *http.Request) error {
	fy, err := formYear(r)
	if err != nil {
		return err
	}
	if ok, note := bankOffer(fy); !ok {
		return web.Redirect(w, r, listBack(fy), note, false)
	}
	qs, err := LoadBank(content.FS, fy)
	if err != nil {
		return web.Redirect(w, r, listBack(fy), "標準の設問集を読めませんでした: "+err.Error(), false)
	}
	n, err := m.store.ImportBank(r.Context(), qs, fy, byName(r))
	if err != nil {
		return err
	}
	if n == 0 {
		return web.Redirect(w, r, listBack(fy), jp.FiscalYearLabel(fy)+"にはすでに設問があるため、標準の設問集からは登録しませんでした。", false)
	}
	return web.Redirect(w, r, listBack(fy), fmt.Sprintf("標準の設問集から%sの設問 %d 問を登録しました。", jp.FiscalYearLabel(fy), n), true)
}

// questionExport is the list's rows (all pages) as CSV or as the
// reviewers' workbook.
func (m *Module) questionExport(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	l, fy, err := m.questionYear(r)
	if err != nil {
		return err
	}
	if err := l.Err(); err != nil {
		return err
	}
	f, err := tabular.ParseFormat(r.URL.Query().Get("format"))
	if err != nil {
		return web.Invalid("%s", err.Error())
	}
	rows, err := m.store.FindQuestions(ctx, questionFilter(l, fy))
	if err != nil {
		return err
	}
	now := m.store.now()
	name := tabular.FileName(jp.FiscalYearLabel(fy)+"_自己点検設問一覧", now.In(jp.JST).Format("20060102"), f)
	d := web.Download{Name: name, ContentType: f.ContentType, Target: "survey_year:" + strconv.Itoa(fy), Detail: fmt.Sprintf("%s（%d 問）", name, len(rows))}
	return web.Send(w, r, m.d.Log, d, func(out io.Writer) error {
		if f.Key == "xlsx" {
			sub := "全設問"
			if l.Filtered() {
				sub = "絞り込んだ設問"
			}
			return xlsx.Render(out, QuestionListDocument(rows, sub, FormInfo{Ward: m.d.Org.WardName(ctx), FiscalYear: fy, Now: now}))
		}
		return tabular.Write(out, f, questionListTable(rows, fy))
	})
}

// questionnaireDownload is the 調査票 (PDF, DOCX) or the question list
// (XLSX) of a year, for one audience or all.
func (m *Module) questionnaireDownload(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	fy, auds, err := m.yearAudience(r.Context(), q, true)
	if err != nil {
		return err
	}
	file, err := m.store.QuestionnaireFile(r.Context(), fy, auds, q.Get("format"))
	var fe FieldErrors
	if errors.As(err, &fe) {
		return web.Invalid("%s", fe.Error())
	}
	if err != nil {
		return err
	}
	d := web.Download{Name: file.Name, ContentType: file.ContentType, Target: "survey_year:" + strconv.Itoa(fy),
		Detail: fmt.Sprintf("%s（%d 問）", file.Name, file.Count)}
	return web.Send(w, r, m.d.Log, d, file.Render)
}

// yearAudience reads ?year= (default: the current year) and ?audience=
// (optional when anyAudience).
func (m *Module) yearAudience(ctx context.Context, q url.Values, anyAudience bool) (int, []string, error) {
	fy := m.d.Org.CurrentFiscalYear(ctx)
	if y := strings.TrimSpace(q.Get("year")); y != "" {
		var err error
		if fy, err = jp.ParseFiscalYear(y); err != nil || fy < 2000 || fy > 2100 {
			return 0, nil, web.Invalid("年度の指定が正しくありません（例: 令和8年度、2026）。")
		}
	}
	a := strings.TrimSpace(q.Get("audience"))
	if a == "" {
		if anyAudience {
			return fy, nil, nil
		}
		return 0, nil, web.Invalid("対象者を指定してください。")
	}
	aud, err := ParseAudience(a)
	if err != nil {
		return 0, nil, web.Invalid("%s。", err.Error())
	}
	return fy, []string{aud}, nil
}

// previewNote heads the respondent's preview.
const previewNote = "これは設問のプレビューです。回答する職員に表示される画面と同じ形で、有効な設問だけを表示しています。" +
	"ここでは入力も提出もできません（「回答期間外」の表示はそのためです）。"

// questionPreview shows one audience's questionnaire with the
// respondent's page itself: the questions (view=done: the page after
// submission, with the right answers and explanations). Dates and
// anonymity come from the year's latest campaign for the audience, when
// there is one.
func (m *Module) questionPreview(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	fy, auds, err := m.yearAudience(ctx, r.URL.Query(), false)
	if err != nil {
		return err
	}
	qs, err := m.store.Questions(ctx, fy, false)
	if err != nil {
		return err
	}
	c := Campaign{FiscalYear: fy, Title: jp.FiscalYearLabel(fy) + " 情報セキュリティ自己点検", Audiences: auds}
	cs, err := m.store.Campaigns(ctx, fy)
	if err != nil {
		return err
	}
	for _, x := range cs {
		if slices.Contains(x.Audiences, auds[0]) {
			c.Title, c.Anonymous, c.OpensOn, c.ClosesOn, c.Note = x.Title, x.Anonymous, x.OpensOn, x.ClosesOn, x.Note
			break
		}
	}
	c.Title = "【プレビュー】" + c.Title
	c.State = StateDraft
	c.Note = strings.TrimSpace(previewNote + "\n\n" + c.Note)
	f := FormFor(c, qs, auds)
	if f.Count() == 0 {
		return &web.Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("%sの%s向けの有効な設問はありません。", jp.FiscalYearLabel(fy), AudienceLabel(auds[0]))}
	}
	v := answerView{Form: f, Answers: map[string]string{}, Accepting: false, Preview: true, Done: r.URL.Query().Get("view") == "done", Total: f.Count()}
	return v.render(w, r, http.StatusOK)
}

// questionFormView is the edit form.
type questionFormView struct {
	ID      int64
	Rev     int64
	Year    int
	Code    string // as stored (the heading)
	Values  url.Values
	Errors  FieldErrors
	Message string
	Locked  []AnswerUse
	Preview *Question // the question as a respondent sees it
	Updated string    // who changed it last and when
}

// Action is where the form posts.
func (v questionFormView) Action() string {
	if v.ID == 0 {
		return "/selfcheck/questions/new"
	}
	return "/selfcheck/questions/" + strconv.FormatInt(v.ID, 10)
}

// Back is the list of the question's year.
func (v questionFormView) Back() string { return listBack(v.Year) }

// YearLabel is the question's year.
func (v questionFormView) YearLabel() string { return jp.FiscalYearLabel(v.Year) }

// Get is a field's value as typed.
func (v questionFormView) Get(k string) string { return v.Values.Get(k) }

// Err is a field's message.
func (v questionFormView) Err(k string) string { return v.Errors[k] }

// Has reports whether a check box of field k with value val is ticked.
func (v questionFormView) Has(k, val string) bool { return slices.Contains(v.Values[k], val) }

// Disabled reports whether field k is fixed by answers.
func (v questionFormView) Disabled(k string) bool {
	if len(v.Locked) == 0 {
		return false
	}
	for _, f := range questionFields {
		if f.key == k {
			return !f.free
		}
	}
	return false
}

// LockMessage says why fields are fixed.
func (v questionFormView) LockMessage() string { return LockMessage(v.Locked) }

// Audiences, Kinds and Domains are the form's choices.
func (v questionFormView) Audiences() []web.ListOption { return audienceOptions() }
func (v questionFormView) Kinds() []web.ListOption     { return kindOptions() }
func (v questionFormView) Domains() []web.ListOption   { return domainOptions()[:len(Domains)] }

// answerChoice is one check box of the right answers.
type answerChoice struct {
	N     int
	Label string
}

// AnswerChoices are the right-answer check boxes: one per option typed
// (with its text), then the remaining numbers for options still to come.
func (v questionFormView) AnswerChoices() []answerChoice {
	opts := formLines(v.Get("options"), false)
	var out []answerChoice
	for i := 1; i <= maxOptions; i++ {
		c := answerChoice{N: i}
		if i <= len(opts) {
			c.Label = opts[i-1]
		}
		out = append(out, c)
	}
	return out
}

// StandardNames lists the standards' short names for the clause hint.
func (v questionFormView) StandardNames() string { return catalog.StandardNames() }

// formLines splits a text area into its non-empty lines (commas too, when
// commas is set: 、，, and line breaks separate clauses).
func formLines(s string, commas bool) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool {
		return r == '\n' || r == '\r' || (commas && (r == ',' || r == '、' || r == '，'))
	}) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// questionValues is a stored question as form values.
func questionValues(q Question) url.Values {
	v := url.Values{"code": {q.Code}, "audiences": q.Audiences, "kind": {q.Kind}, "domain": {q.Domain}, "item_code": {q.ItemCode},
		"scenario": {q.Scenario}, "text": {q.Text}, "options": {strings.Join(q.Options, "\n")}, "explanation": {q.Explanation},
		"sort_order": {strconv.Itoa(q.SortOrder)}, "year": {strconv.Itoa(q.FiscalYear)}}
	var clauses []string
	for _, c := range q.Clauses {
		clauses = append(clauses, catalog.RefLabel(c))
	}
	v.Set("clauses", strings.Join(clauses, ", "))
	for _, a := range q.Answer {
		v.Add("answer", strconv.Itoa(a))
	}
	if q.Active {
		v.Set("active", "1")
	}
	return v
}

// questionFromForm reads the form over base. With locked set, a field
// fixed by answers that the form does not send (a disabled input) keeps
// base's value; one that it sends is taken, so that a change is refused
// by name rather than ignored.
func questionFromForm(form url.Values, base Question, locked bool) Question {
	q := base
	q.esc = nil // the texts may change
	has := func(k string) bool {
		_, ok := form[k]
		return ok || !locked
	}
	if has("code") {
		q.Code = form.Get("code")
	}
	if has("audiences") {
		q.Audiences = form["audiences"]
	}
	if has("kind") {
		q.Kind = form.Get("kind")
	}
	if has("domain") {
		q.Domain = strings.TrimSpace(form.Get("domain"))
	}
	if has("clauses") {
		q.Clauses = formLines(form.Get("clauses"), true)
	}
	if has("item_code") {
		q.ItemCode = form.Get("item_code")
	}
	if has("scenario") {
		q.Scenario = strings.ReplaceAll(form.Get("scenario"), "\r\n", "\n")
	}
	if has("text") {
		q.Text = strings.ReplaceAll(form.Get("text"), "\r\n", "\n")
	}
	if has("options") {
		q.Options = formLines(form.Get("options"), false)
	}
	if has("answer") {
		q.Answer = nil
		for _, a := range form["answer"] {
			n, err := strconv.Atoi(a)
			if err != nil {
				n = -1
			}
			if !slices.Contains(q.Answer, n) {
				q.Answer = append(q.Answer, n)
			}
		}
		slices.Sort(q.Answer)
	}
	if has("sort_order") {
		s := strings.TrimSpace(form.Get("sort_order"))
		q.SortOrder = 0
		if s != "" {
			n, err := strconv.Atoi(jp.Normalize(s))
			if err != nil {
				n = -1
			}
			q.SortOrder = n
		}
	}
	q.Explanation = strings.ReplaceAll(form.Get("explanation"), "\r\n", "\n")
	q.Active = form.Get("active") == "1"
	return q
}

// previewOf is the question as the preview shows it: cleaned as saving
// would, when it is complete enough to show.
func previewOf(q Question) *Question {
	_ = CheckQuestion(&q)
	if q.Text == "" || KindLabel(q.Kind) == q.Kind {
		return nil
	}
	return &q
}

func (m *Module) questionNew(w http.ResponseWriter, r *http.Request) error {
	fy, _, err := m.yearAudience(r.Context(), r.URL.Query(), true)
	if err != nil {
		return err
	}
	v := questionFormView{Year: fy, Values: url.Values{"year": {strconv.Itoa(fy)}, "active": {"1"}, "audiences": {AudienceGeneral}, "kind": {KindKnowledge}}}
	return web.Render(w, r, http.StatusOK, "survey/survey_question_form", "設問の追加", v)
}

func (m *Module) questionCreate(w http.ResponseWriter, r *http.Request) error {
	fy, err := formYear(r)
	if err != nil {
		return err
	}
	q := questionFromForm(r.PostForm, Question{FiscalYear: fy}, false)
	v := questionFormView{Year: fy, Values: r.PostForm}
	if r.PostFormValue("action") == "preview" {
		v.Errors = m.store.checkEditor(r.Context(), &q, nil)
		v.Preview = previewOf(q)
		return web.Render(w, r, http.StatusOK, "survey/survey_question_form", "設問の追加", v)
	}
	id, err := m.store.CreateQuestion(r.Context(), q, byName(r))
	if errors.As(err, &v.Errors) {
		v.Message = "入力内容に問題があります。各欄の下の説明を確かめてください。まだ保存していません。"
		v.Preview = previewOf(q)
		return web.Render(w, r, http.StatusUnprocessableEntity, "survey/survey_question_form", "設問の追加", v)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, "/selfcheck/questions/"+strconv.FormatInt(id, 10), fmt.Sprintf("設問 %s を%sに追加しました。", strings.TrimSpace(q.Code), jp.FiscalYearLabel(fy)), true)
}

// questionPage is the edit form of a stored question.
func (m *Module) questionPage(ctx context.Context, q Question) (questionFormView, error) {
	uses, err := m.store.QuestionLock(ctx, q)
	if err != nil {
		return questionFormView{}, err
	}
	v := questionFormView{ID: q.ID, Rev: q.Rev, Year: q.FiscalYear, Code: q.Code, Values: questionValues(q), Locked: uses, Preview: previewOf(q)}
	if q.UpdatedBy != "" || !q.UpdatedAt.IsZero() {
		v.Updated = strings.TrimSpace(q.UpdatedBy + " " + jp.FormatWarekiDateTime(q.UpdatedAt.In(jp.JST)))
	}
	return v, nil
}

func (m *Module) questionEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	q, err := m.store.Question(r.Context(), id)
	if err != nil {
		return err
	}
	v, err := m.questionPage(r.Context(), q)
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "survey/survey_question_form", "設問 "+q.Code, v)
}

func (m *Module) questionUpdate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	old, err := m.store.Question(ctx, id)
	if err != nil {
		return err
	}
	v, err := m.questionPage(ctx, old)
	if err != nil {
		return err
	}
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	q := questionFromForm(r.PostForm, old, len(v.Locked) > 0)
	v.Values = questionValues(q)
	v.Values.Set("clauses", r.PostFormValue("clauses"))
	if _, ok := r.PostForm["clauses"]; !ok {
		v.Values.Set("clauses", questionValues(old).Get("clauses"))
	}
	v.Values.Set("sort_order", r.PostFormValue("sort_order"))
	if _, ok := r.PostForm["sort_order"]; !ok {
		v.Values.Set("sort_order", strconv.Itoa(old.SortOrder))
	}
	v.Rev = rev
	title := "設問 " + old.Code
	if r.PostFormValue("action") == "preview" {
		q.FiscalYear = old.FiscalYear
		v.Errors = m.store.checkEditor(ctx, &q, old.Clauses)
		v.Preview = previewOf(q)
		return web.Render(w, r, http.StatusOK, "survey/survey_question_form", title, v)
	}
	err = m.store.UpdateQuestion(ctx, id, rev, q, byName(r))
	switch {
	case errors.Is(err, ErrConflict):
		v.Message = ErrConflict.Error() + "（入力した内容はまだ保存していません。）"
		v.Preview = previewOf(q)
		return web.Render(w, r, http.StatusConflict, "survey/survey_question_form", title, v)
	case errors.As(err, &v.Errors):
		v.Message = "入力内容に問題があります。各欄の下の説明を確かめてください。まだ保存していません。"
		if msg := v.Errors["form"]; msg != "" {
			v.Message = msg
		}
		v.Preview = previewOf(q)
		return web.Render(w, r, http.StatusUnprocessableEntity, "survey/survey_question_form", title, v)
	case err != nil:
		return err
	}
	return web.Redirect(w, r, "/selfcheck/questions/"+strconv.FormatInt(id, 10), fmt.Sprintf("設問 %s を保存しました。", strings.TrimSpace(q.Code)), true)
}
