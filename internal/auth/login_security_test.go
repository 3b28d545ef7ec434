package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"mamori/internal/auditlog"
	"mamori/internal/auth"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/testkit"
	"mamori/internal/web"
)

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// cheap keeps password hashing real (argon2id) but fast.
var cheap = auth.ArgonParams{Memory: 8 * 1024, Time: 1, Threads: 1}

func newService(t *testing.T, db *database.DB, clk *testClock) *auth.Service {
	t.Helper()
	return auth.New(db, auditlog.New(db, clk.Now), auth.Config{Argon: cheap}, clk.Now, nil)
}

// addAccount inserts an account with the password Correct-horse-42 (the
// accounts themselves are org's; a row is all login needs).
func addAccount(t *testing.T, db *database.DB, login string, role web.Role) int64 {
	t.Helper()
	now := database.T(time.Now())
	id, err := db.InsertID(context.Background(), `INSERT INTO users (login, display_name, role, password_hash, password_changed_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, login, login, string(role), auth.HashPassword("Correct-horse-42", cheap), now, now, now)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func count(t *testing.T, db *database.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestThrottledLoginsDoNotFloodTheAuditLog: a huge login name is never
// stored whole, and a blocked key records one entry per block, not one per
// refused try.
func TestThrottledLoginsDoNotFloodTheAuditLog(t *testing.T) {
	testkit.NoRace(t)
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clk := &testClock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
		s := newService(t, db, clk)
		huge := strings.Repeat("a", 1<<20)
		for i := 0; i < 5; i++ {
			if _, _, err := s.Login(ctx, huge, "x", "192.0.2.1", "t"); !errors.Is(err, auth.ErrLoginFailed) {
				t.Fatalf("try %d: %v", i, err)
			}
		}
		before := count(t, db, "SELECT COUNT(*) FROM audit_log")
		for i := 0; i < 8; i++ {
			if _, _, err := s.Login(ctx, huge, "x", "192.0.2.1", "t"); !errors.Is(err, auth.ErrLoginFailed) {
				t.Fatalf("throttled try %d: %v", i, err)
			}
		}
		if grown := count(t, db, "SELECT COUNT(*) FROM audit_log") - before; grown > 1 {
			t.Errorf("8 throttled tries added %d audit entries", grown)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'login.throttled'"); n != 1 {
			t.Errorf("throttled entries in the first block: %d", n)
		}
		// A new block (after the delay ran out and another failure) is
		// recorded again.
		clk.Add(time.Minute)
		_, _, _ = s.Login(ctx, huge, "x", "192.0.2.1", "t")
		for i := 0; i < 3; i++ {
			_, _, _ = s.Login(ctx, huge, "x", "192.0.2.1", "t")
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'login.throttled'"); n != 2 {
			t.Errorf("throttled entries after the second block: %d", n)
		}
		for _, col := range []string{"login", "target", "detail"} {
			if n := count(t, db, "SELECT COALESCE(MAX(LENGTH("+col+")), 0) FROM audit_log"); n > 200 {
				t.Errorf("audit_log.%s holds %d characters", col, n)
			}
		}
		if n := count(t, db, "SELECT COALESCE(MAX(LENGTH(key)), 0) FROM login_throttle"); n > 200 {
			t.Errorf("login_throttle.key holds %d characters", n)
		}
	})
}

// TestLoginSuccessResetsAddressCount: the per-address failure count of a
// shared office address starts again after a successful login.
func TestLoginSuccessResetsAddressCount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clk := &testClock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
		s := newService(t, db, clk)
		addAccount(t, db, "tanaka", web.RoleStaff)
		for i := 0; i < 3; i++ {
			_, _, _ = s.Login(ctx, "nobody", "x", "192.0.2.9", "t")
		}
		if _, _, err := s.Login(ctx, "tanaka", "Correct-horse-42", "192.0.2.9", "t"); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM login_throttle WHERE key = ?", "ip:192.0.2.9"); n != 0 {
			t.Errorf("address failures kept after a successful login")
		}
	})
}

// TestTOTPStepUsedOnce: a second-factor code completes one login only; an
// older code is refused too, a newer one works.
func TestTOTPStepUsedOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clk := &testClock{t: time.Now()}
		s := newService(t, db, clk)
		uid := addAccount(t, db, "boss", web.RoleAdmin)
		secret, _, err := s.BeginTOTP(ctx, uid)
		if err != nil {
			t.Fatal(err)
		}
		enrol, _ := totp.GenerateCode(secret, clk.Now())
		if err := s.ConfirmTOTP(ctx, uid, enrol); err != nil {
			t.Fatal(err)
		}
		verify := func(code string) error {
			tok, err := s.StartSession(ctx, uid, true, "192.0.2.1", "t")
			if err != nil {
				t.Fatal(err)
			}
			return s.VerifyTOTP(ctx, tok, code)
		}
		// The enrolment code is used up; the app's next code signs in once.
		if err := verify(enrol); err == nil {
			t.Fatal("the enrolment code also completed a login")
		}
		clk.Add(30 * time.Second)
		code, _ := totp.GenerateCode(secret, clk.Now())
		if err := verify(code); err != nil {
			t.Fatalf("first use: %v", err)
		}
		if err := verify(code); err == nil {
			t.Fatal("the same code completed a second login")
		}
		older, _ := totp.GenerateCode(secret, clk.Now().Add(-30*time.Second))
		if err := verify(older); err == nil {
			t.Fatal("an older code completed a login after a newer one")
		}
		clk.Add(30 * time.Second)
		next, _ := totp.GenerateCode(secret, clk.Now())
		if err := verify(next); err != nil {
			t.Fatalf("next step: %v", err)
		}
		// Turning the factor off and on again starts afresh.
		if err := s.DisableTOTP(ctx, uid); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM users WHERE id = ? AND totp_last_step = 0", uid); n != 1 {
			t.Error("totp_last_step kept after the factor was removed")
		}
	})
}

// TestSettingsCached: settings are read from memory for a short while;
// a change through the service is seen at once, a change by another
// instance within the TTL.
func TestSettingsCached(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clk := &testClock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
		a, b := newService(t, db, clk), newService(t, db, clk)
		req := func(s *auth.Service) bool {
			t.Helper()
			on, err := s.TOTPRequired(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return on
		}
		if req(a) || req(b) {
			t.Fatal("required by default")
		}
		if err := a.SetTOTPRequired(ctx, true); err != nil {
			t.Fatal(err)
		}
		if !req(a) {
			t.Error("own change not seen at once")
		}
		if req(b) {
			t.Error("other instance did not cache the setting")
		}
		clk.Add(auth.SettingsTTL + time.Second)
		if !req(b) {
			t.Error("other instance still stale after the TTL")
		}
		// A write outside the service is not seen until the TTL runs out.
		if !req(a) {
			t.Fatal("own change lost")
		}
		if _, err := db.Exec(ctx, "UPDATE settings SET value = '0' WHERE key = 'totp_required_privileged'"); err != nil {
			t.Fatal(err)
		}
		if !req(a) {
			t.Error("setting read from the database although cached")
		}
		clk.Add(auth.SettingsTTL)
		if req(a) {
			t.Error("cached past the TTL")
		}
		// A change rolled back never reaches the cache, and a value read
		// inside the transaction is not kept.
		rollback := errors.New("rollback")
		err := db.WithTx(ctx, func(ctx context.Context) error {
			if err := a.SetTOTPRequired(ctx, true); err != nil {
				return err
			}
			if on, err := a.TOTPRequired(ctx); err != nil || !on {
				t.Errorf("inside the transaction: %v %v", on, err)
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		if req(a) {
			t.Error("rolled-back value served")
		}
	})
}
