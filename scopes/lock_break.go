package scopes

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// LockBreaker is a Locker that an administrator can free a lock in,
// whoever holds it.
type LockBreaker interface {
	// BreakLock ends every live lease on (app, name) at now, the exclusive
	// holder's or all readonly holders', and tells the lock's waiters as a
	// release does. It returns the holders it ended, none when the lock was
	// free. The fence is left as it is: it only grows, so the next holder
	// gets a higher one than the holders broken, whose writes a storage
	// that checks fences can still refuse.
	BreakLock(ctx context.Context, app, name string, now time.Time) ([]HeldLock, error)
}

// Break frees app's lock name whatever its holders, for an administrator,
// and records it in the audit log as lock.break. It returns the holders it
// ended and the lock storage: ENotFound when the lock was not held. The
// holders are not told: their renewal and release answer 409 from now on,
// and their fence stays valid until the next holder's higher one. In the
// memory storage it reaches this instance's locks only.
func (l *Locks) Break(ctx context.Context, app, name string) ([]HeldLock, string, error) {
	if err := ValidateLockName(name); err != nil {
		return nil, "", err
	}
	lk, storage, err := l.locker(ctx, app)
	if err != nil {
		return nil, storage, err
	}
	lb, ok := lk.(LockBreaker)
	if !ok {
		return nil, storage, Errorf(EUnsupported, "lock storage %q cannot break its locks", storage)
	}
	broken, err := lb.BreakLock(ctx, app, name, l.Now())
	if err != nil {
		return nil, storage, lockStorageError(storage, err)
	}
	if len(broken) == 0 {
		return nil, storage, Errorf(ENotFound, "lock %q of %s is not held now: its holders released it or their lease ran out", name, app)
	}
	l.local.notify(storage + "\x00" + app + "\x00" + name)
	if l.directory != nil {
		l.directory.audit(ctx, "lock.break", LockTarget(app, name), BrokenDetail(broken, storage))
	}
	return broken, storage, nil
}

// LockTarget is how the audit log names a lock: "shop lock counter".
func LockTarget(app, name string) string { return app + " lock " + name }

// BrokenDetail describes the holders a break ended, for the audit log and
// the messages that report it: their type, how many, since when, and when
// their lease would have ended.
func BrokenDetail(broken []HeldLock, storage string) string {
	if len(broken) == 0 {
		return "nothing held"
	}
	since, until := broken[0].Since, broken[0].Expires
	for _, h := range broken[1:] {
		if h.Since.Before(since) {
			since = h.Since
		}
		if h.Expires.After(until) {
			until = h.Expires
		}
	}
	var b strings.Builder
	if broken[0].Type == LockExclusive && len(broken) == 1 {
		b.WriteString("broke the exclusive holder")
	} else {
		fmt.Fprintf(&b, "broke %d %s holder", len(broken), broken[0].Type)
		if len(broken) != 1 {
			b.WriteString("s")
		}
	}
	if !since.IsZero() {
		fmt.Fprintf(&b, ", held since %s", since.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(&b, ", lease to %s; lock storage %s; the fence was kept", until.UTC().Format(time.RFC3339), storage)
	return b.String()
}
