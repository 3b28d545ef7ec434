package blob_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mamori/internal/blob"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
)

func TestPutGetBothModes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		for _, mode := range []string{blob.Disk, blob.DB} {
			t.Run(mode, func(t *testing.T) {
				ctx := context.Background()
				dir := t.TempDir()
				s := blob.New(db, dir, mode, nil)
				data := []byte("職員番号,氏名\n000001,山田　太郎\n")
				b, err := s.Put(ctx, "名簿.csv", "text/csv", data, 0)
				if err != nil {
					t.Fatal(err)
				}
				if b.SHA256 != "" && len(b.SHA256) != 64 {
					t.Fatalf("sha %q", b.SHA256)
				}
				got, back, err := s.Get(ctx, b.ID)
				if err != nil || string(back) != string(data) || got.Filename != "名簿.csv" || got.Storage != mode {
					t.Fatalf("get: %v %q %+v", err, back, got)
				}
				if mode == blob.Disk {
					p := filepath.Join(dir, "blobs", b.SHA256[:2], b.SHA256[2:4], b.SHA256)
					if err := os.WriteFile(p, []byte("tampered"), 0o600); err != nil {
						t.Fatal(err)
					}
					if _, _, err := s.Get(ctx, b.ID); !errors.Is(err, blob.ErrCorrupt) {
						t.Fatalf("tampering not detected: %v", err)
					}
				}
				if _, _, err := s.Get(ctx, 999999); !errors.Is(err, database.ErrNotFound) {
					t.Fatalf("missing blob: %v", err)
				}
			})
		}
	})
}

// TestObjectKeyDestroy: an object's key made on first use, destroyed once
// (a second time is harmless), after which sealed files do not open and no
// new key is made; an object without a key gets a destroyed one.
func TestObjectKeyDestroy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		bin := "BLOB"
		if db.Dialect() == database.Postgres {
			bin = "BYTEA"
		}
		if _, err := db.Exec(ctx, "CREATE TABLE test_keys (obj_id BIGINT PRIMARY KEY, data_key "+bin+", created_at TEXT NOT NULL, destroyed_at TEXT NOT NULL DEFAULT '')"); err != nil {
			t.Fatal(err)
		}
		gone := errors.New("gone")
		now := time.Date(2027, 4, 10, 9, 0, 0, 0, time.UTC)
		key, err := blob.ObjectKey(ctx, db, "test_keys", "obj_id", 1, true, now, gone)
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := blob.Seal(key, []byte("現地写真"))
		if err != nil {
			t.Fatal(err)
		}
		if live, err := blob.DestroyObjectKey(ctx, db, "test_keys", "obj_id", 1, now); err != nil || !live {
			t.Fatalf("destroy: %v %v", live, err)
		}
		if live, err := blob.DestroyObjectKey(ctx, db, "test_keys", "obj_id", 1, now); err != nil || live {
			t.Fatalf("destroy again: %v %v", live, err)
		}
		if _, err := blob.ObjectKey(ctx, db, "test_keys", "obj_id", 1, true, now, gone); !errors.Is(err, gone) {
			t.Fatalf("a destroyed key came back: %v", err)
		}
		if at, err := blob.KeyDestroyedAt(ctx, db, "test_keys", "obj_id", 1); err != nil || !at.Equal(now) {
			t.Fatalf("destroyed at %v %v", at, err)
		}
		if _, err := blob.Unseal(make([]byte, 32), sealed); err == nil {
			t.Fatal("a sealed file opened with another key")
		}
		if _, err := blob.DestroyObjectKey(ctx, db, "test_keys", "obj_id", 2, now); err != nil {
			t.Fatal(err)
		}
		if _, err := blob.ObjectKey(ctx, db, "test_keys", "obj_id", 2, true, now, gone); !errors.Is(err, gone) {
			t.Fatalf("an object destroyed before any key got one: %v", err)
		}
	})
}
