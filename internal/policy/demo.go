package policy

import (
	"context"
	"fmt"
	"io/fs"
	"time"

	"mamori/content"
	"mamori/internal/jp"
	"mamori/internal/policy/provision"
)

// demoDocs are the demo ward's policy files (content/policy), in Kinds
// order, and how each was adopted as its preamble records
// (content/policy/README.md): the 基本方針 and 対策基準 as amended by the
// security committee on 令和6年3月22日, the removable-media procedure
// decided by the head of 情報政策課 (its owning department, by its code in
// content/demo/departments.json) and the incident handbook decided by the
// CISO.
var demoDocs = []struct {
	Kind      Kind
	Title     string
	File      string
	Effective time.Time
	Decided   time.Time
	DecidedBy string
	Label     string
	DeptCode  string // owning department of a 実施手順
	DeptName  string // its name, checked against the organisation data
}{
	{KindBasic, "ひので区情報セキュリティ基本方針", "policy/hinode-kihon-houshin.md",
		demoDate(2024, 4, 1), demoDate(2024, 3, 22), "ひので区情報セキュリティ委員会決定", "令和6年4月1日施行版", "", ""},
	{KindStandard, "ひので区情報セキュリティ対策基準", "policy/hinode-taisaku-kijun.md",
		demoDate(2024, 4, 1), demoDate(2024, 3, 22), "ひので区情報セキュリティ委員会決定", "令和6年4月1日施行版", "", ""},
	{KindProcedure, "ひので区電磁的記録媒体取扱手順", "policy/hinode-tejun-usb.md",
		demoDate(2023, 4, 1), demoDate(2023, 3, 28), "情報政策課長決定", "令和5年4月1日施行版", "0203", "情報政策課"},
	{KindHandbook, "ひので区情報セキュリティインシデント対応ハンドブック", "policy/hinode-incident-handbook.md",
		demoDate(2023, 4, 1), demoDate(2023, 3, 24), "最高情報セキュリティ責任者決定", "令和5年4月1日施行版", "", ""},
}

func demoDate(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, jp.JST) }

// demoDepartment finds the department a demo 実施手順 belongs to. ok is
// false when the organisation has no departments at all (the policy demo
// made on its own, as the package tests do): the procedure is then left
// out. When departments exist, a missing or renamed one is an error.
func demoDepartment(ctx context.Context, s *Store, code, name string) (id int64, ok bool, err error) {
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return 0, false, err
	}
	for _, d := range tree.ByID {
		if d.Code != code {
			continue
		}
		if d.Name != name {
			return 0, false, fmt.Errorf("所属コード %s は「%s」で、実施手順を所管する「%s」ではありません", code, d.Name, name)
		}
		return d.ID, true, nil
	}
	if len(tree.ByID) > 0 {
		return 0, false, fmt.Errorf("実施手順を所管する所属「%s」（所属コード %s）が組織データにありません", name, code)
	}
	return 0, false, nil
}

// demoChange is one change of the demo revision draft of the 対策基準,
// addressing deliberate gaps of content/policy/README.md. Unit is found by
// its caption (numbers move as the draft is edited).
type demoChange struct {
	Op      ChangeKind
	Caption string // the article edited, or the one a new article follows
	// Text is the article as the drafter types it, starting from the text
	// the draft shows at that point (references already renumbered by the
	// earlier changes: the report article is 第29条 once 第25条 is new).
	Text        string
	Reason      string
	Audiences   []Audience
	StaffAction string
	Clauses     []string // guideline clause numbers of the gap rows it resolves (mic-policy)
}

