// Package catalogtest sets the catalogue up for tests, the catalogue's
// own and those of the features built on it: content imported into a test
// database, a template's spreadsheet as the export serves it, and the
// audit-log entries of an action.
package catalogtest

import (
	"bytes"
	"context"
	"io/fs"
	"testing"
	"time"

	"mamori/content"
	"mamori/internal/auditlog"
	"mamori/internal/catalog"
	"mamori/internal/database"
)

// Import loads the catalogue in fsys (its frameworks and checklists) into
// db and returns the audit log it wrote to.
func Import(t testing.TB, db *database.DB, fsys fs.FS) *auditlog.Log {
	t.Helper()
	c, err := catalog.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	log := auditlog.New(db, nil)
	if _, err := catalog.Import(context.Background(), db, log, c, time.Now()); err != nil {
		t.Fatal(err)
	}
	return log
}

// Shipped imports the authored catalogue (content/catalog) into db and
// returns the template of kind.
func Shipped(t testing.TB, db *database.DB, kind string) (catalog.StoredTemplate, *auditlog.Log) {
	t.Helper()
	sub, err := fs.Sub(content.FS, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	log := Import(t, db, sub)
	ts, err := catalog.NewStore(db).Templates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range ts {
		if tm.Kind == kind {
			return tm, log
		}
	}
	t.Fatalf("no %s template", kind)
	return catalog.StoredTemplate{}, nil
}

// Exported is a template's spreadsheet as the export screen serves it.
func Exported(t testing.TB, db *database.DB, tm catalog.StoredTemplate) []byte {
	t.Helper()
	items, err := catalog.NewStore(db).Items(context.Background(), catalog.ItemFilter{TemplateID: tm.ID})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := catalog.WriteChecklistXLSX(&buf, catalog.ChecklistDocument(tm, items, "ひので区")); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// AuditCount is the number of audit-log entries of action.
func AuditCount(t testing.TB, db *database.DB, action string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE action = ?", action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
