package configstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/connections/sqlerr"
	"github.com/scopestore/scopestore/scopes"
)

// connectionRow is a connections row, its secret still sealed.
type connectionRow struct {
	NameKey string    `db:"name_key"`
	Name    string    `db:"name"`
	Kind    string    `db:"kind"`
	Type    string    `db:"type"`
	Storage bool      `db:"storage"`
	Params  string    `db:"params"`
	Secret  []byte    `db:"secret"`
	Created time.Time `db:"created_at"`
	Updated time.Time `db:"updated_at"`

	VerifiedAt      sql.NullTime `db:"verified_at"`
	VerifiedOK      bool         `db:"verified_ok"`
	VerifiedStep    string       `db:"verified_step"`
	VerifiedMessage string       `db:"verified_message"`
	HealthAt        sql.NullTime `db:"health_at"`
	HealthOK        bool         `db:"health_ok"`
	HealthStep      string       `db:"health_step"`
	HealthMessage   string       `db:"health_message"`
}

// selectConnections reads connections; callers add a WHERE clause.
const selectConnections = `SELECT name_key, name, kind, type, storage, params, secret, created_at, updated_at,
	verified_at, verified_ok, verified_step, verified_message, health_at, health_ok, health_step, health_message
	FROM connections`

// nameKey is the key of a connection name: names are case-insensitive, so
// "Redis1" and "redis1" are one connection.
func nameKey(name string) string { return strings.ToLower(name) }

// CreateConnection adds a connection, encrypting its secret; a connection
// whose name differs only in case exists already is an EConflict. Created and
// Updated default to the current time.
func (s *Store) CreateConnection(ctx context.Context, c scopes.Connection) error {
	if err := checkName("connection", c.Name); err != nil {
		return err
	}
	for _, f := range []struct{ what, value string }{{"kind", c.Kind}, {"type", c.Type}} {
		if f.value == "" || utf8.RuneCountInString(f.value) > 16 {
			return scopes.Errorf(scopes.EInvalid, "connection %q: the %s must be 1 to 16 characters", c.Name, f.what)
		}
	}
	params := c.Params
	if params == nil {
		params = map[string]string{}
	}
	paramsJSON, err := json.Marshal(params)
	if err != nil {
		return s.wrap("create connection", err)
	}
	key := nameKey(c.Name)
	// A connection without a password has no secret rather than an
	// encrypted empty one, so it stays readable whatever the key.
	var secret []byte
	if c.Secret != "" {
		if secret, err = s.secrets.seal(key, c.Secret); err != nil {
			return err
		}
	}
	if c.Created.IsZero() {
		c.Created = time.Now()
	}
	if c.Updated.IsZero() {
		c.Updated = c.Created
	}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO connections
		(name_key, name, kind, type, storage, params, secret, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		key, c.Name, c.Kind, c.Type, c.Storage, string(paramsJSON), secret, dbTime(c.Created), dbTime(c.Updated))
	if sqlerr.Duplicate(err) {
		return scopes.Errorf(scopes.EConflict, "connection %q already exists (connection names ignore case)", c.Name)
	} else if err != nil {
		return s.wrap("create connection", err)
	}
	return nil
}

// Connection returns the connection of that name, in any case, with its
// secret decrypted.
func (s *Store) Connection(ctx context.Context, name string) (scopes.Connection, bool, error) {
	if !storable(name) {
		return scopes.Connection{}, false, nil
	}
	var row connectionRow
	err := sqlx.GetContext(ctx, s.db, &row, s.q(selectConnections+` WHERE name_key = ?`), nameKey(name))
	if errors.Is(err, sql.ErrNoRows) {
		return scopes.Connection{}, false, nil
	} else if err != nil {
		return scopes.Connection{}, false, s.wrap("read connection", err)
	}
	c, err := s.connection(row)
	if err != nil {
		return scopes.Connection{}, false, err
	}
	return c, true, nil
}

// Connections returns every connection, by name regardless of case, with
// their secrets decrypted.
func (s *Store) Connections(ctx context.Context) ([]scopes.Connection, error) {
	var rows []connectionRow
	if err := sqlx.SelectContext(ctx, s.db, &rows, selectConnections); err != nil {
		return nil, s.wrap("list connections", err)
	}
	// Sorted here rather than by ORDER BY, whose order follows each
	// database's collation.
	slices.SortFunc(rows, func(a, b connectionRow) int { return strings.Compare(a.NameKey, b.NameKey) })
	conns := make([]scopes.Connection, 0, len(rows))
	for _, row := range rows {
		c, err := s.connection(row)
		if err != nil {
			return nil, err
		}
		conns = append(conns, c)
	}
	return conns, nil
}

// connection decodes a row's params and decrypts its secret.
func (s *Store) connection(row connectionRow) (scopes.Connection, error) {
	c := scopes.Connection{
		Name:     row.Name,
		Kind:     row.Kind,
		Type:     row.Type,
		Storage:  row.Storage,
		Params:   map[string]string{},
		Created:  row.Created.UTC(),
		Updated:  row.Updated.UTC(),
		Verified: checkOf(row.VerifiedAt, row.VerifiedOK, row.VerifiedStep, row.VerifiedMessage),
		Health:   checkOf(row.HealthAt, row.HealthOK, row.HealthStep, row.HealthMessage),
	}
	if err := json.Unmarshal([]byte(row.Params), &c.Params); err != nil {
		return scopes.Connection{}, &scopes.Error{Code: scopes.ECorrupt, Err: err, Message: "the stored settings of connection " +
			strconv.Quote(row.Name) + " are not a JSON object of strings; delete the connection and create it again"}
	}
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	if len(row.Secret) > 0 {
		secret, err := s.secrets.open(row.Name, row.NameKey, row.Secret)
		if err != nil {
			return scopes.Connection{}, err
		}
		c.Secret = secret
	}
	return c, nil
}

// DeleteConnection removes the connection of that name, in any case.
func (s *Store) DeleteConnection(ctx context.Context, name string) (bool, error) {
	if !storable(name) {
		return false, nil
	}
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM connections WHERE name_key = ?`), nameKey(name))
	if err != nil {
		return false, s.wrap("delete connection", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.wrap("delete connection", err)
	}
	return n > 0, nil
}
