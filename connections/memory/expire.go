package memory

import (
	"context"
	"time"
)

// DeleteExpired deletes up to limit records that expired at now, one shard
// at a time so that requests for other shards go on meanwhile.
func (s *Store) DeleteExpired(_ context.Context, now time.Time, limit int) (int, error) {
	n := 0
	for i := range s.shards {
		if n >= limit {
			break
		}
		sh := &s.shards[i]
		sh.mu.Lock()
		for k, rec := range sh.m {
			if n >= limit {
				break
			}
			if rec.Expired(now) {
				delete(sh.m, k)
				n++
			}
		}
		sh.mu.Unlock()
	}
	return n, nil
}
