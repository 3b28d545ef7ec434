-- Incident handling (issue 15): the register. aware_at (認知日時) starts
-- the legal clock; the facts the clock rules test are the flags and
-- persons; severity is the handbook's level (1–3). A member of staff's
-- own report (incident_reports) is triaged by the security office into
-- an incident or dismissed. parties: the departments and contractors
-- involved with their role; events: the timeline; notices: the reports
-- and notices of the clock made (rule key → when).
CREATE TABLE incidents (
	id {{pk}},
	code TEXT NOT NULL UNIQUE,
	fiscal_year BIGINT NOT NULL,
	title TEXT NOT NULL,
	summary TEXT NOT NULL DEFAULT '',
	category TEXT NOT NULL,
	severity BIGINT NOT NULL DEFAULT 1,
	state TEXT NOT NULL DEFAULT 'received',
	occurred_at TEXT NOT NULL DEFAULT '',
	aware_at TEXT NOT NULL,
	closed_at TEXT NOT NULL DEFAULT '',
	lead_department_id BIGINT REFERENCES departments(id),
	data_items TEXT NOT NULL DEFAULT '',
	persons BIGINT NOT NULL DEFAULT 0,
	sent BIGINT NOT NULL DEFAULT 0,
	recovered BIGINT NOT NULL DEFAULT 0,
	unopened BIGINT NOT NULL DEFAULT 0,
	flags TEXT NOT NULL DEFAULT '',
	outcome TEXT NOT NULL DEFAULT '',
	search_text TEXT NOT NULL DEFAULT '',
	rev BIGINT NOT NULL DEFAULT 1,
	created_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX incidents_year ON incidents (fiscal_year);

CREATE TABLE incident_parties (
	id {{pk}},
	incident_id BIGINT NOT NULL REFERENCES incidents(id),
	department_id BIGINT REFERENCES departments(id),
	contractor TEXT NOT NULL DEFAULT '',
	role TEXT NOT NULL,
	actions TEXT NOT NULL DEFAULT ''
);
CREATE INDEX incident_parties_incident ON incident_parties (incident_id);

CREATE TABLE incident_events (
	id {{pk}},
	incident_id BIGINT NOT NULL REFERENCES incidents(id),
	at TEXT NOT NULL,
	actor TEXT NOT NULL DEFAULT '',
	category TEXT NOT NULL,
	body TEXT NOT NULL,
	in_report BOOLEAN NOT NULL DEFAULT TRUE,
	created_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, at);

CREATE TABLE incident_notices (
	incident_id BIGINT NOT NULL REFERENCES incidents(id),
	rule_key TEXT NOT NULL,
	done_at TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	by_name TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (incident_id, rule_key)
);

CREATE TABLE incident_reports (
	id {{pk}},
	user_id BIGINT REFERENCES users(id),
	reporter_name TEXT NOT NULL,
	department_id BIGINT REFERENCES departments(id),
	what TEXT NOT NULL,
	happened_at TEXT NOT NULL DEFAULT '',
	persons BIGINT NOT NULL DEFAULT 0,
	contact TEXT NOT NULL DEFAULT '',
	submitted_at TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'new',
	incident_id BIGINT REFERENCES incidents(id),
	triaged_by_name TEXT NOT NULL DEFAULT '',
	triaged_at TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT ''
);
