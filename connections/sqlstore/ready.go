package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// prepareTimeout bounds one attempt to bring the tables up to date: the
// migration of a large legacy table rebuilds it, which takes minutes.
const prepareTimeout = 30 * time.Minute

// readiness brings a store's tables up to date on first use rather than at
// Open, so that scopestore starts while the database is down: every call
// waits for the tables, and while the database cannot be reached each call
// fails (the API answers 503) and the next one tries again, until one
// succeeds. Calls that arrive during an attempt share it.
type readiness struct {
	mu   sync.Mutex
	done bool
	// running is closed when the attempt under way ends; nil when none is.
	running chan struct{}
	// err is the last attempt's failure; lastLogged its message as logged.
	err        error
	lastLogged string
	// ctx is the attempts' context, cancelled by stop.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// markReady records that the tables need nothing (OpenSQLite migrates them
// before it returns).
func (r *readiness) markReady() {
	r.mu.Lock()
	r.done = true
	r.mu.Unlock()
}

// stop cancels an attempt under way and waits for it to end. It cancels
// under mu, where ready checks the context before it starts an attempt, so
// that none starts after stop.
func (r *readiness) stop() {
	r.mu.Lock()
	if r.cancel != nil {
		r.cancel()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// ready returns nil once the tables are up to date, starting or joining an
// attempt to bring them so when they are not yet. The attempt runs apart
// from ctx, so that a request that gives up does not break off a migration
// halfway; the request itself stops waiting when ctx ends.
func (s *Store) ready(ctx context.Context) error {
	r := &s.init
	r.mu.Lock()
	if r.done {
		r.mu.Unlock()
		return nil
	}
	ch := r.running
	if ch == nil {
		if r.ctx.Err() != nil {
			r.mu.Unlock()
			return fmt.Errorf("sqlstore: the store is closed")
		}
		ch = make(chan struct{})
		r.running = ch
		r.wg.Add(1)
		go s.prepare(ch)
	}
	r.mu.Unlock()

	select {
	case <-ch:
	case <-ctx.Done():
		return fmt.Errorf("sqlstore: waiting for the scope tables to be prepared: %w", ctx.Err())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return nil
	}
	return r.err
}

// prepare makes one attempt: Migrate, which creates missing tables and
// fixes legacy ones, logging each step.
func (s *Store) prepare(ch chan struct{}) {
	r := &s.init
	defer r.wg.Done()
	ctx, cancel := context.WithTimeout(r.ctx, prepareTimeout)
	defer cancel()
	_, err := s.Migrate(ctx, false)

	r.mu.Lock()
	defer r.mu.Unlock()
	r.running = nil
	close(ch)
	if err == nil {
		if r.err != nil {
			s.log.Info("sqlstore: the scope tables are ready after earlier failures", "addr", s.addr)
		}
		r.done, r.err = true, nil
		return
	}
	r.err = fmt.Errorf("sqlstore: prepare the scope tables: %w", err)
	// A database that stays down fails every call the same way: log the
	// failure when it changes, not on every call.
	if msg := err.Error(); msg != r.lastLogged {
		r.lastLogged = msg
		s.log.Warn("sqlstore: cannot prepare the scope tables; the next call tries again", "addr", s.addr, "err", err)
	}
}
