package configstore

import (
	"context"
	"errors"

	"github.com/jmoiron/sqlx"
)

// Rekey encrypts again with the secret key the connection passwords that
// only a previous key opens, so that the previous keys can then be dropped.
// Run it once every instance has the new secret key: an instance that
// still has only the old one cannot read a password rekeyed. A row changed
// meanwhile by another instance is left as it is. It returns the names of
// the connections it rekeyed, and the rows it could not, joined, after
// trying every row.
func (s *Store) Rekey(ctx context.Context) ([]string, error) {
	var rows []connectionRow
	if err := sqlx.SelectContext(ctx, s.db, &rows, selectConnections); err != nil {
		return nil, s.wrap("list connections", err)
	}
	var rekeyed []string
	var errs []error
	for _, row := range rows {
		if len(row.Secret) == 0 {
			continue
		}
		plain, current, err := s.secrets.openAny(row.Name, row.NameKey, row.Secret)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if current {
			continue
		}
		sealed, err := s.secrets.seal(row.NameKey, plain)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		res, err := s.db.ExecContext(ctx, s.q(`UPDATE connections SET secret = ? WHERE name_key = ? AND secret = ?`),
			sealed, row.NameKey, row.Secret)
		if err != nil {
			errs = append(errs, s.wrap("rekey connection "+row.Name, err))
			continue
		}
		if n, err := res.RowsAffected(); err == nil && n > 0 {
			rekeyed = append(rekeyed, row.Name)
		}
	}
	return rekeyed, errors.Join(errs...)
}
