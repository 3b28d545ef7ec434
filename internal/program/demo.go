package program

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"mamori/content"
	"mamori/internal/jp"
	"mamori/internal/module"
)

// The demo ward's programme (令和8年度 in the demo's year): the
// contractor's own tasks and milestones beside those the modules know —
// the work plan, the monthly meetings (held ones done), the policy
// revision's steps (one re-planned and still late), the training
// material, the auditor training, the year-end reports and the next-year
// plan.

type demoTask struct {
	ws        int
	title     string
	owner     string
	milestone bool
	from, to  [2]int // month, day (January–March fall in the next calendar year)
	progress  int
	done      bool
	// replanTo moves the end to this month and day with the reason.
	replanTo [2]int
	reason   string
	// after are the titles of the tasks it depends on.
	after []string
}

var demoTasks = []demoTask{
	{ws: 10, title: "業務計画書の提出", owner: "支援事業者", milestone: true, from: [2]int{4, 15}, done: true},
	{ws: 10, title: "次期支援計画書（案）の作成", owner: "支援事業者", from: [2]int{2, 1}, to: [2]int{3, 10}},
	{ws: 10, title: "年間業務報告書の提出", owner: "支援事業者", milestone: true, from: [2]int{3, 19}, after: []string{"内部監査全体報告書の作成"}},
	{ws: 9, title: "相違点整合表の作成（令和7年3月版ガイドライン）", owner: "支援事業者", from: [2]int{5, 1}, to: [2]int{7, 31}, done: true},
	{ws: 9, title: "改訂案（見え消し版）・新旧対照表の作成", owner: "区と支援事業者", from: [2]int{8, 1}, to: [2]int{10, 31}, progress: 60,
		replanTo: [2]int{11, 30}, reason: "令和7年3月のガイドライン改定でマイナンバー利用事務系の規定が変わり、反映する範囲を広げたため（10月の定例会で決定）。"},
	{ws: 9, title: "改訂内容の職員向け教材の作成", owner: "支援事業者", from: [2]int{12, 1}, to: [2]int{1, 31}, after: []string{"改訂案（見え消し版）・新旧対照表の作成"}},
	{ws: 5, title: "研修資料の作成（個人情報保護・特定個人情報保護）", owner: "支援事業者", from: [2]int{5, 15}, to: [2]int{7, 15}, done: true},
	{ws: 1, title: "内部監査人研修（実習を含む）", owner: "支援事業者", from: [2]int{6, 2}, to: [2]int{6, 27}, done: true},
	{ws: 1, title: "内部監査全体報告書の作成", owner: "支援事業者", from: [2]int{2, 1}, to: [2]int{3, 13}},
	{ws: 8, title: "外部委託・クラウドのチェックリストの改訂", owner: "支援事業者", from: [2]int{6, 1}, to: [2]int{6, 30}, done: true},
}

// meetingDays are the monthly meetings (定例会), one a month but August.
var meetingDays = [][2]int{{4, 24}, {5, 22}, {6, 19}, {7, 17}, {9, 18}, {10, 16}, {11, 20}, {12, 18}, {1, 22}, {2, 19}, {3, 12}}

// CreateDemo implements module.DemoMaker.
func (m *Module) CreateDemo(ctx context.Context, demo module.Demo) error {
	fy := m.d.Org.CurrentFiscalYear(ctx)
	demo.Progress("進捗管理の工程（独自の作業・定例会）")
	day := func(md [2]int) time.Time {
		y := fy
		if md[0] < 4 {
			y++
		}
		return time.Date(y, time.Month(md[0]), md[1], 0, 0, 0, 0, jp.JST)
	}
	now := m.store.now()
	tasks := append([]demoTask{}, demoTasks...)
	for i, d := range meetingDays {
		tasks = append(tasks, demoTask{ws: 10, title: fmt.Sprintf("第%d回 定例会", i+1), owner: "区と支援事業者", milestone: true, from: d})
	}
	ids := map[string]int64{}
	for _, t := range tasks {
		start := day(t.from)
		end := start
		if !t.milestone {
			end = day(t.to)
		}
		in := TaskInput{Title: t.title, Owner: t.owner, Workstream: t.ws, Milestone: t.milestone, Start: jp.DateKey(start), End: jp.DateKey(end),
			Progress: fmt.Sprint(t.progress)}
		// Held meetings and finished tasks are done on their day.
		if t.done || t.milestone && end.Before(now) {
			in.ActualStart, in.ActualEnd = jp.DateKey(start), jp.DateKey(end)
		}
		id, err := m.store.Create(ctx, fy, in, "支援事業者 担当コンサルタント")
		if err != nil {
			return fmt.Errorf("工程「%s」: %w", t.title, err)
		}
		ids[t.title] = id
		if t.reason == "" {
			continue
		}
		cur, err := m.store.Task(ctx, id)
		if err != nil {
			return err
		}
		in.End, in.Reason, in.Rev = jp.DateKey(day(t.replanTo)), t.reason, cur.Rev
		if err := m.store.Update(ctx, cur, in, "支援事業者 担当コンサルタント"); err != nil {
			return fmt.Errorf("工程「%s」の再計画: %w", t.title, err)
		}
	}
	for _, t := range tasks {
		if len(t.after) == 0 {
			continue
		}
		cur, err := m.store.Task(ctx, ids[t.title])
		if err != nil {
			return err
		}
		var after []int64
		for _, a := range t.after {
			if ids[a] == 0 {
				return fmt.Errorf("工程「%s」の前提「%s」がありません", t.title, a)
			}
			after = append(after, ids[a])
		}
		if err := m.store.SetDeps(ctx, cur, after, "支援事業者 担当コンサルタント"); err != nil {
			return fmt.Errorf("工程「%s」の前提: %w", t.title, err)
		}
	}
	if err := m.demoLoans(ctx, fy, day); err != nil {
		return err
	}
	demo.Progress("定例会の議事録と相談・助言記録")
	return m.demoMeetings(ctx, fy, func(md string) (time.Time, error) {
		var mo, d int
		if _, err := fmt.Sscanf(md, "%d-%d", &mo, &d); err != nil || mo < 1 || mo > 12 || d < 1 || d > 31 {
			return time.Time{}, fmt.Errorf("demo/program.yaml: 日付「%s」は MM-DD ではありません", md)
		}
		return time.Date(yearOf(fy, mo), time.Month(mo), d, 0, 0, 0, 0, jp.JST), nil
	})
}

