package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// Count returns the size of the index of an app's scopes of one kind (ZCARD,
// one command whatever the size), an estimate: exact is always false. The
// index still holds the members of keys that Redis expired or that expired
// at now within their grace time, until List or DeleteExpired prunes them,
// so the count may be above the live count by the scopes that expired since
// the cleaner's last pass; while none has, it is the live count. It is below
// only by the scopes whose writer failed between the key and the index (see
// the package doc). Counting the live keys exactly would read every one.
func (s *Store) Count(ctx context.Context, app string, kind scopes.Kind, _ time.Time) (int64, bool, error) {
	if err := checkKind(kind); err != nil {
		return 0, false, err
	}
	n, err := s.client.ZCard(ctx, s.indexKey(tagOf(app, kind))).Result()
	if err != nil {
		return 0, false, fmt.Errorf("redis: count %s %s: %w", app, kind, err)
	}
	return n, false, nil
}
