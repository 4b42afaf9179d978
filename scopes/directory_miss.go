package scopes

import (
	"crypto/sha256"
	"time"
)

// Unknown API keys are remembered as unknown for a moment, so that a client
// sending a wrong key on every request — or somebody trying keys — does not
// cost a config store query each time (web also limits the 401s per client
// address).
//
// A key created, added, rotated or revoked through this Directory (this instance's
// console and API) works at once: every change empties this cache (forget),
// and a lookup that started before the change stores nothing (gen). A key
// created by another instance, or by the command line, which runs as its own
// process, works here once the miss expires: after at most maxMissTTL, as a
// revoked key stops within CacheTTL.
const (
	// maxMissTTL bounds how long a miss is remembered, however long
	// CacheTTL: a new key should not wait the minutes a long --cache-ttl
	// keeps settings.
	maxMissTTL = 5 * time.Second
	// maxMisses bounds the memory of the misses, whatever keys are sent.
	maxMisses = 4096
)

// missTTL is how long a miss is remembered; 0 when caching is off.
func (d *Directory) missTTL() time.Duration { return min(d.CacheTTL, maxMissTTL) }

// missedLocked tells whether the key with digest sum was unknown a moment
// ago; d.mu is held.
func (d *Directory) missedLocked(sum [sha256.Size]byte, now time.Time) bool {
	until, ok := d.misses[sum]
	return ok && now.Before(until)
}

// rememberMiss records that the config store did not know the key with
// digest sum, unless the cache was emptied since the lookup began (gen).
func (d *Directory) rememberMiss(sum [sha256.Size]byte, gen uint64, now time.Time) {
	ttl := d.missTTL()
	if ttl <= 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.gen != gen {
		return
	}
	if len(d.misses) >= maxMisses {
		for k, until := range d.misses {
			if !now.Before(until) {
				delete(d.misses, k)
			}
		}
		// Still full: a flood of distinct keys. Any entry will do, each
		// lasts seconds anyway.
		for k := range d.misses {
			if len(d.misses) < maxMisses {
				break
			}
			delete(d.misses, k)
		}
	}
	d.misses[sum] = now.Add(ttl)
}

// unknownKey is the answer to an API key the config store does not know.
func unknownKey() error {
	return Errorf(EUnauthorized, "the API key is not valid: it was revoked or mistyped; add one with `scopestore app key add APP`")
}
