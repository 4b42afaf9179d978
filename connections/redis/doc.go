// Package redis keeps scopes in Redis (standalone, Sentinel or Cluster),
// one string value per scope instance that Redis expires by itself.
//
// Layout, under a per-connection prefix (default "scopestore:"):
//
//	<prefix>{<app>:<kind>:<cfid>}   the scope: scopes.EncodeRecord bytes, with a native TTL
//	<prefix>idx:{<app>:<kind>}      sorted set of the cfids of an app's scopes of one kind
//	<prefix>indexes                 set of the "<app>:<kind>" pairs that have an index
//	<prefix>verify:<random>         Verify's probe, deleted at once, or after a minute
//
// The braces are a Cluster hash tag: everything about one scope hashes to one
// slot, so the scripts that read and write it run on one node. The index of
// an (app, kind) is a slot of its own, which is why it cannot be written in
// the same script as the scope in Cluster mode.
//
// Expiry. Each scope key expires at its record's Expires plus expiryGrace;
// the store itself hides a record whose Expires has passed at the caller's
// now, so that every scopestore instance, whatever its clock, sees the same
// expiry, and DeleteExpired removes what expired in the grace window.
//
// The index. List pages through an index with ZRANGEBYLEX (never KEYS or
// SCAN) and reads only the page. A member is added when its scope key is
// created, after the key is written; it goes stale when Redis expires the
// key. Stale members cost a little memory and are dropped by List when it
// meets them and by DeleteExpired, which walks the indexes a bounded batch at
// a time. Removal is ZREM followed by a re-check that the key is still
// absent, which re-adds a member whose key was created meanwhile: with the
// writers' order (key first, member second) no live scope is left out of its
// index. A writer that fails between the two writes (the key is stored, the
// index write fails) leaves that scope out of List until it expires; Save and
// Update return the error. Count is the index's ZCARD, stale members
// included: an estimate, never exact (see Count).
package redis
