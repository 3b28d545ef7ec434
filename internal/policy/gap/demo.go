package gap

import (
	"context"
	"fmt"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/org"
)

// Demo editions: the guideline compared, its previous edition and the
// demo ward's policy (content/catalog/frameworks).
const (
	DemoGuideline = "mic-policy"
	DemoEdition   = "令和7年3月"
	DemoPrevious  = "令和5年3月"
	DemoWardCode  = "hinode-policy"
)

// demoFill is how the consultant and the security office filled a row of
// the demo table: the six deliberate gaps of content/policy/README.md, and
// the other clauses the guideline's revision changed (3.3, 6.1).
type demoFill struct {
	number string
	edit   Edit
}

var demoFills = []demoFill{
	{"3.2", Edit{
		Status: StatusPartial,
		Difference: "令和6年10月版で示されたα'モデル（LGWAN接続系の端末から、条件を付けてインターネット上のクラウドサービス等を利用する構成）についての規定がない。" +
			"第17条第6項は、LGWAN及びLGWAN-ASP以外の外部サービスを端末から直接利用することを一律に禁じており、αモデルを前提とした書き方のままである。" +
			"業務端末の環境（α／α'／β／β'）を選び、定期的に見直す手続も定めていない。",
		Issue: "α'モデルへ移行するかどうかは、令和9年度に予定する業務端末の更改の方針と一体で決める必要がある。移行する場合は、利用を認めるクラウドサービスの条件" +
			"（ISMAPへの登録、取り扱う情報の分類の上限、通信の監視）を定め、第16条（マイナンバー利用事務系）及び第18条（インターネット接続系）との整合も同時に整理しなければならない。",
		Decision:     DecisionPending,
		Reason:       "端末更改の基本方針が令和8年度末に決まるため、それまでは現行のαモデルを維持する。規定の案は並行して準備しておく。",
		DecisionDate: "2026-07-22",
		Planned: "第17条第6項を改め、統括情報セキュリティ責任者が認めた外部サービスに限り、定めた条件の下でLGWAN接続系の端末から利用できる旨を規定する（α'モデルを採る場合）。" +
			"あわせて、業務端末の環境の選定と見直しの手続を第17条に新たな項として加える。",
	}},
	{"3.3", Edit{
		Status: StatusReflected,
		Difference: "改定で加わったα'モデルに関わる部分（LGWAN接続系の端末からクラウドサービスを利用する経路とその監視）は、3.2の行で扱う。" +
			"自治体情報セキュリティクラウドへの集約と外部からの攻撃への対策は第18条第1項・第2項で定めており、改定後の要旨を満たしている。",
	}},
	{"6.1", Edit{
		Status: StatusPartial,
		Difference: "第31条はバックアップの取得の頻度、保存期間、施錠できる場所での保管を定めているが、ランサムウェアに備えてバックアップをネットワークから隔離して保管すること、" +
			"及び復元できることを定期的に確かめることを求めていない。",
		Issue: "7.3の行（侵害時の対応）の改正と一体で行う必要がある。隔離保管の方式（オフラインの媒体、書換えのできない保管領域など）は情報システムごとに異なるため、" +
			"ポリシーには求める水準を置き、方式は実施手順で定める。",
		Decision:     DecisionReflect,
		Reason:       "7.3の改正と合わせて行う。",
		DecisionDate: "2026-09-16",
		Planned: "第31条第2項の次に、重要な情報システムのバックアップの少なくとも一つをネットワークから隔離して保管すること、及び年1回以上バックアップから復元できることを" +
			"確認して記録することを加える。",
	}},
	{"5.1", Edit{
		Status: StatusPartial,
		Difference: "生成AI（対話型の文章生成サービス等）の業務利用についての規定がない。利用してよいかどうか、入力してよい情報の分類、出力内容の確認、利用するサービスの承認の" +
			"いずれも定めていない。第47条の一般的な外部サービスの規定で読めなくはないが、職員が自分で判断できる書き方になっていない。",
		Issue: "試行利用を始めた部署があり、規定の整備を急ぐ必要がある。国の指針等が見直しの途中であるため、細かな運用は実施手順（利用の手引）に委ね、" +
			"ポリシーには原則だけを置く形が適当かどうかを検討する必要がある。",
		Decision:     DecisionPending,
		Reason:       "情報政策課が試行の結果を取りまとめている（令和8年12月に報告予定）。その結果を踏まえて、ポリシーに置く規定の範囲を決める。",
		DecisionDate: "2026-09-16",
		Planned: "第24条に新たな項を設け、生成AIを業務に利用する場合は統括情報セキュリティ責任者が認めたサービスに限ること、機密性2以上の情報（個人情報を含む。）を入力しないこと、" +
			"出力内容の正確性を利用した職員等が確認することを定める（案）。詳細は実施手順「生成AI利用の手引」で定める。",
	}},
	{"5.3", Edit{
		Status: StatusPartial,
		Difference: "報告の期限が「速やかに」だけで、区としての内部の期限（認知から何時間以内に第一報を行うか）が定められていない。CSIRTからCISOへの報告も" +
			"「必要に応じて」とされている（第28条第3項）。個人情報保護委員会への報告（速報・確報）の期限との関係も書かれていない。報告する事項（第7項）は定められている。",
		Issue: "期限を数値で定める場合は、夜間・休日の連絡体制（当番制など）を併せて整える必要がある。個人情報保護委員会への報告は個人情報保護の担当課が所管しており、" +
			"CSIRTとの役割分担を整理する必要がある。",
		Decision:     DecisionReflect,
		Reason:       "第一報の遅れは被害の拡大と区民への公表の遅れにつながるため、内部の期限を数値で示す必要がある。",
		DecisionDate: "2026-07-22",
		Planned: "第28条第1項・第2項の「速やかに」を改め、職員等は認知後直ちに、情報セキュリティ管理者は認知から1時間以内にCSIRTへ第一報を行うこととする。" +
			"第3項を改め、CSIRTは重大な事案を認知から3時間以内にCISOへ報告することとする。新たな項として、個人情報保護委員会への報告が必要な事案では、" +
			"速報（おおむね3〜5日以内）と確報（30日以内。不正の目的によるおそれがある場合は60日以内）に間に合うよう、個人情報保護の担当課と連携することを加える。",
	}},
	{"7.3", Edit{
		Status: StatusPartial,
		Difference: "第40条は連絡・報告・対処・再発防止の手順を定めるにとどまり、攻撃を受けることを前提とした備え（サイバーレジリエンス）、業務の早期復旧" +
			"（復旧の優先順位と目標時間、バックアップからの復元の手順と訓練）、業務継続計画（BCP・ICT-BCP）との連携が定められていない。復旧については第3項第4号の1号だけである。" +
			"第31条のバックアップも取得と保管だけを定めており、ランサムウェアに備えた隔離保管や、復元できることの定期的な確認を求めていない。",
		Issue: "復旧の優先順位と目標時間は業務を所管する課と合意する必要があり、ICT-BCPの改定と同時に進めないと整合がとれない。バックアップの隔離保管の仕組みには" +
			"予算措置が必要になる可能性がある。",
		Decision:     DecisionReflect,
		Reason:       "令和6年10月版・令和7年3月版で重点とされた事項であり、他団体ではランサムウェアによる長期の業務停止が起きているため。",
		DecisionDate: "2026-09-16",
		Planned: "第40条に、重要な情報システムごとの復旧の優先順位と目標復旧時間をICT-BCPと整合させて定めること、及びバックアップからの復元手順を定めて年1回以上復元の訓練を" +
			"行うことを項として加える。第31条に、重要なバックアップをネットワークから隔離して保管すること、及び定期的に復元できることを確認することを加える。",
	}},
	{"8.1", Edit{
		Status: StatusPartial,
		Difference: "再委託先の監督についての規定がない。第44条第2項第6号は「再委託は区の書面による承諾がある場合に限ること」を契約に記載する事項として挙げているだけで、" +
			"再委託の事前承認、再委託先にも同等の対策を求めること、再委託先の把握と確認の手続が定められていない。委託終了時の情報資産の返還・廃棄（第7号）についても、" +
			"消去又は廃棄を証する書面（消去証明書）の提出を求めていない。第15条第5項の廃棄業者への立会いも、証明書は求めていない。",
		Issue: "再委託の承認手続を設けると、各課の契約事務（特記事項のひな形、承認の様式）も改める必要があり、契約担当課との調整が要る。" +
			"クラウドサービスのように消去に立ち会えない場合の確認方法も決めておく必要がある。",
		Decision:     DecisionReflect,
		Reason:       "委託先・再委託先を起点とする情報漏えいが他団体で続いており、令和5年3月版以降のガイドラインでも重点とされているため。",
		DecisionDate: "2026-07-22",
		Planned: "第44条第2項に「再委託を行う場合の事前の承認、再委託先における同等の対策の確保及び区による確認」を加え、第7号を「委託業務の終了時における情報資産の返還又は消去" +
			"及び消去を証する書面の提出」に改める。新たな項として、再委託先を含めた委託先の管理の状況を年1回以上確認する旨を定める。特記事項のひな形も合わせて改める。",
	}},
	{"8.2", Edit{
		Status: StatusPartial,
		Difference: "第45条は作業者名簿や遠隔保守の管理を定めているが、開発・運用・保守を再委託する場合の再委託先の作業者の管理（名簿の提出、権限の範囲、作業記録の確認）を定めていない。" +
			"システムの更改や契約の終了時に、委託先が保持する区のデータやバックアップの消去を確認し、消去証明書を受け取る手続もない。",
		Issue:        "既存の保守契約は契約の更新の際に順次反映することになるため、移行の期間を設ける必要がある。",
		Decision:     DecisionReflect,
		Reason:       "第44条の改正と合わせて行う。",
		DecisionDate: "2026-07-22",
		Planned: "第45条第1項第1号を「作業を行う者（再委託先の作業者を含む。）の名簿の提出及び変更時の届出」に改め、新たな項として、契約の終了時に委託先が保持する区の情報" +
			"（複製及びバックアップを含む。）の消去を確認し、消去証明書の提出を受ける旨を加える。",
	}},
	{"8.3", Edit{
		Status: StatusPartial,
		Difference: "第46条は統括情報セキュリティ責任者の承認と提供者の対策の確認の2項だけで、選定の基準（ISMAP又はISMAP-LIUへの登録）、データの保存場所と準拠法、" +
			"暗号化と鍵の管理、可用性とSLA、事故発生時の通知、契約終了時のデータの返却と消去、監査の権利といった要件がない。" +
			"機密性2以上を扱わない場合の第47条の方が詳しく、規定の重さが逆転している。",
		Issue: "全庁で利用しているクラウドサービスの棚卸しができておらず、どのサービスが機密性2以上の情報を扱っているか把握できていない。" +
			"要件を定めると、既存のサービスの一部が要件を満たさない可能性がある。",
		Decision:     DecisionReflect,
		Reason:       "クラウドサービスの利用が増えており、選定と契約の要件を明文化しないと所属ごとに判断がばらつくため。",
		DecisionDate: "2026-09-16",
		Planned: "第46条を全部改め、（1）利用の承認の手続、（2）選定の要件（ISMAP等への登録、データの保存場所が国内であること又は準拠法と管轄裁判所の確認、暗号化と鍵の管理、" +
			"可用性とバックアップ）、（3）契約に定める事項（SLA、事故時の通知の期限、再委託、監査、終了時のデータの返却と消去）、（4）利用中の確認と台帳による管理、を定める。" +
			"既存のサービスは令和9年度中に棚卸しをして要件への適合を確認する経過措置を附則に置く。",
	}},
}

