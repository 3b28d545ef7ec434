package app_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"mamori/internal/web"
	"mamori/internal/webtest"
)

// objectCase is one demo object of a kind and who may reach it: "all" (every
// role the route rule lets in) or the roles named.
type objectCase struct {
	name  string
	query string // SQL returning the object's id in the demo ward
	roles string
	setup string // SQL run once before query, for objects the demo ward has none of
}

// objectRules is the expected object-level access of every kind of object a
// route works on. A route with an object check whose kind is missing here
// fails the test, as a route missing from routeRules does.
var objectRules = map[string][]objectCase{
	"jobs.job": {
		{name: "職員の取込み（staff が開始）", query: "SELECT MAX(id) FROM jobs WHERE kind = 'matrix'", roles: "admin staff",
			setup: "INSERT INTO jobs (kind, status, created_by, created_at, updated_at) SELECT 'matrix', 'done', id, '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z' FROM users WHERE login = 'staff'"},
	},
	"policy.document": {
		{name: "基本方針", query: "SELECT id FROM policy_documents WHERE kind = 'basic' ORDER BY id LIMIT 1", roles: "all"},
		{name: "対策基準", query: "SELECT id FROM policy_documents WHERE kind = 'standard' ORDER BY id LIMIT 1", roles: "all"},
	},
	"policy.version": {
		{name: "基本方針（施行中）", query: "SELECT v.id FROM policy_versions v JOIN policy_documents d ON d.id = v.document_id WHERE d.kind = 'basic' AND v.status = 'adopted'", roles: "all"},
		{name: "対策基準（施行中）", query: "SELECT v.id FROM policy_versions v JOIN policy_documents d ON d.id = v.document_id WHERE d.kind = 'standard' AND v.status = 'adopted'", roles: "admin consultant auditor viewer"},
		{name: "改正案", query: "SELECT MIN(id) FROM policy_versions WHERE status = 'draft'", roles: "admin consultant auditor viewer"},
	},
	"policy.change": {
		{name: "改正案の変更", query: "SELECT MIN(id) FROM policy_changes", roles: "all"},
	},
	"policy.quiz": {
		{name: "確認問題", query: "SELECT MIN(id) FROM policy_quiz_questions", roles: "all"},
	},
	"gap.table": {
		{name: "相違点整合表", query: "SELECT MIN(id) FROM policy_gap_tables", roles: "all"},
	},
	"gap.row": {
		{name: "整合表の行", query: "SELECT MIN(id) FROM policy_gap_rows", roles: "all"},
	},
	"org.staff": {
		{name: "被監査所属（auditee）の職員", query: "SELECT MIN(s.id) FROM staff s JOIN users u ON u.department_id = s.department_id WHERE u.login = 'auditee'", roles: "all"},
		{name: "他の部の職員", query: "SELECT MIN(s.id) FROM staff s WHERE s.department_id NOT IN " + auditeeDepts + " AND s.department_id IS NOT NULL", roles: "admin consultant viewer"},
	},
	"org.department": {
		{name: "所属", query: "SELECT MIN(id) FROM departments", roles: "all"},
	},
	"org.user": {
		{name: "利用者", query: "SELECT MIN(id) FROM users", roles: "all"},
	},
	"org.roster_upload": {
		{name: "admin が取り込んだ名簿", query: "SELECT MAX(id) FROM blobs WHERE filename = 'matrix-roster.csv'", roles: "all",
			setup: uploadBy("admin", "matrix-roster.csv")},
	},
	"catalog.upload": {
		{name: "consultant が取り込んだチェックリスト", query: "SELECT MAX(id) FROM blobs WHERE filename = 'matrix-checklist.xlsx'", roles: "admin consultant",
			setup: uploadBy("consultant", "matrix-checklist.xlsx")},
	},
	"policy.upload": {
		{name: "consultant が取り込んだ規程", query: "SELECT MAX(id) FROM blobs WHERE filename = 'matrix-policy.docx'", roles: "admin consultant",
			setup: uploadBy("consultant", "matrix-policy.docx")},
	},
	"audit.built": {
		{name: "保存したチェックリスト", query: "SELECT MIN(id) FROM built_checklists", roles: "all",
			setup: "INSERT INTO built_checklists (template_id, title, created_at) SELECT MIN(id), '戸籍住民課 内部監査チェックリスト', '2026-12-01T00:00:00Z' FROM checklist_templates"},
	},
	"catalog.framework": {
		{name: "枠組み", query: "SELECT MIN(id) FROM frameworks", roles: "all"},
	},
	"catalog.clause": {
		{name: "条項", query: "SELECT MIN(id) FROM clauses", roles: "all"},
	},
	"catalog.template": {
		{name: "チェックリスト", query: "SELECT MIN(id) FROM checklist_templates", roles: "all"},
	},
	"catalog.item": {
		{name: "チェック項目", query: "SELECT MIN(id) FROM checklist_items", roles: "all"},
	},
	"catalog.mapping": {
		{name: "条項の対応", query: "SELECT MIN(id) FROM clause_mappings", roles: "all"},
	},
	"improve.evidence": {
		{name: "他の所属の改善措置の証跡", query: "SELECT MIN(e.id) FROM improvement_action_evidence e JOIN improvement_actions a ON a.id = e.action_id WHERE a.owner_department_id NOT IN " + auditeeDepts, roles: "admin consultant auditor viewer"},
	},
	"improve.action": {
		{name: "被監査所属（auditee）の所属の改善措置", query: "SELECT MIN(a.id) FROM improvement_actions a JOIN users u ON u.department_id = a.owner_department_id WHERE u.login = 'auditee'", roles: "all"},
		{name: "被監査所属の配下の係の改善措置", query: "SELECT MIN(a.id) FROM improvement_actions a JOIN departments d ON d.id = a.owner_department_id JOIN users u ON d.parent_id = u.department_id WHERE u.login = 'auditee'", roles: "all"},
		{name: "他の所属の改善措置", query: "SELECT MIN(a.id) FROM improvement_actions a WHERE a.owner_department_id NOT IN " + auditeeDepts, roles: "admin consultant auditor viewer"},
	},
	// 自己点検 (issue 12). A questionnaire: the person invited to it (only the demo 職員 login is linked to the
	// roster); a campaign: the managers, and the 所属長 (auditee) once it is open and covers their department;
	// an answer file: the admin and whoever uploaded it; questions and results: whoever the route admits
	// (results of a campaign that has opened).
	"survey.invitation": {
		{name: "区民部・福祉部の自己点検（回答受付中）", query: "SELECT id FROM survey_campaigns WHERE code = '2026-SC-02'", roles: "staff"},
		{name: "全庁の自己点検（締切）", query: "SELECT id FROM survey_campaigns WHERE code = '2026-SC-01'", roles: "staff"},
		{name: "誰も対象でない自己点検", query: "SELECT MAX(id) FROM survey_campaigns WHERE code = 'matrix-SC'", roles: "",
			setup: "INSERT INTO survey_campaigns (code, fiscal_year, title, audiences, opens_on, closes_on, state, created_at, updated_at) " +
				"VALUES ('matrix-SC', 2026, 'matrix', 'general', '2026-12-01', '2026-12-31', 'open', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z')"},
	},
	"survey.campaign": {
		{name: "全庁の自己点検", query: "SELECT id FROM survey_campaigns WHERE code = '2026-SC-01'", roles: "admin consultant auditee"},
		{name: "区民部・福祉部の自己点検", query: "SELECT id FROM survey_campaigns WHERE code = '2026-SC-02'", roles: "admin consultant auditee"},
		{name: "秘書課だけの自己点検", query: "SELECT MAX(c.id) FROM survey_campaigns c JOIN survey_campaign_departments d ON d.campaign_id = c.id WHERE c.code = 'matrix-SC-hisho'",
			roles: "admin consultant", setup: "INSERT INTO survey_campaigns (code, fiscal_year, title, audiences, opens_on, closes_on, state, created_at, updated_at) " +
				"VALUES ('matrix-SC-hisho', 2026, 'matrix', 'general', '2026-12-01', '2026-12-31', 'open', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z'); " +
				"INSERT INTO survey_campaign_departments (campaign_id, department_id) SELECT c.id, d.id FROM survey_campaigns c, departments d " +
				"WHERE c.code = 'matrix-SC-hisho' AND d.name = '秘書課'"},
	},
	// 研修 (issue 14). An assignment, a lesson of it and a test attempt: the person assigned (only the demo 職員
	// login is linked to the roster); a course and a lesson preview: the managers the route admits; a campaign:
	// the managers and the viewer, and the 所属長 (auditee) when it assigns people of their sub-tree.
	"learning.assignment": {
		{name: "職員（staff）の個人情報保護研修", query: "SELECT a.id FROM learning_assignments a JOIN users u ON u.staff_id = a.staff_id JOIN learning_campaigns c ON c.id = a.campaign_id WHERE u.login = 'staff' AND c.code = '2026-LC-01'", roles: "staff"},
		{name: "他の職員の個人情報保護研修", query: "SELECT MIN(a.id) FROM learning_assignments a WHERE a.staff_id <> (SELECT staff_id FROM users WHERE login = 'staff')", roles: ""},
	},
	"learning.lesson": {
		// Checked to exist; that it is the assignment's is the handler's check (answered 404).
		{name: "受講する研修の単元", query: "SELECT l.id FROM learning_lessons l JOIN learning_courses c ON c.id = l.course_id WHERE l.code = 'PRIV-L01'", roles: "all"},
	},
	"learning.attempt": {
		// Checked to exist; that it is the assignment's is the handler's check (answered 404).
		{name: "職員（staff）の確認テスト", query: "SELECT MAX(id) FROM learning_attempts WHERE seq = 99", roles: "all",
			setup: "INSERT INTO learning_attempts (assignment_id, seq, questions, total, started_at) SELECT a.id, 99, '[]', 0, '2026-12-01T00:00:00Z' " +
				"FROM learning_assignments a JOIN users u ON u.staff_id = a.staff_id JOIN learning_campaigns c ON c.id = a.campaign_id WHERE u.login = 'staff' AND c.code = '2026-LC-01'"},
	},
	"incident.incident": {
		{name: "戸籍住民課のUSBメモリー紛失", query: "SELECT i.id FROM incidents i JOIN departments d ON d.id = i.lead_department_id WHERE d.name = '戸籍住民課' AND i.fiscal_year = 2026", roles: "admin consultant viewer auditee"},
		{name: "児童青少年課の誤送信", query: "SELECT i.id FROM incidents i JOIN departments d ON d.id = i.lead_department_id WHERE d.name = '児童青少年課'", roles: "admin consultant viewer"},
	},
	"incident.evidence": {
		{name: "臨場の写真", query: "SELECT MAX(id) FROM incident_evidence", roles: "admin consultant viewer auditee",
			setup: "INSERT INTO incident_evidence (incident_id, kind, filename, content_type, size, sha256, note, collected_by_name, collected_at) " +
				"SELECT i.id, 'file', 'matrix.txt', 'text/plain', 1, 'x', '', 'matrix', '2026-12-01T00:00:00Z' FROM incidents i JOIN departments d ON d.id = i.lead_department_id WHERE d.name = '戸籍住民課' AND i.fiscal_year = 2026"},
	},
	"incident.task": {
		{name: "ランサムウェアの対応の作業", query: "SELECT MAX(id) FROM incident_tasks", roles: "admin consultant"},
	},
	"incident.report": {
		{name: "職員からの報告", query: "SELECT MIN(id) FROM incident_reports", roles: "admin consultant"},
	},
	// 事故対応訓練 (issue 16). A drill: the managers and the viewer, and the 所属長 (auditee) when their sub-tree
	// takes part (the drill's department or a team's). The participants' link pages are checked by the drill's tests.
	"drill.drill": {
		{name: "戸籍住民課の訓練（ランサムウェア）", query: "SELECT id FROM drills WHERE code = 'DR-R8-01'", roles: "admin consultant viewer auditee"},
		{name: "子ども家庭課の訓練（誤送信）", query: "SELECT id FROM drills WHERE code = 'DR-R8-02'", roles: "admin consultant viewer"},
	},
	"drill.scenario": {
		{name: "ランサムウェアのシナリオ", query: "SELECT id FROM drill_scenarios WHERE code = 'RANSOM-JUKI'", roles: "admin consultant"},
	},
	"drill.inject": {
		// Checked to exist; that it is the drill's is the store's check (answered 404).
		{name: "訓練の状況付与", query: "SELECT MAX(id) FROM drill_injects", roles: "admin consultant"},
	},
	// 進捗管理 (issue 19): the programme's own tasks are the ward's; every role the route admits.
	"program.task": {
		{name: "進捗管理の作業", query: "SELECT MIN(id) FROM program_tasks", roles: "admin consultant viewer"},
	},
	"program.loan": {
		{name: "貸与資料", query: "SELECT MIN(id) FROM program_loans", roles: "admin consultant"},
	},
	"program.meeting": {
		{name: "定例会", query: "SELECT MIN(id) FROM program_meetings", roles: "admin consultant viewer"},
	},
	// A mail of the outbox: the administrator's.
	"mail.message": {
		{name: "メール", query: "SELECT MIN(id) FROM mail_outbox", roles: "admin",
			setup: "INSERT INTO mail_outbox (kind, to_addr, subject, body, status, next_at, created_at) VALUES ('test', 'a@example.jp', 'x', 'x', 'failed', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z')"},
	},
	// A bound set and a destruction record are the year's, for every role the route admits.
	"program.binder": {
		{name: "製本", query: "SELECT MIN(id) FROM program_binders", roles: "admin consultant viewer",
			setup: "INSERT INTO program_binders (fiscal_year, items, titles, pdf_blob, zip_blob, created_by_name, created_at) " +
				"SELECT 2026, 1, 'matrix', MIN(id), MIN(id), 'matrix', '2026-12-01T00:00:00Z' FROM blobs"},
	},
	"program.shred": {
		{name: "消去の記録", query: "SELECT MIN(id) FROM program_shreds", roles: "admin consultant viewer",
			setup: "INSERT INTO program_shreds (fiscal_year, scope, record, by_name, created_at) VALUES (2026, 'matrix', '{\"fiscal_year\": 2026, \"by\": \"matrix\"}', 'matrix', '2026-12-01T00:00:00Z')"},
	},
	// 技術的検証 (issue 18): a system audit's team (the consultant leads both demo system audits) and the managers;
	// an engagement of another kind has no technical verification. A finding: checked to exist (that it is the
	// engagement's is the store's check, answered 404).
	"scan.engagement": {
		{name: "情報システム監査（住民記録システム）", query: "SELECT id FROM audit_engagements WHERE code LIKE '%-SA-01'", roles: "admin consultant"},
		{name: "内部監査（技術的検証の対象外）", query: "SELECT MIN(id) FROM audit_engagements WHERE kind = 'internal'", roles: ""},
	},
	"scan.finding": {
		{name: "技術的検証の検出事項", query: "SELECT MIN(id) FROM scan_findings", roles: "admin consultant auditor"},
	},
	// 委託・クラウド (issue 17). A request: the managers and the viewer, and the 所属長 (auditee) of the requesting
	// department's sub-tree; evidence: checked to exist (that it is the request's is the handler's check).
	"vendor.request": {
		{name: "戸籍住民課のクラウドの審査", query: "SELECT MAX(id) FROM vendor_requests WHERE code = 'matrix-VR-1'", roles: "admin consultant viewer auditee",
			setup: "INSERT INTO vendor_requests (code, fiscal_year, department_id, kind, service_name, vendor_name, created_at, updated_at) " +
				"SELECT 'matrix-VR-1', 2026, id, 'cloud', 'matrix', 'matrix', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z' FROM departments WHERE name = '戸籍住民課'"},
		{name: "秘書課の委託の審査", query: "SELECT MAX(id) FROM vendor_requests WHERE code = 'matrix-VR-2'", roles: "admin consultant viewer",
			setup: "INSERT INTO vendor_requests (code, fiscal_year, department_id, kind, service_name, vendor_name, created_at, updated_at) " +
				"SELECT 'matrix-VR-2', 2026, id, 'outsourcing', 'matrix', 'matrix', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z' FROM departments WHERE name = '秘書課'"},
	},
	"vendor.evidence": {
		{name: "事業者の資料", query: "SELECT MAX(id) FROM vendor_evidence", roles: "admin consultant viewer auditee",
			setup: "INSERT INTO blobs (sha256, size, content_type, filename, storage, created_at) VALUES ('matrix', 1, 'application/pdf', 'm.pdf', 'db', '2026-12-01T00:00:00Z'); " +
				"INSERT INTO vendor_evidence (request_id, item_code, blob_id, filename, content_type, size, sha256, uploaded_at) " +
				"SELECT (SELECT MAX(id) FROM vendor_requests WHERE code = 'matrix-VR-1'), 'X', (SELECT MAX(id) FROM blobs WHERE sha256 = 'matrix'), 'm.pdf', 'application/pdf', 1, 'x', '2026-12-01T00:00:00Z'"},
	},
	"learning.scorm_package": {
		{name: "戸籍住民課に割り当てた外部教材（SCORM）", query: "SELECT p.id FROM learning_scorm_packages p JOIN learning_courses c ON c.scorm_package = p.id WHERE c.code = 'SAMPLE-TW'", roles: "admin consultant staff"},
	},
	"learning.course": {
		{name: "個人情報保護研修", query: "SELECT id FROM learning_courses WHERE code = 'PRIV'", roles: "all"},
	},
	"learning.practice": {
		{name: "研修担当が見る受講者の模擬監査", query: "SELECT MIN(id) FROM learning_practice", roles: "admin consultant"},
		{name: "auditor 自身の模擬監査", query: "SELECT MAX(id) FROM learning_practice WHERE trainee_name = 'matrix'", roles: "admin consultant auditor",
			setup: "INSERT INTO learning_practice (code, user_id, trainee_name, submitted_at, updated_at) SELECT 'PRACTICE-2026', id, 'matrix', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z' FROM users WHERE login = 'auditor'"},
	},
	"learning.question": {
		{name: "問題集の問題", query: "SELECT MIN(id) FROM learning_questions", roles: "all"},
	},
	"learning.course_lesson": {
		{name: "単元のプレビュー", query: "SELECT MIN(id) FROM learning_lessons", roles: "all"},
	},
	"learning.campaign": {
		{name: "全職員の個人情報保護研修", query: "SELECT id FROM learning_campaigns WHERE code = '2026-LC-01'", roles: "admin consultant auditee viewer"},
		{name: "秘書課だけの研修", query: "SELECT MAX(id) FROM learning_campaigns WHERE code = 'matrix-LC-hisho'", roles: "admin consultant viewer",
			setup: "INSERT INTO learning_campaigns (code, course_id, fiscal_year, title, opens_on, closes_on, created_at, updated_at) " +
				"SELECT 'matrix-LC-hisho', MIN(id), 2026, 'matrix', '2026-12-01', '2026-12-31', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z' FROM learning_courses; " +
				"INSERT INTO learning_assignments (campaign_id, staff_id, department_id, variant) SELECT c.id, s.id, s.department_id, 'general' " +
				"FROM learning_campaigns c, staff s JOIN departments d ON d.id = s.department_id WHERE c.code = 'matrix-LC-hisho' AND d.name = '秘書課'"},
	},
	"survey.import_upload": {
		{name: "consultant が取り込んだ回答", query: "SELECT MAX(id) FROM blobs WHERE filename = 'matrix-answers.xlsx'", roles: "admin consultant",
			setup: uploadBy("consultant", "matrix-answers.xlsx")},
	},
	"survey.question": {
		{name: "設問", query: "SELECT MIN(id) FROM survey_questions", roles: "all"},
	},
	"survey.results": {
		{name: "全庁の自己点検の結果", query: "SELECT id FROM survey_campaigns WHERE code = '2026-SC-01'", roles: "all"},
	},
	// The library of response examples: any example, for whoever the route admits (the managers).
	"audit.example": {
		{name: "対応事例", query: "SELECT MIN(id) FROM audit_response_examples", roles: "all"},
	},
	// 監査 (issue 11): admin, consultant and viewer reach every engagement; an internal auditor those on
	// whose team they are (never one of their own department); an auditee those auditing their department.
	"audit.engagement": {
		{name: "auditor が担当し auditee の所属を対象とする監査", query: auditorOn + " AND " + auditsAuditee, roles: "all"},
		{name: "auditor が担当し auditee の所属以外を対象とする監査", query: auditorOn + " AND NOT " + auditsAuditee, roles: "admin consultant auditor viewer"},
		{name: "auditor が担当せず auditee の所属を対象とする監査", query: "SELECT MIN(e.id) FROM audit_engagements e WHERE " + auditsAuditee +
			" AND NOT EXISTS (SELECT 1 FROM audit_engagement_members m JOIN users u ON u.id = m.user_id WHERE m.engagement_id = e.id AND u.login = 'auditor')",
			roles: "admin consultant viewer auditee"},
		{name: "auditor が担当せず auditee の所属以外を対象とする監査", query: "SELECT MIN(e.id) FROM audit_engagements e WHERE NOT " + auditsAuditee +
			" AND NOT EXISTS (SELECT 1 FROM audit_engagement_members m JOIN users u ON u.id = m.user_id WHERE m.engagement_id = e.id AND u.login = 'auditor')",
			roles: "admin consultant viewer"},
	},
	// Findings (H5): whoever may open the finding's engagement (the viewer opens every engagement); the handler then
	// checks that the finding belongs to the engagement of the path, that the report has reached review for an auditee
	// (and that it is their department's) and that it was issued for the viewer.
	"audit.finding": {
		{name: "auditor が担当し auditee の所属を対象とする監査の指摘", query: "SELECT MAX(id) FROM audit_findings WHERE title = 'matrix-finding-on'",
			roles: "all", setup: matrixFinding("matrix-finding-on", auditorOn+" AND "+auditsAuditee)},
		{name: "auditor が担当し auditee の所属以外を対象とする監査の指摘", query: "SELECT MAX(id) FROM audit_findings WHERE title = 'matrix-finding-other'",
			roles: "admin consultant auditor viewer", setup: matrixFinding("matrix-finding-other", auditorOn+" AND NOT "+auditsAuditee)},
		{name: "auditor が担当せず auditee の所属以外を対象とする監査の指摘", query: "SELECT MAX(id) FROM audit_findings WHERE title = 'matrix-finding-off'",
			roles: "admin consultant viewer", setup: matrixFinding("matrix-finding-off", "SELECT MIN(e.id) FROM audit_engagements e WHERE NOT "+auditsAuditee+
				" AND NOT EXISTS (SELECT 1 FROM audit_engagement_members m JOIN users u ON u.id = m.user_id WHERE m.engagement_id = e.id AND u.login = 'auditor')")},
	},
	// Review comments on an engagement's report (H6): whoever may open the engagement; the handler checks the
	// comment belongs to the engagement of the path and that the user is on the team.
	"audit.comment": {
		{name: "auditor が担当する監査の報告書コメント", query: "SELECT MAX(id) FROM audit_report_comments WHERE body = 'matrix-comment-on'", roles: "all",
			setup: "INSERT INTO audit_report_comments (engagement_id, section, body, created_by_name, created_at) SELECT (" + auditorOn +
				"), 'general', 'matrix-comment-on', 'matrix', '2026-12-01T00:00:00Z'"},
		{name: "auditor が担当しない監査の報告書コメント", query: "SELECT MAX(id) FROM audit_report_comments WHERE body = 'matrix-comment-off'", roles: "admin consultant",
			setup: "INSERT INTO audit_report_comments (engagement_id, section, body, created_by_name, created_at) SELECT MIN(e.id), 'general', 'matrix-comment-off', " +
				"'matrix', '2026-12-01T00:00:00Z' FROM audit_engagements e WHERE NOT EXISTS (SELECT 1 FROM audit_engagement_members m JOIN users u ON u.id = m.user_id " +
				"WHERE m.engagement_id = e.id AND u.login = 'auditor')"},
	},
	// Requested documents and evidence (H3). A request: whoever may open its engagement (the handler checks it
	// belongs to the engagement of the path and the Access the action needs). Evidence: the team of its
	// engagement, and an auditee only for documents uploaded by their own department (never the team's photos).
	"audit.request": {
		{name: "auditor が担当し auditee の所属を対象とする監査の提出資料", query: "SELECT MAX(id) FROM audit_doc_requests WHERE name = 'matrix-request-on'",
			roles: "all", setup: matrixRequest("matrix-request-on", auditorOn+" AND "+auditsAuditee)},
		{name: "auditor が担当し auditee の所属以外を対象とする監査の提出資料", query: "SELECT MAX(id) FROM audit_doc_requests WHERE name = 'matrix-request-other'",
			roles: "admin consultant auditor", setup: matrixRequest("matrix-request-other", auditorOn+" AND NOT "+auditsAuditee)},
		{name: "auditor が担当せず auditee の所属以外を対象とする監査の提出資料", query: "SELECT MAX(id) FROM audit_doc_requests WHERE name = 'matrix-request-off'",
			roles: "admin consultant", setup: matrixRequest("matrix-request-off", "SELECT MIN(e.id) FROM audit_engagements e WHERE NOT "+auditsAuditee+
				" AND NOT EXISTS (SELECT 1 FROM audit_engagement_members m JOIN users u ON u.id = m.user_id WHERE m.engagement_id = e.id AND u.login = 'auditor')")},
	},
	"audit.evidence": {
		{name: "auditee が提出した資料（auditor が担当する監査）", query: "SELECT MAX(id) FROM audit_evidence WHERE filename = 'matrix-evidence-own.pdf'",
			roles: "all", setup: matrixEvidence("matrix-evidence-own.pdf", "document", "auditee", auditorOn+" AND "+auditsAuditee)},
		{name: "auditor が実地監査で撮った写真（auditee の所属の監査）", query: "SELECT MAX(id) FROM audit_evidence WHERE filename = 'matrix-evidence-photo.jpg'",
			roles: "admin consultant auditor", setup: matrixEvidence("matrix-evidence-photo.jpg", "photo", "auditor", auditorOn+" AND "+auditsAuditee)},
		{name: "auditor が担当せず auditee の所属以外を対象とする監査の資料", query: "SELECT MAX(id) FROM audit_evidence WHERE filename = 'matrix-evidence-off.pdf'",
			roles: "admin consultant", setup: matrixEvidence("matrix-evidence-off.pdf", "document", "admin", "SELECT MIN(e.id) FROM audit_engagements e WHERE NOT "+
				auditsAuditee+" AND NOT EXISTS (SELECT 1 FROM audit_engagement_members m JOIN users u ON u.id = m.user_id WHERE m.engagement_id = e.id AND u.login = 'auditor')")},
	},
	// Fieldwork (H4): a checklist item or an interview record is reached by whoever may open its engagement (the
	// viewer included, for routes that admit it); the handlers then need Access.Audit and check that the row belongs
	// to the engagement of the path.
	"audit.item": {
		{name: "auditor が担当し auditee の所属を対象とする監査の項目", query: "SELECT MIN(i.id) FROM audit_items i WHERE i.engagement_id = (" + auditorOn + " AND " + auditsAuditee + ")",
			roles: "all"},
		{name: "auditor が担当し auditee の所属以外を対象とする監査の項目", query: "SELECT MIN(i.id) FROM audit_items i WHERE i.engagement_id = (" + auditorOn + " AND NOT " + auditsAuditee + ")",
			roles: "admin consultant auditor viewer"},
		{name: "auditor が担当せず auditee の所属を対象とする監査の項目", query: "SELECT MIN(i.id) FROM audit_items i WHERE i.engagement_id = (SELECT MIN(e.id) FROM audit_engagements e WHERE " +
			auditsAuditee + " AND NOT EXISTS (SELECT 1 FROM audit_engagement_members m JOIN users u ON u.id = m.user_id WHERE m.engagement_id = e.id AND u.login = 'auditor'))",
			roles: "admin consultant viewer auditee"},
		{name: "auditor が担当せず auditee の所属以外を対象とする監査の項目", query: "SELECT MIN(i.id) FROM audit_items i WHERE i.engagement_id = (SELECT MIN(e.id) FROM audit_engagements e WHERE NOT " +
			auditsAuditee + " AND NOT EXISTS (SELECT 1 FROM audit_engagement_members m JOIN users u ON u.id = m.user_id WHERE m.engagement_id = e.id AND u.login = 'auditor'))",
			roles: "admin consultant viewer"},
	},
	"audit.interview": {
		{name: "auditor が担当し auditee の所属を対象とする監査の聞き取り", query: "SELECT MAX(id) FROM audit_interviews WHERE person = 'matrix-interview-on'",
			roles: "all", setup: matrixInterview("matrix-interview-on", auditorOn+" AND "+auditsAuditee)},
		{name: "auditor が担当し auditee の所属以外を対象とする監査の聞き取り", query: "SELECT MAX(id) FROM audit_interviews WHERE person = 'matrix-interview-other'",
			roles: "admin consultant auditor viewer", setup: matrixInterview("matrix-interview-other", auditorOn+" AND NOT "+auditsAuditee)},
		{name: "auditor が担当せず auditee の所属以外を対象とする監査の聞き取り", query: "SELECT MAX(id) FROM audit_interviews WHERE person = 'matrix-interview-off'",
			roles: "admin consultant viewer", setup: matrixInterview("matrix-interview-off", "SELECT MIN(e.id) FROM audit_engagements e WHERE NOT "+auditsAuditee+
				" AND NOT EXISTS (SELECT 1 FROM audit_engagement_members m JOIN users u ON u.id = m.user_id WHERE m.engagement_id = e.id AND u.login = 'auditor')")},
	},
}

