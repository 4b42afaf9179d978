package sqlerr

import (
	"context"
	"math/rand/v2"
	"time"
)

// Retry runs op until it succeeds, fails for a reason that is not
// Transient (a Transient failure applied nothing, so running op again is
// safe), or has run attempts times, and returns its last error. With a
// spread, it waits a random time below attempt × spread before each new
// attempt, so that transactions that deadlocked together do not come back
// together; with none it runs op again at once. A ctx that ends during a
// wait ends the retries with op's last error.
func Retry(ctx context.Context, attempts int, spread time.Duration, op func() error) error {
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || !Transient(err) || attempt >= attempts {
			return err
		}
		if spread <= 0 {
			continue
		}
		t := time.NewTimer(rand.N(time.Duration(attempt) * spread))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}
