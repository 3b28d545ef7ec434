package incident

import (
	"context"
	"fmt"
	"strings"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/jp"
)

// The documents of one incident: the 再発防止レポート, the report to the
// 個人情報保護委員会 (its nine items) and a press-release draft.

// Record is everything known of one incident, for its documents.
type Record struct {
	I         Incident
	Deadlines []Deadline
	Parties   []Party
	Events    []Event
	Whys      []*Why // tree order, with depths
	Measures  []Measure
	Visits    []Visit
	Services  []Service
}

// RecordOf gathers an incident's record.
func (s *Store) RecordOf(ctx context.Context, i Incident) (*Record, error) {
	r := &Record{I: i}
	var err error
	if r.Deadlines, err = s.Deadlines(ctx, i); err != nil {
		return nil, err
	}
	if r.Parties, err = s.Parties(ctx, i.ID); err != nil {
		return nil, err
	}
	if r.Events, err = s.Events(ctx, i.ID); err != nil {
		return nil, err
	}
	if _, r.Whys, err = s.Whys(ctx, i.ID); err != nil {
		return nil, err
	}
	if r.Measures, err = s.Measures(ctx, i); err != nil {
		return nil, err
	}
	if r.Visits, err = s.Visits(ctx, i.ID); err != nil {
		return nil, err
	}
	if r.Services, err = s.Services(ctx, i.ID); err != nil {
		return nil, err
	}
	return r, nil
}

func or(s, none string) string {
	if strings.TrimSpace(s) == "" {
		return none
	}
	return s
}

func dt(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return jp.FormatWarekiDateTime(t)
}

func d(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return jp.FormatWareki(t)
}

// facts is the incident's outline as a two-column table.
func (r *Record) facts() docgen.Table {
	i := r.I
	t := docgen.Table{Columns: []docgen.Column{{Width: 1}, {Width: 3}}}
	add := func(k, v string) {
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{docgen.H(k), docgen.C(v)}})
	}
	add("番号", i.Code)
	add("件名", i.Title)
	add("種類・レベル", i.Category+"・"+i.LevelLabel())
	add("発生日時", dt(i.OccurredAt))
	add("認知日時", dt(i.AwareAt))
	add("完了日時", dt(i.ClosedAt))
	add("所管課", or(i.LeadDepartment, "未設定"))
	var ps []string
	for _, p := range r.Parties {
		ps = append(ps, p.Name()+"（"+p.Role+"）")
	}
	add("関係する所属・委託先", or(strings.Join(ps, "、"), "なし"))
	add("対象の情報", or(i.DataItems, "—"))
	n := fmt.Sprintf("%d 人", i.Persons)
	if i.Sent > 0 {
		n += fmt.Sprintf("（送付・送信 %d、回収 %d、うち未開封 %d）", i.Sent, i.Recovered, i.Unopened)
	}
	add("対象の人数", n)
	return t
}

