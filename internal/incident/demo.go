package incident

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"mamori/internal/module"
)

// The demo's five 令和8年度 incidents (fictional, realistic): each at a
// different state, with the facts that drive the clock, the departments
// and contractors involved, a timeline and the reports made; and two
// staff reports, one waiting for triage and one dismissed.

type demoIncident struct {
	in       Input
	lead     string
	parties  []demoParty
	events   [][4]string // at, category, actor, body
	notices  [][2]string // rule key, at
	visits   []VisitInput
	whys     []demoWhy
	measures []demoMeasure
	services []ServiceInput
	tasks    [][3]string // title, owner, due
}

// demoWhy is a なぜなぜ node; parent is the index of an earlier node (-1: top).
type demoWhy struct {
	parent          int
	statement, view string
	direct, root    bool
}

type demoMeasure struct {
	title, detail, owner, due, indicator, check string
	why                                         int // index into whys, -1: none
	rollout                                     []string
}

// demoAnalysis is the analysis of the first three incidents and the
// visit to the fourth, by index.
var demoAnalysis = map[int]func(*demoIncident){
	0: func(d *demoIncident) {
		d.visits = []VisitInput{{VisitedOn: "2026-06-09 10:00", Place: "委託事業者の封入作業場", Visitors: "CSIRT 2名、支援事業者 1名",
			Interviewees: "委託事業者の工程管理責任者、封入作業の担当者 2名",
			Findings:     "封入機の重量検査は二通入りを検出する設定だったが、閾値が通知書1枚の重さより大きく、二通入りでも通過していた。作業日報に照合の記録欄がなかった。",
			Advice:       "重量の閾値を通知書の仕様に合わせて設定し直し、ロットごとに抜き取りの目視照合を二人で行って記録すること。区は、作業報告に照合記録を添付させること。"}}
		d.whys = []demoWhy{
			{-1, "一つの封筒に二人分の通知書が入った", "insufficient", true, false},
			{0, "封入機の重量検査が二通入りを検出しなかった", "insufficient", false, false},
			{1, "重量の閾値が通知書の重さに合わせて設定されていなかった", "contractor", false, true},
			{0, "封入後の照合を区の仕様書で求めていなかった", "no_rule", false, true},
		}
		d.measures = []demoMeasure{
			{title: "封入封緘は二人で照合し、照合記録を残す（委託仕様書に明記する）", detail: "委託仕様書に、ロットごとの抜き取り照合と照合記録の提出を加える。",
				owner: "税務課", due: "2026-09-30", indicator: "照合記録の提出率 100%", check: "2026-12-25", why: 3, rollout: []string{"国保年金課", "介護保険課"}},
			{title: "発送の前に、委託事業者の作業記録を課で確認する", owner: "税務課", due: "2026-08-31", indicator: "発送前確認の記録", why: 2},
		}
	},
	1: func(d *demoIncident) {
		d.whys = []demoWhy{
			{-1, "宛先の候補から同じ名前で始まる別の団体を選んだ", "unknown", true, false},
			{0, "メールソフトの宛先の自動補完をそのまま使っていた", "insufficient", false, false},
			{1, "個人情報を添付して送るときの宛先確認の手順がなかった", "no_rule", false, true},
		}
		d.measures = []demoMeasure{
			{title: "個人情報を含むファイルを送るときは、送信前に二人で宛先を確認し、庁内の共有手段で渡す", owner: "児童青少年課", due: "2026-11-30",
				indicator: "誤送信 0 件", check: "2027-02-26", why: 2, rollout: []string{"子ども家庭課", "保育課"}},
		}
	},
	2: func(d *demoIncident) {
		d.visits = []VisitInput{{VisitedOn: "2026-10-21 09:30", Place: "戸籍住民課 執務室・書庫", Visitors: "CSIRT 1名",
			Interviewees: "住民記録係長、集計を担当した職員",
			Findings:     "媒体の貸出簿はあるが、返却の確認を誰が行うかが決まっていなかった。書庫で作業する際に媒体を棚に置く習慣があった。",
			Advice:       "終業時の返却確認を係長が行い、貸出簿に確認の印を残すこと。書庫に媒体を持ち込まないこと。"}}
		d.whys = []demoWhy{
			{-1, "書庫で作業した後、USBメモリーを棚に置いたままにした", "ignored", true, false},
			{0, "終業時の返却確認を誰が行うか決まっていなかった", "no_rule", false, true},
		}
		d.measures = []demoMeasure{
			{title: "記録媒体の返却は終業時に係長が確認し、貸出簿に確認の印を残す", owner: "戸籍住民課", due: "2026-11-30", indicator: "貸出簿の確認漏れ 0 件",
				check: "2027-01-29", why: 1, rollout: []string{"区民課"}},
		}
	},
	4: func(d *demoIncident) {
		d.services = []ServiceInput{{Service: "介護保険の相談受付（過去の相談記録の照会）", From: "2026-12-01 09:15", To: "2026-12-01 16:30",
			Fallback: "紙の受付票で相談を受け、記録の照会が必要なものは翌日に折り返した", Residents: "14"}}
		d.tasks = [][3]string{{"感染した端末の記憶装置とメモリの保全", "情報政策課 CSIRT", "2026-12-02"},
			{"共有フォルダのバックアップからの復元と、復元したファイルの確認", "情報政策課", "2026-12-08"},
			{"相談記録の対象者の特定と、本人への通知の要否の判断", "高齢福祉課・区政情報課", "2026-12-10"}}
	},
	3: func(d *demoIncident) {
		d.visits = []VisitInput{{VisitedOn: "2026-11-25 14:00", Place: "委託事業者の事務所", Visitors: "CSIRT 2名、地域活動推進課 1名",
			Interviewees: "委託事業者の情報セキュリティ責任者",
			Findings:     "共有設定は担当者の判断で変えられ、設定の変更を確認する者がいなかった。アクセスログは90日分が保存されている。",
			Advice:       "アクセスログを区に提出させ、外部からの閲覧の有無を確かめること。共有設定の変更に承認を要する運用とし、その記録を契約上の報告事項とすること。"}}
	},
}