// demoRecords are the held meetings' minutes and the advice log
// (content/demo/program.yaml).
type demoRecords struct {
	Meetings []struct {
		Seq       int      `yaml:"seq"`
		Date      string   `yaml:"date"`
		Time      string   `yaml:"time"`
		Place     string   `yaml:"place"`
		Attendees []string `yaml:"attendees"`
		Agenda    []string `yaml:"agenda"`
		Content   string   `yaml:"content"`
		Decisions []string `yaml:"decisions"`
		Actions   []struct {
			Text  string `yaml:"text"`
			Owner string `yaml:"owner"`
			Due   string `yaml:"due"`
			Done  bool   `yaml:"done"`
		} `yaml:"actions"`
	} `yaml:"meetings"`
	Advice []struct {
		Date       string   `yaml:"date"`
		Department string   `yaml:"department"`
		Channel    string   `yaml:"channel"`
		Question   string   `yaml:"question"`
		Answer     string   `yaml:"answer"`
		Clauses    []string `yaml:"clauses"`
	} `yaml:"advice"`
}

// at is the store on a clock stopped at t.
func (m *Module) at(t time.Time) *Store {
	return &Store{db: m.store.db, log: m.store.log, now: func() time.Time { return t }}
}

// demoMeetings records the held meetings (those before today) with their
// decisions and actions, each action done by the next meeting when the
// file says so, and the advice log up to today.
func (m *Module) demoMeetings(ctx context.Context, fy int, day func(string) (time.Time, error)) error {
	b, err := fs.ReadFile(content.FS, "demo/program.yaml")
	if err != nil {
		return err
	}
	var f demoRecords
	if err := yaml.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("demo/program.yaml: %w", err)
	}
	now := m.store.now()
	const by = "支援事業者 担当コンサルタント"
	for i, x := range f.Meetings {
		held, err := day(x.Date)
		if err != nil {
			return err
		}
		if !held.Before(now) {
			break
		}
		next := ""
		if i+1 < len(f.Meetings) {
			n, err := day(f.Meetings[i+1].Date)
			if err != nil {
				return err
			}
			next = jp.DateKey(n)
		} else if len(meetingDays) > len(f.Meetings) {
			next = jp.DateKey(time.Date(yearOf(fy, meetingDays[len(f.Meetings)][0]), time.Month(meetingDays[len(f.Meetings)][0]), meetingDays[len(f.Meetings)][1], 0, 0, 0, 0, jp.JST))
		}
		s := m.at(held.Add(17 * time.Hour))
		id, err := s.CreateMeeting(ctx, fy, MeetingInput{HeldOn: jp.DateKey(held), Time: x.Time, Place: x.Place, Attendees: strings.Join(x.Attendees, "\n"),
			Agenda: strings.Join(x.Agenda, "\n"), Content: x.Content, NextOn: next, NextNote: "同じ会議室で 14:00 から"}, by)
		if err != nil {
			return fmt.Errorf("第%d回 定例会: %w", x.Seq, err)
		}
		mt, err := s.Meeting(ctx, id)
		if err != nil {
			return err
		}
		for _, d := range x.Decisions {
			if err := s.AddItem(ctx, mt, ItemInput{Kind: ItemDecision, Text: d}, by); err != nil {
				return fmt.Errorf("第%d回 定例会の決定事項: %w", x.Seq, err)
			}
		}
		for _, a := range x.Actions {
			due, err := day(a.Due)
			if err != nil {
				return err
			}
			if err := s.AddItem(ctx, mt, ItemInput{Kind: ItemAction, Text: a.Text, Owner: a.Owner, Due: jp.DateKey(due), Workstream: 10}, by); err != nil {
				return fmt.Errorf("第%d回 定例会の宿題: %w", x.Seq, err)
			}
		}
		if mt, err = s.Meeting(ctx, id); err != nil {
			return err
		}
		for j, a := range x.Actions {
			if !a.Done {
				continue
			}
			due, _ := day(a.Due)
			if due.After(now) {
				continue
			}
			acts := mt.Actions()
			if j >= len(acts) {
				break
			}
			if err := m.at(due.Add(16*time.Hour)).CompleteAction(ctx, mt, acts[j].ID, "定例会で完了を確認。", by); err != nil {
				return fmt.Errorf("第%d回 定例会の宿題の完了: %w", x.Seq, err)
			}
		}
	}
	for _, a := range f.Advice {
		asked, err := day(a.Date)
		if err != nil {
			return err
		}
		if asked.After(now) {
			continue
		}
		if err := m.at(asked.Add(15*time.Hour)).AddAdvice(ctx, fy, AdviceInput{AskedOn: jp.DateKey(asked), Department: a.Department, Channel: a.Channel,
			Question: a.Question, Answer: a.Answer, Clauses: strings.Join(a.Clauses, " ")}, by); err != nil {
			return fmt.Errorf("相談（%s）: %w", a.Date, err)
		}
	}
	return nil
}

