package blob_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

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
