package scan

import (
	"context"
	"fmt"
	"strings"
	"time"

	"mamori/internal/jobs"
	"mamori/internal/jp"
	"mamori/internal/mail"
)

// Schedules implements module.Scheduled: every open-office morning the
// security office (the CSIRT address of the settings screen) is told by
// mail of the findings whose risk acceptance has lapsed or lapses within
// acceptAhead — at most once a week. The same findings show under 要対応
// and on the home tile at any time.
func (m *Module) Schedules() []jobs.Schedule {
	return []jobs.Schedule{{Name: "scan.remind", Label: "リスク受容の期限が近い・過ぎた指摘の情報セキュリティ担当への通知（メール）", Daily: 8, Run: m.remindAcceptances}}
}

// acceptAhead is how soon an acceptance's end is worth a notice.
const acceptAhead = 14

func (m *Module) remindAcceptances(ctx context.Context) (string, error) {
	if !m.d.Mail.Enabled() {
		return "メールの送信が設定されていないため、通知していません（期限の過ぎたリスク受容は画面の「要対応」に表示されています）。", nil
	}
	to, ok, err := m.d.Org.SecurityOffice(ctx)
	if err != nil {
		return "", err
	}
	if !ok {
		return "設定画面にインシデント報告の連絡先（メール）がないため、通知していません。", nil
	}
	now := m.d.Now().In(jp.JST)
	if jp.OfficeClosed(now) {
		return "閉庁日のため通知していません。", nil
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	limit := today.AddDate(0, 0, acceptAhead).Format("2006-01-02")
	rows, err := m.d.DB.Query(ctx, `SELECT p.engagement_id, f.id, f.title, f.severity, f.host, f.accept_until FROM scan_findings f JOIN scan_plans p ON p.id = f.plan_id
		WHERE f.status = ? AND f.accept_until <> '' AND f.accept_until <= ? ORDER BY f.accept_until, f.id`, StatusAccepted, limit)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	n, lapsed := 0, 0
	for rows.Next() {
		var eng, id int64
		var title, sev, host, until string
		if err := rows.Scan(&eng, &id, &title, &sev, &host, &until); err != nil {
			rows.Close()
			return "", err
		}
		mark := "期限間近"
		if until < today.Format("2006-01-02") {
			mark, lapsed = "期限切れ", lapsed+1
		}
		when := until
		if t, err := time.Parse("2006-01-02", until); err == nil {
			when = jp.FormatWareki(t)
		}
		if host != "" {
			title += "（" + host + "）"
		}
		fmt.Fprintf(&b, "・【%s】%s（重大度 %s、受容の期限 %s）\n  %s\n", mark, title, sev, when, m.d.Mail.Link(fmt.Sprintf("/scan/%d/findings/%d", eng, id)))
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	if n == 0 {
		return "期限の近い・過ぎたリスク受容はありません。", nil
	}
	year, week := now.ISOWeek()
	queued := false
	err = m.d.DB.WithTx(ctx, func(ctx context.Context) error {
		ok, err := m.d.Mail.Enqueue(ctx, mail.Message{To: to.Email, ToName: to.Name, Kind: "notice", Ref: "scan_acceptances",
			Key:     fmt.Sprintf("scan-remind:%d-%02d", year, week),
			Subject: fmt.Sprintf("【技術的検証】リスク受容の期限切れ %d 件・期限間近 %d 件", lapsed, n-lapsed),
			Body: fmt.Sprintf("%s 様\n\n技術的検証の指摘のうち、リスク受容の期限が過ぎたもの・近いものをお知らせします。\n対応するか、理由を見直して受容を延長してください。\n\n%s\n（このメールは週に一度、平日の朝に自動で送っています）\n",
				to.Name, b.String())})
		if err != nil || !ok {
			return err
		}
		queued = true
		return m.d.Log.Record(ctx, "scan.remind", "scan_acceptances", fmt.Sprintf("リスク受容の期限切れ %d 件・期限間近 %d 件を情報セキュリティ担当にメールで通知", lapsed, n-lapsed))
	})
	if err != nil {
		return "", err
	}
	if !queued {
		return fmt.Sprintf("期限の近い・過ぎたリスク受容 %d 件は、今週すでに通知しています。", n), nil
	}
	return fmt.Sprintf("期限の近い・過ぎたリスク受容 %d 件を %s に通知しました。", n, to.Email), nil
}