func yearOf(fy, month int) int {
	if month < 4 {
		return fy + 1
	}
	return fy
}

// demoLoans are the materials the ward lent this year: two still lent,
// one returned with its receipt, one destroyed on the ward's instruction.
func (m *Module) demoLoans(ctx context.Context, fy int, day func([2]int) time.Time) error {
	const by = "支援事業者 担当コンサルタント"
	loans := []struct {
		in        LoanInput
		on        [2]int
		state     string
		closedOn  [2]int
		closeNote string
	}{
		{in: LoanInput{Name: "情報セキュリティポリシー（基本方針・対策基準）及び実施手順一式", Kind: "電子ファイル", Quantity: "暗号化 ZIP 1 式", Lender: "情報政策課",
			ReceivedBy: "支援事業者 統括責任者", KeptAt: "支援事業者 本社 暗号化ファイルサーバ（担当者のみアクセス可）"}, on: [2]int{4, 10}},
		{in: LoanInput{Name: "令和7年度 内部監査報告書（13所属分）", Kind: "紙", Quantity: "13 冊", Lender: "情報政策課", ReceivedBy: "支援事業者 担当コンサルタント",
			KeptAt: "支援事業者 本社 施錠保管庫A"}, on: [2]int{4, 20}, state: LoanReturned, closedOn: [2]int{7, 31}, closeNote: "情報政策課 情報セキュリティ係長へ返却（受領書 R8-返-003）"},
		{in: LoanInput{Name: "自己点検 紙の回答票（出張所分）", Kind: "紙", Quantity: "42 枚", Lender: "情報政策課", ReceivedBy: "支援事業者 担当コンサルタント",
			KeptAt: "支援事業者 本社 施錠保管庫A"}, on: [2]int{7, 28}, state: LoanDestroyed, closedOn: [2]int{9, 30}, closeNote: "入力・照合の後、区の指示により溶解処理（溶解証明書 No.2026-118）"},
		{in: LoanInput{Name: "住民記録システム ネットワーク構成図・機器一覧", Kind: "電子媒体（USBメモリ・DVD 等）", Quantity: "USB メモリ 1 本（ハードウェア暗号化）", Lender: "戸籍住民課",
			ReceivedBy: "支援事業者 担当コンサルタント", KeptAt: "支援事業者 本社 施錠保管庫B"}, on: [2]int{11, 10}},
	}
	now := m.store.now()
	for _, l := range loans {
		received := day(l.on)
		if received.After(now) {
			continue
		}
		l.in.ReceivedOn = jp.DateKey(received)
		s := m.at(received.Add(15 * time.Hour))
		if err := s.AddLoan(ctx, fy, l.in, by); err != nil {
			return fmt.Errorf("貸与資料「%s」: %w", l.in.Name, err)
		}
		closed := day(l.closedOn)
		if l.state == "" || closed.After(now) {
			continue
		}
		ls, err := s.Loans(ctx, fy)
		if err != nil {
			return err
		}
		for _, x := range ls {
			if x.Name == l.in.Name {
				if err := m.at(closed.Add(16*time.Hour)).CloseLoan(ctx, x, l.state, jp.DateKey(closed), l.closeNote, x.Rev, by); err != nil {
					return fmt.Errorf("貸与資料「%s」の返却: %w", x.Name, err)
				}
			}
		}
	}
	return nil
}
