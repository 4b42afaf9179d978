package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
)

// ConfigVersionTable is the table in which goose records the config store's
// applied migrations; it has its own name so that the config store can share
// a database with scope tables and with other programs' goose tables.
const ConfigVersionTable = "scopestore_config_version"

// ConfigDialects lists the SQL dialects the config store has migrations for.
var ConfigDialects = []string{"sqlite", "mysql", "postgres"}

// The SQL differs between dialects (types, identity columns, MySQL's table
// options and its one-statement steps), so each dialect has its own numbered
// files; a version number means the same change in every dialect.
//
//go:embed config/sqlite/*.sql config/mysql/*.sql config/postgres/*.sql
var configFiles embed.FS

// ConfigFS returns the config store's migrations for a dialect ("sqlite",
// "mysql" or "postgres") with the numbered files at its root, as goose's
// Provider reads them.
func ConfigFS(dialect string) (fs.FS, error) {
	if !slices.Contains(ConfigDialects, dialect) {
		return nil, fmt.Errorf("migrations: no config store migrations for dialect %q; the dialects are %v", dialect, ConfigDialects)
	}
	return fs.Sub(configFiles, "config/"+dialect)
}
