package memory

import (
	"context"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

var _ scopes.LockBreaker = (*Store)(nil)

// BreakLock ends every live lease on (app, name) and tells the lock's
// watchers, as Unlock does. Like every memory lock, it reaches this
// process's locks only. The fence counter is left alone.
func (s *Store) BreakLock(_ context.Context, app, name string, now time.Time) ([]scopes.HeldLock, error) {
	t := &s.locks
	t.mu.Lock()
	defer t.mu.Unlock()
	k := lockKey{app, name}
	st := t.m[k]
	if st == nil {
		return nil, nil
	}
	st.prune(now)
	var broken []scopes.HeldLock
	if h := st.exclusive; h != nil {
		broken = append(broken, scopes.HeldLock{Name: name, Type: scopes.LockExclusive, Since: h.since, Expires: h.expires})
		st.exclusive = nil
	}
	for tok, h := range st.readers {
		broken = append(broken, scopes.HeldLock{Name: name, Type: scopes.LockReadonly, Since: h.since, Expires: h.expires})
		delete(st.readers, tok)
	}
	if st.empty(now) {
		delete(t.m, k)
	}
	if len(broken) > 0 {
		t.signal(k)
	}
	return broken, nil
}
