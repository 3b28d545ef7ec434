package survey_test

import (
	"errors"
	"mamori/internal/testkit"
	"strconv"
	"sync"
	"testing"

	"mamori/internal/survey"
	"mamori/internal/webtest"
)

// TestCampaignsChangedTogether: campaigns created, edited and opened by
// several people at the same moment (concurrent transactions on
// PostgreSQL) get distinct codes, lose no edit silently and invite each
// person once; the losers get a clear refusal.
func TestCampaignsChangedTogether(t *testing.T) {
	testkit.NoRace(t)
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		f := newFixtureOn(t, dsn, false)
		in := func(title string) survey.CampaignInput {
			return survey.CampaignInput{FiscalYear: 2030, Title: title, Audiences: []string{survey.AudienceGeneral},
				OpensOn: f.today.AddDate(0, 0, -1), ClosesOn: f.today.AddDate(0, 0, 7), Departments: []int64{f.dept}}
		}
		const n = 10
		var wg sync.WaitGroup
		ids, errs := make([]int64, n), make([]error, n)
		for i := range n {
			wg.Go(func() { ids[i], errs[i] = f.st.CreateCampaign(f.ctx, in("同時作成"), "テスト") })
		}
		wg.Wait()
		codes := map[string]bool{}
		for i, err := range errs {
			if err != nil {
				t.Fatalf("create %d: %v", i, err)
			}
			c, err := f.st.Campaign(f.ctx, ids[i])
			if err != nil {
				t.Fatal(err)
			}
			if codes[c.Code] {
				t.Errorf("code %s given twice", c.Code)
			}
			codes[c.Code] = true
		}

		// The same form (rev 1) saved by everyone at once: one wins, the
		// others are told someone else was first.
		id := ids[0]
		for i := range n {
			wg.Go(func() { errs[i] = f.st.UpdateCampaign(f.ctx, id, 1, in("同時編集"), "テスト") })
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, survey.ErrConflict):
				t.Errorf("update: %v", err)
			}
		}
		if c, _ := f.st.Campaign(f.ctx, id); won != 1 || c.Rev != 2 {
			t.Errorf("%d updates accepted, rev %d; want 1 and rev 2", won, c.Rev)
		}

		// Opened by everyone at once: one opens it, the others are told it
		// is already open, and each person is invited once.
		counts := make([]int, n)
		for i := range n {
			wg.Go(func() { counts[i], errs[i] = f.st.OpenCampaign(f.ctx, id, "テスト") })
		}
		wg.Wait()
		won, invited := 0, 0
		for i, err := range errs {
			var fe survey.FieldErrors
			switch {
			case err == nil:
				won++
				invited = counts[i]
			case !errors.As(err, &fe):
				t.Errorf("open: %v", err)
			}
		}
		got := f.s.Count("SELECT COUNT(*) FROM survey_invitations WHERE campaign_id = ?", id)
		if won != 1 || got != invited || got == 0 {
			t.Errorf("%d opens accepted, %d invitations (reported %d)", won, got, invited)
		}
		if n := f.s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'survey.campaign_open' AND target = ?", "survey_campaign:"+strconv.FormatInt(id, 10)); n != 1 {
			t.Errorf("%d open entries in the audit log", n)
		}
	})
}
