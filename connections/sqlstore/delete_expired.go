package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/scopes"
)

// DeleteExpired deletes up to limit rows that expired at now, from the
// tables in the order of kindTables (session first), and returns their keys.
// Each table's rows are found through its expires index, oldest first, and
// deleted in chunks in the transaction that locked them, so that the keys
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

	// The shared scopes' tables are cleaned once they are prepared; while
	// they cannot be (readyFor logs why), the others still are.
	sharedReady := s.prepared(ctx, &s.shared) == nil
	var deleted []scopes.Key
	for _, kt := range kindTables {
		if len(deleted) >= limit {
			break
		}
		if kt.kind.Shared() && !sharedReady {
			continue
		}
		st := s.byKind[kt.kind]
		keys, err := s.deleteExpired(ctx, conn, st, kt.kind, now, limit-len(deleted))
		if err != nil {
			return deleted, fmt.Errorf("sqlstore: delete expired %s: %w", st.table, err)
		}
		deleted = append(deleted, keys...)
	}
	s.deleteExpiredLocks(ctx, conn, now)
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
	keys, err := s.deleteKeys(ctx, tx, st, found, expires)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return keys, nil
}

// deleteChunk is how many keys one DELETE names: few enough for every
// driver's placeholder limit, many enough that 100,000 expired rows take
// hundreds of statements, not 100,000.
const deleteChunk = 250

// deleteKeys deletes the expired rows of found, locked by the transaction,
// and returns their keys. The rows are locked (on SQLite, the whole
// database is), so each chunk deletes every row it names.
func (s *Store) deleteKeys(ctx context.Context, tx *sql.Tx, st *statements, found []scopes.Key, expires string) ([]scopes.Key, error) {
	var keys []scopes.Key
	for start := 0; start < len(found); start += deleteChunk {
		chunk := found[start:min(start+deleteChunk, len(found))]
		args := make([]any, 0, 1+2*len(chunk))
		args = append(args, expires)
		for _, k := range chunk {
			args = append(args, k.CFID, k.App)
		}
		query := sqlx.Rebind(s.d.bind, "DELETE FROM "+st.table+" WHERE expires <= ? AND (cfid, name) IN ("+
			strings.TrimSuffix(strings.Repeat("(?, ?), ", len(chunk)), ", ")+")")
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		if int(n) != len(chunk) {
			// The rows are locked, so this cannot happen; should it, the whole
			// transaction is rolled back rather than reporting keys that may not
			// be the ones deleted.
			return nil, fmt.Errorf("%d of %d locked expired rows deleted; rolled back", n, len(chunk))
		}
		keys = append(keys, chunk...)
	}
	return keys, nil
}
