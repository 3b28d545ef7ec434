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
