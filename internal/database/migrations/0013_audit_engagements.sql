-- Audit engagements (監査): internal audits, external audits of information
-- assets and My Number handling, and information-system audits, each with
-- its plan, frozen checklist, pre-audit questionnaire, requested documents,
-- encrypted evidence, fieldwork results, interviews, witness record,
-- findings, report and follow-up.
--
-- kind: internal, external_mynumber, external_assets, system.
-- phase: plan (計画), presurvey (事前調査), briefing (説明会), fieldwork
-- (実施), report (報告), followup (フォローアップ), done (完了).
-- hosting (system audits): onprem, datacenter, cloud or ''.
-- Dates are calendar dates (YYYY-MM-DD, '' for none). rev counts the
-- changes of a row: an update names the rev it read, so that two people
-- editing the same row get a conflict instead of a silent overwrite.
CREATE TABLE audit_engagements (
	id {{pk}},
	code TEXT NOT NULL UNIQUE,
	fiscal_year BIGINT NOT NULL,
	kind TEXT NOT NULL,
	title TEXT NOT NULL,
	system_name TEXT NOT NULL DEFAULT '',
	hosting TEXT NOT NULL DEFAULT '',
	vendors TEXT NOT NULL DEFAULT '',
	business TEXT NOT NULL DEFAULT '',
	phase TEXT NOT NULL DEFAULT 'plan',
	template_id BIGINT REFERENCES checklist_templates(id),
	template_title TEXT NOT NULL DEFAULT '',
	template_version BIGINT NOT NULL DEFAULT 0,
	characteristics TEXT NOT NULL DEFAULT '',
	threats TEXT NOT NULL DEFAULT '',
	mynumber BOOLEAN NOT NULL DEFAULT FALSE,
	copied_from BIGINT REFERENCES audit_engagements(id),
	search_text TEXT NOT NULL DEFAULT '',
	rev BIGINT NOT NULL DEFAULT 1,
	created_by BIGINT REFERENCES users(id),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX audit_engagements_year ON audit_engagements (fiscal_year, kind);

-- The departments an engagement audits (an external My Number audit may
-- cover one business across several), in visit order, each with its
-- visit date and time; for a system audit the owning department.
CREATE TABLE audit_engagement_departments (
	engagement_id BIGINT NOT NULL REFERENCES audit_engagements(id),
	department_id BIGINT NOT NULL REFERENCES departments(id),
	sort_order BIGINT NOT NULL,
	visit_date TEXT NOT NULL DEFAULT '',
	visit_time TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (engagement_id, department_id)
);
CREATE INDEX audit_engagement_departments_dept ON audit_engagement_departments (department_id);

-- The audit team: role lead (責任者), member (監査人) or witness (立会い:
-- the consultant who witnesses an internal audit).
CREATE TABLE audit_engagement_members (
	engagement_id BIGINT NOT NULL REFERENCES audit_engagements(id),
	user_id BIGINT NOT NULL REFERENCES users(id),
	role TEXT NOT NULL,
	PRIMARY KEY (engagement_id, user_id)
);
CREATE INDEX audit_engagement_members_user ON audit_engagement_members (user_id);

-- The planned date by which each phase is to be finished and when it was.
CREATE TABLE audit_engagement_steps (
	engagement_id BIGINT NOT NULL REFERENCES audit_engagements(id),
	phase TEXT NOT NULL,
	due_date TEXT NOT NULL DEFAULT '',
	done_at TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (engagement_id, phase)
);

-- The audit plan (監査計画書), every revision kept: fields ア–コ of the
-- specification as one JSON object, who changed it, when and why.
CREATE TABLE audit_plan_versions (
	id {{pk}},
	engagement_id BIGINT NOT NULL REFERENCES audit_engagements(id),
	version BIGINT NOT NULL,
	fields TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	created_by BIGINT REFERENCES users(id),
	created_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	UNIQUE (engagement_id, version)
);

-- The engagement's checklist, copied from the catalogue template it was
-- built from (so that a later template change never alters it), with the
-- fieldwork result of each item and the auditee's pre-audit answer.
-- judgement: '' (未判定), conform, partial, nonconform, na, unverified.
-- status: todo, doing, review, done. technique: what was actually used
-- (comma list of interview, document, inspection, technical,
-- reperformance). answer_choice: '' , yes, partly, no, na.
CREATE TABLE audit_items (
	id {{pk}},
	engagement_id BIGINT NOT NULL REFERENCES audit_engagements(id),
	code TEXT NOT NULL,
	sort_order BIGINT NOT NULL,
	category TEXT NOT NULL DEFAULT '',
	question TEXT NOT NULL,
	criteria_conform TEXT NOT NULL DEFAULT '',
	criteria_partial TEXT NOT NULL DEFAULT '',
	criteria_nonconform TEXT NOT NULL DEFAULT '',
	evidence TEXT NOT NULL DEFAULT '',
	techniques TEXT NOT NULL DEFAULT '',
	clauses TEXT NOT NULL DEFAULT '',
	threats TEXT NOT NULL DEFAULT '',
	priority TEXT NOT NULL DEFAULT '',
	site_inspection BOOLEAN NOT NULL DEFAULT FALSE,
	presurvey BOOLEAN NOT NULL DEFAULT FALSE,
	reason TEXT NOT NULL DEFAULT '',
	added BOOLEAN NOT NULL DEFAULT FALSE,
	dropped BOOLEAN NOT NULL DEFAULT FALSE,
	dropped_reason TEXT NOT NULL DEFAULT '',
	judgement TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT 'todo',
	technique TEXT NOT NULL DEFAULT '',
	notes TEXT NOT NULL DEFAULT '',
	focus BOOLEAN NOT NULL DEFAULT FALSE,
	recheck BOOLEAN NOT NULL DEFAULT FALSE,
	prev_judgement TEXT NOT NULL DEFAULT '',
	prev_notes TEXT NOT NULL DEFAULT '',
	answer_choice TEXT NOT NULL DEFAULT '',
	answer TEXT NOT NULL DEFAULT '',
	answered_by_name TEXT NOT NULL DEFAULT '',
	answered_at TEXT NOT NULL DEFAULT '',
	rev BIGINT NOT NULL DEFAULT 0,
	updated_by_name TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL DEFAULT '',
	UNIQUE (engagement_id, code)
);
CREATE INDEX audit_items_order ON audit_items (engagement_id, sort_order);

-- The pre-audit questionnaire's delegation state: draft, in_progress,
-- submitted, changes_requested (with the auditor's comment), closed.
CREATE TABLE audit_presurveys (
	engagement_id BIGINT PRIMARY KEY REFERENCES audit_engagements(id),
	state TEXT NOT NULL DEFAULT 'draft',
	comment TEXT NOT NULL DEFAULT '',
	due_date TEXT NOT NULL DEFAULT '',
	submitted_by_name TEXT NOT NULL DEFAULT '',
	submitted_at TEXT NOT NULL DEFAULT '',
	rev BIGINT NOT NULL DEFAULT 0,
	updated_at TEXT NOT NULL DEFAULT ''
);

-- The documents the auditee is asked to submit (提出資料一覧). item_codes:
-- the checklist items the document serves, comma list; rev counts the
-- changes of the row (two auditors editing one request get a conflict).
CREATE TABLE audit_doc_requests (
	id {{pk}},
	engagement_id BIGINT NOT NULL REFERENCES audit_engagements(id),
	sort_order BIGINT NOT NULL,
	name TEXT NOT NULL,
	purpose TEXT NOT NULL DEFAULT '',
	item_codes TEXT NOT NULL DEFAULT '',
	due_date TEXT NOT NULL DEFAULT '',
	rev BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX audit_doc_requests_engagement ON audit_doc_requests (engagement_id, sort_order);

-- Each engagement's data key (AES-256-GCM); evidence files are encrypted
-- with it before they reach the blob store. Destroying the key
-- (data_key cleared, destroyed_at set) destroys the evidence beyond
-- recovery, even in backups of the blob store taken earlier.
CREATE TABLE audit_keys (
	engagement_id BIGINT PRIMARY KEY REFERENCES audit_engagements(id),
	data_key {{blob}},
	created_at TEXT NOT NULL,
	destroyed_at TEXT NOT NULL DEFAULT ''
);

-- Evidence: a document submitted for a request, a photo or file taken
-- during the visit (item_id), or an interview note. The file is stored
-- encrypted in the blob store; sha256 is of the plain file.
-- kind: document, photo, file.
CREATE TABLE audit_evidence (
	id {{pk}},
	engagement_id BIGINT NOT NULL REFERENCES audit_engagements(id),
	request_id BIGINT REFERENCES audit_doc_requests(id),
	item_id BIGINT REFERENCES audit_items(id),
	kind TEXT NOT NULL,
	filename TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	sha256 TEXT NOT NULL,
	blob_id BIGINT REFERENCES blobs(id),
	note TEXT NOT NULL DEFAULT '',
	uploaded_by BIGINT REFERENCES users(id),
	uploaded_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX audit_evidence_engagement ON audit_evidence (engagement_id, id);
CREATE INDEX audit_evidence_item ON audit_evidence (item_id);

-- Interview notes, one per person interviewed; site-inspection rounds are
-- interviews with kind inspection (place: where the round went; person:
-- who showed the auditors round; item_codes: the 視察 items ticked off).
-- held_at: 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM' (Japan time) or ''.
CREATE TABLE audit_interviews (
	id {{pk}},
	engagement_id BIGINT NOT NULL REFERENCES audit_engagements(id),
	kind TEXT NOT NULL DEFAULT 'interview',
	person TEXT NOT NULL,
	position TEXT NOT NULL DEFAULT '',
	place TEXT NOT NULL DEFAULT '',
	department_id BIGINT REFERENCES departments(id),
	held_at TEXT NOT NULL DEFAULT '',
	item_codes TEXT NOT NULL DEFAULT '',
	notes TEXT NOT NULL DEFAULT '',
	rev BIGINT NOT NULL DEFAULT 0,
	created_by_name TEXT NOT NULL DEFAULT '',
	updated_by_name TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL
);
CREATE INDEX audit_interviews_engagement ON audit_interviews (engagement_id, id);

-- The consultant's witness record (立会い) of an internal audit: per
-- witness point a rating (good, fair, poor, na), a comment and the advice
-- given.
CREATE TABLE audit_witness (
	engagement_id BIGINT NOT NULL REFERENCES audit_engagements(id),
	point TEXT NOT NULL,
	rating TEXT NOT NULL DEFAULT '',
	comment TEXT NOT NULL DEFAULT '',
	advice TEXT NOT NULL DEFAULT '',
	rev BIGINT NOT NULL DEFAULT 0,
	updated_by_name TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (engagement_id, point)
);

-- Findings. type: finding (指摘事項), recommendation (改善提言), good
-- (良好事例), observation (観察事項). risk: 高, 中, 低. Every finding and
-- recommendation is also an action of the improvement register (source
-- module audit, source ref finding:<id>). Follow-up: the auditee's
-- improvement plan (plan_action, plan_owner, plan_due; when and by whom it
-- was written), then the auditor's verdict (improved 改善済, partly 一部改善,
-- not 未改善) with a comment and the method (document 書類調査, review
-- レビュー).
CREATE TABLE audit_findings (
	id {{pk}},
	engagement_id BIGINT NOT NULL REFERENCES audit_engagements(id),
	seq BIGINT NOT NULL,
	type TEXT NOT NULL,
	title TEXT NOT NULL,
	department_id BIGINT REFERENCES departments(id),
	item_codes TEXT NOT NULL DEFAULT '',
	clauses TEXT NOT NULL DEFAULT '',
	condition_text TEXT NOT NULL DEFAULT '',
	criteria_text TEXT NOT NULL DEFAULT '',
	cause TEXT NOT NULL DEFAULT '',
	effect TEXT NOT NULL DEFAULT '',
	recommendation TEXT NOT NULL DEFAULT '',
	risk TEXT NOT NULL DEFAULT '中',
	auditee_comment TEXT NOT NULL DEFAULT '',
	due_date TEXT NOT NULL DEFAULT '',
	followup_verdict TEXT NOT NULL DEFAULT '',
	followup_comment TEXT NOT NULL DEFAULT '',
	followup_by_name TEXT NOT NULL DEFAULT '',
	followup_at TEXT NOT NULL DEFAULT '',
	followup_method TEXT NOT NULL DEFAULT '',
	plan_action TEXT NOT NULL DEFAULT '',
	plan_owner TEXT NOT NULL DEFAULT '',
	plan_due TEXT NOT NULL DEFAULT '',
	plan_at TEXT NOT NULL DEFAULT '',
	plan_by_name TEXT NOT NULL DEFAULT '',
	created_by_name TEXT NOT NULL DEFAULT '',
	updated_by_name TEXT NOT NULL DEFAULT '',
	rev BIGINT NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (engagement_id, seq)
);

-- The report: one row per engagement with its working text; state draft,
-- review, final. Each finalisation keeps a version (the text as final and
-- the PDF's blob), so that a final report is never edited, only
-- reopened as a new version.
-- perspectives: JSON of the three evaluations of an external audit.
CREATE TABLE audit_reports (
	engagement_id BIGINT PRIMARY KEY REFERENCES audit_engagements(id),
	state TEXT NOT NULL DEFAULT 'draft',
	version BIGINT NOT NULL DEFAULT 0,
	summary TEXT NOT NULL DEFAULT '',
	opinion TEXT NOT NULL DEFAULT '',
	perspectives TEXT NOT NULL DEFAULT '',
	rev BIGINT NOT NULL DEFAULT 0,
	updated_by_name TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL DEFAULT ''
);
CREATE TABLE audit_report_versions (
	id {{pk}},
	engagement_id BIGINT NOT NULL REFERENCES audit_engagements(id),
	version BIGINT NOT NULL,
	content TEXT NOT NULL,
	finalised_by_name TEXT NOT NULL DEFAULT '',
	finalised_at TEXT NOT NULL,
	UNIQUE (engagement_id, version)
);
-- Review comments on the report, threaded (parent_id), resolved or not.
CREATE TABLE audit_report_comments (
	id {{pk}},
	engagement_id BIGINT NOT NULL REFERENCES audit_engagements(id),
	parent_id BIGINT REFERENCES audit_report_comments(id),
	section TEXT NOT NULL DEFAULT '',
	body TEXT NOT NULL,
	resolved BOOLEAN NOT NULL DEFAULT FALSE,
	created_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX audit_report_comments_engagement ON audit_report_comments (engagement_id, id);
