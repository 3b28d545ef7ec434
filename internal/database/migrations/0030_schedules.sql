-- Scheduled tasks (issue 20): reminders, nightly backups, housekeeping.
-- Each runs once per due time across all instances: the instance that
-- takes the lease runs it; the others see it taken.
CREATE TABLE job_schedules (
	name TEXT PRIMARY KEY,
	next_run_at TEXT NOT NULL,
	lease_owner TEXT NOT NULL DEFAULT '',
	lease_until TEXT NOT NULL DEFAULT '',
	last_started_at TEXT NOT NULL DEFAULT '',
	last_finished_at TEXT NOT NULL DEFAULT '',
	last_status TEXT NOT NULL DEFAULT '',
	last_message TEXT NOT NULL DEFAULT '',
	runs BIGINT NOT NULL DEFAULT 0,
	failures BIGINT NOT NULL DEFAULT 0
);
