package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
)

// RunBackup is `mamori backup FILE`: it records the backup in the audit
// log, writes the archive next to file and renames it into place, and
// reports to w. The audit-log key is not in the archive.
func RunBackup(ctx context.Context, db *database.DB, log *auditlog.Log, tables []string, dataDir, file string, now time.Time, w io.Writer) error {
	if err := log.Record(ctx, "backup.create", file, "バックアップを作成"); err != nil {
		return err
	}
	tmp := file + ".part"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	m, err := Write(ctx, db, tables, dataDir, f, now)
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
	fmt.Fprintf(w, "バックアップを作成しました: %s（職員 %d 人、所属 %d、監査ログ %d 件、ファイル %d 件）\n",
		file, m.Rows["staff"], m.Rows["departments"], m.Rows["audit_log"], m.Files)
	fmt.Fprintln(w, "監査ログの鍵ファイル（既定: データフォルダの auditlog.key）はバックアップに含まれません。別に保管してください。")
	return nil
}

// RunRestore is `mamori restore FILE`: it restores the archive into the
// empty database (rows are copied as they are, so no key is needed) and
// then records the restore in the audit log, which needs the original
// key: without it the data is restored but the command fails, saying how
// to put the key in place.
func RunRestore(ctx context.Context, db *database.DB, log *auditlog.Log, tables []string, dataDir, file string, w io.Writer) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("バックアップファイルを開けません: %s", file)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	m, err := Restore(ctx, db, tables, dataDir, f, st.Size())
	if err != nil {
		return err
	}
	done := fmt.Sprintf("復元しました（%s 作成、職員 %d 人、所属 %d、ファイル %d 件）。", m.CreatedAt, m.Rows["staff"], m.Rows["departments"], m.Files)
	err = log.Record(ctx, "backup.restore", file, "バックアップ（"+m.CreatedAt+" 作成）から復元")
	var ke *auditlog.KeyError
	if errors.As(err, &ke) {
		return fmt.Errorf("データは%sただし、監査ログに復元の記録を書き込めません。%s 鍵ファイルを置いてから mamori auditlog verify で確かめてください", done, ke.Msg)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(w, done)
	return nil
}
