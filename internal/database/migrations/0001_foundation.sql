-- Foundation: settings, fiscal years, organisation, staff, users, sessions,
-- login throttling, audit log, blobs and background jobs.
-- Timestamps are TEXT in UTC (database.Time); dates are TEXT YYYY-MM-DD.

CREATE TABLE settings (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

CREATE TABLE fiscal_years (
	year BIGINT PRIMARY KEY,
	start_date TEXT NOT NULL,
	end_date TEXT NOT NULL,
	is_current BOOLEAN NOT NULL DEFAULT FALSE,
	note TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);

CREATE TABLE departments (
	id {{pk}},
	code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	level TEXT NOT NULL,
	parent_id BIGINT REFERENCES departments(id),
	sort_order BIGINT NOT NULL DEFAULT 0,
	active BOOLEAN NOT NULL DEFAULT TRUE,
	has_counter BOOLEAN NOT NULL DEFAULT FALSE,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX departments_parent ON departments (parent_id);

CREATE TABLE staff (
	id {{pk}},
	employee_no TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	kana TEXT NOT NULL DEFAULT '',
	department_id BIGINT REFERENCES departments(id),
	job_class TEXT NOT NULL DEFAULT '一般職員',
	job_title TEXT NOT NULL DEFAULT '',
	is_system BOOLEAN NOT NULL DEFAULT FALSE,
	is_protection BOOLEAN NOT NULL DEFAULT FALSE,
	is_mynumber BOOLEAN NOT NULL DEFAULT FALSE,
	email TEXT NOT NULL DEFAULT '',
	active BOOLEAN NOT NULL DEFAULT TRUE,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX staff_department ON staff (department_id);

-- Which department each person was in, per fiscal year (personnel history).
CREATE TABLE staff_assignments (
	id {{pk}},
	staff_id BIGINT NOT NULL REFERENCES staff(id),
	fiscal_year BIGINT NOT NULL,
	department_id BIGINT REFERENCES departments(id),
	job_class TEXT NOT NULL,
	job_title TEXT NOT NULL DEFAULT '',
	active BOOLEAN NOT NULL DEFAULT TRUE,
	updated_at TEXT NOT NULL,
	UNIQUE (staff_id, fiscal_year)
);
CREATE INDEX staff_assignments_year ON staff_assignments (fiscal_year, department_id);

CREATE TABLE users (
	id {{pk}},
	login TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL,
	role TEXT NOT NULL,
	department_id BIGINT REFERENCES departments(id),
	staff_id BIGINT REFERENCES staff(id),
	password_hash TEXT NOT NULL DEFAULT '',
	totp_secret TEXT NOT NULL DEFAULT '',
	totp_enabled BOOLEAN NOT NULL DEFAULT FALSE,
	disabled BOOLEAN NOT NULL DEFAULT FALSE,
	is_demo BOOLEAN NOT NULL DEFAULT FALSE,
	password_changed_at TEXT,
	last_login_at TEXT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES users(id),
	csrf_token TEXT NOT NULL,
	mfa_pending BOOLEAN NOT NULL DEFAULT FALSE,
	ip TEXT NOT NULL DEFAULT '',
	user_agent TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_throttle (
	key TEXT PRIMARY KEY,
	failures BIGINT NOT NULL DEFAULT 0,
	last_failure_at TEXT NOT NULL,
	blocked_until TEXT NOT NULL
);

CREATE TABLE audit_log (
	id BIGINT PRIMARY KEY,
	at TEXT NOT NULL,
	user_id BIGINT,
	login TEXT NOT NULL DEFAULT '',
	action TEXT NOT NULL,
	target TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT '',
	ip TEXT NOT NULL DEFAULT '',
	prev_hash TEXT NOT NULL,
	hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_action ON audit_log (action);

-- The head of the hash chain; updating this one row serialises writers.
CREATE TABLE audit_head (
	id BIGINT PRIMARY KEY,
	last_id BIGINT NOT NULL,
	last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, '');

CREATE TABLE blobs (
	id {{pk}},
	sha256 TEXT NOT NULL,
	size BIGINT NOT NULL,
	content_type TEXT NOT NULL DEFAULT '',
	filename TEXT NOT NULL DEFAULT '',
	storage TEXT NOT NULL,
	data {{blob}},
	created_by BIGINT,
	created_at TEXT NOT NULL
);
CREATE INDEX blobs_sha ON blobs (sha256);

CREATE TABLE jobs (
	id {{pk}},
	kind TEXT NOT NULL,
	status TEXT NOT NULL,
	progress BIGINT NOT NULL DEFAULT 0,
	total BIGINT NOT NULL DEFAULT 0,
	message TEXT NOT NULL DEFAULT '',
	payload TEXT NOT NULL DEFAULT '',
	result TEXT NOT NULL DEFAULT '',
	created_by BIGINT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	finished_at TEXT
);
CREATE INDEX jobs_status ON jobs (status);
