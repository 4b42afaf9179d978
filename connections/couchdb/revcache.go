package couchdb

import (
	"slices"
	"sync"
	"time"
)

// revCacheSize bounds the documents whose _rev a Store remembers; past it
// the cache starts afresh, which costs each write one GET until it is full
// again.
const revCacheSize = 10000

// revCache remembers, per document, the _rev that this Store last read or
// wrote and the record it held then, so that a write based on that record
// (the engine's load and save) is one PUT at that _rev instead of a GET and
// a PUT. It needs no invalidation: a document changed since answers the PUT
// with 409, and the write then reads it, as without the cache.
type revCache struct {
	mu sync.Mutex
	m  map[string]docState
}

// docState is what the cache knows of a document.
type docState struct {
	docRev  string    // CouchDB's _rev
	recRev  string    // the stored record's Rev
	expires time.Time // the stored record's Expires
	writes  []string  // the document's writes
}

// get returns the state of the document id, if known.
func (c *revCache) get(id string) (docState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.m[id]
	return st, ok
}

// put remembers the state of the document id.
func (c *revCache) put(id string, st docState) {
	st.writes = slices.Clip(st.writes)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= revCacheSize {
		c.m = make(map[string]docState)
	}
	c.m[id] = st
}

// drop forgets the document id.
func (c *revCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}
