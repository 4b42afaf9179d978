package sqlstore

import (
	"context"
	"fmt"

	"github.com/scopestore/scopestore/scopes"
)

// Delete removes the row under key, expired or not, and reports whether
// there was one.
func (s *Store) Delete(ctx context.Context, key scopes.Key) (bool, error) {
	st, err := s.table(key.Kind)
	if err != nil {
		return false, err
	}
	if err := s.readyFor(ctx, key.Kind); err != nil {
		return false, err
	}
	res, err := s.writer.ExecContext(ctx, st.delete, key.CFID, key.App)
	if err != nil {
		return false, changeError("delete", st, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlstore: delete %s: %w", st.table, err)
	}
	return n > 0, nil
}
