package testkit

import "sync"

// Together runs fn(k) for every k < n on goroutines of their own, released
// at the same moment, and returns their errors by k: the concurrency tests
// use it to send the same change in from several people at once (on
// PostgreSQL the transactions then really run side by side).
func Together(n int, fn func(k int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for k := range n {
		wg.Go(func() {
			<-start
			errs[k] = fn(k)
		})
	}
	close(start)
	wg.Wait()
	return errs
}
