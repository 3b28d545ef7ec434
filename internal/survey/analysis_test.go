package survey_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"mamori/internal/app"
	"mamori/internal/auditlog"
	"mamori/internal/docgen/formats"
	"mamori/internal/improve"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/org"
	"mamori/internal/survey"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// anModuleIn is the survey module among an app's modules.
func anModuleIn(t testing.TB, ms []module.Module) *survey.Module {
	t.Helper()
	for _, m := range ms {
		if sm, ok := m.(*survey.Module); ok {
			return sm
		}
	}
	t.Fatal("no survey module")
	return nil
}

// anBank is a small question bank of every kind, for the analysis tests.
func anBank() []survey.Question {
	g, sys := survey.AudienceGeneral, survey.AudienceSystem
	qs := []survey.Question{
		{Code: "A-K1", Audiences: []string{g}, Kind: survey.KindKnowledge, Domain: "misdelivery", Text: "メールを送る前に確かめることは何ですか。",
			Options: []string{"件名だけ", "宛先と添付ファイル", "何も確かめない"}, Answer: []int{2}, Explanation: "宛先と添付を確かめます。"},
		{Code: "A-K2", Audiences: []string{g}, Kind: survey.KindKnowledge, Domain: "password", Text: "パスワードの扱いとして正しいものはどれですか。",
			Options: []string{"他人に教えない", "付箋に書いて貼る", "同僚と共用する", "全システムで同じにする"}, Answer: []int{1}, Explanation: "教えません。"},
		{Code: "A-K3", Audiences: []string{g, sys}, Kind: survey.KindKnowledge, Domain: "cloud_ai", Text: "生成AIに入力してよいものをすべて選んでください。",
			Options: []string{"公開済みの広報文", "住民の氏名と住所", "一般的な文章の言い回し"}, Answer: []int{1, 3}, Explanation: "個人情報は入力しません。"},
		{Code: "A-K4", Audiences: []string{sys}, Kind: survey.KindKnowledge, Domain: "system_ops", Text: "管理者権限の扱いとして正しいものはどれですか。",
			Options: []string{"共用する", "退職者のものも残す", "必要な人だけに個人ごとに付与する"}, Answer: []int{3}, Explanation: "個人ごとに付与します。"},
		{Code: "A-K5", Audiences: []string{g}, Kind: survey.KindKnowledge, Domain: "misdelivery", Scenario: "窓口で区民から申請書の写しを FAX で送るよう頼まれました。",
			Text: "最も適切なものはどれですか。", Options: []string{"短縮ダイヤルで送る", "送信後に電話で確認する", "番号を読み上げて二人で確認してから送る"}, Answer: []int{3},
			Explanation: "二人で確認します。"},
		{Code: "A-P1", Audiences: []string{g}, Kind: survey.KindPractice, Domain: "misdelivery", Clauses: []string{"hinode-policy:第19条"},
			Text: "メールの送信前に宛先を確認している。"},
		{Code: "A-P2", Audiences: []string{g, sys}, Kind: survey.KindPractice, Domain: "password", Clauses: []string{"hinode-policy:第19条", "mic-policy:4.1"},
			Text: "離席時に画面をロックしている。"},
		{Code: "A-L1", Audiences: []string{g}, Kind: survey.KindLikert, Domain: "incident", Text: "情報セキュリティは自分の仕事に関係があると思う。"},
		{Code: "A-S1", Audiences: []string{g}, Kind: survey.KindSingle, Text: "研修を受けた時期はいつですか。", Options: []string{"今年度", "昨年度", "それより前"}},
		{Code: "A-M1", Audiences: []string{g}, Kind: survey.KindMultiple, Text: "よく使う連絡手段をすべて選んでください。", Options: []string{"メール", "電話", "FAX", "チャット"}},
		{Code: "A-T1", Audiences: []string{g, sys}, Kind: survey.KindText, Text: "ご意見があれば書いてください。"},
	}
	for i := range qs {
		qs[i].SortOrder, qs[i].Active = i+1, true
	}
	return qs
}

// anWard is a demo ward with the analysis bank in some fiscal years.
type anWard struct {
	s   *webtest.Server // nil for a deployment opened by a sub-command's test
	a   *app.App
	m   *survey.Module
	st  *survey.Store
	ctx context.Context
}

func newAnWard(t *testing.T, years ...int) *anWard {
	t.Helper()
	s := webtest.Start(t, webtest.Options{Demo: true})
	w := anWardOf(t, s.App, years...)
	w.s = s
	return w
}

// anWardOf prepares the analysis bank in an app.
func anWardOf(t *testing.T, a *app.App, years ...int) *anWard {
	t.Helper()
	m := anModuleIn(t, a.Modules)
	w := &anWard{a: a, m: m, st: m.Store(), ctx: auditlog.WithActor(context.Background(), auditlog.Actor{Login: "test"})}
	for _, fy := range years {
		if n, err := w.st.ImportBank(w.ctx, anBank(), fy, "テスト"); err != nil || n != len(anBank()) {
			t.Fatalf("ImportBank %d: %d %v", fy, n, err)
		}
	}
	return w
}

// campaign opens a campaign of fiscal year fy for the departments given.
func (w *anWard) campaign(t *testing.T, fy int, anonymous bool, depts ...int64) survey.Campaign {
	t.Helper()
	today := time.Now()
	id, err := w.st.CreateCampaign(w.ctx, survey.CampaignInput{FiscalYear: fy, Title: fmt.Sprintf("%d 年度の自己点検", fy), Anonymous: anonymous,
		Audiences: []string{survey.AudienceGeneral, survey.AudienceSystem}, OpensOn: today.AddDate(0, 0, -1), ClosesOn: today.AddDate(0, 0, 7),
		Departments: depts}, "テスト")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.OpenCampaign(w.ctx, id, "テスト"); err != nil {
		t.Fatal(err)
	}
	return w.reload(t, id)
}

