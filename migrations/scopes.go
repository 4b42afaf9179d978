package migrations

import (
	"embed"
	"io/fs"
)

// ScopesVersionTable is the table in which goose records the applied
// migrations of the scope tables; it has its own name so that it never
// clashes with the config store's table when both live in one database.
const ScopesVersionTable = "scopestore_scopes_version"

//go:embed scopes/sqlite/*.sql
var scopesSQLiteFiles embed.FS

// ScopesSQLite holds the SQLite migrations of the scope tables
// (cf_session_data, cf_client_data, cf_application_data, cf_server_data)
// at its root, as goose.NewProvider reads them.
var ScopesSQLite fs.FS = func() fs.FS {
	sub, err := fs.Sub(scopesSQLiteFiles, "scopes/sqlite")
	if err != nil {
		// fs.Sub fails only on an invalid path, which the line above is not.
		panic(err)
	}
	return sub
}()
