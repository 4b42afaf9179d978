package configstore

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/scopes"
)

// MovePassword moves a password written into a connection's params (its url
// or dsn) to its Secret, and tells whether there was one; cmd hands in
// connections.StoredPassword, which knows how each type's driver reads them.
type MovePassword func(scopes.Connection) (scopes.Connection, bool)

// MovePasswords encrypts the passwords that older versions kept in clear
// inside connections' url or dsn: each row that holds one gets its params
// without it and the password as its sealed secret. It is idempotent, so
// cmd runs it each time the store opens; a row changed meanwhile by another
// instance is left to that instance. It returns how many rows it changed,
// and the rows it could not change, joined, after trying every row.
func (s *Store) MovePasswords(ctx context.Context, move MovePassword) (int, error) {
	var rows []connectionRow
	if err := sqlx.SelectContext(ctx, s.db, &rows, selectConnections); err != nil {
		return 0, s.wrap("list connections", err)
	}
	moved := 0
	var errs []error
	for _, row := range rows {
		// Read without the secret first: most rows hold no password, and a
		// secret that does not open must not stop the others.
		var params map[string]string
		if err := json.Unmarshal([]byte(row.Params), &params); err != nil {
			continue // reported when the connection is read
		}
		if _, found := move(scopes.Connection{Name: row.Name, Type: row.Type, Params: params}); !found {
			continue
		}
		c, err := s.connection(row)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c, _ = move(c)
		ok, err := s.replacePassword(ctx, row, c)
		switch {
		case err != nil:
			errs = append(errs, err)
		case ok:
			moved++
		}
	}
	return moved, errors.Join(errs...)
}

// replacePassword writes a connection's params and secret over its row,
// unless the row's params changed since it was read.
func (s *Store) replacePassword(ctx context.Context, row connectionRow, c scopes.Connection) (bool, error) {
	paramsJSON, err := json.Marshal(c.Params)
	if err != nil {
		return false, s.wrap("move a connection's password", err)
	}
	var secret []byte
	if c.Secret != "" {
		if secret, err = s.secrets.seal(row.NameKey, c.Secret); err != nil {
			return false, err
		}
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE connections SET params = ?, secret = ? WHERE name_key = ? AND params = ?`),
		string(paramsJSON), secret, row.NameKey, row.Params)
	if err != nil {
		return false, s.wrap("move a connection's password", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.wrap("move a connection's password", err)
	}
	return n > 0, nil
}
