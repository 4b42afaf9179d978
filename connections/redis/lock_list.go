package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/scopes"
)

var _ scopes.LockLister = (*Store)(nil)

// HeldLocks lists the live holders of app's locks: a SCAN of the app's
// lock keys (on every master in Cluster mode), then each holder key read.
// It is for the console and the command line, never a request's path.
func (s *Store) HeldLocks(ctx context.Context, app string, now time.Time, limit int) ([]scopes.HeldLock, error) {
	if err := checkLockApp(app); err != nil {
		return nil, err
	}
	base := s.prefix + "{L:" + app + ":"
	pattern := globEscape(base) + "*"
	var mu sync.Mutex
	var out []scopes.HeldLock
	scan := func(ctx context.Context, c goredis.Cmdable) error {
		iter := c.Scan(ctx, 0, pattern, 500).Iterator()
		for iter.Next(ctx) {
			key := iter.Val()
			if len(key) < len(base)+2 || key[len(key)-2] != '}' {
				continue
			}
			name := key[len(base) : len(key)-2]
			held, err := readHolders(ctx, c, key, name, now)
			if err != nil {
				return err
			}
			mu.Lock()
			out = append(out, held...)
			full := len(out) >= limit
			mu.Unlock()
			if full {
				return nil
			}
		}
		return iter.Err()
	}
	var err error
	if cc, ok := s.client.(*goredis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error { return scan(ctx, c) })
	} else {
		err = scan(ctx, s.client)
	}
	if err != nil {
		return nil, fmt.Errorf("redis: list locks: %w", err)
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// readHolders reads the holders kept under one lock key: the exclusive
// holder's key ("…}x") or the readers' set ("…}r"); other keys hold none.
func readHolders(ctx context.Context, c goredis.Cmdable, key, name string, now time.Time) ([]scopes.HeldLock, error) {
	switch key[len(key)-1] {
	case 'x':
		tok, err := c.Get(ctx, key).Result()
		if errors.Is(err, goredis.Nil) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		ttl, err := c.PTTL(ctx, key).Result()
		if err != nil || ttl <= 0 {
			return nil, err
		}
		return []scopes.HeldLock{{Name: name, Type: scopes.LockExclusive, Since: scopes.LockTokenSince(tok), Expires: now.Add(ttl)}}, nil
	case 'r':
		zs, err := c.ZRangeByScoreWithScores(ctx, key, &goredis.ZRangeBy{Min: "(" + strconv.FormatInt(now.UnixMilli(), 10), Max: "+inf"}).Result()
		if err != nil {
			return nil, err
		}
		out := make([]scopes.HeldLock, 0, len(zs))
		for _, z := range zs {
			tok, _ := z.Member.(string)
			out = append(out, scopes.HeldLock{Name: name, Type: scopes.LockReadonly, Since: scopes.LockTokenSince(tok), Expires: time.UnixMilli(int64(z.Score))})
		}
		return out, nil
	}
	return nil, nil
}

// globEscape escapes the characters that SCAN's MATCH reads as a pattern.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
