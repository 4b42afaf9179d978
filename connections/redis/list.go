package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/scopes"
)

// List returns up to limit unexpired records of an app's scopes of one kind
// whose cfid sorts after after, in cfid order. It pages through the buckets
// in order, and through each bucket's lex index with ZRANGEBYLEX (all
// scores are 0, so members sort by cfid), reading just the page's values;
// since a bucket holds the cfids that start with its character, that is
// cfid order. Members whose key Redis expired are skipped and left in the
// indexes for DeleteExpired, which removes them and reports those scopes as
// expired, so that their apps are notified; values that do not decode are
// logged and skipped; and the page is filled from the members after them,
// so that neither ends it early.
func (s *Store) List(ctx context.Context, app string, kind scopes.Kind, after string, limit int, now time.Time) ([]scopes.Record, error) {
	if err := checkKind(kind); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	out := make([]scopes.Record, 0, min(limit, 1000))
	first := 0
	if after != "" {
		first = max(strings.IndexByte(buckets, bucketChar(after)), 0)
	}
	for b := first; b < len(buckets) && len(out) < limit; b, after = b+1, "" {
		tag := bucketTag(kindOf(app, kind), buckets[b])
		for len(out) < limit {
			want := limit - len(out)
			cfids, err := s.members(ctx, tag, after, want)
			if err != nil {
				return nil, fmt.Errorf("redis: list %s %s: %w", app, kind, err)
			}
			keys := make([]string, len(cfids))
			for i, cfid := range cfids {
				keys[i] = s.scopeKey(tag, cfid)
			}
			values, err := s.getEach(ctx, keys)
			if err != nil {
				return nil, fmt.Errorf("redis: list %s %s: %w", app, kind, err)
			}
			for i, cfid := range cfids {
				if values[i] == nil {
					continue
				}
				key := scopes.Key{App: app, Kind: kind, CFID: cfid}
				rec, err := scopes.DecodeRecord(key, values[i])
				if err != nil {
					s.log.WarnContext(ctx, "skipping a stored scope that does not decode", "app", app, "kind", kind, "cfid", cfid, "err", err)
					continue
				}
				if !rec.Expired(now) {
					out = append(out, rec)
				}
			}
			if len(cfids) < want {
				break
			}
			after = cfids[len(cfids)-1]
		}
	}
	return out, nil
}

// members returns up to n members of the lex index of bucket tag after the
// member after ("" for the first), in order.
func (s *Store) members(ctx context.Context, tag, after string, n int) ([]string, error) {
	start := "-"
	if after != "" {
		start = "(" + after
	}
	return s.client.ZRangeByLex(ctx, s.lexKey(tag), &goredis.ZRangeBy{Min: start, Max: "+", Count: int64(n)}).Result()
}

// getEach returns the value of each key, nil for a missing one. One GET per
// key in a pipeline rather than MGET: the keys have as many slots as
// scopes, and a ClusterClient splits a pipeline by node but not an MGET.
func (s *Store) getEach(ctx context.Context, keys []string) ([][]byte, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	pipe := s.client.Pipeline()
	cmds := make([]*goredis.StringCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.Get(ctx, k)
	}
	// Exec reports the first failed command, and a missing key fails its GET.
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
		return nil, err
	}
	out := make([][]byte, len(keys))
	for i, cmd := range cmds {
		value, err := cmd.Bytes()
		if errors.Is(err, goredis.Nil) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[i] = value
	}
	return out, nil
}
