package admin

import (
	"sync"
	"time"
)

// Failed logins are limited twice: per client address and per user name.
//
// Per address (httpapi.ClientAddr tells it from the connection, so rotating
// X-Forwarded-For does not make a new one): after addrMaxFailures within
// failureWindow the address is refused until its oldest failure leaves the
// window. Whoever trips it locks out only their own address.
//
// Per user name, across every address: a guess against "admin" from many
// addresses. Past userFreeFailures within failureWindow the user is paced,
// not locked: one attempt per userSpacing after the latest failure. A lock
// would be the attacker's to keep — one failure now and then would keep the
// real administrator out for good — while pacing caps the attacker at one
// guess per userSpacing (120 an hour) from any number of addresses and never
// asks anyone to wait longer than userSpacing. And an address the user has
// logged in from before (knownAddrs) is not paced at all, so an attacker who
// takes every slot still cannot keep the administrator out from where they
// usually log in.
const (
	addrMaxFailures  = 5
	userFreeFailures = 10
	failureWindow    = 10 * time.Minute
	userSpacing      = 30 * time.Second
	failureDelay     = 400 * time.Millisecond

	// knownFor is how long a successful login exempts its address from the
	// per-user pacing.
	knownFor = 30 * 24 * time.Hour
	// maxThrottleKeys bounds the memory of a throttle and of knownAddrs,
	// whatever names and addresses an attacker sends.
	maxThrottleKeys = 10000
)

// throttle counts failed logins by a key: a client address or a user name.
type throttle struct {
	// max is how many failures within window are let through.
	max    int
	window time.Duration
	// spacing, when not 0, paces a key past max rather than locking it: one
	// attempt per spacing after its latest failure.
	spacing time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time
}

func newThrottle(maxFailures int, window, spacing time.Duration) *throttle {
	return &throttle{max: maxFailures, window: window, spacing: spacing, failures: map[string][]time.Time{}}
}

// wait tells how long key must wait before it may try again; 0 means now.
func (t *throttle) wait(key string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	recent := t.recent(key, now)
	if len(recent) < t.max {
		return 0
	}
	if t.spacing > 0 {
		return max(recent[len(recent)-1].Add(t.spacing).Sub(now), 0)
	}
	return recent[len(recent)-t.max].Add(t.window).Sub(now)
}

// fail records a failed login.
func (t *throttle) fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	recent := append(t.recent(key, now), now)
	// Only the last max failures decide anything.
	if len(recent) > t.max {
		recent = recent[len(recent)-t.max:]
	}
	if _, ok := t.failures[key]; !ok && len(t.failures) >= maxThrottleKeys {
		t.evict(now)
	}
	t.failures[key] = recent
}

// succeed forgets key's failures.
func (t *throttle) succeed(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, key)
}

func (t *throttle) recent(key string, now time.Time) []time.Time {
	var out []time.Time
	for _, f := range t.failures[key] {
		if now.Sub(f) < t.window {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		delete(t.failures, key)
	}
	return out
}

// evict makes room for a key: the keys whose failures have all left the
// window go first; if none has, an arbitrary one.
func (t *throttle) evict(now time.Time) {
	for key, fs := range t.failures {
		if now.Sub(fs[len(fs)-1]) >= t.window {
			delete(t.failures, key)
		}
	}
	for key := range t.failures {
		if len(t.failures) < maxThrottleKeys {
			return
		}
		delete(t.failures, key)
	}
}

// knownAddrs remembers which addresses each user logged in from, in this
// instance's memory, so that pacing a user name spares them.
type knownAddrs struct {
	mu   sync.Mutex
	seen map[[2]string]time.Time
}

func newKnownAddrs() *knownAddrs { return &knownAddrs{seen: map[[2]string]time.Time{}} }

// add records a successful login of user from addr.
func (k *knownAddrs) add(user, addr string, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.seen) >= maxThrottleKeys {
		for key, at := range k.seen {
			if now.Sub(at) >= knownFor {
				delete(k.seen, key)
			}
		}
		if len(k.seen) >= maxThrottleKeys {
			// Only logins that succeeded land here; so many means
			// something else is wrong, and pacing still holds.
			return
		}
	}
	k.seen[[2]string{user, addr}] = now
}

// has tells whether user logged in from addr within knownFor.
func (k *knownAddrs) has(user, addr string, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	at, ok := k.seen[[2]string{user, addr}]
	return ok && now.Sub(at) < knownFor
}
