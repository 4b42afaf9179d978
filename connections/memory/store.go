// Package memory is the memory storage: scope records kept in the process's
// own memory, lost on restart as in Lucee. It is the fastest storage and the
// default for the session scope.
package memory

import (
	"context"
	"sync"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// shardCount spreads keys over this many independently locked maps so that
// concurrent requests for different scopes rarely wait for each other.
const shardCount = 64

// Store keeps scope records in process memory. It is safe for concurrent use.
//
// Records are held by value and their Data is treated as immutable: Write
// copies the bytes it is given, and the Data that Load, Write and
// List return is shared with the store, so callers must not modify it.
type Store struct {
	shards [shardCount]shard
	usage  usage
	// locks are the named locks of this process (lock.go).
	locks lockTable
}

type shard struct {
	mu sync.RWMutex
	m  map[scopes.Key]scopes.Record
	// written remembers the revs of the shard's last recentWrites writes,
	// oldest overwritten first in ring, so that a write sent again is
	// recognised as the store contract asks.
	written map[string]struct{}
	ring    [recentWrites]string
	next    int
}

// recentWrites is how many writes each shard remembers.
const recentWrites = 256

// remember records rev as written; the shard's lock is held.
func (sh *shard) remember(rev string) {
	if old := sh.ring[sh.next]; old != "" {
		delete(sh.written, old)
	}
	sh.ring[sh.next] = rev
	sh.written[rev] = struct{}{}
	sh.next = (sh.next + 1) % recentWrites
}

// New returns an empty memory store.
func New() *Store {
	s := &Store{}
	for i := range s.shards {
		s.shards[i].m = make(map[scopes.Key]scopes.Record)
		s.shards[i].written = make(map[string]struct{}, recentWrites)
	}
	return s
}

var _ scopes.Store = (*Store)(nil)

// shard returns the shard of key, chosen by the FNV-1a hash of the key's parts.
func (s *Store) shard(key scopes.Key) *shard {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for _, part := range [...]string{key.App, string(key.Kind), key.CFID} {
		for i := 0; i < len(part); i++ {
			h = (h ^ uint64(part[i])) * prime
		}
		// A separator keeps ("ab", "c") and ("a", "bc") apart.
		h = (h ^ 0xff) * prime
	}
	return &s.shards[h%shardCount]
}

// Load returns the record under key unless it is missing or expired at now.
func (s *Store) Load(_ context.Context, key scopes.Key, now time.Time) (scopes.Record, bool, error) {
	if err := checkKind(key.Kind); err != nil {
		return scopes.Record{}, false, err
	}
	sh := s.shard(key)
	sh.mu.RLock()
	rec, ok := sh.m[key]
	sh.mu.RUnlock()
	if !ok || rec.Expired(now) {
		return scopes.Record{}, false, nil
	}
	return rec, true, nil
}

// Delete removes the record under key, expired or not, and reports whether
// there was one.
func (s *Store) Delete(_ context.Context, key scopes.Key) (bool, error) {
	if err := checkKind(key.Kind); err != nil {
		return false, err
	}
	sh := s.shard(key)
	sh.mu.Lock()
	old, ok := sh.m[key]
	delete(sh.m, key)
	s.usage.replaced(old, ok, scopes.Record{}, false)
	sh.mu.Unlock()
	return ok, nil
}

// Ping always succeeds: memory is always there.
func (s *Store) Ping(context.Context) error { return nil }

// Close drops every record; the store is empty, and still usable, afterwards.
func (s *Store) Close() error {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		clear(sh.m)
		sh.mu.Unlock()
	}
	s.usage.reset()
	return nil
}

// stored returns rec as the store keeps it: times at the millisecond
// precision of the stored layouts, so that memory behaves like every other
// storage, and Data copied (an empty object when there is none) so that the
// caller cannot change it afterwards.
func stored(rec scopes.Record) scopes.Record {
	rec.TimeCreated = time.UnixMilli(rec.TimeCreated.UnixMilli())
	rec.LastVisit = time.UnixMilli(rec.LastVisit.UnixMilli())
	rec.Expires = time.UnixMilli(rec.Expires.UnixMilli())
	if len(rec.Data) == 0 {
		rec.Data = []byte("{}")
	} else {
		rec.Data = append([]byte(nil), rec.Data...)
	}
	return rec
}

func checkKind(k scopes.Kind) error {
	if !k.Stored() {
		return scopes.Errorf(scopes.EInvalid, "unknown scope kind %q: it is session, client, application or server", k)
	}
	return nil
}
