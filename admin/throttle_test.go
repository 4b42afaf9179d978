package admin

import (
	"testing"
	"time"
)

func TestThrottleLocksAnAddressForTheWindow(t *testing.T) {
	th := newThrottle(addrMaxFailures, failureWindow, 0)
	t0 := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for i := range addrMaxFailures {
		if w := th.wait("a", t0); w != 0 {
			t.Fatalf("failure %d: wait %s before the limit", i, w)
		}
		th.fail("a", t0)
	}
	if w := th.wait("a", t0.Add(time.Minute)); w != failureWindow-time.Minute {
		t.Errorf("wait %s, want the rest of the window (%s)", w, failureWindow-time.Minute)
	}
	if w := th.wait("b", t0); w != 0 {
		t.Errorf("another address waits %s", w)
	}
	if w := th.wait("a", t0.Add(failureWindow)); w != 0 {
		t.Errorf("after the window: wait %s", w)
	}
}

func TestThrottlePacesAUserRatherThanLocking(t *testing.T) {
	th := newThrottle(userFreeFailures, failureWindow, userSpacing)
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for range userFreeFailures {
		th.fail("admin", now)
	}
	if w := th.wait("admin", now); w != userSpacing {
		t.Fatalf("past the free failures: wait %s, want %s", w, userSpacing)
	}
	// An attacker who fails at every chance for an hour still never makes
	// anyone wait longer than the spacing, and gets one guess per spacing.
	guesses := 0
	for end := now.Add(time.Hour); now.Before(end); now = now.Add(time.Second) {
		w := th.wait("admin", now)
		if w > userSpacing {
			t.Fatalf("at %s: wait %s, over the spacing", now, w)
		}
		if w == 0 {
			guesses++
			th.fail("admin", now)
		}
	}
	if want := int(time.Hour / userSpacing); guesses > want {
		t.Errorf("%d guesses in an hour, want at most %d", guesses, want)
	}
	th.mu.Lock()
	n := len(th.failures["admin"])
	th.mu.Unlock()
	if n > userFreeFailures {
		t.Errorf("%d failures kept for one user, want at most %d", n, userFreeFailures)
	}
}

func TestKnownAddrs(t *testing.T) {
	k := newKnownAddrs()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	k.add("admin", "192.0.2.1", now)
	if !k.has("admin", "192.0.2.1", now.Add(time.Hour)) {
		t.Error("a recent login's address is not known")
	}
	if k.has("admin", "192.0.2.2", now) || k.has("other", "192.0.2.1", now) {
		t.Error("another address or user is known")
	}
	if k.has("admin", "192.0.2.1", now.Add(knownFor)) {
		t.Error("an address is known past knownFor")
	}
}
