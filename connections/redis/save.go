package redis

import (
	"context"
	"fmt"

	"github.com/scopestore/scopestore/scopes"
)

// Save writes rec under its key, replacing any value there, with a TTL that
// ends expiryGrace after rec.Expires. A key it creates is added to its index.
func (s *Store) Save(ctx context.Context, rec scopes.Record) error {
	k, tag, err := s.keyOf(rec.Key)
	if err != nil {
		return err
	}
	_, value := stored(rec)
	created, err := setScript.Run(ctx, s.client, []string{k}, value, expireAt(rec)).Int64()
	if err != nil {
		return fmt.Errorf("redis: save %s %s: %w", rec.App, rec.Kind, err)
	}
	if created == 1 {
		if err := s.index(ctx, tag, rec.CFID); err != nil {
			return fmt.Errorf("redis: save %s %s: index: %w", rec.App, rec.Kind, err)
		}
	}
	return nil
}
