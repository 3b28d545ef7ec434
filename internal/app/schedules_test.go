package app_test

import (
	"archive/zip"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"mamori/internal/config"
	"mamori/internal/webtest"
)

// TestSchedulesPage: the administrator sees every recurring task (the
// nightly backup among them when --backup-dir is set), makes the backup
// run now, and the scheduler writes it, keeping the newest --backup-keep.
func TestSchedulesPage(t *testing.T) {
	dir := t.TempDir()
	s := webtest.Start(t, webtest.Options{Demo: true, Configure: func(c *config.Config) { c.BackupDir, c.BackupKeep = dir, 2 }})
	admin := s.As("admin")
	admin.Get("/admin/schedules").Want(http.StatusOK, "定時のバックアップ", "研修の未修了者への催促", "期限の切れたログインの削除", "毎日 2 時")
	s.As("consultant").Get("/admin/schedules").Want(http.StatusForbidden)
	admin.Post("/admin/schedules/run", url.Values{"name": {"nope"}}).Redirects("/admin/schedules")
	for i := 0; i < 3; i++ {
		admin.Post("/admin/schedules/run", url.Values{"name": {"backup.nightly"}}).Redirects("/admin/schedules")
		if _, err := s.Scheduler.Tick(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1100 * time.Millisecond) // one file name per second
	}
	files, _ := filepath.Glob(filepath.Join(dir, "mamori-*.zip"))
	if len(files) != 2 {
		t.Fatalf("%d backups kept, want 2", len(files))
	}
	zr, err := zip.OpenReader(files[1])
	if err != nil {
		t.Fatalf("the backup is not a zip: %v", err)
	}
	zr.Close()
	admin.Get("/admin/schedules").Want(http.StatusOK, "成功", "古いもの 1 件を削除")
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'job.run_soon'") != 3 || s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'backup.create'") != 3 {
		t.Error("the runs asked for and the backups are not all in the audit log")
	}
}
