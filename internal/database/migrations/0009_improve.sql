-- 改善措置台帳 (the improvement register): one list of actions from every
-- source — audit findings, drill evaluations, incident countermeasures,
-- self-assessment weak points, policy gaps — with owner, due date,
-- progress, evidence and verification. Features write their actions
-- through internal/improve's Upsert, keyed by (source_module, source_ref).
--
-- source: audit_finding, drill_evaluation, incident_measure,
-- survey_weakness, policy_gap or other. status: open (未着手),
-- in_progress (対応中), done (完了), verified (確認済). risk: 高, 中, 低.
-- due_date is a calendar date (YYYY-MM-DD, '' for none). search_text is
-- the searchable fields folded (NFKC, lower case) so that full- and
-- half-width input match alike on both dialects.

CREATE TABLE improvement_actions (
	id {{pk}},
	fiscal_year BIGINT NOT NULL,
	source TEXT NOT NULL,
	source_module TEXT NOT NULL,
	source_ref TEXT NOT NULL,
	source_label TEXT NOT NULL DEFAULT '',
	clause TEXT NOT NULL DEFAULT '',
	title TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT '',
	risk TEXT NOT NULL DEFAULT '中',
	owner_department_id BIGINT REFERENCES departments(id),
	due_date TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT 'open',
	progress_note TEXT NOT NULL DEFAULT '',
	completed_at TEXT,
	verified_by BIGINT REFERENCES users(id),
	verified_by_name TEXT NOT NULL DEFAULT '',
	verified_at TEXT,
	verification_note TEXT NOT NULL DEFAULT '',
	search_text TEXT NOT NULL DEFAULT '',
	created_by BIGINT REFERENCES users(id),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (source_module, source_ref)
);
CREATE INDEX improvement_actions_year ON improvement_actions (fiscal_year, status);
CREATE INDEX improvement_actions_owner ON improvement_actions (owner_department_id, status);
CREATE INDEX improvement_actions_due ON improvement_actions (status, due_date);

-- The history of an action: creation, edits, every status change and
-- note, evidence added, verification; who (id and name as it was) and when.
-- kind: created, source_update, edited, status, evidence, verified, reopened.
CREATE TABLE improvement_action_events (
	id {{pk}},
	action_id BIGINT NOT NULL REFERENCES improvement_actions(id),
	kind TEXT NOT NULL,
	from_status TEXT NOT NULL DEFAULT '',
	to_status TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT '',
	user_id BIGINT REFERENCES users(id),
	user_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX improvement_action_events_action ON improvement_action_events (action_id, id);

-- Evidence of an action: a file in the blob store (blob_id set) or a text
-- note (blob_id NULL).
CREATE TABLE improvement_action_evidence (
	id {{pk}},
	action_id BIGINT NOT NULL REFERENCES improvement_actions(id),
	blob_id BIGINT REFERENCES blobs(id),
	filename TEXT NOT NULL DEFAULT '',
	content_type TEXT NOT NULL DEFAULT '',
	size BIGINT NOT NULL DEFAULT 0,
	note TEXT NOT NULL DEFAULT '',
	user_id BIGINT REFERENCES users(id),
	user_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX improvement_action_evidence_action ON improvement_action_evidence (action_id, id);
