package auth_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"mamori/internal/auth"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/web"
)

// TestParallelFailuresAllCount: failed logins sent in parallel (concurrent
// transactions on PostgreSQL) each count towards the throttle; a burst of
// guesses must not count as one.
func TestParallelFailuresAllCount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clk := &testClock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
		s := newService(t, db, clk)
		const logins, tries = 6, 4 // tries stays under the account threshold: none is refused unread
		for k := range logins {
			addAccount(t, db, fmt.Sprintf("guess%d", k), web.RoleStaff) // a wrong password, checked with the cheap hash
		}
		var wg sync.WaitGroup
		errs := make([]error, logins*tries)
		for i := range errs {
			wg.Go(func() {
				_, _, errs[i] = s.Login(ctx, fmt.Sprintf("guess%d", i%logins), "x", fmt.Sprintf("192.0.2.%d", i), "t")
			})
		}
		wg.Wait()
		for i, err := range errs {
			if !errors.Is(err, auth.ErrLoginFailed) {
				t.Fatalf("try %d: %v", i, err)
			}
		}
		for k := range logins {
			if n := count(t, db, "SELECT failures FROM login_throttle WHERE key = ?", fmt.Sprintf("account:guess%d", k)); n != tries {
				t.Errorf("guess%d: %d failures counted, want %d", k, n, tries)
			}
		}
	})
}
