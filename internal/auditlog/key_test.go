package auditlog_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
)

var fixed = func() time.Time { return time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC) }

// rechainPlain is what someone who can write the database but has no key
// does after changing rows: recompute every hash with plain SHA-256 (the
// formula is in the source) and fix the head. chain, when >= 0, is also
// written into every row.
func rechainPlain(t *testing.T, db *database.DB, chain int) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Query(ctx, "SELECT id, at, COALESCE(user_id, 0), login, action, target, detail, ip FROM audit_log ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id, uid                           int64
		at                                database.Time
		login, action, target, detail, ip string
	}
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.at, &r.uid, &r.login, &r.action, &r.target, &r.detail, &r.ip); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	rows.Close()
	prev := ""
	for _, r := range rs {
		s := fmt.Sprintf("%s|%d|%s|%d|%q|%q|%q|%q|%q", prev, r.id, database.FormatTime(r.at.Time), r.uid, r.login, r.action, r.target, r.detail, r.ip)
		sum := sha256.Sum256([]byte(s))
		h := hex.EncodeToString(sum[:])
		if _, err := db.Exec(ctx, "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?", prev, h, r.id); err != nil {
			t.Fatal(err)
		}
		if chain >= 0 {
			if _, err := db.Exec(ctx, "UPDATE audit_log SET chain = ? WHERE id = ?", chain, r.id); err != nil {
				t.Fatal(err)
			}
		}
		prev = h
	}
	if _, err := db.Exec(ctx, "UPDATE audit_head SET last_id = ?, last_hash = ? WHERE id = 1", rs[len(rs)-1].id, prev); err != nil {
		t.Fatal(err)
	}
}

// TestRewriteWithoutKeyIsFound: rewriting an entry and recomputing the
// whole chain with plain SHA-256 (what today's unkeyed chain allows) is
// found, whether the rows keep saying they are keyed or claim the old form.
func TestRewriteWithoutKeyIsFound(t *testing.T) {
	cases := []struct {
		name   string
		chain  int
		reason string
	}{
		{"rows still marked keyed", -1, "改ざん"},
		{"rows marked as the old unkeyed form", 0, "鍵なしの形式"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *database.DB) {
				ctx := context.Background()
				l := auditlog.New(db, fixed, keyFile(t))
				fill(t, l, 6)
				if _, err := db.Exec(ctx, "UPDATE audit_log SET detail = '氏名を変更していない' WHERE id = 3"); err != nil {
					t.Fatal(err)
				}
				rechainPlain(t, db, c.chain)
				_, br, err := l.Verify(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if br == nil || br.ID != 1 || !strings.Contains(br.Reason, c.reason) {
					t.Fatalf("want break at 1 (%s), got %+v", c.reason, br)
				}
			})
		})
	}
}

// TestLegacyEntriesStillVerify: entries written with the old unkeyed hash
// (before the upgrade) verify, and the chain continues keyed after them.
func TestLegacyEntriesStillVerify(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		old := auditlog.New(db, fixed)
		fill(t, old, 3)
		key := keyFile(t)
		l := auditlog.New(db, fixed, key)
		fill(t, l, 3)
		r, err := l.Check(ctx, nil)
		if err != nil || r.Break != nil || r.Checked != 6 || r.Legacy != 3 || r.KeyID == "" {
			t.Fatalf("mixed chain: %+v %v", r, err)
		}
		// After the seal nobody can go back to writing unkeyed entries.
		if err := old.Record(ctx, "x", "", ""); !isKeyError(err, "鍵ファイルが指定されていません") {
			t.Fatalf("unkeyed write after the seal: %v", err)
		}
		if _, _, err := old.Verify(ctx); !isKeyError(err, "鍵ファイルが指定されていません") {
			t.Fatalf("unkeyed verify after the seal: %v", err)
		}
		// Moving the seal so that keyed entries pass for old ones is found.
		if _, err := db.Exec(ctx, "UPDATE audit_head SET keyed_from = 7"); err != nil {
			t.Fatal(err)
		}
		if _, br, err := auditlog.New(db, fixed, key).Verify(ctx); err != nil || br == nil || !strings.Contains(br.Reason, "封印") {
			t.Fatalf("moved seal: %v %v", br, err)
		}
	})
}

func isKeyError(err error, text string) bool {
	var ke *auditlog.KeyError
	return errors.As(err, &ke) && strings.Contains(ke.Msg, text)
}

