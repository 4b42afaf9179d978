package client_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/scopestore/scopestore/web/client"
)

// useStorageForApplication keeps the app's application scope in the
// storage its sessions use, so that each backend is tested.
func useStorageForApplication(t *testing.T, ts *testServer, c *client.Client) {
	t.Helper()
	ctx := context.Background()
	rec, err := c.Sessions().Create(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.dir.SetAppSettings(ctx, "shop", map[string]string{"applicationStorage": rec.Storage}); err != nil {
		t.Fatal(err)
	}
}

func TestShared_ApplicationScope(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		c := newClient(t, ts)
		useStorageForApplication(t, ts, c)
		a := c.Application()

		rec, err := a.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Version != 1 || rec.ApplicationName != "shop" || rec.CFID != "" || len(rec.Data) != 0 || rec.Fence != 0 {
			t.Fatalf("a new application scope: %+v", rec)
		}
		put, err := a.Put(ctx, map[string]any{"flags": map[string]any{"newCheckout": true}}, client.Cond{IfVersion: 1})
		if err != nil {
			t.Fatal(err)
		}
		if put.Version != 2 || put.Data["flags"] == nil {
			t.Fatalf("after Put: %+v", put)
		}
		if _, err := a.Put(ctx, map[string]any{}, client.Cond{IfVersion: 1}); !errors.Is(err, client.ErrPreconditionFailed) {
			t.Fatalf("a stale Put: %v, want ErrPreconditionFailed", err)
		}
		p, err := a.Patch(ctx, client.Patch{Incr: map[string]int64{"orders": 2}, Set: map[string]any{"lang": "de"}})
		if err != nil {
			t.Fatal(err)
		}
		if p.Version != 3 || p.Data["orders"] != 2.0 || p.Data["lang"] != "de" || p.Data["flags"] == nil {
			t.Fatalf("after Patch: %+v", p)
		}
		if _, err := a.Patch(ctx, client.Patch{Unset: []string{"lang"}, IfVersion: 2}); !errors.Is(err, client.ErrPreconditionFailed) {
			t.Fatalf("a stale Patch: %v, want ErrPreconditionFailed", err)
		}
		if got, err := a.Get(ctx); err != nil || got.Version != 3 || got.Data["orders"] != 2.0 {
			t.Fatalf("Get after the writes: %+v, %v", got, err)
		}
	})
}

func TestShared_ServerScope(t *testing.T) {
	ts := startServer(t, backends[0])
	ctx := context.Background()
	shop := newClient(t, ts)
	blogKey, err := ts.dir.CreateApp(ctx, "blog")
	if err != nil {
		t.Fatal(err)
	}
	blog, err := client.New(ts.URL, "blog", blogKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(blog.CloseIdleConnections)

	rec, err := shop.Server().Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Version != 1 || len(rec.Data) != 0 || rec.ApplicationName != "" {
		t.Fatalf("a new server scope: %+v", rec)
	}
	// Written only by an app an administrator allowed.
	if _, err := shop.Server().Patch(ctx, client.Patch{Set: map[string]any{"motd": "hi"}}); !errors.Is(err, client.ErrForbidden) {
		t.Fatalf("a write by an app not allowed: %v, want ErrForbidden", err)
	}
	if _, err := ts.dir.SetAppSettings(ctx, "shop", map[string]string{"serverScopeWrite": "true"}); err != nil {
		t.Fatal(err)
	}
	if _, err := shop.Server().Put(ctx, map[string]any{"motd": "hi"}, client.Cond{IfVersion: rec.Version}); err != nil {
		t.Fatal(err)
	}
	// Read by every app.
	got, err := blog.Server().Get(ctx)
	if err != nil || got.Data["motd"] != "hi" || got.Version != 2 {
		t.Fatalf("blog reads the server scope: %+v, %v", got, err)
	}
	if _, err := blog.Server().Put(ctx, map[string]any{}, client.Cond{}); !errors.Is(err, client.ErrForbidden) {
		t.Fatalf("blog writes the server scope: %v, want ErrForbidden", err)
	}
}

// The README's example: lock counter → get the application scope → save
// n+1 with If-Fence → unlock, from many goroutines at once: no increment
// is lost, and the scope keeps the last fence.
func TestLock_FencedCounter(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		c := newClient(t, ts)
		useStorageForApplication(t, ts, c)
		const workers = 8
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- incrementUnderLock(context.Background(), c)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		rec, err := c.Application().Get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if rec.Data["n"] != float64(workers) || rec.Fence == 0 {
			t.Fatalf("after %d increments: %+v", workers, rec)
		}
	})
}

// incrementUnderLock is the README's example.
func incrementUnderLock(ctx context.Context, c *client.Client) error {
	lock, err := c.Lock(ctx, "counter", client.LockOptions{Timeout: 10 * time.Second, Lease: 10 * time.Second})
	if err != nil {
		return err
	}
	defer func() { _ = lock.Release(ctx) }()
	app, err := c.Application().Get(ctx)
	if err != nil {
		return err
	}
	n, _ := app.Data["n"].(float64)
	app.Data["n"] = n + 1
	_, err = c.Application().Put(ctx, app.Data, client.Cond{IfFence: lock.Fence})
	return err
}

