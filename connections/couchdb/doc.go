// Package couchdb keeps scopes in a CouchDB database, over CouchDB's HTTP
// API with nothing but net/http. It is tested against npm's pouchdb-server,
// which speaks the same API.
//
// # Layout
//
// One document per scope instance, its id "scope:<kind>:<app>:<cfid>", so
// that one app's scopes of one kind are one range of _all_docs, in cfid
// order (app names and cfids hold no colon):
//
//	{"_id": "scope:session:shop:5f0c…", "_rev": "3-…",
//	 "type": "scope", "app": "shop", "kind": "session", "cfid": "5f0c…",
//	 "expires": 1767225600000,          // epoch milliseconds, for the cleaner's index and Count's view
//	 "writes": ["r1…", "r2…", …],       // the revs of the record's last writes, newest last
//	 "value": "{\"v\":1,\"rev\":…}"}    // the versioned envelope, as a string
//
// The envelope is kept as a JSON string, not as an object, so that the data
// comes back byte for byte: a server that parses it (PouchDB is JavaScript)
// would rewrite numbers such as 1.0 and escapes such as \u00e9.
//
// Beside the scopes the database holds a Mango index on expires
// (_design/scopestore-expires), a design document _design/scopestore with
// the view "live" (key [app, kind, expires], reduce _count), and the
// cleaner's lease, the document scopestore-cleaner-lease. All are created
// on first use; the database too, when the user may create it.
//
// # Writes
//
// CouchDB's _rev is the compare-and-set: a write reads the document, checks
// the stored record against what the caller expects, and PUTs the new one
// with the _rev it read; a 409 means that another writer came in between,
// and the write reads and decides again, up to maxAttempts times, then
// answers with the live record as a lost compare-and-set does. A create
// (ExpectAbsent) is one PUT without _rev, read only when it meets a
// document. A write based on the record that this Store last loaded or
// wrote of the document (the engine's load, then save) skips the read: one
// PUT at the _rev remembered, which CouchDB refuses with 409 if the
// document changed since (see revCache). The writes array remembers the last recentWrites revs written to
// the document, so that a write sent again after a lost answer is
// recognised and reported written, never applied twice, while fewer than
// recentWrites writes came on top of it (and the document was not deleted).
//
// # Errors
//
// A server that cannot be reached, or that refuses the credentials, is an
// *scopes.Error with code EUnavailable naming the connection, marked
// scopes.ErrNotApplied: the API answers 503 with Retry-After. A write whose
// request may have reached the server (a timeout, a broken connection, a
// 5xx) is a plain error, which the engine resolves by sending the same write
// again.
//
// # Expiry and the cleaner
//
// Expiry is kept in the document and enforced on every read: an expired
// document is not found, not listed and not counted. DeleteExpired finds
// expired documents with _find on the expires index and deletes them with
// _bulk_docs, each with the _rev it found, so that a scope visited in the
// meantime (a new _rev) is kept and a document is deleted by one cleaner
// only; a lease document lets one instance clean at a time.
package couchdb