// TestKeyFile: the key file is made on the first keyed entry, private, and
// a wrong or missing key is told apart from tampering, in Japanese.
func TestKeyFile(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		path := filepath.Join(dir, "sub", "auditlog.key")
		l := auditlog.New(db, fixed, auditlog.KeyFile(path))
		if err := l.CheckKey(ctx); err != nil {
			t.Fatalf("unsealed chain: %v", err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("key made before it was needed: %v", err)
		}
		fill(t, l, 3)
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("key file mode %v", st.Mode().Perm())
		}
		raw, _ := os.ReadFile(path)
		if len(bytes.TrimSpace(raw)) != 64 {
			t.Fatalf("key file %q", raw)
		}

		// (c) the same key file, read afresh, verifies.
		if n, br, err := auditlog.New(db, fixed, auditlog.KeyFile(path)).Verify(ctx); err != nil || br != nil || n != 3 {
			t.Fatalf("same key: n=%d %v %v", n, br, err)
		}
		// (d) another key: a clear Japanese error, not a break.
		other := filepath.Join(dir, "other.key")
		if err := os.WriteFile(other, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		wrong := auditlog.New(db, fixed, auditlog.KeyFile(other))
		if _, br, err := wrong.Verify(ctx); !isKeyError(err, "監査ログの鍵が一致しません") || br != nil {
			t.Fatalf("wrong key: %v %v", br, err)
		}
		if err := wrong.CheckKey(ctx); !isKeyError(err, "一致しません") {
			t.Fatalf("CheckKey with the wrong key: %v", err)
		}
		if err := wrong.Record(ctx, "x", "", ""); !isKeyError(err, "一致しません") {
			t.Fatalf("write with the wrong key: %v", err)
		}
		missing := auditlog.New(db, fixed, auditlog.KeyFile(filepath.Join(dir, "none.key")))
		if _, _, err := missing.Verify(ctx); !isKeyError(err, "がありません") {
			t.Fatalf("missing key: %v", err)
		}
		if err := missing.Record(ctx, "x", "", ""); !isKeyError(err, "がありません") {
			t.Fatalf("write without the key file: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "none.key")); !errors.Is(err, os.ErrNotExist) {
			t.Fatal("a new key was made for a sealed chain")
		}
		short := filepath.Join(dir, "short.key")
		_ = os.WriteFile(short, []byte("secret"), 0o600)
		if _, _, err := auditlog.New(db, fixed, auditlog.KeyFile(short)).Verify(ctx); !isKeyError(err, "短すぎます") {
			t.Fatalf("short key: %v", err)
		}
		// None of the refused writes reached the log.
		if n, br, err := l.Verify(ctx); err != nil || br != nil || n != 3 {
			t.Fatalf("after refused writes: n=%d %v %v", n, br, err)
		}
	})
}

func anchorNow(t *testing.T, l *auditlog.Log) *auditlog.Anchor {
	t.Helper()
	a, err := l.Anchor(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := a.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := auditlog.ReadAnchor(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// TestAnchor: the signed head kept outside finds a cut-off tail with the
// head fixed, and a whole chain rewritten in the old form with the seal
// removed, neither of which the chain alone can show.
func TestAnchor(t *testing.T) {
	cases := []struct {
		name    string
		tamper  func(t *testing.T, db *database.DB)
		brokeAt int64
		reason  string
	}{
		{"intact, more entries since", nil, 0, ""},
		{"tail cut and head fixed", func(t *testing.T, db *database.DB) {
			ctx := context.Background()
			var h string
			if err := db.QueryRow(ctx, "SELECT hash FROM audit_log WHERE id = 4").Scan(&h); err != nil {
				t.Fatal(err)
			}
			mustExec(t, db, "DELETE FROM audit_log WHERE id > 4")
			mustExec(t, db, "UPDATE audit_head SET last_id = 4, last_hash = ? WHERE id = 1", h)
		}, 5, "末尾のエントリが削除されています"},
		{"tail cut, head fixed, new entries written", func(t *testing.T, db *database.DB) {
			var h string
			if err := db.QueryRow(context.Background(), "SELECT hash FROM audit_log WHERE id = 4").Scan(&h); err != nil {
				t.Fatal(err)
			}
			mustExec(t, db, "DELETE FROM audit_log WHERE id > 4")
			mustExec(t, db, "UPDATE audit_head SET last_id = 4, last_hash = ? WHERE id = 1", h)
		}, 6, "ハッシュが変わっています"},
		{"rewritten in the old form, seal removed", func(t *testing.T, db *database.DB) {
			mustExec(t, db, "UPDATE audit_log SET detail = '書き換え' WHERE id = 2")
			rechainPlain(t, db, 0)
			mustExec(t, db, "UPDATE audit_head SET keyed_from = 0, key_id = '', key_mac = ''")
		}, 6, "ハッシュが変わっています"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *database.DB) {
				ctx := context.Background()
				key := keyFile(t)
				l := auditlog.New(db, fixed, key)
				fill(t, l, 6)
				a := anchorNow(t, l)
				if a.ID != 6 {
					t.Fatalf("anchor %+v", a)
				}
				if c.tamper != nil {
					c.tamper(t, db)
				}
				if c.name == "tail cut, head fixed, new entries written" {
					fill(t, l, 3)
				}
				// A fresh Log, as `mamori auditlog verify` makes.
				l = auditlog.New(db, fixed, key)
				r, err := l.Check(ctx, a)
				if err != nil {
					t.Fatal(err)
				}
				if c.brokeAt == 0 {
					if r.Break != nil {
						t.Fatalf("intact chain: %v", r.Break)
					}
					return
				}
				if r.Break == nil || r.Break.ID != c.brokeAt || !strings.Contains(r.Break.Reason, c.reason) {
					t.Fatalf("want break at %d (%s), got %+v", c.brokeAt, c.reason, r.Break)
				}
			})
		})
	}
}

