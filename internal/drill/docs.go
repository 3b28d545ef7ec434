package drill

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/docgen/chart"
	"mamori/internal/jp"
)

// The documents: 訓練実施計画書（当日）, 訓練資料 (player handbook),
// 統制役用資料 (controller handbook, kept apart), 訓練評価報告書, and for
// the year the 業務計画書（年間） and the 訓練結果報告書（業務報告書）.

// Record is everything known of one drill, for its documents.
type Record struct {
	D            Drill
	S            *Scenario
	Teams        []DrillTeam
	Participants []Participant
	Impacts      []Impact
	Injects      []Inject // started drills only
	Responses    []Response
	Obs          []Observation
	Ratings      map[string]Rating
	Improvements []Improvement
	Feedback     []Feedback
	Reg          *Registry
}

// RecordOf gathers a drill's record.
func (s *Store) RecordOf(ctx context.Context, d Drill) (*Record, error) {
	r := &Record{D: d}
	var err error
	if r.S, err = s.ScenarioOf(ctx, d); err != nil {
		return nil, err
	}
	if r.Teams, err = s.Teams(ctx, d.ID); err != nil {
		return nil, err
	}
	if r.Participants, err = s.Participants(ctx, d.ID); err != nil {
		return nil, err
	}
	reg, err := s.Registry(ctx)
	if err != nil {
		return nil, err
	}
	r.Reg, r.Impacts = reg, reg.Impacts(r.S.Systems)
	if r.Injects, err = s.Injects(ctx, d); err != nil {
		return nil, err
	}
	if r.Responses, err = s.Responses(ctx, d.ID); err != nil {
		return nil, err
	}
	if r.Obs, err = s.Observations(ctx, d.ID); err != nil {
		return nil, err
	}
	if r.Ratings, err = s.RatingsOf(ctx, d.ID); err != nil {
		return nil, err
	}
	if r.Improvements, err = s.Improvements(ctx, d); err != nil {
		return nil, err
	}
	if r.Feedback, err = s.FeedbackOf(ctx, d.ID); err != nil {
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

func hm(t time.Time) string { return t.In(jp.JST).Format("15:04") }

func kv(pairs ...[2]string) docgen.Table {
	t := docgen.Table{Columns: []docgen.Column{{Width: 1}, {Width: 3.2}}}
	for _, p := range pairs {
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{docgen.H(p[0]), docgen.C(p[1])}})
	}
	return t
}

func bullets(items []string) docgen.List {
	l := docgen.List{}
	for _, s := range items {
		l.Items = append(l.Items, docgen.ListItem{Runs: []docgen.Run{docgen.T(s)}})
	}
	return l
}

func (r *Record) teamName(key string) string {
	for _, t := range r.Teams {
		if t.Key == key {
			return t.Name()
		}
	}
	if t, ok := r.S.Team(key); ok {
		return t.Label
	}
	return key
}

// outline is the drill's outline table.
func (r *Record) outline() docgen.Table {
	d := r.D
	var teams []string
	for _, t := range r.Teams {
		teams = append(teams, t.Name())
	}
	when := jp.FormatWarekiDateTime(d.PlannedAt)
	if !d.StartedAt.IsZero() {
		when = "開始 " + jp.FormatWarekiDateTime(d.StartedAt)
		if !d.EndedAt.IsZero() {
			when += "　終了 " + hm(d.EndedAt) + fmt.Sprintf("（訓練時間 %d 分）", int(d.Elapsed(d.EndedAt)/time.Minute))
		}
	}
	return kv([2]string{"訓練番号", d.Code}, [2]string{"訓練名", d.Title}, [2]string{"対象の所属", d.Department},
		[2]string{"シナリオ", r.S.Code + " " + r.S.Title + "（" + r.S.Threat + "）"}, [2]string{"形式・想定時間", fmt.Sprintf("%s・%d 分", or(r.S.Format, "机上訓練"), r.S.Minutes)},
		[2]string{"日時", when}, [2]string{"場所", or(d.Location, "未定")}, [2]string{"チーム", or(strings.Join(teams, "、"), "—")},
		[2]string{"関係する対策基準", or(strings.Join(r.S.Clauses, "、"), "—")})
}

