package app_test

import (
	"context"
	"testing"

	"mamori/internal/auditlog"
	"mamori/internal/webtest"
)

// TestModuleNames: every target kind a module names itself
// (auditlog.ModuleNamed) is registered by the app's modules, and its
// look-up runs on both databases' schema.
func TestModuleNames(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := webtest.Start(t, webtest.Options{DSN: dsn})
		for kind, mod := range auditlog.ModuleNamed {
			fn, ok := s.App.Names().Lookup(kind)
			if !ok {
				t.Errorf("target kind %s: module %s registers no name look-up", kind, mod)
				continue
			}
			if _, err := fn(context.Background(), []int64{1, 2, 2}); err != nil {
				t.Errorf("%s: %v", kind, err)
			}
		}
	})
}
