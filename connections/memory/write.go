package memory

import (
	"context"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// Write stores a copy of rec if the live record under its key matches
// expect (see scopes.Store.Write). Nothing here fails halfway, so the engine
// never sends a write twice; one sent again all the same is recognised while
// it is among its shard's last recentWrites writes.
func (s *Store) Write(_ context.Context, rec scopes.Record, expect string, now time.Time) (scopes.WriteResult, error) {
	if err := checkKind(rec.Kind); err != nil {
		return scopes.WriteResult{}, err
	}
	if rec.Rev == "" {
		return scopes.WriteResult{}, scopes.Errorf(scopes.EInvalid, "a record to write needs a rev (scopes.NewRev)")
	}
	sh := s.shard(rec.Key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	cur, found := sh.m[rec.Key]
	if found && cur.Expired(now) {
		cur, found = scopes.Record{}, false
	}
	if _, ok := sh.written[rec.Rev]; ok {
		return scopes.WriteResult{Written: true, Rec: stored(rec), Found: true}, nil
	}
	if !scopes.Matches(expect, cur, found) {
		return scopes.WriteResult{Rec: cur, Found: found}, nil
	}
	rec = stored(rec)
	old, had := sh.m[rec.Key]
	sh.m[rec.Key] = rec
	s.usage.replaced(old, had, rec, true)
	sh.remember(rec.Rev)
	return scopes.WriteResult{Written: true, Rec: rec, Found: true}, nil
}