func (r *Record) objectivesTable(withRating bool) docgen.Table {
	cols := []docgen.Column{{Width: 0.5, Align: docgen.AlignCenter}, {Width: 3}, {Width: 0.7, Align: docgen.AlignCenter}}
	h := docgen.HeadRow("No.", "訓練目標と課題", "基準")
	if withRating {
		cols = append(cols, docgen.Column{Width: 0.8, Align: docgen.AlignCenter}, docgen.Column{Width: 2.4})
		h = docgen.HeadRow("No.", "訓練目標と課題", "基準", "評価", "評価の理由")
	}
	t := docgen.Table{Columns: cols, HeaderRows: 1, Rows: []docgen.Row{h}}
	for _, o := range r.S.Objectives {
		text := o.Title
		for _, task := range o.Tasks {
			text += "\n・" + task
		}
		row := docgen.TextRow(o.Key, text, or(o.Clause, "—"))
		if withRating {
			rt, ok := r.Ratings[o.Key]
			if ok {
				row.Cells = append(row.Cells, docgen.Cell{Runs: []docgen.Run{docgen.T(rt.Rating + "\n" + rt.Label())}, Bold: true}, docgen.C(rt.Reason))
			} else {
				row.Cells = append(row.Cells, docgen.C("未評価"), docgen.C("—"))
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// impactBlocks is the citizen-service impact: which services stop, where,
// for whom, and the fallback to start.
func (r *Record) impactBlocks(steps bool) []docgen.Block {
	if len(r.S.Systems) == 0 {
		return []docgen.Block{docgen.P("このシナリオでは情報システムは停止しません。区民への影響は、個人情報の取扱いと問い合わせへの対応を中心に確認します。")}
	}
	var names []string
	total := 0
	for _, i := range r.Impacts {
		total += i.Service.Daily
	}
	for _, c := range r.S.Systems {
		if sys, ok := r.Reg.System(c); ok {
			c = sys.Name
		}
		names = append(names, c)
	}
	b := []docgen.Block{docgen.P(fmt.Sprintf("このシナリオで停止するシステム（%s）により、次の %d の区民サービスが止まります。平日1日あたり約 %s 件の手続に影響します。",
		strings.Join(names, "、"), len(r.Impacts), commas(total)))}
	t := docgen.Table{Columns: []docgen.Column{{Width: 1.5}, {Width: 1.6}, {Width: 1.6}, {Width: 0.7, Align: docgen.AlignRight}, {Width: 1.6}}, HeaderRows: 1,
		Rows: []docgen.Row{docgen.HeadRow("区民サービス", "窓口", "影響を受ける区民", "件/日", "代替手段")}}
	for _, i := range r.Impacts {
		var cs []string
		for _, c := range i.Service.Counters {
			cs = append(cs, c.Department+" "+c.Place)
		}
		t.Rows = append(t.Rows, docgen.TextRow(i.Service.Name, strings.Join(cs, "\n"), i.Service.Residents, commas(i.Service.Daily), i.Service.Fallback))
	}
	b = append(b, t)
	if steps {
		for _, i := range r.Impacts {
			if len(i.Service.Steps) == 0 {
				continue
			}
			b = append(b, docgen.Heading{Level: 3, Text: i.Service.Name + "：" + i.Service.Fallback, NoTOC: true}, bullets(i.Service.Steps))
			if i.Service.Notice != "" {
				b = append(b, docgen.Paragraph{Indent: 1, Runs: []docgen.Run{docgen.T("掲示文の例：" + i.Service.Notice)}})
			}
		}
	}
	return b
}

func commas(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func (r *Record) participantsTable() docgen.Table {
	t := docgen.Table{Columns: []docgen.Column{{Width: 1.2}, {Width: 1.6}, {Width: 0.9}, {Width: 1.6}}, HeaderRows: 1,
		Rows: []docgen.Row{docgen.HeadRow("氏名", "所属", "役割", "チーム")}}
	for _, p := range r.Participants {
		t.Rows = append(t.Rows, docgen.TextRow(p.Name, or(p.Department, "—"), p.Role.Label(), or(map[bool]string{true: r.teamName(p.Team)}[p.Team != ""], "—")))
	}
	return t
}

// msel is the master scenario events list: every inject with its time;
// controllers' version adds the expected action.
func (r *Record) msel(controller bool) docgen.Table {
	cols := []docgen.Column{{Width: 0.5, Align: docgen.AlignCenter}, {Width: 0.6, Align: docgen.AlignCenter}, {Width: 1.3}, {Width: 1.1}, {Width: 3}}
	h := docgen.HeadRow("No.", "時刻", "発信者（媒体）", "受け手", "状況付与")
	if controller {
		cols = append(cols, docgen.Column{Width: 2.2})
		h.Cells = append(h.Cells, docgen.H("期待される対応（目標）"))
	}
	t := docgen.Table{Columns: cols, HeaderRows: 1, Rows: []docgen.Row{h}, FontSize: 8.5}
	now := r.D.PlannedAt
	for mi, mo := range r.S.Modules {
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T(fmt.Sprintf("場面%d　%s", mi+1, mo.Title))}, Bold: true, Fill: "F6F7F9", ColSpan: len(cols)}}})
		for ii, in := range mo.Injects {
			at := r.D.ClockAt(in.Offset, now)
			when := fmt.Sprintf("%s\n(+%d分)", hm(at), in.Offset)
			text := in.Subject + "\n" + in.Body
			for _, a := range in.Attachments {
				text += "\n［添付：" + a.Name + "］"
			}
			row := docgen.TextRow(fmt.Sprintf("%d-%d", mi+1, ii+1), when, in.From+"（"+in.Persona+"・"+in.Channel+"）", r.teamName(in.Team), text)
			if controller {
				row.Cells = append(row.Cells, docgen.C(in.Expected+map[bool]string{true: "（" + in.Objective + "）"}[in.Objective != ""]))
			}
			t.Rows = append(t.Rows, row)
		}
	}
	return t
}

