package redis

import (
	"context"
	"fmt"

	"github.com/scopestore/scopestore/scopes"
)

// Delete removes the value under key, expired or not, with its index
// entries, in one round trip, and reports whether there was one. The delete
// is announced, so that instances holding a cluster = false copy drop it.
func (s *Store) Delete(ctx context.Context, key scopes.Key) (bool, error) {
	k, tag, err := s.keyOf(key)
	if err != nil {
		return false, err
	}
	// Instances that keep copies (they Watch) drop theirs; a delete from the
	// CLI or the console, which do not watch, is announced to every one.
	reply, err := s.runScript(ctx, deleteScript, k, []string{k, s.lexKey(tag), s.expKey(tag)}, []any{key.CFID, s.channel(), s.announcement(key), s.ownChannel()})
	if err != nil {
		return false, fmt.Errorf("redis: delete %s %s: %w", key.App, key.Kind, err)
	}
	return len(reply) > 0 && reply[0] == int64(1), nil
}
