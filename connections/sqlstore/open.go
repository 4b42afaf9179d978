package sqlstore

import (
	"context"

	"github.com/scopestore/scopestore/scopes"
)

// OpenConnection returns the store of a datasource connection, by its type:
// mysql (OpenMySQL), postgres (OpenPostgres) or sqlite (OpenSQLite on its
// file parameter). The MySQL and PostgreSQL stores connect on first use;
// see OpenMySQL.
func OpenConnection(ctx context.Context, c scopes.Connection) (*Store, error) {
	switch c.Type {
	case nameMySQL:
		return OpenMySQL(ctx, c)
	case namePostgres:
		return OpenPostgres(ctx, c)
	case nameSQLite:
		s, err := OpenSQLite(c.Params["file"])
		if err != nil {
			return nil, err
		}
		s.log = s.log.With("connection", c.Name)
		return s, nil
	}
	return nil, scopes.Errorf(scopes.EInvalidSettings, "connection %q has type %q, which is not a datasource that can hold scopes (mysql, postgres or sqlite)", c.Name, c.Type)
}
