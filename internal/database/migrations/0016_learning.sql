-- E-learning (issue 14). A course is one fiscal year's edition of a
-- training (code PRIV, MYNO, AUDIT …), loaded from content/learning or
-- copied from the year before; its variants (一般職員・システム担当者・
-- 管理職) share one course and one report. Questions are versioned: an
-- attempt pins the question rows (versions) it drew, so a corrected key
-- regrades that version in every attempt, and a rewritten question is a
-- new version that later attempts draw.
--
-- variants, categories: JSON [[key, label], …]; tests: JSON {variant:
-- [{"question": code} | {"category": key, "draw": n}, …]}.
CREATE TABLE learning_courses (
	id {{pk}},
	code TEXT NOT NULL,
	fiscal_year BIGINT NOT NULL,
	title TEXT NOT NULL,
	summary TEXT NOT NULL DEFAULT '',
	minutes BIGINT NOT NULL DEFAULT 60,
	pass_percent BIGINT NOT NULL DEFAULT 80,
	variants TEXT NOT NULL,
	categories TEXT NOT NULL,
	tests TEXT NOT NULL,
	rev BIGINT NOT NULL DEFAULT 1,
	updated_by_name TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL,
	UNIQUE (code, fiscal_year)
);

-- sections: JSON of the lesson's sections (heading, only, body, figure);
-- exercises: the exercise questions' codes, comma-separated; video: an
-- uploaded MP4 (blob) with the name it was uploaded under.
CREATE TABLE learning_lessons (
	id {{pk}},
	course_id BIGINT NOT NULL REFERENCES learning_courses(id),
	code TEXT NOT NULL,
	sort_order BIGINT NOT NULL,
	title TEXT NOT NULL,
	variants TEXT NOT NULL,
	minutes BIGINT NOT NULL,
	clauses TEXT NOT NULL DEFAULT '',
	domains TEXT NOT NULL DEFAULT '',
	sections TEXT NOT NULL,
	exercises TEXT NOT NULL DEFAULT '',
	video_blob BIGINT REFERENCES blobs(id),
	video_name TEXT NOT NULL DEFAULT '',
	UNIQUE (course_id, code)
);

-- options, answer: JSON. use_as: test or exercise.
CREATE TABLE learning_questions (
	id {{pk}},
	course_id BIGINT NOT NULL REFERENCES learning_courses(id),
	code TEXT NOT NULL,
	version BIGINT NOT NULL,
	is_current BOOLEAN NOT NULL DEFAULT TRUE,
	use_as TEXT NOT NULL,
	category TEXT NOT NULL,
	variants TEXT NOT NULL,
	kind TEXT NOT NULL,
	scenario TEXT NOT NULL DEFAULT '',
	body TEXT NOT NULL,
	options TEXT NOT NULL DEFAULT '',
	answer TEXT NOT NULL DEFAULT '',
	explanation TEXT NOT NULL,
	domains TEXT NOT NULL DEFAULT '',
	clauses TEXT NOT NULL DEFAULT '',
	UNIQUE (course_id, code, version)
);
CREATE INDEX learning_questions_current ON learning_questions (course_id, is_current);

-- A campaign assigns a course for a period; at its start one assignment
-- row per person of the roster (the variant chosen by the roster rule),
-- so completion is per (campaign, person) and a move in April keeps it.
CREATE TABLE learning_campaigns (
	id {{pk}},
	code TEXT NOT NULL UNIQUE,
	course_id BIGINT NOT NULL REFERENCES learning_courses(id),
	fiscal_year BIGINT NOT NULL,
	title TEXT NOT NULL,
	opens_on TEXT NOT NULL,
	closes_on TEXT NOT NULL,
	rev BIGINT NOT NULL DEFAULT 1,
	created_by_name TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

-- department_id: the person's department when assigned (the progress
-- reports group by it). best_percent: -1 before any test.
CREATE TABLE learning_assignments (
	id {{pk}},
	campaign_id BIGINT NOT NULL REFERENCES learning_campaigns(id),
	staff_id BIGINT NOT NULL REFERENCES staff(id),
	department_id BIGINT NOT NULL REFERENCES departments(id),
	variant TEXT NOT NULL,
	lessons_done BIGINT NOT NULL DEFAULT 0,
	attempts BIGINT NOT NULL DEFAULT 0,
	best_percent BIGINT NOT NULL DEFAULT -1,
	completed_at TEXT NOT NULL DEFAULT '',
	started_at TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL DEFAULT '',
	UNIQUE (campaign_id, staff_id)
);
CREATE INDEX learning_assignments_dept ON learning_assignments (campaign_id, department_id);
CREATE INDEX learning_assignments_staff ON learning_assignments (staff_id);

-- A lesson read (done_at) and the video position in milliseconds.
CREATE TABLE learning_progress (
	assignment_id BIGINT NOT NULL REFERENCES learning_assignments(id),
	lesson_id BIGINT NOT NULL REFERENCES learning_lessons(id),
	done_at TEXT NOT NULL DEFAULT '',
	video_ms BIGINT NOT NULL DEFAULT 0,
	updated_at TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (assignment_id, lesson_id)
);

-- One test attempt: the question rows it drew, in order (JSON ids), the
-- answers given (JSON) and the score; submitted_at empty while open.
CREATE TABLE learning_attempts (
	id {{pk}},
	assignment_id BIGINT NOT NULL REFERENCES learning_assignments(id),
	seq BIGINT NOT NULL,
	questions TEXT NOT NULL,
	answers TEXT NOT NULL DEFAULT '',
	score BIGINT NOT NULL DEFAULT 0,
	total BIGINT NOT NULL,
	percent BIGINT NOT NULL DEFAULT 0,
	passed BOOLEAN NOT NULL DEFAULT FALSE,
	started_at TEXT NOT NULL,
	submitted_at TEXT NOT NULL DEFAULT '',
	UNIQUE (assignment_id, seq)
);