// matrixInterview is the SQL that records an interview with person to the
// engagement the query (SELECT MIN(e.id) …) selects (H4).
func matrixInterview(person, engagement string) string {
	return "INSERT INTO audit_interviews (engagement_id, kind, person, updated_at) SELECT e.id, 'interview', '" + person +
		"', '2026-12-01T00:00:00Z' FROM audit_engagements e WHERE e.id = (" + engagement + ")"
}

// matrixRequest is the SQL that adds a requested document named name to the
// engagement the query (SELECT MIN(e.id) …) selects.
func matrixRequest(name, engagement string) string {
	return "INSERT INTO audit_doc_requests (engagement_id, sort_order, name) SELECT e.id, 901, '" + name +
		"' FROM audit_engagements e WHERE e.id = (" + engagement + ")"
}

// matrixEvidence is the SQL that records an evidence file (without content:
// the object check reads the record only) of kind uploaded by login to the
// engagement the query selects.
func matrixEvidence(file, kind, login, engagement string) string {
	return "INSERT INTO audit_evidence (engagement_id, kind, filename, content_type, size, sha256, uploaded_by, uploaded_by_name, created_at) " +
		"SELECT (" + engagement + "), '" + kind + "', '" + file + "', 'application/pdf', 0, '', u.id, u.login, '2026-12-01T00:00:00Z' " +
		"FROM users u WHERE u.login = '" + login + "'"
}

