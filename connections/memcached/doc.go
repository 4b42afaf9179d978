// Package memcached keeps scopes in memcached, one item per scope instance
// that memcached expires by itself, through github.com/bradfitz/gomemcache.
//
// Layout, under a per-connection prefix (default "scopestore:"), on the
// server that the key hashes to (gomemcache's ServerList: the CRC-32 of the
// key modulo the number of servers):
//
//	<prefix><app>:<kind>:<cfid>   the scope: scopes.EncodeRecord bytes, a newline, then the
//	                              revs of the writes before it (at most keptRevs, space-separated)
//	<prefix>verify:<random>       Verify's probe, deleted at once, or after a minute
//
// The value is the same versioned JSON envelope that Redis and the SQL
// datasources hold, so that a scope can be read by any of them; the revs
// after it are what make a write sent again recognisable (see Write), as the
// datasources' prev_revs column does. A value without them (a bare
// envelope) is read as well.
//
// Writes. memcached has no script and no conditional write on a value's
// content, only on its CAS id: a write reads the item with "gets", checks
// the stored rev against the caller's expectation, and stores with "cas"
// over an existing item or "add" where there is none, so that a write that
// someone else's came before fails and is tried again on what is stored.
// When the rev that the caller expects is the one this Store last read with
// its CAS id, the read is skipped: a load followed by a save, the usual
// cycle, costs one round trip for each.
//
// Expiry. An item expires expiryGrace after its record's Expires; the store
// itself hides a record whose Expires has passed at the caller's now.
// memcached reads a relative expiry over 30 days as a Unix time, so a longer
// one (a client scope's 90 days) is sent as the absolute Unix time.
//
// What memcached cannot do. It cannot enumerate its keys: List and Count
// answer scopes.EUnsupported, so the console and the API say that the
// scopes of a memcached storage cannot be listed or counted (an operator
// opens a scope by its cfid). DeleteExpired has nothing to do, since
// memcached drops expired items by itself, and nothing to report: the
// end-of-session webhook does not fire for scopes that expire in memcached
// (an invalidation through the API still fires it). An item may also be
// evicted before it expires when memcached runs out of memory: size the
// server (-m) for the scopes it holds.
//
// Outages. Open never connects; while a server is down every call that
// reaches it fails quickly (a refused dial), a write that could not be sent
// marked scopes.ErrNotApplied, and the engine answers 503 naming the
// storage. A server that comes back is used again at once.
package memcached
