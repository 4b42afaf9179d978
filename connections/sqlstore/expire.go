package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/scopes"
)

// DeleteExpired deletes up to limit rows that expired at now, from the
// session table first and then the client table, and returns their keys.
// Each table's rows are found through its expires index, oldest first, and
// deleted one by one in a transaction that locks them, so that the keys
// returned are exactly the rows deleted; the limit bounds how long the rows
// stay locked.
//
// One instance at a time deletes: the call holds the cleaner's database
// lock (see LockCleaner) while it runs, and when another instance holds it
// the call deletes nothing and returns no key and no error, as that instance
// is doing the work. The lock and the deletes share one connection. On
// SQLite, which has no such lock, two processes may both call it, and the
// write lock that each transaction takes at BEGIN makes the second find
// only what the first left.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) ([]scopes.Key, error) {
	if limit <= 0 {
		return nil, nil
	}
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	conn, ok, err := s.lockCleaner(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		s.log.DebugContext(ctx, "sqlstore: another instance holds the cleaner lock; leaving the expired rows to it")
		return nil, nil
	}
	defer func() {
		s.unlock(conn, lockCleaner)
		_ = conn.Close()
	}()

	var deleted []scopes.Key
	for _, t := range []struct {
		st   *statements
		kind scopes.Kind
	}{{&s.session, scopes.Session}, {&s.client, scopes.Client}} {
		if len(deleted) >= limit {
			break
		}
		keys, err := s.deleteExpired(ctx, conn, t.st, t.kind, now, limit-len(deleted))
		if err != nil {
			return deleted, fmt.Errorf("sqlstore: delete expired %s: %w", t.st.table, err)
		}
		deleted = append(deleted, keys...)
	}
	return deleted, nil
}

// deleteExpired deletes up to limit expired rows of one table in one
// transaction on conn and returns their keys; nothing is deleted unless it
// commits.
func (s *Store) deleteExpired(ctx context.Context, conn *sqlx.Conn, st *statements, kind scopes.Kind, now time.Time, limit int) ([]scopes.Key, error) {
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: s.d.isolation})
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	expires := millis(now)
	rows, err := tx.QueryContext(ctx, st.selectExpired, expires, limit)
	if err != nil {
		return nil, err
	}
	var found []scopes.Key
	for rows.Next() {
		k := scopes.Key{Kind: kind}
		if err := rows.Scan(&k.CFID, &k.App); err != nil {
			_ = rows.Close()
			return nil, err
		}
		found = append(found, k)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, nil
	}
	del, err := tx.PrepareContext(ctx, st.deleteExpired)
	if err != nil {
		return nil, err
	}
	defer del.Close()
	var keys []scopes.Key
	for _, k := range found {
		res, err := del.ExecContext(ctx, k.CFID, k.App, expires)
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n > 0 {
			keys = append(keys, k)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return keys, nil
}
