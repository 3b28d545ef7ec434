-- 相違点整合表 (gap tables): one table compares a guideline edition with the
-- ward policy (both frameworks of the catalogue); one row per guideline
-- clause, plus rows for ward provisions that map to no guideline clause
-- (独自規定). Clause text is copied into the row when the table is made, so
-- the table reads the same however the catalogue changes later.

CREATE TABLE policy_gap_tables (
	id {{pk}},
	title TEXT NOT NULL,
	fiscal_year BIGINT NOT NULL,
	guideline_framework_id BIGINT NOT NULL REFERENCES frameworks(id),
	ward_framework_id BIGINT NOT NULL REFERENCES frameworks(id),
	previous_framework_id BIGINT REFERENCES frameworks(id),
	note TEXT NOT NULL DEFAULT '',
	created_by BIGINT REFERENCES users(id),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

-- kind: guideline (a guideline clause) or ward (a 独自規定 of the ward).
-- change_kind: '' or how the clause changed since the previous edition
-- (変更, 新設, 番号変更). status and decision are '' until someone sets them;
-- suggested_status is what the pre-fill proposes.
CREATE TABLE policy_gap_rows (
	id {{pk}},
	table_id BIGINT NOT NULL REFERENCES policy_gap_tables(id),
	seq BIGINT NOT NULL,
	kind TEXT NOT NULL,
	clause_id BIGINT REFERENCES clauses(id),
	chapter_number TEXT NOT NULL DEFAULT '',
	chapter_title TEXT NOT NULL DEFAULT '',
	clause_number TEXT NOT NULL DEFAULT '',
	clause_title TEXT NOT NULL DEFAULT '',
	summary TEXT NOT NULL DEFAULT '',
	previous_number TEXT NOT NULL DEFAULT '',
	previous_title TEXT NOT NULL DEFAULT '',
	previous_summary TEXT NOT NULL DEFAULT '',
	change_kind TEXT NOT NULL DEFAULT '',
	flag_unmapped BOOLEAN NOT NULL DEFAULT FALSE,
	provisions TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT '',
	suggested_status TEXT NOT NULL DEFAULT '',
	difference TEXT NOT NULL DEFAULT '',
	issue TEXT NOT NULL DEFAULT '',
	decision TEXT NOT NULL DEFAULT '',
	decision_reason TEXT NOT NULL DEFAULT '',
	decision_date TEXT NOT NULL DEFAULT '',
	planned_change TEXT NOT NULL DEFAULT '',
	updated_by BIGINT REFERENCES users(id),
	updated_at TEXT NOT NULL,
	UNIQUE (table_id, seq)
);
CREATE INDEX policy_gap_rows_clause ON policy_gap_rows (clause_id);