func (w *anWard) reload(t *testing.T, id int64) survey.Campaign {
	t.Helper()
	c, err := w.st.Campaign(w.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// invitations lists a campaign's invitations by department.
func (w *anWard) invitations(t *testing.T, c survey.Campaign) map[int64][]survey.Invitation {
	t.Helper()
	rows, err := w.a.DB.Query(w.ctx, "SELECT id FROM survey_invitations WHERE campaign_id = ? ORDER BY id", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := map[int64][]survey.Invitation{}
	for _, id := range ids {
		v, err := w.st.Invitation(w.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		out[v.DepartmentID] = append(out[v.DepartmentID], v)
	}
	return out
}

// anAnswers are one respondent's answers, drawn from r: skill is the
// chance of a right answer to a knowledge question, weak the chance for
// the misdelivery questions.
func anAnswers(r *rand.Rand, qs []survey.Question, auds []string, skill, weak float64) map[string][]string {
	out := map[string][]string{}
	for _, q := range qs {
		if !slices.ContainsFunc(auds, q.For) {
			continue
		}
		key := "q_" + q.Code
		switch q.Kind {
		case survey.KindKnowledge:
			p := skill
			if q.Domain == "misdelivery" {
				p = weak
			}
			if r.Float64() < p {
				for _, a := range q.Answer {
					out[key] = append(out[key], strconv.Itoa(a))
				}
			} else {
				wrong := 1 + r.IntN(len(q.Options))
				for q.IsCorrectOption(wrong) && !q.Multi() {
					wrong = 1 + r.IntN(len(q.Options))
				}
				out[key] = []string{strconv.Itoa(wrong)}
			}
		case survey.KindText:
			if r.IntN(3) == 0 {
				out[key] = []string{"特になし。\n改行と\"引用符\"と\\を含む意見"}
			}
		case survey.KindMultiple:
			out[key] = []string{"1", strconv.Itoa(1 + r.IntN(len(q.Options)))}
		default:
			out[key] = []string{strconv.Itoa(1 + r.IntN(len(q.Choices())))}
		}
	}
	return out
}

// submit answers invitations vs, each through Store.Submit.
func (w *anWard) submit(t *testing.T, c survey.Campaign, vs []survey.Invitation, seed uint64, skill, weak float64) {
	t.Helper()
	qs, err := w.st.Questions(w.ctx, c.FiscalYear, false)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 7))
	for _, v := range vs {
		form := survey.FormFor(c, qs, v.Audiences)
		answers, fe := form.Check(anAnswers(r, qs, v.Audiences, skill, weak))
		if fe != nil {
			t.Fatal(fe)
		}
		if err := w.st.Submit(w.ctx, survey.Submission{Invitation: v, Campaign: c, Answers: answers, Source: survey.SourceWeb,
			Actor: auditlog.Actor{Login: "test"}}); err != nil {
			t.Fatal(err)
		}
	}
}

// tree is the demo's department tree.
func (w *anWard) tree(t *testing.T) *org.Tree {
	t.Helper()
	tr, err := w.a.Org.Departments(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// count runs a COUNT query.
func (w *anWard) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := w.a.DB.QueryRow(w.ctx, q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// staffCount is the active staff of department d itself.
func (w *anWard) staffCount(t *testing.T, d int64) int {
	return w.count(t, "SELECT COUNT(*) FROM staff WHERE department_id = ? AND active = TRUE", d)
}

// biggestDivision is the 部 with the most staff below it that has at
// least some system staff.
func (w *anWard) biggestDivision(t *testing.T) *org.Department {
	t.Helper()
	tr := w.tree(t)
	var best *org.Department
	bestN := 0
	for _, d := range tr.Roots {
		n, sys := 0, 0
		for _, id := range tr.Subtree(d.ID) {
			n += w.staffCount(t, id)
			sys += w.count(t, "SELECT COUNT(*) FROM staff WHERE department_id = ? AND active = TRUE AND is_system = TRUE", id)
		}
		if sys >= 6 && n > bestN {
			best, bestN = d, n
		}
	}
	if best == nil {
		t.Fatal("no division with system staff in the demo")
	}
	return best
}

// questionID is the id of question code of fiscal year fy.
func (w *anWard) questionID(t *testing.T, fy int, code string) int64 {
	t.Helper()
	var id int64
	if err := w.a.DB.QueryRow(w.ctx, "SELECT id FROM survey_questions WHERE fiscal_year = ? AND code = ?", fy, code).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// ---- the independent recount ----

// recount is what a campaign's raw responses say, counted here without
// the analysis code.
type recount struct {
	respondents int
	overall     [2]int            // right, answered
	domain      map[string][2]int // by domain
	audience    map[string][2]int // by audience (questions of that audience)
	clause      map[string][2]float64
	counts      map[string][]int // by question: picks per choice
	answered    map[string]int
	correct     map[string]int
	withKnow    int // respondents with a knowledge answer
	perDept     map[int64]int
}

func parseInts(s string) []int {
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil
		}
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

func recountOf(t *testing.T, w *anWard, c survey.Campaign) recount {
	t.Helper()
	qs, err := w.st.Questions(w.ctx, c.FiscalYear, true)
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]survey.Question{}
	for _, q := range qs {
		byCode[q.Code] = q
	}
	rc := recount{domain: map[string][2]int{}, audience: map[string][2]int{}, clause: map[string][2]float64{}, counts: map[string][]int{},
		answered: map[string]int{}, correct: map[string]int{}, perDept: map[int64]int{}}
	rows, err := w.a.DB.Query(w.ctx, "SELECT COALESCE(department_id, 0), audiences, answers FROM survey_responses WHERE campaign_id = ?", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var dept int64
		var auds, raw string
		if err := rows.Scan(&dept, &auds, &raw); err != nil {
			t.Fatal(err)
		}
		var answers map[string]string
		if err := json.Unmarshal([]byte(raw), &answers); err != nil {
			t.Fatal(err)
		}
		rc.respondents++
		rc.perDept[dept]++
		know := false
		for code, ans := range answers {
			q, ok := byCode[code]
			if !ok || ans == "" {
				continue
			}
			rc.answered[code]++
			if q.Kind == survey.KindText {
				continue
			}
			picks := parseInts(ans)
			if rc.counts[code] == nil {
				rc.counts[code] = make([]int, len(q.Choices()))
			}
			for _, p := range picks {
				rc.counts[code][p-1]++
			}
			switch q.Kind {
			case survey.KindKnowledge:
				know = true
				right := 0
				if slices.Equal(picks, q.Answer) {
					right = 1
				}
				rc.correct[code] += right
				add := func(m map[string][2]int, k string) { v := m[k]; v[0] += right; v[1]++; m[k] = v }
				rc.overall[0] += right
				rc.overall[1]++
				add(rc.domain, q.Domain)
				for _, a := range strings.Split(auds, ",") {
					if q.For(a) {
						add(rc.audience, a)
					}
				}
			case survey.KindPractice:
				v := map[int]float64{1: 1, 2: 0.5, 3: 0}
				if x, ok := v[picks[0]]; ok {
					for _, cl := range q.Clauses {
						s := rc.clause[cl]
						s[0] += x
						s[1]++
						rc.clause[cl] = s
					}
				}
			}
		}
		if know {
			rc.withKnow++
		}
	}
	return rc
}

func index(v [2]int) float64 { return 100 * float64(v[0]) / float64(v[1]) }

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestAnalysisRecount: the analysis of a division's answers equals an
// independent recount of the raw responses (overall, per domain, per
// audience, per clause, every choice's count, the weakest question and its
// most chosen wrong option), and the report, the briefing and the raw
// answers carry the same figures.
func TestAnalysisRecount(t *testing.T) {
	testkit.NoRace(t)
	w := newAnWard(t, 2031)
	div := w.biggestDivision(t)
	c := w.campaign(t, 2031, true, div.ID)
	var chosen []survey.Invitation
	for _, vs := range w.invitations(t, c) {
		for i, v := range vs {
			if slices.Contains(v.Audiences, survey.AudienceSystem) || i < 6 {
				chosen = append(chosen, v)
			}
		}
	}
	w.submit(t, c, chosen, 1, 0.75, 0.45)
	c = w.reload(t, c.ID)
	a, err := w.st.Analyze(w.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	rc := recountOf(t, w, c)
	if a.Respondents != rc.respondents || a.Respondents != len(chosen) || a.Invited != c.Invited || !a.Shown {
		t.Fatalf("respondents %d/%d (recount %d, submitted %d), shown %v", a.Respondents, a.Invited, rc.respondents, len(chosen), a.Shown)
	}
	if a.Overall.Correct != rc.overall[0] || a.Overall.Answered != rc.overall[1] {
		t.Errorf("overall %+v, recount %v", a.Overall, rc.overall)
	}
	if len(a.Domains) != len(rc.domain) {
		t.Errorf("%d domains, recount %d", len(a.Domains), len(rc.domain))
	}
	for _, d := range a.Domains {
		if !near(d.Score.Index(), index(rc.domain[d.Code])) {
			t.Errorf("domain %s: %v, recount %v", d.Code, d.Score.Index(), index(rc.domain[d.Code]))
		}
		if d.Weak != (d.Score.Index()-a.Overall.Index() <= -survey.WeakGap || d.Score.Index() < survey.WeakBelow) {
			t.Errorf("domain %s: weak %v at %v (overall %v)", d.Code, d.Weak, d.Score.Index(), a.Overall.Index())
		}
	}
	for _, au := range a.Audiences {
		if !au.Shown {
			t.Errorf("audience %s hidden with %d respondents", au.Audience, au.Respondents)
			continue
		}
		if !near(au.Score.Index(), index(rc.audience[au.Audience])) {
			t.Errorf("audience %s: %v, recount %v", au.Audience, au.Score.Index(), index(rc.audience[au.Audience]))
		}
	}
	for _, cl := range a.Clauses {
		want := rc.clause[cl.Clause][0] / rc.clause[cl.Clause][1]
		if !near(cl.Rate(), want) || cl.Answers != int(rc.clause[cl.Clause][1]) {
			t.Errorf("clause %s: %v over %d, recount %v over %v", cl.Clause, cl.Rate(), cl.Answers, want, rc.clause[cl.Clause][1])
		}
	}
	if len(a.Clauses) != 2 || a.Clauses[0].Label != "区のポリシー 対策基準第19条" && a.Clauses[1].Label != "区のポリシー 対策基準第19条" {
		t.Errorf("clauses %+v", a.Clauses)
	}
	for _, q := range a.Questions {
		if q.Answered != rc.answered[q.Question.Code] {
			t.Errorf("%s: answered %d, recount %d", q.Question.Code, q.Answered, rc.answered[q.Question.Code])
		}
		if q.Question.Kind != survey.KindText && !slices.Equal(q.Counts, rc.counts[q.Question.Code]) {
			t.Errorf("%s: counts %v, recount %v", q.Question.Code, q.Counts, rc.counts[q.Question.Code])
		}
	}
	// The weakest question and its most chosen wrong option.
	worstRate := 2.0
	for code, n := range rc.answered {
		if q, _ := w.st.Question(w.ctx, w.questionID(t, c.FiscalYear, code)); q.Kind == survey.KindKnowledge {
			worstRate = min(worstRate, float64(rc.correct[code])/float64(n))
		}
	}
	if len(a.Weakest) == 0 || !near(a.Weakest[0].Rate, worstRate) {
		t.Fatalf("weakest %+v, recount %v", a.Weakest, worstRate)
	}
	wq := a.Weakest[0]
	most, mostN := 0, -1
	for i, n := range rc.counts[wq.Question.Code] {
		if !wq.Question.IsCorrectOption(i+1) && n > mostN {
			most, mostN = i+1, n
		}
	}
	if mostN > 0 && (len(wq.Wrong) == 0 || wq.Wrong[0].Count != mostN || wq.Wrong[0].Text != wq.Question.Options[most-1]) {
		t.Errorf("weakest %s: wrong %+v, recount option %d picked %d times", wq.Question.Code, wq.Wrong, most, mostN)
	}
	if a.PersonDist.N != rc.withKnow {
		t.Errorf("person distribution over %d, recount %d", a.PersonDist.N, rc.withKnow)
	}
	n := 0
	for _, g := range a.Groups {
		n += g.Respondents
	}
	if a.Merge.OtherHidden {
		n += a.Merge.OtherRespondents + a.Merge.Unassigned
	}
	if n != a.Respondents {
		t.Errorf("groups hold %d respondents of %d (%+v)", n, a.Respondents, a.Merge)
	}

	overall := fmt.Sprintf("%.1f", index(rc.overall))
	rate := fmt.Sprintf("%.1f%%", 100*float64(rc.respondents)/float64(c.Invited))
	var buf bytes.Buffer
	if err := formats.PDF.Render(&buf, survey.ReportDocument(a)); err != nil {
		t.Fatal(err)
	}
	text := pdfFlat(testkit.PDFBytesText(t, buf.Bytes()))
	for _, want := range []string{pdfFlat(survey.ReportTitle), "全体の理解度は" + overall, "回答率は" + rate, "付録設問ごとの結果", "A-K5", "6提言"} {
		if !strings.Contains(text, want) {
			t.Errorf("report PDF lacks %q", want)
		}
	}
	for _, d := range a.Domains {
		if !strings.Contains(text, d.Label+strconv.Itoa(d.Questions)+fmt.Sprintf("%.1f", index(rc.domain[d.Code]))) {
			t.Errorf("report PDF lacks the row of %s at %.1f", d.Label, index(rc.domain[d.Code]))
		}
	}
	buf.Reset()
	if err := formats.DOCX.Render(&buf, survey.ReportDocument(a)); err != nil {
		t.Fatal(err)
	}
	if x := docxText(t, buf.Bytes()); !strings.Contains(x, "全体の理解度は "+overall+" であった") || !strings.Contains(x, "回答率は "+rate) {
		t.Errorf("report DOCX lacks the figures %s, %s", overall, rate)
	}
	buf.Reset()
	if err := formats.PDF.Render(&buf, survey.BriefingDocument(a)); err != nil {
		t.Fatal(err)
	}
	if text := pdfFlat(testkit.PDFBytesText(t, buf.Bytes())); !strings.Contains(text, "全体の理解度"+overall) || !strings.Contains(text, "今後の取組（提言）") {
		t.Errorf("briefing lacks the overall index %s:\n%s", overall, testkit.Truncate(text, 600))
	}
}

// pdfFlat is PDF text without spaces and line breaks (the layout breaks
// lines anywhere).
func pdfFlat(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\u3000' || r == '\f' {
			return -1
		}
		return r
	}, s)
}

var xmlTag = regexp.MustCompile(`<[^>]+>`)

// docxText is the text of a DOCX's main part.
func docxText(t *testing.T, b []byte) string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range z.File {
		if f.Name == "word/document.xml" {
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			x, _ := io.ReadAll(r)
			r.Close()
			return xmlTag.ReplaceAllString(string(x), "")
		}
	}
	t.Fatal("word/document.xml missing")
	return ""
}

// smallUnit finds a 課 with three 係 of at least six staff each.
func smallUnit(t *testing.T, w *anWard) (p *org.Department, kids []*org.Department) {
	t.Helper()
	for _, d := range w.tree(t).Flat() {
		kids = kids[:0]
		for _, k := range d.Children {
			if w.staffCount(t, k.ID) >= 6 {
				kids = append(kids, k)
			}
		}
		if d.ParentID != 0 && len(kids) >= 3 {
			return d, kids[:3]
		}
	}
	t.Fatal("no 課 with three 係 in the demo")
	return nil, nil
}

// TestAnalysisSmallGroups: fewer than five respondents in all show
// nothing; a department of fewer than five is merged into the one above,
// or, when that is still too small, into その他, which is hidden below
// five; the raw answers of an anonymous campaign name no one and show the
// merged department.
func TestAnalysisSmallGroups(t *testing.T) {
	testkit.NoRace(t)
	w := newAnWard(t, 2031)
	p, kids := smallUnit(t, w)
	x, y, z := kids[0], kids[1], kids[2]
	c := w.campaign(t, 2031, true, p.ID)
	inv := w.invitations(t, c)

	w.submit(t, c, inv[y.ID][:3], 2, 0.7, 0.7)
	a, err := w.st.Analyze(w.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Shown || a.Respondents != 3 || a.Domains != nil || a.Groups != nil || a.Overall.Has() {
		t.Fatalf("3 respondents: shown %v, domains %v, groups %v", a.Shown, a.Domains, a.Groups)
	}
	var buf bytes.Buffer
	if err := formats.PDF.Render(&buf, survey.ReportDocument(a)); err != nil {
		t.Fatal(err)
	}
	if text := pdfFlat(testkit.PDFBytesText(t, buf.Bytes())); !strings.Contains(text, "回答者が5人未満のため、個人が特定されないよう結果は示さない") || strings.Contains(text, "A-K1") {
		t.Errorf("report of 3 respondents shows results:\n%s", testkit.Truncate(text, 800))
	}

	w.submit(t, c, inv[x.ID][:6], 3, 0.7, 0.7)
	a, err = w.st.Analyze(w.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Shown || len(a.Groups) != 1 || a.Groups[0].DepartmentID != x.ID || a.Groups[0].Respondents != 6 {
		t.Fatalf("groups %+v", a.Groups)
	}
	want := survey.MergeNote{Departments: 1, Respondents: 3, Other: 1, OtherRespondents: 3, OtherHidden: true}
	if a.Merge != want {
		t.Errorf("merge %+v, want %+v", a.Merge, want)
	}
	if a.GroupOf(y.ID) != "" || a.GroupOf(x.ID) != x.Path {
		t.Errorf("raw departments: %q, %q", a.GroupOf(y.ID), a.GroupOf(x.ID))
	}
	if s := a.Merge.Sentence(); !strings.Contains(s, "5 人未満の 1 所属（回答者 3 人）") || !strings.Contains(s, "表示せず") {
		t.Errorf("merge note %q", s)
	}
	for _, ga := range a.Groups[0].Audiences {
		if ga.Shown != (ga.Respondents >= survey.MinGroup) || !ga.Shown && ga.Score.Has() {
			t.Errorf("audience %s of %d shown %v", ga.Audience, ga.Respondents, ga.Shown)
		}
	}

	w.submit(t, c, inv[z.ID][:2], 4, 0.7, 0.7)
	a, err = w.st.Analyze(w.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Groups) != 2 || a.Groups[0].DepartmentID != p.ID || a.Groups[0].Respondents != 5 || a.Groups[0].Merged != 2 || a.Groups[1].DepartmentID != x.ID {
		t.Fatalf("groups after merging two small 係 into their 課: %+v", a.Groups)
	}
	want = survey.MergeNote{Departments: 2, Respondents: 5}
	if a.Merge != want {
		t.Errorf("merge %+v, want %+v", a.Merge, want)
	}
	if a.GroupOf(y.ID) != p.Path || a.GroupOf(z.ID) != p.Path || a.DeptDist.N != 2 {
		t.Errorf("raw departments %q %q, distribution over %d", a.GroupOf(y.ID), a.GroupOf(z.ID), a.DeptDist.N)
	}

	// The raw answers: Shift_JIS CSV, no names, merged departments.
	tab, err := w.st.AnswersTable(w.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(tab.Headers, "氏名") || slices.Contains(tab.Headers, "職員番号") || len(tab.Rows) != 11 {
		t.Fatalf("anonymous raw answers: headers %v, %d rows", tab.Headers, len(tab.Rows))
	}
	admin := w.s.As("admin")
	csv := admin.Download(fmt.Sprintf("/selfcheck/results/%d/answers.csv", c.ID), "text/csv")
	recs, enc, err := jp.ReadCSV(csv)
	if err != nil || enc != jp.ShiftJIS {
		t.Fatalf("CSV: %v %v", enc, err)
	}
	depts := map[string]int{}
	for _, r := range recs[1:] {
		depts[r[1]]++
	}
	if len(recs) != 12 || depts[p.Path] != 5 || depts[x.Path] != 6 || recs[0][0] != "回答番号" || !slices.Contains(recs[0], "A-K1") {
		t.Errorf("CSV departments %v, header %v", depts, recs[0])
	}
	for _, r := range recs[1:] {
		for _, cell := range r {
			if strings.Contains(cell, y.Name) || strings.Contains(cell, z.Name) {
				t.Errorf("a merged department is named in the raw answers: %v", r)
			}
		}
	}
}

// TestAnalysisLastYear: a campaign of the year before is compared per
// domain (its figures equal its own recount); the weak domain goes to the
// improvement register once, is updated rather than duplicated when run
// again, and an action of a domain no longer weak is withdrawn.
func TestAnalysisLastYear(t *testing.T) {
	w := newAnWard(t, 2030, 2031)
	div := w.biggestDivision(t)
	var vs []survey.Invitation
	old := w.campaign(t, 2030, false, div.ID)
	for _, list := range w.invitations(t, old) {
		vs = append(vs, list[:min(len(list), 4)]...)
	}
	w.submit(t, old, vs, 5, 0.9, 0.85)
	if err := w.st.CloseCampaign(w.ctx, old.ID, "テスト"); err != nil {
		t.Fatal(err)
	}
	old = w.reload(t, old.ID)
	cur := w.campaign(t, 2031, false, div.ID)
	vs = nil
	for _, list := range w.invitations(t, cur) {
		vs = append(vs, list[:min(len(list), 4)]...)
	}
	w.submit(t, cur, vs, 6, 1, 0.2)
	a, err := w.st.Analyze(w.ctx, cur.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Last == nil || a.Last.Campaign.Code != old.Code || a.Last.Respondents != old.Answered {
		t.Fatalf("last year %+v, want %s", a.Last, old.Code)
	}
	then := recountOf(t, w, old)
	if !near(a.Last.Overall.Index(), index(then.overall)) {
		t.Errorf("last year's overall %v, recount %v", a.Last.Overall.Index(), index(then.overall))
	}
	for _, d := range a.Domains {
		if !near(d.Last.Index(), index(then.domain[d.Code])) || !near(d.Change(), d.Score.Index()-index(then.domain[d.Code])) {
			t.Errorf("%s: last %v (recount %v), change %v", d.Code, d.Last.Index(), index(then.domain[d.Code]), d.Change())
		}
	}
	mis, _ := a.Domain("misdelivery")
	if !mis.Weak || mis.Change() > -20 {
		t.Fatalf("misdelivery: %+v (change %v)", mis, mis.Change())
	}
	var weak []string
	for _, d := range a.WeakDomains() {
		weak = append(weak, d.Code)
	}
	if !slices.Equal(weak, []string{"misdelivery"}) {
		t.Fatalf("weak domains %v", weak)
	}
	if b, _ := w.st.Analyze(w.ctx, old.ID); b.Last != nil {
		t.Errorf("the first year compares with %+v", b.Last)
	}

	res, err := w.m.RegisterWeaknesses(w.ctx, cur.ID)
	if err != nil || res.Created != 1 || res.Updated+res.Unchanged+res.Withdrawn != 0 {
		t.Fatalf("register: %+v %v", res, err)
	}
	ref := cur.Code + "/misdelivery"
	reg := improve.NewStore(w.a.Deps())
	act, err := reg.ByRef(w.ctx, survey.ModuleKey, ref)
	if err != nil {
		t.Fatal(err)
	}
	if act.Source != improve.SourceSurveyWeakness || act.Title != "自己点検で理解度が低かった領域：誤送付・誤送信・誤交付" || act.FiscalYear != 2031 ||
		!strings.Contains(act.Detail, "研修（e-ラーニング）では") || !strings.Contains(act.Detail, "監査では") ||
		!strings.Contains(act.Detail, "誤送付・誤送信・誤交付の理解度は "+mis.Score.Label()) || !strings.Contains(act.Detail, "前年度は "+mis.Last.Label()) ||
		!strings.Contains(act.Clause, "区のポリシー 対策基準第19条") || act.Risk != "高" {
		t.Errorf("action: %+v", act)
	}
	// A stale action of a domain that is not weak (as if from an earlier
	// count) is withdrawn; the weak one is left as it is.
	if _, _, err := reg.Upsert(w.ctx, improve.Input{FiscalYear: 2031, Source: improve.SourceSurveyWeakness, SourceModule: survey.ModuleKey,
		SourceRef: cur.Code + "/password", Title: "自己点検で理解度が低かった領域：パスワード・認証"}); err != nil {
		t.Fatal(err)
	}
	res, err = w.m.RegisterWeaknesses(w.ctx, cur.ID)
	if err != nil || res.Created != 0 || res.Unchanged != 1 || res.Withdrawn != 1 {
		t.Fatalf("register again: %+v %v", res, err)
	}
	if n := w.s.Count("SELECT COUNT(*) FROM improvement_actions WHERE source_module = ? AND source_ref LIKE ?", survey.ModuleKey, cur.Code+"/%"); n != 1 {
		t.Errorf("%d actions after running twice, want 1", n)
	}
	if n := w.s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'survey.weakness_register' AND target = ?", fmt.Sprintf("survey_campaign:%d", cur.ID)); n != 2 {
		t.Errorf("%d audit entries of the register, want 2", n)
	}
	if !strings.Contains(res.Message(), "取り消しました") {
		t.Errorf("message %q", res.Message())
	}

	// The year: the report of both campaigns; progress open and closed.
	ds, err := w.m.Deliverables(w.ctx, 2031)
	if err != nil || len(ds) != 1 || ds[0].Key != cur.Code+"/report" || !slices.Equal(ds[0].Formats, []string{"pdf", "docx"}) {
		t.Fatalf("deliverables %+v %v", ds, err)
	}
	doc, err := ds[0].Build(w.ctx)
	if err != nil || doc.Meta.Title != survey.ReportTitle || doc.Meta.FiscalYear != 2031 {
		t.Fatalf("deliverable: %v %+v", err, doc.Meta)
	}
	ps, err := w.m.Progress(w.ctx, 2030)
	if err != nil || len(ps) != 1 || ps[0].Done != 1 || !ps[0].Completed {
		t.Errorf("progress 2030: %+v %v", ps, err)
	}
	cur = w.reload(t, cur.ID)
	ps, err = w.m.Progress(w.ctx, 2031)
	if err != nil || len(ps) != 1 || ps[0].Completed || !near(ps[0].Done, cur.Rate()) || ps[0].Done == 0 || ps[0].Link != fmt.Sprintf("/selfcheck/results/%d", cur.ID) {
		t.Errorf("progress 2031: %+v %v (rate %v)", ps, err, cur.Rate())
	}

	// An identified campaign's raw answers name the person.
	tab, err := w.st.AnswersTable(w.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(tab.Headers, "氏名") || len(tab.Rows) != len(vs) {
		t.Fatalf("identified raw answers: %v, %d rows", tab.Headers, len(tab.Rows))
	}
	named := 0
	for _, r := range tab.Rows {
		if r[2] != "" {
			named++
		}
	}
	if named != len(vs) {
		t.Errorf("%d of %d rows named", named, len(vs))
	}
}

// TestAnalysisPages: who reads the results and downloads what; every
// download is audited; the raw answers and the register are for managers.
func TestAnalysisPages(t *testing.T) {
	w := newAnWard(t, 2031)
	p, kids := smallUnit(t, w)
	c := w.campaign(t, 2031, true, p.ID)
	inv := w.invitations(t, c)
	w.submit(t, c, inv[kids[0].ID][:6], 8, 0.9, 0.2)
	w.submit(t, c, inv[kids[1].ID][:6], 9, 0.9, 0.2)
	draft, err := w.st.CreateCampaign(w.ctx, survey.CampaignInput{FiscalYear: 2031, Title: "準備中の自己点検", Audiences: []string{survey.AudienceGeneral},
		OpensOn: time.Now(), ClosesOn: time.Now().AddDate(0, 0, 7)}, "テスト")
	if err != nil {
		t.Fatal(err)
	}
	a, err := w.st.Analyze(w.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/selfcheck/results/%d", c.ID)
	admin, viewer := w.s.As("admin"), w.s.As("viewer")
	admin.Get("/selfcheck/results").Want(http.StatusOK, c.Code, c.Title).Lacks("準備中の自己点検")
	admin.Get(path).Want(http.StatusOK, "領域別の理解度", a.Overall.Label(), "弱点を改善措置台帳へ登録", "回答データ（Excel）", "<svg", "誤送付・誤送信・誤交付", "所属別の分布")
	viewer.Get(path).Want(http.StatusOK, a.Overall.Label(), "調査結果報告書（PDF）").Lacks("弱点を改善措置台帳へ登録", "回答データ（Excel）")
	for _, login := range []string{"staff", "auditee", "auditor", "vendor"} {
		w.s.As(login).Get(path).Want(http.StatusForbidden)
		w.s.As(login).Get("/selfcheck/results").Want(http.StatusForbidden)
	}
	admin.Get(fmt.Sprintf("/selfcheck/results/%d", draft)).Want(http.StatusNotFound)
	admin.Get("/selfcheck/results/999999").Want(http.StatusNotFound)

	before := w.s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = ?", fmt.Sprintf("survey_campaign:%d", c.ID))
	pdf := viewer.Download(path+"/report.pdf", "application/pdf")
	if text := pdfFlat(testkit.PDFBytesText(t, pdf)); !strings.Contains(text, "全体の理解度は"+a.Overall.Label()) {
		t.Errorf("report PDF lacks the overall index %s", a.Overall.Label())
	}
	docx := viewer.Download(path+"/report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
	if !strings.Contains(docxText(t, docx), "誤送付・誤送信・誤交付の理解度は") {
		t.Error("report DOCX lacks the recommendation on the weak domain")
	}
	viewer.Download(path+"/briefing.pdf", "application/pdf")
	viewer.Get(path + "/answers.xlsx").Want(http.StatusForbidden)
	xb := admin.Download(path+"/answers.xlsx", "application/vnd.openxmlformats")
	x, err := excelize.OpenReader(bytes.NewReader(xb))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows(x.GetSheetName(0))
	if err != nil || len(rows) != 13 || rows[0][1] != "所属" || !slices.Contains(rows[0], "A-T1") {
		t.Fatalf("XLSX: %d rows, header %v, %v", len(rows), rows[0], err)
	}
	col := slices.Index(rows[0], "A-K1")
	for _, r := range rows[1:] {
		if r[1] != kids[0].Path && r[1] != kids[1].Path || r[col] == "" {
			t.Errorf("XLSX row %v", r)
		}
	}
	after := w.s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = ?", fmt.Sprintf("survey_campaign:%d", c.ID))
	if after != before+4 {
		t.Errorf("%d download entries, want %d", after, before+4)
	}

	viewer.Post(path+"/register", nil).Want(http.StatusForbidden)
	admin.Post(path+"/register", nil).Redirects(path + "#register")
	admin.Get(path).Want(http.StatusOK, "改善措置台帳に反映しました", "/improve/")
	admin.Post(path+"/register", nil).Redirects(path)
	if n := w.s.Count("SELECT COUNT(*) FROM improvement_actions WHERE source_ref LIKE ?", c.Code+"/%"); n != len(a.WeakDomains()) || n == 0 {
		t.Errorf("%d actions for %d weak domains", n, len(a.WeakDomains()))
	}
}

// TestAnalysisCLI: `mamori survey list --json` and the exports of a
// campaign's report and raw answers, with their refusals.
func TestAnalysisCLI(t *testing.T) {
	testkit.NoRace(t)
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		t.Setenv("MAMORI_DATA", dir)
		t.Setenv("MAMORI_DB", "")
		code := app.Run(context.Background(), args, app.CLI{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Options: app.Options{Argon: webtest.Argon}})
		return code, out.String(), errb.String()
	}
	if code, _, errs := run("demo"); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	a := webtest.Open(t, dir)
	w := anWardOf(t, a, 2031)
	p, kids := smallUnit(t, w)
	c := w.campaign(t, 2031, true, p.ID)
	w.submit(t, c, w.invitations(t, c)[kids[0].ID][:6], 10, 0.8, 0.5)
	c = w.reload(t, c.ID)
	an, err := w.st.Analyze(w.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()

	code, out, errs := run("survey", "list", "--json", "--year", "令和13年度")
	var rows []survey.ListRow
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil || len(rows) != 1 {
		t.Fatalf("survey list --json: %d %v %s %s", code, err, out, errs)
	}
	r := rows[0]
	if r.Code != c.Code || r.Targets != c.Invited || r.Responses != 6 || !near(r.ResponseRate, math.Round(6/float64(c.Invited)*10000)/10000) ||
		!slices.Equal(r.Audiences, []string{"general", "system"}) || r.Departments != p.Path || !r.Anonymous || r.State != "open" {
		t.Errorf("row %+v (invited %d)", r, c.Invited)
	}
	if code, out, _ := run("survey", "list"); code != 0 || !strings.Contains(out, c.Code) || !strings.Contains(out, "回答率") {
		t.Errorf("survey list: %d %s", code, out)
	}
	if code, _, errs := run("survey"); code != 2 || !strings.Contains(errs, "survey list") {
		t.Errorf("survey without list: %d %s", code, errs)
	}

	pdf := filepath.Join(dir, "report.pdf")
	if code, out, errs := run("export", "survey-report", "--campaign", c.Code, "-o", pdf); code != 0 || !strings.Contains(out, "調査結果報告書") {
		t.Fatalf("export survey-report: %d %s %s", code, out, errs)
	}
	if text := pdfFlat(testkit.PDFText(t, pdf)); !strings.Contains(text, "全体の理解度は"+an.Overall.Label()) {
		t.Errorf("exported report lacks the overall index %s", an.Overall.Label())
	}
	csv := filepath.Join(dir, "answers.csv")
	if code, out, errs := run("export", "survey-answers", "--campaign", c.Code, "--format", "csv", "-o", csv); code != 0 || !strings.Contains(out, "6 件") {
		t.Fatalf("export survey-answers: %d %s %s", code, out, errs)
	}
	b, _ := os.ReadFile(csv)
	if recs, enc, err := jp.ReadCSV(b); err != nil || enc != jp.ShiftJIS || len(recs) != 7 || recs[1][1] != kids[0].Path {
		t.Errorf("exported CSV: %v %v %d rows", enc, err, len(recs))
	}
	if code, _, errs := run("export", "survey-report", "--campaign", c.Code, "--format", "xlsx", "-o", csv); code != 1 || !strings.Contains(errs, "pdf・docx のいずれか") {
		t.Errorf("report as xlsx: %d %s", code, errs)
	}
	if code, _, errs := run("export", "survey-answers", "--campaign", "2031-SC-99", "-o", csv); code != 1 || !strings.Contains(errs, "「2031-SC-99」がありません") {
		t.Errorf("unknown campaign: %d %s", code, errs)
	}
	a = webtest.Open(t, dir)
	defer a.Close()
	var n int
	if err := a.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = ?", fmt.Sprintf("survey_campaign:%d", c.ID)).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d download entries of the exports, want 2 (%v)", n, err)
	}
}

// BenchmarkAnalyze measures the analysis of 5,000 responses of 60 answers
// each (issue 12: under 500 ms), read from the database as the page does.
func BenchmarkAnalyze(b *testing.B) {
	s := webtest.Start(b, webtest.Options{Demo: true})
	st := anModuleIn(b, s.Modules).Store()
	ctx := context.Background()
	const fy = 2031
	bank := benchBank()
	if _, err := st.ImportBank(ctx, bank, fy, "性能測定"); err != nil {
		b.Fatal(err)
	}
	today := time.Now()
	id, err := st.CreateCampaign(ctx, survey.CampaignInput{FiscalYear: fy, Title: "性能測定", Audiences: survey.AudienceOrder, Anonymous: true,
		OpensOn: today, ClosesOn: today.AddDate(0, 0, 7)}, "性能測定")
	if err != nil {
		b.Fatal(err)
	}
	var depts []int64
	rows, err := s.DB.Query(ctx, "SELECT id FROM departments ORDER BY id")
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			b.Fatal(err)
		}
		depts = append(depts, d)
	}
	rows.Close()
	r := rand.New(rand.NewPCG(3, 4))
	const n, batch = 5000, 100
	err = s.DB.WithTx(ctx, func(ctx context.Context) error {
		for i := 0; i < n; i += batch {
			var args []any
			for range batch {
				answers := map[string]string{}
				for _, q := range bank {
					switch q.Kind {
					case survey.KindText:
						answers[q.Code] = "研修の回数を増やしてほしい。\n特に\"生成AI\"について。"
					case survey.KindMultiple:
						answers[q.Code] = "1,3"
					default:
						answers[q.Code] = strconv.Itoa(1 + r.IntN(len(q.Choices())))
					}
				}
				js, _ := json.Marshal(answers)
				args = append(args, id, depts[r.IntN(len(depts))], "general,system", string(js), "web", today.Format(time.DateOnly))
			}
			q := "INSERT INTO survey_responses (campaign_id, department_id, audiences, answers, source, submitted_on) VALUES " +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?), ", batch), ", ")
			if _, err := s.DB.Exec(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		a, err := st.Analyze(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		if a.Respondents != n || len(a.Questions) != len(bank) || a.Questions[0].Answered != n {
			b.Fatalf("analysed %d responses, %d questions", a.Respondents, len(a.Questions))
		}
	}
}

// benchBank is 60 questions as a year's bank has them: 30 knowledge
// questions over the domains, 12 practice, 8 attitude, 4 single, 4
// multiple and 2 free text.
func benchBank() []survey.Question {
	var out []survey.Question
	add := func(kind string, n int) {
		for i := range n {
			q := survey.Question{Code: fmt.Sprintf("B-%s-%02d", kind, i+1), Audiences: survey.AudienceOrder, Kind: kind,
				Domain: survey.Domains[i%len(survey.Domains)].Code, Text: "性能測定の設問", SortOrder: len(out) + 1, Active: true}
			switch kind {
			case survey.KindKnowledge:
				q.Options, q.Answer, q.Explanation = []string{"ア", "イ", "ウ", "エ"}, []int{1 + i%4}, "解説"
			case survey.KindSingle, survey.KindMultiple:
				q.Options = []string{"ア", "イ", "ウ", "エ"}
			case survey.KindPractice:
				q.Clauses = []string{fmt.Sprintf("hinode-policy:第%d条", 10+i%6)}
			}
			out = append(out, q)
		}
	}
	add(survey.KindKnowledge, 30)
	add(survey.KindPractice, 12)
	add(survey.KindLikert, 8)
	add(survey.KindSingle, 4)
	add(survey.KindMultiple, 4)
	add(survey.KindText, 2)
	return out
}
