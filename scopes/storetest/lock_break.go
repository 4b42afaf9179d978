package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// runLockBreak checks scopes.LockBreaker, for a Locker that implements it:
// a break frees the lock whoever holds it, the holders' renewal and release
// then fail, the fence keeps growing, and a waiter is told.
func runLockBreak(t *testing.T, open func(t *testing.T) (a, b scopes.Locker)) {
	ctx := context.Background()
	req := func(name string, typ scopes.LockType) scopes.LockRequest {
		return scopes.LockRequest{Name: name, Type: typ, Token: scopes.NewLockToken(time.Now()), Lease: 30 * time.Second}
	}
	take := func(t *testing.T, lk scopes.Locker, r scopes.LockRequest) scopes.Lock {
		t.Helper()
		l, h, ok, err := lk.TryLock(ctx, "shop", r, time.Now())
		if err != nil || !ok {
			t.Fatalf("TryLock %s %s: %v, %v (held %+v)", r.Type, r.Name, ok, err, h)
		}
		return l
	}
	breaker := func(t *testing.T, lk scopes.Locker) scopes.LockBreaker {
		t.Helper()
		lb, ok := lk.(scopes.LockBreaker)
		if !ok {
			t.Skip("the storage cannot break its locks")
		}
		return lb
	}
	// gone checks that the holder's token renews and releases nothing.
	gone := func(t *testing.T, lk scopes.Locker, l scopes.Lock) {
		t.Helper()
		if _, ok, err := lk.Renew(ctx, "shop", l.Name, l.Token, time.Minute, time.Now()); err != nil || ok {
			t.Fatalf("Renew by a broken holder: %v, %v", ok, err)
		}
		if ok, err := lk.Unlock(ctx, "shop", l.Name, l.Token, time.Now()); err != nil || ok {
			t.Fatalf("Unlock by a broken holder: %v, %v", ok, err)
		}
	}

	t.Run("BreakExclusive", func(t *testing.T) {
		a, b := open(t)
		lb := breaker(t, b)
		if broken, err := lb.BreakLock(ctx, "shop", "bx", time.Now()); err != nil || len(broken) != 0 {
			t.Fatalf("break of a lock never taken: %+v, %v", broken, err)
		}
		l := take(t, a, req("bx", scopes.LockExclusive))
		other := take(t, a, req("bx-other", scopes.LockExclusive))
		broken, err := lb.BreakLock(ctx, "shop", "bx", time.Now())
		if err != nil || len(broken) != 1 {
			t.Fatalf("BreakLock: %+v, %v", broken, err)
		}
		if h := broken[0]; h.Name != "bx" || h.Type != scopes.LockExclusive || h.Since.IsZero() || time.Since(h.Since) > time.Minute ||
			h.Expires.Before(l.Expires.Add(-2*time.Second)) || h.Expires.After(l.Expires.Add(2*time.Second)) {
			t.Fatalf("broken holder %+v, lock %+v", h, l)
		}
		gone(t, a, l)
		next := take(t, b, req("bx", scopes.LockExclusive))
		if next.Fence <= l.Fence {
			t.Fatalf("fence %d after the broken holder's %d", next.Fence, l.Fence)
		}
		// Another lock is left alone.
		if _, ok, err := a.Renew(ctx, "shop", other.Name, other.Token, time.Minute, time.Now()); err != nil || !ok {
			t.Fatalf("the other lock's holder lost it: %v, %v", ok, err)
		}
		if broken, err := lb.BreakLock(ctx, "shop", "bx-gone", time.Now()); err != nil || len(broken) != 0 {
			t.Fatalf("break of a free lock: %+v, %v", broken, err)
		}
	})

	t.Run("BreakReaders", func(t *testing.T) {
		a, b := open(t)
		lb := breaker(t, a)
		r1 := take(t, a, req("br", scopes.LockReadonly))
		r2 := take(t, b, req("br", scopes.LockReadonly))
		broken, err := lb.BreakLock(ctx, "shop", "br", time.Now())
		if err != nil || len(broken) != 2 {
			t.Fatalf("BreakLock: %+v, %v", broken, err)
		}
		for _, h := range broken {
			if h.Type != scopes.LockReadonly || h.Name != "br" {
				t.Fatalf("broken holder %+v", h)
			}
		}
		gone(t, a, r1)
		gone(t, b, r2)
		w := take(t, b, req("br", scopes.LockExclusive))
		if w.Fence <= r2.Fence {
			t.Fatalf("fence %d after the readers' %d", w.Fence, r2.Fence)
		}
	})

	t.Run("BreakSignalled", func(t *testing.T) {
		a, b := open(t)
		lb := breaker(t, a)
		w, ok := b.(scopes.LockWatcher)
		if !ok {
			t.Skip("the storage cannot tell waiters of a release: they back off")
		}
		released, stop := w.WatchLock("shop", "bs")
		defer stop()
		take(t, a, req("bs", scopes.LockExclusive))
		if _, err := lb.BreakLock(ctx, "shop", "bs", time.Now()); err != nil {
			t.Fatal(err)
		}
		select {
		case <-released:
		case <-time.After(5 * time.Second):
			t.Fatal("no signal of the break within 5s")
		}
		take(t, b, req("bs", scopes.LockExclusive))
	})
}