// TestAnchorFile: an edited anchor, or one made with another key, is
// refused rather than trusted.
func TestAnchorFile(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		l := auditlog.New(db, fixed, keyFile(t))
		fill(t, l, 4)
		a := anchorNow(t, l)
		edited := *a
		edited.ID = 2
		if _, err := l.Check(ctx, &edited); err == nil || !strings.Contains(err.Error(), "署名が正しくありません") {
			t.Fatalf("edited anchor: %v", err)
		}
		// An anchor of another database with another key.
		db2 := dbtest.Open(t, dbtest.Backend{Name: "sqlite", DSN: filepath.Join(t.TempDir(), "other.db")})
		l2 := auditlog.New(db2, fixed, keyFile(t))
		fill(t, l2, 1)
		if _, err := l.Check(ctx, anchorNow(t, l2)); !isKeyError(err, "別の鍵") {
			t.Fatalf("foreign anchor: %v", err)
		}
		if _, err := auditlog.ReadAnchor(strings.NewReader(`{"id": 3}`)); err == nil {
			t.Fatal("not an anchor accepted")
		}
	})
}

// TestCommands runs the functions behind `mamori auditlog anchor|verify`.
func TestCommands(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		key := keyFile(t)
		l := auditlog.New(db, fixed, key)
		fill(t, l, 3)
		file := filepath.Join(t.TempDir(), "anchor.json")
		var out bytes.Buffer
		if err := auditlog.RunAnchor(ctx, l, file, &out); err != nil || !strings.Contains(out.String(), "アンカーを作成しました") {
			t.Fatalf("anchor: %v %s", err, out.String())
		}
		// The anchoring itself is in the log and covered by the anchor.
		es, _, err := l.List(ctx, auditlog.Filter{Action: "auditlog.anchor"})
		if err != nil || len(es) != 1 || es[0].ID != 4 || es[0].Target != file {
			t.Fatalf("anchor entry: %+v %v", es, err)
		}
		out.Reset()
		if err := auditlog.RunVerify(ctx, auditlog.New(db, fixed, key), file, &out); err != nil ||
			!strings.Contains(out.String(), "正常です（4 件") || !strings.Contains(out.String(), "ID 4 まで）とも一致しました") {
			t.Fatalf("verify --anchor: %v %s", err, out.String())
		}
		var h string
		_ = db.QueryRow(ctx, "SELECT hash FROM audit_log WHERE id = 3").Scan(&h)
		mustExec(t, db, "DELETE FROM audit_log WHERE id = 4")
		mustExec(t, db, "UPDATE audit_head SET last_id = 3, last_hash = ? WHERE id = 1", h)
		out.Reset()
		if err := auditlog.RunVerify(ctx, auditlog.New(db, fixed, key), "", &out); err != nil || !strings.Contains(out.String(), "--anchor") {
			t.Fatalf("verify without the anchor cannot see the cut: %v %s", err, out.String())
		}
		var br *auditlog.Break
		if err := auditlog.RunVerify(ctx, auditlog.New(db, fixed, key), file, &out); !errors.As(err, &br) || !strings.Contains(err.Error(), "ID 4") {
			t.Fatalf("verify --anchor after the cut: %v", err)
		}
		if err := auditlog.RunVerify(ctx, l, filepath.Join(t.TempDir(), "none.json"), &out); err == nil || !strings.Contains(err.Error(), "開けません") {
			t.Fatalf("missing anchor file: %v", err)
		}
	})
}

func mustExec(t *testing.T, db *database.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(context.Background(), q, args...); err != nil {
		t.Fatal(err)
	}
}
