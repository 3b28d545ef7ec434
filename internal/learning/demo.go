package learning

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"mamori/content"
	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/org"
)

// demoFiscalYear is the year the demo's courses are written for.
const demoFiscalYear = 2026

// CreateDemo implements module.DemoMaker: the year's three courses, the
// 個人情報保護研修 for the whole ward under way since June with progress that
// differs by department (the demo member of staff half-way through), and
// the 特定個人情報保護研修 for 区民部 and 福祉部 just started.
func (m *Module) CreateDemo(ctx context.Context, d module.Demo) error {
	d.Progress("研修の教材と受講状況を作成しています")
	s := m.store
	specs, err := LoadCourses(content.FS, demoFiscalYear)
	if err != nil {
		return err
	}
	if _, err := s.ImportCourses(ctx, specs, "システム"); err != nil {
		return err
	}
	priv, err := s.CourseByCode(ctx, "PRIV", demoFiscalYear)
	if err != nil {
		return err
	}
	myno, err := s.CourseByCode(ctx, "MYNO", demoFiscalYear)
	hasMyno := err == nil
	if err != nil && !errors.Is(err, database.ErrNotFound) {
		return err
	}
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return err
	}
	var parts []int64
	for _, dep := range tree.Flat() {
		if dep.Name == "区民部" || dep.Name == "福祉部" {
			parts = append(parts, dep.ID)
		}
	}
	now := s.now()
	closes := time.Date(demoFiscalYear+1, 2, 26, 0, 0, 0, 0, jp.JST)
	if later := now.AddDate(0, 0, 60); closes.Before(later) {
		closes = later
	}
	by := "情報政策課 情報セキュリティ係"
	pid, _, err := s.CreateCampaign(ctx, CampaignInput{CourseID: priv.ID, Title: "令和8年度 個人情報保護研修（全職員）",
		Opens: fmt.Sprintf("%d-06-01", demoFiscalYear), Closes: jp.DateKey(closes)}, by)
	if err != nil {
		return err
	}
	var mid int64
	if hasMyno {
		if mid, _, err = s.CreateCampaign(ctx, CampaignInput{CourseID: myno.ID, Title: "令和8年度 特定個人情報保護研修（区民部・福祉部）",
			Opens: jp.DateKey(now.AddDate(0, 0, -10)), Closes: jp.DateKey(closes), Departments: parts}, by); err != nil {
			return err
		}
	}
	accounts, err := m.d.Org.Accounts(ctx)
	if err != nil {
		return err
	}
	var demoStaff int64
	for _, a := range accounts {
		if a.Login == "staff" {
			demoStaff = a.StaffID
		}
	}
	if err := m.demoSCORM(ctx, tree.Flat(), closes, by); err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := m.demoPractice(ctx); err != nil {
			return err
		}
		if err := s.demoProgress(ctx, pid, priv, 0.55, demoStaff, time.Date(demoFiscalYear, 6, 1, 9, 0, 0, 0, jp.JST)); err != nil {
			return err
		}
		if !hasMyno {
			return nil
		}
		return s.demoProgress(ctx, mid, myno, 0.1, demoStaff, now.AddDate(0, 0, -10))
	})
}

// demoSCORM imports the sample vendor course (SCORM 1.2) and assigns it
// to 戸籍住民課, where the demo member of staff works, from five days ago.
func (m *Module) demoSCORM(ctx context.Context, deps []*org.Department, closes time.Time, by string) error {
	var target []int64
	for _, dep := range deps {
		if dep.Name == "戸籍住民課" {
			target = append(target, dep.ID)
		}
	}
	if len(target) == 0 {
		return nil
	}
	data, err := SamplePackage("telework")
	if err != nil {
		return err
	}
	p, err := ParseSCORM(data)
	if err != nil {
		return fmt.Errorf("learning demo: sample package: %w", err)
	}
	s := m.store
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		b, err := m.d.Blobs.Put(ctx, "telework-scorm12.zip", "application/zip", data, 0)
		if err != nil {
			return err
		}
		id, _, err := s.ImportSCORM(ctx, SCORMImport{Code: "SAMPLE-TW", FiscalYear: demoFiscalYear, Minutes: 15, PassPercent: 80}, p, b.ID,
			"telework-scorm12.zip", int64(len(data)), "システム")
		if err != nil {
			return err
		}
		_, _, err = s.CreateCampaign(ctx, CampaignInput{CourseID: id, Title: "令和8年度 （見本）外部教材 テレワークと持ち出し（戸籍住民課）",
			Opens: jp.DateKey(s.now().AddDate(0, 0, -5)), Closes: jp.DateKey(closes), Departments: target}, by)
		return err
	})
}

