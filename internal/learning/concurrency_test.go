package learning_test

import (
	"mamori/internal/testkit"
	"sync"
	"testing"
	"time"

	"mamori/internal/learning"
	"mamori/internal/webtest"
)

// TestLearnerStepsTogether: one learner's lessons finished at once, tests
// started at once (two tabs), campaigns created at once and reminders sent
// at once (concurrent transactions on PostgreSQL) lose no lesson, draw one
// attempt, get distinct codes and remind each person once.
func TestLearnerStepsTogether(t *testing.T) {
	testkit.NoRace(t)
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
		ctx := t.Context()
		st := learning.NewStore(s.Deps())
		aid := demoAssignment(s)
		a, err := st.Assignment(ctx, aid)
		if err != nil {
			t.Fatal(err)
		}
		c, err := st.Campaign(ctx, a.CampaignID)
		if err != nil {
			t.Fatal(err)
		}
		co, err := st.Course(ctx, c.CourseID)
		if err != nil {
			t.Fatal(err)
		}
		lessons, err := st.Lessons(ctx, c.CourseID)
		if err != nil {
			t.Fatal(err)
		}
		var mine []learning.Lesson
		for _, l := range lessons {
			if l.For(a.Variant) {
				mine = append(mine, l, l) // each twice: a double click too
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, len(mine))
		for i, l := range mine {
			wg.Go(func() { errs[i] = st.CompleteLesson(ctx, a, l) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Errorf("complete lesson: %v", err)
			}
		}
		if got := s.Count("SELECT lessons_done FROM learning_assignments WHERE id = ?", aid); got != len(mine)/2 {
			t.Errorf("lessons done %d, want %d", got, len(mine)/2)
		}

		const n = 10
		ids := make([]int64, n)
		errs = make([]error, n)
		for i := range n {
			wg.Go(func() {
				at, err := st.StartAttempt(ctx, a, c, co)
				ids[i], errs[i] = at.ID, err
			})
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Errorf("start %d: attempt %d (first %d) %v", i, ids[i], ids[0], errs[i])
			}
		}
		if got := s.Count("SELECT COUNT(*) FROM learning_attempts WHERE assignment_id = ? AND submitted_at = ''", aid); got != 1 {
			t.Errorf("%d open attempts, want 1", got)
		}

		dept := s.ID("SELECT department_id FROM staff WHERE id = ?", a.StaffID)
		camps := make([]int64, n)
		for i := range n / 2 {
			wg.Go(func() {
				camps[i], _, errs[i] = st.CreateCampaign(ctx, learning.CampaignInput{CourseID: co.ID, Title: "同時作成", Opens: c.Opens.Format(time.DateOnly), Closes: c.Closes.Format(time.DateOnly),
					Departments: []int64{dept}, RemindMax: 3, RemindEvery: 7}, "テスト")
			})
		}
		wg.Wait()
		for i := range n / 2 {
			if errs[i] != nil {
				t.Fatalf("create %d: %v", i, errs[i])
			}
		}
		if got := s.Count("SELECT COUNT(DISTINCT code) FROM learning_campaigns WHERE title = '同時作成'"); got != n/2 {
			t.Errorf("%d distinct codes for %d campaigns", got, n)
		}

		for i := range n {
			wg.Go(func() { _, _, errs[i] = st.Remind(ctx, camps[0], 0, "テスト") })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Errorf("remind %d: %v", i, errs[i])
			}
		}
		if got := s.Count("SELECT MAX(reminders) FROM learning_assignments WHERE campaign_id = ?", camps[0]); got != 1 {
			t.Errorf("reminded %d times at once, want once", got)
		}
	})
}