func (r *Record) meta(title, ward string, now time.Time, class string) docgen.Meta {
	return docgen.Meta{Title: title, Subtitle: r.D.Code + " " + r.D.Title, Ward: ward, FiscalYear: r.D.FiscalYear, Date: now,
		Author: "情報政策課（情報セキュリティ担当）", Classification: class, PageNumbers: docgen.PageDash}
}

// DayPlan is the 訓練実施計画書（当日）.
func (r *Record) DayPlan(ward string, now time.Time) *docgen.Document {
	b := []docgen.Block{
		docgen.ApprovalBox{Titles: []string{"統括責任者", "情報政策課長", "所管課長", "担当"}},
		docgen.Heading{Level: 1, Text: "1 訓練の概要"}, r.outline(), docgen.P(r.S.Summary),
		docgen.Heading{Level: 1, Text: "2 訓練の目標"}, r.objectivesTable(false),
		docgen.Heading{Level: 1, Text: "3 区民サービスへの影響と代替手段"},
	}
	b = append(b, r.impactBlocks(true)...)
	b = append(b, docgen.Heading{Level: 1, Text: "4 当日の流れ"},
		bullets([]string{
			fmt.Sprintf("%s　通信確認（参加者用リンクを開き、受け取りを確認）", hm(r.D.PlannedAt.Add(-15*time.Minute))),
			fmt.Sprintf("%s　説明（目的・進め方・注意事項。訓練であることを各参加者が確認）", hm(r.D.PlannedAt.Add(-10*time.Minute))),
			fmt.Sprintf("%s　訓練開始（場面ごとに状況付与。統制役は必要に応じて一時停止・再開・前倒しの付与）", hm(r.D.PlannedAt)),
			fmt.Sprintf("%s　訓練終了の目安、続けて振り返り（ホットウォッシュ）約20分", hm(r.D.ClockAt(r.S.Minutes, r.D.PlannedAt))),
		}),
		docgen.Heading{Level: 1, Text: "5 状況付与の予定（MSEL）"},
		docgen.P("時刻は開始予定時刻からの目安です。訓練を一時停止した場合は、その分だけ後ろにずれます。"),
		r.msel(false),
		docgen.Heading{Level: 1, Text: "6 参加者と役割"}, r.participantsTable(),
		docgen.Heading{Level: 1, Text: "7 安全と中止の基準"},
		bullets([]string{
			"すべての連絡の冒頭と末尾に「訓練」と明示し、実際の区民・報道機関・外部機関には連絡しません。",
			"実際のインシデントや窓口の混雑が生じたときは、統制役が訓練を一時停止又は中止し、実業務を優先します。",
			"実動訓練で窓口の代替手順を試すときは、区民に案内する掲示は「訓練」と明示した見本を使います。",
		}))
	return &docgen.Document{Meta: r.meta("訓練実施計画書（当日）", ward, now, "取扱注意"), Sections: []docgen.Section{{Blocks: b}}}
}