var demoChanges = []demoChange{
	{
		Op:      ChangeInsert,
		Caption: "職員等の遵守事項",
		Text: `第25条（生成AIの利用）
職員等は、生成AI（利用者の指示に応じて文章、画像、プログラム等を生成するサービスをいう。以下同じ。）を業務に利用するときは、統括情報セキュリティ責任者が業務での利用を承認したサービスに限り、利用しなければならない。
２　統括情報セキュリティ責任者は、前項の承認をするときは、入力した情報が提供者の学習に利用されない設定ができること、入力した情報の保存場所及び保存期間、利用者の認証の方法その他必要な事項を確認し、利用できる業務及び入力できる情報の範囲を定めて職員等に周知しなければならない。
３　職員等は、生成AIに個人情報、特定個人情報その他機密性2以上の情報を入力してはならない。ただし、前項の規定により入力できる情報として定められたものについては、この限りでない。
４　職員等は、生成AIが生成した文章等を業務に用いるときは、その内容の正確性、第三者の権利の侵害の有無及び不適切な表現の有無を自ら確認しなければならない。
５　情報セキュリティ管理者は、所属する職員等による生成AIの利用状況を把握し、不適切な利用を認めたときは、直ちに是正させるとともに、統括情報セキュリティ責任者に報告しなければならない。`,
		Reason:      "対話型の生成AIを業務に使う職員が増えているが、現行の対策基準には生成AIの利用についての定めがなく、入力した情報の外部への流出や、誤った生成結果をそのまま使うおそれがある。利用できるサービス、入力してよい情報の範囲及び生成結果の確認について定める。",
		Audiences:   []Audience{AudienceAll},
		StaffAction: "生成AIは区が承認したサービスだけを使い、個人情報など機密性2以上の情報は入力しない。生成された文章等は、内容が正しいかを自分で確かめてから業務に使う。",
		Clauses:     []string{"5.1"},
	},
	{
		Op:      ChangeEdit,
		Caption: "情報セキュリティインシデントの報告",
		Text: `第28条（情報セキュリティインシデントの報告）
職員等は、情報セキュリティインシデント（情報資産の漏えい、紛失、改ざん、滅失、情報システムの障害、不正アクセス、不正プログラムの感染その他情報セキュリティを損なう事象をいう。以下同じ。）を認知し、又はその疑いがある事象を認めた場合は、直ちに情報セキュリティ管理者に報告しなければならない。この場合において、事実関係の確認が済んでいないときであっても、認知した時から1時間以内に第一報を行うものとする。
２　前項の報告を受けた情報セキュリティ管理者は、報告を受けた時から2時間以内に情報セキュリティ責任者及びCSIRTに報告しなければならない。情報システムに関係する事象である場合は、当該情報システムの情報システム管理者にも併せて報告するものとする。
３　CSIRTは、報告を受けた事象の内容を確認し、重大な情報セキュリティインシデントに当たり、又は当たるおそれがあると判断したときは、直ちにCISOに報告しなければならない。
４　区民等の外部の者から情報セキュリティインシデントについて連絡を受けた職員等は、その内容を記録し、第1項の規定に従い報告しなければならない。
５　情報セキュリティ管理者は、情報セキュリティインシデントの対処が完了した後、その経過、原因及び再発防止策を記載した報告書を作成し、情報セキュリティ責任者を経由してCSIRTに提出しなければならない。
６　CSIRTは、報告された情報セキュリティインシデントを記録し、同様の事案の防止に役立てるため、必要に応じて職員等に周知するものとする。
７　第1項、第2項及び第4項の報告に当たっては、事象の発生日時及び発見の経緯、対象となった情報資産及びその分類、影響が及ぶ範囲並びに既に講じた措置を、判明している範囲で明らかにするものとする。
８　CSIRTは、個人情報又は特定個人情報の漏えい等が発生し、又は発生したおそれがある事案のうち、法令により個人情報保護委員会への報告を要するものについては、法令に定める期限（速報は事態を知った後速やかに、確報は原則として事態を知った日から30日以内）までに報告できるよう、統括情報セキュリティ責任者と調整して必要な措置を講じなければならない。`,
		Reason:      "現行の規定は報告の時期を「速やかに」としか定めておらず、所属によって第一報が翌日以降になる例がある。初動を早めるため、職員から情報セキュリティ管理者への第一報と、管理者からCSIRTへの報告に区としての期限を設け、個人情報保護委員会への報告期限との関係を明記する。",
		Audiences:   []Audience{AudienceAll, AudienceManager},
		StaffAction: "情報セキュリティインシデント又はその疑いに気付いたら、確認できていない点があっても、気付いてから1時間以内に所属の情報セキュリティ管理者へ第一報を入れる。報告を受けた情報セキュリティ管理者（課長等）は、2時間以内に情報セキュリティ責任者とCSIRTへ報告する。",
		Clauses:     []string{"5.3"},
	},
	{
		Op:      ChangeEdit,
		Caption: "バックアップ及び操作記録の管理",
		Text: `第31条（バックアップ及び操作記録の管理）
情報システム管理者は、ファイルサーバ等に記録された情報について、定期的にバックアップを実施しなければならない。
２　情報システム管理者は、完全性2又は可用性2の情報を取り扱う情報システムについて、バックアップの取得の頻度及び保存期間を定め、バックアップを記録した媒体を施錠できる場所に保管しなければならない。
３　情報システム管理者は、ランサムウェア等による被害に備え、前項の情報システムのバックアップの少なくとも一つを、庁内ネットワークから切り離した環境に、又は書き換えのできない方式で保管するとともに、バックアップから復元する手順を定め、年1回以上、実際に復元できることを確認しなければならない。
４　情報システム管理者は、各種アクセス記録、障害の記録その他の操作の記録（以下「ログ」という。）を取得し、改ざん及び消去を防止する措置を講じた上で、定められた期間保存しなければならない。
５　情報システム管理者は、情報システムの運用において実施した作業について、作業記録を作成し、保存しなければならない。
６　情報システム管理者は、所管する情報システムの構成、設定、ネットワーク構成図等を記録した文書を整備し、施錠できる場所に保管しなければならない。`,
		Reason:      "ランサムウェアの被害ではバックアップまで暗号化され、業務の復旧が長引く例が多い。攻撃を受けることを前提に、バックアップの隔離保管と、復元できることの定期的な確認を義務付ける。",
		Audiences:   []Audience{AudienceSystem},
		StaffAction: "所管する情報システムのバックアップの一つを、庁内ネットワークから切り離して、又は書き換えできない方式で保管し、年1回以上、実際に復元できるかを試して結果を記録する。",
		Clauses:     []string{"7.3", "6.1"},
	},
	{
		Op:      ChangeEdit,
		Caption: "業務委託",
		Text: `第44条（業務委託）
情報セキュリティ管理者は、情報資産を取り扱う業務を外部に委託する場合は、委託事業者における情報セキュリティの確保の状況を確認した上で、委託事業者を選定しなければならない。この場合において、情報セキュリティマネジメントシステムの認証又はプライバシーマークの取得の状況等を参考とすることができる。
２　情報セキュリティ管理者は、業務を委託する場合は、取り扱う情報資産の分類に応じ、次に掲げる事項を契約書又はこれに附属する特記事項に明記しなければならない。
（1）　情報セキュリティポリシー及び実施手順のうち委託事業者が遵守すべき事項
（2）　作業の責任者及び作業に従事する者の氏名、委託する業務の範囲並びに作業を行う場所
（3）　提供される情報の目的外利用及び第三者への提供の禁止
（4）　業務を通じて知った区の情報を、契約の終了後も外部に漏らさない義務
（5）　情報の複製及び複写の制限
（6）　再委託の禁止又は制限及び再委託をする場合の区の承認の手続
（7）　委託業務の終了時における情報資産の返還、消去又は廃棄及びこれらを証する書面（以下「消去証明書等」という。）の提出
（8）　委託業務の定期的な報告
（9）　区による監査及び検査
（10）　情報セキュリティインシデントが発生した場合の区への報告
（11）　情報セキュリティポリシーが遵守されなかった場合の契約の解除及び損害賠償
３　情報セキュリティ管理者は、委託事業者において必要な情報セキュリティ対策が確保されていることを定期的に確認し、必要に応じて前項の契約に基づき措置を求めなければならない。
４　情報セキュリティ管理者は、委託事業者に個人情報を取り扱わせる場合は、個人情報の保護に関する法律その他の関係法令の規定に従い、必要な監督を行わなければならない。
５　情報セキュリティ管理者は、所管する課の委託契約のうち情報資産を取り扱うものについて、委託先、委託内容、取り扱う情報資産の分類等を記載した一覧を作成し、管理しなければならない。
６　情報セキュリティ管理者は、委託事業者が委託業務のために区の情報資産を区の施設の外に持ち出す必要がある場合は、その範囲、方法及び管理の方法をあらかじめ確認し、承認しなければならない。
７　委託事業者において情報セキュリティインシデントが発生した場合は、情報セキュリティ管理者は、第29条の規定により報告するとともに、委託事業者に対して原因の調査及び再発防止策の報告を求めなければならない。
８　情報セキュリティ管理者は、委託事業者から再委託の承認を求められたときは、再委託先の名称、再委託する業務の範囲、再委託先が取り扱う情報資産及び再委託先における情報セキュリティ対策を確認し、委託事業者と同等の対策が講じられる場合に限り承認するものとする。承認した後も、委託事業者を通じて再委託先の対策の実施状況を確認しなければならない。
９　情報セキュリティ管理者は、委託業務が終了したときは、委託事業者に提供した情報資産が返還され、又は復元できない方法で消去若しくは廃棄されたことを消去証明書等により確認し、当該消去証明書等を保存しなければならない。`,
		Reason:      "委託先を経由した情報漏えいが全国で続いており、再委託先の管理が不十分な例も多い。再委託の承認時に再委託先の対策を確認すること、委託終了時にデータの消去を消去証明書等で確かめることを定める。",
		Audiences:   []Audience{AudienceManager, AudienceSystem},
		StaffAction: "業務を委託している課は、委託事業者から再委託の申出があったときは再委託先の対策を確認してから承認する。委託が終わったときは、提供したデータの返還又は消去を消去証明書等で確認し、その書面を保存する。",
		Clauses:     []string{"8.1", "8.2"},
	},
}

