package vendor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"mamori/internal/jobs"
	"mamori/internal/jp"
	"mamori/internal/mail"
)

// Schedules implements module.Scheduled: every open-office morning, the
// department that uses an approved service is told by mail (its 所属長)
// of what needs it soon: an ISMAP registration about to lapse, a
// condition of the approval past or near its due date, a re-review
// coming up — at most once a week per department. The service's page
// shows the same at any time.
func (m *Module) Schedules() []jobs.Schedule {
	return []jobs.Schedule{{Name: "vendor.remind", Label: "ISMAP 登録期限・承認条件・再審査の時期の所属への通知（メール）", Daily: 8, Run: m.remindDepartments}}
}

// How far ahead each date is worth a notice.
const (
	ismapAhead     = 60
	conditionAhead = 7
	reviewAhead    = 30
)

type vendorNotice struct {
	dept          int64
	id            int64
	code, service string
	what          string
}

func (m *Module) remindDepartments(ctx context.Context) (string, error) {
	if !m.d.Mail.Enabled() {
		return "メールの送信が設定されていないため、通知していません（期限は各サービスの画面に表示されています）。", nil
	}
	now := m.store.now().In(jp.JST)
	if jp.OfficeClosed(now) {
		return "閉庁日のため通知していません。", nil
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	day := func(n int) string { return dateKey(today.AddDate(0, 0, n)) }
	var notices []vendorNotice
	add := func(q string, what func(date, extra string) string, args ...any) error {
		rows, err := m.d.DB.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n vendorNotice
			var date, extra string
			if err := rows.Scan(&n.dept, &n.id, &n.code, &n.service, &date, &extra); err != nil {
				return err
			}
			n.what = what(date, extra)
			notices = append(notices, n)
		}
		return rows.Err()
	}
	approved := "state = 'decided' AND decision IN ('approved', 'conditional')"
	passed := func(date string) bool { return date < dateKey(today) }
	wareki := func(date string) string {
		t, err := time.Parse("2006-01-02", date)
		if err != nil {
			return date
		}
		return jp.FormatWareki(t)
	}
	err := add(`SELECT department_id, id, code, service_name, ismap_expires, ismap_number FROM vendor_requests
		WHERE `+approved+` AND ismap_expires <> '' AND ismap_expires <= ? ORDER BY department_id, id`, func(date, number string) string {
		if passed(date) {
			return fmt.Sprintf("ISMAP の登録期限（%s、登録番号 %s）を過ぎています。登録の更新を確かめてください。", wareki(date), number)
		}
		return fmt.Sprintf("ISMAP の登録期限（%s、登録番号 %s）が近づいています。", wareki(date), number)
	}, day(ismapAhead))
	if err == nil {
		err = add(`SELECT r.department_id, r.id, r.code, r.service_name, c.due_on, c.text FROM vendor_conditions c JOIN vendor_requests r ON r.id = c.request_id
			WHERE r.`+approved+` AND c.done_at = '' AND c.due_on <= ? ORDER BY r.department_id, r.id, c.seq`, func(date, text string) string {
			if passed(date) {
				return fmt.Sprintf("承認の条件「%s」の期限（%s）を過ぎています。", text, wareki(date))
			}
			return fmt.Sprintf("承認の条件「%s」の期限（%s）が近づいています。", text, wareki(date))
		}, day(conditionAhead))
	}
	if err == nil {
		err = add(`SELECT department_id, id, code, service_name, next_review_on, '' FROM vendor_requests
			WHERE `+approved+` AND next_review_on <> '' AND next_review_on <= ? ORDER BY department_id, id`, func(date, _ string) string {
			return fmt.Sprintf("再審査の時期（%s）です。現在の契約・構成で申請し直してください。", wareki(date))
		}, day(reviewAhead))
	}
	if err != nil {
		return "", err
	}
	byDept := map[int64][]vendorNotice{}
	var depts []int64
	for _, n := range notices {
		if _, ok := byDept[n.dept]; !ok {
			depts = append(depts, n.dept)
		}
		byDept[n.dept] = append(byDept[n.dept], n)
	}
	year, week := now.ISOWeek()
	ward := m.d.Org.WardName(ctx)
	mails, mailed := 0, 0
	err = m.d.DB.WithTx(ctx, func(ctx context.Context) error {
		mails, mailed = 0, 0
		for _, d := range depts {
			heads, err := m.d.Org.Heads(ctx, d)
			if err != nil {
				return err
			}
			var b strings.Builder
			for _, n := range byDept[d] {
				fmt.Fprintf(&b, "・%s %s\n  %s\n  %s\n", n.code, n.service, n.what, m.d.Mail.Link(fmt.Sprintf("/vendor/%d", n.id)))
			}
			sent := false
			for _, h := range heads {
				ok, err := m.d.Mail.Enqueue(ctx, mail.Message{To: h.Email, ToName: h.Name, Kind: "reminder", Ref: fmt.Sprintf("department:%d", d),
					Key:     fmt.Sprintf("vendor-remind:%d:%s:%d-%02d", d, h.Email, year, week),
					Subject: fmt.Sprintf("【委託・クラウド】確認が必要な事項が %d 件あります", len(byDept[d])),
					Body: fmt.Sprintf("%s 様\n\n所属が利用する委託・クラウドサービスについて、確認が必要な事項をお知らせします。\n\n%s\n%s 情報セキュリティ担当\n（このメールは週に一度、平日の朝に自動で送っています）\n",
						h.Name, b.String(), ward)})
				if err != nil {
					return err
				}
				if ok {
					mails++
					sent = true
				}
			}
			if sent {
				mailed++
				if err := m.d.Log.Record(ctx, "vendor.remind", fmt.Sprintf("department:%d", d),
					fmt.Sprintf("委託・クラウドの確認事項 %d 件を所属長にメールで通知", len(byDept[d]))); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("確認が必要な事項のある %d 所属のうち %d 所属に %d 通を送りました（同じ週に送った所属は見送り）。", len(depts), mailed, mails), nil
}
