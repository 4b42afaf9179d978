// Package couchbase keeps scopes in a Couchbase collection (Couchbase
// Server 7.0 or later, or Capella), one JSON document per scope instance
// that Couchbase expires by itself, through gocb v2.
//
// Layout. The document of an app's scope of one kind is under the key
// scopestore:<app>:<kind>:<cfid> in the connection's bucket, scope and
// collection (_default and _default unless set):
//
//	{"type":"scopestore","app":"shop","kind":"session","cfid":"…",
//	 "expires":<Unix ms>,"revs":[<revs of the 15 writes before the last>],
//	 "scope":<the record in scopestore's envelope, scopes.EncodeRecord>}
//
// Writes. A create is an insert (one round trip); a compare-and-set or an
// overwrite is a get and a replace with the CAS read (two). The rev of the
// record compared is the one in the document, not the CAS, so that a write
// resent by the engine after a timeout is recognised by its rev (the
// record's or one of revs) and never applied twice. Couchbase's CAS makes
// the replace fail when any other writer came in between; the store then
// reads again and decides again (see Write).
//
// Expiry. A document's Couchbase expiry is its scope's Expires plus a day
// (expiryGrace): Load, List and Count hide a scope past its Expires at the
// caller's now, whatever Couchbase's clock, and the day leaves the cleaner
// (DeleteExpired, hourly) the time to find the scope, delete it and report
// it for the end-of-session webhook. gocb sends an expiry of 30 days or
// more as an absolute Unix time, as memcached expects (see docExpiry).
//
// Listing. List, Count and DeleteExpired use SQL++ queries at request_plus
// consistency on two partial secondary indexes (query.go), which the store
// creates on first use when its user may: they need the query and index
// services on the cluster. List reads the page's documents with one bulk
// get, so that a scope's data comes back byte for byte as Load returns it.
package couchbase
