package auditlog

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"mamori/internal/jp"
)

// ActionLabel is the Japanese name of one audit-log action code, as the
// screens show it (the code stays in the database and the export).
type ActionLabel struct{ Code, Label string }

// ActionGroup is a heading of the action filter: the actions of one area.
type ActionGroup struct {
	Key, Label string
	Actions    []ActionLabel
}

// ActionGroups are every action code written anywhere in Mamori, with its
// Japanese name, grouped by area in the order the filter lists them.
// TestEveryActionHasALabel scans the sources for the codes passed to
// Record and fails when one is missing here: a new code needs its name.
var ActionGroups = []ActionGroup{
	{"auth", "ログイン・アクセス", []ActionLabel{
		{"login.success", "ログイン成功"},
		{"login.password_ok", "パスワード確認（二要素認証待ち）"},
		{"login.failure", "ログイン失敗"},
		{"login.totp_failure", "二要素認証の失敗"},
		{"login.throttled", "ログインの一時制限"},
		{"logout", "ログアウト"},
		{"access.denied", "アクセス拒否"},
	}},
	{"user", "利用者", []ActionLabel{
		{"user.create", "利用者を作成"},
		{"user.update", "利用者を更新"},
		{"user.disable", "利用者を無効化"},
		{"user.enable", "利用者を有効化"},
		{"job.run_soon", "定時処理をすぐ実行"},
		{"mail.test", "テストメールを送信"},
		{"mail.settings", "メールの送信設定を変更"},
		{"mail.retry", "送信に失敗したメールを再送"},
		{"mail.failed", "メールを送れなかった"},
		{"user.directory_create", "ディレクトリの利用者を初回ログインで作成"},
		{"user.directory_update", "ディレクトリにより利用者の役割を更新"},
		{"user.directory_disable", "ディレクトリの変更により利用者を無効化"},
		{"user.password", "パスワードを変更"},
		{"user.totp_enable", "二要素認証を有効化"},
		{"user.totp_disable", "二要素認証を無効化"},
	}},
	{"org", "組織・職員", []ActionLabel{
		{"department.save", "所属を保存"},
		{"department.create", "所属を新設（名簿の取込み）"},
		{"staff.create", "職員を登録"},
		{"staff.update", "職員情報を更新"},
		{"staff.import", "職員名簿を取込み"},
		{"fiscal_year.create", "年度を作成"},
		{"fiscal_year.current", "現在の年度を変更"},
	}},
	{"improve", "改善措置", []ActionLabel{
		{"improve.create", "改善措置を登録"},
		{"improve.upsert", "改善措置を出典から登録・更新"},
		{"improve.edit", "改善措置を編集"},
		{"improve.status", "改善措置の状況を更新"},
		{"improve.reopen", "改善措置を再開"},
		{"improve.verify", "改善措置を確認"},
		{"improve.evidence", "改善措置に証跡を追加"},
		{"improve.remove", "改善措置を削除（出典の取消し）"},
		{"improve.remind", "期限が近い・過ぎた改善措置を所属に通知"},
	}},
	{"drill", "事故対応訓練", []ActionLabel{
		{"drill.create", "訓練を計画"},
		{"drill.update", "訓練の名前・場所・日時を変更"},
		{"drill.team", "訓練のチームに所属を割り当て"},
		{"drill.participant", "訓練に参加者を追加"},
		{"drill.link", "訓練の参加者用リンクを発行"},
		{"drill.start", "訓練を開始"},
		{"drill.pause", "訓練を一時停止"},
		{"drill.resume", "訓練を再開"},
		{"drill.end", "訓練を終了"},
		{"drill.release", "状況付与を前倒しで付与"},
		{"drill.response", "訓練の状況付与に対応を記録"},
		{"drill.observe", "訓練の観察・助言を記録"},
		{"drill.rate", "訓練目標を評価"},
		{"drill.summary", "訓練の良かった点・振り返りを保存"},
		{"drill.improvement", "訓練の改善点を登録"},
		{"drill.feedback", "訓練の感想を受付"},
		{"drill.plan", "年間訓練計画を更新"},
		{"drill.scenario", "訓練シナリオを保存"},
		{"drill.service", "区民サービス影響モデルを更新"},
	}},
	{"vendor", "委託・クラウドの審査", []ActionLabel{
		{"vendor.request", "委託・クラウドの審査を依頼"},
		{"vendor.build", "審査の調査票を作成"},
		{"vendor.link", "事業者の回答用リンクを発行"},
		{"vendor.revoke", "事業者の回答用リンクを取消し"},
		{"vendor.link_refused", "開けない回答用リンクへのアクセス"},
		{"vendor.answer", "事業者が回答を保存"},
		{"vendor.submit", "事業者が回答を提出"},
		{"vendor.evidence", "事業者が資料を添付"},
		{"vendor.review", "審査の項目を審査"},
		{"vendor.return", "事業者に修正を依頼"},
		{"vendor.decide", "委託・クラウドの審査を決定"},
		{"vendor.condition", "承認の条件を満たしたと記録"},
		{"vendor.rereview", "委託・クラウドの再審査を開始"},
		{"vendor.import_refused", "確認事項の Excel の取込みを拒否"},
		{"vendor.evidence_refused", "事業者の資料の添付を拒否"},
		{"vendor.remind", "委託・クラウドの確認事項を所属に通知"},
	}},
	{"program", "進捗管理", []ActionLabel{
		{"program.task_create", "工程の作業を登録"},
		{"program.task_update", "工程の作業を更新・再計画"},
		{"program.meeting_create", "定例会を登録"},
		{"program.meeting_update", "定例会の議事録を保存"},
		{"program.item_add", "定例会の決定事項・宿題を記録"},
		{"program.item_done", "定例会の宿題を完了"},
		{"program.advice", "相談・助言を記録"},
		{"program.next_plan", "次期支援計画書（案）の提案を保存"},
		{"program.copy_year", "工程を次年度へ複写"},
		{"program.loan", "貸与資料を受領"},
		{"program.deliverable", "成果物の状況を記録"},
		{"program.loan_close", "貸与資料の返却・廃棄を記録"},
		{"program.bind", "成果物を製本"},
		{"program.shred", "契約終了時の証跡の消去"},
		{"program.task_deps", "工程の作業の前提を設定"},
	}},
	{"scan", "技術的検証", []ActionLabel{
		{"scan.plan_save", "技術的検証の計画を保存"},
		{"scan.abort", "技術的検証の中止スイッチを操作"},
		{"scan.key_destroy", "技術的検証のファイルの暗号鍵を消去"},
		{"scan.import", "スキャナの結果を取込み"},
		{"scan.import_refused", "スキャナの結果の取込みを拒否"},
		{"scan.check_start", "組込み検査を開始"},
		{"scan.check", "組込み検査で対象を確認"},
		{"scan.check_done", "組込み検査の結果を記録"},
		{"scan.check_refused", "組込み検査の実行を拒否"},
		{"scan.finding_update", "技術的検証の検出事項を更新"},
		{"scan.finding_propose", "技術的検証の結果を監査の指摘事項等に登録"},
		{"scan.remind", "リスク受容の期限が近い・過ぎた指摘を通知"},
	}},
	{"incident", "インシデント", []ActionLabel{
		{"incident.create", "インシデントを登録"},
		{"incident.update", "インシデントを更新"},
		{"incident.reopen", "完了したインシデントを再開"},
		{"incident.party", "インシデントの関係先を追加"},
		{"incident.event", "インシデントの経過を記録"},
		{"incident.notice", "インシデントの報告・通知を記録"},
		{"incident.report", "職員がインシデントを報告"},
		{"incident.triage", "職員からの報告を受付"},
		{"incident.why", "インシデントのなぜなぜ分析に追加"},
		{"incident.measure", "インシデントの再発防止策を登録"},
		{"incident.visit", "インシデントの臨場を記録"},
		{"incident.evidence", "インシデントの証拠を保管"},
		{"incident.custody", "インシデントの証拠の受け渡しを記録"},
		{"incident.service", "インシデントで止まった区民サービスを記録"},
		{"incident.task", "インシデントの作業を登録"},
		{"incident.task_done", "インシデントの作業を完了"},
		{"incident.why_remove", "インシデントのなぜなぜ分析から削除"},
		{"incident.measure_withdraw", "インシデントの再発防止策を取り下げ"},
		{"incident.event_remove", "インシデントの経過を削除"},
		{"incident.key_destroy", "インシデントの証拠の暗号鍵を消去"},
	}},
	{"learning", "研修", []ActionLabel{
		{"learning.course_import", "研修の教材を登録"},
		{"learning.course_copy", "研修のコースを翌年度へ複写"},
		{"learning.campaign_create", "研修の実施を登録"},
		{"learning.video_upload", "研修の単元の動画を登録"},
		{"learning.scorm_import", "外部の教材（SCORM パッケージ）を取り込み"},
		{"learning.scorm_session", "外部の教材（SCORM）の学習を終了"},
		{"learning.key_correct", "研修の問題の正解を訂正（採点し直し）"},
		{"learning.lesson_edit", "研修の単元の本文を変更"},
		{"learning.question_revise", "研修の問題を書き直し（新しい版）"},
		{"learning.lesson_done", "研修の単元を受講"},
		{"learning.remind", "研修の未修了者に催促"},
		{"learning.practice_submit", "内部監査人研修の模擬監査を提出"},
		{"learning.test_submit", "研修の確認テストを提出"},
	}},
	{"survey", "自己点検", []ActionLabel{
		{"survey.questions_import", "自己点検の設問を標準の設問集から登録"},
		{"survey.questions_copy", "前年度の自己点検の設問を複写"},
		{"survey.question_create", "自己点検の設問を追加"},
		{"survey.question_update", "自己点検の設問を更新"},
		{"survey.campaign_create", "自己点検の実施を登録"},
		{"survey.campaign_update", "自己点検の実施の設定を更新"},
		{"survey.campaign_open", "自己点検の回答受付を開始"},
		{"survey.campaign_close", "自己点検を締切"},
		{"survey.remind", "自己点検の未回答者に催促"},
		{"survey.link_issue", "自己点検の個人用リンクを発行"},
		{"survey.links_issue", "自己点検の個人用リンクをまとめて発行"},
		{"survey.submit", "自己点検の回答を提出"},
		{"survey.import_upload", "紙の自己点検の回答ファイルをアップロード"},
		{"survey.import", "紙の自己点検の回答を取込み"},
		{"survey.weakness_register", "自己点検の弱点を改善措置台帳へ登録"},
		{"survey.demo_answers", "自己点検のデモの回答を作成"},
	}},
	{"audit", "監査", []ActionLabel{
		{"audit.engagement_create", "監査を登録"},
		{"audit.summary_save", "内部監査全体報告書の所見・助言・対策案を保存"},
		{"audit.examples_load", "対応事例集を標準の事例から登録"},
		{"audit.example_create", "対応事例を追加"},
		{"audit.example_update", "対応事例を更新"},
		{"audit.example_active", "対応事例の有効・無効を切替え"},
		{"audit.material_examples", "外部監査の報告会資料に載せる事例を選択"},
		{"audit.engagement_update", "監査の対象・体制・日程を更新"},
		{"audit.engagement_phase", "監査の工程を変更"},
		{"audit.programme_copy", "前年度の監査計画を複写"},
		{"audit.evidence_add", "監査の証跡を登録"},
		{"audit.evidence_download", "監査の証跡を閲覧・ダウンロード"},
		{"audit.key_destroy", "監査の証跡の暗号鍵を消去"},
		{"audit.report_save", "監査報告書の本文を保存"},
		{"audit.report_comment", "監査報告書にレビューコメントを追加"},
		{"audit.report_resolve", "監査報告書のレビューコメントを解決"},
		{"audit.report_review", "監査報告書をレビューに回付"},
		{"audit.report_draft", "監査報告書を作成中に戻す"},
		{"audit.report_final", "監査報告書を確定"},
		{"audit.report_reopen", "監査報告書を再開（改訂版を作成）"},
		{"audit.report_locked", "確定した監査報告書への変更を拒否"},
		{"audit.witness_save", "立会いの記録を保存"},
		{"audit.finding_create", "指摘事項等を登録"},
		{"audit.finding_update", "指摘事項等を更新"},
		{"audit.finding_delete", "指摘事項等を削除"},
		{"audit.finding_comment", "指摘事項に被監査所属のコメントを記入"},
		{"audit.followup_plan", "指摘事項の改善計画を提出・更新"},
		{"audit.followup_verdict", "フォローアップの確認結果を記録"},
		{"audit.item_save", "実地監査の項目の判定・所見を保存"},
		{"audit.item_na", "分類の未判定の項目を一括で該当なしに"},
		{"audit.item_prev", "前年どおり確認済にする"},
		{"audit.interview_create", "聞き取り・視察の記録を作成"},
		{"audit.interview_save", "聞き取り・視察の記録を保存"},
		{"audit.interview_delete", "聞き取り・視察の記録を削除"},
		{"audit.plan_create", "監査計画を標準の文案から作成"},
		{"audit.plan_save", "監査計画を改訂（新しい版を保存）"},
		{"audit.checklist_add", "監査のチェックリストに項目を追加"},
		{"audit.checklist_drop", "監査のチェックリストから項目を除外"},
		{"audit.checklist_restore", "監査のチェックリストに項目を戻す"},
		{"audit.checklist_upgrade", "監査のチェックリストを新しい版へ移行"},
		{"audit.presurvey_answer", "事前調査票の回答を保存"},
		{"audit.presurvey_submit", "事前調査票を提出"},
		{"audit.presurvey_state", "事前調査票を差し戻し・確認済みに"},
		{"audit.presurvey_due", "事前調査票の回答期限を設定"},
		{"audit.presurvey_import_refused", "事前調査票の Excel の取込みを拒否"},
		{"audit.item_focus", "監査項目の重点確認を設定・解除"},
		{"audit.request_add", "提出資料を依頼"},
		{"audit.request_update", "提出資料の依頼を変更"},
		{"audit.request_remove", "提出資料の依頼を削除"},
		// (each area of the audit module adds its codes below)
	}},
	{"catalog", "基準・チェックリスト", []ActionLabel{
		{"catalog.framework_import", "基準を取込み"},
		{"catalog.template_import", "チェックリストを取込み"},
		{"catalog.template_xlsx_import", "チェックリストを Excel から取込み"},
		{"catalog.template_copy", "チェックリストの新しい版を作成"},
		{"catalog.template_freeze", "チェックリストを凍結"},
		{"catalog.item_create", "チェック項目を追加"},
		{"catalog.item_update", "チェック項目を更新"},
		{"catalog.item_move", "チェック項目を移動"},
		{"catalog.item_delete", "チェック項目を削除"},
		{"catalog.mapping_add", "条項の対応付けを追加"},
		{"catalog.mapping_remove", "条項の対応付けを削除"},
		{"catalog.department_profile", "所属の監査範囲を更新"},
		{"catalog.checklist_build", "監査用チェックリストを作成"},
	}},
	{"policy", "ポリシー・整合表", []ActionLabel{
		{"policy.document_create", "ポリシー文書を作成"},
		{"policy.document_update", "ポリシー文書を更新"},
		{"policy.version_create", "ポリシーの版を作成"},
		{"policy.version_adopt", "ポリシーの版を施行"},
		{"policy.version_discard", "改正案を破棄"},
		{"policy.change_insert", "改正案に条文を新設"},
		{"policy.change_edit", "改正案で条文を改正"},
		{"policy.change_delete", "改正案で条文を削除"},
		{"policy.change_move", "改正案で条文を移動"},
		{"policy.change_update", "改正理由等を更新"},
		{"policy.quiz_generate", "確認問題を作成"},
		{"policy.quiz_edit", "確認問題を編集"},
		{"policy.quiz_delete", "確認問題を削除"},
		{"policy.gap_create", "整合表を作成"},
		{"policy.gap_import", "整合表を Excel から取込み"},
		{"policy.gap_row_update", "整合表の行を更新"},
	}},
	{"file", "ファイル", []ActionLabel{
		{"download", "ダウンロード"},
		{"upload", "アップロード"},
	}},
	{"ops", "運用・設定", []ActionLabel{
		{"setting.update", "設定を変更"},
		{"backup.create", "バックアップを作成"},
		{"backup.restore", "バックアップから復元"},
		{"auditlog.anchor", "監査ログのアンカーを作成"},
		{"demo.create", "デモデータを作成"},
	}},
}

