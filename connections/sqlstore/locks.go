package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// The database locks the store takes. Each is a session lock held on one
// connection: MySQL's GET_LOCK, PostgreSQL's advisory locks. A connection
// that dies releases its locks on the server, so a crashed instance never
// leaves one behind.
const (
	// lockCleaner is held by the instance that deletes expired rows.
	lockCleaner = "cleaner"
	// lockMigrate is held by the instance that migrates the tables.
	lockMigrate = "migrate"
)

// unlockTimeout bounds the release of a lock, which runs even when the
// caller's context has ended.
const unlockTimeout = 5 * time.Second

// lockNames names the locks of one database. GET_LOCK names are global to a
// MySQL server, so they carry a digest of the database's name, so that two
// scopestore databases on one server (two deployments, parallel tests) do
// not exclude each other; PostgreSQL's advisory locks are per database.
type lockNames struct {
	// prefix starts every MySQL lock name: "scopestore.<16 hex digits>.".
	prefix string
}

// newLockNames returns the lock names of the named database.
func newLockNames(database string) lockNames {
	sum := sha256.Sum256([]byte(database))
	return lockNames{prefix: "scopestore." + hex.EncodeToString(sum[:8]) + "."}
}

// mysql returns the GET_LOCK name of a lock, at most 64 characters as MySQL
// 5.7+ requires.
func (n lockNames) mysql(lock string) string { return n.prefix + lock }

// postgres returns the advisory lock key of a lock.
func (n lockNames) postgres(lock string) int64 {
	sum := sha256.Sum256([]byte("scopestore." + lock))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// lock takes the named lock on conn. With wait false it returns at once,
// with ok false when another session holds the lock; with wait true it
// waits for as long as ctx allows. SQLite has no such locks and needs none
// (its write lock serializes writers): there it always succeeds.
func (s *Store) lock(ctx context.Context, conn *sqlx.Conn, name string, wait bool) (ok bool, err error) {
	switch s.d.name {
	case nameMySQL:
		timeout := 0
		if wait {
			// GET_LOCK waits in whole seconds. When ctx ends first, the
			// driver closes the connection, which ends the wait.
			timeout = 3600
			if deadline, has := ctx.Deadline(); has {
				timeout = max(1, int(time.Until(deadline).Seconds()))
			}
		}
		var got sql.NullInt64
		if err := conn.QueryRowxContext(ctx, `SELECT GET_LOCK(?, ?)`, s.locks.mysql(name), timeout).Scan(&got); err != nil {
			return false, fmt.Errorf("take the %s lock: %w", name, err)
		}
		return got.Valid && got.Int64 == 1, nil
	case namePostgres:
		key := s.locks.postgres(name)
		if wait {
			if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
				return false, fmt.Errorf("take the %s lock: %w", name, err)
			}
			return true, nil
		}
		if err := conn.QueryRowxContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
			return false, fmt.Errorf("take the %s lock: %w", name, err)
		}
		return ok, nil
	}
	return true, nil
}

// unlock releases a lock that lock took on conn. When the release fails the
// connection is closed rather than returned to the pool, which releases
// the lock on the server all the same: a pooled connection must never keep
// holding it.
func (s *Store) unlock(conn *sqlx.Conn, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
	defer cancel()
	var err error
	switch s.d.name {
	case nameMySQL:
		_, err = conn.ExecContext(ctx, `DO RELEASE_LOCK(?)`, s.locks.mysql(name))
	case namePostgres:
		_, err = conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, s.locks.postgres(name))
	default:
		return
	}
	if err != nil {
		s.log.Warn("sqlstore: cannot release a database lock; closing its connection", "lock", name, "err", err)
		discard(conn)
	}
}

// discard closes conn's underlying connection instead of pooling it.
func discard(conn *sqlx.Conn) {
	// database/sql closes a connection whose Raw function reports it bad.
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

// LockCleaner takes the lock that DeleteExpired takes, so that one instance
// at a time deletes expired rows, and returns the function that releases
// it; ok is false, and nothing is held, when another instance has it. It
// holds a connection of the pool until unlock is called. DeleteExpired
// calls it; it is exported for tests and tools that must keep the cleaner
// away from a table for a while.
func (s *Store) LockCleaner(ctx context.Context) (unlock func(), ok bool, err error) {
	conn, ok, err := s.lockCleaner(ctx)
	if err != nil || !ok {
		return func() {}, ok, err
	}
	return func() {
		s.unlock(conn, lockCleaner)
		_ = conn.Close()
	}, true, nil
}

// lockCleaner takes the cleaner's lock on a connection of its own and
// returns the connection, on which the caller runs its deletes, so that a
// pool of one connection cannot deadlock against itself.
func (s *Store) lockCleaner(ctx context.Context) (*sqlx.Conn, bool, error) {
	conn, err := s.writer.Connx(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("sqlstore: take the cleaner lock: %w", err)
	}
	ok, err := s.lock(ctx, conn, lockCleaner, false)
	if err != nil {
		discard(conn)
		_ = conn.Close()
		return nil, false, fmt.Errorf("sqlstore: %w", err)
	}
	if !ok {
		_ = conn.Close()
		return nil, false, nil
	}
	return conn, true, nil
}