// PlayerHandbook is the 訓練資料 for players: the situation, the rules of
// play, the modules' narratives and questions, and the services that may
// stop — no injects, no expected actions, no controller notes.
func (r *Record) PlayerHandbook(ward string, now time.Time) *docgen.Document {
	b := []docgen.Block{
		docgen.Heading{Level: 1, Text: "1 この訓練について"}, r.outline(), docgen.P(r.S.Summary),
		docgen.Heading{Level: 1, Text: "2 進め方"},
		bullets([]string{
			"配られた参加者用リンク（QRコード）を開くと、あなたのチームあての状況付与（電話・メール・窓口などで届く情報）が表示されます。",
			"状況付与を受けたら、チームで相談し、実際に行う対応を画面の欄に書いて送ってください。正解を当てる試験ではありません。",
			"わからないこと、判断に迷ったことも、そのまま書いてください。振り返りで役立てます。",
			"訓練中の連絡はすべて「訓練」と明示し、区民や外部の機関へ実際に連絡しないでください。",
		}),
		docgen.Heading{Level: 1, Text: "3 訓練の目標"},
	}
	var objs []string
	for _, o := range r.S.Objectives {
		objs = append(objs, o.Title)
	}
	b = append(b, bullets(objs), docgen.Heading{Level: 1, Text: "4 場面と討議の問い"})
	for i, mo := range r.S.Modules {
		b = append(b, docgen.Heading{Level: 2, Text: fmt.Sprintf("場面%d　%s", i+1, mo.Title)}, docgen.P(mo.Narrative))
		if len(mo.Questions) > 0 {
			b = append(b, bullets(mo.Questions))
		}
	}
	b = append(b, docgen.Heading{Level: 1, Text: "5 区民サービスへの影響と代替手段"})
	b = append(b, r.impactBlocks(true)...)
	b = append(b, docgen.Heading{Level: 1, Text: "6 参考：関係する規程"},
		docgen.P("情報セキュリティポリシー（対策基準）"+or(strings.Join(r.S.Clauses, "、"), "")+"、情報セキュリティインシデント対応ハンドブック。"))
	return &docgen.Document{Meta: r.meta("訓練資料（参加者用）", ward, now, "取扱注意"), Sections: []docgen.Section{{Blocks: b}}}
}

// ControllerHandbook is the controllers' and evaluators' material: the
// whole MSEL with expected actions, the controller notes and the
// evaluation guide. Never given to players.
func (r *Record) ControllerHandbook(ward string, now time.Time) *docgen.Document {
	b := []docgen.Block{
		docgen.Paragraph{Runs: []docgen.Run{{Text: "統制役・評価者用　プレイヤーに配布しないでください。", Bold: true, Color: "B00020"}}},
		docgen.Heading{Level: 1, Text: "1 訓練の概要"}, r.outline(),
		docgen.Heading{Level: 1, Text: "2 統制上の注意"}, docgen.P(or(r.S.ControllerNotes, "特記事項はありません。")),
		docgen.Heading{Level: 1, Text: "3 状況付与と期待される対応（MSEL）"}, r.msel(true),
		docgen.Heading{Level: 1, Text: "4 評価の手引き"},
		docgen.P("評価者は、状況付与ごとに、プレイヤーの発言・判断・行動とその時刻を記録します（観察）。助言したときは「助言」、チームが決めたことは「意思決定」として記録してください。訓練目標ごとの評価は、記録に基づいて次の4段階で行います。時間の超過だけを理由に「未達成」とはしません。"),
		bullets([]string{"P（問題なく実施）：課題をすべて、手順どおりに実施できた", "S（一部課題）：おおむね実施できたが、改善すべき点がある",
			"M（重大な課題）：実施できたが、区民や業務に重大な影響が出るおそれのある課題がある", "U（未達成）：実施できなかった"}),
		r.objectivesTable(false),
		docgen.Heading{Level: 1, Text: "5 参加者と役割"}, r.participantsTable(),
	}
	return &docgen.Document{Meta: r.meta("統制役・評価者用資料", ward, now, "取扱注意（統制役限り）"), Sections: []docgen.Section{{Blocks: b}}}
}

