-- The audit-log chain is keyed (HMAC-SHA256) with a secret kept outside the
-- database. chain says how an entry's hash was made: 0 plain SHA-256 (entries
-- written before this migration, or without a key), 1 HMAC-SHA256 with the
-- key. audit_head carries the seal: the first keyed entry (keyed_from), the
-- key's identifier (key_id, not the key) and key_mac, an HMAC over both, so
-- that nobody without the key can move the point where keyed hashing starts.
ALTER TABLE audit_log ADD COLUMN chain BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_head ADD COLUMN keyed_from BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_head ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_head ADD COLUMN key_mac TEXT NOT NULL DEFAULT '';
