-- Programme management (issue 19, first part): the year's own tasks and
-- milestones (those the modules already know come from them and are not
-- stored here), with the baseline kept when a task is re-planned and every
-- re-planning with its reason.
CREATE TABLE program_tasks (
	id {{pk}},
	fiscal_year BIGINT NOT NULL,
	workstream BIGINT NOT NULL,
	title TEXT NOT NULL,
	owner TEXT NOT NULL DEFAULT '',
	milestone BOOLEAN NOT NULL DEFAULT FALSE,
	start_on TEXT NOT NULL,
	end_on TEXT NOT NULL,
	baseline_start TEXT NOT NULL,
	baseline_end TEXT NOT NULL,
	actual_start TEXT NOT NULL DEFAULT '',
	actual_end TEXT NOT NULL DEFAULT '',
	progress BIGINT NOT NULL DEFAULT 0,
	note TEXT NOT NULL DEFAULT '',
	rev BIGINT NOT NULL DEFAULT 1,
	updated_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX program_tasks_year ON program_tasks (fiscal_year, workstream);

CREATE TABLE program_replans (
	id {{pk}},
	task_id BIGINT NOT NULL REFERENCES program_tasks(id),
	old_start TEXT NOT NULL,
	old_end TEXT NOT NULL,
	new_start TEXT NOT NULL,
	new_end TEXT NOT NULL,
	reason TEXT NOT NULL,
	by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX program_replans_task ON program_replans (task_id);

-- The monthly meetings (定例会): their agenda, attendance, minutes and
-- state; the decisions and action items (宿題) of each, an action feeding
-- the schedule as a milestone task until it is done.
CREATE TABLE program_meetings (
	id {{pk}},
	fiscal_year BIGINT NOT NULL,
	seq BIGINT NOT NULL,
	held_on TEXT NOT NULL,
	time_text TEXT NOT NULL DEFAULT '',
	place TEXT NOT NULL DEFAULT '',
	attendees TEXT NOT NULL DEFAULT '',
	agenda TEXT NOT NULL DEFAULT '',
	content TEXT NOT NULL DEFAULT '',
	next_on TEXT NOT NULL DEFAULT '',
	next_note TEXT NOT NULL DEFAULT '',
	rev BIGINT NOT NULL DEFAULT 1,
	updated_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (fiscal_year, seq)
);

CREATE TABLE program_items (
	id {{pk}},
	meeting_id BIGINT NOT NULL REFERENCES program_meetings(id),
	kind TEXT NOT NULL,
	text TEXT NOT NULL,
	owner TEXT NOT NULL DEFAULT '',
	due_on TEXT NOT NULL DEFAULT '',
	task_id BIGINT REFERENCES program_tasks(id),
	done_on TEXT NOT NULL DEFAULT '',
	done_note TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX program_items_meeting ON program_items (meeting_id);

-- The advice log (相談・助言記録).
CREATE TABLE program_advice (
	id {{pk}},
	fiscal_year BIGINT NOT NULL,
	asked_on TEXT NOT NULL,
	department TEXT NOT NULL DEFAULT '',
	channel TEXT NOT NULL DEFAULT '',
	question TEXT NOT NULL,
	answer TEXT NOT NULL DEFAULT '',
	clauses TEXT NOT NULL DEFAULT '',
	created_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX program_advice_year ON program_advice (fiscal_year, asked_on);

-- The next-year plan (次期支援計画書（案）): the proposals per workstream,
-- edited in place over the facts of the year.
CREATE TABLE program_proposals (
	fiscal_year BIGINT NOT NULL,
	workstream BIGINT NOT NULL,
	text TEXT NOT NULL DEFAULT '',
	updated_by_name TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL,
	PRIMARY KEY (fiscal_year, workstream)
);

-- Materials the ward lent to the contractor (貸与資料): what, how many,
-- from whom, where kept, and when returned or destroyed with the receipt.
CREATE TABLE program_loans (
	id {{pk}},
	fiscal_year BIGINT NOT NULL,
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	quantity TEXT NOT NULL DEFAULT '',
	lender TEXT NOT NULL DEFAULT '',
	received_on TEXT NOT NULL,
	received_by TEXT NOT NULL DEFAULT '',
	kept_at TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL DEFAULT 'lent',
	closed_on TEXT NOT NULL DEFAULT '',
	closed_note TEXT NOT NULL DEFAULT '',
	rev BIGINT NOT NULL DEFAULT 1,
	updated_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX program_loans_year ON program_loans (fiscal_year, state);

-- The deliverables register: the state of each module's deliverable of
-- the year (the documents themselves are generated when downloaded).
CREATE TABLE program_deliverables (
	fiscal_year BIGINT NOT NULL,
	module_key TEXT NOT NULL,
	doc_key TEXT NOT NULL,
	status TEXT NOT NULL,
	version TEXT NOT NULL DEFAULT '',
	delivered_on TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT '',
	updated_by_name TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL,
	PRIMARY KEY (fiscal_year, module_key, doc_key)
);
