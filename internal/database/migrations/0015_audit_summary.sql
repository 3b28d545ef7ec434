-- The year's picture of the audits (issue 13): the parts of the internal-
-- audit summary report (内部監査全体報告書) that a person writes, kept per
-- fiscal year (the rest is generated from the engagements); the library
-- of response examples (how municipalities typically handle a problem)
-- that the consultant edits; and the examples chosen for an external
-- audit's results material.
--
-- countermeasures: JSON object, problem key (a checklist item code or a
-- finding group) → the proposed countermeasure as edited. rev counts the
-- changes of a row (a save names the rev it read).
CREATE TABLE audit_summaries (
	fiscal_year BIGINT PRIMARY KEY,
	overall TEXT NOT NULL DEFAULT '',
	operations TEXT NOT NULL DEFAULT '',
	advice TEXT NOT NULL DEFAULT '',
	countermeasures TEXT NOT NULL DEFAULT '',
	rev BIGINT NOT NULL DEFAULT 1,
	updated_by_name TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL
);

-- category: a threat tag of the catalogue or a finding category (the
-- chapter of the 対策基準, e.g. "5" for 人的セキュリティ).
CREATE TABLE audit_response_examples (
	id {{pk}},
	code TEXT NOT NULL UNIQUE,
	category TEXT NOT NULL,
	title TEXT NOT NULL,
	problem TEXT NOT NULL,
	practice TEXT NOT NULL,
	sort_order BIGINT NOT NULL DEFAULT 0,
	active BOOLEAN NOT NULL DEFAULT TRUE,
	rev BIGINT NOT NULL DEFAULT 1,
	updated_by_name TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL
);

CREATE TABLE audit_material_examples (
	engagement_id BIGINT NOT NULL REFERENCES audit_engagements(id),
	example_id BIGINT NOT NULL REFERENCES audit_response_examples(id),
	note TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (engagement_id, example_id)
);
