package learning

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"mamori/content"
	"mamori/internal/database"
)

// BenchTaker is one learner of `mamori bench learning`: their assignment,
// the open attempt and the form that answers it (every tenth learner
// with a third of the answers wrong).
type BenchTaker struct {
	StaffID      int64
	AssignmentID int64
	AttemptID    int64
	Values       url.Values
}

// BenchSetup prepares `mamori bench learning`: the working year's
// courses, a whole-ward campaign of the 個人情報保護研修 open today, every
// lesson read by everyone (the deadline day: only the test is left) and an
// attempt drawn for each. It returns the campaign and the learners.
func (m *Module) BenchSetup(ctx context.Context) (int64, []BenchTaker, error) {
	s := m.store
	fy := s.org.CurrentFiscalYear(ctx)
	specs, err := LoadCourses(content.FS, demoFiscalYear)
	if err != nil {
		return 0, nil, err
	}
	for _, sp := range specs {
		sp.FiscalYear = fy
	}
	if _, err := s.ImportCourses(ctx, specs, "システム"); err != nil {
		return 0, nil, err
	}
	co, err := s.CourseByCode(ctx, "PRIV", fy)
	if err != nil {
		return 0, nil, err
	}
	now := s.now()
	id, _, err := s.CreateCampaign(ctx, CampaignInput{CourseID: co.ID, Title: "性能測定（確認テストの締切日）",
		Opens: now.AddDate(0, 0, -30).Format("2006-01-02"), Closes: now.AddDate(0, 0, 1).Format("2006-01-02")}, "システム")
	if err != nil {
		return 0, nil, err
	}
	roster, err := s.Roster(ctx, id, 0)
	if err != nil {
		return 0, nil, err
	}
	lessons, err := s.Lessons(ctx, co.ID)
	if err != nil {
		return 0, nil, err
	}
	c, err := s.Campaign(ctx, id)
	if err != nil {
		return 0, nil, err
	}
	qs, err := s.Questions(ctx, co.ID)
	if err != nil {
		return 0, nil, err
	}
	byID := map[int64]Question{}
	for _, q := range qs {
		byID[q.ID] = q
	}
	var out []BenchTaker
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		var batch []any
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			q := "INSERT INTO learning_progress (assignment_id, lesson_id, done_at, updated_at) VALUES " +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", len(batch)/4), ", ")
			_, err := s.db.Exec(ctx, q, batch...)
			batch = batch[:0]
			return err
		}
		stamp := database.T(now.Add(-time.Hour))
		for _, a := range roster {
			n := 0
			for _, l := range lessons {
				if l.For(a.Variant) {
					batch = append(batch, a.ID, l.ID, stamp, stamp)
					n++
				}
			}
			if _, err := s.db.Exec(ctx, "UPDATE learning_assignments SET lessons_done = ?, started_at = ? WHERE id = ?", n, stamp, a.ID); err != nil {
				return err
			}
			if len(batch) > 800 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return flush()
	})
	if err != nil {
		return 0, nil, err
	}
	for i, a := range roster {
		a.LessonsDone = 1
		t, err := s.StartAttempt(ctx, a, c, co)
		if err != nil {
			return 0, nil, fmt.Errorf("bench learning: %w", err)
		}
		v := url.Values{}
		for k, qid := range t.QuestionIDs {
			q := byID[qid]
			ans := q.Key
			if i%10 == 0 && k%3 == 0 {
				ans = wrongAnswer(q)
			}
			key := fmt.Sprintf("q%d", q.ID)
			if q.Kind == KindOrder {
				for place, opt := range ans {
					v.Set(fmt.Sprintf("%s_%d", key, opt), fmt.Sprint(place+1))
				}
				continue
			}
			for _, x := range ans {
				v.Add(key, fmt.Sprint(x))
			}
		}
		out = append(out, BenchTaker{StaffID: a.StaffID, AssignmentID: a.ID, AttemptID: t.ID, Values: v})
	}
	return id, out, nil
}

// BenchCount is what `mamori bench learning` checks after the load: the
// attempts submitted and the assignments whose one attempt was counted
// more than once (a lost submission shows in the first figure).
func (m *Module) BenchCount(ctx context.Context, campaignID int64) (submitted, miscounted int, err error) {
	if err = m.store.db.QueryRow(ctx, `SELECT COUNT(*) FROM learning_attempts t JOIN learning_assignments a ON a.id = t.assignment_id
		WHERE a.campaign_id = ? AND t.submitted_at <> ''`, campaignID).Scan(&submitted); err != nil {
		return
	}
	err = m.store.db.QueryRow(ctx, "SELECT COUNT(*) FROM learning_assignments WHERE campaign_id = ? AND attempts > 1", campaignID).Scan(&miscounted)
	return
}
