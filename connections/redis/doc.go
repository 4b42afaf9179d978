// Package redis keeps scopes in Redis (standalone, Sentinel or Cluster),
// one string value per scope instance that Redis expires by itself.
//
// Layout, under a per-connection prefix (default "scopestore:"). An app's
// scopes of one kind are spread over 16 buckets by the first hex digit of
// their cfid (the shared scopes' cfids: "application" in bucket a, "server"
// in bucket f, see bucketChar); a bucket is one Cluster hash tag, so that
// everything a write touches is in one slot, and an app's scopes spread
// over the masters:
//
//	<prefix>{<app>:<kind>:<d>}s:<cfid>   the scope: scopes.EncodeRecord bytes, with a native TTL
//	<prefix>{<app>:<kind>:<d>}idx        sorted set of the bucket's cfids, all scored 0 (cfid order)
//	<prefix>{<app>:<kind>:<d>}exp        sorted set of the bucket's cfids scored by their Expires (ms)
//	<prefix>{<app>:<kind>:<d>}w:<rev>    a write's marker, kept markerTTL, to recognise it sent again
//	<prefix>indexes                      set of the "<app>:<kind>" pairs, which DeleteExpired walks
//	<prefix>changed                      pub/sub channel of announced writes (announce.go)
//	<prefix>changed:<instance>           pub/sub channel of one watching instance, never published to:
//	                                     the scripts count the others by it (announce.go)
//	<prefix>{verify:<random>}…           Verify's probe, deleted at once, or after a minute
//
// Writes. Every write is one Lua script (script.go), so one round trip:
// a compare-and-set on the stored value's rev, the value with its TTL, both
// index entries and the marker (Write); a visit or a save in place (Change);
// a delete with its index entries (Delete). A write sent again with the
// same rev finds its marker and is not applied twice, which is what lets the
// engine resend a write whose outcome it does not know. The scripts go
// through a client of their own that never retries (see newClient): the
// store itself follows a MOVED or a failover refusal, and marks what applied
// nothing with scopes.ErrNotApplied.
//
// Expiry. Each scope key expires at its record's Expires plus expiryGrace;
// the store itself hides a record whose Expires has passed at the caller's
// now, so that every scopestore instance, whatever its clock, sees the same
// expiry. DeleteExpired finds the scopes that expired in the expiry indexes
// (its work follows what expired, not what lives), removes what is left of
// them and reports them, once, for the end-of-session webhook. Count is the
// expiry indexes' ZCOUNT after now: exact.
package redis
