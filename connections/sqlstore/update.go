package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/scopestore/scopestore/connections/sqlerr"
	"github.com/scopestore/scopestore/scopes"
)

// maxUpdateAttempts bounds how often Update starts again after losing a
// race: another transaction created the same scope first, or the database
// broke a deadlock by rolling this one back.
const maxUpdateAttempts = 10

// errRace marks an attempt of Update that lost to a concurrent transaction
// and may be run again from the start.
var errRace = errors.New("sqlstore: a concurrent transaction won")

// Update reads the row under key, calls fn with its record and writes the
// record fn returns, in one transaction that keeps other writers of the row
// out. A row that does not decode aborts the update with the ECorrupt
// error: fn never sees it, and Save or Delete replace it.
//
// The read locks the row (SELECT … FOR UPDATE on MySQL and PostgreSQL; on
// SQLite the transaction holds the database's write lock from its BEGIN).
// A missing row locks nothing, so a new record is written with a plain
// INSERT, never an upsert that could overwrite a row another transaction
// created meanwhile: when one did, the INSERT fails on the key (or, with
// ON CONFLICT DO NOTHING, inserts nothing), and Update starts again from the
// read, which now finds and locks that row. A deadlock or serialization
// failure starts it again too. fn may therefore be called more than once,
// each time with the record as it then is; its last result is written.
func (s *Store) Update(ctx context.Context, key scopes.Key, now time.Time, fn func(cur scopes.Record, found bool) (scopes.Record, error)) (scopes.Record, error) {
	st, err := s.table(key.Kind)
	if err != nil {
		return scopes.Record{}, err
	}
	if err := s.ready(ctx); err != nil {
		return scopes.Record{}, err
	}
	for attempt := 1; ; attempt++ {
		rec, err := s.updateOnce(ctx, st, key, now, fn)
		if !errors.Is(err, errRace) {
			return rec, err
		}
		if attempt == maxUpdateAttempts {
			return scopes.Record{}, fmt.Errorf("sqlstore: update %s: gave up after %d attempts: %w", st.table, attempt, err)
		}
		s.log.DebugContext(ctx, "sqlstore: update lost a race; starting again", "table", st.table, "attempt", attempt, "err", err)
		// A short random pause lets the winner commit and keeps losers
		// from meeting again in step.
		pause := time.Duration(rand.Int64N(int64(attempt) * int64(2*time.Millisecond)))
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return scopes.Record{}, fmt.Errorf("sqlstore: update %s: %w", st.table, ctx.Err())
		}
	}
}

// updateOnce makes one attempt of Update; an error that wraps errRace means
// it lost a race and changed nothing.
func (s *Store) updateOnce(ctx context.Context, st *statements, key scopes.Key, now time.Time, fn func(cur scopes.Record, found bool) (scopes.Record, error)) (scopes.Record, error) {
	fail := func(step string, err error) (scopes.Record, error) {
		if sqlerr.Transient(err) || sqlerr.Duplicate(err) {
			err = fmt.Errorf("%w: %w", errRace, err)
		}
		return scopes.Record{}, fmt.Errorf("sqlstore: update %s: %s: %w", st.table, step, err)
	}
	tx, err := s.writer.BeginTxx(ctx, &sql.TxOptions{Isolation: s.d.isolation})
	if err != nil {
		return fail("begin", err)
	}
	defer func() { _ = tx.Rollback() }()

	cur, found, exists := scopes.Record{Key: key}, false, false
	var r row
	if err := tx.GetContext(ctx, &r, st.getForUpdate, key.CFID, key.App); err == nil {
		exists = true
		var rec scopes.Record
		if rec, found, err = decode(key, r, now); err != nil {
			return scopes.Record{}, err
		} else if found {
			cur = rec
		}
	} else if !errors.Is(err, sql.ErrNoRows) {
		return fail("read", err)
	}

	rec, err := fn(cur, found)
	if err != nil {
		return scopes.Record{}, err
	}
	rec.Key = key
	rec, expires, data := encode(rec)
	if exists {
		// The row is locked: replace it, expired or not.
		if _, err := tx.ExecContext(ctx, st.update, expires, data, key.CFID, key.App); err != nil {
			return fail("write", err)
		}
	} else {
		res, err := tx.ExecContext(ctx, st.insert, key.CFID, key.App, expires, data)
		if err != nil {
			return fail("insert", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fail("insert", err)
		} else if n == 0 {
			// ON CONFLICT DO NOTHING met a row committed since the read.
			return scopes.Record{}, fmt.Errorf("sqlstore: update %s: insert: %w: another transaction created the row first", st.table, errRace)
		}
	}
	if err := tx.Commit(); err != nil {
		return fail("commit", err)
	}
	return rec, nil
}
