package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// RunLocker checks the scopes.Locker contract on two lockers that open
// returns over one storage, as two scopestore instances see it (the same
// locker twice for a storage of one process). Leases run on real time,
// which Redis measures by its own clock: the lease test sleeps.
func RunLocker(t *testing.T, open func(t *testing.T) (a, b scopes.Locker)) {
	ctx := context.Background()
	req := func(name string, typ scopes.LockType, waiting bool) scopes.LockRequest {
		return scopes.LockRequest{Name: name, Type: typ, Token: scopes.NewLockToken(time.Now()), Lease: 30 * time.Second, Waiting: waiting}
	}
	take := func(t *testing.T, lk scopes.Locker, r scopes.LockRequest) (scopes.Lock, scopes.LockHolder, bool) {
		t.Helper()
		l, h, ok, err := lk.TryLock(ctx, "shop", r, time.Now())
		if err != nil {
			t.Fatalf("TryLock %s %s: %v", r.Type, r.Name, err)
		}
		return l, h, ok
	}
	mustTake := func(t *testing.T, lk scopes.Locker, r scopes.LockRequest) scopes.Lock {
		t.Helper()
		l, h, ok := take(t, lk, r)
		if !ok {
			t.Fatalf("TryLock %s %s refused, held %+v", r.Type, r.Name, h)
		}
		if l.Token != r.Token || l.Fence <= 0 || !l.Expires.After(time.Now()) {
			t.Fatalf("TryLock answered %+v", l)
		}
		return l
	}
	unlock := func(t *testing.T, lk scopes.Locker, l scopes.Lock, want bool) {
		t.Helper()
		ok, err := lk.Unlock(ctx, "shop", l.Name, l.Token, time.Now())
		if err != nil || ok != want {
			t.Fatalf("Unlock %s: %v, %v; want %v", l.Name, ok, err, want)
		}
	}

	t.Run("ExclusiveExcludes", func(t *testing.T) {
		a, b := open(t)
		l := mustTake(t, a, req("x", scopes.LockExclusive, false))
		for _, typ := range []scopes.LockType{scopes.LockExclusive, scopes.LockReadonly} {
			_, h, ok := take(t, b, req("x", typ, false))
			if ok || h.Type != scopes.LockExclusive {
				t.Fatalf("%s taken beside an exclusive holder (held %+v)", typ, h)
			}
			if h.Since.IsZero() || time.Since(h.Since) > time.Minute {
				t.Fatalf("holder since %v", h.Since)
			}
		}
		// Locks are per app and per name.
		mustTake(t, b, req("y", scopes.LockExclusive, false))
		other := req("x", scopes.LockExclusive, false)
		if _, _, ok, err := b.TryLock(ctx, "other", other, time.Now()); err != nil || !ok {
			t.Fatalf("another app's lock of the same name: %v, %v", ok, err)
		}
		unlock(t, b, l, true)
		unlock(t, a, l, false)
		mustTake(t, b, req("x", scopes.LockExclusive, false))
	})

	t.Run("ReadersOverlapWriterWaits", func(t *testing.T) {
		a, b := open(t)
		r1 := mustTake(t, a, req("r", scopes.LockReadonly, false))
		r2 := mustTake(t, b, req("r", scopes.LockReadonly, false))
		if r2.Fence <= r1.Fence {
			t.Fatalf("fences %d then %d", r1.Fence, r2.Fence)
		}
		_, h, ok := take(t, b, req("r", scopes.LockExclusive, false))
		if ok || h.Type != scopes.LockReadonly || (h.Holders != 0 && h.Holders != 2) {
			t.Fatalf("exclusive beside readers: ok %v, held %+v", ok, h)
		}
		// A reader may still join while no writer waits...
		r3 := mustTake(t, a, req("r", scopes.LockReadonly, false))
		// ...but not once one does.
		w := req("r", scopes.LockExclusive, true)
		if _, _, ok := take(t, b, w); ok {
			t.Fatal("exclusive taken beside readers")
		}
		_, h, ok = take(t, a, req("r", scopes.LockReadonly, false))
		if ok || !h.WriterWaiting {
			t.Fatalf("a reader joined while a writer waits: ok %v, held %+v", ok, h)
		}
		for _, r := range []scopes.Lock{r1, r3} {
			unlock(t, a, r, true)
		}
		unlock(t, b, r2, true)
		wl := mustTake(t, b, w)
		if wl.Fence <= r3.Fence {
			t.Fatalf("fence %d after %d", wl.Fence, r3.Fence)
		}
		unlock(t, b, wl, true)
		// The writer took the lock: its mark is gone, readers come in.
		mustTake(t, a, req("r", scopes.LockReadonly, false))
	})

	t.Run("WriterMarkLapses", func(t *testing.T) {
		a, b := open(t)
		r := mustTake(t, a, req("m", scopes.LockReadonly, false))
		if _, _, ok := take(t, b, req("m", scopes.LockExclusive, true)); ok {
			t.Fatal("exclusive taken beside a reader")
		}
		time.Sleep(scopes.LockWriterMark + 200*time.Millisecond)
		// The waiter gave up (vanished): readers are let in again.
		mustTake(t, a, req("m", scopes.LockReadonly, false))
		unlock(t, a, r, true)
	})

	t.Run("RenewAndLease", func(t *testing.T) {
		a, b := open(t)
		short := req("l", scopes.LockExclusive, false)
		short.Lease = time.Second
		l := mustTake(t, a, short)
		exp, ok, err := a.Renew(ctx, "shop", "l", l.Token, 2*time.Second, time.Now())
		if err != nil || !ok || !exp.After(l.Expires) {
			t.Fatalf("Renew: %v, %v, %v (lease ended %v)", exp, ok, err, l.Expires)
		}
		if _, ok, err := b.Renew(ctx, "shop", "l", scopes.NewLockToken(time.Now()), time.Second, time.Now()); err != nil || ok {
			t.Fatalf("Renew with another token: %v, %v", ok, err)
		}
		time.Sleep(1200 * time.Millisecond)
		// Renewed: still held after the first lease.
		if _, _, ok := take(t, b, req("l", scopes.LockExclusive, false)); ok {
			t.Fatal("taken while a renewed lease runs")
		}
		time.Sleep(time.Second)
		// Its holder vanished: the lock is free after the lease.
		next := mustTake(t, b, req("l", scopes.LockExclusive, false))
		if next.Fence <= l.Fence {
			t.Fatalf("fence %d after %d", next.Fence, l.Fence)
		}
		if _, ok, err := a.Renew(ctx, "shop", "l", l.Token, time.Second, time.Now()); err != nil || ok {
			t.Fatalf("Renew after the lease ended: %v, %v", ok, err)
		}
		unlock(t, a, l, false)
		unlock(t, b, next, true)
	})

	t.Run("ReleaseSignalled", func(t *testing.T) {
		a, b := open(t)
		w, ok := b.(scopes.LockWatcher)
		if !ok {
			t.Skip("the storage cannot tell waiters of a release: they back off")
		}
		released, stop := w.WatchLock("shop", "sig")
		defer stop()
		other, stopOther := w.WatchLock("shop", "other")
		defer stopOther()
		l := mustTake(t, a, req("sig", scopes.LockExclusive, false))
		unlock(t, a, l, true)
		select {
		case <-released:
		case <-time.After(5 * time.Second):
			t.Fatal("no signal of the release within 5s")
		}
		select {
		case <-other:
			t.Fatal("the release of one lock signalled another's waiters")
		default:
		}
	})

	t.Run("Held", func(t *testing.T) {
		a, b := open(t)
		ll, ok := b.(scopes.LockLister)
		if !ok {
			t.Skip("the storage cannot list its locks")
		}
		x := mustTake(t, a, req("h1", scopes.LockExclusive, false))
		mustTake(t, a, req("h2", scopes.LockReadonly, false))
		mustTake(t, b, req("h2", scopes.LockReadonly, false))
		if _, _, ok, err := a.TryLock(ctx, "other", req("h3", scopes.LockExclusive, false), time.Now()); err != nil || !ok {
			t.Fatalf("another app's lock: %v, %v", ok, err)
		}
		count := func() map[string]int {
			t.Helper()
			held, err := ll.HeldLocks(ctx, "shop", time.Now(), 100)
			if err != nil {
				t.Fatalf("HeldLocks: %v", err)
			}
			n := map[string]int{}
			for _, h := range held {
				if h.Since.IsZero() || !h.Expires.After(time.Now()) || time.Since(h.Since) > time.Minute {
					t.Fatalf("held %+v", h)
				}
				n[h.Name+" "+string(h.Type)]++
			}
			return n
		}
		if n := count(); len(n) != 2 || n["h1 exclusive"] != 1 || n["h2 readonly"] != 2 {
			t.Fatalf("held %v, want h1 exclusive once and h2 readonly twice", n)
		}
		unlock(t, a, x, true)
		if n := count(); n["h1 exclusive"] != 0 {
			t.Fatalf("a released lock is listed: %v", n)
		}
	})

	runLockBreak(t, open)

	t.Run("MutualExclusion", func(t *testing.T) {
		a, b := open(t)
		var inside, violations, done atomic.Int64
		var fenceMu sync.Mutex
		var last int64
		var wg sync.WaitGroup
		for i := range 8 {
			lk := a
			if i%2 == 1 {
				lk = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; n < 25; {
					r := req("mx", scopes.LockExclusive, true)
					l, _, ok, err := lk.TryLock(ctx, "shop", r, time.Now())
					if err != nil {
						t.Errorf("TryLock: %v", err)
						return
					}
					if !ok {
						time.Sleep(time.Millisecond)
						continue
					}
					if inside.Add(1) != 1 {
						violations.Add(1)
					}
					fenceMu.Lock()
					if l.Fence <= last {
						violations.Add(1)
					}
					last = l.Fence
					fenceMu.Unlock()
					inside.Add(-1)
					if ok, err := lk.Unlock(ctx, "shop", "mx", l.Token, time.Now()); err != nil || !ok {
						t.Errorf("Unlock: %v, %v", ok, err)
						return
					}
					n++
					done.Add(1)
				}
			}()
		}
		wg.Wait()
		if v := violations.Load(); v > 0 {
			t.Fatalf("%d times two holders at once or a fence that did not grow, in %d locks", v, done.Load())
		}
	})
}
