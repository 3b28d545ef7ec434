package survey

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"

	"mamori/content"
	"mamori/internal/database"
	"mamori/internal/module"
)

// demoFiscalYear is the demo ward's working year (令和8年度).
const demoFiscalYear = 2026

// demoSkill is the chance that a member of staff answers a knowledge
// question of each domain right, last year and this year: passwords are
// well understood, mis-sending and generative AI are not (and generative
// AI got worse as its use spread), targeted mail improved after last
// year's training.
var demoSkill = map[string][2]float64{
	"phishing": {0.64, 0.74}, "password": {0.86, 0.89}, "removable": {0.70, 0.73}, "misdelivery": {0.57, 0.56},
	"sns": {0.70, 0.72}, "outsourcing": {0.62, 0.66}, "mynumber": {0.66, 0.70}, "cloud_ai": {0.58, 0.49},
	"incident": {0.66, 0.72}, "physical": {0.79, 0.81}, "classification": {0.60, 0.63}, "system_ops": {0.68, 0.71},
}

// CreateDemo implements module.DemoMaker: the questions of 令和7・8年度,
// last year's finished campaign, this year's finished whole-ward
// campaign (anonymous) and an open one for 区民部 and 福祉部 with a live
// response rate (the demo 職員 has not answered it yet).
func (m *Module) CreateDemo(ctx context.Context, d module.Demo) error {
	d.Progress("自己点検の設問と回答を作成しています")
	s := m.store
	qs, err := LoadBank(content.FS, demoFiscalYear)
	if err != nil {
		return err
	}
	for _, fy := range []int{demoFiscalYear - 1, demoFiscalYear} {
		if _, err := s.ImportBank(ctx, qs, fy, "システム"); err != nil {
			return err
		}
	}
	comments, err := demoComments()
	if err != nil {
		return err
	}
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return err
	}
	var partial []int64
	for _, dep := range tree.Flat() {
		if dep.Name == "区民部" || dep.Name == "福祉部" {
			partial = append(partial, dep.ID)
		}
	}
	type plan struct {
		fy         int
		title      string
		anonymous  bool
		opens      string
		closes     string
		rate       float64
		close      bool
		depts      []int64
		skill      int
		skipLogins bool
	}
	plans := []plan{
		{demoFiscalYear - 1, "令和7年度 情報セキュリティ自己点検（全職員）", false, "2025-07-01", "2025-07-18", 0.82, true, nil, 0, false},
		{demoFiscalYear, "令和8年度 情報セキュリティ自己点検（全職員）", true, "2026-07-06", "2026-07-24", 0.87, true, nil, 1, false},
		{demoFiscalYear, "令和8年度 自己点検（区民部・福祉部 追加実施）", false, "2026-11-30", "2026-12-18", 0.46, false, partial, 1, true},
	}
	for i, p := range plans {
		id, err := s.CreateCampaign(ctx, CampaignInput{FiscalYear: p.fy, Title: p.title, Audiences: AudienceOrder, Anonymous: p.anonymous,
			OpensOn: parseDate(p.opens), ClosesOn: parseDate(p.closes), Departments: p.depts,
			Note: "情報セキュリティポリシーの理解と日ごろの実践を確かめる自己点検です。所要時間は 15～20 分です。回答すると、理解度の設問の解説が表示されます。"}, "システム")
		if err != nil {
			return err
		}
		if _, err := s.OpenCampaign(ctx, id, "システム"); err != nil {
			return err
		}
		c, err := s.Campaign(ctx, id)
		if err != nil {
			return err
		}
		bank, err := s.Questions(ctx, p.fy, false)
		if err != nil {
			return err
		}
		n, err := m.demoAnswers(ctx, c, bank, comments, p.rate, p.skill, p.skipLogins, uint64(i+1))
		if err != nil {
			return err
		}
		if p.close {
			if _, err := s.db.Exec(ctx, "UPDATE survey_campaigns SET state = 'closed' WHERE id = ?", id); err != nil {
				return err
			}
		}
		if err := s.log.Record(ctx, "survey.demo_answers", fmt.Sprintf("survey_campaign:%d", id), fmt.Sprintf("%s デモの回答 %d 件を作成", c.Code, n)); err != nil {
			return err
		}
		// The finished campaign of the working year: its weak domains are
		// in the register, as the security office puts them there after
		// the close (the e-learning reads them as the year's emphasis).
		if p.close && p.fy == demoFiscalYear {
			if _, err := m.RegisterWeaknesses(ctx, id); err != nil {
				return err
			}
		}
	}
	return nil
}

func demoComments() ([]string, error) {
	b, err := content.FS.ReadFile("demo/survey_comments.txt")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out, nil
}

// hash01 is a stable number in [0, 1) for a key.
func hash01(key string) float64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return float64(h.Sum64()%10000) / 10000
}

