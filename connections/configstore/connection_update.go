package configstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// UpdateConnection replaces the definition of an existing connection, found
// by name in any case; its name and creation time stay. With keepSecret the
// stored password stays as it is, so that a form left empty keeps it. Its
// kept checks are forgotten: they were of the old definition.
func (s *Store) UpdateConnection(ctx context.Context, c scopes.Connection, keepSecret bool) (bool, error) {
	if !storable(c.Name) {
		return false, nil
	}
	params := c.Params
	if params == nil {
		params = map[string]string{}
	}
	paramsJSON, err := json.Marshal(params)
	if err != nil {
		return false, s.wrap("update connection", err)
	}
	key := nameKey(c.Name)
	if c.Updated.IsZero() {
		c.Updated = time.Now()
	}
	query := `UPDATE connections SET kind = ?, type = ?, storage = ?, params = ?, updated_at = ?, ` + resetChecks + ` WHERE name_key = ?`
	args := []any{c.Kind, c.Type, c.Storage, string(paramsJSON), dbTime(c.Updated), key}
	if !keepSecret {
		var secret []byte
		if c.Secret != "" {
			if secret, err = s.secrets.seal(key, c.Secret); err != nil {
				return false, err
			}
		}
		query = `UPDATE connections SET kind = ?, type = ?, storage = ?, params = ?, updated_at = ?, secret = ?, ` + resetChecks + ` WHERE name_key = ?`
		args = []any{c.Kind, c.Type, c.Storage, string(paramsJSON), dbTime(c.Updated), secret, key}
	}
	res, err := s.db.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return false, s.wrap("update connection", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.wrap("update connection", err)
	}
	return n > 0, nil
}