// Alerting are the actions shown as warnings (a refusal or a failure).
var Alerting = map[string]bool{"access.denied": true, "login.failure": true, "login.totp_failure": true, "login.throttled": true}

var actionLabels = func() map[string]string {
	m := map[string]string{}
	for _, g := range ActionGroups {
		for _, a := range g.Actions {
			if _, dup := m[a.Code]; dup {
				panic("auditlog: action listed twice: " + a.Code)
			}
			m[a.Code] = a.Label
		}
	}
	return m
}()

// Label is the Japanese name of an action code, or "" when the code has
// none (an entry written by a newer or an older version).
func Label(code string) string { return actionLabels[code] }

// GroupActions are the codes of the action group key (nil when there is
// no such group).
func GroupActions(key string) []string {
	for _, g := range ActionGroups {
		if g.Key == key {
			out := make([]string, 0, len(g.Actions))
			for _, a := range g.Actions {
				out = append(out, a.Code)
			}
			return out
		}
	}
	return nil
}

// TargetKind is the kind of object an entry's target names as KIND:ID
// ("improvement_action:12"): its Japanese noun and, when the object has a
// page of its own, the page (a format with one %d for the id).
type TargetKind struct {
	Key, Label string
	Link       string
}

// TargetKinds are every KIND of the KIND:ID targets written anywhere;
// TestEveryActionHasALabel checks the sources against this list too.
var TargetKinds = []TargetKind{
	{"user", "利用者", "/admin/users/%d/edit"},
	{"staff", "職員", "/staff/%d"},
	{"department", "所属", "/admin/departments/%d/edit"},
	{"fiscal_year", "年度", ""},
	{"improvement_action", "改善措置", "/improve/%d"},
	{"improvement_evidence", "改善措置の証跡", ""},
	{"framework", "基準", "/catalog/frameworks/%d"},
	{"checklist_template", "チェックリスト", "/catalog/templates/%d"},
	{"checklist_item", "チェック項目", "/catalog/items/%d"},
	{"clause_mapping", "条項の対応付け", ""},
	{"built_checklist", "監査用チェックリスト", "/catalog/built/%d"},
	{"policy_document", "ポリシー文書", "/policy/documents/%d"},
	{"policy_version", "ポリシーの版", "/policy/versions/%d"},
	{"policy_change", "改正箇所", ""},
	{"policy_gap_table", "整合表", "/policy/gap/%d"},
	{"policy_gap_row", "整合表の行", ""},
	{"policy_quiz_question", "確認問題", ""},
	{"blob", "アップロードされたファイル", ""},
	{"binder", "製本", ""},
	{"mail", "メール", ""},
	{"survey_year", "自己点検の設問（年度）", "/selfcheck/questions?year=%d"},
	{"survey_campaign", "自己点検の実施", "/selfcheck/campaigns/%d"},
	{"survey_question", "自己点検の設問", "/selfcheck/questions/%d"},
	{"learning_year", "研修の教材（年度）", "/learning/courses"},
	{"learning_course", "研修のコース", "/learning/courses/%d"},
	{"learning_campaign", "研修の実施", "/learning/campaigns/%d"},
	{"learning_assignment", "研修の受講", ""},
	{"learning_practice", "模擬監査の提出", "/learning/practice/results/%d"},
	{"incident", "インシデント", "/incident/%d"},
	{"drill", "事故対応訓練", "/drills/%d"},
	{"vendor_request", "委託・クラウドの審査", "/vendor/%d"},
	{"scan_finding", "技術的検証の検出事項", ""},
	{"program_task", "工程の作業", "/program/tasks/%d"},
	{"program_year", "工程（年度）", "/program?year=%d"},
	{"program_meeting", "定例会", "/program/meetings/%d"},
	{"program_advice", "相談・助言記録", ""},
	{"program_loan", "貸与資料", ""},
	{"drill_plan", "年間訓練計画", "/drill/plan?year=%d"},
	{"incident_report", "職員からのインシデント報告", "/incident-reports/%d"},
	{"audit_engagement", "監査", "/audit/%d"},
	{"audit_example", "対応事例", "/audit/examples/edit/%d"},
	{"audit_item", "監査項目", ""},
	{"audit_evidence", "監査の証跡", ""},
	{"audit_request", "提出資料の依頼", ""},
	{"audit_interview", "聞き取りの記録", ""},
	{"audit_finding", "指摘事項", ""},
	{"audit_comment", "監査報告書へのコメント", ""},
	{"login", "ログインID", ""},
}

