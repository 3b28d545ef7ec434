-- Incident drills (issue 16). The citizen-service registry (systems and
-- the services that stop with them, where, for whom, and the fallback)
-- and the scenario templates are seeded from content/drill and edited by
-- the security office. A drill copies its scenario when it starts
-- (scenario_json) and its injects into drill_injects, whose release times
-- are kept as offsets from the start; the drill's clock stops while it is
-- paused (paused_secs adds up the pauses). Participants mostly have no
-- account: a one-time link (token_hash, never the token) opens the player
-- or evaluator view. Observations, responses and feedback carry the
-- client's key so that a replayed form is stored once.
CREATE TABLE drill_systems (
	id {{pk}},
	code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	segment TEXT NOT NULL DEFAULT '',
	owner TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT ''
);

CREATE TABLE drill_services (
	id {{pk}},
	code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	systems TEXT NOT NULL DEFAULT '',
	counters TEXT NOT NULL DEFAULT '',
	residents TEXT NOT NULL DEFAULT '',
	daily BIGINT NOT NULL DEFAULT 0,
	fallback TEXT NOT NULL DEFAULT '',
	steps TEXT NOT NULL DEFAULT '',
	notice TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL
);

CREATE TABLE drill_scenarios (
	id {{pk}},
	code TEXT NOT NULL UNIQUE,
	title TEXT NOT NULL,
	threat TEXT NOT NULL,
	body TEXT NOT NULL,
	updated_by_name TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL
);

CREATE TABLE drill_plans (
	fiscal_year BIGINT PRIMARY KEY,
	goals TEXT NOT NULL DEFAULT '',
	priorities TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL
);

CREATE TABLE drills (
	id {{pk}},
	code TEXT NOT NULL UNIQUE,
	fiscal_year BIGINT NOT NULL,
	title TEXT NOT NULL,
	scenario_code TEXT NOT NULL,
	scenario_json TEXT NOT NULL DEFAULT '',
	department_id BIGINT NOT NULL REFERENCES departments(id),
	state TEXT NOT NULL DEFAULT 'planned',
	planned_at TEXT NOT NULL,
	location TEXT NOT NULL DEFAULT '',
	started_at TEXT NOT NULL DEFAULT '',
	paused_at TEXT NOT NULL DEFAULT '',
	paused_secs BIGINT NOT NULL DEFAULT 0,
	ended_at TEXT NOT NULL DEFAULT '',
	strengths TEXT NOT NULL DEFAULT '',
	hotwash TEXT NOT NULL DEFAULT '',
	rev BIGINT NOT NULL DEFAULT 1,
	created_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX drills_year ON drills (fiscal_year);

CREATE TABLE drill_plan_cells (
	id {{pk}},
	fiscal_year BIGINT NOT NULL,
	department_id BIGINT NOT NULL REFERENCES departments(id),
	month BIGINT NOT NULL,
	scenario_code TEXT NOT NULL DEFAULT '',
	format TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT '',
	drill_id BIGINT REFERENCES drills(id),
	UNIQUE (fiscal_year, department_id)
);

CREATE TABLE drill_teams (
	drill_id BIGINT NOT NULL REFERENCES drills(id),
	team_key TEXT NOT NULL,
	label TEXT NOT NULL,
	department_id BIGINT REFERENCES departments(id),
	PRIMARY KEY (drill_id, team_key)
);

CREATE TABLE drill_participants (
	id {{pk}},
	drill_id BIGINT NOT NULL REFERENCES drills(id),
	name TEXT NOT NULL,
	department_id BIGINT REFERENCES departments(id),
	role TEXT NOT NULL,
	team_key TEXT NOT NULL DEFAULT '',
	token_hash TEXT NOT NULL DEFAULT '',
	token_expires TEXT NOT NULL DEFAULT '',
	checked_in_at TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX drill_participants_drill ON drill_participants (drill_id);
CREATE INDEX drill_participants_token ON drill_participants (token_hash);

CREATE TABLE drill_injects (
	id {{pk}},
	drill_id BIGINT NOT NULL REFERENCES drills(id),
	module_no BIGINT NOT NULL,
	seq BIGINT NOT NULL,
	offset_min BIGINT NOT NULL,
	persona TEXT NOT NULL DEFAULT '',
	sender TEXT NOT NULL DEFAULT '',
	team_key TEXT NOT NULL DEFAULT '',
	channel TEXT NOT NULL DEFAULT '',
	subject TEXT NOT NULL DEFAULT '',
	body TEXT NOT NULL DEFAULT '',
	expected TEXT NOT NULL DEFAULT '',
	objective_key TEXT NOT NULL DEFAULT '',
	attachments TEXT NOT NULL DEFAULT '',
	released_at TEXT NOT NULL DEFAULT '',
	released_by_name TEXT NOT NULL DEFAULT '',
	on_demand BOOLEAN NOT NULL DEFAULT FALSE,
	UNIQUE (drill_id, module_no, seq)
);

CREATE TABLE drill_responses (
	id {{pk}},
	drill_id BIGINT NOT NULL REFERENCES drills(id),
	inject_id BIGINT NOT NULL REFERENCES drill_injects(id),
	participant_id BIGINT REFERENCES drill_participants(id),
	by_name TEXT NOT NULL,
	body TEXT NOT NULL,
	at TEXT NOT NULL,
	client_key TEXT NOT NULL UNIQUE
);
CREATE INDEX drill_responses_drill ON drill_responses (drill_id);

CREATE TABLE drill_observations (
	id {{pk}},
	drill_id BIGINT NOT NULL REFERENCES drills(id),
	inject_id BIGINT REFERENCES drill_injects(id),
	objective_key TEXT NOT NULL DEFAULT '',
	kind TEXT NOT NULL,
	body TEXT NOT NULL,
	by_name TEXT NOT NULL,
	participant_id BIGINT REFERENCES drill_participants(id),
	at TEXT NOT NULL,
	client_key TEXT NOT NULL UNIQUE
);
CREATE INDEX drill_observations_drill ON drill_observations (drill_id);

CREATE TABLE drill_ratings (
	drill_id BIGINT NOT NULL REFERENCES drills(id),
	objective_key TEXT NOT NULL,
	rating TEXT NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	by_name TEXT NOT NULL DEFAULT '',
	at TEXT NOT NULL,
	PRIMARY KEY (drill_id, objective_key)
);

CREATE TABLE drill_improvements (
	id {{pk}},
	drill_id BIGINT NOT NULL REFERENCES drills(id),
	seq BIGINT NOT NULL,
	objective_key TEXT NOT NULL DEFAULT '',
	title TEXT NOT NULL,
	observation TEXT NOT NULL DEFAULT '',
	reference TEXT NOT NULL DEFAULT '',
	analysis TEXT NOT NULL DEFAULT '',
	recommendation TEXT NOT NULL DEFAULT '',
	owner_department_id BIGINT REFERENCES departments(id),
	due_on TEXT NOT NULL,
	retest TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	UNIQUE (drill_id, seq)
);

CREATE TABLE drill_feedback (
	id {{pk}},
	drill_id BIGINT NOT NULL REFERENCES drills(id),
	participant_id BIGINT REFERENCES drill_participants(id),
	by_name TEXT NOT NULL,
	body TEXT NOT NULL,
	at TEXT NOT NULL,
	client_key TEXT NOT NULL UNIQUE
);
