package redis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// maxUpdateAttempts bounds the optimistic retries of one Update when the
// caller's context has no deadline; reaching it takes hundreds of writers
// of one scope at once.
const maxUpdateAttempts = 1000

// Update reads the value under key, calls fn with its record and writes the
// record fn returns with casScript, which writes only if the key still holds
// the value read (by digest), or is still absent when there was none. When
// another writer came first, Update reads again and calls fn again, after a
// short random pause, until it wins, ctx ends or maxUpdateAttempts pass: fn
// may thus run more than once, and what it returns last is written.
//
// A compare-and-set script rather than WATCH/MULTI: it works the same in
// standalone, Sentinel and Cluster modes (one key, one slot), holds no
// connection aside while fn runs, and costs one round trip more than a blind
// write (the read). Comparing the whole value, not the version, matters: a
// visit moves lastvisit and expires but keeps the version.
//
// A value that does not decode aborts the update with the ECorrupt error: fn
// never sees it, and Save or Delete replace it.
func (s *Store) Update(ctx context.Context, key scopes.Key, now time.Time, fn func(cur scopes.Record, found bool) (scopes.Record, error)) (scopes.Record, error) {
	k, tag, err := s.keyOf(key)
	if err != nil {
		return scopes.Record{}, err
	}
	for attempt := 1; ; attempt++ {
		old, present, err := s.get(ctx, k)
		if err != nil {
			return scopes.Record{}, fmt.Errorf("redis: update %s %s: read: %w", key.App, key.Kind, err)
		}
		cur, found, expect := scopes.Record{Key: key}, false, ""
		if present {
			expect = digest(old)
			rec, err := scopes.DecodeRecord(key, old)
			if err != nil {
				return scopes.Record{}, err
			}
			// An expired record still in its grace time is no record, but
			// the write must still find exactly that value in place.
			if !rec.Expired(now) {
				cur, found = rec, true
			}
		}

		next, err := fn(cur, found)
		if err != nil {
			return scopes.Record{}, err
		}
		next.Key = key
		next, value := stored(next)
		res, err := casScript.Run(ctx, s.client, []string{k}, expect, value, expireAt(next)).Int64()
		if err != nil {
			return scopes.Record{}, fmt.Errorf("redis: update %s %s: write: %w", key.App, key.Kind, err)
		}
		switch res {
		case casConflict:
			if attempt >= maxUpdateAttempts {
				return scopes.Record{}, scopes.Errorf(scopes.EConflict,
					"the %s scope %s of app %s changed under %d attempts to update it; try again", key.Kind, key.CFID, key.App, attempt)
			}
			if err := pause(ctx, attempt); err != nil {
				return scopes.Record{}, fmt.Errorf("redis: update %s %s: %w", key.App, key.Kind, err)
			}
			continue
		case casCreated:
			if err := s.index(ctx, tag, key.CFID); err != nil {
				return scopes.Record{}, fmt.Errorf("redis: update %s %s: index: %w", key.App, key.Kind, err)
			}
		}
		return next, nil
	}
}

// pause waits a random time that grows with the attempts (up to 10ms), so
// that writers who lost a race spread out instead of colliding again.
func pause(ctx context.Context, attempt int) error {
	limit := time.Duration(min(attempt, 10)) * time.Millisecond
	t := time.NewTimer(rand.N(limit) + time.Microsecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