// ModuleNamed are the target kinds whose names a module looks up itself
// (module.Names), by the module's key; the app's test checks that each is
// registered and its look-up runs on both databases.
var ModuleNamed = map[string]string{
	"audit_engagement": "audit", "audit_item": "audit", "audit_evidence": "audit", "audit_request": "audit",
	"audit_interview": "audit", "audit_finding": "audit", "audit_comment": "audit",
	"survey_campaign": "selfcheck", "survey_question": "selfcheck", "audit_example": "audit",
	"learning_campaign": "learning", "learning_assignment": "learning", "learning_course": "learning", "learning_practice": "learning",
	"incident": "incident", "incident_report": "incident",
	"drill": "drill", "vendor_request": "vendor", "scan_finding": "scan", "program_task": "program", "program_meeting": "program", "program_advice": "program", "program_loan": "program",
}

// NamedTarget is a target written as a fixed word rather than KIND:ID: a
// list that was exported, a setting, the demo data.
type NamedTarget struct{ Label, Link string }

// NamedTargets are the fixed targets written anywhere, by their code.
var NamedTargets = map[string]NamedTarget{
	"incident_annual":              {"インシデント対応の年間総括", "/incident"},
	"scan_acceptances":             {"リスク受容の期限（技術的検証）", "/scan"},
	"mail_settings":                {"メールの送信設定", "/admin/mail"},
	"drill_registry":               {"区民サービス影響モデル", "/drill/services"},
	"drill_scenarios":              {"訓練シナリオ", "/drill/scenarios"},
	"vendor_links":                 {"委託・クラウドの回答用リンク", "/vendor"},
	"vendor_register":              {"外部委託・クラウドサービス台帳", "/vendor"},
	"audit_response_examples":      {"対応事例集", "/audit/examples"},
	"staff.export":                 {"職員名簿（一覧の出力）", "/staff"},
	"departments.export":           {"所属一覧（一覧の出力）", "/admin/departments"},
	"users.export":                 {"利用者一覧（一覧の出力）", "/admin/users"},
	"auditlog.export":              {"監査ログ（一覧の出力）", "/admin/auditlog"},
	"improvement_actions.export":   {"改善措置台帳（一覧の出力）", "/improve"},
	"improvement_actions.document": {"改善措置台帳（文書）", "/improve"},
	"roster":                       {"職員名簿", "/staff"},
	"demo":                         {"デモデータ", ""},
	"totp_required_privileged":     {"設定「管理者・支援事業者の二要素認証」", ""},
	"csirt_contact":                {"設定「CSIRT の連絡先」", ""},
}