// Evaluation is the 訓練評価報告書.
func (r *Record) Evaluation(ward string, now time.Time) *docgen.Document {
	d := r.D
	b := []docgen.Block{
		docgen.ApprovalBox{Titles: []string{"CISO", "統括責任者", "情報政策課長", "所管課長", "担当"}},
		docgen.Heading{Level: 1, Text: "1 訓練の概要"}, r.outline(), docgen.P(r.S.Summary),
		docgen.Heading{Level: 2, Text: "参加者"}, docgen.P(r.participantSummary()),
		docgen.Heading{Level: 1, Text: "2 区民サービスへの影響の想定"},
	}
	b = append(b, r.impactBlocks(false)...)
	b = append(b, docgen.Heading{Level: 1, Text: "3 訓練の経過"})
	if len(r.Injects) == 0 {
		b = append(b, docgen.P("この訓練はまだ実施されていません。"))
	} else {
		b = append(b, r.timeline())
	}
	b = append(b, docgen.Heading{Level: 1, Text: "4 訓練目標ごとの評価"}, r.objectivesTable(true))
	if c := r.ratingChart(); c != nil {
		b = append(b, *c)
	}
	b = append(b, docgen.Heading{Level: 1, Text: "5 良かった点"})
	if len(d.Strengths) == 0 {
		b = append(b, docgen.P("記録されていません。"))
	} else {
		b = append(b, bullets(d.Strengths))
	}
	b = append(b, docgen.Heading{Level: 1, Text: "6 改善すべき点"})
	if len(r.Improvements) == 0 {
		b = append(b, docgen.P("記録されていません。"))
	}
	for _, x := range r.Improvements {
		st := "—"
		if x.Action != nil {
			st = x.Action.Status.Label()
		}
		obj := ""
		if o, ok := r.S.Objective(x.Objective); ok {
			obj = o.Key + " " + o.Title
		}
		b = append(b, docgen.Heading{Level: 2, Text: fmt.Sprintf("改善点%d　%s", x.Seq, x.Title)},
			kv([2]string{"訓練目標", or(obj, "—")}, [2]string{"観察した事実", x.Observation}, [2]string{"根拠（規程・手順）", or(x.Reference, "—")},
				[2]string{"分析", or(x.Analysis, "—")}, [2]string{"改善の提案", x.Recommendation},
				[2]string{"担当・期限", or(x.Owner, "—") + "・" + jp.FormatWareki(x.Due)}, [2]string{"再検証する訓練", or(x.Retest, "次回の訓練")},
				[2]string{"改善措置台帳の状況", st}))
	}
	b = append(b, docgen.Heading{Level: 1, Text: "7 参加者の感想・意見"})
	if len(r.Feedback) == 0 {
		b = append(b, docgen.P("寄せられていません。"))
	} else {
		var fs []string
		for _, f := range r.Feedback {
			fs = append(fs, f.Body+"（"+or(f.Role.Label(), "参加者")+"）")
		}
		b = append(b, bullets(fs))
	}
	b = append(b, docgen.Heading{Level: 1, Text: "8 振り返り（ホットウォッシュ）"}, docgen.P(or(d.Hotwash, "記録されていません。")))
	return &docgen.Document{Meta: r.meta("訓練評価報告書", ward, now, "取扱注意"), Sections: []docgen.Section{{Blocks: b}}}
}

func (r *Record) participantSummary() string {
	count := map[Role]int{}
	for _, p := range r.Participants {
		count[p.Role]++
	}
	var parts []string
	for _, ro := range Roles {
		if count[ro] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d 人", ro.Label(), count[ro]))
		}
	}
	return fmt.Sprintf("計 %d 人（%s）", len(r.Participants), or(strings.Join(parts, "、"), "—"))
}

