-- Technical verification of a system audit (issue 18). One plan per audit
-- engagement: the approved allow-list of targets, the agreed time window,
-- the rate, who approved it, the emergency contact and the abort switch.
-- Scanner files the auditors ran (Nmap, OpenVAS, Trivy, SARIF, CSV) and
-- the built-in safe checks (TLS, HTTP, TCP) become findings of one model;
-- a finding is one row per (plan, source, key), so that a re-import tells
-- what is new, still present, gone or reopened.
CREATE TABLE scan_plans (
	id {{pk}},
	engagement_id BIGINT NOT NULL UNIQUE REFERENCES audit_engagements(id),
	targets TEXT NOT NULL DEFAULT '',
	ports TEXT NOT NULL DEFAULT '',
	window_start TEXT NOT NULL DEFAULT '',
	window_end TEXT NOT NULL DEFAULT '',
	rate BIGINT NOT NULL DEFAULT 2,
	profile TEXT NOT NULL DEFAULT 'recommended',
	methods TEXT NOT NULL DEFAULT '',
	approved_by TEXT NOT NULL DEFAULT '',
	approved_on TEXT NOT NULL DEFAULT '',
	emergency_contact TEXT NOT NULL DEFAULT '',
	notes TEXT NOT NULL DEFAULT '',
	aborted BOOLEAN NOT NULL DEFAULT FALSE,
	aborted_at TEXT NOT NULL DEFAULT '',
	aborted_by_name TEXT NOT NULL DEFAULT '',
	rev BIGINT NOT NULL DEFAULT 1,
	updated_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

-- One import of a scanner file or one run of the built-in checks. A web
-- upload is staged first (state staged, the file in a blob) and applied
-- after its preview; the counts are those of the application.
CREATE TABLE scan_imports (
	id {{pk}},
	plan_id BIGINT NOT NULL REFERENCES scan_plans(id),
	kind TEXT NOT NULL,
	format TEXT NOT NULL,
	filename TEXT NOT NULL DEFAULT '',
	sha256 TEXT NOT NULL DEFAULT '',
	size BIGINT NOT NULL DEFAULT 0,
	blob_id BIGINT REFERENCES blobs(id),
	scanner TEXT NOT NULL DEFAULT '',
	scanned_at TEXT NOT NULL DEFAULT '',
	targets BIGINT NOT NULL DEFAULT 0,
	findings BIGINT NOT NULL DEFAULT 0,
	new_count BIGINT NOT NULL DEFAULT 0,
	still_count BIGINT NOT NULL DEFAULT 0,
	gone_count BIGINT NOT NULL DEFAULT 0,
	reopened_count BIGINT NOT NULL DEFAULT 0,
	state TEXT NOT NULL DEFAULT 'applied',
	detail TEXT NOT NULL DEFAULT '',
	created_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX scan_imports_plan ON scan_imports (plan_id);

CREATE TABLE scan_findings (
	id {{pk}},
	plan_id BIGINT NOT NULL REFERENCES scan_plans(id),
	source TEXT NOT NULL,
	dedup_key TEXT NOT NULL,
	scope TEXT NOT NULL DEFAULT '',
	title TEXT NOT NULL,
	severity TEXT NOT NULL,
	cvss10 BIGINT NOT NULL DEFAULT 0,
	cwe TEXT NOT NULL DEFAULT '',
	cve TEXT NOT NULL DEFAULT '',
	host TEXT NOT NULL DEFAULT '',
	port BIGINT NOT NULL DEFAULT 0,
	protocol TEXT NOT NULL DEFAULT '',
	service TEXT NOT NULL DEFAULT '',
	url TEXT NOT NULL DEFAULT '',
	component TEXT NOT NULL DEFAULT '',
	version TEXT NOT NULL DEFAULT '',
	fixed_version TEXT NOT NULL DEFAULT '',
	file TEXT NOT NULL DEFAULT '',
	line BIGINT NOT NULL DEFAULT 0,
	description TEXT NOT NULL DEFAULT '',
	remedy TEXT NOT NULL DEFAULT '',
	evidence TEXT NOT NULL DEFAULT '',
	area TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT 'open',
	status_note TEXT NOT NULL DEFAULT '',
	accept_until TEXT NOT NULL DEFAULT '',
	item_codes TEXT NOT NULL DEFAULT '',
	audit_finding TEXT NOT NULL DEFAULT '',
	audit_finding_link TEXT NOT NULL DEFAULT '',
	first_import_id BIGINT REFERENCES scan_imports(id),
	last_import_id BIGINT REFERENCES scan_imports(id),
	first_seen TEXT NOT NULL,
	last_seen TEXT NOT NULL,
	gone_at TEXT NOT NULL DEFAULT '',
	rev BIGINT NOT NULL DEFAULT 1,
	updated_by_name TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL,
	UNIQUE (plan_id, source, dedup_key)
);
CREATE INDEX scan_findings_plan ON scan_findings (plan_id, severity);

-- The reports of the built-in checks (JSON), for the screen and the plan's
-- record of what was touched and when.
CREATE TABLE scan_checks (
	id {{pk}},
	plan_id BIGINT NOT NULL REFERENCES scan_plans(id),
	import_id BIGINT REFERENCES scan_imports(id),
	kind TEXT NOT NULL,
	target TEXT NOT NULL,
	report TEXT NOT NULL DEFAULT '',
	error TEXT NOT NULL DEFAULT '',
	started_at TEXT NOT NULL,
	finished_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX scan_checks_plan ON scan_checks (plan_id);
