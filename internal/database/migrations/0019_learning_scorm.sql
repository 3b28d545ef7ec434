-- Vendor courses as SCORM packages (issue 14). A course whose
-- scorm_package is set is taken through the package instead of lessons
-- and a test; re-importing makes a new package row (the learners'
-- suspend data belongs to the package it was saved by). The ZIP is one
-- blob, served by entry name. warnings: JSON list of what the import
-- checks found.
CREATE TABLE learning_scorm_packages (
	id {{pk}},
	course_id BIGINT NOT NULL REFERENCES learning_courses(id),
	version TEXT NOT NULL,
	identifier TEXT NOT NULL DEFAULT '',
	title TEXT NOT NULL,
	launch TEXT NOT NULL,
	mastery BIGINT NOT NULL DEFAULT -1,
	launch_data TEXT NOT NULL DEFAULT '',
	blob_id BIGINT NOT NULL REFERENCES blobs(id),
	file_name TEXT NOT NULL,
	files BIGINT NOT NULL,
	bytes BIGINT NOT NULL,
	warnings TEXT NOT NULL DEFAULT '[]',
	imported_by_name TEXT NOT NULL DEFAULT '',
	imported_at TEXT NOT NULL
);
ALTER TABLE learning_courses ADD COLUMN scorm_package BIGINT NOT NULL DEFAULT 0;

-- The run-time data of one learner in a package: the status as the SCO
-- reported it, the score, the location and suspend data to resume, the
-- total time, and the other cmi elements it set (JSON).
CREATE TABLE learning_scorm_state (
	assignment_id BIGINT NOT NULL REFERENCES learning_assignments(id),
	package_id BIGINT NOT NULL REFERENCES learning_scorm_packages(id),
	status TEXT NOT NULL DEFAULT 'not attempted',
	success TEXT NOT NULL DEFAULT 'unknown',
	score_raw TEXT NOT NULL DEFAULT '',
	score_percent BIGINT NOT NULL DEFAULT -1,
	location TEXT NOT NULL DEFAULT '',
	suspend_data TEXT NOT NULL DEFAULT '',
	total_seconds BIGINT NOT NULL DEFAULT 0,
	sessions BIGINT NOT NULL DEFAULT 0,
	data TEXT NOT NULL DEFAULT '{}',
	updated_at TEXT NOT NULL,
	PRIMARY KEY (assignment_id, package_id)
);