// matrixFinding is the SQL that adds a finding titled title to the engagement
// the query (SELECT MIN(e.id) …) selects, for its first audited department.
func matrixFinding(title, engagement string) string {
	return "INSERT INTO audit_findings (engagement_id, seq, type, title, department_id, created_at, updated_at) SELECT e.id, 901, 'finding', '" +
		title + "', (SELECT MIN(t.department_id) FROM audit_engagement_departments t WHERE t.engagement_id = e.id), " +
		"'2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z' FROM audit_engagements e WHERE e.id = (" + engagement + ")"
}

// auditeeDepts is the demo auditee's department and the sections below it.
const auditeeDepts = "(SELECT d.id FROM departments d JOIN users u ON u.login = 'auditee' AND (d.id = u.department_id OR d.parent_id = u.department_id))"

// auditorOn selects the demo engagements the auditor is on the team of;
// auditsAuditee is the condition that engagement e audits the auditee's
// department (or a section below it).
const (
	auditorOn = "SELECT MIN(e.id) FROM audit_engagements e JOIN audit_engagement_members m ON m.engagement_id = e.id " +
		"JOIN users u ON u.id = m.user_id WHERE u.login = 'auditor'"
	auditsAuditee = "EXISTS (SELECT 1 FROM audit_engagement_departments t WHERE t.engagement_id = e.id AND t.department_id IN " + auditeeDepts + ")"
)