// fileActions are the actions whose target is a file on the server's
// machine (or 標準出力), and pathActions those whose target is a page.
var (
	fileActions = map[string]bool{"backup.create": true, "backup.restore": true, "auditlog.anchor": true}
	pathActions = map[string]bool{"access.denied": true}
)

var targetKinds = func() map[string]TargetKind {
	m := map[string]TargetKind{}
	for _, k := range TargetKinds {
		m[k.Key] = k
	}
	return m
}()

// Kind returns the target kind key ("" and false when unknown).
func Kind(key string) (TargetKind, bool) {
	k, ok := targetKinds[key]
	return k, ok
}

// Target is an entry's target read for people: what kind of object, which
// one, in Japanese, and its page when there is one. The names of objects
// (an action's title) are looked up by the screens; Label is the fallback
// when the object is gone: 「改善措置 No.12」.
type Target struct {
	Raw   string
	Kind  string // a TargetKinds key when the target is KIND:ID
	ID    int64  // the object's id (0 when not numeric)
	Key   string // the part after "KIND:" (a login id for "login:…")
	Noun  string // the kind in Japanese: 改善措置
	Label string // the whole target in Japanese without the object's name
	Link  string
}

// ParseTarget reads the target raw of an entry with action.
func ParseTarget(action, raw string) Target {
	t := Target{Raw: raw, Label: raw}
	switch {
	case raw == "":
		return t
	case fileActions[action]:
		t.Noun = "ファイル"
		if raw != "標準出力" {
			t.Label = "ファイル " + raw
		}
		return t
	case pathActions[action]:
		t.Noun = "画面"
		path, why, _ := strings.Cut(raw, " (")
		why = strings.TrimSuffix(why, ")")
		t.Label = path
		switch {
		case why == "CSRF":
			t.Label += "（フォームの確認トークンが不一致）"
		case why != "":
			t.Label += "（対象への権限なし）"
		}
		return t
	}
	if n, ok := NamedTargets[raw]; ok {
		t.Label, t.Link = n.Label, n.Link
		return t
	}
	key, rest, ok := strings.Cut(raw, ":")
	k, known := targetKinds[key]
	if !ok || !known {
		return t
	}
	t.Kind, t.Key, t.Noun = k.Key, rest, k.Label
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		t.Label = k.Label + " " + rest
		return t
	}
	t.ID = id
	switch k.Key {
	case "fiscal_year":
		t.Label = jp.FiscalYearLabel(int(id))
		t.Link = "/admin/years"
	case "binder":
		t.Label = jp.FiscalYearLabel(int(id)) + "の製本"
	case "survey_year":
		t.Label = jp.FiscalYearLabel(int(id)) + "の自己点検の設問"
		t.Link = fmt.Sprintf(k.Link, id)
	case "learning_year":
		t.Label = jp.FiscalYearLabel(int(id)) + "の研修の教材"
		t.Link = k.Link
	case "drill_plan":
		t.Label = jp.FiscalYearLabel(int(id)) + "の年間訓練計画"
		t.Link = fmt.Sprintf(k.Link, id)
	case "program_year":
		t.Label = jp.FiscalYearLabel(int(id)) + "の工程"
		t.Link = fmt.Sprintf(k.Link, id)
	default:
		t.Label = fmt.Sprintf("%s No.%d", k.Label, id)
		if k.Link != "" {
			t.Link = fmt.Sprintf(k.Link, id)
		}
	}
	return t
}

