package configstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/connections/sqlerr"
	"github.com/scopestore/scopestore/scopes"
)

// appRow is an apps row with the count of the app's active keys.
type appRow struct {
	Name    string    `db:"name"`
	Created time.Time `db:"created_at"`
	Keys    int       `db:"key_count"`
}

// selectApps reads apps with their active key counts; callers add a WHERE
// clause.
const selectApps = `SELECT a.name, a.created_at,
	(SELECT COUNT(*) FROM api_keys k WHERE k.app = a.name AND k.revoked_at IS NULL) AS key_count
	FROM apps a`

// CreateApp adds an app with one API key, given as the SHA-256 hex of the
// key; an app of that name that exists already, ignoring case, is an
// EConflict.
func (s *Store) CreateApp(ctx context.Context, name, keyHash string, now time.Time) error {
	if err := checkName("app", name); err != nil {
		return err
	}
	keyHash, err := checkKeyHash(keyHash)
	if err != nil {
		return err
	}
	// Creates at once may deadlock on MySQL, whose lockApps cannot lock rows
	// of an empty table: the attempt after sees the app the other one made.
	// The attempts come apart, at random: creates that deadlocked together
	// and came back at once would deadlock again (seen under load, four at
	// a time).
	return sqlerr.Retry(ctx, createAttempts, 10*time.Millisecond, func() error {
		return s.createApp(ctx, name, keyHash, now)
	})
}

// createAttempts is how many times CreateApp tries when transactions beside
// it make it fail.
const createAttempts = 10

// createApp is one attempt of CreateApp.
func (s *Store) createApp(ctx context.Context, name, keyHash string, now time.Time) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return s.wrap("create app", err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := s.lockApps(ctx, tx); err != nil {
		return s.wrap("create app", err)
	}
	like, err := s.appsNamedLike(ctx, tx, name)
	if err != nil {
		return s.wrap("create app", err)
	}
	if len(like) > 0 {
		return scopes.Errorf(scopes.EConflict, "app %q already exists (app names ignore case)", like[0])
	}
	if err := s.insertApp(ctx, tx, name, now); err != nil {
		return s.wrap("create app", err)
	}
	if _, err := s.insertKey(ctx, tx, name, keyHash, "", now); err != nil {
		return s.wrap("create app", err)
	}
	if err := tx.Commit(); err != nil {
		return s.wrap("create app", err)
	}
	return nil
}

