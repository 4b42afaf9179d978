package memory_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/memory"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/scopes/storetest"
)

func TestLocker(t *testing.T) {
	storetest.RunLocker(t, func(*testing.T) (scopes.Locker, scopes.Locker) {
		s := memory.New()
		return s, s
	})
}

// Locks whose holders vanished take no memory for long: a later sweep
// drops them.
func TestLockSweep(t *testing.T) {
	s := memory.New()
	ctx := context.Background()
	now := time.Now()
	for i := range 5000 {
		req := scopes.LockRequest{Name: "n" + strconv.Itoa(i), Type: scopes.LockExclusive, Token: scopes.NewLockToken(now), Lease: time.Second}
		if _, _, ok, err := s.TryLock(ctx, "shop", req, now); err != nil || !ok {
			t.Fatalf("TryLock: %v, %v", ok, err)
		}
	}
	later := now.Add(2 * time.Second)
	held, _ := s.HeldLocks(ctx, "shop", later, 10000)
	if len(held) != 0 {
		t.Fatalf("%d locks held after their lease", len(held))
	}
	if n := memory.LockEntries(s); n != 5000 {
		t.Fatalf("%d entries before a sweep", n)
	}
	for i := range 4096 {
		req := scopes.LockRequest{Name: "again" + strconv.Itoa(i%2), Type: scopes.LockReadonly, Token: scopes.NewLockToken(later), Lease: time.Second}
		_, _, _, _ = s.TryLock(ctx, "shop", req, later)
	}
	if n := memory.LockEntries(s); n > 2 {
		t.Fatalf("%d entries after a sweep, want at most 2", n)
	}
}