// uploadBy is the SQL that records an (empty) upload named file by login:
// the object of an import preview.
func uploadBy(login, file string) string {
	return "INSERT INTO blobs (sha256, size, content_type, filename, storage, created_by, created_at) " +
		"SELECT 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 0, 'application/octet-stream', '" + file +
		"', 'disk', id, '2026-12-01T00:00:00Z' FROM users WHERE login = '" + login + "'"
}

// unchecked are path parameters that do not name an object of a feature.
// {token} is a personal link's secret (only its hash is stored): the link
// itself is the permission, and a wrong one is answered 404.
var unchecked = map[string]bool{"{year}": true, "{hash}": true, "{name...}": true, "{$}": true, "{token}": true}

// TestObjectAccessMatrix tries, for every route on one object, every role the
// route rule admits against each demo object of the kind, and a missing id:
// the object check must allow exactly the expected roles (others get 404, and
// the denial is audited).
func TestObjectAccessMatrix(t *testing.T) {
	ta := webtest.Start(t, webtest.Options{Demo: true})
	clients := map[web.Role]*webtest.Client{}
	for _, role := range web.AllRoles {
		clients[role] = ta.As(string(role))
	}
	checks := 0
	setupDone := map[string]bool{}
	for _, rt := range ta.Router.Routes() {
		method, pattern, _ := strings.Cut(rt.Pattern, " ")
		declared := map[string]bool{}
		for _, o := range rt.Rule.Objects {
			declared["{"+paramOf(o)+"}"] = true
		}
		for _, seg := range strings.Split(pattern, "/") {
			if strings.HasPrefix(seg, "{") && !unchecked[seg] && !declared[seg] {
				t.Errorf("%s works on an object (%s) but declares no object check for it (web.Rule.On)", rt.Pattern, seg)
			}
		}
		for _, o := range rt.Rule.Objects {
			checks += checkObject(t, ta, clients, rt.Rule, method, pattern, o, setupDone)
		}
	}
	t.Logf("object matrix: %d checks", checks)
}

