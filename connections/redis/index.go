package redis

import (
	"context"

	goredis "github.com/redis/go-redis/v9"
)

// index adds a created scope to the index of its tag, and the tag to the
// registry that DeleteExpired walks. It runs after the scope's key is
// written: see unindex for why that order matters.
func (s *Store) index(ctx context.Context, tag, cfid string) error {
	// Two keys of two slots: a pipeline, which a ClusterClient splits by node.
	pipe := s.client.Pipeline()
	pipe.ZAdd(ctx, s.indexKey(tag), goredis.Z{Member: cfid})
	pipe.SAdd(ctx, s.registryKey(), tag)
	_, err := pipe.Exec(ctx)
	return err
}

// unindex removes the members cfids from the index of tag, then puts back
// those whose scope key exists by then, and returns the members that this
// call removed and left out: each ZREM answers for its own member, so when
// two instances prune the same member only one of them returns it. The
// index and the scope keys live in different slots, so no script can remove
// a member only while its key is absent. Instead, since the writer that
// creates a key adds its member after creating it, a key created before the
// re-check is seen by the re-check, and one created after it gets its
// member from its creator, later still.
func (s *Store) unindex(ctx context.Context, tag string, cfids []string) ([]string, error) {
	if len(cfids) == 0 {
		return nil, nil
	}
	idx := s.indexKey(tag)
	pipe := s.client.Pipeline()
	rems := make([]*goredis.IntCmd, len(cfids))
	exists := make([]*goredis.IntCmd, len(cfids))
	for i, cfid := range cfids {
		rems[i] = pipe.ZRem(ctx, idx, cfid)
	}
	// The re-check runs after every ZREM: a pipeline keeps the order of its
	// commands on one connection, and a ClusterClient sends each node's
	// share in order too.
	for i, cfid := range cfids {
		exists[i] = pipe.Exists(ctx, s.scopeKey(tag, cfid))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	var back []goredis.Z
	var removed []string
	for i, cmd := range exists {
		switch {
		case cmd.Val() > 0:
			back = append(back, goredis.Z{Member: cfids[i]})
		case rems[i].Val() > 0:
			removed = append(removed, cfids[i])
		}
	}
	if len(back) == 0 {
		return removed, nil
	}
	return removed, s.client.ZAdd(ctx, idx, back...).Err()
}
