package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// DeleteExpired deletes up to limit rows that expired at now, from the
// session table first and then the client table, and returns how many it
// deleted. Each table's rows are found through its expires index; the limit
// bounds how long the database's write lock is held.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	total := 0
	for _, st := range []*statements{&s.session, &s.client} {
		if total >= limit {
			break
		}
		res, err := s.writer.ExecContext(ctx, st.deleteExpired, millis(now), limit-total)
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
