package redis

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// sweepBudget is how many index members one DeleteExpired call may examine
// for each record it may delete. It bounds a call's work when few members
// are stale; the cursor carries the walk on at the next call.
const sweepBudget = 10

// maxSweepBatch bounds one round trip of DeleteExpired.
const maxSweepBatch = 500

// sweepCursor is where DeleteExpired goes on from: the index of tag, after
// the member after. The zero value starts at the first index.
type sweepCursor struct {
	tag   string
	after string
}

// DeleteExpired walks the indexes from where the last call stopped and
// removes up to limit entries: members whose key Redis has expired (or that
// was deleted) and scopes expired at now but still in their grace time,
// key and member. It returns the keys of the scopes it removed: those
// are the scopes that expired, whether Redis or this call deleted them. A
// key that Redis expired is reported when its member is pruned, by the call
// whose ZREM removed it, so once, even when two instances sweep together
// (a member whose ZREM fails stays, and is reported by a later call). A
// scope deleted by Delete whose member Delete failed to remove is reported
// too: Redis cannot tell it from one that expired. Redis expires keys by
// itself, so this is housekeeping of the indexes, and each call is bounded:
// it examines at most sweepBudget*limit members, and it ends at the end of
// the last index, so that a caller that loops while it gets limit stops
// after one pass. A cursor per Store is enough: the cleaner runs on one
// instance at a time, and another instance's walk only repeats work.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) ([]scopes.Key, error) {
	if limit <= 0 {
		return nil, nil
	}
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()

	tags, err := s.client.SMembers(ctx, s.registryKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("redis: delete expired: read the index registry: %w", err)
	}
	slices.Sort(tags)
	i, found := slices.BinarySearch(tags, s.sweep.tag)
	after := ""
	if found {
		after = s.sweep.after
	}
	var removed []scopes.Key
	budget := sweepBudget * min(limit, math.MaxInt/sweepBudget)
	for ; i < len(tags); i, after = i+1, "" {
		tag := tags[i]
		for {
			if len(removed) >= limit || budget <= 0 {
				s.sweep = sweepCursor{tag: tag, after: after}
				return removed, nil
			}
			batch := min(limit-len(removed), budget, maxSweepBatch)
			cfids, err := s.members(ctx, tag, after, batch)
			if err == nil {
				var keys []scopes.Key
				keys, err = s.expireBatch(ctx, tag, cfids, now)
				removed = append(removed, keys...)
			}
			if err != nil {
				s.sweep = sweepCursor{tag: tag, after: after}
				return removed, fmt.Errorf("redis: delete expired %s: %w", tag, err)
			}
			budget -= len(cfids)
			if len(cfids) < batch {
				break
			}
			after = cfids[len(cfids)-1]
		}
	}
	s.sweep = sweepCursor{}
	return removed, nil
}

// expireBatch runs expireScript on the scopes cfids of tag, then drops from
// the index those that were gone or that it deleted, and returns the keys
// of those this call dropped. It never removes more than len(cfids), which
// DeleteExpired's limit relies on.
func (s *Store) expireBatch(ctx context.Context, tag string, cfids []string, now time.Time) ([]scopes.Key, error) {
	if len(cfids) == 0 {
		return nil, nil
	}
	keys := make([]string, len(cfids))
	for i, cfid := range cfids {
		keys[i] = s.scopeKey(tag, cfid)
	}
	cmds, err := evalEach(ctx, s.client, expireScript, keys, now.UnixMilli())
	if err != nil {
		return nil, err
	}
	var ended []string
	for i, cmd := range cmds {
		if res, _ := cmd.Int64(); res == expireGone || res == expireDeleted {
			ended = append(ended, cfids[i])
		}
	}
	removed, err := s.unindex(ctx, tag, ended)
	out := make([]scopes.Key, 0, len(removed))
	for _, cfid := range removed {
		out = append(out, keyOfTag(tag, cfid))
	}
	return out, err
}

// keyOfTag is the key of the scope cfid of tag (see tagOf: an app name has
// no colon, so the last one ends it).
func keyOfTag(tag, cfid string) scopes.Key {
	i := strings.LastIndexByte(tag, ':')
	if i < 0 {
		return scopes.Key{App: tag, CFID: cfid}
	}
	return scopes.Key{App: tag[:i], Kind: scopes.Kind(tag[i+1:]), CFID: cfid}
}
