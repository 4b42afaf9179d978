package scopes

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Locks takes, renews and releases the named locks of apps (cflock across
// instances) in the storage each app's lockStorage setting names. It does
// the waiting: a Locker only ever tries once. It is safe for concurrent use.
type Locks struct {
	directory *Directory
	storages  Storages
	// Now returns the current time. Leases are measured by it, and waits
	// by real timers, so it is the wall clock, not the engine's (which
	// tests move).
	Now func() time.Time
	// Observer, when set, is told the outcome of every lock request.
	Observer LockObserver
	// local wakes this instance's waiters when this instance releases a
	// lock, in every storage, sooner than their backoff would.
	local localWaiters
}

// LockObserver is told the outcome of each lock request, for metrics.
type LockObserver interface {
	// ObserveLock reports a request for a lock of type typ in storage: its
	// result (acquired, timeout, invalid, error) and how long it waited.
	ObserveLock(storage string, typ LockType, result string, waited time.Duration)
}

// The results a LockObserver is told.
const (
	LockAcquired = "acquired"
	LockTimeout  = "timeout"
	LockInvalid  = "invalid"
	LockError    = "error"
)

// NewLocks returns the lock service over the engine's storages and the
// directory's settings.
func NewLocks(e *Engine, d *Directory) *Locks {
	return &Locks{directory: d, storages: e.storages, Now: time.Now}
}

// Acquire takes the lock o names for app, waiting up to o.Timeout while it
// is held elsewhere: ELocked when the wait ends without it, EInvalid for
// bad options (checked before any storage is touched), EUnavailable when
// the lock storage fails.
func (l *Locks) Acquire(ctx context.Context, app string, o LockOptions) (Lock, error) {
	start := l.Now()
	if err := o.Validate(); err != nil {
		l.observe("", o.Type, LockInvalid, 0)
		return Lock{}, err
	}
	lk, storage, err := l.locker(ctx, app)
	if err != nil {
		l.observe(storage, o.Type, resultOf(err), 0)
		return Lock{}, err
	}
	lock, err := l.acquire(ctx, lk, storage, app, o, start)
	l.observe(storage, o.Type, resultOf(err), l.Now().Sub(start))
	return lock, err
}

func resultOf(err error) string {
	switch ErrorCode(err) {
	case "":
		return LockAcquired
	case ELocked:
		return LockTimeout
	case EInvalid, EInvalidSettings:
		return LockInvalid
	}
	return LockError
}

func (l *Locks) observe(storage string, typ LockType, result string, waited time.Duration) {
	if l.Observer != nil {
		l.Observer.ObserveLock(storage, typ, result, waited)
	}
}

// acquire tries the lock, then, while it is held and the timeout allows,
// waits for a sign that it was released (from the storage, or from this
// instance) or for a backoff that doubles from lockBackoffMin to
// lockBackoffMax, and tries again. The backoff bounds how late a waiter
// finds a lock whose lease ran out or whose release signal was lost, and
// how often it asks the storage.
func (l *Locks) acquire(ctx context.Context, lk Locker, storage, app string, o LockOptions, start time.Time) (Lock, error) {
	req := LockRequest{Name: o.Name, Type: o.Type, Token: NewLockToken(start), Lease: o.Lease, Waiting: o.Timeout > 0}
	deadline := start.Add(o.Timeout)
	key := storage + "\x00" + app + "\x00" + o.Name
	backoff := lockBackoffMin
	var released <-chan struct{}
	watching := false
	for {
		local := l.local.wait(key)
		lock, holder, ok, err := lk.TryLock(ctx, app, req, l.Now())
		if err != nil {
			l.local.done(key, local)
			return Lock{}, lockStorageError(storage, err)
		}
		if ok {
			l.local.done(key, local)
			lock.Name = o.Name
			return lock, nil
		}
		remaining := deadline.Sub(l.Now())
		if remaining <= 0 {
			l.local.done(key, local)
			return Lock{}, lockedError(o, holder, l.Now())
		}
		if w, ok := lk.(LockWatcher); ok && !watching {
			// Watch only once the lock proved held, so that an
			// uncontended lock costs no subscription; then try again
			// at once, since a release before the watch began would
			// not be signalled.
			ch, stop := w.WatchLock(app, o.Name)
			defer stop()
			released, watching = ch, true
			l.local.done(key, local)
			continue
		}
		t := time.NewTimer(min(backoff, remaining))
		select {
		case <-released:
			backoff = lockBackoffMin
		case <-local.ch:
			backoff = lockBackoffMin
		case <-t.C:
			backoff = min(2*backoff, lockBackoffMax)
		case <-ctx.Done():
		}
		t.Stop()
		l.local.done(key, local)
		if ctx.Err() != nil {
			return Lock{}, Errorf(EUnavailable, "the request ended while it waited for lock %q", o.Name)
		}
	}
}

// Renew extends the lease of the holder token of app's lock name to
// lease from now: EConflict when the token holds no live lease on it.
func (l *Locks) Renew(ctx context.Context, app, name, token string, lease time.Duration) (Lock, error) {
	if err := ValidateLockName(name); err != nil {
		return Lock{}, err
	}
	if err := validateLease(lease); err != nil {
		return Lock{}, err
	}
	if token == "" {
		return Lock{}, Errorf(EInvalid, "the Lock-Token header is required: send the token that took the lock")
	}
	if !validLockToken(token) {
		return Lock{}, notHeld(name)
	}
	lk, storage, err := l.locker(ctx, app)
	if err != nil {
		return Lock{}, err
	}
	expires, ok, err := lk.Renew(ctx, app, name, token, lease, l.Now())
	if err != nil {
		return Lock{}, lockStorageError(storage, err)
	}
	if !ok {
		return Lock{}, notHeld(name)
	}
	return Lock{Name: name, Token: token, Expires: expires}, nil
}

// Release releases the holder token's lease on app's lock name: EConflict
// when the token holds no live lease on it.
func (l *Locks) Release(ctx context.Context, app, name, token string) error {
	if err := ValidateLockName(name); err != nil {
		return err
	}
	if token == "" {
		return Errorf(EInvalid, "the Lock-Token header is required: send the token that took the lock")
	}
	if !validLockToken(token) {
		return notHeld(name)
	}
	lk, storage, err := l.locker(ctx, app)
	if err != nil {
		return err
	}
	ok, err := lk.Unlock(ctx, app, name, token, l.Now())
	if err != nil {
		return lockStorageError(storage, err)
	}
	if !ok {
		return notHeld(name)
	}
	l.local.notify(storage + "\x00" + app + "\x00" + name)
	return nil
}

// locker returns the Locker of app's lockStorage and the storage's name.
func (l *Locks) locker(ctx context.Context, app string) (Locker, string, error) {
	eff, err := l.directory.Effective(ctx, app)
	if err != nil {
		return nil, "", err
	}
	storage := eff.Settings.LockStorage
	st, err := l.storages.Store(ctx, storage)
	if err != nil {
		if ErrorCode(err) == EInternal {
			return nil, storage, Unavailable("lock storage "+quote(storage), err)
		}
		return nil, storage, err
	}
	lk, ok := st.(Locker)
	if !ok {
		return nil, storage, Errorf(EInvalidSettings, "storage %q cannot hold locks: set lockStorage to memory or to a Redis, MySQL or PostgreSQL connection", storage)
	}
	return lk, storage, nil
}

func lockStorageError(storage string, err error) error {
	if ErrorCode(err) != EInternal {
		return err
	}
	return Unavailable("lock storage "+quote(storage), err)
}

func notHeld(name string) error {
	return Errorf(EConflict, "lock %q is not held with this token: its lease ran out, it was released, or the token is another lock's; take the lock again", name)
}

// lockedError says that the wait for a lock ended without it, and who
// holds it, as far as the storage tells.
func lockedError(o LockOptions, h LockHolder, now time.Time) error {
	var b strings.Builder
	fmt.Fprintf(&b, "lock %q (%s) was not acquired", o.Name, o.Type)
	if o.Timeout > 0 {
		fmt.Fprintf(&b, " within %s", o.Timeout)
	}
	switch {
	case h.WriterWaiting:
		b.WriteString(": an exclusive request is waiting for it, and readonly requests wait behind it")
	case h.Type == LockReadonly && h.Holders > 1:
		fmt.Fprintf(&b, ": %d readonly holders have it", h.Holders)
	case h.Type != "":
		fmt.Fprintf(&b, ": it is held %s", h.Type)
	default:
		b.WriteString(": it is held")
	}
	if !h.Since.IsZero() {
		fmt.Fprintf(&b, ", since %s (%s ago)", h.Since.UTC().Format(time.RFC3339), now.Sub(h.Since).Round(time.Second))
	}
	b.WriteString("; try again later or with a longer timeout")
	return Errorf(ELocked, "%s", b.String())
}

// localWaiters wakes the waiters for a lock in this instance when this
// instance releases it: one channel per lock waited for, closed and
// forgotten on each release.
type localWaiters struct {
	mu sync.Mutex
	m  map[string]*localWait
}

type localWait struct {
	ch    chan struct{}
	users int
}

// wait returns the wait that the next release of key ends, counting the
// caller as a waiter until it calls done.
func (w *localWaiters) wait(key string) *localWait {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[string]*localWait{}
	}
	lw := w.m[key]
	if lw == nil {
		lw = &localWait{ch: make(chan struct{})}
		w.m[key] = lw
	}
	lw.users++
	return lw
}

// done ends one waiter's interest in lw, forgetting it with its last
// waiter, so that locks no longer waited for take no memory.
func (w *localWaiters) done(key string, lw *localWait) {
	w.mu.Lock()
	defer w.mu.Unlock()
	lw.users--
	if lw.users <= 0 && w.m[key] == lw {
		delete(w.m, key)
	}
}

// notify wakes every waiter for key.
func (w *localWaiters) notify(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if lw := w.m[key]; lw != nil {
		close(lw.ch)
		delete(w.m, key)
	}
}
