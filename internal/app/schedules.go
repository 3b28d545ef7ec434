package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"mamori/internal/backup"
	"mamori/internal/jobs"
	"mamori/internal/jp"
	"mamori/internal/module"
)

// addSchedules registers the recurring tasks: the platform's own (expired
// sessions, the nightly backup when --backup-dir is set) and every
// module's (module.Scheduled).
func (a *App) addSchedules() {
	a.Scheduler.Add(jobs.Schedule{Name: "sessions.purge", Label: "期限の切れたログインの削除", Every: 5 * time.Minute,
		Run: func(ctx context.Context) (string, error) {
			return "期限の切れたログインを削除しました。", a.Auth.PurgeSessions(ctx)
		}})
	if a.Config.BackupDir != "" {
		a.Scheduler.Add(jobs.Schedule{Name: "backup.nightly", Label: fmt.Sprintf("定時のバックアップ（%s、%d 世代）", a.Config.BackupDir, a.Config.BackupKeep),
			Daily: a.Config.BackupHour, Run: a.nightlyBackup})
	}
	for _, m := range a.Modules {
		if s, ok := m.(module.Scheduled); ok {
			a.Scheduler.Add(s.Schedules()...)
		}
	}
}

// backupPrefix names the nightly backups (mamori-20261205-0200.zip).
const backupPrefix = "mamori-"

// nightlyBackup writes a backup into the backup folder and keeps the
// newest BackupKeep of them.
func (a *App) nightlyBackup(ctx context.Context) (string, error) {
	dir := a.Config.BackupDir
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	now := a.Now()
	file := filepath.Join(dir, backupPrefix+now.In(jp.JST).Format("20060102-150405")+".zip")
	if err := backup.RunBackup(ctx, a.DB, a.Log, a.BackupTables(), a.Config.Data, file, now, io.Discard); err != nil {
		return "", err
	}
	old, err := filepath.Glob(filepath.Join(dir, backupPrefix+"*.zip"))
	if err != nil {
		return "", err
	}
	sort.Strings(old)
	removed := 0
	for len(old) > max(a.Config.BackupKeep, 1) {
		if err := os.Remove(old[0]); err != nil {
			return "", err
		}
		old, removed = old[1:], removed+1
	}
	st, err := os.Stat(file)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s（%.1f MB）を作成し、古いもの %d 件を削除しました。保存中 %d 件。", filepath.Base(file), float64(st.Size())/(1<<20), removed, len(old)), nil
}