type demoParty struct{ dept, contractor, role, actions string }

var demoIncidents = []demoIncident{
	{
		in: Input{Title: "固定資産税・都市計画税の納税通知書の誤送付（封入ミス）", Category: "誤送付", Severity: 3, State: "effect",
			Occurred: "2026-06-05 15:00", Aware: "2026-06-08 10:30",
			Summary:   "委託事業者が封入した納税通知書のうち、二人分の通知書が一つの封筒に入ったものがあり、別の納税者の氏名・住所・課税額が記載された通知書が届いた。受け取った区民からの電話で判明した。同じ封入ロットの120通を対象として調査し、回収を進めた。",
			DataItems: "氏名、住所、課税物件の所在地、課税標準額、税額", Persons: "120", Sent: "120", Recovered: "95", Unopened: "80",
			Flags:   []string{"personal", "financial"},
			Outcome: "封入ロットの120通について、対象者へのおわびと回収を行った。封入工程の照合が機械の重量検査だけであったことが原因で、委託事業者に二人照合と照合記録の提出を求めた。"},
		lead: "税務課",
		parties: []demoParty{{dept: "税務課", role: "発生課", actions: "対象者への連絡と回収、区民からの問合せ対応"},
			{contractor: "株式会社ひので印刷（架空）", role: "委託先", actions: "封入工程の調査報告、照合手順の改善と照合記録の提出"},
			{dept: "区政情報課", role: "協力", actions: "個人情報保護委員会への報告の要否の判断と報告の支援"}},
		events: [][4]string{
			{"2026-06-08 10:30", "認知", "税務課 資産税係", "区民から「他人の通知書が同封されていた」との電話。通知書の写しの提示を受けて事実を確認した。"},
			{"2026-06-08 11:05", "報告", "税務課長", "CSIRT窓口に電話で第一報。封入ロットの特定を委託事業者に指示した。"},
			{"2026-06-08 16:00", "調査", "CSIRT", "同じ封入ロットの120通を対象と判断。レベル3と判定しCISOに報告。"},
			{"2026-06-10 17:00", "連絡・通知", "区政情報課", "個人情報保護委員会に速報を提出。"},
			{"2026-06-12 10:00", "公表", "税務課", "区のウェブサイトで公表し、問合せ窓口を設けた。"},
		},
		notices: [][2]string{{"ward-first", "2026-06-08 11:05"}, {"ward-form", "2026-06-08 12:20"}, {"ciso-level3", "2026-06-08 16:10"},
			{"tokyo", "2026-06-08 17:30"}, {"ppc-prompt-appi", "2026-06-10 17:00"}, {"notify-persons", "2026-06-11 18:00"},
			{"council", "2026-06-12 09:00"}, {"publication", "2026-06-12 10:00"}, {"ppc-final-appi", "2026-07-03 15:00"}},
	},
	{
		in: Input{Title: "児童の名簿を添付した電子メールの誤送信", Category: "誤送信", Severity: 2, State: "analysis",
			Occurred: "2026-09-17 13:40", Aware: "2026-09-17 14:05",
			Summary:   "放課後の事業の参加者名簿（児童32人分）を添付した電子メールを、事業の協力団体に送る際、宛先の候補から同姓の別の団体を選んで送信した。送信直後に担当者が気づいた。",
			DataItems: "児童の氏名、学年、学校名、保護者の連絡先", Persons: "32", Sent: "1", Recovered: "1", Unopened: "1",
			Flags:   []string{"personal"},
			Outcome: "誤って受信した団体に電話で削除を依頼し、削除したとの回答を書面で受けた。保護者に経緯を説明した。"},
		lead:    "児童青少年課",
		parties: []demoParty{{dept: "児童青少年課", role: "発生課", actions: "受信者への削除依頼、保護者への説明"}},
		events: [][4]string{
			{"2026-09-17 14:05", "認知", "児童青少年課 担当者", "送信済みフォルダで宛先の誤りに気づいた。"},
			{"2026-09-17 14:20", "報告", "児童青少年課長", "CSIRT窓口に第一報。"},
			{"2026-09-17 15:00", "封じ込め", "児童青少年課", "受信した団体に電話し、開封前に削除することを依頼した。"},
			{"2026-09-18 10:00", "連絡・通知", "児童青少年課", "削除した旨の書面の回答を受領。"},
		},
		notices: [][2]string{{"ward-first", "2026-09-17 14:20"}, {"ward-form", "2026-09-17 15:40"}, {"ciso-level2", "2026-09-17 16:30"},
			{"notify-persons", "2026-09-19 12:00"}},
	},
	{
		in: Input{Title: "住民票の写しの交付記録を保存したUSBメモリーの紛失（2日後に庁舎内で発見）", Category: "紛失", Severity: 2, State: "closed",
			Occurred: "2026-10-20 17:30", Aware: "2026-10-20 18:40", Closed: "2026-11-05 17:00",
			Summary:   "窓口の交付記録を集計のため許可を得て暗号化USBメモリーに保存していたところ、終業時の点検で所在が分からなくなった。2日後、執務室の書庫の棚の奥で見つかった。暗号化されており、庁外に持ち出された形跡はなかった。",
			DataItems: "請求者の氏名、交付日、交付の種別", Persons: "45", Flags: []string{"personal"},
			Outcome: "発見後、保存内容と最終アクセス日時を確認し、第三者による閲覧の形跡がないことを確かめた。媒体の貸出簿と終業時の点検の手順を見直した。"},
		lead:    "戸籍住民課",
		parties: []demoParty{{dept: "戸籍住民課", role: "発生課", actions: "捜索と発見後の確認、媒体管理の手順の見直し"}},
		events: [][4]string{
			{"2026-10-20 18:40", "認知", "戸籍住民課 住民記録係", "終業時の媒体の点検で、貸出簿に返却の記録がないUSBメモリー1本に気づいた。"},
			{"2026-10-20 19:10", "報告", "戸籍住民課長", "CSIRT当番に電話で第一報。"},
			{"2026-10-22 11:00", "調査", "戸籍住民課", "書庫の棚の奥で発見。CSIRTが暗号化と最終アクセス日時を確認した。"},
		},
		notices: [][2]string{{"ward-first", "2026-10-20 19:10"}, {"ward-form", "2026-10-20 20:30"}, {"ciso-level2", "2026-10-21 09:30"},
			{"notify-persons", "2026-10-23 17:00"}, {"after-report", "2026-11-30 16:00"}},
	},
	{
		in: Input{Title: "委託事業者のクラウドストレージの公開設定の誤りによるイベント申込者情報の閲覧可能状態", Category: "委託先事故", Severity: 3, State: "investigation",
			Occurred: "2026-11-10 09:00", Aware: "2026-11-24 11:00",
			Summary:   "地域イベントの申込受付を委託している事業者が、申込者の一覧をクラウドストレージで共有する際、共有リンクを「リンクを知っている全員」に設定していた。外部の研究者からの連絡で判明した。閲覧の記録を事業者に確認させている。",
			DataItems: "申込者の氏名、住所、電話番号、電子メールアドレス、年代", Persons: "1830", Flags: []string{"personal", "public"},
			Outcome: ""},
		lead: "地域活動推進課",
		parties: []demoParty{{dept: "地域活動推進課", role: "所管課", actions: "委託事業者への調査指示と報告の取りまとめ"},
			{contractor: "ひのでイベントサポート株式会社（架空）", role: "委託先", actions: "共有設定の停止、アクセスログの提出、再委託の有無の報告"},
			{dept: "区政情報課", role: "協力", actions: "個人情報保護委員会への報告"}},
		events: [][4]string{
			{"2026-11-24 11:00", "認知", "地域活動推進課", "外部からの連絡を受け、共有リンクで一覧が開けることを確認した。"},
			{"2026-11-24 11:30", "封じ込め", "委託事業者", "共有リンクを無効にした。"},
			{"2026-11-24 12:00", "報告", "地域活動推進課長", "CSIRT窓口に第一報。レベル3と判定。"},
			{"2026-11-27 16:00", "連絡・通知", "区政情報課", "個人情報保護委員会に速報を提出。"},
		},
		notices: [][2]string{{"ward-first", "2026-11-24 12:00"}, {"ward-form", "2026-11-24 13:00"}, {"ciso-level3", "2026-11-24 12:30"},
			{"tokyo", "2026-11-24 17:00"}, {"ppc-prompt-appi", "2026-11-27 16:00"}},
	},
	{
		in: Input{Title: "職員端末1台のランサムウェア感染（拡散前に切離し）", Category: "マルウェア", Severity: 3, State: "containment",
			Occurred: "2026-12-01 08:50", Aware: "2026-12-01 09:15",
			Summary:   "始業後、職員端末の画面に身代金を要求する表示が出て、共有フォルダ上のファイルの一部の拡張子が変わった。職員が直ちにLANケーブルを抜き、CSIRTが同じセグメントの端末と共有フォルダへの書込みを止めた。ほかの端末への感染は確認されていない。",
			DataItems: "端末と共有フォルダ上の介護保険の相談記録（一部）", Persons: "60", Flags: []string{"personal", "sensitive", "wrongdoing", "crime"},
			Outcome: ""},
		lead: "高齢福祉課",
		parties: []demoParty{{dept: "高齢福祉課", role: "発生課", actions: "端末の保全、業務の代替手段での継続"},
			{dept: "情報政策課", role: "協力", actions: "感染範囲の調査、バックアップの切離しと復元の準備"}},
		events: [][4]string{
			{"2026-12-01 09:15", "認知", "高齢福祉課 職員", "画面に身代金要求の表示。LANケーブルを抜き、電源は切らずに所属長へ報告。"},
			{"2026-12-01 09:25", "報告", "高齢福祉課長", "CSIRT窓口に第一報。"},
			{"2026-12-01 09:40", "封じ込め", "CSIRT", "同じセグメントの通信を遮断し、共有フォルダへの書込みを停止。バックアップ装置をネットワークから切り離した。"},
		},
		notices: [][2]string{{"ward-first", "2026-12-01 09:25"}, {"ward-form", "2026-12-01 11:10"}, {"ciso-level3", "2026-12-01 10:00"},
			{"tokyo", "2026-12-01 15:00"}, {"police", "2026-12-01 16:30"}},
	},
}

