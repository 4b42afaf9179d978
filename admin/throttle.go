package admin

import (
	"sync"
	"time"
)

// Failed logins are slowed down per client address: after maxFailures in
// failureWindow, further attempts are refused until the window passes.
const (
	maxFailures   = 5
	failureWindow = 10 * time.Minute
	failureDelay  = 400 * time.Millisecond
)

// throttle counts failed logins by client address.
type throttle struct {
	mu       sync.Mutex
	failures map[string][]time.Time
}

func newThrottle() *throttle { return &throttle{failures: map[string][]time.Time{}} }

// wait tells how long addr must wait before it may try again; 0 means now.
func (t *throttle) wait(addr string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	recent := t.recent(addr, now)
	if len(recent) < maxFailures {
		return 0
	}
	return recent[0].Add(failureWindow).Sub(now)
}

// fail records a failed login.
func (t *throttle) fail(addr string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failures[addr] = append(t.recent(addr, now), now)
}

// succeed forgets addr's failures.
func (t *throttle) succeed(addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, addr)
}

func (t *throttle) recent(addr string, now time.Time) []time.Time {
	var out []time.Time
	for _, f := range t.failures[addr] {
		if now.Sub(f) < failureWindow {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		delete(t.failures, addr)
	}
	return out
}
