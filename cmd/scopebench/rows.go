package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// Bulk filling of cf_session_data: multi-row INSERTs of rows in scopestore's
// envelope format, written straight to the database.
const (
	fillBatch    = 200
	fillWriters  = 3
	fillProgress = 3 * time.Second
)

// ensureLive fills cf_session_data with unexpired scopes of the bench app
// until scopebench has filled n of them. Their cfids go to reservoir, a
// uniform sample of BaseRows of them.
func (b *bench) ensureLive(ctx context.Context, n int) error {
	if b.live >= n {
		return nil
	}
	rng := rand.New(rand.NewPCG(1, 2))
	size := b.cfg.BaseRows
	now := time.Now()
	expires := now.Add(24 * time.Hour)
	_, _, err := b.fill(ctx, "live rows", n-b.live, func(int) (time.Time, time.Time) { return now, expires }, func(cfid string) {
		// Algorithm R: the i-th row replaces a sample with probability size/i.
		b.live++
		if len(b.reservoir) < size {
			b.reservoir = append(b.reservoir, cfid)
		} else if j := rng.IntN(b.live); j < size {
			b.reservoir[j] = cfid
		}
	})
	return err
}

// fillExpired fills n rows that expired an hour ago or more, each a
// millisecond later than the one before, and returns the cfids of the
// oldest and the newest: the cleaner deletes in expires order.
func (b *bench) fillExpired(ctx context.Context, n int) (first, last string, err error) {
	end := time.Now().Add(-time.Hour)
	start := end.Add(-time.Duration(n) * time.Millisecond)
	return b.fill(ctx, "expired rows", n, func(i int) (time.Time, time.Time) {
		at := start.Add(time.Duration(i) * time.Millisecond)
		return at.Add(-24 * time.Hour), at
	}, nil)
}

// fill inserts n rows of the bench app; times gives the i-th row's
// lastvisit and expires, and seen, when set, gets every cfid in order. It
// returns the first and last cfids and reports progress on stderr.
func (b *bench) fill(ctx context.Context, label string, n int, times func(i int) (visit, expires time.Time), seen func(cfid string)) (first, last string, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan []any, fillWriters)
	var done atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, fillWriters)
	for i := range fillWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for args := range jobs {
				if ctx.Err() != nil {
					continue // drain: the producer stops soon
				}
				rows := len(args) / 4
				q := "INSERT INTO cf_session_data (cfid, name, expires, data) VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?),", rows), ",")
				if _, err := b.db.ExecContext(ctx, q, args...); err != nil {
					errs[i] = fmt.Errorf("fill cf_session_data: %w", err)
					cancel()
					continue
				}
				done.Add(int64(rows))
			}
		}()
	}
	began := time.Now()
	ticker := time.NewTicker(fillProgress)
	defer ticker.Stop()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				d := done.Load()
				b.progress("  filling %s: %d of %d (%.0f rows/s)", label, d, n, float64(d)/time.Since(began).Seconds())
			}
		}
	}()

	for i := 0; i < n && ctx.Err() == nil; {
		rows := min(fillBatch, n-i)
		args := make([]any, 0, rows*4)
		for range rows {
			cfid := scopes.NewCFID()
			visit, expires := times(i)
			rec := scopes.Record{
				Key:     scopes.Key{App: benchApp, Kind: scopes.Session, CFID: cfid},
				CFToken: "0", TimeCreated: visit, LastVisit: visit, Expires: expires, Version: 1,
				Data: withSeq(b.data, uint64(i)),
			}
			args = append(args, cfid, benchApp, millis(expires), string(scopes.EncodeRecord(rec)))
			if first == "" {
				first = cfid
			}
			last = cfid
			if seen != nil {
				seen(cfid)
			}
			i++
		}
		select {
		case jobs <- args:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return "", "", err
	}
	if err := ctx.Err(); err != nil {
		return "", "", err
	}
	b.progress("  filled %d %s in %s", n, label, time.Since(began).Round(time.Millisecond))
	return first, last, nil
}

// cleanerStartTimeout bounds the wait for the cleaner's first deletion; it
// runs every second.
const cleanerStartTimeout = 30 * time.Second

// cleanerTimes are what watchCleaner saw.
type cleanerTimes struct {
	// started is when the oldest expired row was gone, deleted when the
	// newest was, purged when InnoDB's history list was back to its length
	// before the cleaner (zero when the server does not report it).
	started, deleted, purged time.Time
}

// watchCleaner polls, every 50ms, for the rows first and last (the oldest
// and the newest expired rows; the cleaner deletes in expires order), then
// for InnoDB's purge of the deleted rows, which does the rest of their
// deletion in the background: until the history list length is back to
// history (when history is not -1). It returns when all is done or ctx ends.
func (b *bench) watchCleaner(ctx context.Context, first, last string, history int64, t *cleanerTimes) error {
	exists := func(cfid string) (bool, error) {
		var one int
		err := b.db.QueryRowContext(ctx, `SELECT 1 FROM cf_session_data WHERE cfid = ? AND name = ?`, cfid, benchApp).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	began := time.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		now := time.Now()
		switch {
		case t.started.IsZero():
			ok, err := exists(first)
			if err != nil {
				return err
			}
			if !ok {
				t.started = now
			} else if now.Sub(began) > cleanerStartTimeout {
				return fmt.Errorf("the cleaner deleted no expired row within %s of the server's start", cleanerStartTimeout)
			}
		case t.deleted.IsZero():
			ok, err := exists(last)
			if err != nil {
				return err
			}
			if !ok {
				t.deleted = now
				if history < 0 {
					return nil
				}
			}
		default:
			h, err := b.historyLength(ctx)
			if err != nil {
				return err
			}
			if h <= history+10 {
				t.purged = now
				return nil
			}
		}
	}
}

// historyLength returns InnoDB's history list length: the undo logs that
// purge has still to process (one per transaction, so one per cleaner
// batch). It returns -1 when the server does not report it (MySQL has it
// in information_schema.INNODB_METRICS only).
func (b *bench) historyLength(ctx context.Context) (int64, error) {
	var name string
	var n int64
	err := b.db.QueryRowContext(ctx, `SHOW GLOBAL STATUS LIKE 'Innodb_history_list_length'`).Scan(&name, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return -1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read InnoDB's history list length: %w", err)
	}
	return n, nil
}

// settle makes InnoDB write the pages of cf_session_data that a fill
// dirtied (FLUSH TABLES … FOR EXPORT), so that the measurement after a bulk
// insert measures loads, not the insert's flushing: with the buffer pool full
// of dirty pages, a load that needs a free page must first write one out
// itself, and the server's page cleaner takes its time (on a shared server,
// other databases' pages keep it busy). It returns a note for the report.
func (b *bench) settle(ctx context.Context) (string, error) {
	began := time.Now()
	conn, err := b.db.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "FLUSH TABLES cf_session_data FOR EXPORT"); err != nil {
		b.progress("  could not flush cf_session_data (%v): measuring with the fill's pages still dirty", err)
		return "its dirty pages could not be flushed first: " + err.Error(), nil
	}
	if _, err := conn.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
		return "", err
	}
	return fmt.Sprintf("the fill's dirty pages were flushed first (%s)", time.Since(began).Round(time.Millisecond)), nil
}