// ReportDocument is the 再発防止レポート of an incident.
func (r *Record) ReportDocument(ward string, now time.Time) *docgen.Document {
	i := r.I
	b := []docgen.Block{
		docgen.ApprovalBox{Titles: []string{"CISO", "統括責任者", "情報政策課長", "所管課長", "担当"}},
		docgen.Heading{Level: 1, Text: "インシデントの概要"}, r.facts(),
	}
	if s := strings.TrimSpace(i.Summary); s != "" {
		b = append(b, docgen.P(s))
	}
	b = append(b, docgen.Heading{Level: 1, Text: "経過"})
	tl := docgen.Table{Columns: []docgen.Column{{Width: 1.3}, {Width: 0.8}, {Width: 1.2}, {Width: 3.5}}, HeaderRows: 1, Rows: []docgen.Row{docgen.HeadRow("日時", "区分", "対応者", "内容")}}
	for _, e := range r.Events {
		if e.InReport {
			tl.Rows = append(tl.Rows, docgen.TextRow(dt(e.At), e.Category, e.Actor, e.Body))
		}
	}
	if len(tl.Rows) == 1 {
		b = append(b, docgen.P("記録された経過はありません。"))
	} else {
		b = append(b, tl)
	}
	b = append(b, docgen.Heading{Level: 1, Text: "個人情報と区民サービスへの影響"})
	var facts []string
	for _, f := range Flags {
		if i.Has(f.Key) {
			facts = append(facts, f.Label)
		}
	}
	b = append(b, docgen.P(fmt.Sprintf("対象の情報は「%s」、対象の人数は %d 人です。%s", or(i.DataItems, "未確認"), i.Persons,
		map[bool]string{true: "該当する事実：" + strings.Join(facts, "、") + "。", false: ""}[len(facts) > 0])))
	if len(r.Services) > 0 {
		st := docgen.Table{Columns: []docgen.Column{{Width: 2}, {Width: 1.4}, {Width: 1.4}, {Width: 2}, {Width: 0.8, Align: docgen.AlignRight}}, HeaderRows: 1,
			Rows: []docgen.Row{docgen.HeadRow("区民サービス", "停止", "再開", "代替手段", "区民")}}
		for _, v := range r.Services {
			st.Rows = append(st.Rows, docgen.TextRow(v.Service, dt(v.DownFrom), map[bool]string{true: "停止中", false: dt(v.DownTo)}[v.DownTo.IsZero()], or(v.Fallback, "—"), fmt.Sprint(v.Residents)))
		}
		b = append(b, st)
	}
	b = append(b, docgen.Heading{Level: 1, Text: "対応の結果"}, docgen.P(or(i.Outcome, "対応中です。")))
	if len(r.Visits) > 0 {
		b = append(b, docgen.Heading{Level: 1, Text: "臨場での確認と助言"})
		for _, v := range r.Visits {
			b = append(b, docgen.Heading{Level: 2, Text: dt(v.VisitedOn) + " " + or(v.Place, "")},
				docgen.P("臨場："+v.Visitors+map[bool]string{true: "　聞き取り：" + v.Interviewees, false: ""}[v.Interviewees != ""]))
			if v.Findings != "" {
				b = append(b, docgen.P("所見："+v.Findings))
			}
			if v.Advice != "" {
				b = append(b, docgen.P("助言："+v.Advice))
			}
		}
	}
	b = append(b, docgen.Heading{Level: 1, Text: "原因分析（なぜなぜ分析）"})
	if len(r.Whys) == 0 {
		b = append(b, docgen.P("原因分析は記録されていません。"))
	} else {
		l := docgen.List{}
		for _, w := range r.Whys {
			mark := ""
			if w.Direct {
				mark += "【直接原因】"
			}
			if w.Root {
				mark += "【根本原因】"
			}
			l.Items = append(l.Items, docgen.ListItem{Level: min(w.Depth, 4), Runs: []docgen.Run{docgen.T("なぜ → " + w.Statement + "（" + w.ViewpointLabel() + "）" + mark)}})
		}
		b = append(b, l)
	}
	b = append(b, docgen.Heading{Level: 1, Text: "再発防止策と横展開"})
	if len(r.Measures) == 0 {
		b = append(b, docgen.P("再発防止策は登録されていません。"))
	} else {
		mt := docgen.Table{Columns: []docgen.Column{{Width: 0.6, Align: docgen.AlignCenter}, {Width: 2.8}, {Width: 1.1}, {Width: 1.1}, {Width: 1.3}, {Width: 1.3}, {Width: 0.9}},
			HeaderRows: 1, Rows: []docgen.Row{docgen.HeadRow("No.", "再発防止策", "担当", "期限", "指標", "横展開", "状況")}}
		for _, m := range r.Measures {
			st := "—"
			if m.Action != nil {
				st = m.Action.Status.Label()
			}
			mt.Rows = append(mt.Rows, docgen.TextRow(fmt.Sprint(m.Seq), m.Title, m.Owner, d(m.Due), or(m.Indicator, "—"), or(strings.Join(m.RolloutNames, "、"), "なし"), st))
		}
		b = append(b, mt)
	}
	b = append(b, docgen.Heading{Level: 1, Text: "報告・通知と公表"})
	nt := docgen.Table{Columns: []docgen.Column{{Width: 2.4}, {Width: 1.6}, {Width: 1.6}, {Width: 1.6}}, HeaderRows: 1, Rows: []docgen.Row{docgen.HeadRow("報告・通知", "期限", "期限日時", "実施")}}
	for _, x := range r.Deadlines {
		done := "未実施"
		if x.Done() {
			done = dt(x.DoneAt)
		} else if x.Pending {
			done = "対処の完了後"
		}
		due := "—"
		if !x.Due.IsZero() {
			due = dt(x.Due)
		}
		nt.Rows = append(nt.Rows, docgen.TextRow(x.Rule.Label, x.Label, due, done))
	}
	b = append(b, nt)
	b = append(b, docgen.Heading{Level: 1, Text: "フォローアップ"})
	var checks []string
	for _, m := range r.Measures {
		if !m.CheckOn.IsZero() {
			checks = append(checks, fmt.Sprintf("再発防止策%d の効果確認：%s", m.Seq, d(m.CheckOn)))
		}
	}
	if len(checks) == 0 {
		b = append(b, docgen.P("効果確認の日は未定です。再発防止策の期限の到来時と、対処の完了からおおむね3か月後に実施状況を確認します（ハンドブック第31条第5項）。"))
	} else {
		l := docgen.List{}
		for _, c := range checks {
			l.Items = append(l.Items, docgen.ListItem{Runs: []docgen.Run{docgen.T(c)}})
		}
		b = append(b, l)
	}
	return &docgen.Document{Meta: docgen.Meta{Title: "再発防止レポート", Subtitle: i.Code + " " + i.Title, Ward: ward, FiscalYear: i.FiscalYear, Date: now,
		Author: "情報政策課（CSIRT）", Classification: "取扱注意", PageNumbers: docgen.PageDash}, Sections: []docgen.Section{{Blocks: b}}}
}

