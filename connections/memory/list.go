package memory

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// List returns up to limit unexpired records of an app's scopes of one kind
// whose cfid sorts after after, in cfid order. Memory keeps no index: each
// call visits every record in the store, which is fine for the sizes memory
// storage is meant for and for an operator paging through them.
func (s *Store) List(_ context.Context, app string, kind scopes.Kind, after string, limit int, now time.Time) ([]scopes.Record, error) {
	if err := checkKind(kind); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	var out []scopes.Record
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		for k, rec := range sh.m {
			if k.App == app && k.Kind == kind && k.CFID > after && !rec.Expired(now) {
				out = append(out, rec)
			}
		}
		sh.mu.RUnlock()
	}
	slices.SortFunc(out, func(a, b scopes.Record) int { return strings.Compare(a.CFID, b.CFID) })
	if len(out) > limit {
		out = out[:limit:limit]
	}
	return out, nil
}