// timeline merges releases, responses and observations by time.
func (r *Record) timeline() docgen.Table {
	type ev struct {
		at        time.Time
		kind, who string
		text      string
	}
	var evs []ev
	ref := map[int64]string{}
	for _, in := range r.Injects {
		ref[in.ID] = in.Ref()
		if in.Released() {
			k := "状況付与"
			if in.OnDemand {
				k = "状況付与（前倒し）"
			}
			evs = append(evs, ev{in.ReleasedAt, k, in.From, in.Ref() + " " + in.Subject + " → " + r.teamName(in.Team)})
		}
	}
	for _, x := range r.Responses {
		evs = append(evs, ev{x.At, "対応", x.By, "（" + ref[x.InjectID] + "への対応）" + x.Body})
	}
	for _, o := range r.Obs {
		t := o.Body
		if o.InjectID != 0 {
			t = "（" + ref[o.InjectID] + "）" + t
		}
		evs = append(evs, ev{o.At, o.KindLabel(), o.By, t})
	}
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && evs[j].at.Before(evs[j-1].at); j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
	t := docgen.Table{Columns: []docgen.Column{{Width: 0.6, Align: docgen.AlignCenter}, {Width: 1.1}, {Width: 1.2}, {Width: 4}}, HeaderRows: 1,
		Rows: []docgen.Row{docgen.HeadRow("時刻", "区分", "記録者", "内容")}, FontSize: 8.5}
	for _, e := range evs {
		t.Rows = append(t.Rows, docgen.TextRow(hm(e.at), e.kind, e.who, e.text))
	}
	return t
}

func (r *Record) ratingChart() *docgen.Chart {
	if len(r.Ratings) == 0 {
		return nil
	}
	var vals []float64
	for _, rt := range Ratings {
		n := 0
		for _, x := range r.Ratings {
			if x.Rating == rt.Key {
				n++
			}
		}
		vals = append(vals, float64(n))
	}
	var cats []string
	for _, rt := range Ratings {
		cats = append(cats, rt.Key+" "+rt.Label)
	}
	return &docgen.Chart{Chart: chart.Chart{Kind: chart.HBar, Title: "訓練目標の評価の分布", Categories: cats, Series: []chart.Series{{Name: "目標の数", Values: vals}}, Unit: "件", ValueLabel: true},
		Height: 45, Caption: "訓練目標の評価の分布（P・S・M・U）"}
}

// Year is a fiscal year's drills with their records.
type Year struct {
	FY      int
	Plan    *Plan
	Records []*Record
	Names   map[string]string // scenario code → threat
}

// YearOf gathers fiscal year fy's plan and drills.
func (s *Store) YearOf(ctx context.Context, fy int) (*Year, error) {
	y := &Year{FY: fy, Names: map[string]string{}}
	var err error
	if y.Plan, err = s.PlanOf(ctx, fy); err != nil {
		return nil, err
	}
	scs, err := s.Scenarios(ctx)
	if err != nil {
		return nil, err
	}
	for _, x := range scs {
		y.Names[x.Code] = x.Threat
	}
	ds, err := s.Drills(ctx, fy)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		rec, err := s.RecordOf(ctx, d)
		if err != nil {
			return nil, err
		}
		y.Records = append(y.Records, rec)
	}
	return y, nil
}

func (y *Year) grid() docgen.Table {
	cols := []docgen.Column{{Width: 2.2}}
	h := docgen.HeadRow("所属")
	for _, m := range FiscalMonths {
		cols = append(cols, docgen.Column{Width: 0.55, Align: docgen.AlignCenter})
		h.Cells = append(h.Cells, docgen.H(fmt.Sprintf("%d月", m)))
	}
	cols = append(cols, docgen.Column{Width: 2.4})
	h.Cells = append(h.Cells, docgen.H("訓練（形式）"))
	t := docgen.Table{Columns: cols, HeaderRows: 1, Rows: []docgen.Row{h}, FontSize: 8}
	cs := slices.Clone(y.Plan.Cells)
	slices.SortStableFunc(cs, func(a, b Cell) int { return MonthIndex(a.Month) - MonthIndex(b.Month) })
	for _, c := range cs {
		row := docgen.Row{Cells: []docgen.Cell{docgen.C(c.Department)}}
		for _, m := range FiscalMonths {
			if m == c.Month {
				row.Cells = append(row.Cells, docgen.Cell{Runs: []docgen.Run{docgen.T("●")}, Fill: "DCE6F0"})
			} else {
				row.Cells = append(row.Cells, docgen.C(""))
			}
		}
		row.Cells = append(row.Cells, docgen.C(or(y.Names[c.Scenario], c.Scenario)+"（"+or(c.Format, "—")+"）"))
		t.Rows = append(t.Rows, row)
	}
	return t
}

