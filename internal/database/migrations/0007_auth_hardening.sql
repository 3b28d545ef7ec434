-- Login hardening. totp_last_step is the last TOTP time step (Unix time / 30)
-- that completed a login, so that a code is accepted once only. In the
-- throttle table, reported_until is the blocked_until of the block already
-- recorded in the audit log, so that a blocked key is recorded once per
-- block and not once per refused try.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE login_throttle ADD COLUMN reported_until TEXT NOT NULL DEFAULT '';