// demoProgress fills a campaign: each department completes about share
// of its people (more or less by department), some more are part-way, and
// the rest have not begun; completions have one or two attempts with
// answers that give their score. The demo member of staff has read the
// first three lessons and taken no test.
func (s *Store) demoProgress(ctx context.Context, campaignID int64, co Course, share float64, demoStaff int64, from time.Time) error {
	roster, err := s.Roster(ctx, campaignID, 0)
	if err != nil {
		return err
	}
	lessons, err := s.Lessons(ctx, co.ID)
	if err != nil {
		return err
	}
	qs, err := s.Questions(ctx, co.ID)
	if err != nil {
		return err
	}
	span := s.now().Sub(from)
	if span < time.Hour {
		span = time.Hour
	}
	var progress, attempts []any
	flush := func() error {
		if len(progress) > 0 {
			q := "INSERT INTO learning_progress (assignment_id, lesson_id, done_at, updated_at) VALUES " +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", len(progress)/4), ", ")
			if _, err := s.db.Exec(ctx, q, progress...); err != nil {
				return err
			}
			progress = progress[:0]
		}
		if len(attempts) > 0 {
			q := "INSERT INTO learning_attempts (assignment_id, seq, questions, answers, score, total, percent, passed, started_at, submitted_at) VALUES " +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", len(attempts)/10), ", ")
			if _, err := s.db.Exec(ctx, q, attempts...); err != nil {
				return err
			}
			attempts = attempts[:0]
		}
		return nil
	}
	for _, a := range roster {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d/%d", campaignID, a.StaffID)
		rng := rand.New(rand.NewPCG(h.Sum64(), uint64(a.DepartmentID)))
		dh := fnv.New32a()
		fmt.Fprintf(dh, "%d/%d", campaignID, a.DepartmentID)
		deptShare := share + (float64(dh.Sum32()%40)-20)/100 // ±20 points by department
		var mine []Lesson
		for _, l := range lessons {
			if l.For(a.Variant) {
				mine = append(mine, l)
			}
		}
		x := rng.Float64()
		read, complete := 0, false
		switch {
		case a.StaffID == demoStaff:
			read = min(3, len(mine))
		case x < deptShare:
			read, complete = len(mine), true
		case x < deptShare+0.2:
			read = 1 + rng.IntN(len(mine))
		}
		if read == 0 {
			continue
		}
		start := from.Add(time.Duration(rng.Float64() * float64(span) * 0.8))
		at := start
		for _, l := range mine[:read] {
			at = at.Add(time.Duration(l.Minutes+rng.IntN(4)) * time.Minute)
			progress = append(progress, a.ID, l.ID, database.T(at), database.T(at))
		}
		best, tries := -1, 0
		if complete {
			// One attempt, or a fail and then a pass.
			passes := []bool{true}
			if rng.IntN(4) == 0 {
				passes = []bool{false, true}
			}
			for seq, pass := range passes {
				drawn, err := drawTest(co, qs, a.Variant, rng)
				if err != nil {
					return err
				}
				wrong := rng.IntN(3)
				if !pass {
					wrong = len(drawn)/3 + rng.IntN(3)
				}
				ids, answers, score := []int64{}, map[int64][]int{}, 0
				for i, q := range drawn {
					ids = append(ids, q.ID)
					ans := q.Key
					if i < wrong {
						ans = wrongAnswer(q)
					}
					answers[q.ID] = ans
					if q.Correct(ans) {
						score++
					}
				}
				pct := score * 100 / len(drawn)
				started := at.Add(time.Duration(5+seq*30) * time.Minute)
				at = started.Add(time.Duration(8+rng.IntN(10)) * time.Minute)
				attempts = append(attempts, a.ID, seq+1, jsonText(ids), jsonText(answers), score, len(drawn), pct, pct >= co.PassPercent,
					database.T(started), database.T(at))
				best = max(best, pct)
				tries++
			}
		}
		var done any = ""
		if complete && best >= co.PassPercent {
			done = database.T(at)
		}
		if _, err := s.db.Exec(ctx, `UPDATE learning_assignments SET lessons_done = ?, attempts = ?, best_percent = ?, completed_at = ?, started_at = ?, updated_at = ?
			WHERE id = ?`, read, tries, best, done, database.T(start), database.T(at), a.ID); err != nil {
			return err
		}
		if len(progress) > 800 || len(attempts) > 300 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// wrongAnswer is a plausible wrong answer to q.
func wrongAnswer(q Question) []int {
	switch q.Kind {
	case KindTrueFalse:
		return []int{1 - q.Key[0]}
	case KindOrder:
		a := append([]int(nil), q.Key...)
		a[0], a[1] = a[1], a[0]
		return a
	case KindMultiple:
		return q.Key[:1]
	}
	return []int{(q.Key[0] + 1) % len(q.Options)}
}

// demoPractice hands in the practice audit of three trainees, staff of
// other sections who audit this year: one careful (a single miss), one who
// misses several and flags two items that are in fact fine, one in
// between. Their findings are the problems as they saw them.
func (m *Module) demoPractice(ctx context.Context) error {
	p, err := LoadPractice(content.FS, demoFiscalYear)
	if err != nil {
		return err
	}
	tree, err := m.d.Org.Departments(ctx)
	if err != nil {
		return err
	}
	var names []string
	for _, want := range []string{"財政課", "区民課", "職員課"} {
		for _, d := range tree.Flat() {
			if d.Name != want || len(names) == 3 {
				continue
			}
			staff, err := m.d.Org.StaffInDepartment(ctx, d.ID)
			if err != nil {
				return err
			}
			if len(staff) > 0 {
				names = append(names, d.Name+" "+staff[len(staff)/2].Name)
			}
		}
	}
	// Which planted problems each trainee missed, and which fine items
	// they judged 一部不適合.
	plans := []struct{ missed, falses []int }{{[]int{8}, nil}, {[]int{0, 4, 6, 8}, []int{0, 2}}, {[]int{2, 8}, []int{1}}}
	at := m.store.now().AddDate(0, 0, -20)
	for i, name := range names {
		js, fs := map[string]string{}, map[string]string{}
		for _, c := range p.Conform {
			js[c.Item] = "conform"
		}
		for k, x := range p.Planted {
			if slices.Contains(plans[i].missed, k) {
				js[x.Item] = "conform"
				continue
			}
			js[x.Item] = x.Judgement
			if i == 2 && x.Judgement == "nonconform" {
				js[x.Item] = "partial" // judged lighter than the model
			}
			fs[x.Item] = x.Problem
		}
		for _, k := range plans[i].falses {
			if k < len(p.Conform) {
				js[p.Conform[k].Item] = "partial"
				fs[p.Conform[k].Item] = "運用に不十分な点が見られたため、改善を求める。"
			}
		}
		now := database.T(at.Add(time.Duration(i) * 26 * time.Hour))
		if _, err := m.store.db.Exec(ctx, "INSERT INTO learning_practice (code, trainee_name, judgements, findings, submitted_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
			p.Code, name, jsonText(js), jsonText(fs), now, now); err != nil {
			return err
		}
	}
	return nil
}