// demoHistory are closed incidents of the two years before (no analysis
// kept in Mamori then): the annual summary compares the years.
var demoHistory = []Input{
	{Title: "児童手当の案内の誤送付（宛名ラベルの貼り違い）", Category: "誤送付", Severity: 2, Aware: "2024-07-10 11:00", Closed: "2024-08-30 17:00", Persons: "3"},
	{Title: "職員の業務用携帯電話の紛失（翌日に駅で発見）", Category: "紛失", Severity: 2, Aware: "2024-10-02 09:10", Closed: "2024-10-25 17:00", Persons: "0"},
	{Title: "標的型メールの添付ファイルの開封（感染なし）", Category: "マルウェア", Severity: 1, Aware: "2025-01-21 14:30", Closed: "2025-02-07 17:00"},
	{Title: "介護保険の通知の誤送付（住所の更新漏れ）", Category: "誤送付", Severity: 2, Aware: "2025-05-19 10:00", Closed: "2025-07-04 17:00", Persons: "1"},
	{Title: "イベント参加者へのメールのCC一斉送信", Category: "誤送信", Severity: 2, Aware: "2025-08-26 16:20", Closed: "2025-09-30 17:00", Persons: "58"},
	{Title: "窓口での証明書の誤交付（同姓の別人）", Category: "誤交付", Severity: 2, Aware: "2025-11-13 15:45", Closed: "2025-12-19 17:00", Persons: "1"},
	{Title: "委託事業者のノートPCの置き忘れ（暗号化済み）", Category: "委託先事故", Severity: 2, Aware: "2026-02-03 19:30", Closed: "2026-03-13 17:00", Persons: "240"},
}