// TargetMatch is what the 対象 filter asks for: the exact targets, the
// target prefixes and a substring, any of which may match.
type TargetMatch struct {
	Exact    []string
	Prefixes []string
	Contains string
}

// ParseTargetFilter reads the 対象 filter as a person types it: 「改善措置 12」,
// 「改善措置 No.12」 or improvement_action:12 for one object, 「改善措置」 for
// every object of the kind, 「職員名簿」 for the fixed targets so named, and
// anything else as a part of the target's code.
func ParseTargetFilter(s string) TargetMatch {
	s = strings.TrimSpace(jp.Normalize(s))
	var m TargetMatch
	if s == "" {
		return m
	}
	m.Contains = s
	folded := strings.ReplaceAll(jp.Fold(s), " ", "")
	for _, k := range TargetKinds {
		label := strings.ReplaceAll(jp.Fold(k.Label), " ", "")
		rest, ok := strings.CutPrefix(folded, label)
		if !ok {
			continue
		}
		rest = strings.TrimPrefix(strings.TrimPrefix(rest, "no."), "no")
		rest = strings.TrimPrefix(rest, ":")
		switch {
		case rest == "":
			m.Prefixes = append(m.Prefixes, k.Key+":")
		case isDigits(rest) || k.Key == "login":
			m.Exact = append(m.Exact, k.Key+":"+rest)
		}
	}
	for code, n := range NamedTargets {
		if strings.Contains(strings.ReplaceAll(jp.Fold(n.Label), " ", ""), folded) {
			m.Exact = append(m.Exact, code)
		}
	}
	slices.Sort(m.Exact)
	return m
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
