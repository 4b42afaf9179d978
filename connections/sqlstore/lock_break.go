package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/scopestore/scopestore/connections/sqlerr"
	"github.com/scopestore/scopestore/scopes"
)

var _ scopes.LockBreaker = (*Store)(nil)

// BreakLock ends every live lease on (app, name) in one transaction that
// takes the lock's fence row first, as a lock request does, so that no
// holder joins between the read of the holders and their deletion. The
// fence row is left as it is, so fences keep growing. SQL cannot tell the
// waiters: they find the lock free at their next try (scopes.Locks).
func (s *Store) BreakLock(ctx context.Context, app, name string, now time.Time) (broken []scopes.HeldLock, err error) {
	if err := s.lockTables(ctx); err != nil {
		return nil, err
	}
	err = sqlerr.Retry(ctx, lockAttempts, 0, func() (err error) {
		broken, err = s.breakLock(ctx, app, name, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: break lock %s: %w", name, err)
	}
	return broken, nil
}

func (s *Store) breakLock(ctx context.Context, app, name string, now time.Time) ([]scopes.HeldLock, error) {
	tx, err := s.writer.BeginTxx(ctx, &sql.TxOptions{Isolation: s.d.isolation})
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	var fence int64
	err = tx.GetContext(ctx, &fence, s.lockSQL(`SELECT fence FROM `+fencesTable+` WHERE app = ? AND name = ?`+s.d.lockRow), app, name)
	if errors.Is(err, sql.ErrNoRows) {
		// No lock of that name was ever taken: nothing holds it.
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Type    string `db:"type"`
		Since   int64  `db:"since"`
		Expires int64  `db:"expires"`
	}
	if err := tx.SelectContext(ctx, &rows, s.lockSQL(`SELECT type, since, expires FROM `+locksTable+
		` WHERE app = ? AND name = ? AND expires > ? ORDER BY since`), app, name, now.UnixMilli()); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, s.lockSQL(`DELETE FROM `+locksTable+` WHERE app = ? AND name = ?`), app, name); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	broken := make([]scopes.HeldLock, len(rows))
	for i, r := range rows {
		broken[i] = scopes.HeldLock{Name: name, Type: scopes.LockType(r.Type), Since: time.UnixMilli(r.Since), Expires: time.UnixMilli(r.Expires)}
	}
	return broken, nil
}
