package web

import (
	"maps"
	"sync"
	"sync/atomic"
)

// series keeps the series of a metric vector by their labels, so that a
// request costs no label lookup in the vector (hashing, UTF-8 checks, a
// lock). Reads take no lock: a new label set, rare, replaces the map with
// a copy. The map is typed by its key, whose hash the compiler writes; a
// sync.Map hashes an interface, walking the key's type field by field,
// which cost more than the rest of the lookup, eight times a cycle.
type series[K comparable, V any] struct {
	mu sync.Mutex // held by the writers, which replace m
	m  atomic.Pointer[map[K]V]
}

// get returns the series of k, made by add the first time.
func (s *series[K, V]) get(k K, add func() V) V {
	if m := s.m.Load(); m != nil {
		if v, ok := (*m)[k]; ok {
			return v
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := map[K]V{}
	if m := s.m.Load(); m != nil {
		if v, ok := (*m)[k]; ok {
			return v
		}
		next = maps.Clone(*m)
	}
	v := add()
	next[k] = v
	s.m.Store(&next)
	return v
}
