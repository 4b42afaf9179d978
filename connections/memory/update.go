package memory

import (
	"context"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// Update calls fn with the record under key and stores what fn returns. The
// shard's lock is held across fn, which must therefore be quick and do no I/O:
// that lock is what keeps other writes to key out between the read and the write.
func (s *Store) Update(_ context.Context, key scopes.Key, now time.Time, fn func(cur scopes.Record, found bool) (scopes.Record, error)) (scopes.Record, error) {
	if err := checkKind(key.Kind); err != nil {
		return scopes.Record{}, err
	}
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	cur, found := sh.m[key]
	if !found || cur.Expired(now) {
		cur, found = scopes.Record{Key: key}, false
	}
	rec, err := fn(cur, found)
	if err != nil {
		return scopes.Record{}, err
	}
	rec.Key = key
	rec = stored(rec)
	sh.m[key] = rec
	return rec, nil
}
