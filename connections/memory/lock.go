package memory

import (
	"context"
	"sync"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// The memory storage's named locks live in this process only: they hold
// between the requests of one scopestore instance, never across instances.

var (
	_ scopes.Locker      = (*Store)(nil)
	_ scopes.LockWatcher = (*Store)(nil)
)

// lockTable holds the locks of a memory Store. Its zero value is empty.
type lockTable struct {
	mu sync.Mutex
	m  map[lockKey]*lockState
	// fence is one counter for every lock: it grows for each (app, name)
	// because it grows overall, and needs no entry kept per name once a
	// lock is free.
	fence int64
	// watchers are told of each release of their lock.
	watchers map[lockKey]map[chan struct{}]struct{}
	// tries counts TryLock calls, so that every sweepEvery-th one drops
	// the locks whose holders vanished and that nobody asked for since.
	tries int
}

// sweepEvery is how many TryLock calls pass between two sweeps of the
// whole table: often enough to bound what vanished holders leave, seldom
// enough that the sweep's cost per call stays small.
const sweepEvery = 4096

// sweep drops the entries that hold nothing at now; the lock is held.
func (t *lockTable) sweep(now time.Time) {
	for k, st := range t.m {
		st.prune(now)
		if st.empty(now) {
			delete(t.m, k)
		}
	}
}

type lockKey struct{ app, name string }

type lockState struct {
	exclusive *holder
	readers   map[string]holder
	// writerUntil keeps new readonly holders out while an exclusive
	// request waits (scopes.LockWriterMark).
	writerUntil time.Time
}

type holder struct {
	token   string
	since   time.Time
	expires time.Time
}

// prune drops the holders whose lease ran out at now.
func (st *lockState) prune(now time.Time) {
	if st.exclusive != nil && !now.Before(st.exclusive.expires) {
		st.exclusive = nil
	}
	for tok, h := range st.readers {
		if !now.Before(h.expires) {
			delete(st.readers, tok)
		}
	}
}

func (st *lockState) empty(now time.Time) bool {
	return st.exclusive == nil && len(st.readers) == 0 && !now.Before(st.writerUntil)
}

// TryLock takes the lock if it is free at now.
func (s *Store) TryLock(_ context.Context, app string, req scopes.LockRequest, now time.Time) (scopes.Lock, scopes.LockHolder, bool, error) {
	t := &s.locks
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[lockKey]*lockState{}
	}
	if t.tries++; t.tries%sweepEvery == 0 {
		t.sweep(now)
	}
	k := lockKey{app, req.Name}
	st := t.m[k]
	if st == nil {
		st = &lockState{}
		t.m[k] = st
	}
	st.prune(now)
	var held scopes.LockHolder
	switch {
	case st.exclusive != nil:
		held = scopes.LockHolder{Type: scopes.LockExclusive, Since: st.exclusive.since}
	case req.Type == scopes.LockExclusive && len(st.readers) > 0:
		held = scopes.LockHolder{Type: scopes.LockReadonly, Holders: len(st.readers), Since: oldest(st.readers)}
	case req.Type == scopes.LockReadonly && now.Before(st.writerUntil):
		held = scopes.LockHolder{WriterWaiting: true}
	default:
		h := holder{token: req.Token, since: now, expires: now.Add(req.Lease)}
		if req.Type == scopes.LockExclusive {
			st.exclusive = &h
			st.writerUntil = time.Time{}
		} else {
			if st.readers == nil {
				st.readers = map[string]holder{}
			}
			st.readers[req.Token] = h
		}
		t.fence++
		return scopes.Lock{Name: req.Name, Type: req.Type, Token: req.Token, Fence: t.fence, Expires: h.expires}, scopes.LockHolder{}, true, nil
	}
	if req.Type == scopes.LockExclusive && req.Waiting {
		st.writerUntil = now.Add(scopes.LockWriterMark)
	}
	if st.empty(now) {
		delete(t.m, k)
	}
	return scopes.Lock{}, held, false, nil
}

func oldest(readers map[string]holder) time.Time {
	var since time.Time
	for _, h := range readers {
		if since.IsZero() || h.since.Before(since) {
			since = h.since
		}
	}
	return since
}

// find returns the live holder token of (app, name) and a function that
// removes it; the table's lock is held.
func (t *lockTable) find(k lockKey, token string, now time.Time) (h *holder, remove func(), st *lockState) {
	st = t.m[k]
	if st == nil {
		return nil, nil, nil
	}
	st.prune(now)
	if st.exclusive != nil && st.exclusive.token == token {
		return st.exclusive, func() { st.exclusive = nil }, st
	}
	if r, ok := st.readers[token]; ok {
		return &r, func() { delete(st.readers, token) }, st
	}
	return nil, nil, st
}

// Renew extends the lease of the holder token.
func (s *Store) Renew(_ context.Context, app, name, token string, lease time.Duration, now time.Time) (time.Time, bool, error) {
	t := &s.locks
	t.mu.Lock()
	defer t.mu.Unlock()
	k := lockKey{app, name}
	h, _, st := t.find(k, token, now)
	if h == nil {
		return time.Time{}, false, nil
	}
	h.expires = now.Add(lease)
	if st.exclusive == nil || st.exclusive.token != token {
		st.readers[token] = *h
	}
	return h.expires, true, nil
}

// Unlock releases the holder token's lease and tells the lock's watchers.
func (s *Store) Unlock(_ context.Context, app, name, token string, now time.Time) (bool, error) {
	t := &s.locks
	t.mu.Lock()
	defer t.mu.Unlock()
	k := lockKey{app, name}
	h, remove, st := t.find(k, token, now)
	if h == nil {
		return false, nil
	}
	remove()
	if st.empty(now) {
		delete(t.m, k)
	}
	t.signal(k)
	return true, nil
}

// signal tells the watchers of k that it may be free; the table's lock is
// held.
func (t *lockTable) signal(k lockKey) {
	for ch := range t.watchers[k] {
		select {
		case ch <- struct{}{}:
		default: // a signal is pending already
		}
	}
}

// WatchLock signals each release of (app, name) in this process.
func (s *Store) WatchLock(app, name string) (<-chan struct{}, func()) {
	t := &s.locks
	k := lockKey{app, name}
	ch := make(chan struct{}, 1)
	t.mu.Lock()
	if t.watchers == nil {
		t.watchers = map[lockKey]map[chan struct{}]struct{}{}
	}
	if t.watchers[k] == nil {
		t.watchers[k] = map[chan struct{}]struct{}{}
	}
	t.watchers[k][ch] = struct{}{}
	t.mu.Unlock()
	return ch, func() {
		t.mu.Lock()
		delete(t.watchers[k], ch)
		if len(t.watchers[k]) == 0 {
			delete(t.watchers, k)
		}
		t.mu.Unlock()
	}
}

var _ scopes.LockLister = (*Store)(nil)

// HeldLocks lists the live holders of app's locks in this process.
func (s *Store) HeldLocks(_ context.Context, app string, now time.Time, limit int) ([]scopes.HeldLock, error) {
	t := &s.locks
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []scopes.HeldLock
	add := func(name string, typ scopes.LockType, h holder) {
		if len(out) < limit && now.Before(h.expires) {
			out = append(out, scopes.HeldLock{Name: name, Type: typ, Since: h.since, Expires: h.expires})
		}
	}
	for k, st := range t.m {
		if k.app != app {
			continue
		}
		if st.exclusive != nil {
			add(k.name, scopes.LockExclusive, *st.exclusive)
		}
		for _, h := range st.readers {
			add(k.name, scopes.LockReadonly, h)
		}
	}
	return out, nil
}
