package redis

import (
	"context"
	"fmt"

	"github.com/scopestore/scopestore/scopes"
)

// Delete removes the value under key, expired or not, with its index
// entries, in one round trip, and reports whether there was one. Once this
// instance watches announcements (it keeps cluster = false copies), deletes
// are announced too, as other instances of such apps watch as well.
func (s *Store) Delete(ctx context.Context, key scopes.Key) (bool, error) {
	k, tag, err := s.keyOf(key)
	if err != nil {
		return false, err
	}
	// Instances that keep copies (they Watch) drop theirs.
	channel, message := "", ""
	if s.watched.Load() {
		channel, message = s.channel(), s.announcement(key)
	}
	reply, err := s.runScript(ctx, deleteScript, k, []string{k, s.lexKey(tag), s.expKey(tag)}, []any{key.CFID, channel, message})
	if err != nil {
		return false, fmt.Errorf("redis: delete %s %s: %w", key.App, key.Kind, err)
	}
	return len(reply) > 0 && reply[0] == int64(1), nil
}