// PlanDocument is the 業務計画書（年間） of the drills.
func (y *Year) PlanDocument(ward string, now time.Time) *docgen.Document {
	b := []docgen.Block{
		docgen.ApprovalBox{Titles: []string{"CISO", "統括責任者", "情報政策課長", "担当"}},
		docgen.Heading{Level: 1, Text: "1 目的"},
		docgen.P("情報セキュリティインシデントが発生したときに、各所属が被害を最小限にとどめ、区民サービスを速やかに回復できるよう、所属ごとに事故対応訓練を計画的に実施します（対策基準 5.2 研修・訓練、7.3 侵害時の対応）。"),
		docgen.Heading{Level: 1, Text: "2 本年度の目標"},
	}
	if len(y.Plan.Goals) == 0 {
		b = append(b, docgen.P("目標は未設定です。"))
	} else {
		b = append(b, bullets(y.Plan.Goals))
	}
	b = append(b, docgen.Heading{Level: 1, Text: "3 重点"})
	if len(y.Plan.Priorities) == 0 {
		b = append(b, docgen.P("重点は未設定です。"))
	} else {
		b = append(b, bullets(y.Plan.Priorities))
	}
	b = append(b, docgen.Heading{Level: 1, Text: "4 実施計画（所属 × 月）"},
		docgen.P(fmt.Sprintf("%d 所属で実施します。", len(y.Plan.Cells))), y.grid(),
		docgen.Heading{Level: 1, Text: "5 実施の方法"},
		bullets([]string{
			"訓練ごとに訓練実施計画書（当日）を作成し、対象所属と日程・参加者を調整します。",
			"シナリオは、区民サービスへの影響（止まるサービス、窓口、代替手段）まで含めて設計します。",
			"訓練当日は、統制役が状況付与を行い、評価者が観察・助言を記録します。終了後に振り返りを行います。",
			"訓練ごとに訓練評価報告書を作成し、改善すべき点は改善措置台帳に登録して、次回の訓練で再検証します。",
			"年度末に訓練結果報告書（業務報告書）を取りまとめます。",
		}))
	var sc []string
	seen := map[string]bool{}
	for _, c := range y.Plan.Cells {
		if !seen[c.Scenario] && c.Scenario != "" {
			seen[c.Scenario] = true
			sc = append(sc, c.Scenario+"（"+y.Names[c.Scenario]+"）")
		}
	}
	if len(sc) > 0 {
		b = append(b, docgen.Heading{Level: 1, Text: "6 使用するシナリオ"}, bullets(sc))
	}
	return &docgen.Document{Meta: docgen.Meta{Title: "業務計画書（年間）事故対応訓練", Ward: ward, FiscalYear: y.FY, Date: now,
		Author: "情報政策課（情報セキュリティ担当）", Classification: "取扱注意", PageNumbers: docgen.PageDash},
		Sections: []docgen.Section{{Blocks: b}}}
}

