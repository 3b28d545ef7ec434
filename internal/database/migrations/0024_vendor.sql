-- Vendor and cloud-service onboarding (issue 17). A department's request
-- for a review of a service or contract; its questionnaire is built from
-- the catalogue's cloud or outsourcing template (pinned to the template's
-- version: vendor_items keep the question as sent); the vendor answers
-- through an expiring link (only the token's hash is kept); each
-- submission is kept whole (vendor_submissions) so that two can be
-- compared; the office reviews each item (OK / 要確認 / 要修正, a comment to
-- the vendor and an internal note the vendor never sees) and decides apart
-- from any score (承認 / 条件付承認 with dated conditions / 不承認).
CREATE TABLE vendor_requests (
	id {{pk}},
	code TEXT NOT NULL UNIQUE,
	fiscal_year BIGINT NOT NULL,
	department_id BIGINT NOT NULL REFERENCES departments(id),
	kind TEXT NOT NULL,
	service_name TEXT NOT NULL,
	vendor_name TEXT NOT NULL,
	purpose TEXT NOT NULL DEFAULT '',
	data_class TEXT NOT NULL DEFAULT '',
	mynumber BOOLEAN NOT NULL DEFAULT FALSE,
	system_work BOOLEAN NOT NULL DEFAULT FALSE,
	storage_location TEXT NOT NULL DEFAULT '',
	subcontractors TEXT NOT NULL DEFAULT '',
	contract_from TEXT NOT NULL DEFAULT '',
	contract_to TEXT NOT NULL DEFAULT '',
	ismap_number TEXT NOT NULL DEFAULT '',
	ismap_expires TEXT NOT NULL DEFAULT '',
	sla TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL DEFAULT 'requested',
	template_id BIGINT,
	template_version BIGINT NOT NULL DEFAULT 0,
	decision TEXT NOT NULL DEFAULT '',
	decision_reason TEXT NOT NULL DEFAULT '',
	decided_at TEXT NOT NULL DEFAULT '',
	decided_by_name TEXT NOT NULL DEFAULT '',
	next_review_on TEXT NOT NULL DEFAULT '',
	rev BIGINT NOT NULL DEFAULT 1,
	created_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX vendor_requests_year ON vendor_requests (fiscal_year);

CREATE TABLE vendor_items (
	request_id BIGINT NOT NULL REFERENCES vendor_requests(id),
	item_code TEXT NOT NULL,
	seq BIGINT NOT NULL,
	category TEXT NOT NULL DEFAULT '',
	question TEXT NOT NULL,
	priority TEXT NOT NULL DEFAULT '',
	answer TEXT NOT NULL DEFAULT '',
	answer_note TEXT NOT NULL DEFAULT '',
	answered_at TEXT NOT NULL DEFAULT '',
	review TEXT NOT NULL DEFAULT '',
	to_vendor TEXT NOT NULL DEFAULT '',
	internal_note TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (request_id, item_code)
);

CREATE TABLE vendor_links (
	id {{pk}},
	request_id BIGINT NOT NULL REFERENCES vendor_requests(id),
	token_hash TEXT NOT NULL UNIQUE,
	expires_at TEXT NOT NULL,
	revoked_at TEXT NOT NULL DEFAULT '',
	last_used_at TEXT NOT NULL DEFAULT '',
	created_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);

CREATE TABLE vendor_submissions (
	id {{pk}},
	request_id BIGINT NOT NULL REFERENCES vendor_requests(id),
	seq BIGINT NOT NULL,
	source TEXT NOT NULL,
	answers TEXT NOT NULL,
	submitted_at TEXT NOT NULL,
	UNIQUE (request_id, seq)
);

CREATE TABLE vendor_evidence (
	id {{pk}},
	request_id BIGINT NOT NULL REFERENCES vendor_requests(id),
	item_code TEXT NOT NULL,
	blob_id BIGINT NOT NULL REFERENCES blobs(id),
	filename TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	sha256 TEXT NOT NULL,
	effective_on TEXT NOT NULL DEFAULT '',
	uploaded_at TEXT NOT NULL
);

CREATE TABLE vendor_conditions (
	id {{pk}},
	request_id BIGINT NOT NULL REFERENCES vendor_requests(id),
	seq BIGINT NOT NULL,
	text TEXT NOT NULL,
	due_on TEXT NOT NULL,
	done_at TEXT NOT NULL DEFAULT ''
);
