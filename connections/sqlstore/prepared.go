package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/connections/sqlerr"
)

// errStmtClosed is database/sql's error for a statement used after Close,
// which it does not export. It returns it before it sends anything.
const errStmtClosed = "sql: statement is closed"

// preparedStmts holds the statements of Load and Write prepared on the
// server (see dialect.prepare): database/sql prepares each once per
// connection, and every call after that sends its arguments alone, so that
// the server parses and plans the statement once rather than on every call.
// On MariaDB that took 7–17 % off the server's CPU per load and
// compare-and-set (see connections/README.md).
//
// A server that refuses to prepare more statements (max_prepared_stmt_count)
// turns preparing off for the store: its statements run as plain text
// queries from then on, as they do on a dialect that does not prepare.
type preparedStmts struct {
	mu    sync.RWMutex
	stmts map[preparedKey]*sqlx.Stmt
	// off is set when the dialect does not prepare, when the connection's
	// prepare param is false, when the server refused to prepare, and when
	// the store closed.
	off bool
}

// preparedKey names a statement prepared on a pool: the store's pools may
// differ (SQLite), and tests swap them.
type preparedKey struct {
	db    *sqlx.DB
	query string
}

// close closes the prepared statements and turns preparing off.
func (p *preparedStmts) close() error {
	stmts, _ := p.turnOff()
	return closeAll(stmts)
}

// turnOff turns preparing off and returns the statements prepared, which
// the caller closes once it let go of p.mu: Stmt.Close waits for the calls
// that run the statement, which may wait for a connection of the pool, and
// every Load and Write would wait for them meanwhile. wasOn reports whether
// this call turned it off.
func (p *preparedStmts) turnOff() (stmts map[preparedKey]*sqlx.Stmt, wasOn bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	stmts, wasOn = p.stmts, !p.off
	p.off, p.stmts = true, nil
	return stmts, wasOn
}

// isOff reports whether the store sends its statements as text.
func (p *preparedStmts) isOff() bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.off
}

// closeAll closes stmts, each on every connection it was prepared on.
func closeAll(stmts map[preparedKey]*sqlx.Stmt) error {
	var err error
	for _, stmt := range stmts {
		err = errors.Join(err, stmt.Close())
	}
	return err
}

// exec runs a statement of Write on db, prepared (see preparedStmts).
func (s *Store) exec(ctx context.Context, db *sqlx.DB, query string, args ...any) (sql.Result, error) {
	stmt, err := s.preparedStmt(ctx, db, query)
	if err != nil {
		return nil, err
	}
	if stmt != nil {
		res, err := stmt.ExecContext(ctx, args...)
		if !s.sentNothing(err) {
			return res, err
		}
	}
	return db.ExecContext(ctx, query, args...)
}

// getRow reads the row of a statement of Load or Write on db into dest,
// prepared (see preparedStmts).
func (s *Store) getRow(ctx context.Context, db *sqlx.DB, dest any, query string, args ...any) error {
	stmt, err := s.preparedStmt(ctx, db, query)
	if err != nil {
		return err
	}
	if stmt != nil {
		err := stmt.GetContext(ctx, dest, args...)
		if !s.sentNothing(err) {
			return err
		}
	}
	return db.GetContext(ctx, dest, query, args...)
}

// sentNothing reports whether a prepared statement's call failed before
// it sent the statement, so that the caller runs it as text: the server
// refused to prepare it on another connection of the pool (see
// refusedPrepare), or the statement was closed since the caller took it.
func (s *Store) sentNothing(err error) bool {
	return err != nil && (err.Error() == errStmtClosed || s.refusedPrepare(err))
}

// preparedStmt returns query prepared on db, preparing it on first use, or
// nil when preparing is off, in which case the caller runs the query as
// text. An error of the prepare is the call's: the query was not sent,
// and a server that cannot be reached is not tried twice. A failure is not
// kept: the next call prepares again.
func (s *Store) preparedStmt(ctx context.Context, db *sqlx.DB, query string) (*sqlx.Stmt, error) {
	p := &s.stmts
	key := preparedKey{db, query}
	p.mu.RLock()
	stmt, off := p.stmts[key], p.off
	p.mu.RUnlock()
	if off || stmt != nil {
		return stmt, nil
	}
	// Prepared outside the lock, so that a server that does not answer
	// holds up only the calls that wait for it; a statement prepared twice
	// at once is closed again.
	stmt, err := db.PreparexContext(ctx, query)
	if err != nil {
		if s.refusedPrepare(err) {
			return nil, nil
		}
		return nil, err
	}
	p.mu.Lock()
	cur, off := p.stmts[key], p.off
	if !off && cur == nil {
		if p.stmts == nil {
			p.stmts = map[preparedKey]*sqlx.Stmt{}
		}
		p.stmts[key] = stmt
	}
	p.mu.Unlock()
	if off || cur != nil {
		_ = stmt.Close()
		return cur, nil
	}
	return stmt, nil
}

// refusedPrepare reports whether err is the server's refusal to prepare
// another statement, and then turns preparing off, saying so in the log
// once, and closes the statements prepared, which frees them on the
// server. The call that met it sent nothing else (database/sql prepares a
// statement on a connection before it runs it there) and runs its query as
// text.
func (s *Store) refusedPrepare(err error) bool {
	if !sqlerr.PreparedLimit(err) {
		return false
	}
	if stmts, wasOn := s.stmts.turnOff(); wasOn {
		_ = closeAll(stmts)
		s.log.Warn("sqlstore: the server prepares no more statements (max_prepared_stmt_count): "+
			"this store's statements run unprepared from now on, which costs the server more CPU per call; "+
			"raise max_prepared_stmt_count, or lower the pool_size of the connections to this server",
			"addr", s.addr, "err", err)
	}
	return true
}
