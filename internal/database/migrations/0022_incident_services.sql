-- Incident handling (issue 15): the citizen services an incident stopped
-- (service, outage window, the fallback used, residents affected) —
-- typed for now; the drill module's service registry will offer its
-- services through the module interface — and the response's tasks
-- (owner, due date, done).
CREATE TABLE incident_services (
	id {{pk}},
	incident_id BIGINT NOT NULL REFERENCES incidents(id),
	service TEXT NOT NULL,
	down_from TEXT NOT NULL,
	down_to TEXT NOT NULL DEFAULT '',
	fallback TEXT NOT NULL DEFAULT '',
	residents BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE incident_tasks (
	id {{pk}},
	incident_id BIGINT NOT NULL REFERENCES incidents(id),
	title TEXT NOT NULL,
	owner TEXT NOT NULL,
	due_on TEXT NOT NULL,
	done_at TEXT NOT NULL DEFAULT '',
	created_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
