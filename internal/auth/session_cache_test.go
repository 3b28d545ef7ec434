package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"mamori/internal/auth"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/web"
)

// Two services on one database stand for two instances behind a load
// balancer: each keeps sessions in memory, and what one ends or changes
// must reach the other within auth.SessionRecheck.
func TestKeptSessionsFollowRevocation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clk := &testClock{t: time.Now()}
		a, b := newService(t, db, clk), newService(t, db, clk)
		uid := addAccount(t, db, "kanri", web.RoleAuditor)
		role := func(s *auth.Service, tok string) web.Role {
			t.Helper()
			u, _, err := s.Session(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			if u == nil {
				return ""
			}
			return u.Role
		}
		// within waits until cond holds on b, and fails after a second.
		within := func(what string, cond func() bool) {
			t.Helper()
			start := time.Now()
			for !cond() {
				if time.Since(start) > time.Second {
					t.Fatalf("%s: the other instance still had the old session after %v", what, time.Since(start))
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		tok, err := a.StartSession(ctx, uid, false, "127.0.0.1", "t")
		if err != nil {
			t.Fatal(err)
		}
		if role(a, tok) != web.RoleAuditor || role(b, tok) != web.RoleAuditor {
			t.Fatal("a new session is not valid on both instances")
		}

		// A change of role made on a (in its transaction) is seen there at
		// once and on b within the recheck.
		err = db.WithTx(ctx, func(ctx context.Context) error {
			if _, err := db.Exec(ctx, "UPDATE users SET role = ? WHERE id = ?", string(web.RoleViewer), uid); err != nil {
				return err
			}
			return a.AccountChanged(ctx, uid)
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := role(a, tok); got != web.RoleViewer {
			t.Fatalf("instance that changed the role still serves %q", got)
		}
		within("role change", func() bool { return role(b, tok) == web.RoleViewer })

		// A change that is rolled back changes nothing.
		errBack := errors.New("back")
		err = db.WithTx(ctx, func(ctx context.Context) error {
			if _, err := db.Exec(ctx, "UPDATE users SET role = ? WHERE id = ?", string(web.RoleAdmin), uid); err != nil {
				return err
			}
			if err := a.AccountChanged(ctx, uid); err != nil {
				return err
			}
			return errBack
		})
		if !errors.Is(err, errBack) {
			t.Fatal(err)
		}
		if role(a, tok) != web.RoleViewer || role(b, tok) != web.RoleViewer {
			t.Fatal("a rolled-back role change was served")
		}

		// Logout on a: refused on a at once, on b within the recheck.
		if err := a.Logout(ctx, tok, false); err != nil {
			t.Fatal(err)
		}
		if role(a, tok) != "" {
			t.Fatal("the instance that logged out still accepts the session")
		}
		within("logout", func() bool { return role(b, tok) == "" })

		// Disabling the account (its sessions end) on b: refused on a.
		tok2, err := a.StartSession(ctx, uid, false, "127.0.0.1", "t")
		if err != nil {
			t.Fatal(err)
		}
		if role(a, tok2) == "" || role(b, tok2) == "" {
			t.Fatal("second session not valid")
		}
		err = db.WithTx(ctx, func(ctx context.Context) error {
			if _, err := db.Exec(ctx, "UPDATE users SET disabled = TRUE WHERE id = ?", uid); err != nil {
				return err
			}
			return b.EndSessions(ctx, uid, "")
		})
		if err != nil {
			t.Fatal(err)
		}
		if role(b, tok2) != "" {
			t.Fatal("the instance that disabled the account still accepts its session")
		}
		within("disable", func() bool { return role(a, tok2) == "" })

		// The idle timeout is still checked on every request, kept or not.
		if err := db.WithTx(ctx, func(ctx context.Context) error {
			_, err := db.Exec(ctx, "UPDATE users SET disabled = FALSE WHERE id = ?", uid)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		tok3, err := a.StartSession(ctx, uid, false, "127.0.0.1", "t")
		if err != nil {
			t.Fatal(err)
		}
		if role(a, tok3) == "" {
			t.Fatal("third session not valid")
		}
		clk.Add(31 * time.Minute)
		if role(a, tok3) != "" {
			t.Fatal("a kept session outlived the idle timeout")
		}
	})
}
