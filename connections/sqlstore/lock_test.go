package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/sqlstore"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/scopes/storetest"
)

// Two Stores over one database are two instances.
func TestLocker(t *testing.T) {
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			storetest.RunLocker(t, func(t *testing.T) (scopes.Locker, scopes.Locker) {
				a, dsn := srv.open(t)
				t.Cleanup(func() { _ = a.Close() })
				params := map[string]string{"dsn": dsn}
				if srv.name == "postgres" {
					params = map[string]string{"url": dsn}
				}
				b := mustOpen(t, scopes.Connection{Name: "sessions", Kind: "datasource", Type: srv.name, Storage: true, Params: params})
				t.Cleanup(func() { _ = b.Close() })
				return a, b
			})
		})
	}
	t.Run("sqlite", func(t *testing.T) {
		storetest.RunLocker(t, func(t *testing.T) (scopes.Locker, scopes.Locker) {
			a, path := MustOpenSQLite(t)
			b, err := sqlstore.OpenSQLite(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			return a, b
		})
	})
}

// The cleaner deletes the rows of holders that vanished from a lock that
// nobody asked for again, an hour after their lease ended.
func TestLockRowsCleaned(t *testing.T) {
	ctx := context.Background()
	s, path := MustOpenSQLite(t)
	now := time.Now()
	req := scopes.LockRequest{Name: "session:x", Type: scopes.LockExclusive, Token: scopes.NewLockToken(now), Lease: time.Second}
	if _, _, ok, err := s.TryLock(ctx, "shop", req, now); err != nil || !ok {
		t.Fatalf("TryLock: %v, %v", ok, err)
	}
	count := func() int {
		var n int
		if err := rawDB(t, path).QueryRow(`SELECT COUNT(*) FROM scopestore_locks`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := s.DeleteExpired(ctx, now.Add(time.Minute), 100); err != nil || count() != 1 {
		t.Fatalf("a row deleted within the hour: %v, %d rows", err, count())
	}
	if _, err := s.DeleteExpired(ctx, now.Add(2*time.Hour), 100); err != nil || count() != 0 {
		t.Fatalf("after the hour: %v, %d rows", err, count())
	}
}

// A renewal whose lease is shorter than the renewal itself took sets an end
// that has passed: it reports the lease over, not held.
func TestLockRenewLongerThanItsLease(t *testing.T) {
	ctx := context.Background()
	s, _ := MustOpenSQLite(t)
	now := time.Now()
	req := scopes.LockRequest{Name: "r", Type: scopes.LockExclusive, Token: scopes.NewLockToken(now), Lease: time.Minute}
	if _, _, ok, err := s.TryLock(ctx, "shop", req, now); err != nil || !ok {
		t.Fatalf("TryLock: %v, %v", ok, err)
	}
	if _, ok, err := s.Renew(ctx, "shop", "r", req.Token, time.Minute, now); err != nil || !ok {
		t.Fatalf("a renewal within its lease: %v, %v", ok, err)
	}
	// A nanosecond: any renewal takes longer than that.
	if end, ok, err := s.Renew(ctx, "shop", "r", req.Token, time.Nanosecond, now); err != nil || ok || !end.IsZero() {
		t.Fatalf("a renewal longer than its lease: %v, %v, %v; want not held", end, ok, err)
	}
}
