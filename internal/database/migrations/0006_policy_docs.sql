-- Policy documents (基本方針, 対策基準, 実施手順, インシデント対応ハンドブック),
-- their versions (draft → adopted → superseded) with the provision tree as
-- JSON, the changes of a revision draft with the gap-table rows they
-- resolve, and the quiz draft generated from a revision.

CREATE TABLE policy_documents (
	id {{pk}},
	kind TEXT NOT NULL,
	title TEXT NOT NULL,
	department_id BIGINT REFERENCES departments(id),
	note TEXT NOT NULL DEFAULT '',
	created_by BIGINT REFERENCES users(id),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

CREATE TABLE policy_versions (
	id {{pk}},
	document_id BIGINT NOT NULL REFERENCES policy_documents(id),
	status TEXT NOT NULL,
	label TEXT NOT NULL DEFAULT '',
	base_version_id BIGINT REFERENCES policy_versions(id),
	tree TEXT NOT NULL,
	source_blob_id BIGINT REFERENCES blobs(id),
	source_name TEXT NOT NULL DEFAULT '',
	effective_date TEXT NOT NULL DEFAULT '',
	decided_by TEXT NOT NULL DEFAULT '',
	decided_date TEXT NOT NULL DEFAULT '',
	adopted_at TEXT,
	superseded_at TEXT,
	rev BIGINT NOT NULL DEFAULT 1,
	created_by BIGINT REFERENCES users(id),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX policy_versions_document ON policy_versions (document_id, status);
-- At most one adopted (in force) version per document.
CREATE UNIQUE INDEX policy_versions_adopted ON policy_versions (document_id) WHERE status = 'adopted';

CREATE TABLE policy_changes (
	id {{pk}},
	version_id BIGINT NOT NULL REFERENCES policy_versions(id),
	seq BIGINT NOT NULL,
	kind TEXT NOT NULL,
	article_key TEXT NOT NULL,
	old_key TEXT NOT NULL DEFAULT '',
	caption TEXT NOT NULL DEFAULT '',
	old_text TEXT NOT NULL DEFAULT '',
	new_text TEXT NOT NULL DEFAULT '',
	reason TEXT NOT NULL DEFAULT '',
	audience TEXT NOT NULL DEFAULT '',
	staff_action TEXT NOT NULL DEFAULT '',
	renames TEXT NOT NULL DEFAULT '',
	author_id BIGINT REFERENCES users(id),
	author_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (version_id, seq)
);

CREATE TABLE policy_change_gaps (
	change_id BIGINT NOT NULL REFERENCES policy_changes(id),
	gap_row_id BIGINT NOT NULL REFERENCES policy_gap_rows(id),
	PRIMARY KEY (change_id, gap_row_id)
);
CREATE INDEX policy_change_gaps_row ON policy_change_gaps (gap_row_id);

CREATE TABLE policy_quiz_questions (
	id {{pk}},
	version_id BIGINT NOT NULL REFERENCES policy_versions(id),
	change_id BIGINT REFERENCES policy_changes(id),
	seq BIGINT NOT NULL,
	audience TEXT NOT NULL DEFAULT '',
	question TEXT NOT NULL,
	choices TEXT NOT NULL,
	answer BIGINT NOT NULL,
	explanation TEXT NOT NULL DEFAULT '',
	edited BOOLEAN NOT NULL DEFAULT FALSE,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX policy_quiz_version ON policy_quiz_questions (version_id, seq);
