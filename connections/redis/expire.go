package redis

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"
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
// key and member. It returns how many it removed. Redis expires keys by
// itself, so this is housekeeping of the indexes, and each call is bounded:
// it examines at most sweepBudget*limit members, and it ends at the end of
// the last index, so that a caller that loops while it gets limit stops
// after one pass. A cursor per Store is enough: the cleaner runs on one
// instance at a time, and another instance's walk only repeats work.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()

	tags, err := s.client.SMembers(ctx, s.registryKey()).Result()
	if err != nil {
		return 0, fmt.Errorf("redis: delete expired: read the index registry: %w", err)
	}
	slices.Sort(tags)
	i, found := slices.BinarySearch(tags, s.sweep.tag)
	after := ""
	if found {
		after = s.sweep.after
	}
	n, budget := 0, sweepBudget*min(limit, math.MaxInt/sweepBudget)
	for ; i < len(tags); i, after = i+1, "" {
		tag := tags[i]
		for {
			if n >= limit || budget <= 0 {
				s.sweep = sweepCursor{tag: tag, after: after}
				return n, nil
			}
			batch := min(limit-n, budget, maxSweepBatch)
			cfids, err := s.members(ctx, tag, after, batch)
			if err == nil {
				var removed int
				removed, err = s.expireBatch(ctx, tag, cfids, now)
				n += removed
			}
			if err != nil {
				s.sweep = sweepCursor{tag: tag, after: after}
				return n, fmt.Errorf("redis: delete expired %s: %w", tag, err)
			}
			budget -= len(cfids)
			if len(cfids) < batch {
				break
			}
			after = cfids[len(cfids)-1]
		}
	}
	s.sweep = sweepCursor{}
	return n, nil
}

// expireBatch runs expireScript on the scopes cfids of tag, then drops from
// the index those that were gone or that it deleted, and returns how many.
// It never removes more than len(cfids), which DeleteExpired's limit relies on.
func (s *Store) expireBatch(ctx context.Context, tag string, cfids []string, now time.Time) (int, error) {
	if len(cfids) == 0 {
		return 0, nil
	}
	keys := make([]string, len(cfids))
	for i, cfid := range cfids {
		keys[i] = s.scopeKey(tag, cfid)
	}
	cmds, err := evalEach(ctx, s.client, expireScript, keys, now.UnixMilli())
	if err != nil {
		return 0, err
	}
	var removed []string
	for i, cmd := range cmds {
		if res, _ := cmd.Int64(); res == expireGone || res == expireDeleted {
			removed = append(removed, cfids[i])
		}
	}
	return len(removed), s.unindex(ctx, tag, removed)
}
