package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/scopes"
)

// Count returns the number of an app's scopes of one kind that are live at
// now: the entries of the expiry indexes scored after now (ZCOUNT, one
// command per bucket in one pipeline, whatever the number of scopes). It is
// exact: every write sets a scope's value and its expiry entry in one
// script.
func (s *Store) Count(ctx context.Context, app string, kind scopes.Kind, now time.Time) (int64, bool, error) {
	if err := checkKind(kind); err != nil {
		return 0, false, err
	}
	pipe := s.client.Pipeline()
	cmds := make([]*goredis.IntCmd, len(buckets))
	after := "(" + strconv.FormatInt(now.UnixMilli(), 10)
	for i := range buckets {
		cmds[i] = pipe.ZCount(ctx, s.expKey(bucketTag(kindOf(app, kind), buckets[i])), after, "+inf")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, false, fmt.Errorf("redis: count %s %s: %w", app, kind, err)
	}
	var n int64
	for _, cmd := range cmds {
		n += cmd.Val()
	}
	return n, true, nil
}
