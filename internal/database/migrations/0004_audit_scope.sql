-- Audit scope: what each department does that decides which checklist
-- items apply to it (its counter is departments.has_counter), and the
-- checklists built from a template for one audit (a department or a
-- system), each item with the reason it was included.

CREATE TABLE department_profiles (
	department_id BIGINT PRIMARY KEY REFERENCES departments(id),
	mynumber BOOLEAN NOT NULL DEFAULT FALSE,
	system_owner BOOLEAN NOT NULL DEFAULT FALSE,
	server_room BOOLEAN NOT NULL DEFAULT FALSE,
	cloud_user BOOLEAN NOT NULL DEFAULT FALSE,
	outsourcer BOOLEAN NOT NULL DEFAULT FALSE,
	systems TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL
);

CREATE TABLE built_checklists (
	id {{pk}},
	template_id BIGINT NOT NULL REFERENCES checklist_templates(id),
	title TEXT NOT NULL,
	department_id BIGINT REFERENCES departments(id),
	system_name TEXT NOT NULL DEFAULT '',
	characteristics TEXT NOT NULL DEFAULT '',
	threats TEXT NOT NULL DEFAULT '',
	include_recommended BOOLEAN NOT NULL DEFAULT TRUE,
	excluded_count BIGINT NOT NULL DEFAULT 0,
	created_by BIGINT REFERENCES users(id),
	created_at TEXT NOT NULL
);
CREATE INDEX built_checklists_template ON built_checklists (template_id);

-- Items are referenced by code within the checklist's template, so that
-- re-importing an unfrozen template (which renumbers its items) keeps the
-- saved checklists; an item later removed from the template shows as such.
CREATE TABLE built_checklist_items (
	built_id BIGINT NOT NULL REFERENCES built_checklists(id),
	item_code TEXT NOT NULL,
	sort_order BIGINT NOT NULL,
	reason TEXT NOT NULL,
	threat_match BOOLEAN NOT NULL DEFAULT FALSE,
	PRIMARY KEY (built_id, item_code)
);
CREATE INDEX built_checklist_items_code ON built_checklist_items (item_code);