// DemoAuthor is who the demo's versions and changes are recorded as: the
// consultant's demo account when it exists.
func demoAuthor(ctx context.Context, s *Store) Author {
	var a Author
	if err := s.db.QueryRow(ctx, "SELECT id, display_name FROM users WHERE login = 'consultant'").Scan(&a.ID, &a.Name); err != nil {
		return Author{Name: "支援事業者"}
	}
	return a
}

// CreateDemo imports the demo ward's 基本方針 and 対策基準 (in force from
// 令和6年4月1日), インシデント対応ハンドブック and 実施手順 (in force from
// 令和5年4月1日) as adopted versions read from content/policy, and makes a
// revision draft of the 対策基準 with four changes addressing the policy's
// deliberate gaps, citing the gap table's rows when a gap table exists.
func CreateDemo(ctx context.Context, s *Store) error {
	by := demoAuthor(ctx, s)
	var standardDoc int64
	for _, dd := range demoDocs {
		in := DocumentInput{Kind: dd.Kind, Title: dd.Title}
		if dd.DeptCode != "" {
			dept, ok, err := demoDepartment(ctx, s, dd.DeptCode, dd.DeptName)
			if err != nil {
				return fmt.Errorf("policy.CreateDemo %s: %w", dd.File, err)
			}
			if !ok {
				continue
			}
			in.DepartmentID = dept
		}
		data, err := fs.ReadFile(content.FS, dd.File)
		if err != nil {
			return fmt.Errorf("policy.CreateDemo: %w", err)
		}
		tree, _, err := provision.ReadFile(dd.File, data)
		if err != nil {
			return fmt.Errorf("policy.CreateDemo %s: %w", dd.File, err)
		}
		err = s.db.WithTx(ctx, func(ctx context.Context) error {
			id, err := s.CreateDocument(ctx, in, by)
			if err != nil {
				return err
			}
			// The source is the embedded content file, always at hand: it is
			// named, not copied into the blob store.
			if _, err := s.CreateVersion(ctx, NewVersion{DocumentID: id, Status: StatusAdopted, Tree: tree, SourceName: "content/" + dd.File,
				Adoption: Adoption{EffectiveDate: dd.Effective, DecidedBy: dd.DecidedBy, DecidedDate: dd.Decided, Label: dd.Label}}, by); err != nil {
				return err
			}
			if dd.Kind == KindStandard {
				standardDoc = id
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("policy.CreateDemo %s: %w", dd.File, err)
		}
	}
	vid, err := s.StartRevision(ctx, standardDoc, "令和8年度改正案", by)
	if err != nil {
		return fmt.Errorf("policy.CreateDemo: %w", err)
	}
	for _, c := range demoChanges {
		if err := applyDemoChange(ctx, s, vid, c, by); err != nil {
			return fmt.Errorf("policy.CreateDemo %s: %w", c.Caption, err)
		}
	}
	l, err := s.Load(ctx, vid)
	if err != nil {
		return err
	}
	cs, err := s.Changes(ctx, vid)
	if err != nil {
		return err
	}
	return s.ReplaceQuiz(ctx, vid, GenerateQuiz(l, cs))
}

func applyDemoChange(ctx context.Context, s *Store, vid int64, c demoChange, by Author) error {
	tree, err := s.Tree(ctx, vid)
	if err != nil {
		return err
	}
	var at string
	for _, u := range Units(tree) {
		if u.Node.Caption == c.Caption {
			at = u.Path
		}
	}
	if at == "" {
		return fmt.Errorf("見出し「%s」の条が見つかりません", c.Caption)
	}
	op := Op{Kind: c.Op, At: at, Text: c.Text}
	if c.Op == ChangeInsert {
		op.At, op.After = "", at
	}
	meta := ChangeMeta{Reason: c.Reason, Audiences: c.Audiences, StaffAction: c.StaffAction}
	for _, num := range c.Clauses {
		var id int64
		err := s.db.QueryRow(ctx, `SELECT r.id FROM policy_gap_rows r JOIN policy_gap_tables t ON t.id = r.table_id
			WHERE r.kind = 'guideline' AND r.clause_number = ? ORDER BY t.id DESC, r.seq LIMIT 1`, num).Scan(&id)
		if err == nil {
			meta.GapRowIDs = append(meta.GapRowIDs, id)
		} else if !isNoRows(err) {
			return err
		}
	}
	_, err = s.Apply(ctx, vid, 0, op, meta, by)
	return err
}
