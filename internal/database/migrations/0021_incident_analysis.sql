-- Incident handling (issue 15), second part: the なぜなぜ analysis as a
-- tree (parent_id; viewpoint: no_rule, unknown, ignored, insufficient,
-- contractor, other; direct / root cause marks), the recurrence-
-- prevention measures (their progress lives in the improvement register:
-- source incident_measure, ref "<code>/<domain>/<seq>", and for 横展開
-- "<code>/<domain>/<seq>/<department id>"), the site visits (臨場), and
-- the evidence kept with its chain of custody. Files (site photos,
-- evidence) are encrypted with the incident's own key (incident_keys).
CREATE TABLE incident_whys (
	id {{pk}},
	incident_id BIGINT NOT NULL REFERENCES incidents(id),
	parent_id BIGINT REFERENCES incident_whys(id),
	statement TEXT NOT NULL,
	viewpoint TEXT NOT NULL,
	is_direct BOOLEAN NOT NULL DEFAULT FALSE,
	is_root BOOLEAN NOT NULL DEFAULT FALSE,
	created_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX incident_whys_incident ON incident_whys (incident_id);

CREATE TABLE incident_measures (
	id {{pk}},
	incident_id BIGINT NOT NULL REFERENCES incidents(id),
	seq BIGINT NOT NULL,
	title TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT '',
	domain TEXT NOT NULL,
	owner_department_id BIGINT REFERENCES departments(id),
	due_on TEXT NOT NULL DEFAULT '',
	indicator TEXT NOT NULL DEFAULT '',
	check_on TEXT NOT NULL DEFAULT '',
	rollout TEXT NOT NULL DEFAULT '',
	why_id BIGINT REFERENCES incident_whys(id),
	created_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	UNIQUE (incident_id, seq)
);

CREATE TABLE incident_visits (
	id {{pk}},
	incident_id BIGINT NOT NULL REFERENCES incidents(id),
	visited_on TEXT NOT NULL,
	place TEXT NOT NULL DEFAULT '',
	visitors TEXT NOT NULL,
	interviewees TEXT NOT NULL DEFAULT '',
	findings TEXT NOT NULL DEFAULT '',
	advice TEXT NOT NULL DEFAULT '',
	created_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);

CREATE TABLE incident_keys (
	incident_id BIGINT PRIMARY KEY REFERENCES incidents(id),
	data_key {{blob}},
	created_at TEXT NOT NULL,
	destroyed_at TEXT NOT NULL DEFAULT ''
);

-- kind: photo (a site visit's), file, record. sha256 of the plain file.
CREATE TABLE incident_evidence (
	id {{pk}},
	incident_id BIGINT NOT NULL REFERENCES incidents(id),
	visit_id BIGINT REFERENCES incident_visits(id),
	kind TEXT NOT NULL,
	filename TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	sha256 TEXT NOT NULL,
	blob_id BIGINT REFERENCES blobs(id),
	note TEXT NOT NULL DEFAULT '',
	collected_by_name TEXT NOT NULL,
	collected_at TEXT NOT NULL
);

-- The chain of custody: each hand-over of a piece of evidence.
CREATE TABLE incident_custody (
	id {{pk}},
	evidence_id BIGINT NOT NULL REFERENCES incident_evidence(id),
	at TEXT NOT NULL,
	from_name TEXT NOT NULL,
	to_name TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	recorded_by_name TEXT NOT NULL DEFAULT ''
);
