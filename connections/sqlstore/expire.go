package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// DeleteExpired deletes up to limit rows that expired at now, from the
// session table first and then the client table, and returns how many it
// deleted. Each table's rows are found through its expires index, oldest
// first; the limit bounds how long the rows stay locked.
//
// One instance at a time deletes: the call holds the cleaner's database
// lock (see LockCleaner) while it runs, and when another instance holds it
// the call deletes nothing and returns 0 without an error, as that instance
// is doing the work. The lock and the deletes share one connection.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	conn, ok, err := s.lockCleaner(ctx)
	if err != nil {
		return 0, err
	}
	if !ok {
		s.log.DebugContext(ctx, "sqlstore: another instance holds the cleaner lock; leaving the expired rows to it")
		return 0, nil
	}
	defer func() {
		s.unlock(conn, lockCleaner)
		_ = conn.Close()
	}()

	total := 0
	for _, st := range []*statements{&s.session, &s.client} {
		if total >= limit {
			break
		}
		res, err := conn.ExecContext(ctx, st.deleteExpired, millis(now), limit-total)
		if err != nil {
			return total, fmt.Errorf("sqlstore: delete expired %s: %w", st.table, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("sqlstore: delete expired %s: %w", st.table, err)
		}
		total += int(n)
	}
	return total, nil
}