// BusinessReport is the 訓練結果報告書（業務報告書） for the year.
func (y *Year) BusinessReport(ward string, now time.Time) *docgen.Document {
	done := 0
	counts := map[string]int{}
	var imps, open int
	for _, r := range y.Records {
		if r.D.Ended() {
			done++
		}
		for _, x := range r.Ratings {
			counts[x.Rating]++
		}
		for _, x := range r.Improvements {
			imps++
			if x.Action != nil && x.Action.Status.Unfinished() {
				open++
			}
		}
	}
	b := []docgen.Block{
		docgen.ApprovalBox{Titles: []string{"CISO", "統括責任者", "情報政策課長", "担当"}},
		docgen.Heading{Level: 1, Text: "1 実施状況"},
		docgen.P(fmt.Sprintf("年間訓練計画の %d 所属のうち、%d 件の訓練を計画し、%d 件を実施しました。改善すべき点は %d 件で、うち %d 件が対応中です。",
			len(y.Plan.Cells), len(y.Records), done, imps, open)),
	}
	t := docgen.Table{Columns: []docgen.Column{{Width: 1}, {Width: 2.2}, {Width: 1.3}, {Width: 1.1}, {Width: 0.8}, {Width: 1.2}}, HeaderRows: 1,
		Rows: []docgen.Row{docgen.HeadRow("訓練番号", "訓練名", "所属", "実施日", "状況", "評価（P/S/M/U）")}}
	for _, r := range y.Records {
		var rs []string
		for _, o := range r.S.Objectives {
			if x, ok := r.Ratings[o.Key]; ok {
				rs = append(rs, x.Rating)
			} else {
				rs = append(rs, "－")
			}
		}
		t.Rows = append(t.Rows, docgen.TextRow(r.D.Code, r.D.Title, r.D.Department, jp.FormatWareki(r.D.PlannedAt), r.D.State.Label(), strings.Join(rs, " ")))
	}
	b = append(b, t)
	var vals []float64
	var cats []string
	for _, rt := range Ratings {
		cats = append(cats, rt.Key+" "+rt.Label)
		vals = append(vals, float64(counts[rt.Key]))
	}
	b = append(b, docgen.Chart{Chart: chart.Chart{Kind: chart.Bar, Title: "訓練目標の評価（全訓練）", Categories: cats, Series: []chart.Series{{Name: "目標の数", Values: vals}}, Unit: "件", ValueLabel: true},
		Height: 60, Caption: "図1　訓練目標の評価の分布（全訓練）"})
	planned, monthly := make([]float64, 12), make([]float64, 12)
	for _, c := range y.Plan.Cells {
		planned[MonthIndex(c.Month)]++
	}
	for _, r := range y.Records {
		if r.D.Ended() {
			monthly[MonthIndex(int(r.D.StartedAt.In(jp.JST).Month()))]++
		}
	}
	var mcats []string
	for _, m := range FiscalMonths {
		mcats = append(mcats, fmt.Sprintf("%d月", m))
	}
	b = append(b, docgen.Chart{Chart: chart.Chart{Kind: chart.Bar, Title: "月別の訓練数（年間計画と実施）", Categories: mcats,
		Series: []chart.Series{{Name: "年間計画", Values: planned}, {Name: "実施済み", Values: monthly}}, Unit: "件", Legend: true},
		Height: 60, Caption: "図2　月別の訓練数（年間計画の所属数と実施済みの訓練）"})
	b = append(b, docgen.Heading{Level: 1, Text: "2 訓練ごとの結果"})
	for _, r := range y.Records {
		b = append(b, docgen.Heading{Level: 2, Text: r.D.Code + " " + r.D.Title})
		if !r.D.Ended() {
			b = append(b, docgen.P(fmt.Sprintf("%s に実施予定です（%s）。", jp.FormatWarekiDateTime(r.D.PlannedAt), r.D.State.Label())))
			continue
		}
		b = append(b, docgen.P(fmt.Sprintf("%s に %s で実施しました。シナリオ：%s（%s）。%s", jp.FormatWareki(r.D.StartedAt), r.D.Department, r.S.Title, r.S.Threat, r.participantSummary())))
		if len(r.D.Strengths) > 0 {
			b = append(b, docgen.P("良かった点："+strings.Join(r.D.Strengths, "／")))
		}
		for _, x := range r.Improvements {
			b = append(b, docgen.P(fmt.Sprintf("改善点%d：%s（担当 %s、期限 %s）", x.Seq, x.Title, or(x.Owner, "—"), jp.FormatWareki(x.Due))))
		}
	}
	b = append(b, docgen.Heading{Level: 1, Text: "3 全体の所見と次年度に向けて"})
	var themes []string
	for _, r := range y.Records {
		for _, o := range r.S.Objectives {
			if x, ok := r.Ratings[o.Key]; ok && (x.Rating == "M" || x.Rating == "U") {
				themes = append(themes, fmt.Sprintf("%s（%s）：%s", o.Title, r.D.Department, x.Label()))
			}
		}
	}
	if len(themes) == 0 {
		b = append(b, docgen.P("重大な課題（M）又は未達成（U）と評価された目標はありませんでした。"))
	} else {
		b = append(b, docgen.P("重大な課題（M）又は未達成（U）と評価された目標は次のとおりです。次年度の訓練計画で重点として再検証します。"), bullets(themes))
	}
	return &docgen.Document{Meta: docgen.Meta{Title: "訓練結果報告書（業務報告書）", Subtitle: "事故対応訓練", Ward: ward, FiscalYear: y.FY, Date: now,
		Author: "情報政策課（情報セキュリティ担当）", Classification: "取扱注意", PageNumbers: docgen.PageDash}, Sections: []docgen.Section{{Blocks: b}}}
}
