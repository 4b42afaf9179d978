package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/scopestore/scopestore/migrations"
)

// sqlitePragmas apply to every connection, as modernc.org/sqlite reads them
// from the DSN:
//   - WAL lets Load and List read while a write is under way.
//   - synchronous FULL syncs the WAL at every commit: a write that was
//     acknowledged survives a crash of the process or the machine, a power
//     loss included, as DESIGN.md promises (NORMAL, the usual WAL setting,
//     may lose the last commits on power loss).
//   - busy_timeout makes a connection wait for a lock held by another one
//     (a reader during a checkpoint, another process) instead of failing.
const sqlitePragmas = "_busy_timeout=10000&_journal_mode=WAL&_synchronous=FULL"

// createPrivate creates the file at path and its directory, when missing,
// readable by their owner only: the file storage holds every visitor's
// client scope, and SQLite gives its WAL and shared-memory files the mode
// of the database file.
func createPrivate(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("sqlstore: create directory of %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlstore: create %s: %w", path, err)
	}
	return f.Close()
}

// OpenSQLite opens the SQLite database at path, creating it and its
// directory when missing, brings the scope tables up to date, and returns a
// store over it. It is the file storage (<data-dir>/scopes.db) and the
// sqlite connection type. Unlike OpenMySQL and OpenPostgres it migrates
// before it returns: a file has no outage to wait out.
//
// Writes go through a pool of one connection, so that they serialize
// without SQLITE_BUSY between this process's own connections; its
// transactions (DeleteExpired's) begin with BEGIN IMMEDIATE, which takes the
// write lock at once, so that another process's writer waits for them
// rather than fails. Reads go through a pool of read-only connections,
// which WAL lets run beside the writer.
func OpenSQLite(path string) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlstore: SQLite path %q: give a file name without ? or #", path)
	}
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	writer, err := sqlx.Open("sqlite", path+"?"+sqlitePragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	// The migration runs before the pool is cut to one connection: goose
	// holds a connection of its own while it runs, and Go migrations use
	// the pool besides.
	if err := migrate(context.Background(), goose.DialectSQLite3, writer.DB, migrations.ScopesSQLite); err != nil {
		return nil, errors.Join(fmt.Errorf("sqlstore: migrate %s: %w", path, err), writer.Close())
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)

	reader, err := sqlx.Open("sqlite", path+"?"+sqlitePragmas+"&_query_only=1")
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sqlstore: open %s: %w", path, err), writer.Close())
	}
	n := max(4, runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	s := newStore(sqliteDialect, writer, reader)
	// A legacy table (one without a key on (cfid, name), which the numbered
	// migrations leave as they find it) is fixed now rather than on first
	// use: a local file is never unreachable.
	if _, err := s.Migrate(context.Background(), false); err != nil {
		return nil, errors.Join(fmt.Errorf("sqlstore: migrate %s: %w", path, err), s.Close())
	}
	s.init.markReady()
	s.shared.markReady()
	// A reader that cannot open fails here rather than at the first Load.
	if err := s.Ping(context.Background()); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}
