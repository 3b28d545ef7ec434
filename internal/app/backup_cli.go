package app

import (
	"context"

	"mamori/internal/backup"
	"mamori/internal/config"
	"mamori/internal/module"
)

func (c CLI) backup(ctx context.Context, args []string) error {
	return c.runData(ctx, args, dataCommand{name: "backup", synopsis: "backup FILE [--db …] [--data DIR]（監査ログの鍵ファイル auditlog.key は含まれません。別に保管してください）", args: one,
		run: func(a *App, cfg config.Config, pos []string) error { return c.writeBackup(ctx, a, cfg, pos[0]) }})
}

func (c CLI) writeBackup(ctx context.Context, a *App, cfg config.Config, file string) error {
	return backup.RunBackup(ctx, a.DB, a.Log, a.BackupTables(), cfg.Data, file, a.Now(), c.Stdout)
}

func (c CLI) restore(ctx context.Context, args []string) error {
	return c.runData(ctx, args, dataCommand{name: "restore", synopsis: "restore FILE [--db …] [--data DIR] [--audit-key-file 元の鍵ファイル]（空のデータベースにだけ復元できます）", args: one,
		run: func(a *App, cfg config.Config, pos []string) error { return c.readBackup(ctx, a, cfg, pos[0]) }})
}

func (c CLI) readBackup(ctx context.Context, a *App, cfg config.Config, file string) error {
	return backup.RunRestore(ctx, a.DB, a.Log, a.BackupTables(), cfg.Data, file, c.Stdout)
}

// BackupTables is the deployment's tables in backup order: each module's
// own (module.Tabler) in module order, between the platform's.
func (a *App) BackupTables() []string {
	var lists [][]string
	for _, m := range a.Modules {
		if tb, ok := m.(module.Tabler); ok {
			lists = append(lists, tb.Tables())
		}
	}
	return backup.Order(lists...)
}

// BackupTables lists the tables of the modules as built (without a
// database), for tests of backup and restore.
func BackupTables() []string { return (&App{Modules: (&App{}).modules(module.Deps{})}).BackupTables() }
