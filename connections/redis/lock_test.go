package redis

import (
	"context"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/scopes/storetest"
)

// Two Stores over one Redis are two instances; in Cluster mode a lock's
// keys share a slot, so its scripts run there too.
func TestLocker(t *testing.T) {
	for _, b := range []struct {
		name   string
		params func(tb testing.TB) map[string]string
	}{{"redis", realParams}, {"cluster", clusterParams}} {
		t.Run(b.name, func(t *testing.T) {
			storetest.RunLocker(t, func(t *testing.T) (scopes.Locker, scopes.Locker) {
				p := b.params(t)
				return MustOpen(t, p), MustOpen(t, p)
			})
		})
	}
}

// An uncontended lock and its release cost two round trips to Redis: one
// script each (once the scripts are cached on the server).
func TestLockRoundTrips(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t, realParams(t))
	take := func(name string) scopes.Lock {
		t.Helper()
		req := scopes.LockRequest{Name: name, Type: scopes.LockExclusive, Token: scopes.NewLockToken(time.Now()), Lease: 30 * time.Second}
		l, _, ok, err := s.TryLock(ctx, "shop", req, time.Now())
		if err != nil || !ok {
			t.Fatalf("TryLock: %v, %v", ok, err)
		}
		return l
	}
	l := take("warm") // loads the scripts
	if ok, err := s.Unlock(ctx, "shop", "warm", l.Token, time.Now()); err != nil || !ok {
		t.Fatalf("Unlock: %v, %v", ok, err)
	}
	r := record(s)
	l = take("counter")
	if ok, err := s.Unlock(ctx, "shop", "counter", l.Token, time.Now()); err != nil || !ok {
		t.Fatalf("Unlock: %v, %v", ok, err)
	}
	if n := r.total(); n != 2 {
		t.Fatalf("%d commands for a lock and its release (%v), want 2", n, r.names)
	}
}
