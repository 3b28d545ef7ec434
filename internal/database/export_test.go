package database

import "time"

// RebindFor exposes rebind to tests.
func RebindFor(d Dialect, q string) string { return rebind(d, q) }

func timeFixedForTest() time.Time {
	return time.Date(2026, 4, 1, 9, 30, 15, 123456789, time.FixedZone("JST", 9*3600))
}

// FixedTimeForTest is a fixed instant with sub-microsecond digits.
var FixedTimeForTest = timeFixedForTest