// A write under the fence of a lock taken over since is refused, on the
// shared scopes and on sessions alike; the lock's own calls report a lease
// that is gone.
func TestLock_FenceRefusesAnOlderHolder(t *testing.T) {
	ts := startServer(t, backends[0])
	ctx := context.Background()
	c := newClient(t, ts)

	first, err := c.Lock(ctx, "counter", client.LockOptions{Lease: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if first.Name != "counter" || first.Type != client.LockExclusive || first.Token == "" || first.Fence < 1 || first.Expires.IsZero() {
		t.Fatalf("a lock taken: %+v", first)
	}
	if _, err := c.Lock(ctx, "counter", client.LockOptions{Timeout: client.NoWait}); !errors.Is(err, client.ErrLocked) {
		t.Fatalf("a held lock without waiting: %v, want ErrLocked", err)
	}
	// Names keep what a path segment escapes, and a name with a slash is refused.
	for _, name := range []string{"session:" + client.NewCFID(), "a b!c,d;e=f(g)%h@é*[x]"} {
		l, err := c.Lock(ctx, name, client.LockOptions{Timeout: client.NoWait})
		if err != nil || l.Name != name {
			t.Fatalf("lock %q: %+v, %v", name, l, err)
		}
		if _, err := c.Lock(ctx, name, client.LockOptions{Timeout: client.NoWait}); !errors.Is(err, client.ErrLocked) {
			t.Fatalf("lock %q again: %v, want ErrLocked", name, err)
		}
		if err := l.Release(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Lock(ctx, "a/b", client.LockOptions{}); !errors.Is(err, &client.Error{Code: client.CodeInvalid}) {
		t.Fatalf("a name with a slash: %v, want CodeInvalid", err)
	}
	readers, err := c.Lock(ctx, "other", client.LockOptions{Type: client.LockReadOnly})
	if err != nil || readers.Type != client.LockReadOnly {
		t.Fatalf("a readonly lock: %+v, %v", readers, err)
	}
	if err := readers.Release(ctx); err != nil {
		t.Fatal(err)
	}
	before := first.Expires
	if err := first.Renew(ctx, 2*time.Second); err != nil || !first.Expires.After(before) {
		t.Fatalf("Renew: %v, expires %v then %v", err, before, first.Expires)
	}
	if err := first.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := first.Release(ctx); !errors.Is(err, client.ErrConflict) {
		t.Fatalf("a second Release: %v, want ErrConflict", err)
	}
	if err := first.Renew(ctx, 0); !errors.Is(err, client.ErrConflict) {
		t.Fatalf("Renew after Release: %v, want ErrConflict", err)
	}
	second, err := c.Lock(ctx, "counter", client.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = second.Release(ctx) }()
	if second.Fence <= first.Fence {
		t.Fatalf("fences %d then %d, want growing", first.Fence, second.Fence)
	}

	app := c.Application()
	rec, err := app.Patch(ctx, client.Patch{Set: map[string]any{"by": "second"}, IfFence: second.Fence})
	if err != nil || rec.Fence != second.Fence {
		t.Fatalf("a write under the newer fence: %+v, %v", rec, err)
	}
	if _, err := app.Put(ctx, map[string]any{"by": "first"}, client.Cond{IfFence: first.Fence}); !errors.Is(err, client.ErrPreconditionFailed) {
		t.Fatalf("a Put under the older fence: %v, want ErrPreconditionFailed", err)
	}
	if _, err := app.Patch(ctx, client.Patch{Set: map[string]any{"by": "first"}, IfFence: first.Fence}); !errors.Is(err, client.ErrPreconditionFailed) {
		t.Fatalf("a Patch under the older fence: %v, want ErrPreconditionFailed", err)
	}

	// Sessions take If-Fence too.
	s := c.Sessions()
	sess, err := s.Create(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec, err := s.PutIf(ctx, sess.CFID, map[string]any{"by": "second"}, client.Cond{IfVersion: sess.Version, IfFence: second.Fence}); err != nil || rec.Fence != second.Fence {
		t.Fatalf("a session Put under a fence: %+v, %v", rec, err)
	}
	if _, err := s.Patch(ctx, sess.CFID, client.Patch{Set: map[string]any{"by": "first"}, IfFence: first.Fence}); !errors.Is(err, client.ErrPreconditionFailed) {
		t.Fatalf("a session Patch under the older fence: %v, want ErrPreconditionFailed", err)
	}
	if got, err := s.Get(ctx, sess.CFID); err != nil || got.Data["by"] != "second" {
		t.Fatalf("the session after the refused write: %+v, %v", got, err)
	}
}
