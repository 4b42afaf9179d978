package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// The tables of named locks (lockstore.go). They are created on the first
// lock request, with CREATE TABLE IF NOT EXISTS, rather than by Migrate:
// they hold no Lucee data to migrate, and a datasource that never holds
// locks never gets them.
const (
	// locksTable holds one row per holder of a lock: an exclusive holder,
	// or each readonly holder.
	locksTable = "scopestore_locks"
	// fencesTable holds one row per lock ever taken: its fence counter,
	// which only grows and so is never deleted, and the mark of a waiting
	// exclusive request. Its row is also what serializes the requests for
	// one lock (SELECT … FOR UPDATE, or the upsert that takes it).
	fencesTable = "scopestore_lock_fences"
)

// lockDDL returns the statements that create the lock tables. On MySQL the
// names compare as bytes (utf8mb4_bin), as Redis and memory compare them:
// the database's default collation would make "Cart" and "cart" one lock.
func lockDDL(dialect string) []string {
	text, engine := "VARCHAR(%d)", ""
	if dialect == nameMySQL {
		text, engine = "VARCHAR(%d) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", " ENGINE=InnoDB"
	}
	col := func(n int) string { return fmt.Sprintf(text, n) }
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + locksTable + ` (
	app ` + col(64) + ` NOT NULL,
	name ` + col(255) + ` NOT NULL,
	token ` + col(64) + ` NOT NULL,
	type VARCHAR(16) NOT NULL,
	since BIGINT NOT NULL,
	expires BIGINT NOT NULL,
	PRIMARY KEY (app, name, token)
)` + engine,
		`CREATE TABLE IF NOT EXISTS ` + fencesTable + ` (
	app ` + col(64) + ` NOT NULL,
	name ` + col(255) + ` NOT NULL,
	fence BIGINT NOT NULL,
	writer_until BIGINT NOT NULL,
	PRIMARY KEY (app, name)
)` + engine,
	}
}

// lockInit records that the lock tables exist.
type lockInit struct {
	mu   sync.Mutex
	done bool
}

// lockTables creates the lock tables once per Store. Two instances that
// create them at once may collide in PostgreSQL's catalog (a unique
// violation on pg_type), so a failure is tried again: by then the other
// instance's table is there and IF NOT EXISTS passes.
func (s *Store) lockTables(ctx context.Context) error {
	s.lockInit.mu.Lock()
	defer s.lockInit.mu.Unlock()
	if s.lockInit.done {
		return nil
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = nil
		for _, stmt := range lockDDL(s.d.name) {
			if _, err = s.writer.ExecContext(ctx, stmt); err != nil {
				break
			}
		}
		if err == nil {
			s.lockInit.done = true
			return nil
		}
	}
	return fmt.Errorf("sqlstore: create the lock tables: %w", err)
}

// lockRowsKept is how long the cleaner leaves a holder's row after its
// lease ended: well past any clock skew between instances, since a request
// for the lock deletes it anyway.
const lockRowsKept = time.Hour

// deleteExpiredLocks deletes, on the cleaner's connection, the holder rows
// whose lease ended lockRowsKept ago: those of holders that vanished from a
// lock that nobody asked for since (a session's lock, say), which no lock
// request would delete. Only an instance that has used the lock tables
// does it, so that a datasource without them is left alone; a failure is
// logged and left for the next run, as the rows harm nothing meanwhile.
func (s *Store) deleteExpiredLocks(ctx context.Context, conn *sqlx.Conn, now time.Time) {
	s.lockInit.mu.Lock()
	used := s.lockInit.done
	s.lockInit.mu.Unlock()
	if !used {
		return
	}
	_, err := conn.ExecContext(ctx, s.lockSQL(`DELETE FROM `+locksTable+` WHERE expires <= ?`), now.Add(-lockRowsKept).UnixMilli())
	if err != nil {
		s.log.WarnContext(ctx, "sqlstore: delete the rows of lock holders whose lease ended", "err", err)
	}
}
