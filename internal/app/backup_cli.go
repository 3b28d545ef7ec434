package app

import (
	"context"
	"fmt"
	"os"

	"mamori/internal/backup"
	"mamori/internal/config"
)

func (c CLI) backup(ctx context.Context, args []string) error {
	return c.runData(ctx, args, dataCommand{name: "backup", synopsis: "backup FILE [--db …] [--data DIR]", args: one,
		run: func(a *App, cfg config.Config, pos []string) error { return c.writeBackup(ctx, a, cfg, pos[0]) }})
}

func (c CLI) writeBackup(ctx context.Context, a *App, cfg config.Config, file string) error {
	if err := a.Log.Record(ctx, "backup.create", file, "バックアップを作成"); err != nil {
		return err
	}
	tmp := file + ".part"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	m, err := backup.Write(ctx, a.DB, cfg.Data, f, a.Now())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, file); err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "バックアップを作成しました: %s（職員 %d 人、所属 %d、監査ログ %d 件、ファイル %d 件）\n",
		file, m.Rows["staff"], m.Rows["departments"], m.Rows["audit_log"], m.Files)
	return nil
}

func (c CLI) restore(ctx context.Context, args []string) error {
	return c.runData(ctx, args, dataCommand{name: "restore", synopsis: "restore FILE [--db …] [--data DIR]（空のデータベースにだけ復元できます）", args: one,
		run: func(a *App, cfg config.Config, pos []string) error { return c.readBackup(ctx, a, cfg, pos[0]) }})
}

func (c CLI) readBackup(ctx context.Context, a *App, cfg config.Config, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("バックアップファイルを開けません: %s", file)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	m, err := backup.Restore(ctx, a.DB, cfg.Data, f, st.Size())
	if err != nil {
		return err
	}
	if err := a.Log.Record(ctx, "backup.restore", file, "バックアップ（"+m.CreatedAt+" 作成）から復元"); err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "復元しました（%s 作成、職員 %d 人、所属 %d、ファイル %d 件）。\n", m.CreatedAt, m.Rows["staff"], m.Rows["departments"], m.Files)
	return nil
}