// demoShift is how many days the demo's dates move back so that the
// latest incident was noticed three days before now (a demo made on an
// earlier clock, as the tests make it); 0 when now is later.
func demoShift(now time.Time) int {
	var latest time.Time
	for _, di := range demoIncidents {
		if t, err := ParseDateTime(di.in.Aware); err == nil && t.After(latest) {
			latest = t
		}
	}
	target := now.AddDate(0, 0, -3)
	if !latest.After(target) {
		return 0
	}
	return -int(math.Ceil(latest.Sub(target).Hours() / 24))
}

// moved is date and time s moved by days.
func moved(s string, days int) string {
	t, err := ParseDateTime(s)
	if err != nil || t.IsZero() || days == 0 {
		return s
	}
	return t.AddDate(0, 0, days).Format("2006-01-02 15:04")
}

// shifted is di with every date moved by days.
func shifted(di demoIncident, days int) demoIncident {
	if days == 0 {
		return di
	}
	move := func(s string) string { return moved(s, days) }
	di.in.Occurred, di.in.Aware, di.in.Closed = move(di.in.Occurred), move(di.in.Aware), move(di.in.Closed)
	di.events = slices.Clone(di.events)
	for i := range di.events {
		di.events[i][0] = move(di.events[i][0])
	}
	di.notices = slices.Clone(di.notices)
	for i := range di.notices {
		di.notices[i][1] = move(di.notices[i][1])
	}
	di.visits = slices.Clone(di.visits)
	for i := range di.visits {
		di.visits[i].VisitedOn = move(di.visits[i].VisitedOn)
	}
	return di
}

