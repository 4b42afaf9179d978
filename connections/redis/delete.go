package redis

import (
	"context"
	"fmt"

	"github.com/scopestore/scopestore/scopes"
)

// Delete removes the value under key, expired or not, with its index
// entries, in one round trip, and reports whether there was one.
func (s *Store) Delete(ctx context.Context, key scopes.Key) (bool, error) {
	k, tag, err := s.keyOf(key)
	if err != nil {
		return false, err
	}
	n, err := deleteScript.Run(ctx, s.client, []string{k, s.lexKey(tag), s.expKey(tag)}, key.CFID).Int64()
	if err != nil {
		s.reloadOnFailure(ctx)
		return false, fmt.Errorf("redis: delete %s %s: %w", key.App, key.Kind, err)
	}
	return n > 0, nil
}
