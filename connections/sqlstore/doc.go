// Package sqlstore keeps scopes in SQL tables laid out as Lucee lays out its
// datasource storage: cf_session_data and cf_client_data, one row per scope
// instance with its app in name, its expiry in expires and scopestore's JSON
// envelope in data, and in the same layout cf_application_data (one row per
// app) and cf_server_data (one row) for the shared scopes, which Lucee has
// no tables for. The file storage is this store over one SQLite file under
// the data directory; the mysql, postgres and sqlite connection types are
// this store over their databases (OpenConnection), with a dialect each over
// the same statements.
//
// A million client scopes are a million rows in one file or table: Load,
// Write and Delete touch one row by primary key, List pages through an app
// by the (name, cfid) index, and DeleteExpired finds its rows through the
// index on expires, so that nothing a request does scans the table. Count,
// for the admin console, visits every live row of an app and may scan it.
//
// Write is one statement in autocommit when it succeeds, no more than the
// two of Lucee's own save: beside Lucee's four columns, rev holds the id of
// the row's last write and prev_revs those of the writes before it; a write
// compares and sets rev (UPDATE … WHERE rev = ?, or an insert that only
// takes over an expired row). When nothing changed, a second statement
// reads the row, to return the live record of a conflict or to recognise
// the same write sent again (write.go). Lucee's statements keep working on
// these tables: both columns have a default.
//
// A MySQL or PostgreSQL store connects on first use, not when it is opened,
// so that scopestore starts while its database is down and recovers by
// itself when it is back (ready.go). That first use creates the tables, or
// brings tables that Lucee or an earlier scopestore created to scopestore's
// layout: a primary key on (cfid, name) after removing duplicate rows,
// LONGTEXT data, the rev columns, the indexes (tables.go, Plan and
// Migrate). Tables reports their state for the admin, and Verify checks
// that the database has what storage needs.
package sqlstore
