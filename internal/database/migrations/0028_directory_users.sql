-- Directory login (issue 20): a user made at their first login through
-- Active Directory / LDAP has no password here (source 'directory') and is
-- linked to the directory entry it came from; local accounts (source
-- 'local') keep their passwords and stay usable when the directory is
-- down (the administrator's break-glass account).
ALTER TABLE users ADD COLUMN source TEXT NOT NULL DEFAULT 'local';
ALTER TABLE users ADD COLUMN directory_dn TEXT NOT NULL DEFAULT '';
