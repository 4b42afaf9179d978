package memory

import (
	"context"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// DeleteExpired deletes up to limit records that expired at now, one shard
// at a time so that requests for other shards go on meanwhile, and returns
// their keys.
func (s *Store) DeleteExpired(_ context.Context, now time.Time, limit int) ([]scopes.Key, error) {
	var keys []scopes.Key
	for i := range s.shards {
		if len(keys) >= limit {
			break
		}
		sh := &s.shards[i]
		sh.mu.Lock()
		for k, rec := range sh.m {
			if len(keys) >= limit {
				break
			}
			if rec.Expired(now) {
				delete(sh.m, k)
				s.usage.replaced(rec, true, scopes.Record{}, false)
				keys = append(keys, k)
			}
		}
		sh.mu.Unlock()
	}
	return keys, nil
}