// insertApp adds the apps row; a duplicate name is an EConflict.
func (s *Store) insertApp(ctx context.Context, tx *sqlx.Tx, name string, now time.Time) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO apps (name, created_at) VALUES (?, ?)`), name, dbTime(now))
	if sqlerr.Duplicate(err) {
		return scopes.Errorf(scopes.EConflict, "app %q already exists", name)
	}
	return err
}

// lockApps keeps other transactions from adding apps until tx ends, so
// that two names differing only in case cannot both pass CreateApp's check:
// PostgreSQL locks the table against writers, MySQL every row and the gaps
// between them, and SQLite's transactions take the write lock at BEGIN.
func (s *Store) lockApps(ctx context.Context, tx *sqlx.Tx) error {
	var err error
	switch s.dialect {
	case DialectPostgres:
		_, err = tx.ExecContext(ctx, `LOCK TABLE apps IN SHARE ROW EXCLUSIVE MODE`)
	case DialectMySQL:
		var names []string
		err = tx.SelectContext(ctx, &names, `SELECT name FROM apps FOR UPDATE`)
	}
	return err
}

// appsNamedLike returns the names of the apps whose name equals name
// ignoring case, sorted. The apps are few, so their names are read whole and
// compared with strings.EqualFold, which folds alike on every database
// (SQLite's lower() folds ASCII only, MySQL's depends on the collation).
func (s *Store) appsNamedLike(ctx context.Context, q sqlx.QueryerContext, name string) ([]string, error) {
	var names []string
	if err := sqlx.SelectContext(ctx, q, &names, `SELECT name FROM apps`); err != nil {
		return nil, err
	}
	names = slices.DeleteFunc(names, func(n string) bool { return !strings.EqualFold(n, name) })
	slices.Sort(names)
	return names, nil
}

// App returns the app of that name with its key count and settings layer:
// the app of exactly that name, else the one app whose name equals it
// ignoring case. The App's Name is the name as stored. A name that matches
// several apps differing only in case, none exactly, is an EConflict.
func (s *Store) App(ctx context.Context, name string) (scopes.App, bool, error) {
	if !storable(name) {
		return scopes.App{}, false, nil
	}
	var row appRow
	err := sqlx.GetContext(ctx, s.db, &row, s.q(selectApps+` WHERE a.name = ?`), name)
	if errors.Is(err, sql.ErrNoRows) {
		like, err := s.appsNamedLike(ctx, s.db, name)
		if err != nil {
			return scopes.App{}, false, s.wrap("read app", err)
		}
		switch len(like) {
		case 0:
			return scopes.App{}, false, nil
		case 1:
			return s.App(ctx, like[0])
		default:
			return scopes.App{}, false, scopes.Errorf(scopes.EConflict, "app name %q matches %d apps that differ only in case (%s): give the exact name",
				name, len(like), strings.Join(like, ", "))
		}
	} else if err != nil {
		return scopes.App{}, false, s.wrap("read app", err)
	}
	name = row.Name
	layer, err := s.appLayer(ctx, s.db, name)
	if err != nil {
		return scopes.App{}, false, s.wrap("read app", err)
	}
	return scopes.App{Name: row.Name, Created: row.Created.UTC(), Keys: row.Keys, Layer: layer}, true, nil
}

// Apps returns every app, by name, with its key count and settings layer.
func (s *Store) Apps(ctx context.Context) ([]scopes.App, error) {
	var rows []appRow
	if err := sqlx.SelectContext(ctx, s.db, &rows, selectApps); err != nil {
		return nil, s.wrap("list apps", err)
	}
	layers, err := s.appLayers(ctx, s.db)
	if err != nil {
		return nil, s.wrap("list apps", err)
	}
	apps := make([]scopes.App, 0, len(rows))
	for _, r := range rows {
		layer := layers[r.Name]
		if layer == nil {
			layer = scopes.Layer{}
		}
		apps = append(apps, scopes.App{Name: r.Name, Created: r.Created.UTC(), Keys: r.Keys, Layer: layer})
	}
	// Sorted here rather than by ORDER BY, whose order follows each
	// database's collation.
	slices.SortFunc(apps, func(a, b scopes.App) int { return strings.Compare(a.Name, b.Name) })
	return apps, nil
}

// DeleteApp removes an app with its API keys and settings.
func (s *Store) DeleteApp(ctx context.Context, name string) (bool, error) {
	if !storable(name) {
		return false, nil
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return false, s.wrap("delete app", err)
	}
	defer func() { _ = tx.Rollback() }()
	// The foreign keys cascade too, but SQLite enforces them only when a
	// connection turns them on: say it explicitly.
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM app_settings WHERE app = ?`), name); err != nil {
		return false, s.wrap("delete app", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM api_keys WHERE app = ?`), name); err != nil {
		return false, s.wrap("delete app", err)
	}
	res, err := tx.ExecContext(ctx, s.q(`DELETE FROM apps WHERE name = ?`), name)
	if err != nil {
		return false, s.wrap("delete app", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.wrap("delete app", err)
	}
	if err := tx.Commit(); err != nil {
		return false, s.wrap("delete app", err)
	}
	return n > 0, nil
}

// appExists reports whether the app exists, inside a transaction that is
// about to change its keys or settings.
func (s *Store) appExists(ctx context.Context, tx *sqlx.Tx, name string) (bool, error) {
	if !storable(name) {
		return false, nil
	}
	var n int
	if err := tx.GetContext(ctx, &n, s.q(`SELECT COUNT(*) FROM apps WHERE name = ?`), name); err != nil {
		return false, err
	}
	return n > 0, nil
}
