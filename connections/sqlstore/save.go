package sqlstore

import (
	"context"
	"fmt"

	"github.com/scopestore/scopestore/scopes"
)

// Save writes rec under its key, replacing any row there.
func (s *Store) Save(ctx context.Context, rec scopes.Record) error {
	st, err := s.table(rec.Kind)
	if err != nil {
		return err
	}
	if err := s.ready(ctx); err != nil {
		return err
	}
	_, expires, data := encode(rec)
	if _, err := s.writer.ExecContext(ctx, st.upsert, rec.CFID, rec.App, expires, data); err != nil {
		return fmt.Errorf("sqlstore: save %s: %w", st.table, err)
	}
	return nil
}
