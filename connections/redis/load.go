package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/scopes"
)

// Load returns the record under key unless it is missing or expired at now.
// A value that is not in scopestore's format is an *scopes.Error with code
// ECorrupt.
func (s *Store) Load(ctx context.Context, key scopes.Key, now time.Time) (scopes.Record, bool, error) {
	return s.LoadKnown(ctx, key, now, nil)
}

// LoadKnown is Load that neither checks nor copies stored data that is the
// bytes of known (scopes.KnownLoader).
func (s *Store) LoadKnown(ctx context.Context, key scopes.Key, now time.Time, known json.RawMessage) (scopes.Record, bool, error) {
	k, _, err := s.keyOf(key)
	if err != nil {
		return scopes.Record{}, false, err
	}
	value, found, err := s.get(ctx, k)
	if err != nil {
		return scopes.Record{}, false, fmt.Errorf("redis: load %s %s: %w", key.App, key.Kind, err)
	}
	if !found {
		return scopes.Record{}, false, nil
	}
	rec, err := scopes.DecodeRecordKnown(key, value, known)
	if err != nil {
		return scopes.Record{}, false, err
	}
	// Redis keeps the key for expiryGrace after Expires.
	if rec.Expired(now) {
		return scopes.Record{}, false, nil
	}
	return rec, true, nil
}

// get returns the value under k; a missing key is found false, never goredis.Nil.
func (s *Store) get(ctx context.Context, k string) ([]byte, bool, error) {
	value, err := s.reads.Get(ctx, k).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return value, true, nil
}
