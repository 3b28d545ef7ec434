package database

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// timeLayout is how every timestamp is stored: UTC text with microseconds,
// which sorts correctly and reads back identically on SQLite and PostgreSQL.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// Time is a timestamp column stored as UTC text (see timeLayout). The zero
// Time is stored as NULL.
type Time struct{ time.Time }

// T wraps t for use as a query argument, truncated to microseconds in UTC.
func T(t time.Time) Time { return Time{t.UTC().Truncate(time.Microsecond)} }

// FormatTime formats t the way it is stored.
func FormatTime(t time.Time) string { return t.UTC().Truncate(time.Microsecond).Format(timeLayout) }

// ParseTime reads a time as FormatTime stores it in a TEXT column; empty
// or unreadable is the zero time.
func ParseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	var t Time
	if t.parse(s) != nil {
		return time.Time{}
	}
	return t.Time
}

// Value implements driver.Valuer.
func (t Time) Value() (driver.Value, error) {
	if t.IsZero() {
		return nil, nil
	}
	return FormatTime(t.Time), nil
}

// Scan implements sql.Scanner.
func (t *Time) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		t.Time = time.Time{}
		return nil
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	case time.Time:
		t.Time = v.UTC()
		return nil
	}
	return fmt.Errorf("database.Time: cannot scan %T", src)
}

func (t *Time) parse(s string) error {
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	p, err := time.Parse(timeLayout, s)
	if err != nil {
		p, err = time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("database.Time: %w", err)
		}
	}
	t.Time = p.UTC()
	return nil
}
