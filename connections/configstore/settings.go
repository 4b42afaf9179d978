package configstore

import (
	"context"
	"maps"
	"slices"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/scopes"
)

// settingRow is one setting of a layer; App is empty for the server layer.
type settingRow struct {
	App   string `db:"app"`
	Name  string `db:"name"`
	Value string `db:"value"`
	By    string `db:"set_by"`
}

// ServerLayer returns the server defaults set by an administrator.
func (s *Store) ServerLayer(ctx context.Context) (scopes.Layer, error) {
	var rows []settingRow
	if err := sqlx.SelectContext(ctx, s.db, &rows, `SELECT name, value, set_by FROM server_settings`); err != nil {
		return nil, s.wrap("read server settings", err)
	}
	layer := scopes.Layer{}
	for _, r := range rows {
		layer[r.Name] = scopes.Entry{Value: r.Value, By: r.By}
	}
	return layer, nil
}

// SetServerLayer replaces the server defaults with l, in one transaction.
func (s *Store) SetServerLayer(ctx context.Context, l scopes.Layer) error {
	if err := checkLayer(l); err != nil {
		return err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return s.wrap("set server settings", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `DELETE FROM server_settings`); err != nil {
		return s.wrap("set server settings", err)
	}
	for _, name := range sortedNames(l) {
		e := l[name]
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO server_settings (name, value, set_by) VALUES (?, ?, ?)`),
			name, e.Value, e.By); err != nil {
			return s.wrap("set server settings", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.wrap("set server settings", err)
	}
	return nil
}

// SetAppLayer replaces the settings set for an app with l, in one
// transaction; found is false when there is no such app.
func (s *Store) SetAppLayer(ctx context.Context, app string, l scopes.Layer) (bool, error) {
	if err := checkLayer(l); err != nil {
		return false, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return false, s.wrap("set app settings", err)
	}
	defer func() { _ = tx.Rollback() }()
	if ok, err := s.appExists(ctx, tx, app); err != nil {
		return false, s.wrap("set app settings", err)
	} else if !ok {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM app_settings WHERE app = ?`), app); err != nil {
		return false, s.wrap("set app settings", err)
	}
	for _, name := range sortedNames(l) {
		e := l[name]
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO app_settings (app, name, value, set_by) VALUES (?, ?, ?, ?)`),
			app, name, e.Value, e.By); err != nil {
			return false, s.wrap("set app settings", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, s.wrap("set app settings", err)
	}
	return true, nil
}

// appLayer reads the settings set for one app.
func (s *Store) appLayer(ctx context.Context, q sqlx.QueryerContext, app string) (scopes.Layer, error) {
	var rows []settingRow
	if err := sqlx.SelectContext(ctx, q, &rows, s.q(`SELECT app, name, value, set_by FROM app_settings WHERE app = ?`), app); err != nil {
		return nil, err
	}
	layer := scopes.Layer{}
	for _, r := range rows {
		layer[r.Name] = scopes.Entry{Value: r.Value, By: r.By}
	}
	return layer, nil
}

// appLayers reads the settings of every app, by app name, in one query.
func (s *Store) appLayers(ctx context.Context, q sqlx.QueryerContext) (map[string]scopes.Layer, error) {
	var rows []settingRow
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT app, name, value, set_by FROM app_settings`); err != nil {
		return nil, err
	}
	layers := map[string]scopes.Layer{}
	for _, r := range rows {
		if layers[r.App] == nil {
			layers[r.App] = scopes.Layer{}
		}
		layers[r.App][r.Name] = scopes.Entry{Value: r.Value, By: r.By}
	}
	return layers, nil
}

// checkLayer rejects entries the columns cannot hold alike in every dialect.
// Values are checked by scopes.CanonicalSetting before they get here.
func checkLayer(l scopes.Layer) error {
	for name, e := range l {
		if name == "" || utf8.RuneCountInString(name) > 64 {
			return scopes.Errorf(scopes.EInvalid, "setting name %q is empty or longer than 64 characters", name)
		}
		if !utf8.ValidString(e.Value) {
			return scopes.Errorf(scopes.EInvalid, "the value of setting %s is not valid UTF-8 text", name)
		}
		if e.By == "" || len(e.By) > 16 {
			return scopes.Errorf(scopes.EInvalid, "setting %s: who set it (%q) must be 1 to 16 characters", name, e.By)
		}
	}
	return nil
}

// sortedNames returns the layer's setting names in order, so that every
// replace writes its rows in the same order (and takes locks in it).
func sortedNames(l scopes.Layer) []string {
	return slices.Sorted(maps.Keys(l))
}
