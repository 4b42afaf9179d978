package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/connections/sqlerr"
	"github.com/scopestore/scopestore/scopes"
)

// Named locks (scopes.Locker) in a table of leases (lock_tables.go). A
// request for a lock is one transaction that first takes the lock's fence
// row, so that the requests for one lock take turns while those for other
// locks do not wait; it deletes the holders whose lease ran out, counts the
// others, and adds the new holder with the next fence. Leases are measured
// by the instances' clocks, in milliseconds: keep them in sync (NTP), as a
// clock that runs ahead ends other instances' leases early. SQL has no way
// to tell a waiter of a release: waiters try again after a backoff
// (scopes.Locks).

var _ scopes.Locker = (*Store)(nil)

// lockAttempts bounds how often a lock's statements (to take, renew,
// release or break it) are run again that lost a deadlock (MySQL, when two
// requests create one lock's fence row at once) or found SQLite busy past
// its busy_timeout (many lockers on one file).
const lockAttempts = 5

// TryLock takes the lock if it is free at now.
func (s *Store) TryLock(ctx context.Context, app string, req scopes.LockRequest, now time.Time) (lock scopes.Lock, h scopes.LockHolder, ok bool, err error) {
	if err := s.lockTables(ctx); err != nil {
		return lock, h, false, err
	}
	err = sqlerr.Retry(ctx, lockAttempts, 0, func() (err error) {
		lock, h, ok, err = s.tryLock(ctx, app, req, now)
		return err
	})
	if err != nil {
		return lock, h, false, fmt.Errorf("sqlstore: lock %s: %w", req.Name, err)
	}
	return lock, h, ok, nil
}

func (s *Store) tryLock(ctx context.Context, app string, req scopes.LockRequest, now time.Time) (scopes.Lock, scopes.LockHolder, bool, error) {
	tx, err := s.writer.BeginTxx(ctx, &sql.TxOptions{Isolation: s.d.isolation})
	if err != nil {
		return scopes.Lock{}, scopes.LockHolder{}, false, err
	}
	defer func() { _ = tx.Rollback() }()
	ms := now.UnixMilli()
	fence, writerUntil, err := s.takeFenceRow(ctx, tx, app, req.Name)
	if err != nil {
		return scopes.Lock{}, scopes.LockHolder{}, false, err
	}
	if _, err := tx.ExecContext(ctx, s.lockSQL(`DELETE FROM `+locksTable+` WHERE app = ? AND name = ? AND expires <= ?`), app, req.Name, ms); err != nil {
		return scopes.Lock{}, scopes.LockHolder{}, false, err
	}
	var held []struct {
		Type  string `db:"type"`
		N     int    `db:"n"`
		Since int64  `db:"since"`
	}
	if err := tx.SelectContext(ctx, &held, s.lockSQL(`SELECT type, COUNT(*) AS n, MIN(since) AS since FROM `+locksTable+
		` WHERE app = ? AND name = ? GROUP BY type`), app, req.Name); err != nil {
		return scopes.Lock{}, scopes.LockHolder{}, false, err
	}
	var h scopes.LockHolder
	for _, r := range held {
		if r.Type == string(scopes.LockExclusive) || req.Type == scopes.LockExclusive {
			h = scopes.LockHolder{Type: scopes.LockType(r.Type), Since: time.UnixMilli(r.Since)}
			if h.Type == scopes.LockReadonly {
				h.Holders = r.N
			}
			if h.Type == scopes.LockExclusive {
				break
			}
		}
	}
	if h.Type == "" && req.Type == scopes.LockReadonly && writerUntil > ms {
		h.WriterWaiting = true
	}
	if h.Type != "" || h.WriterWaiting {
		if req.Type == scopes.LockExclusive && req.Waiting {
			if _, err := tx.ExecContext(ctx, s.lockSQL(`UPDATE `+fencesTable+` SET writer_until = ? WHERE app = ? AND name = ?`),
				ms+scopes.LockWriterMark.Milliseconds(), app, req.Name); err != nil {
				return scopes.Lock{}, scopes.LockHolder{}, false, err
			}
		}
		return scopes.Lock{}, h, false, tx.Commit()
	}
	expires := ms + req.Lease.Milliseconds()
	if _, err := tx.ExecContext(ctx, s.lockSQL(`INSERT INTO `+locksTable+` (app, name, token, type, since, expires) VALUES (?, ?, ?, ?, ?, ?)`),
		app, req.Name, req.Token, string(req.Type), ms, expires); err != nil {
		return scopes.Lock{}, scopes.LockHolder{}, false, err
	}
	if req.Type == scopes.LockExclusive {
		writerUntil = 0
	}
	fence++
	if _, err := tx.ExecContext(ctx, s.lockSQL(`UPDATE `+fencesTable+` SET fence = ?, writer_until = ? WHERE app = ? AND name = ?`),
		fence, writerUntil, app, req.Name); err != nil {
		return scopes.Lock{}, scopes.LockHolder{}, false, err
	}
	if err := tx.Commit(); err != nil {
		return scopes.Lock{}, scopes.LockHolder{}, false, err
	}
	return scopes.Lock{Name: req.Name, Type: req.Type, Token: req.Token, Fence: fence, Expires: time.UnixMilli(expires)}, scopes.LockHolder{}, true, nil
}

