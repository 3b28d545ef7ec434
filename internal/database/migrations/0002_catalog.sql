-- Catalogue: frameworks (standards and the ward policy) as clause trees,
-- mappings between clauses, and versioned checklist templates.

CREATE TABLE frameworks (
	id {{pk}},
	code TEXT NOT NULL,
	version TEXT NOT NULL,
	title TEXT NOT NULL,
	publisher TEXT NOT NULL DEFAULT '',
	imported_at TEXT NOT NULL,
	UNIQUE (code, version)
);

CREATE TABLE clauses (
	id {{pk}},
	framework_id BIGINT NOT NULL REFERENCES frameworks(id),
	number TEXT NOT NULL,
	parent_id BIGINT REFERENCES clauses(id),
	title TEXT NOT NULL,
	summary TEXT NOT NULL DEFAULT '',
	required BOOLEAN NOT NULL DEFAULT TRUE,
	threat TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT '',
	sort_order BIGINT NOT NULL DEFAULT 0,
	UNIQUE (framework_id, number)
);
CREATE INDEX clauses_parent ON clauses (parent_id);

CREATE TABLE clause_mappings (
	id {{pk}},
	from_clause_id BIGINT NOT NULL REFERENCES clauses(id),
	to_clause_id BIGINT NOT NULL REFERENCES clauses(id),
	note TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	UNIQUE (from_clause_id, to_clause_id)
);

CREATE TABLE checklist_templates (
	id {{pk}},
	kind TEXT NOT NULL,
	version BIGINT NOT NULL,
	title TEXT NOT NULL,
	frozen BOOLEAN NOT NULL DEFAULT FALSE,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (kind, version)
);

CREATE TABLE checklist_items (
	id {{pk}},
	template_id BIGINT NOT NULL REFERENCES checklist_templates(id),
	code TEXT NOT NULL,
	category TEXT NOT NULL DEFAULT '',
	question TEXT NOT NULL,
	criteria_conform TEXT NOT NULL DEFAULT '',
	criteria_partial TEXT NOT NULL DEFAULT '',
	criteria_nonconform TEXT NOT NULL DEFAULT '',
	evidence TEXT NOT NULL DEFAULT '',
	methods TEXT NOT NULL DEFAULT '',
	techniques TEXT NOT NULL DEFAULT '',
	priority TEXT NOT NULL DEFAULT 'recommended',
	site_inspection BOOLEAN NOT NULL DEFAULT FALSE,
	applicability TEXT NOT NULL DEFAULT '',
	threats TEXT NOT NULL DEFAULT '',
	pre_survey BOOLEAN NOT NULL DEFAULT FALSE,
	notes TEXT NOT NULL DEFAULT '',
	sort_order BIGINT NOT NULL DEFAULT 0,
	UNIQUE (template_id, code)
);

CREATE TABLE checklist_item_clauses (
	item_id BIGINT NOT NULL REFERENCES checklist_items(id),
	clause_id BIGINT NOT NULL REFERENCES clauses(id),
	PRIMARY KEY (item_id, clause_id)
);
CREATE INDEX checklist_item_clauses_clause ON checklist_item_clauses (clause_id);
