package redis

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/scopes"
)

// DeleteExpired removes up to limit scopes that expired at now and returns
// their keys, so that their apps can be told. Redis expires the values by
// itself (expiryGrace after their Expires); what is left to do is to find
// the scopes that ended, which the expiry indexes list by expiry: one
// ZRANGEBYSCORE per bucket of each registered (app, kind), all in one
// pipeline, finds them, and expireScript ends each, deleting a value still
// in its grace time. Its work is thus proportional to what expired, not to
// the live scopes: with nothing expired, a call costs SMEMBERS and one
// command per bucket. A scope is reported by the call whose script removed
// its expiry entry, so once, even when instances clean at once. A scope
// whose value Redis expired and that Delete then removed is not reported:
// Delete removed its entries.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) ([]scopes.Key, error) {
	if limit <= 0 {
		return nil, nil
	}
	kinds, err := s.client.SMembers(ctx, s.registryKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("redis: delete expired: read the registry: %w", err)
	}
	// Those this Store wrote, whose registration may still be under way.
	s.registered.Range(func(member, _ any) bool {
		kinds = append(kinds, member.(string))
		return true
	})
	slices.Sort(kinds)
	kinds = slices.Compact(kinds)
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	pipe := s.client.Pipeline()
	var tags []string
	var found []*goredis.StringSliceCmd
	for _, kind := range kinds {
		for i := range buckets {
			tag := bucketTag(kind, buckets[i])
			tags = append(tags, tag)
			found = append(found, pipe.ZRangeByScore(ctx, s.expKey(tag), &goredis.ZRangeBy{Min: "-inf", Max: ms, Count: int64(limit)}))
		}
	}
	if len(tags) == 0 {
		return nil, nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("redis: delete expired: read the expiry indexes: %w", err)
	}
	var keys [][]string
	var args [][]any
	var ended []scopes.Key
	for i, cmd := range found {
		for _, cfid := range cmd.Val() {
			if len(keys) == limit {
				break
			}
			keys = append(keys, []string{s.scopeKey(tags[i], cfid), s.lexKey(tags[i]), s.expKey(tags[i])})
			args = append(args, []any{ms, cfid})
			ended = append(ended, keyOfBucket(tags[i], cfid))
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	cmds, err := evalEach(ctx, s.client, expireScript, keys, args)
	var removed []scopes.Key
	for i, cmd := range cmds {
		if n, _ := cmd.Int64(); n == 1 {
			removed = append(removed, ended[i])
		}
	}
	if err != nil {
		return removed, fmt.Errorf("redis: delete expired: %w", err)
	}
	return removed, nil
}

// keyOfBucket is the key of the scope cfid of bucket tag ("app:kind:b"; an
// app name has no colon).
func keyOfBucket(tag, cfid string) scopes.Key {
	parts := strings.SplitN(tag, ":", 3)
	if len(parts) < 2 {
		return scopes.Key{App: tag, CFID: cfid}
	}
	return scopes.Key{App: parts[0], Kind: scopes.Kind(parts[1]), CFID: cfid}
}