// takeFenceRow creates the lock's fence row if it is missing and locks it
// for the transaction, returning its fence and writer mark. SQLite's
// transaction holds the database's write lock from BEGIN already.
func (s *Store) takeFenceRow(ctx context.Context, tx *sqlx.Tx, app, name string) (fence, writerUntil int64, err error) {
	var row struct {
		Fence       int64 `db:"fence"`
		WriterUntil int64 `db:"writer_until"`
	}
	if s.d.name == nameMySQL {
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+fencesTable+` (app, name, fence, writer_until) VALUES (?, ?, 0, 0)
			ON DUPLICATE KEY UPDATE fence = fence`, app, name); err != nil {
			return 0, 0, err
		}
		err = tx.GetContext(ctx, &row, `SELECT fence, writer_until FROM `+fencesTable+` WHERE app = ? AND name = ? FOR UPDATE`, app, name)
	} else {
		// DO UPDATE, not DO NOTHING: it locks the row that is there, and
		// RETURNING then returns it.
		err = tx.GetContext(ctx, &row, s.lockSQL(`INSERT INTO `+fencesTable+` (app, name, fence, writer_until) VALUES (?, ?, 0, 0)
			ON CONFLICT (app, name) DO UPDATE SET fence = `+fencesTable+`.fence RETURNING fence, writer_until`), app, name)
	}
	return row.Fence, row.WriterUntil, err
}

// lockSQL rebinds a statement's ? placeholders for the driver.
func (s *Store) lockSQL(query string) string { return sqlx.Rebind(s.d.bind, query) }

// Renew extends the holder token's lease to now+lease.
func (s *Store) Renew(ctx context.Context, app, name, token string, lease time.Duration, now time.Time) (time.Time, bool, error) {
	if err := s.lockTables(ctx); err != nil {
		return time.Time{}, false, err
	}
	began := time.Now()
	expires := now.UnixMilli() + lease.Milliseconds()
	var live bool
	// A renewal sets the same end however often it runs: one that found
	// the database busy is sent again, as a lock request is, rather than
	// fail and let the lease run out under a live holder.
	err := sqlerr.Retry(ctx, lockAttempts, 0, func() (err error) {
		live, err = s.renew(ctx, app, name, token, expires, now)
		return err
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("sqlstore: renew lock %s: %w", name, err)
	}
	// A renewal that waited longer than the lease for a busy database set
	// an end that has passed: the holder must not be told it holds a lease.
	if !live || time.Since(began) >= lease {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(expires), true, nil
}

func (s *Store) renew(ctx context.Context, app, name, token string, expires int64, now time.Time) (bool, error) {
	res, err := s.writer.ExecContext(ctx, s.lockSQL(`UPDATE `+locksTable+` SET expires = ? WHERE app = ? AND name = ? AND token = ? AND expires > ?`),
		expires, app, name, token, now.UnixMilli())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil || n > 0 {
		return n > 0, err
	}
	// MySQL counts a row whose value stays the same as not affected: a
	// renewal within the millisecond of the lock, with its lease.
	var live int
	err = s.writer.GetContext(ctx, &live, s.lockSQL(`SELECT COUNT(*) FROM `+locksTable+` WHERE app = ? AND name = ? AND token = ? AND expires = ?`),
		app, name, token, expires)
	return live > 0, err
}

// Unlock ends the holder token's lease.
func (s *Store) Unlock(ctx context.Context, app, name, token string, now time.Time) (bool, error) {
	if err := s.lockTables(ctx); err != nil {
		return false, err
	}
	var res sql.Result
	// A release that found the database busy or lost a deadlock applied
	// nothing: it is sent again, as TryLock is, rather than leave the lock
	// held until its lease runs out.
	err := sqlerr.Retry(ctx, lockAttempts, 0, func() (err error) {
		res, err = s.writer.ExecContext(ctx, s.lockSQL(`DELETE FROM `+locksTable+` WHERE app = ? AND name = ? AND token = ? AND expires > ?`),
			app, name, token, now.UnixMilli())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlstore: unlock %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlstore: unlock %s: %w", name, err)
	}
	return n == 1, nil
}

var _ scopes.LockLister = (*Store)(nil)

// HeldLocks lists the live holders of app's locks.
func (s *Store) HeldLocks(ctx context.Context, app string, now time.Time, limit int) ([]scopes.HeldLock, error) {
	if err := s.lockTables(ctx); err != nil {
		return nil, err
	}
	var rows []struct {
		Name    string `db:"name"`
		Type    string `db:"type"`
		Since   int64  `db:"since"`
		Expires int64  `db:"expires"`
	}
	err := s.reader.SelectContext(ctx, &rows, s.lockSQL(`SELECT name, type, since, expires FROM `+locksTable+
		` WHERE app = ? AND expires > ? ORDER BY name, since LIMIT ?`), app, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list locks: %w", err)
	}
	out := make([]scopes.HeldLock, len(rows))
	for i, r := range rows {
		out[i] = scopes.HeldLock{Name: r.Name, Type: scopes.LockType(r.Type), Since: time.UnixMilli(r.Since), Expires: time.UnixMilli(r.Expires)}
	}
	return out, nil
}