// CreateDemo implements module.DemoMaker.
func (m *Module) CreateDemo(ctx context.Context, d module.Demo) error {
	d.Progress("インシデントの記録を作成しています")
	s := m.store
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return err
	}
	dept := func(name string) int64 {
		for _, x := range tree.Flat() {
			if x.Name == name {
				return x.ID
			}
		}
		return 0
	}
	by := "情報政策課 情報セキュリティ係"
	shift := demoShift(s.now())
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		for k, di := range demoIncidents {
			if f := demoAnalysis[k]; f != nil {
				f(&di)
			}
			di := shifted(di, shift)
			in := di.in
			in.LeadDepartmentID = dept(di.lead)
			closed := in.State == "closed"
			if closed {
				in.State = "effect" // events and notices are recorded before it closes
			}
			i, err := s.Create(ctx, in, by)
			if err != nil {
				return fmt.Errorf("incident demo %s: %w", in.Title, err)
			}
			for _, p := range di.parties {
				if err := s.AddParty(ctx, i, Party{DepartmentID: dept(p.dept), Contractor: p.contractor, Role: p.role, Actions: p.actions}, by); err != nil {
					return fmt.Errorf("incident demo %s: %w", i.Code, err)
				}
			}
			for _, e := range di.events {
				if err := s.AddEvent(ctx, i, e[0], Event{Category: e[1], Actor: e[2], Body: e[3], InReport: true}, by); err != nil {
					return fmt.Errorf("incident demo %s: %w", i.Code, err)
				}
			}
			for _, n := range di.notices {
				if err := s.MarkNotice(ctx, i, n[0], n[1], "", by); err != nil {
					return fmt.Errorf("incident demo %s %s: %w", i.Code, n[0], err)
				}
			}
			for _, v := range di.visits {
				if _, err := s.AddVisit(ctx, i, v, by); err != nil {
					return fmt.Errorf("incident demo %s visit: %w", i.Code, err)
				}
			}
			for _, sv := range di.services {
				sv.From, sv.To = moved(sv.From, shift), moved(sv.To, shift)
				if err := s.AddService(ctx, i, sv, by); err != nil {
					return fmt.Errorf("incident demo %s service: %w", i.Code, err)
				}
			}
			for k, tk := range di.tasks {
				if err := s.AddTask(ctx, i, tk[0], tk[1], tk[2], by); err != nil {
					return fmt.Errorf("incident demo %s task: %w", i.Code, err)
				}
				if k == 0 { // the first (保全) is done
					var id int64
					if err := s.db.QueryRow(ctx, "SELECT MAX(id) FROM incident_tasks WHERE incident_id = ?", i.ID).Scan(&id); err != nil {
						return err
					}
					if err := s.DoneTask(ctx, i, id, by); err != nil {
						return err
					}
				}
			}
			var whyIDs []int64
			for _, w := range di.whys {
				var parent int64
				if w.parent >= 0 {
					parent = whyIDs[w.parent]
				}
				if err := s.AddWhy(ctx, i, parent, w.statement, w.view, w.direct, w.root, by); err != nil {
					return fmt.Errorf("incident demo %s why: %w", i.Code, err)
				}
				var id int64
				if err := s.db.QueryRow(ctx, "SELECT MAX(id) FROM incident_whys WHERE incident_id = ?", i.ID).Scan(&id); err != nil {
					return err
				}
				whyIDs = append(whyIDs, id)
			}
			for _, me := range di.measures {
				in := MeasureInput{Title: me.title, Detail: me.detail, Due: me.due, Indicator: me.indicator, CheckOn: me.check, Owner: dept(me.owner)}
				if me.why >= 0 && me.why < len(whyIDs) {
					in.WhyID = whyIDs[me.why]
				}
				for _, r := range me.rollout {
					in.Rollout = append(in.Rollout, dept(r))
				}
				if err := s.AddMeasure(ctx, i, in, by); err != nil {
					return fmt.Errorf("incident demo %s measure: %w", i.Code, err)
				}
			}
			if closed {
				in.State, in.Rev = "closed", i.Rev
				if err := s.Update(ctx, i.ID, in, by); err != nil {
					return fmt.Errorf("incident demo %s: %w", i.Code, err)
				}
			}
		}
		leads := []string{"子ども家庭課", "道路課", "財政課", "介護保険課", "文化スポーツ課", "戸籍住民課", "国保年金課"}
		for k, h := range demoHistory {
			h.LeadDepartmentID = dept(leads[k%len(leads)])
			h.State, h.Outcome = "closed", "対象者への説明と回収を行い、所属で手順を見直した。"
			h.Occurred = h.Aware
			if h.Persons != "" && h.Persons != "0" {
				h.Flags = []string{"personal"}
			}
			h.Aware, h.Occurred, h.Closed = moved(h.Aware, shift), moved(h.Occurred, shift), moved(h.Closed, shift)
			if _, err := s.Create(ctx, h, by); err != nil {
				return fmt.Errorf("incident demo history %s: %w", h.Title, err)
			}
		}
		accounts, err := m.d.Org.Accounts(ctx)
		if err != nil {
			return err
		}
		for _, a := range accounts {
			if a.Login != "staff" {
				continue
			}
			if _, err := s.Submit(ctx, a.ID, a.DisplayName, a.DepartmentID, ReportInput{
				What:     "窓口で受け付けた転入届の写しを、別の区民の申請書類の束に挟んだまま、その区民に返却した可能性があります。返却した書類の中身を確認できていません。",
				Happened: moved("2026-12-03 15:20", shift), Persons: "1", Contact: "内線 2315"}); err != nil {
				return err
			}
			r, err := s.Submit(ctx, a.ID, a.DisplayName, a.DepartmentID, ReportInput{
				What: "職員用の通用口付近で、ひので区のロゴ入りの封筒が落ちていたので拾いました。中身は見ていません。", Happened: moved("2026-11-12 08:25", shift)})
			if err != nil {
				return err
			}
			if _, err := s.Triage(ctx, r.ID, "dismiss", 0, Input{}, "封筒は区の広報誌の配布用で、個人情報や機密性2以上の情報は入っていませんでした。届けてくださりありがとうございました。", by); err != nil {
				return err
			}
		}
		return nil
	})
}
