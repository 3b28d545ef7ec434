-- A version's provision tree (tens of kilobytes of JSON) moves out of the
-- policy_versions row into a table of its own. In the row it sat between
-- the small columns, so every list of versions (the /policy index, a
-- document's history) read through the tree's overflow pages to reach the
-- dates after it; now lists read only the small rows and the tree is read
-- when a version is opened.
CREATE TABLE policy_version_trees (
	version_id BIGINT PRIMARY KEY REFERENCES policy_versions(id),
	tree TEXT NOT NULL
);
INSERT INTO policy_version_trees (version_id, tree) SELECT id, tree FROM policy_versions;
ALTER TABLE policy_versions DROP COLUMN tree;
