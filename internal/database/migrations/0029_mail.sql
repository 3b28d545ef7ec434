-- Outgoing mail (issue 20): every message is queued in the database in
-- the transaction of what caused it (a reminder, a link, a notice) and
-- sent by whichever instance claims it (a lease), with retries and
-- backoff; a failed one stays listed for the administrator. dedupe_key
-- keeps the same reminder from being queued twice.
CREATE TABLE mail_outbox (
	id {{pk}},
	kind TEXT NOT NULL,
	ref TEXT NOT NULL DEFAULT '',
	dedupe_key TEXT UNIQUE,
	to_addr TEXT NOT NULL,
	to_name TEXT NOT NULL DEFAULT '',
	subject TEXT NOT NULL,
	body TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'queued',
	attempts BIGINT NOT NULL DEFAULT 0,
	next_at TEXT NOT NULL,
	lease_owner TEXT NOT NULL DEFAULT '',
	lease_until TEXT NOT NULL DEFAULT '',
	last_error TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	sent_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_at);
