-- 自己点検 (self-assessment): the year's questions (one bank per fiscal
-- year, each question for one or more audiences), campaigns that send
-- them to staff, invitations (who is asked: a snapshot of the roster when
-- the campaign opens, the denominator of every response rate), saved
-- drafts, and responses.
--
-- audiences: comma-separated codes general (一般職員), system (システム
-- 担当者), protection (保護担当者). kind: knowledge, practice, likert,
-- single, multiple, text. options: one option per line. answer (knowledge
-- only): the correct option numbers, 1-based, comma-separated.
-- Campaign state: draft (準備中), open (回答受付中), closed (締切).
-- Dates are calendar dates (YYYY-MM-DD). An anonymous campaign's
-- responses carry the department and audiences, never the person
-- (staff_id NULL); the invitation only says that the person answered.
-- answers: JSON object, question code → answer ("2", "1,3", text).
CREATE TABLE survey_questions (
	id {{pk}},
	fiscal_year BIGINT NOT NULL,
	code TEXT NOT NULL,
	audiences TEXT NOT NULL,
	kind TEXT NOT NULL,
	domain TEXT NOT NULL DEFAULT '',
	clauses TEXT NOT NULL DEFAULT '',
	item_code TEXT NOT NULL DEFAULT '',
	scenario TEXT NOT NULL DEFAULT '',
	text TEXT NOT NULL,
	options TEXT NOT NULL DEFAULT '',
	answer TEXT NOT NULL DEFAULT '',
	explanation TEXT NOT NULL DEFAULT '',
	sort_order BIGINT NOT NULL,
	active BOOLEAN NOT NULL DEFAULT TRUE,
	rev BIGINT NOT NULL DEFAULT 1,
	updated_by_name TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL,
	UNIQUE (fiscal_year, code)
);

CREATE TABLE survey_campaigns (
	id {{pk}},
	code TEXT NOT NULL UNIQUE,
	fiscal_year BIGINT NOT NULL,
	title TEXT NOT NULL,
	audiences TEXT NOT NULL,
	anonymous BOOLEAN NOT NULL DEFAULT FALSE,
	opens_on TEXT NOT NULL,
	closes_on TEXT NOT NULL,
	state TEXT NOT NULL DEFAULT 'draft',
	note TEXT NOT NULL DEFAULT '',
	rev BIGINT NOT NULL DEFAULT 1,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

-- The departments a campaign is sent to (with those below them); none
-- means the whole ward.
CREATE TABLE survey_campaign_departments (
	campaign_id BIGINT NOT NULL REFERENCES survey_campaigns(id),
	department_id BIGINT NOT NULL REFERENCES departments(id),
	PRIMARY KEY (campaign_id, department_id)
);

CREATE TABLE survey_invitations (
	id {{pk}},
	campaign_id BIGINT NOT NULL REFERENCES survey_campaigns(id),
	staff_id BIGINT NOT NULL REFERENCES staff(id),
	department_id BIGINT REFERENCES departments(id),
	audiences TEXT NOT NULL,
	token_hash TEXT UNIQUE,
	token_expires TEXT NOT NULL DEFAULT '',
	draft TEXT NOT NULL DEFAULT '',
	draft_at TEXT NOT NULL DEFAULT '',
	submitted BOOLEAN NOT NULL DEFAULT FALSE,
	reminded_at TEXT NOT NULL DEFAULT '',
	UNIQUE (campaign_id, staff_id)
);
CREATE INDEX survey_invitations_department ON survey_invitations (campaign_id, department_id);

CREATE TABLE survey_responses (
	id {{pk}},
	campaign_id BIGINT NOT NULL REFERENCES survey_campaigns(id),
	staff_id BIGINT REFERENCES staff(id),
	department_id BIGINT REFERENCES departments(id),
	audiences TEXT NOT NULL,
	answers TEXT NOT NULL,
	source TEXT NOT NULL,
	submitted_on TEXT NOT NULL
);
CREATE INDEX survey_responses_campaign ON survey_responses (campaign_id, department_id);