// CreateDemo builds the demo ward's gap table — the 令和7年3月 guideline
// against ひので区's policy, compared with the 令和5年3月 edition — and fills
// it as the office and the consultant would have by mid-year: the six
// deliberate gaps with their difference, issue, decision and planned
// change, every other row set to its suggested status. The catalogue must
// be imported first.
func CreateDemo(ctx context.Context, db *database.DB, log *auditlog.Log, now time.Time) (int64, error) {
	cat := catalog.NewStore(db)
	find := func(code, version string) (int64, error) {
		f, err := cat.FrameworkByCode(ctx, code, version)
		if err != nil {
			return 0, fmt.Errorf("gap.CreateDemo: 枠組み %s %s がカタログにありません: %w", code, version, err)
		}
		return f.ID, nil
	}
	guide, err := find(DemoGuideline, DemoEdition)
	if err != nil {
		return 0, err
	}
	prev, err := find(DemoGuideline, DemoPrevious)
	if err != nil {
		return 0, err
	}
	ward, err := find(DemoWardCode, "")
	if err != nil {
		return 0, err
	}
	var id int64
	err = db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		id, err = Create(ctx, db, log, NewTable{Title: "情報セキュリティポリシー相違点整合表（令和7年3月版ガイドライン）", FiscalYear: org.DemoFiscalYear,
			GuidelineID: guide, WardID: ward, PreviousID: prev,
			Note: "令和8年度のポリシー改定に向けて、最新のガイドラインと区のポリシー（令和6年4月1日施行）を突き合わせたもの。フラグの付いた行と一部反映の行を情報セキュリティ委員会幹事会で審議する。"}, 0, now)
		if err != nil {
			return err
		}
		s := NewStore(db, log)
		rows, err := s.Rows(ctx, id, Filter{})
		if err != nil {
			return err
		}
		byNumber := map[string]Row{}
		for _, r := range rows {
			if r.Kind == KindGuideline {
				byNumber[r.Number] = r
			}
		}
		filled := map[int64]bool{}
		for _, f := range demoFills {
			r, ok := byNumber[f.number]
			if !ok {
				return fmt.Errorf("gap.CreateDemo: 条項 %s の行がありません", f.number)
			}
			e := f.edit
			e.Provisions = r.Provisions
			if _, err := s.UpdateRow(ctx, r.ID, e, 0, now); err != nil {
				return fmt.Errorf("gap.CreateDemo %s: %w", f.number, err)
			}
			filled[r.ID] = true
		}
		var rest []int64
		for _, r := range rows {
			if !filled[r.ID] && r.Status == "" {
				rest = append(rest, r.ID)
			}
		}
		if len(rest) > 0 {
			if _, err := s.BulkStatus(ctx, id, rest, "suggested", 0, now); err != nil {
				return err
			}
		}
		return nil
	})
	return id, err
}
