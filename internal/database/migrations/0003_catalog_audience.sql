-- Self-assessment items say which staff group answers them
-- (general = 一般職員, system = システム担当者, protection = 保護担当者).
ALTER TABLE checklist_items ADD COLUMN audience TEXT NOT NULL DEFAULT '';
