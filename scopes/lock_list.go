package scopes

import (
	"context"
	"sort"
	"time"
)

// HeldLock is one holder of a named lock, as listings show it: never its
// token, which is what releases the lock.
type HeldLock struct {
	Name    string
	Type    LockType
	Since   time.Time
	Expires time.Time
}

// LockLister is a Locker that can list the locks held now.
type LockLister interface {
	// HeldLocks returns up to limit live holders of app's locks at now.
	HeldLocks(ctx context.Context, app string, now time.Time, limit int) ([]HeldLock, error)
}

// MaxHeldLocks bounds a listing of held locks.
const MaxHeldLocks = 1000

// Held lists up to limit (at most MaxHeldLocks) holders of app's locks
// now, by name then age, and the lock storage they were read from.
func (l *Locks) Held(ctx context.Context, app string, limit int) ([]HeldLock, string, error) {
	if limit <= 0 || limit > MaxHeldLocks {
		limit = MaxHeldLocks
	}
	lk, storage, err := l.locker(ctx, app)
	if err != nil {
		return nil, storage, err
	}
	ll, ok := lk.(LockLister)
	if !ok {
		return nil, storage, Errorf(EUnsupported, "lock storage %q cannot list its locks", storage)
	}
	held, err := ll.HeldLocks(ctx, app, l.Now(), limit)
	if err != nil {
		return nil, storage, lockStorageError(storage, err)
	}
	sort.Slice(held, func(i, j int) bool {
		if held[i].Name != held[j].Name {
			return held[i].Name < held[j].Name
		}
		return held[i].Since.Before(held[j].Since)
	})
	return held, storage, nil
}
