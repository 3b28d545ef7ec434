-- Reminders of an e-learning campaign (issue 14): how many at most and
-- how many days apart (the security office sets them per campaign), and
-- per assignment when the last was sent and how many.
ALTER TABLE learning_campaigns ADD COLUMN remind_max BIGINT NOT NULL DEFAULT 3;
ALTER TABLE learning_campaigns ADD COLUMN remind_every BIGINT NOT NULL DEFAULT 7;
ALTER TABLE learning_assignments ADD COLUMN reminded_at TEXT NOT NULL DEFAULT '';
ALTER TABLE learning_assignments ADD COLUMN reminders BIGINT NOT NULL DEFAULT 0;