// demoAnswers fills a campaign with answers of about rate of its invited
// staff, written straight to the tables in one transaction (the demo is
// built before anyone signs in). Departments differ a little, questions
// differ in difficulty, and wrong answers favour the plausible mistake
// (the first wrong option) so the analysis has something true to say.
func (m *Module) demoAnswers(ctx context.Context, c Campaign, bank []Question, comments []string, rate float64, skill int, skipLogins bool, seed uint64) (int, error) {
	s := m.store
	r := rand.New(rand.NewPCG(seed, 42))
	skipped := map[int64]bool{}
	if skipLogins {
		// The demo accounts have not answered the open campaign, so that
		// signing in as 職員 shows a questionnaire to answer.
		accounts, err := s.org.Accounts(ctx)
		if err != nil {
			return 0, err
		}
		for _, a := range accounts {
			if a.StaffID != 0 {
				skipped[a.StaffID] = true
			}
		}
	}
	rows, err := s.db.Query(ctx, "SELECT id, staff_id, COALESCE(department_id, 0), audiences FROM survey_invitations WHERE campaign_id = ? ORDER BY id", c.ID)
	if err != nil {
		return 0, err
	}
	type inv struct {
		id, staff, dept int64
		auds            string
	}
	var list []inv
	for rows.Next() {
		var v inv
		if err := rows.Scan(&v.id, &v.staff, &v.dept, &v.auds); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, v)
	}
	rows.Close()
	days := int(c.ClosesOn.Sub(c.OpensOn).Hours()/24) + 1
	n := 0
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		var batch []any
		var ids []any
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			q := "INSERT INTO survey_responses (campaign_id, staff_id, department_id, audiences, answers, source, submitted_on) VALUES " +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", len(batch)/7), ", ")
			if _, err := s.db.Exec(ctx, q, batch...); err != nil {
				return err
			}
			if _, err := s.db.Exec(ctx, "UPDATE survey_invitations SET submitted = TRUE WHERE id IN ("+database.Placeholders(len(ids))+")", ids...); err != nil {
				return err
			}
			batch, ids = batch[:0], ids[:0]
			return nil
		}
		for _, v := range list {
			deptRate := rate + (hash01(fmt.Sprint("rate", v.dept))-0.5)*0.2
			if skipped[v.staff] || r.Float64() >= deptRate {
				continue
			}
			auds := split(v.auds, ",")
			f := FormFor(c, bank, auds)
			deptSkill := (hash01(fmt.Sprint("dept", v.dept)) - 0.5) * 0.12
			person := (r.Float64() - 0.5) * 0.2
			answers := map[string]string{}
			var order []Question
			for _, sec := range f.Sections {
				order = append(order, sec.Questions...)
			}
			for _, q := range order {
				code := q.Code
				base := demoSkill[q.Domain][skill]
				if base == 0 {
					base = 0.7
				}
				p := base + deptSkill + person + (hash01(code)-0.5)*0.16
				switch q.Kind {
				case KindKnowledge:
					if r.Float64() < p {
						answers[code] = joinInts(q.Answer)
						continue
					}
					var wrong []int
					for k := 1; k <= len(q.Options); k++ {
						if !q.IsCorrectOption(k) {
							wrong = append(wrong, k)
						}
					}
					if len(wrong) == 0 {
						answers[code] = joinInts(q.Answer)
						continue
					}
					pick := wrong[0]
					if len(wrong) > 1 && r.Float64() > 0.55 {
						pick = wrong[1+r.IntN(len(wrong)-1)]
					}
					answers[code] = strconv.Itoa(pick)
				case KindPractice:
					x := r.Float64()
					switch {
					case x < p-0.05:
						answers[code] = "1"
					case x < p+0.15:
						answers[code] = "2"
					case x < 0.97:
						answers[code] = "3"
					default:
						answers[code] = "4"
					}
				case KindLikert:
					answers[code] = strconv.Itoa(min(5, 1+int(r.ExpFloat64()*0.9)))
				case KindSingle:
					answers[code] = strconv.Itoa(1 + min(len(q.Options)-1, int(r.ExpFloat64()*1.2)))
				case KindMultiple:
					var picks []int
					for k := 1; k <= len(q.Options); k++ {
						if r.Float64() < 0.45/float64(k) {
							picks = append(picks, k)
						}
					}
					if len(picks) == 0 {
						picks = []int{1}
					}
					answers[code] = joinInts(picks)
				case KindText:
					if r.IntN(6) == 0 {
						answers[code] = comments[r.IntN(len(comments))]
					}
				}
			}
			b, err := json.Marshal(answers)
			if err != nil {
				return err
			}
			// Most answer on the first days.
			day := min(days-1, int(r.ExpFloat64()*float64(days)/5))
			on := c.OpensOn.AddDate(0, 0, day)
			if !c.ClosesOn.Before(s.today()) && on.After(s.today()) {
				on = s.today()
			}
			var staff any
			if !c.Anonymous {
				staff = v.staff
			}
			batch = append(batch, c.ID, staff, v.dept, v.auds, string(b), SourceWeb, dateKey(on))
			ids = append(ids, v.id)
			n++
			if len(ids) == 100 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return flush()
	})
	return n, err
}