func paramOf(o web.Object) string {
	if o.Param == "" {
		return "id"
	}
	return o.Param
}

// caseID returns the id of a demo object, running its setup once.
func caseID(t *testing.T, ta *webtest.Server, oc objectCase, setupDone map[string]bool) int64 {
	t.Helper()
	if oc.setup != "" && !setupDone[oc.setup] {
		if _, err := ta.DB.Exec(t.Context(), oc.setup); err != nil {
			t.Fatalf("%s: %v", oc.name, err)
		}
		setupDone[oc.setup] = true
	}
	return ta.ID(oc.query)
}

// checkObject tries every role the rule admits on each demo object of o's
// kind (the route's other objects filled with the first demo object of
// theirs), and a missing id.
func checkObject(t *testing.T, ta *webtest.Server, clients map[web.Role]*webtest.Client, rule web.Rule, method, pattern string,
	o web.Object, setupDone map[string]bool) int {
	t.Helper()
	kind, param := o.Kind, paramOf(o)
	cases, ok := objectRules[kind]
	if !ok {
		t.Errorf("%s %s: object kind %q has no expectation in objectRules", method, pattern, kind)
		return 0
	}
	fill := map[string]int64{}
	for _, other := range rule.Objects {
		if oc := objectRules[other.Kind]; paramOf(other) != param && len(oc) > 0 {
			fill[paramOf(other)] = caseID(t, ta, oc[0], setupDone)
		}
	}
	checks := 0
	for _, oc := range cases {
		fill[param] = caseID(t, ta, oc, setupDone)
		allowed := map[string]bool{}
		for _, r := range strings.Fields(oc.roles) {
			allowed[r] = true
		}
		for _, role := range web.AllRoles {
			if _, ok := rule.Permits(role); !ok {
				continue
			}
			want := oc.roles == "all" || allowed[string(role)]
			path := objectPath(pattern, fill)
			got := reaches(ta, clients[role], method, path, kind)
			checks++
			if got != want {
				t.Errorf("%s %s on %s (%s) as %s: reached=%v, want %v", method, pattern, oc.name, path, role, got, want)
			}
		}
	}
	// A missing object is not found.
	fill[param] = 999999
	for _, role := range web.AllRoles {
		if _, ok := rule.Permits(role); ok {
			if r := get(clients[role], method, objectPath(pattern, fill)); r != http.StatusNotFound {
				t.Errorf("%s %s as %s: a missing %s answered %d, want 404", method, pattern, role, kind, r)
			}
			checks++
			break
		}
	}
	return checks
}

