package gap

import (
	"testing"

	"mamori/internal/auditlog"
	"mamori/internal/database"
)

// What the screen tests in package gap_test share with the store tests.
var (
	Now      = now
	ColIndex = colIndex
)

// LoadFixture imports the small guideline and ward policy of
// fixture_test.go and returns the ids of the current guideline, its
// previous edition and the ward policy.
func LoadFixture(t *testing.T, db *database.DB, log *auditlog.Log) (guide, prev, ward int64) {
	t.Helper()
	ids := loadFixture(t, db, log)
	return ids.guide, ids.prev, ids.ward
}
