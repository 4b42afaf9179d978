package scopes

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLockToken(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	tok := NewLockToken(now)
	if !validLockToken(tok) {
		t.Fatalf("token %q is not valid by its own rule", tok)
	}
	if got := LockTokenSince(tok); !got.Equal(now) {
		t.Fatalf("since %v, want %v", got, now)
	}
	if NewLockToken(now) == tok {
		t.Fatal("two tokens alike")
	}
	for _, bad := range []string{"", "x", strings.Repeat("A", LockTokenSize), tok[:LockTokenSize-1] + "{", tok + "0"} {
		if validLockToken(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestLockOptionsValidate(t *testing.T) {
	ok := LockOptions{Name: "session:0f8fad5b-d9cb-469f-a165-70867728950e", Type: LockReadonly, Timeout: 0, Lease: time.Second}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(*LockOptions){
		"no name":         func(o *LockOptions) { o.Name = "" },
		"long name":       func(o *LockOptions) { o.Name = strings.Repeat("é", MaxLockName+1) },
		"slash":           func(o *LockOptions) { o.Name = "a/b" },
		"control":         func(o *LockOptions) { o.Name = "a\nb" },
		"bad UTF-8":       func(o *LockOptions) { o.Name = "a\xffb" },
		"type":            func(o *LockOptions) { o.Type = "shared" },
		"negative wait":   func(o *LockOptions) { o.Timeout = -time.Second },
		"long wait":       func(o *LockOptions) { o.Timeout = MaxLockWait + time.Millisecond },
		"short lease":     func(o *LockOptions) { o.Lease = MinLockLease - time.Millisecond },
		"long lease":      func(o *LockOptions) { o.Lease = MaxLockLease + time.Millisecond },
		"no lease at all": func(o *LockOptions) { o.Lease = 0 },
	}
	for name, change := range cases {
		o := ok
		change(&o)
		if err := o.Validate(); ErrorCode(err) != EInvalid {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}

func TestParseLockDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"5s": 5 * time.Second, "250ms": 250 * time.Millisecond, "1m30s": 90 * time.Second, "2": 2 * time.Second, "0.5": 500 * time.Millisecond, "0": 0} {
		if got, err := ParseLockDuration("timeout", in); err != nil || got != want {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "soon", "1e99", "-1", "5 s"} {
		if _, err := ParseLockDuration("timeout", in); ErrorCode(err) != EInvalid {
			t.Errorf("%q: %v, want invalid", in, err)
		}
	}
}

// fakeLocker is held until free is closed, or always when free is nil, and
// counts the attempts.
type fakeLocker struct {
	Store
	mu       sync.Mutex
	attempts int
	free     chan struct{}
	released chan struct{}
}

func (f *fakeLocker) TryLock(_ context.Context, _ string, req LockRequest, now time.Time) (Lock, LockHolder, bool, error) {
	f.mu.Lock()
	f.attempts++
	f.mu.Unlock()
	select {
	case <-f.free:
		return Lock{Type: req.Type, Token: req.Token, Fence: 1, Expires: now.Add(req.Lease)}, LockHolder{}, true, nil
	default:
		return Lock{}, LockHolder{Type: LockExclusive, Since: now.Add(-3 * time.Second)}, false, nil
	}
}

func (f *fakeLocker) Renew(context.Context, string, string, string, time.Duration, time.Time) (time.Time, bool, error) {
	return time.Time{}, false, nil
}

func (f *fakeLocker) Unlock(context.Context, string, string, string, time.Time) (bool, error) {
	return true, nil
}

func (f *fakeLocker) count() int { f.mu.Lock(); defer f.mu.Unlock(); return f.attempts }

// watchingLocker is a fakeLocker that signals releases.
type watchingLocker struct{ *fakeLocker }

func (w watchingLocker) WatchLock(string, string) (<-chan struct{}, func()) {
	return w.released, func() {}
}

type oneStorage struct {
	Storages
	st Store
}

func (s oneStorage) Store(context.Context, string) (Store, error) { return s.st, nil }

type oneApp struct{ ConfigStore }

func (oneApp) App(context.Context, string) (App, bool, error) { return App{Name: "shop"}, true, nil }
func (oneApp) ServerLayer(context.Context) (Layer, error)     { return nil, nil }

func newTestLocks(st Store) *Locks {
	s := oneStorage{st: st}
	return NewLocks(NewEngine(s), NewDirectory(oneApp{}, s))
}

func TestLocksWait(t *testing.T) {
	ctx := context.Background()
	opts := LockOptions{Name: "counter", Type: LockExclusive, Timeout: 5 * time.Second, Lease: 30 * time.Second}

	t.Run("uncontended: one attempt", func(t *testing.T) {
		f := &fakeLocker{free: make(chan struct{})}
		close(f.free)
		if _, err := newTestLocks(f).Acquire(ctx, "shop", opts); err != nil {
			t.Fatal(err)
		}
		if n := f.count(); n != 1 {
			t.Fatalf("%d attempts, want 1", n)
		}
	})

	t.Run("bad input: no attempt", func(t *testing.T) {
		f := &fakeLocker{}
		o := opts
		o.Lease = 0
		if _, err := newTestLocks(f).Acquire(ctx, "shop", o); ErrorCode(err) != EInvalid {
			t.Fatalf("%v, want invalid", err)
		}
		if n := f.count(); n != 0 {
			t.Fatalf("%d attempts", n)
		}
	})

	t.Run("timeout: 423 naming the lock, attempts bounded", func(t *testing.T) {
		f := &fakeLocker{}
		o := opts
		o.Timeout = time.Second
		_, err := newTestLocks(f).Acquire(ctx, "shop", o)
		if ErrorCode(err) != ELocked || !strings.Contains(ErrorMessage(err), `"counter"`) || !strings.Contains(ErrorMessage(err), "held exclusive") {
			t.Fatalf("%v, want locked naming the lock and its holder", err)
		}
		// A backoff from 10ms doubling to 200ms: about 9 attempts in a
		// second, and never a tight loop.
		if n := f.count(); n < 3 || n > 20 {
			t.Fatalf("%d attempts in a 1s wait", n)
		}
	})

	t.Run("try once", func(t *testing.T) {
		f := &fakeLocker{}
		o := opts
		o.Timeout = 0
		if _, err := newTestLocks(f).Acquire(ctx, "shop", o); ErrorCode(err) != ELocked {
			t.Fatalf("%v, want locked", err)
		}
		if n := f.count(); n != 1 {
			t.Fatalf("%d attempts, want 1", n)
		}
	})

	t.Run("a release signal wakes the waiter", func(t *testing.T) {
		f := &fakeLocker{free: make(chan struct{}), released: make(chan struct{}, 1)}
		got := make(chan error, 1)
		go func() { _, err := newTestLocks(watchingLocker{f}).Acquire(ctx, "shop", opts); got <- err }()
		for f.count() < 2 {
			time.Sleep(time.Millisecond)
		}
		close(f.free)
		f.released <- struct{}{}
		if err := <-got; err != nil {
			t.Fatal(err)
		}
	})

	t.Run("this instance's release wakes its waiters", func(t *testing.T) {
		f := &fakeLocker{free: make(chan struct{})}
		l := newTestLocks(f)
		got := make(chan error, 1)
		go func() { _, err := l.Acquire(ctx, "shop", opts); got <- err }()
		// Let the backoff grow to its bound, then release.
		time.Sleep(600 * time.Millisecond)
		close(f.free)
		if err := l.Release(ctx, "shop", "counter", NewLockToken(time.Now())); err != nil {
			t.Fatal(err)
		}
		if err := <-got; err != nil {
			t.Fatal(err)
		}
		if len(l.local.m) != 0 {
			t.Fatalf("waits left behind: %v", l.local.m)
		}
	})

	t.Run("a storage that cannot lock", func(t *testing.T) {
		l := newTestLocks(struct{ Store }{})
		if _, err := l.Acquire(ctx, "shop", opts); ErrorCode(err) != EInvalidSettings {
			t.Fatalf("%v, want invalid_settings", err)
		}
	})
}
