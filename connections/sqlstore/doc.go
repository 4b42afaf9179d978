// Package sqlstore keeps scopes in SQL tables laid out as Lucee lays out its
// datasource storage: cf_session_data and cf_client_data, one row per scope
// instance with its app in name, its expiry in expires and scopestore's JSON
// envelope in data. The file storage is this store over one SQLite file under
// the data directory; the datasource storages add MySQL and PostgreSQL
// dialects over the same statements.
//
// A million client scopes are a million rows in one file or table: Load,
// Save, Update and Delete touch one row by primary key, List pages through an
// app by the (name, cfid) index, and DeleteExpired finds its rows through the
// index on expires, so that nothing scans the table.
package sqlstore