// CommissionDocument is the report to the 個人情報保護委員会 with its nine
// items, from the record (a draft the ward checks before sending).
func (r *Record) CommissionDocument(ward string, now time.Time) *docgen.Document {
	i := r.I
	var prompt, final string
	for _, x := range r.Deadlines {
		if strings.HasPrefix(x.Rule.Key, "ppc-prompt") {
			prompt = "速報：" + map[bool]string{true: "提出済（" + dt(x.DoneAt) + "）", false: "未提出（目安 " + dt(x.Due) + "）"}[x.Done()]
		}
		if strings.HasPrefix(x.Rule.Key, "ppc-final") {
			final = "確報：" + map[bool]string{true: "提出済（" + dt(x.DoneAt) + "）", false: "期限 " + dt(x.Due)}[x.Done()]
		}
	}
	var causes, measures, persons, publication []string
	for _, w := range r.Whys {
		if w.Direct || w.Root {
			causes = append(causes, w.Statement+"（"+w.ViewpointLabel()+"）")
		}
	}
	for _, m := range r.Measures {
		measures = append(measures, fmt.Sprintf("%s（担当 %s、期限 %s）", m.Title, m.Owner, d(m.Due)))
	}
	for _, x := range r.Deadlines {
		switch x.Rule.Key {
		case "notify-persons":
			persons = append(persons, map[bool]string{true: "本人への通知を実施（" + dt(x.DoneAt) + "）", false: "本人への通知は未実施"}[x.Done()])
		case "publication":
			publication = append(publication, map[bool]string{true: "公表済（" + dt(x.DoneAt) + "）", false: "公表は未実施"}[x.Done()])
		}
	}
	second := "現時点で、二次被害又はそのおそれは確認されていません。"
	if i.Has("financial") {
		second = "不正に利用されると財産的被害が生ずるおそれがあるため、対象者に注意を呼び掛けています。"
	}
	if i.Has("wrongdoing") {
		second += "不正の目的をもって行われたおそれがあり、調査を続けています。"
	}
	items := [][2]string{
		{"1 概要", fmt.Sprintf("%s（発生 %s、認知 %s）。%s", i.Title, dt(i.OccurredAt), dt(i.AwareAt), strings.TrimSpace(i.Summary))},
		{"2 漏えい等が発生し、又は発生したおそれがある保有個人情報の項目", or(i.DataItems, "調査中")},
		{"3 漏えい等が発生し、又は発生したおそれがある保有個人情報に係る本人の数", fmt.Sprintf("%d 人", i.Persons)},
		{"4 原因", or(strings.Join(causes, "。"), "調査中")},
		{"5 二次被害又はそのおそれの有無及びその内容", second},
		{"6 本人への対応の実施状況", or(strings.Join(persons, "。"), "本人への通知の要否を検討中")},
		{"7 公表の実施状況", or(strings.Join(publication, "。"), "公表の予定はありません（本人への個別の通知による）")},
		{"8 再発防止のための措置", or(strings.Join(measures, "。"), "検討中")},
		{"9 その他参考となる事項", strings.TrimSpace(prompt + "　" + final + "　" + or(i.Outcome, ""))},
	}
	t := docgen.Table{Columns: []docgen.Column{{Width: 1.5}, {Width: 3.5}}, HeaderRows: 1, Rows: []docgen.Row{docgen.HeadRow("報告事項", "内容")}}
	for _, it := range items {
		t.Rows = append(t.Rows, docgen.TextRow(it[0], it[1]))
	}
	b := []docgen.Block{
		docgen.P(fmt.Sprintf("個人情報の保護に関する法律第68条第1項の規定により、次のとおり報告します（%s）。", map[bool]string{true: "特定個人情報を含む", false: "保有個人情報"}[i.Has("mynumber")])),
		docgen.P("報告者：" + strings.TrimSpace(ward+" "+or(i.LeadDepartment, "")) + "　事務連絡先：情報政策課 情報セキュリティ係"),
		t,
		docgen.P("※ この文書は Mamori の記録から作成した報告の案です。個人情報保護委員会の報告様式に転記し、区政情報課の確認を経て提出してください。"),
	}
	return &docgen.Document{Meta: docgen.Meta{Title: "漏えい等報告（案）", Subtitle: i.Code + " " + i.Title, Ward: ward, FiscalYear: i.FiscalYear, Date: now,
		Author: or(i.LeadDepartment, "所管課"), Classification: "取扱注意", PageNumbers: docgen.PageDash}, Sections: []docgen.Section{{Blocks: b}}}
}

