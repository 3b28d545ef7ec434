package improve_test

import (
	"fmt"
	"sync"
	"testing"

	"mamori/internal/improve"
	"mamori/internal/webtest"
)

// TestEditsAndStatusInFlightTogether: an action edited on the register and
// refreshed by its source by several people while its owner starts it: on
// PostgreSQL (READ COMMITTED, many connections) these transactions
// interleave, which SQLite's single writer hides. The status change is
// kept (no edit writes back the status it read before), and the history
// ends with it.
func TestEditsAndStatusInFlightTogether(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn)
		for round := range 8 {
			ref := fmt.Sprint("race-", round)
			id := f.upsert(t, finding(ref, f.juki))
			const n = 9
			errs := make([]error, n)
			var wg sync.WaitGroup
			for k := range n {
				wg.Go(func() {
					in := finding(ref, f.juki)
					in.Title = fmt.Sprintf("窓口端末の自動画面ロックの設定（%d）", k)
					switch {
					case k == n/2:
						errs[k] = f.store.SetStatus(f.ctx, id, improve.StatusInProgress, "設定を依頼した。", admin)
					case k%2 == 0:
						_, _, errs[k] = f.store.Upsert(f.ctx, in)
					default:
						_, errs[k] = f.store.Update(f.ctx, id, in, admin)
					}
				})
			}
			wg.Wait()
			for k, err := range errs {
				if err != nil {
					t.Errorf("round %d, call %d: %v", round, k, err)
				}
			}
			a, err := f.store.Get(f.ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if a.Status != improve.StatusInProgress || a.ProgressNote != "設定を依頼した。" {
				t.Errorf("round %d: the action is %s「%s」 after it was started", round, a.Status, a.ProgressNote)
			}
		}
	})
}