// objectPath fills the path parameters with the ids given, and any other
// with a value that is no object.
func objectPath(pattern string, fill map[string]int64) string {
	p := pattern
	for name, id := range fill {
		p = strings.ReplaceAll(p, "{"+name+"}", strconv.FormatInt(id, 10))
	}
	return strings.NewReplacer("{id}", "999999", "{file}", "999999", "{$}", "").Replace(p)
}

// reaches reports whether the request got past the object check, told by
// the audit log: a refusal records an object denial (and answers 404). POSTs
// carry a wrong CSRF token, checked after the object, so nothing changes.
func reaches(ta *webtest.Server, c *webtest.Client, method, path, kind string) bool {
	denials := func() int {
		return ta.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'access.denied' AND target = ?", path+" ("+kind+")")
	}
	before := denials()
	var req *http.Request
	if method == http.MethodGet {
		req, _ = http.NewRequest(method, c.Base+path, nil)
	} else {
		req, _ = http.NewRequest(method, c.Base+path, strings.NewReader(url.Values{"csrf_token": {"wrong-token-for-the-matrix"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r := c.Do(req)
	denied := denials() > before
	if denied && r.StatusCode != http.StatusNotFound && r.StatusCode != http.StatusForbidden {
		ta.T().Errorf("%s %s: object denial answered %d, want 404 (or 403 with a reason)", method, path, r.StatusCode)
	}
	return !denied
}

// get sends a request (POSTs with a wrong CSRF token) and returns the status.
func get(c *webtest.Client, method, path string) int {
	var req *http.Request
	if method == http.MethodGet {
		req, _ = http.NewRequest(method, c.Base+path, nil)
	} else {
		req, _ = http.NewRequest(method, c.Base+path, strings.NewReader(url.Values{"csrf_token": {"wrong-token-for-the-matrix"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return c.Do(req).StatusCode
}