// PressDocument is a press-release draft in the usual municipal pattern:
// 概要 → 経緯 → 対象 → 対応 → 原因 → 再発防止策 → 問い合わせ先. Names of
// persons are never taken from the record (the handbook forbids them).
func (r *Record) PressDocument(ward string, now time.Time) *docgen.Document {
	i := r.I
	b := []docgen.Block{
		docgen.Paragraph{Align: docgen.AlignRight, Runs: []docgen.Run{docgen.T(jp.FormatWareki(now))}},
		docgen.Paragraph{Align: docgen.AlignRight, Runs: []docgen.Run{docgen.T(strings.TrimSpace(ward + " " + or(i.LeadDepartment, "")))}},
		docgen.Heading{Level: 1, Text: i.Title + "について", NoTOC: true},
		docgen.P(fmt.Sprintf("このたび、%sにおいて、%sが発生しました。関係する皆様に多大なご迷惑とご心配をおかけしましたことを、深くおわび申し上げます。", ward, i.Category)),
		docgen.Heading{Level: 2, Text: "1 概要"}, docgen.P(or(i.Summary, i.Title)),
		docgen.Heading{Level: 2, Text: "2 経緯"},
	}
	l := docgen.List{}
	for _, e := range r.Events {
		if e.InReport {
			l.Items = append(l.Items, docgen.ListItem{Runs: []docgen.Run{docgen.T(jp.FormatWarekiDateTime(e.At) + "　" + e.Body)}})
		}
	}
	if len(l.Items) > 0 {
		b = append(b, l)
	} else {
		b = append(b, docgen.P("（経過を記載）"))
	}
	b = append(b, docgen.Heading{Level: 2, Text: "3 対象となった情報"},
		docgen.P(fmt.Sprintf("%s　%d 人分", or(i.DataItems, "（項目を記載）"), i.Persons)),
		docgen.Heading{Level: 2, Text: "4 区の対応"}, docgen.P(or(i.Outcome, "対象の方への連絡と、情報の回収・削除の依頼を進めています。")),
		docgen.Heading{Level: 2, Text: "5 原因"})
	var causes []string
	for _, w := range r.Whys {
		if w.Direct || w.Root {
			causes = append(causes, w.Statement)
		}
	}
	b = append(b, docgen.P(or(strings.Join(causes, "。")+map[bool]string{true: "。", false: ""}[len(causes) > 0], "原因を調査しています。")),
		docgen.Heading{Level: 2, Text: "6 再発防止策"})
	ml := docgen.List{}
	for _, m := range r.Measures {
		ml.Items = append(ml.Items, docgen.ListItem{Runs: []docgen.Run{docgen.T(m.Title)}})
	}
	if len(ml.Items) > 0 {
		b = append(b, ml)
	} else {
		b = append(b, docgen.P("再発防止策を検討しています。"))
	}
	b = append(b, docgen.Heading{Level: 2, Text: "7 問い合わせ先"},
		docgen.P(strings.TrimSpace(ward+" "+or(i.LeadDepartment, "（所管課）"))+"　電話（代表）（番号を記載）　受付時間 午前8時30分〜午後5時15分（土日・祝日を除く）"),
		docgen.P("※ 公表案です。本人が特定される情報や、攻撃者に手掛かりを与える情報を含めないこと（ハンドブック第25条第2項）。公表は本人への通知と同時か、その後に行います。"))
	return &docgen.Document{Meta: docgen.Meta{Title: "報道発表資料（案）", Subtitle: i.Code, Ward: ward, FiscalYear: i.FiscalYear, Date: now, TitleInBody: true,
		Classification: "公表前・取扱注意", PageNumbers: docgen.PageDash}, Sections: []docgen.Section{{Blocks: b}}}
}
