package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// Update reads the row under key, calls fn with its record and writes the
// record fn returns, in one transaction that keeps other writers of the row
// out (see dialect.lockRow). A row that does not decode aborts the update
// with the ECorrupt error: fn never sees it, and Save or Delete replace it.
func (s *Store) Update(ctx context.Context, key scopes.Key, now time.Time, fn func(cur scopes.Record, found bool) (scopes.Record, error)) (scopes.Record, error) {
	st, err := s.table(key.Kind)
	if err != nil {
		return scopes.Record{}, err
	}
	tx, err := s.writer.BeginTxx(ctx, nil)
	if err != nil {
		return scopes.Record{}, fmt.Errorf("sqlstore: update %s: begin: %w", st.table, err)
	}
	defer func() { _ = tx.Rollback() }()

	cur, found := scopes.Record{Key: key}, false
	var r row
	if err := tx.GetContext(ctx, &r, st.getForUpdate, key.CFID, key.App); err == nil {
		var rec scopes.Record
		if rec, found, err = decode(key, r, now); err != nil {
			return scopes.Record{}, err
		} else if found {
			cur = rec
		}
	} else if !errors.Is(err, sql.ErrNoRows) {
		return scopes.Record{}, fmt.Errorf("sqlstore: update %s: read: %w", st.table, err)
	}

	rec, err := fn(cur, found)
	if err != nil {
		return scopes.Record{}, err
	}
	rec.Key = key
	rec, expires, data := encode(rec)
	if _, err := tx.ExecContext(ctx, st.upsert, key.CFID, key.App, expires, data); err != nil {
		return scopes.Record{}, fmt.Errorf("sqlstore: update %s: write: %w", st.table, err)
	}
	if err := tx.Commit(); err != nil {
		return scopes.Record{}, fmt.Errorf("sqlstore: update %s: commit: %w", st.table, err)
	}
	return rec, nil
}
