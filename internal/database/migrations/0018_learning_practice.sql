-- The practice audit of the internal-auditor training (issue 14): one row
-- per trainee and practice (content/learning/<year>/practice.yaml), with
-- the judgements and findings as written (JSON: item code → value), saved
-- as a draft until submitted; then compared with the model answer.
CREATE TABLE learning_practice (
	id {{pk}},
	code TEXT NOT NULL,
	user_id BIGINT REFERENCES users(id),
	trainee_name TEXT NOT NULL,
	judgements TEXT NOT NULL DEFAULT '{}',
	findings TEXT NOT NULL DEFAULT '{}',
	submitted_at TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL
);
CREATE INDEX learning_practice_user ON learning_practice (code, user_id);
