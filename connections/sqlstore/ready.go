package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/scopestore/scopestore/scopes"
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
	// tables are the tables it prepares; what names them for messages.
	tables []string
	what   string
	mu     sync.Mutex
	done   bool
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
func (s *Store) ready(ctx context.Context) error { return s.prepared(ctx, &s.init) }

// readyFor is ready for a scope of kind k: the shared scopes' tables are
// prepared apart, on their first use, so that a database where they cannot
// be created (a user without the right to create tables) still serves
// sessions and client scopes.
func (s *Store) readyFor(ctx context.Context, k scopes.Kind) error {
	if err := s.prepared(ctx, &s.init); err != nil {
		return err
	}
	if k.Shared() {
		return s.prepared(ctx, &s.shared)
	}
	return nil
}

// prepared returns nil once r's tables are up to date, starting or joining
// an attempt to bring them so when they are not yet.
func (s *Store) prepared(ctx context.Context, r *readiness) error {
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
		go s.prepare(r, ch)
	}
	r.mu.Unlock()

	select {
	case <-ch:
	case <-ctx.Done():
		return fmt.Errorf("sqlstore: waiting for the %s to be prepared: %w", r.what, ctx.Err())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return nil
	}
	return r.err
}

// prepare makes one attempt: migrate r's tables, which creates missing
// ones and fixes legacy ones, logging each step.
func (s *Store) prepare(r *readiness, ch chan struct{}) {
	defer r.wg.Done()
	ctx, cancel := context.WithTimeout(r.ctx, prepareTimeout)
	defer cancel()
	_, err := s.migrate(ctx, r.tables)
	if err == nil && r == &s.init {
		// The shared scopes' tables come along, so that all four are there
		// after the first use; when they cannot be made, the attempt is
		// logged and made again when a shared scope is used.
		_ = s.prepared(ctx, &s.shared)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.running = nil
	close(ch)
	if err == nil {
		if r.err != nil {
			s.log.Info("sqlstore: the "+r.what+" are ready after earlier failures", "addr", s.addr)
		}
		r.done, r.err = true, nil
		return
	}
	r.err = fmt.Errorf("sqlstore: prepare the %s (%s): %w", r.what, strings.Join(r.tables, ", "), err)
	// A database that stays down fails every call the same way: log the
	// failure when it changes, not on every call.
	if msg := err.Error(); msg != r.lastLogged {
		r.lastLogged = msg
		s.log.Warn("sqlstore: cannot prepare the "+r.what+"; the next call tries again", "addr", s.addr, "tables", r.tables, "err", err)
	}
}
