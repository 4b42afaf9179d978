package scopes

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// tier is this instance's copy of the scopes it read or wrote: with
// cluster = false it answers loads instead of the storage; with either
// setting it is the base of the next write, which the storage checks
// against its rev (a stale copy costs a retry, never an update). Entries go
// after an idle time; every storage but memory has them.
type tier struct {
	seed   maphash.Seed
	shards [64]tierShard
	// entries counts the entries of every shard, so that reading the size
	// locks no shard.
	entries atomic.Int64
	// bytes is what the records held take (HeldBytes), for the memory
	// budget.
	bytes atomic.Int64
	// evictFrom is the shard where the next eviction starts, so that
	// evictions spread over the shards.
	evictFrom atomic.Uint32
}

type tierShard struct {
	mu sync.Mutex
	m  map[tierKey]*tierEntry
}

type tierKey struct {
	storage string
	Key
}

// tierEntry holds one scope. mu serializes every operation on the scope
// within this instance, so that its writers take turns rather than lose
// compare-and-sets to each other.
type tierEntry struct {
	mu sync.Mutex
	// rec mirrors the stored record when ok is true.
	rec      Record
	ok       bool
	lastUsed time.Time
	// baseOnly is set for cluster = true: the copy only serves as the base
	// of a write that follows a load, so it goes after baseIdle.
	baseOnly bool
	// stale is set when another instance announced a write of the scope:
	// the copy is read again from the storage before it serves.
	stale atomic.Bool
	// refs counts holders and waiters; guarded by the shard's mutex.
	refs int
	// held is what rec is accounted for in tier.bytes: 0 while !ok. It is
	// written under mu, and read by sweep and evict once refs is 0.
	held int64
}

func newTier() *tier {
	t := &tier{seed: maphash.MakeSeed()}
	for i := range t.shards {
		t.shards[i].m = map[tierKey]*tierEntry{}
	}
	return t
}

func (t *tier) shard(k tierKey) *tierShard {
	var h maphash.Hash
	h.SetSeed(t.seed)
	h.WriteString(k.CFID)
	h.WriteString(k.App)
	return &t.shards[h.Sum64()%uint64(len(t.shards))]
}

// acquire returns the entry of k, locked; release it when done.
func (t *tier) acquire(k tierKey) *tierEntry {
	s := t.shard(k)
	s.mu.Lock()
	e := s.m[k]
	if e == nil {
		e = &tierEntry{}
		s.m[k] = e
		t.entries.Add(1)
	}
	e.refs++
	s.mu.Unlock()
	e.mu.Lock()
	return e
}

// release unlocks e; an entry that holds no record and no other holder is dropped.
func (t *tier) release(k tierKey, e *tierEntry, now time.Time) {
	e.lastUsed = now
	var held int64
	if e.ok {
		held = HeldBytes(e.rec)
	}
	if held != e.held {
		t.bytes.Add(held - e.held)
		e.held = held
	}
	e.mu.Unlock()
	s := t.shard(k)
	s.mu.Lock()
	e.refs--
	if e.refs == 0 && !e.ok {
		delete(s.m, k)
		t.entries.Add(-1)
	}
	s.mu.Unlock()
}

// baseIdle bounds how long a cluster = true copy stays: the write it serves
// follows its load within a request or two.
const baseIdle = 30 * time.Second

// markStale flags the copy of k, if this instance holds one, as outdated.
func (t *tier) markStale(k tierKey) {
	s := t.shard(k)
	s.mu.Lock()
	if e := s.m[k]; e != nil {
		e.stale.Store(true)
	}
	s.mu.Unlock()
}

// sweep drops entries unused for idle or expired at now, and returns how many
// entries remain.
func (t *tier) sweep(now time.Time, idle time.Duration) int {
	left := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		for k, e := range s.m {
			keep := idle
			if e.baseOnly {
				keep = min(idle, baseIdle)
			}
			if e.refs == 0 && (now.Sub(e.lastUsed) >= keep || !e.ok || e.rec.Expired(now)) {
				delete(s.m, k)
				t.entries.Add(-1)
				t.bytes.Add(-e.held)
			}
		}
		left += len(s.m)
		s.mu.Unlock()
	}
	return left
}

// evict drops copies that no request holds until need bytes are freed or
// none is left, shard after shard, and returns the bytes freed. It is not
// least-recently-used: a copy is only this instance's shortcut to its
// storage, which holds every scope, so dropping any costs one read.
func (t *tier) evict(need int64) int64 {
	var freed int64
	start := int(t.evictFrom.Add(1))
	for i := range len(t.shards) {
		if freed >= need {
			break
		}
		s := &t.shards[(start+i)%len(t.shards)]
		s.mu.Lock()
		for k, e := range s.m {
			if freed >= need {
				break
			}
			if e.refs == 0 {
				delete(s.m, k)
				t.entries.Add(-1)
				t.bytes.Add(-e.held)
				freed += e.held
			}
		}
		s.mu.Unlock()
	}
	return freed
}

// size returns how many scopes the tier holds: those in memory, and for the
// moment of a request those being read from the storage.
func (t *tier) size() int { return int(t.entries.Load()) }
