package redis

import (
	"context"
	"fmt"

	"github.com/scopestore/scopestore/scopes"
)

// Delete removes the value under key, expired or not, and reports whether
// there was one. Its index member goes too; if that fails the member is
// only stale, which List tolerates and DeleteExpired prunes (reporting the
// scope as expired, as it cannot tell), so the failure is logged rather
// than returned.
func (s *Store) Delete(ctx context.Context, key scopes.Key) (bool, error) {
	k, tag, err := s.keyOf(key)
	if err != nil {
		return false, err
	}
	n, err := s.client.Del(ctx, k).Result()
	if err != nil {
		return false, fmt.Errorf("redis: delete %s %s: %w", key.App, key.Kind, err)
	}
	if _, err := s.unindex(ctx, tag, []string{key.CFID}); err != nil {
		s.log.WarnContext(ctx, "could not remove a deleted scope from its index", "app", key.App, "kind", key.Kind, "cfid", key.CFID, "err", err)
	}
	return n > 0, nil
}
