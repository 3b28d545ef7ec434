package auditlog_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
)

// keyFile keys a Log with a new key file in a temporary folder.
func keyFile(t *testing.T) auditlog.Option {
	return auditlog.KeyFile(filepath.Join(t.TempDir(), "auditlog.key"))
}

func fill(t *testing.T, l *auditlog.Log, n int) {
	t.Helper()
	ctx := auditlog.WithActor(context.Background(), auditlog.Actor{UserID: 0, Login: "admin", IP: "127.0.0.1"})
	for i := 0; i < n; i++ {
		if err := l.Record(ctx, "staff.update", "staff:"+string(rune('A'+i)), "氏名を変更"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	cases := []struct {
		name    string
		tamper  string
		brokeAt int64
		reason  string
	}{
		{"intact", "", 0, ""},
		{"altered detail", "UPDATE audit_log SET detail = '書き換え' WHERE id = 3", 3, "改ざん"},
		{"altered hash too", "UPDATE audit_log SET detail = 'x', hash = 'y' WHERE id = 2", 2, "改ざん"},
		{"relinked", "UPDATE audit_log SET prev_hash = 'zz' WHERE id = 3", 3, "直前"},
		{"deleted middle", "DELETE FROM audit_log WHERE id = 4", 5, "削除"},
		{"deleted tail", "DELETE FROM audit_log WHERE id = 6", 6, "末尾"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *database.DB) {
				ctx := context.Background()
				l := auditlog.New(db, func() time.Time { return time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC) }, keyFile(t))
				fill(t, l, 6)
				if c.tamper != "" {
					if _, err := db.Exec(ctx, c.tamper); err != nil {
						t.Fatal(err)
					}
				}
				n, br, err := l.Verify(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if c.brokeAt == 0 {
					if br != nil || n != 6 {
						t.Fatalf("n=%d break=%v", n, br)
					}
					return
				}
				if br == nil || br.ID != c.brokeAt || !strings.Contains(br.Reason, c.reason) {
					t.Fatalf("want break at %d (%s), got %+v", c.brokeAt, c.reason, br)
				}
			})
		})
	}
}

func TestRecordRollsBackWithTx(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		l := auditlog.New(db, nil, keyFile(t))
		_ = db.WithTx(ctx, func(ctx context.Context) error {
			if err := l.Record(ctx, "x", "", ""); err != nil {
				t.Fatal(err)
			}
			return context.Canceled
		})
		fill(t, l, 2)
		entries, total, err := l.List(ctx, auditlog.Filter{Action: "staff."})
		if err != nil || total != 2 || len(entries) != 2 || entries[0].ID != 2 {
			t.Fatalf("total=%d entries=%+v err=%v", total, entries, err)
		}
		if _, br, _ := l.Verify(ctx); br != nil {
			t.Fatalf("chain broken after rollback: %v", br)
		}
	})
}
