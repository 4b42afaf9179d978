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
// key; an app of that name that exists already is an EConflict.
func (s *Store) CreateApp(ctx context.Context, name, keyHash string, now time.Time) error {
	if err := checkName("app", name); err != nil {
		return err
	}
	keyHash, err := checkKeyHash(keyHash)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return s.wrap("create app", err)
	}
	defer func() { _ = tx.Rollback() }()
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

// App returns the app of that name with its key count and settings layer.
func (s *Store) App(ctx context.Context, name string) (scopes.App, bool, error) {
	if !storable(name) {
		return scopes.App{}, false, nil
	}
	var row appRow
	err := sqlx.GetContext(ctx, s.db, &row, s.q(selectApps+` WHERE a.name = ?`), name)
	if errors.Is(err, sql.ErrNoRows) {
		return scopes.App{}, false, nil
	} else if err != nil {
		return scopes.App{}, false, s.wrap("read app", err)
	}
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
