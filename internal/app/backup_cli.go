package app

import (
	"context"
	"fmt"
	"os"

	"mamori/internal/backup"
)

func (c CLI) backup(ctx context.Context, args []string) error {
	cfg := loadConfig()
	fs := c.flags("backup", "backup FILE [--db …] [--data DIR]", &cfg)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitError(2)
	}
	a, err := c.open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Log.Record(ctx, "backup.create", pos[0], "バックアップを作成"); err != nil {
		return err
	}
	tmp := pos[0] + ".part"
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
	if err := os.Rename(tmp, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "バックアップを作成しました: %s（職員 %d 人、所属 %d、監査ログ %d 件、ファイル %d 件）\n",
		pos[0], m.Rows["staff"], m.Rows["departments"], m.Rows["audit_log"], m.Files)
	return nil
}

func (c CLI) restore(ctx context.Context, args []string) error {
	cfg := loadConfig()
	fs := c.flags("restore", "restore FILE [--db …] [--data DIR]（空のデータベースにだけ復元できます）", &cfg)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitError(2)
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return fmt.Errorf("バックアップファイルを開けません: %s", pos[0])
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	a, err := c.open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	m, err := backup.Restore(ctx, a.DB, cfg.Data, f, st.Size())
	if err != nil {
		return err
	}
	if err := a.Log.Record(ctx, "backup.restore", pos[0], "バックアップ（"+m.CreatedAt+" 作成）から復元"); err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "復元しました（%s 作成、職員 %d 人、所属 %d、ファイル %d 件）。\n", m.CreatedAt, m.Rows["staff"], m.Rows["departments"], m.Files)
	return nil
}
