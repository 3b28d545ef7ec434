package learning

import (
	"context"
	"errors"
	"fmt"

	"mamori/internal/jobs"
)

// Schedules implements module.Scheduled: every morning, the people not
// finished with an open campaign are reminded within the campaign's own
// limits (how many reminders, how many days apart) — in the app and, when
// mail is configured, by mail.
func (m *Module) Schedules() []jobs.Schedule {
	return []jobs.Schedule{{Name: "learning.remind", Label: "研修の未修了者への催促（受講期間中の研修）", Daily: 9, Run: m.remindAll}}
}

func (m *Module) remindAll(ctx context.Context) (string, error) {
	cs, err := m.store.Campaigns(ctx, m.d.Org.CurrentFiscalYear(ctx))
	if err != nil {
		return "", err
	}
	now := m.store.now()
	n, people, held := 0, 0, 0
	for _, c := range cs {
		if c.RemindMax == 0 || !c.OpenOn(now) {
			continue
		}
		r, h, err := m.store.Remind(ctx, c.ID, 0, "定時の催促（自動）")
		var fe FieldErrors
		if errors.As(err, &fe) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", c.Code, err)
		}
		n, people, held = n+1, people+r, held+h
	}
	return fmt.Sprintf("受講期間中の研修 %d 件で %d 人に催促しました（回数・間隔の上限で見送り %d 人）。", n, people, held), nil
}
