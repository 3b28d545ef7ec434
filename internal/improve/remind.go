package improve

import (
	"context"
	"fmt"
	"strings"
	"time"

	"mamori/internal/jobs"
	"mamori/internal/jp"
	"mamori/internal/mail"
)

// Schedules implements module.Scheduled: every weekday morning the
// departments that own an unfinished action past its due date, or due
// within remindAhead, are told by mail (the department's 所属長, org.Reader.Heads) — at most once a week per department,
// whichever instance runs the task. The register's own screens show the
// same actions as overdue at any time.
func (m *Module) Schedules() []jobs.Schedule {
	return []jobs.Schedule{{Name: "improve.remind", Label: "期限が近い・過ぎた改善措置の所属への通知（メール）", Daily: 8, Run: m.remindOwners}}
}

// remindAhead is how soon a due date is worth a reminder.
const remindAhead = 7 * 24 * time.Hour

type dueAction struct {
	id         int64
	dept       int64
	title      string
	due        time.Time
	status     Status
	sourceName string
}

func (m *Module) remindOwners(ctx context.Context) (string, error) {
	if !m.d.Mail.Enabled() {
		return "メールの送信が設定されていないため、通知していません（期限の近い・過ぎた措置は改善措置台帳の画面に表示されています）。", nil
	}
	now := m.store.now().In(jp.JST)
	if jp.OfficeClosed(now) {
		return "閉庁日のため通知していません。", nil
	}
	limit := now.Add(remindAhead).Format("2006-01-02")
	rows, err := m.d.DB.Query(ctx, `SELECT id, owner_department_id, title, due_date, status, source_label FROM improvement_actions
		WHERE status IN (?, ?) AND due_date <> '' AND due_date <= ? AND owner_department_id IS NOT NULL ORDER BY owner_department_id, due_date, id`,
		string(StatusOpen), string(StatusInProgress), limit)
	if err != nil {
		return "", err
	}
	byDept := map[int64][]dueAction{}
	var depts []int64
	for rows.Next() {
		var a dueAction
		var due, status string
		if err := rows.Scan(&a.id, &a.dept, &a.title, &due, &status, &a.sourceName); err != nil {
			rows.Close()
			return "", err
		}
		a.due, a.status = parseDateKey(due), Status(status)
		if _, ok := byDept[a.dept]; !ok {
			depts = append(depts, a.dept)
		}
		byDept[a.dept] = append(byDept[a.dept], a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	year, week := now.ISOWeek()
	ward := m.d.Org.WardName(ctx)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	mails, deptsMailed := 0, 0
	err = m.d.DB.WithTx(ctx, func(ctx context.Context) error {
		mails, deptsMailed = 0, 0
		for _, d := range depts {
			to, err := m.d.Org.Heads(ctx, d)
			if err != nil {
				return err
			}
			if len(to) == 0 {
				continue
			}
			list := byDept[d]
			overdue := 0
			var b strings.Builder
			for _, a := range list {
				mark := "期限間近"
				if a.due.Before(today) {
					mark = "期限超過"
					overdue++
				}
				fmt.Fprintf(&b, "・【%s】No.%d %s（%s、期限 %s、%s）\n  %s\n", mark, a.id, a.title, a.sourceName, jp.FormatWareki(a.due), a.status.Label(), m.d.Mail.Link(fmt.Sprintf("/improve/%d", a.id)))
			}
			subject := fmt.Sprintf("【改善措置】期限を過ぎた措置 %d 件・期限が 7 日以内の措置 %d 件", overdue, len(list)-overdue)
			sent := false
			for _, r := range to {
				body := fmt.Sprintf("%s 様\n\n所属が担当する改善措置のうち、期限を過ぎたもの・期限が近いものをお知らせします。\n進み具合を Mamori の改善措置台帳で更新してください。期限の変更が必要なときは、情報セキュリティ担当にご相談ください。\n\n%s\n%s 情報セキュリティ担当\n（このメールは週に一度、平日の朝に自動で送っています）\n",
					r.Name, b.String(), ward)
				ok, err := m.d.Mail.Enqueue(ctx, mail.Message{To: r.Email, ToName: r.Name, Kind: "reminder", Ref: fmt.Sprintf("department:%d", d),
					Key: fmt.Sprintf("improve-remind:%d:%s:%d-%02d", d, r.Email, year, week), Subject: subject, Body: body})
				if err != nil {
					return err
				}
				if ok {
					mails++
					sent = true
				}
			}
			if sent {
				deptsMailed++
				if err := m.d.Log.Record(ctx, "improve.remind", fmt.Sprintf("department:%d", d),
					fmt.Sprintf("期限を過ぎた改善措置 %d 件・期限が近い措置 %d 件を所属長にメールで通知", overdue, len(list)-overdue)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("期限が近い・過ぎた改善措置のある %d 所属のうち %d 所属に %d 通を送りました（同じ週に送った所属は見送り）。", len(depts), deptsMailed, mails), nil
}
