-- Programme management (issue 19, second part): the bound sets made in
-- the background from the deliverables register, the destruction records
-- (消去証明書) of crypto-shredding at contract end, and the dependencies
-- between the year's own tasks.

-- A bound set (製本): the print-ready PDF and the electronic set's ZIP,
-- kept in the blob store.
CREATE TABLE program_binders (
	id {{pk}},
	fiscal_year BIGINT NOT NULL,
	items BIGINT NOT NULL,
	titles TEXT NOT NULL,
	pdf_blob BIGINT NOT NULL REFERENCES blobs(id),
	zip_blob BIGINT NOT NULL REFERENCES blobs(id),
	created_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX program_binders_year ON program_binders (fiscal_year, id);

-- One destruction (mamori shred): the scope (the year, or one audit
-- engagement's code), the bound set exported first, and the record of
-- what was destroyed and how it was verified (JSON), from which the
-- certificate is printed.
CREATE TABLE program_shreds (
	id {{pk}},
	fiscal_year BIGINT NOT NULL,
	scope TEXT NOT NULL,
	binder_id BIGINT REFERENCES program_binders(id),
	record TEXT NOT NULL,
	by_name TEXT NOT NULL,
	created_at TEXT NOT NULL
);

-- A task that cannot start before another ends (the year's own tasks).
CREATE TABLE program_task_deps (
	task_id BIGINT NOT NULL REFERENCES program_tasks(id),
	depends_on BIGINT NOT NULL REFERENCES program_tasks(id),
	PRIMARY KEY (task_id, depends_on)
);

-- The technical verification's scanner files (staged uploads kept after
-- they are applied) are sealed with a key of the engagement, like the
-- audit evidence, so that destruction at contract end reaches them.
-- Files stored before this migration stay plain (sealed false).
CREATE TABLE scan_keys (
	engagement_id BIGINT PRIMARY KEY REFERENCES audit_engagements(id),
	data_key {{blob}},
	created_at TEXT NOT NULL,
	destroyed_at TEXT NOT NULL DEFAULT ''
);
ALTER TABLE scan_imports ADD COLUMN sealed BOOLEAN NOT NULL DEFAULT FALSE;
